"""The venue's configuration: accounts and their API keys, the instrument catalogue, rate limits, fees.

Loaded from TOML (``openrfq serve --config FILE``) or the built-in demo. Every problem is reported as a
``ConfigError`` naming the file, the line or key path, and what is wrong; nothing starts on a bad config.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from openrfq.domain.instrument import Instrument
from openrfq.domain.prices import DEFAULT_INDEX
from openrfq.instruments.catalogue import default_instruments, instruments_from_config

PERMISSIONS = frozenset({"read", "trade", "withdraw"})
_TRADER_CODE = re.compile(r"[A-Za-z0-9_]{1,32}")  # whole string: used with fullmatch


class ConfigError(Exception):
    """A configuration problem: ``str(e)`` is "FILE: WHERE: PROBLEM"."""


@dataclass(frozen=True, slots=True)
class ApiKey:
    api_key: str
    secret_key: str
    passphrase: str
    permissions: frozenset[str] = frozenset({"read", "trade"})


@dataclass(frozen=True, slots=True)
class Account:
    uid: str  # OKX User ID: the key private rate limits are counted by
    trader_code: str
    trader_name: str
    type: str  # "LP" for API-connected auto market makers, else ""
    keys: tuple[ApiKey, ...]
    generated: bool = False  # made by the venue for a bot: its key is random and never printed


INST_TYPES = ("SPOT", "SWAP", "FUTURES", "OPTION")
DEFAULT_BOT = "WAGMI"  # OKX's demo counterparty: a taker alone can trade against it
DEFAULT_SPREAD_BPS = {"SPOT": Decimal(10), "SWAP": Decimal(10), "FUTURES": Decimal(15), "OPTION": Decimal(300)}


@dataclass(frozen=True, slots=True)
class BotSettings:
    """A built-in liquidity-provider bot (``[[bots]]``): it quotes every RFQ sent to ``trader_code``."""

    trader_code: str = DEFAULT_BOT
    spread_bps: Mapping[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_SPREAD_BPS))  # per instType
    expires_in_s: int = 30  # the quotes' expiresIn
    requote_before_s: int = 5  # replace a quote this long before it expires
    inst_types: frozenset[str] = frozenset(INST_TYPES)


@dataclass(frozen=True, slots=True)
class PriceSettings:
    """Where index prices come from: ``static`` (``index``), ``random_walk`` (from ``index``, seeded), or
    ``replay`` (rows of offset ms, coin, price from a CSV file, looped)."""

    source: str = "static"
    index: Mapping[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_INDEX))
    volatility: float = 0.5
    seed: int = 1
    step_ms: int = 1000
    replay_rows: tuple[tuple[int, str, Decimal], ...] = ()


@dataclass(frozen=True, slots=True)
class Config:
    accounts: tuple[Account, ...]
    instruments: tuple[Instrument, ...]
    rate_limits_enabled: bool = True
    taker_fee_rate: Decimal = Decimal("0.0005")
    maker_fee_rate: Decimal = Decimal("0.0002")
    public_delay_ms: int = 0  # OKX publishes block trades 15 minutes late; a local venue defaults to none
    prices: PriceSettings = field(default_factory=PriceSettings)
    bots: tuple[BotSettings, ...] = ()
    source: str = "<built-in demo>"

    def account(self, trader_code: str) -> Account:
        return next(a for a in self.accounts if a.trader_code == trader_code)


DEMO_CONFIG_TOML = """\
# The built-in demo accounts: documented, not secret. Never use them on a venue others can reach.
[[accounts]]
uid = "100001"
trader_code = "TAKER1"
trader_name = "Demo Taker"
type = ""
  [[accounts.keys]]
  api_key = "demo-taker1-key"
  secret_key = "DEMO-TAKER1-SECRET"
  passphrase = "Demo-taker1-pass"
  permissions = ["read", "trade"]

[[accounts]]
uid = "200001"
trader_code = "MAKER1"
trader_name = "Demo Maker One"
type = "LP"
  [[accounts.keys]]
  api_key = "demo-maker1-key"
  secret_key = "DEMO-MAKER1-SECRET"
  passphrase = "Demo-maker1-pass"
  permissions = ["read", "trade"]

[[accounts]]
uid = "200002"
trader_code = "MAKER2"
trader_name = "Demo Maker Two"
type = "LP"
  [[accounts.keys]]
  api_key = "demo-maker2-key"
  secret_key = "DEMO-MAKER2-SECRET"
  passphrase = "Demo-maker2-pass"
  permissions = ["read", "trade"]
