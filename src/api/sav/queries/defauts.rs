//! Quality defects and their two catalogues.

use crate::db::rows::{self, FromRow};
use crate::error::Result;
use crate::http::list::{ListQuery, Listed, Page, Where};
use mysql::prelude::Queryable;
use mysql::{params, Conn, Row};
use serde::Serialize;

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
#[derive(Debug, Clone, Serialize, FromRow)]
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

const DEFAUT_COLUMNS: &str = r"d.id, d.commande_id, c.numero AS commande_numero, c.produit_id, p.nom AS parcours,
       d.lot_id, l.numero AS lot_numero, d.atelier_id, d.type_id, ty.code AS type_code,
       ty.libelle AS type_libelle, d.cause_id, ca.code AS cause_code, ca.libelle AS cause_libelle,
       d.gravite, d.statut, d.description, d.signale_par, d.photo_path,
       DATE_FORMAT(d.created_at, '%Y-%m-%dT%H:%i:%s') AS created_at,
       DATE_FORMAT(d.updated_at, '%Y-%m-%dT%H:%i:%s') AS updated_at";

const DEFAUT_JOINS: &str = r"JOIN types_defauts ty ON ty.id = d.type_id
LEFT JOIN causes_defauts ca ON ca.id = d.cause_id
LEFT JOIN commandes c ON c.id = d.commande_id
LEFT JOIN produits p ON p.id = c.produit_id
LEFT JOIN lots l ON l.id = d.lot_id";

impl Defaut {
    /// One row of [`DEFAUT_SELECT`], typed.
    #[track_caller]
    fn from_row(row: Row) -> Result<Defaut> {
        rows::convert(row)
    }
}

/// One defect.
pub fn find_defaut(conn: &mut Conn, id: u64) -> Result<Option<Defaut>> {
    rows::first(
        conn,
        format!("SELECT {DEFAUT_COLUMNS} FROM defauts d {DEFAUT_JOINS} WHERE d.id = ?"),
        (id,),
    )
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

/// A page of defects, newest first.
pub fn list_defauts(conn: &mut Conn, f: &DefautFilters, page: &Page) -> Result<Listed<Defaut>> {
    let mut filter = Where::new();
    filter
        .bind_opt("d.atelier_id = ?", f.scope)
        .bind_opt("d.atelier_id = ?", f.atelier)
        .bind_opt("d.type_id = ?", f.type_id)
        .bind_opt("d.cause_id = ?", f.cause_id)
        .bind_opt("d.gravite = ?", f.gravite.as_deref())
        .bind_opt("d.statut = ?", f.statut.as_deref())
        .bind_opt("d.created_at >= CAST(? AS DATE)", f.from.as_deref())
        .bind_opt(
            "d.created_at < DATE_ADD(CAST(? AS DATE), INTERVAL 1 DAY)",
            f.to.as_deref(),
        )
        .bind_opt("d.commande_id = ?", f.commande_id)
        .bind_opt("d.lot_id = ?", f.lot_id)
        .bind_opt("c.produit_id = ?", f.produit);
    ListQuery {
        table: "defauts d",
        key: "d.id",
        filter_joins: "",
        order_joins: "",
        columns: DEFAUT_COLUMNS,
        joins: DEFAUT_JOINS,
        order_by: "d.created_at DESC, d.id DESC",
    }
    // The course is the order's: only that filter reads a joined column.
    .filtering_on_joins(f.produit.is_some())
    .read(conn, &filter, page, Defaut::from_row)
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
    limit: u64,
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
    rows::any(
        conn,
        format!(
            "SELECT id FROM {} WHERE id = ? AND actif = TRUE",
            catalog.table()
        ),
        (id,),
    )
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
