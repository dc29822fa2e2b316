"""The key ↔ label table in docs/ is the one schemas/labels.py makes, and every CSV column has a label."""

from __future__ import annotations

from pathlib import Path

from support import load_script

from schemas.labels import label_zh
from service.export import CSV_COLUMNS

ROOT = Path(__file__).resolve().parent.parent


def test_the_committed_table_is_current() -> None:
    script = load_script("key_labels", ROOT / "scripts" / "key_labels.py")
    assert (ROOT / "docs" / "keys-zh.md").read_text(encoding="utf-8") == script.render(), \
        "run: .venv/bin/python scripts/key_labels.py"


def test_every_column_has_a_chinese_label() -> None:
    for column in CSV_COLUMNS:
        label = label_zh(column)
        assert label != column and not label.isascii(), column
