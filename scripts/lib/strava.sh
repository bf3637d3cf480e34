# shellcheck shell=bash source-path=SCRIPTDIR
# The fake Strava (scripts/fake_strava.py) as a background process.
#   mk_strava_start LOG_FILE [persist]
#       start it on a free 127.0.0.1 port with a fresh client id/secret;
#       sets MK_STRAVA_PORT, MK_STRAVA_PID, MK_STRAVA_CLIENT_ID,
#       MK_STRAVA_CLIENT_SECRET, MK_STRAVA_VERIFY_TOKEN and MK_STRAVA_ENV (the
#       STRAVA_* lines for mk_write_env). Stopped at exit unless "persist".
#   mk_strava_stop PID
# Source it; do not execute it.

[[ -n "${_MK_STRAVA_SH:-}" ]] && return 0
_MK_STRAVA_SH=1
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=smtp.sh
source "$(dirname "${BASH_SOURCE[0]}")/smtp.sh"

mk_strava_start() {
  local log=$1 persist=${2:-} ready pid
  ready="$log.port"
  mkdir -p "$(dirname "$log")"
  rm -f "$ready"
  MK_STRAVA_CLIENT_ID="$((100000 + RANDOM))"
  MK_STRAVA_CLIENT_SECRET="$(mk_random_hex 20)"
  MK_STRAVA_VERIFY_TOKEN="$(mk_random_hex 16)"
  local args=(--port 0 --ready-file "$ready" --client-id "$MK_STRAVA_CLIENT_ID"
    --client-secret "$MK_STRAVA_CLIENT_SECRET")
  if [[ "$persist" == persist ]]; then
    setsid python3 "$MK_REPO_ROOT/scripts/fake_strava.py" "${args[@]}" >"$log" 2>&1 </dev/null &
  else
    python3 "$MK_REPO_ROOT/scripts/fake_strava.py" "${args[@]}" >"$log" 2>&1 </dev/null &
  fi
  pid=$!
  [[ "$persist" == persist ]] || mk_on_exit "mk_strava_stop $pid"
  mk_wait_ready_file "$ready" "$pid" "$log" "the fake Strava server"
  MK_STRAVA_PORT="$(cat "$ready")"
  MK_STRAVA_PID=$pid
  MK_STRAVA_ENV=(
    "STRAVA_CLIENT_ID=$MK_STRAVA_CLIENT_ID"
    "STRAVA_CLIENT_SECRET=$MK_STRAVA_CLIENT_SECRET"
    "STRAVA_VERIFY_TOKEN=$MK_STRAVA_VERIFY_TOKEN"
    "STRAVA_API_URL=http://127.0.0.1:$MK_STRAVA_PORT/api/v3"
    "STRAVA_OAUTH_URL=http://127.0.0.1:$MK_STRAVA_PORT/oauth"
  )
  export MK_STRAVA_PORT MK_STRAVA_PID MK_STRAVA_CLIENT_ID MK_STRAVA_CLIENT_SECRET MK_STRAVA_VERIFY_TOKEN
  mk_log "fake Strava on 127.0.0.1:$MK_STRAVA_PORT (pid $pid)"
}

# The same TERM, wait, then KILL of one pid as for the fake SMTP server.
mk_strava_stop() { mk_smtp_stop "$1"; }
