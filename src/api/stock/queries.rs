//! SQL of the stock module: ateliers, stock lines, the movement journal and
//! the low-stock alerts.

use super::alert_message;
use crate::db::rows::{self, FromRow};
use crate::error::catalog;
use crate::error::Result;
use crate::http::list::{ListQuery, Listed, Page, Where};
use mysql::prelude::Queryable;
use mysql::{params, Conn};
use serde::Serialize;
use serde_json::{json, Value};

// --- ateliers -----------------------------------------------------------

/// An atelier's id by its code.
pub fn atelier_id_by_code(conn: &mut Conn, code: &str) -> Result<Option<u64>> {
    Ok(conn.exec_first("SELECT id FROM ateliers WHERE code = ?", (code,))?)
}

const ATELIER_COLUMNS: &str = "a.id, a.code, a.nom, a.couleur, a.responsable_id, \
     NULLIF(CONCAT_WS(' ', u.prenom, u.nom), '') AS responsable_nom, a.adresse, a.actif, \
     DATE_FORMAT(a.created_at, '%Y-%m-%dT%H:%i:%s') AS created_at, \
     DATE_FORMAT(a.updated_at, '%Y-%m-%dT%H:%i:%s') AS updated_at";
const ATELIER_JOINS: &str = "LEFT JOIN users u ON u.id = a.responsable_id";

/// An atelier as the API shows it.
#[derive(Debug, FromRow, Serialize)]
pub struct AtelierOut {
    id: u64,
    code: String,
    nom: String,
    couleur: String,
    responsable_id: Option<u64>,
    responsable_nom: Option<String>,
    adresse: Option<String>,
    actif: bool,
    created_at: String,
    updated_at: String,
}

/// One page of ateliers matching `filter`, by code.
pub fn list_ateliers(conn: &mut Conn, filter: &Where, page: &Page) -> Result<Listed<AtelierOut>> {
    ListQuery {
        table: "ateliers a",
        key: "a.id",
        filter_joins: "",
        order_joins: "",
        columns: ATELIER_COLUMNS,
        joins: ATELIER_JOINS,
        order_by: "a.code, a.id",
    }
    .read(conn, filter, page, rows::convert::<AtelierOut>)
}

/// One atelier as JSON.
pub fn find_atelier(conn: &mut Conn, id: u64) -> Result<Option<Value>> {
    rows::first_json::<AtelierOut>(
        conn,
        format!("SELECT {ATELIER_COLUMNS} FROM ateliers a {ATELIER_JOINS} WHERE a.id = ?"),
        (id,),
    )
}

/// Whether user `id` works in the workshops (operator or admin): only they
/// can be responsible for an atelier.
pub fn is_workshop_staff(conn: &mut Conn, id: u64) -> Result<bool> {
    rows::any(
        conn,
        r"SELECT id FROM users
          WHERE id = ? AND role IN ('operateur_fab', 'admin_fab', 'super_admin') AND anonymized_at IS NULL",
        (id,),
    )
}

/// The values of an atelier row, already validated.
#[derive(Debug, Clone, FromRow)]
pub struct AtelierValues {
    /// Unique code (upper case).
    pub code: String,
    /// Display name.
    pub nom: String,
    /// UI colour `#rrggbb`.
    pub couleur: String,
    /// Responsible user.
    pub responsable_id: Option<u64>,
    /// Postal address.
    pub adresse: Option<String>,
    /// Active flag.
    pub actif: bool,
}

impl AtelierValues {
    /// The values as the named parameters `:code` … `:actif`, bound alike
    /// by the INSERT and the UPDATE below.
    fn params(&self) -> Vec<(&'static str, mysql::Value)> {
        vec![
            ("code", self.code.as_str().into()),
            ("nom", self.nom.as_str().into()),
            ("couleur", self.couleur.as_str().into()),
            ("responsable_id", self.responsable_id.into()),
            ("adresse", self.adresse.as_deref().into()),
            ("actif", self.actif.into()),
        ]
    }
}

