"""Validation of gold labels (labelling.md), so that a broken label cannot score silently.

A gold label must name every canonical cell of its format version and nothing else, give each value a
type its key allows (counts are non-negative integers, 本年增/减 is signed, money may be a decimal), keep
cells under a ``missing`` prefix null, and copy each fact quote and problem from the report's text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from schemas.keys import FACT_KEYS, QUALIFIERS, VERSIONS, cell_keys

TOP_LEVEL = ("source", "meta", "cells", "missing", "facts", "problems", "notes")
# A narrative-only label (the corpus split, eval/corpus/): the prose's facts and problems, no table cells.
NARRATIVE_TOP_LEVEL = ("source", "scope", "meta", "facts", "problems", "notes")
NARRATIVE = "narrative"
# Page numbers and running headers of PDF text: a problem label may run across them (checked without them).
_FURNITURE = re.compile(r"(?m)^[ \t]*(?:[-—－]{1,2}[ \t]*\d{1,3}[ \t]*[-—－]{1,2}|第[ \t]*\d{1,3}[ \t]*页|\d{1,3})[ \t]*$")
MONEY_KEYS = frozenset({"active.fees.amount", "active.procurement.amount"})
_FULL_WIDTH_DIGITS = {c: chr(c - 0xFEE0) for c in range(0xFF10, 0xFF1A)}
_DIGIT_RUN = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_RUN = re.compile(r"[〇零一二两三四五六七八九十百千]+")
_SCALES = (Decimal(1), Decimal(10_000), Decimal(100_000_000))  # as written, 万, 亿
_SPACE = re.compile(r"\s+")


def gold_number(value: Any) -> Decimal | None:
    """A gold cell or fact value as a Decimal (None for null or anything that is not a number)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | str):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    return None


def under(key: str, prefixes: Iterable[str]) -> bool:
    """Whether a key lies under one of the prefixes (``review`` covers ``review.reconsideration.total``)."""
    return any(key == p or key.startswith(p + ".") for p in prefixes)


def validate_gold(gold: Mapping[str, Any]) -> list[str]:
    """Structural errors of one gold label (empty when it is valid)."""
    narrative = is_narrative(gold)
    fields = NARRATIVE_TOP_LEVEL if narrative else TOP_LEVEL
    errs = [f"unknown top-level field {k!r}" for k in gold if k not in fields]
    errs += [f"missing top-level field {k!r}" for k in fields if k not in gold]
    if "scope" in gold and not narrative:
        errs.append(f"scope is {gold['scope']!r}; the only scope is {NARRATIVE!r} (a label without cells)")
    meta = gold.get("meta")
    if not isinstance(meta, Mapping):
        return errs + ["meta must be an object with agency, year and format_version"]
    version = meta.get("format_version")
    if version not in VERSIONS:
        return errs + [f"meta.format_version is {version!r}; it must be one of {list(VERSIONS)}"]
    if not isinstance(meta.get("agency"), str) or not meta["agency"].strip():
        errs.append("meta.agency must be the title's reporting body, a non-empty string")
    year = meta.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 1990 <= year <= 2100:
        errs.append(f"meta.year is {year!r}; it must be the integer year reported on")
    if not narrative:
        errs += _validate_cells(str(version), gold.get("cells"), gold.get("missing"))
    errs += _validate_facts(gold.get("facts"))
    problems = gold.get("problems")
    if not isinstance(problems, list) or not all(isinstance(p, str) and p.strip() for p in problems):
        errs.append("problems must be a list of non-empty strings")
    if not isinstance(gold.get("notes"), str) or not gold.get("notes", "").strip():
        errs.append("notes must say how the case was read or made")
    return errs


def is_narrative(gold: Mapping[str, Any]) -> bool:
    """Whether a label holds only the narrative (facts and problems), not the tables."""
    return gold.get("scope") == NARRATIVE


def _validate_cells(version: str, cells: Any, missing: Any) -> list[str]:
    if not isinstance(cells, Mapping):
        return ["cells must be an object of canonical key -> number or null"]
    expected = cell_keys(version)
    errs = [f"missing cell key {k}" for k in expected if k not in cells]
    errs += [f"cell key {k} is not a {version} key" for k in cells if k not in set(expected)]
    for key, value in cells.items():
        errs += _cell_type_errors(key, value)
    if not isinstance(missing, list) or not all(isinstance(m, str) for m in missing):
        return errs + ["missing must be a list of key prefixes"]
    for prefix in missing:
        if not any(under(k, [prefix]) for k in expected):
            errs.append(f"missing entry {prefix!r} names no {version} cell")
    errs += [f"{k} is under missing prefix but holds {cells[k]!r}; a missing cell is null"
             for k in expected if k in cells and cells[k] is not None and under(k, missing)]
    return errs


