"""The TOML configuration: accounts and keys, instruments, rate limits, fees, public data, prices; the demo.

Every invalid config is a ConfigError "FILE: WHERE: PROBLEM" naming the file, the key path (or line) and the
problem; nothing else escapes.
"""

from __future__ import annotations

import datetime
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from openrfq.bots.accounts import with_bot_accounts
from openrfq.cli import config_to_text_summary
from openrfq.config import (
    DEMO_CONFIG_TOML,
    Account,
    ApiKey,
    BotSettings,
    Config,
    ConfigError,
    PriceSettings,
    demo_config,
    load_config,
    parse_config,
)
from openrfq.domain.enums import InstType
from openrfq.domain.prices import DEFAULT_INDEX
from openrfq.instruments.catalogue import default_instruments

TODAY = datetime.date(2025, 11, 13)
SOURCE = "venue.toml"

ACCOUNT = """
[[accounts]]
uid = "100001"
trader_code = "TAKER1"
trader_name = "Alpha Capital"
type = ""
  [[accounts.keys]]
  api_key = "k1"
  secret_key = "s1"
  passphrase = "p1"
  permissions = ["read", "trade"]
"""

MAKER = """
[[accounts]]
uid = "200001"
trader_code = "MAKER1"
trader_name = "Maker One"
type = "LP"
  [[accounts.keys]]
  api_key = "k2"
  secret_key = "s2"
  passphrase = "p2"
"""

SOL = """
  [[instruments.list]]
  instType = "SPOT"
  instId = "SOL-USDT"
  tickSz = "0.01"
  lotSz = "0.0001"
  minSz = "0.01"
"""


def _parse(text: str) -> Config:
    return parse_config(textwrap.dedent(text), SOURCE, TODAY)


def _line(text: str, number: int) -> str:
    return textwrap.dedent(text).splitlines()[number - 1]


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as raised:
        _parse(text)
    return str(raised.value)


# --- the demo ------------------------------------------------------------------------------------------------------


def test_demo_accounts_one_taker_two_lp_makers_and_the_wagmi_bot() -> None:
    config = with_bot_accounts(demo_config(TODAY))

    assert [(a.uid, a.trader_code, a.type, a.generated) for a in config.accounts] == [
        ("100001", "TAKER1", "", False),
        ("200001", "MAKER1", "LP", False),
        ("200002", "MAKER2", "LP", False),
        ("900001", "WAGMI", "LP", True),
    ]
    assert config.bots == (BotSettings(),)
    assert config.accounts[0] == Account(
        "100001",
        "TAKER1",
        "Demo Taker",
        "",
        (ApiKey("demo-taker1-key", "DEMO-TAKER1-SECRET", "Demo-taker1-pass", frozenset({"read", "trade"})),),
    )
    for account in config.accounts[:3]:
        (key,) = account.keys
        assert key.permissions == frozenset({"read", "trade"})
        assert key.api_key == f"demo-{account.trader_code.lower()}-key"
    assert config.source == "<built-in demo>"


def test_demo_has_the_default_catalogue_and_defaults() -> None:
    config = demo_config(TODAY)

    assert config.instruments == tuple(default_instruments(TODAY))
    assert config.rate_limits_enabled is True
    assert (config.taker_fee_rate, config.maker_fee_rate, config.public_delay_ms) == (
        Decimal("0.0005"),
        Decimal("0.0002"),
        0,
    )
    assert config.prices == PriceSettings()


def test_demo_is_the_documented_toml() -> None:
    assert parse_config(DEMO_CONFIG_TOML, "<built-in demo>", TODAY) == demo_config(TODAY)


def test_without_today_the_catalogue_is_generated_for_the_current_utc_day() -> None:
    before = datetime.datetime.now(datetime.UTC).date()
    config = demo_config()
    after = datetime.datetime.now(datetime.UTC).date()

    assert config.instruments in (tuple(default_instruments(before)), tuple(default_instruments(after)))


def test_summary_lists_every_key_with_its_secrets() -> None:
    summary = config_to_text_summary(demo_config(TODAY)).splitlines()

    assert len(summary) == 3
    assert summary[1].split() == [
        "MAKER1",
        "uid=200001",
        "api_key=demo-maker1-key",
        "secret_key=DEMO-MAKER1-SECRET",
        "passphrase=Demo-maker1-pass",
        "permissions=read,trade",
    ]


def _declared(config: Config) -> list[Account]:
    """The [[accounts]] of the file, without the account the venue makes for the default WAGMI bot."""
    return [a for a in config.accounts if not a.generated]


# --- accounts ------------------------------------------------------------------------------------------------------


