"""Compare the blind second labels (relabel.json) with the first (cases/*.json); write the record into manifest.json.

``python eval/corpus/compare.py``: prints every disagreement and stores them, with the reconciliation decided
for each, under ``labelling`` in manifest.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def disagreements(first: dict[str, Any], second: dict[str, Any]) -> list[str]:
    """What the two labellings of one case disagree on (facts by key and value, problems as texts)."""
    out = []
    want = {k: f["value"] for k, f in first["facts"].items()}
    got = second["facts"]
    for key in sorted(set(want) | set(got)):
        if want.get(key) != got.get(key):
            out.append(f"facts.{key}: first {want.get(key)!r}, second {got.get(key)!r}")
    if first["problems"] != second["problems"]:
        out.append(f"problems: first {first['problems']!r}, second {second['problems']!r}")
    return out


def main() -> None:
    """Print and record the disagreements of every relabelled case."""
    relabel = json.loads((HERE / "relabel.json").read_text(encoding="utf-8"))
    manifest = json.loads((HERE / "manifest.json").read_text(encoding="utf-8"))
    reconciled = relabel.get("reconciled", {})
    record = []
    for name, second in relabel["cases"].items():
        first = json.loads((HERE / "cases" / f"{name}.json").read_text(encoding="utf-8"))
        for d in disagreements(first, second):
            print(name, d)
            record.append({"case": name, "disagreement": d, "resolution": reconciled.get(name, "")})
    facts = sum(len(c["facts"]) for c in relabel["cases"].values())
    problems = sum(len(c["problems"]) for c in relabel["cases"].values())
    manifest["labelling"] = {
        "first": "written with each template (generate.py) or each hand case (hand.py), by reading it",
        "second": relabel["about"], "relabelled_cases": len(relabel["cases"]),
        "second_facts": facts, "second_problems": problems, "disagreements": record,
        "resolved_earlier": [{"case": k, "resolution": v} for k, v in reconciled.items()]}
    (HERE / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(relabel['cases'])} cases, {facts} facts and {problems} problems relabelled; {len(record)} disagreements")


if __name__ == "__main__":
    main()
