"""History out of RAM (issue 21): every read of history answers the same whether the venue still holds the ended
entities in memory, let them go to the store (``[store] history_cache`` at 0), or was restarted between the
writes and the reads (start-up loads what is live alone).

One scenario writes RFQs, quotes, replacements, cancels, expiries, executions and client-id reuse; then every
party reads Get RFQs, Get quotes, Get trades, public trades, the block tickers and public block trades with
their filters and pages, and cancels ended quotes by id and by clQuoteId (70400 with the state, 70001 for what
is not the caller's). The reference is a venue that never lets anything go; every other way must match it
byte for byte.

Self-contained on purpose (the venue built with ``openrfq.runtime.build_app``, requests signed here), so that it
tests the store's reads and not a harness.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import sqlite3
from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager, closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from openrfq.asgi import VenueApp
from openrfq.client.signing import signed_headers
from openrfq.config import ApiKey, Config, parse_config
from openrfq.domain.clock import ManualClock
from openrfq.runtime import DB_NAME, build_app
from openrfq.store.schema import SCHEMA_VERSION

START_MS = 1_763_000_000_000
TODAY = datetime.date(2025, 11, 13)
EVERYTHING = 10_000_000  # a cache that never lets an entity go: today's venue, the reference

_ACCOUNT = """
[[accounts]]
uid = "{uid}"
trader_code = "{code}"
trader_name = "{code} Ltd"
type = "{kind}"
  [[accounts.keys]]
  api_key = "{code}-key"
  secret_key = "{code}-SECRET"
  passphrase = "{code}-pass"
  permissions = ["read", "trade"]
