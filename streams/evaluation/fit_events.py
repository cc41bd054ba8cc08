"""Fit the event pair classifier (streams/core/resolve/event_model.py) on development corpora.

Training pairs come from replaying each corpus in publication order with its gold events: every article
is compared with every event open at that moment (the candidates the pipeline would score, after the
hard gates when they are on), labelled 1 for its gold event and 0 for the others, then put in its gold
event. A logistic regression over the features of those pairs gives the weights; each corpus weighs the
same (its pairs share one corpus' worth of weight), so the 596 SemEval pairs do not drown the rest.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from streams.core.resolve.event_features import NAMES, SIGNS
from streams.core.resolve.event_model import PACKAGED, EventModel
from streams.evaluation.datasets import DatasetError
from streams.settings import Settings

REGULARISATION_C = 1.0
"""Inverse L2 strength of the logistic regression (scikit-learn's default)."""


def mode_of(settings: Settings) -> str:
    return "semantic" if settings.semantic else "lexical"


def training_pairs(corpus: Any, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows (in ``NAMES[mode]`` order) and labels of the corpus' (article, open event) pairs."""
    from streams.core.resolve.events import EventIndex

    mode = mode_of(settings)
    index = EventIndex(settings.replace(event_decision="threshold").events, semantic=settings.semantic)
    event_of: dict[str, str] = {}
    rows: list[list[float]] = []
    labels: list[int] = []
    for (article, prepared, _), label in zip(corpus.items, corpus.gold):
        text = article.title + ". " + prepared.cleaned
        embedding = prepared.fingerprint.embedding
        vector, candidates = index.candidate_features(prepared.facts, text, article.timestamp, embedding,
                                                      mode == "semantic")
        gold = event_of.get(label)
        for event, features in candidates:
            rows.append([features[name] for name in NAMES[mode]])
            labels.append(int(event.id == gold))
        event = index.put(gold, article.id, article.source, article.timestamp, prepared.facts, vector, embedding)
        event_of[label] = event.id
    return np.asarray(rows, dtype=float).reshape(-1, len(NAMES[mode])), np.asarray(labels, dtype=int)


def fit(corpora: Sequence[Any], settings: Settings) -> tuple[EventModel, dict[str, dict[str, int]]]:
    """Weights fitted on the pairs of ``corpora`` (each corpus weighs the same), and the pairs per corpus."""
    mode = mode_of(settings)
    every = [training_pairs(c, settings) for c in corpora]
    counts = {c.name: {"pairs": int(len(y)), "same_event": int(y.sum())} for c, (_, y) in zip(corpora, every)}
    parts = [(x, y) for x, y in every if len(y)]
    if not parts or not any(y.any() for _, y in parts) or all(y.all() for _, y in parts):
        raise DatasetError(f"no pairs of both kinds to fit on in {', '.join(c.name for c in corpora)}")
    x = np.vstack([x for x, _ in parts])
    y = np.concatenate([y for _, y in parts])
    weight = np.concatenate([np.full(len(y_), len(y) / (len(parts) * len(y_))) for _, y_ in parts])
    intercept, coef = logistic(x, y, weight, [SIGNS.get(name, 0) for name in NAMES[mode]])
    weights = {name: round(float(w), 4) for name, w in zip(NAMES[mode], coef)}
    return EventModel(mode, round(intercept, 4), weights, tuple(c.name for c in corpora)), counts


def logistic(x: np.ndarray, y: np.ndarray, weight: np.ndarray, signs: Sequence[int],
             c: float = REGULARISATION_C) -> tuple[float, np.ndarray]:
    """L2-regularised logistic regression (scikit-learn's objective: sum of weighted log-losses + |w|^2 / 2C,
    intercept not penalised), each weight kept on the side ``signs`` gives it (+1: >= 0, -1: <= 0, 0: free)."""
    from scipy.optimize import minimize

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = theta[0] + x @ theta[1:]
        p = 1.0 / (1.0 + np.exp(-z))
        value = float(np.sum(weight * (np.logaddexp(0.0, z) - y * z))) + float(theta[1:] @ theta[1:]) / (2 * c)
        residual = weight * (p - y)
        return value, np.concatenate([[residual.sum()], x.T @ residual + theta[1:] / c])

    bounds = [(None, None)] + [(0.0, None) if s > 0 else (None, 0.0) if s < 0 else (None, None) for s in signs]
    result = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B", bounds=bounds,
                      options={"maxiter": 5000})
    return float(result.x[0]), result.x[1:]


def write(models: dict[str, EventModel], path: str | Path, about: dict[str, Any]) -> None:
    """Write (or update, mode by mode) a weights file."""
    target = Path(path)
    data: dict[str, Any] = orjson.loads(target.read_bytes()) if target.exists() else {}
    data.setdefault("models", {})
    for mode, model in models.items():
        data["models"][mode] = {**model.as_dict(), **about.get(mode, {})}
    data["about"] = ("Weights of the event pair classifier (streams/core/resolve/event_model.py): log-odds of "
                     "'same event' = intercept + sum(weight * feature). Fitted by `python -m streams eval "
                     "fit-events` on the corpora named in trained_on (built by `python -m streams eval "
                     "build-corpora`); never on giveme5w1h as a whole.")
    target.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")


def fit_command(entries: Sequence[dict[str, Any]], settings: Settings, on: Sequence[str] | None,
                out: str | Path = PACKAGED, limit: int | None = None) -> dict[str, Any]:
    """Fit on the manifest's tuned corpora (or those named in ``on``) and write the weights to ``out``."""
    from streams.evaluation import loco

    started = time.perf_counter()
    names = list(on) if on else [e["name"] for e in entries if e.get("tune", True)]
    unknown = [n for n in names if n not in {e["name"] for e in entries}]
    if unknown:
        raise DatasetError(f"--on: no corpus named {', '.join(unknown)} in the manifest")
    corpora = loco.load([e for e in entries if e["name"] in names], settings, limit)
    model, counts = fit(corpora, settings)
    about = {"hard_gates": settings.event_hard_gates, "pairs": counts,
             "limit": limit, "regularisation_c": REGULARISATION_C}
    write({model.mode: model}, out, {model.mode: about})
    return {"task": "fit-events", "mode": model.mode, "out": str(out), **model.as_dict(), **about,
            "elapsed_s": time.perf_counter() - started}


def format_fit(result: dict[str, Any]) -> str:
    lines = [f"Event pair classifier ({result['mode']} mode), fitted on {', '.join(result['trained_on'])} "
             f"-> {result['out']}", f"  intercept {result['intercept']:+.3f}"]
    lines += [f"  {name:<24} {w:+.3f}" for name, w in sorted(result["weights"].items(), key=lambda kv: -abs(kv[1]))]
    lines.append("  pairs: " + ", ".join(f"{n} {c['pairs']} ({c['same_event']} same event)"
                                         for n, c in result["pairs"].items()))
    return "\n".join(lines)
