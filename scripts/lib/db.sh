# shellcheck shell=bash source-path=SCRIPTDIR
# MariaDB for the local scripts.
#   mk_db_ensure_running        install (root) / start MariaDB, wait until it answers
#   mk_db_admin ARGS...         run the mariadb client as the DB administrator
#   mk_db_create_fresh PREFIX   new empty database PREFIX<random> + its own user,
#                               both dropped at exit; sets MK_DB_NAME MK_DB_USER
#                               MK_DB_PASS MK_DB_SOCKET MK_DB_PORT
#   mk_db_ensure NAME USER PASS idempotent database + user (demo); also sets the vars
#   mk_db_drop NAME USER        drop a database and its user
# The application never uses the administrator account: Apache runs the binary as
# www-data, which cannot use root's unix-socket authentication, so every database
# gets a real user with a password, allowed on that database only.
# Source it; do not execute it.

[[ -n "${_MK_DB_SH:-}" ]] && return 0
_MK_DB_SH=1
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/deps.sh"

# How to reach the server as an administrator. Default: root over the unix
# socket (Debian's default auth for root). Override for other setups, e.g.
#   MK_DB_ADMIN_CMD='mariadb --user=admin --password=secret --host=127.0.0.1'
MK_DB_ADMIN_CMD="${MK_DB_ADMIN_CMD:-}"

_mk_db_client() {
  if command -v mariadb >/dev/null; then
    echo mariadb
  elif command -v mysql >/dev/null; then
    echo mysql
  else
    return 1
  fi
}

mk_db_admin() {
  if [[ -n "$MK_DB_ADMIN_CMD" ]]; then
    # Word splitting is intended: the variable holds a command line.
    # shellcheck disable=SC2086
    $MK_DB_ADMIN_CMD --batch --skip-column-names "$@"
  else
    "$(_mk_db_client)" --user=root --batch --skip-column-names "$@"
  fi
}

# The server answers a query from the administrator.
_mk_db_answers() { mk_db_admin -e 'SELECT 1' >/dev/null 2>&1; }

# Start mariadbd without systemd (containers, CI) and wait for its socket.
_mk_db_start() {
  mk_is_root || mk_die "MariaDB is not running and only root can start it (try: sudo /etc/init.d/mariadb start)"
  local mariadbd
  mariadbd="$(command -v mariadbd || command -v mysqld || true)"
  [[ -z "$mariadbd" && -x /usr/sbin/mariadbd ]] && mariadbd=/usr/sbin/mariadbd
  [[ -z "$mariadbd" && -x /usr/sbin/mysqld ]] && mariadbd=/usr/sbin/mysqld
  [[ -n "$mariadbd" ]] || mk_die "mariadbd not found although mariadb-server is installed"

  # Runtime directory for the socket and pid file (tmpfs: gone after a reboot).
  mkdir -p /run/mysqld
  chown mysql:mysql /run/mysqld
  # A data directory that was never initialised (package installed with its
  # scripts disabled): create the system tables.
  if [[ ! -d /var/lib/mysql/mysql ]]; then
    mk_log "initialising the MariaDB data directory"
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
  fi

  mk_log "starting MariaDB ($mariadbd)"
  # --oknodo: nothing to do if a mariadbd already runs. --user=mysql because
  # Debian's default config leaves "user" commented out and mariadbd refuses
  # to run as root.
  start-stop-daemon --start --oknodo --background --exec "$mariadbd" -- --user=mysql

  local start=$SECONDS
  until _mk_db_answers; do
    if ((SECONDS - start > 60)); then
      mk_warn "MariaDB did not answer within 60 s; end of its error log:"
      tail -n 30 /var/log/mysql/error.log 2>/dev/null >&2 || true
      mk_die "MariaDB is not running"
    fi
    sleep 0.5
  done
}

mk_db_ensure_running() {
  # Already answering (any server, any package): nothing to do.
  _mk_db_answers && return 0
  if [[ -n "$MK_DB_ADMIN_CMD" ]]; then
    mk_die "MariaDB does not answer to MK_DB_ADMIN_CMD ($MK_DB_ADMIN_CMD)"
  fi
  if ! mk_is_root; then
    mk_die "cannot reach MariaDB as root over its unix socket. Run as root, or set MK_DB_ADMIN_CMD (e.g. 'mariadb --user=admin --password=...')"
  fi
  # Root: install the server if needed, then start it.
  ensure_packages mariadb-server mariadb-client
  _mk_db_answers || _mk_db_start
}

# Socket path and TCP port of the running server, for the .env.
_mk_db_read_server_vars() {
  MK_DB_SOCKET="$(mk_db_admin -e 'SELECT @@socket')"
  MK_DB_PORT="$(mk_db_admin -e 'SELECT @@port')"
  # skip-networking servers report port 0: the socket is then the only way.
  [[ "$MK_DB_PORT" == 0 ]] && MK_DB_PORT=3306
  export MK_DB_SOCKET MK_DB_PORT
}

# _mk_db_create NAME USER PASS: create (if missing) the database and the user
# for localhost (unix socket) and 127.0.0.1 (TCP), set the password, grant.
_mk_db_create() {
  local name=$1 user=$2 pass=$3 host
  [[ "$name" =~ ^[A-Za-z0-9_]+$ && "$user" =~ ^[A-Za-z0-9_]+$ && "$pass" =~ ^[A-Za-z0-9_]+$ ]] ||
    mk_die "database/user names and passwords must be [A-Za-z0-9_]"
  local sql="CREATE DATABASE IF NOT EXISTS \`$name\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
  for host in localhost 127.0.0.1; do
    sql+="CREATE USER IF NOT EXISTS '$user'@'$host' IDENTIFIED BY '$pass';"
    sql+="ALTER USER '$user'@'$host' IDENTIFIED BY '$pass';"
    sql+="GRANT ALL PRIVILEGES ON \`$name\`.* TO '$user'@'$host';"
  done
  mk_db_admin -e "$sql"
}

mk_db_drop() {
  local name=$1 user=$2
  mk_db_admin -e "DROP DATABASE IF EXISTS \`$name\`;
    DROP USER IF EXISTS '$user'@'localhost';
    DROP USER IF EXISTS '$user'@'127.0.0.1';" ||
    mk_warn "could not drop database $name / user $user"
}

mk_db_create_fresh() {
  local prefix=${1:-mk_test_} suffix
  suffix="$(mk_random_hex 5)"
  MK_DB_NAME="${prefix}${suffix}"
  MK_DB_USER="mk_${suffix}"
  MK_DB_PASS="$(mk_random_hex 16)"
  _mk_db_create "$MK_DB_NAME" "$MK_DB_USER" "$MK_DB_PASS"
  if [[ "${MK_KEEP_DB:-0}" == 1 ]]; then
    mk_log "MK_KEEP_DB=1: database $MK_DB_NAME (user $MK_DB_USER) is kept"
  else
    mk_on_exit "mk_db_drop '$MK_DB_NAME' '$MK_DB_USER'"
  fi
  _mk_db_read_server_vars
  export MK_DB_NAME MK_DB_USER MK_DB_PASS
  mk_log "database $MK_DB_NAME ready (user $MK_DB_USER)"
}

mk_db_ensure() {
  MK_DB_NAME=$1 MK_DB_USER=$2 MK_DB_PASS=$3
  _mk_db_create "$MK_DB_NAME" "$MK_DB_USER" "$MK_DB_PASS"
  _mk_db_read_server_vars
  export MK_DB_NAME MK_DB_USER MK_DB_PASS
}
