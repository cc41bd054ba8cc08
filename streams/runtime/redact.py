"""Keep secrets out of every log line, whatever logger or handler emits it.

aiokafka logs the SASL PLAIN authentication request at DEBUG (user and password inside a bytes repr), and
kafka-python and Faust log their configuration in places. A filter on a logger sees only records created on
that logger, not on its children (``aiokafka.conn``), and Faust installs its own handlers when the worker
starts; so the redaction is done where every record is made: a log record factory that rewrites the
message when it contains a secret (as text, or as it appears inside a ``bytes`` or ``str`` repr).
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

MASK = "***"
_installed: list[str] = []


def forms(secret: str) -> set[str]:
    """How a secret can appear in a message: itself, inside a str repr, inside a bytes repr."""
    return {form for form in (secret, repr(secret)[1:-1], repr(secret.encode("utf-8"))[2:-1]) if form}


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def redact_logs(secrets: Iterable[str]) -> None:
    """Install (once per process) a record factory masking ``secrets`` in every log record's message and
    exception text. Adding secrets later extends the same factory."""
    new = sorted({form for secret in secrets if secret for form in forms(secret)} - set(_installed))
    if not new:
        return
    first = not _installed
    _installed.extend(new)
    if not first:
        return
    make = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a record whose arguments do not format: leave it to logging
            return record
        if any(secret in message for secret in _installed):
            record.msg, record.args = redact(message, _installed), ()
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and any(secret in str(error) for secret in _installed):
            record.exc_info, record.exc_text = None, None  # the traceback could repeat it
            record.msg = f"{redact(record.getMessage(), _installed)} ({type(error).__name__}: " \
                         f"{redact(str(error), _installed)})"
            record.args = ()
        return record

    logging.setLogRecordFactory(factory)
