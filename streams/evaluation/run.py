"""Offline evaluation of story dedup and event tagging on labelled data.

The runners feed the dataset through the very ``Pipeline`` the streaming
agents use (``Pipeline.process`` for clustering files, ``Pipeline.compare``
for pair files), so the figures describe the shipped code and thresholds.

CLI (wired as ``python -m streams eval ...``; also runnable directly)::

    python -m streams.evaluation.run dedup  --dataset FILE.jsonl [--json] [--limit N]
    python -m streams.evaluation.run events --dataset FILE.jsonl [--json] [--limit N]
    python -m streams.evaluation.run events --loco [--corpora DIR] [--grid NAME=V1,V2] [--json] [--limit N]
    python -m streams.evaluation.run build-corpora [--source DIR] [--out DIR] [--samples DIR]
"""
from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from streams.core.prepare.fingerprint import SHINGLE_WORDS, jaccard, shingles, words
from streams.core.resolve.event_model import WeightsError
from streams.evaluation.corpora import DEFAULT_OUT, DEFAULT_SOURCE, GIVEME, SEMEVAL
from streams.evaluation.datasets import DatasetError, detect_kind, load_clustering, load_pairs, publication_time
from streams.evaluation.scores import adjusted_rand_index, bcubed, pair_prf, pairwise, pearson
from streams.settings import Settings, SettingsError, assignments, load
from streams.tools.args import positive
from streams.tools.progress import progress

__all__ = ["eval_dedup", "eval_events", "format_report", "main", "shingle_jaccard", "NotScored", "require_scored",
           "NEAR_COPY_JACCARD", "SAME_STORY_LABEL"]

NEAR_COPY_JACCARD = 0.5
"""5-shingle Jaccard at or above which two texts are near-verbatim copies (diagnostic only)."""
SAME_STORY_LABEL = 1.5
"""Pair data: an Overall score <= this means the two articles describe the same story/event."""
PAIR_TITLE_WORDS = 12
"""Pair texts hold title and body in one string; a one-line text gives its first words as the title."""
MAX_LISTED = 10
"""At most this many examples are listed in a diagnostic."""
MAX_REJECTED_SHARE = 0.5
"""An evaluation that rejects more than this share of its input scores too little to mean anything."""
EXIT_NOT_SCORED = 1
"""``main``: the evaluation ran but scored nothing (or too little): not a figure, an error."""


class NotScored(ValueError):
    """The pipeline scored no article, or rejected most of them: the figures would describe nothing."""


def require_scored(total: int, rejected: Counter, what: str = "articles") -> None:
    """Raise ``NotScored`` (one line, with the reasons) when none of ``total`` items was scored or more than
    ``MAX_REJECTED_SHARE`` of them were rejected."""
    dropped = sum(rejected.values())
    reasons = ", ".join(f"{reason} {count}" for reason, count in rejected.most_common()) or "none"
    if total == 0 or dropped >= total:
        raise NotScored(f"no {what} scored: {dropped} of {total} rejected ({reasons}); a score over nothing "
                        "would be meaningless")
    if dropped > MAX_REJECTED_SHARE * total:
        raise NotScored(f"most {what} rejected: {dropped} of {total} ({reasons}); the figures would describe "
                        f"only the {total - dropped} that passed")


# --------------------------------------------------------------------------- helpers

def shingle_jaccard(a: str, b: str, k: int = SHINGLE_WORDS) -> float:
    """Jaccard similarity of the word k-gram sets of two texts (0.0 if both are empty)."""
    return jaccard(shingles(words(a), k), shingles(words(b), k))


def _near_copy_pairs(texts: Sequence[str], threshold: float = NEAR_COPY_JACCARD) -> list[tuple[int, int, float]]:
    """All index pairs (i < j) whose 5-shingle Jaccard is >= threshold."""
    sets = [shingles(words(t)) for t in texts]
    found = []
    for i, j in itertools.combinations(range(len(sets)), 2):
        a, b = sets[i], sets[j]
        small, large = sorted((len(a), len(b)))
        if not large or small < threshold * large:  # J <= |small| / |large|: cannot reach the threshold
            continue
        jac = jaccard(a, b)
        if jac >= threshold:
            found.append((i, j, jac))
    return found


