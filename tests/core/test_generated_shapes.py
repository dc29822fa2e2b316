"""Known tables re-flattened into every messy shape (testkit/generator.py): the parser recovers every value.

Each case is a seed; a failure prints the seed and how the case was made, so it can be replayed with
``render_case(seed)``.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from schemas import CellState, Extraction
from schemas.keys import cell_keys
from service.pipeline import extract
from service.text import normalise
from testkit.generator import Case, render_case

SEEDS = range(int(__import__("os").environ.get("NIANBAO_GENERATED_CASES", "360")))


def _expected_state(case: Case, key: str) -> tuple[CellState, object]:
    value = case.truth[key]
    if any(key == m or key.startswith(m + ".") for m in case.missing):
        return CellState.missing, None
    if value is None:
        return CellState.blank, None
    if isinstance(value, str) and not value.lstrip("+-").isdigit():
        return CellState.not_applicable, None
    if isinstance(value, str):
        return CellState.number, int(value)
    return CellState.number, value


def _run(case: Case) -> tuple[Extraction, str]:
    result = extract(case.data if case.data is not None else case.text)
    text = case.data.decode(result.meta.encoding or "utf-8") if case.data is not None else case.text
    return result, text


@pytest.mark.parametrize("seed", SEEDS)
def test_generated_case_recovers_every_value(seed: int) -> None:
    case = render_case(seed)
    result, text = _run(case)
    assert result.meta.format_version == case.version, case.notes
    wrong = []
    for key in cell_keys(case.version):
        state, value = _expected_state(case, key)
        cell = result.cells[key]
        got = cell.value if cell.state == CellState.number else None
        if cell.state != state or (state == CellState.number and Decimal(str(got)) != Decimal(str(value))):
            wrong.append((key, cell.state.value, got, state.value, value))
    assert not wrong, f"seed {seed} {case.notes}: {wrong[:6]} (+{max(0, len(wrong) - 6)} more)"
    # Every number's span holds exactly that number in the text as sent.
    for key, cell in result.cells.items():
        if cell.state == CellState.number:
            assert cell.span is not None
            printed = normalise(text[cell.span.start:cell.span.end])
            assert printed == cell.raw, (key, printed, cell.raw)
            assert Decimal(printed.replace(",", "")) == Decimal(str(cell.value))


def test_generator_covers_every_shape() -> None:
    shapes = {render_case(seed).shape for seed in SEEDS}
    notes = " ".join(n for seed in SEEDS for n in render_case(seed).notes)
    assert shapes >= {"tabs", "spaces", "pipes", "run_together", "one_line", "cells_per_line"}
    for decoration in ("page break", "full-width", "CRLF", "encoded bytes", "truncated", "broken=True",
                       "spurious=1", "marks=True", "review zeros blank", "review spurious empty cell", "wrapped label"):
        assert decoration in notes, decoration
