//! Spec §5.6, §8.1 — `/api/lots`: lots of engraving-ready orders, their
//! status (which moves the orders along), the CSV export and the DXF the
//! server generates for them.

use super::generation::{engraving_data, generate};
use super::queries::{self, LotFilter, LotRow};
use super::read_stored;
use crate::api::commandes::status::{self, Shipping, Statut};
use crate::api::scope;
use crate::config::Config;
use crate::db::rows;
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::http::csv::csv_response;
use crate::http::list::Page;
use crate::http::{Ctx, Response};
use crate::security::jwt::Claims;
use mysql::prelude::Queryable;
use mysql::Conn;
use serde::Deserialize;
use serde_json::{json, Value};

/// Most order ids one request may name (`max_batch` is at most 1000 too).
const MAX_IDS: usize = 1000;

/// The values of `lots.statut`.
pub const LOT_STATUTS: &[&str] = &["cree", "en_gravure", "grave", "termine", "annule"];

/// Allowed lot transitions: the laser takes the lot, engraves it, the lot is
/// closed; a lot can be abandoned until the medals are engraved.
pub const LOT_TRANSITIONS: &[(&str, &str)] = &[
    ("cree", "en_gravure"),
    ("cree", "annule"),
    ("en_gravure", "grave"),
    ("en_gravure", "annule"),
    ("grave", "termine"),
];

pub(super) fn lot_not_found() -> Error {
    catalog::LOT_NOT_FOUND.err()
}

/// A lot the actor may see (an operator only its atelier's): else 404.
pub(super) fn visible_lot(conn: &mut Conn, claims: &Claims, id: u64, lock: bool) -> Result<LotRow> {
    let lot = queries::find_lot(conn, id, lock)?.ok_or_else(lot_not_found)?;
    if !scope::may_touch(claims, lot.atelier_id) {
        return Err(lot_not_found());
    }
    Ok(lot)
}

