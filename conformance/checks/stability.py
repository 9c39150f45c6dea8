"""Identity under change: `created` never changes, and a cursor the server issued is never refused.

CONTRACT.md, "A live collection": ids and `created` are immutable, sessions are never
deleted, so an id the server listed a moment ago is a valid cursor for as long as the
account exists. A target whose ids change from one response to the next refuses the
cursors it issued itself: a server fault, reported as such (PAG-016), not as a busy
account. The last probe reads the head page again, so the history (``history.py``) sees
what changed over the whole run.
"""

from __future__ import annotations

from collections.abc import Iterable

from conformance.checks.base import Check, Probe, ProbeContext, Record, RunContext
from conformance.checks.common import is_4xx
from conformance.checks.history import History
from conformance.checks.walks import largest_page
from conformance.exchange import AUTH_KEY, Exchange
from conformance.spec import Spec
from conformance.verdicts import Evidence, Outcome, held, inconclusive, seqs, too_little_data, violated

RECHECK_TAG = "walk:recheck"
_CURSORS = ("starting_after", "ending_before")
# Requests built to be refused, or sent with other credentials or headers: not a plain cursor.
_NOT_PLAIN = ("auth", "version", "generated", "unknown-param", "cursor:both", "cursor:unknown", "limit:",
              "repeated")


def probe_recheck(ctx: ProbeContext) -> None:
    ctx.get(RECHECK_TAG, [("limit", str(largest_page(ctx.spec)))])


PROBES = (Probe("recheck", "pagination", probe_recheck, order="last"),)


def plain_cursor(exchange: Exchange) -> str | None:
    """The cursor of an unfiltered page request that names one cursor and nothing odd, else None."""
    params = exchange.params
    if (exchange.auth != AUTH_KEY or exchange.tag.startswith(_NOT_PLAIN) or not set(params) <= {"limit", *_CURSORS}
            or sum(c in params for c in _CURSORS) != 1):
        return None
    limit = params.get("limit", "10")
    if not limit.isdigit() or not 1 <= int(limit) <= 100:
        return None
    return params.get("starting_after") or params.get("ending_before") or None


def judge_identity(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    """PAG-015 (`created` never changes) and PAG-016 (a cursor the server issued is never refused)."""
    name = "stability.identity"
    history = History.of(record)
    if history.created_changes:
        yield violated("PAG-015", name, *[Evidence(
            c.message, expected="`created` never changes", actual="another value", exchanges=c.exchanges)
            for c in history.created_changes])
    elif not history.created:
        yield too_little_data("PAG-015", name, "no session was listed")
    else:
        yield held("PAG-015", name, f"{len(history.created)} sessions, each with one `created`",
                   seqs(e for e in record if e.page_ids is not None))

    refused: list[Evidence] = []
    excused: list[str] = []
    judged: list[Exchange] = []
    sent = [(e, c) for e in record
            if (c := plain_cursor(e)) is not None and c in history.created and e.judgeable]
    unsupported = _unsupported_parameters(sent)
    for exchange, cursor in sent:
        if _parameter(exchange) in unsupported:
            continue
        judged.append(exchange)
        if not is_4xx(exchange):
            continue
        if cursor in history.outside:  # deleted, or otherwise changed outside the model
            excused.append(history.outside[cursor].message)
            continue
        why = (f"; {history.ids_unstable.message}" if history.ids_unstable is not None else "")
        refused.append(Evidence(
            f"{exchange.summary()}: the server refused {cursor} as a cursor, although it listed that id "
            f"(exchange {history.created_seen_at[cursor]}){why}",
            expected="a list page: an id the server issued is a valid cursor (ids never change)",
            actual=f"status {exchange.status}, body {exchange.body[:120]!r}",
            exchanges=[history.created_seen_at[cursor], exchange.seq]))
    if refused:
        yield violated("PAG-016", name, *refused)
    elif excused:
        yield inconclusive("PAG-016", name, excused[0])
    elif judged:
        aside = "".join(f"; `{p}` is refused whatever the id, a fault of the parameter (PAG-005, PAG-006), "
                        "not of the ids" for p in sorted(unsupported))
        yield held("PAG-016", name, f"{len(judged)} cursors the server issued were accepted{aside}", seqs(judged))
    else:
        yield too_little_data("PAG-016", name, "no cursor taken from a listed session was sent")


def _parameter(exchange: Exchange) -> str:
    return "ending_before" if "ending_before" in exchange.params else "starting_after"


def _unsupported_parameters(sent: list[tuple[Exchange, str]]) -> set[str]:
    """The cursor parameters refused for every listed id while the other one accepts them.

    A server that does not support `ending_before` refuses it with a 4xx whatever the id; the
    same ids work as `starting_after`, so the ids are stable and the refusal is the parameter's
    (PAG-005/PAG-006 report it). A server whose ids change refuses them under both parameters,
    so nothing is set aside and PAG-016 judges every refusal. Input: (exchange, the listed id it
    names) for every plain cursor request. Source: PAG-016, CONTRACT.md "A live collection".
    """
    accepted = {_parameter(e) for e, _ in sent if e.page_ids is not None}
    refused = {_parameter(e) for e, _ in sent if is_4xx(e)}
    return {p for p in refused - accepted if accepted - {p}}


CHECKS = (
    Check("stability.identity", "pagination", ("PAG-015", "PAG-016"), judge_identity),
)
