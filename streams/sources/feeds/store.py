"""The seen-store: which entries were published already, and each feed's HTTP validators."""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import orjson

log = logging.getLogger(__name__)

STATE_FILE = "feeds-state.json"
MAX_KEY_CHARS = 300


class SeenStore:
    """Entry keys (GUIDs, URLs) -> first-seen time, plus per-feed HTTP validators.

    One JSON file in the state dir, rewritten atomically (temp file + fsync +
    rename), holding at most ``max_entries`` keys; the keys dropped first are
    those not listed by any feed for the longest time.
    A corrupt file is moved aside and the store starts empty: entries then get
    published again with the same ids, which downstream state absorbs."""

    def __init__(self, state_dir: str | Path, max_entries: int = 100_000) -> None:
        self.dir = Path(state_dir)
        self.path = self.dir / STATE_FILE
        self.max_entries = max(1, int(max_entries))
        self._lock = threading.Lock()
        self._seen: dict[str, float] = {}
        self._validators: dict[str, dict[str, str]] = {}
        self._dirty = False
        self._load()

    @staticmethod
    def key(kind: str, value: str) -> str:
        key = f"{kind}:{value}"
        if len(key) > MAX_KEY_CHARS:
            key = f"{kind}:sha256:{hashlib.sha256(value.encode('utf-8', 'replace')).hexdigest()}"
        return key

    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            data = orjson.loads(self.path.read_bytes())
            seen = data["seen"]
            validators = data.get("validators", {})
            if not isinstance(seen, dict) or not isinstance(validators, dict):
                raise ValueError("wrong shape")
            self._seen = {str(k): float(v) for k, v in seen.items()}
            self._validators = {str(k): dict(v) for k, v in validators.items() if isinstance(v, dict)}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            aside = self.path.with_name(f"{STATE_FILE}.corrupt-{int(time.time())}")
            log.warning("feed state %s is unreadable (%s); moved to %s, starting empty", self.path, exc, aside)
            try:
                os.replace(self.path, aside)
            except OSError:
                pass
            self._seen, self._validators = {}, {}

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return key in self._seen

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)

    def add(self, keys: Iterable[str], when: float | None = None) -> None:
        """Remember new keys; keys already known keep their first-seen time but move to the
        young end, so entries still listed by a feed are the last to be forgotten."""
        when = time.time() if when is None else when
        with self._lock:
            for key in keys:
                first = self._seen.pop(key, None)
                if first is None:
                    self._seen[key] = when
                    self._dirty = True
                else:
                    self._seen[key] = first  # reordering alone does not force a write
            overflow = len(self._seen) - self.max_entries
            if overflow > 0:  # dicts keep insertion order = first-seen order
                for key in list(self._seen)[:overflow]:
                    del self._seen[key]

    def validators(self, feed_url: str) -> tuple[str | None, str | None]:
        with self._lock:
            entry = self._validators.get(feed_url, {})
            return entry.get("etag"), entry.get("last_modified")

    def set_validators(self, feed_url: str, etag: str | None, last_modified: str | None) -> None:
        with self._lock:
            new = {k: v for k, v in (("etag", etag), ("last_modified", last_modified)) if v}
            if self._validators.get(feed_url, {}) != new:
                self._validators[feed_url] = new
                self._dirty = True

    def save(self) -> bool:
        """Write the file if anything changed; returns whether it wrote."""
        with self._lock:
            if not self._dirty:
                return False
            payload = orjson.dumps({"version": 1, "seen": self._seen, "validators": self._validators})
            self._dirty = False
        self.dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{STATE_FILE}.", dir=self.dir)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with self._lock:
                self._dirty = True
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        return True
