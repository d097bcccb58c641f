"""Loading a config: read the file, parse the TOML, decode it into the Structs of ``schema``, then check what
spans tables (duplicate uids, trader codes, api_keys, bots, instruments) and assemble the ``Config`` the venue
runs: the catalogue for today, the replay file's rows, an account for each bot that has none.

Every problem is a ``ConfigError`` naming the file, the key path (and for a duplicate, its line) and what is
wrong; nothing starts on a bad config.
"""

from __future__ import annotations

import datetime
import tomllib
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

import msgspec

from openrfq.config.errors import ConfigError, explain
from openrfq.config.schema import PRICE, Account, Config, ConfigFile, Instruments, Prices, PriceSettings
from openrfq.domain.instrument import Instrument
from openrfq.domain.prices import DEFAULT_INDEX
from openrfq.instruments.catalogue import default_instruments, instruments_from_config

DEMO_SOURCE = "<built-in demo>"
DEMO_CONFIG_TOML = resources.files("openrfq.config").joinpath("demo.toml").read_text(encoding="utf-8")


class _Problem(Exception):
    def __init__(self, where: str, problem: str, needle: str | None = None) -> None:
        super().__init__(f"{where}: {problem}")
        self.where, self.problem, self.needle = where, problem, needle


def load_config(path: Path, today: datetime.date | None = None) -> Config:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror or e}") from None
    try:
        text = _utf8(data, "")
    except _Problem as e:
        raise ConfigError(f"{path}: {e.where}: {e.problem}") from None
    return parse_config(text, str(path), today, base_dir=path.parent)


def demo_config(today: datetime.date | None = None) -> Config:
    return parse_config(DEMO_CONFIG_TOML, DEMO_SOURCE, today)


def parse_config(text: str, source: str, today: datetime.date | None = None, base_dir: Path | None = None) -> Config:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: malformed TOML: {e}") from None
    try:
        file = msgspec.convert(document, ConfigFile)
    except msgspec.ValidationError as e:
        where, problem = explain(e, document, ConfigFile)
        raise ConfigError(f"{source}: {where}: {problem}") from None
    try:
        return _assemble(file, document, source, today or datetime.datetime.now(datetime.UTC).date(), base_dir)
    except _Problem as e:
        raise ConfigError(f"{source}: {e.where}{_line_hint(text, e.needle)}: {e.problem}") from None


def _line_hint(text: str, needle: str | None) -> str:
    """ " (line N)" for the last line holding ``needle`` as a quoted value, to point at a duplicate."""
    if not needle:
        return ""
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if f'"{needle}"' in line or f"'{needle}'" in line]
    return f" (line {lines[-1]})" if lines else ""


def _assemble(
    file: ConfigFile, document: dict[str, Any], source: str, today: datetime.date, base: Path | None
) -> Config:
    accounts = tuple(  # a trader_name left out is the trader code (one given as "" stays empty)
        a if "trader_name" in table else msgspec.structs.replace(a, trader_name=a.trader_code)
        for a, table in zip(file.accounts, document["accounts"])
    )
    _unique_accounts(accounts)
    _check_bots(file, accounts)
    return Config(
        accounts=accounts,
        instruments=_instruments(file.instruments, today),
        rate_limits_enabled=file.rate_limits.enabled,
        taker_fee_rate=Decimal(repr(file.fees.taker_fee_rate)),  # repr: the float's shortest text, "0.0005"
        maker_fee_rate=Decimal(repr(file.fees.maker_fee_rate)),
        public_delay_ms=file.public_data.delay_ms,
        prices=_prices(file.prices, base or Path(".")),
        bots=file.bots,
        source=source,
        admin_token=file.admin.token,
        clock_mode=file.clock.mode,
        clock_start_ms=file.clock.start_ms(),
        clock_auth=file.clock.auth,
        settlement_ms=file.execution.settlement_ms,
        history_cache=file.store.history_cache,
        store_url=file.store.url,
    )


