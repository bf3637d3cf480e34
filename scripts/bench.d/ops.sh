# shellcheck shell=bash
# Operations figures (issue 10), sourced by scripts/bench.sh after the seed.
#
# GET /api/admin/stats falls under the /api/admin/* rate limit of spec 10.4
# (30 requests per minute and user), so wrk cannot hammer it: it is timed as
# 25 sequential CGI requests of the API binary outside Apache (the process
# start, connect and queries: what one admin click costs under CGI), and the
# backup and restore of the bench volume are timed with mk-admin. The lines
# land in the table's extra section (BENCH_EXTRA_HOOKS).

# ops_stats_percentiles [uncached]: "p50 X ms, p90 Y ms (n=25)" of GET
# /api/admin/stats. The answer is kept one minute in STORAGE_PATH/cache, so
# the plain run measures what the console's repeated loads cost; "uncached"
# removes that file before each request (the first load of each minute: every
# aggregate computed) and clears the admin rate limit between requests.
ops_stats_percentiles() {
  local mode=${1:-} i start end times=()
  for i in $(seq 1 25); do
    if [[ "$mode" == uncached ]]; then
      rm -f "$APP"/storage/cache/stats-*.json
      bench_sql "DELETE FROM rate_limits WHERE cle LIKE 'bucket:admin%' OR cle LIKE 'route:GET:/api/admin%'" >/dev/null
    fi
    start=$(date +%s%N)
    cgi_run GET /api/admin/stats "$BENCH_TOKEN" "" "$BIN_API" >"$RUN/ops-stats.out"
    end=$(date +%s%N)
    times+=("$(((end - start) / 1000))")
  done
  grep -q '"kpis"' "$RUN/ops-stats.out" || {
    echo "failed: $(head -c 200 "$RUN/ops-stats.out")"
    return
  }
  printf '%s\n' "${times[@]}" | sort -n |
    awk '{ v[NR] = $1 } END { printf "p50 %.1f ms, p90 %.1f ms (n=%d, CGI outside Apache)", v[int(NR*0.5+0.5)]/1000, v[int(NR*0.9+0.5)]/1000, NR }'
}

# ops_backup_restore: durations of mk-admin backup and of mk-admin restore of
# that file into a fresh database.
ops_backup_restore() {
  local start end file target env2 line
  start=$(date +%s%N)
  line="$("$BIN_ADMIN" --env-file "$ENV_FILE" backup 2>&1)" || {
    EXTRA+=("backup of the bench volume|failed: $line")
    return
  }
  end=$(date +%s%N)
  file="$(sed -n 's/^backup \([^:]*\):.*/\1/p' <<<"$line")"
  EXTRA+=("backup of the bench volume (mk-admin backup)|$(((end - start) / 1000000)) ms, $(stat -c %s "$APP/backups/$file") bytes gzip")
  target="${MK_DB_NAME}_r"
  _mk_db_create "$target" "$MK_DB_USER" "$MK_DB_PASS"
  env2="$RUN/restore.env"
  sed "s/^DB_NAME=.*/DB_NAME=$target/" "$ENV_FILE" >"$env2"
  start=$(date +%s%N)
  line="$("$BIN_ADMIN" --env-file "$env2" restore "$APP/backups/$file" 2>&1)" || line="failed: $line"
  end=$(date +%s%N)
  EXTRA+=("restore of that backup into an empty database|$(((end - start) / 1000000)) ms (${line##*: })")
  mk_db_admin -e "DROP DATABASE IF EXISTS \`$target\`" || true
}

ops_bench_extra() {
  EXTRA+=("GET /api/admin/stats at the bench volume|$(ops_stats_percentiles)")
  EXTRA+=("GET /api/admin/stats, cache removed before each request|$(ops_stats_percentiles uncached)")
  ops_backup_restore
}
BENCH_EXTRA_HOOKS+=(ops_bench_extra)
