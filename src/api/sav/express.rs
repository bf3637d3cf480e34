//! SAV Express (spec §10.2, §14): `/api/fab/sav/recherche` and
//! `/api/fab/sav/express`.
//!
//! In one request: the operator found the order ([`list_recherche_sav`]),
//! chose a reason and a gesture; inside one transaction the original order
//! moves to `sav` through the status machine, a ticket `SAV-<year>-<seq>` is
//! opened and, when a medal must be made again ([`needs_replacement`]), a
//! replacement order is created, linked both ways. If any step is refused
//! nothing is written.

use super::optional_text;
use super::queries::{self, NewTicket};
use crate::api::commandes::status::{self, order_not_found, Statut};
use crate::api::commandes::{self, NewOrder};
use crate::api::scope;
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::http::list::like_contains;
use crate::http::{Ctx, Response};
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
    #[must_use]
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
    #[must_use]
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
    #[must_use]
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
    #[must_use]
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
#[must_use]
pub fn needs_replacement(motif: Motif, geste: Geste) -> bool {
    geste == Geste::MedailleOfferte || (motif.medal_unusable() && geste != Geste::Remboursement)
}

/// Longest search text.
const SEARCH_MAX: usize = 100;
/// Longest ticket description.
pub(super) const DESCRIPTION_MAX: usize = 5000;

/// Spec 14 "SAV Express — recherche par numéro/nom/email":
/// `GET /api/fab/sav/recherche?q=`. At most 20 orders, newest first; an
/// `operateur_fab` only finds its atelier's orders.
pub fn list_recherche_sav(ctx: &mut Ctx) -> Result<Response> {
    // 1. The operator's atelier bounds the search.
    let scope = scope::atelier_filter(ctx.claims()?);
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
    let items = queries::search_orders(ctx.conn()?, &like_contains(q), scope)?;
    Ok(Response::ok(&json!({ "items": items })))
}

#[derive(Deserialize)]
struct ExpressBody {
    commande_id: u64,
    motif: String,
    geste: String,
    description: Option<String>,
    /// B2B only: how many medals to make again (default: the whole order).
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
        .filter(|o| scope::may_touch(&claims, o.atelier_id))
        .ok_or_else(order_not_found)?;
    // 2. After-sales starts once a medal exists (grave → livre).
    ensure_sav_possible(&original)?;
    // 3. A B2B re-make may cover part of the batch only.
    let quantite = remake_quantity(body.b2b_quantite, &original)?;
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

/// After-sales starts once a medal exists (grave → livre), once per order.
fn ensure_sav_possible(original: &queries::OrderForSav) -> Result<()> {
    let statut = Statut::parse(&original.statut)
        .ok_or_else(|| Error::internal(format!("unknown order status {}", original.statut)))?;
    if statut == Statut::Sav {
        return Err(catalog::ORDER_ALREADY_IN_SAV.msg(format!(
            "La commande {} est déjà en SAV : complétez son ticket existant.",
            original.numero
        )));
    }
    if !status::is_allowed(statut, Statut::Sav) {
        return Err(catalog::SAV_NOT_ALLOWED.msg(format!(
                "La commande {} est {} : le SAV n'est possible qu'une fois la médaille gravée (gravée, à expédier, expédiée ou livrée).",
                original.numero,
                statut.label()
            )));
    }
    Ok(())
}

/// How many medals of a B2B batch to make again (all by default).
fn remake_quantity(requested: Option<u32>, original: &queries::OrderForSav) -> Result<Option<u32>> {
    let quantite = match (requested, original.b2b_quantite) {
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
    Ok(quantite)
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
            presta: None,
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
}
