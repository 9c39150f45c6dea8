"""X-API-Version: supported versions answer as usual; nothing crashes the server."""

from __future__ import annotations

from collections.abc import Iterable

from conformance.checks.base import Check, Probe, ProbeContext, Record, RunContext
from conformance.checks.common import answer, first_unanswered, is_error_object, not_asked, unanswered
from conformance.checks.history import History
from conformance.exchange import Exchange
from conformance.spec import Spec
from conformance.verdicts import Evidence, Outcome, held, seqs, skipped, violated
from conformance.wording import plural

HEADER = "X-API-Version"
UNKNOWN_VERSIONS = ("1999-01-01", "not-a-version", "2026-13-45", "9" * 200)


def probe_version(ctx: ProbeContext) -> None:
    ctx.get("version:baseline", [("limit", "5")])
    if ctx.run.api_version:
        ctx.get("version:supported", [("limit", "5")], headers={HEADER: ctx.run.api_version})
    for value in UNKNOWN_VERSIONS:
        ctx.get("version:unknown", [("limit", "5")], headers={HEADER: value})
    # An empty value may fairly be read as "no header": only VER-001 (no 5xx) judges it.
    ctx.get("version:empty", [("limit", "5")], headers={HEADER: ""})


PROBES = (Probe("version", "version", probe_version,
                cost=lambda ctx: 2 + bool(ctx.run.api_version) + len(UNKNOWN_VERSIONS), reads_record=False),)


HEADER_CHECK = "version.header"


def judge_version(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    name = HEADER_CHECK
    unknown = record.tagged("version:unknown")
    sent = unknown + record.tagged("version:supported") + record.tagged("version:empty")
    if (lost := first_unanswered(sent)) is not None or not sent:
        yield unanswered("VER-001", name, lost) if lost else not_asked("VER-001", name, "not probed", record)
    else:
        crashed = [e for e in sent if (e.status or 0) >= 500 or e.dropped]
        yield violated("VER-001", name, *[Evidence(
            f"{HEADER}: {e.request_headers.get(HEADER, '')[:40]!r} gave a server error",
            expected="never a 5xx", actual=answer(e), exchanges=[e.seq]) for e in crashed]) if crashed \
            else held("VER-001", name, f"{plural(len(sent), 'value')} answered without a 5xx", seqs(sent))

    if not run.api_version:
        yield skipped("VER-002", name, "no supported version was named (--api-version)")
    else:
        baseline = record.tagged("version:baseline")
        supported = record.tagged("version:supported")
        if (lost := first_unanswered(baseline + supported)) is not None:
            yield unanswered("VER-002", name, lost)
        elif not baseline or not supported:
            yield not_asked("VER-002", name, "the supported-version request was not sent", record)
        else:
            b, s = baseline[0], supported[0]
            # Pages taken moments apart on a live account may differ by sessions created meanwhile.
            same = s.status == 200 and s.page_ids is not None and History.of(record).pages_agree(s, b) and (
                set((s.json or {}).keys()) == set((b.json or {}).keys()))
            yield held("VER-002", name, f"{HEADER}: {run.api_version} answered like no header",
                       [b.seq, s.seq]) if same else violated("VER-002", name, Evidence(
                f"{HEADER}: {run.api_version} did not answer like a request without the header",
                expected=f"200 with the same envelope and ids {' '.join(b.page_ids or [])}",
                actual=f"status {s.status}, ids {' '.join(s.page_ids or []) or '-'}",
                exchanges=[s.seq, b.seq]))  # the request with the header first: the curl line replays it
    yield _judge_unknown(name, unknown, record)


def _judge_unknown(name: str, unknown: list[Exchange], record: Record) -> Outcome:
    """VER-003: every unknown version is refused with 400 and an error object (a 200 included)."""
    if (lost := first_unanswered(unknown)) is not None:
        return unanswered("VER-003", name, lost)
    if not unknown:
        return not_asked("VER-003", name, "the unknown-version requests were not sent", record)
    wrong = [e for e in unknown if e.status != 400 or not is_error_object(e)]
    return violated("VER-003", name, *[Evidence(
        f"{HEADER}: {e.request_headers.get(HEADER, '')[:40]!r} was not refused with 400 and an error object",
        expected="400 with an error object", actual=f"status {e.status}, body {e.body[:120]!r}",
        exchanges=[e.seq]) for e in wrong]) if wrong else held("VER-003", name,
                                                               f"{plural(len(unknown), 'version')} refused",
                                                       seqs(unknown))


CHECKS = (Check(HEADER_CHECK, "version", ("VER-001", "VER-002", "VER-003"), judge_version,
                compares=("VER-002",)),)
