"""Canonical keys of the annual report format (the contract of every result, export and label).

Mirrors the national format: 表二 ``active.*``, 表三 ``requests.<row>.<column>``, 表四
``review.<block>.<column>``; see README "Canonical keys".
"""

from __future__ import annotations

from functools import cache
from typing import Final, Literal

Version = Literal["2019", "2021"]
VERSIONS: Final[tuple[Version, ...]] = ("2019", "2021")

REQUEST_COLUMNS: Final = ("natural_person", "commercial", "research", "social_org", "legal_service",
                          "other_org", "total")
APPLICANT_COLUMNS: Final = REQUEST_COLUMNS[:-1]

DENIED: Final = ("state_secret", "prohibited_by_law", "security_stability", "third_party_rights",
                 "internal_affairs", "process_information", "enforcement_files", "administrative_query")
UNABLE: Final = ("not_held", "needs_creation", "unclear_after_correction")
NOT_PROCESSED: Final = ("complaint", "repeated", "publication", "excessive", "confirmation")
OTHER: Final[dict[str, tuple[str, ...]]] = {
    "2021": ("other.overdue_correction", "other.overdue_fee", "other.other"),
    "2019": ("other.total",),
}

REVIEW_BLOCKS: Final = ("reconsideration", "litigation_direct", "litigation_after_reconsideration")
REVIEW_COLUMNS: Final = ("upheld", "corrected", "other", "pending", "total")

ACTIVE: Final[dict[str, tuple[str, ...]]] = {
    "2021": ("regulations.issued", "regulations.repealed", "regulations.in_force",
             "normative_documents.issued", "normative_documents.repealed", "normative_documents.in_force",
             "licensing.decisions", "punishment.decisions", "coercion.decisions", "fees.amount"),
    "2019": ("regulations.made", "regulations.published", "regulations.total_public",
             "normative_documents.made", "normative_documents.published", "normative_documents.total_public",
             "licensing.previous", "licensing.change", "licensing.decisions",
             "other_services.previous", "other_services.change", "other_services.decisions",
             "punishment.previous", "punishment.change", "punishment.decisions",
             "coercion.previous", "coercion.change", "coercion.decisions",
             "fees.previous", "fees.change", "procurement.count", "procurement.amount"),
}

FACT_KEYS: Final = ("documents_issued", "documents_disclosed", "website_posts", "weibo_posts", "wechat_posts",
                    "weibo_followers", "wechat_followers", "new_media_accounts", "policy_interpretations",
                    "hotline_cases", "petition_cases", "online_messages", "press_conferences", "trainings",
                    "requests_received", "fees_collected")
QUALIFIERS: Final = ("exact", "approx", "more_than", "at_least")

TABLE_PREFIXES: Final = {"active": "表二", "requests": "表三", "review": "表四"}


def request_rows(version: str) -> list[str]:
    """Row keys of 表三 for a format version, in printed order."""
    return (["new_received", "carried_over", "granted", "partially_granted"]
            + [f"denied.{r}" for r in DENIED] + [f"unable.{r}" for r in UNABLE]
            + [f"not_processed.{r}" for r in NOT_PROCESSED] + list(OTHER[version])
            + ["total", "carried_forward"])


def result_rows(version: str) -> list[str]:
    """The 表三 rows whose sum is the （七）总计 row (rule T3-results)."""
    return [r for r in request_rows(version) if r not in ("new_received", "carried_over", "total",
                                                           "carried_forward")]


def cell_keys(version: str) -> list[str]:
    """Every canonical cell key of a format version, in table order."""
    return list(cell_keys_tuple(version))


@cache
def cell_keys_tuple(version: str) -> tuple[str, ...]:
    """``cell_keys`` as a tuple made once per version (the flat view of every report walks them)."""
    keys = [f"active.{k}" for k in ACTIVE[version]]
    keys += [f"requests.{row}.{col}" for row in request_rows(version) for col in REQUEST_COLUMNS]
    keys += [f"review.{b}.{c}" for b in REVIEW_BLOCKS for c in REVIEW_COLUMNS]
    return tuple(keys)


def table_of(key: str) -> str:
    """The table id (``active``, ``requests``, ``review``) a cell key belongs to."""
    return key.split(".", 1)[0]
