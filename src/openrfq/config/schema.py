"""The TOML format, one Struct per table: msgspec checks types, ranges, patterns and unknown keys as it decodes.

A field's ``Meta(description=...)`` is the PROBLEM a config error states when the file's value there is wrong
(``{value!r}``: the value the file gave); a string or true/false key given another type needs none ("must be a
string", "must be true or false"). What one field's type cannot say (one value against another, a ``Decimal``'s
range) ``__post_init__`` checks, raising ``ValueError("KEY: PROBLEM")``: msgspec puts the table's path in front.
Adding a key is one line in its Struct.

``ApiKey``, ``Account`` and ``BotSettings`` are decoded as the venue runs them. ``Config`` and ``PriceSettings``
are what the venue runs, assembled from a ``ConfigFile`` by ``loader``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

import msgspec
from msgspec import Meta, Struct
from msgspec.structs import force_setattr

from openrfq.domain.instrument import Instrument
from openrfq.domain.prices import DEFAULT_INDEX

PERMISSIONS = ("read", "trade", "withdraw")
InstTypeName = Literal["SPOT", "SWAP", "FUTURES", "OPTION"]
INST_TYPES: tuple[InstTypeName, ...] = ("SPOT", "SWAP", "FUTURES", "OPTION")
DEFAULT_BOT = "WAGMI"  # OKX's demo counterparty: a taker alone can trade against it
DEFAULT_SPREAD_BPS = {"SPOT": Decimal(10), "SWAP": Decimal(10), "FUTURES": Decimal(15), "OPTION": Decimal(300)}
PRICE = 'must be a positive price such as "50000"'
_ISO_UTC = r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z\Z"
BPS = "must be a number of basis points such as 10"
TABLES = "must be an array of tables ([[{}]])"
_MS_UP_TO_AN_HOUR = "must be a whole number of milliseconds from 0 to 3600000"

Uid = Annotated[str, Meta(pattern=r"\A[0-9]+\Z", description="must be digits, got {value!r}")]
TraderCode = Annotated[
    str, Meta(pattern=r"\A[A-Za-z0-9_]{1,32}\Z", description="must be 1-32 letters, digits or _, got {value!r}")
]
AccountType = Annotated[Literal["", "LP"], Meta(description='must be "" or "LP", got {value!r}')]
Secret = Annotated[str, Meta(min_length=1, description="must not be empty")]
Permissions = Annotated[frozenset[str], Meta(description='must be a list such as ["read", "trade"]')]
Environment = Annotated[
    Literal["demo", "live", "any"], Meta(description='must be "demo", "live" or "any", got {value!r}')
]
SubAccount = Annotated[str, Meta(pattern=r"\A(?!0\Z)[A-Za-z0-9_.-]{1,32}\Z")]
SUB_ACCOUNTS = (
    'must be a list of names of 1-32 letters, digits, "_", "." or "-" such as ["alpha-1"] '
    '("0" is taken: it names the account itself)'
)
InstTypes = Annotated[
    frozenset[InstTypeName],
    Meta(min_length=1, description=f"must be a non-empty list drawn from {', '.join(INST_TYPES)}"),
]
ExpiresIn = Annotated[
    int, Meta(ge=10, le=120, description="must be a whole number of seconds from 10 to 120 (OKX's expiresIn)")
]
RequoteBefore = Annotated[int, Meta(description="must be a whole number of seconds from 1 to expires_in_s - 1")]
FeeRate = Annotated[float, Meta(ge=0, lt=1, description="must be a number from 0 up to 1 (0.0005 = 5 bp)")]
Bps = Annotated[Decimal, Meta(description=BPS)]
if TYPE_CHECKING:
    SpreadBps = Mapping[str, Decimal]
else:  # the file may give one number for every instType: __post_init__ makes it the mapping the venue reads
    SpreadBps = Annotated[Bps | dict[InstTypeName, Bps], Meta(description=BPS)]


class ApiKey(Struct, frozen=True, forbid_unknown_fields=True):
    api_key: Secret
    secret_key: Secret
    passphrase: Secret
    permissions: Permissions = frozenset({"read", "trade"})
    # OKX's keys belong to demo or live trading: a demo key must send ``x-simulated-trading: 1``, a live key must
    # not (50101 otherwise). "any": either, as a local venue's keys usually are.
    environment: Environment = "any"

    def __post_init__(self) -> None:
        unknown = sorted(self.permissions - set(PERMISSIONS))
        if unknown:
            raise ValueError(f"permissions: unknown permission {unknown[0]!r} (known: {', '.join(PERMISSIONS)})")


class Account(Struct, frozen=True, forbid_unknown_fields=True):
    uid: Uid  # OKX User ID: the key private rate limits are counted by
    trader_code: TraderCode
    trader_name: str = ""  # left out of the file: the trader code
    type: AccountType = ""  # "LP" for API-connected auto market makers
    keys: Annotated[tuple[ApiKey, ...], Meta(description=TABLES.format("accounts.keys"))] = ()
    # Names of its sub-accounts (not accounts of the venue): a group RFQ's acctAlloc may split across them and "0",
    # the account itself.
    sub_accounts: Annotated[tuple[SubAccount, ...], Meta(description=SUB_ACCOUNTS)] = ()

    generated: ClassVar[bool] = False  # made by the venue for a bot (bots.accounts): its key is never printed

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for name in self.sub_accounts:
            if name in seen:
                raise ValueError(f"sub_accounts: {name!r} is listed twice")
            seen.add(name)


class BotSettings(Struct, frozen=True, forbid_unknown_fields=True):
    """A built-in liquidity-provider bot (``[[bots]]``): it quotes every RFQ sent to ``trader_code``."""

    trader_code: TraderCode = DEFAULT_BOT
    spread_bps: SpreadBps = msgspec.field(default_factory=lambda: dict(DEFAULT_SPREAD_BPS))  # per instType
    expires_in_s: ExpiresIn = 30  # the quotes' expiresIn
    requote_before_s: RequoteBefore = 5  # replace a quote this long before it expires
    inst_types: InstTypes = frozenset(INST_TYPES)
    # Scripted behaviours (venue time, seeded): a taker's tests meet slow, absent, fading, skewed makers on purpose.
    quote_delay_ms: Annotated[int, Meta(ge=0, le=3_600_000, description=_MS_UP_TO_AN_HOUR)] = 0  # before quoting
    decline_ratio: Annotated[float, Meta(ge=0, le=1, description="must be a share from 0 to 1")] = 0.0
    fade_after_ms: Annotated[int, Meta(ge=0, le=3_600_000, description=_MS_UP_TO_AN_HOUR)] = 0  # 0: never
    requote: bool = True  # false: one quote per RFQ, not replaced before it expires
    skew_bps: dict[Literal["buy", "sell"], Bps] = {}  # more (or, negative, less) spread on the side the bot takes
    seed: Annotated[int, Meta(description="must be a whole number")] = 0  # which RFQs decline_ratio declines

    def __post_init__(self) -> None:
        given = self.spread_bps
        spread = dict.fromkeys(INST_TYPES, given) if isinstance(given, Decimal) else {**DEFAULT_SPREAD_BPS, **given}
        for inst_type, bps in spread.items():
            if not bps.is_finite() or not 0 <= bps < 10000:
                where = "spread_bps" if isinstance(given, Decimal) else f"spread_bps.{inst_type}"
                raise ValueError(f"{where}: must be from 0 up to 10000 basis points")
        force_setattr(self, "spread_bps", spread)
        for side, bps in self.skew_bps.items():
            if not bps.is_finite() or not -10000 < bps < 10000:
                raise ValueError(f"skew_bps.{side}: must be from -10000 up to 10000 basis points")
        if not 1 <= self.requote_before_s < self.expires_in_s:
            raise ValueError(f"requote_before_s: must be a whole number of seconds from 1 to {self.expires_in_s - 1}")


class RateLimits(Struct, frozen=True, forbid_unknown_fields=True):
    enabled: bool = True  # OKX's per-endpoint limits; false for load tests


class Fees(Struct, frozen=True, forbid_unknown_fields=True):
    """TOML numbers (a string is refused); ``Config`` holds them as ``Decimal``."""

    taker_fee_rate: FeeRate = 0.0005
    maker_fee_rate: FeeRate = 0.0002


class PublicData(Struct, frozen=True, forbid_unknown_fields=True):
    delay_ms: Annotated[int, Meta(ge=0, description="must be a whole number of milliseconds >= 0")] = 0


class Instruments(Struct, frozen=True, forbid_unknown_fields=True):
    replace: bool = False  # true: serve only the listed instruments, not the default catalogue
    # OKX's field names, each entry checked by instruments.catalogue
    listed: Annotated[tuple[Any, ...], Meta(description=TABLES.format("instruments.list"))] = msgspec.field(
        default=(), name="list"
    )

    def __post_init__(self) -> None:
        if self.replace and not self.listed:
            raise ValueError("replace = true needs at least one [[instruments.list]] entry")


class Prices(Struct, frozen=True, forbid_unknown_fields=True):
    source: Annotated[
        Literal["static", "random_walk", "replay"],
        Meta(description='must be "static", "random_walk" or "replay", got {value!r}'),
    ] = "static"
    index: dict[str, Annotated[Decimal, Meta(description=PRICE)]] = {}  # over DEFAULT_INDEX
    volatility: Annotated[float, Meta(gt=0, lt=10, description="must be a number such as 0.5 (50% a year)")] = 0.5
    seed: Annotated[int, Meta(description="must be a whole number")] = 1
    step_ms: Annotated[int, Meta(ge=1, description="must be a whole number of milliseconds >= 1")] = 1000
    file: str = ""  # replay: a CSV file of offset_ms,coin,price rows, relative to the config file

    def __post_init__(self) -> None:
        for coin, price in self.index.items():
            if not price.is_finite() or price <= 0:
                raise ValueError(f"index.{coin}: {PRICE}")
        if self.source == "replay" and not self.file:
            raise ValueError("file: required")


class Execution(Struct, frozen=True, forbid_unknown_fields=True):
    # 0: an execution settles at once (filled in the same step). N: OKX's two steps, the RFQ and the quote
    # pending_fill for N ms of venue time, then filled (or failed, by a settle_fail fault).
    settlement_ms: Annotated[int, Meta(ge=0, le=3_600_000, description=_MS_UP_TO_AN_HOUR)] = 0


class StoreSection(Struct, frozen=True, forbid_unknown_fields=True):
    # Ended RFQs, quotes and trades kept in memory, besides what is live, until the store has their keys: once more
    # than this many wait, their keys are written in one batch and they leave memory; the store answers for them
    # from then on. 0: each leaves memory with the first batch durable after it ended.
    history_cache: Annotated[int, Meta(ge=0, le=10_000_000, description="must be 0 to 10000000, got {value!r}")] = 1024
    # "" (default): SQLite in the data directory; "postgresql://USER@HOST:PORT/DBNAME" (or libpq's key=value
    # form): PostgreSQL, with standbys (openrfq.standby). --store / OPENRFQ_STORE override it.
    url: Annotated[
        str,
        Meta(
            pattern=r"\A(|postgres(ql)?://.*|.*=.*)\Z",
            description='must be a PostgreSQL URL such as "postgresql://openrfq@db:5432/openrfq", got {value!r}',
        ),
    ] = ""


class Admin(Struct, frozen=True, forbid_unknown_fields=True):
    token: str = ""  # the control plane's bearer token (/openrfq/v1); "" turns the control plane off


class ClockSection(Struct, frozen=True, forbid_unknown_fields=True):
    mode: Annotated[Literal["real", "virtual"], Meta(description='must be "real" or "virtual", got {value!r}')] = "real"
    start: Annotated[
        str,
        Meta(pattern=_ISO_UTC, description='must be a UTC time such as "2026-01-01T00:00:00Z", got {value!r}'),
    ] = ""  # a virtual clock's first time (default: the machine's now)
    auth: Annotated[Literal["machine", "venue"], Meta(description='must be "machine" or "venue", got {value!r}')] = (
        "machine"  # what request and login timestamps are checked against
    )

    def start_ms(self) -> int | None:
        if not self.start:
            return None
        moment = datetime.datetime.fromisoformat(self.start.replace("Z", "+00:00"))
        return int(moment.timestamp() * 1000)


class ConfigFile(Struct, frozen=True, forbid_unknown_fields=True):
    """A whole file. Without a ``bots`` key the WAGMI bot runs; ``bots = []`` runs none."""

    accounts: Annotated[tuple[Account, ...], Meta(description=TABLES.format("accounts"))] = ()
    instruments: Instruments = Instruments()
    rate_limits: RateLimits = RateLimits()
    fees: Fees = Fees()
    public_data: PublicData = PublicData()
    prices: Prices = Prices()
    bots: Annotated[tuple[BotSettings, ...], Meta(description=TABLES.format("bots") + ", or bots = [] for none")] = (
        BotSettings(),
    )
    admin: Admin = Admin()
    clock: ClockSection = ClockSection()
    execution: Execution = Execution()
    store: StoreSection = StoreSection()

    def __post_init__(self) -> None:
        if not self.accounts:
            raise ValueError("accounts: at least one [[accounts]] table is required")


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
    """What the venue runs: the file's accounts and those made for its bots, the catalogue for today, ..."""

    accounts: tuple[Account, ...]
    instruments: tuple[Instrument, ...]
    rate_limits_enabled: bool = True
    taker_fee_rate: Decimal = Decimal("0.0005")
    maker_fee_rate: Decimal = Decimal("0.0002")
    public_delay_ms: int = 0  # OKX publishes block trades 15 minutes late; a local venue defaults to none
    prices: PriceSettings = field(default_factory=PriceSettings)
    bots: tuple[BotSettings, ...] = ()
    source: str = "<built-in demo>"
    admin_token: str = ""  # the control plane's token; "" is none (off)
    clock_mode: str = "real"  # "virtual": venue time stands still until the control plane moves it
    clock_start_ms: int | None = None  # a virtual clock's first time (None: now)
    clock_auth: str = "machine"  # request and login timestamps are checked against the "machine" or "venue" clock
    settlement_ms: int = 0  # 0: executions settle at once; N: pending_fill for N ms of venue time first
    history_cache: int = 1024  # ended entities kept in memory until the store has their keys ([store])
    store_url: str = ""  # "": SQLite in the data directory; else PostgreSQL's URL ([store] url)

    def account(self, trader_code: str) -> Account:
        return next(a for a in self.accounts if a.trader_code == trader_code)
