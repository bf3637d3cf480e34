//! SAV tickets (spec §5.10 `/api/sav`): list, show, plain creation (no
//! replacement order, no status change — that is [`super::express`]),
//! status and assignment changes, deletion by admins.

use super::express::{Geste, Motif, DESCRIPTION_MAX};
use super::queries::{self, NewTicket, TicketFilters};
use super::{optional_text, patched, requested_status};
use crate::api::commandes::status::order_not_found;
use crate::api::scope;
use crate::db::rows;
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::http::list::{like_contains, query_u64, Page};
use crate::http::{Ctx, Response};
use crate::security::roles;
use mysql::prelude::Queryable;
use mysql::Conn;
use serde::Deserialize;
use serde_json::json;

/// The life of a ticket (`sav_tickets.statut`).
const TICKET_STATUTS: &[&str] = &["ouvert", "en_cours", "resolu", "ferme"];

/// Allowed ticket transitions: forward, back to work from `resolu`, and
/// `ferme` is final (a new problem gets a new ticket).
const TICKET_TRANSITIONS: &[(&str, &str)] = &[
    ("ouvert", "en_cours"),
    ("ouvert", "resolu"),
    ("ouvert", "ferme"),
    ("en_cours", "ouvert"),
    ("en_cours", "resolu"),
    ("en_cours", "ferme"),
    ("resolu", "en_cours"),
    ("resolu", "ferme"),
];

/// Spec 5.10 `GET /api/sav`: "CRUD tickets SAV" (list). Filters `statut`,
/// `motif`, `commande_id`, `q` (ticket or order number), paginated; an
/// `operateur_fab` sees its atelier's tickets only.
pub fn list_sav_tickets(ctx: &mut Ctx) -> Result<Response> {
    // 1. The operator's atelier bounds the list.
    let scope = scope::atelier_filter(ctx.claims()?);
    let page = Page::from_query(ctx.req)?;
    let statut = super::query_enum(ctx, "statut", TICKET_STATUTS)?;
    let motif = ctx
        .req
        .query_param("motif")
        .map(|m| Motif::parse(&m).map(super::express::Motif::as_str))
        .transpose()?;
    let commande_id = query_u64(ctx.req, "commande_id")?;
    let q = ctx.req.query_param("q").map(|q| like_contains(q.trim()));
    let filters = TicketFilters {
        atelier: scope,
        statut: statut.as_deref(),
        motif,
        commande_id,
        q: q.as_deref(),
    };
    let listed = queries::list_tickets(ctx.conn()?, &filters, &page)?;
    Ok(Response::ok(&page.answer(&listed)))
}

/// Spec 5.10 `GET /api/sav/:id`: one ticket with both orders.
pub fn show_sav_ticket(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let claims = ctx.claims()?.clone();
    let conn = ctx.conn()?;
    // 1. The ticket exists and belongs to the operator's atelier.
    let ticket = visible_ticket(conn, id, &claims)?;
    let commande = queries::find_order_summary(conn, ticket.commande_id)?;
    let commande_sav = match ticket.commande_sav_id {
        Some(sav_id) => queries::find_order_summary(conn, sav_id)?,
        None => None,
    };
    Ok(Response::ok(&json!({
        "ticket": ticket,
        "commande": commande,
        "commande_sav": commande_sav,
    })))
}

fn ticket_not_found() -> Error {
    catalog::SAV_TICKET_NOT_FOUND.err()
}

