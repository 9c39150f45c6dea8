"""Faults in authentication."""

from __future__ import annotations

import base64
from typing import Any

from starlette.datastructures import Headers, QueryParams

from conformance.reference import decisions
from conformance.reference.decisions import ListQuery
from conformance.reference.errors import ApiError, unauthorized
from conformance.reference.faults._base import Fault, Reply, Signature, request_state


def _no_auth(headers: Headers, api_key: str) -> None:
    return None


def _any_key(headers: Headers, api_key: str) -> None:
    """Checks that some key was sent, never which one."""
    try:
        decisions.authenticate(headers, api_key)
    except ApiError as exc:
        if exc.message != "Invalid API key provided.":
            raise


def _key_in_either_half(headers: Headers, api_key: str) -> None:
    """Takes the key from the username, or from the password when the username is empty."""
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(credentials.strip()).decode().partition(":")
        except ValueError:
            user, password = "", ""
        if not user and password == api_key:
            return
    decisions.authenticate(headers, api_key)


def _key_prefix_match(headers: Headers, api_key: str) -> None:
    """The key is checked with `startswith`: the real key with anything after it is accepted."""
    values = headers.getlist("authorization")
    if len(values) == 1 and values[0].startswith("Basic "):
        try:
            user, _, password = base64.b64decode(values[0][6:], validate=True).decode().partition(":")
        except ValueError:
            user, password = "", "x"
        if not password and user != api_key and user.startswith(api_key):
            return
    decisions.authenticate(headers, api_key)


def _malformed_500(headers: Headers, api_key: str) -> None:
    """Decodes Basic credentials without guarding against bad base64 or a missing colon."""
    value = headers.get("authorization")
    if value is None:
        raise unauthorized("You did not provide an API key.")
    scheme, credentials = value.split(" ", 1)  # "Basic" alone: ValueError
    if scheme.lower() == "basic":
        user, _password = base64.b64decode(credentials, validate=True).decode().split(":")
        key = user
    elif scheme.lower() == "bearer":
        key = credentials
    else:
        raise unauthorized("Use the Basic or Bearer scheme.")
    if key != api_key:
        raise unauthorized("Invalid API key provided.")


def _missing_is_403(headers: Headers, api_key: str) -> None:
    if "authorization" not in headers:
        raise ApiError(403, "Forbidden.", type_="invalid_request_error")
    decisions.authenticate(headers, api_key)


def _no_challenge(headers: Headers, api_key: str) -> None:
    try:
        decisions.authenticate(headers, api_key)
    except ApiError as exc:
        raise ApiError(exc.status, exc.message, exc.param, exc.type) from None


def _bare_401(headers: Headers, api_key: str) -> None:
    try:
        decisions.authenticate(headers, api_key)
    except ApiError as exc:
        raise Reply(401, {"message": "Unauthorized"}, exc.headers) from None


def _deferred_auth(headers: Headers, api_key: str) -> None:
    """Remembers the refusal instead of raising it: the page is built first."""
    state = request_state()
    state.pop("refusal", None)
    try:
        decisions.authenticate(headers, api_key)
    except ApiError as exc:
        state["refusal"] = exc


def _refuse_late(data: list[dict[str, Any]], has_more: bool, query: ListQuery) -> dict[str, Any]:
    """The 401 is merged into the page already rendered: the error carries the sessions."""
    body = decisions.envelope(data, has_more, query)
    refusal = request_state().pop("refusal", None)
    if refusal is not None:
        raise Reply(refusal.status, {**body, **refusal.body()}, refusal.headers)
    return body


# Pages a response cache keyed by URL alone has stored: (the server's key, the query) -> body.
_URL_CACHE: dict[tuple[str, str], dict[str, Any]] = {}


def _cache_authenticate(headers: Headers, api_key: str) -> None:
    """Authentication runs, but its refusal waits for the cache lookup (`_cache_lookup`)."""
    state = request_state()
    state.pop("refusal", None)
    state["server"] = api_key
    try:
        decisions.authenticate(headers, api_key)
    except ApiError as exc:
        state["refusal"] = exc


def _cache_lookup(params: QueryParams) -> None:
    """A page stored for this URL is served to anyone; otherwise a refusal stands."""
    state = request_state()
    state["url"] = key = (state.get("server", ""), str(params))
    refusal = state.get("refusal")
    if refusal is not None:
        if key in _URL_CACHE:
            raise Reply(200, _URL_CACHE[key])
        raise refusal
    decisions.check_params(params)


