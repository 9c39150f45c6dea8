"""reproduce/<ID>.sh: a bash script per failing or warned requirement that replays its evidence.

The script sends, with curl, the requests the finding rests on, in order, each exactly as it was
recorded: the same path, parameters and cursors (`starting_after` / `ending_before`), so the
request replayed is the one whose answer shows the fault. A request whose cursor came from an
earlier page of the same walk (or is the `next_cursor` token a page issued) is preceded by that
page, back to the start of the walk, so a vendor sees the chain of pages as the suite saw it; when
the live page now gives another cursor than the one the run used, the script says so and still
sends the recorded one. A cursor the suite picked from what it had read (an id in the middle of a
page, a tie's edge) has no page before it: it is sent as recorded. Each step prints what came back
(status, ids, has_more, next_cursor, or the error) next to what was recorded, and the script ends
with the finding: what to look at.

The key is read from $CONFORMANCE_API_KEY when the script runs and handed to curl on a pipe,
so it is on no command line; the file never holds it (its transcript is redacted already).
Everything taken from the target is quoted for the shell and stripped of control characters,
so the script cannot be made to run anything else or to drive a terminal. `verify` rebuilds
the scripts and refuses a report directory whose scripts differ, since a person runs them
with their key in the environment.

A run of several list operations (issue 24) names each script by its operation too:
``reproduce/GET_v1_invoices__PAG-005.sh`` (the operation's slug, ``reports.document.operation_slugs``:
ASCII letters, digits and ``_`` only, so no name can climb out of ``reproduce/`` or hide), and a
cursor is only ever taken from an earlier page of the same operation. The scripts stay in the one
flat ``reproduce/`` directory, under the same rules as ever (reports.files). A run of one operation
names them ``<ID>.sh``, as before. Every request replays the exchange's own path.
"""

from __future__ import annotations

import contextlib
import json
import shlex
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from conformance.exchange import (
    AUTH_KEY,
    AUTH_KEY_AS_PASSWORD,
    AUTH_KEY_VARIANT,
    AUTH_NONE,
    KEY_VARIANT_SHELL,
    Exchange,
)
from conformance.operations import CHECKOUT_SESSIONS
from conformance.reports.document import operation_slugs, operations_of
from conformance.reports.files import real_directory, write_new
from conformance.wording import plural

DIRECTORY = "reproduce"
REPRODUCED = ("fail", "warn")
CURSORS = ("starting_after", "ending_before")
MAX_STEPS = 120  # a walk of 100 pages and the requests cited after it; more says nothing new
# A response body is read up to the suite's own cap (ClientSettings.body_cap_bytes), here as
# in the run: curl stops writing there, and the script's Python reads no more than that.
BODY_CAP = 4 * 1024 * 1024

