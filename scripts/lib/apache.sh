# shellcheck shell=bash source-path=SCRIPTDIR
# A private Apache instance that runs the REAL .htaccess files of htaccess/ the
# way shared hosting does (AllowOverride All), on its own port, with its own
# ServerRoot, config, pid file and logs in a run directory. It never touches the
# system Apache (/etc/apache2).
#
#   mk_app_root_prepare APP_ROOT         storage/ logs/ backups/ owned by www-data
#   mk_deploy DOCROOT MODE [BINARY] [ENV_FILE]
#                                        assemble the web root as on the host
#   mk_apache_start MODE PORT DOCROOT RUNDIR [https]
#                                        start; "https" keeps the HTTPS redirect on;
#                                        stopped at exit unless MK_APACHE_PERSIST=1
#   mk_apache_stop RUNDIR                stop (no-op when not running)
#   mk_apache_running RUNDIR             true when the instance is up
#   mk_apache_error_log RUNDIR [LINES]   print the end of its error log
#   mk_http_code URL [CURL ARGS...]      print the HTTP status code (000 = no answer)
#   mk_wait_http_code URL CODE TIMEOUT   wait until URL answers CODE
#
# MODE (how Apache runs the binary):
#   cgid     event MPM   + mod_cgid  -> htaccess/,       api/mykollector.cgi
#   cgi      prefork MPM + mod_cgi   -> htaccess/,       api/mykollector.cgi
#   fastcgi  event MPM   + mod_fcgid -> htaccess/fcgid/, api/mykollector.fcgi
# Source it; do not execute it.

[[ -n "${_MK_APACHE_SH:-}" ]] && return 0
_MK_APACHE_SH=1
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

MK_APACHE_MODULES_DIR="${MK_APACHE_MODULES_DIR:-/usr/lib/apache2/modules}"
# Seconds to wait for a freshly started Apache to answer.
MK_APACHE_START_TIMEOUT="${MK_APACHE_START_TIMEOUT:-20}"
# LogLevel of the private instance, e.g. "warn rewrite:trace3" to debug rules.
MK_APACHE_LOGLEVEL="${MK_APACHE_LOGLEVEL:-warn}"
# mod_fcgid refuses bodies above FcgidMaxRequestLen with a 500 (module default
# 131072 bytes; server config only, a .htaccess cannot raise it). The spec allows
# 5 MB attachments, so the local instance uses 16 MiB; check the real host's value.
MK_FCGID_MAX_REQUEST_LEN="${MK_FCGID_MAX_REQUEST_LEN:-16777216}"

mk_apache_bin() {
  local b
  for b in "$(command -v apache2 || true)" /usr/sbin/apache2 "$(command -v httpd || true)"; do
    [[ -n "$b" && -x "$b" ]] && {
      echo "$b"
      return 0
    }
  done
  mk_die "apache2 not found (install the apache2 package)"
}

# Name of the binary in the web root and htaccess variant for a mode.
_mk_mode_script() {
  case "$1" in
    cgi | cgid) echo mykollector.cgi ;;
    fastcgi) echo mykollector.fcgi ;;
    *) mk_die "unknown mode '$1' (cgi, cgid or fastcgi)" ;;
  esac
}
_mk_mode_htaccess_dir() {
  case "$1" in
    cgi | cgid) echo "$MK_REPO_ROOT/htaccess" ;;
    fastcgi) echo "$MK_REPO_ROOT/htaccess/fcgid" ;;
  esac
}

# mk_app_root_prepare APP_ROOT: the application's private directory, OUTSIDE the
# web root: .env (written separately), storage/, logs/, backups/, all writable
# by the web server's user.
mk_app_root_prepare() {
  local app=$1
  mkdir -p "$app/storage" "$app/logs" "$app/backups"
  chmod 755 "$app"
  chmod 750 "$app/storage" "$app/logs" "$app/backups"
  mk_chown_web "$app/storage" "$app/logs" "$app/backups"
  mk_web_user_can_reach "$app" ||
    mk_die "$MK_WEB_USER cannot reach $app (a parent directory is not world-executable)"
}

