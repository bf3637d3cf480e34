//! (module being built)

use crate::http::router::Route;

/// Routes of this module.
pub const ROUTES: &[Route] = &[];
