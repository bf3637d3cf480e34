#!/usr/bin/env bash
# MyKollector — throughput and latency through the real Apache setups.
#
#   scripts/bench.sh
#
# 1. builds the static release binary (scripts/build-release.sh, incremental);
# 2. creates its own fresh database, .env and app root, installs the schema,
#    creates a super_admin and seeds volumes (mk-admin seed-bench);
# 3. for each Apache mode, deploys the web root exactly like test.sh does and
#    runs wrk on loopback against every scenario at each concurrency:
#       cgi      prefork MPM + mod_cgi    (one process per request)
#       cgid     event MPM   + mod_cgid   (one process per request)
#       fastcgi  event MPM   + mod_fcgid  (long-lived processes)
# 4. measures one CGI request outside Apache: peak RSS, and instructions
#    (valgrind callgrind, when installed) for each core scenario;
# 5. prints one table, with the PHP figures of shared/perf-notes.md beside.
#
# Columns per concurrency: req/s, latency p50/p90/p99, and ">=40ms", the share
# of requests slower than 40 ms: at c=1 under prefork + mod_cgi those are the
# requests that hit Apache's cleanup (a CGI not yet reaped when the request
# ends gets SIGTERM and Apache sleeps ~47 ms). The first scenario, "floor", is
# a static C CGI that only prints "{}": the cost of CGI itself under each
# module, to read our binary's figures against (CGI modes only).
#
# Floors, the cost of the web server itself, to read our figures against:
#   floor: static C CGI           prints "{}" (cgi, cgid)
#   floor: C CGI + MariaDB        php-anchor/floors/hello-db.c, static libmariadb,
#                                 connects to the bench database over the unix
#                                 socket and runs SELECT 1 (cgi, cgid): the
#                                 physical floor of a process per request
#   floor: C FastCGI (libfcgi)    an FCGI_Accept loop printing "{}", under the
#                                 same mod_fcgid and .htaccess as our binary
# The table is followed by each route's ratio to the FastCGI floor (req/s and
# p50) and to the C CGI + MariaDB floor of the same module (target: within
# 1.2x), then by the sections of bench.d (list scaling, PHP side by side,
# FastCGI warm-up and tail).
#
# Scenarios: bench.sh has the core ones (GET /api/health, GET /api/auth/me);
# every scripts/bench.d/*.sh is sourced after the seed and adds its own with
#   bench_get NAME PATH [TOKEN]      e.g. bench_get "GET /api/x" "/api/x?y=1" "$BENCH_TOKEN"
#   bench_get_seq NAME PATH TOKEN SQL  a rate-limited route: measured at c=1
#                                    only, by sequential requests through the
#                                    same Apache (curl, keep-alive) in batches
#                                    of 25, SQL (which resets the limiter) run
#                                    before each batch, outside the timing
# using bench_sql "SELECT ..." (one value from the bench database) to pick
# ids, and bench_chat for a chat conversation to read. A scenario whose
# route answers 404 route_not_found (not built yet) is reported as SKIPPED
# instead of measured. A bench.d script may also add
#   BENCH_EXTRA_HOOKS+=(fn)    fn appends "label|value" lines to EXTRA
#   BENCH_SECTION_HOOKS+=(fn)  fn prints a section appended to the table
#
# Knobs (all optional):
#   MK_BENCH_MODES="cgi cgid fastcgi"  Apache modes
#   MK_BENCH_CONCURRENCY="1 16"        wrk connections per point
#   MK_BENCH_DURATION=5                seconds per point (warm-up: 2 s per CGI mode)
#   MK_BENCH_FCGI_WARMUP=5             warm-up under mod_fcgid (process pool ramp)
#   MK_BENCH_FILTER=regex              only scenarios whose name matches
#   MK_BENCH_SEED="--courses 1000 --chronos 100000 --orders 50000"
#   MK_BENCH_BINARY=path               the API binary to bench (default: the
#                                      musl release build, made if needed)
#   MK_BENCH_ADMIN=path                the mk-admin binary (same default)
#   MK_BENCH_BASELINE=path             another API binary: its instructions per
#                                      request are printed beside (before/after)
#   MK_BENCH_SEQ_REQUESTS=50           requests per rate-limited (sequential) point
#   MK_BENCH_SCALING=1                 list scaling at 1,000 / 100,000 orders (bench.d/lists.sh)
#   MK_BENCH_PHP=1                     side by side with the PHP anchor (bench.d/php.sh)
#   MK_BENCH_WARMUP_TAIL=1             FastCGI p99 while the pool ramps (bench.d/warmup.sh)
#   MK_KEEP_RUN=1                      keep the run directory (logs, .env)
#   MK_KEEP_DB=1                       keep the bench database too, so that
#                                      the kept .env still connects
# The machine is shared: the load average is printed before and after; figures
# taken under load are not comparable.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

