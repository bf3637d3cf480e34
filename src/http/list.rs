//! What every list route shares: `page`/`per_page` from the query string, the
//! `{items, total, total_exact, has_more, page, per_page}` answer, numeric and
//! date query parameters (dates strictly checked against the calendar),
//! literal text search with `LIKE`, the WHERE-clause builder [`Where`] and
//! the page reader [`ListQuery`].
//!
//! A list costs what its page costs, not what its table holds: the page's
//! keys are read alone, through the index that matches the filters and the
//! sort order (a composite index of `sql/0011_list_indexes.sql`), then only
//! those rows are joined to what the list shows; the total is counted up to
//! [`TOTAL_CAP`] and the answer says whether it is exact.

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
/// Matching rows counted at most: beyond it the answer's total is a lower
/// bound (`total_exact: false`), so a count never walks a whole table.
pub const TOTAL_CAP: u64 = 1_000;

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

    /// The list answer for a list read whole (a handful of rows, bounded by
    /// the domain: every row is on the page and the total is exact).
    pub fn wrap<T: Serialize>(self, items: T, total: u64) -> Value {
        let has_more = self.offset() + self.per_page < total;
        json!({ "items": items, "total": total, "total_exact": true, "has_more": has_more,
                "page": self.page, "per_page": self.per_page })
    }

    /// The list answer `{items, total, total_exact, has_more, page,
    /// per_page}`, serialised straight from the items.
    #[must_use]
    pub fn answer<T: Serialize>(self, listed: &Listed<T>) -> Answer<'_, T> {
        Answer {
            items: &listed.items,
            total: listed.total,
            total_exact: listed.total_exact,
            has_more: listed.has_more,
            page: self.page,
            per_page: self.per_page,
        }
    }
}

/// A list answer, serialised from its items without building a JSON tree
/// first (a 50-row list spent most of its time doing that, twice).
#[derive(Debug, Serialize)]
pub struct Answer<'a, T> {
    /// The page's items.
    pub items: &'a [T],
    /// Matching rows: exact up to [`TOTAL_CAP`], else that cap.
    pub total: u64,
    /// Whether `total` is the exact count.
    pub total_exact: bool,
    /// Whether a next page has rows.
    pub has_more: bool,
    /// 1-based page number.
    pub page: u64,
    /// Items per page.
    pub per_page: u64,
}

impl<T: Serialize> Answer<'_, T> {
    /// The answer as a JSON tree, for the few routes that add fields to it.
    #[must_use]
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// One page of a list, with what is known of the rest.
#[derive(Debug)]
pub struct Listed<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// Matching rows: exact up to [`TOTAL_CAP`], else that cap.
    pub total: u64,
    /// Whether `total` is the exact count.
    pub total_exact: bool,
    /// Whether a next page has rows.
    pub has_more: bool,
}

impl<T> Listed<T> {
    /// The same page with each item viewed through `f` (a borrowing view,
    /// e.g. the JSON shape of a row).
    pub fn map_ref<'a, U>(&'a self, f: impl FnMut(&'a T) -> U) -> Listed<U> {
        self.with_items(self.items.iter().map(f).collect())
    }

    /// The same page with each item turned into another by a step that may
    /// fail (a further read per item).
    pub fn try_map<U>(mut self, f: impl FnMut(T) -> Result<U>) -> Result<Listed<U>> {
        let items = std::mem::take(&mut self.items)
            .into_iter()
            .map(f)
            .collect::<Result<_>>()?;
        Ok(self.with_items(items))
    }

    fn with_items<U>(&self, items: Vec<U>) -> Listed<U> {
        Listed {
            items,
            total: self.total,
            total_exact: self.total_exact,
            has_more: self.has_more,
        }
    }
}

