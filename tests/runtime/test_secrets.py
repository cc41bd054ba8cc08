"""Secrets never reach a log line, can come from a file, and the worker's ports listen on loopback by default."""
from __future__ import annotations

import io
import logging

import pytest

from streams.runtime.redact import redact_logs
from streams.settings import Settings, SettingsError, load

SECRET = 'Pa55"w\\ord-é'


@pytest.fixture
def captured():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    names = ("aiokafka.conn", "kafka.conn", "faust.transport")
    loggers = [logging.getLogger(name) for name in names]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield stream
    for logger in loggers:
        logger.removeHandler(handler)


def test_a_sasl_password_is_masked_in_every_form_a_client_logs_it(captured):
    redact_logs([SECRET])
    plain = b"\x00pipeline\x00" + SECRET.encode()
    logging.getLogger("aiokafka.conn").debug("%s Request 4: SaslAuthenticateRequest_v1(auth_bytes=%r)", "<conn>", plain)
    logging.getLogger("kafka.conn").debug("config %s", {"sasl_plain_password": SECRET})
    logging.getLogger("faust.transport").info("password is " + SECRET)
    try:
        raise ValueError(f"bad credentials {SECRET}")
    except ValueError:
        logging.getLogger("kafka.conn").exception("auth failed")
    text = captured.getvalue()
    assert SECRET not in text and repr(SECRET)[1:-1] not in text and repr(SECRET.encode())[2:-1] not in text
    assert text.count("***") >= 4 and "SaslAuthenticateRequest" in text and "auth failed" in text


def test_a_password_can_come_from_a_file_and_is_not_passed_on_in_the_environment(tmp_path):
    path = tmp_path / "sasl-password"
    path.write_text(SECRET + "\n")
    settings = load(env={"STREAMS_SASL_PASSWORD_FILE": str(path)})
    assert settings.kafka.sasl_password.get_secret_value() == SECRET and settings.secrets() == [SECRET]
    env = settings.as_env()
    assert SECRET not in "".join(env.values()) and env["STREAMS_SASL_PASSWORD_FILE"] == str(path)
    assert load(env=env).kafka.sasl_password.get_secret_value() == SECRET  # the worker reads the file itself
    assert settings.public()["kafka"]["sasl_password"] == "***" and SECRET not in repr(settings)


@pytest.mark.parametrize("content, message", [(None, "cannot be read"), ("", "is empty")])
def test_an_unreadable_or_empty_password_file_is_a_settings_error(tmp_path, content, message):
    path = tmp_path / "secret"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SettingsError, match=message):
        load(env={"STREAMS_SSL_PASSWORD_FILE": str(path)})


def test_ports_listen_on_loopback_unless_configured():
    assert Settings().bind_address == "127.0.0.1"
    assert load(env={"STREAMS_BIND_ADDRESS": "0.0.0.0"}).bind_address == "0.0.0.0"
