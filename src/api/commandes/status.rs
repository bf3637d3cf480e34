//! The order status machine (spec 4.5 `statut`), written down in one place.
//!
//! Every change goes through [`change_status`]: it locks the order, checks the
//! transition and the business rules (rule 1.1: no engraving before the
//! athlete's validation, except B2B; shipping needs a tracking number; an
//! operator only touches its own atelier), appends `{from, to, by, at,
//! comment}` to `historique`, writes an audit row, and consumes one medal of
//! stock when the order becomes `grave` — all inside the caller's transaction.

use crate::api::scope;
use crate::api::stock;
use crate::db::rows::{self, FromRow};
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::security::jwt::Claims;
use mysql::prelude::{FromValue, Queryable};
use mysql::{params, Conn, FromValueError, Value};
use serde::{Deserialize, Serialize};

/// The values of `commandes.statut`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Statut {
    /// Waiting for engraving (and, for B2C, for the athlete's validation).
    AttenteGravure,
    /// Taken by an operator / in a lot on the laser.
    EnGravure,
    /// Engraved.
    Grave,
    /// Engraved and packed, waiting for the carrier.
    AttenteExpedition,
    /// Handed to the carrier.
    Expedie,
    /// Delivered.
    Livre,
    /// Under after-sales handling.
    Sav,
    /// Cancelled.
    Annule,
}

impl Statut {
    /// Every status, in the order of the normal flow.
    pub const ALL: [Statut; 8] = [
        Statut::AttenteGravure,
        Statut::EnGravure,
        Statut::Grave,
        Statut::AttenteExpedition,
        Statut::Expedie,
        Statut::Livre,
        Statut::Sav,
        Statut::Annule,
    ];

    /// The column value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Statut::AttenteGravure => "attente_gravure",
            Statut::EnGravure => "en_gravure",
            Statut::Grave => "grave",
            Statut::AttenteExpedition => "attente_expedition",
            Statut::Expedie => "expedie",
            Statut::Livre => "livre",
            Statut::Sav => "sav",
            Statut::Annule => "annule",
        }
    }

    /// Parses a column value.
    #[must_use]
    pub fn parse(s: &str) -> Option<Statut> {
        Statut::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// French label for messages.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Statut::AttenteGravure => "en attente de gravure",
            Statut::EnGravure => "en gravure",
            Statut::Grave => "gravée",
            Statut::AttenteExpedition => "en attente d'expédition",
            Statut::Expedie => "expédiée",
            Statut::Livre => "livrée",
            Statut::Sav => "en SAV",
            Statut::Annule => "annulée",
        }
    }
}

/// The allowed transitions: the normal flow, the way back from engraving
/// when a lot is abandoned, after-sales from the moment a medal exists, and
/// cancellation before anything was shipped.
pub const TRANSITIONS: &[(Statut, Statut)] = &[
    (Statut::AttenteGravure, Statut::EnGravure),
    (Statut::AttenteGravure, Statut::Annule),
    (Statut::EnGravure, Statut::Grave),
    (Statut::EnGravure, Statut::AttenteGravure),
    (Statut::EnGravure, Statut::Annule),
    (Statut::Grave, Statut::AttenteExpedition),
    (Statut::Grave, Statut::Expedie),
    (Statut::Grave, Statut::Sav),
    (Statut::AttenteExpedition, Statut::Expedie),
    (Statut::AttenteExpedition, Statut::Sav),
    (Statut::Expedie, Statut::Livre),
    (Statut::Expedie, Statut::Sav),
    (Statut::Livre, Statut::Sav),
    (Statut::Sav, Statut::AttenteGravure),
    (Statut::Sav, Statut::AttenteExpedition),
    (Statut::Sav, Statut::Annule),
];

/// Whether `from → to` is allowed.
#[must_use]
pub fn is_allowed(from: Statut, to: Statut) -> bool {
    TRANSITIONS.contains(&(from, to))
}

/// Shipping details required by `expedie`.
#[derive(Debug, Clone, Default)]
pub struct Shipping {
    /// Carrier name.
    pub transporteur: Option<String>,
    /// Tracking number.
    pub tracking: Option<String>,
}

/// What a status change did, for answers and emails.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// Order id.
    pub commande_id: u64,
    /// Order number.
    pub numero: String,
    /// Previous status.
    pub from: Statut,
    /// New status.
    pub to: Statut,
    /// The athlete, if any (B2B orders have none).
    #[serde(skip)]
    pub user_id: Option<u64>,
}

/// The facts of an order the machine needs, read under a row lock.
#[derive(FromRow)]
struct Locked {
    numero: String,
    #[mysql(deserialize_with = "statut_from_value")]
    statut: Statut,
    validation_sportif: bool,
    is_b2b: bool,
    atelier_id: Option<u64>,
    produit_id: u64,
    user_id: Option<u64>,
}

fn lock_order(tx: &mut Conn, id: u64) -> Result<Option<Locked>> {
    rows::first(
        tx,
        r"SELECT numero, statut, validation_sportif, is_b2b, atelier_id, produit_id, user_id
          FROM commandes WHERE id = ? FOR UPDATE",
        (id,),
    )
}

/// `commandes.statut` as a [`Statut`]; a value we do not know does not convert.
fn statut_from_value(value: Value) -> std::result::Result<Statut, FromValueError> {
    let text = String::from_value_opt(value.clone())?;
    Statut::parse(&text).ok_or(FromValueError(value))
}

/// 404 for an order the actor may not see: an operator of another atelier
/// must not even learn that it exists.
#[must_use]
pub fn order_not_found() -> Error {
    catalog::ORDER_NOT_FOUND.err()
}

