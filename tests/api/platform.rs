//! Cross-cutting behaviour: uniform errors, CORS, body limit, JWT checks,
//! health, OpenAPI, audit log.

use crate::common::*;
use mykollector::security::Role;
use mysql::prelude::Queryable;
use serde_json::json;

fn b64url(bytes: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[test]
fn health_reports_database_disk_and_modules() {
    let h = get("/api/health", None).expect(200);
    assert_eq!(h["status"], "ok");
    assert_eq!(h["database"]["ok"], true);
    assert!(h["disk"]["storage_free_bytes"].as_u64().unwrap() > 0);
    assert_eq!(h["disk"]["storage_writable"], true);
    assert!(h["modules"]["smtp"].is_boolean());
    assert!(h["backup"].is_object());
}

#[test]
fn unknown_route_wrong_method_bad_json() {
    get("/api/nexiste-pas", None).assert_error(404, "route_not_found");
    let r = request("DELETE", "/api/health", None, &[], None);
    r.assert_error(405, "method_not_allowed");
    assert_eq!(r.header("Allow"), Some("GET"));
    request(
        "POST",
        "/api/auth/login",
        None,
        &[],
        Some(("application/json", b"{pas du json".to_vec())),
    )
    .assert_error(400, "invalid_json");
    post("/api/auth/login", None, &json!({ "email": 3 })).assert_error(422, "validation_error");
}

#[test]
fn oversized_body_is_413() {
    let big = vec![b'a'; config().max_body_bytes + 1];
    request(
        "POST",
        "/api/auth/login",
        None,
        &[],
        Some(("application/json", big)),
    )
    .assert_error(413, "payload_too_large");
}

#[test]
fn missing_tampered_none_and_expired_tokens_are_401() {
    get("/api/auth/me", None).assert_error(401, "token_missing");
    get("/api/auth/me", Some("pas.un.jwt")).assert_error(401, "token_invalid");

    let u = user(Role::Sportif);
    let parts: Vec<&str> = u.token.split('.').collect();
    let exp = mykollector::security::jwt::now_secs() + 3600;
    let forged = b64url(
        format!(
            r#"{{"sub":{},"role":"super_admin","iat":1,"exp":{exp}}}"#,
            u.id
        )
        .as_bytes(),
    );
    let tampered = format!("{}.{}.{}", parts[0], forged, parts[2]);
    get("/api/auth/me", Some(&tampered)).assert_error(401, "token_invalid");

    let none_header = b64url(br#"{"alg":"none","typ":"JWT"}"#);
    get("/api/auth/me", Some(&format!("{none_header}.{forged}.")))
        .assert_error(401, "token_invalid");

    let c = config();
    let expired = mykollector::security::jwt::issue(
        &c.jwt_secret,
        std::time::Duration::ZERO,
        u.id,
        Role::Sportif,
        None,
        "expired-session",
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    get("/api/auth/me", Some(&expired)).assert_error(401, "token_expired");
}

#[test]
fn cors_allows_configured_origins_only() {
    let allowed = c_origin();
    let r = request(
        "OPTIONS",
        "/api/auth/login",
        None,
        &[
            ("Origin", &allowed),
            ("Access-Control-Request-Method", "POST"),
        ],
        None,
    );
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(
        r.header("Access-Control-Allow-Origin"),
        Some(allowed.as_str())
    );
    assert!(r
        .header("Access-Control-Allow-Headers")
        .unwrap()
        .contains("Authorization"));

    let evil = request(
        "OPTIONS",
        "/api/auth/login",
        None,
        &[
            ("Origin", "https://evil.example"),
            ("Access-Control-Request-Method", "POST"),
        ],
        None,
    );
    evil.assert_error(403, "origin_not_allowed");
    assert_eq!(evil.header("Access-Control-Allow-Origin"), None);

    let g = request(
        "GET",
        "/api/health",
        None,
        &[("Origin", "https://evil.example")],
        None,
    );
    assert_eq!(g.header("Access-Control-Allow-Origin"), None);
    let g = request("GET", "/api/health", None, &[("Origin", &allowed)], None);
    assert_eq!(
        g.header("Access-Control-Allow-Origin"),
        Some(allowed.as_str())
    );
}

fn c_origin() -> String {
    config()
        .cors_origins
        .first()
        .cloned()
        .expect("CORS_ORIGINS set in the test .env")
}

#[test]
fn openapi_document_is_served() {
    let doc = get("/api/openapi.json", None).expect(200);
    assert_eq!(doc["openapi"], "3.0.3");
    assert!(doc["paths"]["/api/auth/login"]["post"].is_object());
}

#[test]
fn state_changing_requests_are_audited() {
    let u = user(Role::Sportif);
    patch(
        "/api/user/profil",
        Some(&u.token),
        &json!({ "nom": "Auditeur" }),
    )
    .expect(200);
    let row: Option<(String, String, u16, Option<u64>, String)> = db()
        .exec_first(
            "SELECT methode, route, statut_http, user_id, niveau FROM logs_audit WHERE user_id = ? ORDER BY id DESC LIMIT 1",
            (u.id,),
        )
        .unwrap();
    let (method, route, status, user_id, level) = row.expect("an audit row");
    assert_eq!(
        (method.as_str(), route.as_str(), status),
        ("PATCH", "/api/user/profil", 200)
    );
    assert_eq!(user_id, Some(u.id));
    assert_eq!(level, "INFO");
}

#[test]
fn role_changes_and_deactivation_apply_to_live_tokens() {
    let admin = user(Role::AdminFab);
    get("/api/admin/users", Some(&admin.token)).expect(200);
    db().exec_drop(
        "UPDATE users SET role = 'sportif' WHERE id = ?",
        (admin.id,),
    )
    .unwrap();
    get("/api/admin/users", Some(&admin.token)).assert_error(403, "forbidden");
    db().exec_drop("UPDATE users SET actif = FALSE WHERE id = ?", (admin.id,))
        .unwrap();
    get("/api/auth/me", Some(&admin.token)).assert_error(401, "account_disabled");
}
