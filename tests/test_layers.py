"""The layers hold: schemas/ is the contract and imports nothing from service/; only the LLM module talks to
openai/instructor; only the HTTP shell imports FastAPI; the core never reads ../shared."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[1]


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
