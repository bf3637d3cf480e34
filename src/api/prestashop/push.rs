//! Status push through an outbox (spec 7.4, issue 8 item 7): a lot going to
//! the laser pushes "En gravure" (24) for each imported order; shipping
//! pushes "Expédié" (4) and writes the tracking number on the order's
//! carrier row.
//!
//! The operator's change only inserts `prestashop_push` rows, in its own
//! transaction ([`enqueue_for_status`], called by the order status machine),
//! so a shop that is down never blocks or fails it. The rows are sent right
//! after the commit ([`send_for_orders`]) and, whatever is left, by the
//! hourly cron ([`send_due`]) with a growing delay until they succeed; the
//! ones still failing are listed for admins.

use super::client::{int, list_of, xml_escape, Failure, Shop};
use super::settings::Settings;
use crate::api::commandes::status::Statut;
use crate::config::Config;
use crate::error::Result;
use mysql::prelude::Queryable;
use mysql::Conn;
use serde::Serialize;

/// Rows sent per run (the cron) or per request (right after a commit).
const BATCH: usize = 200;
/// Longest delay between two attempts, in minutes.
const MAX_DELAY_MIN: u32 = 6 * 60;

/// Queues the pushes a status change of order `commande_id` calls for,
/// inside the caller's transaction (the order status machine calls it).
/// Orders that did not come from the shop push nothing. The state ids are
/// resolved when sending, from the configuration of that moment.
pub fn enqueue_for_status(
    tx: &mut Conn,
    commande_id: u64,
    to: Statut,
    tracking: Option<&str>,
) -> Result<()> {
    let kind = match to {
        Statut::EnGravure => "gravure",
        Statut::Expedie => "expedition",
        _ => return Ok(()),
    };
    let presta: Option<Option<u64>> = tx.exec_first(
        "SELECT presta_order_id FROM commandes WHERE id = ?",
        (commande_id,),
    )?;
    let Some(Some(presta_order_id)) = presta else {
        return Ok(());
    };
    // One push per shop order and step: two medals of one shop order going
    // to the laser make one history row.
    tx.exec_drop(
        r"INSERT IGNORE INTO prestashop_push (cle, commande_id, presta_order_id, type)
          VALUES (?, ?, ?, ?)",
        (
            format!("{kind}:{presta_order_id}"),
            commande_id,
            presta_order_id,
            kind,
        ),
    )?;
    if let (Statut::Expedie, Some(tracking)) =
        (to, tracking.map(str::trim).filter(|t| !t.is_empty()))
    {
        tx.exec_drop(
            r"INSERT IGNORE INTO prestashop_push (cle, commande_id, presta_order_id, type, tracking)
              VALUES (?, ?, ?, 'suivi', ?)",
            (
                format!("suivi:{presta_order_id}:{tracking}"),
                commande_id,
                presta_order_id,
                tracking,
            ),
        )?;
    }
    Ok(())
}

/// What a sending run did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Sent {
    /// Pushes the shop accepted.
    pub envoyes: u32,
    /// Pushes that failed (retried later).
    pub echecs: u32,
    /// Pushes still waiting after the run.
    pub en_attente: u64,
    /// Why sending stopped early (breaker open, no shop).
    pub interrompu: Option<String>,
}

impl Sent {
    /// One line for the cron log.
    #[must_use]
    pub fn summary(&self) -> String {
        let mut line = format!(
            "{} envoyé(s), {} échec(s), {} en attente",
            self.envoyes, self.echecs, self.en_attente
        );
        if let Some(why) = &self.interrompu {
            line.push_str(" — ");
            line.push_str(why);
        }
        line
    }
}

/// Sends the due pushes of orders `ids` (right after the commit of their
/// change). A failure is recorded on the row and never reaches the caller.
pub fn send_for_orders(config: &Config, conn: &mut Conn, ids: &[u64]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let marks = vec!["?"; ids.len()].join(",");
    let due: Vec<u64> = conn.exec(
        format!(
            "SELECT id FROM prestashop_push WHERE envoye_at IS NULL AND prochain_essai_at <= NOW() AND commande_id IN ({marks}) ORDER BY id LIMIT {BATCH}"
        ),
        ids.to_vec(),
    )?;
    send_rows(config, conn, &due).map(|_| ())
}

/// Sends every due push (the cron task).
pub fn send_due(config: &Config, conn: &mut Conn) -> Result<Sent> {
    let due: Vec<u64> = conn.query(format!(
        "SELECT id FROM prestashop_push WHERE envoye_at IS NULL AND prochain_essai_at <= NOW() ORDER BY id LIMIT {BATCH}"
    ))?;
    send_rows(config, conn, &due)
}

