"""streams/core/prepare/guard.py: the strings every match needs, and guarded scans that answer as the bare
pattern does."""
from __future__ import annotations

import random
import re

import pytest

from streams.core.prepare.extract import EVENT_TYPES
from streams.core.prepare.guard import FOLDING_TO_ASCII, Guarded, folding_to_ascii, required_words


@pytest.mark.parametrize(("pattern", "words"), [
    (r"\bsummit\b", {"summit"}),
    (r"\bvisit(s|ed|ing)? to\b", {"visit"}),  # the longest literal run wins over " to"
    (r"\b(video|phone) (call|talks)\b", {"video", "phone"}),  # either branch
    (r"\bsidelines? of\b", {"sideline"}),
    (r"x+yz", {"yz"}),
])
def test_required_words(pattern: str, words: set[str]) -> None:
    assert required_words(re.compile(pattern)) == words


@pytest.mark.parametrize("pattern", [r"\d+", r"(a|\d)", r"[abc]x?", r"(?:foo)?bar?"])
def test_no_words_when_a_match_needs_no_literal(pattern: str) -> None:
    found = required_words(re.compile(pattern))
    assert found is None or all(w for w in found)
    assert Guarded(pattern).findall("foo 12 bar ba c") == re.findall(pattern, "foo 12 bar ba c")


def test_case_insensitive_patterns_are_guarded_on_ascii_texts_only() -> None:
    guarded = Guarded("Subscribe", re.IGNORECASE)
    assert guarded.words == {"subscribe"}
    assert guarded.findall("SUBSCRIBE or subScribe") == ["SUBSCRIBE", "subScribe"]
    assert not guarded.possible("sign up today")
    assert guarded.possible("ſubscribe")  # a letter that folds onto "s": the scan runs ...
    assert guarded.findall("ſubscribe") == ["ſubscribe"]  # ... and finds what the bare pattern finds
    assert guarded.findall("“SUBSCRIBE” — now") == ["SUBSCRIBE"]  # other non-ASCII text: lowercased, checked
    assert not guarded.possible("“Sign up” — now")


def test_letters_folding_onto_ascii_are_those_of_this_python() -> None:
    assert folding_to_ascii() == FOLDING_TO_ASCII == "\u0130\u0131\u017f\u212a"


def test_boilerplate_patterns_guarded_answer_as_the_bare_ones() -> None:
    from streams.core.prepare.clean import _LINE_PATTERNS
    lines = ["Sign up for our NEWSLETTER to get it in your inbox", "Successfully subscribed!", "Advertisement",
             "Terms of Use and Privacy", "The summit opened on Monday.", "Photo: Example", "Read more: x",
             "By signing up you agree", "Get the Newsletter", "ſign up for the newſletter", "12", "03:15"]
    for guarded in _LINE_PATTERNS:
        bare = re.compile(guarded.pattern.pattern, re.IGNORECASE)
        for line in lines:
            assert (guarded.search(line) is None) == (bare.search(line) is None), (guarded.pattern.pattern, line)


def test_guarded_scans_answer_as_the_bare_patterns() -> None:
    """Every event-type pattern over texts made of its own words and noise: the same findall and search."""
    rng = random.Random(5)
    vocabulary = ("summit sidelines of heads of state video call phone talks visited to arrived in state visit "
                  "met held talks bilateral meeting with shooting bombing attackers quake flooding crashed "
                  "polls open voters protesters rallies court launched rocket tariffs shares fell the a in on "
                  "red-carpet face-to-face meeting annual meeting of").split()
    texts = [" ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 40))) for _ in range(300)]
    for rules in EVENT_TYPES.values():
        for pattern, _ in rules:
            guarded, bare = Guarded(pattern), re.compile(pattern)
            assert guarded.words, pattern  # each of them has a literal to look for
            for text in texts:
                assert guarded.findall(text) == bare.findall(text)
                assert (guarded.search(text) is None) == (bare.search(text) is None)


def test_a_text_without_the_words_is_not_scanned() -> None:
    guarded = Guarded(r"\bsummit\b")
    assert not guarded.possible("talks in Beijing")
    assert guarded.possible("the summitry")  # a substring is enough to run the real scan ...
    assert guarded.findall("the summitry") == []  # ... which decides


def test_patterns_anchored_at_the_start_are_not_guarded() -> None:
    assert Guarded(r"^advertisement\W*$").words is None
    assert Guarded(r"\Aadvertisement").words is None
    assert Guarded(r"^advertisement", re.MULTILINE).words == {"advertisement"}  # any line may start it
    assert Guarded(r"newsletter.*sign up").words == {"newsletter"}
