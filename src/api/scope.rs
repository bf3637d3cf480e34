//! The operator's atelier scope, in one place for commandes, fab, gravure,
//! sav and stock (spec 10.5: an `operateur_fab` works for its "atelier
//! assigné" only; admins see every atelier).
//!
//! Everything derives from [`atelier_filter`]: the atelier a list is
//! restricted to. An operator without an atelier is bound to id 0, which no
//! atelier has, so it sees nothing rather than everything. A row of another
//! atelier answers 404, never 403: the operator must not learn it exists.

use crate::db::rows;
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::http::list::Where;
use crate::security::jwt::Claims;
use crate::security::Role;
use mysql::prelude::Queryable;

/// The atelier an actor's lists are restricted to: `Some(id)` for an
/// `operateur_fab` (0 when its account has none), `None` for admins.
#[must_use]
pub fn atelier_filter(claims: &Claims) -> Option<u64> {
    (claims.role == Role::OperateurFab).then(|| claims.atelier_id.unwrap_or(0))
}

/// Whether `actor` may see or act on a row of `atelier_id` (an order, a lot,
/// a ticket, a defect).
#[must_use]
pub fn may_touch(actor: &Claims, atelier_id: Option<u64>) -> bool {
    match atelier_filter(actor) {
        None => true,
        Some(own) => own != 0 && atelier_id == Some(own),
    }
}

/// The atelier a request works in, from the atelier it names: `Some(id)` for
/// one atelier, `None` for all of them (admins only).
///
/// An `operateur_fab` always gets its own atelier; naming another one is a 404,
/// and an operator account without an atelier can do nothing here (403
/// `no_atelier`). An admin may name any existing atelier.
pub fn resolve_atelier(
    conn: &mut impl Queryable,
    claims: &Claims,
    requested: Option<u64>,
) -> Result<Option<u64>> {
    match atelier_filter(claims) {
        Some(0) => Err(catalog::NO_ATELIER.err()),
        Some(own) => match requested {
            Some(id) if id != own => Err(atelier_not_found()),
            _ => Ok(Some(own)),
        },
        None => match requested {
            Some(id) if !rows::exists(conn, "ateliers", id)? => Err(atelier_not_found()),
            other => Ok(other),
        },
    }
}

/// A list filter confined to the atelier the request works in
/// ([`resolve_atelier`]): `column` (`"s.atelier_id = ?"`) bound to it, or no
/// condition for an admin who named none.
pub fn confined(
    conn: &mut impl Queryable,
    claims: &Claims,
    column: &'static str,
    requested: Option<u64>,
) -> Result<Where> {
    let mut filter = Where::new();
    filter.bind_opt(column, resolve_atelier(conn, claims, requested)?);
    Ok(filter)
}

/// 404 for an atelier the caller may not see (or that does not exist).
#[must_use]
pub fn atelier_not_found() -> Error {
    catalog::ATELIER_NOT_FOUND.err()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(role: Role, atelier_id: Option<u64>) -> Claims {
        Claims {
            sub: 1,
            role,
            atelier_id,
            sid: String::new(),
            iat: 0,
            exp: 0,
        }
    }

    #[test]
    fn operators_are_bound_to_their_atelier() {
        let op = claims(Role::OperateurFab, Some(7));
        assert_eq!(atelier_filter(&op), Some(7));
        assert!(may_touch(&op, Some(7)));
        assert!(!may_touch(&op, Some(3)));
        assert!(!may_touch(&op, None));
    }

    #[test]
    fn an_operator_without_atelier_sees_nothing() {
        let lost = claims(Role::OperateurFab, None);
        assert_eq!(atelier_filter(&lost), Some(0));
        assert!(!may_touch(&lost, Some(0)));
        assert!(!may_touch(&lost, None));
    }

    #[test]
    fn admins_see_every_atelier() {
        for role in [Role::AdminFab, Role::SuperAdmin] {
            let admin = claims(role, None);
            assert_eq!(atelier_filter(&admin), None);
            assert!(may_touch(&admin, Some(3)));
            assert!(may_touch(&admin, None));
        }
    }
}
