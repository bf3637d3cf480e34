//! HTTP plumbing: one plain [`Request`]/[`Response`] pair that both gateways
//! (CGI and FastCGI) convert to and from, the route table, and the
//! cross-cutting guards.
//!
//! Both gateways hand over the CGI meta-variables (RFC 3875), so a request is
//! built from those in one place ([`Request::from_cgi`]) whichever gateway
//! delivered it.

pub mod cgi;
pub mod context;
pub mod csv;
pub mod fastcgi;
pub mod guard;
pub mod list;
pub mod multipart;
pub mod router;

pub use context::Ctx;

use crate::error::{catalog, Error, Result};
use serde::Serialize;
use std::collections::HashMap;
use std::io::Read;

/// The agent for every call we make to another service (the shop, Strava,
/// a webhook): one timeout for the whole exchange, statuses handed to the
/// caller rather than turned into errors, and no redirect: a peer that
/// redirects is misconfigured, and following it would send the payload or
/// the credentials somewhere else.
#[must_use]
pub fn outgoing_agent(timeout: std::time::Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(concat!("MyKollector/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// For PATCH bodies: tells a field sent as `null` (`Some(None)`: clear it)
/// from an absent one (`None`: keep it). Use with
/// `#[serde(default, deserialize_with = "crate::http::nullable")]`.
pub fn nullable<'de, T, D>(d: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// HTTP methods the API knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
    /// OPTIONS (CORS preflight)
    Options,
    /// HEAD
    Head,
}

impl Method {
    /// Parses the `REQUEST_METHOD` meta-variable.
    #[must_use]
    pub fn parse(s: &str) -> Option<Method> {
        Some(match s {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            "HEAD" => Method::Head,
            _ => return None,
        })
    }

    /// The method's name on the wire.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Head => "HEAD",
        }
    }

    /// Whether the method changes state (and is therefore audited).
    #[must_use]
    pub const fn is_write(self) -> bool {
        matches!(
            self,
            Method::Post | Method::Put | Method::Patch | Method::Delete
        )
    }
}

/// Largest oversized body drained before answering 413; past it the
/// connection is simply closed.
const DRAIN_CAP: usize = 64 * 1024 * 1024;

/// One HTTP request, whichever gateway delivered it.
#[derive(Debug, Clone)]
pub struct Request {
    /// Method (unknown methods are kept as `None` and answered 405).
    pub method: Option<Method>,
    /// Decoded path, e.g. `/api/parcours/1`.
    pub path: String,
    /// Raw query string, without `?`.
    pub query: String,
    /// Headers, names in lower case with `-`.
    pub headers: HashMap<String, String>,
    /// Body bytes (at most the route's limit).
    pub body: Vec<u8>,
    /// Client address.
    pub remote_addr: String,
    /// Set when the body was larger than allowed; answered 413.
    pub body_too_large: bool,
    /// The body limit that applied to this request.
    pub body_limit: usize,
    /// Which part held bytes that are not UTF-8 (answered 400); the fields
    /// above then hold a lossy copy, good enough for the audit row.
    pub malformed: Option<&'static str>,
}

/// The CGI meta-variables of one request, as the gateway read them (bytes:
/// nothing guarantees they are UTF-8).
pub type CgiVars = Vec<(Vec<u8>, Vec<u8>)>;

/// The meta-variables a request is built from. Apache passes about thirty
/// (`DOCUMENT_ROOT`, `SERVER_SIGNATURE`, `PATH`…): the others are only
/// checked to be UTF-8, never copied or hashed (that cost ~10,000
/// instructions per FastCGI request).
const USED_VARS: [&str; 8] = [
    "REQUEST_URI",
    "PATH_INFO",
    "QUERY_STRING",
    "REQUEST_METHOD",
    "REMOTE_ADDR",
    "CONTENT_TYPE",
    "CONTENT_LENGTH",
    "REDIRECT_HTTP_AUTHORIZATION",
];

/// Meta-variables turned into text, remembering what was not UTF-8.
#[derive(Default)]
struct Env {
    headers: HashMap<String, String>,
    /// The [`USED_VARS`] present, in the order received.
    vars: Vec<(String, String)>,
    malformed: Option<&'static str>,
}

impl Env {
    fn read(vars: CgiVars) -> Env {
        let mut env = Env::default();
        for (k, v) in vars {
            let key = String::from_utf8_lossy(&k);
            let header = key.strip_prefix("HTTP_");
            if header.is_none() && !USED_VARS.contains(&&*key) {
                if std::str::from_utf8(&v).is_err() {
                    env.malformed.get_or_insert(part_of(&key));
                }
                continue;
            }
            let value = String::from_utf8(v).unwrap_or_else(|e| {
                env.malformed.get_or_insert(part_of(&key));
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            });
            match header {
                Some(name) => {
                    env.headers
                        .insert(name.to_ascii_lowercase().replace('_', "-"), value);
                }
                None => env.vars.push((key.into_owned(), value)),
            }
        }
        env
    }

