#!/usr/bin/env bash
# Benchmark: hotplay vs a raw ssh loop vs ansible-playbook, side by side in one run.
# Needs root (it starts a private sshd on 127.0.1.x and uses a dedicated user).
#   bench/run.sh            # N = 10 and 100 hosts, T = 20 tasks, 3 runs each
#   RUNS=1 HOSTS="10" bench/run.sh
#   PROFILE=1 HOSTS=100 bench/run.sh   # perf profile of hotplay on the largest case
# Prints a markdown table; docs/performance.md keeps the committed one.
set -euo pipefail
cd "$(dirname "$0")/.."
HOSTS=${HOSTS:-"10 100"}
TASKS=${TASKS:-20}
RUNS=${RUNS:-3}
USER_NAME=hpbench
WORK=$(mktemp -d /var/tmp/hotplay-bench.XXXXXX)
chmod 755 "$WORK"
ANSIBLE_VENV=${ANSIBLE_VENV:-/var/tmp/hotplay-bench-ansible}

[ "$(id -u)" -eq 0 ] || { echo "bench/run.sh needs root" >&2; exit 1; }
[ -x /usr/sbin/sshd ] || apt-get install -y -qq openssh-server >/dev/null
if [ ! -x "$ANSIBLE_VENV/bin/ansible-playbook" ]; then
  python3 -m venv "$ANSIBLE_VENV" && "$ANSIBLE_VENV/bin/pip" install -q 'ansible-core>=2.16,<2.18'
fi
cargo build --release -q
HOTPLAY=$PWD/target/release/hotplay

id "$USER_NAME" >/dev/null 2>&1 || useradd -m -s /bin/sh "$USER_NAME"
usermod -p '*' "$USER_NAME"
mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$WORK/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/id"
cp "$WORK/id.pub" "$WORK/authorized_keys"; chown "$USER_NAME" "$WORK/authorized_keys"
MAXN=$(echo $HOSTS | tr ' ' '\n' | sort -n | tail -1)
# sshd listens on at most 16 addresses (MAX_LISTEN_SOCKS): one sshd per 16 hosts.
for g in $(seq 0 $(( (MAXN - 1) / 16 ))); do
  {
    echo "Port 2222"
    for i in $(seq $(( g * 16 + 1 )) $(( g * 16 + 16 ))); do [ "$i" -le "$MAXN" ] && echo "ListenAddress 127.0.1.$i"; done
    echo "HostKey $WORK/host_key"; echo "PidFile $WORK/sshd-$g.pid"; echo "UsePAM no"; echo "StrictModes no"
    echo "PasswordAuthentication no"; echo "AuthorizedKeysFile $WORK/authorized_keys"; echo "MaxSessions 10"
    echo "MaxStartups 200:30:400"; echo "LogLevel ERROR"
  } > "$WORK/sshd_config-$g"
  /usr/sbin/sshd -f "$WORK/sshd_config-$g" -E "$WORK/sshd-$g.log"
done
trap 'for p in "$WORK"/sshd-*.pid; do kill "$(cat "$p")" 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
sleep 0.5
: > "$WORK/known_hosts"
printf "[defaults]\n" > "$WORK/ansible.cfg"
for i in $(seq 1 "$MAXN"); do echo "[127.0.1.$i]:2222 $(cut -d' ' -f1,2 "$WORK/host_key.pub")" >> "$WORK/known_hosts"; done
SSHOPTS=(-o UserKnownHostsFile="$WORK/known_hosts" -o StrictHostKeyChecking=yes -i "$WORK/id" -p 2222 -l "$USER_NAME" -o BatchMode=yes)

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

inventory() { # n
  for i in $(seq 1 "$1"); do
    echo "h$i ansible_host=127.0.1.$i ansible_port=2222 ansible_user=$USER_NAME ansible_ssh_private_key_file=$WORK/id ansible_ssh_common_args='-o UserKnownHostsFile=$WORK/known_hosts' ansible_python_interpreter=/usr/bin/python3"
  done > "$WORK/inv$1.ini"
}

playbook() { # kind
  {
    echo "- hosts: all"; echo "  gather_facts: no"; echo "  tasks:"
    for t in $(seq 1 "$TASKS"); do
      if [ "$1" = true ]; then echo "    - command: /bin/true"; else echo "    - file: path=/tmp/hpbench-{{ inventory_hostname }}-$t state=touch"; fi
    done
  } > "$WORK/$1.yml"
}

raw() { # n kind
  for i in $(seq 1 "$1"); do
    (
      ctl="$WORK/raw-$i"
      ssh "${SSHOPTS[@]}" -o ControlMaster=yes -o ControlPath="$ctl" -fN 127.0.1.$i
      for t in $(seq 1 "$TASKS"); do
        if [ "$2" = true ]; then ssh -o ControlPath="$ctl" 127.0.1.$i /bin/true
        else ssh -o ControlPath="$ctl" 127.0.1.$i "touch /tmp/hpbench-raw-$i-$t"; fi
      done
      ssh -o ControlPath="$ctl" -O exit 127.0.1.$i 2>/dev/null
    ) &
  done
  wait
}