def _cell_type_errors(key: str, value: Any) -> list[str]:
    if value is None:
        return []
    if key in MONEY_KEYS:
        ok = gold_number(value) is not None and gold_number(value) >= 0  # type: ignore[operator]
        return [] if ok else [f"{key}: {value!r} is not a non-negative amount"]
    if not isinstance(value, int) or isinstance(value, bool):
        return [f"{key}: {value!r} is not an integer count"]
    if value < 0 and not key.endswith(".change"):
        return [f"{key}: {value} is negative; only 本年增/减 (.change) is signed"]
    return []


def _validate_facts(facts: Any) -> list[str]:
    if not isinstance(facts, Mapping):
        return ["facts must be an object of fact key -> {value, qualifier, quote}"]
    errs = []
    for key, fact in facts.items():
        if key not in FACT_KEYS:
            errs.append(f"unknown fact key {key!r}; the keys are {list(FACT_KEYS)}")
        if not isinstance(fact, Mapping) or not {"value", "quote"} <= set(fact):
            errs.append(f"fact {key} needs value, qualifier and quote")
            continue
        value = gold_number(fact["value"])
        if value is None or value < 0:
            errs.append(f"fact {key}: value {fact['value']!r} is not a non-negative number")
        if fact.get("qualifier", "exact") not in QUALIFIERS:
            errs.append(f"fact {key}: qualifier {fact.get('qualifier')!r} is not one of {list(QUALIFIERS)}")
        if not isinstance(fact["quote"], str) or not fact["quote"].strip():
            errs.append(f"fact {key}: quote must be the text the value was read from")
    return errs


def validate_against_text(gold: Mapping[str, Any], text: str) -> list[str]:
    """Errors of a label against its text: quotes copied exactly and stating the value; problems present."""
    errs = []
    for key, fact in (gold.get("facts") or {}).items():
        quote = fact.get("quote") if isinstance(fact, Mapping) else None
        if not isinstance(quote, str):
            continue
        if quote not in text:
            errs.append(f"fact {key}: quote {quote!r} is not in the text; copy it exactly")
        value = gold_number(fact.get("value"))
        if value is not None and value != 0 and not quote_states(quote, value):
            errs.append(f"fact {key}: quote {quote!r} does not contain the value {fact['value']}")
    flat = _SPACE.sub("", text)
    bare = _SPACE.sub("", _without_furniture(text))
    for problem in gold.get("problems") or []:
        if isinstance(problem, str) and _SPACE.sub("", problem) not in flat and _SPACE.sub("", problem) not in bare:
            errs.append(f"problem {problem[:30]!r}… is not in the text; copy it from section 五")
    return errs


def _without_furniture(text: str) -> str:
    """The text without page-number lines and without its first line (the title) where it repeats."""
    text = _FURNITURE.sub("", text)
    title = next((line.strip() for line in text.split("\n") if line.strip()), "")
    if title and text.count(title) > 1:
        text = "\n".join(line for i, line in enumerate(text.split("\n")) if line.strip() != title or i == 0)
    return text


def quote_states(quote: str, value: Decimal) -> bool:
    """Whether a quote writes the value: in digits (any width, maybe in 万/亿) or in Chinese numerals."""
    folded = quote.translate(_FULL_WIDTH_DIGITS)
    written = [Decimal(m.group(0).replace(",", "")) for m in _DIGIT_RUN.finditer(folded)]
    written += [n for m in _CN_RUN.finditer(folded) if (n := chinese_number(m.group(0))) is not None]
    return any(w * scale == value for w in written for scale in _SCALES)


def chinese_number(word: str) -> Decimal | None:
    """A Chinese numeral below 10000 (十二, 两百零五, 三) as a Decimal, or None when it is not one."""
    total, digit = 0, None
    for ch in word:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
        else:
            return None
    return Decimal(total + (digit or 0))


def validate_case(gold: Mapping[str, Any], text: str, file_name: str) -> list[str]:
    """Every error of a gold label and its text file."""
    errs = validate_gold(gold)
    if gold.get("source") != file_name:
        errs.append(f"source is {gold.get('source')!r} but the text file is {file_name!r}")
    return errs + validate_against_text(gold, text)
