"""The ``llm`` narrative backend: an OpenAI-compatible endpoint through instructor, grounded in the text.

    excerpt (sections 一/五/六 whole, prose lines of 二–四; never the tables)         excerpt.py
      → cache (same excerpt, prompt, endpoint, model, mode: no call)                     cache.py
      → token budget (estimate the prompt; refuse or cap ``max_tokens``)                 budget.py
      → a slot (at most ``llm_max_concurrency`` in flight; ``Overloaded`` past the queue) limits.py
      → AsyncOpenAI + instructor (transport retries by openai: 429 with Retry-After, 5xx, timeouts;
        invalid output re-asked by instructor up to ``llm_max_reasks``, while the budget allows)
      → grounding (quotes located in the user's text; what is not there is rejected)      reading.py
      → NarrativeOutput

A failed reading degrades to the rules backend, marked in ``usage`` (``degraded``, ``degraded_reason``),
unless ``llm_required`` (setting or per-request option): then the typed error is raised. Every call runs
on the process's I/O loop (aio.py), whatever the caller's loop or thread.

Only this module imports openai and instructor. Their errors are translated here, at the boundary:
endpoint down, timed out or refusing → ``LLMUnavailable``; answers that never validated → ``LLMOutputInvalid``;
re-asks stopped, or an answer cut off, by the token budget → ``LLMBudgetExceeded``. Every message says what
to change, and none carries the key (some endpoints echo it) or the report's text.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import instructor
import openai
from instructor.core import (
    AsyncValidationError,
    Hooks,
    IncompleteOutputException,
    InstructorRetryException,
    ResponseParsingError,
)
from pydantic import ValidationError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt

from schemas import ExtractOptions, NarrativeUsage
from service.config import Settings, llm_settings_missing, public_url
from service.errors import BackendError, LLMBudgetExceeded, LLMOutputInvalid, LLMUnavailable
from service.logs import redact_logs, withhold_details
from service.narrative.aio import IO
from service.narrative.base import NarrativeBackend, NarrativeInput, NarrativeOutput, degraded, llm_required
from service.narrative.budget import (
    MAX_COMPLETION_TOKENS,
    MIN_COMPLETION_TOKENS,
    BudgetStop,
    Meter,
    completion_allowance,
    estimate_prompt,
)
from service.narrative.cache import ReadingCache, cache_key, open_cache
from service.narrative.excerpt import excerpt_of, injected_sentences, narrative_ranges
from service.narrative.limits import Limiter, shared_limiter
from service.narrative.prompt import PROMPTS_DIR, Prompt, load_prompt
from service.narrative.reading import NarrativeReading, ground_reading
from service.narrative.rules import RulesBackend

log = logging.getLogger(__name__)

MODES = {"tools": instructor.Mode.TOOLS, "json": instructor.Mode.JSON, "md_json": instructor.Mode.MD_JSON}
PROMPT_HEADER = "X-Nianbao-Prompt"
# What instructor re-asks on: the answer did not parse or validate. Endpoint errors are openai's to retry.
_REASKABLE = (ValidationError, json.JSONDecodeError, AsyncValidationError, ResponseParsingError)


def build_client(settings: Settings) -> openai.AsyncOpenAI:
    """An async OpenAI client for the configured endpoint; the backend that builds it closes it."""
    missing = llm_settings_missing(settings)
    if missing or settings.llm_api_key is None:
        raise LLMUnavailable(f"the LLM backend is not configured: set {' and '.join(missing)}, "
                             "or use NIANBAO_BACKEND=rules", detail={"missing": missing})
    return openai.AsyncOpenAI(base_url=settings.llm_base_url, api_key=settings.llm_api_key.get_secret_value(),
                              timeout=settings.llm_timeout_s, max_retries=settings.llm_max_retries)


class LLMBackend:
    """Reads facts and problems with an LLM; ``client`` is passed in (tests point it at a fake server).

    ``cache`` None opens the one ``settings.cache_url`` names; ``limiter`` None takes the process's shared one.
    """

    name = "llm"

    def __init__(self, client: openai.AsyncOpenAI | None = None, *, settings: Settings,
                 prompts_dir: Path | None = None, cache: ReadingCache | None = None,
                 limiter: Limiter | None = None, fallback: NarrativeBackend | None = None) -> None:
        self.prompt: Prompt = load_prompt(prompts_dir or PROMPTS_DIR)  # first: a bad prompt must not leak a client
        self._settings = settings
        self._owns_client = client is None
        self._client = client if client is not None else build_client(settings)
        # The settings, not the client's construction, decide the timeout and the transport retries.
        tuned = self._client.with_options(timeout=settings.llm_timeout_s, max_retries=settings.llm_max_retries)
        self._instructor = instructor.from_openai(tuned, mode=MODES[settings.llm_mode])
        self.cache = cache if cache is not None else open_cache(settings.cache_url)
        self.limiter = limiter or shared_limiter(settings)
        self.fallback = fallback or RulesBackend()
        redact_logs(self._client.api_key if isinstance(self._client.api_key, str) else "")
        withhold_details(not settings.log_report_text)

    def __repr__(self) -> str:
        return (f"LLMBackend(model={self._settings.llm_model!r}, mode={self._settings.llm_mode!r}, "
                f"base_url={public_url(str(self._client.base_url))!r})")

    # ---- lifetime ----------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the cache, and the HTTP client if this backend built it (a client passed in is the caller's)."""
        IO.run(self.aclose())

    async def aclose(self) -> None:
        """``close`` for async callers."""
        await IO.arun(self._aclose())

    async def _aclose(self) -> None:
        if self.cache is not None:
            await self.cache.aclose()
        if self._owns_client:
            await self._client.close()

    def __enter__(self) -> LLMBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- reading -----------------------------------------------------------------------------------

    def required(self, options: ExtractOptions | None) -> bool:
        """Whether a failure must raise (the request's ``llm_required``, else the setting)."""
        return llm_required(options, self._settings)

    def read(self, doc: NarrativeInput, options: ExtractOptions | None = None) -> NarrativeOutput:
        """Facts and problems of one report, for synchronous callers (the CLI, the eval harness)."""
        return IO.run(self.aread(doc, options))

    async def aread(self, doc: NarrativeInput, options: ExtractOptions | None = None) -> NarrativeOutput:
        """Facts and problems of one report; degrades to the rules backend unless the LLM is required.

        Raises ``Overloaded`` when too many reports wait, and with ``llm_required`` the LLM's typed error.
        """
        use_cache = options.use_cache if options is not None else True
        try:
            return await IO.arun(self.reading(doc, use_cache=use_cache))
        except BackendError as exc:
            if self.required(options):
                raise
            log.warning("llm narrative failed (%s); the rules backend read the report instead", exc.code)
            return degraded(await self.fallback.aread(doc, options), exc, self.name)

    async def reading(self, doc: NarrativeInput, *, use_cache: bool = True) -> NarrativeOutput:
        """The LLM's grounded reading, on the I/O loop; raises ``BackendError`` subclasses, never degrades."""
        settings = self._settings
        usage = NarrativeUsage(backend=self.name, requested_backend=self.name, model=settings.llm_model,
                               prompt_id=self.prompt.id, prompt_version=self.prompt.version,
                               prompt_hash=self.prompt.hash)
        ranges = narrative_ranges(doc)
        excerpt = excerpt_of(doc, ranges)
        withheld = len(injected_sentences(doc))
        if withheld:
            log.warning("llm narrative: %d sentence(s) addressing the model withheld (prompt injection)", withheld)
            usage.errors.append(f"llm: withheld {withheld} sentence(s) addressing the model (prompt injection)")
        if not excerpt:
            return NarrativeOutput(usage=usage)
        cache = self.cache if use_cache else None
        key = cache_key(excerpt=excerpt, prompt_hash=self.prompt.hash, settings=settings) if cache else None
        if cache is not None and key is not None:
            reading = await self._cached(cache, key)
            if reading is not None:
                log.info("llm narrative: answered from the cache (%s)", key[:12])
                usage.cached = True
                return await self._ground(reading, doc, ranges, usage)
        reading = await self._ask(excerpt, usage, len(ranges))
        if cache is not None and key is not None:
            await cache.set(key, reading.model_dump_json())
        return await self._ground(reading, doc, ranges, usage)

    async def _cached(self, cache: ReadingCache, key: str) -> NarrativeReading | None:
        raw = await cache.get(key)
        if raw is None:
            return None
        try:
            return NarrativeReading.model_validate_json(raw)
        except ValidationError:
            log.warning("cache %s: entry %s does not fit the reading's schema; asking the model", cache.url, key[:12])
            return None

    async def _ask(self, excerpt: str, usage: NarrativeUsage, ranges: int) -> NarrativeReading:
        """One reading from the model, within the token budget and a concurrency slot."""
        settings, prompt = self._settings, self.prompt
        # json modes put the schema, indented, into the system message; tools mode sends it compact.
        schema = prompt.schema if settings.llm_mode == "tools" else json.dumps(json.loads(prompt.schema), indent=2)
        estimate = estimate_prompt(prompt.system, excerpt, schema)
        max_tokens = completion_allowance(settings.llm_token_budget, estimate)
        if max_tokens is None:
            raise LLMBudgetExceeded(
                f"this report's prose needs about {estimate} prompt tokens, and the budget of "
                f"{settings.llm_token_budget} per report leaves less than {MIN_COMPLETION_TOKENS} for the answer; "
                "raise NIANBAO_LLM_TOKEN_BUDGET or use the rules backend",
                detail={**self._identity(), "estimated_prompt_tokens": estimate, "budget": settings.llm_token_budget,
                        "llm_calls": 0, "prompt_tokens": 0, "completion_tokens": 0})
        log.info("llm narrative: %d characters in %d ranges (~%d prompt tokens) to model %s", len(excerpt), ranges,
                 estimate, settings.llm_model)
        if settings.log_report_text:
            log.debug("llm excerpt:\n%s", excerpt)
        meter, hooks = Meter(), Hooks()
        hooks.on("completion:response", meter.on_response)
        budget = BudgetStop(meter, settings.llm_token_budget, max_tokens)
        retrying = AsyncRetrying(stop=stop_after_attempt(settings.llm_max_reasks + 1) | budget,
                                 retry=retry_if_exception_type(_REASKABLE), reraise=True)
        async with self.limiter.slot():
            try:
                reading: NarrativeReading = await self._instructor.chat.completions.create(
                    response_model=NarrativeReading,
                    messages=[{"role": "system", "content": prompt.system}, {"role": "user", "content": excerpt}],
                    model=settings.llm_model, max_retries=retrying, strict=False, hooks=hooks, temperature=0,
                    max_tokens=max_tokens, extra_headers={PROMPT_HEADER: prompt.header})
            except (InstructorRetryException, IncompleteOutputException, openai.OpenAIError) as exc:
                # An answer cut off at a max_tokens the budget lowered is the budget's doing, not the model's.
                capped = isinstance(exc, IncompleteOutputException) and max_tokens < MAX_COMPLETION_TOKENS
                error = translate_error(exc, meter, settings, budget_hit=budget.fired or capped)
                error.detail.update(self._identity())
                raise error from exc
        usage.llm_calls, usage.prompt_tokens, usage.completion_tokens = (
            meter.calls, meter.prompt_tokens, meter.completion_tokens)
        return reading

    async def _ground(self, reading: NarrativeReading, doc: NarrativeInput, ranges: list[tuple[int, int]],
                      usage: NarrativeUsage) -> NarrativeOutput:
        """Ground in a worker thread (near matches are CPU work; the I/O loop serves other reports meanwhile)."""
        out = await asyncio.to_thread(ground_reading, reading, doc, ranges)
        out.usage = usage.model_copy(update={"errors": usage.errors + out.usage.errors,
                                             "rejected": out.usage.rejected})
        return out

    def _identity(self) -> dict[str, object]:
        """Which model and prompt a failed reading used, for the error's detail (and a degraded usage)."""
        return {"model": self._settings.llm_model, "prompt_id": self.prompt.id,
                "prompt_version": self.prompt.version, "prompt_hash": self.prompt.hash}


