"""What both front ends (CLI and HTTP) do with a result that is not an annual report: refuse it."""

from __future__ import annotations

from schemas import Extraction
from service.errors import NotAReport


def require_report(result: Extraction) -> Extraction:
    """The result itself, or ``NotAReport`` naming the parts the text lacks."""
    if not result.is_report:
        raise NotAReport("the text has neither the statutory sections nor the tables of an annual report "
                         "(政府信息公开工作年度报告); send the whole report, tables included",
                         detail={"not_found": result.not_found})
    return result
