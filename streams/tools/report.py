"""The demo report: stories, events and aggregates, as text for people and JSON for scripts."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from streams.runtime.outputs import Outputs


def build(outputs: Outputs, published: int) -> dict[str, Any]:
    """One object with ``stories``, ``events`` and ``aggregates`` (and a summary)."""
    stories = sorted(outputs.stories.values(), key=lambda s: s["id"])
    events = sorted(outputs.events.values(), key=lambda e: e.get("date") or "")
    aggregates = sorted(outputs.aggregates.values(), key=lambda a: (a["kind"], str(a["key"])))
    return {
        "summary": {"published": published, "enriched": len(outputs.enriched), "dead_letters": len(outputs.dead),
                    "stories": len(stories), "events": len(events)},
        "articles": [_article(outputs.enriched[k]) for k in sorted(outputs.enriched)],
        "stories": [{"id": s["id"], "canonical": s["canonical"], "articles": s["articles"], "outlets": s["outlets"],
                     "members": s["members"]} for s in stories],
        "events": [{k: e.get(k) for k in ("id", "label", "type", "actors", "location", "date", "date_source",
                                          "date_inferred", "date_range", "articles", "stories", "outlets", "members")}
                   for e in events],
        "aggregates": aggregates,
        "dead_letters": [{"reason": d.get("reason"), "detail": d.get("detail")} for d in outputs.dead],
    }


def _article(record: dict) -> dict[str, Any]:
    """What is known of one article, and from where: the record, the page's text, or nothing ("unknown")."""
    facts = record.get("facts") or {}
    return {"id": record["id"], "title": record.get("title"),
            "outlet": record.get("source") or "unknown", "outlet_evidence": record.get("source_evidence"),
            "published": record.get("published"), "dateline": facts.get("dateline"),
            "dateline_text": facts.get("dateline_text"), "story_id": record.get("story_id"),
            "event_ids": record.get("event_ids"), "event_date": facts.get("event_date"),
            "event_date_source": facts.get("event_date_source")}


def _published(article: dict) -> str:
    if article["published"]:
        return article["published"]
    if article["dateline"]:
        return f"unknown (dateline in the text: {article['dateline']}, {article['dateline_text']!r})"
    return "unknown"


def _outlet(article: dict) -> str:
    evidence = article.get("outlet_evidence")
    return f"{article['outlet']} ({evidence})" if evidence else article["outlet"]


def _event_date(event: dict) -> str:
    if not event.get("date"):
        return "unknown"
    how = {"text": "stated in the text", "inferred": "inferred", "catalog": "from the catalog"}
    return f"{event['date']} ({how.get(event.get('date_source') or '', event.get('date_source'))})"


def render(report: dict[str, Any]) -> str:
    """A readable plain-text report."""
    s = report["summary"]
    lines = [f"news-streams demo: {s['published']} articles published, {s['enriched']} enriched, "
             f"{s['dead_letters']} dead letters", "", "ARTICLES"]
    for article in report["articles"]:
        lines.append(f"  {article['id']}  {article['title']}")
        lines.append(f"    outlet: {_outlet(article)}")
        lines.append(f"    published: {_published(article)}")
    lines += ["", f"STORIES ({s['stories']})"]
    for story in report["stories"]:
        lines.append(f"  {story['id']}  ({len(story['articles'])} article(s), outlets: {', '.join(story['outlets'])})")
        for member in story["members"]:
            lines.append(f"    - {member['article']}  [{member['outlet']}]  {_why(member)}")
    lines += ["", f"EVENTS ({s['events']})"]
    for event in report["events"]:
        lines.append(f"  {event['label']}")
        lines.append(f"    id {event['id']} · type {event['type']} · actors: {', '.join(event['actors'] or [])}")
        lines.append(f"    where: {event.get('location') or 'unknown'} · when: {_event_date(event)}")
        lines.append(f"    articles: {', '.join(event['articles'])}")
    lines += ["", "AGGREGATES"]
    lines += _aggregate_lines(report["aggregates"])
    if report["dead_letters"]:
        lines += ["", "DEAD LETTERS"] + [f"  {d['reason']}: {d['detail'] or ''}" for d in report["dead_letters"]]
    return "\n".join(lines)


def _why(member: dict) -> str:
    if member.get("kind") in (None, "new"):
        return "first article of the story"
    sim = member.get("similarity") or {}
    evidence = member.get("evidence") or {}
    quotes = [q["b"] if len(q["b"]) < 60 else q["b"][:57] + "..." for q in evidence.get("shared_quotes", [])]
    figures = ", ".join(f"{k}={v}" for k, v in sim.items() if v is not None)
    text = f"{member['kind']} of {member['duplicate_of']} ({figures})"
    if quotes:
        text += f"; shared quotes: {'; '.join(repr(q) for q in quotes[:3])}"
    return text


def _aggregate_lines(aggregates: list[dict]) -> list[str]:
    lines = ["  per event:"]
    for a in (a for a in aggregates if a["kind"] == "event"):
        lines.append(f"    {a['label']}: {a['articles']} articles, {a['stories']} stories, {a['outlets']} outlets, "
                     f"duplicate ratio {a['duplicate_ratio']:.2f}, {a['articles_per_hour']} articles/h")
    lines.append("  per outlet:")
    for a in (a for a in aggregates if a["kind"] == "outlet"):
        delay = f", median delay {a['median_delay_s']}s" if a["median_delay_s"] is not None else ""
        lines.append(f"    {a['key']}: {a['articles']} articles, rewrite share {a['rewrite_share']:.2f}{delay}")
    windows = [a for a in aggregates if a["kind"] == "window"]
    lines.append(f"  windows ({len(windows)}):")
    for a in windows[-6:]:
        top = ", ".join(f"{t['label']} ({t['articles']})" for t in a["top_events"][:3])
        start = datetime.fromtimestamp(a["start"], UTC).strftime("%Y-%m-%d %H:%M")
        lines.append(f"    {a['size_s']}s window from {start} UTC: {a['articles']} articles, {a['new_stories']} new stories, "
                     f"{a['new_events']} new events; top: {top}")
    return lines
