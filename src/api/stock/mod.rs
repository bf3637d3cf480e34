//! Spec §4.6, §4.28 — `/api/ateliers`, `/api/stocks`: the production sites,
//! their blank-medal stock per course, the movement journal and the
//! low-stock alerts of wireframe 11.3.
//!
//! Every stock change goes through one locked read of the stock line and
//! writes the journal row (`stock_mouvements`: signed delta, level after,
//! who, why) in the same transaction, so the journal always adds up to the
//! stock. The engraving consumption ([`consume_for_engraving`]) is called by
//! the order status machine when an order becomes `grave`.
//!
//! Scope rule shared with the FAB module ([`crate::api::scope::resolve_atelier`]): an
//! `operateur_fab` works in its own atelier only; naming another atelier is a
//! 404, exactly as if it did not exist. Admins see every atelier, or one when
//! they name it.

mod ateliers;
pub(crate) mod queries;
mod stocks;

use crate::api::parcours::slugs;
use crate::error::{Error, Result};
use crate::http::router::{route, Access, Route};
use crate::http::{Ctx, Method};
use crate::security::roles;
use mysql::prelude::Queryable;
use mysql::Conn;

/// Routes of this module.
pub const ROUTES: &[Route] = &[
    route(
        Method::Get,
        "/api/ateliers",
        Access::Roles(roles::OPERATEUR_PLUS),
        ateliers::list_ateliers,
        "Liste des ateliers (un opérateur ne voit que le sien)",
    ),
    route(
        Method::Post,
        "/api/ateliers",
        Access::Roles(roles::ADMIN_PLUS),
        ateliers::create_atelier,
        "Crée un atelier",
    ),
    route(
        Method::Get,
        "/api/ateliers/{id}",
        Access::Roles(roles::OPERATEUR_PLUS),
        ateliers::show_atelier,
        "Détail d'un atelier",
    ),
    route(
        Method::Patch,
        "/api/ateliers/{id}",
        Access::Roles(roles::ADMIN_PLUS),
        ateliers::update_atelier,
        "Modifie un atelier",
    ),
    route(
        Method::Delete,
        "/api/ateliers/{id}",
        Access::Roles(roles::ADMIN_PLUS),
        ateliers::delete_atelier,
        "Supprime un atelier (le désactive s'il est référencé)",
    ),
    route(
        Method::Get,
        "/api/stocks",
        Access::Roles(roles::OPERATEUR_PLUS),
        stocks::list_stocks,
        "Stock de médailles par parcours et atelier",
    ),
    route(
        Method::Patch,
        "/api/stocks/{id}",
        Access::Roles(roles::ADMIN_PLUS),
        stocks::update_stock,
        "Modifie le seuil d'alerte d'une ligne de stock",
    ),
    route(
        Method::Get,
        "/api/stocks/alertes",
        Access::Roles(roles::OPERATEUR_PLUS),
        stocks::list_alertes,
        "Lignes de stock sous leur seuil d'alerte",
    ),
    route(
        Method::Get,
        "/api/stocks/mouvements",
        Access::Roles(roles::OPERATEUR_PLUS),
        stocks::list_mouvements,
        "Journal des mouvements de stock",
    ),
    route(
        Method::Post,
        "/api/stocks/mouvements",
        Access::Roles(roles::OPERATEUR_PLUS),
        stocks::create_mouvement,
        "Enregistre un mouvement de stock (entrée, sortie, ajustement, retour)",
    ),
];

/// Takes the order's medals (one, or `b2b_quantite` for a B2B order) out of
/// the stock of (course, atelier) for an engraved order, and journals it. The stock may go below zero: the medal was
/// physically engraved, so the count was wrong, and the low-stock alert shows
/// it rather than blocking the operator.
pub fn consume_for_engraving(
    tx: &mut Conn,
    produit_id: u64,
    atelier_id: u64,
    commande_id: u64,
    user_id: u64,
) -> Result<()> {
    // A B2B order of N medals takes N blanks (issue 8).
    let medals: Option<i64> = tx.exec_first(
        "SELECT IF(is_b2b, GREATEST(COALESCE(b2b_quantite, 1), 1), 1) FROM commandes WHERE id = ?",
        (commande_id,),
    )?;
    let medals = medals.unwrap_or(1);
    tx.exec_drop(
        r"INSERT INTO stocks (produit_id, atelier_id, quantite) VALUES (?, ?, -?)
          ON DUPLICATE KEY UPDATE quantite = quantite - ?",
        (produit_id, atelier_id, medals, medals),
    )?;
    tx.exec_drop(
        r"INSERT INTO stock_mouvements
            (stock_id, atelier_id, type, quantite, quantite_apres, motif, commande_id, user_id)
          SELECT id, atelier_id, 'gravure', -?, quantite, 'Gravure de la commande', ?, ?
          FROM stocks WHERE produit_id = ? AND atelier_id = ?",
        (medals, commande_id, user_id, produit_id, atelier_id),
    )?;
    Ok(())
}

