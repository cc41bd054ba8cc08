"""streams/core/prepare/names.py: spelling variants of one person's name share a key; the shown spelling is chosen."""
from collections import Counter

import pytest

from streams.core.prepare.names import fold, name_key


@pytest.mark.parametrize("a, b", [("Wladimir Putin", "Vladimir Putin"), ("Volodymyr Zelenskyy", "Wolodymyr Selenskyj"),
                                  ("Mălina Mîndruțescu", "Malina Mindrutescu"), ("Dmitri Peskov", "Dmitry Peskov")])
def test_variants_share_a_key(a, b):
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize("a, b", [("Xi Jinping", "Li Qiang"), ("Joe Biden", "Hunter Biden")])
def test_other_people_do_not(a, b):
    assert name_key(a) != name_key(b)


def test_fold_counts_variants_once_and_shows_the_english_spelling_on_a_tie():
    assert fold(Counter({"Wladimir Putin": 1, "Vladimir Putin": 1, "Xi Jinping": 2})) == \
        Counter({"Vladimir Putin": 2, "Xi Jinping": 2})
    assert fold(Counter({"Wladimir Putin": 3, "Vladimir Putin": 1})) == Counter({"Wladimir Putin": 4})
