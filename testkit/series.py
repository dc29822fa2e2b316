"""Reports made from the labelled samples for the series tests, bench/series.py and scripts/series_example.py:
another year, tampered table rows."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from service.pipeline import extract
from service.series import SeriesInput

SAMPLES = Path(__file__).resolve().parents[1] / "eval" / "samples"
YUANZHOU = "001_1eeed509761ddf3c.txt"  # 原州区人民政府办公室 2021, 2021 format, 19 applications, 表四 filled
LIANCAI = "003_cf77e8731c91250a.txt"  # 隆德县联财镇 2019, 2019 format
XUANHE = "000_5af3a546c32e05da.txt"  # 沙坡头区宣和镇 2021, 表三 truncated, 表四 missing
TOUZHA = "004_bd56896d5bf88536.txt"  # 平罗县头闸镇 2022

CARRIED_OVER = "二、上年结转政府信息公开申请数量"
CARRIED_FORWARD = "四、结转下年度继续办理"
_YEAR = re.compile(r"(20\d{2})(?=\s*年)")


def sample(name: str) -> str:
    """A sample's text."""
    return (SAMPLES / name).read_text(encoding="utf-8")


def as_year(text: str, year: int, stated: int) -> str:
    """The report as if written for ``year``: every "20xx年" moved by the same number of years (the format
    notice 国办公开办函〔2021〕30号 has no 年 and stays)."""
    return _YEAR.sub(lambda m: str(int(m.group(1)) + year - stated), text)


def set_row(text: str, label: str, values: list[int]) -> str:
    """The first table line that starts with ``label``, its numbers replaced by ``values``, separators kept."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.lstrip().startswith(label) and re.search(r"\d", line[line.index(label) + len(label):]):
            head, tail = line[:line.index(label) + len(label)], line[line.index(label) + len(label):]
            new_tail, count = re.subn(r"(?<![\d.])\d+(?![\d.])", _feeder(values), tail)
            assert count == len(values), f"{label}: {count} numbers, {len(values)} values"
            lines[i] = head + new_tail
            return "\n".join(lines)
    raise AssertionError(f"no table line holds {label}")


def _feeder(values: list[int]) -> Callable[[re.Match[str]], str]:
    numbers = iter(values)
    return lambda _m: str(next(numbers))


def read(text: str, source: str) -> SeriesInput:
    """The report through the pipeline, ready for a series."""
    return SeriesInput.of(extract(text, source=source), text)
