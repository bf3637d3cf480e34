//! SQL of the sav module: SAV tickets, defects and their catalogues,
//! fabricants, and the order reads they need.
//!
//! Optional list filters are written `(:x IS NULL OR col = :x)`: the
//! statements stay fixed strings with every value bound, whatever filters a
//! request combines. The tables involved stay small (tickets, defects), so
//! the planner's loss is negligible.

use crate::api::commandes::status::{self, Statut};
use crate::error::{Error, Result};
use mysql::prelude::{FromValue, Queryable};
use mysql::{params, Conn, Row};
use serde::Serialize;

/// A column by name, without panicking on a surprise.
fn take<T: FromValue>(row: &mut Row, name: &str) -> Result<T> {
    match row.take_opt(name) {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(Error::internal(format!("column {name}: {e:?}"))),
        None => Err(Error::internal(format!("column {name} missing"))),
    }
}

/// A nullable BOOLEAN column (NULL reads as false).
fn flag(row: &mut Row, name: &str) -> Result<bool> {
    Ok(take::<Option<bool>>(row, name)?.unwrap_or(false))
}

// ---------------------------------------------------------------------------
// Orders
// ---------------------------------------------------------------------------

/// What SAV screens show of an order.
#[derive(Debug, Clone, Serialize)]
pub struct OrderSummary {
    pub id: u64,
    pub numero: String,
    pub statut: String,
    /// Whether SAV Express may start on it now.
    pub sav_possible: bool,
    pub produit_id: u64,
    pub parcours: String,
    pub atelier_id: Option<u64>,
    pub user_id: Option<u64>,
    pub sportif_nom: Option<String>,
    pub sportif_prenom: Option<String>,
    pub sportif_email: Option<String>,
    pub email_client: Option<String>,
    pub is_b2b: bool,
    pub b2b_client_nom: Option<String>,
    pub b2b_client_type: Option<String>,
    pub b2b_quantite: Option<u32>,
    pub b2b_fabricant_id: Option<u64>,
    pub is_sav: bool,
    pub commande_origine_id: Option<u64>,
    pub validation_sportif: bool,
    pub gravure_texte: serde_json::Value,
    pub date_commande: Option<String>,
}

const ORDER_SUMMARY_SELECT: &str = r"
SELECT c.id, c.numero, c.statut, c.produit_id, p.nom AS parcours, c.atelier_id, c.user_id,
       u.nom AS sportif_nom, u.prenom AS sportif_prenom, u.email AS sportif_email, c.email_client,
       c.is_b2b, c.b2b_client_nom, c.b2b_client_type, c.b2b_quantite, c.b2b_fabricant_id,
       c.is_sav, c.commande_origine_id, c.validation_sportif, c.gravure_texte,
       DATE_FORMAT(c.date_commande, '%Y-%m-%dT%H:%i:%s') AS date_commande
FROM commandes c
JOIN produits p ON p.id = c.produit_id
LEFT JOIN users u ON u.id = c.user_id";

impl OrderSummary {
    fn from_row(mut row: Row) -> Result<OrderSummary> {
        let statut: String = take(&mut row, "statut")?;
        let sav_possible =
            Statut::parse(&statut).is_some_and(|s| status::is_allowed(s, Statut::Sav));
        let gravure: Option<String> = take(&mut row, "gravure_texte")?;
        Ok(OrderSummary {
            id: take(&mut row, "id")?,
            numero: take(&mut row, "numero")?,
            statut,
            sav_possible,
            produit_id: take(&mut row, "produit_id")?,
            parcours: take(&mut row, "parcours")?,
            atelier_id: take(&mut row, "atelier_id")?,
            user_id: take(&mut row, "user_id")?,
            sportif_nom: take(&mut row, "sportif_nom")?,
            sportif_prenom: take(&mut row, "sportif_prenom")?,
            sportif_email: take(&mut row, "sportif_email")?,
            email_client: take(&mut row, "email_client")?,
            is_b2b: flag(&mut row, "is_b2b")?,
            b2b_client_nom: take(&mut row, "b2b_client_nom")?,
            b2b_client_type: take(&mut row, "b2b_client_type")?,
            b2b_quantite: take(&mut row, "b2b_quantite")?,
            b2b_fabricant_id: take(&mut row, "b2b_fabricant_id")?,
            is_sav: flag(&mut row, "is_sav")?,
            commande_origine_id: take(&mut row, "commande_origine_id")?,
            validation_sportif: flag(&mut row, "validation_sportif")?,
            gravure_texte: gravure
                .and_then(|g| serde_json::from_str(&g).ok())
                .unwrap_or(serde_json::Value::Null),
            date_commande: take(&mut row, "date_commande")?,
        })
    }
}

/// One order as SAV screens show it.
pub fn find_order_summary(conn: &mut Conn, id: u64) -> Result<Option<OrderSummary>> {
    let row: Option<Row> =
        conn.exec_first(format!("{ORDER_SUMMARY_SELECT} WHERE c.id = ?"), (id,))?;
    row.map(OrderSummary::from_row).transpose()
}

