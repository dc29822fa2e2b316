"""The HTTP shell: routes, dependencies, middleware, and the mapping of errors to HTTP statuses."""

from service.api.errors import install_error_handlers
from service.api.routes import router

__all__ = ["install_error_handlers", "router"]
