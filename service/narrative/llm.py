"""The ``llm`` narrative backend: an OpenAI-compatible endpoint through instructor, grounded in the text.

    excerpt (sections 一/五/六 whole, prose lines of 二–四; never the tables)
      → prompt (prompts/narrative.md + examples, validated, hashed)
      → instructor tool call (schema-checked; invalid output is re-asked up to ``llm_max_retries`` times)
      → grounding (every quote located in the user's text; a fact whose quote is not there, or whose
        value is not written in its quote, is dropped) → NarrativeOutput

Only this module imports openai and instructor. Their errors are translated here, at the boundary:
endpoint down, timed out or refusing → ``LLMUnavailable``; answers that never validated → ``LLMOutputInvalid``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import instructor
import openai
from instructor.core import Hooks, IncompleteOutputException, InstructorRetryException
from pydantic import BaseModel, Field, WithJsonSchema, field_validator

from schemas import FACT_KEYS, Fact, NarrativeUsage, Problem, Span
from service.config import Settings, llm_settings_missing
from service.errors import BackendError, LLMOutputInvalid, LLMUnavailable
from service.narrative.base import NarrativeInput, NarrativeOutput
from service.narrative.grounding import clean_bounds, locate, value_in_quote

log = logging.getLogger(__name__)

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
MAX_EXCERPT_CHARS = 24_000  # about 15k tokens of Chinese; a report's prose is rarely longer
_NARRATIVE_SECTIONS = (1, 5, 6)
_PROBLEM_SECTION = 5


# ---- the response model: what the model must call its tool with ------------------------------------

class LLMFact(BaseModel):
    """One count the prose of the report states."""

    key: str = Field(description="which count this is", json_schema_extra={"enum": list(FACT_KEYS)})
    # A plain JSON number in the schema (Decimal alone would advertise "number or string").
    value: Annotated[Decimal, WithJsonSchema({"type": "number", "minimum": 0})] = Field(
        ge=0, description="a plain number: 1.2万 -> 12000; 0 for a statement of none (未收到, 未收取)")
    qualifier: Literal["exact", "approx", "more_than", "at_least"] = "exact"
    quote: str = Field(min_length=1, max_length=300, description="the report's words, copied exactly")

    @field_validator("key")
    @classmethod
    def _known_key(cls, value: str) -> str:
        """Unknown keys fail validation, so instructor re-asks with the accepted list."""
        if value not in FACT_KEYS:
            raise ValueError(f"{value!r} is not a fact key; use one of: {', '.join(FACT_KEYS)}")
        return value


class NarrativeReading(BaseModel):
    """Counts stated in the prose of a government information-disclosure annual report, and its problems."""

    facts: list[LLMFact] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list, description="problems admitted in section 五, one each")


# ---- the prompt: data under prompts/, validated before any token is spent --------------------------

class _Example(NarrativeReading):
    """A few-shot example: a text and the reading it should get."""

    text: str


@dataclass(frozen=True)
class Prompt:
    """The system prompt as sent, and the sha256 of it and of the response schema."""

    system: str
    hash: str


def load_prompt(directory: Path = PROMPTS_DIR) -> Prompt:
    """Read ``narrative.md`` and ``narrative_examples.json``; refuse examples whose answers are not in their text."""
    template = (directory / "narrative.md").read_text(encoding="utf-8")
    template = re.sub(r"<!--.*?-->\s*", "", template, flags=re.S)  # notes for editors, not for the model
    raw = json.loads((directory / "narrative_examples.json").read_text(encoding="utf-8"))
    examples = [_Example.model_validate(item) for item in raw]
    for i, example in enumerate(examples):
        _check_example(i, example)
    system = template.replace("{{examples}}", _render_examples(examples)).strip()
    schema = json.dumps(NarrativeReading.model_json_schema(), sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(f"{system}\n{schema}".encode()).hexdigest()
    return Prompt(system=system, hash=f"sha256:{digest}")


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
        answer = json.dumps(example.model_dump(exclude={"text"}), ensure_ascii=False, default=_plain_number)
        parts.append(f"### 示例 {i}\n报告文字：\n```\n{example.text}\n```\n应填写：\n```json\n{answer}\n```")
    return "\n\n".join(parts)


def _plain_number(value: object) -> int | float:
    if not isinstance(value, Decimal):
        raise TypeError(f"not JSON: {value!r}")
    return int(value) if value == value.to_integral_value() else float(value)


# ---- the excerpt: what is sent ------------------------------------------------------------------------

_PROSE_LINE = re.compile(r"[^\n]*[\u4e00-\u9fff][^\n]*[。，；][^\n]*")


def narrative_ranges(doc: NarrativeInput, limit: int = MAX_EXCERPT_CHARS) -> list[tuple[int, int]]:
    """Ranges of the text worth sending: sections 一, 五, 六 whole, the prose lines of 二–四, at most ``limit``."""
    if not doc.sections:
        return [(0, min(len(doc.text), limit))] if doc.text.strip() else []
    chunks: list[tuple[int, int, bool]] = []  # (start, end, holds the problems)
    for section in doc.sections:
        if section.number in _NARRATIVE_SECTIONS:
            # The heading goes too: it tells the model which part it is reading (五 holds the problems).
            chunks.append((section.start, section.end, section.number == _PROBLEM_SECTION))
        else:
            for m in _PROSE_LINE.finditer(doc.view, section.body_start, section.end):
                if "\t" not in m.group(0) and len(m.group(0).strip()) >= 12:
                    chunks.append((m.start(), m.end(), False))
    # Over the limit, the tail of the other prose goes first: section 五 is the only source of problems.
    budget = limit - sum(min(end - start, limit) for start, end, keep in chunks if keep)
    ranges: list[tuple[int, int]] = []
    for start, end, keep in chunks:
        if keep:
            ranges.append((start, min(end, start + limit)))
        elif budget > 0:
            end = min(end, start + budget)
            budget -= end - start
            ranges.append((start, end))
    return ranges


# ---- the backend -----------------------------------------------------------------------------------

@dataclass
class _Meter:
    """Calls and tokens of one ``read``, counted from every completion instructor receives (retries too)."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def on_response(self, response: Any) -> None:
        """Hook for instructor's ``completion:response``; must not raise (instructor turns that into a warning)."""
        self.calls += 1
        usage = getattr(response, "usage", None)
        self.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
        self.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)

    def as_detail(self) -> dict[str, object]:
        """The counts, for an error's ``detail`` (so a caller can still account for the spend)."""
        return {"llm_calls": self.calls, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens}


