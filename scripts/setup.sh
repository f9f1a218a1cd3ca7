#!/usr/bin/env bash
# Create .venv with a Python 3.10 interpreter and install the pinned dependencies.
# Rasa 3.6 supports Python 3.8-3.10 only, so 3.10 is required, not merely preferred.
set -euo pipefail

VENV="${VENV:-.venv}"
LOCK="${LOCK:-requirements.lock}"

is_py310() {
    [ -n "$1" ] && "$1" -c 'import sys; raise SystemExit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1
}

find_python310() {
    local candidate
    # 1. an explicit choice wins
    if [ -n "${PYTHON310:-}" ]; then
        is_py310 "$PYTHON310" && { echo "$PYTHON310"; return; }
        echo "PYTHON310=$PYTHON310 is not a working Python 3.10 interpreter" >&2
        return 1
    fi
    # 2. python3.10 on PATH (a pyenv shim only counts if it actually runs 3.10)
    candidate="$(command -v python3.10 || true)"
    is_py310 "$candidate" && { echo "$candidate"; return; }
    # 3. pyenv's installed versions, newest patch release first
    local roots=()
    command -v pyenv >/dev/null 2>&1 && roots+=("$(pyenv root)")
    roots+=("${PYENV_ROOT:-$HOME/.pyenv}" /root/.pyenv)
    for root in "${roots[@]}"; do
        for candidate in $(ls -d "$root"/versions/3.10.*/bin/python3.10 2>/dev/null | sort -rV); do
            is_py310 "$candidate" && { echo "$candidate"; return; }
        done
    done
    return 1
}

if ! PYTHON="$(find_python310)"; then
    cat >&2 <<'MSG'
error: no Python 3.10 interpreter found.
Rasa 3.6.21 runs on Python 3.8-3.10 only; this project pins 3.10. Install one of:
  pyenv install 3.10.13            (then re-run `make setup`)
  apt-get install python3.10 python3.10-venv   (Debian/Ubuntu with 3.10 packages)
or point PYTHON310=/path/to/python3.10 at an existing interpreter.
MSG
    exit 1
fi
echo "Using $PYTHON ($("$PYTHON" --version 2>&1))"

if [ -x "$VENV/bin/python" ] && ! is_py310 "$VENV/bin/python"; then
    echo "$VENV exists but is not Python 3.10: recreating it"
    rm -rf "$VENV"
fi
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"

# pip on some machines warns about every configured package index that does not exist;
# keep real errors, drop that noise.
pip_install() {
    "$VENV/bin/python" -m pip install --quiet "$@" 2> >(grep -v "is neither a file nor a directory" >&2)
}

start=$(date +%s)
pip_install --upgrade "pip>=24,<26"
pip_install -r "$LOCK"
pip_install --no-deps --no-build-isolation -e .
"$VENV/bin/python" -m pip check
echo "Setup done in $(( $(date +%s) - start ))s: $VENV ($("$VENV/bin/python" --version 2>&1))"
