"""The REST half of the client: one method per endpoint of openrfq (or any OKX v5 block-trading venue).

    async with OpenRfqClient("http://127.0.0.1:8080", "demo-taker1-key", "DEMO-TAKER1-SECRET", "Demo-taker1-pass") as c:
        rfq = await c.create_rfq(["MAKER1"], [Leg("BTC-USDT", "0.5", "buy")])
        quotes = await c.quotes(rfqId=rfq.rfq_id)

Requests are signed as OKX specifies; answers decode into the wire Structs (``answers``): snake_case attributes,
prices and sizes as ``Decimal``, times as ``int``. A refused request raises ``ApiError`` carrying OKX's code and
message; batch cancels return their per-item results instead, since partial success (code "2") is an answer, not
an error.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx
import msgspec

from openrfq.client.answers import (
    BlockTicker,
    CancelAllAfter,
    CancelResult,
    Counterparty,
    Execution,
    Instrument,
    MarkPrice,
    MmpConfig,
    PublicBlockTrade,
    PublicTrade,
    Quote,
    Rfq,
    Timestamp,
    Trade,
)
from openrfq.client.signing import Key, signed_headers

T = TypeVar("T")


class Leg(msgspec.Struct, rename="camel", omit_defaults=True):
    """A leg to send: in create-rfq (``lmt_px`` optional), create-quote (``px`` required) or execute-quote."""

    inst_id: str
    sz: Decimal | str
    side: str = ""
    px: Decimal | str | None = None
    lmt_px: Decimal | str | None = None
    td_mode: str = ""
    ccy: str = ""
    pos_side: str = ""
    tgt_ccy: str = ""
    trade_quote_ccy: str = ""


def _leg_json(leg: Leg) -> dict[str, Any]:
    """A leg as OKX expects it: Decimals as plain numbers ("0.00000062", never str()'s "6.2E-7")."""
    raw: dict[str, Any] = msgspec.to_builtins(leg, builtin_types=(Decimal,))
    return {k: format(v, "f") if isinstance(v, Decimal) else v for k, v in raw.items()}


class _Envelope(msgspec.Struct):
    code: str
    msg: str = ""
    data: list[Any] = []


class ApiError(Exception):
    """OKX refused the request: ``code``/``msg`` are the envelope's, or a failed item's sCode/sMsg."""

    def __init__(self, code: str, msg: str, http_status: int, items: list[Any] | None = None) -> None:
        super().__init__(f"{code}: {msg}")
        self.code, self.msg, self.http_status, self.items = code, msg, http_status, items or []


def _clean(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v not in (None, "", [], ())}


class OpenRfqClient:
    def __init__(
        self,
        base_url: str,
        api_key: str = "",
        secret_key: str = "",
        passphrase: str = "",
        *,
        clock_ms: Callable[[], int] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self._key = Key(api_key, secret_key, passphrase)
        self._clock_ms = clock_ms or (lambda: int(time.time() * 1000))
        self._http = httpx.AsyncClient(base_url=base_url, transport=transport, timeout=timeout, verify=verify)

    async def __aenter__(self) -> OpenRfqClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(
        self, method: str, path: str, params: dict[str, Any] | list[Any] | None, kind: type[T], batch: bool = False
    ) -> list[T]:
        if method == "GET":
            query = urlencode(_clean(params or {}))  # type: ignore[arg-type]
            target, body = path + ("?" + query if query else ""), b""
        else:
            target = path
            body = msgspec.json.encode(_clean(params) if isinstance(params, dict) else params) if params else b""
        headers = {"Content-Type": "application/json"}
        if self._key.api_key:
            headers = signed_headers(self._key, method, target, body.decode(), self._clock_ms())
        response = await self._http.request(method, target, content=body, headers=headers)
        try:
            envelope = msgspec.json.decode(response.content, type=_Envelope)
        except msgspec.DecodeError:
            raise ApiError(str(response.status_code), response.text[:200], response.status_code) from None
        if envelope.code == "0" or (batch and envelope.code in ("1", "2") and envelope.data):
            return msgspec.convert(envelope.data, list[kind], strict=False)  # type: ignore[valid-type]
        failed = next(
            (item for item in envelope.data if isinstance(item, dict) and item.get("sCode") not in (None, "0")), None
        )
        if failed is not None:
            raise ApiError(failed["sCode"], failed.get("sMsg", ""), response.status_code, envelope.data)
        raise ApiError(envelope.code, envelope.msg, response.status_code, envelope.data)

    async def _one(self, method: str, path: str, params: dict[str, Any] | list[Any] | None, kind: type[T]) -> T:
        return (await self._call(method, path, params, kind))[0]

    # --- RFQs ---------------------------------------------------------------------------------------------------

    async def counterparties(self) -> list[Counterparty]:
        return await self._call("GET", "/api/v5/rfq/counterparties", None, Counterparty)

    async def create_rfq(
        self,
        counterparties: Sequence[str],
        legs: Sequence[Leg],
        *,
        anonymous: bool = False,
        cl_rfq_id: str = "",
        tag: str = "",
        allow_partial_execution: bool = False,
        acct_alloc: Mapping[str, Sequence[Leg]] | None = None,
    ) -> Rfq:
        """``acct_alloc``: a group RFQ, each account ("0": your own, else a sub-account) with its legs (instId, sz)."""
        params: dict[str, Any] = {
            "counterparties": list(counterparties),
            "legs": [_leg_json(leg) for leg in legs],
            "anonymous": anonymous,
            "clRfqId": cl_rfq_id,
            "tag": tag,
            "allowPartialExecution": allow_partial_execution,
        }
        if acct_alloc:
            params["acctAlloc"] = [
                {"acct": acct, "legs": [_leg_json(leg) for leg in alloc_legs]}
                for acct, alloc_legs in acct_alloc.items()
            ]
        return await self._one("POST", "/api/v5/rfq/create-rfq", params, Rfq)

    async def cancel_rfq(self, rfq_id: str = "", cl_rfq_id: str = "") -> CancelResult:
        return await self._one("POST", "/api/v5/rfq/cancel-rfq", {"rfqId": rfq_id, "clRfqId": cl_rfq_id}, CancelResult)

    async def cancel_batch_rfqs(
        self, rfq_ids: Sequence[str] = (), cl_rfq_ids: Sequence[str] = ()
    ) -> list[CancelResult]:
        params = {"rfqIds": list(rfq_ids), "clRfqIds": list(cl_rfq_ids)}
        return await self._call("POST", "/api/v5/rfq/cancel-batch-rfqs", params, CancelResult, batch=True)

    async def cancel_all_rfqs(self) -> Timestamp:
        return await self._one("POST", "/api/v5/rfq/cancel-all-rfqs", None, Timestamp)

    async def execute_quote(self, rfq_id: str, quote_id: str, legs: Sequence[Leg] = ()) -> Execution:
        params = {
            "rfqId": rfq_id,
            "quoteId": quote_id,
            "legs": [{"instId": leg.inst_id, "sz": _leg_json(leg)["sz"]} for leg in legs],
        }
        return await self._one("POST", "/api/v5/rfq/execute-quote", params, Execution)

    async def rfqs(self, **filters: str) -> list[Rfq]:
        """Filters by OKX name: rfqId, clRfqId, state, beginId, endId, limit."""
        return await self._call("GET", "/api/v5/rfq/rfqs", filters, Rfq)

    # --- quotes -------------------------------------------------------------------------------------------------

    async def create_quote(
        self,
        rfq_id: str,
        quote_side: str,
        legs: Sequence[Leg],
        *,
        cl_quote_id: str = "",
        tag: str = "",
        anonymous: bool = False,
        expires_in: int | None = None,
    ) -> Quote:
        params = {
            "rfqId": rfq_id,
            "quoteSide": quote_side,
            "legs": [_leg_json(leg) for leg in legs],
            "clQuoteId": cl_quote_id,
            "tag": tag,
            "anonymous": anonymous,
            "expiresIn": "" if expires_in is None else str(expires_in),
        }
        return await self._one("POST", "/api/v5/rfq/create-quote", params, Quote)

    async def cancel_quote(self, quote_id: str = "", cl_quote_id: str = "", rfq_id: str = "") -> CancelResult:
        params = {"quoteId": quote_id, "clQuoteId": cl_quote_id, "rfqId": rfq_id}
        return await self._one("POST", "/api/v5/rfq/cancel-quote", params, CancelResult)

    async def cancel_batch_quotes(
        self, quote_ids: Sequence[str] = (), cl_quote_ids: Sequence[str] = ()
    ) -> list[CancelResult]:
        params = {"quoteIds": list(quote_ids), "clQuoteIds": list(cl_quote_ids)}
        return await self._call("POST", "/api/v5/rfq/cancel-batch-quotes", params, CancelResult, batch=True)

    async def cancel_all_quotes(self) -> Timestamp:
        return await self._one("POST", "/api/v5/rfq/cancel-all-quotes", None, Timestamp)

    async def cancel_all_after(self, time_out_s: int) -> CancelAllAfter:
        return await self._one("POST", "/api/v5/rfq/cancel-all-after", {"timeOut": str(time_out_s)}, CancelAllAfter)

    async def quotes(self, **filters: str) -> list[Quote]:
        """Filters by OKX name: rfqId, clRfqId, quoteId, clQuoteId, state, beginId, endId, limit."""
        return await self._call("GET", "/api/v5/rfq/quotes", filters, Quote)

    async def trades(self, **filters: str) -> list[Trade]:
        """Filters by OKX name: rfqId, clRfqId, quoteId, clQuoteId, blockTdId, beginId, endId, beginTs, endTs..."""
        return await self._call("GET", "/api/v5/rfq/trades", filters, Trade)

    # --- maker controls -----------------------------------------------------------------------------------------

    async def set_quote_products(self, settings: list[dict[str, Any]]) -> bool:
        answer = await self._call("POST", "/api/v5/rfq/maker-instrument-settings", settings, dict)
        return bool(answer[0]["result"])

    async def quote_products(self) -> list[dict[str, Any]]:
        return await self._call("GET", "/api/v5/rfq/maker-instrument-settings", None, dict)

    async def set_mmp(self, time_interval_ms: int, frozen_interval_ms: int, count_limit: int) -> MmpConfig:
        params = {
            "timeInterval": str(time_interval_ms),
            "frozenInterval": str(frozen_interval_ms),
            "countLimit": str(count_limit),
        }
        return await self._one("POST", "/api/v5/rfq/mmp-config", params, MmpConfig)

    async def mmp(self) -> MmpConfig:
        return await self._one("GET", "/api/v5/rfq/mmp-config", None, MmpConfig)

    async def reset_mmp(self) -> Timestamp:
        return await self._one("POST", "/api/v5/rfq/mmp-reset", None, Timestamp)

    # --- public -------------------------------------------------------------------------------------------------

    async def public_trades(self, **filters: str) -> list[PublicTrade]:
        return await self._call("GET", "/api/v5/rfq/public-trades", filters, PublicTrade)

    async def public_block_trades(self, inst_id: str) -> list[PublicBlockTrade]:
        return await self._call("GET", "/api/v5/public/block-trades", {"instId": inst_id}, PublicBlockTrade)

    async def block_tickers(self, inst_type: str, inst_family: str = "") -> list[BlockTicker]:
        params = {"instType": inst_type, "instFamily": inst_family}
        return await self._call("GET", "/api/v5/market/block-tickers", params, BlockTicker)

    async def block_ticker(self, inst_id: str) -> BlockTicker:
        return await self._one("GET", "/api/v5/market/block-ticker", {"instId": inst_id}, BlockTicker)

    async def instruments(self, inst_type: str, inst_family: str = "", inst_id: str = "") -> list[Instrument]:
        params = {"instType": inst_type, "instFamily": inst_family, "instId": inst_id}
        return await self._call("GET", "/api/v5/public/instruments", params, Instrument)

    async def mark_prices(self, inst_type: str, inst_family: str = "", inst_id: str = "") -> list[MarkPrice]:
        params = {"instType": inst_type, "instFamily": inst_family, "instId": inst_id}
        return await self._call("GET", "/api/v5/public/mark-price", params, MarkPrice)

    async def server_time(self) -> int:
        return (await self._one("GET", "/api/v5/public/time", None, Timestamp)).ts
