"""In-process cost of one create-quote + cancel-quote through the real REST API (no sockets).

No sockets, and no HTTP parsing but with ``--http1``: C concurrent "connections" (asyncio tasks on uvloop) call the
app with pre-signed requests (``OkxApi.respond``, as openrfq's own HTTP protocol does; ``--asgi``: through the ASGI app;
``--http1``: as bytes, through openrfq's HTTP protocol, one per connection, on a transport in memory),
so the number is the app's own CPU cost per request (auth, params, engine, views, metrics, logging, group commit
writing SQLite on a real file and syncing it as the server does; with Linux AIO the sync's kernel time is a kernel
worker's and not counted). Pin it to one core as the server is:

    taskset -c 0 .venv/bin/python bench/hotpath.py [--pairs 500] [--connections 32] [--asgi | --http1]

Prints requests/s, CPU us per request and the number of commits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import MAKERS, QUOTE_LEG, RFQ_LEG, TAKER, config_toml, iso_ms, raw_request, signed_headers

from openrfq.api.request import Request

HOST = "127.0.0.1:8080"


def scope(account: tuple[str, ...], method: str, path: str, body: str, ts: str) -> tuple[dict[str, Any], bytes]:
    headers = signed_headers(account, method, path, body, ts)
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw += [(b"host", HOST.encode()), (b"content-length", str(len(body)).encode())]
    return (
        {
            "type": "http",
            "method": method,
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": raw,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8080),
            "scheme": "http",
            "http_version": "1.1",
            "root_path": "",
        },
        body.encode(),
    )


ASGI = False


class MemoryTransport:
    """What openrfq's HTTP protocol asks of a transport, in memory: each write resolves the waiting answer."""

    def __init__(self) -> None:
        self.answer: asyncio.Future[bytes] | None = None

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default  # no socket, no TLS: the protocol counts its client under ""

    def write(self, data: bytes) -> None:
        assert self.answer is not None and not self.answer.done()
        self.answer.set_result(data)

    def is_closing(self) -> bool:
        return False

    def pause_reading(self) -> None: ...
    def resume_reading(self) -> None: ...
    def close(self) -> None: ...
    def abort(self) -> None: ...


class Http1Connection:
    """One connection's protocol (``openrfq.http1.HttpProtocol``) fed whole requests."""

    def __init__(self, config: Any) -> None:
        from uvicorn.server import ServerState

        from openrfq.http1 import HttpProtocol

        self.transport = MemoryTransport()
        self.protocol = HttpProtocol(config, ServerState(), {}, asyncio.get_running_loop())
        self.protocol.connection_made(self.transport)

    async def call(self, raw: bytes) -> bytes:
        self.transport.answer = answer = asyncio.get_running_loop().create_future()
        self.protocol.data_received(raw)
        data = await answer
        return data[data.index(b"\r\n\r\n") + 4 :]


async def call(app: Any, s: dict[str, Any], body: bytes) -> bytes:
    if not ASGI:
        headers = dict(s["headers"])
        request = Request(s["method"], s["path"], s["raw_path"], b"", headers, body, "127.0.0.1")
        answered: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        app.direct(s["path"]).respond(request, lambda status, out, kind: answered.set_result(out))
        return await answered
    out: list[bytes] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            out.append(message["body"])

    await app(s, receive, send)
    return out[0]


