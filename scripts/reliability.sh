#!/usr/bin/env bash
# The long reliability suite: what CI runs in a minute, run at full size. Not part of CI (it takes
# 10-30 minutes and wants a quiet machine); run it before a release or after touching the service's
# HTTP, LLM or table code:
#
#     scripts/reliability.sh            # full size
#     scripts/reliability.sh --quick    # the same steps at CI size (a smoke test of this script)
#
# Steps (each runs even when an earlier one failed; the exit status is 1 if any failed):
#   1. abuse      tests/test_abuse.py against a real uvicorn process: NIANBAO_ABUSE_REQUESTS mixed good
#                 and bad requests at NIANBAO_ABUSE_CONCURRENCY, NIANBAO_ABUSE_SLOW_CLIENTS stalled sockets
#   2. properties the property tests that read NIANBAO_PROPERTY_EXAMPLES (tests/test_properties.py …),
#                 plus tests/test_robustness.py
#   3. llm-faults tests/test_llm_under_load.py: NIANBAO_LLM_LOAD_REPORTS reports from 32 clients against a
#                 fake LLM that fails a share of its calls (429, 500, timeouts, garbage)
#   4. load       bench/load.py: the service (rules backend, one worker per CPU) at 1, 8, 32, 128 clients
#   5. llm-load   bench/llm_load.py: the LLM path against the fake server (calls, tokens, throughput, cache)
#   6. probes     bench/probes.py: the security review's probes at full size (10^6-key bodies, 100 methods
#                 of 15 KB, a secret in the LLM URL, an open start on 0.0.0.0, a client asking for llm, a
#                 quota, idle and half-sent connections held 90 s); figures in probes.json
#   7. real-llm   scripts/real-llm.sh: the LLM backend against a real llama.cpp server (SmolLM2-135M): the
#                 opt-in tests marked real_llm, then the eval's scores, tokens, seconds and rejected facts
#                 (skipped with --quick or NIANBAO_REAL_LLM=0; the first run builds llama.cpp, minutes)
#
# Every count can be overridden from the environment (the defaults below are the full size). Results go
# to $OUT (default .nianbao/reliability-<time>/): one log per step, load.json and llm_load.json.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PY=${PY:-.venv/bin/python}
QUICK=0
[[ "${1:-}" == "--quick" ]] && QUICK=1
if (( QUICK )); then
    : "${NIANBAO_ABUSE_REQUESTS:=1000}" "${NIANBAO_ABUSE_CONCURRENCY:=16}" "${NIANBAO_ABUSE_SLOW_CLIENTS:=40}"
    : "${NIANBAO_PROPERTY_EXAMPLES:=100}" "${NIANBAO_LLM_LOAD_REPORTS:=64}"
    : "${LOAD_ARGS:=--concurrency 1,8 --duration 3 --warmup 0.5}" "${LLM_LOAD_ARGS:=--reports 16}"
    : "${PROBE_ARGS:=--quick}" "${NIANBAO_ABUSE_METHODS:=20}"
else
    : "${NIANBAO_ABUSE_REQUESTS:=20000}" "${NIANBAO_ABUSE_CONCURRENCY:=64}" "${NIANBAO_ABUSE_SLOW_CLIENTS:=500}"
    : "${NIANBAO_PROPERTY_EXAMPLES:=5000}" "${NIANBAO_LLM_LOAD_REPORTS:=1000}"
    : "${LOAD_ARGS:=--concurrency 1,8,32,128 --duration 30 --warmup 3}" "${LLM_LOAD_ARGS:=--reports 200}"
    : "${PROBE_ARGS:=}" "${NIANBAO_ABUSE_METHODS:=100}"
fi
export NIANBAO_ABUSE_REQUESTS NIANBAO_ABUSE_CONCURRENCY NIANBAO_ABUSE_SLOW_CLIENTS NIANBAO_PROPERTY_EXAMPLES \
       NIANBAO_LLM_LOAD_REPORTS NIANBAO_ABUSE_METHODS
OUT=${OUT:-.nianbao/reliability-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
# Stalled sockets: the test and the server each hold one descriptor per slow client.
ulimit -n "$(( NIANBAO_ABUSE_SLOW_CLIENTS * 2 + 1024 ))" 2>/dev/null || true

declare -a NAMES=() RESULTS=()
step() {  # step NAME LOGFILE COMMAND...
    local name=$1 log=$2
    shift 2
    echo "=== $name: $*" | tee "$log"
    local started=$SECONDS
    "$@" 2>&1 | tee -a "$log"
    local status=${PIPESTATUS[0]}
    NAMES+=("$name")
    RESULTS+=("$( ((status == 0)) && echo ok || echo "FAILED ($status)") in $((SECONDS - started)) s")
}

step abuse "$OUT/abuse.log" "$PY" -m pytest -q -p no:cacheprovider -s tests/test_abuse.py

mapfile -t PROPERTY_TESTS < <(grep -l NIANBAO_PROPERTY_EXAMPLES tests/test_*.py 2>/dev/null)
step properties "$OUT/properties.log" "$PY" -m pytest -q -p no:cacheprovider "${PROPERTY_TESTS[@]}" \
    tests/test_robustness.py

if [[ -f tests/test_llm_under_load.py ]]; then
    step llm-faults "$OUT/llm_faults.log" "$PY" -m pytest -q -p no:cacheprovider -s tests/test_llm_under_load.py
fi

# shellcheck disable=SC2086  # the *_ARGS are word lists on purpose
step load "$OUT/load.log" "$PY" bench/load.py $LOAD_ARGS --out "$OUT/load.json"

if [[ -f bench/llm_load.py ]]; then
    # shellcheck disable=SC2086
    step llm-load "$OUT/llm_load.log" "$PY" bench/llm_load.py $LLM_LOAD_ARGS --out "$OUT/llm_load.json"
fi

# shellcheck disable=SC2086
step probes "$OUT/probes.log" "$PY" bench/probes.py $PROBE_ARGS --out "$OUT/probes.json"
if (( ! QUICK )) && [[ "${NIANBAO_REAL_LLM:-1}" != 0 ]]; then
    step real-llm "$OUT/real_llm.log" scripts/real-llm.sh "$OUT/real_llm"
fi

echo
echo "=== reliability summary ($( ((QUICK)) && echo quick || echo full ); results in $OUT)"
failed=0
for i in "${!NAMES[@]}"; do
    printf '  %-11s %s\n' "${NAMES[$i]}" "${RESULTS[$i]}"
    [[ "${RESULTS[$i]}" == ok* ]] || failed=1
done
echo "  load average now: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
exit $failed
