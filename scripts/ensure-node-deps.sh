#!/usr/bin/env bash
# Installs what the interop tests (tests/interop, marker oidc_provider) need to run oidc-provider:
#  - the npm packages of tests/interop/oidc_provider, exactly as pinned by its package-lock.json (npm ci);
#  - a Node.js new enough for it, only when the machine's own is too old: the `node` package from the npm
#    registry, installed into that folder (node_modules/.bin/node), which the tests then prefer.
# oidc-provider 9 asks for Node.js 22 but runs on 20 (it prints "Unsupported runtime", which is harmless),
# so Node.js >= 20 on PATH is used as is. NBAUTH_LOCAL_NODE=1 forces the local Node.js 22.
# Idempotent and quick when nothing changed: a stamp records the lock file's hash and the Node.js choice.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=tests/interop/oidc_provider
min_major=20
local_node_package="node@22.23.3"

if ! command -v npm >/dev/null 2>&1; then
    echo "ensure-node-deps: npm is not installed; run scripts/ensure-system-packages.sh (scripts/test does)" >&2
    exit 1
fi

system_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
use_local_node=0
if [ "${NBAUTH_LOCAL_NODE:-0}" = "1" ] || [ "$system_major" -lt "$min_major" ]; then
    use_local_node=1
fi

stamp="$dir/node_modules/.nbauth-stamp"
want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1) local-node=$use_local_node $local_node_package"
if [ -f "$dir/node_modules/oidc-provider/package.json" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    exit 0
fi

echo "ensure-node-deps: installing the npm packages of $dir (npm ci)" >&2
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)

if [ "$use_local_node" = "1" ]; then
    echo "ensure-node-deps: installing $local_node_package from npm (Node.js on PATH: ${system_major}, need ${min_major})" >&2
    (cd "$dir" && npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error "$local_node_package")
    if ! "$dir/node_modules/.bin/node" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 22 ? 0 : 1)'; then
        echo "ensure-node-deps: the local Node.js in $dir/node_modules/.bin/node does not run" >&2
        exit 1
    fi
fi

echo "$want" >"$stamp"
