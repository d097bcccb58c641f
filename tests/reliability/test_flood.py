"""A flood from one user, and one of made-up public instruments: everyone else keeps their own allowance and
prompt answers, and the server's memory stays bounded. CI floods for a few seconds; OPENRFQ_LONG=1 floods for 60 s."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import httpx

from samples import make_server

FLOOD_S = 60.0 if os.environ.get("OPENRFQ_LONG") else 4.0
FLOODERS = 6
LEG = {"instId": "BTC-USDT", "sz": "1", "side": "buy"}


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def test_a_flooding_user_does_not_take_another_users_allowance_or_memory(tmp_path: Path) -> None:
    server = make_server(tmp_path, rate_limits=True).start()
    assert server.process is not None
    taker, victim = server.party("TAKER1"), server.party("MAKER2")
    stop = threading.Event()
    flood_answers: dict[str, int] = {}
    lock = threading.Lock()

    async def cancels() -> None:  # on a connection of its own
        async with server.party("MAKER1") as client:
            try:
                while not stop.is_set():
                    code = (await client.post("/api/v5/rfq/cancel-quote", {"quoteId": "1"}))["code"]
                    with lock:
                        flood_answers[code] = flood_answers.get(code, 0) + 1
            except httpx.HTTPError:
                pass

    async def flood() -> None:
        await asyncio.gather(*(cancels() for _ in range(FLOODERS)))

    def distinct_public_keys() -> None:
        # Made-up instruments, each a new key for the per-IP-and-instrument limit: none may earn a window.
        with httpx.Client(base_url=server.url, timeout=5) as client:
            n = 0
            while not stop.is_set():
                params = {"instType": "SWAP", "instId": f"FAKE{n}-USDT-SWAP"}
                code = client.get("/api/v5/public/mark-price", params=params).json()["code"]
                n += 1
                with lock:
                    public_answers[code] = public_answers.get(code, 0) + 1

    public_answers: dict[str, int] = {}
    try:
        rfq_id = (await taker.post("/api/v5/rfq/create-rfq", {"counterparties": ["MAKER1", "MAKER2"], "legs": [LEG]}))[
            "data"
        ][0]["rfqId"]
        warm = [
            await victim.post(
                "/api/v5/rfq/create-quote", {"rfqId": rfq_id, "quoteSide": "sell", "legs": [{**LEG, "px": "1"}]}
            )
            for _ in range(3)
        ]
        assert all(a["code"] == "0" for a in warm)
        rss_before = _rss_kib(server.process.pid)

        # The flood's connections share a thread and its event loop: the victim's latency is the venue's, not
        # that of a client process whose threads take turns.
        flooders = [
            threading.Thread(target=asyncio.run, args=(flood(),)),
            threading.Thread(target=distinct_public_keys),
        ]
        for t in flooders:
            t.start()
        latencies, codes = [], []
        deadline = time.monotonic() + FLOOD_S
        while time.monotonic() < deadline:
            started = time.perf_counter()
            # The victim stays inside its own limit: 50 per 2 s on create-quote; it sends 10 per second.
            answer = await victim.post(
                "/api/v5/rfq/create-quote", {"rfqId": rfq_id, "quoteSide": "sell", "legs": [{**LEG, "px": "1"}]}
            )
            latencies.append(time.perf_counter() - started)
            codes.append(answer["code"])
            await asyncio.sleep(0.1)  # the RFQ lives 2 minutes, longer than the longest flood
        stop.set()
        for t in flooders:
            t.join(timeout=10)
        rss_after = _rss_kib(server.process.pid)
    finally:
        stop.set()
        await taker.aclose()
        await victim.aclose()
        server.close()

    # The flood hit its own limit: mostly 50011, never more than its allowance of real answers.
    assert flood_answers.get("50011", 0) > flood_answers.get("1", 0)
    assert flood_answers.get("1", 0) <= 50 * (FLOOD_S / 2 + 1)
    # Distinct made-up instruments shared one window: 10 answers per 2 s, the rest refused.
    assert public_answers.get("50011", 0) > 10 * public_answers.get("0", 0)
    assert public_answers.get("0", 0) <= 10 * (FLOOD_S / 2 + 1)
    # The other user kept its whole allowance, promptly.
    assert set(codes) == {"0"}, codes
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    assert p99 < 0.25, f"p99 {p99 * 1000:.1f} ms under a flood"
    # Memory stays bounded: refused requests leave nothing behind.
    assert rss_after - rss_before < 30 * 1024, (rss_before, rss_after)
    print(
        f"flood answers {flood_answers}; distinct public keys {public_answers}; "
        f"victim p99 {p99 * 1000:.1f} ms; RSS {rss_before} -> {rss_after} KiB"
    )


def test_a_forwarded_for_header_does_not_choose_the_ip_a_public_limit_counts(tmp_path: Path) -> None:
    with make_server(tmp_path, rate_limits=True) as server, httpx.Client(base_url=server.url, timeout=5) as client:
        codes = [
            client.get("/api/v5/public/time", headers={"X-Forwarded-For": f"10.0.0.{n}"}).json()["code"]
            for n in range(12)
        ]

    # 10 per 2 s per IP whatever the header says; the readiness probe of start() was the first of them.
    assert codes == ["0"] * 9 + ["50011"] * 3
