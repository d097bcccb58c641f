"""The floor on granian's RSGI interface (issue "half the floor" lists it as an option): the same answers as
floor_app.py, from a Rust HTTP server (hyper) calling Python through RSGI. Not a project dependency:

    .venv/bin/pip install granian          # then bench/floors.py runs it beside the other two floors
    granian --interface rsgi --workers 1 --runtime-threads 1 --loop uvloop floor_rsgi:app   (from bench/)
"""

from __future__ import annotations

from typing import Any

from floor_app import _ANSWERS, _DEFAULT, _decode

_HEADERS = [("content-type", "application/json")]


async def app(scope: Any, protocol: Any) -> None:
    body = await protocol()
    if body:
        _decode(body)
    protocol.response_bytes(status=200, headers=_HEADERS, body=_ANSWERS.get(scope.path, _ANSWERS[_DEFAULT]))