/// Inserts an atelier; a taken code is a 409.
pub fn insert_atelier(conn: &mut Conn, v: &AtelierValues) -> Result<u64> {
    use crate::error::ResultExt;
    conn.exec_drop(
        r"INSERT INTO ateliers (code, nom, couleur, responsable_id, adresse, actif)
          VALUES (:code, :nom, :couleur, :responsable_id, :adresse, :actif)",
        v.params(),
    )
    .on_duplicate("uk_ateliers_code", &catalog::ATELIER_CODE_TAKEN, CODE_TAKEN)?;
    Ok(conn.last_insert_id())
}

const CODE_TAKEN: &str = "Ce code d'atelier est déjà utilisé.";

/// Reads an atelier's current values, locking the row.
pub fn lock_atelier(tx: &mut Conn, id: u64) -> Result<Option<AtelierValues>> {
    Ok(tx.exec_first(
        "SELECT code, nom, couleur, responsable_id, adresse, actif FROM ateliers WHERE id = ? FOR UPDATE",
        (id,),
    )?)
}

/// Writes an atelier's values; a taken code is a 409.
pub fn update_atelier(tx: &mut Conn, id: u64, v: &AtelierValues) -> Result<()> {
    use crate::error::ResultExt;
    tx.exec_drop(
        r"UPDATE ateliers SET code = :code, nom = :nom, couleur = :couleur,
            responsable_id = :responsable_id, adresse = :adresse, actif = :actif
          WHERE id = :id",
        [v.params(), vec![("id", id.into())]].concat(),
    )
    .on_duplicate("uk_ateliers_code", &catalog::ATELIER_CODE_TAKEN, CODE_TAKEN)?;
    Ok(())
}

/// Whether anything points at the atelier (users, orders, lots, stock,
/// conversations, defects): then it is only deactivated, to keep history.
pub fn atelier_is_referenced(tx: &mut Conn, id: u64) -> Result<bool> {
    let used: Option<bool> = tx.exec_first(
        r"SELECT EXISTS(SELECT 1 FROM users WHERE atelier_id = :id)
              OR EXISTS(SELECT 1 FROM commandes WHERE atelier_id = :id)
              OR EXISTS(SELECT 1 FROM lots WHERE atelier_id = :id)
              OR EXISTS(SELECT 1 FROM stocks WHERE atelier_id = :id)
              OR EXISTS(SELECT 1 FROM chat_conversations WHERE atelier_id = :id)
              OR EXISTS(SELECT 1 FROM defauts WHERE atelier_id = :id)",
        params! { "id" => id },
    )?;
    Ok(used.unwrap_or(true))
}

/// Deactivates an atelier.
pub fn deactivate_atelier(tx: &mut Conn, id: u64) -> Result<()> {
    tx.exec_drop("UPDATE ateliers SET actif = FALSE WHERE id = ?", (id,))?;
    Ok(())
}

/// Deletes an unreferenced atelier.
pub fn delete_atelier(tx: &mut Conn, id: u64) -> Result<()> {
    tx.exec_drop("DELETE FROM ateliers WHERE id = ?", (id,))?;
    Ok(())
}

// --- stock lines ----------------------------------------------------------

const STOCK_COLUMNS: &str = "s.id, s.produit_id, p.nom AS produit_nom, p.code AS produit_code, \
     s.atelier_id, a.code AS atelier_code, a.nom AS atelier_nom, s.quantite, s.seuil_alerte, \
     (s.quantite <= s.seuil_alerte) AS alerte, DATE_FORMAT(s.updated_at, '%Y-%m-%dT%H:%i:%s') AS updated_at";
/// The joins every stock query reads from.
const STOCK_JOINS: &str =
    "JOIN produits p ON p.id = s.produit_id JOIN ateliers a ON a.id = s.atelier_id";

/// A stock line as the API shows it (`alerte`: at or under its threshold).
#[derive(Debug, FromRow, Serialize)]
pub struct StockLine {
    id: u64,
    produit_id: u64,
    produit_nom: String,
    produit_code: String,
    atelier_id: u64,
    atelier_code: String,
    atelier_nom: String,
    quantite: i64,
    seuil_alerte: i64,
    alerte: bool,
    updated_at: String,
}

