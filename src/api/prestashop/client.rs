//! The PrestaShop client: the classic Webservice (`/api/`, key as the HTTP
//! Basic user, JSON out, XML in) for orders, customers, addresses, product
//! features, order histories and carriers; the PrestaShop 9 Admin API
//! (`/admin-api/`, OAuth2 client credentials) for products
//! (`../shared/integrations.md` §3–4, DECISIONS.md).
//!
//! Every call has a timeout and goes through the circuit breaker
//! ([`super::breaker`]): after 5 consecutive failures no call is made for
//! 60 s, then one trial call decides. Only failures that say "the shop is
//! down" (transport errors, timeouts, 5xx) count; a refused key or a missing
//! permission is a configuration fault and is reported as such.

use super::breaker;
use crate::config::Config;
use crate::db::rows::{self, FromRow};
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::security::crypto;
use base64::Engine;
use mysql::prelude::Queryable;
use mysql::Conn;
use serde_json::Value;
use std::cell::Cell;
use std::fmt::Write as _;
use std::io::Read;
use std::time::Duration;

/// Default timeout of one call to the shop.
const DEFAULT_TIMEOUT_SECS: u64 = 10;
/// The Admin API token is renewed this long before it expires.
const TOKEN_MARGIN_SECS: i64 = 60;
/// Largest shop answer read (a page of 100 full orders is ~300 KB).
const MAX_ANSWER_BYTES: u64 = 16 * 1024 * 1024;
/// Scopes asked for when `PRESTASHOP_SCOPES` is not set: products and their
/// features (the Admin API covers nothing else we need).
const DEFAULT_SCOPES: &str = "product_read product_write feature_read feature_value_read";

/// Why a call to the shop did not give what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No answer within the timeout.
    Timeout,
    /// The TLS handshake failed (certificate, protocol).
    Tls(String),
    /// No connection (DNS, refused, reset).
    Unreachable(String),
    /// The Webservice key was refused.
    BadKey,
    /// The key lacks the permission for this resource and method.
    Denied(String),
    /// The Admin API refused the client id or secret.
    BadClient,
    /// The Admin API refused a requested scope.
    InvalidScope(String),
    /// 404.
    NotFound,
    /// Any other HTTP error status, with a short excerpt of the answer.
    Http(u16, String),
    /// The answer is not what the wire format says.
    BadAnswer(String),
    /// The breaker is open: no call was made.
    BreakerOpen(u64),
    /// Nothing configured to call.
    NotConfigured,
}

impl Failure {
    /// Whether this failure means the shop is down (and counts for the
    /// breaker), rather than a refusal the shop made on purpose.
    #[must_use]
    pub fn is_outage(&self) -> bool {
        matches!(
            self,
            Failure::Timeout | Failure::Tls(_) | Failure::Unreachable(_) | Failure::BadAnswer(_)
        ) || matches!(self, Failure::Http(s, _) if *s >= 500)
    }

    /// A French sentence for admins.
    #[must_use]
    pub fn french(&self) -> String {
        match self {
            Failure::Timeout => "La boutique n'a pas répondu à temps (délai dépassé).".into(),
            Failure::Tls(d) => format!("Échec de la connexion sécurisée (TLS) : {d}."),
            Failure::Unreachable(d) => format!("Boutique injoignable : {d}."),
            Failure::BadKey => {
                "La clé Webservice est refusée par la boutique (clé erronée ou désactivée).".into()
            }
            Failure::Denied(r) => {
                format!("Permission manquante sur la ressource « {r} » pour la clé Webservice.")
            }
            Failure::BadClient => "Identifiant ou secret du client API (OAuth2) refusé.".into(),
            Failure::InvalidScope(s) => format!("Portée (scope) refusée par l'Admin API : {s}."),
            Failure::NotFound => "Ressource introuvable dans la boutique.".into(),
            Failure::Http(s, t) if t.is_empty() => format!("La boutique a répondu HTTP {s}."),
            Failure::Http(s, t) => format!("La boutique a répondu HTTP {s} : {t}"),
            Failure::BadAnswer(d) => format!("Réponse inattendue de la boutique : {d}."),
            Failure::BreakerOpen(s) => format!(
                "Appels à la boutique suspendus après 5 échecs consécutifs (reprise dans {s} s)."
            ),
            Failure::NotConfigured => "La boutique PrestaShop n'est pas configurée.".into(),
        }
    }

