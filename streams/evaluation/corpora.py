"""Evaluation corpora of different kinds, derived by a script from labelled public data.

``python -m streams eval build-corpora [--source DIR] [--out DIR] [--samples DIR]`` reads the two
labelled files of ``../shared/datasets`` (see its README for origin and licences) and writes:

* ``long``: long articles: the giveme5w1h events that are in no look-alike family, one half of them
  (chosen by a hash of the label, so the split is fixed);
* ``headlines``: headline-only items: the other half of those events, each article reduced to its title
  (DERIVED: the outlets published bodies too; the title is all that is kept, no summary);
* ``lookalike``: look-alike events: the giveme5w1h events of the families in ``FAMILIES``, events of the
  same kind (airline incidents, crashes, spaceflight...) or with the same actor or place (North Korea,
  New Year's Eve in Germany) that differ in time, place or people: a tagger that merges by topic fails;
* ``pairs``: the SemEval-2022 task 8 English pairs: a pair whose Overall score is <= 1.5 is one event,
  >= 2.5 two events (many of those share a place or people), in between the pair is left out;
* ``giveme5w1h``: the whole giveme5w1h set as a reference, scored but never tuned on (it holds the
  articles of ``long``, ``headlines`` and ``lookalike``).

``long``, ``headlines`` and ``lookalike`` hold disjoint events and articles, and ``pairs`` comes from
another source, so leave-one-corpus-out tuning never sees the articles it scores. Every record keeps its
``origin`` (source file and id) so that overlap is checked, not assumed. No text is written or changed
beyond dropping the body of the headline items; nothing is attributed to an outlet that did not
publish it. ``--samples`` also writes a few whole events per corpus, texts cut to their first words,
for the tests (tests/evaluation/data).
"""
from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from streams.evaluation.datasets import DatasetError, _records, load_pairs

GIVEME = "giveme5w1h_news_cluster.jsonl"
SEMEVAL = "semeval2022_task8_hfl_sample.jsonl"
MANIFEST = "manifest.json"
DEFAULT_OUT = "corpora"
DEFAULT_SOURCE = "../shared/datasets"

SAME_EVENT_MAX = 1.5
"""SemEval Overall score at or below which the two articles describe the same event."""
OTHER_EVENT_MIN = 2.5
"""SemEval Overall score at or above which they describe different events."""
PAIR_TITLE_WORDS = 12
"""SemEval texts are title and body in one line: the first words stand in for the title."""
SAMPLE_EVENTS = 4
SAMPLE_WORDS = 120
SHUFFLE_SEED = 17

FAMILIES: dict[str, tuple[str, tuple[str, ...]]] = {
    # family: (what the events share and how they differ, the giveme5w1h event ids)
    "north_korea": ("actor North Korea: launches, sanctions, diplomacy; 2013-2018", ("70", "71", "19", "34")),
    "germany_new_years_eve": ("New Year's Eve sexual assaults in Germany: 2015/16 vs 2017/18", ("21", "69")),
    "airline_incidents": ("incidents on US airline flights: other airlines, people, days", ("10", "14", "38", "39")),
    "spaceflight": ("launches and spacecraft: other agencies, craft, dates", ("32", "49", "18", "47", "46")),
    "mass_attacks": ("attacks that killed people: Las Vegas 2017, Nice 2016, Benghazi 2012 (2016 coverage)",
                     ("64", "68", "73")),
    "nfl": ("NFL team news of the same days: other teams and people", ("13", "43", "44", "30")),
    "crashes": ("crashes: Formula 1, car, plane, work trains, tourist boat", ("75", "54", "35", "4", "2")),
}


@dataclass
class Corpus:
    name: str
    kind: str
    description: str
    records: list[dict[str, Any]]
    tune: bool = True

    def manifest(self, file: str) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "file": file, "description": self.description,
                "tune": self.tune, "articles": len(self.records),
                "events": len({r["label"] for r in self.records})}


def event_id(label: str) -> str:
    """The giveme5w1h event number of a label (``"70:north_Korea_hokkaido_missile"`` -> ``"70"``)."""
    return label.split(":", 1)[0]


def family_of(label: str) -> str | None:
    number = event_id(label)
    return next((name for name, (_, ids) in FAMILIES.items() if number in ids), None)


def _half(label: str) -> int:
    """A fixed split of events in two halves (not Python's salted hash)."""
    return hashlib.sha256(label.encode()).digest()[0] & 1


def _article(record: dict[str, Any], **extra: Any) -> dict[str, Any]:
    out = {name: record.get(name) for name in ("id", "title", "text", "published", "source", "url", "label")}
    out["origin"] = f"{GIVEME}:{record['id']}"
    return {**out, **extra}


def giveme_corpora(records: list[dict[str, Any]]) -> list[Corpus]:
    """``long``, ``headlines``, ``lookalike`` (disjoint) and the ``giveme5w1h`` reference."""
    lookalike = [_article(r, family=family_of(r["label"])) for r in records if family_of(r["label"])]
    rest = [r for r in records if not family_of(r["label"])]
    long = [_article(r) for r in rest if _half(r["label"]) == 0]
    headlines = []
    for r in rest:
        if _half(r["label"]) == 1:
            item = _article(r, id=f"{r['id']}:title")
            del item["text"]
            headlines.append(item)
    families = ", ".join(f"{name} ({text})" for name, (text, _) in FAMILIES.items())
    return [
        Corpus("long", "long articles", "giveme5w1h events in no look-alike family, first half by label hash",
               long),
        Corpus("headlines", "headline-only items",
               "DERIVED from giveme5w1h: the other half of those events, titles only (bodies dropped)", headlines),
        Corpus("lookalike", "look-alike events", f"giveme5w1h events of the look-alike families: {families}",
               lookalike),
        Corpus("giveme5w1h", "reference (never tuned on)", "the whole giveme5w1h set; holds the articles of "
               "long, headlines and lookalike", [_article(r) for r in records], tune=False),
    ]


