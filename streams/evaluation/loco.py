"""Leave-one-corpus-out evaluation of event tagging: thresholds chosen on the other corpora.

For every corpus, the event thresholds (a grid over the ``Settings`` that decide whether an article joins
an event) are set to the grid point with the best mean BCubed F1 over the *other* corpora that share no
article with it (``origin``), and the corpus is scored at that point. The shipped defaults and the best
point on the corpus itself (tuned on it: not a transfer figure) are shown beside it, and so is the
baseline (``streams.evaluation.baseline``) with its threshold chosen the same way.

The headline-only threshold (``SHORT_GRIDS``) is chosen second, with the articles' thresholds of the fold fixed,
on the fold's tuning corpora plus title-only versions of them (``load(titles=True)``, ``title_only``: derived,
same ``origin`` as their source, tuned on but not reported). Points within ``TIE`` of the best mean F1 resolve
to the one closest to the plain rule (``choose``, ``departure``).

Articles are prepared (clean, fingerprint, embed, extract) and matched once per corpus; only the resolver
(stories, events) runs again for each grid point, with the very ``Resolver.place`` the workers run.
"""
from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from streams.evaluation import baseline
from streams.evaluation.datasets import DatasetError, load_clustering
from streams.evaluation.scores import bcubed, pairwise
from streams.settings import FLAT, Settings, SettingsError
from streams.tools.progress import progress

GRIDS: dict[str, dict[str, tuple[float, ...]]] = {
    "lexical": {"event_similarity_lexical": (0.06, 0.08, 0.11, 0.14, 0.18, 0.24, 0.3),
                "event_similarity_strong_lexical": (0.15, 0.2, 0.3, 0.4)},
    "semantic": {"event_similarity": (0.4, 0.47, 0.53, 0.6, 0.68),
                 "event_similarity_strong": (0.6, 0.65, 0.75)},
}
"""Default grids per mode. A point whose strong threshold is below its plain one is skipped (the pipeline
uses the larger of the two)."""
SHORT_GRIDS: dict[str, dict[str, tuple[float, ...]]] = {
    "lexical": {"event_similarity_short_lexical": (0.04, 0.06, 0.08, 0.11, 0.14, 0.18)},
    "semantic": {"event_similarity_short": (0.33, 0.4, 0.47, 0.53, 0.6)},
}
"""The headline-only threshold of each mode, chosen second (``run``): with the articles' thresholds of the fold
fixed, on the fold's tuning corpora and the title-only versions of them (``title_only``)."""
PLAIN = {"event_similarity_short_lexical": "event_similarity_lexical", "event_similarity_short": "event_similarity"}
SELECTION = ("best mean BCubed F1 over the tuning corpora (each corpus weighs the same; within 0.005 of it, the "
             "point closest to the plain rule)")


@dataclass
class Prepared:
    """One corpus after the per-article work, ready to be placed again and again."""

    name: str
    kind: str
    tune: bool
    records: list[dict[str, Any]]
    gold: list[str]
    origins: frozenset[str]
    items: list[tuple[Any, Any, list[dict]]]  # (article, prepared, verdicts as dicts)
    rejected: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    derived_from: str = ""
    """A title-only version of this tuning corpus (``title_only``): tuned on, not reported."""

    @cached_property
    def short(self) -> bool:
        """Mostly headline-only items (``short_items.is_short``; read once per corpus, asked per grid point)."""
        from streams.core.resolve.short_items import is_short

        shorts = sum(is_short(article.title + ". " + p.cleaned) for article, p, _ in self.items)
        return shorts * 2 > len(self.items)


def grid_for(settings: Settings, overrides: dict[str, Sequence[float]] | None = None) -> dict[str, tuple[float, ...]]:
    """The grid of the mode ``settings`` is in, or ``overrides``; names must be settings. The short-item
    threshold (``SHORT_GRIDS``) is not part of it: see ``short_grid_for``."""
    known = set(FLAT)
    mode = "semantic" if settings.semantic else "lexical"
    grid = {n: v for n, v in overrides.items() if n not in PLAIN} if overrides else dict(GRIDS[mode])
    unknown = [name for name in grid if name not in known]
    if unknown:
        raise SettingsError(f"--grid: unknown setting(s) {', '.join(unknown)}")
    if not grid:
        grid = dict(GRIDS[mode])
    return {name: tuple(float(v) for v in values) for name, values in grid.items()}


