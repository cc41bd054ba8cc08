"""streams/core/pipeline.py ``Preparer``: an article is prepared the same whichever worker prepares it.

The cleaner learns banner lines repeated across an outlet's articles, and what it learnt changes the
cleaned text, so the fingerprint and the candidate keys. That state is kept per raw partition and is a
fold of the partition: a worker that also reads other partitions, or that took the partition over from a
killed worker and rebuilt the cleaner from the partition, prepares each article as the first one did.
(One cleaner per worker made the keys of a few articles differ after a takeover, and with them some
stories: the two-worker takeover test.)
"""
from __future__ import annotations

from streams.core.model import Article, parse_article
from streams.core.pipeline import Prepared, Preparer
from streams.core.prepare.clean import OUTLET_BANNER_ARTICLES
from streams.core.prepare.gazetteer import gazetteer
from tests.articles import lexical_settings

BANNER = "Daily Planet Morning Edition"
OUTLET = "planet.example"


def article(n: int) -> Article:
    text = (f"{BANNER}\n\nThe council of town {n} voted on the new budget on Monday, officials said.\n\n"
            f"Residents of town {n} asked for more buses and a new library before the winter.")
    return parse_article({"id": f"a{n}", "title": f"Town {n} budget vote", "text": text, "source": OUTLET,
                          "published": f"2024-05-{n + 1:02d}T10:00:00Z"})


def summary(prepared: list[Prepared]) -> dict[str, tuple[str, list[str]]]:
    return {p.article.id: (p.cleaned, p.keys) for p in prepared}


def test_a_partition_is_prepared_the_same_whatever_else_the_worker_read():
    articles = [article(n) for n in range(2 * OUTLET_BANNER_ARTICLES)]
    sources = [n % 2 for n in range(len(articles))]  # the outlet publishes on raw partitions 0 and 1
    both = summary(Preparer(lexical_settings()).prepare(articles, sources))
    mine = [a for a, s in zip(articles, sources) if s == 0]
    alone = summary(Preparer(lexical_settings()).prepare(mine, [0] * len(mine)))
    assert alone == {a.id: both[a.id] for a in mine}
    assert BANNER in alone["a2"][0]  # the second article of the outlet on partition 0: not learnt yet
    assert BANNER not in alone["a4"][0]  # the third on partition 0: a banner


def test_a_rebuilt_cleaner_prepares_like_the_worker_that_had_the_partition():
    articles = [article(n) for n in range(2 * OUTLET_BANNER_ARTICLES)]
    before, after = articles[:2], articles[2:]
    first = Preparer(lexical_settings())
    undisturbed = summary(first.prepare(articles, [0] * len(articles)))
    survivor = Preparer(lexical_settings())
    survivor.prepare([article(90 + n) for n in range(OUTLET_BANNER_ARTICLES)], [0] * OUTLET_BANNER_ARTICLES)
    survivor.drop(0)  # what it learnt from an earlier assignment of the partition does not count
    survivor.learn(0, before)  # the fold of the partition up to the offset it takes over at
    assert summary(survivor.prepare(after, [0] * len(after))) == {a.id: undisturbed[a.id] for a in after}


def test_without_sources_one_cleaner_sees_every_article():
    """The in-process pipeline (evaluation, benchmark) prepares as one raw partition."""
    articles = [article(n) for n in range(OUTLET_BANNER_ARTICLES)]
    prepared = Preparer(lexical_settings()).prepare(articles)
    assert [BANNER in p.cleaned for p in prepared] == [True, True, False]


class CountingEmbedder:
    dim = 4

    def __init__(self) -> None:
        self.loads = 0

    def load(self) -> None:
        self.loads += 1

    def encode(self, texts):
        raise AssertionError("load() must not encode")


def test_load_reads_the_place_names_and_the_model_before_the_first_batch():
    gazetteer.cache_clear()
    embedder = CountingEmbedder()
    Preparer(lexical_settings(), embedder=embedder).load()
    assert gazetteer.cache_info().currsize == 1 and embedder.loads == 1
    Preparer(lexical_settings()).load()  # lexical mode: no model to load
