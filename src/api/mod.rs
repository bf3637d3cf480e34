//! The API's domains, one module each (spec §5). Each module owns its routes
//! (`ROUTES`), handlers, SQL, request/response types and its part of the
//! OpenAPI document (`openapi.json` beside its code).
//!
//! | URL prefix | module |
//! |---|---|
//! | /api/health, /api/openapi.json | [`health`] |
//! | /api/setup, /api/auth, /api/user/profil | [`auth`] |
//! | /api/admin/users, /api/admin/logs, /api/admin/maintenance | [`admin`] |
//! | /api/parcours, /api/admin/export-destinations | [`parcours`] |
//! | /api/chrono, /api/parcours/{id}/classement | [`chronos`] |
//! | /api/commandes, /api/dashboard | [`commandes`] |
//! | /api/ateliers, /api/stocks | [`stock`] |
//! | /api/fab (orders, engraving, shipping) | [`fab`] |
//! | /api/templates-gravure, /api/templates-etiquettes, /api/lots, /api/agent | [`gravure`] |
//! | /api/sav, /api/defauts, /api/fab/sav, /api/fab/defaut(s), B2B orders | [`sav`] |
//! | /api/notifications | [`notifications`] |
//! | /api/chat | [`chat`] |
//! | /api/relance | [`relances`] |
//! | /api/prestashop, /api/parcours/{id}/sync-prestashop | [`prestashop`] |
//! | /api/auth/lien-connexion (athletes' sign-in link) | [`signin`] |
//! | /api/commandes/a-repartir, /api/commandes/repartition | [`dispatch`] |
//! | /api/admin/stats | [`stats`] |
//! | /api/admin/config | [`settings`] |
//! | /api/admin/backup, /api/admin/backups | [`backups`] |
//! | /api/admin/doctor | [`doctor`] |
//! | /api/user/export, /api/user/data | [`rgpd`] |
//! | /api/rapports | [`rapports`] |
//! | /api/strava, /api/admin/strava | [`strava`] |

use crate::http::router::{Route, ADMIN_BUCKET};

pub mod admin;
pub mod auth;
pub mod backups;
pub mod chat;
pub mod chronos;
pub mod commandes;
pub mod dispatch;
pub mod doctor;
pub mod fab;
pub mod gravure;
pub mod health;
pub mod notifications;
pub mod openapi;
pub mod parcours;
pub mod prestashop;
pub mod rapports;
pub mod relances;
pub mod rgpd;
pub mod sav;
pub mod scope;
pub mod settings;
pub mod signin;
pub mod stats;
pub mod stock;
pub mod strava;

/// Every module's route table.
pub const MODULES: &[&[Route]] = &[
    health::ROUTES,
    auth::ROUTES,
    admin::ROUTES,
    parcours::ROUTES,
    chronos::ROUTES,
    commandes::ROUTES,
    stock::ROUTES,
    fab::ROUTES,
    gravure::ROUTES,
    sav::ROUTES,
    notifications::ROUTES,
    chat::ROUTES,
    relances::ROUTES,
    prestashop::ROUTES,
    signin::ROUTES,
    dispatch::ROUTES,
    stats::ROUTES,
    settings::ROUTES,
    backups::ROUTES,
    doctor::ROUTES,
    rgpd::ROUTES,
    rapports::ROUTES,
    strava::ROUTES,
];

/// Every route of the API.
pub fn routes() -> impl Iterator<Item = &'static Route> {
    crate::http::router::routes(MODULES)
}

/// Every module's OpenAPI fragment.
const OPENAPI_PARTS: &[&str] = &[
    include_str!("health/openapi.json"),
    include_str!("auth/openapi.json"),
    include_str!("admin/openapi.json"),
    include_str!("parcours/openapi.json"),
    include_str!("chronos/openapi.json"),
    include_str!("commandes/openapi.json"),
    include_str!("stock/openapi.json"),
    include_str!("fab/openapi.json"),
    include_str!("gravure/openapi.json"),
    include_str!("sav/openapi.json"),
    include_str!("notifications/openapi.json"),
    include_str!("chat/openapi.json"),
    include_str!("relances/openapi.json"),
    include_str!("prestashop/openapi.json"),
    include_str!("signin/openapi.json"),
    include_str!("dispatch/openapi.json"),
    include_str!("stats/openapi.json"),
    include_str!("settings/openapi.json"),
    include_str!("backups/openapi.json"),
    include_str!("doctor/openapi.json"),
    include_str!("rgpd/openapi.json"),
    include_str!("rapports/openapi.json"),
    include_str!("strava/openapi.json"),
];

/// An `/api/admin/*` route: `admin_limit(route(..))` gives it the rate limit
/// every admin route shares (30 requests a minute per user, one counter for
/// all of them; a unit test of the router checks that each admin path
/// declares it).
#[must_use]
pub const fn admin_limit(route: Route) -> Route {
    route.limit_shared(ADMIN_BUCKET, 30, 60)
}