def test_accounts_and_keys_are_read() -> None:
    config = _parse(ACCOUNT + MAKER)

    taker, maker = _declared(config)
    assert taker == Account(
        "100001", "TAKER1", "Alpha Capital", "", (ApiKey("k1", "s1", "p1", frozenset({"read", "trade"})),)
    )
    assert (maker.uid, maker.trader_code, maker.trader_name, maker.type) == ("200001", "MAKER1", "Maker One", "LP")
    assert config.source == SOURCE


def test_optional_account_fields_have_defaults() -> None:
    config = _parse(
        """
        [[accounts]]
        uid = "7"
        trader_code = "SOLO"
        """
    )

    (account,) = _declared(config)
    assert (account.trader_name, account.type, account.keys) == ("SOLO", "", ())


def test_a_key_without_permissions_reads_and_trades() -> None:
    config = _parse(MAKER)

    assert config.accounts[0].keys[0].permissions == frozenset({"read", "trade"})


@pytest.mark.parametrize(
    "permissions", [[], ["read"], ["trade"], ["withdraw"], ["read", "trade", "withdraw"], ["read", "read"]]
)
def test_permissions_are_any_subset_of_read_trade_withdraw(permissions: list[str]) -> None:
    listed = ", ".join(f'"{p}"' for p in permissions)
    config = _parse(ACCOUNT.replace('permissions = ["read", "trade"]', f"permissions = [{listed}]"))

    assert config.accounts[0].keys[0].permissions == frozenset(permissions)


def test_one_account_may_hold_several_keys() -> None:
    config = _parse(
        ACCOUNT
        + """
  [[accounts.keys]]
  api_key = "k1-read-only"
  secret_key = "s"
  passphrase = "p"
  permissions = ["read"]
"""
    )

    assert [(k.api_key, sorted(k.permissions)) for k in config.accounts[0].keys] == [
        ("k1", ["read", "trade"]),
        ("k1-read-only", ["read"]),
    ]


def test_a_duplicate_trader_code_names_the_account_and_its_line() -> None:
    text = ACCOUNT + MAKER.replace('"MAKER1"', '"TAKER1"')

    assert _error(text) == f"{SOURCE}: accounts[2].trader_code (line 15): duplicate trader code 'TAKER1'"
    assert _line(text, 15) == 'trader_code = "TAKER1"'


def test_a_duplicate_uid_names_the_account_and_its_line() -> None:
    text = ACCOUNT + MAKER.replace('"200001"', '"100001"')

    assert _error(text) == f"{SOURCE}: accounts[2].uid (line 14): duplicate uid '100001'"
    assert _line(text, 14) == 'uid = "100001"'


def test_a_duplicate_api_key_across_accounts_names_the_key_and_its_line() -> None:
    text = ACCOUNT + MAKER.replace('"k2"', '"k1"')

    assert _error(text) == f"{SOURCE}: accounts[2].keys[1].api_key (line 19): duplicate api_key 'k1'"
    assert _line(text, 19) == '  api_key = "k1"'


def test_a_duplicate_api_key_within_one_account() -> None:
    text = ACCOUNT + '  [[accounts.keys]]\n  api_key = "k1"\n  secret_key = "x"\n  passphrase = "y"\n'

    assert _error(text) == f"{SOURCE}: accounts[1].keys[2].api_key (line 13): duplicate api_key 'k1'"
    assert _line(text, 13) == '  api_key = "k1"'


@pytest.mark.parametrize("environment", ["demo", "live", "any"])
def test_a_key_is_for_demo_live_or_any_environment(environment: str) -> None:
    text = ACCOUNT.replace(
        'permissions = ["read", "trade"]', f'permissions = ["read", "trade"]\n  environment = "{environment}"'
    )

    assert _parse(text).accounts[0].keys[0].environment == environment
    assert _parse(ACCOUNT).accounts[0].keys[0].environment == "any"


def test_an_unknown_environment() -> None:
    text = ACCOUNT.replace('permissions = ["read", "trade"]', 'permissions = ["read", "trade"]\n  environment = "prod"')

    assert _error(text) == f'{SOURCE}: accounts[1].keys[1].environment: must be "demo", "live" or "any", got \'prod\''


