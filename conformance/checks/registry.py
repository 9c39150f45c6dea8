"""Every probe in the order it runs, and every check. The one list a run reads."""

from __future__ import annotations

from conformance.checks import (
    auth,
    dataset,
    envelope,
    filtering,
    foreign_cursor,
    generated,
    identity,
    integers,
    limits,
    next_cursor,
    objects,
    pagination,
    portability,
    protocol,
    repeated,
    schema_responses,
    stability,
    version,
)
from conformance.checks.base import Check, Probe

# Walks come first: later probes pick their cursors from what the reference walk saw.
PROBES: tuple[Probe, ...] = (
    *pagination.PROBES,
    *envelope.PROBES,
    *next_cursor.PROBES,
    *limits.PROBES,
    *filtering.PROBES,
    *foreign_cursor.PROBES,
    *portability.PROBES,
    *auth.PROBES,
    *version.PROBES,
    *protocol.PROBES,
    *repeated.PROBES,
    *dataset.PROBES,
    *generated.PROBES,
    *stability.PROBES,  # last: reads the first page again
)

CHECKS: tuple[Check, ...] = (
    *envelope.CHECKS,
    *next_cursor.CHECKS,
    *objects.CHECKS,
    *integers.CHECKS,
    *identity.CHECKS,
    *limits.CHECKS,
    *pagination.CHECKS,
    *filtering.CHECKS,
    *foreign_cursor.CHECKS,
    *portability.CHECKS,
    *auth.CHECKS,
    *version.CHECKS,
    *protocol.CHECKS,
    *repeated.CHECKS,
    *dataset.CHECKS,
    *generated.CHECKS,
    *schema_responses.CHECKS,
    *stability.CHECKS,
)

# Probes every selection needs: the reference walk is what most judgements compare against.
ALWAYS_PROBED = (*pagination.FORWARD_WALKS, "recheck")


def checks_for(selection: tuple[str, ...]) -> tuple[Check, ...]:
    """Checks selected by area names or requirement IDs (empty selection: all)."""
    if not selection:
        return CHECKS
    wanted = set(selection)
    # An area selects its requirements wherever the checks judging them live (OBJ-005 is
    # judged by an envelope check).
    from conformance.catalog import default_catalog

    wanted |= {r.id for r in default_catalog().requirements if r.area in wanted}
    return tuple(c for c in CHECKS if c.area in wanted or wanted & set(c.verifies))


def probes_for(checks: tuple[Check, ...]) -> tuple[Probe, ...]:
    areas = {c.area for c in checks}
    if len(checks) == len(CHECKS):
        return PROBES
    # Object and envelope judgements read whatever lists the others fetched.
    return tuple(p for p in PROBES if p.name in ALWAYS_PROBED or p.area in areas)
