#!/usr/bin/env bash
# Installs and starts the real services the integration tests talk to.
#   up.sh [tools|docker|rsyslog|elasticsearch|elasticsearch-secure|elasticsearch7|packaging|all]...
#   (default: all). Elasticsearch nodes named together start side by side.
# Idempotent: a service that already answers is reused. Progress goes to
# stderr; stdout gets one machine-readable line per ready service:
#   ready <service> <started|reused|installed> [url]
#   ready <elasticsearch node> <started|reused> <url> <state dir>
# which test/helpers/services-setup.ts parses.
set -euo pipefail
# dockerd, rsyslogd and useradd live in sbin, which a non-login PATH may lack.
PATH=$PATH:/usr/sbin:/sbin

STATE=${SHIPLOG_TEST_STATE:-/tmp/shiplog-test-services}
CACHE=${SHIPLOG_TEST_CACHE:-/var/cache/shiplog-test}
IMAGE=shiplog-test/busybox:latest

log() { printf '[services] %s\n' "$*" >&2; }
fail() { log "$*"; exit 1; }

as_root() {
  if ((EUID == 0)); then "$@"; else sudo -n "$@"; fi
}

# Verbose tool output goes to the service's setup log, not the terminal.
setup_log() { printf '%s/%s-up.log' "$STATE" "$1"; }
quiet() { "$@" >>"$LOG" 2>&1; }

# dpkg may be busy with another installer on a shared machine: wait for it.
# Package lists are refreshed only when an install fails without them.
apt_install() {
  log "installing $* (apt)"
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -y -q --no-install-recommends -o DPkg::Lock::Timeout=300)
  if ! quiet as_root "${apt[@]}" install "$@"; then
    log "install failed; running apt-get update once and retrying"
    quiet as_root "${apt[@]}" update
    quiet as_root "${apt[@]}" install "$@"
  fi
}

has() { command -v "$1" >/dev/null 2>&1; }

wait_for() { # seconds, command...
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 1
  done
}

