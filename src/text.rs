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
}
