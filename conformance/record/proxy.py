"""The proxy between the suite and the target: its failures named as the user's setup, never the target's.

The client reads HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY by name (conformance.record.client);
a proxy that cannot be reached, refuses the CONNECT tunnel, or asks for authentication (407,
RFC 9110 §15.5.8) stops every request before it reaches the target. ``proxy_failure`` names it
in one sentence with the fix; the client records it as a ``Failure.PROXY`` with the error
``PROXY_FAILED`` + that sentence (conformance.failure; as TLS failures are recorded after
``TLS_FAILED``), and the preflight turns it into a usage error (exit 2).

The proxy is named by its host:port only: a proxy URL's ``user:password@`` is never printed.
"""

from __future__ import annotations

import http
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

# The only place http.client (and urllib3's copy of its `_tunnel`) puts the CONNECT answer's
# status: "Tunnel connection failed: 407 Proxy Authentication Required". Only the number is
# read; the proxy's reason phrase is not printed (the standard phrase is, see _status_words).
_TUNNEL_STATUS = re.compile(r"Tunnel connection failed: (\d{3})\b")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Proxy:
    """The proxy a URL is sent through: `address`, its host:port without credentials, and
    `variable`, the environment variable that named it (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY)."""

    address: str
    variable: str


def chosen(url: str, proxies: Mapping[str, str]) -> Proxy | None:
    """The proxy `url` goes through with `proxies` (requests.utils.get_environ_proxies' mapping,
    NO_PROXY already applied), or None when it goes direct. Keys are tried in requests' order
    (requests.utils.select_proxy): scheme://host, scheme, all://host, all."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    for key in (f"{scheme}://{host}", scheme, f"all://{host}", "all"):
        if proxies.get(key):
            return Proxy(_address(proxies[key]), f"{key.split(':', 1)[0].upper()}_PROXY")
    return None


def proxy_failure(exc: requests.exceptions.ProxyError, url: str, proxies: Mapping[str, str]) -> str:
    """The sentence (no final period) saying how the proxy failed for a request to `url`, and the fix.

    Input: the ProxyError requests raised (urllib3 wraps every failure to reach the proxy or to
    open its tunnel in one), `url` requested and the `proxies` used (see ``chosen``). Raises nothing.
    """
    proxy = chosen(url, proxies) or Proxy("(unknown)", "HTTPS_PROXY")
    host = urlsplit(url).hostname or url
    status = _tunnel_status(exc)
    if status == 407:
        return _asks_authentication(proxy, host)
    named = f"The proxy {proxy.address} (from {proxy.variable})"
    fix = f"check {proxy.variable}, or add {host} to NO_PROXY if it should be reached directly"
    if status is not None:
        return f"{named} refused the CONNECT tunnel to {host} ({_status_words(status)}): {fix}"
    return f"{named} could not be reached ({_root(exc)}): {fix}"


def asks_authentication(url: str, proxies: Mapping[str, str]) -> str | None:
    """The sentence (no final period) for a 407 answered to a request to `url`, or None when `url`
    goes direct. Only a proxy sends 407 (RFC 9110 §15.5.8): through a proxy that forwards plain
    HTTP, it comes as an answer rather than as a refused tunnel."""
    proxy = chosen(url, proxies)
    return None if proxy is None else _asks_authentication(proxy, urlsplit(url).hostname or url)


def _asks_authentication(proxy: Proxy, host: str) -> str:
    return (f"The proxy {proxy.address} (from {proxy.variable}) asks for authentication "
            f"({_status_words(407)}): check the user:password@ in {proxy.variable}, "
            f"or add {host} to NO_PROXY if it should be reached directly")


def _address(proxy_url: str) -> str:
    """host:port of a proxy URL, credentials dropped; the port urllib3 uses when none is written."""
    if "://" not in proxy_url:
        proxy_url = "http://" + proxy_url  # as requests reads a proxy without a scheme
    parts = urlsplit(proxy_url)
    netloc = parts.netloc.rpartition("@")[2]  # never the user:password
    try:
        written = parts.port
    except ValueError:  # a malformed port: shown as written (it holds no credentials)
        return netloc
    if written is None and parts.scheme.lower() in _DEFAULT_PORTS:
        return f"{netloc}:{_DEFAULT_PORTS[parts.scheme.lower()]}"
    return netloc


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and every exception it wraps: requests and urllib3 keep them as an argument, as
    MaxRetryError.reason, or as the cause or context."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(a for a in current.args if isinstance(a, BaseException))
        todo.extend(e for e in (getattr(current, "reason", None), current.__cause__, current.__context__)
                    if isinstance(e, BaseException))


def _tunnel_status(exc: BaseException) -> int | None:
    for inner in _chain(exc):
        said = inner.args[0] if isinstance(inner, OSError) and inner.args else None
        if isinstance(said, str) and (match := _TUNNEL_STATUS.match(said)):
            return int(match.group(1))
    return None


def _root(exc: BaseException) -> str:
    """The innermost cause's last clause ("[Errno 111] Connection refused"): the OS's words."""
    *_, last = _chain(exc)
    text = str(last) or type(last).__name__
    return text.rsplit(": ", 1)[-1].strip("()'\"") or type(last).__name__


def _status_words(status: int) -> str:
    try:
        return f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)
