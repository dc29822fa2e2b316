"""The eval harness end to end: in process on the committed cases, against a service, with an LLM backend.

The thresholds below are what the extractor reaches on the committed cases (see the lead's test command,
``python -m eval --min-cells … --min-facts-f1 … --min-problems-f1 …``); raise them as the extractor improves,
never lower them to let a regression through.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_llm import TEST_KEY, FakeLLM, Reply
from rich.console import Console

from eval.dataset import DEFAULT_DIRS, EVAL_DIR, Case, load_cases
from eval.runner import ServiceExtractor, in_process, main, run
from service.pipeline import extract

MIN_CELLS = 1.0
MIN_FACTS_F1 = 1.0
MIN_PROBLEMS_F1 = 1.0
THRESHOLD_ARGS = ["--min-cells", str(MIN_CELLS), "--min-facts-f1", str(MIN_FACTS_F1),
                  "--min-problems-f1", str(MIN_PROBLEMS_F1)]


pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One in-process run over every committed case, with the thresholds, writing its reports."""
    out = tmp_path_factory.mktemp("eval")
    assert main([*THRESHOLD_ARGS, "--out", str(out)]) == 0
    assert (out / "eval.md").read_text(encoding="utf-8").startswith("# nianbao eval — backend rules")
    data: dict[str, Any] = json.loads((out / "eval.json").read_text(encoding="utf-8"))
    return data


def test_the_committed_cases_meet_the_thresholds(report: dict[str, Any]) -> None:
    summary = report["summary"]
    assert summary["cases"] == len(load_cases(DEFAULT_DIRS)) >= 13
    assert summary["errors"] == 0
    assert summary["cells.accuracy"] >= MIN_CELLS
    assert summary["facts.f1"] >= MIN_FACTS_F1
    assert summary["problems.f1"] >= MIN_PROBLEMS_F1
    assert summary["meta.format_version"] == 1.0
    assert report["thresholds"] == {"cells.accuracy": MIN_CELLS, "facts.f1": MIN_FACTS_F1,
                                    "problems.f1": MIN_PROBLEMS_F1}


def test_the_json_report_lists_every_wrong_field_and_every_case(report: dict[str, Any]) -> None:
    assert {c["name"] for c in report["cases"]} == {c.name for c in load_cases(DEFAULT_DIRS)}
    for case in report["cases"]:
        assert set(case["cells"]) == {"active", "requests", "review"}
        assert case["wrong"] == sum(1 for w in report["wrong"] if w["sample"] == case["name"])
    assert all(set(w) == {"sample", "key", "got", "want"} for w in report["wrong"])


