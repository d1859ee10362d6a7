#!/usr/bin/env bash
# `make test`: migrations check + the whole pytest suite against real PostgreSQL and Redis.
#
#  * PostgreSQL / Redis: used as they are when something listens on 127.0.0.1:5432 / 6379; otherwise
#    scripts/services.sh starts private ones and they are stopped again on exit (only those).
#  * Chromium for the Playwright browser tests: apt-get install chromium when /usr/bin/chromium is missing.
#  * Databases: DATABASE_URL defaults to .../maternal_safety_ci (pytest-django creates and drops
#    test_maternal_safety_ci); Redis DB 8 (TEST_REDIS_URL). Nothing else on the shared servers is touched.
#
# usage: scripts/test.sh [pytest args...]     (make test ARGS="...")
# The virtualenv (.venv, dev extras) is created by `make test` before this script runs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY="$ROOT/.venv/bin/python"
[ -x "$PY" ] || { echo "error: $PY missing; run 'make test' (it creates the virtualenv)" >&2; exit 1; }

log() { echo "[test] $*"; }

# --- services -----------------------------------------------------------------------------------------
cleanup() { scripts/services.sh down || true; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
scripts/services.sh up

# --- browser for end-to-end tests ---------------------------------------------------------------------
if [ ! -x /usr/bin/chromium ]; then
  SUDO=()
  if [ "$(id -u)" != 0 ]; then
    if sudo -n true 2>/dev/null; then SUDO=(sudo -n); else
      echo "error: /usr/bin/chromium is missing and installing it needs root: sudo apt-get install -y chromium" >&2
      exit 1
    fi
  fi
  log "installing Chromium (apt-get install -y chromium)"
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq chromium >/dev/null
fi

# --- CJK fonts, so screenshots taken by the browser tests show Chinese rather than boxes ------------------
if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=zh 2>/dev/null | head -1)" ] && [ "$(id -u)" = 0 ]; then
  log "installing fonts-noto-cjk (apt-get)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null || log "fonts-noto-cjk not installed"
fi

# --- environment ----------------------------------------------------------------------------------------
export DJANGO_SETTINGS_MODULE=maternal_safety.settings.test
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/maternal_safety_ci}
export TEST_REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/8}
export DJANGO_ALLOW_ASYNC_UNSAFE=true
export PYTHONDONTWRITEBYTECODE=1
log "DATABASE_URL=$DATABASE_URL TEST_REDIS_URL=$TEST_REDIS_URL"

# The base database must exist for makemigrations' consistency check (pytest-django makes its own).
"$PY" - <<'PYEOF'
import os
import environ, psycopg
from psycopg import sql
cfg = environ.Env.db_url_config(os.environ["DATABASE_URL"])
params = dict(host=cfg.get("HOST") or cfg.get("OPTIONS", {}).get("host") or None, port=cfg.get("PORT") or None,
              user=cfg.get("USER") or None, password=cfg.get("PASSWORD") or None, dbname="postgres")
with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True, connect_timeout=10) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]).fetchone():
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(cfg["NAME"])))
        print(f"[test] created database {cfg['NAME']}")
PYEOF

# --- checks -------------------------------------------------------------------------------------------
log "manage.py makemigrations --check --dry-run"
"$PY" manage.py makemigrations --check --dry-run

log "pytest --create-db $*"
set +e
"$PY" -m pytest --create-db "$@"
rc=$?
set -e
# exit status 5 (no tests collected) is a failure here too: it is non-zero and propagated as is.
[ "$rc" = 0 ] && log "passed" || log "pytest exited with status $rc"
exit "$rc"
