//! FastCGI under `mod_fcgid`: the process stays alive and serves requests one
//! after another on the listening socket Apache passed as fd 0.
//!
//! `mod_fcgid` routes one request at a time to each process, so one database
//! connection per process is all the pooling needed, and the responder role
//! of the protocol (FastCGI 1.0) is all we speak: [`protocol`] is the ~150
//! lines of it. Our own, rather than the `fastcgi` crate, because the
//! parameters must be read as bytes (the crate reads them as `String` and
//! silently drops every parameter after one that is not UTF-8: a bad
//! `User-Agent` lost the method and the path), and because the request must
//! be finished before the after-commit jobs run.

mod protocol;

use crate::config::Config;
use crate::db::Db;
use crate::http::router::{self, Table};
use crate::http::{cgi, Request};
use std::io::Read;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixListener;
use std::path::PathBuf;

/// Whether fd 0 is a *listening* socket, which is how `mod_fcgid` starts its
/// children. (`mod_cgid` hands CGIs a *connected* socket on fd 0.)
/// `getpeername` fails with ENOTCONN exactly on a listening socket.
pub fn stdin_is_listening_socket() -> bool {
    const ENOTCONN: i32 = 107;
    let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() else {
        return false;
    };
    let is_socket = fd
        .try_clone()
        .map(std::fs::File::from)
        .and_then(|f| f.metadata())
        .is_ok_and(|m| m.file_type().is_socket());
    is_socket
        && std::os::unix::net::UnixStream::from(fd)
            .peer_addr()
            .is_err_and(|e| e.raw_os_error() == Some(ENOTCONN))
}

/// The process's configuration and connection, once loaded.
type State = Option<(Config, Db)>;

/// Serves FastCGI requests until Apache stops the process.
///
/// `mod_fcgid` starts the process with an almost empty environment: `SetEnv`
/// values (among them `MK_ENV_FILE`) arrive as parameters of each request. So
/// the configuration is loaded on the first request, from its parameters; a
/// configuration error is answered and tried again on the next request
/// (the administrator may have fixed `.env` meanwhile), never kept.
pub fn serve_forever(table: Table) {
    let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() else {
        return;
    };
    let listener = UnixListener::from(fd);
    let mut state: State = None;
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        while let Ok(Some(request)) = protocol::read_request(&mut stream) {
            let keep = request.keep_conn;
            serve_request(table, &mut state, &mut stream, request);
            if !keep {
                break;
            }
        }
    }
}

/// Answers one request, finishes it, then runs its after-commit jobs.
fn serve_request(
    table: Table,
    state: &mut State,
    stream: &mut std::os::unix::net::UnixStream,
    fcgi: protocol::BegunRequest,
) {
    let id = fcgi.id;
    let keep = fcgi.keep_conn;
    if state.is_none() {
        match load_config(&fcgi.params) {
            Ok(config) => {
                let db = Db::new(config.db.clone());
                *state = Some((config, db));
            }
            Err(e) => {
                let mut stdin = protocol::Stdin::new(stream, id);
                stdin.drain();
                let response = cgi::config_error_response(&e);
                let _ = protocol::respond(stream, id, &response.to_cgi_bytes());
                return;
            }
        }
    }
    let (config, db) = state.as_mut().expect("state loaded above");
    let mut stdin = protocol::Stdin::new(stream, id);
    let request = Request::from_cgi(fcgi.params, &mut stdin, &|method, path| {
        router::body_limit(table, method, path, config)
    });
    stdin.drain();
    let handled = router::handle(table, &request, config, db);
    let sent = protocol::respond(stream, id, &handled.response.to_cgi_bytes());
    if handled.jobs.is_empty() {
        return;
    }
    if !keep || sent.is_err() {
        // Closing our side tells mod_fcgid the request is over.
        let _ = stream.shutdown(std::net::Shutdown::Write);
        wait_for_hang_up(stream);
    }
    router::run_jobs(config, db, &request, handled.jobs);
}

/// Waits (at most [`HANG_UP_WAIT`]) until Apache closes its end, which
/// `mod_fcgid` does once the answer has left for the client (0.24 ms p50, at
/// most 1 ms, measured). Jobs started earlier compete with that delivery for
/// the CPU and stretch the answer by what they do: forgot-password answered
/// a known address 2–15 % later than an unknown one (issue 7 item 8).
fn wait_for_hang_up(stream: &mut std::os::unix::net::UnixStream) {
    let _ = stream.set_read_timeout(Some(HANG_UP_WAIT));
    let mut sink = [0u8; 512];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}

/// How long jobs wait for Apache to hang up before they run anyway.
const HANG_UP_WAIT: std::time::Duration = std::time::Duration::from_millis(200);

fn load_config(params: &[(Vec<u8>, Vec<u8>)]) -> Result<Config, crate::config::ConfigError> {
    let env_file = params
        .iter()
        .find(|(k, _)| k == b"MK_ENV_FILE")
        .map(|(_, v)| PathBuf::from(std::ffi::OsStr::from_bytes(v)));
    let config = match env_file {
        Some(path) => Config::load_from(Some(&path)),
        None => Config::load(),
    };
    config.and_then(|c| c.check_secrets().map(|()| c))
}