async def main_async(args: argparse.Namespace) -> None:
    from openrfq.config import load_config
    from openrfq.gcpolicy import keep_full_collections_short
    from openrfq.runtime import build_app

    with tempfile.TemporaryDirectory(prefix="openrfq-hotpath-", dir=Path(__file__).resolve().parent) as tmp:
        cfg_path = Path(tmp) / "openrfq.toml"
        cfg_path.write_text(config_toml())
        api = build_app(load_config(cfg_path), Path(tmp) / "data")
        undo_gc_policy = keep_full_collections_short(asyncio.get_running_loop())  # as a serving venue does
        edge = None
        if args.http1:
            from openrfq.edge import EdgeConfig

            edge = EdgeConfig(api, log_config=None)
        ts = iso_ms(int(time.time() * 1000))
        rfq_ids = []
        for _ in range(args.connections):
            body = json.dumps({"counterparties": [m[0] for m in MAKERS], "legs": [RFQ_LEG]})
            answer = json.loads(await call(api, *scope(TAKER, "POST", "/api/v5/rfq/create-rfq", body, ts)))
            rfq_ids.append(answer["data"][0]["rfqId"])
        plans = []
        for i, rfq_id in enumerate(rfq_ids):
            maker = MAKERS[i % len(MAKERS)]
            plan = []
            for k in range(args.pairs):
                cl = f"h{i}k{k}"
                create = json.dumps({"rfqId": rfq_id, "clQuoteId": cl, "quoteSide": "sell", "legs": [QUOTE_LEG]})
                for path, body in (("create-quote", create), ("cancel-quote", json.dumps({"clQuoteId": cl}))):
                    target = "/api/v5/rfq/" + path
                    # --http1: the bytes a client writes (as wrk's request files hold them)
                    plan.append(
                        raw_request(HOST, maker, "POST", target, body, ts)
                        if edge is not None
                        else scope(maker, "POST", target, body, ts)
                    )
            plans.append(plan)
        bad = 0

        async def connection(plan: list[Any]) -> None:
            nonlocal bad
            http1 = Http1Connection(edge) if edge is not None else None
            for request in plan:
                answer = await (call(api, *request) if http1 is None else http1.call(request))
                if not answer.startswith(b'{"code":"0"'):
                    bad += 1

        committer = api.services.committer
        batches0 = committer.batches
        profiler = None
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0002, async_mode="disabled")
            profiler.start()
        if args.callgrind:
            _callgrind("on")
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.gather(*(connection(p) for p in plans))
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        if args.callgrind:
            _callgrind("off")
        if profiler is not None:
            profiler.stop()
            Path(args.profile).write_text(profiler.output_text(unicode=False, color=False, show_all=False))
        n = sum(len(p) for p in plans)
        await committer.close()
        undo_gc_policy()
    print(
        json.dumps(
            {
                "requests": n,
                "bad": bad,
                "rps": round(n / wall),
                "cpu_us_per_request": round(cpu / n * 1e6, 1),
                "wall_us_per_request": round(wall / n * 1e6, 1),
                "commits": committer.batches - batches0,
                "requests_per_commit": round(n / max(1, committer.batches - batches0), 1),
            }
        )
    )


def _callgrind(state: str) -> None:
    """Instruction counting on or off (run under ``valgrind --tool=callgrind --instr-atstart=no``: the requests
    only, not the start-up or the signing of the plans; bench/instructions.py)."""
    import subprocess

    subprocess.run(["callgrind_control", "--instr=" + state, str(os.getpid())], check=True, capture_output=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=500)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--log-level", default="info")
    ap.add_argument("--asgi", action="store_true", help="through the ASGI app instead of OkxApi.respond")
    ap.add_argument("--http1", action="store_true", help="as bytes through openrfq's HTTP protocol (no sockets)")
    ap.add_argument(
        "--callgrind", action="store_true", help="count instructions of the requests only (under callgrind)"
    )
    ap.add_argument("--profile", help="write a pyinstrument text profile of the timed part to this file")
    args = ap.parse_args()
    global ASGI
    ASGI = args.asgi
    from openrfq import logs

    logs.configure(args.log_level)
    # The lines go where `openrfq serve` would send them (stderr); keep them off the terminal.
    logging.getLogger().handlers[0].stream = open(os.devnull, "w")  # type: ignore[attr-defined]
    import uvloop

    uvloop.run(main_async(args))


if __name__ == "__main__":
    main()
