"""State-change lines written directly (the configured handler alone) equal what logging + JsonFormatter write."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest

from openrfq import logs
from openrfq.domain.enums import QuoteState, RfqState, Side
from openrfq.domain.events import Event, QuoteChanged, RfqChanged, TradeExecuted
from openrfq.domain.models import BlockTrade, Quote, Rfq


@pytest.fixture
def root_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield
    root.handlers[:], level = saved
    root.setLevel(level)
    logs._handler = None


def _events() -> list[Event]:
    quote = Quote(5, 2, "M1", Side.BUY, (), 1, 2, state=QuoteState.CANCELED, reason='mmp "x"\n\\ é')
    return [
        RfqChanged(Rfq(2, "T", ("M1",), (), 1, 2, state=RfqState.FILLED)),
        QuoteChanged(quote),
        QuoteChanged(Quote(6, 2, "M1", Side.SELL, (), 1, 2)),
        TradeExecuted(BlockTrade(9, 2, 5, "T", "M1", 1)),
    ]


def _lines(text: str) -> list[dict[str, object]]:
    return [{k: v for k, v in json.loads(line).items() if k != "ts"} for line in text.splitlines()]


def test_direct_lines_are_what_the_formatter_writes(root_logging: None) -> None:
    direct, formatted = io.StringIO(), io.StringIO()
    logs.configure("info")
    logging.getLogger().handlers[0].stream = direct  # type: ignore[attr-defined]
    logs.log_state_changes(_events())  # direct: the configured handler is the only one

    handler = logging.StreamHandler(formatted)
    handler.setFormatter(logs.JsonFormatter())
    logging.getLogger().handlers[:] = [handler]  # not the configured handler: through logging
    logs.log_state_changes(_events())

    assert _lines(direct.getvalue()) == _lines(formatted.getvalue())
    assert [line.split(",", 1)[1] for line in direct.getvalue().splitlines()] == [
        line.split(",", 1)[1] for line in formatted.getvalue().splitlines()
    ]  # byte for byte after the timestamp
    assert len(direct.getvalue().splitlines()) == 4


def test_an_added_handler_or_filter_gets_every_line_through_logging(root_logging: None) -> None:
    logs.configure("info")
    configured = io.StringIO()
    logging.getLogger().handlers[0].stream = configured  # type: ignore[attr-defined]
    captured: list[logging.LogRecord] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            captured.append(record)

    logs.state_log.addHandler(Capture())
    try:
        logs.log_state_changes(_events())
    finally:
        logs.state_log.handlers.clear()

    assert [r.getMessage() for r in captured] == ["rfq", "quote", "quote", "trade"]
    assert len(configured.getvalue().splitlines()) == 4  # and the configured handler still got them (propagation)


def test_nothing_is_written_above_info(root_logging: None) -> None:
    logs.configure("warning")
    out = io.StringIO()
    logging.getLogger().handlers[0].stream = out  # type: ignore[attr-defined]
    logs.log_state_changes(_events())
    assert out.getvalue() == ""


async def test_on_the_loop_direct_lines_follow_on_its_next_turn_in_order(root_logging: None) -> None:
    logs.configure("info")
    out = io.StringIO()
    logging.getLogger().handlers[0].stream = out  # type: ignore[attr-defined]
    events = _events()

    logs.log_state_changes(events[:2])
    logs.log_state_changes(events[2:])
    assert out.getvalue() == ""  # the answers of the batch go out first
    await asyncio.sleep(0)

    assert [line["msg"] for line in _lines(out.getvalue())] == ["rfq", "quote", "quote", "trade"]
