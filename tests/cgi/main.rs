//! The fast tier: the built API binary run as a CGI process, with the CGI
//! environment set by hand and no Apache, for the route table, the uniform
//! errors, the gateway's byte handling and authentication. Each test is one
//! process start, as under `mod_cgid`.
//!
//! It needs the test database (`MK_TEST_ENV_FILE`, set by scripts/test.sh);
//! without it the tier is skipped with one line.

use mykollector::config::Config;
use mysql::prelude::Queryable;
use serde_json::{json, Value};
use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::process::{Command, Stdio};

/// The test `.env`, or the skip.
fn env_file() -> String {
    std::env::var("MK_TEST_ENV_FILE").unwrap_or_else(|_| {
        eprintln!("CGI tier skipped: MK_TEST_ENV_FILE is not set (run scripts/test.sh).");
        std::process::exit(0)
    })
}

fn config() -> Config {
    Config::load_from(Some(env_file().as_ref())).expect("test .env loads")
}

/// One answer, parsed from the CGI output (`Status:` line, headers, body).
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[track_caller]
    fn assert_error(&self, status: u16, code: &str) {
        let j = self.json();
        assert_eq!(
            (self.status, j["error"].clone(), j["code"].clone()),
            (status, json!(true), json!(code)),
            "{}",
            String::from_utf8_lossy(&self.body)
        );
    }
}

