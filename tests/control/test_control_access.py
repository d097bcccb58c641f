"""The control plane is off without a token, needs the token when on, and answers health to anyone."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from openrfq.domain.clock import ManualClock
from openrfq.runtime import build_app
from openrfq.testing import asgi_client
from samples import make_config

TOKEN = "s3cret-token"


async def _get(tmp_path: Path, path: str, token: str | None, **headers: str) -> httpx.Response:
    app = build_app(make_config(), tmp_path, ManualClock(1), admin_token=token)
    async with asgi_client(app) as client:
        response = await client.get(path, headers=headers)
    await app.services.committer.close()
    return response


@pytest.mark.parametrize("path", ["/openrfq/v1/clock", "/openrfq/v1/snapshots", "/openrfq/v1/anything"])
async def test_without_a_token_every_control_path_is_404(tmp_path: Path, path: str) -> None:
    response = await _get(tmp_path, path, None, Authorization="Bearer x")

    assert response.status_code == 404
    assert response.json() == {"code": "90002", "msg": f"Not Found: {path}", "data": []}


@pytest.mark.parametrize("token", [None, ""])
async def test_health_needs_no_token(tmp_path: Path, token: str | None) -> None:
    response = await _get(tmp_path, "/openrfq/v1/health", token)

    assert response.json() == {"code": "0", "msg": "", "data": [{"role": "leader"}]}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"}],
)
async def test_a_missing_or_wrong_token_is_401(tmp_path: Path, headers: dict[str, str]) -> None:
    response = await _get(tmp_path, "/openrfq/v1/clock", TOKEN, **headers)

    assert response.status_code == 401
    assert response.json()["code"] == "90001"
    assert "Authorization: Bearer" in response.json()["msg"]


async def test_the_right_token_is_let_in(tmp_path: Path) -> None:
    response = await _get(tmp_path, "/openrfq/v1/clock", TOKEN, Authorization=f"Bearer {TOKEN}")

    assert response.json()["code"] == "0"


async def test_an_unknown_control_path_with_the_token_is_404(tmp_path: Path) -> None:
    response = await _get(tmp_path, "/openrfq/v1/nothing", TOKEN, Authorization=f"Bearer {TOKEN}")

    assert (response.status_code, response.json()["code"]) == (404, "90002")
