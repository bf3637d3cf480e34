# shellcheck shell=bash source-path=SCRIPTDIR
# The fake PrestaShop (scripts/fake_prestashop.py) as a background process.
#   mk_shop_start LOG_FILE KEY CLIENT_ID CLIENT_SECRET [persist [FIRST_ID]]
#       start it on a free 127.0.0.1 port; sets MK_SHOP_PORT, MK_SHOP_URL and
#       MK_SHOP_PID. Stopped at exit unless "persist" (the demo keeps it).
#   mk_shop_stop PID
#   mk_shop_seed_demo URL COURSE_CODE
#       a few paid orders for the demo: two athletes, one B2B town hall
# Source it; do not execute it.

[[ -n "${_MK_PRESTASHOP_SH:-}" ]] && return 0
_MK_PRESTASHOP_SH=1
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

mk_shop_start() {
  local log=$1 key=$2 client_id=$3 client_secret=$4 persist=${5:-} first_id=${6:-100} ready pid
  ready="$log.port"
  mkdir -p "$(dirname "$log")"
  rm -f "$ready"
  local cmd=(python3 "$MK_REPO_ROOT/scripts/fake_prestashop.py" --port 0 --key "$key"
    --client-id "$client_id" --client-secret "$client_secret" --first-id "$first_id"
    --ready-file "$ready")
  if [[ "$persist" == persist ]]; then
    setsid "${cmd[@]}" >"$log" 2>&1 </dev/null &
  else
    "${cmd[@]}" >"$log" 2>&1 </dev/null &
  fi
  pid=$!
  [[ "$persist" == persist ]] || mk_on_exit "mk_shop_stop $pid"
  mk_wait_ready_file "$ready" "$pid" "$log" "the fake PrestaShop"
  MK_SHOP_PORT="$(cat "$ready")"
  MK_SHOP_URL="http://127.0.0.1:$MK_SHOP_PORT"
  MK_SHOP_PID=$pid
  export MK_SHOP_PORT MK_SHOP_URL MK_SHOP_PID
  mk_log "fake PrestaShop on $MK_SHOP_URL (pid $pid)"
}

mk_shop_stop() { mk_stop_pid "$1"; }

# _mk_shop_post URL PATH JSON: one control call; prints the new record's id.
_mk_shop_post() {
  curl -fsS --max-time 10 -X POST "$1/_control/$2" -H 'Content-Type: application/json' -d "$3" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'
}

mk_shop_seed_demo() {
  local url=$1 code=$2 product b2b_product lea hugo mairie
  product="$(_mk_shop_post "$url" product "{\"name\": \"Médaille Col d'Izoard\", \"parcours\": \"$code\"}")"
  b2b_product="$(_mk_shop_post "$url" product "{\"name\": \"Lot de médailles Col d'Izoard\", \"parcours\": \"$code\"}")"
  lea="$(_mk_shop_post "$url" customer '{"email": "lea.boutique@mykollector.test", "firstname": "Léa", "lastname": "Rolland", "group": 3}')"
  hugo="$(_mk_shop_post "$url" customer '{"email": "hugo.boutique@mykollector.test", "firstname": "Hugo", "lastname": "Faure", "group": 3}')"
  mairie="$(_mk_shop_post "$url" customer '{"email": "sports@mairie-gap.test", "firstname": "Service", "lastname": "Sports", "company": "Mairie de Gap", "group": 4}')"
  _mk_shop_post "$url" order "{\"customer\": $lea, \"state\": 2, \"rows\": [{\"product\": $product, \"quantity\": 1}]}" >/dev/null
  _mk_shop_post "$url" order "{\"customer\": $hugo, \"state\": 2, \"rows\": [{\"product\": $product, \"quantity\": 1}]}" >/dev/null
  _mk_shop_post "$url" order "{\"customer\": $mairie, \"state\": 2, \"rows\": [{\"product\": $b2b_product, \"quantity\": 12}]}" >/dev/null
  # Not paid yet: the import leaves it.
  _mk_shop_post "$url" order "{\"customer\": $hugo, \"state\": 1, \"rows\": [{\"product\": $product, \"quantity\": 1}]}" >/dev/null
  mk_log "fake PrestaShop seeded: 3 paid orders (2 athletes, 1 town hall x12), 1 unpaid"
}
