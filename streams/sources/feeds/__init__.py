"""Live news feeds (RSS 2.0, Atom, RSS 1.0/RDF) as a source of raw articles, one job per module:

* :mod:`.config`: :func:`load_config` reads the YAML feed list (see ``docs/feeds.md``); every
  problem is one :class:`FeedConfigError` line.
* :mod:`.safety`: feed XML is checked before feedparser sees it (no DTD, no entity declaration:
  billion laughs, XXE) and goes to feedparser as a stream, never as a string it could open.
* :mod:`.entries`: plain text and publication time of one parsed entry.
* :mod:`.store`: :class:`SeenStore` remembers entry GUIDs/URLs (and each feed's ETag and
  Last-Modified) in a JSON file in the state dir, so an entry is published once across polls and
  restarts. It is only updated after the publisher flushed.
* :mod:`.source`: :class:`FeedSource` is one feed as a :class:`~streams.sources.base.Source`:
  ``records()`` does one poll (a conditional GET) and yields the entries not seen before, each as
  ``{id, title, text, source, url, published, author}``. Entries with only a short summary get their
  article page fetched and extracted (:mod:`streams.sources.pages`) when the feed has ``fetch_pages``.
* :mod:`.poller`: :class:`FeedPoller` polls every feed on its interval, publishes new records through
  anything with ``send(record)`` and ``flush()``, reports to an observer
  (:mod:`streams.core.observe`), and keeps going when a feed fails.
* :mod:`.cli`: :func:`run_feeds`, the entry point of ``python -m streams feeds`` (Kafka publisher,
  signals, the Prometheus metrics server).

Nothing here but :mod:`.cli` touches the runtime (Kafka, Prometheus), and that only when it runs.
"""
from streams.sources.feeds.cli import run_feeds
from streams.sources.feeds.config import FeedConfig, FeedConfigError, FeedsConfig, load_config, parse_config
from streams.sources.feeds.entries import html_to_text
from streams.sources.feeds.poller import FeedPoller, PollReport, RecordPublisher
from streams.sources.feeds.safety import check_feed_type, check_xml_safe, parse_feed
from streams.sources.feeds.source import FeedSource
from streams.sources.feeds.store import SeenStore

__all__ = ["FeedConfig", "FeedConfigError", "FeedPoller", "FeedSource", "FeedsConfig", "PollReport",
           "RecordPublisher", "SeenStore", "check_feed_type", "check_xml_safe", "html_to_text", "load_config",
           "parse_config", "parse_feed", "run_feeds"]
