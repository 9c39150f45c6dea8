"""Known-dataset certification (DATA-001): the target lists exactly a named dataset.

With ``run --expect-dataset canonical`` the probe walks the whole collection forward at
limit 100, and the judgement compares that walk with ``spec/fixtures/canonical.json``:
the same ids, in the same order, with the same field values. A key the target omits
counts as null (presence is OBJ-006's business) and keys the dataset does not have are
not judged (an API may grow fields). Without ``--expect-dataset`` nothing is sent and
DATA-001 is skipped.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from conformance.checks.base import Check, Probe, ProbeContext, Record, RunContext
from conformance.checks.common import not_asked, unanswered
from conformance.checks.walks import Walk, walk_forward
from conformance.exchange import Exchange
from conformance.spec import Spec
from conformance.verdicts import Evidence, Finding, Outcome, held, inconclusive, seqs, skipped, violated
from conformance.wording import plural

REQUIREMENT = "DATA-001"
WALK_TAG = "dataset:100"
PAGE_SIZE = 100
MAX_FIELD_EVIDENCE = 3
_ABSENT = object()  # a key the target left out: compared as null, shown as "(absent)"

Item = dict[str, Any]


# -- probe --------------------------------------------------------------------------------------
def probe_dataset(ctx: ProbeContext) -> None:
    name = ctx.run.expect_dataset
    if name is None:
        return
    # Imported here: the reference package costs ~0.4 s of start-up, and a run against
    # another target needs it only with --expect-dataset.
    from conformance.reference.canonical import DATASETS, load_dataset

    if name not in DATASETS:
        return
    expected = load_dataset(name)
    # One page more than the dataset needs, so sessions beyond it show up.
    walk_forward(ctx, WALK_TAG, limit=PAGE_SIZE, max_pages=len(expected) // PAGE_SIZE + 2)


PROBES = (Probe("dataset", "dataset", probe_dataset, cost=lambda ctx: 0 if ctx.run.expect_dataset is None else 1,
                reads_record=False),)


# -- judgement ----------------------------------------------------------------------------------
EXACT_CHECK = "dataset.exact"


def judge_dataset(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    name = EXACT_CHECK
    dataset = run.expect_dataset
    if dataset is None:
        yield skipped(REQUIREMENT, name, "no --expect-dataset given")
        return
    from conformance.reference.canonical import DATASETS, load_dataset

    if dataset not in DATASETS:
        yield Outcome(REQUIREMENT, Finding.ERROR, name,
                      f"this suite has no dataset named {dataset!r} (known: {', '.join(DATASETS)})")
        return
    walk = Walk.read(record, WALK_TAG)
    if not walk.pages:
        yield not_asked(REQUIREMENT, name, "the dataset walk was not made", record)
        return
    if (lost := walk.unanswered) is not None:
        yield unanswered(REQUIREMENT, name, lost)
        return
    expected = load_dataset(dataset)
    evidence = _differences(expected, walk, dataset)
    if (broken := walk.broken_page) is not None:
        evidence.insert(0, Evidence(
            f"the walk of the whole collection got status {broken.status} instead of a list page",
            expected="200 with a list of sessions", actual=f"status {broken.status}, body {broken.body[:120]!r}",
            exchanges=[broken.seq]))
    if evidence:
        yield violated(REQUIREMENT, name, *evidence)
    elif not walk.complete:
        yield inconclusive(REQUIREMENT, name, f"the walk stopped after {len(walk.ids)} of the dataset's "
                                              f"{plural(len(expected), 'session')} without a difference so far")
    else:
        yield held(REQUIREMENT, name, f"all {plural(len(expected), 'session')} of the {dataset} dataset listed in "
                                      f"order with the same field values ({plural(len(walk.pages), 'page')})",
                   seqs(walk.usable_pages))


def _differences(expected: list[Item], walk: Walk, dataset: str) -> list[Evidence]:
    """What differs between the dataset and what the walk saw, most fundamental first."""
    pages = walk.usable_pages
    got_items: dict[str, tuple[Item, Exchange]] = {}
    for page in pages:
        body = page.json
        for item in body["data"] if isinstance(body, dict) else []:
            got_items.setdefault(item["id"], (item, page))
    got = walk.ids
    want = [s["id"] for s in expected]
    want_set, got_set = set(want), set(got)
    position = {sid: index for index, sid in enumerate(want)}
    evidence: list[Evidence] = []

    def page_of(sid: str) -> list[int]:
        return [got_items[sid][1].seq] if sid in got_items else []

    # Membership: missing (only knowable when the walk reached the end), extra, duplicated.
    if walk.complete:
        missing = [sid for sid in want if sid not in got_set]
        if missing:
            first = missing[0]
            index = position[first]
            before = next((want[k] for k in range(index - 1, -1, -1) if want[k] in got_set), None)
            where = page_of(before) if before else ([pages[0].seq] if pages else [])
            evidence.append(Evidence(
                f"{plural(len(missing), 'session')} of the {dataset} dataset {_is(len(missing))} not listed; "
                f"the first is {first} (position {index + 1} of {len(want)})",
                expected=f"{first} listed after {before}" if before else f"{first} listed first",
                actual=f"{first} absent; the target lists {len(got_set)} distinct sessions",
                exchanges=where))
    extra = list(dict.fromkeys(sid for sid in got if sid not in want_set))
    if extra:
        first = extra[0]
        evidence.append(Evidence(
            f"{plural(len(extra), 'listed session')} {_is(len(extra))} not in the {dataset} dataset; "
            f"the first is {first} (position {got.index(first) + 1} of the listing)",
            expected=f"only the dataset's {plural(len(want), 'session')}", actual=f"{first} also listed",
            exchanges=page_of(first)))
    duplicated = [sid for sid, n in Counter(got).items() if n > 1]
    if duplicated:
        first = duplicated[0]
        evidence.append(Evidence(
            f"{first} is listed {plural(Counter(got)[first], 'time')}", expected="every session once",
            actual=f"{plural(len(duplicated), 'session')} listed more than once",
            exchanges=[p.seq for p in pages if first in (p.page_ids or [])][:4]))

    # Order, among the sessions both sides have (so one missing session is not also an order
    # error). Sessions of one `created` second form a group whose inner order is the server's
    # choice (catalog `either:`; PAG-003 judges its stability): groups must come in order.
    got_common = list(dict.fromkeys(sid for sid in got if sid in want_set))
    group_rank: dict[Any, int] = {}
    for sid in want:
        group_rank.setdefault(expected[position[sid]]["created"], len(group_rank))
    rank = {sid: group_rank[expected[position[sid]]["created"]] for sid in want}
    for k in range(1, len(got_common)):
        earlier, later = got_common[k - 1], got_common[k]
        if rank[later] < rank[earlier]:
            evidence.append(Evidence(
                f"the target lists {later} (created {expected[position[later]]['created']}) after {earlier} "
                f"(created {expected[position[earlier]]['created']}); the {dataset} dataset has it first",
                expected=f"{later} before {earlier}",
                actual=" ".join(got_common[max(0, k - 2):k + 2]),
                exchanges=page_of(later)))
            break

    # Field values, session by session in list order.
    field_diffs = [(sid, path, exp, act) for sid in got_common
                   for path, exp, act in _field_differences(expected[position[sid]], got_items[sid][0])]
    sessions_differing = len({sid for sid, *_ in field_diffs})
    for number, (sid, path, exp, act) in enumerate(field_diffs[:MAX_FIELD_EVIDENCE]):
        summary = (f" ({plural(len(field_diffs), 'field difference')} in {plural(sessions_differing, 'session')})"
                   if number == 0 else "")
        evidence.append(Evidence(
            f"{sid}: `{path}` differs from the {dataset} dataset{summary}",
            expected=_show(exp), actual=_show(act), exchanges=page_of(sid)))
    return evidence


def _field_differences(expected: Any, actual: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(dotted path, expected, actual) for every value of ``expected`` that ``actual`` does not match."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key, value in expected.items():  # keys the dataset lacks are not judged
            yield from _field_differences(value, actual.get(key, _ABSENT), f"{path}.{key}" if path else key)
        return
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for index, (e, a) in enumerate(zip(expected, actual, strict=True)):
            yield from _field_differences(e, a, f"{path}[{index}]")
        return
    if not _same(expected, actual):
        yield path, expected, actual


def _same(expected: Any, actual: Any) -> bool:
    if actual is _ABSENT:
        return expected is None
    # Strict JSON equality: true is not 1, and 1.0 is not the integer 1.
    return type(expected) is type(actual) and expected == actual


def _show(value: Any) -> str:
    if value is _ABSENT:
        return "(absent)"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 160 else text[:157] + "..."


CHECKS = (Check(EXACT_CHECK, "dataset", (REQUIREMENT,), judge_dataset,
                "With --expect-dataset: exactly the named dataset, in order, with the same field values.",
                compares=(REQUIREMENT,), quiet_only=(REQUIREMENT,)),)


def _is(count: int) -> str:
    """The verb for ``count`` things: "1 session is", "3 sessions are"."""
    return "is" if count == 1 else "are"