def _pair_article(article_id: str, text: str, label: str) -> dict[str, Any]:
    text = text.strip()
    head, newline, rest = text.partition("\n")
    if not newline:
        words = text.split()
        head, rest = " ".join(words[:PAIR_TITLE_WORDS]), " ".join(words[PAIR_TITLE_WORDS:])
    return {"id": f"semeval:{article_id}", "title": head.strip() or text[:200], "text": rest.strip() or text,
            "published": None, "source": "unknown", "url": "", "label": label, "origin": f"{SEMEVAL}:{article_id}"}


def pairs_corpus(pairs: list[dict[str, Any]]) -> Corpus:
    """English SemEval pairs as events: same event if Overall <= 1.5 (joined transitively), other events if
    >= 2.5; undecided pairs are left out. Articles in shuffled (fixed) order: the data has no dates."""
    texts: dict[str, str] = {}
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for pair in pairs:
        score = float(pair["label"])
        if SAME_EVENT_MAX < score < OTHER_EVENT_MIN or "_" not in str(pair.get("pair_id", "")):
            continue
        a, b = str(pair["pair_id"]).split("_", 1)
        texts.setdefault(a, pair["a"])
        texts.setdefault(b, pair["b"])
        find(a), find(b)
        if score <= SAME_EVENT_MAX:
            parent[find(a)] = find(b)
    records = [_pair_article(i, text, f"semeval:{find(i)}") for i, text in sorted(texts.items())]
    random.Random(SHUFFLE_SEED).shuffle(records)
    return Corpus("pairs", "article pairs (undated)",
                  f"SemEval-2022 task 8 English pairs: Overall <= {SAME_EVENT_MAX} one event, >= {OTHER_EVENT_MIN} "
                  "two events, undecided pairs left out; first words as title", records)


def build(source: str | Path) -> list[Corpus]:
    source = Path(source)
    giveme = [record for _, record in _records(source / GIVEME)]
    corpora = giveme_corpora(giveme)
    corpora.insert(3, pairs_corpus(load_pairs(source / SEMEVAL, ("en", "en"))))
    _check_disjoint([c for c in corpora if c.tune])
    return corpora


def _check_disjoint(corpora: Iterable[Corpus]) -> None:
    seen: dict[str, str] = {}
    for corpus in corpora:
        for record in corpus.records:
            other = seen.setdefault(record["origin"], corpus.name)
            if other != corpus.name:
                raise DatasetError(f"{record['origin']} is in both {other} and {corpus.name}")


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("wb") as handle:
        for record in records:
            handle.write(orjson.dumps(record) + b"\n")
            count += 1
    return count


def sample(corpus: Corpus, events: int = SAMPLE_EVENTS, words: int = SAMPLE_WORDS) -> list[dict[str, Any]]:
    """A few whole events (the largest ones with at least two members, plus look-alike partners), texts cut to
    their first ``words`` words: enough structure for the tests, little text."""
    by_label: dict[str, list[dict[str, Any]]] = {}
    for record in corpus.records:
        by_label.setdefault(record["label"], []).append(record)
    ranked = sorted(by_label, key=lambda label: (-min(len(by_label[label]), 6), label))
    chosen = ranked[:events]
    if any(r.get("family") for r in corpus.records):  # look-alikes: two events of each of two families
        family = {label: members[0]["family"] for label, members in by_label.items()}
        names = sorted(set(family.values()), key=lambda n: (-sum(1 for lb in family if family[lb] == n), n))
        chosen = [label for name in names[:max(1, events // 2)]
                  for label in [lb for lb in ranked if family[lb] == name][:2]]
    if corpus.name == "pairs":  # a few singletons too: the other side of "different event" pairs
        chosen += [label for label in sorted(by_label) if len(by_label[label]) == 1][:events]
    out = []
    for label in chosen:
        for record in by_label[label][:6]:
            item = dict(record)
            if item.get("text"):
                item["text"] = " ".join(item["text"].split()[:words])
            out.append(item)
    order = {id(r): n for n, r in enumerate(corpus.records)}
    return sorted(out, key=lambda r: order.get(id(r), 0))


def write(corpora: list[Corpus], out: str | Path) -> list[dict[str, Any]]:
    """Each corpus as ``NAME.jsonl`` in ``out`` and a ``manifest.json`` listing them."""
    out = Path(out)
    manifest = []
    for corpus in corpora:
        file = f"{corpus.name}.jsonl"
        write_jsonl(out / file, corpus.records)
        manifest.append(corpus.manifest(file))
    (out / MANIFEST).write_bytes(orjson.dumps({"corpora": manifest}, option=orjson.OPT_INDENT_2) + b"\n")
    return manifest


def samples(corpora: list[Corpus]) -> list[Corpus]:
    """The sample of every corpus that is tuned on (the reference holds the same articles)."""
    return [Corpus(c.name, c.kind, f"SAMPLE (a few events, texts cut to {SAMPLE_WORDS} words) of: {c.description}",
                   sample(c)) for c in corpora if c.tune]


def load_manifest(folder: str | Path) -> list[dict[str, Any]]:
    """The corpora a ``build-corpora`` run wrote (``DatasetError`` if there are none)."""
    path = Path(folder) / MANIFEST
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file (run `python -m streams eval build-corpora` first)") from None
    except orjson.JSONDecodeError as exc:
        raise DatasetError(f"{path}: not valid JSON ({exc})") from None
    return [{**entry, "path": str(Path(folder) / entry["file"])} for entry in data.get("corpora", [])]