# mk_deploy DOCROOT MODE [BINARY] [ENV_FILE]: build the web root exactly as it is
# uploaded to the host: public_html/ (static front-ends), .htaccess files and
# the binary as api/mykollector.cgi or .fcgi. BINARY defaults to $MK_BINARY,
# ENV_FILE (the .env the binary must read, via SetEnv MK_ENV_FILE) to $MK_ENV_FILE.
mk_deploy() {
  local docroot=$1 mode=$2 binary=${3:-${MK_BINARY:-}} env_file=${4:-${MK_ENV_FILE:-}}
  local script hdir
  script="$(_mk_mode_script "$mode")"
  hdir="$(_mk_mode_htaccess_dir "$mode")"
  [[ -n "$binary" && -x "$binary" ]] || mk_die "mk_deploy: binary '$binary' missing or not executable"
  [[ -n "$env_file" ]] || mk_die "mk_deploy: no .env path (argument 4 or MK_ENV_FILE)"
  [[ "$env_file" == /* && "$env_file" != *[\"[:space:]]* ]] ||
    mk_die "mk_deploy: the .env path must be absolute, without quotes or spaces: $env_file"

  # Only ever delete a directory that an earlier mk_deploy created.
  if [[ -e "$docroot" ]]; then
    if [[ -f "$docroot/.mk-deployed" ]]; then
      rm -rf "$docroot"
    elif [[ -n "$(ls -A "$docroot")" ]]; then
      mk_die "mk_deploy: $docroot exists and was not made by mk_deploy; refusing to overwrite it"
    fi
  fi
  mkdir -p "$docroot/api"
  chmod 755 "$docroot" "$docroot/api"
  # Static front-ends (chrono/, fab/, admin/, qr/, assets ...).
  if [[ -d "$MK_REPO_ROOT/public_html" ]]; then
    cp -R "$MK_REPO_ROOT/public_html/." "$docroot/"
  fi
  # A marker so a later mk_deploy may delete this directory. (Hidden files are
  # denied by the .htaccess, so it is never served.)
  echo "deployed by mk_deploy $(date -u +%FT%TZ) mode=$mode" >"$docroot/.mk-deployed"
  cp "$hdir/public_html.htaccess" "$docroot/.htaccess"
  # The only edit: the real path of the .env in "SetEnv MK_ENV_FILE ...".
  local line found=0
  while IFS= read -r line; do
    if [[ "$line" =~ ^[[:space:]]*SetEnv[[:space:]]+MK_ENV_FILE[[:space:]] ]]; then
      printf 'SetEnv MK_ENV_FILE "%s"\n' "$env_file"
      found=1
    else
      printf '%s\n' "$line"
    fi
  done <"$hdir/api.htaccess" >"$docroot/api/.htaccess"
  ((found)) || mk_die "mk_deploy: no 'SetEnv MK_ENV_FILE' line in $hdir/api.htaccess"
  install -m 755 "$binary" "$docroot/api/$script"
  chmod -R a+rX "$docroot"
  mk_web_user_can_reach "$docroot" ||
    mk_die "$MK_WEB_USER cannot reach $docroot (a parent directory is not world-executable)"
}

# mk_apache_conf_head PORT RUNDIR LOGLEVEL: the lines every private httpd.conf
# starts with: its own ServerRoot, pid file, port and error log, keep-alive.
mk_apache_conf_head() {
  local port=$1 rundir=$2 loglevel=$3
  cat <<EOF
ServerRoot "$rundir"
DefaultRuntimeDir "$rundir"
PidFile "$rundir/httpd.pid"
Listen 127.0.0.1:$port
ServerName 127.0.0.1:$port
TraceEnable Off
Timeout 60
KeepAlive On
MaxKeepAliveRequests 100
KeepAliveTimeout 5
ErrorLog "$rundir/error.log"
LogLevel $loglevel
EOF
}

# mk_apache_load_module NAME: the LoadModule line of mod_NAME, guarded so a
# module built into Apache is not loaded twice.
mk_apache_load_module() {
  printf '<IfModule !%s_module>\n    LoadModule %s_module "%s/mod_%s.so"\n</IfModule>\n' \
    "$1" "$1" "$MK_APACHE_MODULES_DIR" "$1"
}

# _mk_apache_conf MODE PORT DOCROOT RUNDIR: the private httpd.conf on stdout.
_mk_apache_conf() {
  local mode=$1 port=$2 docroot=$3 rundir=$4 mpm handler m
  case "$mode" in
    cgid) mpm=event handler=cgid ;;
    cgi) mpm=prefork handler=cgi ;;
    fastcgi) mpm=event handler=fcgid ;;
    *) mk_die "unknown mode '$mode'" ;;
  esac

  echo "# Generated by scripts/lib/apache.sh for a private MyKollector instance."
  echo "# mode=$mode  (MPM $mpm + mod_$handler)"
  mk_apache_conf_head "$port" "$rundir" "$MK_APACHE_LOGLEVEL"
  cat <<EOF
ServerAdmin webmaster@localhost
ServerSignature Off
ServerTokens Prod
HostnameLookups Off

# --- modules (built-in ones are skipped by the <IfModule> guards) ---
EOF
  # MPM + the CGI/FastCGI handler of this mode, then what the .htaccess files use.
  for m in "mpm_$mpm" "$handler" rewrite env setenvif headers mime dir alias \
    authz_core authz_host version unixd log_config reqtimeout; do
    if [[ ! -f "$MK_APACHE_MODULES_DIR/mod_$m.so" ]] && ! "$(mk_apache_bin)" -l | grep -q "mod_$m.c"; then
      mk_die "Apache module mod_$m is not available (package missing?)"
    fi
    mk_apache_load_module "$m"
  done

  if mk_is_root; then
    # Children run as the web user (Apache refuses User root).
    printf 'User %s\nGroup %s\n' "$MK_WEB_USER" "$MK_WEB_USER"
  fi

  case "$mpm" in
    event)
      cat <<'EOF'
<IfModule mpm_event_module>
    StartServers 2
    MinSpareThreads 25
    MaxSpareThreads 75
    ThreadsPerChild 25
    MaxRequestWorkers 150
    MaxConnectionsPerChild 0
</IfModule>
EOF
      ;;
    prefork)
      cat <<'EOF'
<IfModule mpm_prefork_module>
    StartServers 5
    MinSpareServers 5
    MaxSpareServers 10
    MaxRequestWorkers 150
    MaxConnectionsPerChild 0
</IfModule>
EOF
      ;;
  esac

  case "$handler" in
    cgid)
      # mod_cgid's daemon listens on this socket (path must stay < 108 bytes).
      echo "ScriptSock \"$rundir/cgid.sock\""
      ;;
    fcgid)
      cat <<EOF
# mod_fcgid: its process manager creates FcgidIPCDir and chowns it to User.
FcgidIPCDir "$rundir/fcgid"
FcgidProcessTableFile "$rundir/fcgid_shm"
FcgidMaxRequestLen $MK_FCGID_MAX_REQUEST_LEN
# No FcgidPassHeader / FcgidInitialEnv on purpose: shared hosts do not let us
# set them, so the .htaccess files must do the work.
EOF
      ;;
  esac

  cat <<EOF

<IfFile /etc/mime.types>
    TypesConfig /etc/mime.types
</IfFile>
AddDefaultCharset utf-8
DirectoryIndex index.html

LogFormat "%h %l %u %t \"%r\" %>s %b %D \"%{User-Agent}i\"" mk
CustomLog "$rundir/access.log" mk

# Debian's default mod_reqtimeout limits (most hosts run it): a stalled
# request body is cut after ~10 s (408 under mod_cgid) instead of Timeout.
RequestReadTimeout header=20-40,MinRate=500 body=10,MinRate=500

EOF
  # The server-level lines a host may add for Apache's early errors (README
  # "Apache's own errors"); MK_APACHE_SERVER_CONF=0 plays a shared host that
  # has none of them, where only the .htaccess files act.
  if [[ "${MK_APACHE_SERVER_CONF:-1}" == 1 ]]; then
    printf 'Include "%s"\n' "$MK_REPO_ROOT/htaccess/server/mykollector-errors.conf"
  fi
  cat <<EOF

# Nothing outside the web root, and no overrides there.
<Directory />
    Options None
    AllowOverride None
    Require all denied
</Directory>

# The web root behaves like a shared-hosting account: the real .htaccess files
# decide (AllowOverride All), symlinks only when owners match.
DocumentRoot "$docroot"
<Directory "$docroot">
    Options SymLinksIfOwnerMatch
    AllowOverride All
    Require all granted
</Directory>

# As in every stock Apache config: never serve .htaccess / .htpasswd.
<Files ".ht*">
    Require all denied
</Files>
EOF
}

# mk_apache_running RUNDIR
mk_apache_running() {
  local pid
  [[ -f "$1/httpd.pid" ]] || return 1
  pid="$(cat "$1/httpd.pid" 2>/dev/null)" || return 1
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

mk_apache_error_log() {
  local rundir=$1 lines=${2:-40}
  if [[ -s "$rundir/error.log" ]]; then
    echo "---- last $lines lines of $rundir/error.log ----" >&2
    tail -n "$lines" "$rundir/error.log" >&2
    echo "---- end of error log ----" >&2
  else
    echo "(error log $rundir/error.log is empty or missing)" >&2
  fi
}

# mk_http_code URL [CURL ARGS...]: the status code, 000 when nothing answered.
mk_http_code() {
  local url=$1
  shift
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@" "$url" || true
}

# mk_wait_http_code URL CODE TIMEOUT: poll until URL answers CODE ("any" = any
# HTTP answer). Prints the last code seen on failure.
mk_wait_http_code() {
  local url=$1 want=$2 timeout=$3 start=$SECONDS code=000
  while :; do
    code="$(mk_http_code "$url")"
    if [[ "$want" == any && "$code" != 000 ]] || [[ "$code" == "$want" ]]; then
      return 0
    fi
    if ((SECONDS - start >= timeout)); then
      mk_warn "$url answered $code (wanted $want) after ${timeout}s"
      return 1
    fi
    sleep 0.2
  done
}

# mk_apache_start MODE PORT DOCROOT RUNDIR [https]
# Without "https" Apache gets -D MK_LOCAL_HTTP (the .htaccess HTTPS redirect is
# off). Returns once Apache answers HTTP; on failure prints the error log.
mk_apache_start() {
  local mode=$1 port=$2 docroot=$3 rundir=$4 https=${5:-}
  local apache
  apache="$(mk_apache_bin)"
  local -a defines=()
  [[ "$https" == https ]] || defines=(-D MK_LOCAL_HTTP)

  mk_apache_stop "$rundir"
  mkdir -p "$rundir"
  chmod 755 "$rundir" # children (www-data) reach the cgid socket / fcgid IPC dir
  rm -f "$rundir/error.log" "$rundir/access.log"
  _mk_apache_conf "$mode" "$port" "$docroot" "$rundir" >"$rundir/httpd.conf"
  echo "$mode" >"$rundir/mode"
  echo "$port" >"$rundir/port"

  mk_port_is_free "$port" || mk_die "port $port is already in use by another program: choose another port"
  if ! "$apache" -f "$rundir/httpd.conf" -d "$rundir" "${defines[@]}" -t >"$rundir/configtest.log" 2>&1; then
    cat "$rundir/configtest.log" >&2
    mk_die "Apache rejected $rundir/httpd.conf"
  fi
  # -k start daemonizes (stdin/stdout/stderr go to /dev/null: no pipe is held).
  if ! "$apache" -f "$rundir/httpd.conf" -d "$rundir" "${defines[@]}" -k start; then
    mk_apache_error_log "$rundir"
    mk_die "Apache ($mode) did not start"
  fi
  # Stopped when the script exits, unless MK_APACHE_PERSIST=1 (the demo).
  [[ "${MK_APACHE_PERSIST:-0}" == 1 ]] || mk_on_exit "mk_apache_stop '$rundir'"
  if ! mk_wait_http_code "http://127.0.0.1:$port/" any "$MK_APACHE_START_TIMEOUT"; then
    mk_apache_error_log "$rundir"
    mk_apache_stop "$rundir"
    mk_die "Apache ($mode) does not answer on 127.0.0.1:$port"
  fi
  mk_log "Apache up: mode=$mode (${defines[*]:-HTTPS redirect on}) http://127.0.0.1:$port/ docroot=$docroot"
}

# mk_apache_stop RUNDIR: graceful stop, then SIGKILL of the parent we started
# if it has not exited after 15 s. Safe to call twice.
mk_apache_stop() {
  local rundir=$1 pid start
  mk_apache_running "$rundir" || return 0
  pid="$(cat "$rundir/httpd.pid")"
  "$(mk_apache_bin)" -f "$rundir/httpd.conf" -d "$rundir" -k stop 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  start=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS - start > 15)); then
      mk_warn "Apache (pid $pid) did not stop; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
  done
  rm -f "$rundir/httpd.pid"
}

# mk_htaccess_checks BASE_URL DOCROOT: plant decoy secrets and dumps in a TEST
# web root and check the .htaccess never serves them, while a static page and
# the API's virtual routes that look like data paths (/api/admin/logs,
# /api/admin/backups) still reach their targets. Prints one line per check;
# returns 1 if any check failed. Never run it on a real deployment.
mk_htaccess_checks() {
  local base=$1 docroot=$2 failed=0 path code
  [[ -f "$docroot/.mk-deployed" ]] || mk_die "mk_htaccess_checks: $docroot is not a test deployment"
  mkdir -p "$docroot/storage" "$docroot/logs" "$docroot/sql" "$docroot/backups" \
    "$docroot/api/storage" "$docroot/mk-static-check"
  local f
  for f in .env .env.bak .env.production storage/secret.txt logs/app.txt sql/schema.txt \
    backups/readme.txt dump.sql copy.bak site.tar.gz site.zip app.log api/storage/secret.txt \
    api/.env api/x.sql .git/config; do
    mkdir -p "$(dirname "$docroot/$f")"
    echo "DECOY $f — must never be served" >"$docroot/$f"
  done
  echo '<!doctype html><title>ok</title>' >"$docroot/mk-static-check/index.html"
  chmod -R a+rX "$docroot"

  _mk_check() { # _mk_check PATH ALLOWED_CODES_REGEX [CURL ARGS]
    local p=$1 allowed=$2
    shift 2
    code="$(mk_http_code "$base$p" "$@")"
    if [[ "$code" =~ ^($allowed)$ ]]; then
      printf '  ok   %-32s %s\n' "$p" "$code" >&2
    else
      printf '  FAIL %-32s %s (expected %s)\n' "$p" "$code" "$allowed" >&2
      failed=1
    fi
  }
  echo "htaccess checks on $base:" >&2
  # Secrets and dumps: 403 from the rules (404 is acceptable too).
  for path in /.env /.env.bak /.env.production /storage/secret.txt /storage/ /logs/app.txt \
    /sql/schema.txt /backups/readme.txt /dump.sql /copy.bak /site.tar.gz /site.zip /app.log \
    /api/storage/secret.txt /api/.env /api/x.sql /.git/config /.htaccess /api/.htaccess \
    /.mk-deployed; do
    _mk_check "$path" '403|404'
  done
  # Static files are served; no directory listings.
  _mk_check /mk-static-check/ 200
  _mk_check /mk-static-check/index.html 200
  _mk_check /sql/ '403|404'
  # A directory under the web root without index: no listing.
  mkdir -p "$docroot/mk-empty-dir" && chmod 755 "$docroot/mk-empty-dir"
  _mk_check /mk-empty-dir/ '403|404'
  return "$failed"
}
