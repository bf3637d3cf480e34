//! Typed rows: the one way a query result is read.
//!
//! A row becomes a struct that derives [`FromRow`] (our derive, in
//! `derive/`: one field per column, by name, read where the query put it)
//! or a tuple, through [`all`] and [`first`].
//! The driver's own `exec`/`exec_first` panic on a row that does not convert,
//! and a hand-written `filter_map(from_row)` drops it without a word; here a
//! row that does not convert is a logged 500 naming the type and the place,
//! never a missing line in a list.

use crate::error::{Error, Result};
use mysql::prelude::{FromValue, Queryable};
use mysql::{FromRowError, Params, Row};
use serde::Serialize;

/// The derive and the trait, under one name (`#[derive(FromRow)]`).
pub use mykollector_derive::FromRow;
pub use mysql::prelude::FromRow;

/// Every row of a prepared statement, converted to `T`.
#[track_caller]
pub fn all<T: FromRow>(
    conn: &mut impl Queryable,
    sql: impl AsRef<str>,
    params: impl Into<Params>,
) -> Result<Vec<T>> {
    let at = std::panic::Location::caller();
    let rows: Vec<Row> = conn
        .exec(sql.as_ref(), params)
        .map_err(|e| located(e, at))?;
    rows.into_iter().map(|r| convert_at(r, at)).collect()
}

/// The first row of a prepared statement, if any, converted to `T`.
#[track_caller]
pub fn first<T: FromRow>(
    conn: &mut impl Queryable,
    sql: impl AsRef<str>,
    params: impl Into<Params>,
) -> Result<Option<T>> {
    let at = std::panic::Location::caller();
    let row: Option<Row> = conn
        .exec_first(sql.as_ref(), params)
        .map_err(|e| located(e, at))?;
    row.map(|r| convert_at(r, at)).transpose()
}

/// One row converted to `T`; a row that does not fit is a 500.
#[track_caller]
pub fn convert<T: FromRow>(row: Row) -> Result<T> {
    convert_at(row, std::panic::Location::caller())
}

fn convert_at<T: FromRow>(row: Row, at: &'static std::panic::Location<'static>) -> Result<T> {
    T::from_row_opt(row).map_err(|e| {
        Error::internal(format!(
            "row does not convert into {} (query at {at}): {e}",
            std::any::type_name::<T>()
        ))
    })
}

/// One row read as two typed parts, each taking the columns it names (a
/// chrono and its athlete, a record and the values a client edits in it):
/// the body of a hand-written `FromRow` for a type made of two derived ones.
pub fn parts<A: FromRow, B: FromRow>(row: Row) -> std::result::Result<(A, B), FromRowError> {
    let a = A::from_row_opt(row.clone())?;
    Ok((a, B::from_row_opt(row)?))
}

/// A record as stored: what the server keeps (`K`: id, file, timestamps)
/// and the values a client edits (`V`), each read from the columns it names
/// and shown side by side in JSON. An edit starts from `values` and writes
/// them back whole, so each field is declared once.
#[derive(Debug, Clone, Serialize)]
pub struct Record<K, V> {
    #[serde(flatten)]
    pub kept: K,
    #[serde(flatten)]
    pub values: V,
}

impl<K: FromRow, V: FromRow> FromRow for Record<K, V> {
    fn from_row_opt(row: Row) -> std::result::Result<Self, FromRowError> {
        let (kept, values) = parts(row)?;
        Ok(Record { kept, values })
    }
}

fn located(e: mysql::Error, at: &'static std::panic::Location<'static>) -> Error {
    let mut err = Error::from(e);
    err.set_location(at);
    err
}

/// The first row of a prepared statement, if any, converted to `T` and
/// serialised: a lookup whose JSON answer is the row itself.
#[track_caller]
pub fn first_json<T: FromRow + Serialize>(
    conn: &mut impl Queryable,
    sql: impl AsRef<str>,
    params: impl Into<Params>,
) -> Result<Option<serde_json::Value>> {
    first::<T>(conn, sql, params)?
        .map(|item| serde_json::to_value(item).map_err(Error::internal))
        .transpose()
}

/// Stored JSON text (a column read `CAST(… AS CHAR)`) written out as JSON,
/// `null` when unreadable.
#[derive(Debug, Clone, Copy)]
pub struct StoredJson<'a>(pub &'a str);

impl Serialize for StoredJson<'_> {
    fn serialize<S: serde::Serializer>(&self, out: S) -> std::result::Result<S::Ok, S::Error> {
        serde_json::from_str::<serde_json::Value>(self.0)
            .ok()
            .serialize(out)
    }
}

