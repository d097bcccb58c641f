"""Durable before acknowledged: a real ``openrfq serve`` is stopped or SIGKILLed and restarted on the same data
directory; every acknowledged change must be there, nothing unacknowledged may be half-applied, ids never repeat."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from serverproc import ServerProcess, SignedClient, make_server

CREATE_RFQ, CANCEL_RFQ = "/api/v5/rfq/create-rfq", "/api/v5/rfq/cancel-rfq"
CREATE_QUOTE, CANCEL_QUOTE = "/api/v5/rfq/create-quote", "/api/v5/rfq/cancel-quote"
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
        "quoteId": q1, "clQuoteId": "mq1", "sCode": "0", "sMsg": ""
    }
    assert int(_rfq(taker)) > int(canceled)
    assert int(_quote(maker2, kept)) > int(q2)
    for client in (taker, maker1, maker2):
        client.close()


class _Load:
    """Makers quoting, replacing and canceling on the taker's RFQs from several threads until the server dies,
    remembering only what the server acknowledged."""

    def __init__(self, server: ServerProcess, rfq_ids: list[str]) -> None:
        self.server, self.rfq_ids = server, rfq_ids
        self.created: dict[str, str] = {}  # acknowledged quoteId -> rfqId
        self.canceled: set[str] = set()  # acknowledged cancels
        self.rfqs_created: list[str] = []
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._maker, args=("maker1", 1)),
            threading.Thread(target=self._maker, args=("maker2", 2)),
            threading.Thread(target=self._taker),
        ]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def join(self) -> None:
        for t in self.threads:
            t.join(timeout=20)

    def _maker(self, name: str, seed: int) -> None:
        client, rng = SignedClient(self.server, name), random.Random(seed)
        mine: list[str] = []
        try:
            while True:
                if mine and rng.random() < 0.4:
                    quote_id = mine.pop(rng.randrange(len(mine)))
                    answer = client.post(CANCEL_QUOTE, {"quoteId": quote_id})
                    if answer["code"] == "0":
                        with self.lock:
                            self.canceled.add(quote_id)
                else:
                    rfq_id = rng.choice(self.rfq_ids)
                    answer = client.post(CREATE_QUOTE, _quote_body(rfq_id, px=str(50000 + rng.randrange(100))))
                    if answer["code"] == "0":
                        quote_id = answer["data"][0]["quoteId"]
                        mine.append(quote_id)
                        with self.lock:
                            self.created[quote_id] = rfq_id
        except (httpx.HTTPError, ValueError):
            return  # the server was killed mid-request: that answer was never acknowledged
        finally:
            client.close()

    def _taker(self) -> None:
        client = SignedClient(self.server, "taker1")
        try:
            while True:
                answer = client.post(CREATE_RFQ, {"counterparties": ["MAKER1"], "legs": [LEG]})
                if answer["code"] == "0":
                    with self.lock:
                        self.rfqs_created.append(answer["data"][0]["rfqId"])
        except (httpx.HTTPError, ValueError):
            return
        finally:
            client.close()


@pytest.mark.parametrize("trial", range(3))
def test_kill_9_loses_nothing_acknowledged_and_half_applies_nothing(tmp_path: Path, trial: int) -> None:
    server = make_server(tmp_path)
    server.start()
    taker, maker1, maker2 = _clients(server)
    try:
        rfq_ids = [_rfq(taker) for _ in range(3)]
        load = _Load(server, rfq_ids)
        load.start()
        threading.Event().wait(random.Random(trial).uniform(0.3, 1.0))
        server.kill9()
        load.join()
        assert load.created, "the load made no acknowledged quotes before the kill"
        print(f"acknowledged: {len(load.created)} quotes, {len(load.canceled)} cancels, {len(load.rfqs_created)} RFQs")

        server.start()
        maker_views = {c.name: {q["quoteId"]: q for q in _everything(c)[1]} for c in (maker1, maker2)}
        quotes = {**maker_views["maker1"], **maker_views["maker2"]}
        rfqs = {r["rfqId"]: r for r in _everything(taker)[0]}

        # Every acknowledged create and cancel survived.
        assert set(load.created) <= set(quotes)
        assert {q for q in load.canceled if quotes[q]["state"] != "canceled"} == set()
        assert set(load.rfqs_created) <= set(rfqs)
        # Nothing half-applied: every quote's RFQ exists, and replacement left at most one live quote per maker and RFQ.
        assert all(q["rfqId"] in rfqs for q in quotes.values())
        live = [(q["rfqId"], q["quoteId"]) for view in maker_views.values() for q in view.values() if q["state"] == "active"]
        for view in maker_views.values():
            per_rfq = [q["rfqId"] for q in view.values() if q["state"] == "active"]
            assert len(per_rfq) == len(set(per_rfq)), live
        # Ids never repeat: what is created now is newer than anything the dead process handed out.
        new_quote = _quote(maker1, rfq_ids[0])
        assert int(new_quote) > max(int(q) for q in quotes)
        assert int(_rfq(taker)) > max(int(r) for r in rfqs)
    finally:
        for client in (taker, maker1, maker2):
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