    /// The client-facing error: 503 while the breaker is open, 502 else.
    #[must_use]
    pub fn into_error(self) -> Error {
        match self {
            Failure::BreakerOpen(_) => catalog::PRESTASHOP_CIRCUIT_OPEN.msg(self.french()),
            Failure::NotConfigured => catalog::PRESTASHOP_NOT_CONFIGURED.msg(self.french()),
            other => catalog::PRESTASHOP_UNAVAILABLE.msg(other.french()),
        }
    }
}

/// The OAuth2 client of the Admin API.
#[derive(Debug, Clone)]
pub struct OAuth {
    client_id: String,
    client_secret: String,
    token_url: String,
    scopes: Vec<String>,
}

/// A configured shop, ready to call.
pub struct Shop {
    base: String,
    ws_key: Option<String>,
    oauth: Option<OAuth>,
    agent: ureq::Agent,
    timeout: Duration,
    encryption_key: String,
    /// Requests sent to the shop (the bench reports it).
    pub calls: Cell<u32>,
}

/// The shop as `prestashop_config` stores it, secrets encrypted.
#[derive(Default, FromRow)]
struct StoredShop {
    url: Option<String>,
    client_id: Option<String>,
    client_secret_chiffre: Option<String>,
    webservice_key_chiffre: Option<String>,
}

/// Reads a setting from `.env`, else the decrypted `prestashop_config`
/// column.
fn secret(config: &Config, env_key: &str, stored: Option<String>) -> Result<Option<String>> {
    if let Some(v) = config.var(env_key) {
        return Ok(Some(v.to_string()));
    }
    stored
        .filter(|s| !s.is_empty())
        .map(|s| crypto::decrypt(&config.encryption_key, &s))
        .transpose()
}

impl Shop {
    /// The shop of the console's settings, else `.env`, else `prestashop_config`; None when no
    /// Webservice key is configured (a workshop that sells elsewhere).
    pub fn load(config: &Config, conn: &mut Conn) -> Result<Option<Shop>> {
        let config = &crate::api::settings::overlay(config, conn)?;
        let StoredShop {
            url,
            client_id,
            client_secret_chiffre,
            webservice_key_chiffre,
        } = rows::first(
            conn,
            r"SELECT url, client_id, client_secret_chiffre, webservice_key_chiffre
              FROM prestashop_config WHERE id = 1",
            (),
        )?
        .unwrap_or_default();
        let base = config
            .var("PRESTASHOP_URL")
            .map(str::to_string)
            .or(url)
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string();
        let ws_key = secret(config, "PRESTASHOP_WEBSERVICE_KEY", webservice_key_chiffre)?;
        if base.is_empty() || ws_key.is_none() {
            return Ok(None);
        }
        let client_id = config
            .var("PRESTASHOP_CLIENT_ID")
            .map(str::to_string)
            .or(client_id);
        let client_secret = secret(config, "PRESTASHOP_CLIENT_SECRET", client_secret_chiffre)?;
        let oauth = match (client_id, client_secret) {
            (Some(client_id), Some(client_secret)) => Some(OAuth {
                client_id,
                client_secret,
                token_url: absolute(
                    &base,
                    config
                        .var("PRESTASHOP_TOKEN_URL")
                        .unwrap_or("/admin-api/access_token"),
                ),
                scopes: config
                    .var("PRESTASHOP_SCOPES")
                    .unwrap_or(DEFAULT_SCOPES)
                    .split([' ', ','])
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            }),
            _ => None,
        };
        let timeout =
            Duration::from_secs(config.var_parsed("PRESTASHOP_TIMEOUT_SECS", DEFAULT_TIMEOUT_SECS));
        let agent = crate::http::outgoing_agent(timeout);
        Ok(Some(Shop {
            base,
            ws_key,
            oauth,
            agent,
            timeout,
            encryption_key: config.encryption_key.clone(),
            calls: Cell::new(0),
        }))
    }

    /// The shop's base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Whether the Admin API client is configured.
    pub fn has_admin_api(&self) -> bool {
        self.oauth.is_some()
    }

    /// The OAuth2 scopes asked for.
    pub fn scopes(&self) -> &[String] {
        self.oauth.as_ref().map_or(&[], |o| o.scopes.as_slice())
    }

