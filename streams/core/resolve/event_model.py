"""The pair classifier of the event decision: a logistic regression over ``event_features``.

P(article belongs to event) = 1 / (1 + exp(-(intercept + sum of weight * feature))). Each term
``weight * feature`` is that feature's contribution (in log-odds), shown in the member's evidence. The
weights come from a small JSON file fitted on development corpora (``python -m streams eval fit-events``);
the file says which corpora. The packaged file (``event_weights.json`` beside this module) is read at
start-up; nothing is downloaded.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from streams.core.resolve.event_features import NAMES

PACKAGED = Path(__file__).with_name("event_weights.json")


class WeightsError(ValueError):
    """A weights file that cannot be used (missing, unreadable, other features)."""


@dataclass(frozen=True)
class EventModel:
    mode: str
    intercept: float
    weights: dict[str, float]
    trained_on: tuple[str, ...] = ()

    def log_odds(self, features: dict[str, float]) -> tuple[float, dict[str, float]]:
        """The log-odds of "same event" and each feature's contribution to it (non-zero ones only)."""
        contributions = {name: w * features.get(name, 0.0) for name, w in self.weights.items()}
        return self.intercept + sum(contributions.values()), {n: c for n, c in contributions.items() if c}

    def probability(self, features: dict[str, float]) -> tuple[float, dict[str, float]]:
        z, contributions = self.log_odds(features)
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z)))), contributions

    def as_dict(self) -> dict[str, Any]:
        return {"intercept": self.intercept, "weights": self.weights, "trained_on": list(self.trained_on)}


def load(mode: str, path: str | Path = "") -> EventModel:
    """The model of ``mode`` ("lexical" or "semantic") from ``path``, or the packaged weights."""
    source = Path(path) if path else PACKAGED
    try:
        data = orjson.loads(source.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise WeightsError(f"event weights {source}: {exc}") from None
    return from_dict(mode, data, str(source))


def from_dict(mode: str, data: dict[str, Any], source: str = "weights") -> EventModel:
    entry = data.get("models", {}).get(mode)
    if not isinstance(entry, dict):
        raise WeightsError(f"event weights {source}: no model for {mode} mode")
    weights = {str(k): float(v) for k, v in entry.get("weights", {}).items()}
    if set(weights) != set(NAMES[mode]):
        raise WeightsError(f"event weights {source}: {mode} features {sorted(weights)} are not "
                           f"{sorted(NAMES[mode])}; refit with `python -m streams eval fit-events`")
    return EventModel(mode, float(entry["intercept"]), weights, tuple(entry.get("trained_on", ())))
