# shellcheck shell=bash source-path=SCRIPTDIR
# A local instance of the whole product, as scripts/demo.sh and scripts/test.sh
# run it: sources every lib they need, and writes what the two share.
#   mk_fakes_start DIR SHOP_CLIENT_ID [persist [SHOP_FIRST_ID]]
#       the fake SMTP server (one .eml a message in DIR/mail), PrestaShop and
#       Strava, logs in DIR/fake-*.log; sets MK_FAKES_ENV (the .env lines that
#       point the app at them) besides what each lib sets (MK_SMTP_PID...).
#       Stopped at exit unless "persist".
#   mk_write_app_env ENV_FILE APP_ROOT KEY=VALUE...
#       the .env of an instance on the database of mk_db_create_fresh or
#       mk_db_ensure (MK_DB_*), its files under APP_ROOT (mk_app_root_prepare),
#       then the KEY=VALUE lines given (APP_ENV, APP_URL, secrets, CORS...).
# Source it; do not execute it.

[[ -n "${_MK_INSTANCE_SH:-}" ]] && return 0
_MK_INSTANCE_SH=1
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=deps.sh
source "$(dirname "${BASH_SOURCE[0]}")/deps.sh"
# shellcheck source=db.sh
source "$(dirname "${BASH_SOURCE[0]}")/db.sh"
# shellcheck source=apache.sh
source "$(dirname "${BASH_SOURCE[0]}")/apache.sh"
# shellcheck source=smtp.sh
source "$(dirname "${BASH_SOURCE[0]}")/smtp.sh"
# shellcheck source=prestashop.sh
source "$(dirname "${BASH_SOURCE[0]}")/prestashop.sh"
# shellcheck source=strava.sh
source "$(dirname "${BASH_SOURCE[0]}")/strava.sh"

mk_fakes_start() {
  local dir=$1 client_id=$2 persist=${3:-} first_id=${4:-100} key secret
  key="$(mk_random_hex 16)"
  secret="$(mk_random_hex 16)"
  mk_smtp_start "$dir/mail" "$dir/fake-smtp.log" "$persist"
  mk_shop_start "$dir/fake-prestashop.log" "$key" "$client_id" "$secret" "$persist" "$first_id"
  mk_strava_start "$dir/fake-strava.log" "$persist"
  MK_FAKES_ENV=(
    SMTP_HOST=127.0.0.1
    "SMTP_PORT=$MK_SMTP_PORT"
    SMTP_USER=
    SMTP_PASS=
    "PRESTASHOP_URL=$MK_SHOP_URL"
    "PRESTASHOP_WEBSERVICE_KEY=$key"
    "PRESTASHOP_CLIENT_ID=$client_id"
    "PRESTASHOP_CLIENT_SECRET=$secret"
    "${MK_STRAVA_ENV[@]}"
  )
}

mk_write_app_env() {
  local file=$1 app=$2
  shift 2
  mk_write_env "$file" \
    DB_HOST=127.0.0.1 \
    "DB_PORT=$MK_DB_PORT" \
    "DB_SOCKET=$MK_DB_SOCKET" \
    "DB_NAME=$MK_DB_NAME" \
    "DB_USER=${MK_DB_USER:?}" \
    "DB_PASS=$MK_DB_PASS" \
    JWT_EXPIRY=86400 \
    "STORAGE_PATH=$app/storage" \
    "LOG_PATH=$app/logs" \
    "BACKUP_PATH=$app/backups" \
    SMTP_FROM=noreply@mykollector.test \
    SMTP_TLS=none \
    MAX_BODY_BYTES=10485760 \
    "$@"
}
