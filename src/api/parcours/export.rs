//! Spec §10.1 — export of a course to webhook destinations
//! (`POST /api/parcours/{id}/export`) and the CRUD of those destinations
//! (`/api/admin/export-destinations`, super_admin).
//!
//! Each destination receives the same JSON payload by `POST`, with a 10 s
//! budget. The calls run in parallel, so one slow or dead destination neither
//! blocks nor delays the others beyond that budget; each attempt is written to
//! `export_logs` and reported in the answer.
//!
//! Authentication (`mode_auth`): `aucun`; `bearer` sends
//! `Authorization: Bearer <secret>`; `hmac` sends
//! `X-MyKollector-Signature: sha256=<hex HMAC-SHA256(secret, body)>`.
//! Secrets are stored encrypted (AES-256-GCM, key from ENCRYPTION_KEY) and
//! never returned.

use super::model::{check_http_url, present, qr_url};
use super::queries::{self, DestinationFields, DestinationRow, ExportLog};
use crate::error::{Error, Result};
use crate::http::{Ctx, Response};
use crate::security::crypto;
use crate::time;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::io::Read;
use std::time::{Duration, Instant};

/// Spec 10.1: "timeout 10s".
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
/// At most this many destinations in one export.
const MAX_DESTINATIONS: usize = 50;
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
enum ModeAuth {
    Aucun,
    Bearer,
    Hmac,
}

impl ModeAuth {
    fn as_str(self) -> &'static str {
        match self {
            ModeAuth::Aucun => "aucun",
            ModeAuth::Bearer => "bearer",
            ModeAuth::Hmac => "hmac",
        }
    }

    fn parse(s: &str) -> ModeAuth {
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
    Error::not_found(
        "export_destination_not_found",
        "Destination d'export introuvable.",
    )
}

/// Spec 4.29 `export_destinations` ("Webhooks destinations export parcours"):
/// list by name, paginated, super_admin.
pub fn list_export_destinations(ctx: &mut Ctx) -> Result<Response> {
    let page: u64 = super::query_number(ctx, "page", Some(1), 1, 1_000_000)?;
    let per_page: u64 = super::query_number(ctx, "per_page", Some(50), 1, 200)?;
    let (rows, total) = queries::list_destinations(ctx.conn()?, per_page, (page - 1) * per_page)?;
    let items: Vec<Value> = rows.iter().map(destination_json).collect();
    Ok(Response::ok(&json!({
        "items": items,
        "total": total,
        "page": page,
        "per_page": per_page,
    })))
}

