"""The kill matrix per operation: every generic fault in each operation of the reference family.

    python -m conformance.selftest.family_matrix [--output FILE] [--processes N]
    python -m conformance.selftest.family_matrix --fault NAME@/path [--fault NAME@/path ...]

The embedded reference serves the family of ``spec/family.yaml`` (``conformance.resources.family_path``).
One clean run judges every list operation of it (each must be conformant under ``--strict``); then,
for each operation and each *generic* fault the catalog can inject there
(``conformance.reference.faults.applicable``), the same run with that fault on that operation
only (``ReferenceConfig.faults``). Issue 24's proof, per row:

- **caught**: every requirement the fault declares (``Fault.breaks``) is reported on that operation,
  failed for a MUST, warned for a SHOULD. A requirement declared for other operations only
  (spec/requirements.yaml ``operations:``) cannot be reported there: ``INSTEAD`` names the rule that
  judges the same defect on any operation, with the reason, and the row expects that one. A
  checkout-only requirement with no entry there is a miss (``UNDECLARED``), never skipped.
- **attributed**: every requirement failed or warned is on the faulty operation, and the run's top
  diagnosis cause, if any, names that operation.
- **isolated**: every other operation's verdicts (requirement -> verdict) equal the clean run's.

The diagnosis is shown, not required: docs/family.md leaves a fault on a filter other than
``status`` unexplained rather than named in ``status`` words, so a row may be attributed but
unexplained. ``--fault NAME@/path`` runs only those rows (and the clean run) and prints them.
The worker processes and the in-process reference are the kill matrix's (``kill_matrix.run_pool``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from conformance.catalog import Catalog, default_catalog
from conformance.judge.diagnosis import Cause, unexplained
from conformance.judge.family import operation_verdicts
from conformance.selftest.kill_matrix import (
    DOC,
    PROFILE,
    REPORTED,
    expected_verdict,
    run_pool,
    top_diagnosis_ok,
)
from conformance.verdicts import RequirementVerdict, Verdict, by_operation

FAMILY_DOC = DOC.with_name("kill-matrix-family.md")
FAMILY_COMMAND = "python -m conformance.selftest.family_matrix"
# Checkout-only requirements a generic fault declares, and what a row on another operation expects
# instead ({requirement: (requirements expected in its place, reason)}). The catalog declares these
# for checkout sessions only (spec/requirements.yaml `operations:`), so elsewhere they are skipped,
# never reported; the rule that judges the same defect on every operation takes their place.
INSTEAD: dict[str, tuple[tuple[str, ...], str]] = {
    "SCH-001": ((), "the generated (Schemathesis) requests are drawn for checkout sessions only "
                    "(docs/family.md); the envelope and item-schema rules the fault also declares "
                    "judge the same responses"),
    "SCH-002": ((), "the generated requests are drawn for checkout sessions only; the fault's other "
                    "declared rules judge the requests it breaks"),
    "SCH-003": ((), "the generated requests are drawn for checkout sessions only; LIM-/FLT- rules judge "
                    "the invalid values it sends"),
    "OBJ-013": (("OBJ-005",), "`livemode` under a test key is a checkout-session rule; on another "
                              "operation the item schema's `type` for `livemode` (OBJ-005) is broken"),
    "OBJ-015": (("PAG-016",), "the stable-id rule is worded for sessions; on another operation ids that "
                              "change between responses break the walk's order and uniqueness (PAG-016)"),
}
# Declared requirements a fault cannot break on an operation, because of what that operation's
# data is ({(fault, operation): (requirements not expected there, reason)}): the row expects the
# rest. Every miss found is a miss until its reason is written here.
# Measured 2026-12-06 (`family_matrix --fault ids-truncated@/v1/customers`): OBJ-004 held, PAG-001/004 failed.
_TRUNCATED = ("OBJ-004",), ("`cus_`/`in_` ids are the prefix and 14 random characters: cut to 9 they keep 5 or 6 "
                            "random ones and stay unique among 60 items, so no two items share an id (OBJ-004 "
                            "rightly holds); checkout-session ids share `cs_test_` and collapse into a handful "
                            "(3 on the default account). The cut ids still name no item as cursors (PAG-001, "
                            "PAG-004)")
FAMILY_EXCEPTIONS: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    ("ids-truncated", "GET /v1/customers"): _TRUNCATED,
    ("ids-truncated", "GET /v1/invoices"): _TRUNCATED,
}


def _operations() -> list[str]:
    from conformance.reference.family import family_resources

    return list(family_resources())


def family_rows() -> list[tuple[str, str]]:
    """(fault, operation) for every generic fault of the catalog and every operation of the
    reference family it can be injected into (``applicable``), operation by operation."""
    from conformance.reference.family import family_resources
    from conformance.reference.faults import FAULTS, applicable

    return [(fault.name, key) for key, resource in family_resources().items()
            for fault in FAULTS.values() if fault.generic and applicable(fault, resource) is None]


def expected(fault: str, operation: str, catalog: Catalog) -> tuple[tuple[str, ...], list[str]]:
    """(requirements a run with ``fault`` on ``operation`` must report there; the checkout-only
    requirements of ``Fault.breaks`` that have no entry in ``INSTEAD``). A declared requirement
    that applies to ``operation`` is expected as is; one that does not is replaced by ``INSTEAD``;
    one ``FAMILY_EXCEPTIONS`` says the fault cannot break there is not expected."""
    from conformance.reference.faults import FAULTS

    wanted: list[str] = []
    undeclared: list[str] = []
    cannot = FAMILY_EXCEPTIONS.get((fault, operation), ((), ""))[0]
    for requirement in FAULTS[fault].breaks:
        if requirement in cannot:
            continue
        if catalog[requirement].applies_to(operation):
            wanted.append(requirement)
        elif requirement in INSTEAD:
            wanted += INSTEAD[requirement][0]
        else:
            undeclared.append(requirement)
    return tuple(dict.fromkeys(wanted)), undeclared


@dataclass
class FamilyRun:
    """What the suite reported for one fault on one operation (both None: the clean family run)."""

    fault: str | None
    operation: str | None
    verdicts: list[RequirementVerdict]
    seconds: float
    requests: int
    diagnosis: list[Cause] = field(default_factory=list)

    @property
    def per_operation(self) -> dict[str, dict[str, Verdict]]:
        """{operation: {requirement: verdict}}."""
        return {op: {v.requirement: v.verdict for v in vs} for op, vs in by_operation(self.verdicts).items()}

    @property
    def reported(self) -> list[tuple[str, str]]:
        """(operation, requirement) failed or warned, in verdict order."""
        return [(v.operation, v.requirement) for v in self.verdicts if v.verdict in REPORTED]


def run_family_fault(target: tuple[str, str] | None, profile: str = PROFILE) -> FamilyRun:
    """Serve the reference family with ``target`` = (fault, operation) injected (None: clean) and
    judge every list operation of ``spec/family.yaml`` in-process with ``profile``."""
    from conformance.profiles import PROFILES
    from conformance.reference import ReferenceConfig, start_background
    from conformance.resources import family_path
    from conformance.run.runner import RunOptions, run

    fault, operation = target if target is not None else (None, None)
    started = time.perf_counter()
    config = ReferenceConfig(faults={operation: fault} if fault and operation else {})
    with start_background(config) as server:
        result = run(RunOptions(base_url=server.base_url, api_key=server.api_key,
                                api_version=config.api_versions[0], profile=PROFILES[profile],
                                spec_path=family_path()))
    return FamilyRun(fault, operation, result.verdicts, time.perf_counter() - started,
                     result.requests_sent, list(result.diagnosis))


def run_family(targets: Sequence[tuple[str, str] | None], processes: int | None = None,
               profile: str = PROFILE) -> list[FamilyRun]:
    """:func:`run_family_fault` for every target, in that order, ``processes`` at a time."""
    import functools

    return run_pool(functools.partial(run_family_fault, profile=profile), targets, processes)


# -- judging a row -------------------------------------------------------------------------------
@dataclass
class Row:
    """One operation x fault row, judged against the clean run."""

    fault: str
    operation: str
    expected: tuple[str, ...]
    undeclared: list[str]
    lost: list[str]            # expected but not reported at its level on the operation
    elsewhere: list[str]       # "OPERATION ID" reported on another operation
    cause_elsewhere: str       # the top cause's operation when it is not the faulty one, else ""
    changed: list[str]         # "OPERATION ID: clean -> now" on another operation
    run: FamilyRun

    @property
    def caught(self) -> bool:
        return not self.lost and not self.undeclared

    @property
    def attributed(self) -> bool:
        return not self.elsewhere and not self.cause_elsewhere

    @property
    def isolated(self) -> bool:
        return not self.changed

    @property
    def ok(self) -> bool:
        return self.caught and self.attributed and self.isolated

    @property
    def excused(self) -> str | None:
        """The reason some declared requirements are not expected of this row, or None."""
        return FAMILY_EXCEPTIONS.get((self.fault, self.operation), ((), None))[1]

    @property
    def diagnosed(self) -> bool:
        return top_diagnosis_ok(self.fault, [c for c in self.run.diagnosis if c.operation == self.operation])

    @property
    def unexplained(self) -> list[str]:
        return unexplained([v for v in self.run.verdicts if v.operation == self.operation], self.run.diagnosis)


def judge_row(run: FamilyRun, clean: FamilyRun, catalog: Catalog) -> Row:
    """Caught, attributed and isolated for ``run`` (a fault on one operation) against ``clean``."""
    fault, operation = str(run.fault), str(run.operation)
    wanted, undeclared = expected(fault, operation, catalog)
    mine = run.per_operation.get(operation, {})
    lost = [r for r in wanted if mine.get(r) != expected_verdict(catalog[r].level)]
    elsewhere = [f"{op} {r}" for op, r in run.reported if op != operation]
    top = run.diagnosis[0].operation if run.diagnosis else operation
    before, now = clean.per_operation, run.per_operation
    changed = [f"{op} {r}: {before.get(op, {}).get(r, Verdict.SKIP).value} -> "
               f"{now.get(op, {}).get(r, Verdict.SKIP).value}"
               for op in dict.fromkeys([*before, *now]) if op != operation
               for r in dict.fromkeys([*before.get(op, {}), *now.get(op, {})])
               if before.get(op, {}).get(r) != now.get(op, {}).get(r)]
    return Row(fault, operation, wanted, undeclared, lost, elsewhere,
               top if top != operation else "", changed, run)


def clean_ok(clean: FamilyRun) -> dict[str, str]:
    """{operation: its verdict under --strict} for the clean run: each must be ``conformant``."""
    return {entry.operation: entry.verdict for entry in operation_verdicts(clean.verdicts, (), True)}


# -- the document --------------------------------------------------------------------------------
def _ids(ids: Iterable[str]) -> str:
    return " ".join(ids) or "-"


def _yes(ok: bool, why: Sequence[str]) -> str:
    return "yes" if ok else f"**NO** {'; '.join(why[:4])}" + (" ..." if len(why) > 4 else "")


def diagnosis_cell(row: Row) -> str:
    """The top cause on the row's operation and what it leaves unexplained there."""
    from conformance.reference.faults import FAULTS

    causes = [c for c in row.run.diagnosis if c.operation == row.operation]
    left = row.unexplained
    if not causes:
        named = "none"
    else:
        top = causes[0].fault
        parent = FAULTS[row.fault].parent
        named = ("itself" if top == row.fault else "its parent" if top == parent
                 else f"`{top}`" + (" (declared equivalent or look-alike)" if row.diagnosed else ", not the fault"))
    shown = named + (f"; unexplained {_ids(left)}" if left else "")
    others = other_filters(row.fault, row.operation)
    if not row.diagnosed and others:
        shown += (f" (a fault on filtered pages, and this operation filters on {', '.join(f'`{f}`' for f in others)}: "
                  "findings there are left unexplained rather than named in `status` words, docs/family.md)")
    return shown


