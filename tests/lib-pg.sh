# tests/lib-pg.sh - a fresh PostgreSQL server for a test, stopped and
# removed when the test exits. Source after lib.sh, then:
#   pg_start       initdb in a temporary directory and start it on a free
#                  loopback port; exports PG_PORT, PG_DIR, PG_PASSWORD,
#                  PG_URL (no password in it) and PG_LOG
#   pg_psql SQL    runs SQL in database hh as user hh; prints the result
#   pg_stop        stops the server early (again is harmless)
# As root the server runs as nobody (postgres refuses to run as root).

PG_BIN=
PG_DIR=
PG_PORT=
PG_PASSWORD=
PG_URL=
PG_LOG=
_pg_user=

# A test without lib.sh still fails loudly.
type bail >/dev/null 2>&1 || bail() { echo "Bail out! $*"; exit 1; }

# _pg_bindir: the server's binaries: pg_config's, else the newest installed.
_pg_bindir() {
    local dir
    dir=$(pg_config --bindir 2>/dev/null)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
        printf '%s' "$dir"
        return 0
    fi
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5n | tail -n 1)
    [ -n "$dir" ] && [ -x "$dir/initdb" ] && printf '%s' "$dir"
}

# _pg_as CMD...: runs CMD as the server's user.
_pg_as() {
    if [ -n "$_pg_user" ]; then
        (cd "$PG_DIR" && runuser -u "$_pg_user" -- "$@")
    else
        (cd "$PG_DIR" && "$@")
    fi
}

# _pg_free_port: a TCP port on 127.0.0.1 nobody listens on right now.
_pg_free_port() {
    perl -MIO::Socket::INET -e '
        my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 1, ReuseAddr => 1)
            or die "no free port: $!\n";
        print $s->sockport;'
}

_pg_fail() {
    echo "lib-pg: $*" >&2
    if [ -n "$PG_LOG" ] && [ -s "$PG_LOG" ]; then
        sed 's/^/lib-pg: server log: /' "$PG_LOG" >&2
    fi
    bail "PostgreSQL: $*"
}

pg_start() {
    _pg_cleanup
    PG_BIN=$(_pg_bindir) || _pg_fail "no PostgreSQL server found (pg_config --bindir, /usr/lib/postgresql/*/bin)"
    PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/hh-pg.XXXXXX") || _pg_fail "cannot make a temporary directory"
    chmod 755 "$PG_DIR"
    PG_LOG=$PG_DIR/server.log
    : > "$PG_LOG"
    PG_PASSWORD=$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')
    local pwfile=$PG_DIR/pwfile
    (umask 077 && printf '%s\n' "$PG_PASSWORD" > "$pwfile")
    if [ "$(id -u)" -eq 0 ]; then
        _pg_user=nobody
        # The directory holds the socket and the log: the server writes there.
        chown "$_pg_user" "$PG_DIR" "$PG_LOG" "$pwfile"
        runuser -u "$_pg_user" -- test -w "$PG_DIR" ||
            _pg_fail "$_pg_user cannot write to $PG_DIR (is ${TMPDIR:-/tmp} open to other users?)"
    fi
    _pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U hh --auth=scram-sha-256 --pwfile="$pwfile" \
        -E UTF8 --no-instructions > "$PG_DIR/initdb.log" 2>&1
    local rc=$?
    rm -f "$pwfile"
    if [ $rc -ne 0 ]; then
        cat "$PG_DIR/initdb.log" >&2
        _pg_fail "initdb failed"
    fi
    local tries=0
    while :; do
        PG_PORT=$(_pg_free_port) || _pg_fail "no free port"
        # Appended last, so these win over initdb's defaults (and a retry's).
        printf "listen_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = '%s'\nmax_connections = 50\n" \
            "$PG_PORT" "$PG_DIR" >> "$PG_DIR/data/postgresql.conf"
        _pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -w -t 60 -l "$PG_LOG" start > /dev/null 2>&1 && break
        tries=$((tries + 1))
        # Another process may have taken the port in between: try another.
        if [ $tries -lt 3 ] && grep -q 'could not bind\|Address already in use' "$PG_LOG"; then
            continue
        fi
        _pg_fail "the server did not start"
    done
    PG_URL="postgresql://hh@127.0.0.1:$PG_PORT/hh"
    export PG_PORT PG_DIR PG_PASSWORD PG_URL PG_LOG
    PGPASSWORD=$PG_PASSWORD "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U hh hh 2>> "$PG_LOG" ||
        _pg_fail "createdb hh failed"
}

pg_psql() {
    PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=10 "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 \
        -h 127.0.0.1 -p "$PG_PORT" -U hh -d hh -c "$1"
}

pg_stop() {
    [ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ] || return 0
    _pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop > /dev/null 2>&1
}

# At exit: the server stopped, its directory removed. lib.sh's EXIT trap
# calls cleanup (as do tests that set their own), so it runs in there.
_pg_cleanup() {
    pg_stop
    [ -n "$PG_DIR" ] && rm -rf "$PG_DIR"
    PG_DIR=
}
if declare -F cleanup > /dev/null && ! declare -F _pg_cleanup_before > /dev/null; then
    eval "_pg_cleanup_before() $(declare -f cleanup | tail -n +2)"
    cleanup() { _pg_cleanup; _pg_cleanup_before; }
elif ! declare -F cleanup > /dev/null; then
    _pg_third() { printf '%s' "${3:-}"; } # trap -p prints: trap -- 'CMD' EXIT
    trap "_pg_cleanup; $(eval "_pg_third $(trap -p EXIT)")" EXIT
fi