/// Spec 4.29 `export_destinations`: one destination with its 20 latest
/// export attempts.
pub fn show_export_destination(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let conn = ctx.conn()?;
    let d = queries::find_destination(conn, id, false)?.ok_or_else(destination_not_found)?;
    let logs: Vec<Value> = queries::recent_export_logs(conn, id, 20)?
        .into_iter()
        .map(
            |(log_id, produit_id, http_status, succes, erreur, duree_ms, created_at)| {
                json!({
                    "id": log_id,
                    "parcours_id": produit_id,
                    "http_status": http_status,
                    "succes": succes,
                    "erreur": erreur,
                    "duree_ms": duree_ms,
                    "created_at": created_at,
                })
            },
        )
        .collect();
    let mut body = destination_json(&d);
    body["derniers_exports"] = Value::Array(logs);
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
    #[serde(default, deserialize_with = "present")]
    secret: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
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
        (ModeAuth::Aucun, _) => None,
        (_, Some(Some(secret))) => {
            check_secret(mode, &secret)?;
            Some(crypto::encrypt(encryption_key, &secret)?)
        }
        (_, Some(None)) => None,
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

/// Spec 4.29 `export_destinations`: create, super_admin.
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

/// Spec 4.29 `export_destinations`: update, super_admin.
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

/// Spec 4.29 `export_destinations`: delete (its logs with it), super_admin.
pub fn delete_export_destination(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    if !queries::delete_destination(ctx.conn()?, id)? {
        return Err(destination_not_found());
    }
    ctx.audit_entity("export_destination", id);
    Ok(Response::no_content())
}

/// Which destinations an export goes to.
#[derive(Debug, PartialEq)]
enum Selection {
    All,
    Ids(Vec<u64>),
}

/// Accepts `{"destination_ids": [1, 2]}`, `{"destination_ids": "all"}` and
/// the bare `"all"` of spec 10.1.
fn parse_selection(body: &Value) -> Result<Selection> {
    let wrong = || {
        Error::invalid(
            "Indiquez destination_ids : une liste d'identifiants, ou \"all\" pour toutes les \
             destinations actives.",
        )
    };
    let ids = match body {
        Value::String(s) if s == "all" => return Ok(Selection::All),
        Value::Object(map) if map.len() == 1 => map.get("destination_ids").ok_or_else(wrong)?,
        _ => return Err(wrong()),
    };
    match ids {
        Value::String(s) if s == "all" => Ok(Selection::All),
        Value::Array(items) if !items.is_empty() => {
            let mut out = Vec::new();
            for item in items {
                let id = item.as_u64().filter(|id| *id > 0).ok_or_else(wrong)?;
                if !out.contains(&id) {
                    out.push(id);
                }
            }
            if out.len() > MAX_DESTINATIONS {
                return Err(Error::invalid(format!(
                    "{MAX_DESTINATIONS} destinations au plus par export."
                )));
            }
            Ok(Selection::Ids(out))
        }
        _ => Err(wrong()),
    }
}

/// A destination ready to call: URL and every header, or the reason it
/// cannot be called.
struct Prepared {
    id: u64,
    nom: String,
    url: String,
    headers: Vec<(String, String)>,
    broken: Option<String>,
}

fn prepare(encryption_key: &str, d: &DestinationRow, body: &[u8]) -> Prepared {
    let mut p = Prepared {
        id: d.id,
        nom: d.nom.clone(),
        url: d.url.clone(),
        headers: Vec::new(),
        broken: None,
    };
    if let Some(extra) = d
        .headers
        .as_deref()
        .and_then(|h| serde_json::from_str::<Map<String, Value>>(h).ok())
    {
        for (k, v) in extra {
            if let Some(v) = v.as_str() {
                p.headers.push((k, v.to_string()));
            }
        }
    }
    let mode = ModeAuth::parse(&d.mode_auth);
    if mode == ModeAuth::Aucun {
        return p;
    }
    let secret = d
        .secret_chiffre
        .as_deref()
        .ok_or_else(|| Error::internal("no secret"))
        .and_then(|s| crypto::decrypt(encryption_key, s));
    match (mode, secret) {
        (_, Err(_)) => {
            p.broken = Some(
                "Secret illisible (clé de chiffrement changée ?) : ressaisissez-le.".to_string(),
            );
        }
        (ModeAuth::Bearer, Ok(s)) => p
            .headers
            .push(("Authorization".into(), format!("Bearer {s}"))),
        (_, Ok(s)) => p.headers.push((
            "X-MyKollector-Signature".into(),
            format!("sha256={}", crypto::hmac_sha256_hex(s.as_bytes(), body)),
        )),
    }
    p
}

/// What one call gave.
struct Outcome {
    http_status: Option<u16>,
    erreur: Option<String>,
    duree_ms: u64,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(WEBHOOK_TIMEOUT))
        .http_status_as_error(false)
        // A webhook that redirects is misconfigured: report it rather than
        // re-sending the payload somewhere else.
        .max_redirects(0)
        .user_agent(concat!("MyKollector-Export/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

fn call(agent: &ureq::Agent, p: &Prepared, body: &[u8]) -> Outcome {
    let started = Instant::now();
    if let Some(reason) = &p.broken {
        return Outcome {
            http_status: None,
            erreur: Some(reason.clone()),
            duree_ms: 0,
        };
    }
    let mut req = agent.post(&p.url).content_type("application/json");
    for (k, v) in &p.headers {
        req = req.header(k, v);
    }
    let result = req.send(body);
    let (http_status, erreur) = match result {
        Ok(mut resp) => {
            let status = resp.status().as_u16();
            let mut snippet = Vec::new();
            let _ = resp
                .body_mut()
                .as_reader()
                .take(4096)
                .read_to_end(&mut snippet);
            if (200..300).contains(&status) {
                (Some(status), None)
            } else {
                let text: String = String::from_utf8_lossy(&snippet)
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect();
                let text = text.trim();
                let msg = if text.is_empty() {
                    format!("Réponse HTTP {status}.")
                } else {
                    format!("Réponse HTTP {status} : {text}")
                };
                (Some(status), Some(msg))
            }
        }
        Err(e) => (None, Some(describe(&e))),
    };
    Outcome {
        http_status,
        erreur,
        duree_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}

fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => format!("Pas de réponse sous {} s.", WEBHOOK_TIMEOUT.as_secs()),
        ureq::Error::HostNotFound => "Hôte introuvable (DNS).".to_string(),
        ureq::Error::ConnectionFailed => "Connexion impossible.".to_string(),
        ureq::Error::Io(io) => format!("Connexion impossible : {io}"),
        other => format!("Échec de l'envoi : {other}"),
    }
}

/// Spec 10.1 `POST /api/parcours/:id/export`: "Exporter vers destinations
/// configurées" — `{ "destination_ids": [1, 2] }` ou `"all"`, payload envoyé
/// à chaque webhook (timeout 10s, erreurs loguées sans bloquer).
///
/// The answer is 200 with one outcome per destination, even when some or all
/// of them failed: the export itself ran, and each failure is logged.
pub fn create_export(ctx: &mut Ctx) -> Result<Response> {
    // 1. The course and the selection.
    let id = ctx.id("id")?;
    let selection = parse_selection(&ctx.json::<Value>()?)?;
    let conn = ctx.conn()?;
    let course = queries::find_course(conn, id, false)?.ok_or_else(super::course_not_found)?;
    // 2. The destinations: explicit ids must exist and be active.
    let destinations = match &selection {
        Selection::All => {
            let all = queries::active_destinations(conn)?;
            if all.is_empty() {
                return Err(Error::invalid(
                    "Aucune destination d'export active : configurez-en une d'abord.",
                ));
            }
            all
        }
        Selection::Ids(ids) => {
            let mut found = Vec::new();
            let mut missing = Vec::new();
            let mut inactive = Vec::new();
            for &d in ids {
                match queries::find_destination(conn, d, false)? {
                    Some(row) if row.actif => found.push(row),
                    Some(row) => inactive.push(row.id.to_string()),
                    None => missing.push(d.to_string()),
                }
            }
            if !missing.is_empty() {
                return Err(Error::invalid(format!(
                    "Destination(s) d'export introuvable(s) : {}.",
                    missing.join(", ")
                )));
            }
            if !inactive.is_empty() {
                return Err(Error::invalid(format!(
                    "Destination(s) d'export désactivée(s) : {}.",
                    inactive.join(", ")
                )));
            }
            found
        }
    };
    // 3. One payload for all (spec 10.1), serialised once so the HMAC signs
    //    exactly the bytes sent.
    let exported_at = time::now_iso_utc();
    let c = &course.fields;
    let payload = json!({
        "parcours_id": course.id,
        "slug": c.slug,
        "nom": c.nom,
        "depart_lat": c.depart_lat,
        "depart_lng": c.depart_lng,
        "sommet_lat": c.sommet_lat,
        "sommet_lng": c.sommet_lng,
        "lien_boutique": c.lien_boutique,
        "qr_url": qr_url(&ctx.config.app_url, &c.slug),
        "tracking_config": course.tracking_config(),
        "exported_at": exported_at,
    });
    let body = serde_json::to_vec(&payload).map_err(Error::internal)?;
    let key = &ctx.config.encryption_key;
    let prepared: Vec<Prepared> = destinations
        .iter()
        .map(|d| prepare(key, d, &body))
        .collect();
    // 4. All calls at once: the slowest destination bounds the whole export.
    let (agent, body) = (&agent(), &body);
    let outcomes: Vec<Outcome> = std::thread::scope(|s| {
        let handles: Vec<_> = prepared
            .iter()
            .map(|p| s.spawn(move || call(agent, p, body)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| Outcome {
                    http_status: None,
                    erreur: Some("Erreur interne pendant l'envoi.".into()),
                    duree_ms: 0,
                })
            })
            .collect()
    });
    // 5. Log each attempt. Autocommit on purpose: each row records a call
    //    that already happened and must survive whatever follows.
    let conn = ctx.conn()?;
    let mut resultats = Vec::new();
    let (mut ok, mut failed) = (0u32, 0u32);
    for (p, o) in prepared.iter().zip(&outcomes) {
        let succes = o.erreur.is_none();
        if succes {
            ok += 1;
        } else {
            failed += 1;
        }
        let log_id = queries::insert_export_log(
            conn,
            &ExportLog {
                destination_id: p.id,
                produit_id: course.id,
                http_status: o.http_status,
                succes,
                erreur: o.erreur.as_deref(),
                duree_ms: o.duree_ms,
            },
        )?;
        resultats.push(json!({
            "destination_id": p.id,
            "nom": p.nom,
            "succes": succes,
            "http_status": o.http_status,
            "erreur": o.erreur,
            "duree_ms": o.duree_ms,
            "log_id": log_id,
        }));
    }
    ctx.audit_entity("parcours", course.id);
    ctx.audit_details(json!({
        "export": prepared.iter().map(|p| p.id).collect::<Vec<_>>(),
        "succes": ok,
        "echecs": failed,
    }));
    Ok(Response::ok(&json!({
        "parcours_id": course.id,
        "exported_at": exported_at,
        "total": resultats.len(),
        "succes": ok,
        "echecs": failed,
        "resultats": resultats,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selections() {
        assert_eq!(parse_selection(&json!("all")).unwrap(), Selection::All);
        assert_eq!(
            parse_selection(&json!({ "destination_ids": "all" })).unwrap(),
            Selection::All
        );
        assert_eq!(
            parse_selection(&json!({ "destination_ids": [3, 1, 3] })).unwrap(),
            Selection::Ids(vec![3, 1])
        );
        for bad in [
            json!({}),
            json!({ "destination_ids": [] }),
            json!({ "destination_ids": [0] }),
            json!({ "destination_ids": ["1"] }),
            json!({ "destination_ids": "tout" }),
            json!({ "destination_ids": [1], "x": 1 }),
            json!([1, 2]),
        ] {
            assert!(parse_selection(&bad).is_err(), "{bad}");
        }
    }

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
