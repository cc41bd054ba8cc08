"""streams/core/resolve/tfidf.py: a text's bucket counts (remembered per text) and its vector."""
from __future__ import annotations

import math

from streams.core.resolve.tfidf import OnlineTfidf, bucket_counts, terms


def test_bucket_counts_follow_the_terms_in_order() -> None:
    text = "Summit talks: the summit ended, leaders said talks would go on. Summit!"
    index, tf = bucket_counts(text)
    counts = terms(text)
    assert counts == {"summit": 3, "talks": 2, "ended": 1, "leaders": 1}  # stopwords and short words out
    assert len(set(index.tolist())) == len(index) == len(tf) == 4
    assert tf.tolist() == [1 + math.log(3), 1 + math.log(2), 1.0, 1.0]  # in the order of first occurrence
    assert not index.flags.writeable and not tf.flags.writeable  # shared between calls: nobody may change them
    assert bucket_counts(text) is bucket_counts(text)


def test_a_repeated_text_still_counts_as_a_document() -> None:
    """The counts are remembered, the document frequencies are not: a second copy is learnt again and its
    weights change accordingly."""
    vectoriser = OnlineTfidf()
    first = vectoriser.vector("Rocket launch delayed by storm over the launch site")
    vectoriser.vector("Central bank raises interest rates again")
    again = vectoriser.vector("Rocket launch delayed by storm over the launch site")
    assert vectoriser.docs == 3
    assert set(first) == set(again)
    index, _ = bucket_counts("Rocket launch delayed by storm over the launch site")
    assert set(vectoriser.df[index].tolist()) == {2}  # each of its buckets counted once per copy
    assert math.isclose(sum(w * w for w in again.values()), 1.0)
