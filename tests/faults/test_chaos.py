"""No silent drop: the chaos scenarios (streams/tools/chaos.py) on the embedded broker with real worker processes, each
raw record reconciled against the enriched and dead-letter topics by its raw partition and offset. The sizes and
replay scenarios run in test_size_limits.py and test_quiet_replays.py with their own checks; `streams chaos`
runs all of them."""
from __future__ import annotations

import pytest

from streams.tools.chaos import MALFORMED, POISONED_DATES, run_scenario

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("chaos")


def test_every_malformed_kind_is_one_dead_letter_and_every_good_article_one_decision(broker, workdir):
    row = run_scenario("malformed", broker.bootstrap, workdir)
    kinds = len(MALFORMED) * 4
    assert (row["in"], row["enriched"], row["dead"], row["replays"]) == (100 + kinds + 5, 100, kinds + 5, 0), row
    assert (row["lost"], row["duplicates"], row["ambiguous"]) == (0, 0, 0), row
    assert row["dead_reasons"] == {"bad_encoding": 16, "empty_body": 12, "id_conflict": 5, "missing_title": 12,
                                   "not_json": 16, "too_large": 4, "wrong_shape": 12}, row


def test_poisoned_and_missing_dates_lose_no_article(broker, workdir):
    row = run_scenario("untrusted_time", broker.bootstrap, workdir)
    assert row["in"] == row["enriched"] == 120 + 12 + 8 and not row["dead"], row
    assert len(POISONED_DATES) == 7
    assert (row["lost"], row["duplicates"], row["ambiguous"]) == (0, 0, 0), row


def test_after_two_sigkills_every_raw_record_has_one_outcome(broker, workdir):
    row = run_scenario("sigkill", broker.bootstrap, workdir)
    assert row["in"] == 600 + 100 + 30 + 60, row
    assert (row["enriched"], row["dead"], row["replays"]) == (700, 30, 60), row
    assert row["lost"] == 0 and row["ambiguous"] == 0, row
    assert row["droppable"] == row["duplicates"], "a redelivered output a consumer cannot recognise by id+version"