/// One page of stock lines matching `filter`, by course name then atelier.
/// An atelier has one line per course, so its page walks the courses in
/// name order (`idx_produits_nom_code`) and stops after the page; across
/// ateliers, the lines of each course are sorted by atelier code. Course
/// and atelier codes are unique, so the order is total. No filter reads the
/// course or the atelier: the capped count reads the stock lines alone.
pub fn list_stocks(conn: &mut Conn, filter: &Where, page: &Page) -> Result<Listed<StockLine>> {
    ListQuery {
        table: "stocks s",
        key: "s.id",
        filter_joins: "",
        order_joins: STOCK_JOINS,
        columns: STOCK_COLUMNS,
        joins: "",
        order_by: "p.nom, p.code, a.code",
    }
    .read(conn, filter, page, rows::convert::<StockLine>)
}

/// One stock line as JSON.
pub fn find_stock(conn: &mut Conn, id: u64) -> Result<Option<Value>> {
    rows::first_json::<StockLine>(
        conn,
        format!("SELECT {STOCK_COLUMNS} FROM stocks s {STOCK_JOINS} WHERE s.id = ?"),
        (id,),
    )
}

/// The atelier of stock line `id`.
pub fn stock_atelier(conn: &mut Conn, id: u64) -> Result<Option<u64>> {
    Ok(conn.exec_first("SELECT atelier_id FROM stocks WHERE id = ?", (id,))?)
}

/// Creates the (course, atelier) line at zero if missing.
pub fn ensure_stock_line(tx: &mut Conn, produit_id: u64, atelier_id: u64) -> Result<()> {
    tx.exec_drop(
        "INSERT IGNORE INTO stocks (produit_id, atelier_id, quantite) VALUES (?, ?, 0)",
        (produit_id, atelier_id),
    )?;
    Ok(())
}

/// The (course, atelier) line's id and level, locked until the end of the
/// transaction so concurrent movements apply one after the other.
pub fn lock_stock_line(
    tx: &mut Conn,
    produit_id: u64,
    atelier_id: u64,
) -> Result<Option<(u64, i64)>> {
    Ok(tx.exec_first(
        "SELECT id, quantite FROM stocks WHERE produit_id = ? AND atelier_id = ? FOR UPDATE",
        (produit_id, atelier_id),
    )?)
}

/// Sets a line's level.
pub fn set_quantite(tx: &mut Conn, stock_id: u64, quantite: i64) -> Result<()> {
    tx.exec_drop(
        "UPDATE stocks SET quantite = ? WHERE id = ?",
        (quantite, stock_id),
    )?;
    Ok(())
}

/// Sets a line's alert threshold.
pub fn set_seuil(conn: &mut Conn, stock_id: u64, seuil: i64) -> Result<()> {
    conn.exec_drop(
        "UPDATE stocks SET seuil_alerte = ? WHERE id = ?",
        (seuil, stock_id),
    )?;
    Ok(())
}

/// One journal row to write.
#[derive(Debug, Clone)]
pub struct Movement<'a> {
    /// Stock line.
    pub stock_id: u64,
    /// `stock_mouvements.type`.
    pub kind: &'a str,
    /// Signed change.
    pub delta: i64,
    /// Level right after.
    pub after: i64,
    /// Why.
    pub motif: Option<&'a str>,
    /// Order concerned, if any.
    pub commande_id: Option<u64>,
    /// Who.
    pub user_id: Option<u64>,
}

/// Writes a journal row; returns its id.
pub fn insert_movement(tx: &mut Conn, m: &Movement) -> Result<u64> {
    tx.exec_drop(
        r"INSERT INTO stock_mouvements
            (stock_id, atelier_id, type, quantite, quantite_apres, motif, commande_id, user_id)
          SELECT id, atelier_id, :kind, :delta, :after, :motif, :commande_id, :user_id
            FROM stocks WHERE id = :stock_id",
        params! {
            "stock_id" => m.stock_id,
            "kind" => m.kind,
            "delta" => m.delta,
            "after" => m.after,
            "motif" => m.motif,
            "commande_id" => m.commande_id,
            "user_id" => m.user_id,
        },
    )?;
    Ok(tx.last_insert_id())
}

const MOVEMENT_COLUMNS: &str = "m.id, m.stock_id, s.produit_id, p.nom AS produit_nom, \
     s.atelier_id, a.code AS atelier_code, m.type, m.quantite, m.quantite_apres, m.motif, \
     m.commande_id, c.numero AS commande_numero, m.user_id, \
     NULLIF(CONCAT_WS(' ', us.prenom, us.nom), '') AS user_nom, \
     DATE_FORMAT(m.created_at, '%Y-%m-%dT%H:%i:%s') AS created_at";
