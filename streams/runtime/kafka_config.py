"""Translate the settings' connection fields into client configuration (kafka-python, aiokafka, Faust)."""
from __future__ import annotations

import ssl
from typing import Any

from streams.settings import Settings


def kafka_python_config(settings: Settings) -> dict[str, Any]:
    """Connection keyword arguments for kafka-python clients."""
    config: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "security_protocol": settings.security_protocol,
    }
    if settings.security_protocol.startswith("SASL"):
        config.update(sasl_mechanism=settings.sasl_mechanism or "SCRAM-SHA-512",
                      sasl_plain_username=settings.sasl_username,
                      sasl_plain_password=settings.sasl_password)
    if settings.security_protocol.endswith("SSL"):
        config.update(ssl_cafile=settings.ssl_cafile or None, ssl_certfile=settings.ssl_certfile or None,
                      ssl_keyfile=settings.ssl_keyfile or None, ssl_password=settings.ssl_password or None)
    return config


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """An SSL context for aiokafka/Faust when TLS is on."""
    if not settings.security_protocol.endswith("SSL"):
        return None
    context = ssl.create_default_context(cafile=settings.ssl_cafile or None)
    if settings.ssl_certfile:
        context.load_cert_chain(settings.ssl_certfile, settings.ssl_keyfile or None, settings.ssl_password or None)
    return context


def aiokafka_config(settings: Settings) -> dict[str, Any]:
    """Connection keyword arguments for aiokafka clients (readers of the topics outside Faust)."""
    return {"bootstrap_servers": settings.bootstrap_servers, "security_protocol": settings.security_protocol,
            "ssl_context": ssl_context(settings), "sasl_mechanism": settings.sasl_mechanism or "PLAIN",
            "sasl_plain_username": settings.sasl_username or None,
            "sasl_plain_password": settings.sasl_password or None}


def faust_credentials(settings: Settings) -> Any:
    """Faust ``broker_credentials`` for SASL/TLS, or None for plaintext."""
    import faust

    context = ssl_context(settings)
    if settings.security_protocol.startswith("SASL"):
        mechanism = (settings.sasl_mechanism or "SCRAM-SHA-512").upper()
        if mechanism == "PLAIN":
            return faust.SASLCredentials(username=settings.sasl_username, password=settings.sasl_password,
                                         ssl_context=context)
        return faust.SASLCredentials(username=settings.sasl_username, password=settings.sasl_password,
                                     mechanism=mechanism, ssl_context=context)
    if context is not None:
        return faust.SSLCredentials(context)
    return None
