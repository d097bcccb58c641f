"""Structured logs: one JSON object per line on stderr.

At debug, one line per REST request (with its request id); at info, one line per state change of an RFQ,
quote or block trade, written once the change is durable.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import msgspec

from openrfq.domain.events import Event, QuoteChanged, RfqChanged, TradeExecuted

_encode = msgspec.json.Encoder().encode
_RESERVED = set(vars(logging.makeLogRecord({})))
state_log = logging.getLogger("openrfq.state")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": round(record.created * 1000),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        line.update({k: v for k, v in vars(record).items() if k not in _RESERVED and not k.startswith("_")})
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return _encode(line).decode()


def configure(level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def log_state_changes(events: list[Event]) -> None:
    """A committer listener: one info line per durable change."""
    if not state_log.isEnabledFor(logging.INFO):
        return
    for event in events:
        if isinstance(event, RfqChanged):
            state_log.info("rfq", extra={"rfqId": str(event.rfq.rfq_id), "state": event.rfq.state.value})
        elif isinstance(event, QuoteChanged):
            q = event.quote
            state_log.info(
                "quote",
                extra={"quoteId": str(q.quote_id), "rfqId": str(q.rfq_id), "state": q.state.value, "reason": q.reason},
            )
        elif isinstance(event, TradeExecuted):
            t = event.trade
            state_log.info("trade", extra={"blockTdId": str(t.block_td_id), "rfqId": str(t.rfq_id), "quoteId": str(t.quote_id)})
