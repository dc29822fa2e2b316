"""Whatever the text, extraction either returns a result or raises one of nianbao's own errors (no crash)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.errors import NianbaoError
from service.pipeline import extract

SAMPLE = (Path(__file__).parents[2] / "eval" / "samples" / "001_1eeed509761ddf3c.txt").read_text(encoding="utf-8")
TABLE = SAMPLE[SAMPLE.index("三、收到和处理"):SAMPLE.index("五、存在")]
ODD = "①②²³٣０１\t|/—-无 \n\r\u3000\u00a0\ufeff.,+" + "总计本年新收结转不予公开"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(0, len(TABLE)), noise=st.text(alphabet=ODD, max_size=40), at=st.integers(0, len(TABLE)))
def test_damaged_tables_never_crash(cut: int, noise: str, at: int) -> None:
    text = SAMPLE.replace(TABLE, TABLE[:at] + noise + TABLE[at:cut])
    try:
        result = extract(text)
    except NianbaoError:
        return
    for key, cell in result.cells.items():
        if cell.value is not None:
            assert cell.span is not None, key


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    try:
        extract(data)
    except NianbaoError:
        pass


def test_circled_and_superscript_digits_in_a_row_are_not_numbers() -> None:
    text = SAMPLE.replace("一、本年新收政府信息公开申请数量\t\t18", "一、本年新收政府信息公开申请数量\t①\t18")
    result = extract(text)
    assert result.cell_value("requests.new_received.natural_person") == 18


def test_a_row_holding_only_a_page_mark_reads_as_blank() -> None:
    # Dropping the "- 4 -" left a row without values; it used to crash the search for readings (StopIteration).
    result = extract(SAMPLE.replace("行政许可\t0", "行政许可\t- 4 -"))
    assert result.cells["active.licensing.decisions"].state == "blank"


def test_a_row_with_too_many_cells_is_left_unknown() -> None:
    # 1,500 empty cells and two numbers: the search recursed once a cell (RecursionError); now it is not searched.
    result = extract(SAMPLE.replace("本年新收政府信息公开申请数量\t\t18", "本年新收政府信息公开申请数量" + "\t" * 1500 + "18\t5"))
    cells = [result.cells[f"requests.new_received.{c}"] for c in ("natural_person", "total")]
    assert all(c.state == "unknown" for c in cells)
    assert any(w.code == "ambiguous_row" for w in result.warnings)
