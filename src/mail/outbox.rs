//! The mail outbox (`mail_outbox`): every e-mail is one row, written in the
//! transaction of the change that causes it, then sent.
//!
//! - [`enqueue`] writes the row (inside the caller's transaction: a rolled
//!   back change leaves no mail, a committed one always has its mail);
//! - [`send_after_commit`] also registers the job that sends it once the
//!   request is committed, so the user gets it within seconds;
//! - [`retry_due`] is the hourly cron task: it sends what failed, each row at
//!   its `next_attempt_at`, with a delay that grows at each failure.
//!
//! A sender first *claims* its row with one conditional UPDATE that pushes
//! `next_attempt_at` forward (a lease): the after-commit job and a cron run
//! that overlap never send the same mail twice, and a process that dies in
//! the middle of a send leaves a row the cron picks up after the lease.

use super::{send, Mail};
use crate::applog::app_log;
use crate::config::Config;
use crate::error::Result;
use crate::http::Ctx;
use mysql::prelude::Queryable;
use mysql::Conn;

/// Sends of one mail before the outbox gives up (the row stays, unsent).
pub const MAX_ATTEMPTS: u32 = 8;
/// How long a claimed row is reserved for the sender that claimed it.
const LEASE_MINUTES: u32 = 15;
/// Rows one cron run sends at most (the rest waits for the next run).
const BATCH: u32 = 200;

/// Writes `mail` to the outbox on `conn` (the caller's transaction); returns
/// the row id. Nothing is sent yet.
pub fn enqueue(conn: &mut Conn, mail: &Mail) -> Result<u64> {
    conn.exec_drop(
        r"INSERT INTO mail_outbox (kind, recipient, subject, body_text, body_html, next_attempt_at)
          VALUES (?, ?, ?, ?, ?, NOW())",
        (mail.kind, &mail.to, &mail.subject, &mail.text, &mail.html),
    )?;
    Ok(conn.last_insert_id())
}

/// Enqueues `mail` in the request's transaction and sends it once the
/// request is committed. A failed send never fails the request: the row
/// records the error and the cron sends it again.
pub fn send_after_commit(ctx: &mut Ctx, mail: &Mail) -> Result<u64> {
    let id = enqueue(ctx.tx()?, mail)?;
    ctx.after_commit(move |config, conn| deliver(config, conn, id).map(|_| ()));
    Ok(id)
}

/// What became of one delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Handed to the SMTP server.
    Sent,
    /// The SMTP server refused or could not be reached; retried later.
    Failed,
    /// Another sender holds the row, it was sent already, or it gave up.
    NotDue,
}

/// Claims row `id` if it is due and sends it, recording the outcome.
pub fn deliver(config: &Config, conn: &mut Conn, id: u64) -> Result<Delivery> {
    type Row = (String, String, String, String, String, u32);
    // The SMTP settings of the console apply to the next mail sent (read
    // before the row is claimed: a claimed row is always sent or recorded).
    let config = &crate::api::settings::overlay(config, conn)?;
    conn.exec_drop(
        r"UPDATE mail_outbox
             SET attempts = attempts + 1, next_attempt_at = NOW() + INTERVAL ? MINUTE
           WHERE id = ? AND sent_at IS NULL AND next_attempt_at <= NOW() AND attempts < ?",
        (LEASE_MINUTES, id, MAX_ATTEMPTS),
    )?;
    if conn.affected_rows() != 1 {
        return Ok(Delivery::NotDue);
    }
    let Some((kind, to, subject, text, html, attempts)) = conn.exec_first::<Row, _, _>(
        "SELECT kind, recipient, subject, body_text, body_html, attempts FROM mail_outbox WHERE id = ?",
        (id,),
    )?
    else {
        return Ok(Delivery::NotDue);
    };
    let mail = Mail {
        kind: "outbox",
        to,
        subject,
        text,
        html,
    };
    match send(config, &mail) {
        Ok(()) => {
            conn.exec_drop("UPDATE mail_outbox SET sent_at = NOW() WHERE id = ?", (id,))?;
            Ok(Delivery::Sent)
        }
        Err(e) => {
            let error: String = e.log_line().chars().take(1000).collect();
            app_log(
                config,
                "ERROR",
                &format!(
                    "mail {id} ({kind}) to {} failed (attempt {attempts}): {error}",
                    mail.to
                ),
            );
            conn.exec_drop(
                r"UPDATE mail_outbox SET last_error = ?, next_attempt_at = NOW() + INTERVAL ? MINUTE
                  WHERE id = ?",
                (error, retry_delay_minutes(attempts), id),
            )?;
            Ok(Delivery::Failed)
        }
    }
}

/// Minutes before attempt `attempts + 1`: 5, 20, 80, 320 then daily.
#[must_use]
pub fn retry_delay_minutes(attempts: u32) -> u32 {
    let exp = attempts.saturating_sub(1).min(8);
    5u32.saturating_mul(4u32.saturating_pow(exp)).min(24 * 60)
}

/// The hourly task: sends every due mail of the outbox; the summary counts
/// what was sent, what failed again and what is waiting for a later run.
pub fn retry_due(config: &Config, conn: &mut Conn) -> Result<String> {
    let due: Vec<u64> = conn.exec(
        r"SELECT id FROM mail_outbox
           WHERE sent_at IS NULL AND next_attempt_at <= NOW() AND attempts < ?
           ORDER BY id LIMIT ?",
        (MAX_ATTEMPTS, BATCH),
    )?;
    let (mut sent, mut failed) = (0, 0);
    for id in due {
        match deliver(config, conn, id)? {
            Delivery::Sent => sent += 1,
            Delivery::Failed => failed += 1,
            Delivery::NotDue => {}
        }
    }
    let waiting: Option<u64> = conn.exec_first(
        r"SELECT COUNT(*) FROM mail_outbox
           WHERE sent_at IS NULL AND next_attempt_at > NOW() AND attempts < ?",
        (MAX_ATTEMPTS,),
    )?;
    let given_up: Option<u64> = conn.exec_first(
        "SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL AND attempts >= ?",
        (MAX_ATTEMPTS,),
    )?;
    Ok(format!(
        "{sent} sent, {failed} failed, {} waiting, {} given up",
        waiting.unwrap_or(0),
        given_up.unwrap_or(0)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_grows_then_stays_daily() {
        let delays: Vec<u32> = (1..=MAX_ATTEMPTS).map(retry_delay_minutes).collect();
        assert_eq!(delays, vec![5, 20, 80, 320, 1280, 1440, 1440, 1440]);
        assert_eq!(retry_delay_minutes(0), 5);
        assert_eq!(retry_delay_minutes(u32::MAX), 1440);
    }
}
