//! The API's domains, one module each (spec §5). Each module owns its routes
//! (`ROUTES`), handlers, SQL, request/response types and its part of the
//! OpenAPI document (`openapi.json` beside its code).
//!
//! | URL prefix | module |
//! |---|---|
//! | /api/health, /api/openapi.json | [`health`] |
//! | /api/setup, /api/auth, /api/user/profil | [`auth`] |

use crate::http::router::Route;

pub mod auth;
pub mod health;
pub mod openapi;

/// Every module's route table.
pub const MODULES: &[&[Route]] = &[health::ROUTES, auth::ROUTES];

/// Every module's OpenAPI fragment.
const OPENAPI_PARTS: &[&str] = &[
    include_str!("health/openapi.json"),
    include_str!("auth/openapi.json"),
];
