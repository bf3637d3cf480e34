//! The OpenAPI 3 document served at `/api/openapi.json`.
//!
//! Each domain module documents its own routes in an `openapi.json` beside its
//! code (`paths` plus optional `components.schemas`); this module merges them
//! into one document. A test checks that the document and the route table
//! list exactly the same operations, so neither can drift from the other.

use crate::error::catalog;
use serde_json::{json, Map, Value};

/// The merged document.
///
/// # Panics
///
/// If a module's embedded `openapi.json` is not valid JSON (the unit tests
/// build the document, so this fails there first).
#[must_use]
pub fn document() -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    schemas.insert("Error".into(), json!({
        "type": "object",
        "required": ["error", "code", "message"],
        "properties": {
            "error": { "type": "boolean", "const": true },
            "code": {
                "type": "string",
                "description": "Code stable, en anglais (snake_case) : voir x-error-codes",
                "enum": catalog::ALL.iter().map(|c| c.code).collect::<Vec<_>>()
            },
            "message": { "type": "string", "description": "Message pour l'utilisateur, en français" }
        }
    }));
    schemas.insert("ListPage".into(), json!({
        "type": "object",
        "description": "Enveloppe de toute liste paginée (?page=&per_page=, 50 par défaut, 200 au plus)",
        "required": ["items", "total", "total_exact", "has_more", "page", "per_page"],
        "properties": {
            "items": { "type": "array", "items": {} },
            "total": {
                "type": "integer",
                "description": format!("Éléments correspondants, comptés jusqu'à {} : au-delà, une borne inférieure", crate::http::list::TOTAL_CAP)
            },
            "total_exact": { "type": "boolean", "description": "false quand total est une borne inférieure" },
            "has_more": { "type": "boolean", "description": "Une page suivante a des éléments" },
            "page": { "type": "integer" },
            "per_page": { "type": "integer" }
        }
    }));
    for part in super::OPENAPI_PARTS {
        let part: Value = serde_json::from_str(part).expect("module openapi.json is valid JSON");
        for (path, ops) in part["paths"].as_object().into_iter().flatten() {
            let entry = paths.entry(path.clone()).or_insert_with(|| json!({}));
            for (method, op) in ops.as_object().into_iter().flatten() {
                entry[method] = op.clone();
            }
        }
        for (name, schema) in part["components"]["schemas"]
            .as_object()
            .into_iter()
            .flatten()
        {
            schemas.insert(name.clone(), schema.clone());
        }
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "MyKollector API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "API REST de MyKollector. Toutes les erreurs ont la forme {\"error\": true, \"code\": \"...\", \"message\": \"...\"}."
        },
        "servers": [{ "url": "/" }],
        "x-error-codes": error_codes(),
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" }
            },
            "schemas": schemas
        },
        "paths": paths
    })
}

/// The error catalogue: each code with its HTTP status and default message.
fn error_codes() -> Value {
    catalog::ALL
        .iter()
        .map(|c| json!({ "code": c.code, "status": c.status, "message": c.message }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::routes;
    use crate::http::router::Access;
    use std::collections::BTreeSet;

    #[test]
    fn document_lists_exactly_the_routes_of_the_router() {
        let doc = document();
        let documented: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, ops)| {
                ops.as_object()
                    .unwrap()
                    .keys()
                    .map(move |m| (m.to_uppercase(), path.clone()))
            })
            .collect();
        let routed: BTreeSet<(String, String)> = routes()
            .map(|r| (r.method.as_str().to_string(), r.path.to_string()))
            .collect();
        let missing: Vec<_> = routed.difference(&documented).collect();
        let stale: Vec<_> = documented.difference(&routed).collect();
        assert!(
            missing.is_empty(),
            "routes missing from openapi.json: {missing:?}"
        );
        assert!(
            stale.is_empty(),
            "openapi.json documents unknown routes: {stale:?}"
        );
    }

    #[test]
    fn protected_routes_declare_bearer_security() {
        let doc = document();
        for r in routes() {
            let op = &doc["paths"][r.path][r.method.as_str().to_lowercase()];
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            assert_eq!(
                secured,
                r.access != Access::Public,
                "{} {}: security in openapi.json does not match the route's access",
                r.method.as_str(),
                r.path
            );
            assert!(
                op["responses"].is_object(),
                "{} {} has no responses",
                r.method.as_str(),
                r.path
            );
        }
    }

    #[test]
    fn document_lists_the_error_catalogue() {
        let doc = document();
        let codes = doc["x-error-codes"].as_array().unwrap();
        assert_eq!(codes.len(), catalog::ALL.len());
        assert!(codes
            .iter()
            .any(|c| c["code"] == "order_not_found" && c["status"] == 404));
        let listed = &doc["components"]["schemas"]["Error"]["properties"]["code"]["enum"];
        assert!(listed
            .as_array()
            .unwrap()
            .contains(&json!("validation_error")));
    }
}