def test_an_unknown_permission() -> None:
    text = ACCOUNT.replace('["read", "trade"]', '["read", "admin"]')

    assert _error(text) == (
        f"{SOURCE}: accounts[1].keys[1].permissions: unknown permission 'admin' (known: read, trade, withdraw)"
    )


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        ("", "accounts", "at least one [[accounts]] table is required"),
        ("accounts = []", "accounts", "at least one [[accounts]] table is required"),
        ("[accounts]\nuid = '1'", "accounts", "must be an array of tables ([[accounts]])"),
        ("accounts = ['TAKER1']", "accounts", "must be an array of tables ([[accounts]])"),
        (ACCOUNT.replace('uid = "100001"', ""), "accounts[1].uid", "required"),
        (ACCOUNT.replace('uid = "100001"', "uid = 100001"), "accounts[1].uid", "must be a string"),
        (ACCOUNT.replace('uid = "100001"', 'uid = "u100001"'), "accounts[1].uid", "must be digits, got 'u100001'"),
        (ACCOUNT.replace('uid = "100001"', 'uid = ""'), "accounts[1].uid", "must be digits, got ''"),
        (
            ACCOUNT.replace('uid = "100001"', 'uid = "\u0661\u0662"'),
            "accounts[1].uid",
            "must be digits, got '\u0661\u0662'",
        ),
        (ACCOUNT.replace('trader_code = "TAKER1"', ""), "accounts[1].trader_code", "required"),
        (ACCOUNT.replace('"TAKER1"', "1"), "accounts[1].trader_code", "must be a string"),
        (
            ACCOUNT.replace('"TAKER1"', '"TAKER 1"'),
            "accounts[1].trader_code",
            "must be 1-32 letters, digits or _, got 'TAKER 1'",
        ),
        (ACCOUNT.replace('"TAKER1"', '""'), "accounts[1].trader_code", "must be 1-32 letters, digits or _, got ''"),
        (
            ACCOUNT.replace('"TAKER1"', '"' + "T" * 33 + '"'),
            "accounts[1].trader_code",
            "must be 1-32 letters, digits or _, got '" + "T" * 33 + "'",
        ),
        (
            ACCOUNT.replace('"TAKER1"', '"TAKER1\\n"'),
            "accounts[1].trader_code",
            "must be 1-32 letters, digits or _, got 'TAKER1\\n'",
        ),
        (
            ACCOUNT.replace('trader_name = "Alpha Capital"', "trader_name = 5"),
            "accounts[1].trader_name",
            "must be a string",
        ),
        (ACCOUNT.replace('type = ""', 'type = "MM"'), "accounts[1].type", 'must be "" or "LP", got \'MM\''),
        (ACCOUNT.replace('type = ""', 'type = "lp"'), "accounts[1].type", 'must be "" or "LP", got \'lp\''),
        (ACCOUNT.replace('type = ""', "type = true"), "accounts[1].type", "must be a string"),
        (ACCOUNT.replace('type = ""', 'desk = "rates"'), "accounts[1].desk", "unknown key"),
        (ACCOUNT.replace('api_key = "k1"', ""), "accounts[1].keys[1].api_key", "required"),
        (ACCOUNT.replace('secret_key = "s1"', ""), "accounts[1].keys[1].secret_key", "required"),
        (ACCOUNT.replace('passphrase = "p1"', ""), "accounts[1].keys[1].passphrase", "required"),
        (ACCOUNT.replace('api_key = "k1"', 'api_key = ""'), "accounts[1].keys[1].api_key", "must not be empty"),
        (
            ACCOUNT.replace('secret_key = "s1"', 'secret_key = ""'),
            "accounts[1].keys[1].secret_key",
            "must not be empty",
        ),
        (
            ACCOUNT.replace('passphrase = "p1"', 'passphrase = ""'),
            "accounts[1].keys[1].passphrase",
            "must not be empty",
        ),
        (ACCOUNT.replace('secret_key = "s1"', "secret_key = 1"), "accounts[1].keys[1].secret_key", "must be a string"),
        (
            ACCOUNT.replace('passphrase = "p1"', 'passphrase = "p1"\nlabel = "x"'),
            "accounts[1].keys[1].label",
            "unknown key",
        ),
        (
            ACCOUNT.replace('["read", "trade"]', '"read"'),
            "accounts[1].keys[1].permissions",
            'must be a list such as ["read", "trade"]',
        ),
        (
            ACCOUNT.replace('["read", "trade"]', "[1]"),
            "accounts[1].keys[1].permissions",
            'must be a list such as ["read", "trade"]',
        ),
        (
            '[[accounts]]\nuid = "1"\ntrader_code = "A"\nkeys = "k1"',
            "accounts[1].keys",
            "must be an array of tables ([[accounts.keys]])",
        ),
        (
            '[[accounts]]\nuid = "1"\ntrader_code = "A"\nkeys = [1]',
            "accounts[1].keys",
            "must be an array of tables ([[accounts.keys]])",
        ),
    ],
)
def test_an_invalid_account_names_its_key_path_and_the_problem(text: str, where: str, problem: str) -> None:
    assert _error(text) == f"{SOURCE}: {where}: {problem}"


