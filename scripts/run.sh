#!/usr/bin/env bash
# Command 1: install what the app needs and start it on the demo data (http://localhost:8501).
#   bash scripts/run.sh                      # Streamlit options may follow, e.g.
#   bash scripts/run.sh --server.port 8600   #   another port
# Uses your virtualenv if one is active, else creates ./.venv (see scripts/python_env.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/python_env.sh
install_requirements requirements.txt
echo "== starting the app on the demo data"
exec "$PY" scripts/serve.py "$@" -- --demo
