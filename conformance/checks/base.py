"""What a check is: probes that ask, and judgements that read what was recorded.

A *probe* decides what to ask the target next (a walk follows cursors) and records
every exchange under its tag through the client. A *check* is a pure judgement over
the recorded exchanges; it names the requirement IDs it verifies. Because checks never
talk to the network, `verify` can re-run them over a saved transcript, and tests can
feed them hand-made exchanges.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from conformance.exchange import Exchange
from conformance.profiles import Profile
from conformance.record.client import Client, Query
from conformance.spec import Spec
from conformance.verdicts import Outcome


@dataclass(frozen=True)
class RunContext:
    """What judgements may know besides the exchanges; saved in report.json for `verify`."""

    profile: Profile
    api_version: str | None
    key_is_test_key: bool
    seed: int
    # The dataset the target must list exactly (DATA-001), e.g. "canonical"; None: not judged.
    expect_dataset: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile.name,
            "api_version": self.api_version,
            "key_is_test_key": self.key_is_test_key,
            "seed": self.seed,
            "expect_dataset": self.expect_dataset,
        }


_Reading = TypeVar("_Reading")


class Record:
    """The transcript, read by tag. Tags look like ``walk:7`` or ``auth:none``."""

    def __init__(self, exchanges: Sequence[Exchange]) -> None:
        self.exchanges = list(exchanges)
        # Readings several judgements share (e.g. the collection), computed once per record.
        self.memo: dict[str, Any] = {}

    @classmethod
    def of(cls, exchanges: Sequence[Exchange] | Record) -> Record:
        """`exchanges` as a Record: a Record as it is, so that its readings are shared."""
        return exchanges if isinstance(exchanges, Record) else cls(exchanges)

    def reading(self, key: str, read: Callable[[Record], _Reading]) -> _Reading:
        """`read(self)`, computed once per record under `key` and shared by every judgement."""
        if key not in self.memo:
            self.memo[key] = read(self)
        value: _Reading = self.memo[key]
        return value

    def tagged(self, tag: str) -> list[Exchange]:
        return [e for e in self.exchanges if e.tag == tag]

    def under(self, prefix: str) -> list[Exchange]:
        return [e for e in self.exchanges if e.tag == prefix or e.tag.startswith(prefix + ":")]

    def by_seq(self, seq: int) -> Exchange:
        """The exchange numbered ``seq`` (its place in the whole transcript: a record of one
        operation's exchanges holds only some of them)."""
        if seq < len(self.exchanges) and self.exchanges[seq].seq == seq:
            return self.exchanges[seq]
        index = self.reading("by-seq", lambda record: {e.seq: e for e in record.exchanges})
        # Hand-made records may number their exchanges freely: then the place is the number.
        return index[seq] if seq in index else self.exchanges[seq]

    def __iter__(self) -> Any:
        return iter(self.exchanges)


@dataclass
class ProbeContext:
    client: Client
    run: RunContext
    spec: Spec
    rng: random.Random = field(default_factory=random.Random)

    @property
    def profile(self) -> Profile:
        return self.run.profile

    @property
    def record(self) -> Record:
        """The exchanges this probe may read: earlier phases' and its own (conformance.run.lanes),
        of its own operation only (``spec.operation_path``): another operation's walks are not its."""
        path = self.spec.operation_path
        return Record([e for e in self.client.recorded if e.path == path])

    def get(self, tag: str, query: Query = (), **options: Any) -> Exchange:
        """``client.get`` on this probe's operation (its path); raises as ``Client.get`` does."""
        return self.client.get(tag, query, path=self.spec.operation_path, **options)


Judgement = Callable[[Record, RunContext, Spec], Iterable[Outcome]]


@dataclass(frozen=True)
class Probe:
    name: str
    area: str
    run: Callable[[ProbeContext], None]
    # When it runs (conformance.run.lanes): "first" and "last" alone, "any" beside other probes.
    order: str = "any"
    # The requests it is expected to send, from the profile and what the earlier phases saw
    # (conformance.checks.collection.expected_pages): lanes start the longest probes first, so
    # that they all finish about together. A guess only orders the probes; it bounds nothing.
    cost: Callable[[ProbeContext], int] = lambda _ctx: 1
    # Whether it (or its cost) reads what the earlier phases saw (``ProbeContext.record``): one
    # that reads nothing of them starts beside the reference walk instead of after it.
    reads_record: bool = True


@dataclass(frozen=True)
class Check:
    name: str
    area: str
    verifies: tuple[str, ...]
    judge: Judgement
    doc: str = ""
    # Requirements this check judges by comparing responses taken at different moments. The
    # judgement itself reasons about the contract's model of change (checks/history.py); a change
    # outside that model (a session vanished, a status moved back) makes their violations
    # inconclusive, with the change named.
    compares: tuple[str, ...] = ()
    # Requirements only a quiet collection can show (an exact dataset): on a live account their
    # violations are inconclusive.
    quiet_only: tuple[str, ...] = ()
