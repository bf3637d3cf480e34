# shellcheck shell=bash source-path=SCRIPTDIR
# Shared helpers for the MyKollector scripts: logging, one EXIT trap that runs
# every registered cleanup, random strings, free ports, .env writing.
# Source it; do not execute it.

# Guard against double sourcing (each lib sources what it needs).
[[ -n "${_MK_COMMON_SH:-}" ]] && return 0
_MK_COMMON_SH=1

# Repository root (scripts/lib/.. /..).
MK_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export MK_REPO_ROOT
# Cargo's target directory, where the scripts find the binaries they run.
MK_TARGET_DIR="${CARGO_TARGET_DIR:-$MK_REPO_ROOT/target}"

# mk_enter_repo: an entry script works from the repository root, with cargo's
# output plain (it lands in logs and summaries).
mk_enter_repo() {
  cd "$MK_REPO_ROOT" || exit 1
  export CARGO_TERM_COLOR=never
}

# apache2, mariadbd, start-stop-daemon and runuser live in sbin directories,
# which non-login shells may lack in PATH.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

# Files we create must be readable by www-data (docroot, binary copies).
umask 022

# --- logging -----------------------------------------------------------------
mk_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
mk_warn() { printf '[%s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
mk_die() {
  printf '[%s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2
  exit 1
}
# A visible banner between the big steps.
mk_section() { printf '\n==== %s ====\n' "$*" >&2; }

mk_is_root() { [[ "$(id -u)" == 0 ]]; }

# --- cleanup stack -------------------------------------------------------------
# mk_on_exit "command string": run at exit, last registered first. Every lib
# registers its own cleanup here, so the scripts need a single trap.
# MK_EXIT_STATUS holds the script's exit status while the cleanups run.
_MK_CLEANUPS=()
# shellcheck disable=SC2034 # read by the scripts' cleanups
MK_EXIT_STATUS=0
mk_on_exit() { _MK_CLEANUPS+=("$1"); }

_mk_run_cleanups() {
  local rc=$? i
  # shellcheck disable=SC2034 # read by the registered cleanups
  MK_EXIT_STATUS=$rc
  set +e
  for ((i = ${#_MK_CLEANUPS[@]} - 1; i >= 0; i--)); do
    eval "${_MK_CLEANUPS[i]}"
  done
  _MK_CLEANUPS=()
  return "$rc"
}
trap _mk_run_cleanups EXIT
# Ctrl-C / kill: exit (which runs the EXIT trap) with the usual status.
trap 'exit 130' INT
trap 'exit 143' TERM

# --- background helpers (fake servers) -----------------------------------------
# mk_stop_pid PID: TERM, wait up to 5 s, then KILL (only the given process).
mk_stop_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

# mk_wait_ready_file FILE PID LOG NAME: waits (10 s) until the server PID
# wrote its port to FILE; dies with its log when it exits or never does.
mk_wait_ready_file() {
  local ready=$1 pid=$2 log=$3 name=$4 start=$SECONDS
  until [[ -s "$ready" ]]; do
    if ! kill -0 "$pid" 2>/dev/null || ((SECONDS - start > 10)); then
      cat "$log" >&2
      mk_die "$name did not start"
    fi
    sleep 0.1
  done
}

# mk_stop_pidfile FILE SCRIPT_NAME LABEL: stops the process of FILE if it
# still runs SCRIPT_NAME (a recycled pid is never killed), removes FILE.
mk_stop_pidfile() {
  local file=$1 script=$2 label=$3 pid
  [[ -f "$file" ]] || return 0
  pid="$(cat "$file")"
  if [[ -n "$pid" ]] && grep -q "$script" "/proc/$pid/cmdline" 2>/dev/null; then
    mk_log "stopping $label"
    mk_stop_pid "$pid"
  fi
  rm -f "$file"
}

# --- random values and ports -------------------------------------------------
# mk_random_hex N: N random bytes as 2N lowercase hex characters.
mk_random_hex() {
  od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

# mk_port_is_free PORT: nothing listens on 127.0.0.1:PORT.
mk_port_is_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# mk_free_port: print a TCP port that is free on 127.0.0.1 right now. It is
# drawn at random BELOW the kernel's ephemeral range (32768+), from which the
# fake servers that bind port 0 get theirs: asking the kernel for port 0 here
# too once handed Apache the port the fake SMTP server took a second later.
mk_free_port() {
  python3 -c 'import random, socket
while True:
    port = random.randint(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break'
}

# mk_wait_tcp PORT TIMEOUT_SECONDS: wait until something listens on the port.
mk_wait_tcp() {
  local port=$1 timeout=$2 start=$SECONDS
  until ! mk_port_is_free "$port"; do
    ((SECONDS - start < timeout)) || return 1
    sleep 0.1
  done
}

# --- .env files ----------------------------------------------------------------
# mk_write_env FILE KEY=VALUE...: write a .env (one KEY=value a line, no quoting:
# values must not contain newlines). Mode 640, group www-data when it exists, so
# the web server's user can read it and nobody else can.
mk_write_env() {
  local file=$1 kv
  shift
  mkdir -p "$(dirname "$file")"
  (
    umask 077
    {
      echo "# Written by scripts/$(basename "$0") on $(date -u +%Y-%m-%dT%H:%M:%SZ). Do not commit."
      for kv in "$@"; do
        [[ "$kv" == *$'\n'* ]] && mk_die "mk_write_env: newline in value of ${kv%%=*}"
        printf '%s\n' "$kv"
      done
    } >"$file"
  )
  chmod 640 "$file"
  if mk_is_root && getent group www-data >/dev/null; then
    chgrp www-data "$file"
  fi
}

# mk_env_get FILE KEY: print the value of KEY in a .env file (last one wins).
mk_env_get() {
  sed -n "s/^$2=//p" "$1" | tail -n 1
}

# --- user that runs the web server -------------------------------------------
# Apache's children run as www-data (Apache refuses "User root").
MK_WEB_USER="${MK_WEB_USER:-www-data}"

# mk_web_user_can_reach PATH: the web user can traverse all parent directories
# of PATH (needed for the docroot and the .env). Always true when not root.
mk_web_user_can_reach() {
  mk_is_root || return 0
  runuser -u "$MK_WEB_USER" -- test -x "$1" 2>/dev/null
}

# mk_chown_web PATH...: give paths to the web user (recursively), when root.
mk_chown_web() {
  mk_is_root || return 0
  chown -R "$MK_WEB_USER:$MK_WEB_USER" "$@"
}
