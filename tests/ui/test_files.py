"""/ui/ serves the blotter's files (package data) with their content types and a strict Content-Security-Policy,
and the files hold nothing the policy would have to allow: no inline script, style or event handler."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path

import httpx
import pytest

from openrfq.domain.clock import ManualClock
from openrfq.runtime import build_app
from samples import make_config


@pytest.fixture
async def client(tmp_path: Path, clock: ManualClock) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(make_config(), tmp_path, clock)  # no control plane: the account view needs none
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://openrfq.test") as c:
        yield c
    await app.services.committer.close()


@pytest.mark.parametrize(
    ("path", "content_type", "start"),
    [
        ("/ui/", "text/html; charset=utf-8", b"<!doctype html>"),
        ("/ui/index.html", "text/html; charset=utf-8", b"<!doctype html>"),
        ("/ui/blotter.js", "text/javascript; charset=utf-8", b"// openrfq's web blotter"),
        ("/ui/blotter.css", "text/css; charset=utf-8", b"/* openrfq's web blotter"),
    ],
)
async def test_each_file_with_its_type_and_the_policy(
    client: httpx.AsyncClient, path: str, content_type: str, start: bytes
) -> None:
    response = await client.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.content.startswith(start)
    policy = dict(p.strip().split(" ", 1) for p in response.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["connect-src"] == "'self'"  # a typed token or key can be sent to this venue only
    assert policy["form-action"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert policy["require-trusted-types-for"] == "'script'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"


async def test_ui_without_its_slash_is_redirected(client: httpx.AsyncClient) -> None:
    response = await client.get("/ui")

    assert (response.status_code, response.headers["location"]) == (308, "/ui/")


@pytest.mark.parametrize("path", ["/ui/nothing.js", "/ui/../pyproject.toml", "/ui/__init__.py", "/ui/index.html/x"])
async def test_anything_else_under_ui_is_404(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).status_code == 404


async def test_only_get_and_head(client: httpx.AsyncClient) -> None:
    head = await client.head("/ui/blotter.js")
    post = await client.post("/ui/", content=b"x")

    assert (head.status_code, head.content) == (200, b"")
    assert int(head.headers["content-length"]) > 1000  # the file's length, as GET would send it
    assert (post.status_code, post.headers["allow"]) == (405, "GET, HEAD")


async def test_the_okx_api_is_untouched(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v5/public/time")).json()["code"] == "0"
    assert (await client.get("/uix")).status_code == 404


def test_no_inline_script_style_or_handler_in_the_page() -> None:
    html = (resources.files("openrfq.ui") / "index.html").read_text()

    assert re.findall(r"<script\b[^>]*>", html) == ['<script type="module" src="blotter.js">']
    assert "<style" not in html and not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)  # onclick= and the like


def test_the_script_never_parses_markup_or_keeps_secrets() -> None:
    js = (resources.files("openrfq.ui") / "blotter.js").read_text()

    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in js
    for store in ("localStorage", "sessionStorage", "document.cookie", "indexedDB"):
        assert store not in js
