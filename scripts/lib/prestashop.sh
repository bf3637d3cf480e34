# shellcheck shell=bash source-path=SCRIPTDIR
# The fake PrestaShop (scripts/fake_prestashop.py) as a background process.
#   mk_shop_start LOG_FILE KEY CLIENT_ID CLIENT_SECRET [persist]
#       start it on a free 127.0.0.1 port; sets MK_SHOP_PORT, MK_SHOP_URL and
#       MK_SHOP_PID. Stopped at exit unless "persist" (the demo keeps it).
#   mk_shop_stop PID
# Source it; do not execute it.

[[ -n "${_MK_PRESTASHOP_SH:-}" ]] && return 0
_MK_PRESTASHOP_SH=1
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

mk_shop_start() {
  local log=$1 key=$2 client_id=$3 client_secret=$4 persist=${5:-} ready pid start
  ready="$log.port"
  mkdir -p "$(dirname "$log")"
  rm -f "$ready"
  local cmd=(python3 "$MK_REPO_ROOT/scripts/fake_prestashop.py" --port 0 --key "$key"
    --client-id "$client_id" --client-secret "$client_secret" --ready-file "$ready")
  if [[ "$persist" == persist ]]; then
    setsid "${cmd[@]}" >"$log" 2>&1 </dev/null &
  else
    "${cmd[@]}" >"$log" 2>&1 </dev/null &
  fi
  pid=$!
  [[ "$persist" == persist ]] || mk_on_exit "mk_shop_stop $pid"
  start=$SECONDS
  until [[ -s "$ready" ]]; do
    if ! kill -0 "$pid" 2>/dev/null || ((SECONDS - start > 10)); then
      cat "$log" >&2
      mk_die "the fake PrestaShop did not start"
    fi
    sleep 0.1
  done
  MK_SHOP_PORT="$(cat "$ready")"
  MK_SHOP_URL="http://127.0.0.1:$MK_SHOP_PORT"
  MK_SHOP_PID=$pid
  export MK_SHOP_PORT MK_SHOP_URL MK_SHOP_PID
  mk_log "fake PrestaShop on $MK_SHOP_URL (pid $pid)"
}

mk_shop_stop() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}
