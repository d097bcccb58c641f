"""The route table: every OKX endpoint served, with its permission and its rate limits from block-trading.md."""

from __future__ import annotations

from openrfq.api.endpoint import Endpoint, per
from openrfq.api.routes import maker, market, public, quote, rfq, trade

READ, TRADE = "read", "trade"
RFQ = "/api/v5/rfq/"

ROUTES: tuple[Endpoint, ...] = (
    Endpoint("GET", "/api/v5/public/instruments", public.instruments, limits=(per(20, 2),), limit_by="instType"),
    Endpoint("GET", "/api/v5/public/time", public.time, limits=(per(10, 2),)),
    Endpoint("GET", "/api/v5/public/mark-price", public.mark_price, limits=(per(10, 2),), limit_by="instId"),
    Endpoint("GET", RFQ + "counterparties", rfq.counterparties, READ, (per(5, 2),)),
    Endpoint("POST", RFQ + "create-rfq", rfq.create_rfq, TRADE, (per(5, 2), per(80, 12 * 3600)), needs_body=True),
    Endpoint("POST", RFQ + "cancel-rfq", rfq.cancel_rfq, TRADE, (per(5, 2),), needs_body=True),
    Endpoint("POST", RFQ + "cancel-batch-rfqs", rfq.cancel_batch_rfqs, TRADE, (per(2, 2),), needs_body=True),
    Endpoint("POST", RFQ + "cancel-all-rfqs", rfq.cancel_all_rfqs, TRADE, (per(2, 2),)),
    Endpoint("POST", RFQ + "execute-quote", trade.execute_quote, TRADE, (per(2, 3),), needs_body=True),
    Endpoint("GET", RFQ + "rfqs", rfq.rfqs, READ, (per(2, 2),)),
    Endpoint("POST", RFQ + "create-quote", quote.create_quote, TRADE, (per(50, 2),), needs_body=True),
    Endpoint("POST", RFQ + "cancel-quote", quote.cancel_quote, TRADE, (per(50, 2),), needs_body=True),
    Endpoint("POST", RFQ + "cancel-batch-quotes", quote.cancel_batch_quotes, TRADE, (per(2, 2),), needs_body=True),
    Endpoint("POST", RFQ + "cancel-all-quotes", quote.cancel_all_quotes, TRADE, (per(2, 2),)),
    Endpoint("GET", RFQ + "quotes", quote.quotes, READ, (per(2, 2),)),
    Endpoint("GET", RFQ + "trades", trade.trades, READ, (per(5, 2),)),
    Endpoint("GET", RFQ + "maker-instrument-settings", maker.products, READ, (per(5, 2),)),
    Endpoint(
        "POST",
        RFQ + "maker-instrument-settings",
        maker.set_products,
        TRADE,
        (per(5, 2),),
        needs_body=True,
        array_body=True,
    ),
    Endpoint("POST", RFQ + "mmp-reset", maker.reset_mmp, TRADE, (per(5, 2),)),
    Endpoint("POST", RFQ + "mmp-config", maker.set_mmp, TRADE, (per(1, 10),), needs_body=True),
    Endpoint("GET", RFQ + "mmp-config", maker.mmp, READ, (per(5, 2),)),
    Endpoint("POST", RFQ + "cancel-all-after", maker.cancel_all_after, TRADE, (per(1, 1),), needs_body=True),
    Endpoint("GET", RFQ + "public-trades", market.public_trades, limits=(per(5, 2),)),
    Endpoint("GET", "/api/v5/public/block-trades", market.block_trades, limits=(per(20, 2),)),
    Endpoint("GET", "/api/v5/market/block-tickers", market.block_tickers, limits=(per(20, 2),)),
    Endpoint("GET", "/api/v5/market/block-ticker", market.block_ticker, limits=(per(20, 2),)),
)
