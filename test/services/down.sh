#!/usr/bin/env bash
# Stops what test/services/up.sh started, found by the pidfiles it keeps.
#   down.sh [--if-unused] [elasticsearch|elasticsearch-secure|elasticsearch7|docker|all]...
#   (default: all)
# A daemon without our pidfile was not started by us and is left alone.
# --if-unused (used by the test run's teardown) stops an Elasticsearch node only when
# a test run started it (not `npm run services:up`) and no test run still
# holds a lease on it (a file named after its pid in $STATE/leases, written by
# test/helpers/services-setup.ts): several sessions share one machine.
set -euo pipefail

STATE=${SHIPLOG_TEST_STATE:-/tmp/shiplog-test-services}
source "$(dirname "$0")/es-nodes.sh"

log() { printf '[services] %s\n' "$*" >&2; }

# The pid must still belong to the program we started: pids get reused.
stop_pidfile() { # name, pidfile, pattern expected in its command line
  local name=$1 pidfile=$2 pattern=$3 pid
  if [[ ! -s $pidfile ]]; then log "$name: nothing to stop (no pidfile from up.sh)"; return; fi
  pid=$(cat "$pidfile")
  if ! kill -0 "$pid" 2>/dev/null || ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$pattern"; then
    log "$name: not running"
    rm -f "$pidfile"
    return
  fi
  log "$name: stopping pid $pid"
  kill -TERM "$pid"
  local i
  for ((i = 0; i < 60; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name: still running after 30 s; killing"
    kill -KILL "$pid"
  fi
  rm -f "$pidfile"
}

live_leases() {
  local lease pid live=()
  for lease in "$STATE"/leases/*; do
    [[ -e $lease ]] || continue
    pid=${lease##*/}
    if kill -0 "$pid" 2>/dev/null; then live+=("$pid"); else rm -f "$lease"; fi
  done
  echo "${live[*]}"
}

# Under up.sh's lock, so a run that is starting or reusing the node is never
# cut off half way (up.sh itself calls us with the lock already held).
stop_elasticsearch() { # node name
  local name=$1
  es_node "$name"
  if [[ -z ${SHIPLOG_TEST_LOCK_HELD:-} ]]; then
    mkdir -p "$STATE"
    exec 9>"$STATE/$name.lock"
    flock 9
  fi
  if ((if_unused)); then
    local users by
    users=$(live_leases)
    by=$(cat "$NODE_DIR/started-by" 2>/dev/null || echo unknown)
    if [[ -n $users ]]; then
      log "$name: still used by test run(s) $users; leaving it running"
      return
    elif [[ $by != test-run ]]; then
      log "$name: not started by a test run (started-by: $by); leaving it running"
      return
    fi
  fi
  stop_pidfile "$name" "$NODE_DIR/elasticsearch.pid" org.elasticsearch
}

if_unused=0
if [[ ${1:-} == --if-unused ]]; then if_unused=1; shift; fi
services=("${@:-all}")
[[ ${services[0]} == all ]] && services=("${ES_NODES[@]}" docker)
for svc in "${services[@]}"; do
  case $svc in
  elasticsearch*) (stop_elasticsearch "$svc") ;;
  docker) stop_pidfile docker "$STATE/dockerd.pid" dockerd ;;
  rsyslog) log "rsyslog: nothing to stop (tests run their own rsyslogd)" ;;
  *) log "unknown service: $svc"; exit 1 ;;
  esac
done
