"""Identifiers. Venue ids are increasing integers (rendered as strings); client ids are the caller's strings.

Distinct types keep a client-supplied ``clQuoteId`` from ever being used where a venue ``quoteId`` belongs.
"""

from __future__ import annotations

from typing import NewType

RfqId = NewType("RfqId", int)
QuoteId = NewType("QuoteId", int)
BlockTradeId = NewType("BlockTradeId", int)
TradeId = NewType("TradeId", int)
ClRfqId = NewType("ClRfqId", str)
ClQuoteId = NewType("ClQuoteId", str)
TraderCode = NewType("TraderCode", str)
