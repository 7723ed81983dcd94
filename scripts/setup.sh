#!/usr/bin/env bash
# Installs the Debian 12 packages mnlp's build, tests and fuzzers need.
# Idempotent and non-interactive; installs nothing that is already there.
set -euo pipefail

packages=(
    build-essential   # gcc, make, libc headers
    cmake             # the build
    ninja-build       # the build backend
    clang             # the second compiler, sanitizer and fuzzer builds
    libclang-rt-dev   # AddressSanitizer, UndefinedBehaviorSanitizer and libFuzzer runtimes
    pkg-config        # finds the libraries below
    libonig-dev       # Oniguruma: the regex engine the tokenizers library uses
    libutf8proc-dev   # Unicode normalization and character properties
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all packages present"
    exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
