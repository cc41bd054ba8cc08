"""One CLI for everything: python -m streams {worker,replay,demo,eval,bench,chaos,feeds,settings}.

Flags override ``STREAMS_*`` environment variables; bad flags or settings print one line
and exit 2 instead of a traceback.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any, NoReturn

from streams import __version__
from streams.settings import SettingsError, assignments, load
from streams.tools.args import positive

EXIT_USAGE = 2
EXIT_BROKER_LOST = 3
"""``streams worker``: the broker lost the worker's topics (a memory-only broker restarted); start it again."""


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bootstrap", help="Kafka brokers, host:port[,host:port]")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="any setting (see `streams settings`), repeatable")


def _settings(args: argparse.Namespace, connects: bool = True, **extra: Any):
    overrides: dict[str, Any] = {"bootstrap": getattr(args, "bootstrap", None), **extra}
    overrides.update(assignments(args.set))
    settings = load(**overrides)
    from streams.runtime.redact import redact_logs

    redact_logs(settings.secrets())
    if connects:
        _check_tls_files(settings)
        on_command_line = sorted(n for n in ("sasl_password", "ssl_password") if overrides.get(n) or overrides.get(f"kafka.{n}"))
        if on_command_line:
            name = on_command_line[0]
            print(f"warning: {name} given on the command line is visible to other users in the process list; "
                  f"use STREAMS_{name.upper()} or {name}_file", file=sys.stderr)
        _check_catalog(settings)
    return settings


def _check_catalog(settings: Any) -> None:
    """A missing or broken catalog is reported before anything connects to Kafka."""
    if settings.catalog:
        from streams.core.resolve.catalog import load_catalog

        load_catalog(settings.catalog)


def _stop_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C: ``finally`` blocks stop the child processes (broker, workers)."""
    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, stop)


def _check_tls_files(settings: Any) -> None:
    """A TLS file that is not there is a settings error, not a connection that never succeeds."""
    if not settings.security_protocol.endswith("SSL"):
        return
    for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
        path = getattr(settings, name)
        if path and not os.path.isfile(path):
            raise SettingsError(f"{name} {path!r} is not a file")


def _say(message: str) -> None:
    """One readable status line on stderr (no logging decoration)."""
    print(f"streams {message}", file=sys.stderr, flush=True)


class HardStop:
    """Ends the worker process ``seconds`` after it was asked to stop, if Faust's graceful stop has not.

    Faust stops on SIGTERM by committing offsets and closing its clients; with the broker gone that can wait
    for minutes (a worker whose broker had been gone 40 minutes ignored SIGTERM for over a minute). Nothing
    is lost by ending it: what was not committed is processed again (at-least-once, idempotent state)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.code: int | None = None

    def arm(self, code: int) -> None:
        if self.code is not None:
            return
        self.code = code
        timer = threading.Timer(self.seconds, self._exit)
        timer.daemon = True
        timer.start()

    def _exit(self) -> None:
        print(f"streams worker: not stopped {self.seconds:g}s after being asked to (stop_timeout_s): exiting now",
              file=sys.stderr, flush=True)
        os._exit(self.code if self.code is not None else 1)

    def watch_signals(self) -> None:
        """Arm on SIGTERM/SIGINT. Faust's worker (mode) installs its own signal handlers on the event loop,
        replacing any of ours, so its shutdown scheduling is wrapped instead."""
        from mode import worker as mode_worker

        schedule = mode_worker.Worker._schedule_shutdown
        stopper = self

        def schedule_shutdown(worker: Any, signum: signal.Signals) -> None:
            stopper.arm(128 + int(signum))
            schedule(worker, signum)

        mode_worker.Worker._schedule_shutdown = schedule_shutdown  # type: ignore[method-assign,assignment]


