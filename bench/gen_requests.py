"""Pre-signed requests for wrk, one file per connection (wrk's Lua has no HMAC).

Every request carries real OKX auth headers: OK-ACCESS-SIGN = base64(HMAC-SHA256(secret, timestamp + METHOD +
path + body)). The timestamp is fixed per file set and set a little ahead of "now" (``ahead_ms``) so the set
stays inside the server's 30 s window for a short run right after generation:
valid from now + ahead - 30 s to now + ahead + 30 s.

File format: for each request, its length in bytes in ASCII, a newline, then the raw HTTP/1.1 request.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from common import MAKERS, QUOTE_LEG, RFQ_LEG, TAKER, call, iso_ms, raw_request

DEFAULT_AHEAD_MS = 10_000


def _write(path: Path, requests: list[bytes]) -> None:
    with open(path, "wb") as f:
        for r in requests:
            f.write(b"%d\n" % len(r))
            f.write(r)


def _body(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def maker_of(conn: int) -> tuple[str, ...]:
    return MAKERS[conn % len(MAKERS)]


def create_rfqs(port: int, count: int) -> list[str]:
    """One RFQ per connection, sent by the taker to every maker, created through REST (2 min TTL)."""
    counterparties = [m[0] for m in MAKERS]
    ids = []
    for _ in range(count):
        answer = call(
            port, TAKER, "POST", "/api/v5/rfq/create-rfq", {"counterparties": counterparties, "legs": [RFQ_LEG]}
        )
        if answer["code"] != "0":
            raise RuntimeError(f"create-rfq failed: {answer}")
        ids.append(answer["data"][0]["rfqId"])
    return ids


def create_cancel_loop(
    reqdir: Path, port: int, rfq_ids: list[str], tag: str, pairs: int = 1000, ahead_ms: int = DEFAULT_AHEAD_MS
) -> None:
    """Connection i: create-quote clQuoteId=<tag>c<i>k<k> on its own RFQ, then cancel-quote by that clQuoteId.

    Maker of connection i is MAKER(i % 4 + 1); RFQs are per connection, so no connection ever replaces or
    cancels another's quote. Wrapping around re-uses a clQuoteId only after its quote was canceled.
    """
    reqdir.mkdir(parents=True, exist_ok=True)
    ts = iso_ms(int(time.time() * 1000) + ahead_ms)
    host = f"127.0.0.1:{port}"
    for i, rfq_id in enumerate(rfq_ids):
        maker = maker_of(i)
        requests = []
        for k in range(pairs):
            cl = f"{tag}c{i}k{k}"
            create = _body({"rfqId": rfq_id, "clQuoteId": cl, "quoteSide": "sell", "legs": [QUOTE_LEG]})
            requests.append(raw_request(host, maker, "POST", "/api/v5/rfq/create-quote", create, ts))
            requests.append(raw_request(host, maker, "POST", "/api/v5/rfq/cancel-quote", _body({"clQuoteId": cl}), ts))
        _write(reqdir / f"conn{i + 1}.req", requests)


def get_quotes(reqdir: Path, port: int, rfq_ids: list[str], tag: str, ahead_ms: int = DEFAULT_AHEAD_MS) -> None:
    """Connection i: its maker's GET /api/v5/rfq/quotes?rfqId=<its RFQ>; the RFQ holds one live quote."""
    reqdir.mkdir(parents=True, exist_ok=True)
    ts = iso_ms(int(time.time() * 1000) + ahead_ms)
    host = f"127.0.0.1:{port}"
    for i, rfq_id in enumerate(rfq_ids):
        maker = maker_of(i)
        target = f"/api/v5/rfq/quotes?rfqId={rfq_id}"
        _write(reqdir / f"conn{i + 1}.req", [raw_request(host, maker, "GET", target, "", ts)])


def get_old_quotes(
    reqdir: Path, port: int, connections: int, stored: int, per_conn: int = 500, ahead_ms: int = DEFAULT_AHEAD_MS
) -> None:
    """Connection i: its maker's GET /api/v5/rfq/quotes?quoteId=<id> for quotes of the seeded history that ended
    long ago (the oldest half of ``stored``, spread over it), each one its maker's (bench/seed.py: quote ``q`` was
    made by MAKER((q - 1) % 4 + 1))."""
    reqdir.mkdir(parents=True, exist_ok=True)
    ts = iso_ms(int(time.time() * 1000) + ahead_ms)
    host = f"127.0.0.1:{port}"
    makers = len(MAKERS)
    span = max(makers, stored // 2)
    for i in range(connections):
        maker = maker_of(i)
        requests = []
        for k in range(per_conn):
            n = (k * connections + i) * 7_919 % span  # spread over the oldest half, no two alike in a run
            quote_id = n - n % makers + i % makers + 1
            target = f"/api/v5/rfq/quotes?quoteId={quote_id}"
            requests.append(raw_request(host, maker, "GET", target, "", ts))
        _write(reqdir / f"conn{i + 1}.req", requests)


def seed_one_quote_each(port: int, rfq_ids: list[str], tag: str) -> None:
    for i, rfq_id in enumerate(rfq_ids):
        body = {"rfqId": rfq_id, "clQuoteId": f"{tag}c{i}", "quoteSide": "sell", "legs": [QUOTE_LEG]}
        answer = call(port, maker_of(i), "POST", "/api/v5/rfq/create-quote", body)
        if answer["code"] != "0":
            raise RuntimeError(f"create-quote failed: {answer}")
