"""Fault kinds from the second round of public bug reports (issue 21), each met by the request
family that shows it, with a correct server passing the same requests."""

from __future__ import annotations

from pathlib import Path

from conformance.checks import auth
from conformance.reference import ReferenceConfig, start_background
from conformance.verdicts import Finding
from tests.checks.test_judgements import RUN, SPEC, Transcript, session
from tests.support.runs import run_cli

REFUSAL = {"error": {"type": "authentication_error", "message": "Invalid API key provided."}}


def _verdicts(tmp_path: Path, fault: str | None, *extra: str) -> dict[str, str]:
    with start_background(ReferenceConfig(fault=fault)) as server:
        _, report = run_cli(server.base_url, server.api_key, tmp_path, *extra)
    return {r["id"]: r["verdict"] for r in report["requirements"]}


# -- credentials are checked on every answer ------------------------------------------------------
def _auth_sequence(cached_status: int) -> Transcript:
    t = Transcript()
    t.page("walk:100", [("limit", "100")], [session("cs_1"), session("cs_2", 999)], False)
    t.add("auth:none", [("limit", "3")], 401, REFUSAL)
    t.add("auth:unknown-key", [("limit", "3")], 401, REFUSAL)
    t.page(auth.KEYED, [("limit", "3")], [session("cs_1"), session("cs_2", 999)], False)
    if cached_status == 200:
        t.page(auth.CACHED_NONE, [("limit", "3")], [session("cs_1"), session("cs_2", 999)], False)
    else:
        t.add(auth.CACHED_NONE, [("limit", "3")], cached_status, REFUSAL)
    t.add(auth.CACHED_UNKNOWN, [("limit", "3")], 401, REFUSAL)
    return t


def _auth001(t: Transcript) -> Finding:
    return next(o.finding for o in auth.judge_auth(t.record, RUN, SPEC) if o.requirement == "AUTH-001")


def test_a_keyed_url_served_again_without_credentials_fails() -> None:
    assert _auth001(_auth_sequence(200)) == Finding.VIOLATED


def test_a_keyed_url_refused_again_without_credentials_holds() -> None:
    assert _auth001(_auth_sequence(401)) == Finding.HELD


def test_a_response_cache_keyed_by_url_is_met(tmp_path: Path) -> None:
    verdicts = _verdicts(tmp_path, "auth-cache-by-url", "--only", "auth")
    assert verdicts["AUTH-001"] == "fail" and verdicts["AUTH-002"] == "fail", verdicts
    assert verdicts["AUTH-003"] == "pass", verdicts


def test_the_reference_checks_credentials_on_a_url_it_served(tmp_path: Path) -> None:
    verdicts = _verdicts(tmp_path, None, "--only", "auth")
    assert verdicts["AUTH-001"] == "pass" and verdicts["AUTH-002"] == "pass", verdicts


# -- numeric extremes and exponent notation for limit ---------------------------------------------
def test_a_limit_past_64_bits_that_crashes_fails(tmp_path: Path) -> None:
    verdicts = _verdicts(tmp_path, "limit-int64-overflow-500", "--only", "limit", "--only", "ERR-002")
    assert verdicts["LIM-005"] == "fail" and verdicts["ERR-002"] == "fail", verdicts


def test_a_limit_in_exponent_notation_served_fails(tmp_path: Path) -> None:
    verdicts = _verdicts(tmp_path, "limit-exponent-accepted", "--only", "limit")
    assert verdicts["LIM-006"] == "fail", verdicts
    assert verdicts["LIM-005"] == "pass", verdicts


def test_the_reference_refuses_both_with_400(tmp_path: Path) -> None:
    verdicts = _verdicts(tmp_path, None, "--only", "limit", "--only", "ERR-002")
    assert [verdicts[r] for r in ("LIM-005", "LIM-006", "LIM-007", "ERR-002")] == ["pass"] * 4, verdicts