def test_the_second_account_is_named_by_position() -> None:
    assert _error(ACCOUNT + MAKER.replace('type = "LP"', 'type = "X"')) == (
        f'{SOURCE}: accounts[2].type: must be "" or "LP", got \'X\''
    )


def test_trader_codes_and_uids_are_case_and_text_exact() -> None:
    config = _parse(ACCOUNT + MAKER.replace('"MAKER1"', '"taker1"'))

    assert [a.trader_code for a in _declared(config)] == ["TAKER1", "taker1"]


# --- the file itself -----------------------------------------------------------------------------------------------


def test_malformed_toml_names_the_file_and_the_line() -> None:
    text = ACCOUNT + "\n[fees\ntaker_fee_rate = 0.1\n"

    message = _error(text)

    assert message.startswith(f"{SOURCE}: malformed TOML: ")
    assert "line 13" in message and _line(text, 13) == "[fees"


def test_a_repeated_key_is_malformed_toml() -> None:
    message = _error(ACCOUNT.replace('type = ""', 'type = ""\ntype = "LP"'))

    assert message.startswith(f"{SOURCE}: malformed TOML: ") and "line 7" in message


@pytest.mark.parametrize("section", ["server", "account", "instrument", "fee"])
def test_an_unknown_section_is_named(section: str) -> None:
    assert _error(ACCOUNT + f"\n[{section}]\nx = 1\n") == f"{SOURCE}: {section}: unknown key"


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        ('"a.b"', '"a.b"'),
        ('""', '""'),
        ('"\\n"', '"\\u000a"'),  # one line, whatever the key holds (found by tests/test_config_fuzz.py)
        ('"say \\"hi\\""', '"say \\"hi\\""'),
        ('"café"', '"café"'),
    ],
)
def test_an_unknown_key_that_is_not_bare_is_shown_quoted_on_one_line(key: str, shown: str) -> None:
    assert _error(ACCOUNT + f"\n[store]\n{key} = 1\n") == f"{SOURCE}: store.{shown}: unknown key"
    assert _error(f"{key} = 1\n" + ACCOUNT) == f"{SOURCE}: {shown}: unknown key"  # a top-level key


@pytest.mark.parametrize("section", ["instruments", "rate_limits", "fees", "public_data", "prices"])
def test_a_section_that_is_not_a_table(section: str) -> None:
    assert _error(f"{section} = false\n" + ACCOUNT) == f"{SOURCE}: {section}: must be a table"


def test_load_config_names_the_file_path(tmp_path: Path) -> None:
    path = tmp_path / "venue.toml"
    path.write_text(ACCOUNT.replace('type = ""', 'type = "X"'), encoding="utf-8")

    with pytest.raises(ConfigError) as raised:
        load_config(path, TODAY)

    assert str(raised.value) == f'{path}: accounts[1].type: must be "" or "LP", got \'X\''


def test_load_config_reads_a_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "venue.toml"
    path.write_text(ACCOUNT + MAKER, encoding="utf-8")

    config = load_config(path, TODAY)

    assert config.source == str(path)
    assert [a.trader_code for a in _declared(config)] == ["TAKER1", "MAKER1"]
    assert config == parse_config(ACCOUNT + MAKER, str(path), TODAY)


def test_a_missing_file_cannot_be_read(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"

    with pytest.raises(ConfigError) as raised:
        load_config(path, TODAY)

    assert str(raised.value) == f"{path}: cannot read: No such file or directory"


def test_a_directory_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path, TODAY)

    assert str(raised.value).startswith(f"{tmp_path}: cannot read: ")


def test_a_file_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(ACCOUNT.replace("Alpha Capital", "Caf\u00e9 Capital").encode("latin-1"))

    with pytest.raises(ConfigError) as raised:
        load_config(path, TODAY)

    assert str(raised.value) == f"{path}: line 5: not UTF-8 text (invalid continuation byte)"


# --- instruments ---------------------------------------------------------------------------------------------------


def _ids(text: str) -> list[str]:
    return [i.inst_id for i in _parse(text).instruments]


def test_without_instruments_the_default_catalogue_is_served() -> None:
    assert _parse(ACCOUNT).instruments == tuple(default_instruments(TODAY))


def test_the_catalogue_follows_today() -> None:
    later = datetime.date(2026, 12, 28)

    assert parse_config(ACCOUNT, SOURCE, later).instruments == tuple(default_instruments(later))


def test_replace_true_serves_only_the_listed_instruments() -> None:
    config = _parse(ACCOUNT + "\n[instruments]\nreplace = true\n" + SOL)

    (sol,) = config.instruments
    assert (sol.inst_type, sol.inst_id, sol.tick_sz, sol.lot_sz, sol.min_sz) == (
        InstType.SPOT,
        "SOL-USDT",
        Decimal("0.01"),
        Decimal("0.0001"),
        Decimal("0.01"),
    )
    assert (sol.base_ccy, sol.quote_ccy) == ("SOL", "USDT")