    /// A meta-variable's value (the last one given wins).
    fn var(&self, key: &str) -> Option<&str> {
        self.vars
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The part of the request a meta-variable comes from, for the 400 message.
fn part_of(key: &str) -> &'static str {
    match key {
        "REQUEST_URI" | "PATH_INFO" | "SCRIPT_URL" | "REDIRECT_URL" => "chemin",
        "QUERY_STRING" | "REDIRECT_QUERY_STRING" => "paramètres de l'adresse",
        k if k.starts_with("HTTP_") || k.starts_with("REDIRECT_HTTP_") => "en-têtes",
        _ => "variables de la requête",
    }
}

impl Request {
    /// Builds a request from CGI meta-variables and the body stream.
    ///
    /// The body is read only up to the limit `body_limit` gives for the
    /// method and path: a larger declared `CONTENT_LENGTH` is flagged and
    /// answered 413 without being kept. A chunked body (no `CONTENT_LENGTH`;
    /// Apache de-chunks it and sends it until end-of-file) is read to the end
    /// within the same limit.
    pub fn from_cgi(
        vars: CgiVars,
        body: &mut dyn Read,
        body_limit: &dyn Fn(Option<Method>, &str) -> usize,
    ) -> Request {
        let mut env = Env::read(vars);
        // Apache strips Authorization unless .htaccess copies it into the
        // environment; after the front-controller rewrite it arrives with a
        // REDIRECT_ prefix.
        if !env.headers.contains_key("authorization") {
            if let Some(v) = env.var("REDIRECT_HTTP_AUTHORIZATION").map(str::to_string) {
                env.headers.insert("authorization".into(), v);
            }
        }
        if let Some(ct) = env.var("CONTENT_TYPE").map(str::to_string) {
            env.headers.insert("content-type".into(), ct);
        }
        let uri = env
            .var("REQUEST_URI")
            .or_else(|| env.var("PATH_INFO"))
            .unwrap_or("/")
            .to_string();
        let (raw_path, query) = match uri.split_once('?') {
            Some((p, q)) => (p.to_string(), q.to_string()),
            None => (
                uri.clone(),
                env.var("QUERY_STRING").unwrap_or_default().to_string(),
            ),
        };
        let path = percent_decode_checked(&raw_path).unwrap_or_else(|lossy| {
            env.malformed.get_or_insert("chemin");
            lossy
        });
        if !form_is_utf8(&query) {
            env.malformed.get_or_insert("paramètres de l'adresse");
        }
        let method = env.var("REQUEST_METHOD").and_then(Method::parse);
        let limit = body_limit(method, &path);
        let (bytes, body_too_large) = read_body(&env, body, limit);
        Request {
            method,
            path,
            query,
            remote_addr: env.var("REMOTE_ADDR").unwrap_or_default().to_string(),
            headers: env.headers,
            body: bytes,
            body_too_large,
            body_limit: limit,
            malformed: env.malformed,
        }
    }

    /// A header value, by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// Decoded query parameters, in order.
    #[must_use]
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        parse_form(&self.query)
    }

    /// The first value of a query parameter (empty values count as absent).
    #[must_use]
    pub fn query_param(&self, key: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v)
    }

    /// The bearer token of the `Authorization` header.
    #[must_use]
    pub fn bearer_token(&self) -> Option<&str> {
        let value = self.header("authorization")?;
        let (scheme, token) = value.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim())
            .filter(|t| !t.is_empty())
    }

    /// Parses the body as JSON into `T` (400 when malformed, 422 when the
    /// shape does not fit).
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        if self.body.is_empty() {
            return Err(
                catalog::INVALID_JSON.msg("Le corps de la requête doit être un objet JSON.")
            );
        }
        serde_json::from_slice(&self.body).map_err(|e| {
            if e.is_data() {
                Error::invalid(format!("Données invalides : {e}"))
            } else {
                catalog::INVALID_JSON.err()
            }
        })
    }
}

