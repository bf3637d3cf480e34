//! SQL of the sav module: SAV tickets, defects and their catalogues,
//! fabricants, and the order reads they need.
//!
//! Optional list filters are written `(:x IS NULL OR col = :x)`: the
//! statements stay fixed strings with every value bound, whatever filters a
//! request combines. The tables involved stay small (tickets, defects), so
//! the planner's loss is negligible.

mod b2b;
mod defauts;
mod orders;
mod tickets;

pub use b2b::*;
pub use defauts::*;
pub use orders::*;
pub use tickets::*;

use crate::error::{Error, Result};
use mysql::prelude::FromValue;
use mysql::Row;

/// A column by name, without panicking on a surprise.
fn take<T: FromValue>(row: &mut Row, name: &str) -> Result<T> {
    match row.take_opt(name) {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(Error::internal(format!("column {name}: {e:?}"))),
        None => Err(Error::internal(format!("column {name} missing"))),
    }
}

/// A nullable BOOLEAN column (NULL reads as false).
fn flag(row: &mut Row, name: &str) -> Result<bool> {
    Ok(take::<Option<bool>>(row, name)?.unwrap_or(false))
}