@pytest.mark.parametrize("replace", ["replace = false\n", ""])
def test_replace_false_extends_the_defaults(replace: str) -> None:
    ids = _ids(ACCOUNT + "\n[instruments]\n" + replace + SOL)

    assert ids == [i.inst_id for i in default_instruments(TODAY)] + ["SOL-USDT"]


def test_a_listed_instrument_overrides_the_default_of_the_same_id_in_place() -> None:
    override = SOL.replace("SOL-USDT", "BTC-USDT").replace('tickSz = "0.01"', 'tickSz = "1"')

    config = _parse(ACCOUNT + "\n[instruments]\n" + override)

    defaults = default_instruments(TODAY)
    assert [i.inst_id for i in config.instruments] == [i.inst_id for i in defaults]
    btc = config.instruments[0]
    assert (btc.inst_id, btc.tick_sz, btc.lot_sz) == ("BTC-USDT", Decimal(1), Decimal("0.0001"))
    assert config.instruments[1:] == tuple(defaults[1:])


def test_instruments_use_okx_field_names() -> None:
    config = _parse(
        ACCOUNT
        + """
[instruments]
replace = true
  [[instruments.list]]
  instType = "SWAP"
  instId = "SOL-USDT-SWAP"
  tickSz = "0.001"
  lotSz = "1"
  minSz = "1"
  ctVal = "1"
  ctMult = "1"
  ctValCcy = "SOL"
  settleCcy = "USDT"
  ctType = "linear"
  lever = "50"
  listTime = "1700000000000"
"""
    )

    (swap,) = config.instruments
    assert (swap.inst_type, swap.inst_family, swap.ct_val, swap.ct_val_ccy, swap.settle_ccy, swap.ct_type) == (
        InstType.SWAP,
        "SOL-USDT",
        Decimal(1),
        "SOL",
        "USDT",
        "linear",
    )
    assert (swap.lever, swap.list_time) == ("50", 1_700_000_000_000)


def test_a_duplicate_listed_instrument_names_the_entry_and_its_line() -> None:
    text = ACCOUNT + "\n[instruments]\n" + SOL + SOL

    assert _error(text) == f"{SOURCE}: instruments.list[2].instId (line 24): duplicate instrument 'SOL-USDT'"
    assert _line(text, 24) == '  instId = "SOL-USDT"'


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        (
            "[instruments]\nreplace = true\n",
            "instruments",
            "replace = true needs at least one [[instruments.list]] entry",
        ),
        ("[instruments]\nreplace = 'yes'\n", "instruments.replace", "must be true or false"),
        ("[instruments]\nreplace = 1\n", "instruments.replace", "must be true or false"),
        ("[instruments]\nlist = 'SOL-USDT'\n", "instruments.list", "must be an array of tables ([[instruments.list]])"),
        (
            "[instruments.list]\ninstId = 'SOL-USDT'\n",
            "instruments.list",
            "must be an array of tables ([[instruments.list]])",
        ),
        ("[instruments]\nlist = ['SOL-USDT']\n", "instruments.list[1]", "must be a table"),
        ("[instruments]\nextend = true\n", "instruments.extend", "unknown key"),
        (
            SOL.replace('tickSz = "0.01"', 'tickSz = "0"'),
            "instruments.list[1].tickSz",
            'must be a positive number (a string such as "0.1")',
        ),
        (SOL.replace('minSz = "0.01"', ""), "instruments.list[1].minSz", "required"),
        (
            SOL.replace('instType = "SPOT"', 'instType = "MARGIN"'),
            "instruments.list[1].instType",
            "must be one of SPOT, SWAP, FUTURES, OPTION",
        ),
        (
            SOL.replace('instId = "SOL-USDT"', 'instId = "SOL-USDT"\nsymbol = "x"'),
            "instruments.list[1].symbol",
            "unknown field",
        ),
        (SOL + SOL.replace('"SOL-USDT"', '"SOLUSDT"'), "instruments.list[2].instId", "must look like BASE-QUOTE[-...]"),
    ],
)
def test_invalid_instruments_name_the_key_path_and_the_problem(text: str, where: str, problem: str) -> None:
    assert _error(ACCOUNT + "\n" + text) == f"{SOURCE}: {where}: {problem}"


# --- rate limits, fees, public data ---------------------------------------------------------------------------------