/// Orders whose number, athlete (name, first name, both, email), B2B client
/// or contact email contains the pattern; at most 20, newest first.
pub fn search_orders(
    conn: &mut Conn,
    pattern: &str,
    atelier: Option<u64>,
) -> Result<Vec<OrderSummary>> {
    let rows: Vec<Row> = conn.exec(
        format!(
            r"{ORDER_SUMMARY_SELECT}
              WHERE (c.numero LIKE :q OR u.nom LIKE :q OR u.prenom LIKE :q OR u.email LIKE :q
                     OR CONCAT_WS(' ', u.prenom, u.nom) LIKE :q OR CONCAT_WS(' ', u.nom, u.prenom) LIKE :q
                     OR c.b2b_client_nom LIKE :q OR c.email_client LIKE :q)
                AND (:atelier IS NULL OR c.atelier_id = :atelier)
              ORDER BY c.date_commande DESC, c.id DESC
              LIMIT 20"
        ),
        params! { "q" => pattern, "atelier" => atelier },
    )?;
    rows.into_iter().map(OrderSummary::from_row).collect()
}

/// The atelier of an order: `None` when there is no such order,
/// `Some(None)` for an order not yet assigned.
pub fn order_atelier(conn: &mut Conn, id: u64) -> Result<Option<Option<u64>>> {
    Ok(conn.exec_first("SELECT atelier_id FROM commandes WHERE id = ?", (id,))?)
}

/// An order's facts SAV Express copies into the replacement.
#[derive(Debug, Clone)]
pub struct OrderForSav {
    pub id: u64,
    pub numero: String,
    pub statut: String,
    pub user_id: Option<u64>,
    pub chrono_id: Option<u64>,
    pub produit_id: u64,
    pub atelier_id: Option<u64>,
    pub chrono_valide: bool,
    pub duree_secondes: Option<u64>,
    pub gravure_texte: String,
    pub validation_sportif: bool,
    pub is_b2b: bool,
    pub b2b_client_nom: Option<String>,
    pub b2b_client_type: Option<String>,
    pub b2b_fabricant_id: Option<u64>,
    pub b2b_quantite: Option<u32>,
    pub email_client: Option<String>,
}

/// Reads and locks the order SAV Express works on: two operators acting on
/// the same order at once are serialised, the second sees it in `sav`.
pub fn lock_order_for_sav(tx: &mut Conn, id: u64) -> Result<Option<OrderForSav>> {
    let row: Option<Row> = tx.exec_first(
        r"SELECT id, numero, statut, user_id, chrono_id, produit_id, atelier_id, chrono_valide,
                 duree_secondes, gravure_texte, validation_sportif, is_b2b, b2b_client_nom,
                 b2b_client_type, b2b_fabricant_id, b2b_quantite, email_client
          FROM commandes WHERE id = ? FOR UPDATE",
        (id,),
    )?;
    let Some(mut row) = row else {
        return Ok(None);
    };
    Ok(Some(OrderForSav {
        id: take(&mut row, "id")?,
        numero: take(&mut row, "numero")?,
        statut: take(&mut row, "statut")?,
        user_id: take(&mut row, "user_id")?,
        chrono_id: take(&mut row, "chrono_id")?,
        produit_id: take(&mut row, "produit_id")?,
        atelier_id: take(&mut row, "atelier_id")?,
        chrono_valide: flag(&mut row, "chrono_valide")?,
        duree_secondes: take(&mut row, "duree_secondes")?,
        gravure_texte: take(&mut row, "gravure_texte")?,
        validation_sportif: flag(&mut row, "validation_sportif")?,
        is_b2b: flag(&mut row, "is_b2b")?,
        b2b_client_nom: take(&mut row, "b2b_client_nom")?,
        b2b_client_type: take(&mut row, "b2b_client_type")?,
        b2b_fabricant_id: take(&mut row, "b2b_fabricant_id")?,
        b2b_quantite: take(&mut row, "b2b_quantite")?,
        email_client: take(&mut row, "email_client")?,
    }))
}

/// Copies to a replacement order what [`crate::api::commandes::NewOrder`]
/// does not carry: the delivery address, and the date of the athlete's
/// validation when that validation was kept.
pub fn copy_order_extras(tx: &mut Conn, id: u64, origine_id: u64) -> Result<()> {
    tx.exec_drop(
        r"UPDATE commandes c JOIN commandes o ON o.id = :origine
          SET c.adresse_livraison = o.adresse_livraison,
              c.date_validation_sportif = IF(c.validation_sportif, o.date_validation_sportif, NULL)
          WHERE c.id = :id",
        params! { "origine" => origine_id, "id" => id },
    )?;
    Ok(())
}

/// Writes an order's own number into its engraving text (`{{NUMERO}}`).
pub fn set_gravure_numero(tx: &mut Conn, id: u64, numero: &str) -> Result<()> {
    tx.exec_drop(
        "UPDATE commandes SET gravure_texte = JSON_SET(gravure_texte, '$.numero', ?) WHERE id = ?",
        (numero, id),
    )?;
    Ok(())
}