def _unique_accounts(accounts: tuple[Account, ...]) -> None:
    uids: set[str] = set()
    codes: set[str] = set()
    api_keys: set[str] = set()
    for n, account in enumerate(accounts, start=1):
        if account.uid in uids:
            raise _Problem(f"accounts[{n}].uid", f"duplicate uid {account.uid!r}", account.uid)
        if account.trader_code in codes:
            code = account.trader_code
            raise _Problem(f"accounts[{n}].trader_code", f"duplicate trader code {code!r}", code)
        for k, key in enumerate(account.keys, start=1):
            if key.api_key in api_keys:
                where = f"accounts[{n}].keys[{k}].api_key"
                raise _Problem(where, f"duplicate api_key {key.api_key!r}", key.api_key)
            api_keys.add(key.api_key)
        uids.add(account.uid)
        codes.add(account.trader_code)


def _check_bots(file: ConfigFile, accounts: tuple[Account, ...]) -> None:
    """One bot per trader code; a bot on a declared account needs a key that may trade."""
    declared = {a.trader_code: a for a in accounts}
    codes: set[str] = set()
    for n, bot in enumerate(file.bots, start=1):
        code = bot.trader_code
        if code in codes:
            raise _Problem(f"bots[{n}].trader_code", f"two bots for {code!r}", code)
        codes.add(code)
        account = declared.get(code)
        if account is not None and not any("trade" in k.permissions for k in account.keys):
            raise _Problem(f"bots[{n}].trader_code", f"account {code!r} has no key with trade permission")


def _instruments(table: Instruments, today: datetime.date) -> tuple[Instrument, ...]:
    try:
        declared = instruments_from_config(table.listed)
    except ValueError as e:
        where, _, problem = str(e).partition(": ")
        raise _Problem(where, problem) from None
    by_id = {} if table.replace else {i.inst_id: i for i in default_instruments(today)}
    seen: set[str] = set()
    for n, inst in enumerate(declared, start=1):
        if inst.inst_id in seen:
            raise _Problem(f"instruments.list[{n}].instId", f"duplicate instrument {inst.inst_id!r}", inst.inst_id)
        seen.add(inst.inst_id)
        by_id[inst.inst_id] = inst  # a declared instrument overrides a default one of the same id
    return tuple(by_id.values())


def _prices(table: Prices, base: Path) -> PriceSettings:
    rows = _replay_rows(base / table.file) if table.source == "replay" else ()
    index = {**DEFAULT_INDEX, **table.index}
    return PriceSettings(table.source, index, table.volatility, table.seed, table.step_ms, rows)


def _replay_rows(path: Path) -> tuple[tuple[int, str, Decimal], ...]:
    """CSV lines ``offset_ms,coin,price`` (a header line and blank lines are skipped), sorted by offset."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise _Problem("prices.file", f"cannot read {path}: {e.strerror or e}") from None
    lines = _utf8(data, f"prices.file {path} ").splitlines()
    rows = []
    for number, line in enumerate(lines, start=1):
        cells = [c.strip() for c in line.split(",")]
        if not line.strip() or (number == 1 and not _digits(cells[0])):
            continue
        if len(cells) != 3 or not _digits(cells[0]):
            raise _Problem(f"prices.file {path} line {number}", "expected offset_ms,coin,price")
        rows.append((int(cells[0]), cells[1], _price(cells[2], f"prices.file {path} line {number}")))
    if not rows:
        raise _Problem("prices.file", f"{path} has no price rows")
    return tuple(sorted(rows))


def _price(text: str, where: str) -> Decimal:
    try:
        price = Decimal(text)
    except InvalidOperation:
        raise _Problem(where, PRICE) from None
    if not price.is_finite() or price <= 0:
        raise _Problem(where, PRICE)
    return price


def _utf8(data: bytes, where: str) -> str:
    """``data`` decoded; bytes that are not UTF-8 (TOML's only encoding) are a problem at their line."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise _Problem(f"{where}line {line}", f"not UTF-8 text ({e.reason})") from None


def _digits(text: str) -> bool:
    """ASCII digits only: str.isdigit alone also takes "²", which int() refuses."""
    return text.isascii() and text.isdigit()