def cmd_worker(args: argparse.Namespace) -> int:
    from streams.brokers.tansu import (
        BrokerWatch,
        connect_admin,
        ensure_topics,
        quiet_kafka_outages,
        worker_input_topics,
    )

    settings = _settings(args)
    if settings.web_port == 0:  # valid for the settings (0 = no metrics server), not for Faust's web server
        raise SettingsError("web_port must be 1-65535 for the worker (Faust's web server), got 0")
    # Faust stops with a traceback when the broker does not answer at start: wait for it here, bounded
    # by connect_timeout_s, and create the topics (a restarted memory-only broker has none).
    ensure_topics(settings, on_wait=lambda text: _say(f"worker: {text}"))
    from streams.runtime.app import create_app

    app = create_app(settings)

    quiet_kafka_outages(settings.bootstrap)

    stopper = HardStop(settings.stop_timeout_s)
    stopper.watch_signals()

    def lost(reason: str) -> None:
        print(f"error: the broker at {settings.bootstrap} lost the worker's state ({reason}; a memory-only broker "
              f"that restarted comes back empty); stopping with exit code {EXIT_BROKER_LOST} so that a supervisor "
              "starts the worker again", file=sys.stderr, flush=True)
        stopper.arm(EXIT_BROKER_LOST)  # if Faust cannot stop gracefully
        os.kill(os.getpid(), signal.SIGTERM)  # Faust stops gracefully on SIGTERM

    admin = connect_admin(settings)
    try:
        watch = BrokerWatch(settings, worker_input_topics(settings), lost).start(admin)
    finally:
        admin.close()
    sys.argv = ["streams", "worker", "--loglevel", args.loglevel]
    try:
        app.main()
    except SystemExit:
        if watch.lost:
            return EXIT_BROKER_LOST
        raise
    finally:
        watch.stop()
    return EXIT_BROKER_LOST if watch.lost else 0


def cmd_replay(args: argparse.Namespace) -> int:
    from streams.brokers.tansu import ensure_topics
    from streams.sources.files import open_source
    from streams.tools.replay import replay

    settings = _settings(args)
    source = open_source(args.path)
    ensure_topics(settings, on_wait=lambda text: _say(f"replay: {text}"))
    summary = replay(settings, source, topic=args.topic or "", rate=args.rate, speed=args.speed, loops=args.loop)
    print(summary.line())
    return 0 if summary.failed == 0 else 1


def cmd_demo(args: argparse.Namespace) -> int:
    from streams.tools.demo import run_demo

    settings = _settings(args)
    _stop_on_sigterm()
    return run_demo(settings, seeds=args.seeds, as_json=args.json, keep_running=args.keep_running,
                    timeout=args.timeout, broker=args.broker)


def cmd_eval(args: argparse.Namespace) -> int:
    from streams.evaluation.run import main as eval_main

    return eval_main(args.rest)


def cmd_bench(args: argparse.Namespace) -> int:
    from streams.bench.run import main as bench_main

    _stop_on_sigterm()
    return bench_main(args.rest)


def cmd_chaos(args: argparse.Namespace) -> int:
    from streams.tools.chaos import main as chaos_main

    return chaos_main(args.rest)


def cmd_feeds(args: argparse.Namespace) -> int:
    from streams.brokers.tansu import connect_admin
    from streams.sources.feeds import load_config, run_feeds

    settings = _settings(args)
    load_config(args.config)  # a bad config is reported before waiting for Kafka
    connect_admin(settings, on_wait=lambda text: _say(f"feeds: {text}")).close()
    return run_feeds(settings, args.config, once=args.once, state_dir=args.state_dir,
                     metrics_port=args.metrics_port)


def cmd_settings(args: argparse.Namespace) -> int:
    import orjson

    from streams.tools.show_settings import markdown, table

    if args.markdown:
        print(markdown())
        return 0
    settings = _settings(args, connects=False)
    if args.json:
        print(orjson.dumps(settings.public(), option=orjson.OPT_INDENT_2).decode())
    else:
        print(table(settings))
    return 0



