"""Durable before acknowledged: a real ``openrfq serve`` is stopped or SIGKILLed and restarted on the same data
directory; every acknowledged change must be there, nothing unacknowledged may be half-applied, ids never repeat."""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from serverproc import ServerProcess, SignedClient, make_server

CREATE_RFQ, CANCEL_RFQ = "/api/v5/rfq/create-rfq", "/api/v5/rfq/cancel-rfq"
CREATE_QUOTE, CANCEL_QUOTE = "/api/v5/rfq/create-quote", "/api/v5/rfq/cancel-quote"
EXECUTE = "/api/v5/rfq/execute-quote"
LEG = {"instId": "BTC-USDT", "sz": "1", "side": "buy"}


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = make_server(tmp_path)
    proc.start()
    yield proc
    proc.stop()


def _clients(server: ServerProcess) -> tuple[SignedClient, SignedClient, SignedClient]:
    return SignedClient(server, "taker1"), SignedClient(server, "maker1"), SignedClient(server, "maker2")


def _rfq(taker: SignedClient, **extra: Any) -> str:
    answer = taker.post(CREATE_RFQ, {"counterparties": ["MAKER1", "MAKER2"], "legs": [LEG], **extra})
    assert answer["code"] == "0", answer
    rfq_id: str = answer["data"][0]["rfqId"]
    return rfq_id


def _quote_body(rfq_id: str, px: str = "50000", **extra: Any) -> dict[str, Any]:
    return {"rfqId": rfq_id, "quoteSide": "sell", "legs": [{**LEG, "px": px}], **extra}


def _quote(maker: SignedClient, rfq_id: str, **extra: Any) -> str:
    answer = maker.post(CREATE_QUOTE, _quote_body(rfq_id, **extra))
    assert answer["code"] == "0", answer
    quote_id: str = answer["data"][0]["quoteId"]
    return quote_id