def _cache_store(data: list[dict[str, Any]], has_more: bool, query: ListQuery) -> dict[str, Any]:
    body = decisions.envelope(data, has_more, query)
    key = request_state().get("url")
    if key is not None and len(_URL_CACHE) < 10_000:
        _URL_CACHE[key] = body
    return body


FAULTS = (
    Fault("no-auth", "Any request is served, with or without a valid API key.",
          breaks=("AUTH-001", "AUTH-002", "AUTH-003", "AUTH-004"),
          title="Authentication is not enforced: requests without a valid API key are served.",
          signature=Signature(seen=("no-credentials-served",)),
          partials={"no-credentials": ("AUTH-001",)},
          overrides={"authenticate": _no_auth}),
    Fault("auth-any-key", "Any well-formed key is accepted: only its presence is checked.",
          breaks=("AUTH-002",),
          title="Any API key is accepted: the key's presence is checked, never its value.",
          signature=Signature(seen=("unknown-key-served",), unseen=("no-credentials-served",),
                              also=("AUTH-003",)),  # mangled headers around an unknown key are served
          overrides={"authenticate": _any_key}),
    Fault("auth-key-prefix-match", "The key is compared with `startswith`: the real key with a character "
          "added is accepted.",
          breaks=("AUTH-002",),
          # The title speaks of the defect, not of the mechanism: a case-insensitive or truncated
          # comparison serves other variants than a prefix match does (the observed line says which).
          title=("A near miss of the API key (another case, a character more or less, a prefix) is accepted: "
                 "compare the whole key exactly, in constant time."),
          signature=Signature(seen=("key-variant-served",), unseen=("unknown-key-served", "no-credentials-served")),
          overrides={"authenticate": _key_prefix_match}),
    Fault("auth-key-as-password", "The key is also accepted as the password with an empty username.",
          breaks=("AUTH-004",),
          title="The API key is also accepted as the Basic password with an empty username.",
          signature=Signature(seen=("key-as-password-served",), unseen=("no-credentials-served",)),
          overrides={"authenticate": _key_in_either_half}),
    Fault("auth-malformed-500", "Basic credentials are decoded unguarded: a malformed header crashes (500).",
          breaks=("AUTH-003", "ERR-002"),
          title=("A malformed `Authorization` header crashes the server (500): guard the Basic "
                 "credentials decoding."),
          signature=Signature(seen=("auth-not-base64-crashed",)),
          overrides={"authenticate": _malformed_500}),
    Fault("auth-missing-403", "A request without credentials gets 403 instead of 401.",
          breaks=("AUTH-001",),
          title="A request without credentials gets 403; it must get 401 with a challenge.",
          signature=Signature(seen=("no-credentials-403",)),
          overrides={"authenticate": _missing_is_403}),
    Fault("auth-checked-late", "Authentication is checked after the page is rendered: the 401 body "
          "carries the sessions.",
          breaks=("AUTH-005",),
          title=("Authentication is checked after the page is built: a 401 body carries the "
                 "sessions (authenticate first)."),
          signature=Signature(seen=("refusal-carries-sessions",)),
          overrides={"authenticate": _deferred_auth, "envelope": _refuse_late}),
    Fault("auth-cache-by-url", "A response cache keyed by URL alone: a page fetched with the key is served "
          "to the next request for that URL, without credentials or with any key.",
          breaks=("AUTH-001", "AUTH-002"),
          title=("A response cache is keyed by URL alone: a page fetched with the key is served to requests "
                 "without credentials (key the cache on the credentials, or check them before it)."),
          # A URL fetched with the key and then asked with an unknown X-API-Version is served from the
          # cache too: the version warning is this cache's, not a second defect.
          signature=Signature(seen=("credentials-ignored-after-keyed-fetch",), unseen=("no-credentials-served",),
                              also=("VER-003",)),
          overrides={"authenticate": _cache_authenticate, "check_params": _cache_lookup,
                     "envelope": _cache_store}),
    Fault("auth-no-challenge", "A 401 carries no `WWW-Authenticate` header.",
          breaks=("AUTH-006",),
          title="401 answers carry no `WWW-Authenticate` header.",
          signature=Signature(seen=("challenge-missing",)),
          overrides={"authenticate": _no_challenge}),
    Fault("auth-bare-401", "A 401 body is `{\"message\": \"Unauthorized\"}`, not an error object.",
          breaks=("AUTH-007", "ERR-001"),
          title=("401 bodies are not the error object `{\"error\": {\"type\", \"message\"}}`."),
          signature=Signature(seen=("error-not-error-object",)),
          overrides={"authenticate": _bare_401}),
)
