"""Configuration of the embedded reference server."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.operations import CHECKOUT_SESSIONS
from conformance.reference.faults import FAULTS, FaultTargetError, applicable

# Versions answered with 200 when named in X-API-Version (newest first).
SUPPORTED_API_VERSIONS: tuple[str, ...] = ("2026-11-01", "2025-06-30")


def generate_api_key() -> str:
    return "sk_test_" + secrets.token_hex(16)


@dataclass
class ReferenceConfig:
    """What to serve: ``sessions`` generated from ``seed``, behind ``api_key``.

    ``api_key=None`` generates a fresh ``sk_test_`` key; ``db=None`` keeps the data in
    memory (a file path is reused across runs when it holds the same data);
    ``fault`` names an entry of ``conformance.reference.faults.FAULTS`` to inject into checkout
    sessions; ``faults`` maps other operations of the family (keys ``"GET /v1/invoices"``, see
    ``conformance.reference.family``) to the *generic* fault to inject there, one each (checkout
    sessions may be named there too, instead of ``fault``);
    ``dataset`` names a fixed dataset (``canonical``: spec/fixtures/canonical.json) to
    serve instead of generated sessions (``sessions`` and ``seed`` are then ignored).
    ``churn`` makes the collection live (``conformance.reference.churn``): that many
    sessions created per second at the head, and ``churn_expiry`` open sessions expired
    per second (None: a comparable rate, at most 1/s). 0 keeps it quiet.
    """

    sessions: int = 57
    seed: int = 0
    api_key: str | None = field(default=None, repr=False)  # a secret: never in repr
    db: str | None = None
    fault: str | None = None
    faults: Mapping[str, str] = field(default_factory=dict)
    dataset: str | None = None
    api_versions: tuple[str, ...] = SUPPORTED_API_VERSIONS
    churn: float = 0.0
    churn_expiry: float | None = None
    # "wall": the rates are per real second; "requests": per REQUESTS_PER_SECOND requests served
    # (conformance.reference.churn), the same change for the same requests on any machine.
    churn_clock: str = "wall"

    def __post_init__(self) -> None:
        if self.sessions < 0:
            raise ValueError("sessions must be >= 0")
        if self.churn < 0 or (self.churn_expiry is not None and self.churn_expiry < 0):
            raise ValueError("churn rates must be >= 0")
        if self.fault is not None and self.fault not in FAULTS:
            raise ValueError(f"unknown fault {self.fault!r}; known faults: "
                             f"{', '.join(sorted(FAULTS))}")
        self._check_faults()
        # Imported here so `python -m conformance.reference.canonical` runs a module not yet imported.
        from conformance.reference.canonical import DATASETS

        if self.dataset is not None and self.dataset not in DATASETS:
            raise ValueError(f"unknown dataset {self.dataset!r}; known datasets: {', '.join(DATASETS)}")
        if self.api_key is None:
            self.api_key = generate_api_key()

    def _check_faults(self) -> None:
        """FaultTargetError (a ValueError, one sentence) for a fault the family cannot take where named."""
        from conformance.reference.family import family_resources

        served = family_resources()
        if self.fault is not None and CHECKOUT_SESSIONS in self.faults:
            raise FaultTargetError(f"Two faults for {CHECKOUT_SESSIONS} ({self.fault} and "
                                   f"{self.faults[CHECKOUT_SESSIONS]}): inject one per operation.")
        for key, name in self.faults.items():
            if key not in served:
                raise FaultTargetError(f"The reference serves no operation {key!r} (it serves {', '.join(served)}).")
            if name not in FAULTS:
                raise FaultTargetError(f"Unknown fault {name!r} for {key}; known faults: {', '.join(sorted(FAULTS))}.")
            why = applicable(FAULTS[name], served[key])
            if why is not None:
                raise FaultTargetError(f"The fault {name} cannot be injected into {key}: {why}.")

    def fault_for(self, key: str) -> str | None:
        """The fault injected into the operation ``key`` (``"GET /path"``), or None."""
        if key in self.faults:
            return self.faults[key]
        return self.fault if key == CHECKOUT_SESSIONS else None

    def fixed_sessions(self) -> list[dict[str, Any]] | None:
        """The sessions of ``dataset``, or None when sessions are generated from ``seed``."""
        from conformance.reference.canonical import load_dataset

        return None if self.dataset is None else load_dataset(self.dataset)

    @property
    def expiry_rate(self) -> float:
        """Open sessions expired per second under churn."""
        from conformance.reference.churn import default_expiry_rate

        return default_expiry_rate(self.churn) if self.churn_expiry is None else self.churn_expiry

    @property
    def live(self) -> bool:
        return bool(self.churn or self.expiry_rate)

    @property
    def key(self) -> str:
        """The API key, never None after construction (for type checkers)."""
        assert self.api_key is not None
        return self.api_key

    @property
    def livemode(self) -> bool:
        # Data mirrors the key's mode, as on the real API.
        return self.key.startswith("sk_live_")