def _pipeline(settings: Settings):
    # Imported late so the scores and loaders work (and --help answers) without the heavy pipeline.
    from streams.core.pipeline import Pipeline
    return Pipeline(settings)


def _warm_up(settings: Settings) -> None:
    """Load the shared embedding model before the clock starts, so throughput excludes the one-off load."""
    if not settings.semantic:
        return
    try:
        from streams.core.prepare.semantic import shared_embedder
        shared_embedder().encode(["warm up"])
    except Exception:  # noqa: BLE001 - a missing model shows up in the pipeline's own error instead
        pass


def _limit(items: list, limit: int | None) -> list:
    return items if limit is None else items[:limit]


def _purity_merges(pred: Sequence[str], gold: Sequence[str]) -> int:
    """Number of predicted clusters that hold items of more than one gold label."""
    labels: dict[str, set[str]] = defaultdict(set)
    for p, g in zip(pred, gold):
        labels[p].add(g)
    return sum(1 for members in labels.values() if len(members) > 1)


def _stream(records: list[dict[str, Any]], settings: Settings) -> dict[str, Any]:
    """Process records in order through one fresh Pipeline; collect ids, gold, stories and events."""
    from streams.core.model import BadRecord, parse_article

    pipeline = _pipeline(settings)
    kept: list[dict[str, Any]] = []
    stories: list[str] = []
    events: list[list[str]] = []
    kinds: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    started = time.perf_counter()
    for record in progress(records, len(records), "articles"):
        try:
            article = parse_article(record)
        except BadRecord as exc:
            rejected[exc.reason] += 1
            continue
        result = pipeline.process(article)
        if isinstance(result, BadRecord):  # e.g. an id reused for a different text
            rejected[result.reason] += 1
            continue
        kept.append(record)
        stories.append(str(result.story_id))
        events.append([str(e) for e in result.event_ids])
        kinds[result.duplicate_kind or "new"] += 1
    elapsed = time.perf_counter() - started
    require_scored(len(records), rejected)
    return {"records": kept, "gold": [str(r["label"]) for r in kept], "stories": stories, "events": events,
            "kinds": kinds, "rejected": rejected, "elapsed": elapsed}


def _clustering_scores(gold: Sequence[str], pred: Sequence[str]) -> dict[str, Any]:
    return {"pairwise": pairwise(gold, pred).as_dict(), "bcubed": bcubed(gold, pred).as_dict()}


def _common(run: dict[str, Any], pred: Sequence[str], setup_s: float) -> dict[str, Any]:
    articles = len(run["records"])
    return {
        "articles": articles,
        "rejected": dict(run["rejected"]),
        "predicted_clusters": len(set(pred)),
        "gold_clusters": len(set(run["gold"])),
        "articles_per_s": articles / run["elapsed"] if run["elapsed"] > 0 else 0.0,
        "elapsed_s": run["elapsed"],
        "setup_s": setup_s,
    }


def _load_stream(path: str | Path, limit: int | None) -> list[dict[str, Any]]:
    records = _limit(load_clustering(path), limit)
    return records


# --------------------------------------------------------------------------- runners