    /// `GET /api/<resource>` with JSON output; the answer as JSON. An empty
    /// list may come back as a bare `[]` (some versions): callers read lists
    /// with [`list_of`].
    pub fn ws_get(
        &self,
        conn: &mut Conn,
        resource: &str,
        query: &[(&str, String)],
    ) -> std::result::Result<Value, Failure> {
        let mut q: Vec<(&str, String)> = query.to_vec();
        q.push(("output_format", "JSON".into()));
        let answer = self.ws_call(conn, "GET", resource, &q, None)?;
        serde_json::from_slice(&answer)
            .map_err(|e| Failure::BadAnswer(format!("JSON illisible ({e})")))
    }

    /// A write to the Webservice: the body is XML (PrestaShop cannot read
    /// JSON input); the answer's bytes.
    pub fn ws_write(
        &self,
        conn: &mut Conn,
        method: &str,
        resource: &str,
        query: &[(&str, String)],
        xml: &str,
    ) -> std::result::Result<Vec<u8>, Failure> {
        self.ws_call(conn, method, resource, query, Some(xml))
    }

    /// `GET /api/` as XML: the resources the key may use, with one
    /// attribute per method.
    pub fn ws_permissions(&self, conn: &mut Conn) -> std::result::Result<String, Failure> {
        let bytes = self.ws_call(conn, "GET", "", &[], None)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn ws_call(
        &self,
        conn: &mut Conn,
        method: &str,
        resource: &str,
        query: &[(&str, String)],
        xml: Option<&str>,
    ) -> std::result::Result<Vec<u8>, Failure> {
        let key = self.ws_key.as_deref().ok_or(Failure::NotConfigured)?;
        let url = format!("{}/api/{resource}{}", self.base, encode_query(query));
        let auth = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
        );
        let body = xml.map(|x| ("application/xml", x.as_bytes().to_vec()));
        let (status, bytes) = self.guarded(conn, method, &url, &[("Authorization", auth)], body)?;
        match status {
            200..=299 => Ok(bytes),
            401 if is_permission_refusal(&bytes) => Err(Failure::Denied(
                resource.split('/').next().unwrap_or(resource).to_string(),
            )),
            401 => Err(Failure::BadKey),
            403 => Err(Failure::Denied(
                resource.split('/').next().unwrap_or(resource).to_string(),
            )),
            404 => Err(Failure::NotFound),
            s => Err(Failure::Http(s, excerpt(&bytes))),
        }
    }