def test_rate_limits_fees_and_public_delay_are_read() -> None:
    config = _parse(
        ACCOUNT
        + """
[rate_limits]
enabled = false
[fees]
taker_fee_rate = 0.001
maker_fee_rate = 0
[public_data]
delay_ms = 900000
"""
    )

    assert config.rate_limits_enabled is False
    assert (config.taker_fee_rate, config.maker_fee_rate) == (Decimal("0.001"), Decimal(0))
    assert isinstance(config.maker_fee_rate, Decimal)
    assert config.public_delay_ms == 900_000


def test_empty_sections_keep_the_defaults() -> None:
    config = _parse(ACCOUNT + "\n[rate_limits]\n[fees]\n[public_data]\n[instruments]\n[prices]\n")

    assert config == _parse(ACCOUNT)
    assert (config.rate_limits_enabled, config.taker_fee_rate, config.maker_fee_rate, config.public_delay_ms) == (
        True,
        Decimal("0.0005"),
        Decimal("0.0002"),
        0,
    )


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        ("[rate_limits]\nenabled = 'no'", "rate_limits.enabled", "must be true or false"),
        ("[rate_limits]\nenabled = 0", "rate_limits.enabled", "must be true or false"),
        ("[rate_limits]\nper_uid = 5", "rate_limits.per_uid", "unknown key"),
        ("[fees]\ntaker_fee_rate = '0.0005'", "fees.taker_fee_rate", "must be a number from 0 up to 1 (0.0005 = 5 bp)"),
        ("[fees]\ntaker_fee_rate = true", "fees.taker_fee_rate", "must be a number from 0 up to 1 (0.0005 = 5 bp)"),
        ("[fees]\nmaker_fee_rate = -0.0001", "fees.maker_fee_rate", "must be a number from 0 up to 1 (0.0005 = 5 bp)"),
        ("[fees]\nmaker_fee_rate = 1", "fees.maker_fee_rate", "must be a number from 0 up to 1 (0.0005 = 5 bp)"),
        ("[fees]\nmaker_fee_rate = nan", "fees.maker_fee_rate", "must be a number from 0 up to 1 (0.0005 = 5 bp)"),
        ("[fees]\ntaker_fee_rate = inf", "fees.taker_fee_rate", "must be a number from 0 up to 1 (0.0005 = 5 bp)"),
        ("[fees]\nrebate = 0.1", "fees.rebate", "unknown key"),
        ("[public_data]\ndelay_ms = -1", "public_data.delay_ms", "must be a whole number of milliseconds >= 0"),
        ("[public_data]\ndelay_ms = 1.5", "public_data.delay_ms", "must be a whole number of milliseconds >= 0"),
        ("[public_data]\ndelay_ms = '900000'", "public_data.delay_ms", "must be a whole number of milliseconds >= 0"),
        ("[public_data]\ndelay_ms = true", "public_data.delay_ms", "must be a whole number of milliseconds >= 0"),
        ("[public_data]\ndelay = 1", "public_data.delay", "unknown key"),
    ],
)
def test_invalid_settings_name_the_key_path_and_the_problem(text: str, where: str, problem: str) -> None:
    assert _error(ACCOUNT + "\n" + text + "\n") == f"{SOURCE}: {where}: {problem}"


# --- prices --------------------------------------------------------------------------------------------------------


def test_prices_default_to_the_static_index() -> None:
    prices = _parse(ACCOUNT).prices

    assert (prices.source, prices.volatility, prices.seed, prices.step_ms, prices.replay_rows) == (
        "static",
        0.5,
        1,
        1000,
        (),
    )
    assert dict(prices.index) == dict(DEFAULT_INDEX)


def test_prices_index_overrides_and_extends_the_defaults() -> None:
    prices = _parse(
        ACCOUNT + '\n[prices]\nsource = "random_walk"\nvolatility = 0.8\nseed = 7\nstep_ms = 250\n'
        '[prices.index]\nBTC = "61000.5"\nSOL = 150\n'
    ).prices

    assert (prices.source, prices.volatility, prices.seed, prices.step_ms) == ("random_walk", 0.8, 7, 250)
    assert prices.index["BTC"] == Decimal("61000.5") and prices.index["SOL"] == Decimal(150)
    assert all(prices.index[coin] == price for coin, price in DEFAULT_INDEX.items() if coin != "BTC")


def test_a_replay_file_is_read_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "prices.csv").write_text("offset_ms,coin,price\n1000,BTC,50100\n\n0,BTC,50000\n0,ETH,3000\n")
    path = tmp_path / "venue.toml"
    path.write_text(ACCOUNT + '\n[prices]\nsource = "replay"\nfile = "prices.csv"\n')

    rows = load_config(path, TODAY).prices.replay_rows

    assert rows == ((0, "BTC", Decimal(50000)), (0, "ETH", Decimal(3000)), (1000, "BTC", Decimal(50100)))


