"""Facts that corroborate a candidate event lower the text similarity an item needs to join it.

Text similarity alone must be set high where many stories are related but different (the SemEval pairs) and
then splits the coverage of one event whose articles word it differently. Two independent facts make a
coincidence unlikely: the same event date (stated or anchored, within ``event_date_tolerance_days``) *and* a
shared actor (names folded) or the same sure place (dateline or lead). With both, and no type conflict, the
item needs ``event_corroborated_factor`` times its usual threshold. Unknown facts never corroborate, and a
date of another day is no corroboration (the gates in ``events._conflict`` decide what a mismatch does).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from streams.core.prepare import names as person_names
from streams.core.prepare.extract import Facts, compatible_types

if TYPE_CHECKING:
    from streams.core.resolve.events import Event

EXACT_DATE_SOURCES = frozenset({"explicit", "weekday", "month_day", "relative"})
SURE_LOCATION_SOURCES = frozenset({"dateline", "lead"})


def corroborated(event: Event, facts: Facts, tolerance_days: float) -> str:
    """Why the event is corroborated ("date+actor", "date+place") or "" when it is not."""
    day = facts.event_date
    if day is None or day.how not in EXACT_DATE_SOURCES:
        return ""
    if facts.event_type != "other" and event.type != "other" and not compatible_types(facts.event_type, event.type):
        return ""
    dates = event.exact_dates
    if not dates or min(abs((day.day - d).days) for d in dates) > tolerance_days:
        return ""
    if person_names.keys(facts.actors) & event.actor_keys.keys():
        return "date+actor"
    sure = event.sure_location
    if sure is not None and facts.location_source in SURE_LOCATION_SOURCES and facts.location == sure:
        return "date+place"
    return ""
