#!/usr/bin/env bash
# MyKollector — run the whole product locally (README's run command).
#
#   scripts/demo.sh          build (release), start MariaDB, create/upgrade the
#                            demo database, seed demo data, start Apache on
#                            http://127.0.0.1:${PORT:-8080}/ and return once it answers
#   scripts/demo.sh stop     stop the demo's Apache and fake SMTP server
#   scripts/demo.sh status   say whether the demo is running
#
# Running it again is harmless: the previous instance is stopped first, the
# database, its password and the secrets of .demo/app/.env are reused.
#
# Layout (all untracked, under .demo/):
#   .demo/db_password        password of the MariaDB user mk_demo (reused)
#   .demo/app/.env           configuration (APP_ENV=development), read by the
#                            binary through "SetEnv MK_ENV_FILE" in api/.htaccess
#   .demo/app/{storage,logs,backups}
#   .demo/public_html/       the web root, assembled as on the host
#   .demo/apache/            private Apache: httpd.conf, error.log, access.log
#   .demo/mail/              e-mails "sent" by the app (fake SMTP server), .eml
#
# Knobs: PORT (default 8080), MK_DEMO_MODE (cgid | fastcgi | cgi, default cgid).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

# shellcheck source=lib/instance.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/instance.sh"

mk_enter_repo

PORT="${PORT:-8080}"
MODE="${MK_DEMO_MODE:-cgid}"
DEMO="$MK_REPO_ROOT/.demo"
DB_NAME=mykollector_demo
DB_USER=mk_demo

demo_stop() {
  if mk_apache_running "$DEMO/apache"; then
    mk_log "stopping the demo's Apache"
    mk_apache_stop "$DEMO/apache"
  fi
  mk_stop_pidfile "$DEMO/smtp.pid" fake_smtp.py "the demo's fake SMTP server"
  mk_stop_pidfile "$DEMO/shop.pid" fake_prestashop.py "the demo's fake PrestaShop"
  mk_stop_pidfile "$DEMO/strava.pid" fake_strava.py "the demo's fake Strava"
}

case "${1:-start}" in
  stop)
    demo_stop
    exit 0
    ;;
  status)
    if mk_apache_running "$DEMO/apache"; then
      echo "demo running: http://127.0.0.1:$(cat "$DEMO/apache/port")/ (mode $(cat "$DEMO/apache/mode"))"
    else
      echo "demo not running"
    fi
    exit 0
    ;;
  start) ;;
  *)
    echo "usage: $0 [start|stop|status]" >&2
    exit 2
    ;;
esac

mk_section "dependencies"
ensure_packages "${MK_BASE_PACKAGES[@]}"
ensure_rust_toolchain

mk_section "cargo build --release --bins"
cargo build --release --bins
BIN_API="$MK_TARGET_DIR/release/mykollector"
BIN_ADMIN="$MK_TARGET_DIR/release/mk-admin"

# A previous run may still be up (same ports, same files).
demo_stop
# If this run fails half-way, do not leave half a demo running.
# shellcheck disable=SC2016 # expanded when the cleanup runs
mk_on_exit '[[ "$MK_EXIT_STATUS" == 0 ]] || demo_stop'

mkdir -p "$DEMO"
chmod 755 "$DEMO"
if ! mk_web_user_can_reach "$DEMO"; then
  mk_die "$MK_WEB_USER cannot reach $DEMO: a parent directory of the repository is not
world-executable (e.g. /root). Clone the repository elsewhere (e.g. /srv or /home/you),
or allow traversal: chmod o+x on each parent directory."
fi

mk_section "database"
mk_db_ensure_running
if [[ ! -s "$DEMO/db_password" ]]; then
  (
    umask 077
    mk_random_hex 16 >"$DEMO/db_password"
  )
fi
mk_db_ensure "$DB_NAME" "$DB_USER" "$(cat "$DEMO/db_password")"
mk_log "database $DB_NAME (user $DB_USER) ready"

mk_section "configuration"
APP="$DEMO/app"
ENV_FILE="$APP/.env"
mk_app_root_prepare "$APP"
# Keep the secrets of an earlier run: a new ENCRYPTION_KEY would make the
# encrypted tokens in the database unreadable, a new JWT_SECRET logs everyone out.
JWT_SECRET="" ENCRYPTION_KEY=""
if [[ -f "$ENV_FILE" ]]; then
  JWT_SECRET="$(mk_env_get "$ENV_FILE" JWT_SECRET)"
  ENCRYPTION_KEY="$(mk_env_get "$ENV_FILE" ENCRYPTION_KEY)"
