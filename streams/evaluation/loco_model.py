"""Leave-one-corpus-out for the model decision: the pair classifier is refitted for every left-out corpus.

For each corpus, the weights are fitted on the other corpora (``loco.tuning_sets``: tuned ones sharing no
article with it), the join probability is the one of ``PROBABILITIES`` with the best mean BCubed F1 over
those same corpora, and the corpus is scored with both: it is never seen. Beside it, as in ``loco``: the
packaged weights at the shipped join probability ("defaults"), the weights fitted and the probability
chosen on the corpus itself (an upper bound, not a transfer figure), and the TF-IDF single-pass baseline.
The rows have the shape of ``loco.run``'s, so ``loco.format_table`` prints them.
"""
from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from streams.evaluation import baseline, fit_events, loco
from streams.settings import Settings
from streams.tools.progress import progress

PROBABILITIES = (0.3, 0.4, 0.5, 0.6, 0.7)
SELECTION = ("weights fitted and join probability chosen (best mean BCubed F1) on the tuning corpora, "
             "each corpus weighing the same")

_SHARED: tuple[Sequence[loco.Prepared], Settings] | None = None


def _score(task: tuple[int, str, float]) -> dict[str, Any]:
    assert _SHARED is not None
    corpora, settings = _SHARED
    index, weights, probability = task
    changed = settings.replace(event_decision="model", event_weights=weights, event_join_probability=probability)
    return loco.figures(corpora[index].gold, loco.place(corpora[index], changed))


def _score_all(corpora: Sequence[loco.Prepared], settings: Settings, tasks: list[tuple[int, str, float]],
               jobs: int) -> list[dict[str, Any]]:
    global _SHARED
    _SHARED = (corpora, settings)
    try:
        if jobs > 1 and len(tasks) > 1:
            import multiprocessing

            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                return list(progress(pool.imap(_score, tasks, chunksize=1), len(tasks), "placements"))
        return [_score(task) for task in progress(tasks, len(tasks), "placements")]
    finally:
        _SHARED = None


def _fit_to(folder: Path, corpora: Sequence[loco.Prepared], settings: Settings, tag: str) -> tuple[str, dict]:
    model, counts = fit_events.fit(corpora, settings)
    path = folder / f"{tag}.json"
    fit_events.write({model.mode: model}, path, {model.mode: {"pairs": counts}})
    return str(path), model.as_dict()


def run(corpora: Sequence[loco.Prepared], settings: Settings, probabilities: Sequence[float] = PROBABILITIES,
        jobs: int = 1) -> dict[str, Any]:
    started = time.perf_counter()
    by_name = {c.name: i for i, c in enumerate(corpora)}
    tuned_on = loco.tuning_sets(corpora)
    tuned = [c.name for c in corpora if c.tune]
    with tempfile.TemporaryDirectory(prefix="fit-events-") as folder:
        fits: dict[str, tuple[str, dict]] = {}
        for key in {",".join(on) for on in tuned_on.values() if on} | {c.name for c in corpora} | {",".join(tuned)}:
            fits[key] = _fit_to(Path(folder), [corpora[by_name[n]] for n in key.split(",")], settings,
                                f"fit-{len(fits)}")
        tasks = []
        for corpus in corpora:
            for key in {",".join(tuned_on[corpus.name]), corpus.name, ",".join(tuned)} - {""}:
                for name in set(key.split(",")) | {corpus.name}:
                    tasks += [(by_name[name], fits[key][0], p) for p in probabilities]
        tasks = sorted(set(tasks))
        scored = dict(zip(tasks, _score_all(corpora, settings, tasks, jobs)))
        defaults = {c.name: loco.figures(c.gold, loco.place(c, settings.replace(event_decision="model")))
                    for c in corpora}
    rows = []
    for corpus in corpora:
        on = tuned_on[corpus.name]
        base = [loco.figures(corpus.gold, baseline.single_pass(baseline.vectors(corpus.records), t))
                for t in baseline.THRESHOLDS]
        own = _pick(scored, fits, by_name, [corpus.name], probabilities)
        row: dict[str, Any] = {
            "corpus": corpus.name, "kind": corpus.kind, "articles": len(corpus.records),
            "events": len(set(corpus.gold)), "rejected": dict(corpus.rejected), "tuned_on": on,
            "defaults": defaults[corpus.name], "prepare_s": corpus.seconds,
            "best_on_itself": {"thresholds": {"event_join_probability": own[0]},
                               **scored[(by_name[corpus.name], fits[corpus.name][0], own[0])]},
        }
        b_own = loco.choose({corpus.name: [b["f1"] for b in base]}, [corpus.name]) or 0
        row["baseline_best_on_itself"] = {"threshold": baseline.THRESHOLDS[b_own], **base[b_own]}
        if on:
            p, _ = _pick(scored, fits, by_name, on, probabilities)
            key = ",".join(on)
            row.update({"thresholds": {"event_join_probability": p}, "thresholds_from": ", ".join(on),
                        "weights": fits[key][1], "pipeline": scored[(by_name[corpus.name], fits[key][0], p)]})
        else:
            row.update({"thresholds": {"event_join_probability": settings.event_join_probability},
                        "thresholds_from": "packaged weights (no independent corpus to fit on)",
                        "pipeline": defaults[corpus.name]})
        base_pick = loco.choose(_baseline_f1(corpora, by_name, on), on) if on else None
        row["baseline"] = {"threshold": baseline.THRESHOLDS[base_pick], **base[base_pick]} if base_pick is not None \
            else {"threshold": None}
        rows.append(row)
    p_all, mean_all = _pick(scored, fits, by_name, tuned, probabilities)
    key = ",".join(tuned)
    return {"task": "events", "decision": "model", "mode": fit_events.mode_of(settings), "selection": SELECTION,
            "hard_gates": settings.event_hard_gates,
            "best_on_all_tuned": {"thresholds": {"event_join_probability": p_all}, "tuned_on": tuned,
                                  "weights": fits[key][1], "mean_f1": mean_all,
                                  "f1": {c.name: scored[(by_name[c.name], fits[key][0], p_all)]["f1"]
                                         for c in corpora}},
            "grid": {"event_join_probability": list(probabilities)}, "grid_points": len(probabilities),
            "baseline_grid": list(baseline.THRESHOLDS),
            "defaults": {"event_join_probability": settings.event_join_probability},
            "weights": settings.event_weights or "packaged",
            "corpora": rows, "elapsed_s": time.perf_counter() - started}


def _pick(scored: dict, fits: dict, by_name: dict[str, int], on: Sequence[str],
          probabilities: Sequence[float]) -> tuple[float, float]:
    """The probability with the best mean F1 over ``on`` with the weights fitted on ``on``, and that mean."""
    weights = fits[",".join(on)][0]
    means = [sum(scored[(by_name[n], weights, p)]["f1"] for n in on) / len(on) for p in probabilities]
    best = max(range(len(probabilities)), key=lambda i: (means[i], -i))
    return probabilities[best], means[best]


def _baseline_f1(corpora: Sequence[loco.Prepared], by_name: dict[str, int], on: Sequence[str]) -> dict[str, list[float]]:
    out = {}
    for name in on:
        corpus = corpora[by_name[name]]
        vecs = baseline.vectors(corpus.records)
        out[name] = [loco.figures(corpus.gold, baseline.single_pass(vecs, t))["f1"] for t in baseline.THRESHOLDS]
    return out
