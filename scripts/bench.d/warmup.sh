# shellcheck shell=bash
# FastCGI under mod_fcgid (issue 12 items 4 and 5), sourced by scripts/bench.sh
# after the seed. Two sections:
#
# 1. Warm-up and tail: Apache started afresh (no FastCGI process yet), then
#    wrk at c=16 on GET /api/parcours/{id} in consecutive 2 s windows while
#    mod_fcgid's pool ramps (p50, p99, max, processes alive at the end of the
#    window), then the same point once the pool is warm; and one 10 s run
#    from another cold start, whose p99 is the tail a burst after an idle
#    period sees. mod_fcgid spawns at a bounded rate (FcgidSpawnScore and
#    friends, server config only: see docs/performance.md).
# 2. What one process costs, outside Apache (scripts/fcgi_probe.py speaks
#    FastCGI to the program like mod_fcgid: listening socket on fd 0, empty
#    environment, one connection per request): instructions (callgrind) of
#    start-up + configuration + MySQL connect + first request, and of each
#    warm request after it, for our binary and for the C libfcgi floor; and
#    the wall time of the first request against the warm median.
# MK_BENCH_WARMUP_TAIL=0 skips both.

# warm_windows BASE URL N: up to N consecutive 2 s wrk windows at c=16, one
# line each: "window req/s p50 p99 max processes"; stops after the second
# window that ended with 16 processes or more (one per client: the pool no
# longer makes anyone wait).
warm_windows() {
  local base=$1 url=$2 n=$3 w log procs full=0
  for ((w = 1; w <= n; w++)); do
    log="$RUN/warm/window-$w-$RANDOM.log"
    wrk -t2 -c16 -d2s --timeout 10s --latency "$base$url" >"$log" 2>&1 || true
    procs="$(pgrep -fc "^$RUN/warm/public_html/api/mykollector.fcgi" || true)"
    awk -v w="$w" -v p="$procs" -v log_file="$log" 'BEGIN {
      while ((getline l < log_file) > 0) {
        split(l, f, " ")
        if (l ~ /^Requests\/sec:/) rps = f[2]
        if (f[1] == "50%") p50 = f[2]
        if (f[1] == "99%") p99 = f[2]
        if (f[1] == "Latency" && max == "") max = f[4]
      }
      printf "  %2ds-%2ds  %7.0f req/s  p50 %-9s p99 %-9s max %-9s processes %s\n", (w-1)*2, w*2, rps, p50, p99, max, p
    }'
    if ((procs >= 16)); then
      full=$((full + 1))
      ((full >= 2)) && break
    fi
  done
  return 0
}

warmup_tail_section() {
  local port base course url log
  [[ "${MK_BENCH_WARMUP_TAIL:-1}" == 0 ]] && return 0
  mk_section "FastCGI: warm-up and tail"
  course="$(bench_sql "SELECT MIN(id) FROM produits")"
  atelier="$(bench_sql "SELECT id FROM ateliers WHERE code = 'BENCH-A'")"
  url="/api/parcours/$course"
  mkdir -p "$RUN/warm"
  port="$(mk_free_port)"
  base="http://127.0.0.1:$port"
  mk_deploy "$RUN/warm/public_html" fastcgi "$BIN_API" "$ENV_FILE"
  echo
  echo "==== FastCGI warm-up and tail: GET $url at c=16 (wrk), mod_fcgid with its default spawn settings ===="
  mk_apache_start fastcgi "$port" "$RUN/warm/public_html" "$RUN/warm/apache"
  echo "from a cold start (no process), consecutive 2 s windows until 16 processes run (at most 40 s):"
  warm_windows "$base" "$url" 20
  log="$RUN/warm/warm.log"
  wrk -t2 -c16 -d"${DURATION}s" --timeout 10s --latency "$base$url" >"$log" 2>&1 || true
  echo "warm pool, ${DURATION}s: $(parse_wrk "$log" | awk -F'|' '{ printf "%s req/s, p50 %s ms, p90 %s ms, p99 %s ms", $1, $2, $3, $4 }')"
  mk_apache_stop "$RUN/warm/apache"
  mk_apache_start fastcgi "$port" "$RUN/warm/public_html" "$RUN/warm/apache"
  log="$RUN/warm/cold.log"
  wrk -t2 -c16 -d10s --timeout 10s --latency "$base$url" >"$log" 2>&1 || true
  echo "cold start, one 10 s run (the ramp included): $(parse_wrk "$log" | awk -F'|' '{ printf "%s req/s, p50 %s ms, p90 %s ms, p99 %s ms", $1, $2, $3, $4 }')"
  mk_apache_stop "$RUN/warm/apache"
}