/// The first engraved (or later) plain demo order, for demo tickets and
/// defects.
pub fn seed_engraved_order(conn: &mut Conn) -> Result<Option<u64>> {
    Ok(conn.query_first(
        r"SELECT id FROM commandes
          WHERE statut IN ('grave', 'attente_expedition', 'expedie', 'livre')
            AND is_sav = FALSE AND COALESCE(is_b2b, FALSE) = FALSE
          ORDER BY id LIMIT 1",
    )?)
}

// ---------------------------------------------------------------------------
// SAV tickets
// ---------------------------------------------------------------------------

/// The next ticket number, `SAV-<year>-<seq>` (at least three digits), from
/// the same atomic counters as order numbers under the pseudo-code `SAV`.
pub fn next_ticket_numero(conn: &mut Conn) -> Result<String> {
    let year: Option<u16> = conn.query_first("SELECT YEAR(NOW())")?;
    let year = year.unwrap_or(2026);
    conn.exec_drop(
        r"INSERT INTO commande_sequences (annee, code, dernier) VALUES (?, 'SAV', LAST_INSERT_ID(1))
          ON DUPLICATE KEY UPDATE dernier = LAST_INSERT_ID(dernier + 1)",
        (year,),
    )?;
    let seq: Option<u64> = conn.query_first("SELECT LAST_INSERT_ID()")?;
    Ok(format!("SAV-{year}-{:03}", seq.unwrap_or(1)))
}

/// A ticket to insert.
pub struct NewTicket<'a> {
    pub numero: &'a str,
    pub commande_id: u64,
    pub commande_sav_id: Option<u64>,
    pub motif: &'a str,
    pub geste: Option<&'a str>,
    pub description: Option<&'a str>,
    pub cree_par: Option<u64>,
    pub assigne_a: Option<u64>,
}

/// Inserts a ticket (status `ouvert`); returns its id.
pub fn insert_ticket(conn: &mut Conn, t: &NewTicket) -> Result<u64> {
    conn.exec_drop(
        r"INSERT INTO sav_tickets (numero, commande_id, commande_sav_id, motif, geste, description, cree_par, assigne_a)
          VALUES (:numero, :commande_id, :commande_sav_id, :motif, :geste, :description, :cree_par, :assigne_a)",
        params! {
            "numero" => t.numero,
            "commande_id" => t.commande_id,
            "commande_sav_id" => t.commande_sav_id,
            "motif" => t.motif,
            "geste" => t.geste,
            "description" => t.description,
            "cree_par" => t.cree_par,
            "assigne_a" => t.assigne_a,
        },
    )?;
    Ok(conn.last_insert_id())
}

/// A ticket as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Ticket {
    pub id: u64,
    pub numero: String,
    pub commande_id: u64,
    pub commande_numero: String,
    pub commande_sav_id: Option<u64>,
    pub commande_sav_numero: Option<String>,
    pub motif: String,
    pub geste: Option<String>,
    pub statut: String,
    pub description: Option<String>,
    pub cree_par: Option<u64>,
    pub assigne_a: Option<u64>,
    pub resolu_at: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    /// The atelier of the original order (operators' scope).
    pub atelier_id: Option<u64>,
}

const TICKET_SELECT: &str = r"
SELECT t.id, t.numero, t.commande_id, c.numero AS commande_numero, t.commande_sav_id,
       s.numero AS commande_sav_numero, t.motif, t.geste, t.statut, t.description, t.cree_par,
       t.assigne_a, DATE_FORMAT(t.resolu_at, '%Y-%m-%dT%H:%i:%s') AS resolu_at,
       DATE_FORMAT(t.created_at, '%Y-%m-%dT%H:%i:%s') AS created_at,
       DATE_FORMAT(t.updated_at, '%Y-%m-%dT%H:%i:%s') AS updated_at, c.atelier_id";

const TICKET_FROM: &str = r"
FROM sav_tickets t
JOIN commandes c ON c.id = t.commande_id
LEFT JOIN commandes s ON s.id = t.commande_sav_id";

const TICKET_WHERE: &str = r"
WHERE (:atelier IS NULL OR c.atelier_id = :atelier)
  AND (:statut IS NULL OR t.statut = :statut)
  AND (:motif IS NULL OR t.motif = :motif)
  AND (:commande_id IS NULL OR t.commande_id = :commande_id OR t.commande_sav_id = :commande_id)
  AND (:q IS NULL OR t.numero LIKE :q OR c.numero LIKE :q OR s.numero LIKE :q)";

