//! Outgoing e-mail: French templates ([`templates`]), the outbox that records
//! and retries every send ([`outbox`]), and the SMTP transport (lettre,
//! synchronous) below.
//!
//! A mail is never sent from inside a request's transaction: the request
//! writes one `mail_outbox` row in its transaction ([`outbox::enqueue`]), and
//! an after-commit job sends it ([`outbox::send_after_commit`]). When SMTP
//! fails the request still succeeds; the row keeps the error and the hourly
//! cron ([`outbox::retry_due`]) sends it again with a growing delay.

pub mod outbox;
pub mod templates;

pub use templates::Mail;

use crate::applog::app_log;
use crate::config::{Config, SmtpTls};
use crate::error::{Error, Result};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};
use std::time::Duration;

/// Sends one mail now (text and HTML alternatives); without `SMTP_HOST` the
/// message is only logged, so a development machine needs no mail server.
/// Callers go through [`outbox`], which records the outcome.
pub fn send(config: &Config, mail: &Mail) -> Result<()> {
    if config.smtp.host.is_empty() {
        app_log(
            config,
            "INFO",
            &format!(
                "mail not sent (no SMTP_HOST): to={} subject={}",
                mail.to, mail.subject
            ),
        );
        return Ok(());
    }
    let from: Mailbox = format!("MyKollector <{}>", config.smtp.from)
        .parse()
        .map_err(|e| Error::internal(format!("SMTP_FROM invalid: {e}")))?;
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|_| Error::invalid("Adresse email invalide."))?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.as_str())
        .multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            mail.html.clone(),
        ))
        .map_err(Error::internal)?;
    transport(config)?.send(&message).map(|_| ()).map_err(|e| {
        Error::new(
            502,
            "mail_failed",
            "L'email n'a pas pu être envoyé. Merci de réessayer plus tard.",
        )
        .with_detail(e)
    })
}

fn transport(config: &Config) -> Result<SmtpTransport> {
    let smtp = &config.smtp;
    let tls = match smtp.tls {
        SmtpTls::None => Tls::None,
        SmtpTls::StartTls => {
            Tls::Required(TlsParameters::new(smtp.host.clone()).map_err(Error::internal)?)
        }
        SmtpTls::Tls => {
            Tls::Wrapper(TlsParameters::new(smtp.host.clone()).map_err(Error::internal)?)
        }
    };
    let mut builder = SmtpTransport::builder_dangerous(&smtp.host)
        .port(smtp.port)
        .tls(tls)
        .timeout(Some(Duration::from_secs(10)));
    if let (Some(user), Some(pass)) = (&smtp.user, &smtp.pass) {
        builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
    }
    Ok(builder.build())
}
