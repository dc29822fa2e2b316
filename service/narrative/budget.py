"""Token accounting for one report: the estimate made before a call, the meter of what calls cost, the stop.

The estimator counts tokens without a tokenizer (they differ by model, and nianbao must start offline):

* a CJK character (ideograph, kana, hangul, CJK or full-width punctuation) counts as **1 token** — the
  tokenizers of GPT-4o, DeepSeek and Qwen spend 0.6–1 token on a Chinese character, so this overestimates;
* any other run of characters counts as **1 token per 3 characters**, rounded up — English averages about
  4, JSON schemas with their quotes and braces about 3;
* each chat message adds 4 tokens, and a request 3, for the role markers.

Overestimating is the safe side: a report refused for its size costs nothing, a call that runs past the
budget does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tenacity import RetryCallState
from tenacity.stop import stop_base

MESSAGE_OVERHEAD = 4
REQUEST_OVERHEAD = 3
MAX_COMPLETION_TOKENS = 4096  # a reading is 0.5–2k tokens; every listed endpoint accepts this max_tokens
MIN_COMPLETION_TOKENS = 512  # less room than this for the answer and the call is not worth making
REASK_OVERHEAD = 300  # the validation error instructor appends to a re-ask, beside the failed answer

_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0002fa1f]")


def estimate_tokens(text: str) -> int:
    """Tokens ``text`` costs at most, about: CJK characters 1 each, other characters 1 per 3."""
    cjk = len(_CJK.findall(text))
    other = len(text) - cjk
    return cjk + (other + 2) // 3


def estimate_prompt(*parts: str, messages: int = 2) -> int:
    """Tokens of a request whose messages, schema and tools are ``parts``."""
    return sum(estimate_tokens(p) for p in parts) + messages * MESSAGE_OVERHEAD + REQUEST_OVERHEAD


def completion_allowance(budget: int, prompt_estimate: int) -> int | None:
    """``max_tokens`` for the first call; None when the budget cannot fit the prompt and a useful answer."""
    if budget <= 0:  # no limit
        return MAX_COMPLETION_TOKENS
    room = budget - prompt_estimate
    return min(MAX_COMPLETION_TOKENS, room) if room >= MIN_COMPLETION_TOKENS else None


@dataclass
class Meter:
    """Calls and tokens of one reading, counted from every completion instructor receives (re-asks too)."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    last_prompt_tokens: int = 0
    last_completion_tokens: int = 0

    @property
    def spent(self) -> int:
        """Prompt and completion tokens so far."""
        return self.prompt_tokens + self.completion_tokens

    def on_response(self, response: Any) -> None:
        """Hook for instructor's ``completion:response``; must not raise (instructor turns that into a warning)."""
        self.calls += 1
        usage = getattr(response, "usage", None)
        self.last_prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        self.last_completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        self.prompt_tokens += self.last_prompt_tokens
        self.completion_tokens += self.last_completion_tokens

    def as_detail(self) -> dict[str, object]:
        """The counts, for an error's ``detail`` (so a caller can still account for the spend)."""
        return {"llm_calls": self.calls, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens}


class BudgetStop(stop_base):
    """Stops instructor's re-asks when the next attempt could take the report past its token budget.

    The next attempt resends the last prompt with the failed answer and the validation error appended, and
    may answer with up to ``max_tokens``; it is made only if all of that still fits.
    """

    def __init__(self, meter: Meter, budget: int, max_tokens: int) -> None:
        self.meter, self.budget, self.max_tokens = meter, budget, max_tokens
        self.fired = False

    def __call__(self, retry_state: RetryCallState) -> bool:
        """True (stop) when the budget is set and the next attempt would not fit in it."""
        if self.budget <= 0:
            return False
        m = self.meter
        next_prompt = m.last_prompt_tokens + m.last_completion_tokens + REASK_OVERHEAD
        self.fired = m.spent + next_prompt + self.max_tokens > self.budget
        return self.fired


__all__ = ["MAX_COMPLETION_TOKENS", "MIN_COMPLETION_TOKENS", "BudgetStop", "Meter", "completion_allowance",
           "estimate_prompt", "estimate_tokens"]
