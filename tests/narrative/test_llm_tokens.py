"""bench/llm_tokens.py: nianbao's request is a fraction of the whole-report prompt, and says how it counted."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from testkit.processes import load_script

BENCH = Path(__file__).parents[2] / "bench" / "llm_tokens.py"


def load_bench() -> ModuleType:
    return load_script("llm_tokens", BENCH)


def test_the_median_request_is_at_most_40_percent_of_the_whole_report(capsys: pytest.CaptureFixture[str]) -> None:
    bench = load_bench()
    assert bench.main(["--json", "--tokenizer", "estimate"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tokenizer"] == "nianbao's estimator" and data["median_ratio"] <= 0.40
    assert [r["report"] for r in data["rows"]] == [p.stem for p in bench.REPORTS]
    for row in data["rows"]:
        assert row["excerpt_chars"] < row["text_chars"] and row["sent_tokens"] < row["whole_tokens"]


def test_the_table_names_its_tokenizer(capsys: pytest.CaptureFixture[str]) -> None:
    assert load_bench().main(["--tokenizer", "estimate"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("tokens counted with nianbao's estimator") and "median ratio" in out
