#!/usr/bin/env bash
# Debian packages the test suite needs; installs only what is missing, so it is idempotent.
set -euo pipefail
# chromium + chromium-driver: the dashboard's browser tests (Playwright drives /usr/bin/chromium)
declare -A wanted=( [Rscript]=r-base-core [dot]=graphviz [openssl]=openssl [chromium]=chromium [chromedriver]=chromium-driver )
missing=()
for cmd in "${!wanted[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("${wanted[$cmd]}")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "system-packages: need ${missing[*]}; run as root or install them: apt-get install ${missing[*]}" >&2
    exit 1
fi
echo "system-packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