# Runs inside the script: one response summarised, whatever the server sent.
_SUMMARISE = r'''summarise() {  # STATUS BODY_FILE: one line of what came back, then its ids
  python3 - "$1" "$2" "$CAP" <<'PY'
import json, sys
def clean(value, limit=300):
    return "".join(c if c.isprintable() else "?" for c in " ".join(str(value).split()))[:limit]
status, path, cap = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    with open(path, encoding="utf-8", errors="replace") as handle:
        text = handle.read(cap + 1)  # at most the suite's body cap (curl stopped there)
except OSError:
    text = ""
try:
    body = json.loads(text) if len(text) < cap else None
except ValueError:
    body = None
if isinstance(body, dict) and isinstance(body.get("data"), list):
    ids = [item.get("id") if isinstance(item, dict) else None for item in body["data"]]
    count = f"{len(ids)} item" + ("" if len(ids) == 1 else "s")  # as the recorded line words it
    print(clean(f"{status} · {count} · has_more {json.dumps(body.get('has_more'))}"
                f" · next_cursor {json.dumps(body.get('next_cursor', 'absent'))}"))
    print("    ids: " + clean(" ".join(str(i) for i in ids), 6000))
elif isinstance(body, dict) and isinstance(body.get("error"), dict):
    error = body["error"]
    print(clean(f"{status} · error {error.get('type')}: {error.get('message')} (param {error.get('param')})"))
else:
    print(clean(f"{status} · body: {text[:200]}"))
PY
}
field() {  # BODY_FILE first|last|next_cursor: a cursor taken from a page, URL-encoded; empty if none
  python3 - "$1" "$2" "$CAP" <<'PY'
import json, sys, urllib.parse
try:
    with open(sys.argv[1], encoding="utf-8") as handle:
        text = handle.read(int(sys.argv[3]) + 1)  # at most the suite's body cap
    body = json.loads(text) if len(text) < int(sys.argv[3]) else {}
    data = body.get("data") or []
    value = {"first": lambda: data[0]["id"], "last": lambda: data[-1]["id"],
             "next_cursor": lambda: body["next_cursor"]}[sys.argv[2]]()
    print(urllib.parse.quote(value, safe="") if isinstance(value, str) else "")
except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError):
    print("")
PY
}
fetch() {  # N CURL_ARGS...: the body to $tmp/N.body, at most $CAP bytes (a file-size limit on curl
  # alone: a body with no length, or an endless one, stops there too); prints the status
  local number=$1 code=0 status
  shift
  status=$( (trap '' XFSZ; ulimit -f $((CAP / 1024)); exec curl -sS --max-time 30 --max-filesize "$CAP" \
             -o "$tmp/$number.body" -w '%{http_code}' "$@" 2>"$tmp/curl.err") ) || code=$?
  case $code in
    0) printf '%s' "$status" ;;
    23|63) printf '%s' "$status"
           printf '  (the body passed the suite'"'"'s cap of %s bytes: cut there, as the run cut it)\n' "$CAP" >&2 ;;
    *) printf 'no answer (curl failed: %s)' "$(head -c 300 "$tmp/curl.err" | tr -cd '[:print:]')" ;;
  esac
}
'''


def _clean(text: Any, limit: int = 300) -> str:
    """One line of target text, safe in a comment or a quoted argument: no control or format characters."""
    line = " ".join(str(text).split())
    return "".join(c if c.isprintable() else "?" for c in line)[:limit]


def _cursor_source(exchange: Exchange, earlier: Sequence[Exchange],
                   tokens_only: bool = False) -> tuple[int, str, str] | None:
    """(seq of the page the cursor came from, which field, the parameter), or None for a cursor
    the suite picked or made up (it is replayed as recorded, with no page before it).

    ``earlier`` are the pages of the request's own walk (its tag): there the cursor is the last
    (first, for ``ending_before``) id of a page or its ``next_cursor``. With ``tokens_only``, only
    a ``next_cursor`` counts: an id that happens to end some other probe's page is not where the
    suite took it from (a limit=1 walk ends a page with every id), a token a page issued is."""
    params = exchange.params
    for name in CURSORS:
        value = params.get(name)
        if not value:
            continue
        for page in reversed(earlier):
            ids = page.page_ids
            if not ids:
                continue
            body = page.json
            if not tokens_only and name == "starting_after" and ids[-1] == value:
                return page.seq, "last", name
            if not tokens_only and name == "ending_before" and ids[0] == value:
                return page.seq, "first", name
            if isinstance(body, dict) and body.get("next_cursor") == value and value not in ids:
                return page.seq, "next_cursor", name
    return None


def _chain(seqs: Sequence[int], exchanges: Sequence[Exchange], same_path: bool = False
           ) -> tuple[list[int], dict[int, tuple[int, str, str]], list[int]]:
    """(the steps in order, each step's cursor source, the cited exchanges left out).
    `same_path` (a run of several operations): a cursor comes only from a page of the same path.

    The steps are the cited exchanges (the first MAX_STEPS of them, all of them always before any
    page that only leads to one) plus, while room is left, the pages their cursors came from, back
    to each walk's start."""
    cited = [s for s in dict.fromkeys(seqs) if 0 <= s < len(exchanges)]
    kept, left_out = cited[:MAX_STEPS], cited[MAX_STEPS:]
    wanted: set[int] = set(kept)
    sources: dict[int, tuple[int, str, str]] = {}
    todo = list(kept)
    while todo:
        seq = todo.pop()
        exchange = exchanges[seq]
        earlier = [e for e in exchanges[:seq] if e.path == exchange.path] if same_path else exchanges[:seq]
        same_tag = [e for e in earlier if e.tag == exchange.tag]
        source = (_cursor_source(exchange, same_tag)
                  or _cursor_source(exchange, earlier, tokens_only=True))
        if source is None or (source[0] not in wanted and len(wanted) >= MAX_STEPS):
            continue  # no page before it, or no room: the recorded cursor is sent as it is either way
        sources[seq] = source
        if source[0] not in wanted:
            wanted.add(source[0])
            todo.append(source[0])
    return sorted(wanted), sources, left_out


