"""Identifiers. Venue ids are increasing integers (rendered as strings); client ids are the caller's strings.

Distinct types keep a client-supplied ``clQuoteId`` from ever being used where a venue ``quoteId`` belongs, and
an RFQ id from being looked up among quotes. They are ``NewType``s: the type checker tells them apart, and at
run time they are the plain ``int`` and ``str`` they wrap (mypyc compiles ``QuoteId(n)`` to ``n``). Commands
carry ids as the caller sent them (wire text); the engine turns them into these types with the parsers below
and, for client ids, once ``rules.check_cl_id`` has accepted them.
"""

from __future__ import annotations

from typing import NewType

RfqId = NewType("RfqId", int)
QuoteId = NewType("QuoteId", int)
BlockTradeId = NewType("BlockTradeId", int)
TradeId = NewType("TradeId", int)  # one leg of a block trade
ClRfqId = NewType("ClRfqId", str)
ClQuoteId = NewType("ClQuoteId", str)

MAX_ID_DIGITS = 19  # ids are int64 on OKX's wire; a longer string names nothing (and is never converted)


def parse_id(value: str) -> int | None:
    """A venue id as OKX writes it: ASCII digits without leading zeros. "007" names no quote."""
    if len(value) <= MAX_ID_DIGITS and value.isascii() and value.isdigit() and (value[0] != "0" or value == "0"):
        return int(value)
    return None


def parse_rfq_id(value: str) -> RfqId | None:
    parsed = parse_id(value)
    return None if parsed is None else RfqId(parsed)


def parse_quote_id(value: str) -> QuoteId | None:
    parsed = parse_id(value)
    return None if parsed is None else QuoteId(parsed)
