"""Sources that read articles from disk: a directory of text files or a JSONL file."""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from streams.core.prepare.clean import split_title
from streams.sources.base import RawRecord, article_id

METADATA_FILE = "metadata.json"


class SourceError(ValueError):
    """The path given to a file source cannot be read as articles."""


@dataclass
class DirectorySource:
    """Reads ``*.txt`` (a page saved as text: the title is its first line that is not page furniture
    such as "close" or "Advertisement", the body follows) and ``*.json`` files.

    The file name without extension is the article id. An optional
    ``metadata.json`` sidecar maps ids to ``source``, ``url`` and ``published``;
    any of them may be missing.
    """

    path: Path
    name: str = "directory"

    def records(self) -> Iterator[RawRecord]:
        metadata = self._metadata()
        for file in sorted(self.path.iterdir()):
            if file.name == METADATA_FILE or file.suffix not in (".txt", ".json"):
                continue
            record = self._read(file)
            if "_raw" in record:
                yield record
                continue
            record.setdefault("id", file.stem)
            for key, value in metadata.get(record["id"], {}).items():
                record.setdefault(key, value)
            yield record

    def _metadata(self) -> dict[str, dict]:
        sidecar = self.path / METADATA_FILE
        if not sidecar.exists():
            return {}
        try:
            data = json.loads(sidecar.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise SourceError(f"{sidecar}: not valid JSON ({exc})") from None
        return {k: v for k, v in data.items() if isinstance(v, dict)}

    @staticmethod
    def _read(file: Path) -> RawRecord:
        raw = file.read_text(encoding="utf-8", errors="replace")
        if file.suffix == ".json":
            try:
                record = orjson.loads(raw)
            except orjson.JSONDecodeError:
                record = None
            # Not an object: passed on as raw bytes so the worker dead-letters it with a reason.
            return dict(record) if isinstance(record, dict) else {"_raw": file.read_bytes()}
        title, body = split_title(raw)
        return {"title": title, "text": body}


@dataclass
class JsonlSource:
    """Reads one JSON object per line; lines that are not objects are passed on as-is
    (the worker dead-letters them), so nothing in the file is silently dropped."""

    path: Path
    name: str = "jsonl"

    def records(self) -> Iterator[RawRecord]:
        with self.path.open("rb") as handle:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    record = orjson.loads(line)
                except orjson.JSONDecodeError:
                    yield {"_raw": line.rstrip(b"\n")}
                    continue
                if isinstance(record, dict) and "text" in record:
                    record = dict(record)
                    record["id"] = article_id(record)
                yield record if isinstance(record, dict) else {"_raw": line.rstrip(b"\n")}


def open_source(path: str | Path) -> DirectorySource | JsonlSource:
    """Pick the file source for ``path``; a missing path is one clear error."""
    path = Path(path)
    if path.is_dir():
        return DirectorySource(path)
    if path.is_file():
        return JsonlSource(path)
    raise SourceError(f"no such directory or JSONL file: {path}")