class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one ``error:`` line (with the usage folded into it), exit 2."""

    def error(self, message: str) -> NoReturn:
        usage = " ".join(self.format_usage().split())
        self.exit(EXIT_USAGE, f"error: {message} ({usage}; see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="streams", description="news-streams: a Kafka + Faust pipeline that dedups news stories "
                    "and tags real-world events.",
                    epilog="Flags override STREAMS_* environment variables; `streams settings` prints every "
                    "setting. Exit codes: 0 done, 1 records not acknowledged (replay) or a command's own "
                    "failure, 2 usage, settings or broker unreachable, 3 the broker lost the worker's state.")
    parser.add_argument("--version", action="version", version=f"streams (news-streams) {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    worker = sub.add_parser("worker", help="run a Faust worker")
    _common(worker)
    worker.add_argument("--loglevel", default="info", choices=("debug", "info", "warning", "error", "critical"),
                        help="Faust/worker log level (default info)")
    worker.set_defaults(func=cmd_worker)

    rep = sub.add_parser("replay", help="publish a directory or JSONL file of articles to the raw topic")
    _common(rep)
    rep.add_argument("path", nargs="?", default="seeds",
                     help="a directory of .txt/.json articles or a JSONL file (default: seeds)")
    rep.add_argument("--topic", help="topic to publish to (default: the raw topic)")
    rep.add_argument("--rate", type=positive(float), help="records per second (> 0)")
    rep.add_argument("--speed", type=positive(float), help="replay publication timing divided by SPEED (> 0)")
    rep.add_argument("--loop", type=positive(int), default=1, help="publish everything N times")
    rep.set_defaults(func=cmd_replay)

    demo = sub.add_parser("demo", help="embedded broker + worker + seed replay + report")
    _common(demo)
    demo.add_argument("--seeds", default="seeds", help="articles to replay: directory or JSONL (default: seeds)")
    demo.add_argument("--json", action="store_true", help="print the report as one JSON object")
    demo.add_argument("--keep-running", action="store_true", help="keep broker, worker and metrics up")
    demo.add_argument("--timeout", type=positive(float), default=180.0,
                      help="seconds to wait for every article to be processed (default 180)")
    demo.add_argument("--broker", choices=("tansu", "kafka"), default="tansu",
                      help="tansu: the embedded broker (default, no Java); kafka: Apache Kafka (needs `make kafka`)")
    demo.set_defaults(func=cmd_demo)

    for name, func, text in (("eval", cmd_eval, "evaluate dedup or events on a labelled JSONL file"),
                             ("bench", cmd_bench, "end-to-end and in-process benchmarks"),
                             ("chaos", cmd_chaos, "fault injection on the embedded broker, with a reconciliation")):
        p = sub.add_parser(name, help=text, add_help=False)
        p.add_argument("rest", nargs=argparse.REMAINDER)
        p.set_defaults(func=func, set=[])

    feeds = sub.add_parser("feeds", help="poll RSS/Atom feeds and publish new entries")
    _common(feeds)
    feeds.add_argument("--config", required=True, help="feeds YAML (see feeds.example.yaml, docs/feeds.md)")
    feeds.add_argument("--once", action="store_true", help="poll every feed once and exit")
    feeds.add_argument("--state-dir", help="where seen entries are remembered")
    feeds.add_argument("--metrics-port", type=int, help="serve the feed metrics on this port")
    feeds.set_defaults(func=cmd_feeds)

    show = sub.add_parser("settings", help="print the effective settings by section: value, default, range, "
                          "description (secrets masked)")
    _common(show)
    show.add_argument("--json", action="store_true", help="print the settings as one JSON object by section")
    show.add_argument("--markdown", action="store_true",
                      help="print docs/configuration.md (every setting's default, range and description)")
    show.set_defaults(func=cmd_settings)
    return parser


PASS_THROUGH = {"eval": cmd_eval, "bench": cmd_bench, "chaos": cmd_chaos}
"""Commands with their own parser: every argument after the name goes to them unchanged
(argparse.REMAINDER drops leading options such as ``bench --micro``)."""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in PASS_THROUGH:
        args = argparse.Namespace(command=argv[0], func=PASS_THROUGH[argv[0]], rest=argv[1:], set=[])
    else:
        args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # kafka-python (replayer, admin, the worker's wait for the broker): connection retries are reported
    # once, as our own line; the worker's Faust/aiokafka logging is configured by Faust.
    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - one clear line for the user's known errors
        if _is_user_error(exc):
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        raise


def _is_user_error(exc: Exception) -> bool:
    from streams.brokers.tansu import BrokerError
    from streams.core.resolve.catalog import CatalogError
    from streams.runtime.publish import PublishError
    from streams.sources.files import SourceError

    known: tuple[type, ...] = (SettingsError, SourceError, BrokerError, PublishError, CatalogError)
    try:
        from streams.sources.feeds import FeedConfigError
        known += (FeedConfigError,)
    except ImportError:
        pass
    return isinstance(exc, known)
