"""The five hand-labelled samples: every cell, meta field and version matches the gold exactly."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from schemas import CellState, Extraction
from schemas.keys import cell_keys
from service.pipeline import extract
from service.text import normalise

EVAL = Path(__file__).parents[2] / "eval"
SAMPLES = sorted((EVAL / "samples").glob("*.txt"))


def _load(path: Path) -> tuple[bytes, dict[str, object], Extraction]:
    data = path.read_bytes()
    gold = json.loads((EVAL / "gold" / f"{path.stem}.json").read_text(encoding="utf-8"))
    return data, gold, extract(data, source=path.name)


def _missing(gold: dict[str, object], key: str) -> bool:
    return any(key == m or key.startswith(f"{m}.") for m in gold["missing"])  # type: ignore[union-attr]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem[:3])
def test_sample_matches_gold(path: Path) -> None:
    _, gold, result = _load(path)
    meta = gold["meta"]
    assert result.meta.agency == meta["agency"]  # type: ignore[index]
    assert result.meta.year == meta["year"]  # type: ignore[index]
    assert result.meta.format_version == meta["format_version"]  # type: ignore[index]
    cells = gold["cells"]
    assert set(cells) == set(cell_keys(meta["format_version"]))  # type: ignore[index, arg-type]
    for key, want in cells.items():  # type: ignore[union-attr]
        cell = result.cells[key]
        if want is None:
            expected = {CellState.missing} if _missing(gold, key) else {CellState.blank, CellState.not_applicable}
            assert cell.state in expected, (key, cell)
        else:
            assert cell.state == CellState.number, (key, cell)
            assert Decimal(str(cell.value)) == Decimal(str(want)), (key, cell.value, want)
    assert result.missing == gold["missing"]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem[:3])
def test_sample_checks_match_rules_on_gold(path: Path) -> None:
    from service.checks import run_checks

    _, gold, result = _load(path)
    gold_failed = [c.id for c in run_checks(gold["meta"]["format_version"], gold["cells"]) if c.status == "fail"]  # type: ignore[index, arg-type]
    assert result.failed_checks() == gold_failed


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem[:3])
def test_every_span_holds_its_number(path: Path) -> None:
    data, _, result = _load(path)
    text = data.decode("utf-8")
    numbers = [c for c in result.cells.values() if c.state == CellState.number]
    assert numbers
    for cell in numbers:
        assert cell.span is not None
        assert normalise(text[cell.span.start:cell.span.end]) == cell.raw
        assert Decimal(cell.raw or "x") == Decimal(str(cell.value))


def test_sample_001_spurious_empty_cell_is_a_labelled_repair() -> None:
    _, _, result = _load(next(p for p in SAMPLES if p.name.startswith("001")))
    repair = next(r for r in result.repairs if r.keys[0].startswith("review."))
    assert repair.kind == "spurious_blank" and repair.method == "arithmetic"
    assert "T4-blocks[litigation_direct]" in repair.proved_by
    assert result.cells["review.litigation_direct.total"].repaired


def test_sample_002_blank_total_stays_blank_and_the_choice_is_reported() -> None:
    _, _, result = _load(next(p for p in SAMPLES if p.name.startswith("002")))
    assert result.cells["requests.unable.not_held.total"].state == CellState.blank
    assert result.cells["requests.unable.not_held.natural_person"].value == 0
    assert any(r.method == "layout" and "requests.unable.not_held.total" in r.keys for r in result.repairs)
    assert "T3-columns[unable.not_held]" not in result.failed_checks()


def test_sample_000_truncated_table_is_missing_not_zero() -> None:
    _, _, result = _load(next(p for p in SAMPLES if p.name.startswith("000")))
    assert result.tables["requests"].status == "truncated"
    assert result.tables["review"].status == "missing"
    assert result.cells["requests.total.total"].state == CellState.missing
    assert result.cell_value("requests.total.total") is None
    assert result.to_flat()["requests.total.total"] is None
