#!/usr/bin/env bash
# MyKollector — one archive to upload to an OVH shared host (issue 10 item 8).
#
#   scripts/package.sh            -> target/package/mykollector-<version>.tar.gz
#
# Layout of the archive (paths relative to the hosting account's home, where
# it is meant to be unpacked; README "Installer sur OVH" gives every step):
#   mykollector-<version>/
#     .ovhconfig                   64-bit runtime (container.image=stable64)
#     www/                         the web root: static pages, .htaccess,
#                                  api/.htaccess, api/mykollector.cgi (CGI)
#     mykollector/bin/mk-admin     install, migrations, backup, restore, doctor, cron
#     mykollector/.env.example     to copy to mykollector/.env (outside www/)
#     mykollector/cron/mk-cron.php the hourly cron line for OVH's panel (PHP wrapper)
#     htaccess/                    both .htaccess variants (htaccess/fcgid/ = FastCGI)
#     VERSION, SHA256SUMS
#
# Binaries: the static musl release (scripts/build-release.sh, built when
# missing) unless MK_PACKAGE_BIN_DIR names a folder holding mykollector and
# mk-admin (the install rehearsal may use the debug build to save minutes).
# Knobs: MK_PACKAGE_BIN_DIR, MK_PACKAGE_OUT (output folder), MK_PACKAGE_VERSION.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

cd "$MK_REPO_ROOT"
VERSION="${MK_PACKAGE_VERSION:-$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)}"
OUT="${MK_PACKAGE_OUT:-$MK_TARGET_DIR/package}"
BIN_DIR="${MK_PACKAGE_BIN_DIR:-}"
if [[ -z "$BIN_DIR" ]]; then
  BIN_DIR="$MK_TARGET_DIR/x86_64-unknown-linux-musl/release"
  [[ -x "$BIN_DIR/mykollector" && -x "$BIN_DIR/mk-admin" ]] || "$MK_REPO_ROOT/scripts/build-release.sh" >&2
fi
for b in mykollector mk-admin; do
  [[ -x "$BIN_DIR/$b" ]] || mk_die "no executable $BIN_DIR/$b"
done

NAME="mykollector-$VERSION"
STAGE="$(mktemp -d /tmp/mk-package.XXXXXX)"
mk_on_exit "rm -rf '$STAGE'"
ROOT="$STAGE/$NAME"
mkdir -p "$ROOT/www/api" "$ROOT/mykollector/bin" "$ROOT/mykollector/cron"

cp -R public_html/. "$ROOT/www/"
cp htaccess/public_html.htaccess "$ROOT/www/.htaccess"
cp htaccess/api.htaccess "$ROOT/www/api/.htaccess"
install -m 755 "$BIN_DIR/mykollector" "$ROOT/www/api/mykollector.cgi"
install -m 755 "$BIN_DIR/mk-admin" "$ROOT/mykollector/bin/mk-admin"
cp .env.example "$ROOT/mykollector/.env.example"
cp -R htaccess "$ROOT/htaccess"

# OVH reads .ovhconfig at the root of the hosting space: the 64-bit image is
# the one that runs a static x86_64 binary (integrations.md §10).
cat >"$ROOT/.ovhconfig" <<'OVH'
app.engine=php
app.engine.version=8.3
http.firewall=none
environment=production
container.image=stable64
OVH

# OVH's cron panel runs a script with a PHP version, at most hourly: this
# wrapper runs the real cron and passes its output and exit status on.
cat >"$ROOT/mykollector/cron/mk-cron.php" <<'PHP'
<?php
// MyKollector hourly cron for OVH's panel (Hébergement > Tâches planifiées):
// command = mykollector/cron/mk-cron.php, language = PHP, every hour.
$home = dirname(__DIR__);
$cmd = escapeshellarg($home . '/bin/mk-admin') . ' --env-file ' . escapeshellarg($home . '/.env') . ' cron hourly 2>&1';
exec($cmd, $lines, $status);
echo implode("\n", $lines), "\n";
exit($status);
PHP

echo "$VERSION" >"$ROOT/VERSION"
(cd "$ROOT" && find . -type f ! -name SHA256SUMS -print0 | sort -z | xargs -0 sha256sum >SHA256SUMS)
mkdir -p "$OUT"
ARCHIVE="$OUT/$NAME.tar.gz"
tar -C "$STAGE" --owner=0 --group=0 -czf "$ARCHIVE" "$NAME"
sha256sum "$ARCHIVE" | sed "s#  .*/#  #" >"$ARCHIVE.sha256"
mk_log "archive: $ARCHIVE ($(stat -c %s "$ARCHIVE") bytes)"
echo "$ARCHIVE"
