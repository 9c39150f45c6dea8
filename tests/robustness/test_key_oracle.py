"""The key never leaves the process, in any spelling a target can echo it in.

A local target forwards to the reference server and echoes the key back, encoded the way
a server might encode it (``json.dumps``, ``urllib.parse.quote``, base64 of a longer
string holding it at any offset, another letter case, HTML references), in a session
field (so that it reaches evidence built from the parsed JSON), a header value or a
header *name*. The real CLI judges it; then every byte of every report file and of the
console is searched for the key by decoding (``oracle.py``), not by the redactor's list.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.cli import main
from conformance.reference.config import ReferenceConfig
from conformance.reference.server import RunningServer
from conformance.run.runner import RunOptions

from . import hostile
from .conftest import API_KEY
from .oracle import assert_key_nowhere, where_is_the_key


def run_in_process(base_url: str, report_dir: Path, *extra: str, api_key: str = API_KEY) -> tuple[int, str]:
    """(exit code, console text) of `checkout-conformance run` in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["run", "--base-url", base_url, "--api-key", api_key, "--profile", "quick",
                     "--report-dir", str(report_dir), *extra])
    return code, out.getvalue() + err.getvalue()


_ECHO = "__ECHO__"


def echoing(base_url: str, value: str, where: str) -> hostile.Behaviour:
    """The reference's answers with `value` put `where`: in the first session's `status`
    (a finding whose evidence quotes it), in an error's message, or in a header's value or
    name. In a body, `value` is written as it is inside the JSON string literal, so that
    ``\\u0073`` there is a JSON escape the suite's parser decodes."""

    def behaviour(conn: hostile.Connection) -> None:
        up = hostile.fetch_upstream(base_url, conn.request)
        body, headers = up.body, dict(up.headers)
        if where == "status" and up.status == 200:
            page = json.loads(body)
            if page.get("data"):
                page["data"][0]["status"] = _ECHO
            body = json.dumps(page).replace(_ECHO, value).encode()
        elif where == "error" and up.status >= 400:
            error = json.loads(body)
            error["error"]["message"] = f"bad request for {_ECHO}"
            body = json.dumps(error).replace(_ECHO, value).encode()
        elif where == "header value":
            headers["X-Echo"] = value
        elif where == "header name":
            headers[re.sub(r"[^A-Za-z0-9_-]", "-", value)] = "1"
        conn.respond(up.status, body, headers, up.reason)

    return behaviour


def _json_escaped(draw: st.DrawFn) -> str:
    chosen = draw(st.sets(st.integers(0, len(API_KEY) - 1), min_size=1))
    return "".join(f"\\u{ord(c):04x}" if i in chosen else c for i, c in enumerate(API_KEY))


@st.composite
def spellings(draw: st.DrawFn) -> tuple[str, str]:
    """(a spelling of the key, what it is) as a server might produce it."""
    kind = draw(st.sampled_from(["raw", "case", "json", "percent", "base64", "base64url", "html"]))
    if kind == "case":
        return "".join(c.upper() if draw(st.booleans()) else c.lower() for c in API_KEY), kind
    if kind == "json":
        # \u escapes: in a body, the JSON parser turns them into the key itself.
        return _json_escaped(draw), kind
    if kind == "percent":
        return quote(API_KEY, safe=draw(st.sampled_from(["", "/", "_"]))).replace("_", "%5F"), kind
    if kind in ("base64", "base64url"):
        before = draw(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=5))
        after = draw(st.sampled_from(["", ":", ":x", "\n"]))
        wrapped = f"{before}{API_KEY}{after}" if draw(st.booleans()) else f"{before}:{API_KEY}{after}"
        encode = base64.b64encode if kind == "base64" else base64.urlsafe_b64encode
        return encode(wrapped.encode()).decode(), kind
    if kind == "html":
        return "".join(f"&#{ord(c)};" if draw(st.booleans()) else c for c in API_KEY), kind
    return API_KEY, kind


