"""Rewrite the old module paths of issue 23's restructure (a one-off, for merging other branches).

Code written before the restructure names `conformance.runner`, `conformance/client.py`, ...;
after merging such a branch, run this from the repository root and review the diff::

    python tools/issue23_paths.py            # every tracked .py, .md, .toml, .json, .yml file
    python tools/issue23_paths.py FILE...    # only these

Move `conformance/tls.py` first (`git mv conformance/tls.py conformance/record/tls.py`).
It rewrites dotted (`conformance.runner`) and path (`conformance/runner.py`) spellings and the
`from conformance import runner` / `from conformance.checks import premises` forms. A user's
`conformance/waivers.yaml` (a file name in examples, not a module) is left alone. Delete this
script once no branch from before the restructure is left to merge.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

# old module (under conformance.) -> new module (under conformance.)
MOVES = {
    "client": "record.client", "ratelimit": "record.ratelimit", "redaction": "record.redaction",
    "judgement": "judge.judgement", "waivers": "judge.waivers", "coverage": "judge.coverage",
    "diagnosis": "judge.diagnosis", "observations": "judge.observations",
    "field_observations": "judge.field_observations", "checks.premises": "judge.premises",
    "spent_budget": "judge.spent_budget", "runner": "run.runner", "lanes": "run.lanes",
    "checks.plugin": "pytest_plugin.plugin", "checks.generation_cache": "generation_cache",
    # Added on main by the TLS branch after the restructure began: the client's TLS context.
    "tls": "record.tls",
}
# Modules this script expects already moved (with git mv, so that history follows them).
MOVED_FIRST = {"conformance/tls.py": "conformance/record/tls.py"}
SUFFIXES = (".py", ".md", ".toml", ".json", ".yml", ".yaml", ".txt")


def rewrite(text: str) -> str:
    """`text` with every old spelling of a moved module replaced by the new one."""
    out = []
    for line in text.split("\n"):
        if "waivers.yaml" not in line:
            for old, new in MOVES.items():
                for sep in (".", "/"):
                    line = re.sub(re.escape("conformance" + sep + old.replace(".", sep)) + r"(?![A-Za-z0-9_])",
                                  "conformance" + sep + new.replace(".", sep), line)
            line = _from_package(line)
        out.append(line)
    return "\n".join(out)


def _from_package(line: str) -> str:
    """`from conformance import runner` -> `from conformance.run import runner` (one moved name alone)."""
    match = re.fullmatch(r"(\s*)from (conformance(?:\.checks)?) import (\w+)(\s*(?:#.*)?)", line)
    if not match:
        return line
    indent, package, name, tail = match.groups()
    old = name if package == "conformance" else f"checks.{name}"
    if old not in MOVES:
        return line
    parent, _, module = MOVES[old].rpartition(".")
    return f"{indent}from conformance{'.' + parent if parent else ''} import {module}{tail}"


def main(argv: list[str]) -> int:
    for old, new in MOVED_FIRST.items():
        if Path(old).exists():
            print(f"move it first: git mv {old} {new}", file=sys.stderr)
            return 2
    files = argv or subprocess.run(["git", "ls-files"], capture_output=True, text=True, check=True).stdout.split()
    changed = 0
    for name in files:
        path = Path(name)
        if path.suffix not in SUFFIXES or not path.is_file() or path.resolve() == Path(__file__).resolve():
            continue
        text = path.read_text(encoding="utf-8")
        new = rewrite(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed += 1
            print(f"rewrote {name}")
    print(f"{changed} files rewritten; review with git diff, then run ruff check --fix (import order)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
