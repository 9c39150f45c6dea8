"""For each requirement of the catalog, the files that hold its judgement and its probes.

The table in docs/architecture.md is this module's output, so a newcomer finds a requirement's
code without a search; ``tests/test_architecture_doc.py`` fails when the two differ. Regenerate
it after adding or moving a check or a probe::

    python -m conformance.selftest.requirement_map --write

"Probed by" is measured, not declared: one standard run of every probe against the embedded
reference (seed 0, the canonical dataset, one lane) records which tags each probe sent
(``conformance.run.lanes.ProbeRun``); then each check judges that transcript alone, through a
``TracingRecord`` that notes every tag (``Record.tagged``) and prefix (``Record.under``) the
judgement asks for, and whether it reads every exchange (``Record.exchanges``, iteration). A
requirement is probed by the files of the probes that sent what its checks read. So the map
follows the code as it changes: a check that starts reading another probe's exchanges moves
into that probe's row at the next ``--write``, and the test fails until it is regenerated.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.catalog import default_catalog
from conformance.checks.base import Check, Probe, ProbeContext, Record, RunContext
from conformance.checks.registry import CHECKS, PROBES
from conformance.exchange import Exchange
from conformance.profiles import PROFILES
from conformance.spec import default_spec

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"
BEGIN = "<!-- requirement map: python -m conformance.selftest.requirement_map --write -->"
END = "<!-- end of requirement map -->"
# What "Probed by" says of a check that reads every exchange of the transcript (e.g. every
# response validated against the schema), whichever probe sent it.
EVERY_PROBE = "every probe (it reads every exchange)"
# ... and of one that reads every list page (a 200 with a `data` list), whichever probe asked.
EVERY_LIST_PAGE = "every probe's list pages"


def _file(function: Callable[..., Any]) -> str:
    """The source file of a judgement or probe function, relative to the package's parent."""
    while isinstance(function, functools.partial):
        function = function.func
    module = getattr(function, "__module__", None) or type(function).__module__
    return "`" + module.replace(".", "/") + ".py`"


class TracingRecord(Record):
    """A Record that notes the tags a judgement asks for by name: ``tagged(tag)`` and
    ``under(prefix)``, also inside a shared reading (``Record.reading``: a fresh record per
    check, so no reading is computed by another check)."""

    def __init__(self, exchanges: Sequence[Exchange]) -> None:
        super().__init__(exchanges)
        self.tags: set[str] = set()
        self.prefixes: set[str] = set()

    def tagged(self, tag: str) -> list[Exchange]:
        self.tags.add(tag)
        return super().tagged(tag)

    def under(self, prefix: str) -> list[Exchange]:
        self.prefixes.add(prefix)
        return super().under(prefix)

    def asked_for(self, tag: str) -> bool:
        """Whether the judgement asked for exchanges tagged `tag`, by that tag or a prefix of it."""
        return tag in self.tags or any(tag == p or tag.startswith(p + ":") for p in self.prefixes)


@dataclass
class Measured:
    """One standard run's facts, per requirement: the tags of the exchanges its checks read."""

    probe_of_tag: dict[str, set[str]] = field(default_factory=dict)  # tag -> files of the probes that sent it
    list_pages: set[str] = field(default_factory=set)  # files of the probes that got a list page
    read: dict[str, set[str]] = field(default_factory=dict)  # requirement -> tags its judgement read