def eval_dedup(path: str | Path, settings: Settings, *, limit: int | None = None,
               langs: tuple[str, str] | None = ("en", "en")) -> dict[str, Any]:
    """Score story dedup on a clustering or a pair file (the kind is detected from the first record).

    Clustering file: articles go through ``Pipeline.process`` in publication
    order; the predicted cluster is ``story_id``, the gold cluster ``label``.
    Returns ``pairwise`` and ``bcubed`` (P/R/F1 dicts), ``articles``,
    ``predicted_clusters``, ``gold_clusters``, ``articles_per_s`` and the
    diagnostics ``near_copy_pairs`` / ``near_copy_pairs_joined`` (pairs with
    5-shingle Jaccard >= 0.5 and how many of them share a story),
    ``near_copy_missed`` (a few unjoined ones), ``cross_event_merges``
    (stories holding articles of more than one gold label) and
    ``duplicate_kinds``. ``limit`` keeps the first N articles by time.

    Pair file: see :func:`eval_pairs`.
    """
    if detect_kind(path) == "pairs":
        return eval_pairs(path, settings, limit=limit, langs=langs)
    records = _load_stream(path, limit)
    setup = time.perf_counter()
    _warm_up(settings)
    setup_s = time.perf_counter() - setup
    run = _stream(records, settings)
    stories, gold, kept = run["stories"], run["gold"], run["records"]

    near = _near_copy_pairs([str(r.get("text") or "") for r in kept])
    joined = [(i, j, jac) for i, j, jac in near if stories[i] == stories[j]]
    missed = [(i, j, jac) for i, j, jac in near if stories[i] != stories[j]]

    def hours_apart(i: int, j: int) -> float | None:
        ti, tj = publication_time(kept[i].get("published")), publication_time(kept[j].get("published"))
        return None if ti is None or tj is None else round(abs(ti - tj) / 3600.0, 1)

    out: dict[str, Any] = {"kind": "clustering", "task": "dedup", "dataset": str(path)}
    out.update(_clustering_scores(gold, stories))
    out.update(_common(run, stories, setup_s))
    out.update({
        "multi_article_stories": sum(1 for n in Counter(stories).values() if n > 1),
        "near_copy_pairs": len(near),
        "near_copy_pairs_joined": len(joined),
        "near_copy_pairs_cross_label": sum(1 for i, j, _ in near if gold[i] != gold[j]),
        "near_copy_missed": [
            {"a": str(kept[i].get("id")), "b": str(kept[j].get("id")), "jaccard": round(jac, 3),
             "hours_apart": hours_apart(i, j), "same_label": gold[i] == gold[j]}
            for i, j, jac in sorted(missed, key=lambda m: -m[2])[:MAX_LISTED]],
        "cross_event_merges": _purity_merges(stories, gold),
        "duplicate_kinds": dict(run["kinds"]),
    })
    return out


def eval_events(path: str | Path, settings: Settings, *, limit: int | None = None) -> dict[str, Any]:
    """Score event tagging on a clustering file, articles in publication order.

    The predicted cluster of an article is the first of ``result.event_ids``;
    an article tagged with no event counts as its own singleton cluster
    (reported as ``articles_without_event``). Returns ``pairwise``,
    ``bcubed``, ``ari``, ``articles``, ``predicted_clusters``,
    ``gold_clusters``, ``articles_per_s``, plus ``impure_events`` (predicted
    events holding more than one gold label) and ``multi_event_articles``.
    ``limit`` keeps the first N articles by time.
    """
    if detect_kind(path) != "clustering":
        raise DatasetError(f"{path}: events needs a clustering dataset (id, title, text, published, label), "
                           "not a pair dataset")
    records = _load_stream(path, limit)
    setup = time.perf_counter()
    _warm_up(settings)
    setup_s = time.perf_counter() - setup
    run = _stream(records, settings)
    pred = [ids[0] if ids else f"(none):{index}" for index, ids in enumerate(run["events"])]
    gold = run["gold"]
    out: dict[str, Any] = {"kind": "clustering", "task": "events", "dataset": str(path)}
    out.update(_clustering_scores(gold, pred))
    out["ari"] = adjusted_rand_index(gold, pred)
    out.update(_common(run, pred, setup_s))
    out.update({
        "articles_without_event": sum(1 for ids in run["events"] if not ids),
        "multi_event_articles": sum(1 for ids in run["events"] if len(ids) > 1),
        "impure_events": _purity_merges(pred, gold),
    })
    return out


def _pair_record(pair: dict[str, Any], side: str) -> dict[str, Any]:
    """A raw article record from one side of a pair.

    The pair texts hold title and body in one string: the first line is the
    title when the text has several lines, else the first
    ``PAIR_TITLE_WORDS`` words are; the rest is the body (the whole string
    when nothing is left). No publication date and no outlet are given, so
    the cleaner learns no outlet banners across unrelated pairs.
    """
    text = str(pair[side]).strip()
    head, newline, rest = text.partition("\n")
    if not newline:
        tokens = text.split()
        head, rest = " ".join(tokens[:PAIR_TITLE_WORDS]), " ".join(tokens[PAIR_TITLE_WORDS:])
    pair_id = pair.get("pair_id") or ""
    return {"id": f"{pair_id}:{side}" if pair_id else None, "title": head.strip() or text[:200],
            "text": rest.strip() or text}


