"""Which worker reads which partition: Faust's assignment, with the one-partition resolve stage counted as work.

The resolve stage has one partition (it places articles in one order, docs/architecture.md), so one worker
runs it besides its share of the partitioned stages (prepare and match). Faust's assignor shares the partitioned
topics out evenly whatever else a worker holds, so that worker carried about twice the load of another one in a
two-worker group and held the group back (docs/benchmarks.md). Here the resolve partition counts as
``weight`` partitions of the others: after Faust's assignment, the partitioned topics' partitions are shared out
again so that every worker's count plus, for the worker holding the resolve partition, the weight is as even as
it can be. A worker keeps the partitions it had as far as its count allows (fewer partitions change hands,
fewer rebuilds). Which worker holds what does not change what the pipeline decides (timing apart: any
assignment is correct, docs/delivery.md); this one is faster.

Faust has no public hook between computing an assignment and encoding it for the group; ``_protocol_assignments``
is where faust-streaming 0.15.3 (pinned) encodes it, and tests/integration/test_scale_out.py checks the split that
reaches the workers on both brokers.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from faust.assignor import PartitionAssignor

from streams.runtime.topics import RESOLVE_PARTITION, topic_specs
from streams.settings import Settings

LEXICAL_SHARE = 0.3
"""The resolve stage's share of one worker's work, semantic off (two workers held 26.8 and 13.7 CPU seconds)."""
SEMANTIC_SHARE = 0.05
"""With the model: placing an article costs ~1.6 ms, preparing it ~53 ms (bench --micro --semantic on)."""


@dataclass(frozen=True)
class Plan:
    """What the assignment weighs: the resolve topic, the partitioned topics the stages read, and the resolve
    stage's share of a worker's work when one worker runs every stage."""

    resolve_topic: str
    partitioned: tuple[str, ...]
    share: float

    def weight(self, partitions: int) -> float:
        """The resolve partition's work in partitions of a topic that has ``partitions``."""
        return self.share / (1 - self.share) * partitions


def plan_of(settings: Settings) -> Plan:
    consumed = {spec.kind: spec.name for spec in topic_specs(settings) if spec.consumed}
    resolve = consumed.pop("resolve")
    share = settings.resolve_share
    if share is None:
        share = SEMANTIC_SHARE if settings.semantic else LEXICAL_SHARE
    return Plan(resolve, tuple(sorted(consumed.values())), share)


def balance(owned: Mapping[str, Iterable[int]], partitions: Sequence[int], holder: str | None,
            weight: float) -> dict[str, list[int]]:
    """``partitions`` shared out among the members of ``owned`` (member -> the partitions it holds now): each
    next one to the member with the least load (its count, plus ``weight`` for ``holder``; a tie goes to a
    member that is not the holder, then by name), each member keeping what it holds now up to its count."""
    members = sorted(owned)
    if not members:
        return {}
    load = {m: (weight if m == holder else 0.0) for m in members}
    counts = dict.fromkeys(members, 0)
    for _ in partitions:
        chosen = min(members, key=lambda m: (load[m] + counts[m], m == holder, m))
        counts[chosen] += 1
    kept: dict[str, list[int]] = {m: [] for m in members}
    taken: set[int] = set()
    given = set(partitions)
    for m in members:
        for p in sorted(set(owned[m]) & given):
            if p not in taken and len(kept[m]) < counts[m]:
                kept[m].append(p)
                taken.add(p)
    free = [p for p in sorted(partitions) if p not in taken]
    for m in members:
        while len(kept[m]) < counts[m]:
            kept[m].append(free.pop(0))
    return {m: sorted(ps) for m, ps in kept.items()}


def rebalance(actives: Mapping[str, dict[str, list[int]]], plan: Plan) -> None:
    """Share the partitioned topics of ``actives`` (member -> topic -> partitions, as Faust assigned them from
    the cluster's metadata; changed in place) out again with ``balance``. Topics with the same partitions move
    together, as Faust assigns them (every member reads them all)."""
    holder = next((m for m, a in sorted(actives.items()) if RESOLVE_PARTITION in a.get(plan.resolve_topic, ())),
                  None)
    groups: dict[tuple[int, ...], list[str]] = {}
    for topic in plan.partitioned:
        partitions = tuple(sorted({p for a in actives.values() for p in a.get(topic, ())}))
        if partitions:
            groups.setdefault(partitions, []).append(topic)
    for partitions, topics in groups.items():
        owned = {m: a.get(topics[0], []) for m, a in actives.items()}
        shares = balance(owned, partitions, holder, plan.weight(len(partitions)))
        for member, assigned in actives.items():
            for topic in topics:
                assigned[topic] = list(shares[member])


def assignor(settings: Settings) -> type:
    """Faust's ``PartitionAssignor`` with ``rebalance`` applied to what it assigns (the app's ``PartitionAssignor``
    setting)."""
    plan = plan_of(settings)

    class BalancedAssignor(PartitionAssignor):
        def _protocol_assignments(self, assignments: Any, cl_distribution: Any, tp_distribution: Any,
                                  topic_groups: Any) -> Any:
            rebalance({member: a.actives for member, a in assignments.items()}, plan)
            return super()._protocol_assignments(assignments, self._get_changelog_distribution(assignments),
                                                 self._get_external_topic_distribution(assignments), topic_groups)

    return BalancedAssignor
