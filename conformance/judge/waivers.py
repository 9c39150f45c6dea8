"""Waivers: known failures a team accepts for a while, so a CI gate can still catch regressions.

A waiver file (`run --waivers FILE`) is a YAML list of entries::

    - requirement: PAG-003          # an ID of spec/requirements.yaml (`id:` is read the same)
      reason: ties in one second are ordered by insertion until ticket PAY-123 ships
      expires: 2026-12-31           # YYYY-MM-DD; the waiver holds up to and including this day
      target: https://staging.example.com   # optional: only for this base URL
      operation: GET /v1/invoices   # optional: only on this list operation (issue 24)

Without ``operation`` a waiver covers its requirement on every operation the run judges (a run of
one operation judges checkout sessions alone, so files written before families mean what they
meant). A file may not waive one requirement twice on one operation for one target: a waiver
without ``operation`` and another naming an operation, for the same requirement and target, is
refused, since which reason and expiry hold would be a guess.

Waivers are applied after judgement, in this one place (``apply_waivers``), never inside a
check: a ``fail`` or ``warn`` on a waived requirement becomes ``waived`` (which does not fail the
run, also under --strict), and every waiver gets a status for the console and report.json:

    applied   the requirement failed or warned, and is waived
    expired   past its date: no effect (the verdict stands), the console says so
    stale     the requirement passes now: the waiver can go
    unused    the requirement was skipped, inconclusive or not selected, or the waiver names another
              target, or an operation the run did not judge (the console and reports say so)

A waiver without ``operation`` gets one status over every operation judged: ``applied`` if it
waived a failure on any of them, else ``expired`` (past its date), else ``stale`` if the
requirement passes on one of them, else ``unused``. Each record carries the waiver's
``operation`` (null: every operation).

`run` applies them with the date (UTC) the run started; `verify` re-applies the waivers recorded in
report.json with that same date, so a later expiry does not change what a report says. Both do it
through conformance.judge.judgement.conclude, the one place a run's verdict is computed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from conformance.catalog import Catalog
from conformance.errors import SpecError, UsageError
from conformance.operations import normalise_key
from conformance.verdicts import RequirementVerdict, Verdict

WAIVABLE = (Verdict.FAIL, Verdict.WARN)
FIELDS = ("requirement", "operation", "reason", "expires", "target")
# Another name a file may give `requirement` (a requirement's ID, as report.json's entries call it).
ID_ALIAS = "id"


@dataclass(frozen=True)
class Waiver:
    requirement: str
    reason: str
    expires: dt.date
    target: str | None = None
    # The list operation ("GET /path") it is limited to; None: the requirement on every operation.
    operation: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"requirement": self.requirement, "operation": self.operation, "reason": self.reason,
                "expires": self.expires.isoformat(), "target": self.target}

    def covers(self, base_url: str) -> bool:
        return self.target is None or _same_url(self.target, base_url)

    def names(self, operation: str) -> bool:
        """Whether the waiver covers its requirement on `operation` ("GET /path")."""
        return self.operation is None or self.operation == operation


def _same_url(a: str, b: str) -> bool:
    return a.rstrip("/").lower() == b.rstrip("/").lower()


def load_waivers(path: Path, catalog: Catalog) -> list[Waiver]:
    """The waivers of a YAML file; UsageError (exit 2) naming the first problem: unreadable, not a
    list of {requirement (or id), reason, expires[, target][, operation]}, an unknown requirement ID, a bad
    date, an operation not written `GET /path`, a duplicate."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"Cannot read the waiver file {path}: {exc.strerror or exc}.") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise UsageError(f"The waiver file {path} is not valid YAML ({' '.join(str(exc).split())}).") from None
    except ValueError as exc:  # YAML builds unquoted dates itself: 2027-02-30 fails there
        raise UsageError(f"The waiver file {path} holds an impossible date ({exc}); expected YYYY-MM-DD.") from None
    return parse_waivers(data if data is not None else [], catalog, str(path))


def parse_waivers(data: Any, catalog: Catalog, source: str, recorded: bool = False) -> list[Waiver]:
    """Waivers from already-parsed data: a file's YAML, or (`recorded`) report.json's records, which
    also carry a `status`. UsageError naming the first malformed entry."""
    if not isinstance(data, list):
        raise UsageError(f"{source} must be a list of waivers ({{requirement, reason, expires}}).")
    waivers: list[Waiver] = []
    seen: set[tuple[str, str | None, str | None]] = set()
    for number, entry in enumerate(data, start=1):
        where = f"{source}, waiver {number}"
        if not isinstance(entry, dict):
            raise UsageError(f"{where} is not a mapping with requirement, reason and expires.")
        extra = sorted(str(k) for k in entry
                       if k not in FIELDS and not (recorded and k == "status") and not (not recorded and k == ID_ALIAS))
        if extra:
            raise UsageError(f"{where} has the unknown field {extra[0]!r} (fields: {', '.join(FIELDS)}).")
        if "requirement" in entry and ID_ALIAS in entry:
            raise UsageError(f"{where} has both `requirement` and `id`: they name the same thing, so give one.")
        requirement = entry.get("requirement", entry.get(ID_ALIAS))
        if not isinstance(requirement, str) or requirement not in catalog:
            raise UsageError(f"{where} names {requirement!r}, which is not a requirement ID of the catalog.")
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise UsageError(f"{where} ({requirement}) needs a reason: say why the failure is accepted.")
        expires = _date(entry.get("expires"), where, requirement)
        target = entry.get("target")
        if target is not None and (not isinstance(target, str) or not target.startswith(("http://", "https://"))):
            raise UsageError(f"{where} ({requirement}) has target {target!r}; expected a base URL such as "
                             "https://staging.example.com.")
        operation = _operation(entry.get("operation"), where, requirement)
        key = (requirement, target.rstrip("/").lower() if target else None)
        # One requirement, one target: a waiver on every operation and one on an operation overlap.
        clash = next((o for r, t, o in seen if (r, t) == key and (o is None or operation is None or o == operation)),
                     False)
        if clash is not False:
            on = f" on {operation or clash}" if operation or clash else ""
            raise UsageError(f"{where} waives {requirement}{on} a second time" + (f" for {target}" if target else "")
                             + ".")
        seen.add((*key, operation))
        waivers.append(Waiver(requirement, reason.strip(), expires, target, operation))
    return waivers


