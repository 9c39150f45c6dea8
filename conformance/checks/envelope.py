"""The 200 list envelope, and `next_cursor` as the spec's self-link (nextPage)."""

from __future__ import annotations

from collections.abc import Iterable

from conformance.checks.base import Check, Probe, ProbeContext, Record, RunContext
from conformance.checks.collection import expected_pages
from conformance.checks.common import lacking, not_asked, unanswered
from conformance.checks.history import History
from conformance.checks.walks import NEXT_CURSOR_WALK, Walk, cursor_sent, next_cursor_of, walk_forward
from conformance.exchange import Exchange
from conformance.spec import Spec
from conformance.verdicts import Evidence, Outcome, held, seqs, skipped, violated
from conformance.wording import plural

STARTING_AFTER_WALK = "walk:7"


def probe_next_cursor(ctx: ProbeContext) -> None:
    # Follows the OpenAPI link nextPage (next_cursor -> starting_after) as a client would.
    walk_forward(ctx, NEXT_CURSOR_WALK, limit=7, max_pages=ctx.profile.pages_limit_7, follow_next_cursor=True)


PROBES = (Probe("next-cursor", "envelope", probe_next_cursor,
                cost=lambda ctx: expected_pages(ctx, 7, ctx.profile.pages_limit_7)),)


def _lists(record: Record) -> list[Exchange]:
    return [e for e in record if e.status == 200]


SHAPE_CHECK = "envelope.shape"


