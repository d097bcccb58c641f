"""The route table: every OKX endpoint served, with its permission and its rate limits from block-trading.md."""

from __future__ import annotations

from openrfq.api.endpoint import Endpoint, Private, Public, per
from openrfq.api.routes import account, asset, maker, market, public, quote, rfq, trade

READ, TRADE = "read", "trade"
RFQ = "/api/v5/rfq/"

ROUTES: tuple[Endpoint, ...] = (
    Public("GET", "/api/v5/public/instruments", public.instruments, (per(20, 2),), limit_by="instType"),
    Public("GET", "/api/v5/public/time", public.time, (per(10, 2),)),
    Public("GET", "/api/v5/public/mark-price", public.mark_price, (per(10, 2),), limit_by="instId"),
    Private("GET", RFQ + "counterparties", rfq.counterparties, READ, (per(5, 2),)),
    Private("POST", RFQ + "create-rfq", rfq.create_rfq, TRADE, (per(5, 2), per(80, 12 * 3600)), needs_body=True),
    Private("POST", RFQ + "cancel-rfq", rfq.cancel_rfq, TRADE, (per(5, 2),), needs_body=True),
    Private("POST", RFQ + "cancel-batch-rfqs", rfq.cancel_batch_rfqs, TRADE, (per(2, 2),), needs_body=True),
    Private("POST", RFQ + "cancel-all-rfqs", rfq.cancel_all_rfqs, TRADE, (per(2, 2),)),
    Private("POST", RFQ + "execute-quote", trade.execute_quote, TRADE, (per(2, 3),), needs_body=True, settles=True),
    Private("GET", RFQ + "rfqs", rfq.rfqs, READ, (per(2, 2),)),
    Private("POST", RFQ + "create-quote", quote.create_quote, TRADE, (per(50, 2),), needs_body=True),
    Private("POST", RFQ + "cancel-quote", quote.cancel_quote, TRADE, (per(50, 2),), needs_body=True),
    Private("POST", RFQ + "cancel-batch-quotes", quote.cancel_batch_quotes, TRADE, (per(2, 2),), needs_body=True),
    Private("POST", RFQ + "cancel-all-quotes", quote.cancel_all_quotes, TRADE, (per(2, 2),)),
    Private("GET", RFQ + "quotes", quote.quotes, READ, (per(2, 2),)),
    Private("GET", RFQ + "trades", trade.trades, READ, (per(5, 2),)),
    Private("GET", RFQ + "maker-instrument-settings", maker.products, READ, (per(5, 2),)),
    Private(
        "POST",
        RFQ + "maker-instrument-settings",
        maker.set_products,
        TRADE,
        (per(5, 2),),
        needs_body=True,
        array_body=True,
    ),
    Private("POST", RFQ + "mmp-reset", maker.reset_mmp, TRADE, (per(5, 2),)),
    Private("POST", RFQ + "mmp-config", maker.set_mmp, TRADE, (per(1, 10),), needs_body=True),
    Private("GET", RFQ + "mmp-config", maker.mmp, READ, (per(5, 2),)),
    Private("POST", RFQ + "cancel-all-after", maker.cancel_all_after, TRADE, (per(1, 1),), needs_body=True),
    Public("GET", RFQ + "public-trades", market.public_trades, (per(5, 2),)),
    Public("GET", "/api/v5/public/block-trades", market.block_trades, (per(20, 2),)),
    # OKX's legacy path of the same data (python-okx's MarketAPI.get_block_trades, okx-api's getPublicBlockTrades);
    # not in the current docs: the limit of /public/block-trades (docs/compatibility.md).
    Public("GET", "/api/v5/market/block-trades", market.block_trades, (per(20, 2),)),
    Public("GET", "/api/v5/market/block-tickers", market.block_tickers, (per(20, 2),)),
    Public("GET", "/api/v5/market/block-ticker", market.block_ticker, (per(20, 2),)),
    # Read-only account data ccxt's unified API loads (load_markets, fetch_currencies, fetch_balance); not in the
    # block-trading docs: OKX's limits for them (docs/compatibility.md).
    Private("GET", "/api/v5/asset/currencies", asset.currencies, READ, (per(6, 1),)),
    Private("GET", "/api/v5/asset/balances", asset.balances, READ, (per(6, 1),)),
    Private("GET", "/api/v5/account/balance", account.balance, READ, (per(10, 2),)),
)
