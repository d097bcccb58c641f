"""A party to the venue: one API key's signed OKX requests, sent as written and answered as JSON.

``openrfq.client.OpenRfqClient`` is the typed client; a ``Party`` is for the raw wire: a body as the test wrote it,
the envelope as the venue answered it::

    answer = await taker.post("/api/v5/rfq/create-rfq", {"counterparties": ["MAKER1"], "legs": [...]})
    assert answer["code"] == "0"
    assert await taker.rfq_state(answer["data"][0]["rfqId"]) == "active"
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from openrfq.client.signing import signed_headers
from openrfq.testing.accounts import Account


def wall_ms() -> int:
    """The machine's time in ms: what a venue on a real clock checks request timestamps against."""
    return int(time.time() * 1000)


@dataclass
class Party:
    """``client`` sends the requests (its base URL is the venue's); ``now_ms`` is the clock they are signed by,
    the one the venue checks them against. ``async with`` closes the client when the party owns it."""

    client: httpx.AsyncClient
    key: Account
    now_ms: Callable[[], int] = wall_ms
    owns_client: bool = False

    @property
    def trader_code(self) -> str:
        return self.key.code

    def with_key(self, **changes: str) -> Party:
        """The same party with its key changed (``secret_key="wrong"``: a forged signature); never owns the client."""
        return dataclasses.replace(self, key=dataclasses.replace(self.key, **changes), owns_client=False)

    def headers(self, method: str, target: str, body: str = "") -> dict[str, str]:
        """The ``OK-ACCESS-*`` headers of a request; ``target`` is the path with its ``?query``."""
        return signed_headers(self.key, method, target, body, self.now_ms())

    async def request(
        self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> httpx.Response:
        """``body``: JSON-encoded unless already a string; ``params`` are appended to the path as written."""
        target = path
        if params:
            target += "?" + "&".join(f"{k}={v}" for k, v in params.items())
        text = "" if body is None else (body if isinstance(body, str) else json.dumps(body))
        return await self.client.request(
            method, target, content=text.encode(), headers=self.headers(method, target, text)
        )

    async def post(self, path: str, body: Any = None) -> dict[str, Any]:
        answer: dict[str, Any] = (await self.request("POST", path, body)).json()
        return answer

    async def get(self, path: str, **params: str) -> dict[str, Any]:
        answer: dict[str, Any] = (await self.request("GET", path, params=params)).json()
        return answer

    async def rfq(self, rfq_id: str) -> dict[str, Any]:
        """The RFQ as this party sees it (Get rfqs)."""
        return await self._one("/api/v5/rfq/rfqs", rfqId=rfq_id)

    async def quote(self, quote_id: str) -> dict[str, Any]:
        """The quote as this party sees it (Get quotes)."""
        return await self._one("/api/v5/rfq/quotes", quoteId=quote_id)

    async def rfq_state(self, rfq_id: str) -> str:
        state: str = (await self.rfq(rfq_id))["state"]
        return state

    async def quote_state(self, quote_id: str) -> str:
        state: str = (await self.quote(quote_id))["state"]
        return state

    async def _one(self, path: str, **params: str) -> dict[str, Any]:
        answer = await self.get(path, **params)
        if answer.get("code") != "0" or len(answer.get("data", ())) != 1:
            raise LookupError(f"GET {path} {params}: {answer}")
        found: dict[str, Any] = answer["data"][0]
        return found

    async def aclose(self) -> None:
        if self.owns_client:
            await self.client.aclose()

    async def __aenter__(self) -> Party:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
