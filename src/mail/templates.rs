//! The French texts of every e-mail the product sends, as templates compiled
//! into the binary (`templates/*.txt` and `*.html`): each message has a plain
//! text body and an HTML body, the HTML one framed by `layout.html`.
//!
//! A template marks a value with `{{name}}`. [`fill`] replaces the markers;
//! values are HTML-escaped in HTML bodies, so a first name or an activity
//! title can never inject markup. Each public function builds one [`Mail`]:
//! the caller only hands values over.

use crate::text::{self, html_escape};
use std::fmt::Write as _;

/// One e-mail, ready for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// What the mail is, for the outbox and the logs (`password_reset`…).
    pub kind: &'static str,
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body (the whole document).
    pub html: String,
}

const LAYOUT: &str = include_str!("templates/layout.html");

/// Replaces every `{{name}}` of `template` with its value in `vars`; in HTML
/// (`escape`), values are escaped. A marker without a value is left as it is,
/// so a mistake shows in the mail rather than silently vanishing.
#[must_use]
pub fn fill(template: &str, vars: &[(&str, &str)], escape: bool) -> String {
    text::fill_markers(template, |name, out| {
        let Some((_, value)) = vars.iter().find(|(n, _)| *n == name) else {
            return false;
        };
        if escape {
            out.push_str(&html_escape(value));
        } else {
            out.push_str(value);
        }
        true
    })
}

/// Builds a mail from a text template and an HTML fragment template.
fn build(
    kind: &'static str,
    to: &str,
    subject: String,
    (text, html): (&str, &str),
    vars: &[(&str, &str)],
) -> Mail {
    let body = fill(html, vars, true);
    Mail {
        kind,
        to: to.to_string(),
        html: fill(
            LAYOUT,
            &[("sujet", &html_escape(&subject)), ("contenu", &body)],
            false,
        ),
        subject,
        text: fill(text, vars, false),
    }
}

/// The password-reset link (valid one hour, single use).
#[must_use]
pub fn password_reset(app_url: &str, to: &str, prenom: &str, token: &str) -> Mail {
    let lien = format!("{app_url}/reset-password.html?token={token}");
    build(
        "password_reset",
        to,
        "Réinitialisation de votre mot de passe MyKollector".into(),
        (
            include_str!("templates/password_reset.txt"),
            include_str!("templates/password_reset.html"),
        ),
        &[("prenom", prenom), ("lien", &lien)],
    )
}

/// The one-time sign-in link of an athlete signing in through the shop
/// (DECISIONS.md, spec 7.5). `validite` is the French duration, e.g.
/// `15 minutes`.
#[must_use]
pub fn signin_link(to: &str, prenom: &str, lien: &str, validite: &str) -> Mail {
    build(
        "signin_link",
        to,
        "Votre lien de connexion MyKollector".into(),
        (
            include_str!("templates/signin_link.txt"),
            include_str!("templates/signin_link.html"),
        ),
        &[("prenom", prenom), ("lien", lien), ("validite", validite)],
    )
}

/// A short notice whose text is written by the caller (one paragraph per
/// blank-line-separated block), in the common layout.
#[must_use]
pub fn notice(kind: &'static str, to: &str, subject: &str, text: &str) -> Mail {
    let html = text.split("\n\n").fold(String::new(), |mut html, p| {
        let _ = write!(html, "<p>{}</p>", html_escape(p).replace('\n', "<br>"));
        html
    });
    Mail {
        kind,
        to: to.to_string(),
        html: fill(
            LAYOUT,
            &[("sujet", &html_escape(subject)), ("contenu", &html)],
            false,
        ),
        subject: subject.to_string(),
        text: text.to_string(),
    }
}

/// Tells the athlete the medal is on its way, with the tracking number.
#[must_use]
pub fn shipped(
    to: &str,
    prenom: &str,
    numero: &str,
    transporteur: Option<&str>,
    tracking: &str,
) -> Mail {
    let carrier = transporteur.map(|t| format!(" ({t})")).unwrap_or_default();
    build(
        "shipped",
        to,
        format!("Votre médaille MyKollector est en route — {numero}"),
        (
            include_str!("templates/shipped.txt"),
            include_str!("templates/shipped.html"),
        ),
        &[
            ("prenom", prenom),
            ("numero", numero),
            ("transporteur", &carrier),
            ("suivi", tracking),
        ],
    )
}

