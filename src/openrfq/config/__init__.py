"""The venue's configuration: accounts and their API keys, the instrument catalogue, rate limits, fees, prices,
bots. Loaded from TOML (``openrfq serve --config FILE``) or the built-in demo (``demo.toml``).

``schema`` is the format (msgspec Structs, one per table), ``loader`` reads and assembles it, ``errors`` words
what is wrong: "FILE: WHERE: PROBLEM".
"""

from __future__ import annotations

from openrfq.config.errors import ConfigError
from openrfq.config.loader import DEMO_CONFIG_TOML, demo_config, load_config, parse_config
from openrfq.config.schema import Account, ApiKey, BotSettings, Config, PriceSettings

__all__ = [
    "DEMO_CONFIG_TOML",
    "Account",
    "ApiKey",
    "BotSettings",
    "Config",
    "ConfigError",
    "PriceSettings",
    "demo_config",
    "load_config",
    "parse_config",
]
