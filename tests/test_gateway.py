"""The gateway: a real nginx from deploy/nginx/ in front of a real uvicorn running the app under /nianbao.

nginx comes from the system (Debian: ``apt-get install nginx``). Without it these tests are skipped, unless
``NIANBAO_REQUIRE_SYSTEM_TESTS=1`` (CI), which makes a missing nginx a failure. The static checks of
compose.yaml and the Dockerfile at the bottom need no nginx.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from gateway_helpers import ROOT, Proc, find_nginx, free_port, load_render, run_app, run_gateway

APP_LIMIT = 16_000  # NIANBAO_MAX_UPLOAD_BYTES: every sample (8-13 kB) fits
GATEWAY_LIMIT = "64k"  # client_max_body_size in the test gateway: below the app's transport guard (2 x + 64 KiB)
SAMPLE = ROOT / "eval" / "samples" / "000_5af3a546c32e05da.txt"
PROBLEM = "application/problem+json"
NGINX_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture(scope="module")
def nginx() -> str:
    found = find_nginx()
    if found is None:
        message = "nginx is not installed (Debian: apt-get install nginx)"
        if os.environ.get("NIANBAO_REQUIRE_SYSTEM_TESTS") == "1":
            pytest.fail(f"{message}; NIANBAO_REQUIRE_SYSTEM_TESTS=1 requires it")
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, nginx: str) -> Iterator[Proc]:
    workdir = tmp_path_factory.mktemp("app")
    settings = {"NIANBAO_ROOT_PATH": "/nianbao", "NIANBAO_MAX_UPLOAD_BYTES": str(APP_LIMIT),
                "NIANBAO_FORWARDED_ALLOW_IPS": "127.0.0.1", "NIANBAO_CACHE_URL": "off",
                "NIANBAO_BACKEND": "rules", "NIANBAO_LOG_FORMAT": "text"}
    with run_app(workdir, settings) as proc:
        yield proc


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory, nginx: str, app: Proc) -> Iterator[Proc]:
    with run_gateway(nginx, tmp_path_factory.mktemp("nginx"), upstream=f"127.0.0.1:{app.port}",
                     max_body=GATEWAY_LIMIT, read_timeout="30s") as proc:
        yield proc


@pytest.fixture
def client(gateway: Proc) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=15, trust_env=False) as http:
        yield http


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body = response.json()
    assert body["status"] == status and body["code"] == code and body["type"] == f"urn:nianbao:problem:{code}"
    assert body["request_id"] == response.headers["x-request-id"]
    return dict(body)


def _stable(result: dict[str, object]) -> dict[str, object]:
    """The result without what changes from run to run (timings)."""
    return {key: value for key, value in result.items() if not key.startswith("timings")}


def _json_report(text: str) -> bytes:
    return json.dumps({"text": text, "source": "gateway-test"}, ensure_ascii=False).encode()


# Routing under the prefix


def test_extract_through_the_prefix_matches_the_app(client: httpx.Client, app: Proc) -> None:
    body = _json_report(SAMPLE.read_text(encoding="utf-8"))
    headers = {"Content-Type": "application/json"}
    response = client.post("/nianbao/v1/extract", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    result = response.json()
    assert result["meta"]["year"] == 2021 and result["meta"]["format_version"] == "2021"
    assert result["tables"] and result["cells"] and result["source"] == "gateway-test"
    direct = httpx.post(f"{app.url}/v1/extract", content=body, headers=headers, timeout=15, trust_env=False)
    assert direct.status_code == 200
    assert _stable(result) == _stable(direct.json())  # the gateway changes nothing in the answer


def test_multipart_upload_through_the_prefix(client: httpx.Client) -> None:
    response = client.post("/nianbao/v1/extract", files={"file": (SAMPLE.name, SAMPLE.read_bytes(), "text/plain")})
    assert response.status_code == 200, response.text
    assert response.json()["meta"]["year"] == 2021


def test_healthz_through_the_prefix(client: httpx.Client) -> None:
    response = client.get("/nianbao/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_bare_prefix_redirects_and_other_paths_stay_at_the_gateway(client: httpx.Client) -> None:
    redirect = client.get("/nianbao", params={"a": "1"})
    assert redirect.status_code == 308 and redirect.headers["location"].endswith("/nianbao/?a=1")
    outside = client.get("/healthz")  # not under the prefix: the app is not asked
    body = _problem(outside, 404, "http_404")
    assert body["gateway"] is True


def test_unknown_path_under_the_prefix_is_the_apps_404(client: httpx.Client) -> None:
    body = _problem(client.get("/nianbao/no-such-route"), 404, "http_404")
    assert "gateway" not in body


def test_docs_work_under_the_prefix(client: httpx.Client) -> None:
    docs = client.get("/nianbao/docs")
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    match = re.search(r"""url:\s*['"]([^'"]+)['"]""", docs.text)
    assert match, docs.text
    assert match.group(1) == "/nianbao/openapi.json", "the docs page must load its schema through the gateway"
    schema = client.get(match.group(1))
    assert schema.status_code == 200
    document = schema.json()
    assert "/v1/extract" in document["paths"]
    # "Try it out" calls the servers' URL: it must be the prefix, or the docs' requests miss the gateway.
    assert [server["url"] for server in document.get("servers", [])] == ["/nianbao"]


# Body limits: the gateway's, then the app's


def test_gateway_refuses_a_body_over_its_limit(client: httpx.Client) -> None:
    body = _json_report("年" * 40_000)  # ~120 kB: over the gateway's 64k
    response = client.post("/nianbao/v1/extract", content=body, headers={"Content-Type": "application/json"})
    problem = _problem(response, 413, "too_large")
    assert problem["gateway"] is True and GATEWAY_LIMIT in str(problem["detail"])


def test_app_refuses_a_report_between_its_limit_and_the_gateways(client: httpx.Client) -> None:
    text = SAMPLE.read_text(encoding="utf-8") * 3  # ~24 kB: over the app's 16000 bytes, under the gateway's 64k
    body = _json_report(text)
    assert APP_LIMIT < len(body) < 64 * 1024
    response = client.post("/nianbao/v1/extract", content=body, headers={"Content-Type": "application/json"})
    problem = _problem(response, 413, "too_large")
    assert "gateway" not in problem  # the app's own answer, passed through
    assert problem["limit_bytes"] == APP_LIMIT


# Request ids


@pytest.mark.parametrize("rid", ["client-chosen.id_42", "00-4bf92f3577b34da6-01:span/a+b=", "y" * 128])
def test_client_request_id_is_passed_through(client: httpx.Client, rid: str) -> None:
    assert client.get("/nianbao/healthz", headers={"X-Request-ID": rid}).headers["x-request-id"] == rid
    # The app saw the same id: it is in the body of the app's own problem document.
    response = client.post("/nianbao/v1/extract", json={"text": ""}, headers={"X-Request-ID": rid})
    assert response.status_code == 422
    assert response.headers["x-request-id"] == rid and response.json()["request_id"] == rid
    assert response.headers.get_list("x-request-id") == [rid]  # one header, not the app's and the gateway's


def test_gateway_generates_a_request_id_the_app_uses(client: httpx.Client) -> None:
    response = client.post("/nianbao/v1/extract", json={"text": ""})
    rid = response.headers["x-request-id"]
    assert NGINX_ID.fullmatch(rid)
    assert response.json()["request_id"] == rid


@pytest.mark.parametrize("bad", ["has spaces in it", "x" * 129, "quote\"d", "semi;colon"])
def test_unsafe_client_request_id_is_replaced(client: httpx.Client, bad: str) -> None:
    response = client.post("/nianbao/v1/extract", json={"text": ""}, headers={"X-Request-ID": bad})
    rid = response.headers["x-request-id"]
    assert rid != bad and NGINX_ID.fullmatch(rid)
    assert response.json()["request_id"] == rid  # gateway and app agree on the replacement


def test_gateway_answers_problem_json_when_the_app_is_down(nginx: str, tmp_path: Path) -> None:
    dead = free_port()  # nothing listens there
    with run_gateway(nginx, tmp_path / "nginx", upstream=f"127.0.0.1:{dead}", wait_for_app=False) as gw, \
            httpx.Client(base_url=gw.url, timeout=15, trust_env=False) as http:
        response = http.get("/nianbao/healthz", headers={"X-Request-ID": "down-1"})
    body = _problem(response, 503, "unavailable")
    assert body["gateway"] is True and body["request_id"] == "down-1"
    assert response.headers["retry-after"] == "5"


# Static checks: the compose file and the Dockerfile (no nginx or docker needed)


def test_render_fills_every_placeholder(tmp_path: Path) -> None:
    render = load_render()
    conf = render.render(tmp_path, upstream="nianbao:8000", listen="80")
    rendered = (tmp_path / "conf.d" / "nianbao.conf").read_text(encoding="utf-8")
    assert "${" not in rendered and "server nianbao:8000;" in rendered
    assert "include" in conf.read_text(encoding="utf-8")
    with pytest.raises(KeyError, match="GATEWAY_UPSTREAM"):
        render.render_template({"GATEWAY_LISTEN": "80"})


def test_compose_file_wires_the_gateway_config() -> None:
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"nianbao", "gateway", "redis"} <= services.keys()
    app, gateway, redis = services["nianbao"], services["gateway"], services["redis"]
    assert app["build"]["context"] == "." and "BASE_IMAGE" in app["build"]["args"]
    assert app["environment"]["NIANBAO_ROOT_PATH"] == "/nianbao"
    assert "ports" not in app  # reachable only through the gateway
    assert redis["profiles"] == ["redis"]
    assert app["depends_on"]["redis"]["required"] is False  # the app starts without the redis profile
    # The gateway mounts the repo's template where the nginx image renders it, with a value for each placeholder.
    mounts = [m if isinstance(m, str) else f"{m['source']}:{m['target']}" for m in gateway["volumes"]]
    template = "./deploy/nginx/templates/nianbao.conf.template"
    assert any(m.startswith(f"{template}:/etc/nginx/templates/") for m in mounts), mounts
    placeholders = set(load_render().PLACEHOLDER.findall((ROOT / template).read_text(encoding="utf-8")))
    assert placeholders <= set(gateway["environment"]), placeholders - set(gateway["environment"])
    assert str(gateway["environment"]["GATEWAY_UPSTREAM"]).startswith("nianbao:")
    assert gateway["depends_on"]["nianbao"]["condition"] == "service_healthy"


def test_dockerfile_shape() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    instructions = [line.split(None, 1) for line in text.splitlines() if line and not line.startswith(("#", " "))]
    assert instructions[0] == ["ARG", "BASE_IMAGE=python:3.12-slim"]
    assert sum(1 for i in instructions if i[0] == "FROM") >= 2  # multi-stage
    assert any(i[0] == "HEALTHCHECK" for i in instructions) and "/healthz" in text
    users = [i[1].strip() for i in instructions if i[0] == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    dockerignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ".venv" in dockerignore and ".git" in dockerignore


# Hardening (issue 12): methods, rate limits, the scraper-only /metrics, forwarded addresses, nosniff


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "FOO", "X" * 7000])
def test_gateway_answers_405_to_other_methods(client: httpx.Client, app: Proc, method: str) -> None:
    # Before: upper-case methods up to ~7 KB reached the app and became metric labels.
    before = httpx.get(f"{app.url}/metrics", trust_env=False).text
    response = client.request(method, "/nianbao/v1/extract")
    assert response.status_code in (405, 414, 400), response.status_code
    if response.status_code == 405:
        body = _problem(response, 405, "http_405")
        assert body["gateway"] is True and response.headers["allow"] == "GET, HEAD, POST, OPTIONS"
    after = httpx.get(f"{app.url}/metrics", trust_env=False).text
    assert method[:20] not in after
    assert _request_counts(after) == _request_counts(before) + 1  # only the /metrics read in between


def _request_counts(metrics_text: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in metrics_text.splitlines()
               if line.startswith("nianbao_http_requests_total{"))


def test_answers_carry_one_nosniff_header(client: httpx.Client) -> None:
    for response in (client.get("/nianbao/healthz"), client.post("/nianbao/v1/extract", json={"text": ""}),
                     client.get("/elsewhere")):
        assert response.headers.get_list("x-content-type-options") == ["nosniff"], response.headers


def test_metrics_are_for_the_scraper_only(nginx: str, app: Proc, tmp_path: Path) -> None:
    with run_gateway(nginx, tmp_path / "other", upstream=f"127.0.0.1:{app.port}", metrics_allow="10.9.9.9") as gw:
        denied = httpx.get(f"{gw.url}/nianbao/metrics", trust_env=False, timeout=10)
        health = httpx.get(f"{gw.url}/nianbao/healthz", trust_env=False, timeout=10)
    body = _problem(denied, 403, "forbidden")
    assert body["gateway"] is True and health.status_code == 200
    with run_gateway(nginx, tmp_path / "scraper", upstream=f"127.0.0.1:{app.port}") as gw:  # default: 127.0.0.1
        allowed = httpx.get(f"{gw.url}/nianbao/metrics", trust_env=False, timeout=10)
    assert allowed.status_code == 200 and "nianbao_http_requests_total" in allowed.text


def test_requests_over_the_rate_per_address_get_429(nginx: str, app: Proc, tmp_path: Path) -> None:
    with run_gateway(nginx, tmp_path / "gw", upstream=f"127.0.0.1:{app.port}", rate="1r/m", burst="3") as gw, \
            httpx.Client(base_url=gw.url, timeout=10, trust_env=False) as http:
        # The readiness wait spent one request; the burst lets 3 more through.
        statuses = [http.get("/nianbao/healthz").status_code for _ in range(6)]
        limited = http.get("/nianbao/healthz")
    assert statuses.count(200) <= 4 and statuses[-1] == 429, statuses
    body = _problem(limited, 429, "rate_limited")
    assert body["gateway"] is True and limited.headers["retry-after"] == "1"


def test_requests_over_the_rate_per_key_get_429_and_other_keys_do_not(nginx: str, app: Proc, tmp_path: Path) -> None:
    with run_gateway(nginx, tmp_path / "gw", upstream=f"127.0.0.1:{app.port}", key_rate="1r/m", burst="2") as gw, \
            httpx.Client(base_url=gw.url, timeout=10, trust_env=False) as http:
        first = [http.get("/nianbao/healthz", headers={"Authorization": "Bearer key-a"}).status_code for _ in range(4)]
        header = [http.get("/nianbao/healthz", headers={"X-API-Key": "key-a"}).status_code for _ in range(2)]
        other = http.get("/nianbao/healthz", headers={"X-API-Key": "key-b"}).status_code
        keyless = [http.get("/nianbao/healthz").status_code for _ in range(5)]
    assert first[:3] == [200, 200, 200] and first[3] == 429, first  # rate 1 + burst 2
    assert header == [429, 429]  # the same key in the other header
    assert other == 200 and keyless == [200] * 5


def test_the_app_gets_the_address_nginx_saw_not_the_clients_claim(nginx: str, tmp_path: Path) -> None:
    seen: list[str | None] = []

    class Echo(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's signature
            pass

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's naming
            seen.append(self.headers.get("X-Forwarded-For"))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=upstream.serve_forever, daemon=True)
    thread.start()
    try:
        with run_gateway(nginx, tmp_path / "gw", upstream=f"127.0.0.1:{upstream.server_address[1]}") as gw:
            httpx.get(f"{gw.url}/nianbao/healthz", headers={"X-Forwarded-For": "6.6.6.6"}, trust_env=False)
    finally:
        upstream.shutdown()
        upstream.server_close()
    assert seen and seen[-1] == "127.0.0.1", seen


def test_compose_hardening() -> None:
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    app = compose["services"]["nianbao"]
    assert app["read_only"] is True and any(str(t).startswith("/tmp") for t in app["tmpfs"])
    assert app["cap_drop"] == ["ALL"] and "no-new-privileges:true" in app["security_opt"]
    assert app["mem_limit"] and app["pids_limit"]
    env = app["environment"]
    assert env["NIANBAO_FORWARDED_ALLOW_IPS"] != "*"  # only the gateway's address
    assert env["NIANBAO_API_KEYS_FILE"].startswith("/run/secrets/") and "NIANBAO_API_KEYS" not in env
    assert "NIANBAO_AUTH" not in env  # keys, not an open service, by default
    assert "nianbao_api_keys" in compose["secrets"]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    workdir = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("WORKDIR")][-1]
    assert workdir != "/var/lib/nianbao"  # no .env read from the writable data volume
    assert "-p 8000:8000" not in dockerfile
