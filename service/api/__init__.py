"""The HTTP shell: routes, request bodies, dependencies, middleware, and the mapping of errors to statuses."""

from service.api.errors import install_error_handlers
from service.api.routes import probes, v1

__all__ = ["install_error_handlers", "probes", "v1"]
