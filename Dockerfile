ARG BASE_IMAGE=python:3.12-slim
# nianbao's image. Two stages on the same base: the builder makes a venv with the dependencies (a layer cached
# until pyproject.toml changes) and a wheel of the project; the runtime copies the venv and runs as a non-root
# user. BASE_IMAGE may be any Debian-like image with python3 (>= 3.11) and its venv module, e.g. the
# debootstrap base of scripts/make-base-image.sh. No shell heredocs: buildah 1.28 (Debian 12) builds it too.
#
#   docker build -t nianbao .
#   docker compose up --build        # the way to run it: behind the nginx gateway (compose.yaml), with API keys
#
# The app belongs behind the gateway (request and connection limits per client, 405 for odd methods, /metrics for
# the scraper only). Run alone, it refuses to listen on 0.0.0.0 without API keys; for a local try publish it on
# loopback only:  docker run --rm -p 127.0.0.1:8000:8000 -e NIANBAO_API_KEYS=a-long-random-key nianbao

FROM ${BASE_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore PYTHONDONTWRITEBYTECODE=1
WORKDIR /src

# 1. Dependencies only, from pyproject.toml's [project] dependencies: rebuilt when pyproject.toml changes.
COPY pyproject.toml ./
RUN python3 -m venv /opt/venv \
 && python3 -m venv /opt/build \
 && /opt/build/bin/pip install --quiet "setuptools>=69" wheel \
 && python3 -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
 && /opt/venv/bin/pip install --quiet -r /tmp/requirements.txt

# 2. The project: a wheel (prompts and eval samples are package data; checked below), installed without deps.
COPY README.md ./
COPY schemas ./schemas
COPY service ./service
COPY prompts ./prompts
COPY eval ./eval
RUN /opt/build/bin/pip wheel --quiet --no-deps --no-build-isolation --wheel-dir /wheels .
RUN python3 -m zipfile -l /wheels/nianbao-*.whl > /tmp/wheel-files.txt \
 && for pattern in '^prompts/[^ ]+[.]md ' '^prompts/[^ ]+[.]json ' '^eval/samples/[^ ]+[.]txt '; do \
        grep -Eq "$pattern" /tmp/wheel-files.txt \
        || { echo "the wheel has no file matching $pattern" >&2; cat /tmp/wheel-files.txt >&2; exit 1; }; \
    done \
 && /opt/venv/bin/pip install --quiet --no-deps /wheels/nianbao-*.whl \
 && /opt/venv/bin/python -c "import importlib.resources as r; assert any(p.name.endswith('.md') for p in r.files('prompts').iterdir())" \
 && /opt/venv/bin/nianbao --help > /dev/null


FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="nianbao" \
      org.opencontainers.image.description="Structured data from government information-disclosure annual reports"

RUN groupadd --system --gid 10001 nianbao \
 && useradd --system --uid 10001 --gid nianbao --home-dir /var/lib/nianbao --no-create-home \
        --shell /usr/sbin/nologin nianbao \
 && mkdir -p /var/lib/nianbao /opt/nianbao \
 && chown nianbao:nianbao /var/lib/nianbao

COPY --from=builder /opt/venv /opt/venv

# NIANBAO_* settings: see README "Configuration". The cache lives in the writable data dir (a volume in
# compose.yaml); set NIANBAO_CACHE_URL=redis://redis:6379/0 to share it between replicas.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=8000 \
    WORKERS=1 \
    NIANBAO_CACHE_URL=sqlite:////var/lib/nianbao/cache.sqlite3 \
    NIANBAO_LOG_FORMAT=json

USER 10001:10001
# Settings read a .env from the working directory: a root-owned empty one, not the writable data volume.
WORKDIR /opt/nianbao
EXPOSE 8000

# Liveness without curl: the venv's python asks /healthz (on the app itself, not through the gateway).
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python3", "-c", "import os, sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4); sys.exit(r.status != 200)"]

# Shell form, so PORT and WORKERS come from the environment at start; exec: uvicorn gets the signals as PID 1.
CMD exec nianbao serve --host 0.0.0.0 --port "${PORT:-8000}" --workers "${WORKERS:-1}"
