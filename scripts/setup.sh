#!/usr/bin/env bash
# Installs the Debian packages dbvp needs, only those missing. Idempotent; safe to run again.
set -euo pipefail

packages=(
  cmake g++ pkg-config make
  libsystemc-dev verilator
  libgtest-dev libgmock-dev libbenchmark-dev
  libfdt-dev device-tree-compiler
  nlohmann-json3-dev libcli11-dev
  chromium  # headless, for tests/platform/test_html.cpp (it renders the --html pages)
  clang libclang-rt-14-dev  # libFuzzer targets (tests/fuzz, scripts/fuzz.sh)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
