//! Plain CGI: one request per process, from the environment and stdin.
//!
//! The process must be gone by the time Apache has read the answer: under
//! mod_cgi, a CGI still alive when the request ends is sent SIGTERM and Apache
//! sleeps ~47 ms before reaping it. So the database connection is closed
//! (COM_QUIT) before the answer is written, the answer goes out in one write,
//! and the process exits at once, leaving the kernel to close stdout as part of
//! the exit.

use crate::config::Config;
use crate::db::Db;
use crate::error::Error;
use crate::http::{router, Request, Response};
use std::io::Write;

/// Serves the one request of this process, then exits.
pub fn serve_one() -> ! {
    let response = match Config::load().and_then(|c| c.check_secrets().map(|()| c)) {
        Ok(config) => {
            let request = Request::from_cgi(
                std::env::vars(),
                &mut std::io::stdin().lock(),
                config.max_body_bytes,
            );
            let mut db = Db::new(config.db.clone());
            let response = router::handle(&request, &config, &mut db);
            db.close();
            response
        }
        Err(e) => config_error_response(&e),
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(&response.to_cgi_bytes());
    let _ = out.flush();
    std::process::exit(0)
}

/// The answer when `.env` is missing or unsafe: a JSON 500 for the client, the
/// reason in Apache's error log.
pub fn config_error_response(e: &crate::config::ConfigError) -> Response {
    eprintln!("mykollector: configuration error: {e}");
    let err = Error::new(
        500,
        "configuration_error",
        "Le serveur est mal configuré. L'administrateur a été prévenu.",
    );
    Response::from_error(&err)
}
