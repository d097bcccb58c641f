"""The config of asynchronous settlement (``[execution] settlement_ms``) and group RFQs (an account's
``sub_accounts``): defaults, values, refusals naming the key; and the README's configuration example with them."""

from __future__ import annotations

import datetime
import re
import textwrap
from pathlib import Path

import pytest

from openrfq.config import ConfigError, parse_config

TODAY = datetime.date(2025, 11, 13)
SOURCE = "venue.toml"
ACCOUNT = """
[[accounts]]
uid = "100001"
trader_code = "TAKER1"
"""
README = Path(__file__).resolve().parents[1] / "README.md"


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as raised:
        parse_config(textwrap.dedent(text), SOURCE, TODAY)
    return str(raised.value)


def test_executions_settle_at_once_and_accounts_have_no_sub_accounts_by_default() -> None:
    config = parse_config(ACCOUNT, SOURCE, TODAY)

    assert config.settlement_ms == 0
    assert config.account("TAKER1").sub_accounts == ()


def test_settlement_ms_and_sub_accounts_are_read() -> None:
    text = ACCOUNT + 'sub_accounts = ["alpha-1", "alpha.2", "b_3"]\n\n[execution]\nsettlement_ms = 1500\n'

    config = parse_config(text, SOURCE, TODAY)

    assert (config.settlement_ms, config.account("TAKER1").sub_accounts) == (1500, ("alpha-1", "alpha.2", "b_3"))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "[execution]\nsettlement_ms = -1\n",
            "execution.settlement_ms: must be a whole number of milliseconds from 0 to 3600000",
        ),
        (
            '[execution]\nsettlement_ms = "500"\n',
            "execution.settlement_ms: must be a whole number of milliseconds from 0 to 3600000",
        ),
        ("[execution]\nsettle_ms = 5\n", "execution.settle_ms: unknown key"),
    ],
)
def test_a_bad_settlement_is_named(text: str, problem: str) -> None:
    assert _error(ACCOUNT + "\n" + text) == f"{SOURCE}: {problem}"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (
            'sub_accounts = ["0"]',
            'must be a list of names of 1-32 letters, digits, "_", "." or "-" such as ["alpha-1"] '
            '("0" is taken: it names the account itself)',
        ),
        (
            'sub_accounts = ["alpha 1"]',
            'must be a list of names of 1-32 letters, digits, "_", "." or "-" such as ["alpha-1"] '
            '("0" is taken: it names the account itself)',
        ),
        ('sub_accounts = ["a", "b", "a"]', "'a' is listed twice"),
    ],
)
def test_bad_sub_accounts_are_named(line: str, problem: str) -> None:
    assert _error(ACCOUNT + line + "\n") == f"{SOURCE}: accounts[1].sub_accounts: {problem}"


def test_the_readme_configuration_example_is_valid_with_both() -> None:
    block = re.search(r"## Configuration.*?```toml\n(.*?)```", README.read_text(), re.DOTALL)
    assert block is not None

    config = parse_config(block.group(1), "README.md", TODAY)

    assert config.settlement_ms == 0
    assert config.account("TAKER1").sub_accounts == ("alpha-1",)
