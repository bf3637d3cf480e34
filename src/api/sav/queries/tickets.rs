//! SAV tickets.

use crate::db::rows::{self, FromRow};
use crate::error::Result;
use crate::http::list::{ListQuery, Listed, Page, Where};
use mysql::prelude::Queryable;
use mysql::{params, Conn, Row};
use serde::Serialize;

/// The next ticket number, `SAV-<year>-<seq>` (at least three digits), from
/// the same atomic counters as order numbers under the pseudo-code `SAV`.
pub fn next_ticket_numero(conn: &mut Conn) -> Result<String> {
    let (year, seq) = crate::db::rows::next_in_sequence(conn, "SAV")?;
    Ok(format!("SAV-{year}-{seq:03}"))
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
#[derive(Debug, Clone, Serialize, FromRow)]
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

const TICKET_COLUMNS: &str = r"t.id, t.numero, t.commande_id, c.numero AS commande_numero, t.commande_sav_id,
       s.numero AS commande_sav_numero, t.motif, t.geste, t.statut, t.description, t.cree_par,
       t.assigne_a, DATE_FORMAT(t.resolu_at, '%Y-%m-%dT%H:%i:%s') AS resolu_at,
       DATE_FORMAT(t.created_at, '%Y-%m-%dT%H:%i:%s') AS created_at,
       DATE_FORMAT(t.updated_at, '%Y-%m-%dT%H:%i:%s') AS updated_at, c.atelier_id";

const TICKET_JOINS: &str = r"JOIN commandes c ON c.id = t.commande_id
LEFT JOIN commandes s ON s.id = t.commande_sav_id";

impl Ticket {
    /// One row of [`TICKET_SELECT`], typed.
    #[track_caller]
    fn from_row(row: Row) -> Result<Ticket> {
        rows::convert(row)
    }
}

/// One ticket.
pub fn find_ticket(conn: &mut Conn, id: u64) -> Result<Option<Ticket>> {
    rows::first(
        conn,
        format!("SELECT {TICKET_COLUMNS} FROM sav_tickets t {TICKET_JOINS} WHERE t.id = ?"),
        (id,),
    )
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

/// A page of tickets, newest first.
pub fn list_tickets(conn: &mut Conn, f: &TicketFilters, page: &Page) -> Result<Listed<Ticket>> {
    let mut filter = Where::new();
    filter
        .bind_opt("c.atelier_id = ?", f.atelier)
        .bind_opt("t.statut = ?", f.statut)
        .bind_opt("t.motif = ?", f.motif);
    if let Some(id) = f.commande_id {
        filter.and(
            "(t.commande_id = ? OR t.commande_sav_id = ?)",
            [id.into(), id.into()],
        );
    }
    if let Some(q) = f.q {
        filter.and(
            "(t.numero LIKE ? OR c.numero LIKE ? OR s.numero LIKE ?)",
            [q.into(), q.into(), q.into()],
        );
    }
    ListQuery {
        table: "sav_tickets t",
        key: "t.id",
        filter_joins: "",
        order_joins: "",
        columns: TICKET_COLUMNS,
        joins: TICKET_JOINS,
        order_by: "t.created_at DESC, t.id DESC",
    }
    .filtering_on_joins(f.atelier.is_some() || f.q.is_some())
    .read(conn, &filter, page, Ticket::from_row)
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