# -- a parameter given twice ----------------------------------------------------------------------
def _repeated(query: list[tuple[str, str]], status: int, ids: list[str] | None = None) -> Finding:
    from conformance.checks import repeated

    t = Transcript()
    items = [session(f"cs_{k}", 100 - k, ("open", "complete", "expired")[k % 3]) for k in range(12)]
    t.page("walk:100", [("limit", "100")], items, False)
    if ids is None:
        t.add(repeated.TAG, query, status, {"error": {"type": "invalid_request_error", "message": "twice"}})
    else:
        t.page(repeated.TAG, query, [i for i in items if i["id"] in ids], True)
    [outcome] = repeated.judge_repeated(t.record, RUN, SPEC)
    return outcome.finding


def test_a_repeated_parameter_refused_or_read_one_way_holds() -> None:
    assert _repeated([("limit", "5"), ("limit", "1000")], 400) == Finding.HELD
    assert _repeated([("limit", "5"), ("limit", "1000")], 200, [f"cs_{k}" for k in range(5)]) == Finding.HELD
    assert _repeated([("limit", "3"), ("status", "open"), ("status", "complete")], 200,
                     ["cs_0", "cs_1", "cs_3"]) == Finding.HELD
    assert _repeated([("limit", "3"), ("starting_after", "cs_0"), ("starting_after", "cs_2")], 200,
                     ["cs_3", "cs_4", "cs_5"]) == Finding.HELD


def test_a_repeated_parameter_read_two_ways_or_crashing_fails() -> None:
    assert _repeated([("limit", "5"), ("limit", "1000")], 200, [f"cs_{k}" for k in range(12)]) == Finding.VIOLATED
    assert _repeated([("limit", "3"), ("status", "open"), ("status", "complete")], 500) == Finding.VIOLATED
    assert _repeated([("limit", "3"), ("status", "open"), ("status", "complete")], 200,
                     ["cs_0", "cs_2"]) == Finding.VIOLATED
    assert _repeated([("limit", "3"), ("starting_after", "cs_0"), ("starting_after", "cs_2")], 200,
                     ["cs_5", "cs_6", "cs_7"]) == Finding.VIOLATED


def test_a_repeated_limit_read_as_the_server_reads_it_alone_holds() -> None:
    """A server that clamps `limit=1000` to 12 when asked alone and answers `limit=5&limit=1000` the
    same way reads one value one way: LIM-005 is its finding, not ERR-004. Served 12 while the lone
    `limit=1000` was refused, the copies were read two ways."""
    from conformance.checks import repeated

    items = [session(f"cs_{k}", 100 - k, ("open", "complete", "expired")[k % 3]) for k in range(12)]
    for alone, finding in ((200, Finding.HELD), (400, Finding.VIOLATED)):
        t = Transcript()
        t.page("walk:100", [("limit", "100")], items, False)
        if alone == 200:
            t.page("limit:1000", [("limit", "1000")], items, False)
        else:
            t.add("limit:1000", [("limit", "1000")], 400, {"error": {"type": "invalid_request_error", "message": "x"}})
        t.page(repeated.TAG, [("limit", "5"), ("limit", "1000")], items, False)
        [outcome] = repeated.judge_repeated(t.record, RUN, SPEC)
        assert outcome.finding == finding


def test_a_repeated_cursor_read_as_the_server_reads_it_alone_holds() -> None:
    """A page for `starting_after=cs_0&starting_after=cs_2` that begins as the server's own answer to
    `starting_after=cs_0` alone (wrong or not: that is PAG-004's to judge) reads one copy one way."""
    from conformance.checks import repeated

    items = [session(f"cs_{k}", 100 - k, ("open", "complete", "expired")[k % 3]) for k in range(12)]
    for alone, finding in ((items[0:5], Finding.HELD), (items[1:6], Finding.VIOLATED)):
        t = Transcript()
        t.page("walk:100", [("limit", "100")], items, False)
        t.page("cursor:after", [("limit", "5"), ("starting_after", "cs_0")], alone, True)  # includes the cursor
        t.page(repeated.TAG, [("limit", "3"), ("starting_after", "cs_0"), ("starting_after", "cs_2")],
               items[0:3], True)
        [outcome] = repeated.judge_repeated(t.record, RUN, SPEC)
        assert outcome.finding == finding


