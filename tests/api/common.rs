//! Shared helpers of the HTTP suite: a client for the Apache instance that
//! `scripts/test.sh` started, direct database access for fixtures, and users
//! of each role.
//!
//! Apache serves one database for the whole run and tests run in parallel, so
//! every test isolates itself with unique data (`unique()` suffixes).

#![expect(dead_code, reason = "shared by every test module; each uses a part")]

use mykollector::config::Config;
use mykollector::security::{jwt, password, Role};
use mysql::prelude::Queryable;
use serde_json::Value;
use std::io::{Read, Write};
use std::sync::OnceLock;
use std::time::Duration;

/// The base URL of the Apache instance under test.
pub fn base_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| std::env::var("MK_TEST_BASE_URL").unwrap_or_else(|_| skip_suite()))
}

/// Without a server to talk to, the HTTP suite is skipped as a whole: one
/// line says how to run it, and the process ends as a success (plain
/// `cargo test` then runs the unit tests and this explanation).
fn skip_suite() -> ! {
    eprintln!(
        "HTTP suite skipped: MK_TEST_BASE_URL/MK_TEST_ENV_FILE are not set \
         (run scripts/test.sh, which starts MariaDB and Apache)."
    );
    std::process::exit(0)
}

/// The configuration the server uses (same .env), for DB fixtures and tokens.
pub fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let path = std::env::var("MK_TEST_ENV_FILE").unwrap_or_else(|_| skip_suite());
        Config::load_from(Some(path.as_ref())).expect("test .env loads")
    })
}

/// A fresh connection to the test database.
pub fn db() -> mysql::Conn {
    mykollector::db::connect(&config().db).expect("test database reachable")
}

/// Which gateway serves this run: `cgi` (`mod_cgid`) or `fastcgi` (`mod_fcgid`).
pub fn mode() -> String {
    std::env::var("MK_TEST_MODE").unwrap_or_else(|_| "cgi".into())
}

/// A short random suffix that keeps parallel tests apart.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", &mykollector::security::tokens::random_hex(5))
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    /// The body as JSON (Null when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// A header by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts the uniform error format with `status` and `code`.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        let j = self.json();
        assert_eq!(self.status, status, "body: {}", self.text());
        assert_eq!(j["error"], true, "body: {}", self.text());
        assert_eq!(j["code"], code, "body: {}", self.text());
        assert!(
            j["message"].as_str().is_some_and(|m| !m.is_empty()),
            "error without a message: {}",
            self.text()
        );
    }

    /// Asserts a status and returns the JSON body.
    #[track_caller]
    pub fn expect(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "body: {}", self.text());
        self.json()
    }
}

fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into()
    })
}

/// Sends a request; `token` becomes a bearer header, `body` raw bytes.
pub fn request(
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<(&str, Vec<u8>)>,
) -> Resp {
    let url = format!("{}{path}", base_url());
    let mut builder = ureq::http::Request::builder().method(method).uri(&url);
    if let Some(t) = token {
        builder = builder.header("Authorization", format!("Bearer {t}"));
    }
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let result = match body {
        Some((content_type, bytes)) => {
            let req = builder
                .header("Content-Type", content_type)
                .body(bytes)
                .expect("request builds");
            agent().run(req)
        }
        None => agent().run(builder.body(()).expect("request builds")),
    };
    let mut response = result.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let body = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_vec()
        .unwrap_or_default();
    Resp {
        status,
        headers,
        body,
    }
}

/// GET with an optional token.
pub fn get(path: &str, token: Option<&str>) -> Resp {
    request("GET", path, token, &[], None)
}

/// POST JSON with an optional token.
pub fn post(path: &str, token: Option<&str>, body: &Value) -> Resp {
    request(
        "POST",
        path,
        token,
        &[],
        Some(("application/json", body.to_string().into_bytes())),
    )
}

/// PATCH JSON with an optional token.
pub fn patch(path: &str, token: Option<&str>, body: &Value) -> Resp {
    request(
        "PATCH",
        path,
        token,
        &[],
        Some(("application/json", body.to_string().into_bytes())),
    )
}

/// PUT JSON with an optional token.
pub fn put(path: &str, token: Option<&str>, body: &Value) -> Resp {
    request(
        "PUT",
        path,
        token,
        &[],
        Some(("application/json", body.to_string().into_bytes())),
    )
}

/// DELETE with an optional token.
pub fn delete(path: &str, token: Option<&str>) -> Resp {
    request("DELETE", path, token, &[], None)
}

