"""The read side as the handlers and the hub call it: every read first fires the timers that came due (nobody is
shown a quote that should have expired), then asks ``queries`` over the venue's book (memory, then the store)."""

from __future__ import annotations

from decimal import Decimal

from openrfq.domain.commands import QuoteQuery, RfqQuery, TradeQuery
from openrfq.domain.instrument import Instrument
from openrfq.domain.makers import Maker, ProductSetting
from openrfq.domain.models import BlockTrade, Quote, Rfq, TradeLeg
from openrfq.engine import queries
from openrfq.engine.venue import Venue


class Reads:
    def __init__(self, venue: Venue) -> None:
        self._venue = venue

    def find_rfqs(self, q: RfqQuery) -> list[Rfq]:
        self._venue.advance()
        return queries.find_rfqs(self._venue.book, q)

    def find_quotes(self, q: QuoteQuery) -> list[Quote]:
        self._venue.advance()
        return queries.find_quotes(self._venue.book, q)

    def rfqs_of(self, quotes: list[Quote]) -> dict[int, Rfq]:
        """The RFQs of ``quotes``, by id: what rendering them needs."""
        return queries.rfqs_of(self._venue.book, quotes)

    def rfq(self, rfq_id: int) -> Rfq | None:
        """An RFQ by id, whether in memory or stored (the WebSocket hub renders a quote with its RFQ)."""
        return self._venue.book.rfq_by_id(rfq_id)

    def rfq_of(self, quote: Quote) -> Rfq:
        """The RFQ ``quote`` was made on (in memory or stored)."""
        rfq = self._venue.book.rfq_by_id(quote.rfq_id)
        assert rfq is not None, f"quote {quote.quote_id}: RFQ {quote.rfq_id} is missing"
        return rfq

    def newest(self, limit: int) -> tuple[list[Rfq], list[Quote], list[BlockTrade]]:
        """The newest RFQs, quotes and block trades, whoever's (the admin feed's first state)."""
        self._venue.advance()
        return queries.newest(self._venue.book, limit)

    def find_trades(self, q: TradeQuery) -> list[BlockTrade]:
        self._venue.advance()
        return queries.find_trades(self._venue.book, q)

    def public_trades(self, until_ms: int, begin_id: int | None, end_id: int | None, limit: int) -> list[BlockTrade]:
        self._venue.advance()
        return queries.public_trades(self._venue.book, until_ms, begin_id, end_id, limit)

    def public_legs(self, inst_id: str, since_ms: int, until_ms: int, limit: int) -> list[tuple[BlockTrade, TradeLeg]]:
        self._venue.advance()
        return queries.public_legs(self._venue.book, inst_id, since_ms, until_ms, limit)

    def block_volumes(self, inst: Instrument, since_ms: int, until_ms: int) -> tuple[Decimal, Decimal]:
        self._venue.advance()
        return queries.block_volumes(self._venue.book, inst, since_ms, until_ms)

    def products(self, code: str) -> tuple[ProductSetting, ...]:
        maker = self._venue.makers.get(code)
        return maker.products if maker is not None else ()

    def mmp(self, code: str) -> Maker:
        """The maker's MMP state as of now (a freeze that ran out has thawed: recorded as a change)."""
        now = self._venue.advance()
        maker = self._venue.makers.get(code) or Maker(code)
        if maker.frozen and not maker.is_frozen(now):
            self._venue.journal.maker(code)
        return maker