/// What a Strava detection found, for [`strava_detection`].
pub struct Detection<'a> {
    /// The course's name.
    pub col: &'a str,
    /// The Strava activity's title.
    pub activite: &'a str,
    /// The duration, formatted the French way.
    pub chrono: &'a str,
    /// Whether the chrono was validated at once (score above the threshold).
    pub valide: bool,
}

/// Tells the athlete a course was found in one of their Strava activities.
#[must_use]
pub fn strava_detection(app_url: &str, to: &str, prenom: &str, d: &Detection) -> Mail {
    let lien = format!("{app_url}/chrono/");
    let statut = if d.valide {
        " et validé"
    } else {
        " : il attend la validation d'un administrateur"
    };
    build(
        "strava_detection",
        to,
        format!("{} détecté dans votre activité Strava", d.col),
        (
            include_str!("templates/strava_detection.txt"),
            include_str!("templates/strava_detection.html"),
        ),
        &[
            ("prenom", prenom),
            ("col", d.col),
            ("activite", d.activite),
            ("chrono", d.chrono),
            ("statut", statut),
            ("lien", &lien),
        ],
    )
}

/// A reminder (spec 10.3) from a threshold's own subject and text, written by
/// the super admin: the text body is the filled text, the HTML body the same
/// text escaped, one paragraph per blank-line-separated block.
pub fn reminder(to: &str, subject: &str, message: &str, vars: &[(&str, &str)]) -> Mail {
    let subject = fill(subject, vars, false);
    let text = fill(message, vars, false);
    let paragraphs: String = text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .fold(String::new(), |mut html, p| {
            let _ = writeln!(html, "<p>{}</p>", html_escape(p).replace('\n', "<br>\n"));
            html
        });
    Mail {
        kind: "reminder",
        to: to.to_string(),
        html: fill(
            LAYOUT,
            &[("sujet", &html_escape(&subject)), ("contenu", &paragraphs)],
            false,
        ),
        subject,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_in_html_only() {
        let vars = [("prenom", "<b>Zoé</b> & Cie")];
        assert_eq!(
            fill("Bonjour {{prenom}} !", &vars, true),
            "Bonjour &lt;b&gt;Zoé&lt;/b&gt; &amp; Cie !"
        );
        assert_eq!(
            fill("Bonjour {{ prenom }} !", &vars, false),
            "Bonjour <b>Zoé</b> & Cie !"
        );
        assert_eq!(fill("{{inconnu}} {{x", &vars, true), "{{inconnu}} {{x");
    }

    #[test]
    fn every_template_has_all_its_values() {
        let mails = [
            password_reset("https://mk.test", "a@b.fr", "Zoé", "tok"),
            signin_link("a@b.fr", "Zoé", "https://mk.test/l", "15 minutes"),
            shipped("a@b.fr", "Zoé", "MKO-1", Some("Colissimo"), "6A123"),
            strava_detection(
                "https://mk.test",
                "a@b.fr",
                "Zoé",
                &Detection {
                    col: "Ventoux",
                    activite: "Sortie <matin>",
                    chrono: "1 h 02 min",
                    valide: true,
                },
            ),
            reminder(
                "a@b.fr",
                "{{col}}",
                "Bonjour {{prenom}}\n\nil y a {{jours}} jours",
                &[("prenom", "Zoé"), ("col", "Izoard"), ("jours", "3")],
            ),
        ];
        for m in &mails {
            assert!(!m.text.contains("{{"), "{}: {}", m.kind, m.text);
            assert!(!m.html.contains("{{"), "{}: {}", m.kind, m.html);
            assert!(m.html.starts_with("<!DOCTYPE html>"), "{}", m.kind);
            assert!(m.text.contains("Zoé"), "{}", m.kind);
        }
        assert!(mails[3].html.contains("Sortie &lt;matin&gt;"));
        assert!(mails[2].text.contains("expédiée (Colissimo)"));
    }
}
