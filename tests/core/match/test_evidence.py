"""streams/core/match/evidence.py: checkable evidence that two articles report the same story."""
from __future__ import annotations

from streams.core.match.evidence import QUOTE_MATCH, Evidence, collect, shared_quotes


def test_near_matching_quote_is_shared():
    matches = shared_quotes(["small yards with high fences"], ["small farms with high fences"])
    assert len(matches) == 1
    assert matches[0]["a"] == "small yards with high fences"
    assert matches[0]["b"] == "small farms with high fences"
    assert QUOTE_MATCH / 100 <= matches[0]["score"] < 1.0


def test_exact_quote_ignores_case_and_punctuation():
    matches = shared_quotes(["The best in their history!"], ["the best in their history"])
    assert [m["score"] for m in matches] == [1.0]


def test_partial_quote_inside_a_longer_quote_matches():
    short = "should always uphold the original aspiration of their friendship"
    long = ("Faced with the international situation and an external environment of turbulent change, "
            "the two sides should always uphold the original aspiration of their friendship,")
    matches = shared_quotes([short], [long])
    assert len(matches) == 1 and matches[0]["b"] == long
    assert matches[0]["score"] >= QUOTE_MATCH / 100


def test_unrelated_quotes_do_not_match():
    assert shared_quotes(["we highly appreciate the balanced position"],
                         ["lead China-Russia relations to a new height"]) == []
    assert shared_quotes([], ["anything at all here"]) == []


def test_short_quotes_need_a_whole_match_not_a_partial_one():
    assert shared_quotes(["no limits"], ["a partnership with no limits and more"]) == []


def test_each_quote_of_b_is_used_once():
    matches = shared_quotes(["the best in their history", "the best in their history"],
                            ["the best in their history"])
    assert len(matches) == 1


def test_best_candidate_wins():
    matches = shared_quotes(["small yards with high fences"],
                            ["small farms with high fences", "small yards with high fences"])
    assert matches[0]["b"] == "small yards with high fences" and matches[0]["score"] == 1.0


def test_collect_shares_entities_and_numbers():
    evidence = collect(["small yards with high fences"], ["small farms with high fences"],
                       ["Xi Jinping", "Vladimir Putin", "SCO"], ["Vladimir Putin", "Xi Jinping", "NATO"],
                       ["$240 billion", "2022"], ["$240 billion", "10"])
    assert evidence.entities == ["Vladimir Putin", "Xi Jinping"]
    assert evidence.numbers == ["$240 billion"]
    assert len(evidence.quotes) == 1
    assert evidence.as_dict() == {"shared_quotes": evidence.quotes, "shared_entities": evidence.entities,
                                  "shared_numbers": evidence.numbers}


def test_empty_evidence():
    assert Evidence().as_dict() == {"shared_quotes": [], "shared_entities": [], "shared_numbers": []}
    assert collect([], [], ["A"], ["B"], [], []).as_dict() == {
        "shared_quotes": [], "shared_entities": [], "shared_numbers": []}


def test_evidence_seen_from_the_other_side_and_back_from_its_wire_form():
    evidence = collect(["small yards with high fences"], ["small farms with high fences"], ["SCO"], ["SCO"], [], [])
    swapped = evidence.swapped()
    assert swapped.quotes == [{"a": "small farms with high fences", "b": "small yards with high fences",
                               "score": evidence.quotes[0]["score"]}]
    assert swapped.swapped() == evidence and swapped.entities == ["SCO"]
    assert Evidence.from_dict(evidence.as_dict()) == evidence


def test_quote_scores_remembered_for_repeated_quote_lists_give_the_same_pairs() -> None:
    """Copies of one story bring the same quotes again: the second time the score matrix comes from memory,
    read-only, and the pairs are the same (and a new list of the result, which the caller may change)."""
    from streams.core.match.evidence import _fuzzy_scores
    a = ["we will build small yards with high fences around them", "the talks were very constructive indeed"]
    b = ["we will build small farms with high fences", "talks were constructive, officials said afterwards"]
    first = shared_quotes(a, b)
    hits = _fuzzy_scores.cache_info().hits
    again = shared_quotes(list(a), list(b))
    assert _fuzzy_scores.cache_info().hits == hits + 1
    assert again == first and again is not first and len(first) >= 1
    again[0]["score"] = 0.0
    assert shared_quotes(a, b) == first
    scores = _fuzzy_scores(("small yards with high fences",), ("small farms with high fences",), QUOTE_MATCH)
    assert not scores.flags.writeable