def _everything(client: SignedClient) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every RFQ and quote the client can see, newest first, paging with endId... beginId as OKX does."""
    found: dict[str, list[dict[str, Any]]] = {}
    for kind, path, id_field in (("rfqs", "/api/v5/rfq/rfqs", "rfqId"), ("quotes", "/api/v5/rfq/quotes", "quoteId")):
        rows: list[dict[str, Any]] = []
        query = "?limit=100"
        while True:
            page = client.get(path + query)
            assert page["code"] == "0", page
            rows += page["data"]
            if len(page["data"]) < 100:
                break
            query = f"?limit=100&endId={page['data'][-1][id_field]}"
        found[kind] = rows
    return found["rfqs"], found["quotes"]


def test_a_restart_resumes_rfqs_quotes_and_id_counters(fresh_server: ServerProcess) -> None:
    taker, maker1, maker2 = _clients(fresh_server)
    kept = _rfq(taker, clRfqId="keepMe")
    canceled = _rfq(taker)
    q1 = _quote(maker1, kept, clQuoteId="mq1")
    q2 = _quote(maker2, kept)
    _quote(maker1, canceled)
    assert maker2.post(CANCEL_QUOTE, {"quoteId": q2})["data"][0]["sCode"] == "0"
    assert taker.post(CANCEL_RFQ, {"rfqId": canceled})["data"][0]["sCode"] == "0"
    before = {name: _everything(c) for name, c in (("taker", taker), ("maker1", maker1), ("maker2", maker2))}

    fresh_server.stop()
    fresh_server.start()

    after = {name: _everything(c) for name, c in (("taker", taker), ("maker1", maker1), ("maker2", maker2))}
    assert after == before
    assert maker1.post(CANCEL_QUOTE, {"clQuoteId": "mq1"})["data"][0] == {
        "quoteId": q1,
        "clQuoteId": "mq1",
        "sCode": "0",
        "sMsg": "",
    }
    assert int(_rfq(taker)) > int(canceled)
    assert int(_quote(maker2, kept)) > int(q2)
    for client in (taker, maker1, maker2):
        client.close()


def _all_trades(client: SignedClient) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    query = "?limit=100"
    while True:
        page = client.get("/api/v5/rfq/trades" + query)["data"]
        rows += page
        if len(page) < 100:
            return rows
        query = f"?limit=100&endId={page[-1]['blockTdId']}"


TRIALS = 1000 if os.environ.get("OPENRFQ_LONG") else 20


class _Load:
    """Two takers creating RFQs and executing quotes, two makers quoting, replacing and canceling, from several
    threads until the server dies; only what the server acknowledged is remembered."""

    def __init__(self, server: ServerProcess, seed: int) -> None:
        self.server, self.seed = server, seed
        self.rfqs: dict[str, str] = {}  # acknowledged rfqId -> taker
        self.quotes: dict[str, str] = {}  # acknowledged quoteId -> rfqId
        self.canceled: set[str] = set()  # acknowledged cancel-quotes
        self.executed: dict[str, str] = {}  # acknowledged executions: quoteId -> blockTdId
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._run, args=(self._maker, "maker1")),
            threading.Thread(target=self._run, args=(self._maker, "maker2")),
            threading.Thread(target=self._run, args=(self._taker, "taker1")),
            threading.Thread(target=self._run, args=(self._taker, "taker2")),
        ]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def join(self) -> None:
        for t in self.threads:
            t.join(timeout=20)

    def _run(self, body: Any, name: str) -> None:
        client, rng = SignedClient(self.server, name), random.Random(f"{self.seed}:{name}")
        try:
            while True:
                body(client, rng)
        except (httpx.HTTPError, ValueError):
            return  # the server was killed mid-request: that answer was never acknowledged
        finally:
            client.close()

    def _maker(self, client: SignedClient, rng: random.Random) -> None:
        with self.lock:
            rfq_ids = list(self.rfqs)[-10:]
            mine = [q for q in list(self.quotes)[-20:] if q not in self.canceled and q not in self.executed]
        if mine and rng.random() < 0.3:
            quote_id = rng.choice(mine)
            if client.post(CANCEL_QUOTE, {"quoteId": quote_id})["code"] == "0":
                with self.lock:
                    self.canceled.add(quote_id)
        elif rfq_ids:
            rfq_id = rng.choice(rfq_ids)
            answer = client.post(CREATE_QUOTE, _quote_body(rfq_id, px=str(50000 + rng.randrange(100))))
            if answer["code"] == "0":
                with self.lock:
                    self.quotes[answer["data"][0]["quoteId"]] = rfq_id

    def _taker(self, client: SignedClient, rng: random.Random) -> None:
        taker = client.name.upper()
        with self.lock:
            candidates = [(q, r) for q, r in list(self.quotes.items())[-20:] if self.rfqs.get(r) == taker]
        if candidates and rng.random() < 0.5:
            quote_id, rfq_id = rng.choice(candidates)
            answer = client.post(EXECUTE, {"rfqId": rfq_id, "quoteId": quote_id})
            if answer["code"] == "0":
                with self.lock:
                    self.executed[quote_id] = answer["data"][0]["blockTdId"]
        else:
            answer = client.post(CREATE_RFQ, {"counterparties": ["MAKER1", "MAKER2"], "legs": [LEG]})
            if answer["code"] == "0":
                with self.lock:
                    self.rfqs[answer["data"][0]["rfqId"]] = taker


@pytest.mark.parametrize("trial", range(TRIALS))
def test_kill_9_under_mixed_load_loses_nothing_acknowledged_and_half_applies_nothing(
    tmp_path: Path, trial: int
) -> None:
    server = make_server(tmp_path)
    server.start()
    clients = [SignedClient(server, name) for name in ("taker1", "taker2", "maker1", "maker2")]
    try:
        load = _Load(server, trial)
        load.start()
        deadline = time.monotonic() + 20  # a loaded machine may take a while for the first acknowledgements
        while not (load.rfqs and load.quotes) and time.monotonic() < deadline:
            threading.Event().wait(0.01)
        threading.Event().wait(random.Random(trial).uniform(0.2, 0.8))
        server.kill9()
        load.join()
        assert load.rfqs and load.quotes, "the load made no acknowledged changes before the kill"
        print(
            f"acknowledged: {len(load.rfqs)} RFQs, {len(load.quotes)} quotes, "
            f"{len(load.canceled)} cancels, {len(load.executed)} fills"
        )

        server.start()
        taker_views = [_everything(c) for c in clients[:2]]
        rfqs = {r["rfqId"]: r for view in taker_views for r in view[0]}
        maker_quotes = [{q["quoteId"]: q for q in _everything(c)[1]} for c in clients[2:]]
        quotes = {**maker_quotes[0], **maker_quotes[1]}
        trades = [t for c in clients[:2] for t in _all_trades(c)]

        # Every acknowledged change survived.
        assert set(load.rfqs) <= set(rfqs)
        assert set(load.quotes) <= set(quotes)
        assert all(quotes[q]["state"] == "canceled" for q in load.canceled)
        by_quote = {t["quoteId"]: t for t in trades}
        assert all(by_quote[q]["blockTdId"] == td for q, td in load.executed.items())
        # Nothing half-applied: fills, trades and RFQ states agree; replacement left one live quote per maker.
        filled = {q for q, quote in quotes.items() if quote["state"] == "filled"}
        assert filled == set(by_quote)
        assert len({t["rfqId"] for t in trades}) == len(trades)
        assert all(rfqs[t["rfqId"]]["state"] == "filled" for t in trades)
        assert all(q["rfqId"] in rfqs for q in quotes.values())
        for view in maker_quotes:
            live = [q["rfqId"] for q in view.values() if q["state"] == "active"]
            assert len(live) == len(set(live))
        # Ids never repeat: what is created now is newer than anything the dead process handed out.
        new_rfq = _rfq(clients[0])
        assert int(new_rfq) > max(int(r) for r in rfqs)
        assert int(_quote(clients[2], new_rfq)) > max(int(q) for q in quotes)
    finally:
        for client in clients:
            client.close()
        server.stop()


def test_a_cancel_racing_a_replace_has_exactly_one_outcome(fresh_server: ServerProcess) -> None:
    taker, maker, _ = _clients(fresh_server)
    other = SignedClient(fresh_server, "maker1")
    outcomes: set[str] = set()
    for n in range(40):
        rfq_id = _rfq(taker)
        first = _quote(maker, rfq_id, clQuoteId=f"a{n}")
        barrier, answers = threading.Barrier(2), {}

        def cancel() -> None:
            barrier.wait()
            answers["cancel"] = maker.post(CANCEL_QUOTE, {"quoteId": first})

        def replace() -> None:
            barrier.wait()
            answers["replace"] = other.post(CREATE_QUOTE, _quote_body(rfq_id, px="50001", clQuoteId=f"b{n}"))

        threads = [threading.Thread(target=cancel), threading.Thread(target=replace)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        assert answers["replace"]["code"] == "0", answers
        second = answers["replace"]["data"][0]["quoteId"]
        item = answers["cancel"]["data"][0]
        outcomes.add(item["sCode"])
        if item["sCode"] == "70400":  # the replacement came first and already ended the quote
            assert item["sMsg"] == "The Quote with canceled status cannot be canceled"
        else:
            assert item == {"quoteId": first, "clQuoteId": f"a{n}", "sCode": "0", "sMsg": ""}
        states = {q["quoteId"]: q["state"] for q in maker.get(f"/api/v5/rfq/quotes?rfqId={rfq_id}")["data"]}
        assert states == {first: "canceled", second: "active"}
    assert outcomes <= {"0", "70400"}
    for client in (taker, maker, other):
        client.close()


def test_timers_that_came_due_while_down_fire_at_start_up(tmp_path: Path) -> None:
    server = make_server(tmp_path)
    server.start()
    taker, maker1, maker2 = _clients(server)
    try:
        rfq_id = _rfq(taker)
        quote_id = _quote(maker1, rfq_id, expiresIn="10")
        assert maker2.post("/api/v5/rfq/cancel-all-after", {"timeOut": "10"})["code"] == "0"
        other = _quote(maker2, rfq_id, expiresIn="120")
        server.kill9()
        threading.Event().wait(10.5)  # both countdowns run out while the server is down
        server.start()

        # No request has touched the venue yet; the metrics show what start-up already fired.
        metrics = httpx.get(server.url + "/metrics").text
        assert "openrfq_active_quotes 0.0" in metrics
        states = {q["quoteId"]: q["state"] for c in (maker1, maker2) for q in c.get("/api/v5/rfq/quotes")["data"]}
        assert states == {quote_id: "expired", other: "canceled"}
    finally:
        for client in (taker, maker1, maker2):
            client.close()
        server.stop()
