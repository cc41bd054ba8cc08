"""streams/core/prepare/clean.py: boilerplate lines go, reporting stays, banners are learnt per outlet."""
from __future__ import annotations

import pytest

from streams.core.prepare.clean import OUTLET_BANNER_ARTICLES, Cleaner, lead
from tests.articles import SEEDS

REPORT = "The minister said on Monday that the talks would resume next week."
SECOND = "Officials declined to give further details about the agenda."


def paragraphs(text: str) -> list[str]:
    return text.split("\n\n")


@pytest.mark.parametrize("line", ["Advertisement", "ADVERTISEMENT", "- Advertisement -", "Sponsored content",
                                  "Also read: Kazakhstan hosts leaders of China, Russia and Iran",
                                  "Read more: the full interview", "RELATED: Ten things to know"])
def test_fixed_boilerplate_lines_are_removed(line):
    assert paragraphs(Cleaner().clean(f"{REPORT}\n\n{line}\n\n{SECOND}")) == [REPORT, SECOND]


@pytest.mark.parametrize("footer", [
    "Sign up for our Morning Briefing newsletter to get the day's top stories in your inbox. Unsubscribe at any time.",
    "Newsletter: Get the World Briefing delivered to your inbox every weekday. Sign up here.",
    "By signing up you agree to our Terms of Use and Privacy Policy.",
    "(Reporting by Jane Doe; Editing by John Roe)",
])
def test_newsletter_and_credit_footers_are_removed(footer):
    assert paragraphs(Cleaner().clean(f"{REPORT}\n\n{SECOND}\n\n{footer}")) == [REPORT, SECOND]


def test_ordinary_sentences_mentioning_the_words_stay():
    text = f"{REPORT}\n\nThe advertisement campaign was also read aloud in parliament.\n\n{SECOND}"
    assert paragraphs(Cleaner().clean(text)) == paragraphs(text)


def test_banner_repeated_within_an_article_is_removed():
    text = f"World News | Evening Edition\n\n{REPORT}\n\n{SECOND}\n\nWorld News | Evening Edition"
    assert paragraphs(Cleaner().clean(text)) == [REPORT, SECOND]


def test_repeated_sentence_is_not_treated_as_a_banner():
    text = f"{REPORT}\n\n{SECOND}\n\n{REPORT}"  # full sentences (end with '.') are reporting, even when repeated
    assert paragraphs(Cleaner().clean(text)) == [REPORT, SECOND, REPORT]


def test_banner_learnt_across_articles_of_one_outlet():
    cleaner = Cleaner()
    banner = "Daily Planet Morning Edition"
    outputs = [cleaner.clean(f"{banner}\n\nStory number {n} was reported on day {n}.", outlet="planet.example")
               for n in range(1, OUTLET_BANNER_ARTICLES + 2)]
    assert OUTLET_BANNER_ARTICLES == 3
    assert banner in outputs[0] and banner in outputs[1]  # not yet a pattern
    assert banner not in outputs[2] and banner not in outputs[3]  # seen in 3 articles of this outlet: a banner
    assert outputs[2] == "Story number 3 was reported on day 3."


def test_banner_is_learnt_per_outlet_not_globally():
    cleaner = Cleaner()
    banner = "Daily Planet Morning Edition"
    for n, outlet in enumerate(["a.example", "b.example", "c.example", "d.example"]):
        assert banner in cleaner.clean(f"{banner}\n\nStory {n} happened today.", outlet=outlet)
    for n in range(3):  # unknown outlet: nothing is learnt
        assert banner in cleaner.clean(f"{banner}\n\nStory {n} happened today.", outlet="unknown")


def test_outlet_memory_is_bounded():
    cleaner = Cleaner(max_outlets=2)
    banner = "Daily Planet Morning Edition"
    for n in range(2):
        cleaner.clean(f"{banner}\n\nStory {n}.", outlet="planet.example")
    cleaner.clean("Other story.", outlet="b.example")
    cleaner.clean("Other story.", outlet="c.example")  # evicts planet.example (least recently seen)
    assert banner in cleaner.clean(f"{banner}\n\nStory 3.", outlet="planet.example")  # counting restarted


@pytest.mark.parametrize("text", ["Advertisement", "Breaking News\nBreaking News", "Also read: more on this"])
def test_never_empties_an_article(text):
    cleaned = Cleaner().clean(text)
    assert cleaned.strip()


def test_never_empties_an_article_made_of_learnt_banners():
    cleaner = Cleaner()
    for _ in range(OUTLET_BANNER_ARTICLES + 1):
        cleaned = cleaner.clean("Short Banner Line", outlet="planet.example")
    assert cleaned == "Short Banner Line"


def test_layout_is_normalised():
    cleaned = Cleaner().clean("First\u00a0line   with\tspaces\r\n\r\n\r\n  Second line.  ")
    assert cleaned == "First line with spaces\n\nSecond line."


@pytest.mark.parametrize("name, first_report", [
    ("000_a94de5377cbfe687.txt", "ASTANA (Example Wire) - Chinese President Xi Jinping told Russian President"),
    ("001_52bc99c834f615cc.txt", "Chinese leader Xi Jinping and Russian President Vladimir Putin vowed"),
    ("002_2bab8afb75e512c1.txt", "SAMARKAND, Uzbekistan - Russian President Vladimir Putin acknowledged"),
    ("003_ea497608403e14fb.txt", "Russian President Vladimir Putin and Chinese President Xi Jinping held a video"),
    ("004_8019c449f466b57c.txt", "BEIJING - Russian President Vladimir Putin was welcomed"),
])
def test_seed_articles_are_cleaned_and_keep_their_reporting(name, first_report):
    _, _, body = (SEEDS / name).read_text(encoding="utf-8").partition("\n")
    cleaned = Cleaner().clean(body)
    for junk in ("Advertisement", "Verifica Menajeria", "Sign up", "Also read", "Unsubscribe", "Editing by"):
        assert junk not in cleaned
    assert cleaned.startswith(first_report)
    assert len(paragraphs(cleaned)) >= 5
    assert all(p in body for p in paragraphs(cleaned))  # only whole lines removed, nothing rewritten


def test_lead_is_title_and_first_words():
    text = " ".join(f"w{i}" for i in range(300))
    assert lead("Title", text, words=3) == "Title. w0 w1 w2"
    assert len(lead("Title", text).split()) == 181


def test_a_line_repeating_a_phrase_is_found_behind_the_cheap_check() -> None:
    from streams.core.prepare.clean import _REPEATED_PHRASE, _may_repeat, is_boilerplate
    banners = ["Breaking News Breaking News Breaking News", "World Cup 2026 World Cup 2026  World Cup 2026 ",
               "abcdefg abcdefg abcdefg abcdefg"]
    sentences = ["The summit opened on Monday in Astana.", "Breaking News Breaking News", "aaaaaaa aaaaaaa"]
    for line in banners + sentences:
        assert (_REPEATED_PHRASE.fullmatch(line) is not None) == (line in banners)
        if line in banners:
            assert _may_repeat(line) and is_boilerplate(line)
    assert not _may_repeat("The summit opened on Monday in Astana.")