/// Runs the binary once as a CGI with `vars` (bytes allowed) and `body`.
fn cgi(vars: &[(&str, &[u8])], body: &[u8]) -> Answer {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mykollector"));
    cmd.env_clear()
        .env("GATEWAY_INTERFACE", "CGI/1.1")
        .env("MK_ENV_FILE", env_file())
        .env("REMOTE_ADDR", "127.3.0.1")
        .env("SERVER_PROTOCOL", "HTTP/1.1");
    for (k, v) in vars {
        cmd.env(k, OsStr::from_bytes(v));
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the API binary runs");
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    parse(&out.stdout)
}

fn parse(raw: &[u8]) -> Answer {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a CGI header block");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let headers: Vec<(String, String)> = head
        .lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let status = headers
        .iter()
        .find(|(k, _)| k == "Status")
        .and_then(|(_, v)| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(200);
    Answer {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

fn get(path: &str) -> Answer {
    get_with(path, &[])
}

/// A GET with more meta-variables (headers...).
fn get_with(path: &str, extra: &[(&str, &[u8])]) -> Answer {
    let mut vars: Vec<(&str, &[u8])> =
        vec![("REQUEST_METHOD", b"GET"), ("REQUEST_URI", path.as_bytes())];
    vars.extend_from_slice(extra);
    cgi(&vars, b"")
}

fn post_json(path: &str, body: &Value, extra: &[(&str, &[u8])]) -> Answer {
    let bytes = body.to_string().into_bytes();
    let length = bytes.len().to_string();
    let mut vars: Vec<(&str, &[u8])> = vec![
        ("REQUEST_METHOD", b"POST"),
        ("REQUEST_URI", path.as_bytes()),
        ("CONTENT_TYPE", b"application/json"),
        ("CONTENT_LENGTH", length.as_bytes()),
    ];
    vars.extend_from_slice(extra);
    cgi(&vars, &bytes)
}

#[test]
fn route_table_answers_found_missing_and_wrong_method() {
    let health = get("/api/health");
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");
    get("/api/nexiste-pas").assert_error(404, "route_not_found");
    let r = cgi(
        &[
            ("REQUEST_METHOD", b"DELETE"),
            ("REQUEST_URI", b"/api/health"),
        ],
        b"",
    );
    r.assert_error(405, "method_not_allowed");
    assert_eq!(r.header("Allow"), Some("GET"));
    cgi(
        &[("REQUEST_METHOD", b"BREW"), ("REQUEST_URI", b"/api/health")],
        b"",
    )
    .assert_error(405, "method_not_allowed");
}

#[test]
fn bad_input_gets_the_uniform_errors() {
    let r = cgi(
        &[
            ("REQUEST_METHOD", b"POST"),
            ("REQUEST_URI", b"/api/auth/login"),
            ("CONTENT_LENGTH", b"6"),
        ],
        b"{pas d",
    );
    r.assert_error(400, "invalid_json");
    for vars in [
        &[
            ("REQUEST_METHOD", &b"GET"[..]),
            ("REQUEST_URI", b"/api/health"),
            ("HTTP_USER_AGENT", b"\xff\xfe"),
        ][..],
        &[
            ("REQUEST_METHOD", b"GET"),
            ("REQUEST_URI", b"/api/parcours/%ff"),
        ],
        &[
            ("REQUEST_METHOD", b"GET"),
            ("REQUEST_URI", b"/api/parcours"),
            ("QUERY_STRING", b"q=\xff"),
        ],
    ] {
        cgi(vars, b"").assert_error(400, "invalid_encoding");
    }
    let declared = (config().max_body_bytes + 1).to_string();
    cgi(
        &[
            ("REQUEST_METHOD", b"POST"),
            ("REQUEST_URI", b"/api/auth/login"),
            ("CONTENT_LENGTH", declared.as_bytes()),
        ],
        b"",
    )
    .assert_error(413, "payload_too_large");
}

#[test]
fn a_configuration_error_is_a_json_500() {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mykollector"));
    let out = cmd
        .env_clear()
        .env("GATEWAY_INTERFACE", "CGI/1.1")
        .env("MK_ENV_FILE", "/nonexistent/.env")
        .env("REQUEST_METHOD", "GET")
        .env("REQUEST_URI", "/api/health")
        .output()
        .unwrap();
    parse(&out.stdout).assert_error(500, "configuration_error");
}

/// A user straight in the database, with a known password.
fn user(password: &str) -> (u64, String) {
    let email = format!(
        "cgi-{}@test.mykollector.fr",
        mykollector::security::tokens::random_hex(5)
    );
    let hash = mykollector::security::password::hash(password).unwrap();
    let mut conn = mykollector::db::connect(&config().db).unwrap();
    conn.exec_drop(
        "INSERT INTO users (email, password, role, nom, prenom, actif) VALUES (?, ?, 'sportif', 'Cgi', 'Test', TRUE)",
        (&email, &hash),
    )
    .unwrap();
    (conn.last_insert_id(), email)
}

#[test]
fn login_then_me_with_the_token_and_refusals() {
    let (id, email) = user("mot-de-passe-cgi");
    let ip: &[(&str, &[u8])] = &[("REMOTE_ADDR", b"127.3.1.1")];
    post_json(
        "/api/auth/login",
        &json!({ "email": email, "password": "faux" }),
        ip,
    )
    .assert_error(401, "invalid_credentials");
    let ok = post_json(
        "/api/auth/login",
        &json!({ "email": email, "password": "mot-de-passe-cgi" }),
        ip,
    );
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    let token = ok.json()["token"].as_str().unwrap().to_string();
    let bearer = format!("Bearer {token}");
    let me = get_with("/api/auth/me", &[("HTTP_AUTHORIZATION", bearer.as_bytes())]);
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["id"], id);
    get("/api/auth/me").assert_error(401, "token_missing");
    let forged = get_with(
        "/api/auth/me",
        &[("REDIRECT_HTTP_AUTHORIZATION", b"Bearer pas.un.jwt")],
    );
    forged.assert_error(401, "token_invalid");
}

#[test]
fn a_chunked_body_is_read_until_end_of_file() {
    // Apache de-chunks and sends the body until EOF, with no CONTENT_LENGTH.
    let (_, email) = user("mot-de-passe-cgi");
    let body = json!({ "email": email, "password": "mot-de-passe-cgi" }).to_string();
    let r = cgi(
        &[
            ("REQUEST_METHOD", b"POST"),
            ("REQUEST_URI", b"/api/auth/login"),
            ("CONTENT_TYPE", b"application/json"),
            ("HTTP_TRANSFER_ENCODING", b"chunked"),
            ("REMOTE_ADDR", b"127.3.2.1"),
        ],
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}
