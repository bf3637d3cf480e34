//! Spec §5.10, §10.4, §10.5, §14 "Logs" — `/api/admin/users`,
//! `/api/admin/logs`, `/api/admin/maintenance`.
//!
//! User management for admin+ (only a super_admin hands out or edits admin
//! roles), the audit log viewer with its CSV export, and the maintenance
//! switch of the super_admin. Every route here also falls under the
//! `/api/admin/*` rate limit of spec 10.4 (30 requests per minute and user,
//! enforced by the dispatcher).

mod logs;
mod maintenance;
mod queries;
mod users;

use crate::error::{Error, Result};
use crate::http::router::{route, Access, Route};
use crate::http::{Ctx, Method};
use crate::security::roles;

/// Routes of this module.
pub const ROUTES: &[Route] = &[
    route(
        Method::Get,
        "/api/admin/users",
        Access::Roles(roles::ADMIN_PLUS),
        users::list_users,
        "Liste des utilisateurs (filtres rôle, recherche, actif, atelier)",
    ),
    route(
        Method::Post,
        "/api/admin/users",
        Access::Roles(roles::ADMIN_PLUS),
        users::create_user,
        "Crée un utilisateur (rôles admin : super_admin seulement)",
    ),
    route(
        Method::Get,
        "/api/admin/users/{id}",
        Access::Roles(roles::ADMIN_PLUS),
        users::show_user,
        "Détail d'un utilisateur",
    ),
    route(
        Method::Patch,
        "/api/admin/users/{id}",
        Access::Roles(roles::ADMIN_PLUS),
        users::update_user,
        "Modifie rôle, nom, prénom, atelier, actif ou réinitialise le mot de passe",
    ),
    route(
        Method::Delete,
        "/api/admin/users/{id}",
        Access::Roles(roles::ADMIN_PLUS),
        users::delete_user,
        "Désactive un utilisateur et ferme ses sessions (le compte est conservé)",
    ),
    route(
        Method::Get,
        "/api/admin/logs",
        Access::Roles(roles::ADMIN_PLUS),
        logs::list_logs,
        "Journal d'audit filtrable, JSON paginé ou export CSV (?format=csv)",
    ),
    route(
        Method::Get,
        "/api/admin/maintenance",
        Access::Roles(roles::SUPER_ADMIN),
        maintenance::show_maintenance,
        "État du mode maintenance",
    ),
    route(
        Method::Post,
        "/api/admin/maintenance",
        Access::Roles(roles::SUPER_ADMIN),
        maintenance::update_maintenance,
        "Active ou désactive le mode maintenance (message facultatif)",
    ),
];

/// Default and largest page sizes of the lists (brief: 50, max 200).
const PER_PAGE_DEFAULT: u64 = 50;
const PER_PAGE_MAX: u64 = 200;

/// `page` (1-based) and `per_page` of a list request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Page {
    page: u64,
    per_page: u64,
}

impl Page {
    /// Reads `page` and `per_page` from the query string; a `per_page` above
    /// the maximum is capped rather than refused, so a client asking for "a
    /// lot" still gets an answer.
    fn from_query(ctx: &Ctx) -> Result<Page> {
        let page = query_u64(ctx, "page")?.unwrap_or(1);
        let per_page = query_u64(ctx, "per_page")?.unwrap_or(PER_PAGE_DEFAULT);
        if page == 0 || per_page == 0 {
            return Err(Error::invalid(
                "Les paramètres page et per_page doivent être supérieurs à 0.",
            ));
        }
        Ok(Page {
            page,
            per_page: per_page.min(PER_PAGE_MAX),
        })
    }

    fn offset(self) -> u64 {
        (self.page - 1).saturating_mul(self.per_page)
    }

    /// The list answer of the brief: items, total, page, per_page.
    fn answer(self, items: Vec<serde_json::Value>, total: u64) -> serde_json::Value {
        serde_json::json!({
            "items": items,
            "total": total,
            "page": self.page,
            "per_page": self.per_page,
        })
    }
}

/// A positive integer query parameter (absent → `None`, garbage → 422).
fn query_u64(ctx: &Ctx, key: &str) -> Result<Option<u64>> {
    ctx.req
        .query_param(key)
        .map(|v| {
            v.trim().parse::<u64>().map_err(|_| {
                Error::invalid(format!(
                    "Le paramètre {key} doit être un nombre entier positif."
                ))
            })
        })
        .transpose()
}

/// Escapes `%`, `_` and `\` so user text matches literally inside `LIKE`
/// (backslash is the default escape character of MySQL and MariaDB).
fn like_contains(text: &str) -> String {
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

    #[test]
    fn like_patterns_are_literal() {
        assert_eq!(like_contains("a%b_c\\"), "%a\\%b\\_c\\\\%");
        assert_eq!(like_contains("profil"), "%profil%");
    }

    #[test]
    fn page_offsets() {
        let p = Page {
            page: 3,
            per_page: 20,
        };
        assert_eq!(p.offset(), 40);
        let huge = Page {
            page: u64::MAX,
            per_page: 200,
        };
        assert_eq!(huge.offset(), u64::MAX);
    }
}