def eval_pairs(path: str | Path, settings: Settings, *, limit: int | None = None,
               langs: tuple[str, str] | None = ("en", "en")) -> dict[str, Any]:
    """Score the same-story decision of ``Pipeline.compare`` on a pair file.

    Gold same-story is ``label <= 1.5`` (label 1 = very similar .. 4 = very
    dissimilar). Returns ``precision``, ``recall``, ``f1`` of
    ``score.same_story`` and ``pearson`` = correlation of ``score.similarity``
    with ``-label``, so that higher is better (a perfect similarity gives +1),
    plus ``pairs``, ``gold_same`` and ``predicted_same``. Only pairs whose
    languages equal ``langs`` are used (en-en by default); ``limit`` keeps
    the first N of those.
    """
    from streams.core.model import BadRecord, parse_article

    pairs = _limit(load_pairs(path, langs), limit)
    if not pairs:
        wanted = "-".join(langs) if langs else "any"
        raise DatasetError(f"{path}: no pairs with languages {wanted}")
    setup = time.perf_counter()
    _warm_up(settings)
    pipeline = _pipeline(settings)
    setup_s = time.perf_counter() - setup
    gold: list[bool] = []
    pred: list[bool] = []
    similarity: list[float] = []
    labels: list[float] = []
    rejected: Counter[str] = Counter()
    started = time.perf_counter()
    for pair in progress(pairs, len(pairs), "pairs"):
        try:
            a, b = parse_article(_pair_record(pair, "a")), parse_article(_pair_record(pair, "b"))
        except BadRecord as exc:
            rejected[exc.reason] += 1
            continue
        score = pipeline.compare(a, b)
        gold.append(float(pair["label"]) <= SAME_STORY_LABEL)
        pred.append(bool(score.same_story))
        similarity.append(float(score.similarity))
        labels.append(float(pair["label"]))
    elapsed = time.perf_counter() - started
    require_scored(len(pairs), rejected, "pairs")
    prf = pair_prf(gold, pred)
    return {
        "kind": "pairs", "task": "dedup", "dataset": str(path), "langs": "-".join(langs) if langs else "any",
        **prf.as_dict(),
        "pearson": pearson(similarity, [-v for v in labels]),
        "pairs": len(gold),
        "rejected": dict(rejected),
        "gold_same": sum(gold),
        "predicted_same": sum(pred),
        "pairs_per_s": len(gold) / elapsed if elapsed > 0 else 0.0,
        "elapsed_s": elapsed,
        "setup_s": setup_s,
    }


# --------------------------------------------------------------------------- report

def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_fmt(v)}" for k, v in value.items()) or "none"
    return str(value)


def _prf_line(name: str, prf: dict[str, float]) -> str:
    return f"  {name:<10} precision {prf['precision']:.3f}  recall {prf['recall']:.3f}  F1 {prf['f1']:.3f}"


