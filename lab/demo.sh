#!/usr/bin/env bash
# The README's main command: builds hotplay, then `hotplay lab demo`: a master/backup HotDB
# 2.5.3 lab (network namespaces, sshds, keepalived, MariaDB), and the rolling upgrade
# playbooks/master_backup_rolling.yml to 2.5.6 with client traffic through the VIP all along;
# then the recap, the status before and after, and the client queries that failed during the
# HA switch. Root, Debian 12. The lab stays up afterwards: `hotplay lab down` removes it.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "lab/demo.sh needs root (network namespaces, bind mounts, sshd)" >&2
  exit 1
fi
need_apt=()
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
command -v ssh >/dev/null 2>&1 || need_apt+=(openssh-client)
[ -x /usr/sbin/keepalived ] || need_apt+=(keepalived)
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need_apt+=(mariadb-server mariadb-client)
[ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || need_apt+=(iproute2)
command -v nsenter >/dev/null 2>&1 || need_apt+=(util-linux)
command -v curl >/dev/null 2>&1 || need_apt+=(curl ca-certificates)
command -v cc >/dev/null 2>&1 || need_apt+=(build-essential)
if [ ${#need_apt[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi
if ! command -v cargo >/dev/null 2>&1; then
  [ -x "$HOME/.cargo/bin/cargo" ] || curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  export PATH="$HOME/.cargo/bin:$PATH"
fi
cargo build -q --bin hotplay
exec ./target/debug/hotplay lab demo --dir "${HOTPLAY_LAB_DIR:-/var/lib/hotplay-lab/demo}" "$@"
