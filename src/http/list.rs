//! What every list route shares: `page`/`per_page` from the query string, the
//! `{items, total, page, per_page}` answer, numeric and date query parameters
//! (dates strictly checked against the calendar), literal text search with
//! `LIKE`, and the WHERE-clause builder [`Where`].

use crate::error::{Error, Result};
use crate::http::Request;
use mysql::prelude::Queryable;
use serde::Serialize;
use serde_json::{json, Value};

/// Default page size.
pub const PER_PAGE_DEFAULT: u64 = 50;
/// Largest page size.
pub const PER_PAGE_MAX: u64 = 200;
/// Largest page number (a bound, so offsets never overflow).
const PAGE_MAX: u64 = 1_000_000;

/// The page a list request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// 1-based page number.
    pub page: u64,
    /// Items per page.
    pub per_page: u64,
}

impl Page {
    /// Reads `page` (default 1) and `per_page` (default 50, at most 200);
    /// anything else is a 422 naming the parameter.
    pub fn from_query(req: &Request) -> Result<Page> {
        let page = query_u64(req, "page")?.unwrap_or(1);
        let per_page = query_u64(req, "per_page")?.unwrap_or(PER_PAGE_DEFAULT);
        if !(1..=PAGE_MAX).contains(&page) {
            return Err(Error::invalid(
                "Le numéro de page doit être un entier positif.",
            ));
        }
        if !(1..=PER_PAGE_MAX).contains(&per_page) {
            return Err(Error::invalid(format!(
                "per_page doit être compris entre 1 et {PER_PAGE_MAX}."
            )));
        }
        Ok(Page { page, per_page })
    }

    /// Rows to skip.
    #[must_use]
    pub fn offset(self) -> u64 {
        (self.page - 1) * self.per_page
    }

    /// The list answer: `{items, total, page, per_page}`.
    pub fn wrap<T: Serialize>(self, items: T, total: u64) -> Value {
        json!({ "items": items, "total": total, "page": self.page, "per_page": self.per_page })
    }
}

/// A non-negative integer query parameter: absent or empty → `None`, anything
/// but digits → 422 naming the parameter.
pub fn query_u64(req: &Request, key: &str) -> Result<Option<u64>> {
    match req.query_param(key) {
        None => Ok(None),
        Some(v) => v.trim().parse::<u64>().map(Some).map_err(|_| {
            Error::invalid(format!(
                "Le paramètre {key} doit être un nombre entier positif."
            ))
        }),
    }
}

/// A `YYYY-MM-DD` query parameter (a real calendar day), else 422.
pub fn query_date(req: &Request, key: &str) -> Result<Option<String>> {
    match req.query_param(key) {
        None => Ok(None),
        Some(v) if crate::time::is_calendar_date(v.trim()) => Ok(Some(v.trim().to_string())),
        Some(_) => Err(Error::invalid(format!(
            "Le paramètre {key} doit être une date au format AAAA-MM-JJ."
        ))),
    }
}

/// A list filter built from fixed SQL fragments, each with its bound values:
/// the fragments are `&'static str`, so request text never reaches the SQL
/// text; it only ever travels as bound parameters.
#[derive(Debug, Default)]
pub struct Where {
    clauses: Vec<std::borrow::Cow<'static, str>>,
    params: Vec<mysql::Value>,
}

impl Where {
    /// An empty filter.
    #[must_use]
    pub fn new() -> Where {
        Where::default()
    }

    /// Adds `clause` (one `?` per value) joined by AND.
    pub fn and(
        &mut self,
        clause: &'static str,
        values: impl IntoIterator<Item = mysql::Value>,
    ) -> &mut Self {
        self.clauses.push(clause.into());
        self.params.extend(values);
        self
    }

    /// Adds `column IN (?, ?, …)`, one placeholder per value; an empty list
    /// matches nothing.
    pub fn and_in(
        &mut self,
        column: &'static str,
        values: impl IntoIterator<Item = mysql::Value>,
    ) -> &mut Self {
        let before = self.params.len();
        self.params.extend(values);
        let n = self.params.len() - before;
        self.clauses.push(if n == 0 {
            "1 = 0".into()
        } else {
            format!("{column} IN ({})", vec!["?"; n].join(", ")).into()
        });
        self
    }

    /// Adds `clause` (with one `?`) bound to `value`.
    pub fn bind(&mut self, clause: &'static str, value: impl Into<mysql::Value>) -> &mut Self {
        self.and(clause, [value.into()])
    }

    /// Adds `clause` bound to `value` when there is one.
    pub fn bind_opt<T: Into<mysql::Value>>(
        &mut self,
        clause: &'static str,
        value: Option<T>,
    ) -> &mut Self {
        if let Some(v) = value {
            self.bind(clause, v);
        }
        self
    }

