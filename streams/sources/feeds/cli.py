"""``python -m streams feeds``: the poller with a Kafka publisher, stop signals and a metrics server."""
from __future__ import annotations

import signal
import sys
import threading
from collections import Counter
from pathlib import Path

from streams.settings import Settings
from streams.sources.feeds.config import FeedConfigError, load_config
from streams.sources.feeds.poller import FeedPoller


def run_feeds(settings: Settings, config_path: str, once: bool = False, state_dir: str | None = None,
              *, metrics_port: int | None = None) -> int:
    """``python -m streams feeds --config feeds.yaml [--once]``.

    State goes to ``state_dir``, else the config's ``state_dir``, else
    ``<settings.data_dir>/feeds``. With ``metrics_port`` the poller serves
    ``/metrics`` (the runtime's Prometheus observer, ``streams.runtime.metrics.PROMETHEUS``) on that
    port while it runs.
    Returns 0 when done (after SIGINT/SIGTERM, or after one round with ``once``
    in which every feed was polled and published), 1 when Kafka is unreachable
    or, with ``once``, any feed failed (the others are still published),
    2 on a bad config or a metrics port that cannot be bound."""
    from streams.runtime import publish
    from streams.runtime.metrics import PROMETHEUS

    try:
        config = load_config(config_path)
    except FeedConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    state = Path(state_dir or config.state_dir or Path(settings.data_dir) / "feeds")
    exporter = None
    if metrics_port is not None:
        try:
            exporter = PROMETHEUS.serve(metrics_port, addr=settings.bind_address)
        except OSError as exc:
            print(f"error: cannot serve metrics on port {metrics_port}: {exc}", file=sys.stderr)
            return 2
    try:
        try:
            publisher = publish.Publisher(settings)
        except publish.PublishError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        stop = threading.Event()
        restore = _install_stop_handlers(stop)
        poller = FeedPoller(config, publisher, state, observer=PROMETHEUS)
        try:
            report = poller.run(once=once, stop=stop)
        finally:
            restore()
            poller.close()
            publisher.close()
    finally:
        if exporter is not None:
            exporter.shutdown()
            exporter.server_close()
    # Each error was logged once as it happened; the command ends with one summary line.
    kinds = Counter(kind for _, kind, _ in report.errors)
    by_kind = f" ({', '.join(f'{kind} {n}' for kind, n in sorted(kinds.items()))})" if kinds else ""
    print(f"feeds: polled {report.polled}, published {report.published}, not modified {report.not_modified}, "
          f"errors {len(report.errors)}{by_kind}, publish failures {report.publish_failures}", file=sys.stderr)
    return 1 if once and not report.ok else 0


def _install_stop_handlers(stop: threading.Event):
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {}

    def handler(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handler)

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)
    return restore