    /// A call to the Admin API with a bearer token (fetched or reused).
    pub fn admin_call(
        &self,
        conn: &mut Conn,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> std::result::Result<Value, Failure> {
        let token = self.admin_token(conn)?;
        let url = format!("{}/admin-api/{}", self.base, path.trim_start_matches('/'));
        let body = body.map(|b| ("application/json", b.to_string().into_bytes()));
        let (status, bytes) = self.guarded(
            conn,
            method,
            &url,
            &[("Authorization", format!("Bearer {token}"))],
            body,
        )?;
        match status {
            200..=299 if bytes.is_empty() => Ok(Value::Null),
            200..=299 => serde_json::from_slice(&bytes)
                .map_err(|e| Failure::BadAnswer(format!("JSON illisible ({e})"))),
            401 => {
                // A revoked token: forget it so the next call asks again.
                let _ = forget_token(conn);
                Err(Failure::BadClient)
            }
            403 => Err(Failure::Denied(path.to_string())),
            404 => Err(Failure::NotFound),
            s => Err(Failure::Http(s, excerpt(&bytes))),
        }
    }

    /// The Admin API access token: the stored one while it has more than a
    /// minute left, else a new one (client credentials, explicit scopes),
    /// stored encrypted with its expiry.
    pub fn admin_token(&self, conn: &mut Conn) -> std::result::Result<String, Failure> {
        let oauth = self.oauth.as_ref().ok_or(Failure::NotConfigured)?;
        let stored: Option<(Option<String>, Option<i64>)> = conn
            .query_first(
                "SELECT access_token_chiffre, TIMESTAMPDIFF(SECOND, NOW(), token_expires_at) FROM prestashop_config WHERE id = 1",
            )
            .map_err(|e| Failure::BadAnswer(format!("base de données : {e}")))?;
        if let Some((Some(enc), Some(left))) = stored {
            if left > TOKEN_MARGIN_SECS {
                if let Ok(token) = crypto::decrypt(&self.encryption_key, &enc) {
                    return Ok(token);
                }
            }
        }
        let mut form = vec![
            ("grant_type", "client_credentials".to_string()),
            ("client_id", oauth.client_id.clone()),
            ("client_secret", oauth.client_secret.clone()),
        ];
        form.extend(oauth.scopes.iter().map(|s| ("scope[]", s.clone())));
        let body = encode_query(&form)
            .trim_start_matches('?')
            .as_bytes()
            .to_vec();
        let (status, bytes) = self.guarded(
            conn,
            "POST",
            &oauth.token_url,
            &[],
            Some(("application/x-www-form-urlencoded", body)),
        )?;
        let answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        match status {
            200..=299 => {}
            400 if answer["error"] == "invalid_scope" => {
                return Err(Failure::InvalidScope(oauth.scopes.join(" ")))
            }
            400 | 401 => return Err(Failure::BadClient),
            s => return Err(Failure::Http(s, excerpt(&bytes))),
        }
        let token = answer["access_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Failure::BadAnswer("jeton absent de la réponse".into()))?
            .to_string();
        let expires_in = answer["expires_in"]
            .as_i64()
            .or_else(|| answer["expires_in"].as_str().and_then(|s| s.parse().ok()))
            .unwrap_or(3600);
        let enc = crypto::encrypt(&self.encryption_key, &token)
            .map_err(|e| Failure::BadAnswer(format!("chiffrement : {e}")))?;
        conn.exec_drop(
            "UPDATE prestashop_config SET access_token_chiffre = ?, token_expires_at = NOW() + INTERVAL ? SECOND WHERE id = 1",
            (enc, expires_in.max(0)),
        )
        .map_err(|e| Failure::BadAnswer(format!("base de données : {e}")))?;
        Ok(token)
    }

    /// One HTTP exchange through the breaker: refused without a call while
    /// it is open; an outage counts as a failure, anything else closes it.
    fn guarded(
        &self,
        conn: &mut Conn,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: Option<(&str, Vec<u8>)>,
    ) -> std::result::Result<(u16, Vec<u8>), Failure> {
        let db = |e: Error| Failure::BadAnswer(format!("base de données : {}", e.message()));
        if let Some(wait) = breaker::admit(conn).map_err(db)? {
            return Err(Failure::BreakerOpen(wait));
        }
        self.calls.set(self.calls.get() + 1);
        let result = self.exchange(method, url, headers, body);
        let outage = match &result {
            Ok((status, _)) => *status >= 500,
            Err(f) => f.is_outage(),
        };
        breaker::record(conn, !outage).map_err(db)?;
        result
    }

    fn exchange(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: Option<(&str, Vec<u8>)>,
    ) -> std::result::Result<(u16, Vec<u8>), Failure> {
        let mut builder = ureq::http::Request::builder().method(method).uri(url);
        for (k, v) in headers {
            builder = builder.header(*k, v.as_str());
        }
        let sent = match body {
            Some((content_type, bytes)) => builder
                .header("Content-Type", content_type)
                .body(bytes)
                .map_err(|e| Failure::BadAnswer(e.to_string()))
                .and_then(|r| self.agent.run(r).map_err(|e| self.classify(&e))),
            None => builder
                .body(())
                .map_err(|e| Failure::BadAnswer(e.to_string()))
                .and_then(|r| self.agent.run(r).map_err(|e| self.classify(&e))),
        };
        let mut response = sent?;
        let status = response.status().as_u16();
        let mut bytes = Vec::new();
        response
            .body_mut()
            .as_reader()
            .take(MAX_ANSWER_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::TimedOut => Failure::Timeout,
                _ => Failure::Unreachable(e.to_string()),
            })?;
        Ok((status, bytes))
    }

    fn classify(&self, e: &ureq::Error) -> Failure {
        match e {
            ureq::Error::Timeout(_) => Failure::Timeout,
            ureq::Error::HostNotFound => Failure::Unreachable("hôte introuvable (DNS)".into()),
            ureq::Error::ConnectionFailed => Failure::Unreachable("connexion refusée".into()),
            ureq::Error::Tls(m) => Failure::Tls((*m).to_string()),
            ureq::Error::Rustls(r) => Failure::Tls(r.to_string()),
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => Failure::Timeout,
            ureq::Error::Io(io) => Failure::Unreachable(io.to_string()),
            other => Failure::Unreachable(format!("{other} (délai {} s)", self.timeout.as_secs())),
        }
    }
}

/// Forgets the stored Admin API token.
fn forget_token(conn: &mut Conn) -> Result<()> {
    conn.query_drop(
        "UPDATE prestashop_config SET access_token_chiffre = NULL, token_expires_at = NULL WHERE id = 1",
    )?;
    Ok(())
}

/// PrestaShop answers 401 both for a bad key and for a resource the key may
/// not use; the second one names the resource ("Resource of type … is not
/// allowed", error code 23 in 1.7–9).
fn is_permission_refusal(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body);
    text.contains("not allowed") || text.contains("\"code\":23") || text.contains("[[23]]")
}

