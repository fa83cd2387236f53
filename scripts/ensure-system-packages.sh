#!/usr/bin/env bash
# Installs the Debian packages the tests need when their commands are missing: Chromium for the browser tests
# (Playwright cannot download its own browser here) and Node.js with npm for the oidc-provider interop server.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
else
    echo "Missing ${missing[*]}, which needs root to install: run 'apt-get install ${missing[*]}' as root." >&2
    exit 1
fi
echo "Installing ${missing[*]} from the Debian packages" >&2
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