run_hotplay() { "$HOTPLAY" run "$WORK/$2.yml" -i "$WORK/inv$1.ini" -f "$1" > "$WORK/hotplay.out" 2>&1 || { cat "$WORK/hotplay.out"; exit 1; }; }
run_ansible() {
  ANSIBLE_CONFIG="$WORK/ansible.cfg" ANSIBLE_FORKS="$1" ANSIBLE_PIPELINING=1 ANSIBLE_HOST_KEY_CHECKING=0 \
  ANSIBLE_SSH_ARGS="-o ControlMaster=auto -o ControlPersist=60s" ANSIBLE_NOCOLOR=1 \
  "$ANSIBLE_VENV/bin/ansible-playbook" "$WORK/$2.yml" -i "$WORK/inv$1.ini" > "$WORK/ansible.out" 2>&1 || { cat "$WORK/ansible.out"; exit 1; }
}

time_it() { # runs cmd...
  local s e
  for r in $(seq 1 "$RUNS"); do s=$(now); "$@"; e=$(now); echo "$e - $s" | bc; done | median
}

# PROFILE=1: only a perf profile of hotplay on the largest case (needs perf: apt install linux-perf).
if [ -n "${PROFILE:-}" ]; then
  playbook true; inventory "$MAXN"
  perf record -q -g -o "$WORK/perf.data" "$HOTPLAY" run "$WORK/true.yml" -i "$WORK/inv$MAXN.ini" -f "$MAXN" > /dev/null
  perf report -i "$WORK/perf.data" --no-children --comms hotplay,tokio-rt-worker --sort sym --stdio -g none 2>/dev/null \
    | grep -v "^#" | grep -v "^$" | head -25
  perf report -i "$WORK/perf.data" --no-children --sort comm --stdio -g none 2>/dev/null | grep -v "^#" | grep -v "^$" | head -8
  exit 0
fi

echo "| scenario | hosts | tasks | hotplay s | raw ssh s | ansible s | hotplay ms/task-host | raw ms/task-host | hotplay/raw | ansible/hotplay |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for kind in true touch; do
  playbook "$kind"
  for n in $HOSTS; do
    inventory "$n"
    h=$(time_it run_hotplay "$n" "$kind")
    r=$(time_it raw "$n" "$kind")
    a=$(time_it run_ansible "$n" "$kind")
    per() { echo "scale=2; $1 * 1000 / ($n * $TASKS)" | bc; }
    printf '| %s | %s | %s | %.2f | %.2f | %.2f | %s | %s | %.2f | %.1f |\n' \
      "$([ "$kind" = true ] && echo 'command: /bin/true' || echo 'file: state=touch')" "$n" "$TASKS" "$h" "$r" "$a" \
      "$(per "$h")" "$(per "$r")" "$(echo "$h / $r" | bc -l)" "$(echo "$a / $h" | bc -l)"
  done
done

# Start-up and memory: --version and --syntax-check (a bundled playbook when there is one),
# peak RSS of a 1,000-host --list-hosts and of the 100-host run above.
ms() { local s e; for r in 1 2 3 4 5 6 7 8 9; do s=$(now); "$@" >/dev/null 2>&1; e=$(now); echo "($e - $s) * 1000" | bc; done | median; }
book=$(ls playbooks/master_backup_rolling.yml 2>/dev/null || echo "$WORK/true.yml")
python3 -c "
print('[all]')
for i in range(1000): print(f'h{i} ansible_host=10.255.{i // 250}.{i % 250}')" > "$WORK/inv1000.ini"
rss() { /usr/bin/time -f '%M KiB (hotplay CPU %U s user + %S s sys, %e s wall)' "$@" 2>&1 >/dev/null | tail -1; }
echo
echo "| measure | value |"
echo "|---|---|"
printf '| hotplay --version | %.1f ms |\n' "$(ms "$HOTPLAY" --version)"
printf '| hotplay --syntax-check %s | %.1f ms |\n' "$(basename "$book")" "$(ms "$HOTPLAY" run "$book" -i "$WORK/inv10.ini" --syntax-check)"
printf '| peak RSS, --list-hosts over 1,000 hosts | %s |\n' "$(rss "$HOTPLAY" run "$WORK/true.yml" -i "$WORK/inv1000.ini" --list-hosts)"
playbook true; inventory "$MAXN"
printf '| peak RSS, %s hosts x %s tasks over ssh | %s |\n' "$MAXN" "$TASKS" "$(rss "$HOTPLAY" run "$WORK/true.yml" -i "$WORK/inv$MAXN.ini" -f "$MAXN")"