def format_report(result: dict[str, Any], title: str) -> str:
    """A readable multi-line text report of a runner's result dict."""
    lines = [title, "=" * len(title)]
    if result.get("dataset"):
        lines.append(f"  dataset    {result['dataset']}")
    shown = {"dataset", "kind", "task"}
    for name in ("pairwise", "bcubed"):
        if isinstance(result.get(name), dict):
            lines.append(_prf_line(name, result[name]))
            shown.add(name)
    if "ari" in result:
        lines.append(f"  {'ARI':<10} {result['ari']:.3f}")
        shown.add("ari")
    if {"precision", "recall", "f1"} <= result.keys():
        lines.append(_prf_line("same-story", result))
        lines.append(f"  {'pearson':<10} {result['pearson']:.3f}  (similarity vs. -label; higher is better)")
        shown.update({"precision", "recall", "f1", "pearson"})
    if "near_copy_pairs" in result:
        lines.append(f"  near copies (5-shingle Jaccard >= {NEAR_COPY_JACCARD}): "
                     f"{result['near_copy_pairs_joined']} of {result['near_copy_pairs']} pairs joined")
        shown.update({"near_copy_pairs", "near_copy_pairs_joined"})
    lines.append("")
    missed = result.get("near_copy_missed") or []
    for name, value in result.items():
        if name in shown or name == "near_copy_missed":
            continue
        lines.append(f"  {name.replace('_', ' ')}: {_fmt(value)}")
    if missed:
        lines.append("  near copies not joined:")
        for m in missed:
            apart = "?" if m["hours_apart"] is None else f"{m['hours_apart']:.1f}"
            lines.append(f"    {m['a'][:16]} / {m['b'][:16]}  jaccard {m['jaccard']:.3f}  "
                         f"{apart} h apart  same label: {_fmt(m['same_label'])}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- CLI


def _langs(raw: str) -> tuple[str, str] | None:
    if raw.strip().lower() in ("any", "all"):
        return None
    parts = [p.strip() for p in raw.split(",")]
    if len(parts) != 2 or not all(parts):
        raise argparse.ArgumentTypeError(f"expected two languages like en,en (or 'any'), got {raw!r}")
    return parts[0], parts[1]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m streams eval",
        description="Measure story dedup and event tagging on labelled JSONL data with the shipped pipeline.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{dedup,events,fit-events,build-corpora}")
    helps = {"dedup": "story dedup: clustering file (pairwise/BCubed F1) or pair file (P/R/F1, Pearson)",
             "events": "event tagging: clustering file (pairwise/BCubed F1, ARI), or --loco over the corpora"}
    for name, text in helps.items():
        cmd = sub.add_parser(name, help=text, description=text)
        cmd.add_argument("--dataset", required=name == "dedup", metavar="FILE.jsonl", help="labelled JSONL file")
        cmd.add_argument("--json", action="store_true", help="print one JSON object instead of a text report")
        cmd.add_argument("--limit", type=positive(int), metavar="N",
                         help="only the first N articles (by publication time) or pairs")
        cmd.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                         help="any pipeline setting (see `streams settings`), e.g. semantic=false; repeatable")
        if name == "dedup":
            cmd.add_argument("--langs", type=_langs, default=("en", "en"), metavar="A,B",
                             help="pair files: languages of the pairs to use (default en,en; 'any' for all)")
        else:
            cmd.add_argument("--loco", action="store_true",
                             help="leave one corpus out: thresholds chosen on the other corpora of --corpora")
            cmd.add_argument("--corpora", default=DEFAULT_OUT, metavar="DIR",
                             help=f"--loco: folder written by build-corpora (default {DEFAULT_OUT})")
            cmd.add_argument("--jobs", type=positive(int), default=1, metavar="N",
                             help="--loco: score grid points in N processes (default 1)")
            cmd.add_argument("--grid", action="append", default=[], type=_grid_item, metavar="NAME=V1,V2,...",
                             help="--loco: a setting and the values to try (repeatable; default: the event "
                                  "thresholds of the mode, see streams/evaluation/loco.py; with "
                                  "event_decision=model only event_join_probability)")
    fit = sub.add_parser("fit-events", help="fit the event pair classifier on development corpora",
                         description="Fit the weights of the event pair classifier (streams/evaluation/fit_events.py) "
                                     "on the tuned corpora of --corpora and write them (default: the packaged "
                                     "streams/core/resolve/event_weights.json, the mode of --set semantic=...).")
    fit.add_argument("--corpora", default=DEFAULT_OUT, metavar="DIR",
                     help=f"folder written by build-corpora (default {DEFAULT_OUT})")
    fit.add_argument("--on", metavar="NAME,NAME", help="fit on these corpora (default: every corpus marked tune)")
    fit.add_argument("--out", metavar="FILE.json", help="where to write the weights (default: the packaged file)")
    fit.add_argument("--json", action="store_true", help="print one JSON object instead of a text report")
    fit.add_argument("--limit", type=positive(int), metavar="N", help="only the first N articles of each corpus")
    fit.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                     help="any pipeline setting, e.g. semantic=false; repeatable")
    build = sub.add_parser("build-corpora", help="derive the evaluation corpora from the labelled source files",
                           description="Derive the evaluation corpora (see streams/evaluation/corpora.py).")
    build.add_argument("--source", default=DEFAULT_SOURCE, metavar="DIR",
                       help=f"folder with {GIVEME} and {SEMEVAL} (default {DEFAULT_SOURCE})")
    build.add_argument("--out", default=DEFAULT_OUT, metavar="DIR", help=f"where to write (default {DEFAULT_OUT})")
    build.add_argument("--samples", metavar="DIR", help="also write small samples for the tests here")
    return parser


