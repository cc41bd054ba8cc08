"""streams/settings.py: defaults, STREAMS_* parsing, one-line errors, masked secrets, bootstrap lists."""
from __future__ import annotations

import pytest

from streams.settings import Settings, SettingsError, load


def test_defaults_without_environment():
    settings = load(env={})
    assert settings == Settings()
    assert settings.bootstrap_servers == ["localhost:9092"]
    assert settings.partitions == 4
    assert settings.semantic is True
    assert settings.story_window_hours == 72.0
    assert settings.window_seconds == (60, 3600)
    assert settings.catalog == ""


def test_env_values_are_converted_to_the_field_types():
    settings = load(env={
        "STREAMS_PARTITIONS": "8", "STREAMS_NEAR_COPY_JACCARD": "0.6", "STREAMS_SEMANTIC": "off",
        "STREAMS_TOPIC_RAW": "raw-in", "STREAMS_WINDOWS": "30, 300",
    })
    assert settings.partitions == 8 and isinstance(settings.partitions, int)
    assert settings.near_copy_jaccard == 0.6 and isinstance(settings.near_copy_jaccard, float)
    assert settings.semantic is False
    assert settings.topic_raw == "raw-in"
    assert settings.window_seconds == (30, 300)


def test_variables_without_the_prefix_are_ignored():
    settings = load(env={"PATH": "/usr/bin", "PARTITIONS": "x", "MY_STREAMS_PARTITIONS": "x", "streams_nope": "1"})
    assert settings == Settings()


def test_overrides_win_over_environment_and_none_means_unset():
    settings = load(env={"STREAMS_PARTITIONS": "8", "STREAMS_APP_ID": "from-env"}, partitions="2", app_id=None)
    assert settings.partitions == 2
    assert settings.app_id == "from-env"


def test_unknown_env_setting_is_one_line_error_naming_it():
    with pytest.raises(SettingsError) as err:
        load(env={"STREAMS_NOPE": "1"})
    message = str(err.value)
    assert "STREAMS_NOPE" in message
    assert "\n" not in message


def test_unknown_override_is_an_error():
    with pytest.raises(SettingsError, match="nope"):
        load(env={}, nope="1")


@pytest.mark.parametrize("name, raw", [
    ("STREAMS_PARTITIONS", "abc"),
    ("STREAMS_PARTITIONS", "1.5"),
    ("STREAMS_WEB_PORT", ""),
    ("STREAMS_NEAR_COPY_JACCARD", "high"),
    ("STREAMS_SEMANTIC", "maybe"),
])
def test_wrong_type_is_one_line_error_with_name_and_value(name, raw):
    with pytest.raises(SettingsError) as err:
        load(env={name: raw})
    message = str(err.value)
    assert name in message and repr(raw) in message
    assert "\n" not in message


def test_wrong_type_in_override_names_the_flag():
    with pytest.raises(SettingsError, match="--partitions"):
        load(env={}, partitions="many")


@pytest.mark.parametrize("raw, expected", [
    ("1", True), ("true", True), ("Yes", True), (" ON ", True),
    ("0", False), ("false", False), ("NO", False), ("off", False),
])
def test_bool_parsing(raw, expected):
    assert load(env={"STREAMS_SEMANTIC": raw}).semantic is expected


@pytest.mark.parametrize("changes, fragment", [
    ({"partitions": 0}, "partitions"),
    ({"web_port": 70000}, "web_port"),
    ({"metrics_port": -1}, "metrics_port"),
    ({"security_protocol": "TLS"}, "security_protocol"),
    ({"windows": "60,0"}, "windows"),
    ({"windows": "sixty"}, "windows"),
    ({"fetch_max_wait_ms": 0}, "fetch_max_wait_ms"),
    ({"batch_wait_s": 0.0}, "batch_wait_s"),
    ({"producer_linger_ms": -1}, "producer_linger_ms"),
])
def test_out_of_range_values_are_rejected(changes, fragment):
    with pytest.raises(SettingsError, match=fragment):
        Settings(**changes)


def test_replace_validates_too():
    with pytest.raises(SettingsError):
        Settings().replace(partitions=0)


def test_secrets_masked_in_public_and_repr():
    settings = load(env={"STREAMS_SASL_PASSWORD": "hunter2", "STREAMS_SASL_USERNAME": "alice"},
                    ssl_password="k3y-pass")
    public = settings.public()
    assert public["sasl_password"] == "***"
    assert public["ssl_password"] == "***"
    assert public["sasl_username"] == "alice"  # not a secret
    for text in (repr(settings), str(settings), str(public)):
        assert "hunter2" not in text and "k3y-pass" not in text
    assert "alice" in repr(settings)
    # the real values are still there for the clients
    assert settings.sasl_password == "hunter2" and settings.ssl_password == "k3y-pass"


def test_empty_secret_is_shown_as_unset_not_masked():
    assert Settings().public()["sasl_password"] == ""


def test_bootstrap_list_strips_spaces_and_kafka_prefix():
    settings = load(env={"STREAMS_BOOTSTRAP": "kafka://broker-1:9092, broker-2:9093 ,kafka://10.0.0.3:19092,"})
    assert settings.bootstrap_servers == ["broker-1:9092", "broker-2:9093", "10.0.0.3:19092"]


@pytest.mark.parametrize("bootstrap", ["", " , ", "localhost", "kafka://broker", "broker:port", ":9092"])
def test_bad_bootstrap_is_rejected(bootstrap):
    with pytest.raises(SettingsError, match="bootstrap"):
        load(env={"STREAMS_BOOTSTRAP": bootstrap})
