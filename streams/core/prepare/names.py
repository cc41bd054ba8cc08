"""Person-name variants: one key for the spellings of one name, and the spelling to show.

Transliterations differ by outlet and language ("Wladimir Putin" in a German-sourced rewrite,
"Vladimir Putin" in English copy; "Zelenskyy" / "Zelensky"; accents kept or dropped). Two spellings are
the same name when their keys are equal: accents removed, lowercase, and the letters that
transliteration schemes swap folded (w/v, ph/f, j/y/i/ij, ks/x, z/s, doubled letters). The key is only
for comparing; the name shown is one that occurs in the text, the most frequent, and among equally
frequent ones the one closest to English transliteration (the fewest folded letters).
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

_FOLDS = (("ph", "f"), ("ks", "x"), ("w", "v"), ("ij", "i"), ("iy", "i"), ("yy", "y"), ("j", "y"), ("y", "i"),
          ("kh", "h"), ("tch", "ch"), ("sch", "sh"), ("ou", "u"), ("z", "s"))
CACHED_NAMES = 1 << 16
"""Names whose key and spelling score are remembered: the same names recur in article after article."""


@lru_cache(maxsize=CACHED_NAMES)
def plain(name: str) -> str:
    """Lowercase ASCII letters and single spaces: accents removed ("Mîndruțescu" -> "mindrutescu")."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z ]+", " ", text).split())


@lru_cache(maxsize=CACHED_NAMES)
def name_key(name: str) -> str:
    """The key shared by the spelling variants of one name."""
    key = plain(name)
    for old, new in _FOLDS:
        key = key.replace(old, new)
    return re.sub(r"(\w)\1+", r"\1", key)


@lru_cache(maxsize=CACHED_NAMES)
def _folded_letters(name: str) -> int:
    text = plain(name)
    return sum(text.count(old) for old, _ in _FOLDS if old not in ("y", "yy"))


def fold(counts: Counter) -> Counter:
    """Counts of names with the variants of each name merged under the spelling to show."""
    groups: dict[str, Counter] = {}
    for name, n in counts.items():
        groups.setdefault(name_key(name), Counter())[name] += n
    return Counter({shown(g): sum(g.values()) for g in groups.values()})


def shown(variants: Counter) -> str:
    """The spelling to show among variants of one name."""
    return min(variants, key=lambda n: (-variants[n], _folded_letters(n), n))


def keys(names: Iterable[str]) -> set[str]:
    return {name_key(n) for n in names}
