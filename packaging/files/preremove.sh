#!/bin/sh
# shiplog package: before the files go. On removal (not on an upgrade) the
# services stop and are disabled. Data, config and users stay: see
# docs/operators.md, "Uninstall".
set -eu
PATH=/usr/sbin:/usr/bin:/sbin:/bin
# dpkg says "remove" or "upgrade"; rpm says how many versions remain (0: removal).
case "${1:-remove}" in
  remove | 0) ;;
  *) exit 0 ;;
esac
if [ -d /run/systemd/system ]; then
  systemctl disable --now shiplog-agent shiplog-collector >/dev/null 2>&1 || true
fi
exit 0
