"""A property-based fuzz of the config file: whatever a file holds (the demo config with any key of any table set to
anything, keys left out, keys no table has), loading it gives the venue's config or a ``ConfigError`` naming the
file: never another exception, which ``openrfq serve`` would print as a traceback.

CI runs a bounded, derandomized number of examples; ``OPENRFQ_LONG=1`` runs many more, randomly (tests/fuzzing.py).
"""

from __future__ import annotations

import datetime
import json
import math
import tomllib
import typing
from pathlib import Path
from typing import Any

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from fuzzing import fuzz_settings
from openrfq.config.errors import ConfigError
from openrfq.config.loader import DEMO_CONFIG_TOML, parse_config
from openrfq.config.schema import ConfigFile

TODAY = datetime.date(2026, 1, 2)
BASE: dict[str, Any] = tomllib.loads(DEMO_CONFIG_TOML)


def _struct_of(tp: Any) -> type[msgspec.Struct] | None:
    """The Struct a field's type holds (through Annotated, tuples, unions), if any."""
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return tp
    for arg in typing.get_args(tp):
        found = _struct_of(arg)
        if found is not None:
            return found
    return None


def _tables(struct: type[msgspec.Struct], path: tuple[str, ...] = ()) -> dict[tuple[str, ...], list[str]]:
    """Every table's path (a list of tables counts as one: its first) and the keys it takes."""
    hints = typing.get_type_hints(struct, include_extras=True)
    found = {path: [f.encode_name for f in msgspec.structs.fields(struct)]}
    for f in msgspec.structs.fields(struct):
        inner = _struct_of(hints[f.name])
        if inner is not None:
            found.update(_tables(inner, (*path, f.encode_name)))
    return found


TABLES = _tables(ConfigFile)
toml_values = st.recursive(
    st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(
        ["", "0", "-1", "1e9", "SPOT", "LP", "read", "trade", "demo", "BTC-USDT", "2026-01-01T00:00:00Z"]
    ),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """The demo config, then a few keys of its tables (those the file has, and any other the format takes) set to
    anything, left out, or added where no table has them."""
    doc: dict[str, Any] = json.loads(json.dumps(BASE))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(sorted(TABLES)))
        table = doc
        for part in path:  # into the table, made where the file has none; a list of tables: its first
            child = table.get(part)
            if isinstance(child, list) and child and isinstance(child[0], dict):
                child = child[0]
            elif not isinstance(child, dict):
                child = table[part] = {}
            table = child
        key = draw(st.sampled_from(TABLES[path]) | st.text(max_size=8))
        if draw(st.integers(min_value=0, max_value=5)) == 0:
            table.pop(key, None)
        else:
            table[key] = draw(toml_values)
    return doc


def to_toml(value: Any) -> str:
    """A value as TOML: inline tables and arrays, basic strings (JSON's escapes are TOML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(to_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)} = {to_toml(v)}" for k, v in value.items()) + "}"


def test_the_round_trip_of_the_harness_is_the_demo_config() -> None:
    text = "\n".join(f"{json.dumps(k)} = {to_toml(v)}" for k, v in BASE.items())
    assert tomllib.loads(text) == BASE
    assert parse_config(text, "fuzz.toml", TODAY).accounts == parse_config(DEMO_CONFIG_TOML, "demo", TODAY).accounts


def test_any_file_is_loaded_or_refused_with_a_config_error(tmp_path_factory: Any) -> None:
    base_dir: Path = tmp_path_factory.mktemp("configfuzz")  # where a file named in the config is looked for
    outcomes: set[str] = set()

    @fuzz_settings(300, 3000)
    @given(doc=documents())
    def one(doc: dict[str, Any]) -> None:
        text = "\n".join(f"{json.dumps(k, ensure_ascii=False)} = {to_toml(v)}" for k, v in doc.items())
        try:
            parse_config(text, "fuzz.toml", TODAY, base_dir=base_dir)
        except ConfigError as e:
            assert str(e).startswith("fuzz.toml: ") and len(str(e).splitlines()) == 1, str(e)  # one line, as said
            outcomes.add("refused")
        else:
            outcomes.add("loaded")

    one()
    assert outcomes == {"loaded", "refused"}, outcomes  # the harness reached configs that load, not only refusals
