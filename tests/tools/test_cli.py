"""streams/tools/cli.py through `python -m streams` in a subprocess: user errors are one line and exit 2,
never a traceback; secrets are masked."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import orjson
import pytest

from tests.articles import ROOT

UNREACHABLE = "127.0.0.1:1"  # nothing listens on port 1
REPLAY_LIMIT_S = 45.0


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMS_")}
    env.update(HF_HUB_OFFLINE="1", PYTHONDONTWRITEBYTECODE="1", **extra)
    return env


def streams(*args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "streams", *args], cwd=ROOT, env=clean_env(**env),
                          capture_output=True, text=True, timeout=timeout)


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    err = lines(result.stderr)
    assert len(err) == 1, result.stderr
    assert err[0].startswith("error:")
    for fragment in fragments:
        assert fragment in err[0]
    assert result.stdout == ""


@pytest.fixture(scope="module")
def unreachable_replay():
    """`streams replay seeds` against a port where nothing listens; started once, in the background, as soon
    as the module's first test runs (it spends ~30 s waiting for the broker)."""
    start = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "streams", "replay", "seeds", "--bootstrap", UNREACHABLE,
                                "--set", "connect_timeout_s=5"],
                               cwd=ROOT, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    outcome: dict = {}

    def finish() -> dict:
        if not outcome:
            try:
                stdout, stderr = process.communicate(timeout=max(1.0, REPLAY_LIMIT_S - (time.monotonic() - start)))
            except subprocess.TimeoutExpired:
                process.kill()
                stdout, stderr = process.communicate()
                outcome.update(timed_out=True)
            outcome.update(returncode=process.returncode, stdout=stdout, stderr=stderr,
                           seconds=time.monotonic() - start)
        return outcome

    yield finish
    if process.poll() is None:
        process.kill()
        process.communicate()


@pytest.fixture(scope="module", autouse=True)
def _start_replay_early(unreachable_replay):
    yield


def test_unknown_flag_is_a_short_usage_error():
    result = streams("settings", "--no-such-flag")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "unrecognized arguments: --no-such-flag" in result.stderr
    assert len(lines(result.stderr)) <= 3


def test_missing_command_is_a_usage_error():
    result = streams()
    assert result.returncode == 2 and "usage:" in result.stderr and "Traceback" not in result.stderr


def test_bad_env_type_is_one_line_error():
    assert_one_line_error(streams("settings", STREAMS_PARTITIONS="abc"), "STREAMS_PARTITIONS", "'abc'")


def test_unknown_env_setting_is_one_line_error():
    assert_one_line_error(streams("settings", STREAMS_NOPE="1"), "STREAMS_NOPE")


def test_bad_set_flag_is_one_line_error():
    assert_one_line_error(streams("settings", "--set", "partitions"), "NAME=VALUE")


def test_settings_prints_effective_settings_with_secret_masked():
    result = streams("settings", "--json", "--set", "sasl_password=hunter2", "--set", "partitions=3",
                     "--set", "dedup.near_copy_jaccard=0.6", "--bootstrap", "kafka://b1:9092",
                     STREAMS_APP_ID="from-env")
    assert result.returncode == 0, result.stderr
    assert "hunter2" not in result.stdout + result.stderr
    shown = orjson.loads(result.stdout)
    assert shown["kafka"]["sasl_password"] == "***" and shown["dedup"]["near_copy_jaccard"] == 0.6
    assert shown["topics"]["partitions"] == 3 and shown["worker"]["app_id"] == "from-env"
    assert shown["kafka"]["bootstrap"] == "kafka://b1:9092"


def test_settings_table_by_section_with_default_and_description():
    result = streams("settings", "--set", "sasl_password=hunter2", STREAMS_NEAR_COPY_JACCARD="0.6")
    assert result.returncode == 0, result.stderr
    assert "hunter2" not in result.stdout + result.stderr
    assert "[dedup] " in result.stdout and "[kafka] " in result.stdout
    assert "near_copy_jaccard = 0.6  *    (default 0.5; 0 < float <= 1)" in result.stdout
    assert "sasl_password = ***" in result.stdout


def test_out_of_range_setting_is_one_line_with_range_and_description():
    assert_one_line_error(streams("settings", "--set", "dedup.near_copy_jaccard=1.5"),
                          "dedup.near_copy_jaccard = '1.5'", "0 < float <= 1", "near-verbatim copy")


def test_replay_of_missing_path_is_one_line_error():
    assert_one_line_error(streams("replay", "/does/not/exist", "--bootstrap", UNREACHABLE), "/does/not/exist")


def test_replay_to_unreachable_broker_fails_with_an_error_line(unreachable_replay):
    outcome = unreachable_replay()
    assert not outcome.get("timed_out"), f"still running after {REPLAY_LIMIT_S}s"
    assert outcome["returncode"] not in (0, None)
    assert "Traceback" not in outcome["stderr"]
    last = lines(outcome["stderr"])[-1]
    assert last.startswith("error:") and UNREACHABLE in last
    assert outcome["stdout"] == ""


def test_replay_to_unreachable_broker_prints_what_it_waits_for_then_one_error(unreachable_replay):
    outcome = unreachable_replay()
    err = lines(outcome["stderr"])
    assert len(err) == 2 and err[0].startswith(f"streams replay: waiting for Kafka at {UNREACHABLE}"), err


def test_chaos_bad_flag_or_scenario_is_one_line_error():
    assert_one_line_error(streams("chaos", "--bogus"), "--bogus")
    assert_one_line_error(streams("chaos", "--scenarios", "nope"), "unknown scenario nope")
