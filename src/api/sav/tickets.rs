//! SAV Express (spec §10.2, §14) and the CRUD of SAV tickets (spec §5.10
//! `/api/sav`).
//!
//! SAV Express in one request: the operator found the order
//! ([`list_recherche_sav`]), chose a reason and a gesture; inside one
//! transaction the original order moves to `sav` through the status machine,
//! a ticket `SAV-<year>-<seq>` is opened and, when a medal must be made
//! again, a replacement order is created, linked both ways. If any step is
//! refused nothing is written.

use super::queries::{self, NewTicket, TicketFilters};
use super::{atelier_scope, double_option, like_anywhere, optional_text, query_u64, Page};
use crate::api::commandes::status::{self, may_touch_atelier, order_not_found, Statut};
use crate::api::commandes::{self, NewOrder};
use crate::error::{Error, Result};
use crate::http::{Ctx, Response};
use crate::security::roles;
use mysql::prelude::Queryable;
use mysql::Conn;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Why the customer calls (spec 10.2 "Motifs", `sav_tickets.motif`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Motif {
    /// The medal is scratched.
    Rayure,
    /// The engraved text is wrong.
    ErreurTexte,
    /// The medal arrived damaged.
    MedailleEndommagee,
    /// The parcel never arrived.
    ColisPerdu,
    /// Any other complaint.
    Reclamation,
}

impl Motif {
    /// Every reason.
    pub const ALL: [Motif; 5] = [
        Motif::Rayure,
        Motif::ErreurTexte,
        Motif::MedailleEndommagee,
        Motif::ColisPerdu,
        Motif::Reclamation,
    ];

    /// The column value.
    pub fn as_str(self) -> &'static str {
        match self {
            Motif::Rayure => "rayure",
            Motif::ErreurTexte => "erreur_texte",
            Motif::MedailleEndommagee => "medaille_endommagee",
            Motif::ColisPerdu => "colis_perdu",
            Motif::Reclamation => "reclamation",
        }
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            Motif::Rayure => "Rayure",
            Motif::ErreurTexte => "Erreur de texte",
            Motif::MedailleEndommagee => "Médaille endommagée",
            Motif::ColisPerdu => "Colis perdu",
            Motif::Reclamation => "Réclamation",
        }
    }

    /// Parses a request value, with a French 422 listing the choices.
    pub fn parse(s: &str) -> Result<Motif> {
        Motif::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| {
                Error::invalid(
                    "Motif inconnu : rayure, erreur_texte, medaille_endommagee, colis_perdu ou reclamation.",
                )
            })
    }

    /// Whether the customer no longer has a usable medal (scratched, wrong
    /// text, damaged, lost).
    pub fn medal_unusable(self) -> bool {
        self != Motif::Reclamation
    }
}

/// What MyKollector offers (spec 10.2 "Gestes", `sav_tickets.geste`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Geste {
    /// Shipping is free.
    LivraisonOfferte,
    /// 10 % off.
    Remise10,
    /// A new medal, free.
    MedailleOfferte,
    /// Money back.
    Remboursement,
}

impl Geste {
    /// Every gesture.
    pub const ALL: [Geste; 4] = [
        Geste::LivraisonOfferte,
        Geste::Remise10,
        Geste::MedailleOfferte,
        Geste::Remboursement,
    ];

    /// The column value.
    pub fn as_str(self) -> &'static str {
        match self {
            Geste::LivraisonOfferte => "livraison_offerte",
            Geste::Remise10 => "remise_10",
            Geste::MedailleOfferte => "medaille_offerte",
            Geste::Remboursement => "remboursement",
        }
    }

    /// Parses a request value, with a French 422 listing the choices.
    pub fn parse(s: &str) -> Result<Geste> {
        Geste::ALL
            .into_iter()
            .find(|g| g.as_str() == s)
            .ok_or_else(|| {
                Error::invalid(
                    "Geste inconnu : livraison_offerte, remise_10, medaille_offerte ou remboursement.",
                )
            })
    }
}

