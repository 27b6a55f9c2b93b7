#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests and benchmarks: Debian's postgresql package
# (installed when missing), a new cluster in a folder of the caller's, run as the
# unprivileged user postgres, listening on a Unix socket in that folder only (no TCP).
#
#   bash scripts/postgres.sh install     # installs the package, if missing
#   bash scripts/postgres.sh start DIR   # prints the server's URL (database "fonds");
#                                        # a DIR used before is started with its databases
#   bash scripts/postgres.sh restart DIR # stops and starts it again (the tests' fault)
#   bash scripts/postgres.sh stop DIR    # stops it; DIR can then be removed
set -euo pipefail
action=${1:?usage: postgres.sh install|start|restart|stop DIR}
dir=${2:-}
port=${FONDS_PG_PORT:-54329}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] && [ "$action" != stop ]; then
    echo "installing Debian's postgresql package" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi

# The server refuses to run as root: as root, run its programs as the postgres user.
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$action" in
install) ;;
start)
    dir=${dir:?usage: postgres.sh start DIR}
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
    fresh=0
    if [ ! -f "$dir/data/PG_VERSION" ]; then   # a folder used before keeps its databases
        as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 \
            --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
        fresh=1
    fi
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
        -o "-c listen_addresses='' -k $dir -p $port -c fsync=off -c max_connections=200" >&2
    if [ "$fresh" = 1 ]; then as_owner "$bin/createdb" -h "$dir" -p "$port" -U postgres fonds; fi
    echo "postgresql://postgres@/fonds?host=$dir&port=$port"
    ;;
restart)
    dir=${dir:?usage: postgres.sh restart DIR}
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m immediate -w -t 60 restart >&2
    ;;
stop)
    dir=${dir:?usage: postgres.sh stop DIR}
    if [ -n "$bin" ] && [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2
    fi
    ;;
*)
    echo "usage: postgres.sh install|start|restart|stop DIR" >&2
    exit 2
    ;;
esac