def short_grid_for(settings: Settings, overrides: dict[str, Sequence[float]] | None = None
                   ) -> dict[str, tuple[float, ...]]:
    """The short-item threshold of the mode and its values (``--grid`` may give them)."""
    name, values = next(iter(SHORT_GRIDS["semantic" if settings.semantic else "lexical"].items()))
    asked = (overrides or {}).get(name, values)
    return {name: tuple(float(v) for v in asked)}


def points(grid: dict[str, tuple[float, ...]]) -> list[dict[str, float]]:
    """Every combination, skipping those where a ``*strong*`` threshold is below its plain counterpart."""
    names = list(grid)
    out = []
    for values in itertools.product(*(grid[n] for n in names)):
        point = dict(zip(names, values))
        if any(point[n] < point[n.replace("_strong", "")] for n in names
               if "_strong" in n and n.replace("_strong", "") in point):
            continue
        out.append(point)
    return out


def prepare(name: str, kind: str, tune: bool, records: list[dict[str, Any]], settings: Settings,
            pipeline: Any = None) -> Prepared:
    """Validate, prepare and match the corpus once (rejected records are counted, most rejected is an error)."""
    from streams.core.model import BadRecord, parse_article
    from streams.core.pipeline import Pipeline
    from streams.evaluation.run import NotScored, require_scored

    started = time.perf_counter()
    pipeline = pipeline or Pipeline(settings)
    articles, kept = [], []
    rejected: Counter[str] = Counter()
    for record in records:
        try:
            articles.append(parse_article(record))
            kept.append(record)
        except BadRecord as exc:
            rejected[exc.reason] += 1
    try:
        require_scored(len(records), rejected)
    except NotScored as exc:
        raise NotScored(f"corpus {name}: {exc}") from None
    prepared = [p for i in progress(range(0, len(articles), 32), (len(articles) + 31) // 32, f"{name}: preparing")
                for p in pipeline.preparer.prepare(articles[i:i + 32])]
    items = []
    for article, p in zip(articles, prepared):
        links = pipeline.matcher.match(0, p.fingerprint, p.keys)
        items.append((article, p, [link.decision.as_dict() for link in links]))
    origins = frozenset(str(r.get("origin") or f"{name}:{r.get('id')}") for r in kept)
    return Prepared(name, kind, tune, kept, [str(r["label"]) for r in kept], origins, items, rejected,
                    time.perf_counter() - started)


def place(corpus: Prepared, settings: Settings) -> list[str]:
    """The event of every article with these settings (a fresh resolver, articles in order)."""
    from streams.core.match.decision import Decision, Link
    from streams.core.pipeline import Resolver

    resolver = Resolver(settings)
    resolver.clock.observe = False  # no Prometheus metrics from the grid
    out = []
    for article, p, verdicts in corpus.items:
        links = [Link(article.id, article.timestamp, Decision.from_dict(d)) for d in verdicts]
        result = resolver.place(article, p.text_key, p.cleaned, p.facts, p.fingerprint.embedding, links)
        out.append(result.event_ids[0] if result.event_ids else f"(none):{article.id}")
    return out


def figures(gold: Sequence[str], pred: Sequence[Any]) -> dict[str, Any]:
    b = bcubed(gold, pred)
    return {"precision": b.precision, "recall": b.recall, "f1": b.f1, "pairwise_f1": pairwise(gold, pred).f1,
            "predicted_events": len(set(pred))}


def tuning_sets(corpora: Sequence[Prepared]) -> dict[str, list[str]]:
    """For each corpus, the corpora its thresholds are chosen on: the others that are tuned on and share no
    article with it."""
    return {c.name: [o.name for o in corpora if o is not c and o.tune and not (o.origins & c.origins)]
            for c in corpora}


TIE = 0.005
"""Mean BCubed F1 differences below this are not told apart (one event more or less moves these corpora's F1
by 0.01-0.02): among the points that close to the best, ``choose`` takes the simplest (``cost``)."""


def choose(scores: dict[str, list[float]], on: Sequence[str], cost: Sequence[float] | None = None) -> int | None:
    """Index of the grid point with the best mean F1 over ``on`` (the first of equals); None if ``on`` is empty.
    With ``cost`` (per point: how far it departs from the plain rule), the cheapest point within ``TIE`` of the
    best mean, then the best mean among those: a threshold the tuning corpora cannot tell apart (an undated
    corpus barely exercises the strong one) stays at the plain rule instead of following noise."""
    if not on:
        return None
    means = [sum(scores[name][i] for name in on) / len(on) for i in range(len(scores[on[0]]))]
    if cost is None:
        return max(range(len(means)), key=lambda i: (means[i], -i))
    top = max(means)
    near = [i for i in range(len(means)) if means[i] >= top - TIE]
    return min(near, key=lambda i: (round(cost[i], 9), -means[i], i))


def departure(point: dict[str, float]) -> float:
    """How far a point departs from the plain threshold: the strong one above it, the short one below it."""
    out = 0.0
    for name, value in point.items():
        plain = name.replace("_strong", "") if "_strong" in name else PLAIN.get(name)
        if plain and plain in point:
            out += abs(value - point[plain])
    return out


_SHARED: tuple[Sequence[Prepared], Settings, list[dict[str, float]]] | None = None
"""What forked grid workers read (inherited, not pickled)."""


def _score_point(task: tuple[int, int]) -> dict[str, Any]:
    assert _SHARED is not None
    corpora, settings, grid_points = _SHARED
    corpus = corpora[task[0]]
    return figures(corpus.gold, place(corpus, settings.replace(**grid_points[task[1]])))


def _score_tasks(corpora: Sequence[Prepared], settings: Settings, grid_points: list[dict[str, float]],
                 tasks: list[tuple[int, int]], jobs: int, what: str) -> list[dict[str, Any]]:
    """Figures of (corpus index, point index) tasks; ``jobs`` > 1: in that many forked processes."""
    global _SHARED
    _SHARED = (corpora, settings, grid_points)
    try:
        if jobs > 1 and len(tasks) > 1:
            import multiprocessing

            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                return list(progress(pool.imap(_score_point, tasks, chunksize=1), len(tasks), what))
        return [_score_point(task) for task in progress(tasks, len(tasks), what)]
    finally:
        _SHARED = None


def _grid_results(corpora: Sequence[Prepared], settings: Settings, grid_points: list[dict[str, float]],
                  jobs: int, only: Sequence[int] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Figures of every grid point on every corpus (``only``: these corpus indexes)."""
    chosen = range(len(corpora)) if only is None else only
    tasks = [(c, p) for c in chosen for p in range(len(grid_points))]
    scored = _score_tasks(corpora, settings, grid_points, tasks, jobs, "grid points")
    out: dict[str, list[dict[str, Any]]] = {corpora[c].name: [] for c in chosen}
    for (c, _), figure in zip(tasks, scored):
        out[corpora[c].name].append(figure)
    return out


def _stage_a_point(point: dict[str, float], settings: Settings, short_name: str) -> dict[str, float]:
    """A point of the articles' grid with the short-item threshold at the articles' own (no short rule yet)."""
    plain = PLAIN[short_name]
    return {**point, short_name: point.get(plain, getattr(settings, plain))}


def short_values_at(point: dict[str, float], short: dict[str, tuple[float, ...]]) -> tuple[float, ...]:
    """The short-item values tried at an articles' point: the grid's, and the articles' own (no short rule)."""
    name, values = next(iter(short.items()))
    plain = point.get(PLAIN[name])
    return tuple(sorted(set(values) | ({plain} if plain is not None else set())))


def _short_results(corpora: Sequence[Prepared], settings: Settings, grid_points: list[dict[str, float]],
                   short: dict[str, tuple[float, ...]], needed: set[tuple[int, int]], jobs: int
                   ) -> dict[tuple[int, int], list[tuple[float, dict[str, Any]]]]:
    """For each (corpus index, articles' point index) in ``needed``: (short value, figures) at every value."""
    name = next(iter(short))
    short_points: list[dict[str, float]] = []
    at: dict[int, int] = {}
    for p in sorted({p for _, p in needed}):
        at[p] = len(short_points)
        short_points += [{**grid_points[p], name: v} for v in short_values_at(grid_points[p], short)]
    tasks = [(c, at[p] + j) for c, p in sorted(needed) for j in range(len(short_values_at(grid_points[p], short)))]
    scored = iter(_score_tasks(corpora, settings, short_points, tasks, jobs, "short-item points"))
    return {(c, p): [(v, next(scored)) for v in short_values_at(grid_points[p], short)] for c, p in sorted(needed)}


def run(corpora: Sequence[Prepared], settings: Settings, grid: dict[str, tuple[float, ...]],
        baseline_grid: Sequence[float] = baseline.THRESHOLDS, jobs: int = 1,
        short: dict[str, tuple[float, ...]] | None = None) -> dict[str, Any]:
    """Score the grid on every corpus, then pick per corpus on the others (see the module docstring), in two
    steps: the articles' thresholds on the tuning corpora that are not mostly headline-only (the short-item
    threshold at the articles' own), then, with those fixed, the short-item threshold on all the tuning corpora
    (with the title-only versions ``load(titles=True)`` adds). Derived corpora are tuned on, not reported."""
    started = time.perf_counter()
    short = short or short_grid_for(settings)
    short_name = next(iter(short))
    grid_points = [_stage_a_point(p, settings, short_name) for p in points(grid)]
    if not grid_points:
        raise SettingsError("--grid leaves no point (every strong threshold is below its plain one)")
    index = {c.name: i for i, c in enumerate(corpora)}
    reported = [c for c in corpora if not c.derived_from]
    shorts = {c.name for c in corpora if c.short}
    results = _grid_results(corpora, settings, grid_points, jobs, only=[index[c.name] for c in reported])
    f1 = {name: [r["f1"] for r in rows] for name, rows in results.items()}
    tuned_on = tuning_sets(corpora)
    tuned = [c.name for c in corpora if c.tune]

    def articles_on(on: Sequence[str]) -> list[str]:
        return [n for n in on if n in f1 and n not in shorts] or [n for n in on if n in f1]

    cost = [departure({n: v for n, v in p.items() if n != short_name}) for p in grid_points]
    picks = {c.name: choose(f1, articles_on(tuned_on[c.name]), cost) for c in reported}
    owns = {c.name: choose(f1, [c.name]) for c in reported}
    everywhere = choose(f1, articles_on(tuned), cost)
    needed: set[tuple[int, int]] = set()
    for c in reported:
        own, pick = owns[c.name], picks[c.name]
        if own is not None:
            needed.add((index[c.name], own))
        if pick is not None:
            needed |= {(index[n], pick) for n in [*tuned_on[c.name], c.name]}
    if everywhere is not None:
        needed |= {(index[c.name], everywhere) for c in corpora}
    second = _short_results(corpora, settings, grid_points, short, needed, jobs)

    def short_pick(on: Sequence[str], point: int, tie: bool = True) -> int:
        values = short_values_at(grid_points[point], short)
        scores = {n: [fig["f1"] for _, fig in second[(index[n], point)]] for n in on}
        plain = grid_points[point][PLAIN[short_name]]
        pick = choose(scores, on, [abs(plain - v) for v in values] if tie else None)
        assert pick is not None
        return pick

    def at(point: int, j: int) -> dict[str, float]:
        return {**grid_points[point], short_name: short_values_at(grid_points[point], short)[j]}

    base: dict[str, list[dict[str, Any]]] = {}
    for corpus in reported:
        vecs = baseline.vectors(corpus.records)
        base[corpus.name] = [figures(corpus.gold, baseline.single_pass(vecs, t)) for t in baseline_grid]
    base_f1 = {name: [r["f1"] for r in rows] for name, rows in base.items()}
    rows = []
    for corpus in reported:
        on, pick, own = tuned_on[corpus.name], picks[corpus.name], owns[corpus.name]
        base_on = [n for n in on if n in base_f1]
        base_pick, base_own = choose(base_f1, base_on), choose(base_f1, [corpus.name])
        assert own is not None and base_own is not None  # a corpus always has figures on itself
        mine = index[corpus.name]
        own_short = short_pick([corpus.name], own, tie=False)
        defaults = figures(corpus.gold, place(corpus, settings))
        chosen = None if pick is None else short_pick(on, pick)
        rows.append({
            "corpus": corpus.name, "kind": corpus.kind, "articles": len(corpus.records),
            "events": len(set(corpus.gold)), "rejected": dict(corpus.rejected), "tuned_on": on,
            "thresholds": at(pick, chosen) if pick is not None and chosen is not None
            else {n: getattr(settings, n) for n in [*grid, short_name]},
            "thresholds_from": ", ".join(on) if on else "shipped defaults (no independent corpus to tune on)",
            "articles_thresholds_from": ", ".join(articles_on(on)),
            "pipeline": second[(mine, pick)][chosen][1] if pick is not None and chosen is not None else defaults,
            "pipeline_without_short_rule": results[corpus.name][pick] if pick is not None else defaults,
            "defaults": defaults,
            "best_on_itself": {"thresholds": at(own, own_short), **second[(mine, own)][own_short][1]},
            "baseline": {"threshold": baseline_grid[base_pick] if base_pick is not None else None,
                         **(base[corpus.name][base_pick] if base_pick is not None else {})},
            "baseline_best_on_itself": {"threshold": baseline_grid[base_own], **base[corpus.name][base_own]},
            "prepare_s": corpus.seconds,
        })
    on_all = None
    if everywhere is not None:
        j = short_pick(tuned, everywhere)
        scores = {c.name: second[(index[c.name], everywhere)][j][1]["f1"] for c in corpora}
        on_all = {"thresholds": at(everywhere, j), "tuned_on": tuned,
                  "mean_f1": sum(scores[n] for n in tuned) / len(tuned), "f1": scores}
    return {"task": "events", "mode": "semantic" if settings.semantic else "lexical", "selection": SELECTION,
            "best_on_all_tuned": on_all, "derived": {c.name: c.derived_from for c in corpora if c.derived_from},
            "grid": {name: list(values) for name, values in {**grid, **short}.items()},
            "grid_points": len(grid_points),
            "baseline_grid": list(baseline_grid),
            "defaults": {n: getattr(settings, n) for n in [*grid, short_name]},
            "corpora": rows, "elapsed_s": time.perf_counter() - started}


TEXT_FIELDS = ("text", "description", "summary", "body", "content")
"""What a title-only version drops (the record then has its title alone, as a headline feed item does)."""


def title_only(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records reduced to their titles (the way the ``headlines`` corpus is derived), same ``origin``."""
    out = []
    for record in records:
        item = {k: v for k, v in record.items() if k not in TEXT_FIELDS}
        item["id"] = f"{record.get('id')}:title"
        item["origin"] = str(record.get("origin") or record.get("id"))
        out.append(item)
    return out


def load(entries: Sequence[dict[str, Any]], settings: Settings, limit: int | None = None,
         titles: bool = False) -> list[Prepared]:
    """Prepare the corpora of a manifest (``path``, ``name``, ``kind``, ``tune``); ``limit``: first N articles.
    ``titles``: also a title-only version of every tuned corpus that is not mostly short already (tuning data
    for the short-item threshold; it keeps its source's ``origin``, so it is never tuned on for a corpus that
    shares an article with its source)."""
    from streams.core.pipeline import Pipeline

    if not entries:
        raise DatasetError("no corpora to evaluate")
    out = []
    for entry in entries:
        records = load_clustering(entry["path"])
        records = records if limit is None else records[:limit]
        out.append(prepare(entry["name"], entry.get("kind", ""), bool(entry.get("tune", True)), records, settings,
                           Pipeline(settings)))
    for corpus in list(out) if titles else []:
        if corpus.tune and not corpus.short:
            derived = prepare(f"{corpus.name}-titles", f"titles of {corpus.name} (derived)", True,
                              title_only(corpus.records), settings, Pipeline(settings))
            derived.derived_from = corpus.name
            out.append(derived)
    return out


def _num(value: float) -> str:
    return f"{value:g}"


def format_table(result: dict[str, Any]) -> str:
    """The leave-one-corpus-out table, one block of lines per corpus."""
    lines = [f"Event tagging, leave one corpus out ({result['mode']} mode; thresholds: {result['selection']}; "
             f"{result['grid_points']} grid points)",
             f"  shipped defaults: {', '.join(f'{k}={_num(v)}' for k, v in result['defaults'].items())}", "",
             f"  {'corpus':<11} {'articles':>8} {'events':>6}  {'':<22} {'P':>6} {'R':>6} {'F1':>6}  thresholds"]

    def row(label: str, fig: dict[str, Any], text: str) -> str:
        return f"  {'':<11} {'':>8} {'':>6}  {label:<22} {fig['precision']:6.3f} {fig['recall']:6.3f} " \
               f"{fig['f1']:6.3f}  {text}"

    for c in result["corpora"]:
        thresholds = ", ".join(f"{k}={_num(v)}" for k, v in c["thresholds"].items())
        lines.append(f"  {c['corpus']:<11} {c['articles']:>8} {c['events']:>6}  ({c['kind']})")
        lines.append(row("pipeline, LOCO", c["pipeline"], f"{thresholds}  <- tuned on: {c['thresholds_from']}"))
        if "pipeline_without_short_rule" in c:
            lines.append(row("  no short-item rule", c["pipeline_without_short_rule"],
                             f"short threshold = the articles' one; articles' thresholds tuned on: "
                             f"{c['articles_thresholds_from']}"))
        lines.append(row("pipeline, defaults", c["defaults"], "shipped settings"))
        own = c["best_on_itself"]
        own_text = ", ".join(f"{k}={_num(v)}" for k, v in own["thresholds"].items())
        lines.append(row("pipeline, best on it", own, f"{own_text}  (tuned on this corpus: not a transfer figure)"))
        if c["baseline"].get("threshold") is not None:
            lines.append(row("TF-IDF single-pass", c["baseline"],
                             f"cosine={_num(c['baseline']['threshold'])}  <- tuned on: {c['thresholds_from']}"))
        b_own = c["baseline_best_on_itself"]
        lines.append(row("TF-IDF, best on it", b_own, f"cosine={_num(b_own['threshold'])}  (tuned on this corpus)"))
    lines += ["", "  BCubed F1       pipeline LOCO   TF-IDF LOCO   pipeline defaults   pipeline best on it"]
    for c in result["corpora"]:
        base = c["baseline"].get("f1")
        lines.append(f"  {c['corpus']:<15} {c['pipeline']['f1']:13.3f} {'-' if base is None else f'{base:.3f}':>13} "
                     f"{c['defaults']['f1']:19.3f} {c['best_on_itself']['f1']:21.3f}")
    on_all = result.get("best_on_all_tuned")
    if on_all:
        point = ", ".join(f"{k}={_num(v)}" for k, v in on_all["thresholds"].items())
        lines += ["", f"  One setting for all, chosen on every tuned corpus ({', '.join(on_all['tuned_on'])}; not a "
                      f"transfer figure): {point}, mean F1 {on_all['mean_f1']:.3f}"]
    if result.get("derived"):
        lines.append(f"  Title-only versions tuned on (derived, same origins as their source): "
                     f"{', '.join(result['derived'])}")
    lines.append("")
    lines.append(f"  P/R/F1: BCubed. {result['elapsed_s']:.0f} s for the grid.")
    return "\n".join(lines)
