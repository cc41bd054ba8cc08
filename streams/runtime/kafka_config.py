"""Translate the settings' connection section into client configuration (kafka-python, aiokafka, Faust).

The SASL mechanism comes from the settings only (default SCRAM-SHA-512, ``streams.settings.SASL_MECHANISM``):
every client authenticates the same way."""
from __future__ import annotations

import ssl
from typing import Any

from streams.settings import KafkaSettings, Settings


def _kafka(settings: Settings | KafkaSettings) -> KafkaSettings:
    return settings if isinstance(settings, KafkaSettings) else settings.kafka


def kafka_python_config(settings: Settings | KafkaSettings) -> dict[str, Any]:
    """Connection keyword arguments for kafka-python clients."""
    kafka = _kafka(settings)
    config: dict[str, Any] = {
        "bootstrap_servers": kafka.bootstrap_servers,
        "security_protocol": kafka.security_protocol,
    }
    if kafka.security_protocol.startswith("SASL"):
        config.update(sasl_mechanism=kafka.sasl_mechanism, sasl_plain_username=kafka.sasl_username,
                      sasl_plain_password=kafka.sasl_password.get_secret_value())
    if kafka.security_protocol.endswith("SSL"):
        config.update(ssl_cafile=kafka.ssl_cafile or None, ssl_certfile=kafka.ssl_certfile or None,
                      ssl_keyfile=kafka.ssl_keyfile or None,
                      ssl_password=kafka.ssl_password.get_secret_value() or None)
    return config


def ssl_context(settings: Settings | KafkaSettings) -> ssl.SSLContext | None:
    """An SSL context for aiokafka/Faust when TLS is on."""
    kafka = _kafka(settings)
    if not kafka.security_protocol.endswith("SSL"):
        return None
    context = ssl.create_default_context(cafile=kafka.ssl_cafile or None)
    if kafka.ssl_certfile:
        context.load_cert_chain(kafka.ssl_certfile, kafka.ssl_keyfile or None,
                                kafka.ssl_password.get_secret_value() or None)
    return context


def aiokafka_config(settings: Settings | KafkaSettings) -> dict[str, Any]:
    """Connection keyword arguments for aiokafka clients (readers of the topics outside Faust)."""
    kafka = _kafka(settings)
    return {"bootstrap_servers": kafka.bootstrap_servers, "security_protocol": kafka.security_protocol,
            "ssl_context": ssl_context(kafka), "sasl_mechanism": kafka.sasl_mechanism,
            "sasl_plain_username": kafka.sasl_username or None,
            "sasl_plain_password": kafka.sasl_password.get_secret_value() or None}


def faust_credentials(settings: Settings | KafkaSettings) -> Any:
    """Faust ``broker_credentials`` for SASL/TLS, or None for plaintext."""
    import faust

    kafka = _kafka(settings)
    context = ssl_context(kafka)
    if kafka.security_protocol.startswith("SASL"):
        password = kafka.sasl_password.get_secret_value()
        if kafka.sasl_mechanism == "PLAIN":
            return faust.SASLCredentials(username=kafka.sasl_username, password=password, ssl_context=context)
        return faust.SASLCredentials(username=kafka.sasl_username, password=password,
                                     mechanism=kafka.sasl_mechanism, ssl_context=context)
    if context is not None:
        return faust.SSLCredentials(context)
    return None