fn excerpt(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect::<String>()
        .trim()
        .to_string()
}

/// `path` made absolute against the shop's base URL.
fn absolute(base: &str, path: &str) -> String {
    if path.starts_with("http://") || path.starts_with("https://") {
        path.to_string()
    } else {
        format!("{base}/{}", path.trim_start_matches('/'))
    }
}

/// `?k=v&…` with RFC 3986 percent-encoding (brackets of `filter[id]`
/// included); empty for no pairs.
#[must_use]
pub fn encode_query(pairs: &[(&str, String)]) -> String {
    fn enc(s: &str, out: &mut String) {
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                out.push(b as char);
            } else {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        enc(k, &mut out);
        out.push('=');
        enc(v, &mut out);
    }
    out
}

/// The items of a Webservice list answer `{"<name>": [...]}`; a bare `[]`
/// (empty list, some versions) and a missing key are both empty.
pub fn list_of<'a>(answer: &'a Value, name: &str) -> &'a [Value] {
    answer
        .get(name)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A Webservice scalar as an integer: ids are JSON numbers, most other
/// numbers strings (`"id_customer":"2"`).
#[must_use]
pub fn int(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A Webservice scalar as text (numbers included).
#[must_use]
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// Escapes text for an XML body.
#[must_use]
pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Whether the `/api/` listing (XML) allows `method` on `resource`: the
/// element `<resource xlink:href=… get="true" post="true" …>`.
#[must_use]
pub fn permits(listing: &str, resource: &str, method: &str) -> bool {
    let open = format!("<{resource} ");
    let Some(start) = listing.find(&open) else {
        return false;
    };
    let tag = &listing[start..];
    let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
    tag.contains(&format!("{}=\"true\"", method.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_may_be_strings_and_lists_may_be_bare() {
        assert_eq!(int(&json!("42")), Some(42));
        assert_eq!(int(&json!(42)), Some(42));
        assert_eq!(int(&json!("x")), None);
        assert!(list_of(&json!([]), "orders").is_empty());
        assert_eq!(list_of(&json!({"orders": [{"id": 1}]}), "orders").len(), 1);
    }

    #[test]
    fn query_brackets_are_encoded() {
        assert_eq!(
            encode_query(&[("filter[id]", "[1|2]".into()), ("limit", "0,50".into())]),
            "?filter%5Bid%5D=%5B1%7C2%5D&limit=0%2C50"
        );
    }

    #[test]
    fn permissions_listing() {
        let xml = r#"<api><orders xlink:href="x" get="true" post="false"><description/></orders>
            <order_histories xlink:href="y" get="true" post="true" put="false"></order_histories></api>"#;
        assert!(permits(xml, "orders", "GET"));
        assert!(!permits(xml, "orders", "POST"));
        assert!(permits(xml, "order_histories", "POST"));
        assert!(!permits(xml, "order_carriers", "GET"));
    }

    #[test]
    fn outages_are_told_from_refusals() {
        assert!(Failure::Timeout.is_outage());
        assert!(Failure::Http(503, String::new()).is_outage());
        assert!(!Failure::BadKey.is_outage());
        assert!(!Failure::Denied("orders".into()).is_outage());
        assert_eq!(
            Failure::BreakerOpen(10).into_error().code(),
            "prestashop_circuit_open"
        );
    }
}
