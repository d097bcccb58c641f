"""Structured logs: one JSON object per line on stderr.

At debug, one line per REST request (with its request id); at info, one line per state change of an RFQ,
quote or block trade, written once the change is durable.

State-change lines are the busiest (one per change, every change): when they would reach only the handler
``configure`` installed, unfiltered, a batch's lines are encoded here and written in one call, byte for byte
what ``JsonFormatter`` makes of the same records. Any other set-up (a handler added to a logger, a filter, a
test's capture) gets them through ``logging`` as usual.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import sys
import time
from typing import Any

import msgspec

from openrfq.domain.events import Event, QuoteChanged, RfqChanged


def _as_text(value: object) -> str:
    """What a log line shows of a value JSON cannot hold (a library's extra attribute: a socket, a weakref proxy)."""
    try:
        return repr(value)
    except Exception:  # noqa: BLE001 (a broken __repr__ must not cost the line)
        return f"<{type(value).__name__}>"


_encode = msgspec.json.Encoder(enc_hook=_as_text).encode
_RESERVED = set(vars(logging.makeLogRecord({})))
# Libraries whose debug output carries what a client sent or received: websockets logs every frame (a login's
# passphrase and signature), httpcore every request's progress. They stay at info whatever openrfq's level.
QUIET_LIBRARIES = ("websockets", "httpx", "httpcore", "hpack", "h2")
state_log = logging.getLogger("openrfq.state")
_handler: logging.StreamHandler[Any] | None = None  # the handler configure() installed on the root logger
_pending: list[tuple[logging.StreamHandler[Any], str]] = []  # direct lines waiting to be written (FLUSH_S)
# Direct lines are written FLUSH_S after the first of them waits: one write for the batches of a few ms, not one
# per batch (a busy venue commits over a thousand batches a second; each write cost 1.5% of its core).
FLUSH_S = 0.005


class JsonFormatter(logging.Formatter):
    """One JSON object per record, whatever the record holds: a value JSON cannot encode is written as its repr,
    a message whose arguments do not fit its format as the format and the arguments' reprs."""

    def format(self, record: logging.LogRecord) -> str:
        try:
            msg = record.getMessage()
        except Exception:  # noqa: BLE001 (a caller's bad format string or arguments)
            msg = f"{_as_text(record.msg)} {_as_text(record.args)}"
        line: dict[str, Any] = {
            "ts": round(record.created * 1000),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": msg,
        }
        line.update({k: v for k, v in vars(record).items() if k not in _RESERVED and not k.startswith("_")})
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        try:
            return _encode(line).decode()
        except Exception:  # noqa: BLE001 (e.g. a dict with keys JSON cannot have, a cycle): each value on its own
            return _encode({k: _encodable(v) for k, v in line.items()}).decode()


def _encodable(value: object) -> object:
    try:
        _encode(value)
    except Exception:  # noqa: BLE001
        return _as_text(value)
    return value


def configure(level: str = "info") -> None:
    global _handler
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    _handler = handler


def _fields(event: Event) -> tuple[str, dict[str, Any]]:
    """The message and extra fields of one state change's line."""
    if isinstance(event, RfqChanged):
        return "rfq", {"rfqId": str(event.rfq.rfq_id), "state": event.rfq.state.value}
    if isinstance(event, QuoteChanged):
        q = event.quote
        return "quote", {"quoteId": str(q.quote_id), "rfqId": str(q.rfq_id), "state": q.state.value, "reason": q.reason}
    t = event.trade
    return "trade", {"blockTdId": str(t.block_td_id), "rfqId": str(t.rfq_id), "quoteId": str(t.quote_id)}


def _direct_handler() -> logging.StreamHandler[Any] | None:
    """configure()'s handler when it alone would format and write state lines at info, unfiltered."""
    handler = _handler
    if (
        handler is None
        or handler.filters
        or handler.level > logging.INFO
        or type(handler.formatter) is not JsonFormatter
    ):
        return None
    if state_log.filters or state_log.disabled:
        return None
    logger: logging.Logger | None = state_log
    while logger is not None:  # the handlers logging.Logger.callHandlers would visit
        if logger.parent is None:
            return handler if logger.handlers == [handler] else None
        if logger.handlers or not logger.propagate:
            return None
        logger = logger.parent
    return None


def _line(event: Event, head: str) -> str:
    """The JSON line ``JsonFormatter`` writes for ``_fields(event)``, made directly: the ids are digits and the
    states fixed words, so only ``reason`` (free text) goes through the encoder."""
    if isinstance(event, QuoteChanged):
        q = event.quote
        reason = _encode(q.reason).decode() if q.reason else '""'
        return (
            f'{head}"quote","quoteId":"{q.quote_id}","rfqId":"{q.rfq_id}",'
            f'"state":"{q.state._value_}","reason":{reason}}}\n'
        )
    if isinstance(event, RfqChanged):
        return f'{head}"rfq","rfqId":"{event.rfq.rfq_id}","state":"{event.rfq.state._value_}"}}\n'
    t = event.trade
    return f'{head}"trade","blockTdId":"{t.block_td_id}","rfqId":"{t.rfq_id}","quoteId":"{t.quote_id}"}}\n'


def log_state_changes(events: list[Event]) -> None:
    """A committer listener: one info line per durable change.

    Direct lines are written FLUSH_S later, on the event loop, after the answers the batch released have gone out
    (a write to a log file costs tens of microseconds on a quiet server: not worth delaying an answer for), with
    the lines of the batches committed meanwhile."""
    if not events or not state_log.isEnabledFor(logging.INFO):
        return
    handler = _direct_handler()
    if handler is not None and handler.terminator == "\n":
        head = f'{{"ts":{round(time.time() * 1000)},"level":"info","logger":"openrfq.state","msg":'
        if not _pending:
            try:
                asyncio.get_running_loop().call_later(FLUSH_S, _flush)
            except RuntimeError:  # no loop: write now
                _write(handler, "".join([_line(event, head) for event in events]))
                return
        _pending.append((handler, "".join([_line(event, head) for event in events])))
        return
    for event in events:
        msg, extra = _fields(event)
        state_log.info(msg, extra=extra)


def _flush() -> None:
    while _pending:
        handler = _pending[0][0]
        count = next((i for i, (h, _) in enumerate(_pending) if h is not handler), len(_pending))
        text = "".join(line for _, line in _pending[:count])
        del _pending[:count]
        _write(handler, text)


def _write(handler: logging.StreamHandler[Any], text: str) -> None:
    handler.acquire()
    try:
        handler.stream.write(text)
        handler.flush()
    except Exception:  # noqa: BLE001 (reported as logging reports a broken stream)
        handler.handleError(logging.makeLogRecord({"name": state_log.name, "msg": text}))
    finally:
        handler.release()


atexit.register(_flush)  # lines of a batch committed just before the loop stopped
