//! Issue 13 items 7–9, through Apache in both gateway modes: Apache's own
//! errors under `/api/` in the uniform JSON, the security headers on API
//! answers and pages, and logout ending the access token.

use crate::common::*;
use mykollector::security::Role;
use mysql::prelude::Queryable;
use serde_json::json;

fn login(u: &TestUser) -> serde_json::Value {
    post(
        "/api/auth/login",
        None,
        &json!({ "email": u.email, "password": u.password }),
    )
    .expect(200)
}

/// Issue 13 item 9: a token used after logout is refused, although its
/// signature and expiry are still valid (rotation: `auth.rs`).
#[test]
fn access_token_refused_after_logout() {
    let u = user(Role::Sportif);
    let session = login(&u);
    let token = session["token"].as_str().unwrap();
    get("/api/auth/me", Some(token)).expect(200);
    post(
        "/api/auth/logout",
        Some(token),
        &json!({ "refresh_token": session["refresh_token"] }),
    )
    .expect(200);
    get("/api/auth/me", Some(token)).assert_error(401, "session_revoked");
    patch("/api/user/profil", Some(token), &json!({ "nom": "Pirate" }))
        .assert_error(401, "session_revoked");
}

/// Logout without a body closes every session of the user (every device);
/// logging out of one device with its refresh token leaves the others alone.
#[test]
fn logout_scope_one_device_or_all() {
    let u = user(Role::Sportif);
    let (phone, laptop, tablet) = (login(&u), login(&u), login(&u));
    let token = |s: &serde_json::Value| s["token"].as_str().unwrap().to_string();
    post(
        "/api/auth/logout",
        Some(&token(&phone)),
        &json!({ "refresh_token": phone["refresh_token"] }),
    )
    .expect(200);
    get("/api/auth/me", Some(&token(&phone))).assert_error(401, "session_revoked");
    get("/api/auth/me", Some(&token(&laptop))).expect(200);

    request("POST", "/api/auth/logout", Some(&token(&laptop)), &[], None).expect(200);
    for other in [token(&laptop), token(&tablet), u.token.clone()] {
        get("/api/auth/me", Some(&other)).assert_error(401, "session_revoked");
    }
}

/// A public route treats a logged-out token as no token: an admin's closed
/// session no longer unlocks the admin view of the course list.
#[test]
fn logged_out_token_is_anonymous_on_public_routes() {
    let (course, _) = crate::commandes::course();
    // Inactive, and named to sort first so it is on the first page.
    db().exec_drop(
        "UPDATE produits SET actif = FALSE, nom = CONCAT('000 ', nom) WHERE id = ?",
        (course,),
    )
    .unwrap();
    let lists = |token: Option<&str>| {
        get("/api/parcours?tous=1&per_page=200", token).expect(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == course)
    };
    let admin = user(Role::SuperAdmin);
    let session = login(&admin);
    let token = session["token"].as_str().unwrap();
    assert!(lists(Some(token)), "the admin sees inactive courses");
    request("POST", "/api/auth/logout", Some(token), &[], None).expect(200);
    assert!(!lists(Some(token)), "a closed session is anonymous");
}

/// A raw HTTP/1.0 request (no client would send these as they are).
fn raw(method: &str, target: &str, extra_headers: &str) -> Resp {
    raw_request(
        format!("{method} {target} HTTP/1.0\r\nHost: mk.test\r\n{extra_headers}\r\n").as_bytes(),
    )
}

/// Issue 13 item 7: TRACE is refused in JSON, and never echoes the request
/// (cross-site tracing would hand a page the caller's headers).
#[test]
fn trace_is_refused_in_json() {
    for target in ["/api/health", "/api/auth/me", "/"] {
        let r = raw("TRACE", target, "X-Canary: secret-canary-42\r\n");
        r.assert_error(405, "method_not_allowed");
        assert!(!r.text().contains("secret-canary-42"), "{}", r.text());
    }
}

