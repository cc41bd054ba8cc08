"""streams/settings.py: sections, defaults, STREAMS_* and --set parsing (flat and dotted names), ranges with
one-line errors that name the field, its range and description, "did you mean", masked secrets, one SASL
mechanism default for every client, and docs/configuration.md generated from the declarations."""
from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from streams.settings import (
    FLAT,
    SECTIONS,
    AggregateSettings,
    EventSettings,
    Settings,
    SettingsError,
    assignments,
    describe_range,
    load,
)
from streams.tools.show_settings import markdown, table

DOCS = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def test_defaults_without_environment():
    settings = load(env={})
    assert settings == Settings()
    assert settings.bootstrap_servers == ["localhost:9092"]
    assert settings.partitions == 4 and settings.topics.partitions == 4
    assert settings.semantic is True and settings.model.semantic is True
    assert settings.story_window_hours == 72.0 and settings.dedup.story_window_hours == 72.0
    assert settings.window_seconds == (60, 3600) and settings.aggregates.window_seconds == (60, 3600)
    assert settings.catalog == "" and settings.events.catalog == ""


def test_every_setting_has_a_section_a_description_and_a_unique_flat_name():
    names = [name for cls in SECTIONS.values() for name in cls.model_fields]
    assert len(names) == len(set(names)) == len(FLAT)
    for section, cls in SECTIONS.items():
        for name, info in cls.model_fields.items():
            assert info.description, f"{section}.{name} has no description"
            assert describe_range(info)


def test_env_values_are_converted_to_the_field_types():
    settings = load(env={
        "STREAMS_PARTITIONS": "8", "STREAMS_NEAR_COPY_JACCARD": "0.6", "STREAMS_SEMANTIC": "off",
        "STREAMS_TOPIC_RAW": "raw-in", "STREAMS_WINDOWS": "30, 300",
    })
    assert settings.partitions == 8 and isinstance(settings.partitions, int)
    assert settings.dedup.near_copy_jaccard == 0.6 and isinstance(settings.near_copy_jaccard, float)
    assert settings.semantic is False
    assert settings.topics.topic_raw == "raw-in"
    assert settings.window_seconds == (30, 300)


def test_env_by_section_uses_a_double_underscore():
    settings = load(env={"STREAMS_DEDUP__NEAR_COPY_JACCARD": "0.6", "STREAMS_EVENTS__EVENT_WINDOW_DAYS": "3"})
    assert settings.dedup.near_copy_jaccard == 0.6 and settings.events.event_window_days == 3.0


def test_set_accepts_flat_and_dotted_names():
    flags = assignments(["near-copy-jaccard=0.6", "events.event_similarity=0.4", "topics.partitions=2"])
    settings = load(env={}, **flags)
    assert settings.dedup.near_copy_jaccard == 0.6
    assert settings.events.event_similarity == 0.4
    assert settings.topics.partitions == 2


def test_variables_without_the_prefix_are_ignored():
    settings = load(env={"PATH": "/usr/bin", "PARTITIONS": "x", "MY_STREAMS_PARTITIONS": "x", "streams_nope": "1"})
    assert settings == Settings()


def test_overrides_win_over_environment_and_none_means_unset():
    settings = load(env={"STREAMS_PARTITIONS": "8", "STREAMS_APP_ID": "from-env"}, partitions="2", app_id=None)
    assert settings.partitions == 2
    assert settings.app_id == "from-env"


def test_replace_takes_flat_and_dotted_names_and_keeps_the_rest():
    base = Settings().replace(semantic=False, late_hours=1)
    changed = base.replace(**{"dedup.near_copy_jaccard": 0.7}, event_similarity_lexical=0.2)
    assert changed.semantic is False and changed.late_hours == 1
    assert changed.near_copy_jaccard == 0.7 and changed.events.event_similarity_lexical == 0.2
    assert base.near_copy_jaccard == 0.5  # frozen: replace makes a copy


