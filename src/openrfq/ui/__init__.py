"""The web blotter (README, "Web blotter"): plain HTML, JavaScript and CSS in this package, served at ``/ui/``.

Every answer carries a strict Content-Security-Policy: scripts and styles from these files only (no inline script,
no eval), connections to this origin only (its REST API, its business WebSocket, the control plane's feed), no
frames, forms or plugins, and DOM sinks that parse HTML refused (Trusted Types). An admin token or an API key
typed into the page can reach nothing but this venue, and text the venue shows (a tag, a client id another
account chose) is never parsed as markup.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

PATH = "/ui"
TYPES = {
    ".html": b"text/html; charset=utf-8",
    ".js": b"text/javascript; charset=utf-8",
    ".css": b"text/css; charset=utf-8",
}
CSP = (
    b"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src data:; "
    b"base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "
    b"require-trusted-types-for 'script'; trusted-types 'none'"
)
_SECURITY = [
    (b"content-security-policy", CSP),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]


def _files() -> dict[str, tuple[bytes, bytes]]:
    """Each served file's name (``index.html`` also as ""): its content type and bytes, read once."""
    found = {}
    for entry in resources.files(__name__).iterdir():
        suffix = entry.name[entry.name.rfind(".") :]
        if entry.is_file() and suffix in TYPES:
            found[entry.name] = (TYPES[suffix], entry.read_bytes())
    found[""] = found["index.html"]
    return found


class Blotter:
    """An ASGI app for HTTP requests under ``/ui``."""

    def __init__(self) -> None:
        self._files = _files()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path, method = scope["path"], scope["method"]
        if path == PATH:  # the page's relative URLs need the trailing slash
            await _send(send, 308, [(b"location", b"/ui/")], b"")
            return
        found = self._files.get(path[len(PATH) + 1 :])
        if found is None:
            await _send(send, 404, [(b"content-type", b"text/plain; charset=utf-8")], b"Not Found\n")
        elif method not in ("GET", "HEAD"):
            await _send(send, 405, [(b"allow", b"GET, HEAD"), (b"content-type", b"text/plain")], b"")
        else:
            content_type, body = found
            headers = [(b"content-type", content_type), *_SECURITY]
            await _send(send, 200, headers, body, head=method == "HEAD")


async def _send(send: Any, status: int, headers: list[tuple[bytes, bytes]], body: bytes, head: bool = False) -> None:
    headers = [*headers, (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})
