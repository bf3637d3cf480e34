# shellcheck shell=bash source-path=SCRIPTDIR
# System dependencies: Debian/Ubuntu packages and the Rust toolchain.
#   ensure_packages PKG...   install what is missing (root), else list it and exit 1
#   ensure_rust_toolchain    cargo + rustfmt + clippy present (rustup adds components)
# Source it; do not execute it.

[[ -n "${_MK_DEPS_SH:-}" ]] && return 0
_MK_DEPS_SH=1
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Packages every script needs (test.sh and demo.sh); extra ones are passed as
# arguments. python3 runs the fake SMTP server; gcc/libc6-dev link Rust programs
# and build the C parts of crates; musl-tools is for the static release build.
# shellcheck disable=SC2034 # used by the scripts that source this file
MK_BASE_PACKAGES=(
  apache2 libapache2-mod-fcgid
  mariadb-server mariadb-client
  curl python3 gcc libc6-dev musl-tools ca-certificates
)

_MK_APT_UPDATED=0

# mk_package_installed PKG: dpkg says PKG is installed.
mk_package_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}

ensure_packages() {
  local pkg missing=()
  if ! command -v dpkg-query >/dev/null; then
    mk_die "this is not a Debian/Ubuntu system (no dpkg-query). Install by hand: $*"
  fi
  for pkg in "$@"; do
    mk_package_installed "$pkg" || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0

  if ! mk_is_root; then
    printf 'Missing packages: %s\n' "${missing[*]}" >&2
    printf 'Install them with:\n  sudo apt-get update && sudo apt-get install -y %s\n' "${missing[*]}" >&2
    exit 1
  fi
  mk_log "installing missing packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ((_MK_APT_UPDATED == 0)); then
    apt-get update -qq
    _MK_APT_UPDATED=1
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  for pkg in "${missing[@]}"; do
    mk_package_installed "$pkg" || mk_die "package $pkg is still not installed"
  done
}

# ensure_rust_toolchain: cargo, rustfmt and clippy. Rust itself comes from
# rustup (https://rustup.rs), not from apt: Debian's rustc is too old for
# Cargo.toml's rust-version.
ensure_rust_toolchain() {
  if ! command -v cargo >/dev/null && [[ -x "$HOME/.cargo/bin/cargo" ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  command -v cargo >/dev/null ||
    mk_die "cargo not found. Install Rust with rustup: curl https://sh.rustup.rs -sSf | sh -s -- -y"
  local comp
  for comp in rustfmt clippy; do
    if ! cargo "${comp/rustfmt/fmt}" --version >/dev/null 2>&1; then
      if command -v rustup >/dev/null; then
        mk_log "adding Rust component $comp"
        rustup component add "$comp" >&2
      else
        mk_die "cargo ${comp/rustfmt/fmt} is missing (install the $comp component)"
      fi
    fi
  done
}