impl Ticket {
    fn from_row(mut row: Row) -> Result<Ticket> {
        Ok(Ticket {
            id: take(&mut row, "id")?,
            numero: take(&mut row, "numero")?,
            commande_id: take(&mut row, "commande_id")?,
            commande_numero: take(&mut row, "commande_numero")?,
            commande_sav_id: take(&mut row, "commande_sav_id")?,
            commande_sav_numero: take(&mut row, "commande_sav_numero")?,
            motif: take(&mut row, "motif")?,
            geste: take(&mut row, "geste")?,
            statut: take(&mut row, "statut")?,
            description: take(&mut row, "description")?,
            cree_par: take(&mut row, "cree_par")?,
            assigne_a: take(&mut row, "assigne_a")?,
            resolu_at: take(&mut row, "resolu_at")?,
            created_at: take(&mut row, "created_at")?,
            updated_at: take(&mut row, "updated_at")?,
            atelier_id: take(&mut row, "atelier_id")?,
        })
    }
}

/// One ticket.
pub fn find_ticket(conn: &mut Conn, id: u64) -> Result<Option<Ticket>> {
    let row: Option<Row> = conn.exec_first(
        format!("{TICKET_SELECT} {TICKET_FROM} WHERE t.id = ?"),
        (id,),
    )?;
    row.map(Ticket::from_row).transpose()
}

/// Locks a ticket row (the orders stay unlocked), then reads it.
pub fn lock_ticket(tx: &mut Conn, id: u64) -> Result<Option<Ticket>> {
    let found: Option<u64> =
        tx.exec_first("SELECT id FROM sav_tickets WHERE id = ? FOR UPDATE", (id,))?;
    match found {
        Some(_) => find_ticket(tx, id),
        None => Ok(None),
    }
}

/// Filters of the ticket list (`None` = no filter).
pub struct TicketFilters<'a> {
    pub atelier: Option<u64>,
    pub statut: Option<&'a str>,
    pub motif: Option<&'a str>,
    pub commande_id: Option<u64>,
    /// A LIKE pattern on ticket and order numbers.
    pub q: Option<&'a str>,
}

/// A page of tickets, newest first, and the total.
pub fn list_tickets(
    conn: &mut Conn,
    f: &TicketFilters,
    limit: u32,
    offset: u64,
) -> Result<(Vec<Ticket>, u64)> {
    let p = || {
        params! {
            "atelier" => f.atelier,
            "statut" => f.statut,
            "motif" => f.motif,
            "commande_id" => f.commande_id,
            "q" => f.q,
            "limit" => limit,
            "offset" => offset,
        }
    };
    let total: Option<u64> =
        conn.exec_first(format!("SELECT COUNT(*) {TICKET_FROM} {TICKET_WHERE}"), p())?;
    let rows: Vec<Row> = conn.exec(
        format!(
            "{TICKET_SELECT} {TICKET_FROM} {TICKET_WHERE} ORDER BY t.created_at DESC, t.id DESC LIMIT :limit OFFSET :offset"
        ),
        p(),
    )?;
    let items = rows
        .into_iter()
        .map(Ticket::from_row)
        .collect::<Result<_>>()?;
    Ok((items, total.unwrap_or(0)))
}

/// Applies a PATCH: `statut` (already checked) stamps or clears `resolu_at`;
/// `Some(None)` clears a nullable field.
pub fn update_ticket(
    tx: &mut Conn,
    id: u64,
    statut: Option<&str>,
    assigne_a: Option<Option<u64>>,
    description: Option<Option<&str>>,
) -> Result<()> {
    tx.exec_drop(
        r"UPDATE sav_tickets SET
            resolu_at = CASE WHEN :statut = 'resolu' THEN NOW()
                             WHEN :statut IN ('ouvert', 'en_cours') THEN NULL
                             ELSE resolu_at END,
            statut = COALESCE(:statut, statut),
            assigne_a = IF(:set_assigne, :assigne_a, assigne_a),
            description = IF(:set_description, :description, description)
          WHERE id = :id",
        params! {
            "statut" => statut,
            "set_assigne" => assigne_a.is_some(),
            "assigne_a" => assigne_a.flatten(),
            "set_description" => description.is_some(),
            "description" => description.flatten(),
            "id" => id,
        },
    )?;
    Ok(())
}

/// Deletes a ticket; false when there was none.
pub fn delete_ticket(conn: &mut Conn, id: u64) -> Result<bool> {
    conn.exec_drop("DELETE FROM sav_tickets WHERE id = ?", (id,))?;
    Ok(conn.affected_rows() > 0)
}

// ---------------------------------------------------------------------------
// Defects
// ---------------------------------------------------------------------------

/// The atelier of a lot: `None` when there is no such lot.
pub fn lot_atelier(conn: &mut Conn, id: u64) -> Result<Option<Option<u64>>> {
    Ok(conn.exec_first("SELECT atelier_id FROM lots WHERE id = ?", (id,))?)
}

/// Whether an order is (or was) in a lot.
pub fn order_in_lot(conn: &mut Conn, commande_id: u64, lot_id: u64) -> Result<bool> {
    let n: Option<u64> = conn.exec_first(
        r"SELECT (EXISTS(SELECT 1 FROM commande_lot WHERE lot_id = :lot AND commande_id = :commande)
                OR EXISTS(SELECT 1 FROM commandes WHERE id = :commande AND lot_id = :lot))",
        params! { "lot" => lot_id, "commande" => commande_id },
    )?;
    Ok(n.unwrap_or(0) > 0)
}

