#!/usr/bin/env bash
# Runs every mauth check and test: gofmt, go vet, a cgo-free build, and
# `go test -race` against a throwaway PostgreSQL cluster that this script
# installs (Debian, when missing), starts and always removes again, and
# Debian's chromium for the browser tests (installed when missing).
#
# Usage:
#   scripts/test.sh                       # everything (./...)
#   scripts/test.sh ./cmd/... ./internal/...  # only these packages
#   scripts/test.sh -run Foo ./protocol/  # extra go test flags
#
# Arguments are passed to `go test`. Package patterns among them (starting
# with ./ ../ or github.com/mauth/mauth) replace ./... for every step; when
# none is given, ./... is used.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

section() { printf '\n==> %s\n' "$*"; }
die() { printf 'scripts/test.sh: %s\n' "$*" >&2; exit 1; }

# --- arguments --------------------------------------------------------------
packages=()
for arg in "$@"; do
	case "$arg" in
	./* | ../* | . | github.com/mauth/mauth*) packages+=("$arg") ;;
	esac
done
if ((${#packages[@]} == 0)); then
	packages=(./...)
	set -- "$@" ./...
fi
# Directories gofmt checks: each package pattern as a directory.
fmt_dirs=()
for p in "${packages[@]}"; do
	p=${p#github.com/mauth/mauth}
	[[ "$p" == /* ]] && p=".$p"
	p=${p%...}
	p=${p%/}
	fmt_dirs+=("${p:-.}")
done

# --- system packages --------------------------------------------------------
as_root() {
	if ((EUID == 0)); then "$@"; else die "need root to run: $* (install it yourself, then re-run)"; fi
}
apt_install() {
	command -v apt-get >/dev/null || die "apt-get not found; install: $*"
	section "installing $* (apt-get)"
	as_root apt-get update -q
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

find_pg_bin() {
	ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true
}
PG_BIN=$(find_pg_bin)
if [[ -z "$PG_BIN" ]]; then
	apt_install postgresql
	PG_BIN=$(find_pg_bin)
	[[ -n "$PG_BIN" ]] || die "PostgreSQL server binaries not found under /usr/lib/postgresql after install"
fi

# go test -race needs cgo and therefore a C compiler.
if ! command -v "$(go env CC)" >/dev/null 2>&1; then
	apt_install gcc libc6-dev
fi

# Browser tests (internal/testutil/browsertest) drive Debian's headless
# Chromium; a missing browser fails them here instead of skipping.
if ! command -v chromium >/dev/null 2>&1 && [[ -z "${MAUTH_TEST_CHROMIUM:-}" ]]; then
	apt_install chromium
fi
export MAUTH_TEST_REQUIRE_BROWSER=1

# --- throwaway PostgreSQL cluster -------------------------------------------
PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mauth-pg.XXXXXX")
PG_STARTED=0
cleanup() {
	local rc=$?
	if ((PG_STARTED)); then
		(cd "$PG_DIR" && as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1) || true
	fi
	rm -rf "$PG_DIR"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The server refuses to run as root: run it as the postgres user then.
if ((EUID == 0)); then
	id postgres >/dev/null 2>&1 || die "user postgres does not exist (is the postgresql package installed?)"
	chown postgres: "$PG_DIR"
	as_pg() { runuser -u postgres -- "$@"; }
else
	as_pg() { "$@"; }
fi

section "PostgreSQL: throwaway cluster in $PG_DIR ($PG_BIN)"
(cd "$PG_DIR" && as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust --no-sync \
	-E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1) ||
	{ cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PG_PORT=
for port in $(seq 55432 55531); do
	port_busy "$port" && continue
	if (cd "$PG_DIR" && as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 300 \
		-o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c full_page_writes=off -c synchronous_commit=off" \
		start >/dev/null); then
		PG_STARTED=1
		PG_PORT=$port
		break
	fi
	# Lost a race for the port (or another failure): show why, try the next.
	tail -n 5 "$PG_DIR/server.log" >&2 || true
done
[[ -n "$PG_PORT" ]] || die "could not start PostgreSQL on any port in 55432-55531"

export MAUTH_TEST_POSTGRES_DSN="postgres://postgres@127.0.0.1:${PG_PORT}/postgres?sslmode=disable"
export MAUTH_TEST_REQUIRE_POSTGRES=1
echo "MAUTH_TEST_POSTGRES_DSN=$MAUTH_TEST_POSTGRES_DSN"

# --- checks -----------------------------------------------------------------
section "gofmt -l ${fmt_dirs[*]}"
unformatted=$(gofmt -l "${fmt_dirs[@]}")
if [[ -n "$unformatted" ]]; then
	printf 'not gofmt-formatted (run gofmt -w):\n%s\n' "$unformatted" >&2
	exit 1
fi

# goimports -local: the standard library, third-party modules and this
# module in groups of their own (internal/archtest's TestImportGroups also
# catches mixed groups goimports keeps). The version is pinned; go run
# fetches it into the module cache once.
GOIMPORTS=golang.org/x/tools/cmd/goimports@v0.52.0
section "goimports -local github.com/mauth/mauth -l ${fmt_dirs[*]}"
unsorted=$(go run "$GOIMPORTS" -local github.com/mauth/mauth -l "${fmt_dirs[@]}")
if [[ -n "$unsorted" ]]; then
	printf 'imports not grouped (run go run %s -local github.com/mauth/mauth -w FILE):\n%s\n' "$GOIMPORTS" "$unsorted" >&2
	exit 1
fi

section "go vet ${packages[*]}"
go vet "${packages[@]}"

section "CGO_ENABLED=0 go build ${packages[*]}"
CGO_ENABLED=0 go build -o /dev/null "${packages[@]}"

section "go test -race -count=1 -timeout 45m $*"
CGO_ENABLED=1 go test -race -count=1 -timeout 45m "$@"

section "all checks and tests passed"
