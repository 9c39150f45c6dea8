"""`GET /v1/checkout/sessions` as a team would build it with Django REST framework: a Django model
in SQLite (in memory), a ``ListAPIView`` paged by DRF's own ``CursorPagination``, and the page
wrapped in the Stripe envelope.

Written from shared/CONTRACT.md and spec/openapi.yaml alone, without anything from
``conformance.reference`` or ``tests.servers.variant`` (issue 21's proof: an implementation whose
pagination nobody here wrote). The paging is DRF's code, unchanged: ``paginate_queryset``,
``get_next_link`` and the cursor encoding. What the team wrote around it:

* ``starting_after`` / ``ending_before`` name a session id; each is translated into the cursor DRF
  itself would have issued for a page ending (starting) at that session: DRF's position is the value
  of the first ordering field, with an offset over the rows sharing it
  (``CursorPagination.get_next_link``), counted in the status-filtered queryset;
* ``next_cursor`` is the ``cursor`` value of DRF's next link, accepted back as ``starting_after``;
  it is null when ``has_more`` is false; ``has_more`` is DRF's ``has_next`` (``has_previous`` on an
  ``ending_before`` page, whose "more" lies towards the newer sessions);
* ``limit`` (DRF's ``page_size_query_param``) is validated first (1-100, else 400), since DRF would
  cut or ignore a bad value silently; a repeated parameter is read as Django reads it: the last copy,
  by the validation and the query alike;
* ``Authorization: Basic`` with the key as username, or ``Bearer <key>`` (a MAY).

``ordering`` is the pagination's ``ordering``: DRF's default ``-created`` with ``id`` after it
(``("-created", "-id")``, a deterministic order) or ``("-sort_key",)``, a unique field ordered as
(created, id). DRF keeps a position for the *first*
ordering field only (``paginate_queryset`` filters on ``ordering[0]``; ties are an offset), so only
the last is free of DRF's documented "paging artifact" (``get_next_link``: "The change in direction
will introduce a paging artifact, where we end up skipping forward a few extra items";
encode/django-rest-framework#7709): on an ``ending_before`` page that lies wholly inside one
``created`` second with a member of that second before it, the next cursor is (offset 0, the
position of the newer second), which starts the next page at the top of the page's own second.

Django is configured once per process (settings are global), so one target is served at a time;
``start_drf_target()`` serves it on 127.0.0.1 (a free port) for the duration of a ``with``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import itertools
import logging
import re
import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from tests.servers.keyset_sqlalchemy import make_sessions as _keyset_sessions
from tests.support.scripted import in_thread

LIST_PATH = "/v1/checkout/sessions"
API_VERSION = "2024-09-30.drf"
STATUSES = ("open", "complete", "expired")
DEFAULT_LIMIT, MAX_LIMIT = 10, 100
_LIMIT = re.compile(r"[0-9]{1,3}")
ORDERINGS = {
    # CursorPagination's default `-created`, with `id` so that SQLite orders a tie the same way in
    # every query (`-created` alone leaves it to the query plan: a filtered query ordered a second's
    # sessions otherwise than the unfiltered one, and the offsets went wrong besides the artifact).
    "created-id": ("-created", "-id"),
    "unique": ("-sort_key",),
}
# Where the account's largest `created` tie falls in the list (newest first): (first index, length).
LAYOUTS = {
    "head": (0, 14),  # the newest 14 sessions share one second
    "middle": (23, 15),  # 15 sessions in one second across the page boundaries of limit 10 (30) and 7 (28, 35)
    "tail": (47, 13),  # the oldest 13 sessions
}
_DB_NAME = "file:drf-checkout-conformance?mode=memory&cache=shared"
_serving = threading.Lock()  # one target at a time: Django's settings and database are per process
_models: dict[str, Any] = {}


def sessions_with_layout(count: int = 60, layout: str = "middle", seed: int = 11) -> list[dict[str, Any]]:
    """`count` checkout.session objects whose `created` seconds put one large tie group where
    ``layout`` says (``LAYOUTS``), with a few pairs elsewhere; `expires_at` follows `created`."""
    start, length = LAYOUTS[layout]
    sessions = _keyset_sessions(count, seed)
    second = 1_760_000_000
    for n, session in enumerate(sessions):  # make_sessions's order is random: ids fall anywhere in a second
        in_group = start < n < start + length
        if not in_group and not (n % 9 == 4 and not start <= n - 1 < start + length):
            second -= 37 + (n * 7919) % 500  # a new, older second
        session["created"], session["expires_at"] = second, second + 86_400
    return sessions


# -- Django, configured once -------------------------------------------------------------------
def _setup() -> dict[str, Any]:
    """Configure Django and define the model, the view and the URLs (once per process)."""
    if _models:
        return _models
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False, SECRET_KEY="drf-target-" + secrets.token_hex(8), ALLOWED_HOSTS=["*"],
            ROOT_URLCONF=__name__, MIDDLEWARE=[], USE_TZ=True, DEFAULT_AUTO_FIELD="django.db.models.AutoField",
            INSTALLED_APPS=["rest_framework", "tests.servers"],
            DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": _DB_NAME}},
            LOGGING_CONFIG=None,
            REST_FRAMEWORK={
                "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
                "DEFAULT_PARSER_CLASSES": [], "DEFAULT_AUTHENTICATION_CLASSES": [],
                "DEFAULT_PERMISSION_CLASSES": [], "UNAUTHENTICATED_USER": None,
                "EXCEPTION_HANDLER": f"{__name__}.exception_handler",
            },
        )
    django.setup()
    logging.getLogger("django").addHandler(logging.NullHandler())  # no "Not Found: ..." lines on stderr
    from django.db import models
    from rest_framework import exceptions, generics, serializers
    from rest_framework.authentication import BaseAuthentication
    from rest_framework.pagination import Cursor, CursorPagination
    from rest_framework.permissions import BasePermission
    from rest_framework.response import Response

    class CheckoutSession(models.Model):
        id = models.CharField(primary_key=True, max_length=80)
        created = models.IntegerField(db_index=True)
        sort_key = models.CharField(max_length=100, unique=True)
        status = models.CharField(max_length=16, db_index=True)
        body = models.JSONField()

        class Meta:
            app_label = "servers"

    class SessionSerializer(serializers.BaseSerializer):  # type: ignore[type-arg]
        def to_representation(self, instance: Any) -> Any:
            return instance.body

    class Refused(exceptions.APIException):
        status_code = 400

        def __init__(self, message: str, param: str | None = None) -> None:
            super().__init__(message)
            self.param = param

    class ApiKey(BaseAuthentication):
        key = ""  # set per target

        def authenticate(self, request: Any) -> Any:
            header = request.META.get("HTTP_AUTHORIZATION", "")
            if not header:
                return None
            scheme, _, credentials = header.strip().partition(" ")
            key = ""
            if scheme.lower() == "bearer":
                key = credentials.strip()
            elif scheme.lower() == "basic":
                try:
                    key = base64.b64decode(credentials.strip(), validate=True).decode("utf-8").partition(":")[0]
                except (binascii.Error, ValueError):
                    key = ""
            if not key or not secrets.compare_digest(key.encode(), ApiKey.key.encode()):
                raise exceptions.AuthenticationFailed("Invalid API key (send it as the Basic username).")
            return (_Client(), key)

        def authenticate_header(self, request: Any) -> str:
            return 'Basic realm="drf"'

    class HasKey(BasePermission):
        def has_permission(self, request: Any, view: Any) -> bool:
            return request.auth is not None

    class StripeCursorPagination(CursorPagination):
        page_size = DEFAULT_LIMIT
        page_size_query_param = "limit"
        max_page_size = MAX_LIMIT
        ordering: Any = ORDERINGS["created-id"]  # set per target
        template = None

        def decode_cursor(self, request: Any) -> Any:
            """The Stripe cursors, as the Cursor DRF would have issued for that place."""
            after = request.query_params.get("starting_after")
            before = request.query_params.get("ending_before")
            if after is not None and before is not None:
                raise Refused("Use `starting_after` or `ending_before`, not both.", "ending_before")
            if before is not None:
                return self._cursor_at(before, reverse=True, param="ending_before")
            if after is not None:
                return self._cursor_at(after, reverse=False, param="starting_after")
            return None

        def _position(self, row: Any) -> str:
            return str(self._get_position_from_instance(row, self.ordering))

        def _cursor_at(self, value: str, reverse: bool, param: str) -> Any:
            everything = list(CheckoutSession.objects.order_by(*self.ordering))
            place = next((n for n, row in enumerate(everything) if row.id == value), None)
            if place is None:
                if not reverse:
                    token = self._own_token(value, everything)
                    if token is not None:
                        return token
                raise Refused(f"No such checkout session: {value!r}.", param)
            status = self.request.query_params.get("status")
            wanted = {r.id for r in everything if status is None or r.status == status}
            newer = [r for r in everything[:place] if r.id in wanted]
            older = [r for r in everything[place + 1:] if r.id in wanted]
            if not reverse:
                # The cursor DRF's get_next_link issues for a page ending at the cursor's place: the
                # position of the last row of that page, and as offset the rows sharing the position
                # of the first row after it (then the marker is the last row with another position).
                seen = [*newer, everything[place]] if everything[place].id in wanted else newer
                if not seen:
                    return None
                shared = self._run(older[:1], reversed(seen))
                if not shared:
                    return Cursor(offset=0, reverse=False, position=self._position(seen[-1]))
                marker = self._position(seen[-shared - 1]) if shared < len(seen) else None
                return Cursor(offset=shared, reverse=False, position=marker)
            # The mirror image, as get_previous_link issues it for a page starting at the cursor's place.
            after = [everything[place], *older] if everything[place].id in wanted else older
            shared = self._run(newer[-1:], after)
            if not shared:
                return Cursor(offset=0, reverse=True, position=self._position(after[0]) if after else None)
            marker = self._position(after[shared]) if shared < len(after) else None
            return Cursor(offset=shared, reverse=True, position=marker)

        def _run(self, edge: Sequence[Any], rows: Any) -> int:
            """How many of ``rows``, from the first, share the position of the one row in ``edge``."""
            if not edge:
                return 0
            position = self._position(edge[0])
            return sum(1 for _ in itertools.takewhile(lambda r: self._position(r) == position, rows))

        def _own_token(self, value: str, everything: Sequence[Any]) -> Any:
            """A forward cursor this server issued (DRF's encoding), else None."""
            class _Query:
                query_params = {self.cursor_query_param: value}
            try:
                cursor = CursorPagination.decode_cursor(self, _Query())
            except exceptions.NotFound:
                return None
            positions = {self._position(r) for r in everything}
            if cursor is None or cursor.reverse or (cursor.position is not None and cursor.position not in positions):
                return None
            return cursor

        def get_paginated_response(self, data: Any) -> Response:
            backward = self.cursor is not None and self.cursor.reverse
            has_more = self.has_previous if backward else self.has_next
            link = self.get_next_link() if has_more else None
            token = parse_qs(urlsplit(link).query).get(self.cursor_query_param, [None])[0] if link else None
            return Response({"object": "list", "url": LIST_PATH, "data": data, "has_more": bool(has_more),
                             "next_cursor": token})

    class SessionList(generics.ListAPIView):  # type: ignore[type-arg]
        serializer_class = SessionSerializer
        pagination_class = StripeCursorPagination
        authentication_classes = [ApiKey]
        permission_classes = [HasKey]

        def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
            super().initial(request, *args, **kwargs)
            versions = request.META.get("HTTP_X_API_VERSION")
            if versions is not None and versions != API_VERSION:
                raise Refused(f"Unsupported API version; this server speaks {API_VERSION}.")
            limit = request.query_params.get("limit")
            if limit is not None and (not _LIMIT.fullmatch(limit) or not 1 <= int(limit) <= MAX_LIMIT):
                raise Refused("`limit` must be an integer from 1 to 100.", "limit")
            status = request.query_params.get("status")
            if status is not None and status not in STATUSES:
                raise Refused("`status` must be open, complete or expired.", "status")

        def get_queryset(self) -> Any:
            status = self.request.query_params.get("status")
            sessions = CheckoutSession.objects.all()
            return sessions if status is None else sessions.filter(status=status)

    _models.update(model=CheckoutSession, view=SessionList, auth=ApiKey, pagination=StripeCursorPagination)
    return _models


class _Client:
    is_authenticated = True


def exception_handler(exc: Exception, context: dict[str, Any]) -> Any:
    """DRF's exceptions in the Stripe error envelope (REST_FRAMEWORK's EXCEPTION_HANDLER)."""
    from rest_framework import exceptions
    from rest_framework.response import Response
    from rest_framework.views import exception_handler as drf_handler

    response = drf_handler(exc, context)
    if response is None:
        return None
    kind = "authentication_error" if response.status_code == 401 else "invalid_request_error"
    message = str(exc.detail) if isinstance(exc, exceptions.APIException) else "Bad request."
    error = {"type": kind, "message": message}
    if getattr(exc, "param", None):
        error["param"] = exc.param  # type: ignore[attr-defined]
    return Response({"error": error}, status=response.status_code,
                    headers={k: v for k, v in response.items() if k in ("WWW-Authenticate", "Allow")})


def handler404(request: Any, exception: Exception) -> Any:
    from django.http import JsonResponse

    return JsonResponse({"error": {"type": "invalid_request_error", "message": "Unrecognized request URL."}},
                        status=404)


def handler500(request: Any) -> Any:
    from django.http import JsonResponse

    return JsonResponse({"error": {"type": "api_error", "message": "Internal error."}}, status=500)


def __getattr__(name: str) -> Any:
    # ROOT_URLCONF is this module: Django reads `urlpatterns` once the view exists.
    if name == "urlpatterns":
        from django.urls import path

        return [path(LIST_PATH.lstrip("/"), _setup()["view"].as_view())]
    raise AttributeError(name)


# -- HTTP -------------------------------------------------------------------------------------
class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(WSGIServer):
    """One thread per connection (the suite sends up to four at once); Django's work under a lock,
    each thread on its own connection to the one shared in-memory database."""

    daemon_threads = True
    block_on_close = False

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(target=self._handle, args=(request, client_address), daemon=True)
        thread.start()

    def _handle(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that went away mid-response


@contextlib.contextmanager
def start_drf_target(sessions: int = 60, layout: str = "middle", ordering: str = "created-id",
                     seed: int = 11) -> Iterator[tuple[str, str, str]]:
    """Serve the DRF target on 127.0.0.1 (a free port); yields (base_url, api_key, api_version).

    ``ordering`` names an entry of ``ORDERINGS``; ``layout`` one of ``LAYOUTS``."""
    if not _serving.acquire(blocking=False):
        raise RuntimeError("one DRF target at a time: Django's settings and database are per process")
    try:
        parts = _setup()
        from django.core.handlers.wsgi import WSGIHandler
        from django.db import connection

        model = parts["model"]
        with connection.schema_editor() as schema:
            schema.create_model(model)
        try:
            model.objects.bulk_create(
                model(id=s["id"], created=s["created"], status=s["status"], body=s,
                      sort_key=f"{s['created']:012d}:{s['id']}")
                for s in sessions_with_layout(sessions, layout, seed))
            api_key = "sk_test_drf" + secrets.token_hex(12)
            parts["auth"].key = api_key
            parts["pagination"].ordering = ORDERINGS[ordering]
            django_app, lock = WSGIHandler(), threading.Lock()

            def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
                with lock:
                    return list(django_app(environ, start_response))

            server = _Server(("127.0.0.1", 0), _Quiet)
            server.set_app(app)
            with in_thread(server, "drf-target") as base_url:
                yield base_url, api_key, API_VERSION
        finally:
            with connection.schema_editor() as schema:
                schema.delete_model(model)
    finally:
        _serving.release()


if __name__ == "__main__":  # manual use: python -m tests.servers.drf_cursor
    with start_drf_target() as (url, key, version):
        print(f"{url}  key={key}  X-API-Version={version}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
