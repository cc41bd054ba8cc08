"""One settings object for the whole pipeline.

Values come from defaults, then ``STREAMS_*`` environment variables, then
command-line flags. Every bad value is reported as one ``SettingsError`` line.
"""
from __future__ import annotations

import dataclasses
import difflib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

ENV_PREFIX = "STREAMS_"
SECRET_FIELDS = frozenset({"sasl_password", "ssl_password"})
SECRET_FILES = {"sasl_password_file": "sasl_password", "ssl_password_file": "ssl_password"}
"""A secret can be read from a file (e.g. a mounted Kubernetes/Docker secret) instead of the command line."""


class SettingsError(ValueError):
    """A setting is unknown or has a value of the wrong type or range."""


@dataclass(frozen=True)
class Settings:
    """Everything the worker, the replayer and the demo can be configured with."""

    # Kafka connection
    bootstrap: str = field(default="localhost:9092", metadata={"help": "host:port[,host:port] of the Kafka brokers"})
    security_protocol: str = field(default="PLAINTEXT", metadata={"help": "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL"})
    sasl_mechanism: str = field(default="", metadata={"help": "SCRAM-SHA-256, SCRAM-SHA-512 or PLAIN"})
    sasl_username: str = field(default="", metadata={"help": "SASL user"})
    sasl_password: str = field(default="", metadata={"help": "SASL password (never printed)"})
    ssl_cafile: str = field(default="", metadata={"help": "CA bundle for TLS"})
    ssl_certfile: str = field(default="", metadata={"help": "client certificate for TLS"})
    ssl_keyfile: str = field(default="", metadata={"help": "client key for TLS"})
    ssl_password: str = field(default="", metadata={"help": "password of the client key (never printed)"})
    sasl_password_file: str = field(default="", metadata={
        "help": "read sasl_password from this file (one line) instead of the command line or environment"})
    ssl_password_file: str = field(default="", metadata={"help": "read ssl_password from this file (one line)"})
    connect_timeout_s: float = field(default=30.0, metadata={"help": "how long the replayer waits for Kafka"})
    stop_timeout_s: float = field(default=10.0, metadata={
        "help": "a worker asked to stop (SIGTERM, or its broker lost its state) that has not stopped this many "
                "seconds later exits anyway (uncommitted records are processed again)"})
    # Faust app and topics
    app_id: str = field(default="news-streams", metadata={"help": "Faust app id / consumer group"})
    topic_raw: str = field(default="articles-raw", metadata={"help": "raw articles in"})
    topic_enriched: str = field(default="articles-enriched", metadata={"help": "articles with story and events"})
    topic_stories: str = field(default="stories", metadata={"help": "compacted story records"})
    topic_events: str = field(default="events", metadata={"help": "compacted event records"})
    topic_aggregates: str = field(default="aggregates", metadata={"help": "aggregate records"})
    topic_dead: str = field(default="articles-dead", metadata={"help": "dead letters with reason"})
    topic_keyed: str = field(default="articles-keyed", metadata={
        "help": "internal: prepared articles routed by candidate key (where duplicates meet)"})
    topic_resolve: str = field(default="articles-resolve", metadata={
        "help": "internal, one partition: articles and match verdicts, in the order stories are resolved"})
    partitions: int = field(default=4, metadata={"help": "partitions of the topics the app creates"})
    replication: int = field(default=1, metadata={"help": "replication factor of created topics"})
    store: str = field(default="memory://", metadata={"help": "Faust table store: memory:// or rocksdb://"})
    data_dir: str = field(default=".streams-data", metadata={"help": "worker state directory"})
    bind_address: str = field(default="127.0.0.1", metadata={
        "help": "address the worker's metrics and Faust web ports listen on (0.0.0.0 to be scraped from "
                "other hosts or containers)"})
    web_port: int = field(default=6066, metadata={"help": "Faust web port"})
    metrics_port: int = field(default=9108, metadata={"help": "Prometheus /metrics port of the worker"})
    fetch_max_wait_ms: int = field(default=50, metadata={
        "help": "longest a worker's fetch waits on an empty partition; a broker that does not answer a waiting "
                "fetch when data arrives (the embedded one) adds up to this much latency per stage"})
    producer_linger_ms: int = field(default=5, metadata={
        "help": "how long the worker's producer gathers records into one request: fewer, larger requests "
                "(the worker sends ~10 records per article) for a few ms of latency"})
    batch_wait_s: float = field(default=0.05, metadata={
        "help": "longest an agent waits to fill a batch of 32 records before processing what it has"})
    # Input limits
    max_record_bytes: int = field(default=2_000_000, metadata={"help": "larger raw records are dead-lettered"})
    max_future_skew_hours: float = field(default=24.0, metadata={
        "help": "a publication time more than this after the record was sent is not trusted: the article is "
                "kept, flagged (published_trusted false, date_error) and placed at its partition's event time"})
    max_past_days: float = field(default=10_950.0, metadata={
        "help": "a publication time more than this before the record was sent (default ~30 years) is not trusted"})
    # Dedup
    semantic: bool = field(default=True, metadata={"help": "use the MiniLM sentence embedding for paraphrases"})
    near_copy_jaccard: float = field(default=0.5, metadata={"help": "5-shingle Jaccard for a near-verbatim copy"})
    paraphrase_cosine: float = field(default=0.85, metadata={"help": "lead-embedding cosine for a paraphrase"})
    paraphrase_support_cosine: float = field(default=0.75, metadata={"help": "lower cosine accepted with shared quotes"})
    story_window_hours: float = field(default=72.0, metadata={"help": "publication-time window for story matching"})
    late_hours: float = field(default=24.0, metadata={
        "help": "how late (in publication time, behind the newest article) an article may arrive and still meet "
                "every candidate: state is dropped window + late hours behind the publication time every raw "
                "partition has reached"})
    ordered_resolve: bool = field(default=True, metadata={
        "help": "place articles in publication order once every raw partition passed them (deterministic "
                "stories, events and aggregates whatever the worker timing); false: as soon as matched"})
    idle_after_s: float = field(default=1.0, metadata={
        "help": "a raw partition read to its end and quiet this long is declared idle: it stops holding "
                "back the placement of newer articles"})
    max_skew_hours: float = field(default=168.0, metadata={
        "help": "state is also dropped this far behind the newest article, even if a raw partition lags or idles"})
    replay_horizon_hours: float = field(default=336.0, metadata={
        "help": "how long (in publication time) per-article state is kept: the ids that recognise a replay, "
                "until their raw partition is this far past them, and the members listed in story and event "
                "records. An article this far behind its raw partition is dead-lettered as too_late, so none "
                "counts twice"})
    # Events
    event_similarity: float = field(default=0.53, metadata={
        "help": "lead-embedding cosine to an active event's centroid to join it: the F1-optimal cut for "
                "'same or related story' (Overall <= 2) on SemEval-2022 en-en pairs"})
    event_similarity_lexical: float = field(default=0.11, metadata={
        "help": "the same for TF-IDF cosine, used when semantic is off (same calibration)"})
    event_similarity_strong: float = field(default=0.65, metadata={
        "help": "cosine that also joins a dormant event, or one whose date, city or dateline country disagrees "
                "(storylines only): the F1-optimal cut for 'same event' (Overall <= 1.5) on SemEval-2022 en-en"})
    event_similarity_strong_lexical: float = field(default=0.15, metadata={
        "help": "the same for TF-IDF cosine when semantic is off (same calibration)"})
    event_window_days: float = field(default=7.0, metadata={
        "help": "an event is active while its last article is at most this old; later, strong similarity only"})
    event_retention_days: float = field(default=365.0, metadata={
        "help": "how long after its last article a dormant event is kept and can still be joined"})
    event_date_tolerance_days: float = field(default=1.0, metadata={"help": "max gap between event dates that match"})
    catalog: str = field(default="", metadata={"help": "YAML event catalog (optional)"})
    # Aggregates
    windows: str = field(default="60,3600", metadata={"help": "tumbling window sizes in seconds, comma separated"})
    top_events: int = field(default=5, metadata={"help": "events listed per window"})
    # Events: the pair classifier (issue 17; added at the end while settings.py is being split into sections)
    event_decision: str = field(default="threshold", metadata={
        "help": "how an article joins an event: 'model' (a logistic pair classifier over who/what/where/when "
                "and text similarity, streams/core/resolve/event_model.py) or 'threshold' (text similarity "
                "against event_similarity*, facts as gates)"})
    event_weights: str = field(default="", metadata={
        "help": "JSON weights of the pair classifier (default: the packaged "
                "streams/core/resolve/event_weights.json; refit with `python -m streams eval fit-events`)"})
    event_join_probability: float = field(default=0.5, metadata={
        "help": "model decision: the probability of 'same event' an article needs to join its best event"})
    event_hard_gates: bool = field(default=True, metadata={
        "help": "model decision: keep the sure facts as hard gates (a call is not a summit; for summits, calls, "
                "visits and meetings another dateline country, city or date keeps events apart)"})

    def __post_init__(self) -> None:
        self._check()

    def _check(self) -> None:
        if self.partitions < 1:
            raise SettingsError(f"partitions must be >= 1, got {self.partitions}")
        for name in ("web_port", "metrics_port"):
            port = getattr(self, name)
            if not 0 <= port <= 65535:
                raise SettingsError(f"{name} must be a TCP port (0-65535), got {port}")
        if self.security_protocol not in ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"):
            raise SettingsError(f"security_protocol must be PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, "
                                f"got {self.security_protocol!r}")
        if not self.bootstrap_servers:
            raise SettingsError("bootstrap must name at least one host:port")
        for server in self.bootstrap_servers:
            host, _, port = server.rpartition(":")
            if not host or not port.isdigit():
                raise SettingsError(f"bootstrap entry {server!r} is not host:port")
        if not 1 <= self.fetch_max_wait_ms <= 60_000:
            raise SettingsError(f"fetch_max_wait_ms must be 1-60000, got {self.fetch_max_wait_ms}")
        if not 0 <= self.producer_linger_ms <= 1000:
            raise SettingsError(f"producer_linger_ms must be 0-1000, got {self.producer_linger_ms}")
        if not 0 < self.batch_wait_s <= 10:
            raise SettingsError(f"batch_wait_s must be > 0 and <= 10, got {self.batch_wait_s}")
        if not self.window_seconds:
            raise SettingsError(f"windows must list positive seconds, got {self.windows!r}")
        if not self.stop_timeout_s > 0:
            raise SettingsError(f"stop_timeout_s must be > 0, got {self.stop_timeout_s:g}")
        if not self.max_future_skew_hours >= 0 or not self.max_past_days > 0:
            raise SettingsError("max_future_skew_hours must be >= 0 and max_past_days > 0")
        if self.event_decision not in ("model", "threshold"):
            raise SettingsError(f"event_decision must be 'model' or 'threshold', got {self.event_decision!r}")
        if not 0.0 < self.event_join_probability < 1.0:
            raise SettingsError(f"event_join_probability must be between 0 and 1, got {self.event_join_probability:g}")
        if not self.replay_horizon_hours >= max(self.late_hours, 1.0):
            raise SettingsError(f"replay_horizon_hours must be >= late_hours ({self.late_hours:g}) and >= 1, "
                                f"got {self.replay_horizon_hours:g}")

    @property
    def bootstrap_servers(self) -> list[str]:
        """Brokers as a list of host:port, any ``kafka://`` prefix removed."""
        items = [s.strip() for s in self.bootstrap.split(",") if s.strip()]
        return [s.split("://", 1)[-1] for s in items]

    @property
    def internal_record_bytes(self) -> int:
        """The largest record the worker sends on an internal or output topic. A raw record of
        ``max_record_bytes`` becomes a registration with its cleaned text, quotes and metadata (measured: 1.3x
        the raw size for a quote-heavy 1.9 MB article); 2x + 256 KB is allowed. A derived record over it is not
        sent: the raw record is dead-lettered as too_large instead."""
        return 2 * self.max_record_bytes + 262_144

    @property
    def producer_request_bytes(self) -> int:
        """The worker producer's ``max_request_size`` and ``max.message.bytes`` of the topics the project
        creates: one internal record at its limit plus the request's overhead."""
        return self.internal_record_bytes + 65_536

    @property
    def window_seconds(self) -> tuple[int, ...]:
        try:
            values = tuple(int(v) for v in self.windows.split(",") if v.strip())
        except ValueError:
            return ()
        return values if all(v > 0 for v in values) else ()

    def as_env(self) -> dict[str, str]:
        """The settings as ``STREAMS_*`` variables (what ``load`` reads back), e.g. for a worker process.
        A secret read from a file is passed on as the file's name, not its content."""
        values = dataclasses.asdict(self)
        for file_field, secret in SECRET_FILES.items():
            if values[file_field]:
                values[secret] = ""
        return {f"{ENV_PREFIX}{name.upper()}": str(value) for name, value in values.items()}

    def secrets(self) -> list[str]:
        """The secret values set (to keep them out of logs)."""
        return [getattr(self, name) for name in sorted(SECRET_FIELDS) if getattr(self, name)]

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def public(self) -> dict[str, Any]:
        """Settings as a dict with secrets masked: safe to log or print."""
        out = dataclasses.asdict(self)
        for name in SECRET_FIELDS:
            if out.get(name):
                out[name] = "***"
        return out

    def __repr__(self) -> str:  # never leak secrets through repr/logging
        inner = ", ".join(f"{k}={v!r}" for k, v in self.public().items())
        return f"Settings({inner})"