def test_no_field_is_worse_than_the_committed_baseline(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--baseline", str(EVAL_DIR / "baseline.json"), "--fail-on-worse"]) == 0
    assert "got worse than the baseline (0): none" in capsys.readouterr().out


def test_the_terminal_output_has_the_tables_and_the_wrong_fields(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-k", "c02"]) == 0
    out = capsys.readouterr().out
    for text in ("nianbao eval — backend rules", "cells 表三 (requests)", "per case", "c02_markdown",
                 "wrong fields", "facts F1", "LLM calls"):
        assert text in out


# ---- thresholds and baselines on a folder of the user's own -------------------------------------------

def own_folder(tmp: Path, *, wrong_cell: bool) -> Path:
    """A user's folder: sample 001's text beside its gold, with one gold cell altered when ``wrong_cell``."""
    folder = tmp / ("wrong" if wrong_cell else "right")
    folder.mkdir()
    name = "001_1eeed509761ddf3c"
    shutil.copy(EVAL_DIR / "samples" / f"{name}.txt", folder / f"{name}.txt")
    gold = json.loads((EVAL_DIR / "gold" / f"{name}.json").read_text(encoding="utf-8"))
    if wrong_cell:
        gold["cells"]["review.reconsideration.upheld"] = 4
        gold["cells"]["review.reconsideration.total"] = 4
    (folder / f"{name}.json").write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    return folder


def test_a_missed_threshold_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = own_folder(tmp_path, wrong_cell=True)
    assert main(["--cases", str(folder), "--min-cells", "1"]) == 1
    out = capsys.readouterr().out
    assert "threshold missed: cells.accuracy" in out
    assert "review.reconsideration.upheld" in out
    assert main(["--cases", str(folder), "--min-cells", "0.99"]) == 0


def test_baseline_lists_fields_that_got_worse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    right, wrong = own_folder(tmp_path, wrong_cell=False), own_folder(tmp_path, wrong_cell=True)
    assert main(["--cases", str(right), "--out", str(tmp_path / "base")]) == 0
    baseline = tmp_path / "base" / "eval.json"
    args = ["--cases", str(wrong), "--baseline", str(baseline), "--out", str(tmp_path / "now")]
    assert main(args) == 0  # listed, not fatal
    assert main([*args, "--fail-on-worse"]) == 1
    out = capsys.readouterr().out
    assert "got worse than the baseline (2)" in out
    md = (tmp_path / "now" / "eval.md").read_text(encoding="utf-8")
    assert "## Got worse than the baseline (2)" in md and "review.reconsideration.total" in md


def test_a_broken_gold_stops_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = own_folder(tmp_path, wrong_cell=False)
    gold_path = next(folder.glob("*.json"))
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    del gold["cells"]["requests.total.total"]
    gold_path.write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    assert main(["--cases", str(folder)]) == 2
    assert "missing cell key requests.total.total" in capsys.readouterr().out


def test_an_unknown_folder_is_a_setup_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--cases", str(tmp_path / "nowhere")]) == 2
    assert "is not a folder" in capsys.readouterr().out


def test_a_threshold_must_be_a_share() -> None:
    with pytest.raises(SystemExit):
        main(["--min-cells", "95"])


# ---- backends -------------------------------------------------------------------------------------------

def test_an_llm_backend_without_settings_exits_2_naming_them(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--backend", "llm", "-k", "004"]) == 2
    out = capsys.readouterr().out
    assert "NIANBAO_LLM_BASE_URL" in out and "--backend rules" in out


def test_the_llm_backend_is_scored_with_its_cost(fake_llm: FakeLLM, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    gold = json.loads((EVAL_DIR / "gold" / "004_bd56896d5bf88536.json").read_text(encoding="utf-8"))
    reading = {"facts": [{"key": k, **v} for k, v in gold["facts"].items()], "problems": gold["problems"]}
    fake_llm.script(Reply.tool(reading, prompt_tokens=1234, completion_tokens=321))
    monkeypatch.setenv("NIANBAO_LLM_BASE_URL", fake_llm.url)
    monkeypatch.setenv("NIANBAO_LLM_API_KEY", TEST_KEY)
    monkeypatch.setenv("NIANBAO_LLM_MODEL", "fake-model")
    assert main(["--backend", "llm", "-k", "004_", "--out", str(tmp_path), "--min-facts-f1", "1",
                 "--min-problems-f1", "1"]) == 0
    data = json.loads((tmp_path / "eval.json").read_text(encoding="utf-8"))
    assert data["backend"] == "llm"
    (case,) = data["cases"]
    assert case["cost"]["llm_calls"] == 1
    assert (case["cost"]["prompt_tokens"], case["cost"]["completion_tokens"]) == (1234, 321)
    assert data["summary"]["cost.tokens_per_report"] == 1555
    assert TEST_KEY not in (tmp_path / "eval.json").read_text(encoding="utf-8")


def service_transport(seen: list[dict[str, Any]]) -> httpx.MockTransport:
    """A stand-in for ``POST /v1/extract`` that runs the pipeline in process and records each request."""
    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        if request.url.path != "/v1/extract":
            return httpx.Response(404, json={"error": "no route"})
        if body["source"].startswith("003"):
            return httpx.Response(500, json={"error": {"code": "internal", "message": "boom"}})
        return httpx.Response(200, json=extract(body["text"], source=body["source"]).model_dump(mode="json"))
    return httpx.MockTransport(handle)


def test_url_mode_scores_the_service_like_in_process() -> None:
    cases: list[Case] = [c for c in load_cases(DEFAULT_DIRS) if c.name.startswith(("001", "003", "c06"))]
    seen: list[dict[str, Any]] = []
    client = httpx.Client(transport=service_transport(seen), base_url="http://service")
    quiet = Console(quiet=True)
    remote = run(cases, ServiceExtractor("http://service/", "rules", client=client), backend="rules",
                 url="http://service", console=quiet)
    local = run(cases, in_process(None), backend="rules", console=quiet)
    assert [s["backend"] for s in seen] == ["rules"] * 3
    gbk = next(s for s in seen if s["source"] == "c06_gbk.txt")
    assert gbk["text"].startswith("\n\n平罗县头闸镇")  # the GBK bytes are sent as decoded text
    by_name = {s.name: s for s in remote.scores}
    assert by_name["003_cf77e8731c91250a"].error is not None and "HTTP 500" in by_name["003_cf77e8731c91250a"].error
    for name in ("001_1eeed509761ddf3c", "c06_gbk"):
        mine = next(s for s in local.scores if s.name == name)
        assert by_name[name].wrong == mine.wrong and by_name[name].cell_ratio == mine.cell_ratio
    assert remote.summary["errors"] == 1


# ---- the corpus split: narrative-only cases from shapes of real reports (eval/corpus/) --------------------

def test_the_corpus_split_meets_its_gate_and_its_baseline(capsys: pytest.CaptureFixture[str]) -> None:
    from eval.dataset import CORPUS_DIRS

    corpus = load_cases(CORPUS_DIRS)
    assert len(corpus) >= 7 * 40  # at least 40 cases for each problem shape
    assert main(["--split", "corpus", "--min-facts-f1", "0.99", "--min-problems-f1", "0.99",
                 "--baseline", str(EVAL_DIR / "corpus" / "baseline.json"), "--fail-on-worse"]) == 0
    assert "got worse than the baseline (0): none" in capsys.readouterr().out


def test_a_corpus_run_scores_only_facts_and_problems(tmp_path: Path) -> None:
    assert main(["--split", "corpus", "-k", "hand-0", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "eval.json").read_text(encoding="utf-8"))
    assert data["summary"]["cells.accuracy"] is None and data["summary"]["checks.exact"] is None
    assert not any(w["key"].startswith(("active.", "requests.", "review.", "meta.", "checks."))
                   for w in data["wrong"])
