#!/usr/bin/env bash
# Start or stop the private stack the integration suites run against: the
# real MariaDB, nginx and FastCGI programs of deploy/devstack.sh, pointed at
# the fake providers, on ports picked here.  Writes tests/var/stack/env.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VAR=${STACK_DIR:-$ROOT/tests/var/stack}
ENVF=$VAR/env
BUILD=${BUILD:-build}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

start_fake() {	# name script args...
	local name=$1 script=$2
	shift 2
	rm -f "$VAR/run/$name.port"
	python3 "$ROOT/tests/fakes/$script" --port 0 \
	    --port-file "$VAR/run/$name.port" "$@" >>"$VAR/log/$name.log" 2>&1 &
	echo $! >"$VAR/run/$name.pid"
	for _ in $(seq 1 100); do
		[ -s "$VAR/run/$name.port" ] && return 0
		sleep 0.1
	done
	echo "stack: $name did not start" >&2
	exit 1
}

case ${1:-} in
start)
	"$0" stop >/dev/null 2>&1 || true
	rm -rf "$VAR"
	mkdir -p "$VAR/run" "$VAR/log"
	start_fake fluent fake_fluent.py --tickets 0 --timezone Asia/Dhaka \
	    --user wpuser --password "abcd efgh ijkl mnop" --quiet
	start_fake fresh fake_fresh.py --api-key testkey --tickets 0 --quiet
	port=$(free_port)
	export DESKHUB_VAR=$VAR DESKHUB_LISTEN=127.0.0.1:$port
	export DESKHUB_ADMIN_USER=admin DESKHUB_ADMIN_PASSWORD=test-admin-secret-42
	export FLUENT_API_URL=http://127.0.0.1:$(cat "$VAR/run/fluent.port")
	export FLUENT_API_USERNAME=wpuser FLUENT_API_PASSWORD="abcd efgh ijkl mnop"
	export FRESH_ENDPOINT=http://127.0.0.1:$(cat "$VAR/run/fresh.port")/api/v2/
	export FRESH_API=testkey
	export FRESH_IDS_FILE=$VAR/IDs.txt
	export DESKHUB_HTTP_TIMEOUT=3000 DESKHUB_HTTP_CONNECT_TIMEOUT=1000
	export DESKHUB_HTTP_RETRIES=2 DESKHUB_HTTP_MAX_WAIT=5
	export FLUENT_PER_PAGE=${FLUENT_PER_PAGE:-50}
	# The business timezone of every suite: not UTC and with DST.
	export DESKHUB_TIMEZONE=America/New_York
	BUILD=$BUILD "$ROOT/deploy/devstack.sh" start >"$VAR/log/start.log" ||
	    { cat "$VAR/log/start.log" >&2; exit 1; }
	cat >"$ENVF" <<ENV
BASE=http://127.0.0.1:$port
ADMIN_USER=admin
ADMIN_PASS=test-admin-secret-42
FLUENT_FAKE=$FLUENT_API_URL
FRESH_FAKE=http://127.0.0.1:$(cat "$VAR/run/fresh.port")
DB_SOCKET=$VAR/run/mysqld.sock
DB_ADMIN=$(id -un)
STACK_VAR=$VAR
STACK_BUILD=$BUILD
ENV
	echo "test stack on http://127.0.0.1:$port"
	;;
stop)
	[ -d "$VAR" ] || exit 0
	DESKHUB_VAR=$VAR "$ROOT/deploy/devstack.sh" stop || true
	for f in "$VAR"/run/fluent.pid "$VAR"/run/fresh.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
	done
	;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac
