"""streams/runtime/assignment.py: the resolve partition counts as work when partitions are shared out."""
from __future__ import annotations

import pytest

from streams.runtime.assignment import LEXICAL_SHARE, SEMANTIC_SHARE, Plan, balance, plan_of, rebalance
from streams.settings import load

RAW, KEYED, RESOLVE = "articles-raw", "articles-keyed", "articles-resolve"


def test_the_plan_weighs_the_resolve_stage_in_partitions_of_the_others():
    plan = plan_of(load(env={}).replace(resolve_share=0.3))
    assert plan.resolve_topic == RESOLVE
    assert plan.partitioned == (KEYED, RAW)
    assert plan.weight(4) == pytest.approx(0.3 / 0.7 * 4)  # 30 % of the work is 0.43 times the other 70 %
    assert plan_of(load(env={}).replace(resolve_share=0)).weight(4) == 0


def test_unset_the_share_follows_the_mode():
    assert plan_of(load(env={}).replace(semantic=False)).share == LEXICAL_SHARE
    semantic = plan_of(load(env={}).replace(semantic=True))
    assert semantic.share == SEMANTIC_SHARE
    # with the model preparing dominates: two workers share the partitions evenly
    assert balance({"a": [0, 1], "b": [2, 3]}, range(4), "a", semantic.weight(4)) == {"a": [0, 1], "b": [2, 3]}


def test_two_workers_the_holder_of_the_resolve_partition_gets_fewer():
    assert balance({"a": [0, 1], "b": [2, 3]}, range(4), "a", weight=1.7) == {"a": [0], "b": [1, 2, 3]}
    assert balance({"a": [0, 1], "b": [2, 3]}, range(4), "b", weight=1.7) == {"a": [0, 1, 3], "b": [2]}


def test_without_weight_the_share_is_even_and_nothing_moves():
    assert balance({"a": [0, 1], "b": [2, 3]}, range(4), "a", weight=0) == {"a": [0, 1], "b": [2, 3]}
    assert balance({"a": [0, 2, 4], "b": [1, 3]}, range(5), "b", weight=0) == {"a": [0, 2, 4], "b": [1, 3]}


def test_a_heavy_resolve_stage_leaves_its_worker_no_other_partition():
    shares = balance({"a": [0, 1], "b": [2], "c": [3]}, range(4), "a", weight=1.7)
    assert shares["a"] == []
    assert sorted(len(p) for p in shares.values()) == [0, 2, 2]


def test_one_worker_keeps_everything():
    assert balance({"a": [0, 1, 2, 3]}, range(4), "a", weight=5.0) == {"a": [0, 1, 2, 3]}


@pytest.mark.parametrize("workers", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("weight", [0.0, 0.5, 1.7, 3.0])
def test_every_partition_goes_to_exactly_one_worker_and_the_loads_are_as_even_as_they_can_be(workers, weight):
    members = [f"w{i}" for i in range(workers)]
    owned = {m: [p for p in range(6) if p % workers == i] for i, m in enumerate(members)}
    shares = balance(owned, range(6), members[-1], weight)
    assert sorted(p for ps in shares.values() for p in ps) == list(range(6))
    loads = {m: len(shares[m]) + (weight if m == members[-1] else 0) for m in members}
    # moving a partition from the most to the least loaded worker would not lower the highest load
    most, least = max(loads, key=loads.get), min(loads, key=loads.get)
    assert loads[most] <= loads[least] + 1 or not shares[most]


def test_workers_keep_what_they_hold_as_far_as_their_count_allows():
    shares = balance({"a": [1, 3], "b": [0, 2]}, range(4), "a", weight=1.7)
    assert shares == {"a": [1], "b": [0, 2, 3]}  # a gives up one of its two, b keeps both


def test_a_partition_claimed_twice_or_out_of_range_is_given_once():
    shares = balance({"a": [0, 1, 9], "b": [1, 2]}, range(4), None, weight=0)
    assert sorted(p for ps in shares.values() for p in ps) == [0, 1, 2, 3]


def test_rebalance_moves_every_partitioned_topic_together_and_leaves_the_rest():
    plan = Plan(RESOLVE, (KEYED, RAW), share=0.3)
    actives = {
        "a": {RAW: [0, 1], KEYED: [0, 1], RESOLVE: [0], "faust-leader": [0]},
        "b": {RAW: [2, 3], KEYED: [2, 3]},
    }
    rebalance(actives, plan)
    assert actives == {
        "a": {RAW: [0], KEYED: [0], RESOLVE: [0], "faust-leader": [0]},
        "b": {RAW: [1, 2, 3], KEYED: [1, 2, 3]},
    }


def test_rebalance_shares_out_the_partitions_the_topics_have_not_the_settings_count():
    """Raw with 6 partitions, keyed with 4 (topics made under other settings): each is shared out on its own, the
    resolve partition weighing 2.6 raw partitions (a: 4.6, b: 4) and 1.7 keyed ones (a: 2.7, b: 3)."""
    plan = Plan(RESOLVE, (KEYED, RAW), share=0.3)
    actives = {"a": {RAW: [0, 1, 2], KEYED: [0, 1], RESOLVE: [0]}, "b": {RAW: [3, 4, 5], KEYED: [2, 3]}}
    rebalance(actives, plan)
    assert actives == {"a": {RAW: [0, 1], KEYED: [0], RESOLVE: [0]}, "b": {RAW: [2, 3, 4, 5], KEYED: [1, 2, 3]}}


def test_rebalance_without_the_partitioned_topics_changes_nothing():
    actives = {"a": {"other": [0, 1]}, "b": {"other": [2]}}
    rebalance(actives, Plan(RESOLVE, (KEYED, RAW), share=0.3))
    assert actives == {"a": {"other": [0, 1]}, "b": {"other": [2]}}


def test_the_app_uses_the_balanced_assignor(tmp_path):
    from streams.runtime.app import create_app

    settings = load(env={}).replace(app_id="test-assignor", data_dir=str(tmp_path))
    app = create_app(settings)
    assert app.conf.PartitionAssignor.__name__ == "BalancedAssignor"
