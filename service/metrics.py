"""Prometheus metrics of one app: HTTP requests, extraction outcomes, LLM calls, tokens, cache hits, degraded results.

Each app has its own registry (tests build many apps in one process). The counters live in the process:
with several uvicorn workers each worker counts its own requests, and a scrape reaches one of them — run
one worker per container (or scrape each) to see everything; prometheus_client's multiprocess mode is
not used.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from schemas import NarrativeUsage

# Most requests take milliseconds (rules); an LLM reading takes seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"})
OTHER_METHOD, UNMATCHED, OTHER_STATUS = "other", "unmatched", "other"
MAX_ROUTES = 64  # distinct route labels; a bound even if a template ever came from the client


class Metrics:
    """The collectors of one app, in a registry of its own."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self._routes: set[str] = {UNMATCHED}  # route labels so far; the middleware passes templates only
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("nianbao_http_requests", "HTTP requests answered, by route template, "
                                "method and status", ["route", "method", "status"], registry=r)
        self.latency = Histogram("nianbao_http_request_duration_seconds", "time to answer an HTTP request",
                                 ["route", "method"], buckets=LATENCY_BUCKETS, registry=r)
        self.extractions = Counter("nianbao_extractions", "reports processed (one per batch item too), by "
                                   "outcome: ok or the error code", ["outcome"], registry=r)
        self.llm_calls = Counter("nianbao_llm_calls", "LLM requests made for results returned",
                                 ["backend"], registry=r)
        self.llm_tokens = Counter("nianbao_llm_tokens", "LLM tokens spent for results returned, by kind",
                                  ["kind"], registry=r)
        self.cache_hits = Counter("nianbao_llm_cache_hits", "narrative readings answered from the LLM cache",
                                  registry=r)
        self.degraded = Counter("nianbao_degraded_results", "results whose LLM reading failed and fell back "
                                "to the rules backend", registry=r)

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one HTTP request; ``route`` is the template (``/v1/extract``), never the raw path.

        Every label takes one of a fixed set of values: a client chooses the method and the path, and a
        label per invented value would grow the registry (and each scrape) without bound."""
        if route not in self._routes:  # a template of the app's routes: a few dozen at most
            if len(self._routes) >= MAX_ROUTES:
                route = UNMATCHED
            else:
                self._routes.add(route)
        method = method if method in KNOWN_METHODS else OTHER_METHOD
        code = str(status) if 100 <= status <= 599 else OTHER_STATUS
        self.requests.labels(route, method, code).inc()
        self.latency.labels(route, method).observe(seconds)

    def observe_result(self, usage: NarrativeUsage) -> None:
        """Count one successful extraction and what its narrative reading cost."""
        self.extractions.labels("ok").inc()
        if usage.llm_calls:
            self.llm_calls.labels(usage.backend).inc(usage.llm_calls)
        if usage.prompt_tokens:
            self.llm_tokens.labels("prompt").inc(usage.prompt_tokens)
        if usage.completion_tokens:
            self.llm_tokens.labels("completion").inc(usage.completion_tokens)
        if usage.cached:
            self.cache_hits.inc()
        if usage.degraded:
            self.degraded.inc()

    def observe_failure(self, code: str) -> None:
        """Count one report refused or failed, by its problem code."""
        self.extractions.labels(code).inc()

    def render(self) -> bytes:
        """The registry in Prometheus' text exposition format."""
        return generate_latest(self.registry)
