"""Optional event catalog: events a user watches, named in YAML, matched by facts and keywords."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import yaml

from streams.core.prepare.extract import Facts, compatible_types


class CatalogError(ValueError):
    """The catalog file is missing or malformed."""


@dataclass(frozen=True)
class CatalogEvent:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    place: str = ""
    date_from: date | None = None
    date_to: date | None = None
    keywords: tuple[str, ...] = ()
    type: str = ""

    def matches(self, title_lead: str, facts: Facts, tolerance_days: float) -> list[str]:
        """The facts that match this event, or [] when the article is not about it."""
        day = facts.event_date.day if facts.event_date else None
        if self.date_from and day:
            slack = timedelta(days=tolerance_days)
            if not (self.date_from - slack <= day <= (self.date_to or self.date_from) + slack):
                return []
        text = title_lead.lower()
        why = [f"alias:{a}" for a in self.aliases if a.lower() in text]
        why += [f"keyword:{k}" for k in self.keywords if k.lower() in text]
        actors = [a for a in self.actors if any(a.lower() in p.lower() for p in facts.people)]
        place_ok = not self.place or (facts.location is not None
                                      and self.place.lower() in facts.location.label.lower())
        type_ok = not self.type or compatible_types(self.type, facts.event_type)
        if not place_ok or not type_ok:
            return []
        if why or len(actors) >= min(2, len(self.actors) or 2):
            return why + [f"actor:{a}" for a in actors] + ([f"place:{self.place}"] if self.place else []) + \
                ([f"date:{day}"] if day and self.date_from else [])
        return []


@dataclass
class Catalog:
    events: list[CatalogEvent] = field(default_factory=list)

    def match(self, title_lead: str, facts: Facts, tolerance_days: float) -> tuple[CatalogEvent, list[str]] | None:
        for event in self.events:
            why = event.matches(title_lead, facts, tolerance_days)
            if why:
                return event, why
        return None


def _date(value, where: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise CatalogError(f"{where}: not an ISO date: {value!r}") from None


def _strings(value, where: str) -> tuple[str, ...]:
    """A list of strings; a single string is a list of one (not of its letters)."""
    if value in (None, ""):
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return tuple(str(v) for v in value)
    raise CatalogError(f"{where}: expected a list of strings, got {value!r}")


def load_catalog(path: str | Path | None) -> Catalog:
    """Read a catalog file; an empty path means no catalog."""
    if not path:
        return Catalog()
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise CatalogError(f"cannot read event catalog {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise CatalogError(f"event catalog {path} is not UTF-8 text") from None
    except (yaml.YAMLError, ValueError) as exc:
        raise CatalogError(f"event catalog {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    items = data.get("events") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise CatalogError(f"event catalog {path} must have a list under 'events'")
    events = []
    for n, item in enumerate(items):
        where = f"{path}: events[{n}]"
        if not isinstance(item, dict) or not item.get("id") or not item.get("name"):
            raise CatalogError(f"{where} needs at least 'id' and 'name'")
        events.append(CatalogEvent(
            id=str(item["id"]), name=str(item["name"]), aliases=_strings(item.get("aliases"), where),
            actors=_strings(item.get("actors"), where), place=str(item.get("place") or ""),
            date_from=_date(item.get("date_from"), where), date_to=_date(item.get("date_to"), where),
            keywords=_strings(item.get("keywords"), where), type=str(item.get("type") or "")))
    return Catalog(events)
