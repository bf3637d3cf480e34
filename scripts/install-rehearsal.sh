#!/usr/bin/env bash
# MyKollector — install rehearsal on a simulated shared host (issue 10 item 9).
#
#   scripts/install-rehearsal.sh [ARCHIVE]
#
# Follows README "Installer sur OVH" with the archive of scripts/package.sh
# (made with the debug binaries when none is given: a static release build
# costs minutes of CI; set MK_PACKAGE_BIN_DIR to change that):
#  1. unpack into a fresh "home" folder; the web root is its www/;
#  2. fresh database; .env from the archive's .env.example; the archive's
#     api/.htaccess pointed at it (its one documented edit);
#  3. mk-admin install --admin-email (the first super_admin);
#  4. Apache (event + mod_cgid, children as the unprivileged web user) serving
#     www/ with AllowOverride All and nothing app-specific in its config: only
#     the archive's .htaccess files route, protect and pass Authorization;
#  5. GET /api/health = 200 "ok", a login, GET /api/auth/me with the token;
#  6. upgrade: the database is put back to the previous release's schema
#     (last migration undone), then the upgrade procedure: backup, unpack the
#     new archive over the old files (.env kept), mk-admin install, health;
#  7. backup -> wipe (every table dropped) -> restore: CHECKSUM TABLE of every
#     table identical to before the backup; the data dirs and the dump are
#     never served over HTTP.
# Exits non-zero on the first failure.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/db.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/db.sh"
# shellcheck source=lib/apache.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/apache.sh"

cd "$MK_REPO_ROOT"
WORK="$(mktemp -d /tmp/mk-rehearsal.XXXXXX)"
chmod 755 "$WORK"
mk_on_exit "[[ \${MK_KEEP_RUN:-0} == 1 ]] || rm -rf '$WORK'"

ARCHIVE="${1:-}"
if [[ -z "$ARCHIVE" ]]; then
  ARCHIVE="$(MK_PACKAGE_BIN_DIR="${MK_PACKAGE_BIN_DIR:-$MK_TARGET_DIR/debug}" MK_PACKAGE_OUT="$WORK/dist" \
    "$MK_REPO_ROOT/scripts/package.sh" | tail -n 1)"
fi
[[ -f "$ARCHIVE" ]] || mk_die "no archive $ARCHIVE"

# --- 1-2. unpack, database, .env ----------------------------------------------------
HOME_DIR="$WORK/home"
mkdir -p "$HOME_DIR"
chmod 755 "$HOME_DIR"
unpack() {
  tar -C "$WORK" -xzf "$ARCHIVE"
  local top
  top="$(tar -tzf "$ARCHIVE" | awk -F/ 'NR == 1 { print $1 }')"
  cp -R "$WORK/$top/." "$HOME_DIR/"
  rm -rf "${WORK:?}/$top"
  (cd "$HOME_DIR" && sha256sum --quiet -c SHA256SUMS)
}
unpack
ADMIN="$HOME_DIR/mykollector/bin/mk-admin"
ENV_FILE="$HOME_DIR/mykollector/.env"
mk_db_ensure_running
mk_db_create_fresh mk_rehearsal_
for d in storage logs backups; do mkdir -p "$HOME_DIR/mykollector/$d"; done
mk_chown_web "$HOME_DIR/mykollector/storage" "$HOME_DIR/mykollector/logs" "$HOME_DIR/mykollector/backups"
cp "$HOME_DIR/mykollector/.env.example" "$ENV_FILE"
set_env() { # KEY VALUE: replace the line KEY=... of the .env
  sed -i "s#^$1=.*#$1=$2#" "$ENV_FILE"
  grep -q "^$1=" "$ENV_FILE" || echo "$1=$2" >>"$ENV_FILE"
}
PORT="$(mk_free_port)"
BASE="http://127.0.0.1:$PORT"
set_env APP_ENV production
set_env APP_URL "$BASE"
set_env DB_HOST 127.0.0.1
set_env DB_PORT "$MK_DB_PORT"
set_env DB_SOCKET "$MK_DB_SOCKET"
set_env DB_NAME "$MK_DB_NAME"
set_env DB_USER "$MK_DB_USER"
set_env DB_PASS "$MK_DB_PASS"
set_env JWT_SECRET "$(mk_random_hex 32)"
set_env ENCRYPTION_KEY "$(mk_random_hex 32)"
set_env STORAGE_PATH "$HOME_DIR/mykollector/storage"
set_env LOG_PATH "$HOME_DIR/mykollector/logs"
set_env BACKUP_PATH "$HOME_DIR/mykollector/backups"
set_env SMTP_HOST ""
chmod 640 "$ENV_FILE"
chgrp "$MK_WEB_USER" "$ENV_FILE" 2>/dev/null || chmod 644 "$ENV_FILE"
point_htaccess() {
  sed -i "s#^SetEnv MK_ENV_FILE .*#SetEnv MK_ENV_FILE \"$ENV_FILE\"#" "$HOME_DIR/www/api/.htaccess"
}
point_htaccess