/// `#[serde(serialize_with = "rows::stored_json")]`: an optional column of
/// stored JSON text as [`StoredJson`], `null` when absent.
pub fn stored_json<S: serde::Serializer>(
    text: &Option<String>,
    out: S,
) -> std::result::Result<S::Ok, S::Error> {
    text.as_deref().map(StoredJson).serialize(out)
}

/// A column of `row` by name, for the few rows assembled by hand (a JSON
/// answer whose fields depend on each other); a missing or mistyped column
/// is our bug: a 500.
pub fn col<T: FromValue>(row: &mut Row, name: &str) -> Result<T> {
    match row.take_opt(name) {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(Error::internal(format!("column {name}: {e}"))),
        None => Err(Error::internal(format!("column {name} missing"))),
    }
}

/// Whether a prepared statement returns a row: a lookup that only asks
/// "is there one?" (a duplicate, a reference, an idempotent seed).
#[track_caller]
pub fn any(
    conn: &mut impl Queryable,
    sql: impl AsRef<str>,
    params: impl Into<Params>,
) -> Result<bool> {
    Ok(first::<Row>(conn, sql, params)?.is_some())
}

/// Whether a row with primary key `id` exists in `table`. The table name is
/// a `&'static str` written in our code, never request text.
pub fn exists(conn: &mut impl Queryable, table: &'static str, id: u64) -> Result<bool> {
    any(conn, format!("SELECT 1 FROM {table} WHERE id = ?"), (id,))
}

/// The next number of the yearly sequence `code` (orders per course code,
/// `LOT`, `SAV`): returns the current year and the value, restarting at 1
/// each year. Unique under concurrency: the counter row is incremented
/// atomically and `LAST_INSERT_ID(expr)` hands this connection its own value.
pub fn next_in_sequence(conn: &mut impl Queryable, code: &str) -> Result<(u16, u64)> {
    let year: Option<u16> = conn.query_first("SELECT YEAR(NOW())")?;
    let year = year.ok_or_else(|| Error::internal("YEAR(NOW()) returned no row"))?;
    conn.exec_drop(
        r"INSERT INTO commande_sequences (annee, code, dernier) VALUES (?, ?, LAST_INSERT_ID(1))
          ON DUPLICATE KEY UPDATE dernier = LAST_INSERT_ID(dernier + 1)",
        (year, code),
    )?;
    let seq: Option<u64> = conn.query_first("SELECT LAST_INSERT_ID()")?;
    let seq = seq.ok_or_else(|| Error::internal("LAST_INSERT_ID() returned no row"))?;
    Ok((year, seq))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mysql::consts::ColumnType;
    use mysql::Column;

    #[derive(Debug, FromRow)]
    struct Pair {
        id: u64,
        nom: Option<String>,
    }

    fn row(values: Vec<mysql::Value>) -> Row {
        let columns = vec![
            Column::new(ColumnType::MYSQL_TYPE_LONGLONG).with_name(b"id"),
            Column::new(ColumnType::MYSQL_TYPE_VAR_STRING).with_name(b"nom"),
        ];
        mysql_common::row::new_row(values, columns.into())
    }

    #[test]
    fn a_row_that_does_not_convert_is_a_500_not_a_skip() {
        let ok: Pair = convert(row(vec![7u64.into(), mysql::Value::NULL])).unwrap();
        assert_eq!((ok.id, ok.nom), (7, None));
        let bad = convert::<Pair>(row(vec![mysql::Value::NULL, "x".into()])).unwrap_err();
        assert_eq!(bad.status(), 500);
        assert!(bad.log_line().contains("Pair"), "{}", bad.log_line());
    }

    /// The columns in the other order than the fields, one of them renamed.
    #[derive(Debug, FromRow)]
    struct Swapped {
        #[mysql(rename = "nom")]
        name: Option<String>,
        id: u64,
    }

    /// A field the query does not select.
    #[derive(Debug, FromRow)]
    #[expect(dead_code, reason = "only its conversion is tested")]
    struct Wider {
        id: u64,
        nom: Option<String>,
        code: String,
    }

    #[test]
    fn columns_are_read_by_name_wherever_they_stand() {
        let swapped: Swapped = convert(row(vec![7u64.into(), "Izoard".into()])).unwrap();
        assert_eq!((swapped.id, swapped.name.as_deref()), (7, Some("Izoard")));
        let missing = convert::<Wider>(row(vec![7u64.into(), "Izoard".into()])).unwrap_err();
        assert_eq!(missing.status(), 500);
        assert!(
            missing.log_line().contains("Wider"),
            "{}",
            missing.log_line()
        );
    }
}
