"""`streams demo --broker kafka`: the same demo on Apache Kafka, and one clear line when it cannot run."""
from __future__ import annotations

import orjson
import pytest

from tests.conftest import skip_without_apache_kafka
from tests.faults.helpers import assert_one_error_line, streams

ASTANA = {"000_6e96537bbe03daf4", "001_fae7c4ea08b9bc39"}  # the real seeds (seeds/README: one story)


@pytest.mark.kafka
@pytest.mark.apache_kafka
def test_demo_on_apache_kafka(tmp_path):
    skip_without_apache_kafka()
    result = streams("demo", "--broker", "kafka", "--json", "--set", f"data_dir={tmp_path}", timeout=400)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "demo: Apache Kafka 4.4.0 (1 KRaft node) on 127.0.0.1:" in result.stderr
    report = orjson.loads(result.stdout)
    assert len(report["events"]) == 4
    assert sorted(len(s["articles"]) for s in report["stories"]) == [1, 1, 1, 2]
    assert any(set(s["articles"]) == ASTANA for s in report["stories"])


def test_demo_on_kafka_without_its_jars_is_one_error_line(tmp_path):
    result = streams("demo", "--broker", "kafka", "--set", f"data_dir={tmp_path}", NEWS_STREAMS_KAFKA_LIB=str(tmp_path))
    assert_one_error_line(result, "Apache Kafka 4.4.0", "make kafka")
