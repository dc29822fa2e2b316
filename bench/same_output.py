"""Check that two source trees give the same extraction, byte for byte, on a corpus (for speed work).

    python bench/same_output.py BEFORE_DIR [AFTER_DIR] [--generated 400] [--mutations 3000] [--seed 0]

The corpus: eval/samples and eval/cases, ``--generated`` reports of testkit/generator.py, and ``--mutations``
copies of the samples damaged at random (a slice cut out, noise inserted, lines duplicated or shuffled).
Each tree runs in its own process (``PYTHONPATH`` puts it first) and dumps every result as JSON, or the
error's class and code; the two dumps must be equal. Exit status 1 names the first inputs that differ.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VARYING = {"timings_ms"}  # fields that differ from run to run
NOISE = "0123456789０１２\t\t|| \n\n-—/无…+,.()（）一二三本年新收总计结转予以公开件①²"


def corpus(generated: int, mutations: int, seed: int) -> list[tuple[str, str | bytes]]:
    """(name, input) pairs, the same for both trees."""
    sys.path.insert(0, str(ROOT))
    from testkit.generator import render_case  # noqa: PLC0415 - from this tree, whichever tree is measured

    files = sorted(p for pattern in ("eval/samples/*.txt", "eval/cases/*.txt") for p in ROOT.glob(pattern))
    items: list[tuple[str, str | bytes]] = [(p.name, p.read_bytes()) for p in files]
    for i in range(generated):
        case = render_case(i)
        items.append((f"generated-{i}", case.data if case.data is not None else case.text))
    texts = [p.read_bytes().decode("utf-8", errors="replace") for p in files if "gbk" not in p.name]
    rng = random.Random(seed)
    for i in range(mutations):
        items.append((f"mutation-{i}", _mutate(rng, rng.choice(texts))))
    return items


def _mutate(rng: random.Random, text: str) -> str:
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(4)
        a = rng.randrange(len(text) + 1)
        b = min(len(text), a + rng.randrange(300))
        if op == 0:
            text = text[:a] + text[b:]
        elif op == 1:
            text = text[:a] + "".join(rng.choice(NOISE) for _ in range(rng.randrange(1, 30))) + text[a:]
        elif op == 2:
            text = text[:a] + text[a:b] * rng.randint(2, 4) + text[b:]
        else:
            lines = text[a:b].split("\n")
            rng.shuffle(lines)
            text = text[:a] + "\n".join(lines) + text[b:]
    return text


def dump(generated: int, mutations: int, seed: int) -> list[str]:
    """Digest of every result of the corpus in this process's tree."""
    from service.errors import NianbaoError  # noqa: PLC0415 - imported from the tree under test
    from service.pipeline import extract  # noqa: PLC0415

    out = []
    for name, data in corpus(generated, mutations, seed):
        try:
            result = extract(data, source=name)
            body = result.model_dump_json(exclude=VARYING & set(type(result).model_fields))
        except NianbaoError as exc:
            body = f"{type(exc).__name__}:{exc.code}"
        out.append(f"{name} {hashlib.sha256(body.encode()).hexdigest()[:16]}")
    return out


def main(argv: list[str] | None = None) -> int:
    """Compare the two trees (or, with --dump, print this process's digests)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("before", type=Path, nargs="?")
    parser.add_argument("after", type=Path, nargs="?", default=ROOT)
    parser.add_argument("--generated", type=int, default=400)
    parser.add_argument("--mutations", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dump", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.dump:
        print(json.dumps(dump(args.generated, args.mutations, args.seed)))
        return 0
    if args.before is None:
        parser.error("name the tree to compare against")
    digests = []
    for tree in (args.before, args.after):
        env = {**os.environ, "PYTHONPATH": str(tree.resolve())}
        proc = subprocess.run([sys.executable, __file__, "--dump", "--generated", str(args.generated),
                               "--mutations", str(args.mutations), "--seed", str(args.seed)],
                              env=env, check=True, capture_output=True, text=True, cwd=ROOT)
        digests.append(json.loads(proc.stdout))
    differ = [a.split()[0] for a, b in zip(*digests, strict=True) if a != b]
    print(f"{len(digests[0])} inputs, {len(differ)} differ" + (f": {', '.join(differ[:20])}" if differ else ""))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
