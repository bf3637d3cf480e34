//! Spec §5.10, §10.4, §10.5, §14 "Logs" — `/api/admin/users`,
//! `/api/admin/logs`, `/api/admin/maintenance`.
//!
//! User management for admin+ (only a `super_admin` hands out or edits admin
//! roles), the audit log viewer with its CSV export, and the maintenance
//! switch of the `super_admin`. Every route here also falls under the
//! `/api/admin/*` rate limit of spec 10.4 (30 requests per minute and user,
//! enforced by the dispatcher).

mod logs;
mod maintenance;
mod queries;
mod users;

use crate::api::admin_limit;
use crate::http::router::{route, Access, Route};
use crate::http::Method;
use crate::security::roles;

/// Routes of this module.
pub const ROUTES: &[Route] = &[
    admin_limit(route(
        Method::Get,
        "/api/admin/users",
        Access::Roles(roles::ADMIN_PLUS),
        users::list_users,
        "Liste des utilisateurs (filtres rôle, recherche, actif, atelier)",
    )),
    admin_limit(route(
        Method::Post,
        "/api/admin/users",
        Access::Roles(roles::ADMIN_PLUS),
        users::create_user,
        "Crée un utilisateur (rôles admin : super_admin seulement)",
    )),
    admin_limit(route(
        Method::Get,
        "/api/admin/users/{id}",
        Access::Roles(roles::ADMIN_PLUS),
        users::show_user,
        "Détail d'un utilisateur",
    )),
    admin_limit(route(
        Method::Patch,
        "/api/admin/users/{id}",
        Access::Roles(roles::ADMIN_PLUS),
        users::update_user,
        "Modifie rôle, nom, prénom, atelier, actif ou réinitialise le mot de passe",
    )),
    admin_limit(route(
        Method::Delete,
        "/api/admin/users/{id}",
        Access::Roles(roles::ADMIN_PLUS),
        users::delete_user,
        "Désactive un utilisateur et ferme ses sessions (le compte est conservé)",
    )),
    admin_limit(route(
        Method::Get,
        "/api/admin/logs",
        Access::Roles(roles::ADMIN_PLUS),
        logs::list_logs,
        "Journal d'audit filtrable, JSON paginé ou export CSV (?format=csv)",
    )),
    admin_limit(route(
        Method::Get,
        "/api/admin/maintenance",
        Access::Roles(roles::SUPER_ADMIN),
        maintenance::show_maintenance,
        "État du mode maintenance",
    )),
    admin_limit(route(
        Method::Post,
        "/api/admin/maintenance",
        Access::Roles(roles::SUPER_ADMIN),
        maintenance::update_maintenance,
        "Active ou désactive le mode maintenance (message facultatif)",
    )),
];
