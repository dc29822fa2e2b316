"""One error tree for nianbao. HTTP statuses are chosen only in ``service.api``.

    NianbaoError
    ├── InputError            the request or file cannot be read (the caller can fix it)
    │   ├── DecodeError       bytes in no supported encoding
    │   ├── EmptyInput        nothing to read
    │   └── NotAReport        text without the sections and tables of an annual report
    ├── BackendError          the narrative backend failed
    │   ├── LLMUnavailable    endpoint down, timed out, refused the key
    │   ├── LLMOutputInvalid  the model's answers never fitted the schema
    │   └── LLMBudgetExceeded the report would cost more tokens than the per-report budget
    └── Overloaded            too many reports already wait for the LLM (retry later)
"""

from __future__ import annotations


class NianbaoError(Exception):
    """Root of nianbao's errors; ``code`` is stable, ``message`` says what to do next."""

    code = "nianbao_error"

    def __init__(self, message: str, *, detail: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail or {}


class InputError(NianbaoError):
    """The input cannot be read as given."""

    code = "bad_input"


class DecodeError(InputError):
    """The bytes are in no supported encoding."""

    code = "undecodable"


class EmptyInput(InputError):
    """The input holds no text."""

    code = "empty_input"


class NotAReport(InputError):
    """The text is not a government information-disclosure annual report."""

    code = "not_a_report"


class BackendError(NianbaoError):
    """The narrative backend failed."""

    code = "backend_error"


class LLMUnavailable(BackendError):
    """The LLM endpoint could not be reached or refused the request."""

    code = "llm_unavailable"


class LLMOutputInvalid(BackendError):
    """The LLM's output never validated against the schema."""

    code = "llm_output_invalid"


class LLMBudgetExceeded(BackendError):
    """Reading the report would spend more tokens than ``llm_token_budget`` allows."""

    code = "llm_budget_exceeded"


class Overloaded(NianbaoError):
    """Too many reports wait for an LLM slot; ``retry_after`` seconds is a fair wait."""

    code = "overloaded"

    def __init__(self, message: str, *, retry_after: int = 5, detail: dict[str, object] | None = None) -> None:
        super().__init__(message, detail=detail)
        self.retry_after = retry_after