def other_filters(fault: str, operation: str) -> list[str]:
    """The filters other than ``status`` of ``operation`` when ``fault`` acts on filtered pages (it
    needs a filter, or is a ``:filtered`` variant), else []: docs/family.md leaves the findings of a
    fault on those filters unexplained."""
    from conformance.reference.family import family_resources
    from conformance.reference.faults import FAULTS

    on_filters = FAULTS[fault].needs in ("filter", "partition") or fault.partition(":")[2] == "filtered"
    return [f for f in family_resources()[operation].filters if f != "status"] if on_filters else []


def attribution(row: Row) -> list[str]:
    """What breaks a row's attribution: findings on other operations, a top cause on another."""
    return [*row.elsewhere, *([f"top cause on {row.cause_elsewhere}"] if row.cause_elsewhere else [])]


def caught_cell(row: Row) -> str:
    if row.undeclared:
        return f"**UNDECLARED** {_ids(row.undeclared)} (checkout-only, no INSTEAD entry)"
    if row.lost:
        return f"**MISSED** {_ids(row.lost)}"
    return "caught" + (" (fewer expected: see the declared exceptions)" if row.excused else "")


def render(clean: FamilyRun, rows: Sequence[Row], seconds: float, processes: int, catalog: Catalog) -> str:
    """The document: totals, the INSTEAD and FAMILY_EXCEPTIONS tables, a row per operation x fault."""
    verdicts = clean_ok(clean)
    good = [r for r in rows if r.ok]
    lines = [
        "# Kill matrix per operation",
        "",
        f"Generated by `{FAMILY_COMMAND}`; do not edit by hand. The embedded reference server serves the "
        "family of `spec/family.yaml`, and every run judges all its list operations with the "
        f"`{PROFILE}` profile (`run --spec`). Each generic fault of `conformance/reference/faults/` "
        "is injected into each operation that can take it (`serve --fault NAME@/path`), the other "
        "operations served correctly. A row is **caught** when every requirement the fault declares "
        "is reported on that operation (MUST: fail, SHOULD: warn); a requirement the catalog declares "
        "for checkout sessions only is replaced by the rule below that applies there. **Attributed**: "
        "every requirement failed or warned is on that operation, and the top diagnosis cause, if any, "
        "names it. **Isolated**: every other operation's verdicts equal the clean run's. The diagnosis "
        "is shown, not required: a fault on a filter other than `status` may be left unexplained "
        "(docs/family.md). `tests/test_family_matrix.py` asserts a few rows and that this document "
        "lists the catalog's generic faults.",
        "",
        "## Totals",
        "",
        "- Clean family run: " + ", ".join(f"`{op}` {v}" for op, v in verdicts.items())
        + f" under `--strict` ({len(clean.verdicts)} verdicts, {clean.requests} requests)",
        f"- Rows (operation x applicable generic fault): **{len(rows)}**; caught, attributed and isolated: "
        f"**{len(good)}** ({sum(bool(r.excused) for r in rows)} expecting fewer requirements than the fault "
        "declares, each a declared exception below)",
        f"- Caught: **{sum(r.caught for r in rows)}**; attributed: **{sum(r.attributed for r in rows)}**; "
        f"isolated: **{sum(r.isolated for r in rows)}**; top diagnosis names the fault: "
        f"**{sum(r.diagnosed for r in rows)}**",
        f"- Time: {seconds:.1f} s wall for {len(rows) + 1} runs on {processes} processes "
        f"(sum of runs {sum(r.run.seconds for r in rows) + clean.seconds:.1f} s)",
        "",
        "## Checkout-only requirements, and what is expected instead",
        "",
        "| Requirement | Applies to | Expected instead elsewhere | Why |",
        "|---|---|---|---|",
    ]
    for rid, (instead, why) in INSTEAD.items():
        lines.append(f"| {rid} | {', '.join(f'`{o}`' for o in catalog[rid].operations)} | {_ids(instead)} | {why} |")
    if FAMILY_EXCEPTIONS:
        lines += ["", "## Declared exceptions", "",
                  "Declared requirements a fault cannot break on an operation, because of that operation's data; "
                  "the row expects the rest.", "",
                  "| Fault | Operation | Not expected | Why |", "|---|---|---|---|"]
        lines += [f"| `{f}` | `{o}` | {_ids(ids)} | {why} |" for (f, o), (ids, why) in FAMILY_EXCEPTIONS.items()]
    lines += [
        "",
        "## Rows",
        "",
        "Expected: the requirements the row must report on its operation. Extra: also reported there. "
        "Diagnosis: the top cause on the operation (itself, its parent for a partial variant, another "
        "fault) and the requirements no cause explains.",
        "",
        "| Operation | Fault | Expected | Caught | Attributed | Isolated | Extra | Diagnosis |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        extra = [r for op, r in row.run.reported if op == row.operation and r not in row.expected]
        lines.append(f"| `{row.operation}` | `{row.fault}` | {_ids(row.expected)} | {caught_cell(row)} | "
                     f"{_yes(row.attributed, attribution(row))} | "
                     f"{_yes(row.isolated, row.changed)} | {_ids(extra)} | {diagnosis_cell(row)} |")
    return "\n".join(lines) + "\n"


def rows_in(text: str) -> dict[tuple[str, str], tuple[str, ...]]:
    """{(fault, operation): expected requirements} as written in a rendered document (for the
    up-to-date test)."""
    rows: dict[tuple[str, str], tuple[str, ...]] = {}
    for line in text.splitlines():
        if line.startswith("| `GET "):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if len(cells) == 8:
                rows[(cells[1].strip("`"), cells[0].strip("`"))] = tuple(cells[2].split()) if cells[2] != "-" else ()
    return rows


def summary(clean: FamilyRun, rows: Sequence[Row]) -> str:
    """The one-line total."""
    verdicts = clean_ok(clean)
    bad = [f"{r.fault}@{r.operation.split(' ', 1)[1]}" for r in rows if not r.ok]
    return (f"clean run: {'all conformant' if set(verdicts.values()) == {'conformant'} else verdicts}; "
            f"{len(rows)} rows, {sum(r.caught for r in rows)} caught, {sum(r.attributed for r in rows)} attributed, "
            f"{sum(r.isolated for r in rows)} isolated, {sum(r.diagnosed for r in rows)} diagnosed"
            + (f"; failing: {', '.join(bad)}" if bad else ""))


def main(faults: Sequence[str], processes: int | None, output: Path | None) -> int:
    """``python -m conformance.selftest.family_matrix``: the whole matrix into ``output`` (default
    docs/kill-matrix-family.md), or only the rows ``faults`` (``NAME@/path``, printed). 0 when the
    clean run passes and every row is caught, attributed and isolated, 1 otherwise, 2 for a row that
    names an unknown fault or a path it cannot act on."""
    import os

    from conformance.reference.faults import FaultTargetError, fault_target

    catalog = default_catalog()
    if faults:
        targets: list[tuple[str, str]] = []
        for text in faults:
            try:
                key, name = fault_target(text)
            except FaultTargetError as error:
                print(error, file=sys.stderr)
                return 2
            targets.append((name, key))
    else:
        targets = family_rows()
    processes = processes or os.cpu_count() or 1
    started = time.perf_counter()
    runs = run_family([None, *targets], processes)
    seconds = time.perf_counter() - started
    clean, rows = runs[0], [judge_row(r, runs[0], catalog) for r in runs[1:]]
    passed = set(clean_ok(clean).values()) == {"conformant"}
    if faults:
        for row in rows:
            print(f"{row.fault}@{row.operation.split(' ', 1)[1]}: expected {_ids(row.expected)}; "
                  f"{caught_cell(row).replace('**', '')}; attributed {_yes(row.attributed, attribution(row))}; "
                  f"isolated {_yes(row.isolated, row.changed)}; diagnosis {diagnosis_cell(row)}".replace("**", ""))
    else:
        out = output or FAMILY_DOC
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render(clean, rows, seconds, processes, catalog), encoding="utf-8")
        print(f"{out}: ", end="")
    print(summary(clean, rows) + f"; {seconds:.1f} s on {processes} processes")
    return 0 if passed and all(r.ok for r in rows) else 1


def cli(argv: Sequence[str] | None = None) -> int:
    """The command line: ``--fault NAME@/path`` (repeatable), ``--processes N``, ``--output FILE``."""
    import argparse

    from conformance.selftest.kill_matrix import _worker_init

    parser = argparse.ArgumentParser(prog=FAMILY_COMMAND, description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=None, help="the document (default: docs/kill-matrix-family.md)")
    parser.add_argument("--processes", type=int, default=None, help="worker processes (default: CPUs)")
    parser.add_argument("--fault", action="append", default=[], metavar="NAME@/path",
                        help="run only this row (repeatable) and print it; the document is left alone")
    args = parser.parse_args(argv)
    _worker_init()
    return main(args.fault, args.processes, args.output)


if __name__ == "__main__":
    sys.exit(cli())
