"""The ASGI app: ``GET /v1/checkout/sessions`` and JSON errors for everything else."""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance.reference.config import SUPPORTED_API_VERSIONS, ReferenceConfig
from conformance.reference.decisions import LIST_URL, run_list_json
from conformance.reference.errors import ApiError, error_response, json_text_response
from conformance.reference.faults import decisions_for
from conformance.reference.faults._base import DropConnection
from conformance.reference.store import SessionStore, open_store

log = logging.getLogger("conformance.reference")

__all__ = ["SUPPORTED_API_VERSIONS", "create_app"]


def _internal_error() -> Response:
    return error_response(ApiError(500, "An internal error occurred.", type_="api_error"))


def _method_not_allowed() -> Response:
    return error_response(ApiError(405, "Only GET is supported on this path.",
                                   headers={"Allow": "GET"}))


async def _not_found(request: Request, exc: Exception) -> Response:
    return error_response(ApiError(404, "Unrecognized request URL. This server only "
                                        f"serves GET {LIST_URL}."))


async def _method_handler(request: Request, exc: Exception) -> Response:
    return _method_not_allowed()


async def _last_resort(request: Request, exc: Exception) -> Response:
    return _internal_error()


def _close_connection(request: Request) -> None:
    """Close the request's connection before any response byte (uvicorn's request cycle owns
    the transport; its later writes on a closed transport are dropped)."""
    cycle = getattr(request.receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise RuntimeError("cannot drop the connection: the server does not expose its transport")
    transport.close()


def create_app(config: ReferenceConfig, store: SessionStore | None = None,
               on_request: Callable[[], None] | None = None) -> Starlette:
    """The reference server for ``config``; builds its own store unless given one.
    ``on_request`` is called as each list request arrives (the churn's request clock)."""
    table = decisions_for(config.fault)
    if store is None:
        store = open_store(config.sessions, config.seed, config.livemode, config.db,
                           sessions_list=config.fixed_sessions())
    api_key = config.key
    versions = tuple(config.api_versions)

    async def list_sessions(request: Request) -> Response:
        # HEAD is routed here by Starlette along with GET; the brief is GET only.
        if request.method != "GET":
            return _method_not_allowed()
        if on_request is not None:
            on_request()
        try:
            body = run_list_json(table, store, request.headers, request.query_params,
                                 api_key, versions)
        except ApiError as exc:
            return error_response(exc)
        except DropConnection:
            _close_connection(request)
            return Response(status_code=500)  # never reaches the client: the connection is gone
        except Exception as exc:
            # One line, no traceback: the server must keep answering JSON whatever
            # happens, and a fault may raise on purpose.
            log.error("internal error: %s: %s", type(exc).__name__, exc)
            return _internal_error()
        return json_text_response(body)

    app = Starlette(
        routes=[Route(LIST_URL, list_sessions, methods=["GET"])],
        exception_handlers={
            404: _not_found,
            405: _method_handler,
            Exception: _last_resort,
        },
    )
    # "/v1/checkout/sessions/" is another path: a 404, not a redirect.
    app.router.redirect_slashes = False
    app.state.store = store
    app.state.config = config
    return app