def _recorded(exchange: Exchange) -> str:
    if exchange.error:
        return _clean(f"no answer ({exchange.error})")
    body = exchange.json
    # As the script's summarise() reads the live answer, so that the same answer reads the same:
    # any body with a `data` list shows its ids, a 401 that carries sessions (AUTH-005) included.
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        ids = [item.get("id") if isinstance(item, dict) else None for item in body["data"]]
        head = _clean(f"{exchange.status} · {plural(len(ids), 'item')} · has_more {_json(body.get('has_more'))}"
                      f" · next_cursor {_json(body.get('next_cursor', 'absent'))}")
        return head + "\n    ids: " + _clean(" ".join(str(i) for i in ids), 6000)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        return _clean(f"{exchange.status} · error {error.get('type')}: {error.get('message')} "
                      f"(param {error.get('param')})")
    return _clean(f"{exchange.status} · body: {exchange.body[:200]}")


def _json(value: Any) -> str:
    return json.dumps(value)


def _auth_args(exchange: Exchange) -> list[str]:
    # The same credentials as the recorded request (Exchange.curl), the key from the environment.
    # curl reads it from a config on a pipe (printf is a bash builtin): it is in no process's argv.
    if exchange.auth == AUTH_KEY:
        return ["-K <(printf 'user = \"%s:\"\\n' \"$CONFORMANCE_API_KEY\")"]
    if exchange.auth == AUTH_KEY_AS_PASSWORD:
        return ["-K <(printf 'user = \":%s\"\\n' \"$CONFORMANCE_API_KEY\")"]
    if exchange.auth.startswith(AUTH_KEY_VARIANT):
        shell = KEY_VARIANT_SHELL.get(exchange.auth.removeprefix(AUTH_KEY_VARIANT), "")
        return [f"-K <(printf 'user = \"%s:\"\\n' \"{shell}\")"]
    if exchange.auth.startswith("basic "):
        return ["-u " + shlex.quote(exchange.auth.removeprefix("basic "))]
    if exchange.auth.startswith("header "):
        return ["-H " + shlex.quote(f"Authorization: {exchange.auth.removeprefix('header ')}")]
    return []


def _auth_label(exchange: Exchange) -> str:
    """How the request authenticated, said next to it when it is not simply the key."""
    if exchange.auth == AUTH_KEY:
        return ""
    if exchange.auth == AUTH_NONE:
        return " (no credentials)"
    if exchange.auth == AUTH_KEY_AS_PASSWORD:
        return " (the key as the Basic password)"
    if exchange.auth.startswith(AUTH_KEY_VARIANT):
        return f" (a near miss of the key: {exchange.auth.removeprefix(AUTH_KEY_VARIANT)})"
    if exchange.auth.startswith("basic "):
        return f" (Basic {exchange.auth.removeprefix('basic ')})"
    return f" (Authorization: {exchange.auth.removeprefix('header ')})"


def _url(exchange: Exchange) -> str:
    """A bash word for the URL: the recorded request's own path and query, quoted."""
    return '"${BASE_URL%/}"' + shlex.quote(exchange.target)


def _drift_check(exchange: Exchange, parent_step: int, source: tuple[int, str, str]) -> list[str]:
    """Bash lines saying so when the page the cursor came from now gives another one: the step
    still sends the recorded cursor (the request that showed the fault), and the person knows the
    server's answers have changed since the run."""
    _, which, name = source
    recorded = quote(exchange.params.get(name, ""), safe="")
    variable = f"cursor_{parent_step}_{which}"
    note = (f"  note: step {parent_step} now gives %s as its {which.replace('_', ' ')}; "
            f"this step sends the {name} the run used\n")
    return [f'if [ "${variable}" != {shlex.quote(recorded)} ]; then printf {shlex.quote(note)} "${variable}"; fi']


