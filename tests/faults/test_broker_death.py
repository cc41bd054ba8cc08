"""The broker dies for good mid-replay (the embedded broker, stopped, not restarted).

The replayer ends with its count line on stdout and exit code 1, without a traceback; the records it counts as
published were acknowledged, the rest as failed. A worker whose broker is gone stops promptly on SIGTERM (before,
a worker whose broker had gone away ignored SIGTERM for over a minute): it exits within ``stop_timeout_s``."""
from __future__ import annotations

import signal
import subprocess
import sys
import time

import orjson
import pytest

from streams.brokers.tansu import EmbeddedBroker, ensure_topics, free_port
from tests.conftest import kafka_settings
from tests.faults.helpers import ROOT, article, clean_env, count_records, lines, start_worker

pytestmark = pytest.mark.kafka

COUNT = 1200  # 30 s of replay at RATE: the broker always dies mid-replay, however slow the count below is
RATE = 40  # records a second: the broker is stopped after 40 of them, the rest meet a dead broker


def test_replayer_ends_with_its_count_line_and_a_worker_stops_on_sigterm(tmp_path):
    port = free_port()
    broker = EmbeddedBroker(port=port, log_path=tmp_path / "broker.log").start()
    settings = kafka_settings(broker.bootstrap, tmp_path, semantic=False, connect_timeout_s=5, stop_timeout_s=5)
    ensure_topics(settings)
    path = tmp_path / "articles.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(article(f"death-{n:03d}", n)) for n in range(COUNT)) + b"\n")
    worker = start_worker(settings, tmp_path / "worker.log")
    replayer = None
    try:
        replayer = subprocess.Popen([sys.executable, "-m", "streams", "replay", str(path), "--rate", str(RATE)], cwd=ROOT,
                                    env=clean_env(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while count_records(settings, settings.topic_raw, timeout=2) < 40:
            assert time.monotonic() < deadline and replayer.poll() is None, "the replayer published nothing"
        broker.stop()  # for good
        out, err = replayer.communicate(timeout=120)
        time.sleep(3)  # the worker notices its broker is gone
        assert worker.process.poll() is None, "the worker stopped by itself"
        worker.process.send_signal(signal.SIGTERM)
        worker.process.wait(timeout=60)  # generous: the point is that it stops at all (it used to hang)
    finally:
        if replayer is not None and replayer.poll() is None:
            replayer.kill()
        worker.kill()
        broker.stop()
    assert replayer.returncode == 1, (replayer.returncode, err[-2000:])
    assert "Traceback" not in err, err[-3000:]
    [line] = lines(out)
    published, failed = int(line.split()[2]), int(line.split("(")[1].split()[0])
    assert line.startswith("replay: published ") and 0 < published < COUNT and failed == COUNT - published, line
    assert worker.process.returncode is not None