/// Sends a raw HTTP/1.0 request from a chosen loopback source address
/// (127.0.0.x), to test per-IP rules without touching other tests' budget.
pub fn raw_from(source_ip: &str, method: &str, path: &str, body: &str) -> Resp {
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        base_url().trim_start_matches("http://"),
        body.len()
    );
    raw_bytes(source_ip, request.as_bytes())
}

/// Sends `request` byte for byte (any bytes: not UTF-8, chunked bodies...)
/// from a chosen loopback source address; reads the answer to the end.
pub fn raw_bytes(source_ip: &str, request: &[u8]) -> Resp {
    use socket2::{Domain, Socket, Type};
    let target = server_addr();
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    let source: std::net::SocketAddr = format!("{source_ip}:0").parse().expect("source ip");
    socket.bind(&source.into()).expect("bind source address");
    socket.connect(&target.into()).expect("connect");
    let mut stream: std::net::TcpStream = socket.into();
    stream.write_all(request).expect("write");
    read_raw_response(&mut stream)
}

/// The address of the Apache instance under test.
pub fn server_addr() -> std::net::SocketAddr {
    base_url()
        .trim_start_matches("http://")
        .parse()
        .expect("MK_TEST_BASE_URL is http://ip:port")
}

/// Sends bytes exactly as given (requests no HTTP client would send) and
/// reads the answer until the server closes the connection.
pub fn raw_request(bytes: &[u8]) -> Resp {
    let mut stream = std::net::TcpStream::connect(server_addr()).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(90)))
        .expect("read timeout");
    stream.write_all(bytes).expect("write");
    read_raw_response(&mut stream)
}

/// Reads an HTTP/1.x answer until the connection closes.
pub fn read_raw_response(stream: &mut std::net::TcpStream) -> Resp {
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Resp {
        status,
        headers,
        body: body.as_bytes().to_vec(),
    }
}

/// A loopback address of its own (127.2.x.y), so per-IP counters and audit
/// rows of one test are apart from the others'.
pub fn own_ip() -> String {
    let hex = mykollector::security::tokens::random_hex(2);
    let (a, b) = (
        u8::from_str_radix(&hex[..2], 16).unwrap().clamp(2, 250),
        u8::from_str_radix(&hex[2..], 16).unwrap().clamp(2, 250),
    );
    format!("127.2.{a}.{b}")
}

/// A user created for one test.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: u64,
    pub email: String,
    pub password: String,
    pub role: Role,
    pub atelier_id: Option<u64>,
    /// A valid access token, minted with the server's secret.
    pub token: String,
}

/// The bcrypt hash of [`TEST_PASSWORD`], computed once per test process.
fn test_password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| password::hash(TEST_PASSWORD).expect("hash"))
}

/// Password of every test user.
pub const TEST_PASSWORD: &str = "mot-de-passe-test";

/// Creates a user of `role` directly in the database and mints a token.
pub fn user(role: Role) -> TestUser {
    user_in(role, None)
}

/// Creates a user of `role` bound to `atelier_id` (operators).
pub fn user_in(role: Role, atelier_id: Option<u64>) -> TestUser {
    let email = format!("{}@test.mykollector.fr", unique(role.as_str()));
    let mut conn = db();
    conn.exec_drop(
        "INSERT INTO users (email, password, role, nom, prenom, atelier_id, actif) VALUES (?, ?, ?, 'Testeur', 'Camille', ?, TRUE)",
        (&email, test_password_hash(), role.as_str(), atelier_id),
    )
    .expect("insert user");
    let id = conn.last_insert_id();
    let token = token_for(id, role, atelier_id);
    TestUser {
        id,
        email,
        password: TEST_PASSWORD.into(),
        role,
        atelier_id,
        token,
    }
}

/// Mints an access token as the server would at login: a live session row
/// (refresh-token family) first, then a token bound to it.
pub fn token_for(id: u64, role: Role, atelier_id: Option<u64>) -> String {
    let c = config();
    let family = mykollector::security::tokens::random_hex(16);
    db().exec_drop(
        r"INSERT INTO sessions (user_id, token_hash, family_id, expires_at)
          VALUES (?, ?, ?, NOW() + INTERVAL 1 DAY)",
        (id, mykollector::security::tokens::random_hex(32), &family),
    )
    .expect("insert session");
    jwt::issue(&c.jwt_secret, c.jwt_expiry, id, role, atelier_id, &family).expect("token")
}

