#!/usr/bin/env bash
# MyKollector — the release build that is uploaded to the host.
#
#   scripts/build-release.sh
#
# Builds every binary (mykollector, mk-admin) for x86_64-unknown-linux-musl:
# fully static executables that run on any x86-64 Linux (OVH shared hosting
# has no Rust, and its glibc version is not ours to choose). Then checks that:
#   - `file` says "statically linked" (no dynamic loader, no shared library);
#   - OpenSSL is nowhere in the dependency graph (TLS is rustls + ring);
# and prints each binary's path and size.
#
# What it sets up when missing (as root; otherwise it says what to run):
#   - the Rust target x86_64-unknown-linux-musl (rustup target add);
#   - Debian's musl-tools: ring compiles C for the musl target and cc-rs finds
#     the compiler through CC_x86_64_unknown_linux_musl=musl-gcc.
#
# Knobs: CARGO_TARGET_DIR (default target/), MK_RELEASE_CARGO_ARGS (extra
# arguments for cargo build, e.g. "--offline").
#
# Non-PIE on purpose: Rust's musl target links static-PIE by default, which
# `file` reports as "static-pie linked" and which relocates itself on every
# start (tens of thousands of relative relocations, paid by every CGI request).
# `-C relocation-model=static` gives a classic static executable; the stack,
# heap and mmap areas are still randomised by the kernel.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/deps.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/deps.sh"

mk_enter_repo

TARGET=x86_64-unknown-linux-musl
OUT_DIR="$MK_TARGET_DIR/$TARGET/release"
BINS=(mykollector mk-admin)

# --- toolchain -----------------------------------------------------------------
mk_section "toolchain"
ensure_packages musl-tools file
if ! command -v cargo >/dev/null && [[ -x "$HOME/.cargo/bin/cargo" ]]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
command -v cargo >/dev/null ||
  mk_die "cargo not found. Install Rust with rustup: curl https://sh.rustup.rs -sSf | sh -s -- -y"
if command -v rustup >/dev/null; then
  if ! rustup target list --installed | grep -qx "$TARGET"; then
    mk_log "adding the Rust target $TARGET"
    rustup target add "$TARGET" >&2
  fi
else
  # A toolchain without rustup (distribution package): the target's standard
  # library must already be there; cargo says so clearly if it is not.
  mk_warn "rustup not found: assuming the $TARGET standard library is installed"
fi

# ring's C parts for the musl target: the Debian wrapper around gcc.
export CC_x86_64_unknown_linux_musl=musl-gcc
# Only the target's code gets these flags (build scripts and proc macros are
# compiled for the host without them).
export CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="-C target-feature=+crt-static -C relocation-model=static"

# --- no OpenSSL ------------------------------------------------------------------
mk_section "dependency check: no OpenSSL"
tree="$(cargo tree --target "$TARGET" -e normal,build --prefix none --no-dedupe 2>/dev/null |
  awk '{print $1}' | sort -u)" || mk_die "cargo tree failed"
bad="$(grep -xE 'openssl|openssl-sys|native-tls|openssl-src' <<<"$tree" || true)"
[[ -z "$bad" ]] || mk_die "OpenSSL crates in the dependency graph: $(tr '\n' ' ' <<<"$bad")(use rustls)"
mk_log "no openssl / openssl-sys / native-tls in the graph (cargo tree -i openssl-sys is empty)"

# --- build -------------------------------------------------------------------------
mk_section "cargo build --release --target $TARGET --bins"
start=$SECONDS
# shellcheck disable=SC2086 # MK_RELEASE_CARGO_ARGS is a list of words on purpose
cargo build --release --locked --target "$TARGET" --bins ${MK_RELEASE_CARGO_ARGS:-}
mk_log "built in $((SECONDS - start)) s"

# --- checks and sizes ------------------------------------------------------------
mk_section "release binaries ($TARGET)"
failed=0
for bin in "${BINS[@]}"; do
  path="$OUT_DIR/$bin"
  [[ -x "$path" ]] || mk_die "expected $path after the build"
  desc="$(file -b "$path")"
  if [[ "$desc" != *"statically linked"* ]]; then
    mk_warn "$bin is not statically linked: $desc"
    failed=1
  fi
  size=$(stat -c %s "$path")
  printf '%-12s %9d bytes (%s MiB)  %s\n' "$bin" "$size" \
    "$(awk -v s="$size" 'BEGIN { printf "%.2f", s / 1048576 }')" "$path"
  printf '             file: %s\n' "$desc"
done
((failed == 0)) || mk_die "a release binary is not statically linked"
