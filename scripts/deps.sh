#!/usr/bin/env bash
# Installs the Debian packages hotpath's scripts need, only those missing (idempotent, and quick
# when everything is there). Sourced by test.sh and bench.sh; usable on its own:
#   scripts/deps.sh core test bench
set -euo pipefail

hotpath_pkgs_core=(g++ clang cmake ninja-build pkg-config libboost1.81-dev libconcurrentqueue-dev
  zlib1g-dev libbz2-dev liblzma-dev)
# The stream tests compare against the real command-line tools (gzip, bzip2, xz, zstd) and
# cover both gzip inflaters (zlib and ISA-L), the optional zstd codec and the simdjson JSON
# Lines reader. clang's libFuzzer runtime is only recommended by clang, so it is named here: the
# fuzz targets are built (and smoke-run in CI) only when it is there.
hotpath_pkgs_test=(libgtest-dev libbenchmark-dev libtbb-dev libcuckoo-dev curl gzip bzip2 xz-utils
  zstd libisal-dev libsimdjson-dev libzstd-dev libclang-rt-14-dev)
# The stream benchmarks time the command-line peers (gzip, igzip, xz, bzip2, lbzip2, zstd, wc,
# Python, pandas) with hyperfine.
hotpath_pkgs_bench=(libbenchmark-dev libtbb-dev libcuckoo-dev gnuplot-nox python3 gzip bzip2
  xz-utils zstd libzstd-dev libisal-dev isal lbzip2 libsimdjson-dev hyperfine python3-pandas)

hotpath_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

hotpath_as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo > /dev/null; then sudo "$@"
  else
    echo "hotpath: need root (or sudo) to run: $*" >&2
    return 1
  fi
}

hotpath_apt_updated=0
hotpath_apt_update() {
  if [ "$hotpath_apt_updated" = 0 ]; then
    hotpath_as_root apt-get update -qq
    hotpath_apt_updated=1
  fi
}

# hotpath_install_packages PKG...: apt-get install the ones dpkg does not list as installed.
hotpath_install_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "hotpath: installing ${missing[*]}"
  hotpath_apt_update
  hotpath_as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# promtool lints the Prometheus exposition in the tests. It ships in Debian's prometheus
# package, whose install would also start a Prometheus server, so hotpath unpacks the tool alone
# into build/tools unless one is already on PATH.
hotpath_ensure_promtool() {
  local root tools
  root=$(hotpath_root)
  tools="$root/build/tools"
  command -v promtool > /dev/null && return 0
  [ -x "$tools/usr/bin/promtool" ] && return 0
  hotpath_apt_update
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq prometheus 2> /dev/null) ||
    (chmod 777 "$tmp" && cd "$tmp" && hotpath_as_root apt-get download -qq prometheus)
  mkdir -p "$tools"
  dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/x"
  mkdir -p "$tools/usr/bin"
  cp "$tmp/x/usr/bin/promtool" "$tools/usr/bin/promtool"
  rm -rf "$tmp"
  echo "hotpath: unpacked promtool into build/tools"
}

# hotpath_deps GROUP...: core, test, bench.
hotpath_deps() {
  local pkgs=()
  for group in "$@"; do
    case "$group" in
      core) pkgs+=("${hotpath_pkgs_core[@]}") ;;
      test) pkgs+=("${hotpath_pkgs_test[@]}") ;;
      bench) pkgs+=("${hotpath_pkgs_bench[@]}") ;;
      *) echo "hotpath: unknown dependency group '$group'" >&2; return 1 ;;
    esac
  done
  hotpath_install_packages "${pkgs[@]}"
  for group in "$@"; do
    [ "$group" = test ] && hotpath_ensure_promtool
  done
  return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  hotpath_deps "${@:-core test bench}"
fi
