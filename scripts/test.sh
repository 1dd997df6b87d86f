#!/usr/bin/env bash
# The one test command: installs what the tests need, lints, then runs every test layer.
#   bash scripts/test.sh              # everything
#   bash scripts/test.sh tests/unit   # arguments go to pytest
# Needs Python 3.11+. Uses your virtualenv if one is active, else creates ./.venv (see
# scripts/python_env.sh). Browser tests also need Debian's chromium, installed here with apt when
# missing; if it cannot be installed they are skipped (pytest says so), never faked.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/python_env.sh
install_requirements requirements-dev.txt requirements.txt
PYTHON="$PY"

apt_install() {
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo="sudo -n"
        else
            return 1
        fi
    fi
    command -v apt-get >/dev/null 2>&1 || return 1
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
# Chinese column headers must render in screenshots, not as boxes.
if command -v dpkg >/dev/null 2>&1 && ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
    missing+=(fonts-noto-cjk)
fi
if [ "${#missing[@]}" -gt 0 ]; then
    echo "== installing with apt: ${missing[*]}"
    if ! apt_install "${missing[@]}" </dev/null; then
        echo "WARNING: could not install ${missing[*]} with apt (needs root or passwordless sudo," >&2
        echo "WARNING: and Debian's package sources)." >&2
    fi
fi
if [ ! -x /usr/bin/chromium ]; then
    echo "WARNING: /usr/bin/chromium is missing: the browser tests will be SKIPPED, not run." >&2
fi
# The Spark engine's equality tests run PySpark in local mode, which needs a Java runtime (17+).
# Installed on its own, so a machine without the package still gets chromium above.
if ! command -v java >/dev/null 2>&1; then
    echo "== installing with apt: default-jre-headless"
    apt_install default-jre-headless </dev/null || true
fi
if ! command -v java >/dev/null 2>&1; then
    echo "WARNING: no Java runtime: the Spark engine's tests will be SKIPPED, not run." >&2
fi

echo "== ruff check"
lint=0
"$PYTHON" -m ruff check . || lint=1
echo "== ruff format --check"
"$PYTHON" -m ruff format --check . || lint=1

echo "== pytest $*"
status=0
"$PYTHON" -m pytest "$@" || status=$?
# pytest's own codes pass through, 5 ("no tests collected") included: that is a failure too.
if [ "$status" -eq 0 ] && [ "$lint" -ne 0 ]; then
    echo "FAILED: lint (see ruff above); the tests themselves passed." >&2
    status=1
fi
exit "$status"