/// A defect to insert.
pub struct NewDefaut<'a> {
    pub commande_id: Option<u64>,
    pub lot_id: Option<u64>,
    pub atelier_id: Option<u64>,
    pub type_id: u64,
    pub cause_id: Option<u64>,
    pub gravite: &'a str,
    pub description: Option<&'a str>,
    pub signale_par: Option<u64>,
}

/// Inserts a defect (status `ouvert`); returns its id.
pub fn insert_defaut(conn: &mut Conn, d: &NewDefaut) -> Result<u64> {
    conn.exec_drop(
        r"INSERT INTO defauts (commande_id, lot_id, atelier_id, type_id, cause_id, gravite, description, signale_par)
          VALUES (:commande_id, :lot_id, :atelier_id, :type_id, :cause_id, :gravite, :description, :signale_par)",
        params! {
            "commande_id" => d.commande_id,
            "lot_id" => d.lot_id,
            "atelier_id" => d.atelier_id,
            "type_id" => d.type_id,
            "cause_id" => d.cause_id,
            "gravite" => d.gravite,
            "description" => d.description,
            "signale_par" => d.signale_par,
        },
    )?;
    Ok(conn.last_insert_id())
}

/// A defect as the API shows it, with its catalogue labels.
#[derive(Debug, Clone, Serialize)]
pub struct Defaut {
    pub id: u64,
    pub commande_id: Option<u64>,
    pub commande_numero: Option<String>,
    pub produit_id: Option<u64>,
    pub parcours: Option<String>,
    pub lot_id: Option<u64>,
    pub lot_numero: Option<String>,
    pub atelier_id: Option<u64>,
    pub type_id: u64,
    pub type_code: String,
    pub type_libelle: String,
    pub cause_id: Option<u64>,
    pub cause_code: Option<String>,
    pub cause_libelle: Option<String>,
    pub gravite: String,
    pub statut: String,
    pub description: Option<String>,
    pub signale_par: Option<u64>,
    pub photo_path: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

const DEFAUT_SELECT: &str = r"
SELECT d.id, d.commande_id, c.numero AS commande_numero, c.produit_id, p.nom AS parcours,
       d.lot_id, l.numero AS lot_numero, d.atelier_id, d.type_id, ty.code AS type_code,
       ty.libelle AS type_libelle, d.cause_id, ca.code AS cause_code, ca.libelle AS cause_libelle,
       d.gravite, d.statut, d.description, d.signale_par, d.photo_path,
       DATE_FORMAT(d.created_at, '%Y-%m-%dT%H:%i:%s') AS created_at,
       DATE_FORMAT(d.updated_at, '%Y-%m-%dT%H:%i:%s') AS updated_at";

const DEFAUT_FROM: &str = r"
FROM defauts d
JOIN types_defauts ty ON ty.id = d.type_id
LEFT JOIN causes_defauts ca ON ca.id = d.cause_id
LEFT JOIN commandes c ON c.id = d.commande_id
LEFT JOIN produits p ON p.id = c.produit_id
LEFT JOIN lots l ON l.id = d.lot_id";

const DEFAUT_WHERE: &str = r"
WHERE (:scope IS NULL OR d.atelier_id = :scope)
  AND (:atelier IS NULL OR d.atelier_id = :atelier)
  AND (:type_id IS NULL OR d.type_id = :type_id)
  AND (:cause_id IS NULL OR d.cause_id = :cause_id)
  AND (:gravite IS NULL OR d.gravite = :gravite)
  AND (:statut IS NULL OR d.statut = :statut)
  AND (:date_from IS NULL OR d.created_at >= CAST(:date_from AS DATE))
  AND (:date_to IS NULL OR d.created_at < DATE_ADD(CAST(:date_to AS DATE), INTERVAL 1 DAY))
  AND (:produit IS NULL OR c.produit_id = :produit)
  AND (:commande_id IS NULL OR d.commande_id = :commande_id)
  AND (:lot_id IS NULL OR d.lot_id = :lot_id)";

impl Defaut {
    fn from_row(mut row: Row) -> Result<Defaut> {
        Ok(Defaut {
            id: take(&mut row, "id")?,
            commande_id: take(&mut row, "commande_id")?,
            commande_numero: take(&mut row, "commande_numero")?,
            produit_id: take(&mut row, "produit_id")?,
            parcours: take(&mut row, "parcours")?,
            lot_id: take(&mut row, "lot_id")?,
            lot_numero: take(&mut row, "lot_numero")?,
            atelier_id: take(&mut row, "atelier_id")?,
            type_id: take(&mut row, "type_id")?,
            type_code: take(&mut row, "type_code")?,
            type_libelle: take(&mut row, "type_libelle")?,
            cause_id: take(&mut row, "cause_id")?,
            cause_code: take(&mut row, "cause_code")?,
            cause_libelle: take(&mut row, "cause_libelle")?,
            gravite: take(&mut row, "gravite")?,
            statut: take(&mut row, "statut")?,
            description: take(&mut row, "description")?,
            signale_par: take(&mut row, "signale_par")?,
            photo_path: take(&mut row, "photo_path")?,
            created_at: take(&mut row, "created_at")?,
            updated_at: take(&mut row, "updated_at")?,
        })
    }
}

/// One defect.
pub fn find_defaut(conn: &mut Conn, id: u64) -> Result<Option<Defaut>> {
    let row: Option<Row> = conn.exec_first(
        format!("{DEFAUT_SELECT} {DEFAUT_FROM} WHERE d.id = ?"),
        (id,),
    )?;
    row.map(Defaut::from_row).transpose()
}

/// Locks a defect; returns its status and atelier.
pub fn lock_defaut(tx: &mut Conn, id: u64) -> Result<Option<(String, Option<u64>)>> {
    Ok(tx.exec_first(
        "SELECT statut, atelier_id FROM defauts WHERE id = ? FOR UPDATE",
        (id,),
    )?)
}

/// Filters of the defect list (`None` = no filter).
pub struct DefautFilters {
    /// The operator's atelier, forced.
    pub scope: Option<u64>,
    pub atelier: Option<u64>,
    pub type_id: Option<u64>,
    pub cause_id: Option<u64>,
    pub gravite: Option<String>,
    pub statut: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub from: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub to: Option<String>,
    pub produit: Option<u64>,
    pub commande_id: Option<u64>,
    pub lot_id: Option<u64>,
}

/// A page of defects, newest first, and the total.
pub fn list_defauts(
    conn: &mut Conn,
    f: &DefautFilters,
    limit: u32,
    offset: u64,
) -> Result<(Vec<Defaut>, u64)> {
    let p = || {
        params! {
            "scope" => f.scope,
            "atelier" => f.atelier,
            "type_id" => f.type_id,
            "cause_id" => f.cause_id,
            "gravite" => f.gravite.as_deref(),
            "statut" => f.statut.as_deref(),
            "date_from" => f.from.as_deref(),
            "date_to" => f.to.as_deref(),
            "produit" => f.produit,
            "commande_id" => f.commande_id,
            "lot_id" => f.lot_id,
            "limit" => limit,
            "offset" => offset,
        }
    };
    let total: Option<u64> =
        conn.exec_first(format!("SELECT COUNT(*) {DEFAUT_FROM} {DEFAUT_WHERE}"), p())?;
    let rows: Vec<Row> = conn.exec(
        format!(
            "{DEFAUT_SELECT} {DEFAUT_FROM} {DEFAUT_WHERE} ORDER BY d.created_at DESC, d.id DESC LIMIT :limit OFFSET :offset"
        ),
        p(),
    )?;
    let items = rows
        .into_iter()
        .map(Defaut::from_row)
        .collect::<Result<_>>()?;
    Ok((items, total.unwrap_or(0)))
}

/// A defect PATCH (`None` = unchanged, `Some(None)` = cleared).
pub struct DefautUpdate<'a> {
    pub statut: Option<&'a str>,
    pub gravite: Option<&'a str>,
    pub type_id: Option<u64>,
    pub cause_id: Option<Option<u64>>,
    pub description: Option<Option<&'a str>>,
}

