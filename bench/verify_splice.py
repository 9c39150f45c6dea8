"""Proof that the server's fast path answers byte for byte what the general path does.

    python bench/verify_splice.py [--sessions 57 10000] [--canonical]

`decisions.run_list_json` splices the stored session texts into the page instead of
decoding and re-encoding them (the hot-path fix in BENCHMARKS.md). For every page of
full forward and backward walks (every status filter, several limits), for the first
page at every limit 1..100 and for a set of refused requests, this compares its text
with `encode_json(run_list(...))` — the code path that was there before, which any
injected fault still takes.
"""

from __future__ import annotations

import argparse
import base64
import contextvars
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from starlette.datastructures import Headers, QueryParams

from conformance.reference import decisions
from conformance.reference.decisions import Decisions, run_list, run_list_json
from conformance.reference.errors import ApiError, encode_json
from conformance.reference.store import SessionStore, open_store

KEY = "sk_test_verify"
VERSIONS = ("2026-11-01", "2025-06-30")
FAST = Decisions()


def _slow_equivalent() -> Decisions:
    """The correct decisions, but not the default objects: run_list_json falls back."""
    return Decisions(envelope=lambda data, has_more, query: decisions.envelope(data, has_more, query))


SLOW = _slow_equivalent()


def _answer(d: Decisions, fast: bool, store: SessionStore, query: str,
            auth: str | None) -> tuple[Any, ...]:
    headers = {"authorization": auth} if auth else {}
    try:
        if fast:
            return ("ok", run_list_json(d, store, Headers(headers), QueryParams(query), KEY, VERSIONS))
        return ("ok", encode_json(run_list(d, store, Headers(headers), QueryParams(query), KEY, VERSIONS)))
    except ApiError as exc:
        return ("error", exc.status, repr(exc.body()), exc.headers)
    except Exception as exc:  # a fault may raise on purpose (the app answers 500)
        return ("raised", type(exc).__name__, str(exc))


BASIC = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()


def _compare(store: SessionStore, query: str, auth: str | None = BASIC,
             fast_d: Decisions = FAST, slow_d: Decisions = SLOW) -> tuple[Any, ...]:
    # A fresh context each: some faults keep per-request state in a ContextVar.
    fast = contextvars.copy_context().run(_answer, fast_d, True, store, query, auth)
    slow = contextvars.copy_context().run(_answer, slow_d, False, store, query, auth)
    if fast != slow:
        raise AssertionError(f"differs for {query!r}:\nfast {str(fast)[:300]}\nslow {str(slow)[:300]}")
    return fast


def verify(store: SessionStore, label: str) -> int:
    import json

    compared = 0
    for limit in range(1, 101):
        _compare(store, f"limit={limit}")
        compared += 1
    for status in (None, "open", "complete", "expired"):
        filt = f"&status={status}" if status else ""
        for limit in (1, 7, 100):
            cursor, ids = None, []
            while True:  # forward walk, bounded by the collection size
                answer = _compare(store, f"limit={limit}{filt}" + (f"&starting_after={cursor}" if cursor else ""))
                compared += 1
                page = json.loads(answer[1])
                ids += [s["id"] for s in page["data"]]
                if not page["has_more"] or len(ids) > 1_000_000:
                    break
                cursor = page["data"][-1]["id"]
            cursor = ids[-1] if ids else None
            while cursor is not None:  # backward walk from the last item
                answer = _compare(store, f"limit={limit}{filt}&ending_before={cursor}")
                compared += 1
                page = json.loads(answer[1])
                cursor = page["data"][0]["id"] if page["has_more"] and page["data"] else None
    for query in ("limit=0", "limit=101", "limit=x", "status=nope", "starting_after=cs_nope",
                  "ending_before=cs_nope", "starting_after=a&ending_before=b", "foo=1",
                  "limit=1&limit=2", "starting_after="):
        _compare(store, query)
        compared += 1
    _compare(store, "limit=3", auth=None)
    compared += 1
    print(f"{label}: {compared} requests, fast path byte-identical to run_list + encode_json")
    return compared


_FAULT_QUERIES = ("", "limit=1", "limit=7", "limit=100", "limit=0", "limit=101", "limit=", "limit=2.5",
                  "limit=abc", "status=open", "status=complete&limit=3", "status=nope", "status=",
                  "starting_after=cs_nope", "ending_before=cs_nope", "starting_after=a&ending_before=b",
                  "foo=1", "limit=1&limit=2")
_AUTHS = (BASIC, None, "Basic " + base64.b64encode(b"sk_test_wrong:").decode(),
          "Basic " + base64.b64encode(f":{KEY}".encode()).decode(), "Bearer " + KEY, "Basic !!!")


def verify_faults(store: SessionStore) -> int:
    """Faults that replace only request-parsing decisions keep the fast path: same answers?"""
    import dataclasses

    from conformance.reference.faults import FAULTS, decisions_for

    compared, fast_faults = 0, 0
    for name in FAULTS:
        d = decisions_for(name)
        slow = dataclasses.replace(d, envelope=lambda data, more, q, env=d.envelope: env(data, more, q))
        fast_faults += decisions._spliceable(d)
        ids = [s["id"] for s in store.page(20).items]
        queries = [*_FAULT_QUERIES, f"starting_after={ids[5]}&limit=5", f"ending_before={ids[5]}&limit=3",
                   f"starting_after={ids[5]}&status=open"]
        for query in queries:
            for auth in _AUTHS:
                _compare(store, query, auth, d, slow)
                compared += 1
    print(f"faults: {compared} requests over {len(FAULTS)} faults ({fast_faults} of them on the fast path), "
          "byte-identical")
    return compared


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[57, 10_000])
    parser.add_argument("--canonical", action="store_true", help="also the canonical dataset, if present")
    parser.add_argument("--no-faults", action="store_true", help="skip the injected-fault comparison")
    args = parser.parse_args()
    if not args.no_faults:
        store = open_store(57, 0)
        verify_faults(store)
        store.close()
    for count in args.sessions:
        store = open_store(count, 0)
        verify(store, f"{count:,} generated sessions")
        store.close()
    if args.canonical:
        from conformance.reference.canonical import load_dataset

        store = open_store(0, 0, sessions_list=load_dataset("canonical"))  # type: ignore[call-arg]
        verify(store, "canonical dataset")
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
