"""Step 3 (meta): which national format the report follows (2019 试行 or 2021), judged from its tables.

Headers of 表二 and the （六） rows of 表三 decide; the cited notice (〔2019〕60号 / 〔2021〕30号) and the
year reported on only break a tie, since reports often cite one notice and print the other's tables.
"""

from __future__ import annotations

import re

_SIGNS: dict[str, tuple[tuple[str, int], ...]] = {
    "2021": (("本年制发件数", 3), ("本年废止件数", 3), ("现行有效件数", 3), ("本年收费金额", 2),
             ("逾期不补正", 2), ("收费通知", 2), ("本年处理决定数量", 1)),
    "2019": (("本年新制作数量", 3), ("本年新公开数量", 3), ("对外公开总数量", 3), ("上一年项目数量", 3),
             ("本年增/减", 2), ("政府集中采购", 3), ("采购总金额", 2), ("其他对外管理服务事项", 2)),
}
_NOTICE = {"2021": re.compile(r"〔2021〕30号|\[2021\]30号"), "2019": re.compile(r"〔2019〕60号|\[2019\]60号")}


def _score(text: str) -> tuple[dict[str, int], dict[str, list[str]]]:
    scores = dict.fromkeys(_SIGNS, 0)
    evidence: dict[str, list[str]] = {v: [] for v in _SIGNS}
    for version, signs in _SIGNS.items():
        for phrase, weight in signs:
            if phrase in text:
                scores[version] += weight
                evidence[version].append(phrase)
    return scores, evidence


def detect_version(view: str, year: int | None) -> tuple[str | None, list[str]]:
    """The format version and the evidence for it (None when the text shows no sign of either)."""
    scores, evidence = _score(view)
    if min(scores.values()) > 0 or max(scores.values()) == 0:
        # Signs of both or of neither: read again without white space ("本年制 发件数" in a broken header).
        view = re.sub(r"\s", "", view)
        scores, evidence = _score(view)
    compact = view
    if scores["2021"] != scores["2019"]:
        winner = max(scores, key=lambda v: scores[v])
        return winner, evidence[winner]
    for version, pattern in _NOTICE.items():
        if pattern.search(compact):
            return version, [pattern.pattern.split("|")[0]]
    if year is not None:
        return ("2021" if year >= 2021 else "2019"), [f"reported year {year}"]
    return None, []
