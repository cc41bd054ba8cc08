"""Bad configuration and secrets, through `python -m streams` processes.

Every mistake is one `error: ...` line on stderr and a non-zero exit, never a traceback: unknown settings (variable,
--set, flag), wrong types and ranges, a broker that does not answer (worker and replayer, short connect timeout),
missing paths. With SASL/SCRAM and TLS settings, no command prints the passwords: `streams settings`, the worker and
the replayer (kafka-python admin and producer), and the Faust worker itself at debug level (aiokafka's SASL path).
tests/tools/test_cli.py covers `streams settings` and the replayer; this adds the worker, demo and the gaps.
"""
from __future__ import annotations

import subprocess
import sys

import orjson
import pytest

from streams.brokers.tansu import free_port
from tests.faults.helpers import ROOT, assert_one_error_line, clean_env, streams

UNREACHABLE = "127.0.0.1:1"  # nothing listens on port 1
FAST = {"STREAMS_CONNECT_TIMEOUT_S": "2"}
SASL_PASSWORD = "Sasl-Pa55word-never-printed"
KEY_PASSWORD = "Key-Pa55word-never-printed"


@pytest.mark.parametrize("command", [["worker"], ["replay", "seeds"], ["demo"], ["feeds", "--config", "x.yaml"]])
def test_unknown_flag_is_one_error_line(command):
    assert_one_error_line(streams(*command, "--no-such-flag"), "unrecognized arguments: --no-such-flag")


def test_bad_flag_value_is_one_error_line():
    assert_one_error_line(streams("replay", "seeds", "--rate", "fast"), "--rate", "'fast'")


@pytest.mark.parametrize("command", [["worker"], ["replay", "seeds"], ["demo"]])
def test_unknown_setting_in_the_environment_is_one_error_line(command):
    assert_one_error_line(streams(*command, STREAMS_FOO="1"), "unknown setting STREAMS_FOO")


def test_unknown_setting_as_a_flag_is_one_error_line():
    assert_one_error_line(streams("worker", "--set", "foo=1"), "unknown setting foo")


@pytest.mark.parametrize("command", [["worker"], ["replay", "seeds"]])
@pytest.mark.parametrize("variable, value", [("STREAMS_PARTITIONS", "abc"), ("STREAMS_SEMANTIC", "maybe"),
                                             ("STREAMS_CONNECT_TIMEOUT_S", "soon")])
def test_wrong_type_is_one_error_line(command, variable, value):
    assert_one_error_line(streams(*command, **{variable: value}), variable, repr(value))


@pytest.mark.parametrize("setting, fragment", [("partitions=0", "partitions = '0': Input should be greater"),
                                               ("web_port=0", "web_port must be 1-65535"),
                                               ("metrics_port=70000", "expects 0 <= int <= 65535")])
def test_out_of_range_value_is_one_error_line(setting, fragment):
    assert_one_error_line(streams("worker", "--set", setting), fragment)


def test_worker_with_unreachable_broker_gives_up_with_one_error_line():
    result = streams("worker", "--bootstrap", UNREACHABLE, **FAST)
    assert_one_error_line(result, f"cannot reach Kafka at {UNREACHABLE}")


def test_replay_with_unreachable_broker_gives_up_with_one_error_line():
    assert_one_error_line(streams("replay", "seeds", "--bootstrap", UNREACHABLE, **FAST),
                          f"cannot reach Kafka at {UNREACHABLE}")


@pytest.mark.parametrize("command", [["replay", "no-such-seeds"], ["demo", "--seeds", "/no/such/seeds"]])
def test_missing_seeds_directory_is_one_error_line(command):
    assert_one_error_line(streams(*command, "--bootstrap", UNREACHABLE, **FAST), "no such directory", command[-1])


