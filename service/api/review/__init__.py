"""The review page: every number of a report next to the cell or sentence it came from."""

from service.api.review.routes import REVIEW_STATIC, STATIC_DIR, router

__all__ = ["REVIEW_STATIC", "STATIC_DIR", "router"]