@pytest.mark.parametrize("make, shown, hint", [
    (lambda: load(env={"STREAMS_NEAR_COPY_JACARD": "0.6"}), "STREAMS_NEAR_COPY_JACARD", "STREAMS_NEAR_COPY_JACCARD"),
    (lambda: load(env={"STREAMS_DEDUP__NEAR_COPY_JACARD": "0.6"}), "STREAMS_DEDUP__NEAR_COPY_JACARD",
     "STREAMS_DEDUP__NEAR_COPY_JACCARD"),
    (lambda: load(env={}, partitons="3"), "partitons", "partitions"),
    (lambda: load(env={}, **{"dedup.near_copy_jacard": "0.6"}), "dedup.near_copy_jacard", "dedup.near_copy_jaccard"),
    (lambda: Settings().replace(semantc=False), "semantc", "semantic"),
])
def test_unknown_name_is_one_line_with_did_you_mean(make, shown, hint):
    with pytest.raises(SettingsError) as err:
        make()
    message = str(err.value)
    assert message.startswith(f"unknown setting {shown}; did you mean {hint}?")
    assert "\n" not in message


def test_unknown_name_without_a_close_one_lists_the_known_names():
    with pytest.raises(SettingsError) as err:
        load(env={"STREAMS_NOPE": "1"})
    message = str(err.value)
    assert "STREAMS_NOPE" in message and "did you mean" not in message and "near_copy_jaccard" in message
    assert "\n" not in message


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


def test_wrong_type_in_override_names_the_setting_as_given():
    with pytest.raises(SettingsError, match="setting topics.partitions = 'many'"):
        load(env={}, **{"topics.partitions": "many"})


@pytest.mark.parametrize("raw, expected", [
    ("1", True), ("true", True), ("Yes", True), (" ON ", True),
    ("0", False), ("false", False), ("NO", False), ("off", False),
])
def test_bool_parsing(raw, expected):
    assert load(env={"STREAMS_SEMANTIC": raw}).semantic is expected


def test_out_of_range_threshold_names_the_field_its_range_and_description():
    with pytest.raises(SettingsError) as err:
        load(env={}, near_copy_jaccard="1.5")
    message = str(err.value)
    assert message.startswith("setting near_copy_jaccard = '1.5'")
    assert "0 < float <= 1" in message and "5-shingle Jaccard for a near-verbatim copy" in message
    assert "\n" not in message


@pytest.mark.parametrize("changes, fragment", [
    ({"partitions": 0}, "partitions"),
    ({"web_port": 70000}, "web_port"),
    ({"metrics_port": -1}, "metrics_port"),
    ({"security_protocol": "TLS"}, "security_protocol"),
    ({"sasl_mechanism": "GSSAPI"}, "sasl_mechanism"),
    ({"windows": "60,0"}, "windows"),
    ({"windows": "sixty"}, "windows"),
    ({"fetch_max_wait_ms": 0}, "fetch_max_wait_ms"),
    ({"batch_wait_s": 0.0}, "batch_wait_s"),
    ({"batch_size": 0}, "batch_size"),
    ({"batch_size": 1025}, "batch_size"),
    ({"producer_linger_ms": -1}, "producer_linger_ms"),
    ({"near_copy_jaccard": 1.5}, "near_copy_jaccard"),
    ({"paraphrase_cosine": 0.0}, "paraphrase_cosine"),
    ({"event_similarity": 2}, "event_similarity"),
    ({"event_window_days": -1}, "event_window_days"),
    ({"top_events": 0}, "top_events"),
    ({"story_window_hours": float("inf")}, "story_window_hours"),
    ({"store": "redis://"}, "store"),
    ({"topic_raw": ""}, "topic_raw"),
])
def test_out_of_range_values_are_rejected(changes, fragment):
    with pytest.raises(SettingsError, match=fragment) as err:
        Settings(**changes)
    assert "\n" not in str(err.value) and "expects" in str(err.value)


def test_replace_validates_too():
    with pytest.raises(SettingsError, match="partitions"):
        Settings().replace(partitions=0)


def test_as_env_is_read_back_to_the_same_settings():
    settings = Settings().replace(semantic=False, near_copy_jaccard=0.6, sasl_password="hunter2", windows="30")
    assert load(env=settings.as_env()) == settings