/// One HTTP response.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers (name, value), in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// A JSON response with `status`.
    pub fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> Response {
        let body = serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec());
        Response {
            status,
            headers: vec![(
                "Content-Type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body,
        }
    }

    /// 200 with a JSON body.
    pub fn ok<T: Serialize + ?Sized>(value: &T) -> Response {
        Self::json(200, value)
    }

    /// 201 with a JSON body.
    pub fn created<T: Serialize + ?Sized>(value: &T) -> Response {
        Self::json(201, value)
    }

    /// 204 without a body.
    #[must_use]
    pub fn no_content() -> Response {
        Response {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A file download.
    #[must_use]
    pub fn file(content_type: &str, filename: &str, body: Vec<u8>) -> Response {
        let safe: String = filename
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Response {
            status: 200,
            headers: vec![
                ("Content-Type".into(), content_type.into()),
                (
                    "Content-Disposition".into(),
                    format!("attachment; filename=\"{safe}\""),
                ),
            ],
            body,
        }
    }

    /// The uniform JSON error.
    #[must_use]
    pub fn from_error(e: &Error) -> Response {
        let mut r = Self::json(e.status(), &e.to_json());
        if let Some(secs) = e.retry_after() {
            r.headers.push(("Retry-After".into(), secs.to_string()));
        }
        r
    }

    /// Adds a header.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The CGI/FastCGI wire form: `Status:` line, headers, blank line, body.
    ///
    /// Written piece by piece into one buffer sized for the headers and the
    /// body (a `format!` per header line cost one allocation each).
    #[must_use]
    pub fn to_cgi_bytes(&self) -> Vec<u8> {
        let headers: usize = self
            .headers
            .iter()
            .map(|(k, v)| k.len() + v.len() + 4)
            .sum();
        let mut out = Vec::with_capacity(self.body.len() + headers + 64);
        out.extend_from_slice(b"Status: ");
        out.extend_from_slice(self.status.to_string().as_bytes());
        out.push(b' ');
        out.extend_from_slice(reason(self.status).as_bytes());
        out.extend_from_slice(b"\r\n");
        for (k, v) in &self.headers {
            out.extend_from_slice(k.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(v.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        if self.status != 204 {
            out.extend_from_slice(b"Content-Length: ");
            out.extend_from_slice(self.body.len().to_string().as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// Reads the body: `CONTENT_LENGTH` bytes, or until end-of-file for a
/// chunked request; returns it and whether it was over `limit`.
fn read_body(env: &Env, body: &mut dyn Read, limit: usize) -> (Vec<u8>, bool) {
    let declared: Option<usize> = env
        .var("CONTENT_LENGTH")
        .and_then(|v| v.trim().parse().ok());
    let chunked = env
        .headers
        .get("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    let mut bytes = Vec::new();
    match declared {
        Some(length) if length > limit => {
            // Apache (mod_cgid) is still writing the body: drain it so the
            // 413 reaches the client instead of a reset connection.
            drain(body, length.min(DRAIN_CAP));
            (bytes, true)
        }
        Some(length) => {
            bytes.reserve(length);
            // A short read leaves a truncated body; JSON parsing then refuses it.
            let _ = body.take(length as u64).read_to_end(&mut bytes);
            (bytes, false)
        }
        None if chunked => {
            let _ = body.take(limit as u64 + 1).read_to_end(&mut bytes);
            if bytes.len() > limit {
                drain(body, DRAIN_CAP);
                return (Vec::new(), true);
            }
            (bytes, false)
        }
        None => (bytes, false),
    }
}

fn drain(body: &mut dyn Read, cap: usize) {
    let _ = std::io::copy(&mut body.take(cap as u64), &mut std::io::sink());
}

/// Decodes `%XX` escapes (invalid escapes are kept as they are); bytes that
/// are not UTF-8 once decoded give `Err` with a lossy copy.
fn percent_decode_checked(s: &str) -> std::result::Result<String, String> {
    let decoded = percent_encoding::percent_decode_str(s);
    match decoded.clone().decode_utf8() {
        Ok(text) => Ok(text.into_owned()),
        Err(_) => Err(decoded.decode_utf8_lossy().into_owned()),
    }
}

/// Decodes `%XX` escapes (invalid escapes are kept as they are; bytes that
/// are not UTF-8 become U+FFFD).
#[must_use]
pub fn percent_decode(s: &str) -> String {
    percent_decode_checked(s).unwrap_or_else(|lossy| lossy)
}

/// Whether every name and value of a form decodes to UTF-8.
fn form_is_utf8(s: &str) -> bool {
    s.split('&').all(|pair| {
        percent_encoding::percent_decode_str(&pair.replace('+', " "))
            .decode_utf8()
            .is_ok()
    })
}

/// Parses `application/x-www-form-urlencoded` text (also query strings).
#[must_use]
pub fn parse_form(s: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(s.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Entry point of the API binary, given the route table: FastCGI when Apache
/// passed a listening socket on fd 0 (`mod_fcgid`), CGI when the CGI
/// environment is set. Returns `false` when started any other way (from a
/// shell).
#[must_use]
pub fn serve(table: router::Table) -> bool {
    if fastcgi::stdin_is_listening_socket() {
        fastcgi::serve_forever(table);
        true
    } else if std::env::var_os("GATEWAY_INTERFACE").is_some() {
        cgi::serve_one(table)
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cgi(vars: &[(&str, &[u8])], body: &[u8]) -> Request {
        Request::from_cgi(
            vars.iter()
                .map(|(k, v)| (k.as_bytes().to_vec(), v.to_vec()))
                .collect(),
            &mut &body[..],
            &|_, _| 1024,
        )
    }

    #[test]
    fn request_from_cgi_variables() {
        let r = cgi(
            &[
                ("REQUEST_METHOD", b"POST"),
                (
                    "REQUEST_URI",
                    b"/api/parcours/slug/col-d%27izoard?x=1&y=a+b",
                ),
                ("CONTENT_LENGTH", b"2"),
                ("CONTENT_TYPE", b"application/json"),
                ("HTTP_X_FORWARDED_FOR", b"1.2.3.4"),
                ("REDIRECT_HTTP_AUTHORIZATION", b"Bearer abc"),
                ("REMOTE_ADDR", b"127.0.0.1"),
            ],
            b"{}",
        );
        assert_eq!(r.method, Some(Method::Post));
        assert_eq!(r.path, "/api/parcours/slug/col-d'izoard");
        assert_eq!(r.query_param("y").as_deref(), Some("a b"));
        assert_eq!(r.header("x-forwarded-for"), Some("1.2.3.4"));
        assert_eq!(r.bearer_token(), Some("abc"));
        assert_eq!(r.body, b"{}");
        assert!(!r.body_too_large);
    }

    #[test]
    fn oversized_body_is_flagged_not_read() {
        let r = cgi(
            &[("REQUEST_METHOD", b"POST"), ("CONTENT_LENGTH", b"5000")],
            b"xx",
        );
        assert!(r.body_too_large);
        assert!(r.body.is_empty());
    }

    #[test]
    fn bytes_that_are_not_utf8_are_flagged_not_panicked_on() {
        let r = cgi(
            &[
                ("REQUEST_METHOD", b"GET"),
                ("REQUEST_URI", b"/api/health"),
                ("HTTP_USER_AGENT", b"a\xffb"),
            ],
            b"",
        );
        assert_eq!(r.malformed, Some("en-têtes"));
        assert_eq!(r.header("user-agent"), Some("a\u{fffd}b"));
        let r = cgi(
            &[
                ("REQUEST_METHOD", b"GET"),
                ("REQUEST_URI", b"/api/health"),
                ("SERVER_SIGNATURE", b"x\xfey"),
            ],
            b"",
        );
        assert_eq!(
            (r.malformed, r.path.as_str()),
            (Some("variables de la requête"), "/api/health"),
            "a variable the request does not use is still checked"
        );
        let r = cgi(
            &[
                ("REQUEST_METHOD", b"GET"),
                ("REQUEST_URI", b"/api/parcours/%ff"),
            ],
            b"",
        );
        assert_eq!(r.malformed, Some("chemin"));
        let r = cgi(
            &[
                ("REQUEST_METHOD", b"GET"),
                ("REQUEST_URI", b"/api/x?q=%C3%A9&r=%fe"),
            ],
            b"",
        );
        assert_eq!(r.malformed, Some("paramètres de l'adresse"));
        let r = cgi(
            &[
                ("REQUEST_METHOD", b"GET"),
                ("REQUEST_URI", b"/api/x?q=%C3%A9"),
            ],
            b"",
        );
        assert_eq!(
            (r.malformed, r.query_param("q").as_deref()),
            (None, Some("é"))
        );
    }

    #[test]
    fn chunked_bodies_are_read_to_the_end_within_the_limit() {
        let te: &[(&str, &[u8])] = &[
            ("REQUEST_METHOD", b"POST"),
            ("HTTP_TRANSFER_ENCODING", b"chunked"),
        ];
        let r = cgi(te, b"{\"a\":1}");
        assert_eq!(
            (r.body.as_slice(), r.body_too_large),
            (&b"{\"a\":1}"[..], false)
        );
        let r = cgi(te, &[b' '; 1025]);
        assert!(r.body_too_large && r.body.is_empty());
        let r = cgi(te, &[b' '; 1024]);
        assert!(!r.body_too_large);
    }

    #[test]
    fn percent_decoding_edges() {
        assert_eq!(percent_decode("a%20b%zz%4"), "a b%zz%4");
        assert_eq!(percent_decode("%ff"), "\u{fffd}");
        assert_eq!(percent_decode("%C3%A9"), "é");
    }

    #[test]
    fn cgi_wire_form() {
        let r = Response::from_error(&Error::too_many_requests(30));
        let s = String::from_utf8(r.to_cgi_bytes()).unwrap();
        assert!(s.starts_with("Status: 429 Too Many Requests\r\n"));
        assert!(s.contains("Retry-After: 30\r\n"));
        assert!(s.ends_with(r#"{"code":"rate_limited","error":true,"message":"Trop de requêtes. Merci de patienter avant de réessayer."}"#));
    }
}