def test_missing_tls_file_is_one_error_line_not_a_connection_timeout():
    result = streams("replay", "seeds", "--bootstrap", UNREACHABLE, STREAMS_SECURITY_PROTOCOL="SSL",
                     STREAMS_SSL_CAFILE="/no/such/ca.pem", **FAST)
    assert_one_error_line(result, "ssl_cafile", "/no/such/ca.pem")


def test_missing_catalog_is_one_error_line(broker):
    result = streams("worker", "--bootstrap", broker.bootstrap, STREAMS_CATALOG="/no/such/catalog.yaml",
                     STREAMS_SEMANTIC="false", **FAST)
    assert_one_error_line(result, "/no/such/catalog.yaml")


# -- secrets ----------------------------------------------------------------------------------------------------------
def secure_env(protocol: str = "SASL_SSL", mechanism: str = "SCRAM-SHA-512", **extra: str) -> dict[str, str]:
    return {"STREAMS_SECURITY_PROTOCOL": protocol, "STREAMS_SASL_MECHANISM": mechanism,
            "STREAMS_SASL_USERNAME": "pipeline", "STREAMS_SASL_PASSWORD": SASL_PASSWORD,
            "STREAMS_SSL_CAFILE": str(ROOT / "tests" / "faults" / "helpers.py"),  # a file; never a valid CA here
            "STREAMS_SSL_PASSWORD": KEY_PASSWORD, **FAST, **extra}


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert SASL_PASSWORD not in text and KEY_PASSWORD not in text


def test_settings_masks_both_passwords():
    result = streams("settings", "--json", **secure_env())
    assert result.returncode == 0, result.stderr
    assert_no_secret(result.stdout, result.stderr)
    shown = orjson.loads(result.stdout)["kafka"]
    assert shown["sasl_password"] == "***" and shown["ssl_password"] == "***"
    assert shown["sasl_username"] == "pipeline" and shown["security_protocol"] == "SASL_SSL"
    assert_no_secret(streams("settings", **secure_env()).stdout)  # the table too


def test_settings_error_with_secrets_set_does_not_print_them():
    result = streams("settings", "--set", f"sasl_password={SASL_PASSWORD}", STREAMS_PARTITIONS="abc", **secure_env())
    assert_one_error_line(result, "STREAMS_PARTITIONS")
    assert_no_secret(result.stdout, result.stderr)


@pytest.mark.parametrize("protocol, mechanism", [("SASL_SSL", "SCRAM-SHA-512"), ("SASL_PLAINTEXT", "SCRAM-SHA-512"),
                                                 ("SASL_PLAINTEXT", "PLAIN")])
@pytest.mark.parametrize("command", [["worker", "--loglevel", "debug"], ["replay", "seeds"]])
def test_worker_and_replayer_never_print_the_passwords(broker, command, protocol, mechanism):
    """Against the embedded broker, which refuses the SASL handshake: the clients try, fail, and say so."""
    result = streams(*command, "--bootstrap", broker.bootstrap, **secure_env(protocol, mechanism))
    assert result.returncode != 0
    assert_no_secret(result.stdout, result.stderr)
    assert "Traceback" not in result.stderr


def test_faust_worker_at_debug_level_never_prints_the_passwords(broker, tmp_path):
    """`faust -A streams.runtime.worker worker` (the README's equivalent of `streams worker`, without our wait for the broker):
    aiokafka builds the SCRAM exchange from the settings and logs every request at debug level."""
    env = clean_env(**secure_env("SASL_PLAINTEXT", STREAMS_BOOTSTRAP=broker.bootstrap, STREAMS_SEMANTIC="false",
                                 STREAMS_METRICS_PORT="0", STREAMS_WEB_PORT=str(free_port()),
                                 STREAMS_DATA_DIR=str(tmp_path)))
    result = subprocess.run([sys.executable, "-m", "faust", "-A", "streams.runtime.worker", "worker", "-l", "debug"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert "SaslHandShakeRequest" in result.stdout + result.stderr  # the SASL path was taken
    assert_no_secret(result.stdout, result.stderr)
