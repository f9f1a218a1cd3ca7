#!/usr/bin/env bash
# Debian packages the test suite needs: redis-server (the two-server test shares conversations
# through Redis). Installed with apt-get when missing; sudo when not root.
set -euo pipefail
PACKAGES=(redis-server)
missing=()
for package in "${PACKAGES[@]}"; do
    command -v "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "missing ${missing[*]}: install it with your system's package manager" >&2
    exit 1
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