@functools.lru_cache(maxsize=1)
def measure(probes: tuple[Probe, ...] = PROBES, checks: tuple[Check, ...] = CHECKS) -> Measured:
    """Run `probes` once against the embedded reference (standard profile, seed 0, the canonical
    dataset, one lane: the transcript does not depend on timing), then judge the transcript with
    each of `checks` alone, on a TracingRecord. A requirement read the tags its checks asked for
    by name and those of the exchanges its outcomes name (a pass names the exchanges it rests on:
    conformance.verdicts.held; so does a violation, in its evidence). Raises what starting the
    reference raises, and a check's own error (a suite bug: the map would be partial)."""
    from conformance.record.client import Client, ClientSettings
    from conformance.reference.server import ReferenceConfig, start_background
    from conformance.run.lanes import probe_rng, run_probes

    spec = default_spec()
    profile = PROFILES["standard"]
    measured = Measured()
    with start_background(ReferenceConfig(seed=0, dataset="canonical")) as server:
        client = Client(server.base_url, server.api_key, ClientSettings(max_requests=profile.max_requests))
        try:
            context = RunContext(profile, server.config.api_versions[0], client.key_is_test_key, 0, "canonical")
            runs = run_probes(client, probes, lambda p: ProbeContext(client, context, spec, probe_rng(0, p)), 1)
        finally:
            client.close()
        transcript = list(client.transcript)
    for probe_run in runs:
        for exchange in probe_run.exchanges:
            measured.probe_of_tag.setdefault(exchange.tag, set()).add(_file(probe_run.probe.run))
            if exchange.page_ids is not None:
                measured.list_pages.add(_file(probe_run.probe.run))
    tag_of = {e.seq: e.tag for e in transcript}
    for check in checks:
        record = TracingRecord(transcript)
        outcomes = list(check.judge(record, context, spec))
        asked = {tag for tag in measured.probe_of_tag if record.asked_for(tag)}
        for requirement in check.verifies:
            named = {seq for o in outcomes if o.requirement == requirement
                     for seq in [*o.exchanges, *(s for ev in o.evidence for s in ev.exchanges)]}
            measured.read.setdefault(requirement, set()).update(asked, (tag_of[s] for s in named if s in tag_of))
    return measured


def _probed_by(files: set[str], measured: Measured) -> str:
    """The "Probed by" cell: the files, or what they amount to when a judgement reads every
    exchange (every probe's) or every list page (whichever probe got it), said so, with the
    files it leaves out or adds named."""
    every = set().union(*measured.probe_of_tag.values())
    if files == every:
        return EVERY_PROBE
    pages = measured.list_pages
    if len(pages - files) <= 2 and len(files & pages) > len(pages) // 2:
        but = ", ".join(sorted(pages - files))
        extra = ", ".join(sorted(files - pages))
        return (EVERY_LIST_PAGE + (f" but those of {but}" if but else "")
                + (f"; and {extra}" if extra else ""))
    return ", ".join(sorted(files)) or "no probe"


def table() -> str:
    """The markdown table: requirement, level, judged in (the files of its checks), probed by (the
    files of the probes that sent the exchanges its judgement read, measured by `measure`)."""
    measured = measure()
    judged: dict[str, set[str]] = {}
    for check in CHECKS:
        for verified in check.verifies:
            judged.setdefault(verified, set()).add(_file(check.judge))
    rows = ["| Requirement | Level | Judged in | Probed by |", "|---|---|---|---|"]
    for requirement in default_catalog().requirements:
        judged_in = ", ".join(sorted(judged.get(requirement.id, set()))) or "not judged"
        files = set().union(*(measured.probe_of_tag.get(tag, set()) for tag in measured.read.get(requirement.id, ())))
        rows.append(f"| {requirement.id} | {requirement.level} | {judged_in} | {_probed_by(files, measured)} |")
    return "\n".join(rows)


def with_table(document: str) -> str:
    """`document` with the text between the markers replaced by the current table; ValueError without them."""
    head, found, rest = document.partition(BEGIN)
    _old, found_end, tail = rest.partition(END)
    if not (found and found_end):
        raise ValueError(f"{DOC} lacks the requirement map's markers")
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"


def main(argv: list[str]) -> None:
    if argv == ["--write"]:
        DOC.write_text(with_table(DOC.read_text(encoding="utf-8")), encoding="utf-8")
        print(f"wrote the requirement map into {DOC}")
    else:
        print(table())


if __name__ == "__main__":
    main(sys.argv[1:])
