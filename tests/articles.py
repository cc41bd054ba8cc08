"""Shared helpers for the unit tests: the seed articles and the plain-Python pipeline (no Kafka)."""
from __future__ import annotations

from pathlib import Path

from streams.core.model import Article, parse_article
from streams.core.pipeline import Pipeline, Result
from streams.settings import Settings
from streams.sources.files import DirectorySource

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "tests" / "fixtures" / "written"
"""Articles written for the project (fictional outlets), with publication times; the real seeds are in ROOT/seeds."""
REAL_SEEDS = ROOT / "seeds"
CATALOG = ROOT / "catalog.example.yaml"

ASTANA_WIRE = "000_a94de5377cbfe687"
ASTANA_REWRITE = "001_52bc99c834f615cc"
SAMARKAND = "002_2bab8afb75e512c1"
CALL = "003_ea497608403e14fb"
BEIJING = "004_8019c449f466b57c"
SEED_IDS = (ASTANA_WIRE, ASTANA_REWRITE, SAMARKAND, CALL, BEIJING)


def lexical_settings(**changes) -> Settings:
    """Defaults with the sentence-embedding model off (fast; lexical dedup only)."""
    return Settings().replace(semantic=False, **changes)


def seed_articles() -> list[Article]:
    """The five seeds as validated articles, in file order, with the sidecar metadata merged."""
    return [parse_article(record) for record in DirectorySource(SEEDS).records()]


def run_seeds(settings: Settings | None = None, articles: list[Article] | None = None) -> tuple[Pipeline, dict[str, Result]]:
    """A fresh pipeline that has processed ``articles`` (default: the seeds, in publication order as the
    replayer sends them) in one batch."""
    pipeline = Pipeline(settings or lexical_settings())
    articles = sorted(seed_articles(), key=lambda a: a.timestamp) if articles is None else articles
    results = pipeline.process_batch(articles)
    return pipeline, {a.id: r for a, r in zip(articles, results)}
