#!/usr/bin/env bash
# The container, built and run for real without a Docker daemon: buildah builds the Dockerfile on a local
# Debian base image (scripts/make-base-image.sh, debootstrap: no registry needed), runs the image's own
# command, puts the repo's nginx gateway config in front of it, and sends a sample report through
# /nianbao/v1/extract. Everything it starts is stopped on exit.
#
#   sudo scripts/container-smoke.sh
#
# Needs root, buildah, debootstrap, nginx and python3 (Debian: apt-get install buildah debootstrap nginx), and
# PyPI for the dependencies. Variables:
#   BASE_IMAGE     the Dockerfile's base (default: the local debootstrap image, built on first use and cached)
#   IMAGE          the tag to build (nianbao:smoke)
#   CONTEXT        the build context (the repo)
#   SMOKE_WORKERS  WORKERS for the container (2: exercises uvicorn's worker processes)
#   SAMPLE         the report to send (eval/samples/000_*.txt)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CONTEXT=${CONTEXT:-$REPO}
IMAGE=${IMAGE:-nianbao:smoke}
SMOKE_WORKERS=${SMOKE_WORKERS:-2}
SAMPLES=("$REPO"/eval/samples/*.txt)
SAMPLE=${SAMPLE:-${SAMPLES[0]}}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
PY=${PY:-python3}
STARTED=$SECONDS

log() { printf '[smoke %3ds] %s\n' "$((SECONDS - STARTED))" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

for tool in buildah "$NGINX" "$PY" setsid; do
    command -v "$tool" >/dev/null || die "missing $tool (apt-get install buildah debootstrap nginx)"
done
[[ $(id -u) == 0 ]] || die "run as root (buildah's chroot isolation and debootstrap need it)"

WORK=$(mktemp -d /tmp/nianbao-smoke.XXXXXX)
CTR=""
APP_PID=""
NGINX_PID=""

stop_group() {  # stop_group PID NAME: SIGTERM to the process group, SIGKILL after 15 s
    local pid=$1 name=$2
    [[ -n $pid ]] || return 0
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; log "$name stopped"; return 0; }
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 150); do
        kill -0 "$pid" 2>/dev/null || { log "$name stopped"; wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    log "$name ignored SIGTERM; killing"
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

stop_container() {  # like `docker stop`: SIGTERM to the app (buildah run itself would SIGKILL it), then the group
    [[ -n $APP_PID ]] && kill -0 "$APP_PID" 2>/dev/null || return 0
    local main
    main=$(pgrep -g "$APP_PID" -f 'bin/nianbao serve' | head -n1 || true)
    if [[ -n $main ]]; then
        kill -TERM "$main" 2>/dev/null || true
        for _ in $(seq 300); do kill -0 "$APP_PID" 2>/dev/null || break; sleep 0.1; done
    fi
    stop_group "$APP_PID" "container ($IMAGE)"
    APP_PID=""
}

cleanup() {
    local status=$?
    set +e
    stop_group "$NGINX_PID" nginx
    stop_container
    [[ -n $CTR ]] && buildah rm "$CTR" >/dev/null 2>&1
    if ((status)); then
        log "logs kept in $WORK"
        for f in "$WORK"/app.log "$WORK"/nginx.log; do [[ -s $f ]] && { echo "--- $f (tail)"; tail -n 40 "$f"; } >&2; done
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_http() {  # wait_http URL SECONDS PID: until URL answers 200; fails early when PID dies
    "$PY" - "$1" "$2" "$3" <<'EOF'
import os, sys, time, urllib.error, urllib.request
url, timeout, pid = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
deadline, last = time.monotonic() + timeout, ""
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit(f"the process ({pid}) exited before {url} answered")
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                sys.exit(0)
    except urllib.error.HTTPError as exc:
        last = f"HTTP {exc.code}"
        if exc.code == 404:
            sys.exit(4)
    except OSError as exc:
        last = repr(exc)
    time.sleep(0.2)
sys.exit(f"{url} not ready after {timeout:.0f} s ({last})")
EOF
}

# 1. The base image.
if [[ -z ${BASE_IMAGE:-} ]]; then
    BASE_IMAGE=localhost/nianbao-base:bookworm
    BASE_TAG=$BASE_IMAGE "$REPO/scripts/make-base-image.sh"
fi
log "base image: $BASE_IMAGE"

# 2. The build (RUN steps in chroot isolation, host network for pip; --layers caches the dependency layer;
#    docker format: OCI image configs have no HEALTHCHECK).
log "buildah bud -t $IMAGE (context $CONTEXT)"
buildah bud --isolation chroot --layers --force-rm --format docker --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$IMAGE" \
    -f "$CONTEXT/Dockerfile" "$CONTEXT" >"$WORK/build.log" 2>&1 \
    || { tail -n 40 "$WORK/build.log" >&2; die "build failed (log: $WORK/build.log)"; }
grep -E 'STEP [0-9]+/[0-9]+: (FROM|COPY|RUN)|Using cache|COMMIT' "$WORK/build.log" | sed 's/^/    /' | tail -n 30 >&2 || true
log "built $IMAGE: $(buildah images --noheading --format '{{.ID}} {{.Size}}' "$IMAGE" | head -n1)"

# 3. The image's own command (CMD), in chroot isolation: the container shares the host's network.
buildah inspect --type image "$IMAGE" >"$WORK/image.json"
image_field() {  # image_field PYTHON-EXPRESSION-ON-c: the image config's fields, NUL-separated when a list
    "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1])); c = d["Docker"]["config"]; v = eval(sys.argv[2])
sys.stdout.write("".join(a + "\0" for a in v) if isinstance(v, list) else str(v))' "$WORK/image.json" "$1"
}
mapfile -d '' CMD < <(image_field 'c["Cmd"]')
mapfile -d '' HC < <(image_field 'c["Healthcheck"]["Test"]')
((${#CMD[@]})) || die "the image has no CMD"
[[ ${HC[0]:-} == CMD ]] || die "the image has no HEALTHCHECK in exec form (got: ${HC[*]:-none})"
log "image user: $(image_field 'c["User"]'); CMD: ${CMD[*]}"
APP_PORT=$(free_port)
CTR=$(buildah from "$IMAGE")
# Without API keys the image's command must refuse to serve on 0.0.0.0 (exit status 2), not start open.
if buildah run --isolation chroot -e "PORT=$APP_PORT" "$CTR" -- "${CMD[@]}" >"$WORK/open.log" 2>&1; then
    die "the image served without API keys"
fi
grep -q "refusing to serve" "$WORK/open.log" || { cat "$WORK/open.log" >&2; die "no refusal message without keys"; }
log "without API keys the image refuses to start open"
SMOKE_KEY=smoke-$RANDOM$RANDOM$RANDOM
setsid buildah run --isolation chroot -e "PORT=$APP_PORT" -e "WORKERS=$SMOKE_WORKERS" \
    -e NIANBAO_ROOT_PATH=/nianbao -e NIANBAO_FORWARDED_ALLOW_IPS=127.0.0.1 -e NIANBAO_LOG_FORMAT=text \
    -e "NIANBAO_API_KEYS=$SMOKE_KEY" "$CTR" -- "${CMD[@]}" >"$WORK/app.log" 2>&1 &
APP_PID=$!
log "container started (port $APP_PORT, WORKERS=$SMOKE_WORKERS, pid $APP_PID)"
READY=/readyz
wait_http "http://127.0.0.1:$APP_PORT/readyz" 90 "$APP_PID" || {
    status=$?
    ((status == 4)) || die "the app did not become ready"
    log "WARN: /readyz is 404 (not in this version of the app); waiting for /healthz instead"
    READY=/healthz
    wait_http "http://127.0.0.1:$APP_PORT/healthz" 30 "$APP_PID" || die "the app did not become healthy"
}
log "app ready on $READY"

# The image's HEALTHCHECK command, run inside the same container.
buildah run --isolation chroot -e "PORT=$APP_PORT" "$CTR" -- "${HC[@]:1}" || die "the HEALTHCHECK command failed"
log "HEALTHCHECK passes (${HC[1]} -c … /healthz, inside the container)"

# Who serves: the listening process must not be root.
LISTENER=$(ss -Hltnp "sport = :$APP_PORT" | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2)
[[ -n $LISTENER ]] && APP_UID=$(awk '/^Uid:/ {print $2}' "/proc/$LISTENER/status") || APP_UID=unknown
[[ $APP_UID != 0 ]] || die "the app runs as root"
log "app listens as uid $APP_UID"

# 4. The gateway, from the repo's config.
GW_PORT=$(free_port)
"$PY" "$REPO/deploy/nginx/render.py" "$WORK/nginx" --upstream "127.0.0.1:$APP_PORT" --listen "127.0.0.1:$GW_PORT" \
    --max-body 20m >/dev/null
"$NGINX" -t -q -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e stderr || die "nginx rejects the gateway config"
setsid "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e stderr >"$WORK/nginx.log" 2>&1 &
NGINX_PID=$!
wait_http "http://127.0.0.1:$GW_PORT/nianbao$READY" 20 "$NGINX_PID" || die "the gateway does not reach the app"
log "gateway on 127.0.0.1:$GW_PORT -> 127.0.0.1:$APP_PORT"

# 5. A report through the gateway, and the docs under the prefix.
"$PY" - "http://127.0.0.1:$GW_PORT" "$SAMPLE" "$REPO" "$SMOKE_KEY" <<'EOF'
import json, pathlib, sys, urllib.request
base, sample, repo, key = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3]), sys.argv[4]
body = json.dumps({"text": sample.read_text(encoding="utf-8"), "source": sample.name}, ensure_ascii=False).encode()
request = urllib.request.Request(f"{base}/nianbao/v1/extract", data=body, method="POST",
                                 headers={"Content-Type": "application/json", "X-Request-ID": "smoke-1",
                                          "Authorization": f"Bearer {key}"})
with urllib.request.urlopen(request, timeout=60) as response:
    assert response.status == 200, response.status
    assert response.headers["X-Request-ID"] == "smoke-1", response.headers
    result = json.load(response)
meta, tables = result["meta"], result["tables"]
assert isinstance(meta["year"], int) and 2000 < meta["year"] < 2100, meta
assert tables and result["cells"], "no tables"
gold = repo / "eval" / "gold" / (sample.stem + ".json")
if gold.exists():  # the labelled answer's meta must come back
    expected = json.loads(gold.read_text(encoding="utf-8"))["meta"]
    assert all(meta[key] == value for key, value in expected.items()), (expected, meta)
checks = {}
for check in result["checks"]:
    checks[check["status"]] = checks.get(check["status"], 0) + 1
print(f"    POST /nianbao/v1/extract {sample.name}: 200, X-Request-ID echoed, meta.year={meta['year']} "
      f"format={meta['format_version']} agency={meta['agency']} tables={sorted(tables)} "
      f"cells={len(result['cells'])} checks={checks}")
with urllib.request.urlopen(f"{base}/nianbao/docs", timeout=10) as docs:
    html = docs.read().decode()
status = "ok" if "/nianbao/openapi.json" in html else "WARN: the page does not point at /nianbao/openapi.json"
with urllib.request.urlopen(f"{base}/nianbao/openapi.json", timeout=10) as schema:
    assert "/v1/extract" in json.load(schema)["paths"]
print(f"    GET /nianbao/docs: 200 ({status}); /nianbao/openapi.json: 200")
EOF
log "gateway access log:"
sed 's/^/    /' "$WORK/nginx.log" | grep request_id= | tail -n 5 >&2 || true

# 6. A graceful stop: SIGTERM, and the app exits by itself.
stop_group "$NGINX_PID" nginx; NGINX_PID=""
stop_container
grep -qi 'finished server process' "$WORK/app.log" || die "the app did not shut down cleanly on SIGTERM"
log "app shut down cleanly on SIGTERM"
log "PASS"
