"""The decision rule on a pair of articles: are they the same story, and why.

Three signals, cheapest first:
- exact: same normalised text;
- near-verbatim: MinHash-estimated 5-shingle Jaccard >= ``near_copy_jaccard``;
- paraphrase: lead-embedding cosine >= ``paraphrase_cosine``, or >= ``paraphrase_support_cosine`` with
  shared quotes and names as evidence (without the model: several shared quotes and names).

The rule reads the two articles only (a ``Fingerprint`` or a ``Held`` one), so every pair is judged the
same wherever and in whichever order it meets.
"""
from __future__ import annotations

import numpy as np

from streams.core.match import evidence as ev
from streams.core.match.decision import Decision
from streams.core.match.held import Fingerprint, Held
from streams.core.prepare.fingerprint import estimated_jaccard
from streams.settings import DedupSettings

Side = Fingerprint | Held


def judge(a: Side, b: Side, settings: DedupSettings, explain: bool = False) -> Decision | None:
    """Kind of match between ``a`` and ``b`` (``duplicate_of`` = b) or None; depends on the two articles
    only, not on which arrived first: the rule always runs later-published against earlier (quote
    matching is greedy, so its direction could otherwise change the verdict).

    Evidence (the costly part) is computed only where the rule needs it, or when ``explain``."""
    if (a.timestamp, a.article_id) < (b.timestamp, b.article_id):
        seen_from_b = _judge(b, a, settings, explain)
        if seen_from_b is None:
            return None
        swapped = None if seen_from_b.evidence is None else seen_from_b.evidence.swapped()
        return Decision(story_id="", kind=seen_from_b.kind, duplicate_of=b.article_id, jaccard=seen_from_b.jaccard,
                        cosine=seen_from_b.cosine, evidence=swapped)
    return _judge(a, b, settings, explain)


def _judge(a: Side, b: Side, settings: DedupSettings, explain: bool) -> Decision | None:
    s = settings
    jaccard = estimated_jaccard(a.minhash, b.minhash)
    cosine = lead_cosine(a, b)
    evidence = None
    kind = None
    if a.exact == b.exact:
        kind = "exact"
    elif jaccard >= s.near_copy_jaccard:
        kind = "near_verbatim"
    elif cosine is not None and cosine >= s.paraphrase_cosine:
        kind = "paraphrase"
    elif cosine is None and not a.quote_keys & b.quote_keys:
        pass  # without the model the rule needs shared quotes, and shared quotes share a first words key
    elif cosine is None or cosine >= s.paraphrase_support_cosine:
        quotes, names = (2, 2) if cosine is not None else (3, 3)
        if len(set(a.entities) & set(b.entities)) >= names:  # cheap gate before the quote matching
            evidence = evidence_between(a, b)
            if len(evidence.quotes) >= quotes:
                kind = "paraphrase"
    if kind is None:
        return None
    return Decision(story_id="", kind=kind, duplicate_of=b.article_id, jaccard=jaccard, cosine=cosine,
                    evidence=evidence if evidence is not None else evidence_between(a, b) if explain else None)


def compare(a: Fingerprint, b: Fingerprint, settings: DedupSettings) -> Decision:
    """The decision rule on one pair, with its figures and evidence even when it says "new" (pair evaluation)."""
    return judge(a, b, settings, explain=True) or Decision(
        story_id="", kind="new", jaccard=estimated_jaccard(a.minhash, b.minhash), cosine=lead_cosine(a, b))


def evidence_between(a: Side, b: Side) -> ev.Evidence:
    """Shared quotes, names and numbers of two articles (seen from ``a``)."""
    return ev.collect(a.quotes, b.quotes, a.entities, b.entities, a.numbers, b.numbers, a.quote_norms, b.quote_norms)


def lead_cosine(a: Side, b: Side) -> float | None:
    """Cosine of the two lead embeddings (unit vectors), None without the model."""
    if a.embedding is None or b.embedding is None:
        return None
    return float(np.dot(a.embedding.astype(np.float32), b.embedding.astype(np.float32)))
