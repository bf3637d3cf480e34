//! `/api/admin/export-destinations` (`super_admin`): the webhooks a course can
//! be exported to (spec 4.29 `export_destinations`, 10.1).
//!
//! Secrets (`bearer` token or `hmac` key) are stored encrypted (AES-256-GCM,
//! key from `ENCRYPTION_KEY`) and never returned: answers only say
//! `secret_defini`.

use super::model::check_http_url;
use super::queries::{self, DestinationFields, DestinationRow};
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::http::list::Page;
use crate::http::{Ctx, Response};
use crate::security::crypto;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// Extra headers per destination.
const MAX_HEADERS: usize = 20;
/// Headers the exporter sets itself.
const RESERVED_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
    "authorization",
    "x-mykollector-signature",
];

/// `export_destinations.mode_auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum ModeAuth {
    /// No authentication.
    Aucun,
    /// `Authorization: Bearer <secret>`.
    Bearer,
    /// `X-MyKollector-Signature: sha256=<HMAC-SHA256(secret, body)>`.
    Hmac,
}

impl ModeAuth {
    /// The column value.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            ModeAuth::Aucun => "aucun",
            ModeAuth::Bearer => "bearer",
            ModeAuth::Hmac => "hmac",
        }
    }

    /// Parses the column value (unknown values mean no authentication).
    pub(super) fn parse(s: &str) -> ModeAuth {
        match s {
            "bearer" => ModeAuth::Bearer,
            "hmac" => ModeAuth::Hmac,
            _ => ModeAuth::Aucun,
        }
    }
}

fn destination_json(d: &DestinationRow) -> Value {
    let headers: Value = d
        .headers
        .as_deref()
        .and_then(|h| serde_json::from_str(h).ok())
        .unwrap_or(Value::Null);
    json!({
        "id": d.id,
        "nom": d.nom,
        "url": d.url,
        "mode_auth": d.mode_auth,
        "secret_defini": d.secret_chiffre.is_some(),
        "headers": headers,
        "actif": d.actif,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
    })
}

fn destination_not_found() -> Error {
    catalog::EXPORT_DESTINATION_NOT_FOUND.err()
}

/// Spec 4.29 `export_destinations` ("Webhooks destinations export parcours"):
/// list by name, paginated, `super_admin`.
pub fn list_export_destinations(ctx: &mut Ctx) -> Result<Response> {
    let page = Page::from_query(ctx.req)?;
    let (rows, total) = queries::list_destinations(ctx.conn()?, page.per_page, page.offset())?;
    let items: Vec<Value> = rows.iter().map(destination_json).collect();
    Ok(Response::ok(&page.wrap(items, total)))
}

/// Spec 4.29 `export_destinations`: one destination with its 20 latest
/// export attempts.
pub fn show_export_destination(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let conn = ctx.conn()?;
    let d = queries::find_destination(conn, id, false)?.ok_or_else(destination_not_found)?;
    let logs = queries::recent_export_logs(conn, id, 20)?;
    let mut body = destination_json(&d);
    body["derniers_exports"] = json!(logs);
    Ok(Response::ok(&body))
}

/// A destination in a request: absent fields are kept; `secret: null` and
/// `headers: null` clear them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DestinationInput {
    nom: Option<String>,
    url: Option<String>,
    mode_auth: Option<ModeAuth>,
    #[serde(default, deserialize_with = "crate::http::nullable")]
    secret: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::nullable")]
    headers: Option<Option<Map<String, Value>>>,
    actif: Option<bool>,
}

/// The validated state of a destination, ready to store.
struct Destination {
    nom: String,
    url: String,
    mode: ModeAuth,
    secret_chiffre: Option<String>,
    headers: Option<String>,
    actif: bool,
}