@pytest.mark.parametrize(
    ("csv", "where", "problem"),
    [
        ("offset_ms,coin,price\n", "prices.file", "{path} has no price rows"),
        ("0,BTC,50000\n1000,BTC\n", "prices.file {path} line 2", "expected offset_ms,coin,price"),
        ("0,BTC,50000\n-5,BTC,1\n", "prices.file {path} line 2", "expected offset_ms,coin,price"),
        ("0,BTC,50000\n\u00b2,BTC,1\n", "prices.file {path} line 2", "expected offset_ms,coin,price"),
        ("0,BTC,0\n", "prices.file {path} line 1", 'must be a positive price such as "50000"'),
    ],
)
def test_a_bad_replay_file_names_its_line(tmp_path: Path, csv: str, where: str, problem: str) -> None:
    csv_path = tmp_path / "prices.csv"
    csv_path.write_text(csv, encoding="utf-8")
    path = tmp_path / "venue.toml"
    path.write_text(ACCOUNT + '\n[prices]\nsource = "replay"\nfile = "prices.csv"\n')

    with pytest.raises(ConfigError) as raised:
        load_config(path, TODAY)

    assert str(raised.value) == f"{path}: {where.format(path=csv_path)}: {problem.format(path=csv_path)}"


def test_a_replay_file_that_is_missing_or_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "venue.toml"
    path.write_text(ACCOUNT + '\n[prices]\nsource = "replay"\nfile = "prices.csv"\n')
    csv_path = tmp_path / "prices.csv"

    with pytest.raises(ConfigError, match=r"prices\.file: cannot read .*prices\.csv: No such file or directory"):
        load_config(path, TODAY)
    csv_path.write_bytes(b"0,BTC,50000\n0,\xff,1\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path, TODAY)
    assert str(raised.value) == f"{path}: prices.file {csv_path} line 2: not UTF-8 text (invalid start byte)"


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        ("source = 'live'", "prices.source", 'must be "static", "random_walk" or "replay", got \'live\''),
        ("source = 1", "prices.source", "must be a string"),
        ("volatility = 0", "prices.volatility", "must be a number such as 0.5 (50% a year)"),
        ("volatility = '0.5'", "prices.volatility", "must be a number such as 0.5 (50% a year)"),
        ("seed = 1.5", "prices.seed", "must be a whole number"),
        ("step_ms = 0", "prices.step_ms", "must be a whole number of milliseconds >= 1"),
        ("source = 'replay'", "prices.file", "required"),
        ("tick = 1", "prices.tick", "unknown key"),
        ("[prices.index]\nBTC = '-1'", "prices.index.BTC", 'must be a positive price such as "50000"'),
        ("[prices.index]\nBTC = 'lots'", "prices.index.BTC", 'must be a positive price such as "50000"'),
        ("[prices.index]\nBTC = true", "prices.index.BTC", 'must be a positive price such as "50000"'),
    ],
)
def test_invalid_prices_name_the_key_path_and_the_problem(text: str, where: str, problem: str) -> None:
    assert _error(ACCOUNT + "\n[prices]\n" + text + "\n") == f"{SOURCE}: {where}: {problem}"


# --- the README's example ------------------------------------------------------------------------------------------


def test_the_documented_example_is_valid() -> None:
    config = _parse(
        """
        [[accounts]]
        uid = "100001"            # User ID: the rate-limit key
        trader_code = "TAKER1"     # unique, what counterparties[] and traderCode use
        trader_name = "Alpha Capital"
        type = ""                  # "LP" for API-connected auto market makers
          [[accounts.keys]]
          api_key = "..."
          secret_key = "..."
          passphrase = "..."
          permissions = ["read", "trade"]   # a key without "trade" gets 50120 on Trade endpoints

        [instruments]
        replace = false            # true: serve only the instruments listed below
          [[instruments.list]]     # OKX's field names
          instType = "SPOT"
          instId = "SOL-USDT"
          tickSz = "0.01"
          lotSz = "0.0001"
          minSz = "0.01"

        [rate_limits]
        enabled = true             # OKX's per-endpoint limits; false for load tests

        [fees]
        taker_fee_rate = 0.0005
        maker_fee_rate = 0.0002

        [public_data]
        delay_ms = 0               # OKX publishes block trades 15 minutes (900000 ms) late

        [prices]                   # index prices behind mark prices, price bands and option marks
        source = "static"
        volatility = 0.5
          [prices.index]
          BTC = "50000"
          ETH = "3000"
        """
    )

    assert [a.trader_code for a in _declared(config)] == ["TAKER1"]
    assert config.instruments[-1].inst_id == "SOL-USDT"
    assert len(config.instruments) == len(default_instruments(TODAY)) + 1
    assert config.prices.index["BTC"] == Decimal(50000)