# --- 3. install ----------------------------------------------------------------------
ADMIN_EMAIL=rehearsal.admin@mykollector.test
ADMIN_PASSWORD="repetition-$(mk_random_hex 8)"
MK_ADMIN_PASSWORD="$ADMIN_PASSWORD" "$ADMIN" --env-file "$ENV_FILE" install --admin-email "$ADMIN_EMAIL"
mk_chown_web "$HOME_DIR/mykollector/storage" "$HOME_DIR/mykollector/logs" "$HOME_DIR/mykollector/backups"

# --- 4-5. Apache on the archive's www/ only ------------------------------------------
RUNDIR="$WORK/apache"
mk_apache_start cgid "$PORT" "$HOME_DIR/www" "$RUNDIR"
check_health() {
  local body
  mk_wait_http_code "$BASE/api/health" 200 30 || {
    mk_apache_error_log "$RUNDIR"
    mk_die "health is not 200"
  }
  body="$(curl -s "$BASE/api/health")"
  grep -q '"status":"ok"' <<<"$body" || mk_die "health is not green: $body"
}
check_health
TOKEN="$(curl -s -X POST -H 'Content-Type: application/json' \
  -d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" "$BASE/api/auth/login" |
  sed -n 's/.*"token":"\([^"]*\)".*/\1/p')"
[[ -n "$TOKEN" ]] || mk_die "login of the first super_admin failed"
[[ "$(mk_http_code "$BASE/api/auth/me" -H "Authorization: Bearer $TOKEN")" == 200 ]] ||
  mk_die "the token does not reach the binary through the archive's .htaccess"
mk_log "install: health ok, login ok, Authorization passed through"

# --- 6. upgrade from the previous schema ----------------------------------------------
LAST="$("$ADMIN" --env-file "$ENV_FILE" status | tail -n 1 | awk '{ print $2 }')"
# Migrations are forward only: the rehearsal knows how to take the newest one
# back out, so the archive's mk-admin has something to upgrade.
case "$LAST" in
  0012_flat_lists) UNDO="ALTER TABLE commandes
      DROP INDEX idx_commandes_fab_counters, DROP INDEX idx_commandes_b2b_open;
    ALTER TABLE stocks ADD INDEX idx_stocks_atelier (atelier_id), DROP INDEX idx_stocks_atelier_levels;
    ALTER TABLE produits DROP INDEX idx_produits_nom_code;
    ALTER TABLE users DROP INDEX idx_users_role_anonymized, ADD INDEX idx_users_role (role)" ;;
  0011_list_indexes) UNDO="ALTER TABLE commandes
      DROP INDEX idx_commandes_atelier_date, DROP INDEX idx_commandes_atelier_statut_date,
      ADD INDEX idx_commandes_atelier_statut (atelier_id, statut),
      DROP INDEX idx_commandes_statut_date, ADD INDEX idx_commandes_statut (statut),
      DROP INDEX idx_commandes_produit_date, ADD INDEX idx_commandes_produit (produit_id),
      DROP INDEX idx_commandes_fabricant_date, ADD INDEX idx_commandes_fabricant (b2b_fabricant_id),
      DROP INDEX idx_commandes_user_date, ADD INDEX idx_commandes_user (user_id);
    ALTER TABLE chronos DROP INDEX idx_chronos_user_created, DROP INDEX idx_chronos_user_statut_created,
      DROP INDEX idx_chronos_user_produit_statut_duree,
      ADD INDEX idx_chronos_user_produit_statut (user_id, produit_id, statut),
      DROP INDEX idx_chronos_statut_source_created, DROP INDEX idx_chronos_statut_produit_created;
    ALTER TABLE lots DROP INDEX idx_lots_atelier;
    ALTER TABLE stock_mouvements DROP INDEX idx_stock_mouvements_created,
      DROP INDEX idx_stock_mouvements_atelier_created, DROP COLUMN atelier_id;
    ALTER TABLE sav_tickets DROP INDEX idx_sav_tickets_created;
    ALTER TABLE defauts DROP INDEX idx_defauts_created, DROP INDEX idx_defauts_atelier_statut_created;
    ALTER TABLE notifications DROP INDEX idx_notifications_user_unread_first,
      ADD INDEX idx_notifications_user_lu (user_id, lu, created_at);
    ALTER TABLE produits DROP INDEX idx_produits_actif_nom, DROP INDEX idx_produits_actif_categorie_nom,
      ADD INDEX idx_produits_actif (actif)" ;;
  0010_stats_indexes) UNDO="DROP INDEX idx_commandes_expedition_validation ON commandes;
    DROP INDEX idx_commandes_gravure ON commandes; DROP INDEX idx_commandes_date_stats ON commandes" ;;
  0008_operations) UNDO="DROP TABLE IF EXISTS cron_runs" ;;
  *) mk_die "install-rehearsal: teach it how to undo migration $LAST" ;;
