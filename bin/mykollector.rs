//! The API binary: Apache runs it per request (CGI) or keeps it alive under
//! `mod_fcgid` (FastCGI); it tells which by itself.

use std::process::ExitCode;

/// Under CGI every request is a new process: musl's malloc returns freed
/// memory to the kernel eagerly (hundreds of mmap/munmap per request), while
/// dlmalloc keeps it in a few segments. See Cargo.toml and scripts/bench.sh.
#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

fn main() -> ExitCode {
    if mykollector::http::serve(mykollector::api::MODULES) {
        return ExitCode::SUCCESS;
    }
    eprintln!(
        "mykollector {}: this is the API program that Apache runs through CGI or FastCGI.\n\
         Deploy it as public_html/api/mykollector.cgi (see README.md); use mk-admin from a shell.",
        env!("CARGO_PKG_VERSION")
    );
    ExitCode::from(2)
}
