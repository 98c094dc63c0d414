#!/usr/bin/env bash
# Stops what test/services/up.sh started, found by the pidfiles it keeps.
#   down.sh [elasticsearch|docker|all]    (default: all)
# A daemon without our pidfile was not started by us and is left alone.
set -euo pipefail

STATE=${SHIPLOG_TEST_STATE:-/tmp/shiplog-test-services}
ES_PORT=${SHIPLOG_TEST_ES_PORT:-9250}

log() { printf '[services] %s\n' "$*" >&2; }

# The pid must still belong to the program we started: pids get reused.
stop_pidfile() { # name, pidfile, pattern expected in its command line
  local name=$1 pidfile=$2 pattern=$3 pid
  if [[ ! -s $pidfile ]]; then log "$name: not started by up.sh"; return; fi
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

services=("${@:-all}")
[[ ${services[0]} == all ]] && services=(elasticsearch docker)
for svc in "${services[@]}"; do
  case $svc in
  elasticsearch) stop_pidfile elasticsearch "$STATE/elasticsearch-$ES_PORT/elasticsearch.pid" org.elasticsearch ;;
  docker) stop_pidfile docker "$STATE/dockerd.pid" dockerd ;;
  rsyslog) log "rsyslog: nothing to stop (tests run their own rsyslogd)" ;;
  *) log "unknown service: $svc"; exit 1 ;;
  esac
done
