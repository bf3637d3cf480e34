//! Outgoing email over SMTP (lettre, synchronous), one `send_*` function per
//! message so the French texts live in one place.
//!
//! Mail is sent after the request's data is committed; a failure is logged
//! and reported to the caller, which decides whether the user must know.

use crate::applog::app_log;
use crate::config::{Config, SmtpTls};
use crate::error::{Error, Result};
use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};
use std::time::Duration;

/// One plain-text email.
pub struct Email<'a> {
    /// Recipient address.
    pub to: &'a str,
    /// Subject line.
    pub subject: &'a str,
    /// Plain-text body.
    pub body: String,
}

/// Sends one email; without `SMTP_HOST` the message is only logged, so a
/// development machine needs no mail server.
pub fn send(config: &Config, email: &Email) -> Result<()> {
    if config.smtp.host.is_empty() {
        app_log(
            config,
            "INFO",
            &format!(
                "mail not sent (no SMTP_HOST): to={} subject={}",
                email.to, email.subject
            ),
        );
        return Ok(());
    }
    let from: Mailbox = format!("MyKollector <{}>", config.smtp.from)
        .parse()
        .map_err(|e| Error::internal(format!("SMTP_FROM invalid: {e}")))?;
    let to: Mailbox = email
        .to
        .parse()
        .map_err(|_| Error::invalid("Adresse email invalide."))?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(email.subject)
        .header(ContentType::TEXT_PLAIN)
        .body(email.body.clone())
        .map_err(Error::internal)?;
    let result = transport(config)?.send(&message);
    if let Err(e) = &result {
        app_log(
            config,
            "ERROR",
            &format!("mail to {} failed: {e}", email.to),
        );
    }
    result.map(|_| ()).map_err(|e| {
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

/// The password-reset link (valid one hour, single use).
pub fn send_password_reset(config: &Config, to: &str, prenom: &str, token: &str) -> Result<()> {
    let link = format!("{}/reset-password.html?token={token}", config.app_url);
    send(
        config,
        &Email {
            to,
            subject: "Réinitialisation de votre mot de passe MyKollector",
            body: format!(
                "Bonjour {prenom},\n\n\
                 Vous avez demandé à réinitialiser votre mot de passe MyKollector.\n\
                 Ce lien est valable une heure et ne peut servir qu'une fois :\n\n{link}\n\n\
                 Si vous n'êtes pas à l'origine de cette demande, ignorez cet email : \
                 votre mot de passe reste inchangé.\n\n\
                 L'équipe MyKollector"
            ),
        },
    )
}

/// Tells the athlete the medal is on its way.
pub fn send_shipped(
    config: &Config,
    to: &str,
    prenom: &str,
    numero: &str,
    transporteur: Option<&str>,
    tracking: &str,
) -> Result<()> {
    let carrier = transporteur.map(|t| format!(" ({t})")).unwrap_or_default();
    send(
        config,
        &Email {
            to,
            subject: &format!("Votre médaille MyKollector est en route — {numero}"),
            body: format!(
                "Bonjour {prenom},\n\n\
                 Bonne nouvelle : votre médaille gravée (commande {numero}) vient d'être expédiée{carrier}.\n\
                 Numéro de suivi : {tracking}\n\n\
                 Elle a gravi le col avec vous, elle arrive bientôt chez vous.\n\n\
                 L'équipe MyKollector"
            ),
        },
    )
}

/// Emails the athlete of order `commande_id` that it shipped, if the order
/// has an athlete with an address (B2B orders have none). Meant to run after
/// commit (`Ctx::after_commit`).
pub fn notify_shipped(config: &Config, conn: &mut mysql::Conn, commande_id: u64) -> Result<()> {
    use mysql::prelude::Queryable;
    let row: Option<(
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    )> = conn.exec_first(
        r"SELECT c.numero, COALESCE(u.email, c.email_client), u.prenom, c.transporteur, c.tracking
          FROM commandes c LEFT JOIN users u ON u.id = c.user_id WHERE c.id = ?",
        (commande_id,),
    )?;
    match row {
        Some((numero, Some(email), prenom, transporteur, Some(tracking))) => send_shipped(
            config,
            &email,
            prenom.as_deref().unwrap_or(""),
            &numero,
            transporteur.as_deref(),
            &tracking,
        ),
        _ => Ok(()),
    }
}