/// Whether SAV Express makes a replacement order — the one rule:
///
/// - `medaille_offerte` always does (a medal is offered, whatever the reason);
/// - a reason that leaves the customer without a usable medal (`rayure`,
///   `erreur_texte`, `medaille_endommagee`, `colis_perdu`) does, with any
///   gesture but `remboursement` (`livraison_offerte` and `remise_10` then
///   come on top of the new medal);
/// - `remboursement` (money back instead of a medal) and a `reclamation`
///   answered by `remise_10` or `livraison_offerte` do not.
pub fn needs_replacement(motif: Motif, geste: Geste) -> bool {
    geste == Geste::MedailleOfferte || (motif.medal_unusable() && geste != Geste::Remboursement)
}

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

/// Longest search text and description.
const SEARCH_MAX: usize = 100;
const DESCRIPTION_MAX: usize = 5000;

/// Spec 14 "SAV Express — recherche par numéro/nom/email":
/// `GET /api/fab/sav/recherche?q=`. At most 20 orders, newest first; an
/// operateur_fab only finds its atelier's orders.
pub fn list_recherche_sav(ctx: &mut Ctx) -> Result<Response> {
    // 1. The operator's atelier bounds the search.
    let scope = atelier_scope(ctx.claims()?);
    let q = ctx.req.query_param("q").unwrap_or_default();
    let q = q.trim();
    if q.chars().count() < 2 {
        return Err(Error::invalid(
            "Saisissez au moins 2 caractères (numéro de commande, nom, email ou client B2B).",
        ));
    }
    if q.chars().count() > SEARCH_MAX {
        return Err(Error::invalid(format!(
            "La recherche ne doit pas dépasser {SEARCH_MAX} caractères."
        )));
    }
    let items = queries::search_orders(ctx.conn()?, &like_anywhere(q), scope)?;
    Ok(Response::ok(&json!({ "items": items })))
}

#[derive(Deserialize)]
struct ExpressBody {
    commande_id: u64,
    motif: String,
    geste: String,
    #[serde(default)]
    description: Option<String>,
    /// B2B only: how many medals to make again (default: the whole order).
    #[serde(default)]
    b2b_quantite: Option<u32>,
}

/// Spec 5.5 `POST /api/fab/sav/express`: "SAV Express". Answers
/// `{ticket, commande_sav}` (`commande_sav` is null when the gesture makes
/// no new medal, see [`needs_replacement`]).
pub fn create_sav_express(ctx: &mut Ctx) -> Result<Response> {
    let body: ExpressBody = ctx.json()?;
    let motif = Motif::parse(&body.motif)?;
    let geste = Geste::parse(&body.geste)?;
    let description = optional_text(body.description.as_deref(), "description", DESCRIPTION_MAX)?;
    let claims = ctx.claims()?.clone();
    let tx = ctx.tx()?;
    // 1. The order exists and is the operator's (others: 404).
    let original = queries::lock_order_for_sav(tx, body.commande_id)?
        .filter(|o| may_touch_atelier(&claims, o.atelier_id))
        .ok_or_else(order_not_found)?;
    // 2. After-sales starts once a medal exists (grave → livre).
    let statut = Statut::parse(&original.statut)
        .ok_or_else(|| Error::internal(format!("unknown order status {}", original.statut)))?;
    if statut == Statut::Sav {
        return Err(Error::conflict(
            "order_already_in_sav",
            format!(
                "La commande {} est déjà en SAV : complétez son ticket existant.",
                original.numero
            ),
        ));
    }
    if !status::is_allowed(statut, Statut::Sav) {
        return Err(Error::conflict(
            "sav_not_allowed",
            format!(
                "La commande {} est {} : le SAV n'est possible qu'une fois la médaille gravée (gravée, à expédier, expédiée ou livrée).",
                original.numero,
                statut.label()
            ),
        ));
    }
    // 3. A B2B re-make may cover part of the batch only.
    let quantite = match (body.b2b_quantite, original.b2b_quantite) {
        (None, q) => q,
        (Some(n), Some(max)) if original.is_b2b && (1..=max).contains(&n) => Some(n),
        (Some(_), Some(max)) if original.is_b2b => {
            return Err(Error::invalid(format!(
                "La quantité à refaire doit être comprise entre 1 et {max}."
            )))
        }
        (Some(_), _) => {
            return Err(Error::invalid(
                "La quantité à refaire ne concerne que les commandes B2B.",
            ))
        }
    };
    // 4. Ticket number, then the original order goes to `sav` (history,
    //    audit row) through the one status machine.
    let numero = queries::next_ticket_numero(tx)?;
    let comment = format!("SAV {numero} : {}", motif.label());
    status::change_status(
        tx,
        original.id,
        Statut::Sav,
        &claims,
        Some(&comment),
        &status::Shipping::default(),
    )?;
    // 5. The replacement order, when a medal must be made again.
    let replacement = if needs_replacement(motif, geste) {
        Some(insert_replacement(
            tx, &original, motif, quantite, claims.sub,
        )?)
    } else {
        None
    };
    // 6. The ticket, linked to both orders.
    let ticket_id = queries::insert_ticket(
        tx,
        &NewTicket {
            numero: &numero,
            commande_id: original.id,
            commande_sav_id: replacement,
            motif: motif.as_str(),
            geste: Some(geste.as_str()),
            description: description.as_deref(),
            cree_par: Some(claims.sub),
            assigne_a: None,
        },
    )?;
    let ticket = queries::find_ticket(tx, ticket_id)?
        .ok_or_else(|| Error::internal("ticket vanished after insert"))?;
    let commande_sav = match replacement {
        Some(id) => queries::find_order_summary(tx, id)?,
        None => None,
    };
    ctx.audit_entity("sav_ticket", ticket_id);
    ctx.audit_details(json!({
        "numero": numero,
        "commande_id": original.id,
        "commande_sav_id": replacement,
        "motif": motif,
        "geste": geste,
    }));
    Ok(Response::created(
        &json!({ "ticket": ticket, "commande_sav": commande_sav }),
    ))
}

