"""What a user sees from the CLI: help for every option, --version, settings errors that help, refused
nonsense values, waits that say what they wait for, exit codes as the README says, and a demo that stops
its broker and worker on SIGTERM."""
from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest

from streams import __version__
from streams.tools.cli import build_parser
from tests.articles import ROOT
from tests.tools.test_cli import UNREACHABLE, assert_one_line_error, clean_env, lines, streams

FAST = {"STREAMS_CONNECT_TIMEOUT_S": "5"}  # long enough for the 3 s wait notice, short for the test


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_option_has_help():
    missing = []
    for name, sub in _subparsers(build_parser()).items():
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction) or action.dest == "rest":  # eval/bench: own parsers
                continue
            if not action.help:
                missing.append(f"{name} {action.option_strings or action.dest}")
    assert not missing, f"options without help: {missing}"


def test_bench_and_eval_options_have_help():
    from streams.bench.run import build_parser as bench_parser
    missing = [str(a.option_strings) for a in bench_parser()._actions if not a.help]
    assert not missing, missing


def test_top_level_help_is_plain_text_with_the_exit_codes():
    result = streams("--help")
    assert result.returncode == 0
    assert "``" not in result.stdout and ":class:" not in result.stdout
    assert "Exit codes: 0 done" in " ".join(result.stdout.split())


