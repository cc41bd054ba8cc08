"""The pipeline's settings, declared in sections (pydantic-settings): each field has a description and a range.

Values come from defaults, then ``STREAMS_*`` environment variables, then command-line flags (``--set``).
A setting is named flat, as before the sections (``near_copy_jaccard``, ``STREAMS_NEAR_COPY_JACCARD``), or
dotted by its section (``dedup.near_copy_jaccard``, ``STREAMS_DEDUP__NEAR_COPY_JACCARD``). Every bad name or
value is reported as one ``SettingsError`` line. Domain code receives its section (``settings.events``...);
the flat attributes (``settings.near_copy_jaccard``) stay readable for the runtime and the tools.
"""
from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from operator import attrgetter
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

ENV_PREFIX = "STREAMS_"
NESTED = "__"
"""``STREAMS_DEDUP__NEAR_COPY_JACCARD``: the environment's spelling of ``dedup.near_copy_jaccard``."""
SECRET_FILES = {"sasl_password_file": "sasl_password", "ssl_password_file": "ssl_password"}
"""A secret can be read from a file (e.g. a mounted Kubernetes/Docker secret) instead of the command line."""
Mechanism = Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"]
SASL_MECHANISM: Mechanism = "SCRAM-SHA-512"
"""The one SASL mechanism default, for kafka-python, aiokafka and Faust alike."""


