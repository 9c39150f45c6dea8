"""Authentication: who may list sessions, and what a refusal may say."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable

from conformance.checks.base import Check, Probe, ProbeContext, Record, RunContext
from conformance.checks.collection import Collection
from conformance.checks.common import answer, first_unanswered, is_4xx, is_error_object, not_asked, unanswered
from conformance.exchange import AUTH_KEY_AS_PASSWORD, AUTH_KEY_VARIANT, AUTH_NONE, Exchange
from conformance.record.client import BasicCredentials, RawAuthorization, RepeatedAuthorization
from conformance.spec import Spec
from conformance.verdicts import Evidence, Outcome, held, seqs, violated
from conformance.wording import plural


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def malformed_authorizations(unknown: str) -> tuple[RawAuthorization | RepeatedAuthorization, ...]:
    """How clients and proxies mangle the header (AUTH-003), each around an unknown key.

    Some of these a server MAY accept as a form (a lower-case scheme, RFC 9110 11.1; extra
    spaces or a tab): with an unknown key inside, a 4xx is due whichever reading it takes.
    The configured key is never used here, so no curl line of these needs it.
    """
    key = unknown.encode()
    well_formed = _b64(key + b":")
    return (
        RawAuthorization("Basic !!!not-base64!!!"),  # not base64
        RawAuthorization("Basic"),  # no credentials
        RawAuthorization("Basic "),  # an empty token
        RawAuthorization("Token abc123"),  # an unknown scheme
        RawAuthorization("Basic " + "A" * 3),  # bad base64 padding
        RawAuthorization("Basic " + _b64(key)),  # no colon
        RawAuthorization("Basic " + _b64(key + b"::")),  # a doubled colon
        RawAuthorization("Basic  " + well_formed),  # two spaces
        RawAuthorization("Basic\t" + well_formed),  # a tab
        RawAuthorization("Basic a b"),  # more than one space-separated token
        RawAuthorization("basic " + well_formed),  # a lower-case scheme (may be accepted as a form)
        RawAuthorization(well_formed),  # no scheme
        RawAuthorization("Basic " + _b64(b"\xff\xfe\xfd:")),  # base64 of bytes that are not UTF-8
        RawAuthorization("Basic " + _b64(key + b"x" * 3000 + b":")),  # a very long value
        RawAuthorization("Bearer"),  # Bearer without a token
        RawAuthorization("Bearer "),  # Bearer with an empty token
        RepeatedAuthorization(("Basic " + well_formed, "Basic " + _b64(key + b"2:"))),  # two headers
    )


def probe_auth(ctx: ProbeContext) -> None:
    ctx.get("auth:none", [("limit", "3")], auth=AUTH_NONE)
    unknown = f"sk_test_conformance_unknown_{ctx.rng.getrandbits(32):08x}"
    ctx.get("auth:unknown-key", [("limit", "3")], auth=BasicCredentials(unknown))
    for value in malformed_authorizations(unknown):
        ctx.get("auth:malformed", [("limit", "3")], auth=value)
    # The key itself never reaches a check: the client sends it in the password position.
    ctx.get("auth:key-as-password", [("limit", "3")], auth=AUTH_KEY_AS_PASSWORD)
    # Near misses of the key (a character added or dropped, the other case, a prefix): a key
    # compared by prefix or without case is an unknown key accepted (AUTH-002).
    for kind in ctx.client.key_variant_kinds():
        ctx.get(KEY_VARIANT_TAG, [("limit", "3")], auth=AUTH_KEY_VARIANT + kind)
    # Credentials are checked on every answer, not only on URLs nothing fetched yet: the same URL
    # with the key, then without credentials, then with another key, in that order, meets a
    # response cache keyed by URL alone (which would serve the keyed page to anyone).
    ctx.get(KEYED, [("limit", "3")])
    ctx.get(CACHED_NONE, [("limit", "3")], auth=AUTH_NONE)
    ctx.get(CACHED_UNKNOWN, [("limit", "3")], auth=BasicCredentials(unknown + "x"))


# Tags of the same-URL sequence: outside "auth:none" and "auth:unknown-key" on purpose, so that
# what those show of fresh URLs is read apart from what a cache might serve.
KEYED, CACHED_NONE, CACHED_UNKNOWN = "auth:keyed", "auth:cached-none", "auth:cached-unknown-key"
KEY_VARIANT_TAG = "auth:key-variant"

PROBES = (Probe("auth", "auth", probe_auth, cost=lambda _ctx: 10 + len(malformed_authorizations("sk_test_")),
                reads_record=False),)


def _expect(req: str, name: str, exchanges: list[Exchange], ok: tuple[int, ...] | None, what: str,
            record: Record) -> Outcome:
    if not exchanges:
        return not_asked(req, name, f"{what} was not probed", record)
    if (lost := first_unanswered(exchanges)) is not None:
        return unanswered(req, name, lost)
    wrong = [e for e in exchanges if (e.status not in ok if ok else not is_4xx(e))]
    expected = " or ".join(map(str, ok)) if ok else "a 4xx"
    return violated(req, name, *[Evidence(
        f"{what}{_shown(e)} got {answer(e)}", expected=expected, actual=answer(e), exchanges=[e.seq])
        for e in wrong]) if wrong else held(req, name, f"{plural(len(exchanges), 'request')} answered "
                                            f"{', '.join(sorted({str(e.status) for e in exchanges}))}",
                                            seqs(exchanges))


def _shown(exchange: Exchange) -> str:
    """The mangled header as sent (already redacted), for the malformed-credentials family; the
    kind of near miss for a variant of the key (never the variant itself)."""
    if exchange.auth.startswith(AUTH_KEY_VARIANT):
        return f" (the key, {exchange.auth.removeprefix(AUTH_KEY_VARIANT)})"
    return f" ({exchange.auth[:80]})" if exchange.auth.startswith("header") else ""


REFUSALS_CHECK = "auth.refusals"


def judge_auth(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    name = REFUSALS_CHECK
    no_creds = record.tagged("auth:none") + record.tagged(CACHED_NONE)
    unknown = record.tagged("auth:unknown-key") + record.tagged(CACHED_UNKNOWN) + record.tagged(KEY_VARIANT_TAG)
    yield _expect("AUTH-001", name, no_creds, (401,), "a request without credentials", record)
    yield _expect("AUTH-002", name, unknown, (401,), "a request with an unknown key", record)
    yield _expect("AUTH-003", name, record.tagged("auth:malformed"), None, "a malformed Authorization header",
                  record)
    yield _expect("AUTH-004", name, record.tagged("auth:key-as-password"), None, "the key sent as the password",
                  record)

    refusals = [e for e in no_creds + unknown if e.status == 401]
    if not refusals:
        yield not_asked("AUTH-006", name, "no 401 was recorded", record)
        yield not_asked("AUTH-007", name, "no 401 was recorded", record)
    else:
        no_challenge = [e for e in refusals if not offers_basic(e.response_headers.get("www-authenticate", ""))]
        yield violated("AUTH-006", name, *[Evidence(
            "a 401 without a Basic challenge", expected="WWW-Authenticate: Basic ...",
            actual=e.response_headers.get("www-authenticate", "(absent)"), exchanges=[e.seq])
            for e in no_challenge]) if no_challenge else held(
            "AUTH-006", name, f"{len(refusals)} 401s offer Basic", seqs(refusals))
        no_object = [e for e in refusals if not is_error_object(e)]
        yield violated("AUTH-007", name, *[Evidence(
            "a 401 without an error object", expected='{"error": {"type", "message"}}',
            actual=e.body[:160], exchanges=[e.seq]) for e in no_object]) if no_object else held(
            "AUTH-007", name, f"{len(refusals)} 401s carry an error object", seqs(refusals))


_TOKEN = re.compile(r"[\w-]+")
# A plain word: letters only, a capital at most first, no longer than common words. A mock's
# placeholder id ("string", "example") is such a word, and so is much of any error message: a
# word there is not session data. Ids a server mints (`cs_test_a1B2...`, `42`, `x-3`) carry a
# digit, a separator or mixed case, and are looked for.
_WORD = re.compile(r"[A-Za-z][a-z]{0,11}")


class _KnownIds:
    """The session ids seen in the run, indexed once to find which a text names as whole tokens.

    Linear in the text and the ids, not their product: an id made of word characters and
    hyphens is named exactly when it is one of the text's maximal ``[\\w-]+`` runs (`2` is
    not in `2026`), so each text is split once and looked up in a set. Ids with other
    characters (the spec's pattern has none, but a target chooses its ids) are searched for
    as substrings, and only a hit pays for the boundary regex. Ids that are plain words
    (``_WORD``) are not looked for: an error message is made of words.
    """

    def __init__(self, ids: Iterable[str]) -> None:
        ids = [i for i in ids if not _WORD.fullmatch(i)]  # a word is not id-shaped (AUTH-005)
        self.plain = {i for i in ids if _TOKEN.fullmatch(i)}
        self.odd = [i for i in ids if i and not _TOKEN.fullmatch(i)]  # "" names nothing

    def named_in(self, text: str) -> set[str]:
        named = set(_TOKEN.findall(text)) & self.plain
        named.update(i for i in self.odd
                     if i in text and re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text))
        return named


def offers_basic(challenges: str) -> bool:
    """Whether a WWW-Authenticate value (possibly several comma-joined challenges) offers Basic.

    A challenge starts with its scheme token; auth-params after it contain "=" (RFC 9110 11.6.1).
    """
    for part in challenges.split(","):
        token = part.strip().split(" ", 1)[0]
        if "=" not in token and token.lower() == "basic":
            return True
    return False


NO_LEAK_CHECK = "auth.no-leak"


def judge_no_leak(record: Record, run: RunContext, spec: Spec) -> Iterable[Outcome]:
    """AUTH-005: an error response never carries sessions (a list, or a known id)."""
    name = NO_LEAK_CHECK
    known = _KnownIds(Collection.from_record(record).items)
    errors = [e for e in record if e.answered and (e.status or 0) >= 400]
    leaks = []
    for e in errors:
        body = e.json
        listed = isinstance(body, dict) and isinstance(body.get("data"), list) and bool(body["data"])
        # An unknown-cursor error may name the id the client itself sent; any other is a leak.
        sent = {v for k, v in e.query if k in ("starting_after", "ending_before")}
        named = sorted(known.named_in(e.body) - sent)
        if listed or named:
            leaks.append(Evidence(
                f"the {e.status} response to {e.summary()} carries session data",
                expected="an error without sessions",
                actual=(f"data with {plural(e.items_listed or len(body['data']), 'item')}" if listed
                        else f"mentions {named[0]}"),
                exchanges=[e.seq]))
    if not errors:
        yield not_asked("AUTH-005", name, "no error response was recorded", record)
    else:
        yield violated("AUTH-005", name, *leaks[:3]) if leaks else held(
            "AUTH-005", name, f"{len(errors)} error responses checked", seqs(errors))


CHECKS = (
    Check(REFUSALS_CHECK, "auth", ("AUTH-001", "AUTH-002", "AUTH-003", "AUTH-004", "AUTH-006", "AUTH-007"),
          judge_auth),
    Check(NO_LEAK_CHECK, "auth", ("AUTH-005",), judge_no_leak),
)