esac
mk_db_admin --database="$MK_DB_NAME" -e "$UNDO; DELETE FROM schema_migrations WHERE version = '$LAST'"
"$ADMIN" --env-file "$ENV_FILE" status | grep -q "^pending  *$LAST" || mk_die "could not simulate the previous release"
"$ADMIN" --env-file "$ENV_FILE" backup # the upgrade procedure: backup first
unpack
point_htaccess
"$ADMIN" --env-file "$ENV_FILE" install | tee "$WORK/upgrade.log"
grep -q "applied $LAST" "$WORK/upgrade.log" || mk_die "upgrade did not apply $LAST"
! "$ADMIN" --env-file "$ENV_FILE" status | grep -qv '^applied' || mk_die "migrations left pending after the upgrade"
check_health
mk_log "upgrade: $LAST applied, health ok"

# --- 7. backup -> wipe -> restore -----------------------------------------------------
checksums() {
  local tables
  tables="$(mk_db_admin --database="$MK_DB_NAME" -e "SELECT GROUP_CONCAT(CONCAT('\`', TABLE_NAME, '\`') ORDER BY TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'")"
  mk_db_admin --database="$MK_DB_NAME" -e "CHECKSUM TABLE $tables"
}
BEFORE="$(checksums)"
BACKUP_LINE="$("$ADMIN" --env-file "$ENV_FILE" backup)"
FILE="$(sed -n 's/^backup \([^:]*\):.*/\1/p' <<<"$BACKUP_LINE")"
[[ -n "$FILE" ]] || mk_die "backup failed: $BACKUP_LINE"
"$ADMIN" --env-file "$ENV_FILE" backup verify "$FILE"
code="$(mk_http_code "$BASE/mykollector/backups/$FILE")"
[[ "$code" == 403 || "$code" == 404 ]] || mk_die "backup reachable over HTTP ($code)"
mk_db_admin --database="$MK_DB_NAME" -e "SET FOREIGN_KEY_CHECKS = 0; $(mk_db_admin --database="$MK_DB_NAME" -e "SELECT GROUP_CONCAT(CONCAT('DROP TABLE \`', TABLE_NAME, '\`') SEPARATOR '; ') FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()")"
[[ -z "$(mk_db_admin --database="$MK_DB_NAME" -e "SHOW TABLES")" ]] || mk_die "the wipe left tables"
"$ADMIN" --env-file "$ENV_FILE" restore "$FILE"
AFTER="$(checksums)"
if [[ "$BEFORE" != "$AFTER" ]]; then
  diff <(echo "$BEFORE") <(echo "$AFTER") >&2 || true
  mk_die "restored tables differ from the originals"
fi
check_health
mk_log "backup -> wipe -> restore: $(wc -l <<<"$AFTER") tables with identical CHECKSUM TABLE"
mk_apache_stop "$RUNDIR"
echo "install rehearsal: PASS"