def build_client(settings: Settings) -> openai.OpenAI:
    """An OpenAI client for the configured endpoint; the caller closes it (``client.close()``)."""
    missing = llm_settings_missing(settings)
    if missing or settings.llm_api_key is None:
        raise LLMUnavailable(f"the LLM backend is not configured: set {' and '.join(missing)}, "
                             "or use NIANBAO_BACKEND=rules", detail={"missing": missing})
    return openai.OpenAI(base_url=settings.llm_base_url, api_key=settings.llm_api_key.get_secret_value(),
                         timeout=settings.llm_timeout_s, max_retries=settings.llm_max_retries)


class LLMBackend:
    """Reads facts and problems with an LLM; ``client`` is passed in (tests point it at a fake server)."""

    name = "llm"

    def __init__(self, client: openai.OpenAI | None = None, *, settings: Settings,
                 prompts_dir: Path | None = None) -> None:
        self.prompt = load_prompt(prompts_dir or PROMPTS_DIR)  # first: a bad prompt must not leak a client
        self._settings = settings
        self._owns_client = client is None
        self._client = client if client is not None else build_client(settings)
        self._instructor = instructor.from_openai(self._client, mode=instructor.Mode.TOOLS)
        redact_logs(self._client.api_key if isinstance(self._client.api_key, str) else "")

    def __repr__(self) -> str:
        return f"LLMBackend(model={self._settings.llm_model!r}, base_url={str(self._client.base_url)!r})"

    def close(self) -> None:
        """Close the HTTP client if this backend built it (a client passed in belongs to the caller)."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> LLMBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, doc: NarrativeInput) -> NarrativeOutput:
        """Facts and problems of one report; raises ``LLMUnavailable`` or ``LLMOutputInvalid``."""
        settings = self._settings
        usage = NarrativeUsage(backend=self.name, model=settings.llm_model, prompt_hash=self.prompt.hash)
        ranges = narrative_ranges(doc)
        excerpt = "\n\n".join(doc.text[a:b].strip() for a, b in ranges).strip()
        if not excerpt:
            return NarrativeOutput(usage=usage)
        log.info("llm narrative: %d characters in %d ranges to model %s", len(excerpt), len(ranges),
                 settings.llm_model)
        if settings.log_report_text:
            log.debug("llm excerpt:\n%s", excerpt)
        meter, hooks = _Meter(), Hooks()
        hooks.on("completion:response", meter.on_response)
        try:
            reading = self._instructor.chat.completions.create(
                response_model=NarrativeReading,
                messages=[{"role": "system", "content": self.prompt.system},
                          {"role": "user", "content": excerpt}],
                model=settings.llm_model, max_retries=settings.llm_max_retries, strict=False, hooks=hooks,
                temperature=0, timeout=settings.llm_timeout_s)
        except (InstructorRetryException, IncompleteOutputException, openai.OpenAIError) as exc:
            error = translate_error(exc, meter, settings)
            error.detail.update(model=settings.llm_model, prompt_hash=self.prompt.hash)
            raise error from exc
        usage.llm_calls, usage.prompt_tokens = meter.calls, meter.prompt_tokens
        usage.completion_tokens = meter.completion_tokens
        out = ground_reading(reading, doc, ranges)
        out.usage = usage.model_copy(update={"errors": usage.errors + out.usage.errors})
        return out


# ---- grounding the answer in the user's text -------------------------------------------------------

def ground_reading(reading: NarrativeReading, doc: NarrativeInput,
                   ranges: list[tuple[int, int]]) -> NarrativeOutput:
    """Locate every quote in ``ranges`` of the text; drop what is not there (the hallucination guard)."""
    out = NarrativeOutput()
    notes = out.usage.errors
    for item in reading.facts:
        if item.key in out.facts:
            notes.append(f"llm: a second {item.key} was ignored (one fact per key)")
            continue
        span, how = locate(doc.text, item.quote, ranges=ranges)
        if span is None:
            notes.append(f"llm: dropped {item.key}: its quote is not in the text")
            continue
        quote = doc.text[span.start:span.end]
        if not value_in_quote(item.value, doc.view[span.start:span.end]):
            notes.append(f"llm: dropped {item.key}: the value {item.value} is not written in its quote")
            continue
        value = item.value.to_integral_value() if item.value == item.value.to_integral_value() else item.value
        out.facts[item.key] = Fact(value=value, qualifier=item.qualifier, quote=quote, span=span, grounding=how)
    out.facts = {k: out.facts[k] for k in FACT_KEYS if k in out.facts}  # stable order: the spec's key order
    problem_ranges = [r for r in [doc.section(_PROBLEM_SECTION)] if r is not None] or ranges
    for text in reading.problems:
        span, _ = locate(doc.text, text, ranges=problem_ranges)
        if span is None:
            notes.append("llm: dropped a problem that is not in section 五's text")
            continue
        # The report's own words, without a leading 一是 or a trailing 。 the model may have kept.
        start, end = clean_bounds(doc.view, span.start, span.end)
        if end > start:
            out.problems.append(Problem(text=doc.text[start:end], span=Span(start=start, end=end)))
    return out


# ---- errors: openai/instructor → nianbao's tree ----------------------------------------------------

def translate_error(exc: BaseException, meter: _Meter, settings: Settings) -> BackendError:
    """``LLMUnavailable`` when the endpoint failed, ``LLMOutputInvalid`` when its answers never fitted."""
    # instructor wraps the last error of its retry loop in InstructorRetryException; the cause tells which.
    cause = exc.__cause__ if isinstance(exc, InstructorRetryException) and exc.__cause__ is not None else exc
    attempts = getattr(exc, "n_attempts", None) or meter.calls or 1
    detail: dict[str, object] = {**meter.as_detail(), "cause": type(cause).__name__, "attempts": attempts}
    error: BackendError
    if isinstance(cause, openai.APIConnectionError | openai.APIStatusError):
        status = getattr(cause, "status_code", None)
        if status is not None:
            detail["status"] = status
        error = LLMUnavailable(_unavailable_message(cause, settings), detail=detail)
    elif meter.calls == 0:
        # Not one chat completion came back (e.g. an HTML page with status 200): the endpoint is wrong.
        error = LLMUnavailable(f"the LLM endpoint {settings.llm_base_url or ''} did not answer with an OpenAI "
                               f"chat completion ({type(cause).__name__}); check NIANBAO_LLM_BASE_URL",
                               detail=detail)
    elif isinstance(cause, IncompleteOutputException):
        error = LLMOutputInvalid("the model's answer was cut off at its token limit; use a model with a larger "
                                 "output limit (NIANBAO_LLM_MODEL) or NIANBAO_BACKEND=hybrid", detail=detail)
    else:
        last = str(cause).strip().splitlines()[0][:200] if str(cause).strip() else type(cause).__name__
        error = LLMOutputInvalid(f"the model's answer did not fit the schema in {attempts} attempt(s) ({last}); "
                                 "try another NIANBAO_LLM_MODEL, raise NIANBAO_LLM_MAX_RETRIES, or use "
                                 "NIANBAO_BACKEND=hybrid", detail=detail)
    error.message = _redact(error.message, settings)
    error.args = (error.message,)
    return error


def _unavailable_message(cause: openai.APIError, settings: Settings) -> str:
    where = settings.llm_base_url or "the configured endpoint"
    if isinstance(cause, openai.APITimeoutError):
        return (f"the LLM endpoint {where} did not answer within {settings.llm_timeout_s:g} s; "
                "raise NIANBAO_LLM_TIMEOUT_S or check the endpoint")
    if isinstance(cause, openai.APIConnectionError):
        return f"could not connect to the LLM endpoint {where}; check NIANBAO_LLM_BASE_URL and that it is up"
    status = getattr(cause, "status_code", "?")
    if isinstance(cause, openai.AuthenticationError | openai.PermissionDeniedError):
        return f"the LLM endpoint refused the API key (HTTP {status}); check NIANBAO_LLM_API_KEY"
    if isinstance(cause, openai.NotFoundError):
        return (f"the LLM endpoint answered HTTP 404; check NIANBAO_LLM_BASE_URL (it usually ends in /v1) "
                f"and NIANBAO_LLM_MODEL={settings.llm_model!r}")
    if isinstance(cause, openai.RateLimitError):
        return "the LLM endpoint is rate-limiting us (HTTP 429); retry later or raise the endpoint's quota"
    if isinstance(status, int) and status >= 500:
        return f"the LLM endpoint failed (HTTP {status}); retry later or use NIANBAO_BACKEND=rules"
    return (f"the LLM endpoint rejected the request (HTTP {status}); check NIANBAO_LLM_MODEL and that the "
            "endpoint supports tool calls")


# instructor and openai log an endpoint's error text as it came, and some endpoints echo the key in it.
_ECHOING_LOGGERS = ("instructor.v2.retry", "openai._base_client")


class _RedactSecret(logging.Filter):
    """Masks one secret in the records of a logger that repeats what an endpoint said."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message without the secret; never drop the record."""
        message = record.getMessage()
        if self.secret in message:
            record.msg, record.args = message.replace(self.secret, "**********"), ()
        return True


def redact_logs(secret: str) -> None:
    """Mask ``secret`` in what openai and instructor log (once per secret and logger)."""
    if len(secret) < 4:
        return
    for name in _ECHOING_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactSecret) and f.secret == secret for f in logger.filters):
            logger.addFilter(_RedactSecret(secret))


def _redact(message: str, settings: Settings) -> str:
    """Endpoints sometimes echo the key in their error text; it must not travel further."""
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key is not None else ""
    return message.replace(key, "**********") if len(key) >= 4 else message


__all__ = ["LLMBackend", "LLMFact", "NarrativeReading", "Prompt", "build_client", "ground_reading",
           "load_prompt", "narrative_ranges", "redact_logs", "translate_error"]