# --- bots ------------------------------------------------------------------------------------------------------------


def test_without_a_bots_key_the_wagmi_bot_runs_on_an_account_of_its_own() -> None:
    declared = _parse(ACCOUNT)
    config = with_bot_accounts(declared)

    assert config.bots == (BotSettings(),)
    wagmi = config.account("WAGMI")
    assert (wagmi.uid, wagmi.type, wagmi.generated) == ("900001", "LP", True)
    (key,) = wagmi.keys
    assert key.api_key.startswith("bot-") and len(key.secret_key) == 32
    assert "WAGMI" not in config_to_text_summary(config)  # its key is the venue's own, never printed
    assert [a.trader_code for a in declared.accounts] == ["TAKER1"]  # the file's; the venue adds its bots'


def test_bots_empty_turns_the_bots_off() -> None:
    config = with_bot_accounts(_parse("bots = []\n" + ACCOUNT))

    assert config.bots == ()
    assert [a.trader_code for a in config.accounts] == ["TAKER1"]


def test_a_bot_may_run_a_declared_account_and_settings_are_read() -> None:
    config = _parse(
        ACCOUNT
        + MAKER
        + """
        [[bots]]
        trader_code = "MAKER1"
        spread_bps = { SPOT = 5, OPTION = "250.5" }
        expires_in_s = 20
        requote_before_s = 3
        inst_types = ["SPOT", "OPTION"]

        [[bots]]
        trader_code = "NGMI"
        spread_bps = 40
        """
    )

    config = with_bot_accounts(config)
    maker1, ngmi = config.bots
    assert maker1 == BotSettings(
        "MAKER1",
        {"SPOT": Decimal(5), "SWAP": Decimal(10), "FUTURES": Decimal(15), "OPTION": Decimal("250.5")},
        20,
        3,
        frozenset({"SPOT", "OPTION"}),
    )
    assert ngmi.spread_bps == dict.fromkeys(("SPOT", "SWAP", "FUTURES", "OPTION"), Decimal(40))
    assert [(a.trader_code, a.uid, a.generated) for a in config.accounts] == [
        ("TAKER1", "100001", False),
        ("MAKER1", "200001", False),
        ("NGMI", "900001", True),
    ]


def test_generated_uids_skip_declared_ones() -> None:
    config = with_bot_accounts(_parse(ACCOUNT.replace('"100001"', '"900001"')))

    assert config.account("WAGMI").uid == "900002"


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        ("bots = 3", "bots", "must be an array of tables"),
        ("[[bots]]\nexpires_in_s = 5", "bots[1].expires_in_s", "from 10 to 120"),
        ("[[bots]]\nexpires_in_s = 10\nrequote_before_s = 10", "bots[1].requote_before_s", "from 1 to 9"),
        ("[[bots]]\nspread_bps = -1", "bots[1].spread_bps", "from 0 up to 10000"),
        ("[[bots]]\nspread_bps = { MARGIN = 1 }", "bots[1].spread_bps.MARGIN", "unknown key"),
        ("[[bots]]\nspread_bps = { SPOT = 'wide' }", "bots[1].spread_bps.SPOT", "basis points"),
        ("[[bots]]\ninst_types = ['SPOT', 'MARGIN']", "bots[1].inst_types", "drawn from SPOT, SWAP, FUTURES, OPTION"),
        ("[[bots]]\ninst_types = []", "bots[1].inst_types", "non-empty"),
        ("[[bots]]\ntrader_code = 'no spaces'", "bots[1].trader_code", "letters, digits"),
        ("[[bots]]\n[[bots]]", "bots[2].trader_code", "two bots for 'WAGMI'"),
        ("[[bots]]\ncolour = 'red'", "bots[1].colour", "unknown key"),
    ],
)
def test_invalid_bots_name_the_key_path_and_the_problem(text: str, where: str, problem: str) -> None:
    with pytest.raises(ConfigError) as e:
        _parse(text + "\n" + ACCOUNT if text.startswith("bots =") else ACCOUNT + text)  # a top-level key goes first
    assert str(e.value).startswith(f"{SOURCE}: {where}")
    assert problem in str(e.value)


def test_a_bot_needs_a_key_that_may_trade() -> None:
    read_only = ACCOUNT.replace('permissions = ["read", "trade"]', 'permissions = ["read"]')
    with pytest.raises(ConfigError, match=r"bots\[1\]\.trader_code: account 'TAKER1' has no key with trade permission"):
        _parse(read_only + "[[bots]]\ntrader_code = 'TAKER1'")