impl Destination {
    fn fields(&self) -> DestinationFields<'_> {
        DestinationFields {
            nom: &self.nom,
            url: &self.url,
            mode_auth: self.mode.as_str(),
            secret_chiffre: self.secret_chiffre.as_deref(),
            headers: self.headers.as_deref(),
            actif: self.actif,
        }
    }
}

/// Applies `input` on `current` (None for a new destination) and validates.
fn merge_destination(
    encryption_key: &str,
    current: Option<&DestinationRow>,
    input: DestinationInput,
) -> Result<Destination> {
    let nom = input
        .nom
        .or_else(|| current.map(|c| c.nom.clone()))
        .map(|n| n.trim().to_string())
        .unwrap_or_default();
    if nom.is_empty() || nom.chars().count() > 200 {
        return Err(Error::invalid(
            "Le nom de la destination est obligatoire (200 caractères au plus).",
        ));
    }
    let url = input
        .url
        .or_else(|| current.map(|c| c.url.clone()))
        .map(|u| u.trim().to_string())
        .unwrap_or_default();
    if url.is_empty() {
        return Err(Error::invalid("L'URL du webhook est obligatoire."));
    }
    check_http_url("url", &url)?;
    if url.len() > 500 {
        return Err(Error::invalid("L'URL du webhook dépasse 500 caractères."));
    }
    let mode = input
        .mode_auth
        .or_else(|| current.map(|c| ModeAuth::parse(&c.mode_auth)))
        .unwrap_or(ModeAuth::Aucun);
    let secret_chiffre = match (mode, input.secret) {
        (ModeAuth::Aucun, _) | (_, Some(None)) => None,
        (_, Some(Some(secret))) => {
            check_secret(mode, &secret)?;
            Some(crypto::encrypt(encryption_key, &secret)?)
        }
        (_, None) => current.and_then(|c| c.secret_chiffre.clone()),
    };
    if mode != ModeAuth::Aucun && secret_chiffre.is_none() {
        return Err(Error::invalid(format!(
            "Le mode d'authentification « {} » demande un secret (champ secret).",
            mode.as_str()
        )));
    }
    let headers = match input.headers {
        Some(None) => None,
        Some(Some(map)) => check_headers(&map)?,
        None => current.and_then(|c| c.headers.clone()),
    };
    let actif = input
        .actif
        .or_else(|| current.map(|c| c.actif))
        .unwrap_or(true);
    Ok(Destination {
        nom,
        url,
        mode,
        secret_chiffre,
        headers,
        actif,
    })
}

fn check_secret(mode: ModeAuth, secret: &str) -> Result<()> {
    let n = secret.chars().count();
    if !(8..=1000).contains(&n) {
        return Err(Error::invalid(
            "Le secret doit faire entre 8 et 1000 caractères.",
        ));
    }
    // A bearer token travels in a header: no spaces or control characters.
    let bad = match mode {
        ModeAuth::Bearer => secret.chars().any(|c| !c.is_ascii_graphic()),
        _ => secret.chars().any(char::is_control),
    };
    if bad {
        return Err(Error::invalid(
            "Le secret contient des caractères non autorisés (espaces ou caractères de contrôle).",
        ));
    }
    Ok(())
}

/// Checks extra headers; an empty object is stored as NULL.
fn check_headers(map: &Map<String, Value>) -> Result<Option<String>> {
    if map.len() > MAX_HEADERS {
        return Err(Error::invalid(format!(
            "{MAX_HEADERS} en-têtes au plus par destination."
        )));
    }
    for (name, value) in map {
        let token = !name.is_empty()
            && name.len() <= 64
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !token {
            return Err(Error::invalid(format!(
                "Nom d'en-tête invalide : « {name} » (lettres, chiffres et tirets)."
            )));
        }
        if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(Error::invalid(format!(
                "L'en-tête « {name} » est fixé par MyKollector et ne peut pas être remplacé."
            )));
        }
        let ok = value
            .as_str()
            .is_some_and(|v| v.len() <= 500 && !v.chars().any(char::is_control));
        if !ok {
            return Err(Error::invalid(format!(
                "La valeur de l'en-tête « {name} » doit être un texte d'une ligne (500 caractères au plus)."
            )));
        }
    }
    Ok((!map.is_empty()).then(|| Value::Object(map.clone()).to_string()))
}

