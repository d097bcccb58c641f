"""``openrfq admin ...``: the control plane (/openrfq/v1) from a shell, one command per call.

Each prints the answer's data as JSON and exits 0, or prints the refusal's code and message and exits 1.
``--url`` (env ``OPENRFQ_URL``) and ``--token`` (env ``OPENRFQ_ADMIN_TOKEN``) say which venue.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import httpx
import typer

admin = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Drive a venue's control plane: time, reset, snapshots, faults."
)

Url = Annotated[str, typer.Option(envvar="OPENRFQ_URL", help="The venue's base URL.")]
Token = Annotated[str, typer.Option(envvar="OPENRFQ_ADMIN_TOKEN", help="The venue's admin token.")]
DEFAULT_URL = "http://127.0.0.1:8080"


def _call(url: str, token: str, method: str, path: str, body: dict[str, Any] | None = None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = httpx.request(method, f"{url.rstrip('/')}/openrfq/v1{path}", json=body, headers=headers, timeout=600)
        answer = response.json()
    except (httpx.HTTPError, ValueError) as e:
        typer.echo(f"openrfq admin: {url}: {e}", err=True)
        raise typer.Exit(1) from None
    if answer.get("code") != "0":
        typer.echo(f"openrfq admin: {answer.get('code')} {answer.get('msg')}", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(answer["data"], indent=2))


@admin.command()
def health(url: Url = DEFAULT_URL) -> None:
    """The venue's role (no token needed)."""
    _call(url, "", "GET", "/health")


@admin.command()
def clock(url: Url = DEFAULT_URL, token: Token = "") -> None:
    """Venue time and whether it is virtual."""
    _call(url, token, "GET", "/clock")


@admin.command()
def advance(ms: Annotated[int, typer.Argument(min=0)], url: Url = DEFAULT_URL, token: Token = "") -> None:
    """Move a virtual clock forward MS milliseconds, firing every timer due on the way."""
    _call(url, token, "POST", "/clock/advance", {"ms": ms})


@admin.command("set-time")
def set_time(ts: Annotated[int, typer.Argument(min=0)], url: Url = DEFAULT_URL, token: Token = "") -> None:
    """Move a virtual clock forward to TS (ms since the epoch)."""
    _call(url, token, "POST", "/clock/set", {"ts": str(ts)})


@admin.command()
def reset(url: Url = DEFAULT_URL, token: Token = "") -> None:
    """Forget every RFQ, quote, trade, maker setting and rate-limit window; ids start at 1."""
    _call(url, token, "POST", "/reset")


@admin.command()
def snapshot(name: str, url: Url = DEFAULT_URL, token: Token = "") -> None:
    """Save the venue's state as NAME."""
    _call(url, token, "POST", "/snapshots", {"name": name})


@admin.command()
def snapshots(url: Url = DEFAULT_URL, token: Token = "") -> None:
    """List the saved snapshots."""
    _call(url, token, "GET", "/snapshots")


@admin.command()
def restore(name: str, url: Url = DEFAULT_URL, token: Token = "") -> None:
    """Put the venue back to snapshot NAME (its virtual time too)."""
    _call(url, token, "POST", f"/snapshots/{name}/restore")


@admin.command("delete-snapshot")
def delete_snapshot(name: str, url: Url = DEFAULT_URL, token: Token = "") -> None:
    """Delete snapshot NAME."""
    _call(url, token, "DELETE", f"/snapshots/{name}")


@admin.command()
def fault(
    path: Annotated[str, typer.Option(help='An OKX REST path, or "ws" for the business WebSocket.')],
    action: Annotated[str, typer.Option(help="error, delay, drop, skew (REST); close, delay, skew (ws).")],
    account: Annotated[str, typer.Option(help="Only this trader code.")] = "",
    count: Annotated[int | None, typer.Option(help="Requests it hits; default: until removed.")] = None,
    probability: Annotated[float, typer.Option(help="Chance it hits a matching request.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Seed of the probability's draws.")] = 0,
    code: Annotated[str, typer.Option(help="error: the OKX code; close: the WebSocket close code.")] = "",
    ms: Annotated[int, typer.Option(help="delay: milliseconds later; skew: how far off the clock is judged.")] = 0,
    url: Url = DEFAULT_URL,
    token: Token = "",
) -> None:
    """Add a fault rule; prints its faultId."""
    rule: dict[str, Any] = {"path": path, "action": action, "probability": probability, "seed": seed}
    rule.update({k: v for k, v in (("account", account), ("code", code), ("ms", ms), ("count", count)) if v})
    _call(url, token, "POST", "/faults", rule)


@admin.command()
def faults(url: Url = DEFAULT_URL, token: Token = "") -> None:
    """List the fault rules."""
    _call(url, token, "GET", "/faults")


@admin.command("remove-fault")
def remove_fault(fault_id: str, url: Url = DEFAULT_URL, token: Token = "") -> None:
    """Remove fault rule FAULT_ID."""
    _call(url, token, "DELETE", f"/faults/{fault_id}")


@admin.command("clear-faults")
def clear_faults(url: Url = DEFAULT_URL, token: Token = "") -> None:
    """Remove every fault rule."""
    _call(url, token, "DELETE", "/faults")
