"""The one reader of a JSON request body: the same gates as the decision preview's.

FastAPI parses a body model's JSON itself, with its own words for what goes wrong: "JSON
decode error" at ``body.6``, "Input should be a valid dictionary" for a form-encoded body, a
bare 400 "There was an error parsing the body" for deep nesting. Every route with a body model
passes through ``read_json_body`` first: the content type, UTF-8, then the JSON gates of
:mod:`refundable.core.textinput` (nesting, duplicate keys, numbers that fit, where the text
stops being JSON), and a JSON object at the top. Its size is the route's cap (``body_cap``).
The parsed object is left on the request, so FastAPI validates it without parsing it again.
"""

from __future__ import annotations

import email.message

from fastapi import Request, params
from fastapi.routing import APIRoute

from refundable.core.errors import InputError, InputNotText
from refundable.core.textinput import load_json

ALLOWED = 'a JSON object such as {"id": "c-1"}, sent with Content-Type: application/json'


def takes_a_json_body(route: APIRoute) -> bool:
    """Routes with a body model (those reading the body themselves gate it themselves)."""
    field = route.body_field
    return field is not None and not isinstance(field.field_info, params.Form)


async def read_json_body(request: Request) -> None:
    """Gate the body and keep what it parsed to (``request.json()`` answers it). An empty
    body is left to the body model (which says what it is missing)."""
    raw = await request.body()
    if not raw:
        return
    if not _is_json(request.headers.get("content-type")):
        raise InputNotText(
            "the body must be a JSON object sent with Content-Type application/json",
            where="body",
            allowed=ALLOWED,
        )
    data = load_json(_text(raw), "body")
    if not isinstance(data, dict):
        raise InputError(
            f"the body must be a JSON object, not {_kind(data)}", where="body", allowed=ALLOWED
        )
    request._json = data  # Starlette's cache of request.json()


def _text(raw: bytes) -> str:
    """UTF-8 text (its size is the route's cap, ``body_cap``; a raw control character is
    refused by the JSON parser itself)."""
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise InputNotText(
            f"the body is not UTF-8 text (byte 0x{raw[error.start]:02x} at offset {error.start})",
            where="body",
            allowed=ALLOWED,
        ) from None


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def _kind(data: object) -> str:
    if isinstance(data, list):
        return "a list"
    if isinstance(data, str):
        return "a string"
    if data is None:
        return "null"
    return "a number" if not isinstance(data, bool) else "true or false"
