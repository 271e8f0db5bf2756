#!/usr/bin/env bash
# Install the dashboard's npm packages (exactly as package-lock.json says)
# when node_modules is missing or stale, and copy the browser builds the
# dashboard loads into htdocs/vendor/ (gitignored).  Nothing is loaded from
# the internet at run time: every asset is served by nginx from htdocs/.
#   deploy/vendor.sh            install if needed, then copy
#   deploy/vendor.sh --force    always run npm ci
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

command -v npm >/dev/null || {
	echo "vendor: npm not found (apt-get install nodejs npm)" >&2
	exit 1
}

stamp=node_modules/.deskhub-lock.sha256
want=$(sha256sum package.json package-lock.json | sha256sum | cut -d' ' -f1)
have=$(cat "$stamp" 2>/dev/null || true)
if [ "${1:-}" = --force ] || [ "$want" != "$have" ] ||
    [ ! -f node_modules/chart.js/dist/chart.umd.min.js ] ||
    [ ! -f node_modules/playwright-core/package.json ]; then
	echo "vendor: npm ci" >&2
	npm ci --no-audit --no-fund >&2
	echo "$want" >"$stamp"
fi

mkdir -p htdocs/vendor
src=node_modules/chart.js/dist/chart.umd.min.js
dst=htdocs/vendor/chart.umd.min.js
if ! cmp -s "$src" "$dst"; then
	cp "$src" "$dst.tmp"
	mv "$dst.tmp" "$dst"
fi
cp node_modules/chart.js/LICENSE.md htdocs/vendor/chart.LICENSE.md 2>/dev/null || true
echo "vendor: chart.js $(node -p 'require("./node_modules/chart.js/package.json").version' 2>/dev/null || echo '?') in htdocs/vendor" >&2
