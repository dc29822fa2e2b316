"""What nianbao sends to the LLM per report, against the usual whole-report prompt.

    python bench/llm_tokens.py            # a table, and the median ratio (target: at most 40%)
    python bench/llm_tokens.py --json

For each committed report (eval/samples/*.txt and eval/cases/*.txt), nianbao's request is what the llm
backend sends in tools mode: the system prompt (prompts/, with its example), the excerpt (section 五 whole,
and the sentences elsewhere that can hold a count; never the tables) and the response schema. The
baseline is instructor's usual pattern: the whole report as the user message, and the full result
schema (``Extraction``'s JSON schema) as the tool. Nothing is sent anywhere.

Tokens are counted with tiktoken's o200k_base (GPT-4o) when tiktoken is installed and its encoding loads
offline; otherwise with nianbao's estimator (service/narrative/budget.py: 1 token per CJK character, 1 per
3 other characters, 4 per message), which overestimates both sides alike. The output says which.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from schemas import Extraction
from service.narrative.budget import MESSAGE_OVERHEAD, REQUEST_OVERHEAD, estimate_tokens
from service.narrative.excerpt import excerpt_of, narrative_ranges
from service.narrative.prompt import load_prompt
from service.pipeline import prepare

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.40
REPORTS = sorted((ROOT / "eval" / "samples").glob("*.txt")) + sorted((ROOT / "eval" / "cases").glob("*.txt"))

Counter = Callable[[str], int]


def tokenizer(choice: str) -> tuple[Counter, str]:
    """A token counter and its name: tiktoken's o200k_base if asked for (or ``auto``) and loadable offline."""
    if choice in ("auto", "tiktoken"):
        try:
            import tiktoken  # type: ignore[import-not-found,unused-ignore]  # optional, often absent

            # The first load fetches the encoding over the network; offline that fails or hangs: give up soon.
            with ThreadPoolExecutor(1) as pool:
                encoding = pool.submit(tiktoken.get_encoding, "o200k_base").result(timeout=10)
            return (lambda text: len(encoding.encode(text))), "tiktoken o200k_base"
        except Exception as exc:  # not installed, no network, no cached encoding: all mean "estimate"
            if choice == "tiktoken":
                raise SystemExit(f"tiktoken's o200k_base cannot be loaded ({type(exc).__name__}); "
                                 "run with --tokenizer estimate") from exc
            why = "not installed" if isinstance(exc, ImportError) else f"{type(exc).__name__} loading o200k_base"
            return estimate_tokens, f"nianbao's estimator (tiktoken: {why})"
    return estimate_tokens, "nianbao's estimator"


def request_tokens(count: Counter, *parts: str, messages: int) -> int:
    """Tokens of a chat request made of ``parts`` in ``messages`` messages (role markers included)."""
    return sum(count(p) for p in parts) + messages * MESSAGE_OVERHEAD + REQUEST_OVERHEAD


def measure(count: Counter) -> list[dict[str, object]]:
    """One row per report: characters and tokens of nianbao's request and of the whole-report request."""
    prompt = load_prompt()
    full_schema = json.dumps(Extraction.model_json_schema(), ensure_ascii=False)
    rows: list[dict[str, object]] = []
    for path in REPORTS:
        data = path.read_bytes()
        result, doc = prepare(data, source=path.name)
        if doc is None:
            continue
        excerpt = excerpt_of(doc, narrative_ranges(doc))
        ours = request_tokens(count, prompt.system, excerpt, prompt.schema, messages=2)
        whole = request_tokens(count, doc.text, full_schema, messages=1)
        rows.append({"report": path.stem, "text_chars": len(doc.text), "excerpt_chars": len(excerpt),
                     "sent_chars": len(prompt.system) + len(excerpt) + len(prompt.schema), "sent_tokens": ours,
                     "whole_chars": len(doc.text) + len(full_schema), "whole_tokens": whole,
                     "ratio": round(ours / whole, 4)})
    return rows


def render(rows: list[dict[str, object]], counter_name: str) -> str:
    """The table, the median ratio and the tokenizer used."""
    lines = [f"tokens counted with {counter_name}",
             f"{'report':<24}{'text':>7}{'excerpt':>9}{'sent ch':>9}{'sent tok':>10}{'whole ch':>10}"
             f"{'whole tok':>11}{'ratio':>8}"]
    for r in rows:
        lines.append(f"{r['report']!s:<24}{r['text_chars']:>7}{r['excerpt_chars']:>9}{r['sent_chars']:>9}"
                     f"{r['sent_tokens']:>10}{r['whole_chars']:>10}{r['whole_tokens']:>11}{r['ratio']:>8.0%}")
    median = statistics.median(float(str(r["ratio"])) for r in rows)
    verdict = "meets" if median <= TARGET else "misses"
    lines.append(f"median ratio {median:.1%} of the whole-report prompt ({verdict} the target of {TARGET:.0%})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the table (or JSON); exit 1 when the median ratio misses the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print the rows and the median as JSON")
    parser.add_argument("--tokenizer", choices=("auto", "tiktoken", "estimate"), default="auto")
    args = parser.parse_args(argv)
    count, name = tokenizer(args.tokenizer)
    rows = measure(count)
    median = statistics.median(float(str(r["ratio"])) for r in rows)
    if args.json:
        print(json.dumps({"tokenizer": name, "target": TARGET, "median_ratio": round(median, 4), "rows": rows},
                         ensure_ascii=False, indent=1))
    else:
        print(render(rows, name))
    return 0 if median <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
