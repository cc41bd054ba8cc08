"""streams/core/prepare/fingerprint.py: word tokens, exact keys, 5-word shingles and MinHash estimates."""
from __future__ import annotations

import random

import pytest

from streams.core.prepare.fingerprint import estimated_jaccard, exact_key, jaccard, minhash, minhashes, shingles, words
from tests.articles import SEEDS


def seed_body(name: str = "000_a94de5377cbfe687.txt") -> str:
    return (SEEDS / name).read_text(encoding="utf-8").partition("\n")[2]


def test_words_lowercase_and_drop_punctuation():
    assert words("Xi  tells PUTIN: 'turbulent' era,\ncalls-for restraint!") == \
        ["xi", "tells", "putin", "turbulent", "era", "calls", "for", "restraint"]


def test_exact_key_ignores_case_punctuation_and_layout():
    a = exact_key(words("Xi tells Putin: the world faces a 'turbulent' era."))
    b = exact_key(words("XI TELLS PUTIN -- the world\n\nfaces a turbulent era"))
    assert a == b
    assert exact_key(words("Xi tells Putin the world faces a calm era")) != a
    assert exact_key(words("Putin tells Xi the world faces a turbulent era")) != a  # order matters


def test_shingles_are_word_five_grams():
    tokens = "a b c d e f g".split()
    assert shingles(tokens) == {"a b c d e", "b c d e f", "c d e f g"}
    assert shingles(tokens, k=6) == {"a b c d e f", "b c d e f g"}


def test_short_text_is_one_shingle_and_empty_text_none():
    assert shingles(["only", "three", "words"]) == {"only three words"}
    assert shingles([]) == set()


def test_exact_jaccard():
    assert jaccard({"a", "b"}, {"b", "c"}) == pytest.approx(1 / 3)
    assert jaccard(set(), set()) == 0.0


def test_minhash_of_same_text_is_identical():
    tokens = words(seed_body())
    assert estimated_jaccard(minhash(tokens), minhash(list(tokens))) == 1.0


def test_minhash_estimate_is_close_to_exact_jaccard_for_a_near_copy():
    tokens = words(seed_body())
    rng = random.Random(7)
    copy = list(tokens)
    for i in rng.sample(range(len(copy)), 12):  # a lightly edited copy
        copy[i] = "edited"
    exact = jaccard(shingles(tokens), shingles(copy))
    estimate = estimated_jaccard(minhash(tokens), minhash(copy))
    assert 0.5 < exact < 0.95
    assert estimate == pytest.approx(exact, abs=0.2)  # ~0.06 std at 64 permutations


def test_minhash_separates_unrelated_articles():
    a, b = words(seed_body()), words(seed_body("003_ea497608403e14fb.txt"))
    assert jaccard(shingles(a), shingles(b)) < 0.05
    assert estimated_jaccard(minhash(a), minhash(b)) < 0.15


def test_minhash_of_short_texts():
    same = estimated_jaccard(minhash(["breaking", "news"]), minhash(["breaking", "news"]))
    different = estimated_jaccard(minhash(["breaking", "news"]), minhash(["weather", "report"]))
    assert same == 1.0
    assert different < 0.2


def test_batch_minhashes_are_the_single_sketches():
    """``minhashes`` (a whole batch in numpy) gives the very sketches ``minhash`` gives one text at a time:
    long and short texts, an empty one, a text of fewer than five words, a batch split into chunks."""
    rng = random.Random(5)
    body = words(seed_body())
    texts = [body, [], ["one"], "a b c d".split(), "a b c d e".split(), body[:40], body[17:300],
             [rng.choice(body) for _ in range(500)], "x x x x x x x".split()]
    single = [minhash(tokens) for tokens in texts]
    for chunk in (None, 50, 1):
        batch = minhashes(texts, chunk=chunk)
        assert len(batch) == len(texts)
        for one, many in zip(single, batch):
            assert one.seed == many.seed and one.scheme == many.scheme
            assert one.hashvalues.dtype == many.hashvalues.dtype
            assert one.hashvalues.tolist() == many.hashvalues.tolist()
    assert minhashes([]) == []