# ---- errors: openai/instructor → nianbao's tree, and the key and the report kept out of what they say --------

def translate_error(exc: BaseException, meter: Meter, settings: Settings, *, budget_hit: bool = False) -> BackendError:
    """The nianbao error for a failed reading; ``budget_hit``: the token budget ended the attempts."""
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
        error = LLMUnavailable(f"the LLM endpoint {public_url(settings.llm_base_url)} did not answer with an OpenAI "
                               f"chat completion ({type(cause).__name__}); check NIANBAO_LLM_BASE_URL",
                               detail=detail)
    elif budget_hit:
        detail["budget"] = settings.llm_token_budget
        error = LLMBudgetExceeded(f"the token budget of {settings.llm_token_budget} per report ran out after "
                                  f"{meter.spent} tokens in {meter.calls} call(s) before the model's answer "
                                  "validated; raise NIANBAO_LLM_TOKEN_BUDGET or use NIANBAO_BACKEND=hybrid",
                                  detail=detail)
    elif isinstance(cause, IncompleteOutputException):
        error = LLMOutputInvalid("the model's answer was cut off at its token limit; use a model with a larger "
                                 "output limit (NIANBAO_LLM_MODEL) or NIANBAO_BACKEND=hybrid", detail=detail)
    else:
        last = str(cause).strip().splitlines()[0][:200] if str(cause).strip() else type(cause).__name__
        error = LLMOutputInvalid(f"the model's answer did not fit the schema in {attempts} attempt(s) ({last}); "
                                 "try another NIANBAO_LLM_MODEL, raise NIANBAO_LLM_MAX_REASKS, or use "
                                 "NIANBAO_BACKEND=hybrid", detail=detail)
    error.message = redact(error.message, settings)
    error.args = (error.message,)
    return error


