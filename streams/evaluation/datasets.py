"""Loaders for the labelled evaluation data (JSON Lines, one record a line).

Two kinds of file are understood:

* clustering: records with ``id``, ``title``, ``text``, ``published``, ``source``
  and a gold ``label`` (the real-world event / story the article belongs to);
* pairs: records with two texts ``a`` and ``b``, a gold ``label`` (1 = very
  similar .. 4 = very dissimilar) and the languages ``lang_a`` and ``lang_b``.

Every problem with a file (missing, unreadable, bad JSON, wrong fields) is
raised as a :class:`DatasetError` whose message is one line naming the file
and, where it applies, the line number.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import orjson

from streams.core.dates import read_date_or_none

__all__ = ["DatasetError", "detect_kind", "load_clustering", "load_pairs", "publication_time"]

Kind = Literal["clustering", "pairs"]


class DatasetError(ValueError):
    """A dataset file is missing, unreadable or not in the expected shape."""


def _records(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, record) for every non-blank line of a JSONL file."""
    path = Path(path)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DatasetError(f"{path}: is a directory, not a JSONL file") from None
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                reason = str(exc).splitlines()[0] if str(exc) else "invalid JSON"
                raise DatasetError(f"{path}: line {number}: not valid JSON ({reason})") from None
            if not isinstance(record, dict):
                raise DatasetError(f"{path}: line {number}: expected a JSON object, got {type(record).__name__}")
            yield number, record


def _require(path: str | Path, number: int, record: dict[str, Any], names: tuple[str, ...]) -> None:
    missing = [name for name in names if name not in record]
    if missing:
        raise DatasetError(f"{path}: line {number}: missing field(s) {', '.join(missing)}")


def publication_time(value: Any) -> float | None:
    """Seconds since the epoch of an ISO 8601 / RFC 2822 date (naive = UTC); None if absent or unreadable."""
    parsed = read_date_or_none(value)
    return None if parsed is None else parsed.timestamp()


def detect_kind(path: str | Path) -> Kind:
    """``"pairs"`` if the first record has ``a``, ``b`` and ``label``; ``"clustering"`` if it
    has ``label`` and ``title`` or ``text``. Anything else is a :class:`DatasetError`."""
    for _, record in _records(path):
        if {"a", "b", "label"} <= record.keys():
            return "pairs"
        if "label" in record and ("title" in record or "text" in record):
            return "clustering"
        raise DatasetError(f"{path}: first record has fields {', '.join(sorted(record)) or '(none)'}; "
                           "expected a clustering (title, text, label) or pair (a, b, label) dataset")
    raise DatasetError(f"{path}: no records")


def load_clustering(path: str | Path) -> list[dict[str, Any]]:
    """All records of a clustering file, sorted by ``published``.

    The sort is stable (file order among equal times) and records without a
    readable date come last, in file order. Records are returned as read.
    """
    records: list[tuple[int, dict[str, Any]]] = []
    for number, record in _records(path):
        _require(path, number, record, ("label",))
        if "title" not in record and "text" not in record:
            raise DatasetError(f"{path}: line {number}: missing field(s) title, text")
        records.append((number, record))
    if not records:
        raise DatasetError(f"{path}: no records")

    def key(item: tuple[int, dict[str, Any]]) -> tuple[bool, float]:
        when = publication_time(item[1].get("published"))
        return (when is None, when if when is not None else 0.0)

    return [record for _, record in sorted(records, key=key)]


def load_pairs(path: str | Path, langs: tuple[str, str] | None = ("en", "en")) -> list[dict[str, Any]]:
    """Pair records whose ``(lang_a, lang_b)`` equals ``langs`` (order matters); all if ``langs`` is None.

    ``label`` must be a finite number; ``a`` and ``b`` must be strings.
    """
    pairs: list[dict[str, Any]] = []
    seen = 0
    for number, record in _records(path):
        _require(path, number, record, ("a", "b", "label"))
        seen += 1
        label = record["label"]
        if isinstance(label, bool) or not isinstance(label, (int, float)) or not math.isfinite(label):
            raise DatasetError(f"{path}: line {number}: label must be a number, got {label!r}")
        if not isinstance(record["a"], str) or not isinstance(record["b"], str):
            raise DatasetError(f"{path}: line {number}: a and b must be strings")
        if langs is not None and (record.get("lang_a"), record.get("lang_b")) != tuple(langs):
            continue
        pairs.append(record)
    if not seen:
        raise DatasetError(f"{path}: no records")
    return pairs
