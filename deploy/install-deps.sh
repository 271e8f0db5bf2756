#!/bin/sh
# Install the Debian packages Deskhub needs, only those missing.  A
# Node.js installed from elsewhere (with its own npm) is kept: Debian's npm
# would conflict with it.
#   deploy/install-deps.sh          build and run (make run)
#   deploy/install-deps.sh --test   also what the test suites use
set -eu

pkgs="build-essential pkg-config libfcgi-dev libcurl4-openssl-dev
libmariadb-dev libsodium-dev libjansson-dev libcmocka-dev mariadb-server
mariadb-client nginx curl jq openssl python3 tzdata ca-certificates procps"
# The dashboard's chart library comes from the npm registry.
command -v node >/dev/null || pkgs="$pkgs nodejs"
command -v npm >/dev/null || pkgs="$pkgs npm"
if [ "${1:-}" = "--test" ]; then
	pkgs="$pkgs wrk sqlmap clang libclang-rt-14-dev chromium valgrind libfcgi-bin"
fi

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "installing:$missing"
sudo=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || {
		echo "install-deps: not root and no sudo; install:$missing" >&2
		exit 1
	}
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# Packages must not start their system services: Deskhub runs its own.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
	$sudo chmod 755 /usr/sbin/policy-rc.d
	cleanup=1
fi
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
[ "${cleanup:-0}" = 1 ] && $sudo rm -f /usr/sbin/policy-rc.d
exit 0
