"""The review page: every number of a report next to the cell or sentence it came from."""

from service.api.review.routes import STATIC_DIR, router

__all__ = ["STATIC_DIR", "router"]
