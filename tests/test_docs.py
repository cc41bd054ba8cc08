"""README.md and docs/*.md: every module or test they name exists, and the README stays short."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_BYTES = 8 * 1024

PATH = re.compile(r"(?<![\w/.-])((?:streams|tests)/[\w/.-]*\w(?:\.py|/))")
"""A repository path to a Python file or a folder (``streams/core/match/pair.py``, ``tests/faults/``)."""
DOTTED = re.compile(r"(?<![\w/.-])(streams(?:\.\w+)+)")
"""A dotted name (``streams.runtime.app``, ``streams.sources.feeds.run_feeds``)."""
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
"""The target of a Markdown link (``[text](docs/kafka.md#tier)`` -> ``docs/kafka.md``)."""


def named(pattern: re.Pattern[str]) -> list[tuple[str, str]]:
    return sorted({(doc.name, m.group(1)) for doc in DOCS for m in pattern.finditer(doc.read_text(encoding="utf-8"))})


def defines(module: Path, name: str) -> bool:
    """Whether ``module`` defines ``name`` at its top level (a function, class, assignment or import)."""
    for node in ast.parse(module.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return True
        if isinstance(node, (ast.Import, ast.ImportFrom)) and any((a.asname or a.name) == name for a in node.names):
            return True
    return False


def resolves(dotted: str) -> bool:
    """``streams.a.b[.name]``: a package or module, or a name defined in one (read, not imported)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:cut])
        module = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
        if module.is_file():
            rest = parts[cut:]
            return not rest or len(rest) == 1 and defines(module, rest[0])
    return False


def test_the_docs_name_paths_at_all():
    assert len(named(PATH)) > 20  # the pattern still finds what the docs write


@pytest.mark.parametrize(("doc", "path"), named(PATH))
def test_every_path_named_in_the_docs_exists(doc, path):
    assert (ROOT / path).exists(), f"{doc} names {path}, which does not exist"


@pytest.mark.parametrize(("doc", "dotted"), named(DOTTED))
def test_every_dotted_name_in_the_docs_resolves(doc, dotted):
    assert resolves(dotted), f"{doc} names {dotted}, which is no module or top-level name"


def local_links() -> list[tuple[str, str]]:
    return sorted({(str(doc.relative_to(ROOT)), m.group(1)) for doc in DOCS
                   for m in LINK.finditer(doc.read_text(encoding="utf-8")) if "://" not in m.group(1)
                   and not m.group(1).startswith("mailto:")})


@pytest.mark.parametrize(("doc", "target"), local_links())
def test_every_local_link_in_the_docs_exists(doc, target):
    assert (ROOT / doc).parent.joinpath(target).exists(), f"{doc} links to {target}, which does not exist"


def test_resolving_reads_modules_and_names():
    assert resolves("streams.core.match.pair") and resolves("streams.core.match.pair.judge")
    assert not resolves("streams.core.match.dedup") and not resolves("streams.core.match.pair.no_such_name")


def test_the_readme_stays_short():
    size = len((ROOT / "README.md").read_bytes())
    assert size <= README_MAX_BYTES, f"README.md is {size} bytes, more than {README_MAX_BYTES}: move detail to docs/"