class SettingsError(ValueError):
    """A setting is unknown or has a value of the wrong type or range."""


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _mechanism(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip().upper()
        return value or SASL_MECHANISM  # empty: the default, as in STREAMS_SASL_MECHANISM=""
    return value


Flag = Annotated[bool, BeforeValidator(_stripped)]
Secret = SecretStr
Port = Annotated[int, Field(ge=0, le=65535)]


class Section(BaseModel):
    """One group of settings: frozen, no unknown names, no NaN or infinity."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, validate_default=True)


class KafkaSettings(Section):
    """Kafka connection: brokers, SASL and TLS, client timeouts and batching."""

    bootstrap: str = Field(default="localhost:9092", description="host:port[,host:port] of the Kafka brokers")
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", description="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL")
    sasl_mechanism: Annotated[Mechanism, BeforeValidator(_mechanism)] = (
        Field(default=SASL_MECHANISM, description="SASL mechanism of every client (replayer, worker, readers)"))
    sasl_username: str = Field(default="", description="SASL user")
    sasl_password: Secret = Field(default=SecretStr(""), description="SASL password (never printed)")
    sasl_password_file: str = Field(default="", description="read sasl_password from this file (one line) instead of the "
                                    "command line or environment")
    ssl_cafile: str = Field(default="", description="CA bundle for TLS")
    ssl_certfile: str = Field(default="", description="client certificate for TLS")
    ssl_keyfile: str = Field(default="", description="client key for TLS")
    ssl_password: Secret = Field(default=SecretStr(""), description="password of the client key (never printed)")
    ssl_password_file: str = Field(default="", description="read ssl_password from this file (one line)")
    connect_timeout_s: float = Field(default=30.0, gt=0, le=3600, description="how long the replayer waits for Kafka")
    fetch_max_wait_ms: int = Field(default=50, ge=1, le=60_000, description=(
        "longest a worker's fetch waits on an empty partition; a broker that does not answer a waiting fetch "
        "when data arrives (the embedded one) adds up to this much latency per stage"))
    producer_linger_ms: int = Field(default=5, ge=0, le=1000, description=(
        "how long the worker's producer gathers records into one request: fewer, larger requests (the worker "
        "sends a few output records per article, and one record per batch between the stages) for a few ms of "
        "latency"))

    @model_validator(mode="after")
    def _check_bootstrap(self) -> KafkaSettings:
        if not self.bootstrap_servers:
            raise ValueError("bootstrap must name at least one host:port")
        for server in self.bootstrap_servers:
            host, _, port = server.rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"bootstrap entry {server!r} is not host:port")
        return self

    @property
    def bootstrap_servers(self) -> list[str]:
        """Brokers as a list of host:port, any ``kafka://`` prefix removed."""
        items = [s.strip() for s in self.bootstrap.split(",") if s.strip()]
        return [s.split("://", 1)[-1] for s in items]


class TopicSettings(Section):
    """Topic names, partitions and replication of the topics the project creates."""

    topic_raw: str = Field(default="articles-raw", min_length=1, description="raw articles in")
    topic_enriched: str = Field(default="articles-enriched", min_length=1, description="articles with story and events")
    topic_stories: str = Field(default="stories", min_length=1, description="compacted story records")
    topic_events: str = Field(default="events", min_length=1, description="compacted event records")
    topic_aggregates: str = Field(default="aggregates", min_length=1, description="aggregate records")
    topic_dead: str = Field(default="articles-dead", min_length=1, description="dead letters with reason")
    topic_keyed: str = Field(default="articles-keyed", min_length=1, description=(
        "internal: prepared articles routed by candidate key (where duplicates meet)"))
    topic_resolve: str = Field(default="articles-resolve", min_length=1, description=(
        "internal, one partition: articles and match verdicts, in the order stories are resolved"))
    partitions: int = Field(default=4, ge=1, le=1000, description="partitions of the topics the app creates")
    replication: int = Field(default=1, ge=1, le=100, description="replication factor of created topics")


class WorkerSettings(Section):
    """The Faust worker: app id, state, ports, batching, idle partitions and stopping."""

    app_id: str = Field(default="news-streams", min_length=1, description="Faust app id / consumer group")
    store: str = Field(default="memory://", pattern=r"^(memory|rocksdb)://", description=(
        "Faust table store: memory:// or rocksdb://"))
    data_dir: str = Field(default=".streams-data", min_length=1, description="worker state directory")
    bind_address: str = Field(default="127.0.0.1", min_length=1, description=(
        "address the worker's metrics and Faust web ports listen on (0.0.0.0 to be scraped from other hosts "
        "or containers)"))
    web_port: Port = Field(default=6066, description="Faust web port")
    metrics_port: Port = Field(default=9108, description="Prometheus /metrics port of the worker (0: none)")
    batch_size: int = Field(default=32, ge=1, le=1024, description=(
        "most records an agent takes and processes at once (32, 128 and 256 measured the same worker CPU per "
        "article: docs/benchmarks.md)"))
    batch_wait_s: float = Field(default=0.05, gt=0, le=10, description=(
        "longest an agent waits to fill a batch of batch_size records before processing what it has"))
    idle_after_s: float = Field(default=1.0, ge=0, le=3600, description=(
        "a raw partition read to its end and quiet this long is declared idle: it stops holding back the "
        "placement of newer articles"))
    resolve_share: float | None = Field(default=None, ge=0, le=0.9, description=(
        "the resolve stage's share of the work when one worker runs every stage: the worker holding the resolve "
        "partition gets that much less of the other topics' partitions (0: an even share; unset: 0.3 with "
        "semantic off, 0.05 with it on, as measured in docs/benchmarks.md)"))
    stop_timeout_s: float = Field(default=10.0, gt=0, le=3600, description=(
        "a worker asked to stop (SIGTERM, or its broker lost its state) that has not stopped this many seconds "
        "later exits anyway (uncommitted records are processed again)"))


class InputSettings(Section):
    """Raw records: size limits, trusted publication times, and the ticks of a publisher in publication order."""

    max_record_bytes: int = Field(default=2_000_000, ge=1, le=100_000_000, description="larger raw records are dead-lettered")
    max_future_skew_hours: float = Field(default=24.0, ge=0, description=(
        "a publication time more than this after the record was sent is not trusted: the article is kept, "
        "flagged (published_trusted false, date_error) and placed at its partition's event time"))
    max_past_days: float = Field(default=10_950.0, gt=0, description=(
        "a publication time more than this before the record was sent (default ~30 years) is not trusted"))
    tick_every_s: float = Field(default=0.1, ge=0, le=3600, description=(
        "how often the replayer (and the benchmark), sending in publication order, tells every raw partition "
        "that nothing older will come (a tick record), so that the resolver need not wait for each "
        "partition's next article; 0: no ticks"))

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


class ModelSettings(Section):
    """The text model."""

    semantic: Flag = Field(default=True, description=(
        "use the MiniLM sentence embedding for paraphrases and events (false: TF-IDF only)"))


class DedupSettings(Section):
    """Story matching (near copies and paraphrases), late arrivals and how long per-article state is kept."""

    near_copy_jaccard: float = Field(default=0.5, gt=0, le=1, description="5-shingle Jaccard for a near-verbatim copy")
    paraphrase_cosine: float = Field(default=0.85, gt=0, le=1, description="lead-embedding cosine for a paraphrase")
    paraphrase_support_cosine: float = Field(default=0.75, gt=0, le=1, description="lower cosine accepted with shared quotes")
    story_window_hours: float = Field(default=72.0, gt=0, description="publication-time window for story matching")
    late_hours: float = Field(default=24.0, ge=0, description=(
        "how late (in publication time, behind the newest article) an article may arrive and still meet every "
        "candidate: state is dropped window + late hours behind the publication time every raw partition has "
        "reached"))
    ordered_resolve: Flag = Field(default=True, description=(
        "place articles in publication order once every raw partition passed them (deterministic stories, "
        "events and aggregates whatever the worker timing); false: as soon as matched"))
    max_skew_hours: float = Field(default=168.0, gt=0, description=(
        "state is also dropped this far behind the newest article, even if a raw partition lags or idles"))
    replay_horizon_hours: float = Field(default=336.0, ge=1, description=(
        "how long (in publication time) per-article state is kept: the ids that recognise a replay, until "
        "their raw partition is this far past them, and the members listed in story and event records. An "
        "article this far behind its raw partition is dead-lettered as too_late, so none counts twice; "
        "at least late_hours"))

    record_members: int = Field(default=200, ge=1, le=100_000, description=(
        "most members a story or event record lists, the last placed (its size counts them all, and every "
        "article's story and event are on articles-enriched): a storyline with thousands of copies would "
        "otherwise resend them all on every update"))

    @model_validator(mode="after")
    def _horizon_covers_late(self) -> DedupSettings:
        if not self.replay_horizon_hours >= self.late_hours:
            raise ValueError(f"replay_horizon_hours must be >= late_hours ({self.late_hours:g}), "
                             f"got {self.replay_horizon_hours:g}")
        return self


class EventSettings(Section):
    """Event clustering: similarity cuts, activity windows, date tolerance and the optional catalog."""

    event_similarity: float = Field(default=0.53, gt=0, le=1, description=(
        "lead-embedding cosine to an active event's centroid to join it: the F1-optimal cut for 'same or "
        "related story' (Overall <= 2) on SemEval-2022 en-en pairs"))
    event_similarity_lexical: float = Field(default=0.11, gt=0, le=1, description=(
        "the same for TF-IDF cosine, used when semantic is off (same calibration)"))
    event_similarity_strong: float = Field(default=0.65, gt=0, le=1, description=(
        "cosine that also joins a dormant event, or one whose date, city or dateline country disagrees "
        "(storylines only): the F1-optimal cut for 'same event' (Overall <= 1.5) on SemEval-2022 en-en"))
    event_similarity_strong_lexical: float = Field(default=0.15, gt=0, le=1, description=(
        "the same for TF-IDF cosine when semantic is off (same calibration)"))
    event_similarity_short: float = Field(default=0.47, gt=0, le=1, description=(
        "event_similarity for a headline-only item (title and text under 50 words): titles share fewer words "
        "and sit further from an event's centroid; its strong threshold is lowered by the same amount "
        "(streams/core/resolve/short_items.py). 0.47: best mean BCubed F1 of 0.35-0.53 on title-only copies of "
        "the long, lookalike and pairs dev corpora at the default thresholds (docs/evaluation.md)"))
    event_similarity_short_lexical: float = Field(default=0.11, gt=0, le=1, description=(
        "the same for TF-IDF cosine when semantic is off (the title-only dev corpora want no lower cut)"))
    event_corroborated_factor: float = Field(default=0.75, gt=0, le=1, description=(
        "an event with the item's event date (within event_date_tolerance_days) and a shared actor or the same "
        "dateline/lead place needs this fraction of the similarity threshold (1: facts do not lower it; "
        "streams/core/resolve/corroboration.py)"))
    event_window_days: float = Field(default=7.0, gt=0, description=(
        "an event is active while its last article is at most this old; later, strong similarity only"))
    event_retention_days: float = Field(default=365.0, gt=0, description=(
        "how long after its last article a dormant event is kept and can still be joined"))
    event_date_tolerance_days: float = Field(default=1.0, ge=0, description="max gap between event dates that match")
    catalog: str = Field(default="", description="YAML event catalog (optional)")
    event_decision: Literal["threshold", "model"] = Field(default="threshold", description=(
        "how an article joins an event: 'model' (a logistic pair classifier over who/what/where/when and text "
        "similarity, streams/core/resolve/event_model.py) or 'threshold' (text similarity against "
        "event_similarity*, facts as gates)"))
    event_weights: str = Field(default="", description=(
        "JSON weights of the pair classifier (default: the packaged streams/core/resolve/event_weights.json; "
        "refit with `python -m streams eval fit-events`)"))
    event_join_probability: float = Field(default=0.5, gt=0, lt=1, description=(
        "model decision: the probability of 'same event' an article needs to join its best event"))
    event_hard_gates: bool = Field(default=True, description=(
        "model decision: keep the sure facts as hard gates (a call is not a summit; for summits, calls, visits "
        "and meetings another dateline country, city or date keeps events apart)"))


class AggregateSettings(Section):
    """Tumbling-window aggregates."""

    windows: str = Field(default="60,3600", description="tumbling window sizes in seconds, comma separated")
    top_events: int = Field(default=5, ge=1, le=1000, description="events listed per window")

    @model_validator(mode="after")
    def _check_windows(self) -> AggregateSettings:
        if not self.window_seconds:
            raise ValueError(f"windows must list positive seconds, got {self.windows!r}")
        return self

    @property
    def window_seconds(self) -> tuple[int, ...]:
        try:
            values = tuple(int(v) for v in self.windows.split(",") if v.strip())
        except ValueError:
            return ()
        return values if all(v > 0 for v in values) else ()


SECTIONS: dict[str, type[Section]] = {
    "kafka": KafkaSettings, "topics": TopicSettings, "worker": WorkerSettings, "input": InputSettings,
    "model": ModelSettings, "dedup": DedupSettings, "events": EventSettings, "aggregates": AggregateSettings,
}
FLAT: dict[str, tuple[str, str]] = {name: (section, name) for section, cls in SECTIONS.items()
                                    for name in cls.model_fields}
"""Every flat name (unique over the sections) and its (section, field)."""
SECRET_FIELDS = frozenset(name for name, (section, _) in FLAT.items()
                          if SECTIONS[section].model_fields[name].annotation is SecretStr)


def field_info(name: str) -> FieldInfo:
    section, field = FLAT[name]
    return SECTIONS[section].model_fields[field]


def describe_range(info: FieldInfo) -> str:
    """What a field accepts, in words: ``0 < float <= 1``, ``one of A, B``, ``true/false``..."""
    kind = info.annotation
    if get_origin(kind) is Literal:
        return "one of " + ", ".join(str(v) for v in get_args(kind))
    name = "true/false" if kind is bool else "secret" if kind is SecretStr else getattr(kind, "__name__", str(kind))
    bounds = {key: getattr(item, key) for item in info.metadata for key in ("ge", "gt", "le", "lt")
              if getattr(item, key, None) is not None}
    low = f"{bounds['ge']} <= " if "ge" in bounds else f"{bounds['gt']} < " if "gt" in bounds else ""
    high = f" <= {bounds['le']}" if "le" in bounds else f" < {bounds['lt']}" if "lt" in bounds else ""
    pattern = next((item.pattern for item in info.metadata if getattr(item, "pattern", None)), None)
    return f"{low}{name}{high}" + (f" matching {pattern}" if pattern else "")


class Settings(BaseSettings):
    """Everything the worker, the replayer and the demo can be configured with, by section.

    ``Settings(...)`` takes flat names, dotted names or whole sections and reads no environment (``load`` does).
    """

    model_config = SettingsConfigDict(frozen=True, extra="forbid", env_prefix=ENV_PREFIX)

    kafka: KafkaSettings = Field(default=KafkaSettings(), description=KafkaSettings.__doc__)
    topics: TopicSettings = Field(default=TopicSettings(), description=TopicSettings.__doc__)
    worker: WorkerSettings = Field(default=WorkerSettings(), description=WorkerSettings.__doc__)
    input: InputSettings = Field(default=InputSettings(), description=InputSettings.__doc__)
    model: ModelSettings = Field(default=ModelSettings(), description=ModelSettings.__doc__)
    dedup: DedupSettings = Field(default=DedupSettings(), description=DedupSettings.__doc__)
    events: EventSettings = Field(default=EventSettings(), description=EventSettings.__doc__)
    aggregates: AggregateSettings = Field(default=AggregateSettings(), description=AggregateSettings.__doc__)

    def __init__(self, _shown: Mapping[str, str] | None = None, **values: Any) -> None:
        nested, shown = _nest(values, _shown or {})
        try:
            super().__init__(**nested)
        except ValidationError as exc:
            raise _one_line(exc, nested, shown) from None

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)  # the environment is read by ``load`` (StreamsEnvSource), not by construction

    if TYPE_CHECKING:
        def __getattr__(self, name: str) -> Any:
            """The flat names of before the sections (``settings.near_copy_jaccard``): read-only properties
            added below, one per field."""

    @property
    def bootstrap_servers(self) -> list[str]:
        return self.kafka.bootstrap_servers

    @property
    def internal_record_bytes(self) -> int:
        return self.input.internal_record_bytes

    @property
    def producer_request_bytes(self) -> int:
        return self.input.producer_request_bytes

    @property
    def window_seconds(self) -> tuple[int, ...]:
        return self.aggregates.window_seconds

    def flat(self) -> dict[str, Any]:
        """Every setting by its flat name (secrets as SecretStr)."""
        return {name: getattr(getattr(self, section), field) for name, (section, field) in FLAT.items()}

    def as_env(self) -> dict[str, str]:
        """The settings as ``STREAMS_*`` variables (what ``load`` reads back), e.g. for a worker process; an unset
        one (None) is left out. A secret read from a file is passed on as the file's name, not its content."""
        values = {name: _plain(value) for name, value in self.flat().items()}
        for file_field, secret in SECRET_FILES.items():
            if values[file_field]:
                values[secret] = ""
        return {f"{ENV_PREFIX}{name.upper()}": str(value) for name, value in values.items()
                if value is not None}  # an unset setting stays unset

    def secrets(self) -> list[str]:
        """The secret values set (to keep them out of logs)."""
        return [getattr(self, name).get_secret_value() for name in sorted(SECRET_FIELDS)
                if getattr(self, name).get_secret_value()]

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` (flat or dotted names), validated like any settings."""
        values: dict[str, Any] = {section: getattr(self, section).model_dump() for section in SECTIONS}
        return Settings(**values, **changes)

    def public(self) -> dict[str, dict[str, Any]]:
        """Settings by section with secrets masked ("***", or "" when unset): safe to log or print."""
        return {section: {field: _masked(getattr(getattr(self, section), field)) for field in cls.model_fields}
                for section, cls in SECTIONS.items()}

    def __repr__(self) -> str:  # never leak secrets through repr/logging
        inner = ", ".join(f"{k}={v!r}" for k, v in self.public().items())
        return f"Settings({inner})"

    __str__ = __repr__


for _name, (_section, _field) in FLAT.items():  # settings.near_copy_jaccard reads settings.dedup.near_copy_jaccard
    setattr(Settings, _name, property(attrgetter(f"{_section}.{_field}"),
                                      doc=SECTIONS[_section].model_fields[_field].description))


def _plain(value: Any) -> Any:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def _masked(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return "***" if value.get_secret_value() else ""
    return value


def _nest(values: Mapping[str, Any], shown: Mapping[str, str]) -> tuple[dict[str, Any], dict[tuple[str, str], str]]:
    """Flat, dotted and section values as {section: {field: value}}; also how each was named by the user."""
    nested: dict[str, dict[str, Any]] = {}
    named: dict[tuple[str, str], str] = {}
    for name, value in values.items():
        if name in SECTIONS and isinstance(value, (Mapping, Section)):
            items = value.model_dump() if isinstance(value, Section) else dict(value)
            nested.setdefault(name, {}).update(items)
            continue
        section, field = resolve_name(name, shown.get(name, name))
        nested.setdefault(section, {})[field] = value
        named[(section, field)] = shown.get(name, name)
    return dict(nested), named


def resolve_name(name: str, shown: str | None = None) -> tuple[str, str]:
    """``near_copy_jaccard`` or ``dedup.near_copy_jaccard`` as (section, field); an unknown name is an error."""
    if "." in name:
        section, _, field = name.partition(".")
        if section in SECTIONS and field in SECTIONS[section].model_fields:
            return section, field
    elif name in FLAT:
        return FLAT[name]
    shown = shown or name
    prefix = ENV_PREFIX if shown.startswith(ENV_PREFIX) else ""
    raise unknown_setting(shown, name, FLAT, prefix=prefix)


def _one_line(exc: ValidationError, nested: Mapping[str, Any], shown: Mapping[tuple[str, str], str]
              ) -> SettingsError:
    """The first problem as one line: the setting as the user named it, the value, the range, the description."""
    error = exc.errors(include_url=False)[0]
    loc = tuple(str(part) for part in error["loc"])
    section, field = (loc + ("", ""))[:2]
    message = error["msg"].removeprefix("Value error, ")
    if section not in SECTIONS or field not in SECTIONS[section].model_fields:  # a check over a whole section
        named = min((n for n in FLAT if n in message and FLAT[n][0] == section), key=message.index, default="")
        if not named:
            return SettingsError(f"settings: {message}")
        section, field = FLAT[named]
    info = SECTIONS[section].model_fields[field]
    name = shown.get((section, field), field)
    value = nested.get(section, {}).get(field, info.default)
    if isinstance(value, SecretStr) or field in SECRET_FIELDS:
        value = "***"
    return SettingsError(f"setting {name} = {value!r}: {message}; expects {describe_range(info)} "
                         f"({section}.{field}: {info.description})")


class StreamsEnvSource(PydanticBaseSettingsSource):
    """``STREAMS_*`` variables of a mapping (the environment by default), flat or ``SECTION__FIELD``."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str] | None = None) -> None:
        super().__init__(settings_cls)
        self.env = os.environ if env is None else env

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # values are collected by __call__

    def __call__(self) -> dict[str, Any]:
        """{name as written without the prefix, lower case, dotted: raw value} of every STREAMS_ variable."""
        out: dict[str, Any] = {}
        for key, raw in self.env.items():
            if key.startswith(ENV_PREFIX):
                out[key[len(ENV_PREFIX):].lower().replace(NESTED, ".")] = raw
        return out


def load(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from ``STREAMS_*`` variables and explicit overrides (flags, flat or dotted names)."""
    values: dict[str, Any] = {}
    shown: dict[str, str] = {}
    for name, raw in StreamsEnvSource(Settings, env)().items():
        variable = f"{ENV_PREFIX}{name.upper().replace('.', NESTED)}"
        key = ".".join(resolve_name(name, variable))
        values[key], shown[key] = raw, variable
    for name, raw in overrides.items():
        if raw is not None:
            key = ".".join(resolve_name(name))
            values[key], shown[key] = raw, name
    return Settings(_shown=shown, **_read_secret_files(values))


def _read_secret_files(values: dict[str, Any]) -> dict[str, Any]:
    """Fill ``sasl_password``/``ssl_password`` from their ``*_file`` settings (first line, no newline)."""
    for file_field, secret in SECRET_FILES.items():
        file_key, secret_key = ".".join(FLAT[file_field]), ".".join(FLAT[secret])
        path = values.get(file_key)
        if not path:
            continue
        try:
            with open(path, encoding="utf-8") as handle:
                values[secret_key] = handle.readline().rstrip("\r\n")
        except OSError as exc:
            raise SettingsError(f"{file_field} {path!r} cannot be read: {exc.strerror or exc}") from None
        if not values[secret_key]:
            raise SettingsError(f"{file_field} {path!r} is empty")
    return values


def unknown_setting(shown: str, name: str, known: Iterable[str], prefix: str = "") -> SettingsError:
    """One line: the unknown name, the closest known one, and every known name."""
    names = sorted(known)
    dotted = [f"{section}.{field}" for field, (section, _) in FLAT.items()] if "." in name else []
    close = difflib.get_close_matches(name, names + dotted, n=1, cutoff=0.6)
    if close and prefix:
        hint = f"; did you mean {prefix}{close[0].upper().replace('.', NESTED)}?"
    else:
        hint = f"; did you mean {close[0]}?" if close else ""
    return SettingsError(f"unknown setting {shown}{hint} (known: {', '.join(names)}; or SECTION.NAME)")


def assignments(items: Iterable[str]) -> dict[str, str]:
    """``--set NAME=VALUE`` items as {name: value} (dashes in names read as underscores)."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise SettingsError(f"--set expects NAME=VALUE, got {item!r}")
        out[name.strip().replace("-", "_")] = value
    return out