/// Moves order `id` to `to` inside the caller's transaction.
pub fn change_status(
    tx: &mut Conn,
    id: u64,
    to: Statut,
    actor: &Claims,
    comment: Option<&str>,
    shipping: &Shipping,
) -> Result<Change> {
    // 1. The order exists and the actor may touch it.
    let order = lock_order(tx, id)?.ok_or_else(order_not_found)?;
    if !scope::may_touch(actor, order.atelier_id) {
        return Err(order_not_found());
    }
    // 2. The transition is in the table.
    if !is_allowed(order.statut, to) {
        return Err(catalog::TRANSITION_REFUSED.msg(format!(
            "Impossible de passer la commande {} de « {} » à « {} ».",
            order.numero,
            order.statut.label(),
            to.label()
        )));
    }
    // 3. Rule 1.1: engraving only after the athlete validated (B2B excepted).
    if to == Statut::EnGravure && !order.validation_sportif && !order.is_b2b {
        return Err(catalog::ENGRAVING_NOT_VALIDATED.msg(format!(
                "La commande {} n'a pas encore été validée par le sportif : elle ne peut pas partir en gravure.",
                order.numero
            )));
    }
    // 4. Shipping needs a tracking number.
    let tracking = tracking_of(shipping);
    if to == Statut::Expedie && tracking.is_none() {
        return Err(Error::invalid(
            "Le numéro de suivi est obligatoire pour expédier une commande.",
        ));
    }
    // 5. Apply, with the history entry.
    apply_change(tx, &order, id, to, actor, comment, shipping)?;
    // 6. A shop order tells the shop (outbox, sent after the commit).
    crate::api::prestashop::push::enqueue_for_status(tx, id, to, tracking)?;
    // 7. An engraved medal leaves the stock of its atelier.
    if to == Statut::Grave {
        if let Some(atelier_id) = order.atelier_id {
            stock::consume_for_engraving(tx, order.produit_id, atelier_id, id, actor.sub)?;
        }
    }
    Ok(Change {
        commande_id: id,
        numero: order.numero,
        from: order.statut,
        to,
        user_id: order.user_id,
    })
}

/// Writes the new status with its dates, tracking and history entry, and
/// its line in the audit log.
fn apply_change(
    tx: &mut Conn,
    order: &Locked,
    id: u64,
    to: Statut,
    actor: &Claims,
    comment: Option<&str>,
    shipping: &Shipping,
) -> Result<()> {
    let tracking = tracking_of(shipping);
    tx.exec_drop(
        r"UPDATE commandes SET
            statut = :to,
            operateur_id = IF(:is_operator, :actor, operateur_id),
            date_gravure = IF(:to = 'grave', NOW(), date_gravure),
            date_expedition = IF(:to = 'expedie', NOW(), date_expedition),
            date_livraison = IF(:to = 'livre', NOW(), date_livraison),
            tracking = COALESCE(:tracking, tracking),
            transporteur = COALESCE(:transporteur, transporteur),
            historique = JSON_ARRAY_APPEND(COALESCE(historique, JSON_ARRAY()), '$', JSON_OBJECT(
              'from', :from, 'to', :to, 'by', :actor,
              'at', DATE_FORMAT(NOW(), '%Y-%m-%dT%H:%i:%s'), 'comment', :comment))
          WHERE id = :id",
        params! {
            "to" => to.as_str(),
            "from" => order.statut.as_str(),
            "is_operator" => actor.role.is_in(crate::security::roles::OPERATEUR_PLUS),
            "actor" => actor.sub,
            "tracking" => tracking,
            "transporteur" => shipping.transporteur.as_deref().map(str::trim).filter(|t| !t.is_empty()),
            "comment" => comment,
            "id" => id,
        },
    )?;
    tx.exec_drop(
        r"INSERT INTO logs_audit (user_id, role, methode, route, statut_http, niveau, type, entite, entite_id, details, ip)
          VALUES (?, ?, 'PATCH', 'commande.statut', 200, 'INFO', 'commande', 'commande', ?, ?, '')",
        (
            actor.sub,
            actor.role.as_str(),
            id,
            serde_json::json!({ "from": order.statut, "to": to, "comment": comment, "tracking": tracking })
                .to_string(),
        ),
    )?;
    Ok(())
}

/// The tracking number given, trimmed, if any.
fn tracking_of(shipping: &Shipping) -> Option<&str> {
    shipping
        .tracking
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_flow_is_allowed() {
        // ALL lists the normal flow first: from the order to the delivery.
        let flow = &Statut::ALL[..6];
        assert_eq!((flow[0], flow[5]), (Statut::AttenteGravure, Statut::Livre));
        for w in flow.windows(2) {
            assert!(is_allowed(w[0], w[1]), "{:?} → {:?}", w[0], w[1]);
        }
    }

    #[test]
    fn jumps_and_dead_ends_are_refused() {
        assert!(!is_allowed(Statut::AttenteGravure, Statut::Expedie));
        assert!(!is_allowed(Statut::AttenteGravure, Statut::Grave));
        assert!(!is_allowed(Statut::Livre, Statut::AttenteGravure));
        assert!(!is_allowed(Statut::Expedie, Statut::Annule));
        for s in Statut::ALL {
            assert!(!is_allowed(Statut::Annule, s), "annule is final");
            assert!(!is_allowed(s, s), "{s:?} → itself");
        }
    }

    #[test]
    fn statut_round_trip() {
        for s in Statut::ALL {
            assert_eq!(Statut::parse(s.as_str()), Some(s));
        }
    }
}
