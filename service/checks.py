"""Step 5 (checks): every equation of the report's format version (service.equations) judged on the cells.

Stated values are never changed here: a failed equation is reported with both sides.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import TypeAdapter

from schemas import Check, CheckStatus
from service.equations import Equation, Number, equations

_CHECKS = TypeAdapter(list[Check])


def _outcome(eq: Equation, values: Mapping[str, Number | None]) -> dict[str, object]:
    get = values.get
    left = [get(k) for k in eq.left]
    right = [get(k) for k in eq.right]
    if None in left or None in right:
        return {"id": eq.id, "rule": eq.rule, "left_keys": eq.left, "right_keys": eq.right,
                "status": CheckStatus.not_assessable,
                "unassessable_keys": [k for k in eq.left + eq.right if get(k) is None]}
    left_sum: Number = sum(left)  # type: ignore[arg-type]  # no None left: ints and Decimals add exactly
    right_sum: Number = sum(right)  # type: ignore[arg-type]
    return {"id": eq.id, "rule": eq.rule, "left_keys": eq.left, "right_keys": eq.right,
            "status": CheckStatus.passed if left_sum == right_sum else CheckStatus.failed,
            "left": left_sum, "right": right_sum}


def run_checks(version: str, values: Mapping[str, Number | None]) -> list[Check]:
    """Every rule instance of the version, with status and both sides."""
    # One validation call for all of them: faster than building each Check on its own.
    return _CHECKS.validate_python([_outcome(eq, values) for eq in equations(version)])
