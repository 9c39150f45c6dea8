"""exchanges.jsonl: every request and response of a run, already redacted, one JSON object a line."""

from __future__ import annotations

import json
from pathlib import Path

from conformance.exchange import Exchange


def exchange_line(exchange: Exchange) -> str:
    """One exchange as a line of exchanges.jsonl (with its newline)."""
    # Compact separators: the file is hashed for the certificate, so its bytes must not depend on style.
    return json.dumps(exchange.to_dict(), separators=(",", ":")) + "\n"


def read_exchanges(path: Path) -> list[Exchange]:
    """The exchanges of a saved transcript; ValueError names the first line that is not one."""
    exchanges = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                exchanges.append(Exchange.from_dict(json.loads(line)))
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{path.name} line {number} is not an exchange ({exc})") from None
            except RecursionError:  # nested deeper than the parser goes: nothing the suite writes
                raise ValueError(f"{path.name} line {number} is not an exchange (it is nested too deep)") from None
    return exchanges
