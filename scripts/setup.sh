#!/usr/bin/env bash
# Installs what heaptrail needs to build and test, from Debian 12 packages.
# Only missing packages are installed; run as root (or it uses sudo).
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config binutils zstd dwz
  libunwind-dev libmimalloc-dev libabsl-dev libgtest-dev libzstd-dev libdw-dev
  libdeflate-dev              # inflates compressed debug sections faster than libelf
  nlohmann-json3-dev libcli11-dev
  python3 heaptrack sqlite3   # benchmarks and the heaptrack comparisons
  zlib1g-dev                  # gzip for pprof exports
  golang-go valgrind chromium chromium-driver  # export and HTML tests: go tool pprof, ms_print, a browser
  libc6-dbg                   # glibc's debug info: its frames in the golden report test
  git sqlite3 perl nodejs     # the real-program tests
  curl openjdk-17-jdk-headless util-linux  # more real programs: curl, java, unshare
  libjemalloc2 libgoogle-perftools4         # programs linked with jemalloc, tcmalloc
  clang libclang-rt-14-dev    # the fuzz targets (clang 14's libFuzzer and sanitizer runtimes)
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "heaptrail setup: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
