"""The eval harness scores the LLM plumbing offline: ``--replay eval/replay`` scripts the model's answers.

The scripted answers carry the faults models make (invalid JSON, an unknown key, a hallucinated fact, a
table row copied, quotes without their spaces or with ASCII digits, enumerators kept, an invented problem,
a 503); the plumbing must recover every right value and refuse every wrong one.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from eval.dataset import DEFAULT_DIRS, EVAL_DIR, load_cases
from eval.runner import main

REPLAY = EVAL_DIR / "replay"
GATE = ["--min-cells", "1", "--min-facts-f1", "1", "--min-problems-f1", "1"]

pytestmark = pytest.mark.usefixtures("clean_env")


def scripted() -> dict[str, list[dict[str, Any]]]:
    """Every case's scripted replies."""
    return {p.stem: json.loads(p.read_text(encoding="utf-8"))["replies"] for p in sorted(REPLAY.glob("*.json"))}


@pytest.mark.parametrize("backend", ["llm", "hybrid"])
def test_replay_scores_the_plumbing_perfectly(backend: str, tmp_path: Path) -> None:
    assert main(["--backend", backend, "--replay", str(REPLAY), "--out", str(tmp_path), *GATE]) == 0
    data = json.loads((tmp_path / "eval.json").read_text(encoding="utf-8"))
    summary = data["summary"]
    replies = scripted()
    assert set(replies) == {c.name for c in load_cases(DEFAULT_DIRS)}  # every case has its answers
    answers = [r for rs in replies.values() for r in rs if "arguments" in r]
    assert summary["errors"] == 0 and summary["cases"] == len(replies)
    assert (summary["facts.f1"], summary["problems.f1"], summary["facts.qualifier"]) == (1.0, 1.0, 1.0)
    # Every scripted answer was asked for (two first answers were re-asked), and its tokens counted.
    assert summary["cost.llm_calls"] == len(answers) == len(replies) + 2
    assert summary["cost.prompt_tokens"] == sum(r["prompt_tokens"] for r in answers)
    assert summary["cost.completion_tokens"] == sum(r["completion_tokens"] for r in answers)


def test_a_case_without_answers_stops_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "replay"
    shutil.copytree(REPLAY, folder)
    (folder / "c07_page_break.json").unlink()
    assert main(["--backend", "llm", "--replay", str(folder)]) == 2
    assert "c07_page_break.json does not exist" in capsys.readouterr().out


def test_answers_left_unasked_fail_the_case(tmp_path: Path) -> None:
    # A plumbing that stopped re-asking would leave the right answer unasked: the case must fail.
    folder = tmp_path / "replay"
    shutil.copytree(REPLAY, folder)
    path = folder / "c07_page_break.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["replies"].append(data["replies"][0])
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["--backend", "llm", "--replay", str(folder), "-k", "c07", "--out", str(out), *GATE]) == 1
    (case,) = json.loads((out / "eval.json").read_text(encoding="utf-8"))["cases"]
    assert "1 scripted reply of case c07_page_break not asked for" in case["error"]


def test_a_hallucination_that_got_through_would_cost_precision(tmp_path: Path) -> None:
    # The gate is not blind: an answer with a wrong value in a real quote's key is scored as wrong.
    folder = tmp_path / "replay"
    shutil.copytree(REPLAY, folder)
    path = folder / "c07_page_break.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    facts = data["replies"][0]["arguments"]["facts"]
    facts[0]["key"] = "trainings"  # a real quote and its number, filed under the wrong key
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["--backend", "llm", "--replay", str(folder), "-k", "c07", "--out", str(out), *GATE]) == 1
    summary = json.loads((out / "eval.json").read_text(encoding="utf-8"))["summary"]
    assert summary["facts.precision"] < 1 and summary["facts.recall"] < 1


def test_replay_needs_an_llm_backend(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--replay", str(REPLAY)]) == 2
    assert "--replay needs --backend llm or hybrid" in capsys.readouterr().out