def judge_envelope(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    name = SHAPE_CHECK
    pages = _lists(record)
    if not pages:
        for req in ("ENV-001", "ENV-002", "ENV-004", "ENV-006"):
            yield not_asked(req, name, "no 200 response was recorded", record)
        return
    not_json = [e for e in pages if "json" not in e.content_type.split(";")[0].lower()]
    yield violated("ENV-001", name, *[Evidence(
        f"{e.summary()} has Content-Type {e.content_type!r}", expected="application/json",
        actual=e.content_type or "(none)", exchanges=[e.seq]) for e in not_json[:3]]) if not_json else held(
        "ENV-001", name, plural(len(pages), "response"), seqs(pages))

    bodies = [(e, e.json) for e in pages]
    not_list = [e for e, b in bodies if not isinstance(b, dict) or b.get("object") != "list"]
    # A body the client could not read (compressed twice, not UTF-8) is named as such, in one line.
    yield violated("ENV-002", name, *[Evidence(
        f"{e.summary()}: {e.body_error}" if e.body_error else
        f"{e.summary()} body has object {(e.json or {}).get('object') if isinstance(e.json, dict) else None!r}",
        expected='"object": "list"', actual=e.body_error or e.body[:120], exchanges=[e.seq])
        for e in not_list[:3]]) if not_list \
        else held("ENV-002", name, plural(len(pages), "response"), seqs(pages))

    bad_cursor = []
    carried = []
    for e, body in bodies:
        if not isinstance(body, dict) or "next_cursor" not in body:
            continue
        value = body["next_cursor"]
        carried.append(e)
        if value is not None and not isinstance(value, str):
            bad_cursor.append(Evidence("next_cursor is neither a string nor null", expected="string or null",
                                       actual=repr(value), exchanges=[e.seq]))
        elif body.get("has_more") is False and value is not None:
            bad_cursor.append(Evidence("next_cursor is set although has_more is false", expected="null",
                                       actual=repr(value), exchanges=[e.seq]))
    if bad_cursor:
        yield violated("ENV-004", name, *bad_cursor[:3])
    elif carried:
        yield held("ENV-004", name, f"{plural(len(carried), 'page')} carried next_cursor", seqs(carried))
    else:
        yield skipped("ENV-004", name, "no page carried next_cursor (it may be omitted)")

    # The document's own value where it states one, else the operation's path (docs/family.md).
    envelope_schema = spec.component(spec.list_schema_name) if not spec.list_schema_name.startswith("#/") else {}
    url_schema = (envelope_schema.get("properties") or {}).get("url") or {}
    expected_url = url_schema.get("x-expected-value", spec.operation_path)
    wrong_url = [e for e, b in bodies if isinstance(b, dict) and b.get("url") != expected_url]
    yield violated("ENV-006", name, *[Evidence(
        f"the envelope url is {(e.json or {}).get('url')!r}", expected=repr(expected_url),
        actual=repr((e.json or {}).get("url")), exchanges=[e.seq]) for e in wrong_url[:3]]) if wrong_url \
        else held("ENV-006", name, plural(len(bodies), "envelope"), seqs(pages))


NEXT_CURSOR_CHECK = "envelope.next-cursor"


def judge_next_cursor(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    """ENV-005: page k+1 of the next_cursor walk equals page k+1 of the starting_after walk."""
    name = NEXT_CURSOR_CHECK
    by_cursor = Walk.read(record, NEXT_CURSOR_WALK).pages
    by_id = Walk.read(record, STARTING_AFTER_WALK).pages
    if by_cursor and not by_cursor[0].judgeable:
        yield unanswered("ENV-005", name, by_cursor[0])
        return
    if not by_cursor:
        yield not_asked("ENV-005", name, "the next_cursor walk was not made", record)
        return
    echoed = [p for p in by_cursor if p.has_more is True and next_cursor_of(p) is not None
              and next_cursor_of(p) == cursor_sent(p)]
    if echoed:
        page = echoed[0]
        yield violated("ENV-005", name, Evidence(
            f"next_cursor {next_cursor_of(page)!r} is the cursor this page was asked with: following it "
            "serves the same page again",
            expected=f"a cursor for the page after {(page.page_ids or ['?'])[-1]}",
            actual=f"next_cursor = starting_after = {next_cursor_of(page)!r}", exchanges=[page.seq]))
        return
    judged: list[Exchange] = []
    history = History.of(record)
    # On a live account the two walks, made at different moments, may go through other pages:
    # each next_cursor page is compared with the starting_after page of the same last id.
    by_last_id = {p.params.get("starting_after"): p for p in by_id} if history.live else {}
    for index, page in enumerate(by_cursor[:-1]):
        if next_cursor_of(page) is None or page.items_listed:
            break  # (a page judged in part, ITEMS_JUDGED: its last id is not known)
        if history.live:
            theirs_or_none = by_last_id.get(page.page_ids[-1]) if page.page_ids else None
            if theirs_or_none is None:
                continue
            ours, theirs = by_cursor[index + 1], theirs_or_none
        elif index + 1 >= len(by_id):
            break
        else:
            ours, theirs = by_cursor[index + 1], by_id[index + 1]
        if not ours.judgeable or not theirs.judgeable:
            yield unanswered("ENV-005", name, ours)
            return
        judged += [page, ours, theirs]
        # Two pages that are both not lists agree on nothing: that is a violation too.
        if ours.page_ids is None or not history.pages_agree(ours, theirs):
            yield violated("ENV-005", name, Evidence(
                f"next_cursor {next_cursor_of(page)!r} did not give the page that starting_after="
                f"{(page.page_ids or ['?'])[-1]} gives",
                expected=" ".join(theirs.page_ids or []) or f"status {theirs.status}",
                actual=" ".join(ours.page_ids or []) or f"status {ours.status}",
                exchanges=[page.seq, ours.seq, theirs.seq]))
            return
    if judged:
        yield held("ENV-005", name, f"{len(judged) // 3} next_cursor values followed", seqs(judged))
    elif any(next_cursor_of(p) is not None for p in by_cursor) or by_cursor[0].has_more is not True:
        # A next_cursor with no page after it to compare, or a walk whose first page held the whole
        # collection: the target may well send next_cursor, there was just nothing to follow.
        yield lacking("ENV-005", name, f"the next_cursor walk had {plural(len(by_cursor), 'page')}: no "
                                       "next_cursor could be followed to a page to compare", record)
    else:  # more pages, and no next_cursor on the first: the contract lets a target omit it
        yield skipped("ENV-005", name, "the target sent no non-null next_cursor (it may omit it)")


CHECKS = (
    Check(SHAPE_CHECK, "envelope", ("ENV-001", "ENV-002", "ENV-004", "ENV-006"), judge_envelope),
    Check(NEXT_CURSOR_CHECK, "envelope", ("ENV-005",), judge_next_cursor, compares=("ENV-005",)),
)