def _grid_item(raw: str) -> tuple[str, tuple[float, ...]]:
    name, sep, values = raw.partition("=")
    try:
        numbers = tuple(float(v) for v in values.split(",") if v.strip())
    except ValueError:
        numbers = ()
    if not sep or not name.strip() or not numbers:
        raise argparse.ArgumentTypeError(f"expected NAME=V1,V2,... with numbers, got {raw!r}")
    return name.strip().replace("-", "_"), numbers


def _build(args: argparse.Namespace) -> int:
    from streams.evaluation import corpora

    built = corpora.build(args.source)
    manifest = corpora.write(built, args.out)
    if args.samples:
        corpora.write(corpora.samples(built), args.samples)
    for entry in manifest:
        print(f"{args.out}/{entry['file']}: {entry['articles']} articles, {entry['events']} events ({entry['kind']})")
    return 0


def _loco(args: argparse.Namespace, settings: Settings) -> int:
    from streams.evaluation import corpora, loco, loco_model

    model = settings.event_decision == "model"
    asked = dict(args.grid) if args.grid else None
    if model and asked and set(asked) != {"event_join_probability"}:
        raise SettingsError("--grid: with event_decision=model only event_join_probability is chosen by grid")
    grid = {} if model else loco.grid_for(settings, asked)
    _warm_up(settings)
    prepared = loco.load(corpora.load_manifest(args.corpora), settings, args.limit, titles=not model)
    if model:
        chances = (asked or {}).get("event_join_probability", loco_model.PROBABILITIES)
        result = loco_model.run(prepared, settings, chances, jobs=args.jobs)
    else:
        result = loco.run(prepared, settings, grid, jobs=args.jobs, short=loco.short_grid_for(settings, asked))
    if args.json:
        sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        print(loco.format_table(result))
    return 0


def _fit(args: argparse.Namespace, settings: Settings) -> int:
    from streams.core.resolve.event_model import PACKAGED
    from streams.evaluation import corpora, fit_events

    _warm_up(settings)
    on = [n.strip() for n in args.on.split(",") if n.strip()] if args.on else None
    result = fit_events.fit_command(corpora.load_manifest(args.corpora), settings, on, args.out or PACKAGED,
                                    args.limit)
    if args.json:
        sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        print(fit_events.format_fit(result))
    return 0


def settings_from(items: Sequence[str]) -> Settings:
    """Settings from ``STREAMS_*`` variables and ``--set NAME=VALUE`` items (a bad one: ``SettingsError``)."""
    return load(None, **{name: value.strip() for name, value in assignments(items).items()})


def main(argv: list[str]) -> int:
    """Run ``dedup|events --dataset FILE [--json] [--limit N]``; 0 on success, 2 on a usage or data error."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse already printed usage / help
        return exc.code if isinstance(exc.code, int) else 2
    if args.command == "events" and not args.loco and not args.dataset:
        print("error: events needs --dataset FILE.jsonl, or --loco", file=sys.stderr)
        return 2
    try:
        if args.command == "build-corpora":
            return _build(args)
        settings = settings_from(args.set)
        if args.command == "fit-events":
            return _fit(args, settings)
        if args.command == "events" and args.loco:
            return _loco(args, settings)
        if args.command == "dedup":
            result = eval_dedup(args.dataset, settings, limit=args.limit, langs=args.langs)
            title = "Story dedup" + (" (article pairs)" if result.get("kind") == "pairs" else "")
        else:
            result = eval_events(args.dataset, settings, limit=args.limit)
            title = "Event tagging"
    except (DatasetError, SettingsError, WeightsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except NotScored as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_NOT_SCORED
    if args.json:
        sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        print(format_report(result, title))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
