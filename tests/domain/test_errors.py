"""Every error class matches its row in OKX's error-code table: code, HTTP status and message template."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from openrfq.domain import errors

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "okx" / "error-codes.md"
# Codes the reference copy does not include, checked against OKX's site by hand (none today).
OUTSIDE_REFERENCE: dict[str, tuple[int, str]] = {}
# Ours on purpose (docs/compatibility.md): an oversized body is refused by OKX's gateway, not its API.
OWN_CHOICES = {errors.BodyTooLarge}
# WebSocket messages as OKX sends them where the table gives less: 60012 echoes the request after the table's
# text (OKX's WebSocket overview, "Failure example": "Invalid request: {\"op\": \"subscribe\", \"argss\":[...]}").
WS_AS_SENT = {errors.MalformedRequest: "Invalid request: {request}"}


def _reference_rows() -> dict[str, list[tuple[int, str]]]:
    rows: dict[str, list[tuple[int, str]]] = {}
    for line in REFERENCE.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and re.fullmatch(r"\d+", cells[0]) and re.fullmatch(r"\d{3}", cells[1]):
            rows.setdefault(cells[0], []).append((int(cells[1]), cells[2]))
    return rows


def _websocket_rows() -> dict[str, str]:
    """The WebSocket table (error code, message: no HTTP status), after the "WebSocket" heading."""
    text = REFERENCE.read_text()
    rows: dict[str, str] = {}
    for line in text[text.index("#error-code-websocket-public") :].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and re.fullmatch(r"6\d{4}", cells[0]):
            rows[cells[0]] = cells[1]
    return rows


def _as_pattern(message: str) -> re.Pattern[str]:
    """A table message whose placeholders ({0}, {op}) stand for whatever the class writes there."""
    return re.compile(".+".join(re.escape(part) for part in re.split(r"\{\w+\}", message)))


def _classes() -> list[type[errors.OkxError]]:
    found = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.OkxError)]
    return [
        c
        for c in found
        if c is not errors.OkxError
        and c not in OWN_CHOICES
        and not issubclass(c, (errors.ControlError, errors.WebSocketError))
    ]


def _websocket_classes() -> list[type[errors.WebSocketError]]:
    return [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.WebSocketError)]


def _control_classes() -> list[type[errors.ControlError]]:
    return [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.ControlError)]


@pytest.mark.parametrize("cls", _classes(), ids=lambda c: c.__name__)
def test_error_class_matches_the_reference_row(cls: type[errors.OkxError]) -> None:
    rows = _reference_rows()
    expected = rows.get(cls.code) or [OUTSIDE_REFERENCE[cls.code]]

    assert (cls.http_status, cls.template) in expected


@pytest.mark.parametrize("cls", _websocket_classes(), ids=lambda c: c.__name__)
def test_websocket_error_class_matches_the_websocket_table(cls: type[errors.WebSocketError]) -> None:
    message = _websocket_rows()[cls.code]

    if cls in WS_AS_SENT:
        assert cls.template == WS_AS_SENT[cls] and cls.template.startswith(message)
    else:
        assert _as_pattern(message).fullmatch(cls.template), (cls.template, message)


def test_websocket_table_is_found() -> None:
    rows = _websocket_rows()

    assert rows["60012"] == "Invalid request" and len(rows) > 20


def test_message_template_is_filled_from_keywords() -> None:
    error = errors.QuoteNotCancelable(quoteState="canceled")

    assert error.msg == "The Quote with canceled status cannot be canceled"
    assert error.code == "70400"


def test_reference_table_is_found() -> None:
    assert len(_reference_rows()) > 100


@pytest.mark.parametrize("cls", _control_classes(), ids=lambda c: c.__name__)
def test_control_plane_codes_are_outside_okx_and_4xx(cls: type[errors.ControlError]) -> None:
    rows = _reference_rows()

    assert cls.code.startswith("9") and len(cls.code) == 5 and cls.code not in rows
    assert 400 <= cls.http_status < 500
