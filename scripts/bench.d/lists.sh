# shellcheck shell=bash
# List routes (issue 12): every list route as a scenario, with the filters its
# screen sends, and the list-scaling table. Sourced by scripts/bench.sh after
# the seed; see bench_get / bench_get_seq / bench_sql / bench_chat there.
#
# Tokens: the bench super_admin (BENCH_TOKEN) for the workshop and admin
# lists; the athlete with the most chronos (seed-bench's shared password)
# for the athlete's own lists.
#
# /api/admin/* routes share a limit of 30 requests per minute and user (spec
# 10.4), which wrk would turn into a stream of 429s. They are measured with
# bench_get_seq: sequential requests through the same Apache, on one
# keep-alive connection, in batches of 25, the limiter's rows deleted before
# each batch (outside the timing). So they have c=1 figures only.
#
# List scaling (MK_BENCH_SCALING=1, the default; 0 skips it): three more
# databases, seeded with the same shapes at two volumes and the worst case,
#   small  MK_BENCH_SCALING_SMALL  (--courses 1000 --athletes 200 --chronos 2000 --orders 1000)
#   large  MK_BENCH_SCALING_LARGE  (--courses 1000 --athletes 20000 --chronos 200000 --orders 100000)
#   worst  the large volume with --worst-case (50,000 orders waiting in atelier A)
# then every list route under FastCGI at c=1 against each: p50 at 1,000 and
# 100,000 orders and their ratio (flat: <= 1.5x), and the worst case's order
# lists (target: the operators' list under 5 ms p50). The catalogue (1,000
# courses) is the same at both volumes: it does not grow with the orders.
# Beside each ratio, the items the page held at each volume ("12/50": at
# 1,000 orders the seed has 12 SAV tickets, so that page is a quarter of the
# other; the workshop screen counts its parcours rows): a ratio compares
# pages of those sizes.

LISTS_ADMIN_RESET="DELETE FROM rate_limits WHERE cle LIKE 'bucket:admin:%'"

# lists_fixtures: what the list routes need beyond seed-bench, in the
# database bench_sql reads: a conversation of the bench admin with 200
# messages (the chat's latest page). Prints nothing.
lists_fixtures() {
  local admin
  admin="$(bench_sql "SELECT id FROM users WHERE email = '$ADMIN_EMAIL'")"
  bench_chat 'Bench list chat' "$admin" bench.liste@mykollector.test Liste
}

# lists_athlete_token ENV_FILE: an access token of the athlete with the most
# chronos of that database (one bcrypt, outside the bench).
lists_athlete_token() {
  local email
  email="$(bench_sql "SELECT u.email FROM chronos c JOIN users u ON u.id = c.user_id
                      WHERE u.email LIKE 'bench.athlete.%'
                      GROUP BY c.user_id, u.email ORDER BY COUNT(*) DESC, c.user_id LIMIT 1")"
  ENV_FILE="$1" cgi_run POST /api/auth/login "" \
    "{\"email\":\"$email\",\"password\":\"bench-mykollector\"}" "$BIN_API" |
    sed -n 's/.*"token":"\([^"]*\)".*/\1/p'
}

