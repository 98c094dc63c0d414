#!/bin/sh
# shiplog package: after the files landed (install and upgrade alike). The
# data directories, the agent's access to the Docker socket, config files
# readable by the services only, and systemd told about the units. Nothing
# is started: docs/operators.md says when.
set -eu
PATH=/usr/sbin:/usr/bin:/sbin:/bin
install -d -m 0750 -o shiplog -g shiplog /var/lib/shiplog /var/cache/shiplog
install -d -m 0700 -o shiplog-collector -g shiplog-collector /var/lib/shiplog-collector
# The Docker socket belongs to the docker group: the agent's user joins it.
if getent group docker >/dev/null; then
  usermod -a -G docker shiplog
fi
chgrp shiplog /etc/shiplog/agent.yml && chmod 0640 /etc/shiplog/agent.yml
chgrp shiplog-collector /etc/shiplog/collector.yml && chmod 0640 /etc/shiplog/collector.yml
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
  # An upgrade restarts what was running, on the new version.
  for unit in shiplog-agent shiplog-collector; do
    if systemctl is-active --quiet "$unit"; then systemctl restart "$unit" || true; fi
  done
fi
exit 0