def _convert(name: str, kind: Any, raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    kind = {"int": int, "float": float, "bool": bool, "str": str}.get(kind, kind)
    try:
        if kind is bool:
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        return kind(raw)
    except ValueError:
        raise SettingsError(f"setting {name} expects {kind.__name__}, got {raw!r}") from None


def load(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from ``STREAMS_*`` variables and explicit overrides (flags)."""
    env = os.environ if env is None else env
    known = {f.name: f for f in fields(Settings)}
    values: dict[str, Any] = {}
    for key, raw in env.items():
        if not key.startswith(ENV_PREFIX):
            continue
        name = key[len(ENV_PREFIX):].lower()
        if name not in known:
            raise unknown_setting(key, name, known, prefix=ENV_PREFIX)
        values[name] = _convert(key, known[name].type, raw)
    for name, raw in overrides.items():
        if raw is None:
            continue
        if name not in known:
            raise unknown_setting(name, name, known)
        values[name] = _convert(f"--{name.replace('_', '-')}", known[name].type, raw)
    return Settings(**_read_secret_files(values))


def _read_secret_files(values: dict[str, Any]) -> dict[str, Any]:
    """Fill ``sasl_password``/``ssl_password`` from their ``*_file`` settings (first line, no newline)."""
    for file_field, secret in SECRET_FILES.items():
        path = values.get(file_field)
        if not path:
            continue
        try:
            with open(path, encoding="utf-8") as handle:
                values[secret] = handle.readline().rstrip("\r\n")
        except OSError as exc:
            raise SettingsError(f"{file_field} {path!r} cannot be read: {exc.strerror or exc}") from None
        if not values[secret]:
            raise SettingsError(f"{file_field} {path!r} is empty")
    return values


def unknown_setting(shown: str, name: str, known: Iterable[str], prefix: str = "") -> SettingsError:
    """One line: the unknown name, the closest known one, and every known name."""
    names = sorted(known)
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    hint = f"; did you mean {prefix}{close[0].upper() if prefix else close[0]}?" if close else ""
    return SettingsError(f"unknown setting {shown}{hint} (known: {', '.join(names)})")


def assignments(items: Iterable[str]) -> dict[str, str]:
    """``--set NAME=VALUE`` items as {name: value} (dashes in names read as underscores)."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise SettingsError(f"--set expects NAME=VALUE, got {item!r}")
        out[name.strip().replace("-", "_")] = value
    return out