# lists_scenarios EMIT EMIT_SEQ ADMIN_TOKEN ATHLETE_TOKEN [all]: every list
# route, ids read from the database bench_sql reads. EMIT NAME PATH TOKEN;
# EMIT_SEQ NAME PATH TOKEN SQL for the rate-limited ones. Without "all", the
# routes that athlete.sh and messaging.sh already register are left out.
lists_scenarios() {
  local emit=$1 emit_seq=$2 admin=$3 athlete=$4 all=${5:-} atelier course conv
  atelier="$(bench_sql "SELECT id FROM ateliers WHERE code = 'BENCH-A'")"
  course="$(bench_sql "SELECT produit_id FROM classements GROUP BY produit_id ORDER BY COUNT(*) DESC, produit_id LIMIT 1")"
  conv="$(bench_sql "SELECT MAX(id) FROM chat_conversations WHERE titre = 'Bench list chat'")"
  "$emit" "GET /api/commandes?statut=attente_gravure&atelier_id=A" \
    "/api/commandes?statut=attente_gravure&atelier_id=$atelier&per_page=50" "$admin"
  "$emit" "GET /api/commandes (no filter)" "/api/commandes" "$admin"
  "$emit" "GET /api/fab/commandes?atelier_id=A&statut=attente_gravure" \
    "/api/fab/commandes?atelier_id=$atelier&statut=attente_gravure" "$admin"
  "$emit" "GET /api/commandes/a-repartir" "/api/commandes/a-repartir" "$admin"
  "$emit" "GET /api/lots?atelier_id=A" "/api/lots?atelier_id=$atelier" "$admin"
  "$emit" "GET /api/stocks?atelier_id=A" "/api/stocks?atelier_id=$atelier" "$admin"
  "$emit" "GET /api/stocks/mouvements?atelier_id=A" "/api/stocks/mouvements?atelier_id=$atelier" "$admin"
  "$emit" "GET /api/sav" "/api/sav" "$admin"
  "$emit" "GET /api/defauts?atelier_id=A" "/api/defauts?atelier_id=$atelier" "$admin"
  "$emit_seq" "GET /api/admin/logs" "/api/admin/logs" "$admin" "$LISTS_ADMIN_RESET"
  "$emit_seq" "GET /api/admin/users?role=sportif" "/api/admin/users?role=sportif" "$admin" "$LISTS_ADMIN_RESET"
  "$emit_seq" "GET /api/admin/chronos/en-attente" "/api/admin/chronos/en-attente" "$admin" "$LISTS_ADMIN_RESET"
  if [[ -n "$athlete" ]]; then
    "$emit" "GET /api/chrono/history (athlete)" "/api/chrono/history" "$athlete"
    "$emit" "GET /api/commandes/mes (athlete)" "/api/commandes/mes" "$athlete"
  fi
  "$emit" "GET /api/parcours" "/api/parcours" ""
  "$emit" "GET /api/chat/{id}/messages (latest page)" "/api/chat/$conv/messages" "$admin"
  "$emit" "GET /api/chat/conversations" "/api/chat/conversations" "$admin"
  if [[ "$all" == all ]]; then
    "$emit" "GET /api/parcours/{id}/classement" "/api/parcours/$course/classement" ""
    "$emit" "GET /api/parcours/nearby 50km" "/api/parcours/nearby?lat=44.8&lng=6.7&radius_km=50" ""
    "$emit" "GET /api/notifications" "/api/notifications" "$admin"
  fi
}

lists_fixtures
LISTS_ATHLETE_TOKEN="$(lists_athlete_token "$ENV_FILE")"
[[ -n "$LISTS_ATHLETE_TOKEN" ]] || mk_warn "bench.d/lists.sh: athlete login failed; the athlete's lists are skipped"
lists_scenarios bench_get bench_get_seq "$BENCH_TOKEN" "$LISTS_ATHLETE_TOKEN"

# --- list scaling ------------------------------------------------------------------
SCALE_NAMES=()
SCALE_PATHS=()
SCALE_TOKENS=()
SCALE_KINDS=()
SCALE_RESULTS=() # "volume|name|p50|rps" or "volume|name|SKIP|note"
SCALE_ITEMS=()   # "volume|name|items on the page"

# _scale_items URL TOKEN: how many items the answer's page holds (its list,
# or the workshop screen's orders + course rows), "-" when unknown.
_scale_items() {
  local -a hdr=()
  [[ -n "$2" ]] && hdr=(-H "Authorization: Bearer $2")
  command -v jq >/dev/null || {
    echo -
    return 0
  }
  curl -s --max-time 20 "${hdr[@]}" "$1" | jq -r '
    if type == "array" then length
    elif (.commandes.items | type) == "array" then "\(.commandes.items | length)+\(.parcours | length)"
    elif (.items | type) == "array" then .items | length
    elif (.classement | type) == "array" then .classement | length
    else "-" end' 2>/dev/null || echo -
}

