"""Labelled cases: a report file (read as bytes) and its gold label (labelling.md).

Two layouts are read. ``DIR/gold/*.json`` with the texts in ``DIR/samples/`` (the committed samples), and
``DIR/*.json`` with the texts beside them (``eval/cases/``, or a user's own folder). A gold's ``source``
names its text file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EVAL_DIR = Path(__file__).resolve().parent
DEFAULT_DIRS: tuple[Path, ...] = (EVAL_DIR, EVAL_DIR / "cases")
# The corpus split: narrative-only cases built from shapes of real reports (eval/corpus/README.md).
CORPUS_DIRS: tuple[Path, ...] = (EVAL_DIR / "corpus" / "cases",)
SPLITS: dict[str, tuple[Path, ...]] = {"default": DEFAULT_DIRS, "corpus": CORPUS_DIRS}


class DatasetError(Exception):
    """A case folder or gold file cannot be read; the message says which and what to fix."""


@dataclass(frozen=True)
class Case:
    """One labelled report: its bytes as stored and its gold label."""

    name: str
    text_path: Path
    gold_path: Path
    data: bytes
    gold: dict[str, Any]

    @property
    def text(self) -> str:
        """The report's text: a text file decoded without the service's decoder (BOM, UTF-8, then GB18030); a
        web page, Word file or PDF as the document readers extract it (what the spans and quotes point into)."""
        if self.text_path.suffix.lower() in DOCUMENT_SUFFIXES:
            from service.documents import read_document

            return read_document(self.data, filename=self.text_path.name).text
        return decode_text(self.data)


DOCUMENT_SUFFIXES = (".html", ".htm", ".docx", ".pdf")


def decode_text(data: bytes) -> str:
    """Decode a stored report: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (GBK)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _gold_files(folder: Path) -> tuple[list[Path], Path]:
    """Gold files of a folder and the folder holding their texts."""
    if (folder / "gold").is_dir():
        return sorted((folder / "gold").glob("*.json")), folder / "samples"
    return sorted(p for p in folder.glob("*.json") if p.name != "baseline.json"), folder


def load_folder(folder: Path) -> list[Case]:
    """Every labelled case of one folder, in file-name order."""
    if not folder.is_dir():
        raise DatasetError(f"{folder} is not a folder; pass a folder of *.json gold files with their texts")
    golds, text_dir = _gold_files(folder)
    cases = []
    for gold_path in golds:
        try:
            gold = json.loads(gold_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DatasetError(f"{gold_path}: not readable JSON ({exc}); fix the file") from exc
        if not isinstance(gold, dict) or not isinstance(gold.get("source"), str):
            raise DatasetError(f"{gold_path}: a gold label needs a \"source\" naming its text file")
        text_path = text_dir / gold["source"]
        if not text_path.is_file():
            raise DatasetError(f"{gold_path}: its source {text_path} does not exist; put the text beside it")
        cases.append(Case(name=text_path.stem, text_path=text_path, gold_path=gold_path,
                          data=text_path.read_bytes(), gold=gold))
    return cases


def load_cases(folders: Iterable[Path] = DEFAULT_DIRS, *, only: str | None = None) -> list[Case]:
    """Cases of several folders; ``only`` keeps those whose name contains it. Names must be unique."""
    cases: list[Case] = []
    seen: dict[str, Path] = {}
    for folder in folders:
        for case in load_folder(Path(folder)):
            if case.name in seen:
                raise DatasetError(f"two cases are named {case.name!r}: {seen[case.name]} and "
                                   f"{case.gold_path}; rename one text file")
            seen[case.name] = case.gold_path
            if only is None or only in case.name:
                cases.append(case)
    return cases