def build_script(requirement: dict[str, Any], exchanges: Sequence[Exchange], base_url: str,
                 several: bool = False) -> str | None:
    """The reproducer of one report.json requirement entry, or None when its evidence cites no exchange.
    `several`: the run judged several operations (the script names the requirement's operation)."""
    cited = [s for item in requirement["evidence"] for s in (e["seq"] for e in item["exchanges"])]
    if not cited:
        return None
    steps, sources, left_out = _chain(cited, exchanges, same_path=several)
    step_of = {seq: number for number, seq in enumerate(steps, start=1)}
    wanted: dict[int, list[str]] = {}  # seq of a page -> the fields later steps take from it
    for parent, which, _name in sources.values():
        if parent in step_of and which not in wanted.setdefault(parent, []):
            wanted[parent].append(which)
    verdict = requirement["verdict"]
    lines = [
        "#!/usr/bin/env bash",
        f"# checkout-conformance reproducer for {requirement['id']}"
        + (f" on {_clean(requirement.get('operation', ''))}" if several else "")
        + f" ({requirement['level']}, {verdict}):",
        f"#   {_clean(requirement['text'])}",
        f"# Replays {plural(len(steps), 'recorded request')} against $CONFORMANCE_BASE_URL "
        "(default: the target of the run),",
        "# each as recorded, cursors included, after the pages of its walk that the cursors came from.",
        "# The API key is read from $CONFORMANCE_API_KEY; this file does not hold it. Needs bash, curl, python3.",
        "set -euo pipefail",
        ': "${CONFORMANCE_API_KEY:?set CONFORMANCE_API_KEY to the API key of the target}"',
        f"BASE_URL=${{CONFORMANCE_BASE_URL:-{shlex.quote(base_url)}}}",
        f"CAP={BODY_CAP}  # the suite's own body cap: no response is read or kept past it",
        'tmp=$(mktemp -d)',
        "trap 'rm -rf \"$tmp\"' EXIT",
        _SUMMARISE,
    ]
    for number, seq in enumerate(steps, start=1):
        exchange = exchanges[seq]
        source = sources.get(seq)
        cited_mark = " (cited by the finding)" if seq in cited else ""
        lines.append(f"# step {number}: exchange #{seq}{cited_mark}")
        description = f"GET {exchange.target}"
        chained = source is not None and source[0] in step_of
        if source is not None and chained:
            description += f" ({source[2]}: the {source[1].replace('_', ' ')} of step {step_of[source[0]]})"
        description += _auth_label(exchange)
        headers = [f"-H {shlex.quote(f'{k}: {v}')}" for k, v in exchange.request_headers.items()]
        curl = ["fetch", str(number), *_auth_args(exchange), *headers, _url(exchange)]
        lines += [
            f"printf '%s\\n' {shlex.quote(f'step {number}{cited_mark}: {_clean(description, 400)}')}",
            *(_drift_check(exchange, step_of[source[0]], source) if source is not None and chained else []),
            f'status=$({" ".join(curl)})',
            f'printf \'  now:      %s\\n\' "$(summarise "$status" "$tmp/{number}.body")"',
            f"printf '  recorded: %s\\n' {shlex.quote(_recorded(exchange))}",
            # The cursors later steps take from this page, then the page goes: one body on disk at a time.
            *(f'cursor_{number}_{which}=$(field "$tmp/{number}.body" {which})' for which in wanted.get(seq, ())),
            f'rm -f "$tmp/{number}.body"',
        ]
    if left_out:
        shown = " ".join(f"#{seq}" for seq in left_out[:20]) + (" ..." if len(left_out) > 20 else "")
        note = f"Not replayed (this script sends at most {MAX_STEPS} requests): exchanges {shown} of exchanges.jsonl"
        lines.append(f"printf '%s\\n' {shlex.quote(note)}")
    where = f" on {_clean(requirement.get('operation', ''))}" if several else ""
    heading = f"What to look at ({requirement['id']}{where}, {verdict}):"
    lines += ["echo", f"printf '%s\\n' {shlex.quote(heading)}"]
    for item in requirement["evidence"]:
        where = ", ".join(f"step {step_of[e['seq']]}" for e in item["exchanges"] if e["seq"] in step_of)
        lines.append(f"printf '  %s\\n' {shlex.quote(_clean(item['message'], 600) + (f' ({where})' if where else ''))}")
        if item["expected"] or item["actual"]:
            lines.append(f"printf '    expected: %s\\n' {shlex.quote(_clean(item['expected'], 600))}")
            lines.append(f"printf '    actual:   %s\\n' {shlex.quote(_clean(item['actual'], 600))}")
    return "\n".join(lines) + "\n"