/// How a list reads its page, in fixed SQL written in our code.
///
/// The keys of the page come first, from `table` and only the joins the
/// filters or the order read (`filter_joins`, `order_joins`), ordered by
/// `order_by` with LIMIT/OFFSET: with an index on the filtered columns
/// followed by the sort columns, that is an index range read that stops
/// after the page. The shown `columns` are then read for those keys only,
/// through the same joins and the further `joins` they need. `order_by`
/// ends with the key, so the order is total and pages never overlap. The
/// capped count reads `table` and `filter_joins` only.
#[derive(Debug, Clone, Copy)]
pub struct ListQuery<'a> {
    /// The listed table and its alias, e.g. `commandes c`.
    pub table: &'a str,
    /// Its primary key under the alias, e.g. `c.id`.
    pub key: &'a str,
    /// Joins that a filter reads (empty when none does).
    pub filter_joins: &'a str,
    /// Joins that only the order reads, left out of the count: each must
    /// match exactly one row per listed row (an inner join on a NOT NULL
    /// foreign key), so that leaving it out does not change the count.
    pub order_joins: &'a str,
    /// The shown columns.
    pub columns: &'a str,
    /// Further joins that the shown columns read.
    pub joins: &'a str,
    /// The sort order, e.g. `c.date_commande DESC, c.id DESC`.
    pub order_by: &'a str,
}

impl ListQuery<'_> {
    /// The same query, when `filters_read_joins`, for filters that read the
    /// joined columns: the joins move into the key read (which then scans
    /// what the filter matches).
    #[must_use]
    pub fn filtering_on_joins(self, filters_read_joins: bool) -> Self {
        if !filters_read_joins {
            return self;
        }
        ListQuery {
            filter_joins: self.joins,
            joins: "",
            ..self
        }
    }

    /// `SELECT COUNT(*)` of the matching rows, stopped after
    /// [`TOTAL_CAP`] + 1 of them.
    #[must_use]
    pub fn count_sql(&self, filter: &Where) -> String {
        format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM {} {}{} LIMIT {}) capped",
            self.table,
            self.filter_joins,
            filter.sql(),
            TOTAL_CAP + 1
        )
    }

    /// The page's rows (one more than the page, to know whether more follow).
    #[must_use]
    pub fn page_sql(&self, filter: &Where) -> String {
        let ListQuery {
            table,
            key,
            filter_joins,
            order_joins,
            columns,
            joins,
            order_by,
        } = self;
        format!(
            "SELECT {columns} FROM (SELECT {key} AS page_key FROM {table} {filter_joins} \
             {order_joins}{} ORDER BY {order_by} LIMIT ? OFFSET ?) page_keys \
             JOIN {table} ON {key} = page_keys.page_key {filter_joins} {order_joins} {joins} \
             ORDER BY {order_by}",
            filter.sql()
        )
    }

    /// One page of the rows matching `filter`, each turned into an item by
    /// `item`, with the capped total. The page is read first: when it is
    /// the last one, it tells the total and nothing is counted.
    pub fn read<T>(
        &self,
        conn: &mut impl Queryable,
        filter: &Where,
        page: &Page,
        item: impl FnMut(mysql::Row) -> Result<T>,
    ) -> Result<Listed<T>> {
        let mut params = filter.params();
        params.push((page.per_page + 1).into());
        params.push(page.offset().into());
        let sql = self.page_sql(filter);
        keep_if_recording(&sql, &params);
        let mut rows: Vec<mysql::Row> = conn.exec(sql, params)?;
        let has_more = rows.len() as u64 > page.per_page;
        rows.truncate(usize::try_from(page.per_page).unwrap_or(usize::MAX));
        let items = rows.into_iter().map(item).collect::<Result<Vec<T>>>()?;
        let seen = page.offset() + items.len() as u64 + u64::from(has_more);
        let is_last_page = !has_more && (!items.is_empty() || page.offset() == 0);
        let (total, total_exact) = if is_last_page {
            (seen, true)
        } else {
            let counted = self.count(conn, filter)?;
            // The page and the count are two reads: a row committed between
            // them must not make the total smaller than what the pages show.
            (counted.min(TOTAL_CAP).max(seen), counted <= TOTAL_CAP)
        };
        Ok(Listed {
            items,
            total,
            total_exact,
            has_more,
        })
    }

    /// The matching rows, counted up to [`TOTAL_CAP`] + 1.
    fn count(&self, conn: &mut impl Queryable, filter: &Where) -> Result<u64> {
        let sql = self.count_sql(filter);
        keep_if_recording(&sql, &filter.params());
        let counted: Option<u64> = conn.exec_first(sql, filter.params())?;
        Ok(counted.unwrap_or(0))
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
}

