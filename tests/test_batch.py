"""``nianbao extract`` over a corpus: directories and globs, --jobs, resume after a kill, the output file, progress.

The corpus is the committed samples and cases, copied into nested folders with a few files that fail.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from service import batch
from service.cli import main, record_format

ROOT = Path(__file__).parent.parent
REPORTS = sorted([*(ROOT / "eval" / "samples").glob("*.txt"), *(ROOT / "eval" / "cases").glob("*.txt")])

pytestmark = pytest.mark.usefixtures("clean_env")


def make_corpus(root: Path, copies: int, *, bad: bool = True) -> Path:
    """``copies`` reports spread over nested folders (plus, with ``bad``, files that fail and hidden files)."""
    for i in range(copies):
        src = REPORTS[i % len(REPORTS)]
        folder = root / f"prov{i % 3}" / f"city{i % 5}"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, folder / f"{i:05d}_{src.name}")
    if bad:
        (root / "prov0" / "note.txt").write_text("今天天气很好，我们去公园散步。" * 10, encoding="utf-8")
        (root / "prov1" / "empty.txt").write_bytes(b"")
        (root / "prov2" / "blob.bin").write_bytes(bytes([0x81, 0x20, 0xFF, 0x80]) * 50)
        (root / ".hidden.txt").write_bytes(REPORTS[0].read_bytes())
        (root / ".git").mkdir()
        (root / ".git" / "HEAD.txt").write_bytes(REPORTS[0].read_bytes())
    return root


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _cli(*argv: str, timeout: float = 300, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "service.cli", *argv], capture_output=True, timeout=timeout,
                          cwd=ROOT, check=False, **kwargs)  # type: ignore[call-overload]


# ---- directories and globs ----------------------------------------------------------------------------

def test_a_directory_is_read_recursively_in_sorted_order(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus", 8)
    found = batch.discover([str(corpus)])
    rel = [os.path.relpath(p, corpus) for p in found]
    assert rel == sorted(rel, key=lambda p: p.replace(os.sep, "/"))
    assert len(found) == 8 + 3  # hidden files and folders are left out
    assert not any("hidden" in p or ".git" in p for p in found)
    assert all(p.startswith(str(corpus)) for p in found)  # the path as given, joined with the path below it


def test_globs_match_names_or_paths_and_named_files_are_always_taken(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus", 10)
    names = [os.path.basename(p) for p in batch.discover([str(corpus)], ["*_c0*.txt"])]
    assert names and all("_c0" in n for n in names)
    below = batch.discover([str(corpus)], ["prov1/*"])
    assert below and all(os.sep + "prov1" + os.sep in p for p in below)
    both = batch.discover([str(corpus)], ["*.bin", "*_00*.txt"])
    assert {os.path.basename(p).rsplit(".", 1)[-1] for p in both} == {"bin", "txt"}
    single = str(REPORTS[0])
    assert batch.discover([single, str(corpus), single], ["*.nothing"]) == [single]  # named once, kept
    assert batch.discover(["-"]) == ["-"]


def test_the_output_file_inside_the_corpus_is_not_read(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus", 3, bad=False)
    out = corpus / "out.jsonl"
    out.write_text("")
    assert str(out) not in batch.discover([str(corpus)], exclude=str(out))
    assert len(batch.discover([str(corpus)], exclude=str(out))) == 3


def test_extract_a_directory_with_a_glob(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus", 6)
    code, out, err = _run(capsys, "extract", str(corpus), "--glob", "*.txt", "--flat", "--jobs", "1")
    assert code == 1  # note.txt is not a report, empty.txt is empty
    sources = [json.loads(line)["source"] for line in out.splitlines()]
    assert sources == [p for p in batch.discover([str(corpus)], ["*.txt"]) if "_" in os.path.basename(p)]
    errors = {os.path.basename(e["source"]): e["error"] for e in map(json.loads, err.splitlines())}
    assert errors == {"note.txt": "not_a_report", "empty.txt": "empty_input"}


# ---- --jobs ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["--flat", "--csv", "--full"])
def test_jobs_give_the_output_of_one_process(capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str) -> None:
    corpus = make_corpus(tmp_path / "corpus", 30)
    flags = [] if fmt == "--full" else [fmt]
    code1, one, err1 = _run(capsys, "extract", str(corpus), *flags, "--jobs", "1")
    code2, two, err2 = _run(capsys, "extract", str(corpus), *flags, "--jobs", "2")
    code3, loose, err3 = _run(capsys, "extract", str(corpus), *flags, "--jobs", "3", "--unordered")
    assert code1 == code2 == code3 == 1
    if fmt == "--full":  # the full result carries its own timings: everything else must be equal
        one, two, loose = (_without_timings(x) for x in (one, two, loose))
    assert one == two and len(one.splitlines()) >= 30
    assert sorted(one.splitlines()) == sorted(loose.splitlines())
    assert sorted(err1.splitlines()) == sorted(err2.splitlines()) == sorted(err3.splitlines())
    assert len(err1.splitlines()) == 3


def _without_timings(lines: str) -> str:
    return "".join(json.dumps({k: v for k, v in json.loads(line).items() if k != "timings_ms"}, ensure_ascii=False)
                   + "\n" for line in lines.splitlines())


def test_summary_counts_failures_by_code(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus", 5)
    summary_file = tmp_path / "summary.json"
    code, out, _ = _run(capsys, "extract", str(corpus), "--flat", "--jobs", "2", "--summary-json", str(summary_file))
    assert code == 1
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    assert summary["reports"] == 8 and summary["read"] == 5 and summary["failed"] == 3
    assert summary["failed_by_code"] == {"empty_input": 1, "not_a_report": 1, "undecodable": 1}
    assert summary["seconds"] > 0 and summary["jobs"] == 2 and summary["skipped"] == 0
    code, out, err = _run(capsys, "extract", str(REPORTS[0]), "--flat", "--summary-json")
    assert code == 0 and json.loads(err)["read"] == 1 and len(out.splitlines()) == 1


def test_resume_needs_an_output_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "extract", str(REPORTS[0]), "--resume")
    assert code == 2 and not out and "-o FILE" in err
    with pytest.raises(SystemExit):
        main(["extract", str(REPORTS[0]), "--jobs", "0"])


# ---- the output file and resume ------------------------------------------------------------------------

def _records(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


@pytest.mark.parametrize("fmt", ["--flat", "--csv"])
def test_a_torn_last_record_is_dropped_on_resume(capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str) -> None:
    corpus = make_corpus(tmp_path / "corpus", 12, bad=False)
    whole, part = tmp_path / "whole.out", tmp_path / "part.out"
    assert _run(capsys, "extract", str(corpus), fmt, "-o", str(whole), "--jobs", "1")[0] == 0
    data = whole.read_bytes()
    lines = data.splitlines(keepends=True)
    # Five whole records, then half of the sixth (cut inside a quoted CSV field / a JSON string).
    kept = b"".join(lines[:5 + (fmt == "--csv")])
    torn = lines[5 + (fmt == "--csv")]
    part.write_bytes(kept + torn[: len(torn) // 2])
    code, out, err = _run(capsys, "extract", str(corpus), fmt, "-o", str(part), "--resume", "--jobs", "2",
                          "--summary-json")
    assert code == 0 and not out
    assert json.loads(err)["skipped"] == 5
    assert part.read_bytes() == data


def test_resume_of_a_complete_file_reads_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus", 4, bad=False)
    out_file = tmp_path / "out.csv"
    assert _run(capsys, "extract", str(corpus), "--csv", "-o", str(out_file))[0] == 0
    before = out_file.read_bytes()
    code, _, err = _run(capsys, "extract", str(corpus), "--csv", "-o", str(out_file), "--resume", "--summary-json")
    assert code == 0 and json.loads(err)["skipped"] == 4 and json.loads(err)["read"] == 0
    assert out_file.read_bytes() == before
    rows = list(csv.reader(io.StringIO(before.decode("utf-8"))))
    assert rows[0] == list(next(csv.reader([record_format("csv").header]))) and len(rows) == 5


def test_output_to_a_device_and_a_header_torn_on_resume(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert _run(capsys, "extract", str(REPORTS[0]), "--csv", "-o", os.devnull)[0] == 0  # no truncate, no fsync
    torn = tmp_path / "torn.csv"
    torn.write_bytes(record_format("csv").header.encode()[:100])
    assert _run(capsys, "extract", str(REPORTS[0]), "--csv", "-o", str(torn), "--resume")[0] == 0
    rows = list(csv.reader(io.StringIO(torn.read_text(encoding="utf-8"))))
    assert len(rows) == 2 and rows[1][0] == str(REPORTS[0])


def test_resume_refuses_a_file_it_did_not_write(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    mine = tmp_path / "mine.jsonl"
    for content in ("important notes\nmore\n", '{"source": "x", "cells": {}}\n'):
        mine.write_text(content, encoding="utf-8")
        code, _, err = _run(capsys, "extract", str(REPORTS[0]), "--flat", "-o", str(mine), "--resume")
        assert code == 2 and "cannot resume" in err
        assert mine.read_text(encoding="utf-8") == content  # untouched


def _kill_mid_run(argv: list[str], out_file: Path, total: int) -> int:
    """Start ``nianbao extract``, SIGKILL it (and its workers) once some records are out; the records then."""
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", *argv], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    seen = 0
    try:
        while seen < 20:
            assert proc.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.005)
            if out_file.exists():
                data = out_file.read_bytes()
                # Never half-written: what is there is whole records, and at most a torn last one.
                end, sources = batch.scan(io.BytesIO(data), record_format("flat"))
                assert b"\n" not in data[end:]  # every line but a torn last one is a whole record
                seen = len(sources)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    end, sources = batch.scan(io.BytesIO(out_file.read_bytes()), record_format("flat"))
    assert 20 <= len(sources) < total, "killed too late to test resuming"
    return len(sources)


@pytest.mark.parametrize("order", ["ordered", "unordered"])
def test_a_killed_run_resumed_gives_the_records_of_an_uninterrupted_one(tmp_path: Path, order: str) -> None:
    total = 600
    corpus = make_corpus(tmp_path / "corpus", total, bad=False)
    whole, resumed = tmp_path / "whole.jsonl", tmp_path / "resumed.jsonl"
    flags = ["--unordered"] if order == "unordered" else []
    done = _cli("extract", str(corpus), "--flat", "--jobs", "2", "-o", str(whole), *flags)
    assert done.returncode == 0, done.stderr.decode()
    argv = ["extract", str(corpus), "--flat", "--jobs", "2", "-o", str(resumed), *flags]
    written = _kill_mid_run(argv, resumed, total)
    again = _cli(*argv, "--resume", "--summary-json")
    assert again.returncode == 0, again.stderr.decode()
    assert json.loads(again.stderr)["skipped"] == written
    if order == "ordered":
        assert resumed.read_bytes() == whole.read_bytes()
    else:
        assert sorted(_records(resumed)) == sorted(_records(whole))
    assert len(_records(resumed)) == total


# ---- progress ---------------------------------------------------------------------------------------------

def test_progress_goes_to_a_terminal_on_stderr_and_never_to_stdout(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus", 40)
    plain = _cli("extract", str(corpus), "--flat", "--jobs", "2")
    leader, follower = pty.openpty()
    stdout = (tmp_path / "stdout").open("wb")  # a file, not a pipe: nobody reads a pipe while the terminal is read
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "extract", str(corpus), "--flat", "--jobs", "2"],
                            cwd=ROOT, stdout=stdout, stderr=follower, env={**os.environ, "COLUMNS": "120"})
    os.close(follower)
    stdout.close()
    screen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        assert ready, "no output on the terminal"
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        screen += chunk
    proc.wait(timeout=60)
    os.close(leader)
    assert proc.returncode == 1
    assert (tmp_path / "stdout").read_bytes() == plain.stdout  # the records alone, byte for byte
    text = screen.decode("utf-8", "replace")
    assert "43 reports: 40 read, 3 failed" in text  # the summary
    assert text.count('"error": "not_a_report"') == 1  # failures stay JSON lines
    assert "\x1b[" in text  # the bar drew itself with terminal controls


# ---- nianbao eval over many files ---------------------------------------------------------------------------

def _scores(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text(encoding="utf-8"))
    for case in data["cases"]:
        case["cost"].pop("seconds", None)
    data["summary"] = {k: v for k, v in data["summary"].items() if "second" not in k}
    return {"cases": data["cases"], "summary": data["summary"]}


def test_eval_with_jobs_scores_as_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from eval.runner import main as eval_main

    assert eval_main(["--jobs", "1", "--out", str(tmp_path / "one")]) == 0
    assert eval_main(["--jobs", "2", "--out", str(tmp_path / "two")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"(\d+) cases: \1 read, 0 failed; [\d.]+ s, 2 jobs", out), out[-300:]
    assert _scores(tmp_path / "one" / "eval.json") == _scores(tmp_path / "two" / "eval.json")


def test_eval_failures_are_json_lines_on_stderr(tmp_path: Path) -> None:
    from rich.console import Console

    from eval.dataset import DEFAULT_DIRS, load_cases
    from eval.runner import run
    from service.errors import EmptyInput

    cases = load_cases(DEFAULT_DIRS)[:3]

    def flaky(case: object) -> object:
        raise EmptyInput("nothing to read")

    err = io.StringIO()
    result = run(cases, flaky, backend="rules", console=Console(quiet=True), err=err)  # type: ignore[arg-type]
    lines = [json.loads(line) for line in err.getvalue().splitlines()]
    assert [(x["case"], x["error"]) for x in lines] == [(c.name, "empty_input") for c in cases]
    assert result.summary["errors"] == 3


# ---- the README's Dask example -------------------------------------------------------------------------------

def test_the_readme_dask_example_gives_the_records_of_extract(tmp_path: Path) -> None:
    pytest.importorskip("dask.bag", reason="the [dask] extra is not installed")

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (code,) = [block for block in re.findall(r"```python\n(.*?)```", readme, re.S) if "dask.bag" in block]
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # the documented example, as written
    corpus = make_corpus(tmp_path / "corpus", 10)
    (corpus / ".hidden.txt").unlink()
    shutil.rmtree(corpus / ".git")
    out = tmp_path / "out"
    namespace["extract_corpus"](str(corpus), str(out))  # type: ignore[operator]
    lines = [line for part in sorted(out.glob("part-*.jsonl")) for line in part.read_text("utf-8").splitlines()]
    cli = _cli("extract", str(corpus), "--flat", "--jobs", "2")
    expected = [json.loads(line) for line in [*cli.stdout.decode().splitlines(), *cli.stderr.decode().splitlines()]]
    got = [json.loads(line) for line in lines]
    assert sorted(got, key=lambda r: r["source"]) == sorted(expected, key=lambda r: r["source"])
    assert sum("error" in r for r in got) == 3 and len(got) == 13


# ---- a worker that dies, Ctrl-C ----------------------------------------------------------------------------

def test_a_report_that_kills_its_worker_fails_alone(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from service import pool

    corpus = make_corpus(tmp_path / "corpus", 40, bad=False)
    code, whole, _ = _run(capsys, "extract", str(corpus), "--flat", "--jobs", "1")
    victim = batch.discover([str(corpus)])[17]
    real = pool.extract

    def deadly(data: bytes, *, source: str, **kwargs: object) -> object:
        if source == victim:
            os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer would
        return real(data, source=source, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pool, "extract", deadly)  # the forked workers inherit the patch
    code, out, err = _run(capsys, "extract", str(corpus), "--flat", "--jobs", "2")
    assert code == 1
    assert [json.loads(line) for line in err.splitlines()] == [
        {"source": victim, "error": "worker_died", "message": json.loads(err)["message"]}]
    assert out.splitlines() == [line for line in whole.splitlines() if json.loads(line)["source"] != victim]


def test_ctrl_c_stops_the_run_and_says_how_to_resume(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus", 600, bad=False)
    out_file = tmp_path / "out.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "extract", str(corpus), "--flat", "--jobs", "2",
                             "-o", str(out_file)], cwd=ROOT, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while not (out_file.exists() and out_file.stat().st_size > 0):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGINT)  # the terminal sends it to the whole group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()
    assert b"add --resume" in err and b"Traceback" not in err
    end, sources = batch.scan(io.BytesIO(out_file.read_bytes()), record_format("flat"))
    assert end == out_file.stat().st_size and 0 < len(sources) < 600  # whole records only: the file was closed


# ---- with the export options ---------------------------------------------------------------------------------

def _sheets(path: Path) -> dict[str, list[tuple[object, ...]]]:
    from openpyxl import load_workbook

    book = load_workbook(path)
    return {sheet.title: [tuple(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}


def test_jobs_with_excel_xlsx_lang_and_fail_on(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus", 14)
    runs = {}
    for jobs in ("1", "2"):
        book = tmp_path / f"book{jobs}.xlsx"
        code, out, err = _run(capsys, "extract", str(corpus), "--excel", "--header", "zh", "--lang", "zh",
                              "--fail-on", "not_assessable", "--xlsx", str(book), "--jobs", jobs)
        runs[jobs] = (code, out, sorted(err.splitlines()), _sheets(book))
    assert runs["1"] == runs["2"]
    code, out, err, sheets = runs["1"]
    assert code == 1 and out.startswith("\ufeff") and len(out.splitlines()) == 15
    assert all("message_en" in json.loads(line) for line in err)
    assert len(sheets) >= 5
    # Resuming an Excel CSV: the BOM and the Chinese header are read back, not written twice.
    target = tmp_path / "out.csv"
    target.write_bytes(out[: out.index("\n", len(out) // 2) + 1].encode("utf-8"))
    code, _, _ = _run(capsys, "extract", str(corpus), "--excel", "--header", "zh", "-o", str(target), "--resume")
    assert code == 1 and target.read_bytes() == out.encode("utf-8")
    code, _, err = _run(capsys, "extract", str(corpus), "--csv", "-o", str(target), "--resume")
    assert code == 2 and "header" in err  # another header: refused
    code, _, err = _run(capsys, "extract", str(corpus), "--xlsx", str(tmp_path / "b.xlsx"), "-o", str(target),
                        "--resume")
    assert code == 2 and "--xlsx" in err


def test_fail_on_with_jobs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus", 13, bad=False)
    verdicts = {json.loads(line)["verdict"] for line in _run(capsys, "extract", str(corpus), "--flat")[1].splitlines()}
    for jobs in ("1", "2"):
        code, _, _ = _run(capsys, "extract", str(corpus), "--flat", "--fail-on", "failed", "--jobs", jobs)
        assert code == (3 if "failed" in verdicts else 0)


def test_a_folder_of_documents(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    docs = [p for p in sorted((ROOT / "eval" / "cases").glob("d0*")) if p.suffix in (".docx", ".html", ".pdf")]
    if not docs:
        pytest.skip("no document cases in eval/cases")
    corpus = tmp_path / "docs"
    for i, doc in enumerate(docs):
        (corpus / f"sub{i % 2}").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(doc, corpus / f"sub{i % 2}" / doc.name)
    code1, one, err1 = _run(capsys, "extract", str(corpus), "--flat", "--jobs", "1")
    code2, two, err2 = _run(capsys, "extract", str(corpus), "--flat", "--jobs", "2", "--glob", "*.pdf",
                            "--glob", "*.docx", "--glob", "*.html")
    assert code1 == code2 == 0 and not err1 and not err2
    assert one == two and len(one.splitlines()) == len(docs)
