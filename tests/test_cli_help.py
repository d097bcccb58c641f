"""``openrfq --help`` and every command's help: a boolean option reads as a flag (``--keep``), never as an option
taking a value (``--keep <bool>``, as typer 0.29 renders every flag, ``--help`` included)."""

from __future__ import annotations

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from openrfq.cli import app


def _group() -> TyperGroup:
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    return group


COMMANDS = sorted(_group().commands)


def _help(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "120"}, terminal_width=120)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_flags_read_as_flags(command: str) -> None:
    text = _help(*([command] if command else []))
    group = _group()
    params = group.params if not command else group.commands[command].params
    flags = [opt for p in params if getattr(p, "is_flag", False) for opt in p.opts]

    assert "<bool>" not in text and "BOOLEAN" not in text
    for flag in [*flags, "--help"]:
        (line,) = [line for line in text.splitlines() if f" {flag} " in line]
        after = line.split(f" {flag} ", 1)[1].strip(" │")
        assert not after.startswith("<"), line  # no type: what follows the flag is its help


def test_every_command_is_checked() -> None:
    assert {"serve", "demo", "version"} <= set(COMMANDS)
    assert "--keep" in _help("demo") and "--tls" in _help("serve")