fi
[[ -n "$JWT_SECRET" ]] || JWT_SECRET="$(mk_random_hex 32)"
[[ -n "$ENCRYPTION_KEY" ]] || ENCRYPTION_KEY="$(mk_random_hex 32)"

# The fake services of the demo, kept running: e-mails (login links, resets)
# land in .demo/mail as .eml files; "Connecter Strava" comes straight back
# connected; the shop gets new ids on every run, so its orders are new orders
# for the database the demo keeps.
mk_fakes_start "$DEMO" mk-demo-client persist "$((($(date +%s) - 1700000000) * 10))"
echo "$MK_SMTP_PID" >"$DEMO/smtp.pid"
echo "$MK_STRAVA_PID" >"$DEMO/strava.pid"
echo "$MK_SHOP_PID" >"$DEMO/shop.pid"

mk_write_app_env "$ENV_FILE" "$APP" \
  APP_ENV=development \
  "APP_URL=http://127.0.0.1:$PORT" \
  "JWT_SECRET=$JWT_SECRET" \
  "ENCRYPTION_KEY=$ENCRYPTION_KEY" \
  "CORS_ORIGINS=http://127.0.0.1:$PORT,http://localhost:$PORT" \
  "${MK_FAKES_ENV[@]}"

mk_section "schema and demo data"
"$BIN_ADMIN" --env-file "$ENV_FILE" install
"$BIN_ADMIN" --env-file "$ENV_FILE" seed-demo | tee "$DEMO/seed-demo.txt"
# mk-admin ran as root: give anything it created back to the web user.
mk_chown_web "$APP/storage" "$APP/logs" "$APP/backups"

mk_section "shop: paid orders, then the hourly cron imports them"
mk_shop_seed_demo "$MK_SHOP_URL" IZO
"$BIN_ADMIN" --env-file "$ENV_FILE" cron hourly | tee "$DEMO/cron-hourly.txt" || true
mk_chown_web "$APP/storage" "$APP/logs" "$APP/backups"

mk_section "Apache ($MODE) on 127.0.0.1:$PORT"
mk_deploy "$DEMO/public_html" "$MODE" "$BIN_API" "$ENV_FILE"
MK_APACHE_PERSIST=1 mk_apache_start "$MODE" "$PORT" "$DEMO/public_html" "$DEMO/apache"
if ! mk_wait_http_code "http://127.0.0.1:$PORT/api/health" 200 30; then
  curl -s --max-time 10 -i "http://127.0.0.1:$PORT/api/health" | head -n 20 >&2 || true
  mk_apache_error_log "$DEMO/apache"
  demo_stop
  mk_die "the API does not answer on /api/health"
fi

base="http://127.0.0.1:$PORT"
cat <<EOF

MyKollector demo is running ($MODE, release build).
  API health       $base/api/health
  Chrono (athlete) $base/chrono/
  Fab (workshop)   $base/fab/
  Admin            $base/admin/
  QR page          $base/qr/?p=col-izoard

Demo accounts (from mk-admin seed-demo, also in .demo/seed-demo.txt):
$(sed 's/^/  /' "$DEMO/seed-demo.txt")

Shop (fake PrestaShop)  $MK_SHOP_URL — imported by "mk-admin cron hourly":
$(sed 's/^/  /' "$DEMO/cron-hourly.txt")
Sign in as a shop customer by link (the e-mail lands in .demo/mail/):
  curl -s -X POST $base/api/auth/lien-connexion -H 'Content-Type: application/json' \\
       -d '{"email": "lea.boutique@mykollector.test"}'
  then open the link of the newest .demo/mail/*.eml, or POST its token to
  $base/api/auth/lien-connexion/utiliser as {"token": "..."}.

E-mails sent by the app: .demo/mail/*.eml
Strava: the fake server on 127.0.0.1:$MK_STRAVA_PORT (scripts/fake_strava.py)
Logs: .demo/apache/error.log (Apache + the binary's stderr), .demo/app/logs/
Stop with: scripts/demo.sh stop
EOF
