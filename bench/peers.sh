#!/usr/bin/env bash
# Installs the peers the side-by-side benchmarks run (see
# /work/shared/TESTING.md, "Peers for side-by-side benchmarks"). Idempotent:
# a peer already installed is left as it is.
set -euo pipefail
PATH=$PATH:/usr/sbin:/sbin

as_root() {
  if ((EUID == 0)); then "$@"; else sudo -n "$@"; fi
}

have_rsyslog_es() {
  command -v rsyslogd >/dev/null 2>&1 && [[ -e /usr/lib/x86_64-linux-gnu/rsyslog/omelasticsearch.so ||
    -n $(find /usr/lib -name omelasticsearch.so -print -quit 2>/dev/null) ]]
}

if have_rsyslog_es; then
  echo 'peers: rsyslog + omelasticsearch already installed' >&2
  exit 0
fi

apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300)
if ! as_root "${apt[@]}" install -y --no-install-recommends rsyslog rsyslog-elasticsearch; then
  echo 'peers: install failed; running apt-get update once and retrying' >&2
  as_root "${apt[@]}" update
  as_root "${apt[@]}" install -y --no-install-recommends rsyslog rsyslog-elasticsearch
fi
have_rsyslog_es
echo 'peers: rsyslog + omelasticsearch installed' >&2