/// A list's read (its capped count, or its page) as it was sent to the
/// database.
#[derive(Debug, Clone)]
pub struct PageRead {
    /// The SQL text.
    pub sql: String,
    /// Its bound values.
    pub params: Vec<mysql::Value>,
}

thread_local! {
    static RECORDED: std::cell::RefCell<Option<Vec<PageRead>>> =
        const { std::cell::RefCell::new(None) };
}

/// Keeps, on this thread, every list read from now on until
/// [`take_page_reads`]: the test suite calls the routes in process and runs
/// `EXPLAIN` on exactly what they sent. Off by default, and then free.
pub fn record_page_reads() {
    RECORDED.with(|r| *r.borrow_mut() = Some(Vec::new()));
}

/// The list reads kept since [`record_page_reads`] (which stops keeping).
#[must_use]
pub fn take_page_reads() -> Vec<PageRead> {
    RECORDED.with(|r| r.borrow_mut().take().unwrap_or_default())
}

fn keep_if_recording(sql: &str, params: &[mysql::Value]) {
    RECORDED.with(|r| {
        if let Some(reads) = r.borrow_mut().as_mut() {
            reads.push(PageRead {
                sql: sql.to_string(),
                params: params.to_vec(),
            });
        }
    });
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
        w.and_in("c.statut", ["a".into(), "b".into()])
            .and_in("c.id", []);
        assert!(
            w.sql().ends_with(" AND c.statut IN (?, ?) AND 1 = 0"),
            "{}",
            w.sql()
        );
        assert_eq!(w.params().len(), 5);
    }

    #[test]
    fn pages_read_keys_first_and_count_up_to_the_cap() {
        let mut w = Where::new();
        w.bind("c.atelier_id = ?", 2u64);
        let q = ListQuery {
            table: "commandes c",
            key: "c.id",
            filter_joins: "",
            order_joins: "",
            columns: "c.id, p.nom",
            joins: "JOIN produits p ON p.id = c.produit_id",
            order_by: "c.date_commande DESC, c.id DESC",
        };
        assert_eq!(
            q.count_sql(&w),
            "SELECT COUNT(*) FROM (SELECT 1 FROM commandes c  WHERE c.atelier_id = ? LIMIT 1001) capped"
        );
        let sql = q.page_sql(&w);
        assert!(
            sql.starts_with(
                "SELECT c.id, p.nom FROM (SELECT c.id AS page_key FROM commandes c   WHERE c.atelier_id = ? \
                 ORDER BY c.date_commande DESC, c.id DESC LIMIT ? OFFSET ?) page_keys JOIN commandes c"
            ),
            "{sql}"
        );
        assert!(
            sql.ends_with(
                " JOIN produits p ON p.id = c.produit_id ORDER BY c.date_commande DESC, c.id DESC"
            ),
            "{sql}"
        );
    }

    #[test]
    fn joins_only_the_order_reads_are_left_out_of_the_count() {
        let mut w = Where::new();
        w.bind("s.atelier_id = ?", 2u64);
        let q = ListQuery {
            table: "stocks s",
            key: "s.id",
            filter_joins: "",
            order_joins: "JOIN produits p ON p.id = s.produit_id",
            columns: "s.id, p.nom",
            joins: "",
            order_by: "p.nom, s.id",
        };
        assert!(!q.count_sql(&w).contains("produits"), "{}", q.count_sql(&w));
        let sql = q.page_sql(&w);
        let (keys, shown) = sql
            .split_once(") page_keys")
            .expect("a key read, then the columns");
        assert!(
            keys.ends_with(
                "FROM stocks s  JOIN produits p ON p.id = s.produit_id WHERE s.atelier_id = ? \
                 ORDER BY p.nom, s.id LIMIT ? OFFSET ?"
            ),
            "{keys}"
        );
        assert!(
            shown.contains("JOIN produits p ON p.id = s.produit_id"),
            "{shown}"
        );
    }

    #[test]
    fn whole_lists_say_whether_more_follow() {
        let p = Page {
            page: 2,
            per_page: 10,
        };
        assert_eq!(p.wrap(Vec::<u8>::new(), 21)["has_more"], true);
        assert_eq!(p.wrap(Vec::<u8>::new(), 20)["has_more"], false);
        assert_eq!(p.wrap(Vec::<u8>::new(), 20)["total_exact"], true);
    }
}
