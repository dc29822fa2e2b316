"""Chinese review sentences: the fast paths give exactly what the general rule gives."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from schemas import Check, CheckStatus
from service.zh import check_message_zh, number_zh


def _general(value: Decimal) -> str:
    """number_zh's rule for a Decimal without its fast path: whole values normalised, then fixed-point."""
    value = value.normalize() if value == value.to_integral_value() else value
    return format(value, "f")


@pytest.mark.parametrize("text", ["5", "-0", "0", "100", "-3", "2.0", "1.50", "1E+1", "7E+0", "0E-3", "1.2E-9",
                                  "0.000", "9999999999999999999", "123456789012345678901234567890", "NaN",
                                  "Infinity", "-Infinity"])
def test_number_zh_decimal_as_the_general_rule(text: str) -> None:
    assert number_zh(Decimal(text)) == _general(Decimal(text))


def test_number_zh_random_decimals_as_the_general_rule() -> None:
    rng = random.Random(7)
    for _ in range(5000):
        value = Decimal(rng.randint(-10 ** rng.randint(1, 35), 10 ** rng.randint(1, 35))).scaleb(rng.randint(-4, 3))
        assert number_zh(value) == _general(value), value


def test_table_rule_message_is_the_same_on_every_call() -> None:
    """The names of a table rule are kept by id; its numbers and outcome still come from each check."""
    base = {"id": "T3-columns[results.granted]", "rule": "T3-columns", "left_keys": ["a"], "right_keys": ["b"]}
    first = check_message_zh(Check(**base, status=CheckStatus.passed, left=Decimal(2), right=Decimal(2)))
    second = check_message_zh(Check(**base, status=CheckStatus.failed, left=Decimal(3), right=Decimal("1.50")))
    assert first.endswith("总计 2 = 各申请人之和 2")
    assert second.endswith("总计 3 ≠ 各申请人之和 1.50")
    assert first.split("：")[0] == second.split("：")[0]
