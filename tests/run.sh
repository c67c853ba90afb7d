#!/usr/bin/env bash
# Every test of the project, from a fresh Debian 12 machine (root): installs what
# the tests need, then checks formatting, lints and runs all tests.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v cargo >/dev/null 2>&1 || { echo "cargo is required (rustup)"; exit 1; }
command -v sudo >/dev/null 2>&1 || need_apt+=(sudo)
command -v mariadb-install-db >/dev/null 2>&1 || need_apt+=(mariadb-server mariadb-client)
command -v bc >/dev/null 2>&1 || need_apt+=(bc)
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
command -v keepalived >/dev/null 2>&1 || [ -x /usr/sbin/keepalived ] || need_apt+=(keepalived)
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || need_apt+=(iproute2)
command -v nsenter >/dev/null 2>&1 || need_apt+=(util-linux)
command -v ssh >/dev/null 2>&1 || need_apt+=(openssh-client)
command -v tar >/dev/null 2>&1 || need_apt+=(tar)
command -v unzip >/dev/null 2>&1 || need_apt+=(unzip)
command -v zip >/dev/null 2>&1 || need_apt+=(zip)
command -v strace >/dev/null 2>&1 || need_apt+=(strace)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages (${need_apt[*]}) and not root: install them first" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi
# Real ansible-core, for the tests that check hotplay against it (vault round trips).
export HOTPLAY_ANSIBLE_VENV=${HOTPLAY_ANSIBLE_VENV:-/var/tmp/hotplay-ansible}
if [ ! -x "$HOTPLAY_ANSIBLE_VENV/bin/ansible-vault" ]; then
  python3 -m venv "$HOTPLAY_ANSIBLE_VENV"
  "$HOTPLAY_ANSIBLE_VENV/bin/pip" install -q 'ansible-core==2.17.14'
fi
rustup component list --installed 2>/dev/null | grep -q rustfmt || rustup component add rustfmt clippy || true

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace --all-targets
