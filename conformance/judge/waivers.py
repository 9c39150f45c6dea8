"""Waivers: known failures a team accepts for a while, so a CI gate can still catch regressions.

A waiver file (`run --waivers FILE`) is a YAML list of entries::

    - requirement: PAG-003          # an ID of spec/requirements.yaml
      reason: ties in one second are ordered by insertion until ticket PAY-123 ships
      expires: 2026-12-31           # YYYY-MM-DD; the waiver holds up to and including this day
      target: https://staging.example.com   # optional: only for this base URL

Waivers are applied after judgement, in this one place (``apply_waivers``), never inside a
check: a ``fail`` or ``warn`` on a waived requirement becomes ``waived`` (which does not fail the
run, also under --strict), and every waiver gets a status for the console and report.json:

    applied   the requirement failed or warned, and is waived
    expired   past its date: no effect (the verdict stands), the console says so
    stale     the requirement passes now: the waiver can go
    unused    the requirement was skipped, inconclusive or not selected, or the waiver names another target

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
from conformance.errors import UsageError
from conformance.verdicts import RequirementVerdict, Verdict

WAIVABLE = (Verdict.FAIL, Verdict.WARN)
FIELDS = ("requirement", "reason", "expires", "target")


@dataclass(frozen=True)
class Waiver:
    requirement: str
    reason: str
    expires: dt.date
    target: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"requirement": self.requirement, "reason": self.reason, "expires": self.expires.isoformat(),
                "target": self.target}

    def covers(self, base_url: str) -> bool:
        return self.target is None or _same_url(self.target, base_url)


def _same_url(a: str, b: str) -> bool:
    return a.rstrip("/").lower() == b.rstrip("/").lower()


def load_waivers(path: Path, catalog: Catalog) -> list[Waiver]:
    """The waivers of a YAML file; UsageError (exit 2) naming the first problem: unreadable, not a
    list of {requirement, reason, expires[, target]}, an unknown requirement ID, a bad date, a duplicate."""
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
    seen: set[tuple[str, str | None]] = set()
    for number, entry in enumerate(data, start=1):
        where = f"{source}, waiver {number}"
        if not isinstance(entry, dict):
            raise UsageError(f"{where} is not a mapping with requirement, reason and expires.")
        extra = sorted(str(k) for k in entry if k not in FIELDS and not (recorded and k == "status"))
        if extra:
            raise UsageError(f"{where} has the unknown field {extra[0]!r} (fields: {', '.join(FIELDS)}).")
        requirement = entry.get("requirement")
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
        key = (requirement, target.rstrip("/").lower() if target else None)
        if key in seen:
            raise UsageError(f"{where} waives {requirement} a second time" + (f" for {target}" if target else "") + ".")
        seen.add(key)
        waivers.append(Waiver(requirement, reason.strip(), expires, target))
    return waivers


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

    A waived verdict keeps its reason and evidence, and carries `waiver` = {reason, expires,
    verdict}: the verdict it replaced.
    """
    by_id = {v.requirement: v for v in verdicts}
    active: dict[str, Waiver] = {}
    records = []
    for waiver in waivers:
        verdict = by_id.get(waiver.requirement)
        if not waiver.covers(base_url) or verdict is None:
            status = "unused"
        elif on > waiver.expires:
            status = "expired"
        elif verdict.verdict in WAIVABLE:
            status = "applied"
            active[waiver.requirement] = waiver
        elif verdict.verdict == Verdict.PASS:
            status = "stale"
        else:
            status = "unused"
        records.append({**waiver.to_dict(), "status": status})
    waived = [
        replace(v, verdict=Verdict.WAIVED,
                waiver={"reason": active[v.requirement].reason, "expires": active[v.requirement].expires.isoformat(),
                        "verdict": v.verdict.value})
        if v.requirement in active else v
        for v in verdicts
    ]
    return waived, records


def waiver_notes(records: Sequence[dict[str, Any]], base_url: str | None = None,
                 failing: frozenset[str] = frozenset()) -> list[str]:
    """One console line per waiver that needs a person's attention: expired, stale, or (given the
    run's ``base_url`` and the IDs that failed or warned) limited to another target than the one
    whose failure it names."""
    notes = []
    for record in records:
        target = record.get("target")
        if (record["status"] == "unused" and target and base_url and record["requirement"] in failing
                and not _same_url(target, base_url)):
            notes.append(f"waiver for {record['requirement']} is limited to {target}, not this run's target: "
                         "it does not apply")
        if record["status"] == "expired":
            notes.append(f"waiver for {record['requirement']} expired on {record['expires']}: it no longer applies "
                         "(renew it with a new date, or fix the server)")
        elif record["status"] == "stale":
            notes.append(f"waiver for {record['requirement']} is stale: the requirement passes now, "
                         "remove it from the waiver file")
    return notes


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
            for i, (r, s) in enumerate(zip(records, recorded, strict=False)) if isinstance(s, dict) and r != s]
