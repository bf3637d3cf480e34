#!/usr/bin/env bash
# MyKollector — THE test command (README and .ci/run call it).
#
#   scripts/test.sh
#
# 1. system packages and Rust toolchain (installs what is missing when root)
# 2. cargo fmt --check, cargo clippy -D warnings, unit tests (lib + bins)
# 3. cargo build --bins (debug) and the api test binary
# 4. the HTTP suite (cargo test --test api) against a private Apache that runs
#    the real .htaccess files (then its #[ignore]d tests, which change global
#    state such as maintenance mode, alone on one thread), TWICE, each time
#    with a fresh database, .env,
#    fake SMTP server and web root:
#       cgid     event MPM + mod_cgid   (CGI, one process per request)
#       fastcgi  event MPM + mod_fcgid  (FastCGI, long-lived processes)
#    plus .htaccess checks (secrets and dumps never served) in each mode,
# 6. the install rehearsal (scripts/install-rehearsal.sh): the archive of
#    scripts/package.sh unpacked and served by Apache through its own
#    .htaccess files, install, upgrade, backup -> wipe -> restore.
# 5. one smoke run under prefork + mod_cgi (the classic mod_cgi code path) with
#    the HTTPS redirect ON: GET /api/health must be a 301, and 200 when the
#    request says it came over HTTPS (X-Forwarded-Proto), with HSTS; this
#    instance has no server-level ErrorDocument lines (a bare shared host).
# Prints a summary; exits non-zero if anything failed.
#
# Environment knobs (all optional):
#   MK_TEST_MODES="cgid fastcgi"   which HTTP suites to run
#   MK_TEST_THREADS=8              --test-threads of the HTTP suite
#   MK_TEST_ARGS="name_filter"     extra arguments for the test binary (filter...)
#   MK_KEEP_RUN=1                  keep the run directory (logs, .env, web roots)
#                                  even on success (always kept on failure)
#   MK_KEEP_DB=1                   do not drop the test databases
#   MK_SKIP_LINT=1                 skip fmt and clippy (local iterations only)
#
# The HTTP suite gets these variables (tests/api/main.rs relies on them):
#   MK_TEST_BASE_URL   http://127.0.0.1:<port>   (no trailing slash)
#   MK_TEST_ENV_FILE   the .env the server uses (same DB: fixtures go there)
#   MK_TEST_MODE       cgid | fastcgi
#   MK_TEST_MAIL_DIR   directory where the fake SMTP server writes one .eml per
#                      message (envelope in X-Fake-SMTP-Mail-From/-Rcpt-To)
#   MK_TEST_ERROR_LOG  Apache's error log (the binary's stderr lands there)
#   MK_TEST_SMTP_REFUSE_DIR  a file named after an address there makes the
#                      fake SMTP server refuse that recipient (450)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

# shellcheck source=lib/instance.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/instance.sh"

mk_enter_repo

MODES="${MK_TEST_MODES:-cgid fastcgi}"
THREADS="${MK_TEST_THREADS:-8}"
BIN_API="$MK_TARGET_DIR/debug/mykollector"
BIN_ADMIN="$MK_TARGET_DIR/debug/mk-admin"

# =============================================================================
# >>> EXTRA STEPS — later tasks hook in here >>>
# Use step_run "name" command... for each check; a failure is reported in the
# summary and makes the script exit non-zero.
#
# extra_steps_offline: after the build ($BIN_API, $BIN_ADMIN exist), no server
#   (e.g. python3 + ezdxf strict read-back/audit of generated DXF files).
extra_steps_offline() {
  step_run "page unit tests (node --test: QR GPS engine)" \
    node --test "$MK_REPO_ROOT/tests/browser/gps-engine.test.mjs"
  # DXF read-back (gravure): ezdxf from PyPI, the independent reader the
  # HTTP tests call through scripts/check_dxf.py; the lot files they
  # download land in MK_TEST_DXF_DIR and are checked again per suite.
  step_begin "python3 + ezdxf (DXF read-back)"
  local rc=0
  python3 -c 'import ezdxf' 2>/dev/null || python3 -m pip install --quiet ezdxf || rc=$?
  python3 -c 'import ezdxf' || rc=1
  step_end "$rc" "$(python3 -c 'import ezdxf; print("ezdxf", ezdxf.__version__)' 2>/dev/null || true)"
  export MK_TEST_DXF_DIR="$RUN/dxf"
  mkdir -p "$MK_TEST_DXF_DIR"
}
# extra_steps_online MODE BASE_URL ENV_FILE: inside each HTTP suite, after
#   cargo test, while Apache and the database are up
#   (e.g. headless Chromium against the front-ends under $BASE_URL/chrono/).
extra_steps_online() {
  local mode=$1 base=$2 env_file=$3
  dxf_readback "$mode"
  # The pages are the same static files in every mode: test them once.
  [[ "$mode" == cgid ]] || return 0
  step_run "[$mode] mk-admin seed-demo, twice (idempotent)" \
    bash -c '"$1" --env-file "$2" seed-demo >/dev/null && "$1" --env-file "$2" seed-demo >/dev/null' _ "$BIN_ADMIN" "$env_file"
  # seed-demo ran as this script's user (root in CI): the lots and templates
  # it wrote must stay writable by the web server.
  mk_chown_web "$APP/storage"
  step_run "[$mode] page tests in Chromium (node --test)" browser_tests "$base"
}

