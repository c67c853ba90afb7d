#!/usr/bin/env bash
# The README's main command: builds the lab and runs a rolling upgrade of a
# master/backup cluster on it. The lab is not built yet (see README "State").
echo "hotplay lab demo: the lab (network namespaces, sshd per host, keepalived, MariaDB) is not built yet." >&2
echo "It needs the SSH transport, the HotDB simulator and the lab itself; see README.md, section State." >&2
exit 2