def test_repeated_parameter_faults_are_met(tmp_path: Path) -> None:
    crashed = _verdicts(tmp_path / "a", "repeated-status-500", "--only", "errors")
    split = _verdicts(tmp_path / "b", "repeated-limit-first-validated", "--only", "errors")
    assert crashed["ERR-004"] == "fail" and crashed["ERR-002"] == "fail", crashed
    assert split["ERR-004"] == "fail", split


def test_the_reference_refusing_repeats_passes(tmp_path: Path) -> None:
    assert _verdicts(tmp_path, None, "--only", "errors")["ERR-004"] == "pass"


# -- near misses of the key -----------------------------------------------------------------------
def test_a_near_miss_of_the_key_served_fails_and_refused_holds() -> None:
    from conformance.exchange import AUTH_KEY_VARIANT

    for status, wanted in ((401, Finding.HELD), (200, Finding.VIOLATED)):
        t = _auth_sequence(401)
        exchange = t.add(auth.KEY_VARIANT_TAG, [("limit", "3")], status,
                         REFUSAL if status == 401 else {"object": "list", "data": [], "has_more": False, "url": "/"})
        object.__setattr__(exchange, "auth", AUTH_KEY_VARIANT + "appended")
        found = next(o.finding for o in auth.judge_auth(t.record, RUN, SPEC) if o.requirement == "AUTH-002")
        assert found == wanted, status


def test_a_key_compared_by_prefix_is_met_and_no_near_miss_is_written(tmp_path: Path) -> None:
    from conformance.exchange import key_variants

    with start_background(ReferenceConfig(fault="auth-key-prefix-match")) as server:
        _, report = run_cli(server.base_url, server.api_key, tmp_path, "--only", "auth")
        key = server.api_key
    verdicts = {r["id"]: r["verdict"] for r in report["requirements"]}
    assert verdicts["AUTH-002"] == "fail" and verdicts["AUTH-001"] == "pass", verdicts
    written = "".join(p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file())
    assert all(secret not in written for secret in (key, *key_variants(key).values()))


def test_the_reference_refuses_every_near_miss(tmp_path: Path) -> None:
    assert _verdicts(tmp_path, None, "--only", "auth")["AUTH-002"] == "pass"


# -- a body compressed twice ------------------------------------------------------------------------
def _served_compressed(tmp_path: Path, times: int) -> dict[str, object]:
    import gzip
    import json as jsonlib

    from tests.support.scripted import Reply, scripted_server

    items = [{"id": f"cs_{k}", "object": "checkout.session", "status": "open", "created": 100 - k,
              "expires_at": 200, "livemode": False, "mode": "payment", "payment_status": "unpaid"} for k in range(3)]
    body = jsonlib.dumps({"object": "list", "data": items, "has_more": False, "url": "/v1/checkout/sessions"}).encode()
    for _ in range(times):
        body = gzip.compress(body)
    reply = Reply(200, body, {"Content-Type": "application/json", "Content-Encoding": "gzip"})
    with scripted_server(lambda _i, _r: reply) as target:
        _, report = run_cli(target.base_url, "sk_test_x", tmp_path, "--only", "envelope")
    [env002] = [r for r in report["requirements"] if r["id"] == "ENV-002"]
    return dict(env002)


def test_a_body_compressed_twice_is_named_in_one_line(tmp_path: Path) -> None:
    env002 = _served_compressed(tmp_path, 2)
    assert env002["verdict"] == "fail"
    assert "compressed it twice" in str(env002["reason"]) and "\n" not in str(env002["reason"]), env002["reason"]


def test_a_body_compressed_once_is_read(tmp_path: Path) -> None:
    assert _served_compressed(tmp_path, 1)["verdict"] == "pass"