/// A boolean query parameter (`true`/`false`, `1`/`0`).
pub fn query_bool(ctx: &Ctx, name: &str) -> Result<Option<bool>> {
    match ctx.req.query_param(name).as_deref().map(str::trim) {
        None => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(_) => Err(Error::invalid(format!(
            "Le paramètre « {name} » doit valoir true ou false."
        ))),
    }
}

/// The French alert line of wireframe 11.3:
/// `Ventoux — stock critique (9 ≤ seuil 10)`.
#[must_use]
pub fn alert_message(produit_nom: &str, quantite: i64, seuil: i64) -> String {
    format!("{produit_nom} — stock critique ({quantite} ≤ seuil {seuil})")
}

/// Demo data: the workshops A1 (Briançon) and A2 (Lyon), stock lines for the
/// demo courses (one of them under its threshold, for the alert of 11.3) and
/// the journal entries that explain each level. Lines that already exist
/// are left alone, so running it again changes nothing.
pub fn seed_demo(conn: &mut Conn) -> Result<()> {
    conn.exec_drop(
        r"INSERT INTO ateliers (code, nom, couleur, adresse, actif)
          VALUES ('A1', 'Atelier A1 — Briançon', '#c8a84b', '12 avenue de la République, 05100 Briançon', TRUE),
                 ('A2', 'Atelier A2 — Lyon', '#2f6f8f', '48 rue de la Charité, 69002 Lyon', TRUE)
          ON DUPLICATE KEY UPDATE adresse = COALESCE(adresse, VALUES(adresse))",
        (),
    )?;
    let admin: Option<u64> =
        conn.query_first("SELECT id FROM users WHERE email = 'adminfab@mykollector.test'")?;
    // (course slug; atelier; received; scrapped; threshold): Ventoux sits
    // under its threshold, as in wireframe 11.3.
    let lines: &[(&str, &str, i64, i64, i64)] = &[
        (slugs::IZOARD, "A1", 50, 8, 10),
        (slugs::VENTOUX, "A1", 12, 3, 10),
        (slugs::GALIBIER, "A1", 40, 2, 10),
        (slugs::TOURMALET, "A1", 30, 0, 10),
        (slugs::IZOARD, "A2", 25, 1, 5),
        (slugs::TOURMALET, "A2", 20, 0, 5),
    ];
    for (slug, atelier, received, scrapped, seuil) in lines {
        let produit: Option<u64> =
            conn.exec_first("SELECT id FROM produits WHERE slug = ?", (slug,))?;
        let Some(produit_id) = produit else { continue };
        let Some(atelier_id) = queries::atelier_id_by_code(conn, atelier)? else {
            continue;
        };
        let level = received - scrapped;
        conn.exec_drop(
            r"INSERT IGNORE INTO stocks (produit_id, atelier_id, quantite, seuil_alerte)
              VALUES (?, ?, ?, ?)",
            (produit_id, atelier_id, level, seuil),
        )?;
        if conn.affected_rows() == 0 {
            continue;
        }
        let stock_id = conn.last_insert_id();
        queries::insert_movement(
            conn,
            &queries::Movement {
                stock_id,
                kind: "entree",
                delta: *received,
                after: *received,
                motif: Some("Réception fournisseur (livraison de médailles vierges)"),
                commande_id: None,
                user_id: admin,
            },
        )?;
        if *scrapped > 0 {
            queries::insert_movement(
                conn,
                &queries::Movement {
                    stock_id,
                    kind: "sortie",
                    delta: -scrapped,
                    after: level,
                    motif: Some("Médailles rayées au déballage"),
                    commande_id: None,
                    user_id: admin,
                },
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_text_follows_the_wireframe() {
        assert_eq!(
            alert_message("Ventoux", 9, 10),
            "Ventoux — stock critique (9 ≤ seuil 10)"
        );
    }
}