/// Creates the replacement of `original` with [`commandes::insert_order`]:
/// same athlete, course, atelier, chrono and B2B fields, the engraving text
/// copied. A text error must be re-validated by the athlete (rule 1.1), so
/// the copy is flagged `a_corriger` and `validation_sportif` is reset;
/// otherwise the athlete's validation still holds and is copied.
fn insert_replacement(
    tx: &mut Conn,
    original: &queries::OrderForSav,
    motif: Motif,
    quantite: Option<u32>,
    actor: u64,
) -> Result<u64> {
    let mut gravure_texte: serde_json::Value =
        serde_json::from_str(&original.gravure_texte).unwrap_or_else(|_| json!({}));
    let revalidate = motif == Motif::ErreurTexte;
    if revalidate {
        if let Some(obj) = gravure_texte.as_object_mut() {
            obj.insert("a_corriger".into(), json!(true));
        }
    }
    let b2b = original.is_b2b.then(|| commandes::B2b {
        client_nom: original.b2b_client_nom.clone().unwrap_or_default(),
        client_type: original
            .b2b_client_type
            .clone()
            .unwrap_or_else(|| "autre".into()),
        fabricant_id: original.b2b_fabricant_id,
        quantite: quantite.unwrap_or(1),
    });
    let created = commandes::insert_order(
        tx,
        &NewOrder {
            user_id: original.user_id,
            produit_id: original.produit_id,
            chrono_id: original.chrono_id,
            duree_secondes: original.duree_secondes,
            chrono_valide: original.chrono_valide,
            atelier_id: original.atelier_id,
            gravure_texte,
            validation_sportif: original.validation_sportif && !revalidate,
            presta_order_id: None,
            b2b,
            commande_origine_id: Some(original.id),
            is_sav: true,
            email_client: original.email_client.clone(),
        },
        Some(actor),
    )?;
    queries::copy_order_extras(tx, created.id, original.id)?;
    Ok(created.id)
}

