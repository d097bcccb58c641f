"""Numbers on the wire: codec.num writes a Decimal as OKX does, a plain string without exponent or trailing zeros."""

from __future__ import annotations

import random
from decimal import Context, Decimal

import pytest

from openrfq.api.codec import num


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("60000.5", "60000.5"),
        ("1", "1"),
        ("100", "100"),
        ("1E+2", "100"),
        ("1.50", "1.5"),
        ("1.0", "1"),
        ("0.0", "0"),
        ("0E-8", "0"),
        ("-0", "-0"),
        ("0.0000001", "0.0000001"),
        ("-0.00012300", "-0.000123"),
        ("12345678901234567890.12345678901234567890", "12345678901234567890.1234567890123456789"),
        ("1234567890123456789012345678.9012", "1234567890123456789012345678.9012"),
    ],
)
def test_plain_digits_without_trailing_zeros(value: str, expected: str) -> None:
    assert num(Decimal(value)) == expected


def test_the_same_as_normalizing_every_value_without_rounding() -> None:
    exact = Context(prec=100)
    rng = random.Random(7)
    for _ in range(20_000):
        digits = str(rng.randrange(0, 10 ** rng.randrange(1, 42)))
        value = Decimal(f"{rng.choice(['', '-'])}{digits}E{rng.randrange(-25, 6)}")
        assert num(value) == format(value.normalize(exact), "f"), value
        assert num(Decimal(str(value))) == num(value)