/// A ticket the actor may see (an operator: its atelier's orders only).
fn visible_ticket(
    conn: &mut Conn,
    id: u64,
    claims: &crate::security::jwt::Claims,
) -> Result<queries::Ticket> {
    queries::find_ticket(conn, id)?
        .filter(|t| scope::may_touch(claims, t.atelier_id))
        .ok_or_else(ticket_not_found)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateTicketBody {
    commande_id: u64,
    motif: String,
    geste: Option<String>,
    description: Option<String>,
    assigne_a: Option<u64>,
}

/// Spec 5.10 `POST /api/sav`: a plain ticket — no replacement order, no
/// status change (that is SAV Express's job).
pub fn create_sav_ticket(ctx: &mut Ctx) -> Result<Response> {
    let body: CreateTicketBody = ctx.json()?;
    let motif = Motif::parse(&body.motif)?;
    let geste = body.geste.as_deref().map(Geste::parse).transpose()?;
    let description = optional_text(body.description.as_deref(), "description", DESCRIPTION_MAX)?;
    let claims = ctx.claims()?.clone();
    let tx = ctx.tx()?;
    // 1. The order exists and is the operator's (others: 404).
    let atelier = queries::order_atelier(tx, body.commande_id)?.ok_or_else(order_not_found)?;
    if !scope::may_touch(&claims, atelier) {
        return Err(order_not_found());
    }
    // 2. Only workshop staff can be assigned.
    if let Some(user) = body.assigne_a {
        check_assignee(tx, user)?;
    }
    let numero = queries::next_ticket_numero(tx)?;
    let id = queries::insert_ticket(
        tx,
        &NewTicket {
            numero: &numero,
            commande_id: body.commande_id,
            commande_sav_id: None,
            motif: motif.as_str(),
            geste: geste.map(Geste::as_str),
            description: description.as_deref(),
            cree_par: Some(claims.sub),
            assigne_a: body.assigne_a,
        },
    )?;
    let ticket = queries::find_ticket(tx, id)?
        .ok_or_else(|| Error::internal("ticket vanished after insert"))?;
    ctx.audit_entity("sav_ticket", id);
    ctx.audit_details(json!({ "numero": numero, "commande_id": body.commande_id, "motif": motif }));
    Ok(Response::created(&ticket))
}

fn check_assignee(conn: &mut Conn, user_id: u64) -> Result<()> {
    let role: Option<String> = conn.exec_first(
        "SELECT role FROM users WHERE id = ? AND actif = TRUE AND anonymized_at IS NULL",
        (user_id,),
    )?;
    let ok = role
        .and_then(|r| crate::security::Role::parse(&r))
        .is_some_and(|r| r.is_in(roles::OPERATEUR_PLUS));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "Un ticket ne peut être assigné qu'à un membre actif de l'atelier ou de l'administration.",
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateTicketBody {
    statut: Option<String>,
    #[serde(default, deserialize_with = "crate::http::nullable")]
    assigne_a: Option<Option<u64>>,
    #[serde(default, deserialize_with = "crate::http::nullable")]
    description: Option<Option<String>>,
}

/// Spec 5.10 `PATCH /api/sav/:id`: status (`ouvert` → `en_cours` →
/// `resolu` → `ferme`, see the transition table), assignee, description.
/// `resolu_at` is stamped when the ticket becomes `resolu` and cleared if it
/// goes back to work.
pub fn update_sav_ticket(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let body: UpdateTicketBody = ctx.json()?;
    let claims = ctx.claims()?.clone();
    let tx = ctx.tx()?;
    // 1. The ticket exists and belongs to the operator's atelier.
    let ticket = queries::lock_ticket(tx, id)?
        .filter(|t| scope::may_touch(&claims, t.atelier_id))
        .ok_or_else(ticket_not_found)?;
    // 2. The status change is allowed.
    let from = ticket.statut.as_str();
    let statut = requested_status(
        body.statut.as_deref(),
        from,
        TICKET_STATUTS,
        TICKET_TRANSITIONS,
        |s| {
            catalog::TICKET_TRANSITION_REFUSED.msg(format!(
                "Le ticket {} ne peut pas passer de « {from} » à « {s} ».",
                ticket.numero
            ))
        },
    )?;
    // 3. The assignee is workshop staff.
    if let Some(Some(user)) = body.assigne_a {
        check_assignee(tx, user)?;
    }
    let description = patched(body.description.as_ref(), |d| {
        optional_text(d, "description", DESCRIPTION_MAX)
    })?;
    queries::update_ticket(
        tx,
        id,
        statut,
        body.assigne_a,
        description.as_ref().map(|d| d.as_deref()),
    )?;
    let updated = queries::find_ticket(tx, id)?.ok_or_else(ticket_not_found)?;
    ctx.audit_entity("sav_ticket", id);
    ctx.audit_details(json!({
        "from": ticket.statut,
        "to": statut,
        "assigne_a": body.assigne_a,
    }));
    Ok(Response::ok(&updated))
}

/// Spec 5.10 `DELETE /api/sav/:id` (admin+): removes a ticket opened by
/// mistake. Orders are left as they are: a replacement order already made
/// is cancelled through the order status machine, not here.
pub fn delete_sav_ticket(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let conn = ctx.conn()?;
    if !queries::delete_ticket(conn, id)? {
        return Err(ticket_not_found());
    }
    ctx.audit_entity("sav_ticket", id);
    Ok(Response::no_content())
}

/// Demo: one open ticket on the first engraved or shipped demo order, if any.
pub(super) fn seed_demo_ticket(conn: &mut Conn) -> Result<()> {
    let Some(commande_id) = queries::seed_engraved_order(conn)? else {
        return Ok(());
    };
    if rows::any(
        conn,
        "SELECT id FROM sav_tickets WHERE commande_id = ? LIMIT 1",
        (commande_id,),
    )? {
        return Ok(());
    }
    let numero = queries::next_ticket_numero(conn)?;
    queries::insert_ticket(
        conn,
        &NewTicket {
            numero: &numero,
            commande_id,
            commande_sav_id: None,
            motif: Motif::Rayure.as_str(),
            geste: Some(Geste::MedailleOfferte.as_str()),
            description: Some(
                "Le sportif signale une rayure sur la face gravée (photo reçue par email).",
            ),
            cree_par: None,
            assigne_a: None,
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_tickets_stay_closed() {
        for s in TICKET_STATUTS {
            assert!(!TICKET_TRANSITIONS.contains(&("ferme", s)));
        }
        for (from, to) in TICKET_TRANSITIONS {
            assert!(TICKET_STATUTS.contains(from) && TICKET_STATUTS.contains(to));
        }
    }
}