# Re-checks with ezdxf (strict read + audit) every lot file the suite saved.
dxf_readback() {
  local mode=$1 files rc=0
  shopt -s nullglob
  files=("$MK_TEST_DXF_DIR"/*.dxf)
  shopt -u nullglob
  if [[ ${#files[@]} == 0 ]]; then
    step_skip "[$mode] ezdxf strict read + audit of generated lots" "no lot file (filtered run?)"
    return 0
  fi
  step_begin "[$mode] ezdxf strict read + audit of generated lots"
  python3 "$MK_REPO_ROOT/scripts/check_dxf.py" "${files[@]}" >"$RUN/$mode/dxf-check.log" 2>&1 || rc=$?
  [[ "$rc" != 0 ]] && cat "$RUN/$mode/dxf-check.log" >&2
  step_end "$rc" "${#files[@]} file(s)"
  rm -f "${files[@]}"
}

# Runs tests/browser/*.e2e.test.mjs in Debian's Chromium with playwright-core.
# The screenshot of every page is a test artefact: it outlives the run
# folder (removed on success) in target/test-artefacts/screenshots.
browser_tests() {
  local base=$1 shots="$MK_REPO_ROOT/target/test-artefacts/screenshots"
  (cd "$MK_REPO_ROOT/tests/browser" && npm ci --no-audit --no-fund --silent) || return 1
  rm -rf "$shots" && mkdir -p "$shots"
  MK_TEST_BASE_URL="$base" MK_TEST_SHOTS_DIR="$shots" MK_TEST_MAIL_DIR="$MAIL_DIR" \
    node --test --test-concurrency=1 "$MK_REPO_ROOT"/tests/browser/*.e2e.test.mjs
}
# <<< EXTRA STEPS <<<
# =============================================================================

# --- summary bookkeeping -----------------------------------------------------
SUMMARY=()    # "STATUS|seconds|name|details"
FAILURES=0
CURRENT_STEP=""
STEP_START=0

step_begin() {
  CURRENT_STEP=$1
  STEP_START=$SECONDS
  mk_section "$1"
}
# step_end RC [details]
step_end() {
  local rc=$1 details=${2:-} status=PASS
  if [[ "$rc" != 0 ]]; then
    status=FAIL
    FAILURES=$((FAILURES + 1))
  fi
  SUMMARY+=("$status|$((SECONDS - STEP_START))|$CURRENT_STEP|$details")
  CURRENT_STEP=""
  return 0
}
step_skip() { SUMMARY+=("SKIP|0|$1|${2:-}"); }
# step_run NAME CMD...: a simple command as one step (never aborts the script).
step_run() {
  local name=$1 rc=0
  shift
  step_begin "$name"
  "$@" || rc=$?
  step_end "$rc"
}

# shellcheck disable=SC2317 # called from the EXIT trap
print_summary() {
  local rc=$MK_EXIT_STATUS line status secs name details
  [[ -n "$CURRENT_STEP" ]] && SUMMARY+=("ABORT|$((SECONDS - STEP_START))|$CURRENT_STEP|script stopped here")
  printf '\n==================== MyKollector test summary ====================\n'
  for line in "${SUMMARY[@]}"; do
    IFS='|' read -r status secs name details <<<"$line"
    printf '  %-5s %5ss  %-58s %s\n' "$status" "$secs" "$name" "$details"
  done
  if [[ "$rc" == 0 && "$FAILURES" == 0 ]]; then
    printf 'RESULT: PASS\n'
  else
    printf 'RESULT: FAIL (%s failed step(s), exit %s)\n' "$FAILURES" "$rc"
    [[ -n "${RUN:-}" && -d "${RUN:-}" ]] && printf 'Logs, .env files and web roots kept in %s\n' "$RUN"
  fi
}

# "test result: ok. 12 passed; 0 failed; 1 ignored; ..." lines -> "12 passed, 0 failed, 1 ignored"
test_counts() {
  awk '/^test result:/ { for (i = 1; i <= NF; i++) {
         if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) g += $i } }
       END { printf "%d passed, %d failed, %d ignored", p, f, g }' "$1"
}

# Run directory: logs, .env files, web roots. Removed at exit on success.
RUN="$(mktemp -d /tmp/mk-test.XXXXXX)"
chmod 755 "$RUN" # www-data must reach the web roots and .env files inside
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup_run() {
  if [[ "$MK_EXIT_STATUS" == 0 && "$FAILURES" == 0 && "${MK_KEEP_RUN:-0}" != 1 ]]; then
    rm -rf "$RUN"
  fi
}
# Registered first = runs last: summary after every other cleanup.
mk_on_exit print_summary
mk_on_exit cleanup_run

# --- 1. dependencies -----------------------------------------------------------
step_begin "dependencies"
ensure_packages "${MK_BASE_PACKAGES[@]}" chromium
# Node.js runs the page tests; the machine image usually has a newer one than
# Debian's, so install Debian's only when there is none.
command -v node >/dev/null && command -v npm >/dev/null || ensure_packages nodejs npm
ensure_rust_toolchain
step_end 0

# --- 2. lint and unit tests -------------------------------------------------
if [[ "${MK_SKIP_LINT:-0}" == 1 ]]; then
  step_skip "cargo fmt --check" "MK_SKIP_LINT=1"
  step_skip "cargo clippy -D warnings" "MK_SKIP_LINT=1"
else
  step_run "cargo fmt --check" cargo fmt --all -- --check
  step_run "cargo clippy -D warnings" cargo clippy --workspace --all-targets -- -D warnings
fi

step_begin "unit tests (cargo test --workspace --lib --bins)"
rc=0
cargo test --workspace --lib --bins 2>&1 | tee "$RUN/unit-tests.log" || rc=$?
step_end "$rc" "$(test_counts "$RUN/unit-tests.log")"

# --- 3. build ------------------------------------------------------------------
step_begin "cargo build --bins + api and cgi test binaries"
rc=0
cargo build --bins && cargo test --test api --test cgi --no-run || rc=$?
step_end "$rc"
if [[ "$rc" != 0 ]]; then
  mk_warn "build failed: no HTTP suite can run"
  exit 1
fi
[[ -x "$BIN_API" && -x "$BIN_ADMIN" ]] || mk_die "expected $BIN_API and $BIN_ADMIN after cargo build"

extra_steps_offline

# --- 4. HTTP suites ------------------------------------------------------------
step_begin "MariaDB running"
mk_db_ensure_running
step_end 0

# setup_env MODE: fresh database, app root with .env, fake SMTP server,
# schema installed. Sets ENV_FILE, APP, MAIL_DIR for the mode.
setup_env() {
  local mode=$1 port=$2
  APP="$RUN/$mode/app"
  MAIL_DIR="$RUN/$mode/mail"
  ENV_FILE="$APP/.env"
  mk_db_create_fresh mk_test_
  # Target of the backup -> restore round trip (tests/api/ops.rs), same user.
  MK_TEST_RESTORE_DB="${MK_DB_NAME}_r"
  _mk_db_create "$MK_TEST_RESTORE_DB" "$MK_DB_USER" "$MK_DB_PASS"
  [[ "${MK_KEEP_DB:-0}" == 1 ]] || mk_on_exit "mk_db_admin -e 'DROP DATABASE IF EXISTS \`$MK_TEST_RESTORE_DB\`'"
  export MK_TEST_RESTORE_DB
  mk_app_root_prepare "$APP"
  # Fake SMTP, PrestaShop (issue 8: Webservice key and Admin API client), Strava.
  mk_fakes_start "$RUN/$mode" mk-test-client
  mk_write_app_env "$ENV_FILE" "$APP" \
    APP_ENV=test \
    "APP_URL=http://127.0.0.1:$port" \
    "JWT_SECRET=$(mk_random_hex 32)" \
    "ENCRYPTION_KEY=$(mk_random_hex 32)" \
    CORS_ORIGINS=http://chrono.test,http://fab.test \
    PRESTASHOP_TIMEOUT_SECS=2 \
    "${MK_FAKES_ENV[@]}"
  # Mail files must be readable by the tests (root) — they are; and the
  # server never writes there (it speaks SMTP).
  "$BIN_ADMIN" --env-file "$ENV_FILE" install
  # mk-admin ran as root: give anything it created back to the web user.
  mk_chown_web "$APP/storage" "$APP/logs" "$APP/backups"
}

# api_suite STEP MODE BASE RUNDIR LOG_NAME TEST_ARGS...: the HTTP suite (cargo
# test --test api) as one step, against the Apache of RUNDIR at BASE, with the
# variables of tests/api/main.rs; output in $RUN/MODE/LOG_NAME.log.
api_suite() {
  local step=$1 mode=$2 base=$3 rundir=$4 log="$RUN/$2/$5.log" rc=0
  shift 5
  step_begin "$step"
  # shellcheck disable=SC2086 # MK_TEST_ARGS is a list of words on purpose
  MK_TEST_BASE_URL="$base" \
    MK_TEST_ENV_FILE="$ENV_FILE" \
    MK_TEST_MODE="$mode" \
    MK_TEST_MAIL_DIR="$MAIL_DIR" \
    MK_TEST_SMTP_REFUSE_DIR="$MK_SMTP_REFUSE_DIR" \
    MK_TEST_ERROR_LOG="$rundir/error.log" \
    cargo test --test api -- "$@" ${MK_TEST_ARGS:-} 2>&1 |
    tee "$log" || rc=$?
  [[ "$rc" != 0 ]] && mk_apache_error_log "$rundir" 60
  step_end "$rc" "$(test_counts "$log")"
}

# run_suite MODE: one full HTTP suite in one Apache mode.
run_suite() {
  local mode=$1 port docroot rundir base rc
  port="$(mk_free_port)"
  docroot="$RUN/$mode/public_html"
  rundir="$RUN/$mode/apache"
  base="http://127.0.0.1:$port"

  step_begin "[$mode] database + .env + mk-admin install"
  setup_env "$mode" "$port"
  step_end 0

  step_begin "[$mode] Apache up, GET /api/health = 200"
  mk_deploy "$docroot" "$mode" "$BIN_API" "$ENV_FILE"
  mk_apache_start "$mode" "$port" "$docroot" "$rundir"
  rc=0
  # The first FastCGI request also spawns the process: allow some time.
  mk_wait_http_code "$base/api/health" 200 30 || rc=$?
  if [[ "$rc" != 0 ]]; then
    curl -s --max-time 10 -i "$base/api/health" | head -n 20 >&2 || true
    mk_apache_error_log "$rundir"
  fi
  step_end "$rc"

  if [[ "$mode" == cgid ]]; then
    # The fast tier: the binary as a CGI process, no Apache (same database).
    step_begin "[$mode] CGI tier (cargo test --test cgi, no Apache)"
    local cgi_rc=0
    MK_TEST_ENV_FILE="$ENV_FILE" cargo test --test cgi 2>&1 |
      tee "$RUN/$mode/cgi-tests.log" || cgi_rc=$?
    step_end "$cgi_rc" "$(test_counts "$RUN/$mode/cgi-tests.log")"
  fi

  if [[ "$rc" == 0 ]]; then
    api_suite "[$mode] cargo test --test api (--test-threads=$THREADS)" \
      "$mode" "$base" "$rundir" api-tests --test-threads="$THREADS"
    # Tests that change global state (maintenance mode) are #[ignore]d in the
    # parallel run above and run here alone, one at a time.
    api_suite "[$mode] exclusive tests (--ignored, 1 thread)" \
      "$mode" "$base" "$rundir" api-tests-exclusive --ignored --test-threads=1

    extra_steps_online "$mode" "$base" "$ENV_FILE"
  else
    step_skip "[$mode] cargo test --test api" "server not healthy"
  fi

  # After the suite: it may have created files; the checks plant decoys.
  step_begin "[$mode] .htaccess: secrets/dumps never served"
  rc=0
  mk_htaccess_checks "$base" "$docroot" || rc=$?
  step_end "$rc"

  local panics
  panics="$(grep -c 'panicked' "$rundir/error.log" 2>/dev/null || true)"
  [[ "${panics:-0}" != 0 ]] && mk_warn "[$mode] $panics 'panicked' line(s) in $rundir/error.log"

  mk_apache_stop "$rundir"
  if [[ "$mode" == cgid ]]; then
    smoke_mod_cgi "$docroot" "$RUN/cgi/apache"
  fi
  mk_smtp_stop "$MK_SMTP_PID"
  mk_shop_stop "$MK_SHOP_PID"
  mk_strava_stop "$MK_STRAVA_PID"
  [[ "${MK_KEEP_DB:-0}" == 1 ]] || mk_db_drop "$MK_DB_NAME" "$MK_DB_USER"
}

# smoke_mod_cgi DOCROOT RUNDIR: prefork + mod_cgi on the cgid web root (same
# .htaccess variant and .cgi binary), HTTPS redirect ON.
smoke_mod_cgi() {
  local docroot=$1 rundir=$2 port base code rc=0
  port="$(mk_free_port)"
  base="http://127.0.0.1:$port"
  step_begin "[cgi] prefork+mod_cgi: /api/health 301 on http, 200 via https proxy"
  # A bare shared host: only the .htaccess files act (no server-level lines).
  MK_APACHE_SERVER_CONF=0 mk_apache_start cgi "$port" "$docroot" "$rundir" https
  code="$(mk_http_code "$base/api/health")"
  if [[ "$code" != 301 ]]; then
    mk_warn "plain-HTTP /api/health answered $code, expected the HTTPS redirect 301"
    rc=1
  fi
  code="$(mk_http_code "$base/api/health" -H 'X-Forwarded-Proto: https')"
  if [[ "$code" != 200 ]]; then
    mk_warn "/api/health behind an HTTPS proxy answered $code, expected 200 from the binary"
    curl -s --max-time 10 -i -H 'X-Forwarded-Proto: https' "$base/api/health" | head -n 20 >&2 || true
    mk_apache_error_log "$rundir"
    rc=1
  fi
  smoke_https_headers "$base" || rc=1
  mk_apache_stop "$rundir"
  step_end "$rc"
}

# smoke_https_headers BASE: over HTTPS (behind a proxy) pages and API answers
# carry HSTS once, and .htaccess alone maps Apache's 403 under /api/ to JSON
# (issue 13 items 7-8).
smoke_https_headers() {
  local base=$1 path head rc=0
  for path in / /api/health; do
    head="$(curl -s -D - -o /dev/null --max-time 10 -H 'X-Forwarded-Proto: https' "$base$path")"
    if [[ "$(grep -ci '^strict-transport-security: max-age=' <<<"$head")" != 1 ]]; then
      mk_warn "$path over HTTPS: expected one Strict-Transport-Security header"
      rc=1
    fi
  done
  if ! curl -s --max-time 10 -H 'X-Forwarded-Proto: https' "$base/api/.htaccess" |
    grep -q '"code":"forbidden"'; then
    mk_warn "/api/.htaccess: expected the JSON 403 of api/.htaccess on a bare host"
    rc=1
  fi
  return "$rc"
}

for mode in $MODES; do
  case "$mode" in
    cgid | fastcgi) run_suite "$mode" ;;
    *) mk_die "MK_TEST_MODES: unknown mode '$mode' (cgid, fastcgi)" ;;
  esac
done

# --- 6. install rehearsal (issue 10): the package on a simulated shared host ---
if [[ -n "${MK_TEST_ARGS:-}" ]]; then
  step_skip "install rehearsal (scripts/install-rehearsal.sh)" "filtered run"
else
  step_begin "install rehearsal: archive, Apache as web user, upgrade, backup/wipe/restore"
  rc=0
  MK_PACKAGE_BIN_DIR="$MK_TARGET_DIR/debug" "$MK_REPO_ROOT/scripts/install-rehearsal.sh" \
    >"$RUN/install-rehearsal.log" 2>&1 || rc=$?
  [[ "$rc" != 0 ]] && tail -n 40 "$RUN/install-rehearsal.log" >&2
  step_end "$rc" "debug binaries (the static release build is scripts/build-release.sh)"
fi

[[ "$FAILURES" == 0 ]] || exit 1
exit 0