    /// Adds a clause without parameter.
    pub fn fixed(&mut self, clause: &'static str) -> &mut Self {
        self.and(clause, [])
    }

    /// ` WHERE a AND b`, or nothing.
    #[must_use]
    pub fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    /// The bound values, in clause order.
    #[must_use]
    pub fn params(&self) -> Vec<mysql::Value> {
        self.params.clone()
    }

    /// One page of `SELECT {columns} {from}` filtered by these clauses and
    /// ordered by `order_by` (fixed SQL written in our code), each row
    /// turned into an item by `item`, with the total count.
    pub fn page_of<T>(
        &self,
        conn: &mut impl Queryable,
        columns: &str,
        from: &str,
        order_by: &str,
        page: &Page,
        item: impl FnMut(mysql::Row) -> Result<T>,
    ) -> Result<(Vec<T>, u64)> {
        let from_where = format!("{from}{}", self.sql());
        let total: Option<u64> =
            conn.exec_first(format!("SELECT COUNT(*) {from_where}"), self.params())?;
        let rows: Vec<mysql::Row> = conn.exec(
            format!("SELECT {columns} {from_where} ORDER BY {order_by} LIMIT ? OFFSET ?"),
            self.params_paged(page),
        )?;
        let items = rows.into_iter().map(item).collect::<Result<_>>()?;
        Ok((items, total.unwrap_or(0)))
    }

    /// The bound values followed by LIMIT and OFFSET of `page`.
    #[must_use]
    pub fn params_paged(&self, page: &Page) -> Vec<mysql::Value> {
        let mut p = self.params.clone();
        p.push(page.per_page.into());
        p.push(page.offset().into());
        p
    }
}

/// A `LIKE` pattern matching `text` anywhere, literally: `%`, `_` and `\`
/// are escaped (backslash is the default escape of MySQL and MariaDB).
#[must_use]
pub fn like_contains(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(query: &str) -> Request {
        Request::from_cgi(
            vec![(
                b"REQUEST_URI".to_vec(),
                format!("/api/x?{query}").into_bytes(),
            )],
            &mut &b""[..],
            &|_, _| 0,
        )
    }

    #[test]
    fn pages_and_bounds() {
        assert_eq!(
            Page::from_query(&req("")).unwrap(),
            Page {
                page: 1,
                per_page: 50
            }
        );
        let p = Page::from_query(&req("page=3&per_page=20")).unwrap();
        assert_eq!(p.offset(), 40);
        for bad in [
            "page=0",
            "per_page=0",
            "per_page=201",
            "page=x",
            "per_page=-1",
        ] {
            assert_eq!(
                Page::from_query(&req(bad)).unwrap_err().status(),
                422,
                "{bad}"
            );
        }
        assert_eq!(p.wrap(vec![1, 2], 42)["total"], 42);
    }

    #[test]
    fn like_patterns_are_literal() {
        assert_eq!(like_contains("MKO-2026"), "%MKO-2026%");
        assert_eq!(like_contains("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }

    #[test]
    fn dates_follow_the_calendar() {
        assert_eq!(
            query_date(&req("from=2024-02-29"), "from").unwrap(),
            Some("2024-02-29".to_string())
        );
        for bad in ["2024-02-31", "2023-02-29", "2024-13-01", "2024-1-01", "x"] {
            let q = format!("from={bad}");
            assert_eq!(
                query_date(&req(&q), "from").unwrap_err().status(),
                422,
                "{bad}"
            );
        }
        assert_eq!(query_date(&req(""), "from").unwrap(), None);
    }

    #[test]
    fn filters_join_fixed_fragments_and_bind_values() {
        let mut w = Where::new();
        assert_eq!(w.sql(), "");
        w.fixed("a.actif")
            .bind("a.id = ?", 3u64)
            .bind_opt("a.code = ?", None::<String>)
            .and("(x LIKE ? OR y LIKE ?)", ["%a%".into(), "%a%".into()]);
        assert_eq!(
            w.sql(),
            " WHERE a.actif AND a.id = ? AND (x LIKE ? OR y LIKE ?)"
        );
        assert_eq!(w.params().len(), 3);
        let page = Page {
            page: 2,
            per_page: 10,
        };
        assert_eq!(w.params_paged(&page).len(), 5);
        w.and_in("c.statut", ["a".into(), "b".into()])
            .and_in("c.id", []);
        assert!(
            w.sql().ends_with(" AND c.statut IN (?, ?) AND 1 = 0"),
            "{}",
            w.sql()
        );
        assert_eq!(w.params().len(), 5);
    }
}