/// Creates an atelier; returns its id.
pub fn atelier() -> u64 {
    let mut conn = db();
    let code = unique("AT");
    conn.exec_drop(
        "INSERT INTO ateliers (code, nom, couleur, actif) VALUES (?, ?, '#c8a84b', TRUE)",
        (&code, format!("Atelier {code}")),
    )
    .expect("insert atelier");
    conn.last_insert_id()
}

/// A random course code: three letters A to Z.
pub fn random_course_code() -> String {
    let hex = mykollector::security::tokens::random_hex(3);
    hex.as_bytes()
        .chunks(2)
        .map(|pair| {
            let n = u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap();
            char::from(b'A' + n % 26)
        })
        .collect()
}

/// Inserts a course under a free random code: `insert` runs the INSERT for
/// the code drawn, and when a parallel test holds that code already (a
/// duplicate key) another one is drawn. Returns the course's id and code.
pub fn insert_course(
    mut insert: impl FnMut(&mut mysql::Conn, &str) -> mysql::Result<()>,
) -> (u64, String) {
    let mut conn = db();
    for _ in 0..50 {
        let code = random_course_code();
        match insert(&mut conn, &code) {
            Ok(()) => return (conn.last_insert_id(), code),
            Err(mysql::Error::MySqlError(e)) if e.code == 1062 => {}
            Err(e) => panic!("insert course: {e}"),
        }
    }
    panic!("no free course code");
}

/// The mobile tracking configuration of course `id`, with its defaults.
pub fn tracking_config(id: u64) {
    db().exec_drop(
        "INSERT INTO segment_tracking_config (produit_id) VALUES (?)",
        (id,),
    )
    .expect("tracking config");
}

/// An active cycling course whose slug starts with `slug_prefix`, named by
/// `nom(slug, code)`. Returns its id and code.
pub fn cycling_course(slug_prefix: &str, nom: impl Fn(&str, &str) -> String) -> (u64, String) {
    insert_course(|conn, code| {
        let slug = unique(slug_prefix);
        conn.exec_drop(
            "INSERT INTO produits (slug, code, nom, categorie, actif) VALUES (?, ?, ?, 'cyclisme', TRUE)",
            (&slug, code, nom(&slug, code)),
        )
    })
}

/// POSTs a multipart form; `files` are (field, filename, content type, bytes),
/// `fields` plain (name, value) pairs.
pub fn post_multipart(
    path: &str,
    token: Option<&str>,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &str, Vec<u8>)],
) -> Resp {
    use mykollector::http::multipart::{encode, Part};
    let mut parts: Vec<Part> = fields
        .iter()
        .map(|(name, value)| Part {
            name: (*name).into(),
            filename: None,
            content_type: None,
            data: value.as_bytes().to_vec(),
        })
        .collect();
    parts.extend(files.iter().map(|(name, filename, ct, data)| Part {
        name: (*name).into(),
        filename: Some((*filename).into()),
        content_type: Some((*ct).into()),
        data: data.clone(),
    }));
    let boundary = format!("mk{}", unique("b"));
    let content_type = format!("multipart/form-data; boundary={boundary}");
    request(
        "POST",
        path,
        token,
        &[],
        Some((&content_type, encode(&boundary, &parts))),
    )
}

/// The raw text of every message the fake SMTP server received for `to`
/// (the envelope recipient), oldest first.
pub fn raw_mails_to(to: &str) -> Vec<String> {
    let dir =
        std::env::var("MK_TEST_MAIL_DIR").expect("MK_TEST_MAIL_DIR is set by scripts/test.sh");
    raw_mails_in(std::path::Path::new(&dir), to)
}

/// The raw text of every message a fake SMTP server writing to `dir`
/// received for `to`, oldest first.
pub fn raw_mails_in(dir: &std::path::Path, to: &str) -> Vec<String> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    paths.sort();
    paths
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter(|raw| {
            raw.lines()
                .find(|l| l.starts_with("X-Fake-SMTP-Rcpt-To:"))
                .is_some_and(|l| l.contains(&format!("<{to}>")))
        })
        .collect()
}

/// Quoted-printable soft breaks and escapes undone (enough to search a
/// mail's text parts).
pub fn unfold_quoted_printable(raw: &str) -> String {
    let unfolded = raw.replace("=\r\n", "").replace("=\n", "");
    let bytes = unfolded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
