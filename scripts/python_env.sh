# Sourced by scripts/run.sh and scripts/test.sh: picks the Python environment both commands use
# and installs a requirements file into it once (again only when the file changes).
#
# - Inside a virtualenv (activated, or $PYTHON is one): that environment is used as it is.
# - Otherwise a project-local .venv is created next to this repository and used, so the commands
#   work unchanged where the system Python refuses global installs (PEP 668, "externally-managed-
#   environment", current Debian and Ubuntu) and never touch the system's packages.
# Nothing is installed outside the repository's .venv (or your own virtualenv); delete .venv to
# start over.

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE_PYTHON="${PYTHON:-python3}"

if ! command -v "$BASE_PYTHON" >/dev/null 2>&1; then
    echo "error: '$BASE_PYTHON' was not found. Install Python 3.11 or newer (python.org, or your" >&2
    echo "error: system's python3 package), or set PYTHON=/path/to/python3.11." >&2
    exit 1
fi
if ! "$BASE_PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "error: $("$BASE_PYTHON" --version 2>&1) is too old: this app needs Python 3.11 or newer." >&2
    echo "error: set PYTHON=/path/to/python3.11 (or newer) and run the command again." >&2
    exit 1
fi

in_virtualenv() {
    "$1" -c 'import sys; sys.exit(sys.prefix == sys.base_prefix)'
}

make_venv() {
    local venv="$REPO/.venv"
    if [ -x "$venv/bin/python" ] && "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
        return 0
    fi
    echo "== creating $venv (a project-local Python environment)"
    rm -rf "$venv"
    if "$BASE_PYTHON" -m venv "$venv" >/dev/null 2>&1; then
        return 0
    fi
    # Debian and Ubuntu ship venv's pip bootstrap (ensurepip) in a separate package.
    rm -rf "$venv"
    echo "error: '$BASE_PYTHON -m venv' could not create an environment with pip." >&2
    echo "error: on Debian or Ubuntu install it with: sudo apt install python3-venv" >&2
    echo "error: (or run the command inside a virtualenv you made yourself)." >&2
    exit 1
}

if [ -n "${VIRTUAL_ENV:-}" ] && [ -x "$VIRTUAL_ENV/bin/python" ]; then
    PY="$VIRTUAL_ENV/bin/python"
elif in_virtualenv "$BASE_PYTHON"; then
    PY="$BASE_PYTHON"
else
    make_venv
    PY="$REPO/.venv/bin/python"
fi

# install_requirements FILE...: pip-installs the first FILE (it may include the others with -r)
# unless these exact files were installed into this environment before.
install_requirements() {
    local stamp digest
    stamp="$("$PY" -c 'import sys; print(sys.prefix)')/.cvm-installed-$(basename "$1")"
    digest="$(cd "$REPO" && cat "$@" | "$PY" -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ]; then
        return 0
    fi
    echo "== installing Python packages ($1) into $("$PY" -c 'import sys; print(sys.prefix)')"
    "$PY" -m pip install -q --disable-pip-version-check -r "$REPO/$1"
    echo "$digest" >"$stamp"
}
