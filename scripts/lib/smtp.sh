# shellcheck shell=bash source-path=SCRIPTDIR
# The fake SMTP server (scripts/fake_smtp.py) as a background process.
#   mk_smtp_start MAIL_DIR LOG_FILE [persist]
#       start it on a free 127.0.0.1 port; sets MK_SMTP_PORT and MK_SMTP_PID.
#       Stopped at exit unless "persist" (the demo keeps it running).
#       MK_SMTP_REFUSE_DIR (MAIL_DIR.refuse): a file named after an address
#       there makes the server refuse that recipient (450) until removed.
#   mk_smtp_stop PID
# Source it; do not execute it.

[[ -n "${_MK_SMTP_SH:-}" ]] && return 0
_MK_SMTP_SH=1
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

mk_smtp_start() {
  local dir=$1 log=$2 persist=${3:-} ready pid
  ready="$log.port"
  mkdir -p "$dir" "$(dirname "$log")"
  rm -f "$ready"
  if [[ "$persist" == persist ]]; then
    # Own session: survives the script and its Ctrl-C.
    setsid python3 "$MK_REPO_ROOT/scripts/fake_smtp.py" --dir "$dir" --port 0 \
      --ready-file "$ready" --refuse-dir "${dir%/}.refuse" >"$log" 2>&1 </dev/null &
  else
    python3 "$MK_REPO_ROOT/scripts/fake_smtp.py" --dir "$dir" --port 0 \
      --ready-file "$ready" --refuse-dir "${dir%/}.refuse" >"$log" 2>&1 </dev/null &
  fi
  pid=$!
  [[ "$persist" == persist ]] || mk_on_exit "mk_smtp_stop $pid"
  mk_wait_ready_file "$ready" "$pid" "$log" "the fake SMTP server"
  MK_SMTP_PORT="$(cat "$ready")"
  MK_SMTP_PID=$pid
  MK_SMTP_REFUSE_DIR="${dir%/}.refuse"
  mkdir -p "$MK_SMTP_REFUSE_DIR"
  export MK_SMTP_PORT MK_SMTP_PID MK_SMTP_REFUSE_DIR
  mk_log "fake SMTP server on 127.0.0.1:$MK_SMTP_PORT (pid $pid), messages in $dir"
}

mk_smtp_stop() { mk_stop_pid "$1"; }
