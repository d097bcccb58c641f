"""The accounts a venue runs, as an OKX client is given them: one API key each, found by trader code or api_key."""

from __future__ import annotations

from dataclasses import dataclass, field

from openrfq.config import Config


@dataclass(frozen=True, slots=True)
class Account:
    """One API key of an account, as an OKX client is given it (``openrfq.client.signing.Credentials``)."""

    code: str  # trader code
    uid: str
    api_key: str
    secret_key: str = field(repr=False)
    passphrase: str = field(repr=False)


def first_keys(config: Config) -> dict[str, Account]:
    """Each account of ``config`` by trader code, with its first API key."""
    return {
        a.trader_code: Account(a.trader_code, a.uid, k.api_key, k.secret_key, k.passphrase)
        for a in config.accounts
        for k in a.keys[:1]
    }


def find_account(config: Config, name: str) -> Account:
    """``name``: a trader code (its account's first key) or an api_key (that key of its account)."""
    for a in config.accounts:
        for n, k in enumerate(a.keys):
            if (n == 0 and a.trader_code == name) or k.api_key == name:
                return Account(a.trader_code, a.uid, k.api_key, k.secret_key, k.passphrase)
    raise KeyError(f"no account with the trader code or api_key {name!r}")