/// Issue 13 item 7: paths Apache refuses before reading any .htaccess answer
/// the uniform JSON with Apache's status (server-level ErrorDocument).
#[test]
fn paths_apache_refuses_answer_json() {
    raw("GET", "/api/parcours/a%2Fb", "").assert_error(404, "route_not_found");
    raw("GET", "/api/parcours/a%00b", "").assert_error(404, "route_not_found");
    raw("GET", "/api/parcours/%zz", "").assert_error(400, "bad_request");
    // A segment longer than a file name may be (255 bytes) where Apache maps
    // the URL to the disk, before the front controller takes it.
    raw("GET", &format!("/api/{}", "a".repeat(300)), "").assert_error(403, "forbidden");
}

/// Issue 13 item 7: an over-long URL (414) and oversized headers (400).
#[test]
fn oversized_request_line_and_headers_answer_json() {
    let long_url = format!("/api/parcours?q={}", "a".repeat(9000));
    raw("GET", &long_url, "").assert_error(414, "uri_too_long");
    let big = format!("X-Big: {}\r\n", "b".repeat(9000));
    raw("GET", "/api/health", &big).assert_error(400, "bad_request");
}

/// Issue 13 item 7: a client that stops sending its body is cut off in JSON:
/// 408 under `mod_cgid`; `mod_fcgid` reports the same failure as a 500.
#[test]
fn stalled_body_answers_json() {
    let r = raw_request(
        b"POST /api/auth/login HTTP/1.0\r\nHost: mk.test\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"email\":",
    );
    if mode() == "fastcgi" {
        r.assert_error(500, "internal_error");
    } else {
        r.assert_error(408, "request_timeout");
    }
}

/// Issue 13 item 7: errors Apache raises after reading api/.htaccess (here
/// the 403 of the deny rules) are JSON too; the error documents themselves
/// are not addressable API paths.
#[test]
fn apache_errors_after_htaccess_are_json() {
    get("/api/.htaccess", None).assert_error(403, "forbidden");
    get("/api/apache-errors/408.json", None).assert_error(404, "route_not_found");
}

/// The value of a header that must appear exactly once.
#[track_caller]
fn single_header<'a>(r: &'a Resp, name: &str) -> &'a str {
    let values: Vec<&str> = r
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(values.len(), 1, "{name}: {values:?}");
    values[0]
}

/// Issue 13 item 8: every API answer (success or error) carries the security
/// headers once each; an API answer is data, so its CSP allows nothing.
#[test]
fn security_headers_on_api_answers() {
    let u = user(Role::Sportif);
    for r in [
        get("/api/health", None),
        get("/api/auth/me", Some(&u.token)),
        get("/api/nexiste-pas", None),
        request("DELETE", "/api/health", None, &[], None),
    ] {
        let csp = single_header(&r, "Content-Security-Policy");
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(single_header(&r, "X-Frame-Options"), "DENY");
        assert_eq!(single_header(&r, "X-Content-Type-Options"), "nosniff");
        assert_eq!(single_header(&r, "Referrer-Policy"), "no-referrer");
        assert!(single_header(&r, "Permissions-Policy").contains("geolocation=()"));
    }
}

/// Issue 13 item 8: every page and asset carries a CSP without
/// 'unsafe-inline', frame-ancestors 'none', nosniff, a Referrer-Policy, and
/// a Permissions-Policy that allows geolocation on the QR page only.
#[test]
fn security_headers_on_pages() {
    for path in [
        "/",
        "/chrono/",
        "/fab/",
        "/admin/",
        "/qr/?p=col-izoard",
        "/assets/js/api.js",
        "/assets/css/mk.css",
    ] {
        let r = get(path, None);
        assert_eq!(r.status, 200, "{path}");
        let csp = single_header(&r, "Content-Security-Policy");
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(single_header(&r, "X-Frame-Options"), "DENY", "{path}");
        assert_eq!(single_header(&r, "X-Content-Type-Options"), "nosniff");
        assert!(r.header("Referrer-Policy").is_some(), "{path}");
        let geolocation = if path.starts_with("/qr/") {
            "geolocation=(self)"
        } else {
            "geolocation=()"
        };
        let permissions = single_header(&r, "Permissions-Policy");
        assert!(permissions.contains(geolocation), "{path}: {permissions}");
        // HSTS only over HTTPS: the local instance serves plain HTTP
        // (scripts/test.sh checks it on the HTTPS smoke instance).
        assert_eq!(r.header("Strict-Transport-Security"), None, "{path}");
    }
}