/// Spec 5.10 `GET /api/sav`: "CRUD tickets SAV" (list). Filters `statut`,
/// `motif`, `commande_id`, `q` (ticket or order number), paginated; an
/// operateur_fab sees its atelier's tickets only.
pub fn list_sav_tickets(ctx: &mut Ctx) -> Result<Response> {
    // 1. The operator's atelier bounds the list.
    let scope = atelier_scope(ctx.claims()?);
    let page = Page::from_query(ctx)?;
    let statut = super::query_enum(ctx, "statut", TICKET_STATUTS)?;
    let motif = ctx
        .req
        .query_param("motif")
        .map(|m| Motif::parse(&m).map(|m| m.as_str()))
        .transpose()?;
    let commande_id = query_u64(ctx, "commande_id")?;
    let q = ctx.req.query_param("q").map(|q| like_anywhere(q.trim()));
    let filters = TicketFilters {
        atelier: scope,
        statut: statut.as_deref(),
        motif,
        commande_id,
        q: q.as_deref(),
    };
    let (items, total) =
        queries::list_tickets(ctx.conn()?, &filters, page.per_page, page.offset())?;
    Ok(Response::ok(&page.answer(&items, total)))
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
    Error::not_found("sav_ticket_not_found", "Ticket SAV introuvable.")
}

/// A ticket the actor may see (an operator: its atelier's orders only).
fn visible_ticket(
    conn: &mut Conn,
    id: u64,
    claims: &crate::security::jwt::Claims,
) -> Result<queries::Ticket> {
    queries::find_ticket(conn, id)?
        .filter(|t| may_touch_atelier(claims, t.atelier_id))
        .ok_or_else(ticket_not_found)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateTicketBody {
    commande_id: u64,
    motif: String,
    #[serde(default)]
    geste: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
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
    if !may_touch_atelier(&claims, atelier) {
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
    #[serde(default)]
    statut: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    assigne_a: Option<Option<u64>>,
    #[serde(default, deserialize_with = "double_option")]
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
        .filter(|t| may_touch_atelier(&claims, t.atelier_id))
        .ok_or_else(ticket_not_found)?;
    // 2. The status change is allowed.
    let statut = match body.statut.as_deref() {
        None => None,
        Some(s) if !TICKET_STATUTS.contains(&s) => {
            return Err(Error::invalid(
                "Statut inconnu : ouvert, en_cours, resolu ou ferme.",
            ))
        }
        Some(s) if s == ticket.statut => None,
        Some(s) if TICKET_TRANSITIONS.contains(&(ticket.statut.as_str(), s)) => Some(s),
        Some(s) => {
            return Err(Error::conflict(
                "ticket_transition_refused",
                format!(
                    "Le ticket {} ne peut pas passer de « {} » à « {s} ».",
                    ticket.numero, ticket.statut
                ),
            ))
        }
    };
    // 3. The assignee is workshop staff.
    if let Some(Some(user)) = body.assigne_a {
        check_assignee(tx, user)?;
    }
    let description = match &body.description {
        None => None,
        Some(d) => Some(optional_text(d.as_deref(), "description", DESCRIPTION_MAX)?),
    };
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
    let exists: Option<u64> = conn.exec_first(
        "SELECT id FROM sav_tickets WHERE commande_id = ? LIMIT 1",
        (commande_id,),
    )?;
    if exists.is_some() {
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
    fn replacement_rule() {
        for m in Motif::ALL {
            assert!(needs_replacement(m, Geste::MedailleOfferte), "{m:?}");
        }
        assert!(needs_replacement(Motif::Rayure, Geste::LivraisonOfferte));
        assert!(needs_replacement(Motif::ColisPerdu, Geste::Remise10));
        assert!(!needs_replacement(Motif::Rayure, Geste::Remboursement));
        assert!(!needs_replacement(Motif::Reclamation, Geste::Remise10));
        assert!(!needs_replacement(Motif::Reclamation, Geste::Remboursement));
        assert!(!needs_replacement(
            Motif::Reclamation,
            Geste::LivraisonOfferte
        ));
    }

    #[test]
    fn enums_round_trip() {
        for m in Motif::ALL {
            assert_eq!(Motif::parse(m.as_str()).unwrap(), m);
        }
        for g in Geste::ALL {
            assert_eq!(Geste::parse(g.as_str()).unwrap(), g);
        }
        assert_eq!(Motif::parse("RAYURE").unwrap_err().status(), 422);
        assert_eq!(Geste::parse("").unwrap_err().status(), 422);
    }

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
