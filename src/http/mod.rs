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

use crate::error::{Error, Result};
use serde::Serialize;
use std::collections::HashMap;
use std::io::Read;

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
    pub fn is_write(self) -> bool {
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
    /// Body bytes (at most the configured limit).
    pub body: Vec<u8>,
    /// Client address.
    pub remote_addr: String,
    /// Set when the body was larger than allowed; answered 413.
    pub body_too_large: bool,
}

impl Request {
    /// Builds a request from CGI meta-variables and the body stream.
    ///
    /// The body is read only up to `max_body` bytes: a larger declared
    /// `CONTENT_LENGTH` is flagged and answered 413 without being read.
    pub fn from_cgi(
        vars: impl IntoIterator<Item = (String, String)>,
        body: &mut dyn Read,
        max_body: usize,
    ) -> Request {
        let mut headers = HashMap::new();
        let mut env = HashMap::new();
        for (k, v) in vars {
            if let Some(name) = k.strip_prefix("HTTP_") {
                headers.insert(name.to_ascii_lowercase().replace('_', "-"), v);
            } else {
                env.insert(k, v);
            }
        }
        // Apache strips Authorization unless .htaccess copies it into the
        // environment; after the front-controller rewrite it arrives with a
        // REDIRECT_ prefix.
        if !headers.contains_key("authorization") {
            if let Some(v) = env.get("REDIRECT_HTTP_AUTHORIZATION") {
                headers.insert("authorization".into(), v.clone());
            }
        }
        if let Some(ct) = env.get("CONTENT_TYPE") {
            headers.insert("content-type".into(), ct.clone());
        }
        let uri = env
            .get("REQUEST_URI")
            .cloned()
            .or_else(|| env.get("PATH_INFO").cloned())
            .unwrap_or_else(|| "/".into());
        let (raw_path, query) = match uri.split_once('?') {
            Some((p, q)) => (p.to_string(), q.to_string()),
            None => (
                uri.clone(),
                env.get("QUERY_STRING").cloned().unwrap_or_default(),
            ),
        };
        let length: usize = env
            .get("CONTENT_LENGTH")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let body_too_large = length > max_body;
        let mut bytes = Vec::new();
        if body_too_large {
            // Apache (mod_cgid) is still writing the body: drain it so the
            // 413 reaches the client instead of a reset connection.
            let _ = std::io::copy(
                &mut body.take(length.min(DRAIN_CAP) as u64),
                &mut std::io::sink(),
            );
        } else if length > 0 {
            bytes.reserve(length);
            // A short read leaves a truncated body; JSON parsing then refuses it.
            let _ = body.take(length as u64).read_to_end(&mut bytes);
        }
        Request {
            method: env.get("REQUEST_METHOD").and_then(|m| Method::parse(m)),
            path: percent_decode(&raw_path),
            query,
            headers,
            body: bytes,
            remote_addr: env.get("REMOTE_ADDR").cloned().unwrap_or_default(),
            body_too_large,
        }
    }

    /// A header value, by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// Decoded query parameters, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        parse_form(&self.query)
    }

    /// The first value of a query parameter (empty values count as absent).
    pub fn query_param(&self, key: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v)
    }

    /// The bearer token of the `Authorization` header.
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
            return Err(Error::bad_request(
                "invalid_json",
                "Le corps de la requête doit être un objet JSON.",
            ));
        }
        serde_json::from_slice(&self.body).map_err(|e| {
            if e.is_data() {
                Error::invalid(format!("Données invalides : {e}"))
            } else {
                Error::bad_request(
                    "invalid_json",
                    "Le corps de la requête n'est pas un JSON valide.",
                )
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
    pub fn no_content() -> Response {
        Response {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A file download.
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
    pub fn to_cgi_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.body.len() + 256);
        out.extend_from_slice(
            format!("Status: {} {}\r\n", self.status, reason(self.status)).as_bytes(),
        );
        for (k, v) in &self.headers {
            out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
        }
        if self.status != 204 {
            out.extend_from_slice(format!("Content-Length: {}\r\n", self.body.len()).as_bytes());
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

/// Decodes `%XX` escapes (invalid escapes are kept as they are).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Parses `application/x-www-form-urlencoded` text (also query strings).
pub fn parse_form(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (
                percent_decode(&k.replace('+', " ")),
                percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

/// Entry point of the API binary: FastCGI when Apache passed a listening
/// socket on fd 0 (mod_fcgid), CGI when the CGI environment is set. Returns
/// `false` when started any other way (from a shell).
pub fn serve() -> bool {
    if fastcgi::stdin_is_listening_socket() {
        fastcgi::serve_forever();
        true
    } else if std::env::var_os("GATEWAY_INTERFACE").is_some() {
        cgi::serve_one()
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cgi(vars: &[(&str, &str)], body: &[u8]) -> Request {
        Request::from_cgi(
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())),
            &mut &body[..],
            1024,
        )
    }

    #[test]
    fn request_from_cgi_variables() {
        let r = cgi(
            &[
                ("REQUEST_METHOD", "POST"),
                ("REQUEST_URI", "/api/parcours/slug/col-d%27izoard?x=1&y=a+b"),
                ("CONTENT_LENGTH", "2"),
                ("CONTENT_TYPE", "application/json"),
                ("HTTP_X_FORWARDED_FOR", "1.2.3.4"),
                ("REDIRECT_HTTP_AUTHORIZATION", "Bearer abc"),
                ("REMOTE_ADDR", "127.0.0.1"),
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
            &[("REQUEST_METHOD", "POST"), ("CONTENT_LENGTH", "5000")],
            b"xx",
        );
        assert!(r.body_too_large);
        assert!(r.body.is_empty());
    }

    #[test]
    fn percent_decoding_edges() {
        assert_eq!(percent_decode("a%20b%zz%4"), "a b%zz%4");
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
