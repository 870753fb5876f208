#!/usr/bin/env bash
# Installs the project into .venv on a fresh machine of this kind (Python 3.11, offline but for
# PyPI). Usage: EXTRAS=dev,llm bash scripts/install.sh   (default extras: dev,llm)
#  - torch==2.13.0 goes first: that CPU wheel lies on the machine's disk, and an unpinned torch
#    pulled in by sentence-transformers would be a multi-GB CUDA build.
#  - llama-cpp-python (extra "llm") compiles from source, about 5 minutes the first time; pip
#    caches the wheel. GGML_NATIVE=OFF: a portable build that runs on any x86-64 of this kind.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q torch==2.13.0
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}"
.venv/bin/python -m pip install -q -e ".[${EXTRAS:-dev,llm}]"
