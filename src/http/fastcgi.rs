//! FastCGI under mod_fcgid: the process stays alive and serves requests one
//! after another on the listening socket Apache passed as fd 0.
//!
//! mod_fcgid routes one request at a time to each process, so one database
//! connection per process, behind a mutex, is all the pooling needed.

use crate::config::{Config, ConfigError};
use crate::db::Db;
use crate::http::{cgi, router, Request};
use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::fs::FileTypeExt;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

/// Whether fd 0 is a *listening* socket, which is how mod_fcgid starts its
/// children. (mod_cgid hands CGIs a *connected* socket on fd 0, and the
/// `fastcgi` crate panics on anything but a listening one.) `getpeername`
/// fails with ENOTCONN exactly on a listening socket.
pub fn stdin_is_listening_socket() -> bool {
    const ENOTCONN: i32 = 107;
    let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() else {
        return false;
    };
    let is_socket = std::fs::File::from(fd.try_clone().expect("dup of fd 0"))
        .metadata()
        .is_ok_and(|m| m.file_type().is_socket());
    is_socket
        && std::os::unix::net::UnixStream::from(fd)
            .peer_addr()
            .is_err_and(|e| e.raw_os_error() == Some(ENOTCONN))
}

/// Serves FastCGI requests until Apache stops the process.
///
/// mod_fcgid starts the process with an almost empty environment: `SetEnv`
/// values (among them `MK_ENV_FILE`) arrive as parameters of each request. So
/// the configuration is loaded on the first request, from its parameters.
pub fn serve_forever() {
    let state: OnceLock<Result<(Config, Mutex<Db>), ConfigError>> = OnceLock::new();
    fastcgi::run(move |mut fcgi| {
        let vars: Vec<(String, String)> = fcgi.params().collect();
        let state = state.get_or_init(|| {
            let env_file = vars
                .iter()
                .find(|(k, _)| k == "MK_ENV_FILE")
                .map(|(_, v)| PathBuf::from(v));
            let config = match env_file {
                Some(path) => Config::load_from(Some(&path)),
                None => Config::load(),
            };
            config.and_then(|c| c.check_secrets().map(|()| c)).map(|c| {
                let db = Mutex::new(Db::new(c.db.clone()));
                (c, db)
            })
        });
        let response = match state {
            Ok((config, db)) => {
                let request = Request::from_cgi(vars, &mut fcgi.stdin(), config.max_body_bytes);
                // A panic while the lock was held already dropped the
                // connection (router::handle), so a poisoned lock is safe.
                let mut db = db.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                router::handle(&request, config, &mut db)
            }
            Err(e) => cgi::config_error_response(e),
        };
        let _ = fcgi.stdout().write_all(&response.to_cgi_bytes());
    });
}
