"""Every parse failure is the target's malformed answer, never a crash of the suite.

Each test runs the real CLI (in this process, for speed) against a local raw-HTTP target
whose answers are malformed in one way, and states what the contract prescribes: the
reports are written, no requirement is an ERROR (those are suite bugs), and the exit
code is the one for what the target did.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import hostile
from .conftest import API_KEY
from .oracle import assert_key_nowhere
from .test_key_oracle import run_in_process

JSON_HEADERS = {"Content-Type": "application/json"}


def page(items: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"object": "list", "url": hostile.LIST_PATH, "has_more": False, "next_cursor": None,
            "data": items or [], **extra}


def raw_page(body: bytes, headers: dict[str, str] | None = None, status: int = 200) -> hostile.Behaviour:
    return hostile.fixed(status, body, {**JSON_HEADERS, **(headers or {})})


def assert_survived(code: int, console: str, report_dir: Path) -> dict[str, Any]:
    """What holds whatever the target sent: no crash, reports written, no suite error, no key."""
    assert "internal error" not in console and "Traceback" not in console, console
    report: dict[str, Any] = json.loads((report_dir / "report.json").read_text())
    errors = [f"{r['id']}: {r['reason']}" for r in report["requirements"] if r["verdict"] == "error"]
    assert not errors, errors
    assert_key_nowhere(API_KEY, report_dir, console)
    return report


def verdicts(report: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["verdict"] for r in report["requirements"]}


# Bodies a JSON reader chokes on, each served as a 200 to every request. The envelope
# cannot be read, so ENV-002 ("the body is the list object") fails: exit 1.
UNREADABLE = {
    "nested-1000": b"[" * 1000 + b"]" * 1000,
    "nested-200-in-a-field": json.dumps(page()).encode()[:-1] + b',"x":' + b"[" * 200 + b"]" * 200 + b"}",
    "nested-100000-unclosed": b"[" * 100_000,
    "invalid-utf8": json.dumps(page([{"id": "cs_test_1"}])).encode().replace(b"cs_test_1", b"cs_\xff\xfe_1"),
    "lone-surrogate-id": json.dumps(page([{"id": "cs_\ud800"}])).encode(),
    "huge-float": json.dumps(page(created=1)).encode().replace(b'"created": 1', b'"created": 1e999'),
    "huge-int": json.dumps(page(created=1)).encode().replace(b'"created": 1', b'"created": ' + b"9" * 4000),
    "nan": json.dumps(page(created=1)).encode().replace(b'"created": 1', b'"created": NaN'),
}


@pytest.mark.parametrize("body", list(UNREADABLE.values()), ids=list(UNREADABLE))
def test_an_unreadable_body_is_the_targets_malformed_answer(tmp_path: Path, body: bytes) -> None:
    with hostile.serving(raw_page(body), "malformed") as server:
        code, console = run_in_process(server.base_url, tmp_path, "--only", "envelope")
    report = assert_survived(code, console, tmp_path)
    assert code == 1, console
    assert verdicts(report)["ENV-002"] == "fail"
    assert len(server.received) > 1, "the run stopped at the first malformed answer"


def test_duplicate_keys_are_read_as_the_last_value(tmp_path: Path) -> None:
    """RFC 8259 section 4: names SHOULD be unique; a reader may keep the last. The page
    below is empty either way: a readable envelope, nothing to fail on it."""
    body = b'{"object":"list","object":"list","url":"/v1/checkout/sessions","has_more":true,' \
           b'"has_more":false,"next_cursor":null,"data":[]}'
    with hostile.serving(raw_page(body), "duplicates") as server:
        code, console = run_in_process(server.base_url, tmp_path, "--only", "ENV-002")
    report = assert_survived(code, console, tmp_path)
    assert verdicts(report) == {"ENV-002": "pass"}
    assert code == 0


@pytest.mark.parametrize(("headers", "answer"), [
    ({f"X-H{i}": "v" for i in range(150)}, "got more than 100 headers"),
    ({"Content-Length": "5000"}, "broke off"),
], ids=["150-headers", "content-length-longer-than-the-body"])
def test_an_answer_the_http_library_refuses_is_unreachable_with_reports(
        tmp_path: Path, headers: dict[str, str], answer: str) -> None:
    """Every answer unusable, from the first: nothing could be judged (exit 3), the one
    sentence says why, and the reports are written all the same."""
    with hostile.serving(raw_page(json.dumps(page()).encode(), headers), "unusable") as server:
        code, console = run_in_process(server.base_url, tmp_path, "--only", "envelope", "--timeout", "2")
    report = assert_survived(code, console, tmp_path)
    assert code == 3, console
    assert report["gate_verdict"] == "inconclusive"
    assert answer in report["verdict_reason"], report["verdict_reason"]
    assert "Cannot reach" in console


def test_a_content_length_shorter_than_the_body_cuts_the_json(tmp_path: Path) -> None:
    body = json.dumps(page()).encode()

    def short(conn: hostile.Connection) -> None:
        conn.send(hostile.response_bytes(200, body, {**JSON_HEADERS, "Content-Length": str(len(body) // 2)}))

    with hostile.serving(short, "short") as server:
        code, console = run_in_process(server.base_url, tmp_path, "--only", "envelope")
    report = assert_survived(code, console, tmp_path)
    assert code == 1
    assert verdicts(report)["ENV-002"] == "fail"


# -- Hypothesis: hostile answers of every shape ----------------------------------------------------
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
_token = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789-_"), min_size=1, max_size=12)


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["json", "page", "nested", "bytes", "text"]))
    if kind == "json":
        return json.dumps(draw(_json_values)).encode()
    if kind == "page":
        items = draw(st.lists(st.dictionaries(st.sampled_from(["id", "object", "status", "created", "x"]),
                                              _json_values, max_size=5), max_size=3))
        return json.dumps(page(items, has_more=draw(_json_values), next_cursor=draw(_json_values))).encode()
    if kind == "nested":
        depth = draw(st.integers(50, 3000))
        return b"[" * depth + b"]" * draw(st.sampled_from([0, depth]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    return draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")


@st.composite
def answers(draw: st.DrawFn) -> bytes:
    status = draw(st.sampled_from([200, 200, 200, 400, 404, 500, 503]))
    body = draw(bodies())
    headers = {"Content-Type": draw(st.sampled_from(["application/json", "application/json; charset=x-bogus",
                                                     "text/html", "application/json; charset=utf-16"]))}
    headers.update(draw(st.dictionaries(_token, _token, max_size=5)))
    headers.update({f"X-Many-{i}": "1" for i in range(draw(st.sampled_from([0, 0, 120])))})
    lie = draw(st.sampled_from([0, 0, 0, -3, 7]))
    headers["Content-Length"] = str(max(0, len(body) + lie))
    return hostile.response_bytes(status, body, headers)


# Every area but `schema`: its Schemathesis probe runs Hypothesis itself, which cannot nest
# inside this test's @given (FailedHealthCheck). The subprocess tests cover it.
_AREAS_BUT_SCHEMA = [arg for area in ("envelope", "object", "limit", "pagination", "filter", "auth", "version",
                                      "errors") for arg in ("--only", area)]


@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(script=st.lists(answers(), min_size=1, max_size=4))
def test_a_hostile_target_can_fail_the_run_but_never_crash_it(
        tmp_path_factory: pytest.TempPathFactory, script: list[bytes]) -> None:
    """The first answer is always a readable page (else the run stops at the preflight,
    tested above); then the target cycles through hostile answers."""
    first = hostile.response_bytes(200, json.dumps(page()).encode(), JSON_HEADERS)

    def behaviour(conn: hostile.Connection) -> None:
        conn.send(first if conn.index == 0 else script[(conn.index - 1) % len(script)])

    report_dir = tmp_path_factory.mktemp("hostile")
    with hostile.serving(behaviour, "hypothesis") as server:
        code, console = run_in_process(server.base_url, report_dir, "--timeout", "2", "--deadline", "30",
                                       *_AREAS_BUT_SCHEMA)
    assert {r.method for r in server.received} == {"GET"}
    report = assert_survived(code, console, report_dir)
    assert code == {"conformant": 0, "nonconformant": 1, "inconclusive": 3}[report["gate_verdict"]]
    assert report["gate_verdict"] != "conformant", "a target answering this cannot conform"