"""
PARTIES = {"TAKER1": ("100001", ""), "TAKER2": ("100002", ""), "MAKER1": ("200001", "LP"), "MAKER2": ("200002", "LP")}


def config(history_cache: int) -> Config:
    text = f"bots = []\n[rate_limits]\nenabled = false\n[store]\nhistory_cache = {history_cache}\n"
    text += "".join(_ACCOUNT.format(uid=uid, code=code, kind=kind) for code, (uid, kind) in PARTIES.items())
    return parse_config(text, "test", TODAY)


@dataclass
class Client:
    http: httpx.AsyncClient
    clock: ManualClock
    key: ApiKey

    async def call(self, method: str, target: str, body: Any = None) -> dict[str, Any]:
        text = "" if body is None else json.dumps(body)
        headers = signed_headers(self.key, method, target, text, self.clock.now_ms())
        response = await self.http.request(method, target, content=text.encode(), headers=headers)
        answer: dict[str, Any] = {"status": response.status_code, **response.json()}
        return answer

    async def post(self, path: str, body: Any) -> dict[str, Any]:
        return await self.call("POST", "/api/v5/rfq/" + path, body)

    async def ok(self, path: str, body: Any) -> dict[str, Any]:
        answer = await self.post(path, body)
        assert answer["code"] == "0", answer
        first: dict[str, Any] = answer["data"][0]
        return first


@dataclass
class Opened:
    app: VenueApp
    clock: ManualClock
    parties: dict[str, Client]


@asynccontextmanager
async def opened(
    data_dir: Path, clock: ManualClock, history_cache: int, store: str | None = None
) -> AsyncIterator[Opened]:
    """The venue on ``data_dir`` (SQLite), or on ``store`` (a PostgreSQL URL: conftest.py's ``store``)."""
    cfg = config(history_cache)
    app = build_app(cfg, data_dir, clock, store=store)
    try:

        async def asgi(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
            await app(dict(scope), receive, send)  # httpx types the scope a MutableMapping, ASGI a dict

        transport = httpx.ASGITransport(app=asgi, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://openrfq.test") as http:
            keys = {a.trader_code: a.keys[0] for a in cfg.accounts if a.trader_code in PARTIES}
            yield Opened(app, clock, {code: Client(http, clock, key) for code, key in keys.items()})
    finally:
        await app.services.committer.close()


def spot(sz: str = "1.5", side: str = "buy") -> list[dict[str, str]]:
    return [{"instId": "BTC-USDT", "sz": sz, "side": side}]


def quote(rfq_id: str, px: str, cl: str = "", sz: str = "1.5") -> dict[str, Any]:
    body: dict[str, Any] = {
        "rfqId": rfq_id,
        "quoteSide": "buy",
        "legs": [{"instId": "BTC-USDT", "sz": sz, "side": "buy", "px": px}],
    }
    if cl:
        body["clQuoteId"] = cl
    return body


async def write(v: Opened) -> dict[str, str]:
    """The scenario; the ids the reads ask for."""
    t1, t2, m1, m2 = (v.parties[c] for c in ("TAKER1", "TAKER2", "MAKER1", "MAKER2"))
    ids: dict[str, str] = {}
    both = ["MAKER1", "MAKER2"]
    # An RFQ executed against the better of two quotes, the other quote replaced first.
    r1 = (await t1.ok("create-rfq", {"counterparties": both, "legs": spot(), "clRfqId": "again"}))["rfqId"]
    q1a = (await m1.ok("create-quote", quote(r1, "50000.1", cl="mine")))["quoteId"]
    q1b = (await m1.ok("create-quote", quote(r1, "50000.2", cl="mine")))["quoteId"]  # replaces q1a
    q1c = (await m2.ok("create-quote", quote(r1, "50000.3", cl="theirs")))["quoteId"]
    await t1.ok("execute-quote", {"rfqId": r1, "quoteId": q1b})
    ids.update(r1=r1, q1a=q1a, q1b=q1b, q1c=q1c)
    v.clock.advance(1_000)
    # An RFQ canceled with a live quote; then the same clRfqId used again (a client id reused once ended).
    r2 = (await t1.ok("create-rfq", {"counterparties": ["MAKER1"], "legs": spot("2"), "clRfqId": "again"}))["rfqId"]
    q2 = (await m1.ok("create-quote", quote(r2, "49999", cl="mine", sz="2")))["quoteId"]
    await t1.ok("cancel-rfq", {"rfqId": r2})
    ids.update(r2=r2, q2=q2)
    # Quotes canceled by the maker, by id and by client id; an RFQ of another taker, executed.
    r3 = (await t2.ok("create-rfq", {"counterparties": both, "legs": spot("0.5")}))["rfqId"]
    q3a = (await m1.ok("create-quote", quote(r3, "50001", cl="gone", sz="0.5")))["quoteId"]
    q3b = (await m2.ok("create-quote", quote(r3, "50002", sz="0.5")))["quoteId"]
    await m1.ok("cancel-quote", {"quoteId": q3a})
    q3c = (await m1.ok("create-quote", quote(r3, "50003", cl="mine", sz="0.5")))["quoteId"]
    await t2.ok("execute-quote", {"rfqId": r3, "quoteId": q3b})
    ids.update(r3=r3, q3a=q3a, q3b=q3b, q3c=q3c)
    v.clock.advance(2_000)
    # Quotes and RFQs that expire.
    r4 = (await t1.ok("create-rfq", {"counterparties": both, "legs": spot("3")}))["rfqId"]
    q4 = (await m2.ok("create-quote", quote(r4, "50010", cl="theirs", sz="3")))["quoteId"]
    ids.update(r4=r4, q4=q4)
    v.clock.advance(24 * 3_600_000)  # a day on: r4 and q4 expired, r1's and r3's trades out of the 24 h volume
    # Trades within the 24 h window, more RFQs than a page, and what is still live at the end.
    for n in range(5):
        r = (await t1.ok("create-rfq", {"counterparties": both, "legs": spot(f"1.{n + 1}")}))["rfqId"]
        q = (await m1.ok("create-quote", quote(r, f"5010{n}", cl=f"loop{n % 2}", sz=f"1.{n + 1}")))["quoteId"]
        if n % 2 == 0:
            await t1.ok("execute-quote", {"rfqId": r, "quoteId": q})
        else:
            await m1.ok("cancel-quote", {"clQuoteId": f"loop{n % 2}"})
        ids[f"r5{n}"], ids[f"q5{n}"] = r, q
        v.clock.advance(500)
    r6 = (await t1.ok("create-rfq", {"counterparties": both, "legs": spot(), "clRfqId": "live"}))["rfqId"]
    q6 = (await m2.ok("create-quote", quote(r6, "50200", cl="live")))["quoteId"]
    ids.update(r6=r6, q6=q6)
    v.clock.advance(100)
    await v.app.services.committer.durable()
    return ids


def reads(ids: dict[str, str]) -> list[tuple[str, str, str, Any]]:
    """(party, method, target, body) of every read, in order."""
    out: list[tuple[str, str, str, Any]] = []
    get = "GET"
    for who in PARTIES:
        for path in ("rfqs", "quotes", "trades"):
            out.append((who, get, f"/api/v5/rfq/{path}", None))
            out.append((who, get, f"/api/v5/rfq/{path}?limit=2", None))
            out.append((who, get, f"/api/v5/rfq/{path}?limit=3&endId={ids['r53']}", None))
            out.append((who, get, f"/api/v5/rfq/{path}?beginId={ids['q1c']}&endId={ids['q54']}", None))
        for state in ("active", "canceled", "expired", "filled", "traded_away"):
            out.append((who, get, f"/api/v5/rfq/rfqs?state={state}", None))
        for state in ("active", "canceled", "expired", "filled"):
            out.append((who, get, f"/api/v5/rfq/quotes?state={state}", None))
        for key in ("r1", "r2", "r3", "r4", "r52", "r6"):
            out.append((who, get, f"/api/v5/rfq/rfqs?rfqId={ids[key]}", None))
            out.append((who, get, f"/api/v5/rfq/quotes?rfqId={ids[key]}", None))
            out.append((who, get, f"/api/v5/rfq/quotes?rfqId={ids[key]}&state=canceled", None))
            out.append((who, get, f"/api/v5/rfq/trades?rfqId={ids[key]}", None))
        for key in ("q1a", "q1b", "q1c", "q2", "q3a", "q3b", "q4", "q50", "q6"):
            out.append((who, get, f"/api/v5/rfq/quotes?quoteId={ids[key]}", None))
            out.append((who, get, f"/api/v5/rfq/trades?quoteId={ids[key]}", None))
        for cl in ("again", "live", "nothing"):
            out.append((who, get, f"/api/v5/rfq/rfqs?clRfqId={cl}", None))
            out.append((who, get, f"/api/v5/rfq/quotes?clRfqId={cl}", None))
            out.append((who, get, f"/api/v5/rfq/trades?clRfqId={cl}", None))
        for cl in ("mine", "theirs", "gone", "loop0", "loop1", "live"):
            out.append((who, get, f"/api/v5/rfq/quotes?clQuoteId={cl}", None))
            out.append((who, get, f"/api/v5/rfq/trades?clQuoteId={cl}", None))
        out.append((who, get, "/api/v5/rfq/trades?isSuccessful=false", None))
        out.append((who, get, f"/api/v5/rfq/trades?beginTs={START_MS + 500}&endTs={START_MS + 86_400_000}", None))
        for td in range(1, 8):
            out.append((who, get, f"/api/v5/rfq/trades?blockTdId={td}", None))
    for target in (
        "/api/v5/rfq/public-trades",
        "/api/v5/rfq/public-trades?limit=2",
        "/api/v5/rfq/public-trades?beginId=1&endId=6",
        "/api/v5/market/block-tickers?instType=SPOT",
        "/api/v5/market/block-ticker?instId=BTC-USDT",
        "/api/v5/public/block-trades?instId=BTC-USDT",
        "/api/v5/market/block-trades?instId=BTC-USDT",
    ):
        out.append(("TAKER1", get, target, None))
    # Cancel Quote of ended quotes (70400 with the state) and of someone else's (70001), by id and by client id.
    for who in ("MAKER1", "MAKER2", "TAKER1"):
        for key in ("q1a", "q1b", "q1c", "q2", "q3a", "q4", "q51"):
            out.append((who, "POST", "/api/v5/rfq/cancel-quote", {"quoteId": ids[key]}))
        for cl in ("mine", "theirs", "gone", "loop1"):
            out.append((who, "POST", "/api/v5/rfq/cancel-quote", {"clQuoteId": cl}))
        out.append((who, "POST", "/api/v5/rfq/cancel-batch-quotes", {"quoteIds": [ids["q2"], ids["q4"]]}))
    out.append(("TAKER1", "POST", "/api/v5/rfq/cancel-rfq", {"rfqId": ids["r2"]}))
    out.append(("TAKER1", "POST", "/api/v5/rfq/cancel-rfq", {"clRfqId": "again"}))
    out.append(("TAKER1", "POST", "/api/v5/rfq/execute-quote", {"rfqId": ids["r1"], "quoteId": ids["q1b"]}))
    return out


async def read_all(v: Opened, ids: dict[str, str]) -> list[dict[str, Any]]:
    answers = []
    for who, method, target, body in reads(ids):
        answer = await v.parties[who].call(method, target, body)
        answers.append({"who": who, "method": method, "target": target, "body": body, "answer": answer})
    return answers


async def scenario(
    data_dir: Path, write_cache: int, read_cache: int, restart: bool, store: str | None = None
) -> list[dict[str, Any]]:
    clock = ManualClock(START_MS)
    async with opened(data_dir, clock, write_cache, store) as v:
        ids = await write(v)
        if not restart:
            return await read_all(v, ids)
    async with opened(data_dir, clock, read_cache, store) as v:
        venue = v.app.services.venue
        live_rfqs, live_quotes = venue.book.live_rfq_count(), venue.book.live_quote_count()
        # Start-up loaded what is live, and at most the cache's worth of what ended (waiting for its keys).
        assert (live_rfqs, live_quotes) == (3, 1)  # r51, r53 (their quotes canceled), r6; q6
        held = len(venue.rfqs) + len(venue.quotes) + len(venue.trades) - live_rfqs - live_quotes
        assert held <= write_cache, held
        return await read_all(v, ids)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """What today's venue answers (computed once, on a loop of its own)."""
    return asyncio.run(scenario(tmp_path_factory.mktemp("reference"), EVERYTHING, EVERYTHING, restart=False))


async def test_the_reference_reads_history_and_touches_every_answer(reference: list[dict[str, Any]]) -> None:
    codes = {a["answer"]["code"] for a in reference}
    assert {"0", "1"} <= codes, codes  # pages found, and batch answers with failed items
    rows = sum(len(a["answer"].get("data", [])) for a in reference if a["method"] == "GET")
    assert rows > 300
    states = {d.get("state") for a in reference for d in a["answer"].get("data", []) if isinstance(d, dict)}
    assert {"active", "canceled", "expired", "filled"} <= states, states
    cancels = [d["sCode"] for a in reference if a["target"].endswith("cancel-quote") for d in a["answer"]["data"]]
    assert {"70400", "70001"} <= set(cancels), cancels


@pytest.mark.parametrize(
    ("write_cache", "read_cache", "restart"),
    [
        (0, 0, False),  # every ended entity read back from the store
        (3, 3, False),  # some in memory, some in the store
        (0, 0, True),
        (3, 0, True),  # restarted with a few ended ones not yet keyed: start-up loads those
        (EVERYTHING, 0, True),  # nothing keyed before the restart: all of it waits in memory again
        (EVERYTHING, EVERYTHING, True),
    ],
)
async def test_history_reads_the_same_from_memory_the_store_and_after_a_restart(
    tmp_path: Path, reference: list[dict[str, Any]], write_cache: int, read_cache: int, restart: bool, store: str | None
) -> None:
    got = await scenario(tmp_path, write_cache, read_cache, restart, store)  # on both stores; the reference: SQLite
    assert len(got) == len(reference)
    for ours, theirs in zip(got, reference, strict=True):
        assert ours == theirs


async def test_ids_go_on_after_a_restart_with_history_out_of_memory(tmp_path: Path, store: str | None) -> None:
    clock = ManualClock(START_MS)
    async with opened(tmp_path, clock, 0, store) as v:
        ids = await write(v)
    async with opened(tmp_path, clock, 0, store) as v:
        t1, m1 = v.parties["TAKER1"], v.parties["MAKER1"]
        rfq_id = (await t1.ok("create-rfq", {"counterparties": ["MAKER1"], "legs": spot()}))["rfqId"]
        quote_id = (await m1.ok("create-quote", quote(rfq_id, "50000")))["quoteId"]
        trade = await t1.ok("execute-quote", {"rfqId": rfq_id, "quoteId": quote_id})
        assert int(rfq_id) == int(ids["r6"]) + 1
        assert int(quote_id) == int(ids["q6"]) + 1
        assert int(trade["blockTdId"]) == 6  # r1, r3, r50, r52, r54 executed before: 1 to 5
        # The ended RFQ's clRfqId may be used again; the live one's may not.
        reused = await t1.post("create-rfq", {"counterparties": ["MAKER1"], "legs": spot(), "clRfqId": "again"})
        assert reused["code"] == "0", reused
        taken = await t1.post("create-rfq", {"counterparties": ["MAKER1"], "legs": spot(), "clRfqId": "live"})
        assert taken["code"] != "0", taken


# --- a data directory of the previous schema migrates forward --------------------------------------------------------

# The tables of schema versions 1 and 2 exactly as those releases created them (store/sqlite.py before version 3).
OLD_TABLES = {
    1: [
        "CREATE TABLE rfqs (id INTEGER PRIMARY KEY, body BLOB NOT NULL)",
        "CREATE TABLE quotes (id INTEGER PRIMARY KEY, body BLOB NOT NULL)",
        "CREATE TABLE trades (id INTEGER PRIMARY KEY, body BLOB NOT NULL)",
        "CREATE TABLE makers (id TEXT PRIMARY KEY, body BLOB NOT NULL)",
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ],
}
OLD_TABLES[2] = [
    *OLD_TABLES[1],
    "CREATE TABLE snapshots (name TEXT PRIMARY KEY, body BLOB NOT NULL)",
    "CREATE TABLE snapshot_rows (name TEXT NOT NULL, tbl TEXT NOT NULL, id NOT NULL, body BLOB NOT NULL, "
    "PRIMARY KEY (name, tbl, id))",
    "CREATE TABLE faults (id INTEGER PRIMARY KEY, body BLOB NOT NULL)",
]


def as_old_database(written: Path, old: Path, version: int) -> None:
    """The venue ``written`` holds, as a data directory of schema ``version`` made it: the same entity bodies
    (their encoding did not change), the old tables, the old version number."""
    old.mkdir()
    with closing(sqlite3.connect(written / DB_NAME)) as src, closing(sqlite3.connect(old / DB_NAME)) as dst:
        dst.execute("PRAGMA journal_mode = WAL")
        for statement in OLD_TABLES[version]:
            dst.execute(statement)
        for table in ("rfqs", "quotes", "trades", "makers"):
            dst.executemany(f"INSERT INTO {table} VALUES (?, ?)", src.execute(f"SELECT id, body FROM {table}"))
        meta = [
            (k, str(version) if k == "schema_version" else v) for k, v in src.execute("SELECT key, value FROM meta")
        ]
        dst.executemany("INSERT INTO meta VALUES (?, ?)", meta)
        dst.commit()


@pytest.mark.parametrize("version", [1, 2])
async def test_a_data_directory_of_an_older_schema_migrates_and_reads_its_history_from_the_store(
    tmp_path: Path, reference: list[dict[str, Any]], version: int
) -> None:
    clock = ManualClock(START_MS)
    async with opened(tmp_path / "written", clock, EVERYTHING) as v:
        ids = await write(v)
    as_old_database(tmp_path / "written", tmp_path / "old", version)

    async with opened(tmp_path / "old", clock, 0) as v:
        venue = v.app.services.venue
        # Start-up loaded what is live alone: every ended entity got its keys from its body in the migration.
        assert (len(venue.rfqs), len(venue.quotes), len(venue.trades)) == (3, 1, 0)
        assert await read_all(v, ids) == reference
    with closing(sqlite3.connect(tmp_path / "old" / DB_NAME)) as db:
        assert dict(db.execute("SELECT key, value FROM meta"))["schema_version"] == str(SCHEMA_VERSION)
        held = [db.execute(f"SELECT count(*) FROM {t} WHERE mem = 1").fetchone()[0] for t in ("rfqs", "quotes")]
        assert held == [3, 1]
