"""``faust -A streams.runtime.worker worker``: the pipeline's Faust app with settings from ``STREAMS_*`` variables.

``python -m streams worker`` does the same with flags, and waits for the broker and creates the topics first.
"""
from __future__ import annotations

from streams.runtime.app import create_app
from streams.settings import load

app = create_app(load())
