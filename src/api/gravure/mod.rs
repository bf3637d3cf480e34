//! Spec §5.6, §8 — templates, lots, the lot's DXF and the workshop agent.

pub mod dxf_fill;

use crate::http::router::Route;

/// Routes of this module.
pub const ROUTES: &[Route] = &[];
