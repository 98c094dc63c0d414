#!/bin/sh
# shiplog package: before the files land. The service users, so that the
# files and directories can be theirs. Safe to run again (upgrades).
set -eu
PATH=/usr/sbin:/usr/bin:/sbin:/bin
nologin=/usr/sbin/nologin
[ -x "$nologin" ] || nologin=/sbin/nologin
for user in shiplog shiplog-collector; do
  getent group "$user" >/dev/null || groupadd --system "$user"
  getent passwd "$user" >/dev/null ||
    useradd --system --gid "$user" --home-dir "/var/lib/$user" --no-create-home --shell "$nologin" "$user"
done
exit 0
