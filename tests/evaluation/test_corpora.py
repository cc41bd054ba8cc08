"""streams/evaluation/corpora.py: the derived corpora, on a tiny source written to tmp_path (fictional
example.org records), and the committed samples in tests/evaluation/data."""
from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from streams.evaluation import corpora
from streams.evaluation.datasets import load_clustering
from streams.evaluation.run import main

DATA = Path(__file__).parent / "data"


def giveme_record(number: str, name: str, n: int, day: int) -> dict:
    return {"id": f"g{number}-{n}", "title": f"Title {n} of {name}", "text": f"Body {n} of {name}. " * 30,
            "published": f"2017-12-{day:02d}T10:00:00", "source": "news.example.org",
            "url": f"https://news.example.org/{number}/{n}", "description": "d", "category": "world",
            "label": f"{number}:{name}"}


def pair(a: str, b: str, score: float) -> dict:
    return {"a": f"Headline of {a} " + "words " * 30, "b": f"Headline of {b} " + "words " * 30, "label": score,
            "pair_id": f"{a}_{b}", "lang_a": "en", "lang_b": "en"}


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "source"
    folder.mkdir()
    events = [("70", "missile"), ("71", "satellite"), ("21", "berlin"), ("69", "cologne"),  # look-alike families
              ("24", "bank"), ("36", "court"), ("58", "phone"), ("62", "offer"), ("5", "bill"), ("56", "breakup")]
    records = [giveme_record(num, name, n, 10 + n) for num, name in events for n in range(3)]
    (folder / corpora.GIVEME).write_text("".join(json.dumps(r) + "\n" for r in records))
    pairs = [pair("1", "2", 1.0), pair("2", "3", 1.25), pair("4", "5", 4.0), pair("6", "7", 2.0),
             pair("8", "9", 3.0), {**pair("10", "11", 1.0), "lang_b": "de"}]
    (folder / corpora.SEMEVAL).write_text("".join(json.dumps(p) + "\n" for p in pairs))
    return folder


def by_name(built: list[corpora.Corpus]) -> dict[str, corpora.Corpus]:
    return {c.name: c for c in built}


def test_giveme_corpora_are_disjoint_and_cover_the_set(source: Path) -> None:
    built = by_name(corpora.build(source))
    assert set(built) == {"long", "headlines", "lookalike", "pairs", "giveme5w1h"}
    tuned = [built[n] for n in ("long", "headlines", "lookalike")]
    origins = [{r["origin"] for r in c.records} for c in tuned]
    assert all(not (a & b) for i, a in enumerate(origins) for b in origins[i + 1:])
    assert set().union(*origins) == {r["origin"] for r in built["giveme5w1h"].records}
    assert not built["giveme5w1h"].tune
    assert {r["label"].split(":")[0] for r in built["lookalike"].records} == {"70", "71", "21", "69"}
    assert {r["family"] for r in built["lookalike"].records} == {"north_korea", "germany_new_years_eve"}
    labels = {r["label"] for c in (built["long"], built["headlines"]) for r in c.records}
    assert len(labels) == 6 and all(len({r["label"] for r in c.records}) >= 1 for c in tuned)


def test_headline_items_keep_only_the_title(source: Path) -> None:
    headlines = by_name(corpora.build(source))["headlines"]
    assert headlines.records
    for record in headlines.records:
        assert "text" not in record and record["title"].startswith("Title ")
        assert record["id"].endswith(":title") and record["origin"].startswith(corpora.GIVEME)


def test_pairs_corpus_joins_same_event_pairs_and_drops_undecided(source: Path) -> None:
    pairs = by_name(corpora.build(source))["pairs"]
    label = {r["origin"].split(":")[-1]: r["label"] for r in pairs.records}
    assert set(label) == {"1", "2", "3", "4", "5", "8", "9"}  # 6-7 undecided (2.0), 10-11 not en-en
    assert label["1"] == label["2"] == label["3"]  # joined through 2
    assert len({label["4"], label["5"], label["8"], label["9"], label["1"]}) == 5
    first = next(r for r in pairs.records if r["origin"].endswith(":1"))
    assert first["title"].startswith("Headline of 1") and first["published"] is None


def test_write_and_samples(source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, samples = tmp_path / "out", tmp_path / "samples"
    assert main(["build-corpora", "--source", str(source), "--out", str(out), "--samples", str(samples)]) == 0
    assert "long.jsonl" in capsys.readouterr().out
    manifest = corpora.load_manifest(out)
    assert [e["name"] for e in manifest] == ["long", "headlines", "lookalike", "pairs", "giveme5w1h"]
    for entry in manifest:
        assert len(load_clustering(entry["path"])) == entry["articles"]
    assert [e["name"] for e in corpora.load_manifest(samples)] == ["long", "headlines", "lookalike", "pairs"]
    again = tmp_path / "again"
    corpora.write(corpora.build(source), again)
    assert (again / "pairs.jsonl").read_bytes() == (out / "pairs.jsonl").read_bytes()  # deterministic


def test_missing_source_is_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build-corpora", "--source", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "no such file" in err and err.count("\n") == 1


def test_committed_samples() -> None:
    """tests/evaluation/data: made by `build-corpora --samples`; each corpus has events of several members."""
    manifest = corpora.load_manifest(DATA)
    assert {e["name"] for e in manifest} == {"long", "headlines", "lookalike", "pairs"}
    for entry in manifest:
        records = load_clustering(entry["path"])
        assert len(records) == entry["articles"] and 10 <= len(records) <= 60
        sizes = {}
        for r in records:
            sizes[r["label"]] = sizes.get(r["label"], 0) + 1
        assert sum(1 for n in sizes.values() if n > 1) >= 2
        if entry["name"] == "headlines":
            assert all("text" not in r for r in records)
        if entry["name"] == "lookalike":
            assert len({r["family"] for r in records}) >= 2
    origins = [{orjson.loads(line)["origin"] for line in Path(e["path"]).read_bytes().splitlines()}
               for e in manifest]
    assert sum(len(o) for o in origins) == len(set().union(*origins))
