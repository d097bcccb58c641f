"""The accounts the venue makes for its bots: a ``[[bots]]`` entry whose trader code no ``[[accounts]]`` declares
runs on an LP account of its own, with a key nobody outside the running venue can know.

A config says what its file declares; ``with_bot_accounts`` is the config a venue runs (``runtime.build_app``)."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
from typing import ClassVar

from openrfq.config.schema import Account, ApiKey, BotSettings, Config

FIRST_UID = 900001
_SECRET = secrets.token_bytes(32)  # per process: a bot's key changes with every start


class BotAccount(Account, frozen=True, forbid_unknown_fields=True):
    """An account made for a bot: its key is random and never printed."""

    generated: ClassVar[bool] = True


def with_bot_accounts(config: Config) -> Config:
    """``config`` with an account for each of its bots that has none (a config that has them all, unchanged)."""
    made = made_for(config.bots, config.accounts)
    return dataclasses.replace(config, accounts=config.accounts + made) if made else config


def made_for(bots: tuple[BotSettings, ...], accounts: tuple[Account, ...]) -> tuple[Account, ...]:
    """An LP account for each bot whose trader code is not among ``accounts``, on the first free uids from 900001."""
    declared = {a.trader_code for a in accounts}
    uids = {a.uid for a in accounts}
    made: list[Account] = []
    uid = FIRST_UID
    for bot in bots:
        if bot.trader_code in declared:
            continue
        while str(uid) in uids:
            uid += 1
        uids.add(str(uid))
        code = bot.trader_code
        key = ApiKey(_secret(code, "key"), _secret(code, "secret"), _secret(code, "passphrase"))
        made.append(BotAccount(str(uid), code, code, "LP", (key,)))
    return tuple(made)


def _secret(trader_code: str, part: str) -> str:
    digest = hmac.new(_SECRET, f"{trader_code}/{part}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"bot-{digest}" if part == "key" else digest