/// Spec 4.29 `export_destinations`: create, `super_admin`.
pub fn create_export_destination(ctx: &mut Ctx) -> Result<Response> {
    let input: DestinationInput = ctx.json()?;
    let d = merge_destination(&ctx.config.encryption_key, None, input)?;
    let conn = ctx.conn()?;
    let id = queries::insert_destination(conn, &d.fields())?;
    let row = queries::find_destination(conn, id, false)?.ok_or_else(destination_not_found)?;
    ctx.audit_entity("export_destination", id);
    ctx.audit_details(json!({ "nom": d.nom, "url": d.url, "mode_auth": d.mode.as_str() }));
    Ok(Response::created(&destination_json(&row)))
}

/// Spec 4.29 `export_destinations`: update, `super_admin`.
pub fn update_export_destination(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let input: DestinationInput = ctx.json()?;
    let secret_changed = input.secret.is_some();
    let key = ctx.config.encryption_key.clone();
    let tx = ctx.tx()?;
    let current = queries::find_destination(tx, id, true)?.ok_or_else(destination_not_found)?;
    let d = merge_destination(&key, Some(&current), input)?;
    queries::update_destination(tx, id, &d.fields())?;
    let row = queries::find_destination(tx, id, false)?.ok_or_else(destination_not_found)?;
    ctx.audit_entity("export_destination", id);
    ctx.audit_details(json!({
        "url": d.url,
        "mode_auth": d.mode.as_str(),
        "actif": d.actif,
        "secret_modifie": secret_changed,
    }));
    Ok(Response::ok(&destination_json(&row)))
}

/// Spec 4.29 `export_destinations`: delete (its logs with it), `super_admin`.
pub fn delete_export_destination(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    if !queries::delete_destination(ctx.conn()?, id)? {
        return Err(destination_not_found());
    }
    ctx.audit_entity("export_destination", id);
    Ok(Response::no_content())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_checked() {
        let ok = json!({ "X-Source": "mykollector" });
        assert!(check_headers(ok.as_object().unwrap()).unwrap().is_some());
        assert_eq!(check_headers(&Map::new()).unwrap(), None);
        for bad in [
            json!({ "Authorization": "x" }),
            json!({ "X A": "x" }),
            json!({ "X-A": "a\r\nB: c" }),
            json!({ "X-A": 3 }),
        ] {
            assert!(check_headers(bad.as_object().unwrap()).is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets_are_required_encrypted_and_cleared() {
        let input = DestinationInput {
            nom: Some("Carto".into()),
            url: Some("https://hooks.example.fr/mk".into()),
            mode_auth: Some(ModeAuth::Hmac),
            ..Default::default()
        };
        assert!(merge_destination("k", None, input).is_err());
        let input = DestinationInput {
            nom: Some("Carto".into()),
            url: Some("https://hooks.example.fr/mk".into()),
            mode_auth: Some(ModeAuth::Bearer),
            secret: Some(Some("jeton-tres-secret".into())),
            ..Default::default()
        };
        let d = merge_destination("k", None, input).unwrap();
        let stored = d.secret_chiffre.unwrap();
        assert!(!stored.contains("jeton"));
        assert_eq!(crypto::decrypt("k", &stored).unwrap(), "jeton-tres-secret");
        let bad_token = DestinationInput {
            nom: Some("Carto".into()),
            url: Some("https://hooks.example.fr/mk".into()),
            mode_auth: Some(ModeAuth::Bearer),
            secret: Some(Some("avec espace".into())),
            ..Default::default()
        };
        assert!(merge_destination("k", None, bad_token).is_err());
    }
}