def test_secrets_are_secret_strings_masked_in_public_repr_and_table():
    settings = load(env={"STREAMS_SASL_PASSWORD": "hunter2", "STREAMS_SASL_USERNAME": "alice"},
                    ssl_password="k3y-pass")
    assert isinstance(settings.kafka.sasl_password, SecretStr)
    public = settings.public()
    assert public["kafka"]["sasl_password"] == "***" and public["kafka"]["ssl_password"] == "***"
    assert public["kafka"]["sasl_username"] == "alice"  # not a secret
    for text in (repr(settings), str(settings), str(public), table(settings)):
        assert "hunter2" not in text and "k3y-pass" not in text
    assert "alice" in repr(settings)
    # the real values are still there for the clients
    assert settings.secrets() == ["hunter2", "k3y-pass"]
    assert settings.kafka.ssl_password.get_secret_value() == "k3y-pass"


def test_a_bad_secret_value_is_not_echoed():
    with pytest.raises(SettingsError) as err:
        Settings(sasl_password=12345)
    assert "12345" not in str(err.value) and "sasl_password" in str(err.value)


def test_empty_secret_is_shown_as_unset_not_masked():
    assert Settings().public()["kafka"]["sasl_password"] == ""


def test_table_shows_value_default_range_and_description_by_section():
    text = table(Settings().replace(near_copy_jaccard=0.6))
    for section in SECTIONS:
        assert f"[{section}] " in text
    line = next(row for row in text.splitlines() if row.strip().startswith("near_copy_jaccard ="))
    assert "0.6  *" in line and "default 0.5" in line and "0 < float <= 1" in line
    assert "5-shingle Jaccard for a near-verbatim copy" in text


def test_one_sasl_mechanism_default_for_every_client():
    from streams.runtime.kafka_config import aiokafka_config, faust_credentials, kafka_python_config

    settings = Settings(security_protocol="SASL_PLAINTEXT", sasl_username="u", sasl_password="p")
    assert settings.kafka.sasl_mechanism == "SCRAM-SHA-512"
    assert kafka_python_config(settings)["sasl_mechanism"] == "SCRAM-SHA-512"
    assert aiokafka_config(settings)["sasl_mechanism"] == "SCRAM-SHA-512"
    assert faust_credentials(settings).mechanism.value == "SCRAM-SHA-512"
    plain = settings.replace(sasl_mechanism="plain")
    assert kafka_python_config(plain)["sasl_mechanism"] == aiokafka_config(plain)["sasl_mechanism"] == "PLAIN"
    assert faust_credentials(plain).mechanism.value == "PLAIN"
    assert load(env={"STREAMS_SASL_MECHANISM": ""}).kafka.sasl_mechanism == "SCRAM-SHA-512"  # empty: default


def test_domain_classes_take_their_section():
    from streams.core.resolve.aggregates import Aggregator
    from streams.core.resolve.events import EventIndex

    settings = Settings().replace(event_window_days=3, windows="30,300", top_events=2)
    assert isinstance(settings.events, EventSettings) and isinstance(settings.aggregates, AggregateSettings)
    assert EventIndex(settings.events).window == 3 * 86400
    aggregator = Aggregator(settings.aggregates, late_s=60)
    assert aggregator.windows == (30, 300) and aggregator.top == 2


def test_bootstrap_list_strips_spaces_and_kafka_prefix():
    settings = load(env={"STREAMS_BOOTSTRAP": "kafka://broker-1:9092, broker-2:9093 ,kafka://10.0.0.3:19092,"})
    assert settings.bootstrap_servers == ["broker-1:9092", "broker-2:9093", "10.0.0.3:19092"]


@pytest.mark.parametrize("bootstrap", ["", " , ", "localhost", "kafka://broker", "broker:port", ":9092"])
def test_bad_bootstrap_is_rejected(bootstrap):
    with pytest.raises(SettingsError, match="bootstrap"):
        load(env={"STREAMS_BOOTSTRAP": bootstrap})


def test_configuration_docs_are_generated_from_the_declarations_and_current():
    assert DOCS.read_text(encoding="utf-8") == markdown() + "\n", (
        "docs/configuration.md is stale: run `python -m streams settings --markdown > docs/configuration.md`")
    for name in FLAT:
        assert f"`{name}`" in markdown()
