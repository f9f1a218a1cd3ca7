#!/usr/bin/env bash
# Create a virtual environment with the right Python and install pinned dependencies.
#   default:             .venv, Python 3.10, requirements.lock, this package editable
#                        (Rasa 3.6 supports Python 3.8-3.10 only, so 3.10 is required).
#   scripts/setup.sh pretrain:  .venv-pretrain, Python 3.11, torch 2.13.0 (the CPU build) first,
#                        then requirements-pretrain.lock; the package is put on the path
#                        (its metadata pins Python 3.10 for Rasa, the pretraining code does not).
set -euo pipefail

if [ "${1:-}" = "pretrain" ]; then
    VENV="${VENV:-.venv-pretrain}"; LOCK="${LOCK:-requirements-pretrain.lock}"
    PY_VERSION=3.11; FIRST="torch==2.13.0"; EDITABLE=0
else
    VENV="${VENV:-.venv}"; LOCK="${LOCK:-requirements.lock}"
    PY_VERSION=3.10; FIRST=""; EDITABLE=1
fi
OVERRIDE_VAR="PYTHON${PY_VERSION//./}"   # PYTHON310 or PYTHON311

is_wanted() {
    [ -n "$1" ] && "$1" -c "import sys; raise SystemExit('%d.%d' % sys.version_info[:2] != '$PY_VERSION')" >/dev/null 2>&1
}

find_python() {
    local candidate override="${!OVERRIDE_VAR:-}"
    # 1. an explicit choice wins
    if [ -n "$override" ]; then
        is_wanted "$override" && { echo "$override"; return; }
        echo "$OVERRIDE_VAR=$override is not a working Python $PY_VERSION interpreter" >&2
        return 1
    fi
    # 2. pythonX.Y on PATH (a pyenv shim only counts if it actually runs X.Y)
    candidate="$(command -v "python$PY_VERSION" || true)"
    is_wanted "$candidate" && { echo "$candidate"; return; }
    # 3. pyenv's installed versions, newest patch release first
    local roots=()
    command -v pyenv >/dev/null 2>&1 && roots+=("$(pyenv root)")
    roots+=("${PYENV_ROOT:-$HOME/.pyenv}" /root/.pyenv)
    for root in "${roots[@]}"; do
        for candidate in $(ls -d "$root"/versions/"$PY_VERSION".*/bin/python"$PY_VERSION" 2>/dev/null | sort -rV); do
            is_wanted "$candidate" && { echo "$candidate"; return; }
        done
    done
    return 1
}

if ! PYTHON="$(find_python)"; then
    cat >&2 <<MSG
error: no Python $PY_VERSION interpreter found for $VENV.
$( [ "$PY_VERSION" = 3.10 ] && echo "Rasa 3.6.21 runs on Python 3.8-3.10 only; this project pins 3.10." \
   || echo "The pretraining environment uses the torch 2.13.0 CPU build made for Python 3.11." )
Install one of:
  pyenv install $PY_VERSION            (then re-run make)
  apt-get install python$PY_VERSION python$PY_VERSION-venv   (Debian/Ubuntu with $PY_VERSION packages)
or point $OVERRIDE_VAR=/path/to/python$PY_VERSION at an existing interpreter.
MSG
    exit 1
fi
echo "Using $PYTHON ($("$PYTHON" --version 2>&1)) for $VENV"

if [ -x "$VENV/bin/python" ] && ! is_wanted "$VENV/bin/python"; then
    echo "$VENV exists but is not Python $PY_VERSION: recreating it"
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
# torch first and by exact version: a plain `torch` requirement would pull the newest build
# with several GB of CUDA packages, 2.13.0 takes the CPU build these machines carry.
[ -z "$FIRST" ] || pip_install $FIRST
pip_install -r "$LOCK"
[ "$EDITABLE" = 1 ] && pip_install --no-deps --no-build-isolation -e . -e pretrained
# this clone on the path: the lab (lab/) runs from it in both environments and is never
# installed with the package; the pretraining environment takes the package from here too
site="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
pwd > "$site/rasa_electra_repo.pth"
"$VENV/bin/python" -m pip check
echo "Setup done in $(( $(date +%s) - start ))s: $VENV ($("$VENV/bin/python" --version 2>&1))"
