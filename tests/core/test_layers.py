"""The layers hold: schemas/ is the contract and imports nothing from service/; only the LLM module talks to
openai/instructor; only the HTTP shell imports FastAPI; the core never reads ../shared."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _imports(path: Path, *, runtime_only: bool = True) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    if runtime_only:  # `if TYPE_CHECKING:` blocks are for the type checker, not imports at run time
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
                skip |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_schemas_import_nothing_from_service() -> None:
    for path in _files("schemas"):
        assert "service" not in _imports(path), path


def test_only_the_llm_module_imports_openai_and_instructor() -> None:
    allowed = {ROOT / "service/narrative/llm.py"}
    for path in _files("service"):
        if path not in allowed:
            assert not _imports(path) & {"openai", "instructor"}, path


def test_only_the_http_shell_imports_fastapi() -> None:
    for path in _files("service"):
        rel = path.relative_to(ROOT).as_posix()
        if not (rel.startswith("service/api/") or rel == "service/main.py"):
            assert not _imports(path) & {"fastapi", "starlette", "uvicorn"} or rel == "service/cli.py", rel


def test_nothing_reads_the_shared_folder() -> None:
    for folder in ("service", "schemas", "eval", "tests"):
        for path in _files(folder):
            if path.name != "test_layers.py":
                assert "../shared" not in path.read_text(encoding="utf-8"), path


def test_each_step_module_names_its_step_from_the_table() -> None:
    import importlib

    from service.pipeline import STEPS

    assert [s.number for s in STEPS] == list(range(1, len(STEPS) + 1))
    for step in STEPS:
        for module in step.modules:
            doc = importlib.import_module(module).__doc__ or ""
            assert doc.startswith(f"Step {step.number} ({step.name}): "), (module, doc[:40])


def test_timings_are_the_steps_of_the_table() -> None:
    from service.pipeline import STEP_NAMES, extract

    sample = sorted((ROOT / "eval" / "samples").glob("*.txt"))[0]
    timings = extract(sample.read_bytes(), source=sample.name).timings_ms
    assert set(timings) == STEP_NAMES | {"total"}


def test_the_tables_step_takes_its_equations_from_the_equations_module() -> None:
    # One equation library (service.equations) for the tables step and the checks step; checks only judges.
    for path in [*_files("service/tables"), ROOT / "service/checks.py"]:
        assert "service.checks import" not in path.read_text("utf-8"), path


def test_the_backend_names_are_spelled_in_the_registry_only() -> None:
    from typing import get_args

    from schemas.backends import BACKENDS, BackendName

    assert BACKENDS == get_args(BackendName)  # the constants and the type name the same backends, in order
    for folder in ("service", "schemas", "eval"):
        for path in _files(folder):
            if path.name in ("backends.py", "zh.py", "labels.py"):  # the registry; Chinese names of the backends
                continue
            text = path.read_text(encoding="utf-8")
            for name in BACKENDS:  # a dict key such as readiness's out["llm"] names a check, not a backend
                assert not re.search(rf"""(?<!\[)["']{name}["']""", text), (path, name)


def test_metrics_are_infrastructure_of_the_http_shell() -> None:
    # Metrics, worker supervision and transport live under service/api/; the core does not count requests.
    for path in _files("service"):
        rel = path.relative_to(ROOT).as_posix()
        if not rel.startswith("service/api/"):
            assert "prometheus_client" not in _imports(path), rel
    assert not (ROOT / "service/metrics.py").exists()


def test_the_benchmarks_import_nothing_from_the_tests() -> None:
    # What both need (synthetic reports, the fake LLM) lives in testkit/; bench/ may read test data files only.
    test_modules = {p.stem for p in _files("tests")} | {"support"}
    for path in _files("bench"):
        text = path.read_text(encoding="utf-8")
        assert not _imports(path, runtime_only=False) & test_modules, path
        assert not re.search(r"sys\.path.*tests", text), path


def _modules(path: Path) -> set[str]:
    """Every module ``path`` imports from, dotted in full."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_documents_package_is_the_one_way_from_bytes_to_a_document() -> None:
    # The readers (HTML, DOCX, PDF) sit behind read_document, which gives the pipeline one Document model
    # (text, grids, page boxes); nothing outside service/documents/ reaches a reader.
    readers = {f"service.documents.{name}" for name in ("html", "docx", "pdf", "pdf_grid")}
    for folder in ("service", "eval", "bench"):
        for path in _files(folder):
            if not path.relative_to(ROOT).as_posix().startswith("service/documents/"):
                assert not _modules(path) & readers, path
    assert "service.documents" in _modules(ROOT / "service/pipeline.py")


def test_the_tests_are_grouped_by_layer() -> None:
    # tests/<layer>/test_*.py; what several of them share is in tests/support/ (or testkit/, with bench/).
    assert not list((ROOT / "tests").glob("test_*.py"))
    assert sorted(p.name for p in (ROOT / "tests").glob("*.py")) == ["conftest.py"]