@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(spelling=spellings(), where=st.sampled_from(["status", "error", "header value", "header name"]))
def test_an_echoed_key_is_nowhere_in_any_output(
        tmp_path_factory: pytest.TempPathFactory, reference: RunningServer, spelling: tuple[str, str],
        where: str) -> None:
    value, _kind = spelling
    report_dir = tmp_path_factory.mktemp("oracle")
    with hostile.serving(echoing(reference.base_url, value, where), "echo") as server:
        _code, console = run_in_process(server.base_url, report_dir, "--only", "object", "--only", "errors")
    assert {r.method for r in server.received} == {"GET"}
    assert (report_dir / "report.json").exists()
    assert_key_nowhere(API_KEY, report_dir, console)


# -- the attacks measured in the issue, one by one ------------------------------------------------
def _echo_run(tmp_path: Path, reference: RunningServer, value: str, where: str) -> tuple[int, str]:
    with hostile.serving(echoing(reference.base_url, value, where), "echo") as server:
        code, console = run_in_process(server.base_url, tmp_path, "--only", "object")
    assert len(server.received) > 1
    return code, console


def test_a_json_escaped_key_in_a_session_field_is_masked_in_every_report(
        tmp_path: Path, reference: RunningServer) -> None:
    escaped = "".join(f"\\u{ord(c):04x}" for c in API_KEY)  # JSON escapes in the body's text
    code, console = _echo_run(tmp_path, reference, escaped, "status")
    assert code == 1  # the status is not one of the spec's values: OBJ rules fail on it
    for name in ("report.json", "report.html", "junit.xml", "summary.md", "exchanges.jsonl"):
        assert API_KEY not in (tmp_path / name).read_text(), name
    assert API_KEY not in console
    assert "[REDACTED]" in (tmp_path / "report.json").read_text()


def test_the_key_as_a_header_name_is_masked(tmp_path: Path, reference: RunningServer) -> None:
    _echo_run(tmp_path, reference, API_KEY, "header name")
    exchanges = (tmp_path / "exchanges.jsonl").read_text()
    assert API_KEY not in exchanges
    assert '"[REDACTED]":"1"' in exchanges


@pytest.mark.parametrize("value", [
    base64.b64encode(f"xy{API_KEY}:".encode()).decode(),
    base64.b64encode(f"debug=!{API_KEY}:".encode()).decode(),
    API_KEY.upper(),
], ids=["base64-offset-2", "base64-offset-7", "upper-case"])
def test_base64_at_an_offset_and_an_upper_case_key_are_masked(
        tmp_path: Path, reference: RunningServer, value: str) -> None:
    _code, console = _echo_run(tmp_path, reference, value, "header value")
    assert_key_nowhere(API_KEY, tmp_path, console)


def test_a_key_in_the_base_url_is_not_printed_by_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--base-url", f"http://{API_KEY}:@host:8o80", "--api-key", "sk_test_other_key"])
    err = capsys.readouterr().err
    assert code == 2
    assert "port that is not a number" in err
    assert where_is_the_key(err, API_KEY) is None, err


def test_options_and_configs_keep_secrets_out_of_repr() -> None:
    from conformance.profiles import PROFILES

    options = RunOptions(base_url=f"http://u:{API_KEY}@h", api_key=API_KEY, profile=PROFILES["quick"],
                         headers={"X-Api-Key": API_KEY})
    config = ReferenceConfig(api_key=API_KEY)
    for text in (repr(options), repr(config)):
        assert where_is_the_key(text, API_KEY) is None, text


def test_the_oracle_finds_what_it_must(tmp_path: Path) -> None:
    """The oracle is a test's only witness: it must see every spelling used above."""
    samples: list[Any] = [
        API_KEY.upper(), quote(API_KEY, safe="").replace("_", "%5F"),
        json.dumps({"v": API_KEY}).replace("s", "\\u0073"),
        base64.b64encode(f"!{API_KEY}:".encode()).decode(),
        base64.urlsafe_b64encode(f"??:{API_KEY}".encode()).decode(),
        "".join(f"&#{ord(c)};" for c in API_KEY), "&amp;#115;" + API_KEY[1:],
    ]
    for sample in samples:
        assert where_is_the_key(f"prefix {sample} suffix", API_KEY) is not None, sample
    assert where_is_the_key("sk_test_[REDACTED] and c2tfdGVzdF9", API_KEY) is None
