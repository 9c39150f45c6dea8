"""The ASGI app: ``GET /v1/checkout/sessions``, the family's other list operations
(``GET /v1/customers``, ``GET /v1/invoices``: spec/family.yaml) and JSON errors for everything else."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance.reference.config import SUPPORTED_API_VERSIONS, ReferenceConfig
from conformance.reference.decisions import Decisions, run_list_json
from conformance.reference.errors import ApiError, error_response, json_text_response
from conformance.reference.family import CHECKOUT, Resource, family_resources, generate_family, table_of
from conformance.reference.faults import decisions_for
from conformance.reference.faults._base import DropConnection
from conformance.reference.store import SessionStore, open_list_store, open_store

log = logging.getLogger("conformance.reference")

__all__ = ["SUPPORTED_API_VERSIONS", "create_app"]


def _internal_error() -> Response:
    return error_response(ApiError(500, "An internal error occurred.", type_="api_error"))


def _method_not_allowed() -> Response:
    return error_response(ApiError(405, "Only GET is supported on this path.",
                                   headers={"Allow": "GET"}))


def _served() -> str:
    keys = list(family_resources())
    return ", ".join(keys[:-1]) + " and " + keys[-1] if len(keys) > 1 else keys[0]


async def _not_found(request: Request, exc: Exception) -> Response:
    return error_response(ApiError(404, f"Unrecognized request URL. This server only serves {_served()}."))


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


def family_stores(config: ReferenceConfig) -> dict[str, SessionStore]:
    """In-memory stores of the generated resources (customers, invoices) for ``config``'s seed
    and mode, by operation key (``conformance.reference.family``)."""
    stores = {}
    for key, items in generate_family(config.seed, config.livemode).items():
        resource = family_resources()[key]
        stores[key] = open_list_store(items, table_of(key), resource.filters, resource.noun, resource.partition)
    return stores


def create_app(config: ReferenceConfig, store: SessionStore | None = None,
               on_request: Callable[[], None] | None = None,
               family: Mapping[str, SessionStore] | None = None) -> Starlette:
    """The reference server for ``config``; builds its own stores unless given them
    (``store``: the checkout sessions'; ``family``: the others', by operation key, see
    :func:`family_stores`). ``on_request`` is called as each checkout-sessions request arrives
    (the churn's request clock, which moves only the sessions)."""
    if store is None:
        store = open_store(config.sessions, config.seed, config.livemode, config.db,
                           sessions_list=config.fixed_sessions())
    stores = {CHECKOUT.key: store, **(family if family is not None else family_stores(config))}
    api_key = config.key
    versions = tuple(config.api_versions)

    def endpoint(resource: Resource, table: Decisions, items: SessionStore,
                 tick: Callable[[], None] | None) -> Callable[[Request], Any]:
        async def list_items(request: Request) -> Response:
            # HEAD is routed here by Starlette along with GET; the brief is GET only.
            if request.method != "GET":
                return _method_not_allowed()
            if tick is not None:
                tick()
            try:
                body = run_list_json(table, items, request.headers, request.query_params,
                                     api_key, versions, resource)
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

        return list_items

    routes = []
    for key, resource in family_resources().items():
        table = decisions_for(config.fault_for(key), resource)
        routes.append(Route(resource.path, endpoint(resource, table, stores[key],
                                                    on_request if key == CHECKOUT.key else None),
                            methods=["GET"]))
    app = Starlette(
        routes=routes,
        exception_handlers={
            404: _not_found,
            405: _method_handler,
            Exception: _last_resort,
        },
    )
    # "/v1/checkout/sessions/" is another path: a 404, not a redirect.
    app.router.redirect_slashes = False
    app.state.store = store
    app.state.stores = stores
    app.state.config = config
    return app