def build_reproducers(report: dict[str, Any], exchanges: Sequence[Exchange]) -> dict[str, str]:
    """File name -> script, for every failed or warned requirement (waived ones too): ``<ID>.sh``, or
    ``<operation slug>__<ID>.sh`` when the run judged several operations."""
    operations = operations_of(report)
    keys = [*operations, *(_operation(r) for r in report["requirements"])]
    several = len(set(keys)) > 1
    slugs = operation_slugs(keys)
    scripts = {}
    for requirement in report["requirements"]:
        judged = requirement.get("waiver", {}).get("verdict") if requirement["verdict"] == "waived" else None
        if requirement["verdict"] not in REPRODUCED and judged not in REPRODUCED:
            continue
        script = build_script(requirement, exchanges, report["target"]["base_url"], several)
        if script is not None:
            prefix = f"{slugs[_operation(requirement)]}__" if several else ""
            scripts[f"{prefix}{_safe_id(requirement['id'])}.sh"] = script
    return scripts


def _operation(requirement: dict[str, Any]) -> str:
    # A report made before families of operations names none: checkout sessions.
    return str(requirement.get("operation") or CHECKOUT_SESSIONS)


def _safe_id(requirement: str) -> str:
    """A requirement ID as a file name: the schema's pattern (``PAG-005``) already is one; anything else
    a hand-edited report holds is reduced to letters, digits, `-` and `_`."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in requirement) or "_"


def write_reproducers(report: dict[str, Any], exchanges: Sequence[Exchange], report_dir: Path,
                      redact: Callable[[str], str] = lambda text: text) -> list[Path]:
    """Write reproduce/<ID>.sh (executable, each text through `redact`), replacing the scripts of
    an earlier run in this directory. Each is created new and renamed into place, in a
    `reproduce/` that is a directory of its own (never a link followed: reports.files)."""
    directory = report_dir / DIRECTORY
    if directory.is_symlink():
        real_directory(directory)  # raises: never follow a link into another directory
    if directory.is_dir():
        for old in directory.glob("*.sh"):
            old.unlink()  # a link is removed itself, never what it points to
    scripts = build_reproducers(report, exchanges)
    if not scripts:
        with contextlib.suppress(OSError):
            directory.rmdir()  # only if empty: files a person put there stay
        return []
    real_directory(directory)
    written = []
    for name, text in scripts.items():
        path = directory / name
        write_new(path, redact(text), mode=0o755)
        written.append(path)
    return written


def reproducer_problems(report: dict[str, Any], exchanges: Sequence[Exchange], report_dir: Path) -> list[str]:
    """For `verify`: a sentence per script in reproduce/ that is not what the evidence gives.

    A missing script is no problem (it can only be deleted, not run); a changed or extra one is,
    since a person runs it with the key in the environment."""
    expected = build_reproducers(report, exchanges)
    directory = report_dir / DIRECTORY
    present = {p.name: p for p in directory.glob("*.sh")} if directory.is_dir() else {}
    problems = []
    for name in sorted(set(expected) | set(present)):
        if name not in present:
            continue
        if name not in expected:
            problems.append(f"{DIRECTORY}/{name} is not a reproducer of this run's findings: do not run it")
        elif present[name].read_text(encoding="utf-8", errors="replace") != expected[name]:
            problems.append(f"{DIRECTORY}/{name} differs from what the evidence gives: do not run it")
    return problems