# probe_instructions PROGRAM URI N [PARAM...]: callgrind's instruction count
# of the program serving N requests (start-up included).
probe_instructions() {
  local program=$1 uri=$2 n=$3 out
  shift 3
  local -a params=()
  local p
  for p in "$@"; do params+=(--param "$p"); done
  out="$RUN/fcgi-cost-$RANDOM"
  python3 "$MK_REPO_ROOT/scripts/fcgi_probe.py" "${params[@]}" \
    --wrapper "valgrind --tool=callgrind --callgrind-out-file=$out.cg" "$n" "$uri" "$program" \
    >"$out.txt" 2>"$out.err" || true
  awk '/Collected :/ { print $NF }' "$out.err" | tail -n 1
}

# fcgi_cost_row LABEL PROGRAM URI [PARAM...]: "first request (start-up
# included)" and "per warm request" instructions, and wall times.
fcgi_cost_row() {
  local label=$1 program=$2 uri=$3 one many n=21
  shift 3
  local -a params=()
  local p
  for p in "$@"; do params+=(--param "$p"); done
  one="$(probe_instructions "$program" "$uri" 1 "$@")"
  many="$(probe_instructions "$program" "$uri" "$n" "$@")"
  python3 "$MK_REPO_ROOT/scripts/fcgi_probe.py" "${params[@]}" 201 "$uri" "$program" >"$RUN/fcgi-wall.txt" 2>/dev/null || true
  awk -v label="$label" -v one="$one" -v many="$many" -v n="$n" -v wall="$RUN/fcgi-wall.txt" 'BEGIN {
    k = 0
    while ((getline l < wall) > 0) { split(l, f, " "); if (k == 0) first = f[2]; else t[k] = f[2]; if (f[1] != "200") bad++; k++ }
    asort(t); med = t[int((k - 1) / 2)]
    per = (many - one) / (n - 1)
    printf "%-40s %12.2f M %14.0f %12.2f ms %10.3f ms %s\n", label, one / 1e6, per, first, med,
      bad ? sprintf("(%d non-200)", bad) : ""
  }'
}

fcgi_cost_section() {
  local course atelier
  [[ "${MK_BENCH_WARMUP_TAIL:-1}" == 0 ]] && return 0
  command -v valgrind >/dev/null || {
    echo
    echo "FastCGI per-request cost: not measured (valgrind missing)"
    return 0
  }
  mk_section "FastCGI: instructions per process and per request"
  course="$(bench_sql "SELECT MIN(id) FROM produits")"
  atelier="$(bench_sql "SELECT id FROM ateliers WHERE code = 'BENCH-A'")"
  echo
  echo "==== FastCGI process cost outside Apache (scripts/fcgi_probe.py, one connection per request like mod_fcgid) ===="
  printf '%-40s %14s %14s %15s %13s\n' "program, route" "first request" "instr./warm req" "first wall" "warm p50"
  fcgi_cost_row "floor: C libfcgi loop" "$RUN/floor.fcgi" /api/floor.fcgi
  fcgi_cost_row "ours GET /api/health" "$BIN_API" /api/health "MK_ENV_FILE=$ENV_FILE"
  fcgi_cost_row "ours GET /api/parcours/{id}" "$BIN_API" "/api/parcours/$course" "MK_ENV_FILE=$ENV_FILE"
  fcgi_cost_row "ours GET /api/auth/me (JWT)" "$BIN_API" /api/auth/me "MK_ENV_FILE=$ENV_FILE" \
    "HTTP_AUTHORIZATION=Bearer $BENCH_TOKEN"
  # The two lists of the side-by-side table: what a page costs our process
  # and MariaDB alone, without Apache in front.
  fcgi_cost_row "ours GET /api/parcours (50 rows)" "$BIN_API" /api/parcours "MK_ENV_FILE=$ENV_FILE"
  fcgi_cost_row "ours GET /api/commandes (50, JWT)" "$BIN_API" \
    "/api/commandes?statut=attente_gravure&atelier_id=$atelier&per_page=50" "MK_ENV_FILE=$ENV_FILE" \
    "HTTP_AUTHORIZATION=Bearer $BENCH_TOKEN"
  echo "first request = process start, .env, MySQL connect (unix socket) and the request; warm = the 20 after it."
}
BENCH_SECTION_HOOKS+=(warmup_tail_section fcgi_cost_section)
