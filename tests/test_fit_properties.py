"""Property tests of the column fitting: any row of numbers, printed with any separator, reads back."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.keys import APPLICANT_COLUMNS
from service.checks import equations_within
from service.tables.fit import fit_row
from service.tables.tokens import tokenise_region

KEYS = tuple(f"requests.granted.{c}" for c in (*APPLICANT_COLUMNS, "total"))
EQS = equations_within("2021", KEYS)
LABEL = "（一）予以公开"

counts = st.lists(st.integers(min_value=0, max_value=999), min_size=6, max_size=6)


def _fit(text: str) -> list[object]:
    fit = fit_row(tokenise_region(text, len(LABEL), len(text)), KEYS, ["count"] * 7, EQS, None)
    return [c.value if c is not None and c.state == "number" else None for c in fit.cells]


@settings(max_examples=300, deadline=None)
@given(parts=counts, sep=st.sampled_from(["\t", " ", "   ", " | ", "\n", "\t\t"]), lead=st.integers(0, 2),
       trail=st.booleans())
def test_separated_rows_read_back_with_spans(parts: list[int], sep: str, lead: int, trail: bool) -> None:
    values = [*parts, sum(parts)]
    body = sep.join(str(v) for v in values)
    if "\t" in sep:
        body = "\t" * lead + body + ("\t" if trail else "")
    text = LABEL + (sep if sep.strip() or "\t" in sep else " ") + body
    fit = fit_row(tokenise_region(text, len(LABEL), len(text)), KEYS, ["count"] * 7, EQS, None)
    assert [c.value for c in fit.cells if c is not None] == values
    for cell in fit.cells:
        assert cell is not None and cell.start is not None and cell.end is not None
        assert text[cell.start:cell.end] == cell.raw


@settings(max_examples=300, deadline=None)
@given(parts=counts)
def test_digit_runs_are_read_right_or_left_unknown_never_wrong(parts: list[int]) -> None:
    values = [*parts, sum(parts)]
    got = _fit(LABEL + "".join(str(v) for v in values))
    # Each cell is the true value or unknown (cells every cut that adds up agrees on are kept).
    assert all(g is None or g == v for g, v in zip(got, values, strict=True)), (got, values)
