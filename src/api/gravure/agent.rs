//! Spec §5.6, §8.2 — `/api/agent/*`: what the workshop's local agent polls
//! every 30 s. The agent logs in as an `operateur_fab` account, so it sees its
//! own atelier only. The server generates the DXF itself (DECISIONS.md), so
//! the agent downloads files and reports; labels come as rendered HTML that
//! the agent prints to PDF.

use super::labels::{label_for, label_json};
use super::lots::{file_json, lot_file_response, visible_lot};
use super::queries::{self, LotFilter};
use crate::api::commandes::status::order_not_found;
use crate::api::scope;
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::http::list::Page;
use crate::http::{Ctx, Response};
use crate::text;
use serde::Deserialize;
use serde_json::{json, Value};

/// Labels handed out per poll (the agent comes back 30 s later).
const LABELS_PER_POLL: u64 = 100;

/// Spec 5.6 `GET /api/agent/lots-en-attente`: "Lots à traiter (agent
/// local)" — lots `cree`/`en_gravure` not yet handled by the agent, each with
/// its files and template download URLs.
pub fn list_agent_lots(ctx: &mut Ctx) -> Result<Response> {
    let page = Page::from_query(ctx.req)?;
    let claims = ctx.claims()?.clone();
    let filter = LotFilter {
        atelier_id: scope::atelier_filter(&claims),
        statut: None,
        agent_queue: true,
    };
    let conn = ctx.conn()?;
    let listed = queries::list_lots(conn, &filter, &page)?;
    let listed = listed.try_map(|lot| {
        let files = queries::lot_files(conn, lot.id)?;
        let mut item = lot.to_json();
        item["fichiers"] = json!(files
            .iter()
            .map(|f| file_json(lot.id, f))
            .collect::<Vec<_>>());
        item["fichier_url"] = json!(format!("/api/agent/lot/{}/fichier", lot.id));
        item["template_url"] = json!(format!(
            "/api/agent/template-gravure/{}/fichier",
            lot.template_gravure_id
        ));
        Ok(item)
    })?;
    Ok(Response::ok(&page.answer(&listed)))
}

/// Spec 5.6 `GET /api/agent/template-gravure/:id/fichier`: "Télécharger
/// template DXF".
pub fn show_agent_template_file(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    super::templates::template_file_response(ctx, id)
}

/// Spec 5.6: the lot's generated DXF for the agent (newest, or
/// `?fichier_id=`).
pub fn show_agent_lot_file(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    lot_file_response(ctx, id)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LotReport {
    succes: bool,
    message: Option<String>,
    fichiers: Option<Vec<String>>,
    duree_ms: Option<u64>,
}

/// Spec 5.6 `POST /api/agent/lot/:id/rapport`: "Rapport de génération DXF"
/// — `{succes, message?, fichiers?, duree_ms?}` sets the lot's agent status
/// (`genere` / `erreur`) and keeps the report; audited.
pub fn create_agent_lot_report(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let body: LotReport = ctx.json()?;
    let claims = ctx.claims()?.clone();
    // 1. Sane sizes: the report is stored as JSON.
    let message = text::bounded(
        body.message.as_deref(),
        2000,
        "Le message fait 2000 caractères au plus.",
    )?;
    let fichiers = body.fichiers.unwrap_or_default();
    if fichiers.len() > 200 || fichiers.iter().any(|f| f.chars().count() > 500) {
        return Err(Error::invalid(
            "« fichiers » : 200 noms de fichiers au plus, de 500 caractères au plus.",
        ));
    }
    let tx = ctx.tx()?;
    // 2. The lot is the agent's atelier's.
    let lot = visible_lot(tx, &claims, id, true)?;
    if lot.statut == "annule" {
        return Err(catalog::LOT_CANCELLED.msg(format!("Le lot {} est annulé.", lot.numero)));
    }
    let statut = if body.succes { "genere" } else { "erreur" };
    let rapport = json!({
        "succes": body.succes, "message": message, "fichiers": fichiers,
        "duree_ms": body.duree_ms, "par": claims.sub, "recu_le": crate::time::now_iso_utc(),
    });
    queries::set_agent_report(tx, id, statut, &rapport)?;
    ctx.audit_entity("lot", id);
    ctx.audit_details(json!({ "agent_statut": statut, "message": message }));
    let lot = visible_lot(ctx.tx()?, &claims, id, false)?;
    Ok(Response::ok(&lot))
}

/// Spec 5.6 `GET /api/agent/etiquettes-en-attente`: "Étiquettes à générer"
/// — orders waiting for shipping whose label is not made yet, each with its
/// rendered HTML.
pub fn list_agent_labels(ctx: &mut Ctx) -> Result<Response> {
    let claims = ctx.claims()?.clone();
    let conn = ctx.conn()?;
    let orders = queries::labels_waiting(conn, scope::atelier_filter(&claims), LABELS_PER_POLL)?;
    let mut items: Vec<Value> = Vec::with_capacity(orders.len());
    for o in &orders {
        let (template_id, html) = label_for(conn, o)?;
        items.push(label_json(o, template_id, &html));
    }
    let total = items.len() as u64;
    Ok(Response::ok(
        &Page {
            page: 1,
            per_page: LABELS_PER_POLL,
        }
        .wrap(items, total),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelReport {
    succes: bool,
    fichier: Option<String>,
    message: Option<String>,
}

/// Spec 5.6 `POST /api/agent/commande/:id/etiquette-generee`: "Rapport
/// étiquette générée" — `{succes, fichier?, message?}`.
pub fn create_agent_label_report(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let body: LabelReport = ctx.json()?;
    let claims = ctx.claims()?.clone();
    let fichier = text::bounded(
        body.fichier.as_deref(),
        500,
        "« fichier » fait 500 caractères au plus.",
    )?;
    let message: Option<String> = body
        .message
        .as_deref()
        .map(|m| m.trim().chars().take(2000).collect());
    let conn = ctx.conn()?;
    let o = queries::find_label_order(conn, id)?.ok_or_else(order_not_found)?;
    if !scope::may_touch(&claims, o.atelier_id) {
        return Err(order_not_found());
    }
    queries::set_label_result(conn, id, body.succes, fichier)?;
    ctx.audit_entity("commande", id);
    ctx.audit_details(json!({
        "etiquette": if body.succes { "generee" } else { "erreur" },
        "fichier": fichier, "message": message,
    }));
    let o = queries::find_label_order(ctx.conn()?, id)?.ok_or_else(order_not_found)?;
    Ok(Response::ok(&json!({
        "commande_id": o.id, "numero": o.numero, "etiquette_statut": o.etiquette_statut,
    })))
}