"""

_SECTIONS = {"accounts", "instruments", "rate_limits", "fees", "public_data", "prices", "bots"}


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


def _utf8(data: bytes, where: str) -> str:
    """``data`` decoded; bytes that are not UTF-8 (TOML's only encoding) are a problem at their line."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise _Problem(f"{where}line {line}", f"not UTF-8 text ({e.reason})") from None


def demo_config(today: datetime.date | None = None) -> Config:
    return parse_config(DEMO_CONFIG_TOML, "<built-in demo>", today)


def parse_config(text: str, source: str, today: datetime.date | None = None, base_dir: Path | None = None) -> Config:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: malformed TOML: {e}") from None
    try:
        return _build(doc, source, today or datetime.datetime.now(datetime.UTC).date(), base_dir or Path("."))
    except _Problem as e:
        raise ConfigError(f"{source}: {e.where}{_line_hint(text, e.needle)}: {e.problem}") from None


class _Problem(Exception):
    def __init__(self, where: str, problem: str, needle: str | None = None) -> None:
        super().__init__(f"{where}: {problem}")
        self.where, self.problem, self.needle = where, problem, needle


def _line_hint(text: str, needle: str | None) -> str:
    """ " (line N)" for the last line holding ``needle`` as a quoted value, to point at a duplicate."""
    if not needle:
        return ""
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if f'"{needle}"' in line or f"'{needle}'" in line]
    return f" (line {lines[-1]})" if lines else ""


def _table(doc: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, Mapping):
        raise _Problem(where, "must be a table")
    return value


def _string(table: Mapping[str, Any], key: str, where: str, *, required: bool = True, default: str = "") -> str:
    if key not in table:
        if required:
            raise _Problem(f"{where}.{key}", "required")
        return default
    value = table[key]
    if not isinstance(value, str):
        raise _Problem(f"{where}.{key}", "must be a string")
    return value


