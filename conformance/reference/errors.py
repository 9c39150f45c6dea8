"""Stripe-style API errors and the JSON responses that carry them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

# Sent with every 401 so that HTTP clients know which scheme to answer with.
WWW_AUTHENTICATE = 'Basic realm="checkout"'


class ApiError(Exception):
    """An error answered as ``{"error": {"type", "message", "param"?}}``."""

    def __init__(self, status: int, message: str, param: str | None = None,
                 type_: str = "invalid_request_error",
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.type = type_
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.param is not None:
            error["param"] = self.param
        return {"error": error}


def invalid(message: str, param: str | None = None) -> ApiError:
    return ApiError(400, message, param)


def unauthorized(message: str) -> ApiError:
    return ApiError(401, message, headers={"WWW-Authenticate": WWW_AUTHENTICATE})


# ensure_ascii: error messages may echo client input, and escaping keeps any odd
# character from ever failing to encode (which would turn a 400 into a 500).
# One encoder for every body: what json.dumps with these arguments builds per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True)


def encode_json(body: Any) -> str:
    """The wire form of every JSON body: compact, ASCII only."""
    return _ENCODER.encode(body)


def json_response(body: Any, status: int = 200,
                  headers: Mapping[str, str] | None = None) -> Response:
    return json_text_response(encode_json(body), status, headers)


def json_text_response(content: str, status: int = 200,
                       headers: Mapping[str, str] | None = None) -> Response:
    """A response for a body already encoded by :func:`encode_json` (or byte-identical to it)."""
    return Response(content, status_code=status, headers=dict(headers or {}),
                    media_type="application/json")


def error_response(error: ApiError) -> Response:
    return json_response(error.body(), error.status, error.headers)