fn send_rows(config: &Config, conn: &mut Conn, ids: &[u64]) -> Result<Sent> {
    let mut sent = Sent::default();
    if !ids.is_empty() {
        match Shop::load(config, conn)? {
            None => sent.interrompu = Some(Failure::NotConfigured.french()),
            Some(shop) => {
                let settings = Settings::load(config, conn)?;
                for id in ids {
                    match send_one(conn, &shop, &settings, *id)? {
                        Some(Ok(())) => sent.envoyes += 1,
                        Some(Err(Failure::BreakerOpen(s))) => {
                            sent.interrompu = Some(Failure::BreakerOpen(s).french());
                            break;
                        }
                        Some(Err(_)) => sent.echecs += 1,
                        None => {}
                    }
                }
            }
        }
    }
    let waiting: Option<u64> =
        conn.query_first("SELECT COUNT(*) FROM prestashop_push WHERE envoye_at IS NULL")?;
    sent.en_attente = waiting.unwrap_or(0);
    Ok(sent)
}

/// Claims row `id` (so a cron run and a request never send it twice),
/// sends it and records the outcome; None when another sender has it.
fn send_one(
    conn: &mut Conn,
    shop: &Shop,
    settings: &Settings,
    id: u64,
) -> Result<Option<std::result::Result<(), Failure>>> {
    conn.exec_drop(
        r"UPDATE prestashop_push SET prochain_essai_at = NOW() + INTERVAL 5 MINUTE
          WHERE id = ? AND envoye_at IS NULL AND prochain_essai_at <= NOW()",
        (id,),
    )?;
    if conn.affected_rows() != 1 {
        return Ok(None);
    }
    let row: Option<(u64, String, Option<String>)> = conn.exec_first(
        "SELECT presta_order_id, type, tracking FROM prestashop_push WHERE id = ?",
        (id,),
    )?;
    let Some((order, kind, tracking)) = row else {
        return Ok(None);
    };
    let state = match kind.as_str() {
        "gravure" => Some(settings.statut_gravure_id),
        "expedition" => Some(settings.statut_expedition_id),
        _ => None,
    };
    let outcome = match state {
        Some(state) => push_state(conn, shop, order, state),
        None => push_tracking(conn, shop, order, tracking.as_deref().unwrap_or("")),
    };
    match &outcome {
        Ok(()) => conn.exec_drop(
            r"UPDATE prestashop_push SET envoye_at = NOW(), tentatives = tentatives + 1,
                derniere_erreur = NULL, id_order_state = ? WHERE id = ?",
            (state, id),
        )?,
        // Not an attempt: no call was made. Due again at once.
        Err(Failure::BreakerOpen(_)) => conn.exec_drop(
            "UPDATE prestashop_push SET prochain_essai_at = NOW() WHERE id = ?",
            (id,),
        )?,
        Err(f) => conn.exec_drop(
            r"UPDATE prestashop_push SET tentatives = tentatives + 1, derniere_erreur = ?,
                prochain_essai_at = NOW() + INTERVAL LEAST(POW(2, tentatives), ?) MINUTE
              WHERE id = ?",
            (f.french(), MAX_DELAY_MIN, id),
        )?,
    }
    Ok(Some(outcome))
}

/// `POST /api/order_histories?sendemail=1`: the order takes `state`, and the
/// shop sends the state's e-mail to its customer.
fn push_state(
    conn: &mut Conn,
    shop: &Shop,
    order: u64,
    state: u64,
) -> std::result::Result<(), Failure> {
    let xml = format!(
        "<prestashop><order_history><id_order>{order}</id_order><id_order_state>{state}</id_order_state></order_history></prestashop>"
    );
    shop.ws_write(
        conn,
        "POST",
        "order_histories",
        &[("sendemail", "1".into())],
        &xml,
    )
    .map(|_| ())
}

/// The tracking number on the order's carrier row (found by `id_order`),
/// with a partial `PATCH`.
fn push_tracking(
    conn: &mut Conn,
    shop: &Shop,
    order: u64,
    tracking: &str,
) -> std::result::Result<(), Failure> {
    let answer = shop.ws_get(
        conn,
        "order_carriers",
        &[
            ("filter[id_order]", format!("[{order}]")),
            ("display", "full".into()),
        ],
    )?;
    let carrier = list_of(&answer, "order_carriers")
        .first()
        .and_then(|c| int(&c["id"]))
        .ok_or_else(|| {
            Failure::BadAnswer(format!("aucun transporteur pour la commande {order}"))
        })?;
    let xml = format!(
        "<prestashop><order_carrier><id>{carrier}</id><tracking_number>{}</tracking_number></order_carrier></prestashop>",
        xml_escape(tracking)
    );
    shop.ws_write(
        conn,
        "PATCH",
        &format!("order_carriers/{carrier}"),
        &[],
        &xml,
    )
    .map(|_| ())
}
