"""The narrative prompt: data under prompts/, validated before any token is spent, versioned and hashed.

``prompts/narrative.md`` opens with front matter (``id``, ``version``) that is not sent; HTML comments are
notes for editors and are not sent either; ``{{examples}}`` is replaced by ``narrative_examples.json``,
rendered. Every example is checked: its quotes and problems must be in its text, and each value in its
quote, so the model is never shown an answer grounding would refuse.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from service.narrative.grounding import value_in_quote
from service.narrative.reading import NarrativeReading

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)


class _Example(NarrativeReading):
    """A few-shot example: a text and the reading it should get."""

    text: str


@dataclass(frozen=True)
class Prompt:
    """The system prompt as sent, its id and version (front matter), and the sha256 of it and the schema."""

    id: str
    version: str
    system: str
    schema: str  # the response model's JSON schema, as sent beside the prompt (tool or JSON instructions)
    hash: str

    @property
    def header(self) -> str:
        """The value of the ``X-Nianbao-Prompt`` request header: ``id/version sha256:…``."""
        return f"{self.id}/{self.version} {self.hash}"


def load_prompt(directory: Path = PROMPTS_DIR) -> Prompt:
    """Read ``narrative.md`` and ``narrative_examples.json``; refuse a prompt without id/version or a bad example."""
    source = directory / "narrative.md"
    template = source.read_text(encoding="utf-8")
    meta, template = _front_matter(template, source)
    template = re.sub(r"<!--.*?-->\s*", "", template, flags=re.S)  # notes for editors, not for the model
    raw = json.loads((directory / "narrative_examples.json").read_text(encoding="utf-8"))
    examples = [_Example.model_validate(item) for item in raw]
    for i, example in enumerate(examples):
        _check_example(i, example)
    system = template.replace("{{examples}}", _render_examples(examples)).strip()
    schema = json.dumps(NarrativeReading.model_json_schema(), sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(f"{system}\n{schema}".encode()).hexdigest()
    return Prompt(id=meta["id"], version=meta["version"], system=system, schema=schema, hash=f"sha256:{digest}")


def _front_matter(template: str, source: Path) -> tuple[dict[str, str], str]:
    """``key: value`` lines between ``---`` lines at the top; ``id`` and ``version`` are required."""
    m = _FRONT_MATTER.match(template)
    meta: dict[str, str] = {}
    if m is not None:
        for line in m.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep:
                meta[key.strip()] = value.strip()
    missing = [k for k in ("id", "version") if not meta.get(k)]
    if missing:
        raise ValueError(f"{source}: the front matter (--- lines at the top) lacks {' and '.join(missing)}; "
                         "start the file with ---, id: narrative, version: 1, ---")
    return meta, template[m.end():] if m is not None else template


def _check_example(index: int, example: _Example) -> None:
    where = f"prompts/narrative_examples.json, example {index}"
    for fact in example.facts:
        if fact.quote not in example.text:
            raise ValueError(f"{where}: the quote {fact.quote!r} does not occur in the example's text; "
                             "copy it from the text exactly")
        if not value_in_quote(fact.value, fact.quote):
            raise ValueError(f"{where}: {fact.key}={fact.value} is not written in its quote {fact.quote!r}")
    for problem in example.problems:
        if problem not in example.text:
            raise ValueError(f"{where}: the problem {problem!r} does not occur in the example's text")


def _render_examples(examples: list[_Example]) -> str:
    parts = ["## 示例"]
    for i, example in enumerate(examples, 1):
        # Compact, and without the defaults (qualifier exact): the answer as the schema allows it, cheaply.
        answer = json.dumps(example.model_dump(exclude={"text"}, exclude_defaults=True), ensure_ascii=False,
                            separators=(",", ":"), default=_plain_number)
        parts.append(f"### 示例 {i}\n报告文字：\n```\n{example.text}\n```\n应填写：\n```json\n{answer}\n```")
    return "\n\n".join(parts)


def _plain_number(value: object) -> int | float:
    if not isinstance(value, Decimal):
        raise TypeError(f"not JSON: {value!r}")
    return int(value) if value == value.to_integral_value() else float(value)


__all__ = ["PROMPTS_DIR", "Prompt", "load_prompt"]