pid_alive() { [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# ---------------------------------------------------------------- docker
docker_answers() { timeout 10 docker version >/dev/null 2>&1; }

up_docker() {
  has dockerd || apt_install docker.io
  local how=reused
  if ! docker_answers; then
    local pidfile=$STATE/dockerd.pid dlog=$STATE/dockerd.log
    if pid_alive "$pidfile"; then
      log "docker: our dockerd is running but not answering yet; waiting"
    else
      log "docker: starting dockerd (log: $dlog)"
      local sudo=()
      ((EUID == 0)) || sudo=(sudo -n)
      # No bridge and no iptables: test containers need no network, and the
      # machine's own network setup must stay untouched. dockerd writes its
      # own pidfile; fd 9 (our lock) must not live on in the daemon.
      "${sudo[@]}" setsid nohup dockerd --host=unix:///var/run/docker.sock \
        --bridge=none --iptables=false --pidfile="$pidfile" \
        >>"$dlog" 2>&1 </dev/null 9>&- &
      how=started
    fi
    wait_for 60 docker_answers || fail "docker: dockerd did not answer within 60 s (log: $dlog)"
  fi

  if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
    build_busybox_image
  fi
  local out
  out=$(docker run --rm --network none "$IMAGE" /bin/echo ok 2>>"$LOG") || true
  [[ $out == ok ]] || fail "docker: a test container could not run (log: $LOG)"
  echo "ready docker $how"
}

# There is no registry to pull from: the test image is a static busybox.
build_busybox_image() {
  log "docker: building $IMAGE from busybox-static"
  [[ $(dpkg-query -W -f='${Status}' busybox-static 2>/dev/null) == *'ok installed' ]] ||
    apt_install busybox-static
  local bin root
  bin=$(dpkg -L busybox-static | grep '/busybox$')
  bin=${bin%%$'\n'*}
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp"
  cp "$bin" "$root/bin/busybox"
  local tool
  for tool in sh echo seq sleep cat printf yes head tail true false env date \
    awk sed grep tr wc ls; do
    ln -s busybox "$root/bin/$tool"
  done
  tar -C "$root" -c . | quiet docker import --change 'CMD ["/bin/sh"]' - "$IMAGE"
  rm -rf "$root"
}

# ---------------------------------------------------------------- rsyslog
# Only the binaries: each test runs its own rsyslogd with its own config.
up_rsyslog() {
  local how=reused
  if ! has rsyslogd; then apt_install rsyslog; how=installed; fi
  has logger || apt_install bsdutils
  # TLS for omfwd (the syslog listener's TLS tests send through it).
  [[ -e /usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so || -e /usr/lib/rsyslog/lmnsd_gtls.so ]] ||
    [[ $(dpkg-query -W -f='${Status}' rsyslog-gnutls 2>/dev/null) == *'ok installed' ]] ||
    apt_install rsyslog-gnutls
  has openssl || apt_install openssl
  echo "ready rsyslog $how"
}

# ---------------------------------------------------------- elasticsearch
# Several nodes from one start function, each with its own port, directory,
# heap and settings (es-nodes.sh lists them; down.sh reads the same list).
source "$(dirname "$0")/es-nodes.sh"

# The secure node's certificates and users are made fresh with each fresh
# node; tests read them from $NODE_DIR/pki (ca.crt, ca.key, client.crt,
# client.key, username, password, viewer-username, viewer-password).
ES_USER=shiplog
ES_VIEWER=shiplog-viewer

es_answers() { # uses NODE_*
  local curl=(curl -fsS --max-time 3)
  if ((NODE_SECURE)); then
    local pki=$NODE_DIR/pki
    [[ -s $pki/password ]] || return 1
    curl+=(--cacert "$pki/ca.crt" --cert "$pki/client.crt" --key "$pki/client.key"
      -u "$ES_USER:$(cat "$pki/password")")
  fi
  [[ $("${curl[@]}" "$NODE_URL/_cluster/health" 2>/dev/null) == *cluster_name* ]]
}

es_home() { # version; fetches and unpacks once per machine; prints ES_HOME
  local version=$1
  local home=$CACHE/elasticsearch-$version zip=$CACHE/elasticsearch-$version.zip
  mkdir -p "$CACHE"
  # Two nodes of one version may start at once: one fetches, the other waits.
  exec 8>"$CACHE/elasticsearch-$version.lock"
  flock 8
  if [[ ! -x $home/bin/elasticsearch ]]; then
    if [[ ! -s $zip ]]; then
      log "elasticsearch $version: fetching from Maven Central (60-110 MB)"
      has mvn || apt_install maven
      local dl; dl=$(mktemp -d "$CACHE/download.XXXXXX")
      (cd "$dl" && quiet mvn -q -B dependency:copy \
        "-Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$version:zip" \
        -DoutputDirectory="$dl")
      mv "$dl/elasticsearch-$version.zip" "$zip"
      rm -rf "$dl"
    fi
    has unzip || apt_install unzip
    log "elasticsearch $version: unpacking into $home"
    # Unpack beside the target and rename, so an interrupted run never
    # leaves a half tree that looks complete.
    local tmp; tmp=$(mktemp -d "$CACHE/unpack.XXXXXX")
    quiet unzip -q "$zip" -d "$tmp"
    rm -rf "$home"
    mv "$tmp/elasticsearch-$version" "$home"
    rm -rf "$tmp"
  fi
  exec 8>&-
  printf '%s' "$home"
}

# 7.x needs Java 17: it relies on the Security Manager, which Java 24 removed.
es_java_home() { # version
  local j candidates=(/usr/lib/jvm/java-17-openjdk-amd64)
  [[ $1 == 7.* ]] || candidates=(${ES_JAVA_HOME:-} /usr/lib/jvm/temurin-25-jdk-amd64 "${candidates[@]}")
  for j in "${candidates[@]}"; do
    [[ -x $j/bin/java ]] && { printf '%s' "$j"; return; }
  done
  apt_install openjdk-17-jre-headless
  printf '%s' /usr/lib/jvm/java-17-openjdk-amd64
}

# A private CA, the node's HTTP certificate (for 127.0.0.1, sent together
# with its CA as Elasticsearch's own auto-configuration does, so the CA can
# be pinned by fingerprint) and a client certificate, all made with openssl.
es_make_pki() { # dir
  local d=$1 name
  mkdir -p "$d"
  quiet openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=shiplog test CA" \
    -keyout "$d/ca.key" -out "$d/ca.crt"
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$d/server.ext"
  printf 'extendedKeyUsage=clientAuth\n' >"$d/client.ext"
  for name in server client; do
    quiet openssl req -newkey rsa:2048 -nodes -subj "/CN=shiplog test $name" \
      -keyout "$d/$name.key" -out "$d/$name.csr"
    quiet openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
      -days 825 -extfile "$d/$name.ext" -out "$d/$name.crt"
    rm -f "$d/$name.csr" "$d/$name.ext"
  done
  cat "$d/server.crt" "$d/ca.crt" >"$d/server-chain.crt"
  printf '%s\n' "$ES_USER" >"$d/username"
  printf '%s\n' "$ES_VIEWER" >"$d/viewer-username"
  openssl rand -hex 16 >"$d/password"
  openssl rand -hex 16 >"$d/viewer-password"
}

# Starts the node es_node NAME describes, or reuses it when it answers.
es_up() { # name
  local name=$1
  es_node "$name"
  local pidfile=$NODE_DIR/elasticsearch.pid
  local eslog=$NODE_DIR/logs/shiplog-test.log
  if ! es_answers && pid_alive "$pidfile"; then
    log "$name: our node is running but not answering yet; waiting"
    wait_for 120 es_answers || true
  fi
  if es_answers; then echo "ready $name reused $NODE_URL $NODE_DIR"; return; fi
  if pid_alive "$pidfile"; then
    log "$name: our node never answered; stopping it"
    SHIPLOG_TEST_LOCK_HELD=1 bash "$(dirname "$0")/down.sh" "$name"
  fi

  local home java
  home=$(es_home "$NODE_VERSION")
  java=$(es_java_home "$NODE_VERSION")
  # Elasticsearch refuses to run as root.
  local run=()
  if ((EUID == 0)); then
    id es >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin es
    chown -R es: "$home"
    run=(runuser -u es --)
  fi

  # Own config dir per node, so the cached tree stays pristine and several
  # nodes can run side by side. Fresh data on every start, unless
  # SHIPLOG_TEST_ES_KEEP_DATA is set (a test that restarts its own node).
  if [[ -n ${SHIPLOG_TEST_ES_KEEP_DATA:-} && -d $NODE_DIR/data ]] && ((!NODE_SECURE)); then
    rm -rf "$NODE_DIR/config"
  else
    rm -rf "$NODE_DIR"
  fi
  mkdir -p "$NODE_DIR/data" "$NODE_DIR/logs"
  cp -r "$home/config" "$NODE_DIR/config"
  cat >"$NODE_DIR/config/elasticsearch.yml" <<EOF
cluster.name: shiplog-test
discovery.type: single-node
network.host: 127.0.0.1
http.port: $NODE_PORT
transport.port: $((NODE_PORT + 100))
path.data: $NODE_DIR/data
path.logs: $NODE_DIR/logs
# A nearly full disk on a test machine must not make indices read-only.
cluster.routing.allocation.disk.threshold_enabled: false
EOF
  if ((NODE_SECURE)); then
    # Security as banks run it: HTTPS only, a client certificate required at
    # the handshake, then basic auth against the file realm. (API keys need
    # the security index, which needs a module this build lacks.)
    es_make_pki "$NODE_DIR/pki"
    mkdir -p "$NODE_DIR/config/certs"
    cp "$NODE_DIR/pki/server-chain.crt" "$NODE_DIR/pki/server.key" "$NODE_DIR/pki/ca.crt" "$NODE_DIR/config/certs/"
    cat >>"$NODE_DIR/config/elasticsearch.yml" <<EOF
xpack.security.enabled: true
xpack.security.http.ssl.enabled: true
xpack.security.http.ssl.certificate: certs/server-chain.crt
xpack.security.http.ssl.key: certs/server.key
xpack.security.http.ssl.certificate_authorities: [certs/ca.crt]
xpack.security.http.ssl.client_authentication: required
xpack.security.transport.ssl.enabled: false
EOF
    local users=(env ES_JAVA_HOME="$java" ES_PATH_CONF="$NODE_DIR/config" "$home/bin/elasticsearch-users")
    quiet "${users[@]}" useradd "$ES_USER" -p "$(cat "$NODE_DIR/pki/password")" -r superuser
    quiet "${users[@]}" useradd "$ES_VIEWER" -p "$(cat "$NODE_DIR/pki/viewer-password")" -r viewer
  else
    echo 'xpack.security.enabled: false' >>"$NODE_DIR/config/elasticsearch.yml"
  fi
  [[ ${#run[@]} -eq 0 ]] || chown -R es: "$NODE_DIR"

  log "$name: starting $NODE_VERSION on $NODE_URL with $java (log: $eslog)"
  # -d returns once the node has started; -p records the server's own pid.
  if ! quiet timeout 180 "${run[@]}" env ES_JAVA_HOME="$java" ES_PATH_CONF="$NODE_DIR/config" \
    ES_JAVA_OPTS="-Xms$NODE_HEAP -Xmx$NODE_HEAP" "$home/bin/elasticsearch" -d -p "$pidfile" 9>&-; then
    fail "$name: failed to start (logs: $LOG, $eslog)"
  fi
  wait_for 120 es_answers || fail "$name: $NODE_URL did not answer within 120 s (logs: $LOG, $eslog)"
  # down.sh --if-unused stops only nodes that a test run started.
  echo "${SHIPLOG_TEST_STARTED_BY:-manual}" >"$NODE_DIR/started-by"
  echo "ready $name started $NODE_URL $NODE_DIR"
}

# ---------------------------------------------------------------- tools
# The command-line tools tests open bundles with, as a vendor would: age,
# ssh-keygen, zstd, logger, setpriv for the permission tests, chromium for
# the portal's pages; and the
# three tar readers a bundle must unpack the same in (GNU tar, bsdtar, and
# Python's tarfile from Debian's own python3 at /usr/bin, not a pyenv shim).
up_tools() {
  local missing=()
  has tar || missing+=(tar)
  has bsdtar || missing+=(libarchive-tools)
  /usr/bin/python3 -c 'import tarfile' >/dev/null 2>&1 || missing+=(python3)
  has age || missing+=(age)
  has age-keygen || missing+=(age)
  has ssh-keygen || missing+=(openssh-client)
  has zstd || missing+=(zstd)
  has logger || missing+=(bsdutils)
  has setpriv || missing+=(util-linux)
  has openssl || missing+=(openssl)
  # The portal's browser tests drive Debian's chromium with playwright-core.
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
  if ((${#missing[@]})); then
    apt_install $(printf '%s\n' "${missing[@]}" | sort -u)
    echo "ready tools installed"
  else
    echo "ready tools reused"
  fi
}

# ------------------------------------------------------------- packaging
# What packaging/ builds with: nfpm (Go module proxy) for the .deb and .rpm,
# Debian's rpm to read an .rpm back, and the Dockerfile's base image, made
# locally since nothing can be pulled: a minimal Debian bookworm from
# debootstrap plus the project's Node 24 at /usr/local/bin/node, imported
# under the name the Dockerfile's FROM uses. The debootstrap tree is kept as
# a tarball in the cache, so a second run (or a wiped dockerd) does not
# debootstrap again.
NFPM_VERSION=2.48.0
BASE_IMAGE=node:24-bookworm-slim

up_packaging() {
  local how=reused
  has rpm || { apt_install rpm; how=installed; }
  has debootstrap || { apt_install debootstrap; how=installed; }
  local nfpm=$CACHE/nfpm-$NFPM_VERSION/nfpm
  if [[ ! -x $nfpm ]]; then
    has go || PATH=$PATH:/usr/local/go/bin
    has go || apt_install golang-go
    log "packaging: installing nfpm $NFPM_VERSION from the Go module proxy"
    local gobin; gobin=$(mktemp -d "$CACHE/nfpm.XXXXXX")
    quiet env GOBIN="$gobin" go install "github.com/goreleaser/nfpm/v2/cmd/nfpm@v$NFPM_VERSION"
    mkdir -p "$(dirname "$nfpm")"
    mv "$gobin/nfpm" "$nfpm"
    rmdir "$gobin"
    how=installed
  fi
  docker_answers || fail "packaging: the base image needs dockerd (up.sh docker)"
  local repo node version
  repo=$(cd "$(dirname "$0")/../.." && pwd)
  node=$repo/node_modules/node/bin/node
  [[ -x $node ]] || fail "packaging: $node is missing; run npm ci"
  version=$("$node" --version)
  if [[ $(docker image inspect -f '{{index .Config.Labels "dev.shiplog.node"}}' "$BASE_IMAGE" 2>/dev/null) != "$version" ]]; then
    build_base_image "$node" "$version"
    how=installed
  fi
  echo "ready packaging $how $nfpm $BASE_IMAGE"
}

build_base_image() { # node-binary version
  local tree=$CACHE/debian-bookworm-minbase.tar
  mkdir -p "$CACHE"
  if [[ ! -s $tree ]]; then
    log "packaging: debootstrap of a minimal Debian bookworm (once per machine)"
    local root; root=$(mktemp -d "$CACHE/debootstrap.XXXXXX")
    quiet debootstrap --variant=minbase --include=passwd bookworm "$root" http://deb.debian.org/debian
    rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*
    tar -C "$root" -cf "$tree.part" .
    mv "$tree.part" "$tree"
    rm -rf "$root"
  fi
  log "packaging: importing $BASE_IMAGE (bookworm + Node $2)"
  local add; add=$(mktemp -d)
  mkdir -p "$add/usr/local/bin"
  cp "$1" "$add/usr/local/bin/node"
  # One stream: the cached tree, then Node appended to a copy of it.
  local tar; tar=$(mktemp "$CACHE/base.XXXXXX")
  cp "$tree" "$tar"
  tar -C "$add" -rf "$tar" ./usr/local/bin/node
  quiet docker import --change "LABEL dev.shiplog.node=$2" --change 'CMD ["node"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' "$tar" "$BASE_IMAGE"
  rm -f "$tar"
  rm -r "$add"
}

# ---------------------------------------------------------------- main
SERVICES=(tools docker rsyslog packaging "${ES_NODES[@]}")

# Sets up one service in a subshell with errexit live inside (not in an
# if/||, which would disable it), so one failing service neither aborts nor
# hides the others. The lock serialises concurrent runs for the same service.
run_service() { # name; returns its status
  local svc=$1 start=$SECONDS rc
  LOG=$(setup_log "$svc")
  log "$svc: checking"
  set +e
  (
    set -e
    exec 9>"$STATE/$svc.lock"
    flock 9
    printf '\n=== %s up.sh %s (pid %d)\n' "$(date -Is)" "$svc" "$$" >>"$LOG"
    if [[ $svc == elasticsearch* ]]; then es_up "$svc"; else "up_$svc"; fi
  )
  rc=$?
  set -e
  if ((rc == 0)); then
    log "$svc: ready ($((SECONDS - start)) s)"
  else
    log "$svc: FAILED after $((SECONDS - start)) s (setup log: $LOG)"
  fi
  return "$rc"
}

main() {
  local services=("${@:-all}")
  [[ ${services[0]} == all ]] && services=(tools docker rsyslog "${ES_NODES[@]}")
  mkdir -p "$STATE"
  local svc s failed=() known
  for svc in "${services[@]}"; do
    known=0
    for s in "${SERVICES[@]}"; do [[ $svc == "$s" ]] && known=1; done
    ((known)) || fail "unknown service: $svc"
  done
  # Package installs share one dpkg lock: those services go one after the
  # other. Elasticsearch nodes start side by side, each in the background,
  # so a second and third node cost little more wall time than the first.
  local -A pids=()
  for svc in "${services[@]}"; do
    if [[ $svc == elasticsearch* ]]; then
      run_service "$svc" &
      pids[$svc]=$!
    else
      run_service "$svc" || failed+=("$svc")
    fi
  done
  for svc in "${!pids[@]}"; do
    wait "${pids[$svc]}" || failed+=("$svc")
  done
  if ((${#failed[@]})); then
    log "not available: ${failed[*]} (logs under $STATE)"
    exit 1
  fi
}

main "$@"
