#!/usr/bin/env bash
# Set up a development environment on a fresh Debian/Ubuntu machine:
#   - Stockfish (Debian package `stockfish`, installed to /usr/games) for the chess tasks,
#   - .venv with the CPU build of torch and all four lmrl packages (editable), nox, poetry, ruff.
# Safe to re-run; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v stockfish >/dev/null 2>&1 && [ ! -x /usr/games/stockfish ]; then
  echo "==> installing Stockfish (apt-get install stockfish)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq stockfish >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
echo "==> installing torch (CPU wheel) and the lmrl packages into .venv"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "${LMRL_TORCH_SPEC:-torch==2.13.0}"
.venv/bin/python -m pip install -q -e packages/lmrl-envs -e packages/lmrl-data -e packages/lmrl-algos \
  -e "packages/lmrl-eval[full]" nox poetry ruff pytest
echo "==> ready: .venv/bin/lmrl-eval, .venv/bin/nox"