/// Spec 5.6 `GET /api/lots`: "Liste des lots" — `?statut=`, `?atelier_id=`
/// (admins), paginated; an operator sees its atelier's lots only.
pub fn list_lots(ctx: &mut Ctx) -> Result<Response> {
    let page = Page::from_query(ctx.req)?;
    let claims = ctx.claims()?.clone();
    let statut = ctx.req.query_param("statut").filter(|s| !s.is_empty());
    if let Some(s) = &statut {
        if !LOT_STATUTS.contains(&s.as_str()) {
            return Err(Error::invalid(format!(
                "Statut de lot inconnu. Valeurs possibles : {}.",
                LOT_STATUTS.join(", ")
            )));
        }
    }
    let atelier_id = match scope::atelier_filter(&claims) {
        Some(own) => Some(own),
        None => match ctx.req.query_param("atelier_id").filter(|s| !s.is_empty()) {
            Some(a) => Some(
                a.parse()
                    .map_err(|_| Error::invalid("« atelier_id » doit être un identifiant."))?,
            ),
            None => None,
        },
    };
    let filter = LotFilter {
        atelier_id,
        statut,
        agent_queue: false,
    };
    let listed = queries::list_lots(ctx.conn()?, &filter, &page)?;
    Ok(Response::ok(&page.answer(&listed)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateLot {
    template_gravure_id: u64,
    commande_ids: Vec<u64>,
    atelier_id: Option<u64>,
}

/// Why an order cannot go in a new lot, in French, or None when it can.
fn not_ready_reason(c: &queries::Candidate) -> Option<&'static str> {
    if c.active_lot.is_some() {
        return Some("déjà dans un lot en cours");
    }
    if c.statut != "attente_gravure" && c.statut != "en_gravure" {
        return Some("pas en attente de gravure");
    }
    if !c.validation_sportif && !c.is_b2b {
        return Some("pas encore validée par le sportif");
    }
    None
}

/// Spec 5.6 `POST /api/lots`: "Créer un lot" — from engraving-ready orders
/// (rule 1.1: validated by the athlete, or B2B), one template, at most its
/// `max_batch`; the lot's DXF is generated at once, in the same transaction.
pub fn create_lot(ctx: &mut Ctx) -> Result<Response> {
    let body: CreateLot = ctx.json()?;
    let claims = ctx.claims()?.clone();
    // 1. The request is sensible.
    let ids = requested_orders(&body.commande_ids)?;
    // 2. The atelier: an operator's own (another one does not exist for it).
    let atelier_id = match scope::atelier_filter(&claims) {
        Some(own) if body.atelier_id.is_some_and(|a| a != own) => {
            return Err(catalog::ATELIER_NOT_FOUND.err())
        }
        Some(own) => Some(own),
        None => body.atelier_id,
    };
    let config = ctx.config;
    let tx = ctx.tx()?;
    if let Some(a) = atelier_id {
        if !crate::db::rows::exists(tx, "ateliers", a)? {
            return Err(catalog::ATELIER_NOT_FOUND.err());
        }
    }
    // 3. The template, active, with room for the medals (a B2B order of N
    //    is N medals).
    let medals: u64 = medal_counts(tx, &ids)?.values().sum();
    let template = usable_template(tx, body.template_gravure_id, medals)?;
    // 4. Every order exists, is visible, ready, and of one atelier.
    let (visible, atelier_id) = ready_orders(tx, &claims, &ids, &template, atelier_id)?;
    // 5. The lot, its orders, its file.
    let numero = queries::next_lot_numero(tx)?;
    let lot_id = queries::insert_lot(
        tx,
        &numero,
        template.kept.id,
        atelier_id,
        ids.len(),
        Some(claims.sub),
    )?;
    for (position, c) in visible.iter().enumerate() {
        queries::attach_order(tx, lot_id, c.id, position)?;
    }
    let (generated, path, bytes) = generate(config, tx, lot_id, &numero, &template)?;
    ctx.stage_file(&path, &bytes)?;
    ctx.audit_entity("lot", lot_id);
    ctx.audit_details(json!({
        "numero": numero, "template_gravure_id": template.kept.id,
        "commandes": visible.iter().map(|c| &c.numero).collect::<Vec<_>>(),
        "fichier_id": generated.fichier_id,
    }));
    let body = lot_detail(ctx.tx()?, &claims, lot_id)?;
    Ok(Response::created(&body))
}

/// The order ids of a lot request: at least one, none twice, at most
/// [`MAX_IDS`]; sorted.
fn requested_orders(requested: &[u64]) -> Result<Vec<u64>> {
    let mut ids = requested.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Err(Error::invalid("Choisissez au moins une commande."));
    }
    if ids.len() != requested.len() {
        return Err(Error::invalid(
            "Une commande figure deux fois dans la liste.",
        ));
    }
    if ids.len() > MAX_IDS {
        return Err(Error::invalid(format!(
            "Un lot compte au plus {MAX_IDS} commandes."
        )));
    }
    Ok(ids)
}

/// The lot's template, locked: it exists, is active and takes `n` medals.
fn usable_template(tx: &mut Conn, id: u64, n: u64) -> Result<queries::TemplateRow> {
    let template =
        queries::find_template(tx, id, true)?.ok_or_else(|| catalog::TEMPLATE_NOT_FOUND.err())?;
    if !template.values.actif {
        return Err(catalog::TEMPLATE_INACTIVE.err());
    }
    if n > u64::from(template.values.max_batch) {
        return Err(Error::invalid(format!(
            "Ce template accepte au plus {} médailles par lot ({n} demandées).",
            template.values.max_batch
        )));
    }
    Ok(template)
}

/// The orders `ids`, locked, each visible to the actor, ready for engraving,
/// of the template's course and of one atelier (the requested one, or the
/// one they share); returns them with that atelier.
fn ready_orders(
    tx: &mut Conn,
    claims: &Claims,
    ids: &[u64],
    template: &queries::TemplateRow,
    atelier_id: Option<u64>,
) -> Result<(Vec<queries::Candidate>, Option<u64>)> {
    let visible: Vec<_> = queries::lock_candidates(tx, ids)?
        .into_iter()
        .filter(|c| scope::may_touch(claims, c.atelier_id))
        .collect();
    if visible.len() != ids.len() {
        return Err(status::order_not_found());
    }
    let mut refused = Vec::new();
    for c in &visible {
        if let Some(why) = not_ready_reason(c) {
            refused.push(format!("{} ({why})", c.numero));
        } else if template
            .values
            .produit_id
            .is_some_and(|p| p != c.produit_id)
        {
            refused.push(format!("{} (autre parcours que le template)", c.numero));
        } else if atelier_id.is_some_and(|a| c.atelier_id != Some(a)) {
            refused.push(format!("{} (autre atelier)", c.numero));
        }
    }
    if !refused.is_empty() {
        return Err(catalog::ORDERS_NOT_READY.msg(format!(
            "Ces commandes ne peuvent pas entrer dans un lot : {}.",
            refused.join(", ")
        )));
    }
    if atelier_id.is_some() {
        return Ok((visible, atelier_id));
    }
    let first = visible[0].atelier_id;
    if visible.iter().any(|c| c.atelier_id != first) {
        return Err(catalog::MIXED_ATELIERS.err());
    }
    Ok((visible, first))
}

/// Medals per order (`b2b_quantite` for B2B orders, else one), for orders
/// `ids`.
pub(super) fn medal_counts(
    conn: &mut Conn,
    ids: &[u64],
) -> Result<std::collections::HashMap<u64, u64>> {
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let rows: Vec<(u64, u64)> = conn.exec(
        format!(
            "SELECT id, IF(is_b2b, GREATEST(COALESCE(b2b_quantite, 1), 1), 1) FROM commandes WHERE id IN ({})",
            vec!["?"; ids.len()].join(",")
        ),
        ids.to_vec(),
    )?;
    Ok(rows.into_iter().collect())
}

/// The lot with its orders and files.
fn lot_detail(conn: &mut Conn, claims: &Claims, id: u64) -> Result<Value> {
    let lot = visible_lot(conn, claims, id, false)?;
    let rows = queries::engraving_rows(conn, id)?;
    let files = queries::lot_files(conn, id)?;
    let positions = match files.first() {
        Some(f) => queries::file_positions(conn, f.id)?,
        None => Vec::new(),
    };
    let commandes: Vec<Value> = rows
        .iter()
        .map(|r| {
            let d = engraving_data(r);
            let pos = positions.iter().find(|p| p.commande_id == r.commande_id);
            json!({
                "id": r.commande_id, "numero": r.numero, "statut": r.statut,
                "position": r.position, "is_b2b": r.is_b2b, "parcours": r.parcours,
                "nom": d.nom, "prenom": d.prenom, "chrono": d.chrono, "date": d.date,
                "x_mm": pos.map(|p| p.x_mm), "y_mm": pos.map(|p| p.y_mm),
            })
        })
        .collect();
    let mut body = lot.to_json();
    body["commandes"] = json!(commandes);
    body["fichiers"] = json!(files.iter().map(|f| file_json(id, f)).collect::<Vec<_>>());
    Ok(body)
}

/// A generated file as the API shows it (never its server path).
pub(super) fn file_json(lot_id: u64, f: &queries::LotFile) -> Value {
    json!({
        "id": f.id, "taille_octets": f.taille_octets, "sha256": f.sha256,
        "nb_medailles": f.nb_medailles, "created_at": f.created_at,
        "url": format!("/api/agent/lot/{lot_id}/fichier?fichier_id={}", f.id),
    })
}

/// Spec 5.6 `GET /api/lots/:id`: "Détail du lot".
pub fn show_lot(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let claims = ctx.claims()?.clone();
    let body = lot_detail(ctx.conn()?, &claims, id)?;
    Ok(Response::ok(&body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatutBody {
    statut: String,
    commentaire: Option<String>,
}

/// Spec 5.6 `PATCH /api/lots/:id/statut`: "Changer statut → push PS si
/// `en_gravure`". The orders follow in the same transaction, each through the
/// order status machine (history, audit, stock): `en_gravure` takes them to
/// the laser, `grave` marks them engraved (one medal of stock each),
/// `termine` sends them to packing (`attente_expedition`), `annule` releases
/// them (back to `attente_gravure`).
pub fn update_lot_statut(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let body: StatutBody = ctx.json()?;
    let claims = ctx.claims()?.clone();
    let to = body.statut.trim().to_string();
    if !LOT_STATUTS.contains(&to.as_str()) {
        return Err(Error::invalid(format!(
            "Statut de lot inconnu. Valeurs possibles : {}.",
            LOT_STATUTS.join(", ")
        )));
    }
    let comment = body
        .commentaire
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| c.chars().take(500).collect::<String>());
    let tx = ctx.tx()?;
    // 1. The lot is visible and the transition allowed.
    let lot = visible_lot(tx, &claims, id, true)?;
    if !LOT_TRANSITIONS.contains(&(lot.statut.as_str(), to.as_str())) {
        return Err(catalog::LOT_TRANSITION_REFUSED.msg(format!(
            "Impossible de passer le lot {} de « {} » à « {} ».",
            lot.numero, lot.statut, to
        )));
    }
    // 2. The orders follow.
    let note = match &comment {
        Some(c) => format!("Lot {} : {c}", lot.numero),
        None => format!("Lot {}", lot.numero),
    };
    let rows = queries::engraving_rows(tx, id)?;
    let mut changes = Vec::new();
    for r in &rows {
        let from = Statut::parse(&r.statut);
        let target = match (to.as_str(), from) {
            ("en_gravure", Some(Statut::AttenteGravure)) => Some(Statut::EnGravure),
            ("grave", Some(Statut::EnGravure)) => Some(Statut::Grave),
            ("termine", Some(Statut::Grave)) => Some(Statut::AttenteExpedition),
            ("annule", Some(Statut::EnGravure)) => Some(Statut::AttenteGravure),
            // Orders cancelled meanwhile stay so; orders already further
            // along (moved one by one from the FAB screen) are left.
            _ => None,
        };
        if let Some(target) = target {
            let change = status::change_status(
                tx,
                r.commande_id,
                target,
                &claims,
                Some(&note),
                &Shipping::default(),
            )?;
            changes.push(
                json!({ "commande_id": change.commande_id, "numero": change.numero,
                                 "from": change.from, "to": change.to }),
            );
        }
    }
    if to == "annule" {
        queries::release_orders(tx, id)?;
    }
    queries::set_lot_statut(tx, id, &to)?;
    crate::api::notifications::events::lot_status_changed(tx, id, &to)?;
    // En gravure: the shop gets state 24 per order (outbox, after commit).
    ctx.after_commit(crate::api::prestashop::push_after_commit(
        rows.iter().map(|r| r.commande_id).collect(),
    ));
    ctx.audit_entity("lot", id);
    ctx.audit_details(
        json!({ "from": lot.statut, "to": to, "commentaire": comment, "commandes": changes }),
    );
    let body = lot_detail(ctx.tx()?, &claims, id)?;
    Ok(Response::ok(&body))
}

/// Spec 5.6 `GET /api/lots/:id/csv`: "Export CSV UTF-8 BOM".
pub fn show_lot_csv(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let claims = ctx.claims()?.clone();
    let conn = ctx.conn()?;
    let lot = visible_lot(conn, &claims, id, false)?;
    let rows = queries::engraving_rows(conn, id)?;
    let positions = match queries::lot_files(conn, id)?.first() {
        Some(f) => queries::file_positions(conn, f.id)?,
        None => Vec::new(),
    };
    // A decimal point: a decimal comma would be quoted, and a negative one
    // taken for a formula by the CSV helper (which then prefixes it).
    let fmt = |v: f64| format!("{v:.2}");
    let lines: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let d = engraving_data(r);
            let pos = positions.iter().find(|p| p.commande_id == r.commande_id);
            vec![
                (r.position + 1).to_string(),
                d.numero,
                d.nom,
                d.prenom,
                d.chrono,
                d.date,
                r.parcours.clone().unwrap_or_default(),
                if r.is_b2b { "oui" } else { "non" }.to_string(),
                pos.map(|p| fmt(p.x_mm)).unwrap_or_default(),
                pos.map(|p| fmt(p.y_mm)).unwrap_or_default(),
            ]
        })
        .collect();
    Ok(csv_response(
        &format!("{}.csv", lot.numero),
        &[
            "position", "numero", "nom", "prenom", "chrono", "date", "parcours", "b2b", "x_mm",
            "y_mm",
        ],
        &lines,
    ))
}

/// The newest generated file of a lot (or `?fichier_id=`) as a download.
pub(super) fn lot_file_response(ctx: &mut Ctx, id: u64) -> Result<Response> {
    let claims = ctx.claims()?.clone();
    let wanted = match ctx.req.query_param("fichier_id") {
        Some(f) if !f.is_empty() => Some(
            f.parse::<u64>()
                .map_err(|_| Error::invalid("« fichier_id » doit être un identifiant."))?,
        ),
        _ => None,
    };
    let conn = ctx.conn()?;
    let lot = visible_lot(conn, &claims, id, false)?;
    let files = queries::lot_files(conn, id)?;
    let file = match wanted {
        Some(f) => files.iter().find(|x| x.id == f),
        None => files.first(),
    }
    .ok_or_else(|| catalog::FILE_NOT_FOUND.err())?;
    let bytes = read_stored(ctx.config, &file.fichier_path)?;
    Ok(Response::file(
        "application/dxf",
        &format!("{}.dxf", lot.numero),
        bytes,
    ))
}

/// Spec 5.6: the lot's generated DXF, for the operators.
pub fn show_lot_dxf(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    lot_file_response(ctx, id)
}

/// Spec 5.6, 8.1: generates the lot's DXF again (e.g. after an athlete
/// fixed a name), as long as nothing is engraved yet.
pub fn create_lot_regeneration(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let claims = ctx.claims()?.clone();
    let config = ctx.config;
    let tx = ctx.tx()?;
    let lot = visible_lot(tx, &claims, id, true)?;
    if lot.statut != "cree" && lot.statut != "en_gravure" {
        return Err(catalog::LOT_NOT_REGENERABLE.msg(format!(
            "Le lot {} est « {} » : son fichier ne peut plus être régénéré.",
            lot.numero, lot.statut
        )));
    }
    let template = queries::find_template(tx, lot.template_gravure_id, true)?
        .ok_or_else(|| catalog::TEMPLATE_NOT_FOUND.err())?;
    let (generated, path, bytes) = generate(config, tx, id, &lot.numero, &template)?;
    queries::reset_agent(tx, id)?;
    ctx.stage_file(&path, &bytes)?;
    ctx.audit_entity("lot", id);
    ctx.audit_details(json!({ "regeneration": true, "fichier_id": generated.fichier_id }));
    let body = lot_detail(ctx.tx()?, &claims, id)?;
    Ok(Response::created(&body))
}

/// Demo: one lot of the demo orders ready to engrave (validated or B2B, in
/// no lot, of one atelier), when there are any and no demo lot exists yet.
pub fn seed_demo(conn: &mut Conn, config: &Config) -> Result<()> {
    let template = conn.exec_first::<u64, _, _>(
        "SELECT id FROM templates_gravure WHERE nom = ?",
        (super::templates::DEMO_TEMPLATE,),
    )?;
    let Some(template_id) = template else {
        return Ok(());
    };
    if rows::any(
        conn,
        "SELECT id FROM lots WHERE template_gravure_id = ? LIMIT 1",
        (template_id,),
    )? {
        return Ok(());
    }
    let ready: Vec<(u64, Option<u64>)> = conn.exec(
        r"SELECT id, atelier_id FROM commandes
          WHERE statut = 'attente_gravure' AND lot_id IS NULL AND atelier_id IS NOT NULL
            AND (validation_sportif OR is_b2b)
          ORDER BY id LIMIT 24",
        (),
    )?;
    let Some(atelier_id) = ready.first().and_then(|&(_, atelier)| atelier) else {
        return Ok(());
    };
    let ids: Vec<u64> = ready
        .iter()
        .filter(|&&(_, atelier)| atelier == Some(atelier_id))
        .map(|&(id, _)| id)
        .collect();
    let admin: Option<u64> = conn.query_first(
        "SELECT id FROM users WHERE role IN ('admin_fab', 'super_admin') ORDER BY id LIMIT 1",
    )?;
    let template = queries::find_template(conn, template_id, false)?
        .ok_or_else(|| Error::internal("demo template vanished"))?;
    // Same order as a request's: the file in place, then the commit.
    let mut file = crate::db::staged::Staged::default();
    let written = crate::db::transaction(conn, |tx| {
        file.unpublish();
        let numero = queries::next_lot_numero(tx)?;
        let lot_id =
            queries::insert_lot(tx, &numero, template_id, Some(atelier_id), ids.len(), admin)?;
        for (i, id) in ids.iter().enumerate() {
            queries::attach_order(tx, lot_id, *id, i)?;
        }
        let (_, path, bytes) = generate(config, tx, lot_id, &numero, &template)?;
        file.write(&path, &bytes)?;
        file.publish()?;
        Ok(numero)
    });
    let numero = written.inspect_err(|_| file.unpublish())?;
    file.forget();
    println!("Demo lot {numero}: {} order(s)", ids.len());
    Ok(())
}
