//! Spec §10.1 — export of a course to webhook destinations
//! (`POST /api/parcours/{id}/export`).
//!
//! Each destination receives the same JSON payload by `POST`, with a 10 s
//! budget. The calls run in parallel, so one slow or dead destination neither
//! blocks nor delays the others beyond that budget; each attempt is written to
//! `export_logs` and reported in the answer.
//!
//! Authentication (`mode_auth`, see [`super::destinations`]): `aucun`;
//! `bearer` sends `Authorization: Bearer <secret>`; `hmac` sends
//! `X-MyKollector-Signature: sha256=<hex HMAC-SHA256(secret, body)>`.

use super::destinations::ModeAuth;
use super::model::qr_url;
use super::model::StoredCourse;
use super::queries::{self, DestinationRow, ExportLog};
use crate::error::{Error, Result};
use crate::http::{Ctx, Response};
use crate::security::crypto;
use crate::time;
use mysql::Conn;
use serde_json::{json, Map, Value};
use std::io::Read;
use std::time::{Duration, Instant};

/// Spec 10.1: "timeout 10s".
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
/// At most this many destinations in one export.
const MAX_DESTINATIONS: usize = 50;
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
    let destinations = chosen_destinations(conn, &selection)?;
    // 3. One payload for all (spec 10.1), serialised once so the HMAC signs
    //    exactly the bytes sent.
    let exported_at = time::now_iso_utc();
    let payload = export_payload(&course, &ctx.config.app_url, &exported_at);
    let body = serde_json::to_vec(&payload).map_err(Error::internal)?;
    let key = &ctx.config.encryption_key;
    let prepared: Vec<Prepared> = destinations
        .iter()
        .map(|d| prepare(key, d, &body))
        .collect();
    // 4. All calls at once: the slowest destination bounds the whole export.
    let outcomes = call_all(&prepared, &body);
    // 5. Log each attempt: every path from here answers Ok, so the rows are
    //    committed with the request whatever the calls gave.
    let (resultats, ok, failed) = log_outcomes(ctx.conn()?, course.id, &prepared, &outcomes)?;
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

/// The destinations of `selection`: every active one, or the named ones,
/// which must all exist and be active (422 naming the others).
fn chosen_destinations(conn: &mut Conn, selection: &Selection) -> Result<Vec<DestinationRow>> {
    let ids = match selection {
        Selection::All => {
            let all = queries::active_destinations(conn)?;
            if all.is_empty() {
                return Err(Error::invalid(
                    "Aucune destination d'export active : configurez-en une d'abord.",
                ));
            }
            return Ok(all);
        }
        Selection::Ids(ids) => ids,
    };
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
    Ok(found)
}

/// The payload every destination receives (spec 10.1).
fn export_payload(course: &StoredCourse, app_url: &str, exported_at: &str) -> Value {
    let c = &course.fields;
    json!({
        "parcours_id": course.id,
        "slug": c.slug,
        "nom": c.nom,
        "depart_lat": c.depart_lat,
        "depart_lng": c.depart_lng,
        "sommet_lat": c.sommet_lat,
        "sommet_lng": c.sommet_lng,
        "lien_boutique": c.lien_boutique,
        "qr_url": qr_url(app_url, &c.slug),
        "tracking_config": course.tracking_config(),
        "exported_at": exported_at,
    })
}

/// Calls every destination at once, one thread each; a call that panicked
/// is an internal error for that destination only.
fn call_all(prepared: &[Prepared], body: &[u8]) -> Vec<Outcome> {
    let agent = &crate::http::outgoing_agent(WEBHOOK_TIMEOUT);
    std::thread::scope(|s| {
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
    })
}

/// Logs one row per call; returns the per-destination results and the
/// success and failure counts.
fn log_outcomes(
    conn: &mut Conn,
    produit_id: u64,
    prepared: &[Prepared],
    outcomes: &[Outcome],
) -> Result<(Vec<Value>, u32, u32)> {
    let mut resultats = Vec::new();
    let (mut ok, mut failed) = (0u32, 0u32);
    for (p, o) in prepared.iter().zip(outcomes) {
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
                produit_id,
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
    Ok((resultats, ok, failed))
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
}
