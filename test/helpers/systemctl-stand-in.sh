#!/usr/bin/env bash
# `systemctl` for the runbook test (test/integration/packaging/runbook.ts) on
# a machine where systemd is not PID 1. It plays what the runbook asks of
# systemd with the INSTALLED unit file, so the unit's own ExecStart, User,
# Group, Environment, AmbientCapabilities, StateDirectory and CacheDirectory
# are what runs:
#   enable [--now] UNIT...   disable [--now] UNIT...   start|stop|restart|try-restart UNIT...
#   is-active [--quiet] UNIT...   daemon-reload
# Anything else fails loudly, so a runbook that starts asking more of systemd
# fails here instead of passing untested. The rest of the unit (the sandbox:
# ProtectSystem and friends) needs systemd itself; `systemd-analyze verify`
# checks it in the kit test. State (pids, logs) lives in $SHIPLOG_SYSTEMCTL_STATE.
set -euo pipefail
PATH=/usr/sbin:/usr/bin:/sbin:/bin

readonly STATE=${SHIPLOG_SYSTEMCTL_STATE:?SHIPLOG_SYSTEMCTL_STATE names the stand-in\'s state directory}
readonly UNITS=/usr/lib/systemd/system

fail() { printf 'systemctl (test stand-in): %s\n' "$*" >&2; exit 1; }

unit_file() { # UNIT -> its file, or systemd's "not found" (exit 5)
  local file=$UNITS/${1%.service}.service
  [[ -f $file ]] || { printf 'Unit %s.service not found.\n' "${1%.service}" >&2; exit 5; }
  printf '%s\n' "$file"
}

setting() { # FILE KEY -> every value of KEY in [Service], one a line
  sed -n '/^\[Service\]/,/^\[/p' "$1" | sed -n "s/^$2=//p"
}

pid_of() { # UNIT -> the main pid while it runs, else nothing
  local file=$STATE/${1%.service}.pid pid state
  [[ -s $file ]] || return 0
  pid=$(<"$file")
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
  [[ -n $state && $state != Z ]] && printf '%s\n' "$pid"
  return 0
}

# StateDirectory=/CacheDirectory=: made, and handed to the unit's user (recursively when the top is not theirs), as systemd does.
own_dir() { # PATH MODE USER GROUP
  install -d -m "$2" "$1"
  if [[ $(stat -c %U:%G "$1") != "$3:$4" ]]; then chown -R "$3:$4" "$1"; fi
  chmod "$2" "$1"
}

start() {
  local name=${1%.service} file user group exec env caps dir mode home
  file=$(unit_file "$1")
  [[ -z $(pid_of "$name") ]] || return 0
  user=$(setting "$file" User)
  group=$(setting "$file" Group)
  exec=$(setting "$file" ExecStart)
  [[ -n $user && -n $group && -n $exec ]] || fail "$file lacks User=, Group= or ExecStart="
  [[ $exec == /* ]] || fail "ExecStart=$exec: prefixes and relative paths are not played"
  mode=$(setting "$file" StateDirectoryMode)
  for dir in $(setting "$file" StateDirectory); do own_dir "/var/lib/$dir" "${mode:-0755}" "$user" "$group"; done
  for dir in $(setting "$file" CacheDirectory); do own_dir "/var/cache/$dir" 0755 "$user" "$group"; done
  home=$(getent passwd "$user" | cut -d: -f6)
  # shellcheck disable=SC2207 # Environment= holds space-separated NAME=VALUE words
  env=($(setting "$file" Environment))
  caps=$(setting "$file" AmbientCapabilities | tr 'A-Z ' 'a-z\n' | sed -n 's/^cap_\(.*\)/+\1/p' | paste -sd, -)
  local privileges=(--reuid="$user" --regid="$group" --init-groups)
  [[ -z $caps ]] || privileges+=(--inh-caps="$caps" --ambient-caps="$caps")
  # shellcheck disable=SC2086 # ExecStart= is split into words, as systemd splits it
  (cd / && exec setsid setpriv "${privileges[@]}" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin \
    LANG=C.UTF-8 HOME="$home" USER="$user" LOGNAME="$user" "${env[@]}" $exec \
    </dev/null >>"$STATE/$name.log" 2>&1 &
    printf '%s\n' "$!" >"$STATE/$name.pid")
}

stop() {
  local name=${1%.service} file pid timeout deadline
  file=$(unit_file "$1")
  pid=$(pid_of "$name")
  [[ -n $pid ]] || return 0
  timeout=$(setting "$file" TimeoutStopSec)
  timeout=${timeout%s}
  kill -TERM "$pid"
  deadline=$((SECONDS + ${timeout:-90}))
  while [[ -n $(pid_of "$name") ]]; do
    if ((SECONDS >= deadline)); then kill -KILL "$pid" 2>/dev/null || true; fi
    sleep 0.1
  done
  rm -f "$STATE/$name.pid"
}

mkdir -p "$STATE"
verb=${1:-}
(($# > 0)) && shift
now=no quiet=no
units=()
for word in "$@"; do
  case $word in
    --now) now=yes ;;
    --quiet | -q) quiet=yes ;;
    -*) fail "option $word is not played" ;;
    *) units+=("$word") ;;
  esac
done
[[ $verb == daemon-reload || ${#units[@]} -gt 0 ]] || fail "$verb needs a unit"

case $verb in
  daemon-reload) ;;
  enable)
    for unit in "${units[@]}"; do unit_file "$unit" >/dev/null; touch "$STATE/${unit%.service}.enabled"; done
    if [[ $now == yes ]]; then for unit in "${units[@]}"; do start "$unit"; done; fi
    ;;
  disable)
    for unit in "${units[@]}"; do unit_file "$unit" >/dev/null; rm -f "$STATE/${unit%.service}.enabled"; done
    if [[ $now == yes ]]; then for unit in "${units[@]}"; do stop "$unit"; done; fi
    ;;
  start) for unit in "${units[@]}"; do start "$unit"; done ;;
  stop) for unit in "${units[@]}"; do stop "$unit"; done ;;
  restart) for unit in "${units[@]}"; do stop "$unit" && start "$unit"; done ;;
  try-restart)
    for unit in "${units[@]}"; do
      unit_file "$unit" >/dev/null
      if [[ -n $(pid_of "$unit") ]]; then stop "$unit" && start "$unit"; fi
    done
    ;;
  is-active)
    status=0
    for unit in "${units[@]}"; do
      if [[ -n $(pid_of "$unit") ]]; then state=active; else state=inactive status=3; fi
      [[ $quiet == yes ]] || printf '%s\n' "$state"
    done
    exit "$status"
    ;;
  *) fail "\"systemctl $verb\" is not played" ;;
esac
