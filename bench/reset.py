"""What a reset between two tests costs: ``POST /openrfq/v1/reset`` against a real ``openrfq serve`` (virtual
clock, control plane on), after each of N tests' worth of activity, beside ``GET /openrfq/v1/clock`` measured in
the same run (the floor: one control-plane round trip doing nothing). Prints medians, p99s and their ratio.

    .venv/bin/python bench/reset.py [--rounds 200] [--rfqs 5]

The goal (issue 19): a reset costs at most 20 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx

from openrfq.client.signing import signed_headers
from openrfq.testing import ServerVenue


def _ms(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--rfqs", type=int, default=5, help="RFQs (each with a quote) a test leaves behind")
    args = parser.parse_args()
    venue = ServerVenue().start()
    taker, maker = venue.accounts["TAKER1"], venue.accounts["MAKER1"]
    resets: list[float] = []
    floors: list[float] = []
    try:
        with httpx.Client(base_url=venue.url) as http:
            auth = {"Authorization": f"Bearer {venue.token}"}

            def post(account: object, path: str, body: str) -> None:
                headers = signed_headers(account, "POST", path, body, int(time.time() * 1000))  # type: ignore[arg-type]
                http.post(path, content=body.encode(), headers=headers)

            for _ in range(args.rounds):
                for n in range(args.rfqs):  # what a test leaves: RFQs and quotes (ids from 1 after each reset)
                    post(taker, "/api/v5/rfq/create-rfq", f'{{"counterparties":["MAKER1"],"legs":[{_leg()}]}}')
                    body = f'{{"rfqId":"{n + 1}","quoteSide":"sell","legs":[{_leg(px="50000")}]}}'
                    post(maker, "/api/v5/rfq/create-quote", body)
                started = time.perf_counter()
                http.get("/openrfq/v1/clock", headers=auth)
                floors.append(time.perf_counter() - started)
                started = time.perf_counter()
                assert http.post("/openrfq/v1/reset", headers=auth).json()["code"] == "0"
                resets.append(time.perf_counter() - started)
    finally:
        venue.close()
    print(f"{args.rounds} resets after {args.rfqs} RFQs + quotes each")
    print(f"reset: median {statistics.median(resets) * 1000:.2f} ms, p99 {_ms(resets, 0.99):.2f} ms")
    print(f"floor (GET /clock): median {statistics.median(floors) * 1000:.2f} ms, p99 {_ms(floors, 0.99):.2f} ms")
    print(f"reset / floor (medians): {statistics.median(resets) / statistics.median(floors):.1f}x")


def _leg(px: str = "") -> str:
    return '{"instId":"BTC-USDT","sz":"1","side":"buy"' + (f',"px":"{px}"' if px else "") + "}"


if __name__ == "__main__":
    main()
