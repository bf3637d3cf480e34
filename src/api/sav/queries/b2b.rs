//! B2B references (course, atelier, manufacturer) and fabricants.

use crate::db::rows::{self, FromRow};
use crate::error::Result;
use mysql::prelude::Queryable;
use mysql::{params, Conn, Row};
use serde::Serialize;

/// Whether an atelier exists and is active.
pub fn atelier_active(conn: &mut Conn, id: u64) -> Result<bool> {
    rows::any(
        conn,
        "SELECT id FROM ateliers WHERE id = ? AND actif = TRUE",
        (id,),
    )
}

/// Whether a manufacturer exists and is active.
pub fn fabricant_active(conn: &mut Conn, id: u64) -> Result<bool> {
    rows::any(
        conn,
        "SELECT id FROM fabricants WHERE id = ? AND actif = TRUE",
        (id,),
    )
}

/// Whether a user is an active `admin_fab`.
pub fn is_active_admin_fab(conn: &mut Conn, id: u64) -> Result<bool> {
    rows::any(
        conn,
        "SELECT id FROM users WHERE id = ? AND role = 'admin_fab' AND actif = TRUE AND anonymized_at IS NULL",
        (id,),
    )
}

/// A manufacturer as the API shows it.
#[derive(Debug, Clone, Serialize, FromRow)]
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

/// One row of [`FABRICANT_SELECT`], typed.
#[track_caller]
fn fabricant(row: Row) -> Result<Fabricant> {
    rows::convert(row)
}

/// A page of manufacturers by name, and the total.
pub fn list_fabricants(
    conn: &mut Conn,
    actif: Option<bool>,
    limit: u64,
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
    rows::first(conn, format!("{FABRICANT_SELECT} WHERE id = ?"), (id,))
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
/// `admin_fab` when it exists; returns its id.
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
