#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests in site/ and wasm/.
# Safe to run again: it does nothing when /usr/bin/chromium already exists.
set -euo pipefail

if [[ -x /usr/bin/chromium ]]; then
	echo "browser-deps: /usr/bin/chromium is already installed"
	exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends chromium fonts-dejavu-core
/usr/bin/chromium --version
