"""The Python floor: a raw ASGI app that does the least an OKX endpoint can do.

It reads the request body, parses it as JSON the way openrfq does (msgspec, numbers as Decimal) and answers a
fixed OKX envelope of the same size and shape as openrfq's real answer for that path. No auth, no engine, no
storage: what is left is uvicorn + httptools + uvloop + one JSON parse, i.e. the ceiling for any Python ASGI
venue on this machine.

    uvicorn floor_app:app --app-dir bench --loop uvloop --http httptools --no-access-log --lifespan off
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

_decode = msgspec.json.Decoder(float_hook=Decimal).decode

_QUOTE = (
    b'{"cTime":"1795570048139","uTime":"1795570048139","state":"active","reason":"","validUntil":"1795570108139",'
    b'"rfqId":"1","clRfqId":"","quoteId":"1","clQuoteId":"x1","tag":"","traderCode":"MAKER1","quoteSide":"sell",'
    b'"legs":[{"instId":"BTC-USDT","tdMode":"cash","ccy":"","sz":"1","px":"60000.5","side":"buy","posSide":"",'
    b'"tgtCcy":"base_ccy","tradeQuoteCcy":"USDT"}]}'
)
_ANSWERS = {
    "/api/v5/rfq/create-quote": b'{"code":"0","msg":"","data":[' + _QUOTE + b"]}",
    "/api/v5/rfq/quotes": b'{"code":"0","msg":"","data":[' + _QUOTE + b"]}",
    "/api/v5/rfq/cancel-quote": (
        b'{"code":"0","msg":"","data":[{"quoteId":"1","clQuoteId":"x1","sCode":"0","sMsg":""}]}'
    ),
    "/api/v5/public/time": b'{"code":"0","msg":"","data":[{"ts":"1795570048151"}]}',
}
_HEADERS = {
    path: [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    for path, body in _ANSWERS.items()
}
_DEFAULT = "/api/v5/public/time"


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    if body:
        _decode(body)
    path = scope["path"] if scope["path"] in _ANSWERS else _DEFAULT
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS[path]})
    await send({"type": "http.response.body", "body": _ANSWERS[path]})