def _only(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise _Problem(f"{where}.{unknown[0]}" if where else unknown[0], "unknown key")


def _build(doc: Mapping[str, Any], source: str, today: datetime.date, base_dir: Path) -> Config:
    _only(doc, _SECTIONS, "")
    accounts = _accounts(doc.get("accounts"))
    bots = _bots(doc.get("bots", [{}]))  # no `bots` key: the WAGMI bot; `bots = []`: none
    accounts += _bot_accounts(bots, accounts)
    instruments = _instruments(_table(doc, "instruments", "instruments"), today)

    limits = _table(doc, "rate_limits", "rate_limits")
    _only(limits, {"enabled"}, "rate_limits")
    enabled = limits.get("enabled", True)
    if not isinstance(enabled, bool):
        raise _Problem("rate_limits.enabled", "must be true or false")

    fees = _table(doc, "fees", "fees")
    _only(fees, {"taker_fee_rate", "maker_fee_rate"}, "fees")
    rates: dict[str, Decimal] = {}
    for key, default in (("taker_fee_rate", 0.0005), ("maker_fee_rate", 0.0002)):
        value = fees.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
            raise _Problem(f"fees.{key}", "must be a number from 0 up to 1 (0.0005 = 5 bp)")
        rates[key] = Decimal(repr(value))  # repr: the float's shortest text, "0.0005"

    public = _table(doc, "public_data", "public_data")
    _only(public, {"delay_ms"}, "public_data")
    delay = public.get("delay_ms", 0)
    if isinstance(delay, bool) or not isinstance(delay, int) or delay < 0:
        raise _Problem("public_data.delay_ms", "must be a whole number of milliseconds >= 0")

    return Config(
        accounts=accounts,
        instruments=instruments,
        rate_limits_enabled=enabled,
        taker_fee_rate=rates["taker_fee_rate"],
        maker_fee_rate=rates["maker_fee_rate"],
        public_delay_ms=delay,
        prices=_prices(_table(doc, "prices", "prices"), base_dir),
        bots=bots,
        source=source,
    )


def _bots(raw: Any) -> tuple[BotSettings, ...]:
    if not isinstance(raw, list) or not all(isinstance(b, Mapping) for b in raw):
        raise _Problem("bots", "must be an array of tables ([[bots]]), or bots = [] for none")
    bots: list[BotSettings] = []
    for n, table in enumerate(raw, start=1):
        where = f"bots[{n}]"
        _only(table, {"trader_code", "spread_bps", "expires_in_s", "requote_before_s", "inst_types"}, where)
        code = _string(table, "trader_code", where, required=False, default=DEFAULT_BOT)
        if not _TRADER_CODE.fullmatch(code):
            raise _Problem(f"{where}.trader_code", f"must be 1-32 letters, digits or _, got {code!r}")
        if any(b.trader_code == code for b in bots):
            raise _Problem(f"{where}.trader_code", f"two bots for {code!r}", code)
        spread = dict(DEFAULT_SPREAD_BPS)
        raw_spread = table.get("spread_bps", {})
        if isinstance(raw_spread, Mapping):
            _only(raw_spread, set(INST_TYPES), f"{where}.spread_bps")
            spread.update({k: _bps(v, f"{where}.spread_bps.{k}") for k, v in raw_spread.items()})
        else:
            spread = dict.fromkeys(INST_TYPES, _bps(raw_spread, f"{where}.spread_bps"))
        expires, before = table.get("expires_in_s", 30), table.get("requote_before_s", 5)
        if isinstance(expires, bool) or not isinstance(expires, int) or not 10 <= expires <= 120:
            raise _Problem(
                f"{where}.expires_in_s", "must be a whole number of seconds from 10 to 120 (OKX's expiresIn)"
            )
        if isinstance(before, bool) or not isinstance(before, int) or not 1 <= before < expires:
            raise _Problem(f"{where}.requote_before_s", f"must be a whole number of seconds from 1 to {expires - 1}")
        kinds = table.get("inst_types", list(INST_TYPES))
        if not isinstance(kinds, list) or not kinds or not all(k in INST_TYPES for k in kinds):
            raise _Problem(f"{where}.inst_types", f"must be a non-empty list drawn from {', '.join(INST_TYPES)}")
        bots.append(BotSettings(code, spread, expires, before, frozenset(kinds)))
    return tuple(bots)


def _bps(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _Problem(where, "must be a number of basis points such as 10")
    try:
        bps = Decimal(str(value))
    except InvalidOperation:
        raise _Problem(where, "must be a number of basis points such as 10") from None
    if not bps.is_finite() or not 0 <= bps < 10000:
        raise _Problem(where, "must be from 0 up to 10000 basis points")
    return bps


_BOT_SECRET = secrets.token_bytes(32)  # per process: a bot's key is unknowable outside the venue running it


def _bot_secret(trader_code: str, part: str) -> str:
    digest = hmac.new(_BOT_SECRET, f"{trader_code}/{part}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"bot-{digest}" if part == "key" else digest


def _bot_accounts(bots: tuple[BotSettings, ...], accounts: tuple[Account, ...]) -> tuple[Account, ...]:
    """An LP account for each bot whose trader code no [[accounts]] declares, with a random key per start."""
    declared = {a.trader_code: a for a in accounts}
    uids = {a.uid for a in accounts}
    made: list[Account] = []
    next_uid = 900001
    for n, bot in enumerate(bots, start=1):
        account = declared.get(bot.trader_code)
        if account is not None:
            if not any("trade" in k.permissions for k in account.keys):
                raise _Problem(
                    f"bots[{n}].trader_code", f"account {bot.trader_code!r} has no key with trade permission"
                )
            continue
        while str(next_uid) in uids:
            next_uid += 1
        uids.add(str(next_uid))
        code = bot.trader_code
        key = ApiKey(_bot_secret(code, "key"), _bot_secret(code, "secret"), _bot_secret(code, "passphrase"))
        made.append(Account(str(next_uid), bot.trader_code, bot.trader_code, "LP", (key,), generated=True))
    return tuple(made)


def _prices(table: Mapping[str, Any], base_dir: Path) -> PriceSettings:
    _only(table, {"source", "index", "volatility", "seed", "step_ms", "file"}, "prices")
    source = _string(table, "source", "prices", required=False, default="static")
    if source not in ("static", "random_walk", "replay"):
        raise _Problem("prices.source", f'must be "static", "random_walk" or "replay", got {source!r}')
    index = dict(DEFAULT_INDEX)
    for coin, value in _table(table, "index", "prices.index").items():
        index[coin] = _price(value, f"prices.index.{coin}")
    volatility = table.get("volatility", 0.5)
    if isinstance(volatility, bool) or not isinstance(volatility, (int, float)) or not 0 < volatility < 10:
        raise _Problem("prices.volatility", "must be a number such as 0.5 (50% a year)")
    seed, step_ms = table.get("seed", 1), table.get("step_ms", 1000)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise _Problem("prices.seed", "must be a whole number")
    if isinstance(step_ms, bool) or not isinstance(step_ms, int) or step_ms < 1:
        raise _Problem("prices.step_ms", "must be a whole number of milliseconds >= 1")
    rows: tuple[tuple[int, str, Decimal], ...] = ()
    if source == "replay":
        rows = _replay_rows(base_dir / _string(table, "file", "prices"))
    return PriceSettings(source, index, float(volatility), seed, step_ms, rows)


def _price(value: Any, where: str) -> Decimal:
    try:
        price = Decimal(str(value)) if not isinstance(value, bool) else Decimal("NaN")
    except InvalidOperation:
        raise _Problem(where, 'must be a positive price such as "50000"') from None
    if not price.is_finite() or price <= 0:
        raise _Problem(where, 'must be a positive price such as "50000"')
    return price


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


def _digits(text: str) -> bool:
    """ASCII digits only: str.isdigit alone also takes "²", which int() refuses."""
    return text.isascii() and text.isdigit()


def _accounts(raw: Any) -> tuple[Account, ...]:
    if raw is None:
        raise _Problem("accounts", "at least one [[accounts]] table is required")
    if not isinstance(raw, list) or not all(isinstance(a, Mapping) for a in raw):
        raise _Problem("accounts", "must be an array of tables ([[accounts]])")
    if not raw:
        raise _Problem("accounts", "at least one [[accounts]] table is required")
    accounts: list[Account] = []
    uids: set[str] = set()
    codes: set[str] = set()
    api_keys: set[str] = set()
    for n, table in enumerate(raw, start=1):
        where = f"accounts[{n}]"
        _only(table, {"uid", "trader_code", "trader_name", "type", "keys"}, where)
        uid = _string(table, "uid", where)
        if not _digits(uid):
            raise _Problem(f"{where}.uid", f"must be digits, got {uid!r}")
        if uid in uids:
            raise _Problem(f"{where}.uid", f"duplicate uid {uid!r}", uid)
        code = _string(table, "trader_code", where)
        if not _TRADER_CODE.fullmatch(code):
            raise _Problem(f"{where}.trader_code", f"must be 1-32 letters, digits or _, got {code!r}")
        if code in codes:
            raise _Problem(f"{where}.trader_code", f"duplicate trader code {code!r}", code)
        account_type = _string(table, "type", where, required=False)
        if account_type not in ("", "LP"):
            raise _Problem(f"{where}.type", f'must be "" or "LP", got {account_type!r}')
        keys = _keys(table.get("keys", []), where, api_keys)
        uids.add(uid)
        codes.add(code)
        accounts.append(
            Account(uid, code, _string(table, "trader_name", where, required=False, default=code), account_type, keys)
        )
    return tuple(accounts)


def _keys(raw: Any, owner: str, seen: set[str]) -> tuple[ApiKey, ...]:
    if not isinstance(raw, list) or not all(isinstance(k, Mapping) for k in raw):
        raise _Problem(f"{owner}.keys", "must be an array of tables ([[accounts.keys]])")
    keys: list[ApiKey] = []
    for n, table in enumerate(raw, start=1):
        where = f"{owner}.keys[{n}]"
        _only(table, {"api_key", "secret_key", "passphrase", "permissions"}, where)
        api_key, secret, passphrase = (_string(table, k, where) for k in ("api_key", "secret_key", "passphrase"))
        for name, value in (("api_key", api_key), ("secret_key", secret), ("passphrase", passphrase)):
            if not value:
                raise _Problem(f"{where}.{name}", "must not be empty")
        if api_key in seen:
            raise _Problem(f"{where}.api_key", f"duplicate api_key {api_key!r}", api_key)
        permissions = table.get("permissions", ["read", "trade"])
        if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
            raise _Problem(f"{where}.permissions", 'must be a list such as ["read", "trade"]')
        unknown = sorted(set(permissions) - PERMISSIONS)
        if unknown:
            raise _Problem(f"{where}.permissions", f"unknown permission {unknown[0]!r} (known: read, trade, withdraw)")
        seen.add(api_key)
        keys.append(ApiKey(api_key, secret, passphrase, frozenset(permissions)))
    return tuple(keys)


def _instruments(table: Mapping[str, Any], today: datetime.date) -> tuple[Instrument, ...]:
    _only(table, {"replace", "list"}, "instruments")
    replace = table.get("replace", False)
    if not isinstance(replace, bool):
        raise _Problem("instruments.replace", "must be true or false")
    listed = table.get("list", [])
    if not isinstance(listed, list):
        raise _Problem("instruments.list", "must be an array of tables ([[instruments.list]])")
    try:
        declared = instruments_from_config(listed)
    except ValueError as e:
        where, _, problem = str(e).partition(": ")
        raise _Problem(where, problem) from None
    by_id = {} if replace else {i.inst_id: i for i in default_instruments(today)}
    seen: set[str] = set()
    for n, inst in enumerate(declared, start=1):
        if inst.inst_id in seen:
            raise _Problem(f"instruments.list[{n}].instId", f"duplicate instrument {inst.inst_id!r}", inst.inst_id)
        seen.add(inst.inst_id)
        by_id[inst.inst_id] = inst  # a declared instrument overrides a default one of the same id
    if not by_id:
        raise _Problem("instruments", "replace = true needs at least one [[instruments.list]] entry")
    return tuple(by_id.values())
