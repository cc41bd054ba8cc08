"""One CLI for everything: ``python -m streams {worker,replay,demo,eval,bench,feeds,settings}``.

Flags override ``STREAMS_*`` environment variables; bad flags or settings print one line
and exit 2 instead of a traceback.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any, Callable

from streams.settings import SettingsError, load

EXIT_USAGE = 2


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bootstrap", help="Kafka brokers, host:port[,host:port]")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="any setting (see `streams settings`), repeatable")


def _settings(args: argparse.Namespace, **extra: Any):
    overrides: dict[str, Any] = {"bootstrap": getattr(args, "bootstrap", None), **extra}
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep:
            raise SettingsError(f"--set expects NAME=VALUE, got {item!r}")
        overrides[name.strip().replace("-", "_")] = value
    return load(**overrides)


def cmd_worker(args: argparse.Namespace) -> int:
    settings = _settings(args)
    os.environ.update(settings.as_env())  # streams.app reads the environment
    from streams.app import app

    sys.argv = ["streams", "worker", "--loglevel", args.loglevel]
    app.main()
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from streams.broker import ensure_topics
    from streams.replay import replay
    from streams.sources.files import open_source

    settings = _settings(args)
    source = open_source(args.path)
    ensure_topics(settings)
    summary = replay(settings, source, topic=args.topic or "", rate=args.rate, speed=args.speed, loops=args.loop)
    print(summary.line())
    return 0 if summary.failed == 0 else 1


def cmd_demo(args: argparse.Namespace) -> int:
    from streams.demo import run_demo

    settings = _settings(args)
    return run_demo(settings, seeds=args.seeds, as_json=args.json, keep_running=args.keep_running,
                    timeout=args.timeout)


def cmd_eval(args: argparse.Namespace) -> int:
    from streams.evaluation.run import main as eval_main

    return eval_main(args.rest)


def cmd_bench(args: argparse.Namespace) -> int:
    from streams.bench import main as bench_main

    return bench_main(args.rest)


def cmd_feeds(args: argparse.Namespace) -> int:
    from streams.sources.feeds import run_feeds

    return run_feeds(_settings(args), args.config, once=args.once, state_dir=args.state_dir,
                     metrics_port=args.metrics_port)


def cmd_settings(args: argparse.Namespace) -> int:
    import orjson

    print(orjson.dumps(_settings(args).public(), option=orjson.OPT_INDENT_2).decode())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="streams", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    worker = sub.add_parser("worker", help="run a Faust worker")
    _common(worker)
    worker.add_argument("--loglevel", default="info")
    worker.set_defaults(func=cmd_worker)

    rep = sub.add_parser("replay", help="publish a directory or JSONL file of articles to the raw topic")
    _common(rep)
    rep.add_argument("path", nargs="?", default="seeds")
    rep.add_argument("--topic", help="topic to publish to (default: the raw topic)")
    rep.add_argument("--rate", type=float, help="records per second")
    rep.add_argument("--speed", type=float, help="replay publication timing divided by SPEED")
    rep.add_argument("--loop", type=int, default=1, help="publish everything N times")
    rep.set_defaults(func=cmd_replay)

    demo = sub.add_parser("demo", help="embedded broker + worker + seed replay + report")
    _common(demo)
    demo.add_argument("--seeds", default="seeds")
    demo.add_argument("--json", action="store_true", help="print the report as one JSON object")
    demo.add_argument("--keep-running", action="store_true", help="keep broker, worker and metrics up")
    demo.add_argument("--timeout", type=float, default=180.0)
    demo.set_defaults(func=cmd_demo)

    for name, func, text in (("eval", cmd_eval, "evaluate dedup or events on a labelled JSONL file"),
                             ("bench", cmd_bench, "end-to-end and in-process benchmarks")):
        p = sub.add_parser(name, help=text, add_help=False)
        p.add_argument("rest", nargs=argparse.REMAINDER)
        p.set_defaults(func=func, set=[])

    feeds = sub.add_parser("feeds", help="poll RSS/Atom feeds and publish new entries")
    _common(feeds)
    feeds.add_argument("--config", required=True)
    feeds.add_argument("--once", action="store_true", help="poll every feed once and exit")
    feeds.add_argument("--state-dir", help="where seen entries are remembered")
    feeds.add_argument("--metrics-port", type=int, help="serve the feed metrics on this port")
    feeds.set_defaults(func=cmd_feeds)

    show = sub.add_parser("settings", help="print the effective settings (secrets masked)")
    _common(show)
    show.set_defaults(func=cmd_settings)
    return parser


PASS_THROUGH = {"eval": cmd_eval, "bench": cmd_bench}
"""Commands with their own parser: every argument after the name goes to them unchanged
(argparse.REMAINDER drops leading options such as ``bench --micro``)."""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in PASS_THROUGH:
        args = argparse.Namespace(command=argv[0], func=PASS_THROUGH[argv[0]], rest=argv[1:], set=[])
    else:
        args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command != "worker":  # connection retries are reported once, as our own error line
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
    from streams.broker import BrokerError
    from streams.catalog import CatalogError
    from streams.publish import PublishError
    from streams.sources.files import SourceError

    known: tuple[type, ...] = (SettingsError, SourceError, BrokerError, PublishError, CatalogError)
    try:
        from streams.sources.feeds import FeedConfigError
        known += (FeedConfigError,)
    except ImportError:
        pass
    return isinstance(exc, known)