/// Applies a defect PATCH.
pub fn update_defaut(tx: &mut Conn, id: u64, u: &DefautUpdate) -> Result<()> {
    tx.exec_drop(
        r"UPDATE defauts SET
            statut = COALESCE(:statut, statut),
            gravite = COALESCE(:gravite, gravite),
            type_id = COALESCE(:type_id, type_id),
            cause_id = IF(:set_cause, :cause_id, cause_id),
            description = IF(:set_description, :description, description)
          WHERE id = :id",
        params! {
            "statut" => u.statut,
            "gravite" => u.gravite,
            "type_id" => u.type_id,
            "set_cause" => u.cause_id.is_some(),
            "cause_id" => u.cause_id.flatten(),
            "set_description" => u.description.is_some(),
            "description" => u.description.flatten(),
            "id" => id,
        },
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Defect catalogues
// ---------------------------------------------------------------------------

/// The two catalogues share one shape; the table name is chosen here, never
/// from the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Catalog {
    /// `types_defauts`.
    Types,
    /// `causes_defauts`.
    Causes,
}

impl Catalog {
    fn table(self) -> &'static str {
        match self {
            Catalog::Types => "types_defauts",
            Catalog::Causes => "causes_defauts",
        }
    }

    /// The audit log's entity name.
    pub fn entity(self) -> &'static str {
        match self {
            Catalog::Types => "type_defaut",
            Catalog::Causes => "cause_defaut",
        }
    }
}

/// One catalogue entry.
#[derive(Debug, Clone, Serialize)]
pub struct CatalogEntry {
    pub id: u64,
    pub code: String,
    pub libelle: String,
    pub actif: bool,
}

fn catalog_entry(row: (u64, String, String, bool)) -> CatalogEntry {
    let (id, code, libelle, actif) = row;
    CatalogEntry {
        id,
        code,
        libelle,
        actif,
    }
}