def _unavailable_message(cause: openai.APIError, settings: Settings) -> str:
    where = public_url(settings.llm_base_url) if settings.llm_base_url else "the configured endpoint"
    if isinstance(cause, openai.APITimeoutError):
        return (f"the LLM endpoint {where} did not answer within {settings.llm_timeout_s:g} s "
                f"({settings.llm_max_retries} retries); raise NIANBAO_LLM_TIMEOUT_S or check the endpoint")
    if isinstance(cause, openai.APIConnectionError):
        return f"could not connect to the LLM endpoint {where}; check NIANBAO_LLM_BASE_URL and that it is up"
    status = getattr(cause, "status_code", "?")
    if isinstance(cause, openai.AuthenticationError | openai.PermissionDeniedError):
        return f"the LLM endpoint refused the API key (HTTP {status}); check NIANBAO_LLM_API_KEY"
    if isinstance(cause, openai.NotFoundError):
        return (f"the LLM endpoint answered HTTP 404; check NIANBAO_LLM_BASE_URL (it usually ends in /v1) "
                f"and NIANBAO_LLM_MODEL={settings.llm_model!r}")
    if isinstance(cause, openai.RateLimitError):
        return (f"the LLM endpoint is rate-limiting us (HTTP 429, still after {settings.llm_max_retries} "
                "retries); retry later or raise the endpoint's quota")
    if isinstance(status, int) and status >= 500:
        return (f"the LLM endpoint failed (HTTP {status}, {settings.llm_max_retries} retries); retry later or "
                "use NIANBAO_BACKEND=rules")
    return (f"the LLM endpoint rejected the request (HTTP {status}); check NIANBAO_LLM_MODEL and that the "
            "endpoint supports NIANBAO_LLM_MODE (tools needs tool calling; try json or md_json)")


def redact(message: str, settings: Settings) -> str:
    """``message`` without the configured key, and the endpoint's URL cut to scheme, host and port."""
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key is not None else ""
    if settings.llm_base_url and settings.llm_base_url in message:
        message = message.replace(settings.llm_base_url, public_url(settings.llm_base_url))
    return message.replace(key, "**********") if len(key) >= 4 else message


__all__ = ["MODES", "PROMPT_HEADER", "LLMBackend", "build_client", "redact", "translate_error"]
