"""streams/runtime/app.py: ``create_app(settings)`` builds the app from the topology; importing it does nothing."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from streams.runtime.topics import topic_specs
from streams.settings import load

ROOT = Path(__file__).resolve().parents[2]

IMPORT_ONLY = """
import os
os.environ["STREAMS_PARTITIONS"] = "not a number"  # a settings load at import would fail
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
before = AIOKafkaConsumerThread._create_worker_consumer
import streams.runtime.agents, streams.runtime.app
assert AIOKafkaConsumerThread._create_worker_consumer is before, "Faust patched at import"
print("ok")
"""


def test_importing_the_app_reads_no_settings_and_patches_nothing():
    result = subprocess.run([sys.executable, "-c", IMPORT_ONLY], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"


def test_create_app_registers_the_stages_on_the_topology(tmp_path):
    from streams.runtime.app import create_app

    settings = load(env={}).replace(app_id="test-create-app", partitions=3, data_dir=str(tmp_path))
    app = create_app(settings)
    agents = {name.rsplit(".", 1)[-1]: agent for name, agent in app.agents.items()}
    assert set(agents) == {"prepare", "match", "resolve"}
    specs = {spec.kind: spec for spec in topic_specs(settings)}
    for kind, stage in (("raw", "prepare"), ("keyed", "match"), ("resolve", "resolve")):
        topic = agents[stage].channel
        assert topic.get_topic_name() == specs[kind].name
        assert topic.partitions == specs[kind].partitions
    assert agents["resolve"].channel.partitions == 1
