"""Cutting a run of digits printed without separators ("521000053") into the row's numbers.

A cut is only a candidate; which cut is right is decided by the row's equations. For rows made of
blocks that end in their own total (表三: six applicant columns then 总计; 表四: three blocks of four
results then 总计), ``sum_block_cuts`` searches from the end of the run: the last total is a suffix,
the parts before it must add up to it, and so on. Pruning on the sums keeps this fast where a blind
search over every cut would not be.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from service.equations import Equation

MAX_PART_DIGITS = 7


def valid_piece(piece: str) -> bool:
    """A printed number has no leading zero (except 0 itself) and at most seven digits."""
    return 0 < len(piece) <= MAX_PART_DIGITS and (piece == "0" or piece[0] != "0")


def cuts(digits: str, parts: int) -> Iterator[list[str]]:
    """Every cut of ``digits`` into ``parts`` valid numbers, lazily (there can be very many)."""
    if not parts <= len(digits) <= MAX_PART_DIGITS * parts:
        return  # too few digits, or too many for seven a part: no cut (a long run would take forever to say so)
    if parts == 1:
        if valid_piece(digits):
            yield [digits]
        return
    first_max = 1 if digits[:1] == "0" else MAX_PART_DIGITS
    for cut in range(1, min(first_max, len(digits) - parts + 1) + 1):
        for rest in cuts(digits[cut:], parts - 1):
            yield [digits[:cut], *rest]


def sum_blocks(keys: Sequence[str], equations: Sequence[Equation]) -> list[int] | None:
    """Part counts of the row's blocks when its equations tile it as [parts…, total] blocks, else None."""
    index = {k: i for i, k in enumerate(keys)}
    spans: list[tuple[int, int]] = []
    for eq in equations:
        if len(eq.left) != 1 or eq.left[0] not in index or any(k not in index for k in eq.right):
            return None
        total = index[eq.left[0]]
        parts = sorted(index[k] for k in eq.right)
        if parts != list(range(total - len(parts), total)):
            return None
        spans.append((parts[0], total))
    spans.sort()
    position = 0
    for first, total in spans:
        if first != position:
            return None
        position = total + 1
    return [total - first for first, total in spans] if spans and position == len(keys) else None


def sum_block_cuts(digits: str, blocks: Sequence[int]) -> Iterator[list[str]]:
    """Cuts of ``digits`` into blocks of ``parts`` numbers followed by their sum, searched from the end."""
    if not blocks:
        if not digits:
            yield []
        return
    numbers = sum(blocks) + len(blocks)  # every block: its parts and its total
    if not numbers <= len(digits) <= MAX_PART_DIGITS * numbers:
        return
    parts = blocks[-1]
    before = numbers - parts - 1  # numbers of the blocks before this one
    for total_len in range(1, min(MAX_PART_DIGITS, len(digits) - parts) + 1):
        total = digits[-total_len:]
        if not valid_piece(total):
            continue
        for tail in _parts_from_end(digits[:-total_len], parts, int(total), before):
            rest = digits[:len(digits) - total_len - sum(len(p) for p in tail)]
            for head in sum_block_cuts(rest, blocks[:-1]):
                yield [*head, *tail, total]


def _parts_from_end(digits: str, parts: int, target: int, before: int = 0) -> Iterator[list[str]]:
    """``parts`` valid numbers at the end of ``digits`` that add up to ``target``, leaving digits enough for
    ``before`` more numbers (and not too many for them)."""
    if parts == 0:
        if target == 0:
            yield []
        return
    if not parts + before <= len(digits) <= MAX_PART_DIGITS * (parts + before):
        return
    for length in range(1, min(MAX_PART_DIGITS, len(digits) - parts + 1) + 1):
        piece = digits[-length:]
        if not valid_piece(piece):
            continue
        value = int(piece)
        if value > target:
            break  # longer suffixes are larger still
        for rest in _parts_from_end(digits[:-length], parts - 1, target - value, before):
            yield [*rest, piece]
