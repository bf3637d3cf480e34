//! Free text from requests, and text that ends up engraved on a medal or
//! in a spreadsheet.
//!
//! An optional free text (a comment, a reason, a title) is trimmed, blank
//! counts as absent, and one over its length is refused ([`bounded`]).
//!
//! Issue 13 item 10: a B2B client name with BEL, ESC or a right-to-left
//! override reached the lot CSV raw. A laser cannot draw an invisible
//! character, a spreadsheet may act on one, and a bidi override makes the
//! text read differently from what is stored. So every engraved value (an
//! athlete's name, a B2B name, a name to engrave) is refused when it holds
//! one, with a French message naming the field, and the CSV writer drops any
//! that an older row still carries.
//!
//! Templates (e-mails, engraving files, shipping labels) mark a value with
//! `{{name}}`: [`fill_markers`] replaces the markers, [`markers`] lists them.

use crate::error::{Error, Result};
use std::borrow::Cow;

/// An optional free text of a request, trimmed: blank is absent; one longer
/// than `max` characters is refused with `too_long` (422).
pub fn bounded(
    text: Option<&str>,
    max: usize,
    too_long: impl Into<Cow<'static, str>>,
) -> Result<Option<&str>> {
    let text = text.map(str::trim).filter(|t| !t.is_empty());
    if text.is_some_and(|t| t.chars().count() > max) {
        return Err(Error::invalid(too_long));
    }
    Ok(text)
}

/// Whether `c` is a character no engraving and no CSV cell should carry:
/// control characters (C0, DEL, C1; tab and line breaks included), the
/// bidirectional marks, embeddings, overrides and isolates, the zero-width
/// characters and the byte-order mark, and the line/paragraph separators.
#[must_use]
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'              // ARABIC LETTER MARK
            | '\u{180E}'            // MONGOLIAN VOWEL SEPARATOR
            | '\u{200B}'..='\u{200F}' // zero-width space/joiners, LRM, RLM
            | '\u{2028}'..='\u{202E}' // separators, LRE, RLE, PDF, LRO, RLO
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // LRI, RLI, FSI, PDI
            | '\u{FEFF}'            // zero-width no-break space (BOM)
        )
}

/// Refuses a value to engrave that holds an invisible character (422).
pub fn check_engravable(text: &str, field: &str) -> Result<()> {
    if text.chars().any(is_invisible) {
        return Err(Error::invalid(format!(
            "Le champ « {field} » contient un caractère invisible ou de contrôle \
             (tabulation, retour à la ligne, caractère de direction ou de largeur nulle) : \
             il ne peut pas être gravé."
        )));
    }
    Ok(())
}

/// `text` without its invisible characters (borrowed when it has none).
pub fn strip_invisible(text: &str) -> Cow<'_, str> {
    if text.chars().any(is_invisible) {
        Cow::Owned(text.chars().filter(|c| !is_invisible(*c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// Escapes text for HTML content and attribute values.
#[must_use]
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A piece of a `{{name}}` template: text, or a marker (`raw` with its
/// braces, `name` trimmed).
enum Piece<'a> {
    Text(&'a str),
    Marker { raw: &'a str, name: &'a str },
}

/// `template` cut into its pieces, in order; an unclosed `{{` is text.
fn pieces(template: &str) -> impl Iterator<Item = Piece<'_>> {
    let mut rest = template;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (piece, len) = match first_marker(rest) {
            Some((0, end)) => {
                let raw = &rest[..end];
                let name = raw[2..end - 2].trim();
                (Piece::Marker { raw, name }, end)
            }
            Some((start, _)) => (Piece::Text(&rest[..start]), start),
            None => (Piece::Text(rest), rest.len()),
        };
        rest = &rest[len..];
        Some(piece)
    })
}

/// Where the first `{{…}}` of `s` starts, and where it ends (past `}}`).
fn first_marker(s: &str) -> Option<(usize, usize)> {
    let start = s.find("{{")?;
    let end = start + 2 + s[start + 2..].find("}}")? + 2;
    Some((start, end))
}

/// Fills a `{{name}}` template: `value` writes the value of the marker it
/// is given into the output and says whether it knew the name. A marker it
/// does not know stays as written, so a template mistake shows in what the
/// template produces instead of vanishing.
#[must_use]
pub fn fill_markers(template: &str, mut value: impl FnMut(&str, &mut String) -> bool) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    for piece in pieces(template) {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Marker { raw, name } => {
                if !value(name, &mut out) {
                    out.push_str(raw);
                }
            }
        }
    }
    out
}

/// The names of the `{{name}}` markers of `template`, trimmed, in order.
#[must_use]
pub fn markers(template: &str) -> Vec<&str> {
    pieces(template)
        .filter_map(|piece| match piece {
            Piece::Marker { name, .. } => Some(name),
            Piece::Text(_) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_texts_are_trimmed_and_bounded() {
        assert_eq!(bounded(Some("  ok  "), 2, "trop long").unwrap(), Some("ok"));
        assert_eq!(bounded(Some("   "), 2, "trop long").unwrap(), None);
        assert_eq!(bounded(None, 2, "trop long").unwrap(), None);
        let err = bounded(Some("abc"), 2, "trop long").unwrap_err();
        assert_eq!((err.status(), err.message()), (422, "trop long"));
    }

    #[test]
    fn names_people_write_are_accepted() {
        for ok in [
            "Éloïse",
            "Jean-Pierre d'Arc",
            "O’Brien",
            "Zoë Müller",
            "Ville de Lyon",
            "ŁÓDŹ",
        ] {
            assert!(check_engravable(ok, "nom").is_ok(), "{ok}");
        }
    }

    #[test]
    fn control_bidi_and_zero_width_are_refused() {
        for bad in [
            "Mairie\u{7}",
            "\u{1b}[31mRouge",
            "Tab\tulation",
            "Deux\nlignes",
            "abc\u{202E}fed",
            "x\u{2067}y\u{2069}",
            "zéro\u{200B}largeur",
            "\u{feff}BOM",
            "C1\u{85}",
            "sép\u{2028}aration",
        ] {
            let e = check_engravable(bad, "nom à graver").unwrap_err();
            assert_eq!(e.status(), 422, "{bad:?}");
            assert!(e.message().contains("« nom à graver »"));
        }
    }

    #[test]
    fn stripping_keeps_the_visible_text() {
        assert_eq!(
            strip_invisible("Mai\u{7}rie\u{202E} de Lyon"),
            "Mairie de Lyon"
        );
        assert!(matches!(strip_invisible("Lyon"), Cow::Borrowed(_)));
    }

    #[test]
    fn templates_fill_known_markers_and_keep_the_rest() {
        let fill = |template| {
            fill_markers(template, |name, out| {
                name == "nom" && {
                    out.push_str("Zoé");
                    true
                }
            })
        };
        assert_eq!(fill("Bravo {{nom}} !"), "Bravo Zoé !");
        assert_eq!(fill("{{ nom }}{{nom}}"), "ZoéZoé");
        assert_eq!(fill("{{autre}} {{}} {{nom"), "{{autre}} {{}} {{nom");
        assert_eq!(fill("}} {{{nom}}}"), "}} {{{nom}}}");
        assert_eq!(fill(""), "");
        assert_eq!(markers("a {{col}} b {{ jours }} {{"), ["col", "jours"]);
        assert_eq!(markers("{{{nom}}}"), ["{nom"]);
    }

    #[test]
    fn html_is_escaped_in_content_and_attributes() {
        assert_eq!(
            html_escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