def test_version():
    result = streams("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"streams (news-streams) {__version__}"


def test_unknown_setting_says_did_you_mean_and_lists_the_settings():
    result = streams("settings", "--set", "partitons=3")
    assert_one_line_error(result, "unknown setting partitons; did you mean partitions?", "known: ", "bootstrap")
    result = streams("settings", STREAMS_BOOTSTRAPP="x:1")
    assert_one_line_error(result, "did you mean STREAMS_BOOTSTRAP?")


@pytest.mark.parametrize("flag, value", [("--rate", "-5"), ("--rate", "0"), ("--speed", "0"), ("--speed", "-1"),
                                         ("--loop", "0")])
def test_nonsense_replay_values_are_refused(flag, value):
    assert_one_line_error(streams("replay", "seeds", flag, value, "--bootstrap", UNREACHABLE), flag, "above 0")


def test_bench_accepts_set():
    result = streams("bench", "--micro", "--articles", "5", "--json", "--set", "semantic=off",
                     "--set", "story_window_hours=48", timeout=300)
    assert result.returncode == 0, result.stderr
    assert orjson.loads(result.stdout)["semantic"] is False
    assert_one_line_error(streams("bench", "--micro", "--set", "nope=1"), "unknown setting nope")


@pytest.mark.parametrize("command", [["worker"], ["replay", "seeds"], ["demo"]])
def test_missing_catalog_is_reported_before_connecting(command):
    """Against an unreachable broker: the catalog error comes first, not the broker's after its timeout."""
    result = streams(*command, "--bootstrap", UNREACHABLE, "--set", "catalog=/no/such/catalog.yaml", **FAST)
    assert_one_line_error(result, "/no/such/catalog.yaml")
    assert "Kafka" not in result.stderr


def test_bench_reports_a_missing_catalog_before_starting_anything():
    assert_one_line_error(streams("bench", "--set", "catalog=/no/such/catalog.yaml"), "/no/such/catalog.yaml")


def _waits_then_fails(result: subprocess.CompletedProcess, who: str) -> None:
    err = lines(result.stderr)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(err) == 2, result.stderr
    assert err[0].startswith(f"streams {who}: waiting for Kafka at {UNREACHABLE}"), err
    assert err[1].startswith("error:") and UNREACHABLE in err[1], err


def test_replay_says_it_waits_for_the_broker():
    _waits_then_fails(streams("replay", "seeds", "--bootstrap", UNREACHABLE, **FAST), "replay")


def test_feeds_says_it_waits_for_the_broker_and_exits_2(tmp_path):
    config = tmp_path / "feeds.yaml"
    config.write_text("feeds:\n  - url: http://127.0.0.1:9/rss.xml\n    name: feed.example\n")
    _waits_then_fails(streams("feeds", "--config", str(config), "--once", "--bootstrap", UNREACHABLE, **FAST),
                      "feeds")


def test_feeds_reports_a_bad_config_before_waiting_for_the_broker(tmp_path):
    result = streams("feeds", "--config", str(tmp_path / "missing.yaml"), "--bootstrap", UNREACHABLE, **FAST)
    assert_one_line_error(result, "missing.yaml")


# -- exit codes: README.md, "Bad configuration": 0 done, 1 records not acknowledged (replay), 2 usage, settings
# or broker unreachable, 3 the broker lost the worker's state (tests/faults/test_broker_faults.py).
README_EXIT_CODES = {0: "done", 1: "records not acknowledged (replay)", 2: "usage, settings or broker unreachable",
                     3: "the broker lost the worker's state"}


def test_readme_states_these_exit_codes():
    text = " ".join((ROOT / "README.md").read_text().split())
    sentence = re.search(r"Exit codes: (.*?)\.", text).group(1)
    for code, meaning in README_EXIT_CODES.items():
        assert f"{code} {meaning}" in sentence, (code, sentence)


@pytest.mark.parametrize("args, env, code", [
    (["settings"], {}, 0),
    (["settings", "--no-such-flag"], {}, 2),
    (["settings", "--set", "partitions=x"], {}, 2),
    (["worker", "--bootstrap", UNREACHABLE], {"STREAMS_CONNECT_TIMEOUT_S": "1"}, 2),
    (["replay", "seeds", "--bootstrap", UNREACHABLE], {"STREAMS_CONNECT_TIMEOUT_S": "1"}, 2),
])
def test_exit_codes_as_the_readme_says(args, env, code):
    result = streams(*args, **env)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr


# -- signals -------------------------------------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.kafka
@pytest.mark.parametrize("args, ready", [
    (["demo", "--keep-running", "--set", "semantic=false"], "demo: running"),
    (["bench", "--articles", "400", "--rate", "5", "--set", "semantic=off"], "bench: 1 worker(s) ready"),
], ids=["demo", "bench"])
def test_sigterm_stops_the_broker_and_workers_a_command_started(args, ready, tmp_path):
    """`demo --keep-running` once it runs, `bench` while it publishes: SIGTERM, and their children are gone."""
    process = subprocess.Popen([sys.executable, "-m", "streams", *args, "--set", f"data_dir={tmp_path / 'data'}"],
                               cwd=ROOT, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen: list[str] = []
    children: list[int] = []
    running = threading.Event()

    def read() -> None:
        for line in process.stdout:
            seen.append(line)
            if line.startswith(ready):
                running.set()
    threading.Thread(target=read, daemon=True).start()
    try:
        assert running.wait(timeout=240), "".join(seen)
        time.sleep(3)  # well into its steady state (bench: publishing; its producer is connected)
        children += _children(process.pid)
        names = {pid: Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode() for pid in children}
        assert any("streams worker" in cmd for cmd in names.values()), names
        assert any(" broker " in cmd for cmd in names.values()), names
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 128 + signal.SIGTERM, "".join(seen)
        deadline = time.monotonic() + 30
        while any(_running(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [names[pid] for pid in children if _running(pid)], "children left running after SIGTERM"
    finally:
        if process.poll() is None:
            process.kill()
        for pid in children:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.kafka
def test_feeds_once_ends_with_one_summary_line(broker, tmp_path):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    rss = (ROOT / "tests" / "sources" / "data" / "rss.xml").read_text()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            body = rss.replace("{base}", f"http://127.0.0.1:{self.server.server_address[1]}").encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        config = tmp_path / "feeds.yaml"
        config.write_text(f"feeds:\n  - url: http://127.0.0.1:{httpd.server_address[1]}/rss.xml\n"
                          "    name: feed.example\n")
        result = streams("feeds", "--config", str(config), "--once", "--state-dir", str(tmp_path / "state"),
                         "--bootstrap", broker.bootstrap, "--set", f"topic_raw=feeds-{os.getpid()}", timeout=120)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert result.returncode == 0, result.stderr
    err = lines(result.stderr)
    assert len(err) == 1 and re.fullmatch(r"feeds: polled 1, published [1-9]\d*, not modified 0, errors 0, "
                                          r"publish failures 0", err[0]), result.stderr
