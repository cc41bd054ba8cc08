"""Sources yield raw article records; a publisher sends them to the raw topic.

A new kind of source (a feed, a directory, a JSONL file, ...) is one new module
here implementing :class:`streams.sources.base.Source`.
"""
from streams.sources.base import Source, article_id

__all__ = ["Source", "article_id"]
