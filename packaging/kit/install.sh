#!/usr/bin/env bash
# shiplog offline kit: installs, upgrades or rolls back shiplog on this host.
#   ./install.sh              first install (nothing happens if this version is installed)
#   ./install.sh --upgrade    replace the installed version with this kit's
#   ./install.sh --rollback   go back to the version installed before the last upgrade
# Before it loads or copies anything, it checks the kit: SHA256SUMS against
# its SSH signature (the vendor's release key, pinned in /etc/shiplog on the
# first install), then every file against SHA256SUMS. Configuration
# (/etc/shiplog) and data (/var/lib/shiplog, /var/lib/shiplog-collector) are
# never touched. Safe to run again.
set -euo pipefail
PATH=/usr/sbin:/usr/bin:/sbin:/bin

readonly KIT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
readonly STATE=/var/lib/shiplog-kit
readonly SIGNERS=/etc/shiplog/kit-signers
readonly PRINCIPAL=shiplog-release
readonly NAMESPACE=shiplog-kit

say() { printf 'shiplog kit: %s\n' "$*"; }
die() { printf 'shiplog kit: ERROR: %s\n' "$*" >&2; exit 1; }

mode=install
case ${1:-} in
  '') ;;
  --upgrade) mode=upgrade ;;
  --rollback) mode=rollback ;;
  -h | --help) sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown option '$1' (use --upgrade, --rollback or nothing)" ;;
esac
(($# <= 1)) || die "one option at most"
((EUID == 0)) || die "run as root (sudo ./install.sh)"

# ------------------------------------------------------------ verify first
verify_kit() {
  cd "$KIT"
  [[ -f SHA256SUMS && -f SHA256SUMS.sig ]] || die "SHA256SUMS or SHA256SUMS.sig is missing: this is not a complete kit"
  local signers=$SIGNERS
  if [[ ! -f $signers ]]; then
    signers=$KIT/allowed_signers
    say "first install: trusting the release key in this kit:"
    ssh-keygen -l -f <(cut -d' ' -f3- "$signers") | sed 's/^/  /'
    say "compare that fingerprint with the one your vendor sent you"
  fi
  ssh-keygen -Y verify -f "$signers" -I "$PRINCIPAL" -n "$NAMESPACE" -s SHA256SUMS.sig <SHA256SUMS >/dev/null 2>&1 ||
    die "the signature of SHA256SUMS does not verify against $signers: the kit was altered or is not from your vendor; nothing was installed"
  sha256sum --quiet --strict -c SHA256SUMS ||
    die "a file of the kit does not match SHA256SUMS: the kit is damaged or altered; nothing was installed"
  local listed
  for listed in VERSION install.sh allowed_signers; do
    grep -q "  $listed\$" SHA256SUMS || die "$listed is not covered by SHA256SUMS; nothing was installed"
  done
}

verify_kit
readonly VERSION=$(<"$KIT/VERSION")
[[ $VERSION =~ ^[0-9A-Za-z.+~-]+$ ]] || die "VERSION holds no version"
readonly DEB=shiplog_${VERSION}_amd64.deb RPM=shiplog-${VERSION}-1.x86_64.rpm

# ------------------------------------------------------------ the package
if command -v dpkg-query >/dev/null && dpkg-query -W dpkg >/dev/null 2>&1; then
  packager=deb package=$DEB
elif command -v rpm >/dev/null; then
  packager=rpm package=$RPM
else
  die "neither dpkg nor rpm is here"
fi

installed_version() { # the installed shiplog's version, or nothing
  if [[ $packager == deb ]]; then
    [[ $(dpkg-query -W -f '${db:Status-Status}' shiplog 2>/dev/null || true) == installed ]] &&
      dpkg-query -W -f '${Version}' shiplog | sed 's/-1$//'
  else
    rpm -q --qf '%{VERSION}' shiplog 2>/dev/null || true
  fi
  return 0
}

install_package() { # file
  if [[ $packager == deb ]]; then
    # Keep every configuration file as the operator left it, without asking.
    DEBIAN_FRONTEND=noninteractive dpkg -i --force-confold --force-confdef "$1"
  else
    rpm -U --oldpackage --replacepkgs "$1"
  fi
}

keep_release() { # version file: kept for a later rollback
  install -d -m 0755 "$STATE/releases/$1"
  install -m 0644 "$2" "$STATE/releases/$1/"
}

load_images() {
  [[ ${SHIPLOG_KIT_IMAGES:-auto} != no ]] || return 0
  if ! command -v docker >/dev/null || ! docker version >/dev/null 2>&1; then
    say "no Docker engine answers: images not loaded (the host packages need none)"
    return 0
  fi
  local tarball tag
  while read -r tarball tag; do
    if docker image inspect "$tag" >/dev/null 2>&1; then
      say "image $tag is already loaded"
    else
      say "loading image $tag"
      docker load -i "$KIT/$tarball" >/dev/null
    fi
  done <"$KIT/IMAGES"
}

current=$(installed_version)
install -d -m 0755 "$STATE" /etc/shiplog
[[ -f $SIGNERS ]] || install -m 0644 "$KIT/allowed_signers" "$SIGNERS"

case $mode in
  install)
    if [[ $current == "$VERSION" ]]; then
      say "shiplog $VERSION is already installed; nothing to do"
    elif [[ -n $current ]]; then
      die "shiplog $current is installed: run ./install.sh --upgrade to replace it with $VERSION"
    else
      say "installing shiplog $VERSION ($packager)"
      install_package "$KIT/$package"
      keep_release "$VERSION" "$KIT/$package"
      printf '%s\n' "$VERSION" >"$STATE/current"
    fi
    load_images
    ;;
  upgrade)
    [[ -n $current ]] || die "shiplog is not installed: run ./install.sh first"
    if [[ $current == "$VERSION" ]]; then
      say "shiplog $VERSION is already installed; nothing to do"
    else
      [[ -f $STATE/releases/$current/${package/$VERSION/$current} ]] ||
        say "warning: no copy of $current is kept, so --rollback will not be possible"
      say "upgrading shiplog $current to $VERSION ($packager); configuration and data are kept"
      install_package "$KIT/$package"
      keep_release "$VERSION" "$KIT/$package"
      printf '%s\n' "$current" >"$STATE/previous"
      printf '%s\n' "$VERSION" >"$STATE/current"
    fi
    load_images
    ;;
  rollback)
    [[ -f $STATE/previous ]] || die "there was no upgrade to roll back"
    previous=$(<"$STATE/previous")
    [[ -n $previous ]] || die "$STATE/previous is empty"
    old=$STATE/releases/$previous/${package/$VERSION/$previous}
    [[ -f $old ]] || die "the package of $previous is not kept in $STATE/releases"
    if [[ $current == "$previous" ]]; then
      say "shiplog $previous is already installed; nothing to do"
    else
      say "rolling back shiplog ${current:-?} to $previous ($packager); configuration and data are kept"
      install_package "$old"
      printf '%s\n' "$current" >"$STATE/previous"
      printf '%s\n' "$previous" >"$STATE/current"
    fi
    ;;
esac
say "done: $(shiplog --version 2>/dev/null || echo '?') installed; next steps: /opt/shiplog/docs/operators.md"
