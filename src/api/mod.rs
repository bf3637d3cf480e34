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
//! | /api/strava, /api/admin/strava | [`strava`] |

use crate::http::router::Route;

pub mod admin;
pub mod auth;
pub mod chronos;
pub mod commandes;
pub mod fab;
pub mod gravure;
pub mod health;
pub mod openapi;
pub mod parcours;
pub mod sav;
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
    strava::ROUTES,
];

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
    include_str!("strava/openapi.json"),
];