/// A page of a catalogue, in creation order (the seed's order), and the total.
pub fn list_catalog(
    conn: &mut Conn,
    catalog: Catalog,
    actif: Option<bool>,
    limit: u32,
    offset: u64,
) -> Result<(Vec<CatalogEntry>, u64)> {
    let table = catalog.table();
    let total: Option<u64> = conn.exec_first(
        format!("SELECT COUNT(*) FROM {table} WHERE (:actif IS NULL OR actif = :actif)"),
        params! { "actif" => actif },
    )?;
    let items = conn.exec_map(
        format!(
            "SELECT id, code, libelle, actif FROM {table}
             WHERE (:actif IS NULL OR actif = :actif)
             ORDER BY id LIMIT :limit OFFSET :offset"
        ),
        params! { "actif" => actif, "limit" => limit, "offset" => offset },
        catalog_entry,
    )?;
    Ok((items, total.unwrap_or(0)))
}

/// One catalogue entry.
pub fn find_catalog(conn: &mut Conn, catalog: Catalog, id: u64) -> Result<Option<CatalogEntry>> {
    let row: Option<(u64, String, String, bool)> = conn.exec_first(
        format!(
            "SELECT id, code, libelle, actif FROM {} WHERE id = ?",
            catalog.table()
        ),
        (id,),
    )?;
    Ok(row.map(catalog_entry))
}

/// Whether a catalogue entry exists and is active.
pub fn catalog_entry_active(conn: &mut Conn, catalog: Catalog, id: u64) -> Result<bool> {
    let found: Option<u64> = conn.exec_first(
        format!(
            "SELECT id FROM {} WHERE id = ? AND actif = TRUE",
            catalog.table()
        ),
        (id,),
    )?;
    Ok(found.is_some())
}

/// Inserts a catalogue entry (duplicate codes surface as MySQL 1062).
pub fn insert_catalog(
    conn: &mut Conn,
    catalog: Catalog,
    code: &str,
    libelle: &str,
    actif: bool,
) -> std::result::Result<u64, mysql::Error> {
    conn.exec_drop(
        format!(
            "INSERT INTO {} (code, libelle, actif) VALUES (?, ?, ?)",
            catalog.table()
        ),
        (code, libelle, actif),
    )?;
    Ok(conn.last_insert_id())
}

/// Updates a catalogue entry (`None` = unchanged).
pub fn update_catalog(
    conn: &mut Conn,
    catalog: Catalog,
    id: u64,
    code: Option<&str>,
    libelle: Option<&str>,
    actif: Option<bool>,
) -> std::result::Result<(), mysql::Error> {
    conn.exec_drop(
        format!(
            "UPDATE {} SET code = COALESCE(:code, code), libelle = COALESCE(:libelle, libelle),
                           actif = COALESCE(:actif, actif)
             WHERE id = :id",
            catalog.table()
        ),
        params! { "code" => code, "libelle" => libelle, "actif" => actif, "id" => id },
    )
}

// ---------------------------------------------------------------------------
// B2B references and fabricants
// ---------------------------------------------------------------------------

/// Whether a course exists.
pub fn produit_exists(conn: &mut Conn, id: u64) -> Result<bool> {
    let found: Option<u64> = conn.exec_first("SELECT id FROM produits WHERE id = ?", (id,))?;
    Ok(found.is_some())
}

/// Whether an atelier exists and is active.
pub fn atelier_active(conn: &mut Conn, id: u64) -> Result<bool> {
    let found: Option<u64> = conn.exec_first(
        "SELECT id FROM ateliers WHERE id = ? AND actif = TRUE",
        (id,),
    )?;
    Ok(found.is_some())
}

/// Whether a manufacturer exists and is active.
pub fn fabricant_active(conn: &mut Conn, id: u64) -> Result<bool> {
    let found: Option<u64> = conn.exec_first(
        "SELECT id FROM fabricants WHERE id = ? AND actif = TRUE",
        (id,),
    )?;
    Ok(found.is_some())
}

/// Whether a user is an active admin_fab.
pub fn is_active_admin_fab(conn: &mut Conn, id: u64) -> Result<bool> {
    let found: Option<u64> = conn.exec_first(
        "SELECT id FROM users WHERE id = ? AND role = 'admin_fab' AND actif = TRUE AND anonymized_at IS NULL",
        (id,),
    )?;
    Ok(found.is_some())
}

/// A manufacturer as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Fabricant {
    pub id: u64,
    pub nom: String,
    pub code: String,
    pub admin_user_id: Option<u64>,
    pub contact_email: Option<String>,
    pub contact_telephone: Option<String>,
    pub actif: bool,
    pub created_at: Option<String>,
}

const FABRICANT_SELECT: &str = r"
SELECT id, nom, code, admin_user_id, contact_email, contact_telephone, actif,
       DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s') AS created_at
FROM fabricants";

