//! CSV downloads for spreadsheet users (audit logs, lots): UTF-8 with a BOM so
//! Excel detects the encoding, `;` as separator as French Excel expects, and
//! RFC 4180 quoting. Cells never carry control, bidi or zero-width
//! characters ([`crate::text::is_invisible`]): they are dropped.

use crate::http::Response;

/// A CSV file download built from a header row and data rows.
#[must_use]
pub fn csv_response(filename: &str, header: &[&str], rows: &[Vec<String>]) -> Response {
    Response::file("text/csv; charset=utf-8", filename, csv_bytes(header, rows))
}

/// The CSV text (BOM, `;`, CRLF) of a header row and data rows, for files
/// that are not a direct download (ZIP entries of the RGPD export).
pub fn csv_bytes(header: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    push_row(&mut out, header.iter().copied());
    for row in rows {
        push_row(&mut out, row.iter().map(String::as_str));
    }
    out.into_bytes()
}

fn push_row<'a>(out: &mut String, cells: impl Iterator<Item = &'a str>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(&escape(cell));
    }
    out.push_str("\r\n");
}

/// Quotes a cell when it holds a separator, a quote or a line break; a cell
/// starting with `=`, `+`, `-` or `@` is prefixed with `'` so a spreadsheet
/// never runs it as a formula (CSV injection).
#[must_use]
pub fn escape(cell: &str) -> String {
    let cell = crate::text::strip_invisible(cell);
    let cell = if cell.starts_with(['=', '+', '-', '@']) && cell.parse::<f64>().is_err() {
        format!("'{cell}")
    } else {
        cell.to_string()
    };
    if cell.contains([';', '"', '\n', '\r', ',']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_separator_and_quoting() {
        let r = csv_response(
            "x.csv",
            &["numero", "nom"],
            &[vec!["MKO-1".into(), "D'Arc; \"Jeanne\"".into()]],
        );
        let text = String::from_utf8(r.body).unwrap();
        assert!(text.starts_with('\u{feff}'));
        assert_eq!(
            text.trim_start_matches('\u{feff}'),
            "numero;nom\r\nMKO-1;\"D'Arc; \"\"Jeanne\"\"\"\r\n"
        );
        assert!(r
            .headers
            .iter()
            .any(|(k, v)| k == "Content-Type" && v.starts_with("text/csv")));
    }

    #[test]
    fn formulas_are_neutralised_numbers_are_not() {
        assert_eq!(escape("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(escape("-12.5"), "-12.5");
        assert_eq!(escape("@SUM(A1)"), "'@SUM(A1)");
    }
}