# scale_items VOLUME NAME: the items measured, or "-".
scale_items() {
  local r v n rest
  for r in "${SCALE_ITEMS[@]}"; do
    IFS='|' read -r v n rest <<<"$r"
    if [[ "$v" == "$1" && "$n" == "$2" ]]; then
      echo "$rest"
      return 0
    fi
  done
  echo -
}

_scale_add() {
  if [[ -n "$FILTER" && ! "$1" =~ $FILTER ]]; then
    return 0
  fi
  SCALE_NAMES+=("$1")
  SCALE_PATHS+=("$2")
  SCALE_TOKENS+=("$3")
  SCALE_KINDS+=("${4:+seq:$4}") # empty: wrk
}
_scale_add_seq() { _scale_add "$1" "$2" "$3" "$4"; }

# lists_scaling_db VOLUME SEED_ARGS: a database of its own (same user), seeded,
# with its admin; measures every list route under FastCGI at c=1.
lists_scaling_db() {
  local volume=$1 seed=$2 db env port docroot rundir base admin athlete i line note
  db="${MK_DB_NAME}_${volume}"
  _mk_db_create "$db" "$MK_DB_USER" "$MK_DB_PASS"
  if [[ "${MK_KEEP_DB:-0}" != 1 ]]; then
    mk_on_exit "mk_db_admin -e 'DROP DATABASE IF EXISTS \`$db\`'"
  fi
  env="$RUN/scaling-$volume.env"
  sed "s/^DB_NAME=.*/DB_NAME=$db/" "$ENV_FILE" >"$env"
  chmod 640 "$env"
  mk_is_root && chgrp www-data "$env"
  mk_log "list scaling: seeding $volume ($seed)"
  "$BIN_ADMIN" --env-file "$env" install >/dev/null
  MK_ADMIN_PASSWORD="$ADMIN_PASSWORD" "$BIN_ADMIN" --env-file "$env" create-admin --email "$ADMIN_EMAIL" >/dev/null
  # shellcheck disable=SC2086 # a list of words on purpose
  "$BIN_ADMIN" --env-file "$env" seed-bench $seed | tail -n 2 >&2
  MK_DB_NAME=$db lists_fixtures
  admin="$(ENV_FILE=$env cgi_run POST /api/auth/login "" \
    "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" "$BIN_API" |
    sed -n 's/.*"token":"\([^"]*\)".*/\1/p')"
  athlete="$(MK_DB_NAME=$db lists_athlete_token "$env")"
  SCALE_NAMES=() SCALE_PATHS=() SCALE_TOKENS=() SCALE_KINDS=()
  MK_DB_NAME=$db lists_scenarios _scale_add _scale_add_seq "$admin" "$athlete" all
  port="$(mk_free_port)"
  docroot="$RUN/scaling-$volume/public_html"
  rundir="$RUN/scaling-$volume/apache"
  base="http://127.0.0.1:$port"
  mk_deploy "$docroot" fastcgi "$BIN_API" "$env"
  mk_apache_start fastcgi "$port" "$docroot" "$rundir"
  wrk -t2 -c16 -d"${MK_BENCH_FCGI_WARMUP:-5}s" "$base/api/health" >/dev/null 2>&1 || true
  mkdir -p "$RUN/scaling-$volume/logs"
  for i in "${!SCALE_NAMES[@]}"; do
    [[ "$volume" == worst && "${SCALE_NAMES[i]}" != *commandes* ]] && continue
    note="$(probe "$base${SCALE_PATHS[i]}" "${SCALE_TOKENS[i]}")"
    if [[ "$note" != ok ]]; then
      SCALE_RESULTS+=("$volume|${SCALE_NAMES[i]}|SKIP|$note")
      continue
    fi
    SCALE_ITEMS+=("$volume|${SCALE_NAMES[i]}|$(_scale_items "$base${SCALE_PATHS[i]}" "${SCALE_TOKENS[i]}")")
    if [[ "${SCALE_KINDS[i]}" == seq:* ]]; then
      line="$(MK_DB_NAME=$db run_seq "$base${SCALE_PATHS[i]}" "${SCALE_TOKENS[i]}" \
        "${SCALE_KINDS[i]#seq:}" "$RUN/scaling-$volume/logs/seq-$i.log")"
    else
      run_wrk "$base${SCALE_PATHS[i]}" 1 "${SCALE_TOKENS[i]}" "$RUN/scaling-$volume/logs/wrk-$i.log"
      line="$(parse_wrk "$RUN/scaling-$volume/logs/wrk-$i.log")"
    fi
    SCALE_RESULTS+=("$volume|${SCALE_NAMES[i]}|$(cut -d'|' -f2 <<<"$line")|$(cut -d'|' -f1 <<<"$line")")
    mk_log "[scaling $volume] ${SCALE_NAMES[i]}: p50 $(cut -d'|' -f2 <<<"$line") ms"
  done
  mk_apache_stop "$rundir"
}

