//! The API binary: Apache runs it per request (CGI) or keeps it alive under
//! mod_fcgid (FastCGI); it tells which by itself.

use std::process::ExitCode;

fn main() -> ExitCode {
    if mykollector::http::serve() {
        return ExitCode::SUCCESS;
    }
    eprintln!(
        "mykollector {}: this is the API program that Apache runs through CGI or FastCGI.\n\
         Deploy it as public_html/api/mykollector.cgi (see README.md); use mk-admin from a shell.",
        env!("CARGO_PKG_VERSION")
    );
    ExitCode::from(2)
}
