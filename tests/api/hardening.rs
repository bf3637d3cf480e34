//! Issue 13 items 7–9, through Apache in both gateway modes: Apache's own
//! errors under `/api/` in the uniform JSON, the security headers on API
//! answers and pages, and logout ending the access token.

use crate::common::*;
use mykollector::security::Role;
use mysql::prelude::Queryable;
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

fn login(u: &TestUser) -> serde_json::Value {
    post(
        "/api/auth/login",
        None,
        &json!({ "email": u.email, "password": u.password }),
    )
    .expect(200)
}

/// Issue 13 item 9: a token used after logout is refused, although its
/// signature and expiry are still valid.
#[test]
fn access_token_refused_after_logout() {
    let u = user(Role::Sportif);
    let session = login(&u);
    let token = session["token"].as_str().unwrap();
    let refresh = session["refresh_token"].as_str().unwrap();
    // Rotating the refresh token keeps the login session: the first access
    // token still works until it expires or the user logs out.
    let rotated = post(
        "/api/auth/refresh",
        None,
        &json!({ "refresh_token": refresh }),
    )
    .expect(200);
    get("/api/auth/me", Some(token)).expect(200);
    let new_token = rotated["token"].as_str().unwrap();
    post(
        "/api/auth/logout",
        Some(new_token),
        &json!({ "refresh_token": rotated["refresh_token"] }),
    )
    .expect(200);
    get("/api/auth/me", Some(token)).assert_error(401, "session_revoked");
    get("/api/auth/me", Some(new_token)).assert_error(401, "session_revoked");
    patch("/api/user/profil", Some(new_token), &json!({ "nom": "Pirate" }))
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