/// What a journal row shows beyond the movement.
const MOVEMENT_JOINS: &str = "JOIN stocks s ON s.id = m.stock_id \
     JOIN produits p ON p.id = s.produit_id \
     JOIN ateliers a ON a.id = s.atelier_id \
     LEFT JOIN commandes c ON c.id = m.commande_id \
     LEFT JOIN users us ON us.id = m.user_id";

/// A journal row as the API shows it.
#[derive(Debug, FromRow, Serialize)]
pub struct MovementOut {
    id: u64,
    stock_id: u64,
    produit_id: u64,
    produit_nom: String,
    atelier_id: u64,
    atelier_code: String,
    #[serde(rename = "type")]
    #[mysql(rename = "type")]
    kind: String,
    quantite: i64,
    quantite_apres: i64,
    motif: Option<String>,
    commande_id: Option<u64>,
    commande_numero: Option<String>,
    user_id: Option<u64>,
    user_nom: Option<String>,
    created_at: String,
}

/// One page of the journal matching `filter`, newest first; `by_course`
/// when a filter reads the stock line's course (`s.produit_id`).
pub fn list_movements(
    conn: &mut Conn,
    filter: &Where,
    by_course: bool,
    page: &Page,
) -> Result<Listed<MovementOut>> {
    ListQuery {
        table: "stock_mouvements m",
        key: "m.id",
        filter_joins: "",
        order_joins: "",
        columns: MOVEMENT_COLUMNS,
        joins: MOVEMENT_JOINS,
        order_by: "m.created_at DESC, m.id DESC",
    }
    .filtering_on_joins(by_course)
    .read(conn, filter, page, rows::convert::<MovementOut>)
}

/// One journal row as JSON.
pub fn find_movement(conn: &mut Conn, id: u64) -> Result<Option<Value>> {
    rows::first_json::<MovementOut>(
        conn,
        format!(
            "SELECT {MOVEMENT_COLUMNS} FROM stock_mouvements m {MOVEMENT_JOINS} WHERE m.id = ?"
        ),
        (id,),
    )
}

// --- alerts -------------------------------------------------------------------

/// Stock lines at or under their threshold (of active courses in active
/// ateliers), most critical first, each with the French line of 11.3.
pub fn alerts(conn: &mut Conn, atelier_id: Option<u64>) -> Result<Vec<Value>> {
    let mut filter = Where::new();
    filter
        .fixed("s.quantite <= s.seuil_alerte")
        .fixed("COALESCE(p.actif, TRUE)")
        .fixed("a.actif")
        .bind_opt("s.atelier_id = ?", atelier_id);
    let lines: Vec<AlertLine> = rows::all(
        conn,
        format!(
            r"SELECT s.id AS stock_id, s.produit_id, p.nom AS produit_nom, s.atelier_id,
                     a.code AS atelier_code, a.nom AS atelier_nom, s.quantite, s.seuil_alerte
              FROM stocks s {STOCK_JOINS}{} ORDER BY s.quantite - s.seuil_alerte, p.nom, a.code",
            filter.sql()
        ),
        filter.params(),
    )?;
    Ok(lines
        .into_iter()
        .map(|l| {
            let message = alert_message(&l.produit_nom, l.quantite, l.seuil_alerte);
            json!({
                "stock_id": l.stock_id,
                "produit_id": l.produit_id,
                "produit_nom": l.produit_nom,
                "atelier_id": l.atelier_id,
                "atelier_code": l.atelier_code,
                "atelier_nom": l.atelier_nom,
                "quantite": l.quantite,
                "seuil_alerte": l.seuil_alerte,
                "message": message,
            })
        })
        .collect())
}

/// A stock line under its threshold, as [`alerts`] reads it.
#[derive(FromRow)]
struct AlertLine {
    stock_id: u64,
    produit_id: u64,
    produit_nom: String,
    atelier_id: u64,
    atelier_code: String,
    atelier_nom: String,
    quantite: i64,
    seuil_alerte: i64,
}