# shellcheck source=lib/instance.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/instance.sh"

mk_enter_repo

MODES="${MK_BENCH_MODES:-cgi cgid fastcgi}"
CONCURRENCY="${MK_BENCH_CONCURRENCY:-1 16}"
DURATION="${MK_BENCH_DURATION:-5}"
FILTER="${MK_BENCH_FILTER:-}"
SEED_ARGS="${MK_BENCH_SEED:---courses 1000 --chronos 100000 --orders 50000}"
RELEASE_DIR="${CARGO_TARGET_DIR:-$MK_REPO_ROOT/target}/x86_64-unknown-linux-musl/release"

# --- scenario registry (the API for scripts/bench.d/*.sh) ----------------------
SCEN_NAMES=()
SCEN_PATHS=()
SCEN_TOKENS=()
SCEN_KINDS=() # "wrk", or "seq:SQL" (sequential, SQL run before each batch)
SCEN_MODES=() # modes the scenario runs in ("" = every mode)

# _bench_add NAME PATH TOKEN KIND MODES
_bench_add() {
  local name=$1 path=$2
  [[ "$path" == /* ]] || mk_die "scenario $name: the path must start with /: $path"
  if [[ -n "$FILTER" && ! "$name" =~ $FILTER && "$name" != floor:* ]]; then
    return 0
  fi
  SCEN_NAMES+=("$name")
  SCEN_PATHS+=("$path")
  SCEN_TOKENS+=("$3")
  SCEN_KINDS+=("$4")
  SCEN_MODES+=("$5")
}

# bench_get NAME PATH [TOKEN]: measure GET PATH (with a Bearer TOKEN if given).
bench_get() { _bench_add "$1" "$2" "${3:-}" wrk ""; }

# bench_get_seq NAME PATH TOKEN SQL: a rate-limited route (see the header).
bench_get_seq() { _bench_add "$1" "$2" "$3" "seq:$4" ""; }

# bench_sql "SELECT ...": the first column of the first row, from the bench
# database (as the administrator).
bench_sql() {
  mk_db_admin --database="$MK_DB_NAME" -e "$1" | head -n 1
}

# bench_chat TITLE ADMIN_ID PEER_EMAIL PEER_NOM: a conversation TITLE of user
# ADMIN_ID with the workshop admin PEER_EMAIL ("Bench PEER_NOM", made once),
# 200 messages long, the two taking turns. The caller reads its id back by
# TITLE: an id printed from $(...) would hide a failed insert from set -e.
bench_chat() {
  local titre=$1 admin=$2 peer_email=$3 peer_nom=$4 peer conv
  bench_sql "INSERT IGNORE INTO users (email, password, role, prenom, nom, actif)
             VALUES ('$peer_email', '-', 'admin_fab', 'Bench', '$peer_nom', TRUE)" >/dev/null
  peer="$(bench_sql "SELECT id FROM users WHERE email = '$peer_email'")"
  bench_sql "INSERT INTO chat_conversations (titre, cree_par) VALUES ('$titre', $admin)" >/dev/null
  conv="$(bench_sql "SELECT MAX(id) FROM chat_conversations WHERE titre = '$titre'")"
  bench_sql "INSERT INTO chat_participants (conversation_id, user_id)
             VALUES ($conv, $admin), ($conv, $peer)" >/dev/null
  # Row source: the seed's chronos (100 000 by default) give the row count.
  bench_sql "INSERT INTO chat_messages (conversation_id, user_id, contenu)
             SELECT $conv, IF(id % 2 = 0, $admin, $peer), CONCAT('Message ', id)
               FROM chronos ORDER BY id LIMIT 200" >/dev/null
}

# --- results -------------------------------------------------------------------
RESULTS=() # "scenario|mode|conc|rps|p50|p90|p99|non2xx|errors" or "scenario|mode|SKIP|note"

# ms VALUE_WITH_UNIT: wrk's "812.00us" / "1.23ms" / "2.01s" in milliseconds.
ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000
    printf "%.2f", n }'
}

# run_wrk URL CONC TOKEN LOG: one point; appends to RESULTS via the caller.
run_wrk() {
  local url=$1 conc=$2 token=$3 log=$4 threads=1
  ((conc > 1)) && threads=2
  local -a hdr=()
  [[ -n "$token" ]] && hdr=(-H "Authorization: Bearer $token")
  wrk -t"$threads" -c"$conc" -d"${DURATION}s" --timeout 10s --latency -s "$RUN/slow.lua" \
    "${hdr[@]}" "$url" >"$log" 2>&1 || true
}

# parse_wrk LOG: "rps|p50|p90|p99|slow%|non2xx|errors"
parse_wrk() {
  local log=$1 rps p50 p90 p99 slow non2xx errors
  rps="$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$log")"
  p50="$(ms "$(awk '$1 == "50%" { print $2 }' "$log")")"
  p90="$(ms "$(awk '$1 == "90%" { print $2 }' "$log")")"
  p99="$(ms "$(awk '$1 == "99%" { print $2 }' "$log")")"
  non2xx="$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$log")"
  errors="$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$log")"
  slow="$(awk '$1 == "MK_SLOW" { print $2 }' "$log")"
  echo "${rps:-0}|${p50}|${p90}|${p99}|${slow:-?}|${non2xx:-0}|${errors:-0}"
}

# probe URL TOKEN: "ok", or a note why the scenario is skipped / broken.
probe() {
  local url=$1 token=$2 body code
  local -a hdr=()
  [[ -n "$token" ]] && hdr=(-H "Authorization: Bearer $token")
  body="$(curl -s --max-time 20 -w '\n%{http_code}' "${hdr[@]}" "$url" || true)"
  code="${body##*$'\n'}"
  body="${body%$'\n'*}"
  if [[ "$code" == 404 && "$body" == *route_not_found* ]]; then
    echo "SKIPPED: route not built yet (404 route_not_found)"
  elif [[ "$code" != 2* ]]; then
    echo "FAILED: answers $code: ${body:0:120}"
  else
    echo ok
  fi
}

load_avg() { cut -d' ' -f1-3 /proc/loadavg; }

# run_seq URL TOKEN SQL LOG: MK_BENCH_SEQ_REQUESTS sequential GETs through
# Apache on one keep-alive connection, in batches of 25 (a rate limit of 30
# per minute lets each batch through once SQL has reset it); prints the
# same "rps|p50|p90|p99|slow%|non2xx|errors" line as parse_wrk.
run_seq() {
  local url=$1 token=$2 sql=$3 log=$4 n=${MK_BENCH_SEQ_REQUESTS:-50} done=0 batch i
  local -a hdr=() urls
  [[ -n "$token" ]] && hdr=(-H "Authorization: Bearer $token")
  : >"$log"
  while ((done < n)); do
    batch=$((n - done < 25 ? n - done : 25))
    [[ -n "$sql" ]] && bench_sql "$sql" >/dev/null
    urls=()
    for ((i = 0; i < batch; i++)); do urls+=(-o /dev/null "$url"); done
    curl -s --max-time 60 "${hdr[@]}" -w '%{http_code} %{time_total}\n' "${urls[@]}" >>"$log" || true
    done=$((done + batch))
  done
  # Leave the limiter as found, for whatever runs next (bench.d/ops.sh).
  [[ -n "$sql" ]] && bench_sql "$sql" >/dev/null
  sort -k2 -n "$log" | awk '
    { t[NR] = $2 * 1000; sum += $2; if ($1 !~ /^2/) bad++; if ($2 >= 0.040) slow++ }
    END {
      if (NR == 0) { print "0|0|0|0|?|0|1"; exit }
      printf "%.0f|%.2f|%.2f|%.2f|%.1f|%d|0\n", NR / sum, t[int(NR * 0.5 + 0.5)],
        t[int(NR * 0.9 + 0.5)], t[int(NR * 0.99 + 0.5)], 100 * slow / NR, bad }'
}

# bench_point MODE BASE INDEX: measure scenario INDEX at every concurrency
# (or once, sequentially, for a "seq" scenario) against BASE; appends to
# RESULTS and logs one line per point.
bench_point() {
  local mode=$1 base=$2 i=$3 name url token kind note conc log line
  name="${SCEN_NAMES[i]}"
  url="$base${SCEN_PATHS[i]}"
  token="${SCEN_TOKENS[i]}"
  kind="${SCEN_KINDS[i]}"
  note="$(probe "$url" "$token")"
  if [[ "$note" != ok ]]; then
    mk_warn "[$mode] $name: $note"
    RESULTS+=("$name|$mode|SKIP|$note")
    return 0
  fi
  mkdir -p "$RUN/$mode"
  if [[ "$kind" == seq:* ]]; then
    log="$RUN/$mode/seq-$i.log"
    line="$(run_seq "$url" "$token" "${kind#seq:}" "$log")"
    RESULTS+=("$name|$mode|1|$line")
    RESULTS+=("$name|$mode|SKIP|rate-limited: c=1 only, ${MK_BENCH_SEQ_REQUESTS:-50} sequential requests, limiter reset every 25")
    mk_log "[$mode] $name sequential: $(awk -F'|' '{ printf "%s req/s, p50 %s ms, p99 %s ms", $1, $2, $4 }' <<<"$line")"
    return 0
  fi
  for conc in $CONCURRENCY; do
    log="$RUN/$mode/wrk-$i-c$conc.log"
    run_wrk "$url" "$conc" "$token" "$log"
    line="$(parse_wrk "$log")"
    RESULTS+=("$name|$mode|$conc|$line")
    mk_log "[$mode] $name c=$conc: $(awk -F'|' '{ printf "%s req/s, p50 %s ms, p99 %s ms, %s%% >= 40 ms", $1, $2, $4, $5 }' <<<"$line")"
  done
}

# result NAME MODE CONC: the "rps|p50|p90|p99|slow|non2xx|errors" of a point,
# empty when it was not measured.
result() {
  local r rn rm rc rest
  for r in "${RESULTS[@]}"; do
    IFS='|' read -r rn rm rc rest <<<"$r"
    if [[ "$rn" == "$1" && "$rm" == "$2" && "$rc" == "$3" ]]; then
      echo "$rest"
      return 0
    fi
  done
}

# --- 1. dependencies and binaries --------------------------------------------------
mk_section "dependencies"
ensure_packages "${MK_BASE_PACKAGES[@]}" wrk libfcgi-dev libmariadb-dev pkg-config
LOAD_BEFORE="$(load_avg)"
mk_log "load average before: $LOAD_BEFORE on $(nproc) cores"

if [[ -z "${MK_BENCH_BINARY:-}" || -z "${MK_BENCH_ADMIN:-}" ]]; then
  mk_section "release build"
  "$MK_REPO_ROOT/scripts/build-release.sh" >&2
fi
BIN_API="${MK_BENCH_BINARY:-$RELEASE_DIR/mykollector}"
BIN_ADMIN="${MK_BENCH_ADMIN:-$RELEASE_DIR/mk-admin}"
[[ -x "$BIN_API" && -x "$BIN_ADMIN" ]] || mk_die "binaries missing: $BIN_API $BIN_ADMIN"

# --- 2. database, .env, seed -----------------------------------------------------
RUN="$(mktemp -d /tmp/mk-bench.XXXXXX)"
chmod 755 "$RUN"
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup_run() {
  if [[ "$MK_EXIT_STATUS" == 0 && "${MK_KEEP_RUN:-0}" != 1 ]]; then
    rm -rf "$RUN"
  else
    mk_log "run directory kept: $RUN"
  fi
}
mk_on_exit cleanup_run

# wrk hook: the share of requests slower than 40 ms, i.e. those that hit
# mod_cgi's cleanup (SIGTERM + 47 ms sleep when the CGI has not fully exited).
cat >"$RUN/slow.lua" <<'EOF'
done = function(summary, latency, requests)
  local lo, hi = 0.0, 100.0
  if latency.max < 40000 then
    io.write("MK_SLOW 0.0\n")
    return
  end
  for _ = 1, 40 do
    local mid = (lo + hi) / 2
    if latency:percentile(mid) >= 40000 then hi = mid else lo = mid end
  end
  io.write(string.format("MK_SLOW %.1f\n", 100 - hi))
end
EOF
# Peak RSS of one program: fork + exec from a tiny static launcher, so no
# bigger parent image (python, bash) is counted in the child's high-water mark.
cat >"$RUN/rss.c" <<'EOF'
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
    if (argc < 2) return 2;
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);
        dup2(fd, 0);
        dup2(fd, 1);
        execv(argv[1], argv + 1);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) return 1;
    printf("%ld\n", ru.ru_maxrss);
    return 0;
}
EOF
# The floor of CGI under each module: a static C program that only prints a
# 2-byte JSON answer. Whatever our binary costs above it is ours.
cat >"$RUN/floor.c" <<'EOF'
#include <unistd.h>
int main(void) {
    static const char a[] = "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n{}";
    return write(1, a, sizeof a - 1) == (ssize_t)(sizeof a - 1) ? 0 : 1;
}
EOF
# The floor of FastCGI under mod_fcgid: the canonical libfcgi responder loop,
# printing the same 2-byte answer. Whatever our binary costs above it under
# the same mod_fcgid is ours.
cat >"$RUN/floor-fcgi.c" <<'EOF'
#include <fcgi_stdio.h>
int main(void) {
    while (FCGI_Accept() >= 0)
        printf("Status: 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
    return 0;
}
EOF
musl-gcc -static -O2 -o "$RUN/rss" "$RUN/rss.c"
musl-gcc -static -O2 -o "$RUN/floor.cgi" "$RUN/floor.c"
gcc -O2 -static -o "$RUN/floor.fcgi" "$RUN/floor-fcgi.c" -lfcgi 2>/dev/null ||
  gcc -O2 -o "$RUN/floor.fcgi" "$RUN/floor-fcgi.c" -lfcgi

mk_section "database + seed"
mk_db_ensure_running
mk_db_create_fresh mk_bench_
APP="$RUN/app"
ENV_FILE="$APP/.env"
mk_app_root_prepare "$APP"
mk_write_app_env "$ENV_FILE" "$APP" \
  APP_ENV=test \
  APP_URL=http://127.0.0.1 \
  "JWT_SECRET=$(mk_random_hex 32)" \
  "ENCRYPTION_KEY=$(mk_random_hex 32)" \
  SMTP_HOST=
ADMIN_EMAIL=bench.admin@mykollector.test
ADMIN_PASSWORD="bench-$(mk_random_hex 8)"
"$BIN_ADMIN" --env-file "$ENV_FILE" install >&2
MK_ADMIN_PASSWORD="$ADMIN_PASSWORD" "$BIN_ADMIN" --env-file "$ENV_FILE" create-admin --email "$ADMIN_EMAIL" >&2
# shellcheck disable=SC2086 # SEED_ARGS is a list of words on purpose
"$BIN_ADMIN" --env-file "$ENV_FILE" seed-bench $SEED_ARGS >&2
mk_chown_web "$APP/storage" "$APP/logs" "$APP/backups"

# The physical floor of a process per request (issue 12): the PHP anchor's
# static C CGI that connects to MariaDB and runs SELECT 1, built against the
# bench database and its user (the same socket our binary uses).
ANCHOR_SRC="${MK_PHP_ANCHOR:-$MK_REPO_ROOT/../shared/php-anchor}"
[[ -d "$ANCHOR_SRC" ]] || ANCHOR_SRC=/work/shared/php-anchor
HELLO_DB_LINK=none
if [[ -f "$ANCHOR_SRC/floors/hello-db.c" ]]; then
  hello_defs=(-DMK_DB_SOCKET="\"$MK_DB_SOCKET\"" -DMK_DB_NAME="\"$MK_DB_NAME\""
    -DMK_DB_USER="\"$MK_DB_USER\"" -DMK_DB_PASS="\"$MK_DB_PASS\"")
  # shellcheck disable=SC2046 # mariadb_config / pkg-config print word lists
  if gcc -O2 -static "${hello_defs[@]}" $(mariadb_config --cflags) -o "$RUN/hello-db.cgi" \
    "$ANCHOR_SRC/floors/hello-db.c" $(pkg-config --libs --static libmariadb) -lpthread 2>/dev/null; then
    HELLO_DB_LINK=static
  elif gcc -O2 "${hello_defs[@]}" $(mariadb_config --cflags) -o "$RUN/hello-db.cgi" \
    "$ANCHOR_SRC/floors/hello-db.c" $(mariadb_config --libs); then
    HELLO_DB_LINK=dynamic
  fi
else
  mk_warn "no php-anchor/floors/hello-db.c (MK_PHP_ANCHOR): the C CGI + MariaDB floor is skipped"
fi

# cgi_run METHOD URI [TOKEN] [BODY] [WRAPPER...]: the API binary as one CGI
# request outside Apache (stdout = its answer).
cgi_run() {
  local method=$1 uri=$2 token=${3:-} body=${4:-}
  shift 4 || shift $#
  local -a vars=(GATEWAY_INTERFACE=CGI/1.1 "REQUEST_METHOD=$method" "REQUEST_URI=$uri"
    SCRIPT_NAME=/api/mykollector.cgi SERVER_NAME=127.0.0.1 SERVER_PORT=80
    SERVER_PROTOCOL=HTTP/1.1 REMOTE_ADDR=127.0.0.1 "MK_ENV_FILE=$ENV_FILE")
  [[ -n "$token" ]] && vars+=("HTTP_AUTHORIZATION=Bearer $token")
  [[ -n "$body" ]] && vars+=("CONTENT_LENGTH=${#body}" CONTENT_TYPE=application/json)
  env -i "${vars[@]}" "$@" <<<"$body"
}

# The admin's access token, from a real login (one bcrypt, outside the bench).
BENCH_TOKEN="$(cgi_run POST /api/auth/login "" \
  "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" "$BIN_API" |
  sed -n 's/.*"token":"\([^"]*\)".*/\1/p')"
[[ -n "$BENCH_TOKEN" ]] || mk_die "login of $ADMIN_EMAIL failed: no token"
export BENCH_TOKEN

# --- 3. scenarios ------------------------------------------------------------------
# bench.d scripts may add functions here; each runs in section 5 and appends
# "label|value" lines to EXTRA (figures wrk cannot take, e.g. rate-limited
# routes, CLI durations).
BENCH_EXTRA_HOOKS=()
BENCH_SECTION_HOOKS=()
FLOOR_CGI="floor: static C CGI (prints {})"
FLOOR_DB="floor: C CGI + MariaDB SELECT 1"
FLOOR_FCGI="floor: C FastCGI, libfcgi (prints {})"
_bench_add "$FLOOR_CGI" /api/floor.cgi "" wrk "cgi cgid"
if [[ "$HELLO_DB_LINK" != none ]]; then
  _bench_add "$FLOOR_DB" /api/hello-db.cgi "" wrk "cgi cgid"
fi
_bench_add "$FLOOR_FCGI" /api/floor.fcgi "" wrk "fastcgi"
bench_get "GET /api/health" /api/health
bench_get "GET /api/auth/me" /api/auth/me "$BENCH_TOKEN"
for f in "$MK_REPO_ROOT"/scripts/bench.d/*.sh; do
  [[ -e "$f" ]] || continue
  # shellcheck source=/dev/null
  source "$f"
done
((${#SCEN_NAMES[@]} > 0)) || mk_die "no scenario matches MK_BENCH_FILTER=$FILTER"

# bench_install_floors MODE DOCROOT: the floor programs next to our binary,
# served as files by the .htaccess (RewriteCond !-f) and run by cgi-script or
# fcgid-script exactly like it.
bench_install_floors() {
  if [[ "$1" == fastcgi ]]; then
    install -m 755 "$RUN/floor.fcgi" "$2/api/floor.fcgi"
  else
    install -m 755 "$RUN/floor.cgi" "$2/api/floor.cgi"
    if [[ "$HELLO_DB_LINK" != none ]]; then
      install -m 755 "$RUN/hello-db.cgi" "$2/api/hello-db.cgi"
    fi
  fi
}

# --- 4. Apache modes -----------------------------------------------------------------
for mode in $MODES; do
  mk_section "mode $mode"
  port="$(mk_free_port)"
  docroot="$RUN/$mode/public_html"
  rundir="$RUN/$mode/apache"
  base="http://127.0.0.1:$port"
  mk_deploy "$docroot" "$mode" "$BIN_API" "$ENV_FILE"
  bench_install_floors "$mode" "$docroot"
  mk_apache_start "$mode" "$port" "$docroot" "$rundir"
  mk_wait_http_code "$base/api/health" 200 30 || {
    mk_apache_error_log "$rundir"
    mk_die "[$mode] /api/health does not answer 200"
  }
  # Warm-up: page cache and, under mod_fcgid, its pool of processes. mod_fcgid
  # routes one request at a time to a process and spawns new ones at a bounded
  # rate (spawn score); a request that finds every process busy waits about a
  # second. After 20 s at c=16 there were still only 13-14 processes, so the
  # c=16 p90/p99 of FastCGI show that wait (~0.95 s), not the binary.
  warmup=2
  [[ "$mode" == fastcgi ]] && warmup="${MK_BENCH_FCGI_WARMUP:-5}"
  wrk -t2 -c16 -d"${warmup}s" "$base/api/health" >/dev/null 2>&1 || true
  # mod_fcgid keeps one pool per program: the floor's warms up too.
  if [[ "$mode" == fastcgi ]]; then
    wrk -t2 -c16 -d"${warmup}s" "$base/api/floor.fcgi" >/dev/null 2>&1 || true
  fi
  for i in "${!SCEN_NAMES[@]}"; do
    if [[ -n "${SCEN_MODES[i]}" && " ${SCEN_MODES[i]} " != *" $mode "* ]]; then
      RESULTS+=("${SCEN_NAMES[i]}|$mode|SKIP|n/a in this mode")
      continue
    fi
    bench_point "$mode" "$base" "$i"
  done
  mk_apache_stop "$rundir"
done

# --- 5. one CGI request outside Apache: RSS and instructions ---------------------------
mk_section "one CGI request: peak RSS, instructions"
# peak_rss_kb BINARY URI [TOKEN]: maximum resident set size of one CGI
# request, in KiB.
peak_rss_kb() {
  local -a vars=(GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET "REQUEST_URI=$2"
    REMOTE_ADDR=127.0.0.1 "MK_ENV_FILE=$ENV_FILE")
  [[ -n "${3:-}" ]] && vars+=("HTTP_AUTHORIZATION=Bearer $3")
  env -i "${vars[@]}" "$RUN/rss" "$1"
}
# instructions BINARY URI [TOKEN]: callgrind's instruction count of one request.
instructions() {
  local bin=$1 uri=$2 token=${3:-} out
  command -v valgrind >/dev/null || {
    echo "n/a"
    return
  }
  out="$(cgi_run GET "$uri" "$token" "" valgrind --tool=callgrind \
    --callgrind-out-file="$RUN/callgrind.out" "$bin" 2>&1 >/dev/null || true)"
  awk '/Collected :/ { print $NF }' <<<"$out" | tail -n 1
}
EXTRA=() # "label|value"
for core in "/api/health|" "/api/auth/me|$BENCH_TOKEN"; do
  uri="${core%%|*}"
  token="${core#*|}"
  EXTRA+=("peak RSS, one CGI GET $uri|$(peak_rss_kb "$BIN_API" "$uri" "$token") KiB")
  EXTRA+=("instructions, one CGI GET $uri|$(instructions "$BIN_API" "$uri" "$token")")
  if [[ -n "${MK_BENCH_BASELINE:-}" ]]; then
    EXTRA+=("  baseline $(basename "$MK_BENCH_BASELINE")|$(instructions "$MK_BENCH_BASELINE" "$uri" "$token")")
  fi
done
for hook in "${BENCH_EXTRA_HOOKS[@]}"; do
  "$hook"
done
EXTRA+=("binary size|$(stat -c %s "$BIN_API") bytes ($(file -b "$BIN_API" | cut -d, -f1,4-5 | tr -s ' '))")

# --- 5b. sections of bench.d (list scaling, PHP side by side, warm-up) -------------
mkdir -p "$RUN/sections"
section_n=0
for hook in "${BENCH_SECTION_HOOKS[@]}"; do
  section_n=$((section_n + 1))
  "$hook" >"$RUN/sections/$section_n.txt" || mk_warn "section $hook failed (see above)"
done

# ratio_line ROUTE_LINE FLOOR_LINE: "route req/s (ratio) p50 (ratio)" cells
# from two "rps|p50|..." lines; ratio = route / floor.
ratio_cells() {
  awk -F'|' -v r="$1" -v f="$2" 'BEGIN {
    split(r, a, "|"); split(f, b, "|")
    if (a[1] == "" || b[1] == "" || b[1] == 0 || b[2] == 0) { printf "%-30s", "-"; exit }
    printf "%6s %5.2fx %7s %5.2fx    ", a[1], a[1] / b[1], a[2], a[2] / b[2] }'
}

# The FastCGI floor: our routes under mod_fcgid against the libfcgi loop in
# the same Apache (req/s and p50 as a multiple of the floor's).
fastcgi_floor_section() {
  local name conc f r
  [[ " $MODES " == *" fastcgi "* ]] || return 0
  echo
  echo "==== FastCGI floor: each route / the C libfcgi responder under the same mod_fcgid ===="
  printf '%-52s' "route (fastcgi)"
  for conc in $CONCURRENCY; do printf '| c=%-3s req/s (x floor) p50 ms (x floor) ' "$conc"; done
  echo
  for conc in $CONCURRENCY; do f+="$(result "$FLOOR_FCGI" fastcgi "$conc")"$'\n'; done
  for name in "${SCEN_NAMES[@]}"; do
    [[ "$name" == floor:* ]] && continue
    [[ -n "$(result "$name" fastcgi 1)$(result "$name" fastcgi 16)" ]] || continue
    printf '%-52s' "$name"
    for conc in $CONCURRENCY; do
      r="$(result "$name" fastcgi "$conc")"
      printf '| '
      ratio_cells "$r" "$(result "$FLOOR_FCGI" fastcgi "$conc")"
    done
    echo
  done
  for conc in $CONCURRENCY; do
    echo "floor c=$conc: $(result "$FLOOR_FCGI" fastcgi "$conc" | awk -F'|' '{ printf "%s req/s, p50 %s ms, p99 %s ms", $1, $2, $4 }')"
  done
}

# The CGI floor: the static C CGI that connects to MariaDB (SELECT 1), same
# module. "x floor" is the floor's req/s over the route's (target <= 1.2).
cgi_floor_section() {
  local name mode conc r f worst cell
  [[ "$HELLO_DB_LINK" != none ]] || {
    echo
    echo "CGI floor: not measured (hello-db.c could not be built)"
    return 0
  }
  for mode in cgi cgid; do
    [[ " $MODES " == *" $mode "* ]] || continue
    echo
    echo "==== CGI floor ($mode): floor req/s / route req/s, C CGI + MariaDB ($HELLO_DB_LINK libmariadb) — target <= 1.2x ===="
    printf '%-52s' "route ($mode)"
    for conc in $CONCURRENCY; do printf '| c=%-3s req/s  x slower  p50 ms ' "$conc"; done
    echo '| within 1.2x'
    for name in "${SCEN_NAMES[@]}"; do
      [[ "$name" == floor:* ]] && continue
      [[ -n "$(result "$name" "$mode" 1)$(result "$name" "$mode" 16)" ]] || continue
      printf '%-52s' "$name"
      worst=0
      for conc in $CONCURRENCY; do
        r="$(result "$name" "$mode" "$conc")"
        f="$(result "$FLOOR_DB" "$mode" "$conc")"
        if [[ -z "$r" || -z "$f" ]]; then
          printf '| %-28s ' "-"
          continue
        fi
        IFS=$'\t' read -r cell worst <<<"$(awk -v r="$r" -v f="$f" -v w="$worst" 'BEGIN {
          split(r, a, "|"); split(f, b, "|"); x = (a[1] > 0) ? b[1] / a[1] : 999
          if (x > w) w = x
          printf "%6s %7.2fx %7s\t%s\n", a[1], x, a[2], w }')"
        printf '| %-28s ' "$cell"
      done
      awk -v w="$worst" 'BEGIN { printf "| %s\n", (w <= 1.2 ? "yes" : sprintf("no (%.2fx)", w)) }'
    done
    for conc in $CONCURRENCY; do
      echo "floor c=$conc: $(result "$FLOOR_DB" "$mode" "$conc" | awk -F'|' '{ printf "%s req/s, p50 %s ms, p99 %s ms", $1, $2, $4 }')"
    done
  done
}

# --- 6. table ----------------------------------------------------------------------------
LOAD_AFTER="$(load_avg)"
# PHP 8.2 + Slim + Eloquent under prefork + mod_php (shared/perf-notes.md):
# "req/s at c=16 (p50 ms at c=1)".
php_ref() {
  case "$1" in
    "GET /api/health") echo "1225 (1.7)" ;;
    "GET /api/parcours/{id}") echo "360 (4.2)" ;;
    *) echo "" ;;
  esac
}
{
  echo
  echo "MyKollector bench — $(date -u +%FT%TZ), $(nproc) cores, load before $LOAD_BEFORE, after $LOAD_AFTER"
  echo "wrk on loopback, ${DURATION}s per point; seed: $SEED_ARGS; binary: $BIN_API"
  printf '%-38s %-8s' scenario mode
  for conc in $CONCURRENCY; do
    printf ' | c=%-3s %6s %7s %7s %7s %6s' "$conc" 'req/s' 'p50 ms' 'p90 ms' 'p99 ms' '>=40ms'
  done
  printf ' | %-11s %s\n' 'PHP c16(p50)' 'notes'
  for name in "${SCEN_NAMES[@]}"; do
    for mode in $MODES; do
      printf '%-38s %-8s' "$name" "$mode"
      notes=""
      skipped=""
      for r in "${RESULTS[@]}"; do
        IFS='|' read -r rn rm rc a b c d g e f <<<"$r"
        [[ "$rn" == "$name" && "$rm" == "$mode" ]] || continue
        if [[ "$rc" == SKIP ]]; then
          skipped="$a"
          continue
        fi
        printf ' | %-5s %6s %7s %7s %7s %5s%%' "" "$a" "$b" "$c" "$d" "$g"
        [[ "$e" != 0 ]] && notes+="c=$rc: $e non-2xx; "
        [[ "$f" != 0 ]] && notes+="c=$rc: $f socket errors; "
      done
      if [[ -n "$skipped" ]]; then
        printf ' | %s' "$skipped"
      fi
      printf ' | %-11s %s\n' "$(php_ref "$name")" "$notes"
    done
  done
  echo
  for e in "${EXTRA[@]}"; do
    printf '%-48s %s\n' "${e%%|*}" "${e#*|}"
  done
  echo "Floors from perf-notes (same Apache): static file 12,204 req/s; static C CGI printing only 635;"
  echo "static C CGI connecting to MariaDB + SELECT 1: 501 req/s (p50 4.9 ms)."
  fastcgi_floor_section
  cgi_floor_section
  for f in "$RUN"/sections/*.txt; do
    if [[ -s "$f" ]]; then cat "$f"; fi
  done
} | tee "$RUN/bench-table.txt"
cp "$RUN/bench-table.txt" "$MK_REPO_ROOT/target/bench-table.txt" 2>/dev/null || true

# --- 6. workshop hot paths without HTTP (issue 4) --------------------------------
# The 50-order lot's DXF fill and the 500-order lot's CSV, timed by
# benches/workshop.rs (release profile). MK_BENCH_SKIP_WORKSHOP=1 to skip.
if [[ "${MK_BENCH_SKIP_WORKSHOP:-0}" != 1 ]]; then
  echo
  echo "==== workshop: DXF fill and CSV (cargo bench --bench workshop) ===="
  (cd "$MK_REPO_ROOT" && cargo bench --quiet --bench workshop 2>/dev/null) | tee -a "$RUN/bench-table.txt"
fi