def _operation(value: Any, where: str, requirement: str) -> str | None:
    """A waiver's `operation` as reports name it (``GET /path``), or None when absent (every operation)."""
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise SpecError("")
        return normalise_key(value)
    except SpecError:
        raise UsageError(f"{where} ({requirement}) has operation {value!r}; expected a list operation written "
                         "'GET /path', e.g. 'GET /v1/invoices'.") from None


def _date(value: Any, where: str, requirement: str) -> dt.date:
    # YAML reads an unquoted 2026-12-31 as a date already; a quoted one arrives as a string.
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise UsageError(f"{where} ({requirement}) has expires {value!r}; expected a date YYYY-MM-DD.")


def apply_waivers(
    verdicts: Sequence[RequirementVerdict], waivers: Sequence[Waiver], base_url: str, on: dt.date
) -> tuple[list[RequirementVerdict], list[dict[str, Any]]]:
    """(verdicts with waived ones replaced, one record per waiver with its status) for a run on `on`.

    A waiver covers the verdicts of its requirement on its operation, or on every operation when it
    names none (see the module's docstring for the status of such a waiver). A waived verdict keeps
    its reason and evidence, and carries `waiver` = {reason, expires, verdict}: the verdict it replaced.
    """
    active: dict[tuple[str, str], Waiver] = {}
    records = []
    for waiver in waivers:
        covered = [v for v in verdicts if v.requirement == waiver.requirement and waiver.names(v.operation)]
        if not waiver.covers(base_url) or not covered:
            status = "unused"
        elif on > waiver.expires:
            status = "expired"
        else:
            failed = [v for v in covered if v.verdict in WAIVABLE]
            for verdict in failed:
                active[(verdict.operation, verdict.requirement)] = waiver
            status = ("applied" if failed else "stale" if any(v.verdict == Verdict.PASS for v in covered)
                      else "unused")
        records.append({**waiver.to_dict(), "status": status})
    waived = [
        replace(v, verdict=Verdict.WAIVED,
                waiver={"reason": active[key].reason, "expires": active[key].expires.isoformat(),
                        "verdict": v.verdict.value})
        if (key := (v.operation, v.requirement)) in active else v
        for v in verdicts
    ]
    return waived, records


def waiver_notes(records: Sequence[dict[str, Any]], base_url: str | None = None,
                 failing: frozenset[str] = frozenset(), operations: Sequence[str] | None = None) -> list[str]:
    """One console line per waiver that needs a person's attention: expired, stale, naming an
    operation the run did not judge (given the run's ``operations``), or (given the run's
    ``base_url`` and the IDs that failed or warned) limited to another target than the one whose
    failure it names."""
    notes = []
    for record in records:
        target = record.get("target")
        named = waiver_label(record)
        if (record["status"] == "unused" and target and base_url and record["requirement"] in failing
                and not _same_url(target, base_url)):
            notes.append(f"{named} is limited to {target}, not this run's target: it does not apply")
        if record["status"] == "unused" and unjudged_operation(record, operations):
            notes.append(f"waiver for {record['requirement']} names {record['operation']}, which this run did "
                         f"not judge (it judged {', '.join(operations or ())}): it does not apply")
        if record["status"] == "expired":
            notes.append(f"{named} expired on {record['expires']}: it no longer applies "
                         "(renew it with a new date, or fix the server)")
        elif record["status"] == "stale":
            notes.append(f"{named} is stale: the requirement passes now, remove it from the waiver file")
    return notes


def waiver_label(record: dict[str, Any]) -> str:
    """`waiver for PAG-003`, with `on GET /v1/invoices` when the waiver names an operation."""
    operation = record.get("operation")
    return f"waiver for {record['requirement']}" + (f" on {operation}" if operation else "")


def unjudged_operation(record: dict[str, Any], operations: Sequence[str] | None) -> bool:
    """Whether a waiver record names an operation that is not among the run's `operations`."""
    operation = record.get("operation")
    return operations is not None and operation is not None and operation not in operations


def recorded_waivers(report: dict[str, Any], catalog: Catalog) -> tuple[list[Waiver], list[str]]:
    """For `verify`: (the waivers report.json records, problems): a malformed record is a problem
    and then no waiver is re-applied (the statuses will then differ, and say so)."""
    recorded = report.get("waivers")
    if recorded is None:
        return [], []
    try:
        return parse_waivers(recorded, catalog, "report.json's waivers", recorded=True), []
    except UsageError as exc:
        return [], [str(exc)]


def status_problems(records: Sequence[dict[str, Any]], recorded: Any) -> list[str]:
    """For `verify`: each waiver whose status, re-applied as the run did, differs from report.json's."""
    if not isinstance(recorded, list):
        return []
    return [f"waiver {i + 1} ({r['requirement']}): report.json says {s.get('status')!r}, "
            f"re-applying it gives {r['status']!r}"
            for i, (r, s) in enumerate(zip(records, recorded, strict=False))
            # A record written before families (issue 24) has no `operation`: it named none.
            if isinstance(s, dict) and r != {"operation": None, **s}]
