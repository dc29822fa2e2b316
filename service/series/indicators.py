"""The indicators evaluators compute from one report's tables, for a year-by-year series.

Rates are ratios of canonical cells (0–1, rounded to 4 places); a rate is null, with the reason in
``not_computed``, when a cell it needs has no number or its divisor is 0 (no applications: no rate).

- 实质公开率 = (予以公开 + 部分公开) / 办理结果总计, all in the 总计 column of 表三.
- 无法提供 share = the three 无法提供 rows / 办理结果总计; 本机关不掌握 share = 本机关不掌握 / 无法提供.
- 复议纠错率 = 复议结果纠正 / (复议总计 − 尚未审结): corrections among the cases decided, as assessments
  (e.g. the national third-party assessments) count them — a pending case has no outcome yet. A blank
  结果纠正 or 尚未审结 counts as 0 only when its block's printed 总计 equals the numbers written
  (``blank_as_zero`` lists those cells).
- 诉讼纠错率: the same over both kinds of suit (未经复议直接起诉 and 复议后起诉) together.
"""

from __future__ import annotations

from schemas import Extraction
from schemas.keys import UNABLE
from schemas.series import IndicatorRow
from service.series.cells import blanks_proved_zero, signed_sum

INDICATORS = ("new_applications", "disclosure_rate", "unable_share", "not_held_share_of_unable",
              "reconsideration_correction_rate", "litigation_correction_rate", "carried_over", "carried_forward")
INDICATOR_LABELS_ZH = {
    "new_applications": "本年新收申请",
    "disclosure_rate": "实质公开率",
    "unable_share": "无法提供占比",
    "not_held_share_of_unable": "本机关不掌握占无法提供",
    "reconsideration_correction_rate": "复议纠错率",
    "litigation_correction_rate": "诉讼纠错率",
    "carried_over": "上年结转",
    "carried_forward": "结转下年度",
}
RATES = frozenset({"disclosure_rate", "unable_share", "not_held_share_of_unable",
                   "reconsideration_correction_rate", "litigation_correction_rate"})
_LITIGATION = ("litigation_direct", "litigation_after_reconsideration")


def indicator_row(year: int, result: Extraction) -> IndicatorRow:
    """The indicators of one year's report."""
    row = IndicatorRow(year=year, source=result.source)
    why = row.not_computed
    zero = blanks_proved_zero(result)
    row.new_applications = _count(result, "requests.new_received.total", "new_applications", why)
    row.carried_over = _count(result, "requests.carried_over.total", "carried_over", why)
    row.carried_forward = _count(result, "requests.carried_forward.total", "carried_forward", why)
    row.disclosure_rate = _rate(result, ["requests.granted.total", "requests.partially_granted.total"],
                                ["requests.total.total"], "disclosure_rate", why)
    unable = [f"requests.unable.{r}.total" for r in UNABLE]
    row.unable_share = _rate(result, unable, ["requests.total.total"], "unable_share", why)
    row.not_held_share_of_unable = _rate(result, ["requests.unable.not_held.total"], unable,
                                         "not_held_share_of_unable", why)
    row.reconsideration_correction_rate = _rate(
        result, ["review.reconsideration.corrected"],
        ["review.reconsideration.total", "-review.reconsideration.pending"], "reconsideration_correction_rate",
        why, zero)
    row.litigation_correction_rate = _rate(
        result, [f"review.{b}.corrected" for b in _LITIGATION],
        [k for b in _LITIGATION for k in (f"review.{b}.total", f"-review.{b}.pending")],
        "litigation_correction_rate", why, zero)
    used = {k for k in zero if k.endswith((".corrected", ".pending"))}
    row.blank_as_zero = sorted(used)
    return row


def _count(result: Extraction, key: str, name: str, why: dict[str, str]) -> int | None:
    value = result.cell_value(key)
    if value is None:
        why[name] = f"{key} without a number"
        return None
    return int(value)


def _rate(result: Extraction, numerator: list[str], denominator: list[str], name: str,
          why: dict[str, str], zero: frozenset[str] = frozenset()) -> float | None:
    """sum(numerator) / sum(denominator) ("-" subtracts a cell), or None with the reason in ``why``."""
    (top, missing_top), (bottom, missing_bottom) = (signed_sum(result, numerator, zero),
                                                        signed_sum(result, denominator, zero))
    if top is None or bottom is None:
        why[name] = ", ".join(missing_top + missing_bottom) + " without a number"
        return None
    if bottom <= 0:
        why[name] = "the divisor is 0 (" + " + ".join(denominator).replace("+ -", "− ") + ")"
        return None
    return round(float(top / bottom), 4)