fn fabricant(mut row: Row) -> Result<Fabricant> {
    Ok(Fabricant {
        id: take(&mut row, "id")?,
        nom: take(&mut row, "nom")?,
        code: take(&mut row, "code")?,
        admin_user_id: take(&mut row, "admin_user_id")?,
        contact_email: take(&mut row, "contact_email")?,
        contact_telephone: take(&mut row, "contact_telephone")?,
        actif: take(&mut row, "actif")?,
        created_at: take(&mut row, "created_at")?,
    })
}

/// A page of manufacturers by name, and the total.
pub fn list_fabricants(
    conn: &mut Conn,
    actif: Option<bool>,
    limit: u32,
    offset: u64,
) -> Result<(Vec<Fabricant>, u64)> {
    let total: Option<u64> = conn.exec_first(
        "SELECT COUNT(*) FROM fabricants WHERE (:actif IS NULL OR actif = :actif)",
        params! { "actif" => actif },
    )?;
    let rows: Vec<Row> = conn.exec(
        format!(
            "{FABRICANT_SELECT} WHERE (:actif IS NULL OR actif = :actif) ORDER BY nom, id LIMIT :limit OFFSET :offset"
        ),
        params! { "actif" => actif, "limit" => limit, "offset" => offset },
    )?;
    let items = rows.into_iter().map(fabricant).collect::<Result<_>>()?;
    Ok((items, total.unwrap_or(0)))
}

/// One manufacturer.
pub fn find_fabricant(conn: &mut Conn, id: u64) -> Result<Option<Fabricant>> {
    let row: Option<Row> = conn.exec_first(format!("{FABRICANT_SELECT} WHERE id = ?"), (id,))?;
    row.map(fabricant).transpose()
}

/// A manufacturer to insert.
pub struct NewFabricant<'a> {
    pub nom: &'a str,
    pub code: &'a str,
    pub admin_user_id: Option<u64>,
    pub contact_email: Option<&'a str>,
    pub contact_telephone: Option<&'a str>,
    pub actif: bool,
}

/// Inserts a manufacturer (duplicate codes surface as MySQL 1062).
pub fn insert_fabricant(
    conn: &mut Conn,
    f: &NewFabricant,
) -> std::result::Result<u64, mysql::Error> {
    conn.exec_drop(
        r"INSERT INTO fabricants (nom, code, admin_user_id, contact_email, contact_telephone, actif)
          VALUES (:nom, :code, :admin_user_id, :contact_email, :contact_telephone, :actif)",
        params! {
            "nom" => f.nom,
            "code" => f.code,
            "admin_user_id" => f.admin_user_id,
            "contact_email" => f.contact_email,
            "contact_telephone" => f.contact_telephone,
            "actif" => f.actif,
        },
    )?;
    Ok(conn.last_insert_id())
}

/// A manufacturer PATCH (`None` = unchanged, `Some(None)` = cleared).
pub struct FabricantUpdate<'a> {
    pub nom: Option<&'a str>,
    pub code: Option<&'a str>,
    pub admin_user_id: Option<Option<u64>>,
    pub contact_email: Option<Option<&'a str>>,
    pub contact_telephone: Option<Option<&'a str>>,
    pub actif: Option<bool>,
}

/// Applies a manufacturer PATCH.
pub fn update_fabricant(
    conn: &mut Conn,
    id: u64,
    u: &FabricantUpdate,
) -> std::result::Result<(), mysql::Error> {
    conn.exec_drop(
        r"UPDATE fabricants SET
            nom = COALESCE(:nom, nom),
            code = COALESCE(:code, code),
            admin_user_id = IF(:set_admin, :admin_user_id, admin_user_id),
            contact_email = IF(:set_email, :contact_email, contact_email),
            contact_telephone = IF(:set_phone, :contact_telephone, contact_telephone),
            actif = COALESCE(:actif, actif)
          WHERE id = :id",
        params! {
            "nom" => u.nom,
            "code" => u.code,
            "set_admin" => u.admin_user_id.is_some(),
            "admin_user_id" => u.admin_user_id.flatten(),
            "set_email" => u.contact_email.is_some(),
            "contact_email" => u.contact_email.flatten(),
            "set_phone" => u.contact_telephone.is_some(),
            "contact_telephone" => u.contact_telephone.flatten(),
            "actif" => u.actif,
            "id" => id,
        },
    )
}

/// Demo manufacturer "Médailles du Queyras" (QUEYRAS), managed by the demo
/// admin_fab when it exists; returns its id.
pub fn seed_fabricant(conn: &mut Conn) -> Result<Option<u64>> {
    conn.query_drop(
        r"INSERT INTO fabricants (nom, code, admin_user_id, contact_email, contact_telephone, actif)
          VALUES ('Médailles du Queyras', 'QUEYRAS',
                  (SELECT id FROM users WHERE email = 'adminfab@mykollector.test'),
                  'atelier@medailles-queyras.fr', '04 92 46 71 20', TRUE)
          ON DUPLICATE KEY UPDATE nom = VALUES(nom)",
    )?;
    Ok(conn.query_first("SELECT id FROM fabricants WHERE code = 'QUEYRAS'")?)
}