# scale_p50 VOLUME NAME: the p50 (ms) measured, or the SKIP note.
scale_p50() {
  local r v n p rest
  for r in "${SCALE_RESULTS[@]}"; do
    IFS='|' read -r v n p rest <<<"$r"
    if [[ "$v" == "$1" && "$n" == "$2" ]]; then
      [[ "$p" == SKIP ]] && p="skipped: $rest"
      echo "$p"
      return 0
    fi
  done
}

lists_scaling_section() {
  local name small large v waiting=""
  if [[ "${MK_BENCH_SCALING:-1}" == 0 ]]; then
    echo
    echo "List scaling: skipped (MK_BENCH_SCALING=0)"
    return 0
  fi
  mk_section "list scaling: 1,000 and 100,000 orders, FastCGI c=1"
  small="${MK_BENCH_SCALING_SMALL:---courses 1000 --athletes 200 --chronos 2000 --orders 1000}"
  large="${MK_BENCH_SCALING_LARGE:---courses 1000 --athletes 20000 --chronos 200000 --orders 100000}"
  lists_scaling_db small "$small"
  lists_scaling_db large "$large"
  lists_scaling_db worst "$large --worst-case"
  echo
  echo "==== List scaling: FastCGI, c=1, p50 ms (wrk ${DURATION}s; admin routes: sequential) — flat = <= 1.5x ===="
  echo "small: $small"
  echo "large: $large (worst: the same with --worst-case)"
  printf '%-52s %12s %12s %8s %-6s %12s %14s\n' route "1k orders" "100k orders" ratio flat "worst case" "items 1k/100k"
  for name in "${SCALE_NAMES[@]}"; do
    awk -v n="$name" -v s="$(scale_p50 small "$name")" -v l="$(scale_p50 large "$name")" \
      -v w="$(scale_p50 worst "$name")" \
      -v it="$(scale_items small "$name")/$(scale_items large "$name")" 'BEGIN {
        ok = (s ~ /^[0-9.]+$/ && l ~ /^[0-9.]+$/ && s > 0)
        if (ok) { r = l / s; f = (r <= 1.5) ? "yes" : "NO" }
        if (w == "") w = "-"
        if (ok) printf "%-52s %12s %12s %7.2fx %-6s %12s %14s\n", n, s, l, r, f, w, it
        else printf "%-52s %12s %12s %8s %-6s %12s %14s\n", n, substr(s, 1, 12), substr(l, 1, 12), "-", "-", substr(w, 1, 12), it
      }'
  done
  echo "worst case, operators' list (statut=attente_gravure&atelier_id=A, 50,000 matching): p50 $(scale_p50 worst "GET /api/commandes?statut=attente_gravure&atelier_id=A") ms (target < 5 ms)"
  for v in small large worst; do
    waiting+=" $v $(mk_db_admin --database="${MK_DB_NAME}_$v" -e "SELECT COUNT(*) FROM commandes c
      JOIN ateliers a ON a.id = c.atelier_id WHERE a.code = 'BENCH-A' AND c.statut = 'attente_gravure'")"
  done
  echo "orders waiting for engraving in atelier A:$waiting"
}
BENCH_SECTION_HOOKS+=(lists_scaling_section)
