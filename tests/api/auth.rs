//! Spec §5.1: setup, login, refresh rotation, logout, password reset, profile.

use crate::common::*;
use mykollector::security::Role;
use mysql::prelude::Queryable;
use serde_json::json;

fn login(email: &str, password: &str) -> Resp {
    post(
        "/api/auth/login",
        None,
        &json!({ "email": email, "password": password }),
    )
}

#[test]
fn login_me_refresh_logout() {
    let u = user(Role::Sportif);
    let session = login(&u.email.to_uppercase(), &u.password).expect(200);
    let token = session["token"].as_str().unwrap();
    assert_eq!(session["user"]["id"], u.id);
    assert_eq!(session["token_type"], "Bearer");
    assert!(session["user"].get("password").is_none());

    let me = get("/api/auth/me", Some(token)).expect(200);
    assert_eq!(me["email"], u.email);
    assert_eq!(me["role"], "sportif");

    let refresh = session["refresh_token"].as_str().unwrap();
    let rotated = post(
        "/api/auth/refresh",
        None,
        &json!({ "refresh_token": refresh }),
    )
    .expect(200);
    let new_refresh = rotated["refresh_token"].as_str().unwrap();
    assert_ne!(new_refresh, refresh);
    get("/api/auth/me", rotated["token"].as_str()).expect(200);
    get("/api/auth/me", Some(token)).expect(200);

    let out = post(
        "/api/auth/logout",
        rotated["token"].as_str(),
        &json!({ "refresh_token": new_refresh }),
    )
    .expect(200);
    assert_eq!(out["sessions_revoked"], 1);
    post(
        "/api/auth/refresh",
        None,
        &json!({ "refresh_token": new_refresh }),
    )
    .assert_error(401, "refresh_token_reused");
    // Issue 13 item 9: rotation kept the login session, so the first access
    // token lived on; logout ends it with the rotated one.
    for old in [token, rotated["token"].as_str().unwrap()] {
        get("/api/auth/me", Some(old)).assert_error(401, "session_revoked");
    }
}

#[test]
fn reused_refresh_token_revokes_the_whole_family() {
    let u = user(Role::Sportif);
    let first = login(&u.email, &u.password).expect(200);
    let stolen = first["refresh_token"].as_str().unwrap().to_string();
    let second = post(
        "/api/auth/refresh",
        None,
        &json!({ "refresh_token": stolen }),
    )
    .expect(200);
    // The thief replays the old token: refused, and the family dies with it.
    post(
        "/api/auth/refresh",
        None,
        &json!({ "refresh_token": stolen }),
    )
    .assert_error(401, "refresh_token_reused");
    post(
        "/api/auth/refresh",
        None,
        &json!({ "refresh_token": second["refresh_token"] }),
    )
    .assert_error(401, "refresh_token_reused");
}

#[test]
fn wrong_password_and_unknown_account_look_the_same() {
    let u = user(Role::Sportif);
    let a = login(&u.email, "pas-le-bon-mot-de-passe");
    let b = login(&format!("inconnu-{}", u.email), "pas-le-bon-mot-de-passe");
    a.assert_error(401, "invalid_credentials");
    b.assert_error(401, "invalid_credentials");
    assert_eq!(a.json()["message"], b.json()["message"]);
}

#[test]
fn sixth_failed_login_within_15_minutes_is_429() {
    let u = user(Role::Sportif);
    for _ in 0..5 {
        login(&u.email, "mauvais-mot-de-passe").assert_error(401, "invalid_credentials");
    }
    let limited = login(&u.email, &u.password);
    limited.assert_error(429, "rate_limited");
    let retry: u64 = limited.header("Retry-After").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "Retry-After {retry}");
}

#[test]
fn successful_logins_do_not_use_up_the_budget() {
    let u = user(Role::Sportif);
    for _ in 0..7 {
        login(&u.email, &u.password).expect(200);
    }
}

#[test]
fn failed_logins_are_limited_per_ip_too() {
    // From an address of our own, so other tests' budget is untouched.
    let ip = format!("127.0.{}.{}", rand_octet(), rand_octet());
    let max = config().login_max_attempts_per_ip;
    for i in 0..max {
        let email = format!("{}@test.mykollector.fr", unique("ipflood"));
        let body = json!({ "email": email, "password": "x-mauvais" }).to_string();
        let r = raw_from(&ip, "POST", "/api/auth/login", &body);
        assert_eq!(r.status, 401, "attempt {i}: {}", r.text());
    }
    let u = user(Role::Sportif);
    let body = json!({ "email": u.email, "password": u.password }).to_string();
    raw_from(&ip, "POST", "/api/auth/login", &body).assert_error(429, "rate_limited");
}

fn rand_octet() -> u8 {
    let hex = mykollector::security::tokens::random_hex(1);
    u8::from_str_radix(&hex, 16).unwrap().clamp(2, 250)
}

#[test]
fn deactivated_account_cannot_log_in_or_refresh() {
    let u = user(Role::Sportif);
    let session = login(&u.email, &u.password).expect(200);
    db().exec_drop("UPDATE users SET actif = FALSE WHERE id = ?", (u.id,))
        .unwrap();
    login(&u.email, &u.password).assert_error(401, "invalid_credentials");
    post(
        "/api/auth/refresh",
        None,
        &json!({ "refresh_token": session["refresh_token"] }),
    )
    .assert_error(401, "refresh_token_invalid");
    get("/api/auth/me", session["token"].as_str()).assert_error(401, "account_disabled");
}

#[test]
fn forgot_and_reset_password() {
    let u = user(Role::Sportif);
    let known = post(
        "/api/auth/forgot-password",
        None,
        &json!({ "email": u.email }),
    )
    .expect(200);
    let unknown = post(
        "/api/auth/forgot-password",
        None,
        &json!({ "email": format!("nobody-{}", u.email) }),
    )
    .expect(200);
    assert_eq!(
        known, unknown,
        "the answer must not reveal whether the account exists"
    );

    let token = wait_for_mail_token(&u.email);
    let stored: Option<String> = db()
        .exec_first("SELECT reset_token FROM users WHERE id = ?", (u.id,))
        .unwrap();
    assert_ne!(
        stored.as_deref(),
        Some(token.as_str()),
        "the token is stored hashed"
    );

    post(
        "/api/auth/reset-password",
        None,
        &json!({ "token": token, "password": "court" }),
    )
    .assert_error(422, "validation_error");
    post(
        "/api/auth/reset-password",
        None,
        &json!({ "token": token, "password": "nouveau-mot-de-passe" }),
    )
    .expect(200);
    post(
        "/api/auth/reset-password",
        None,
        &json!({ "token": token, "password": "encore-un-autre" }),
    )
    .assert_error(400, "reset_token_invalid");
    login(&u.email, "nouveau-mot-de-passe").expect(200);
}

#[test]
fn expired_reset_token_is_refused() {
    let u = user(Role::Sportif);
    post(
        "/api/auth/forgot-password",
        None,
        &json!({ "email": u.email }),
    )
    .expect(200);
    let token = wait_for_mail_token(&u.email);
    db().exec_drop(
        "UPDATE users SET reset_expires = NOW() - INTERVAL 1 SECOND WHERE id = ?",
        (u.id,),
    )
    .unwrap();
    post(
        "/api/auth/reset-password",
        None,
        &json!({ "token": token, "password": "nouveau-mot-de-passe" }),
    )
    .assert_error(400, "reset_token_invalid");
}

/// Reads the reset link the fake SMTP server received for `email`.
fn wait_for_mail_token(email: &str) -> String {
    let dir =
        std::env::var("MK_TEST_MAIL_DIR").expect("MK_TEST_MAIL_DIR is set by scripts/test.sh");
    for _ in 0..100 {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            if text.contains(email) {
                let unfolded = text
                    .replace("=\r\n", "")
                    .replace("=\n", "")
                    .replace("=3D", "=");
                if let Some(pos) = unfolded.find("token=") {
                    let token: String = unfolded[pos + 6..]
                        .chars()
                        .take_while(char::is_ascii_hexdigit)
                        .collect();
                    if token.len() == 64 {
                        return token;
                    }
                }
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("no reset mail for {email} in {dir}");
}

#[test]
fn profile_names_are_the_engraving_source() {
    let u = user(Role::Sportif);
    let r = patch(
        "/api/user/profil",
        Some(&u.token),
        &json!({ "nom": "  Martin ", "prenom": "Julien" }),
    )
    .expect(200);
    assert_eq!(r["nom"], "Martin");
    assert_eq!(r["prenom"], "Julien");
    patch(
        "/api/user/profil",
        Some(&u.token),
        &json!({ "nom": "<script>" }),
    )
    .assert_error(422, "validation_error");
    patch(
        "/api/user/profil",
        Some(&u.token),
        &json!({ "role": "super_admin" }),
    )
    .assert_error(422, "validation_error");
    patch("/api/user/profil", None, &json!({ "nom": "X" })).assert_error(401, "token_missing");
}

#[test]
fn password_change_needs_the_current_one() {
    let u = user(Role::Sportif);
    patch(
        "/api/user/profil",
        Some(&u.token),
        &json!({ "mot_de_passe_actuel": "faux-mot-de-passe", "nouveau_mot_de_passe": "tout-nouveau-1" }),
    )
    .assert_error(422, "wrong_password");
    patch(
        "/api/user/profil",
        Some(&u.token),
        &json!({ "mot_de_passe_actuel": u.password, "nouveau_mot_de_passe": "tout-nouveau-1" }),
    )
    .expect(200);
    login(&u.email, "tout-nouveau-1").expect(200);
}

#[test]
fn setup_is_refused_once_a_super_admin_exists() {
    // The suite's fixtures create super_admins, so setup is closed.
    user(Role::SuperAdmin);
    assert_eq!(get("/api/setup", None).expect(200)["setup_required"], false);
    post(
        "/api/setup",
        None,
        &json!({ "email": format!("{}@x.fr", unique("setup")), "password": "un-mot-de-passe" }),
    )
    .assert_error(409, "setup_already_done");
}

#[test]
fn sql_injection_looking_values_are_plain_data() {
    let u = user(Role::Sportif);
    let evil = "O'Brien-Robert";
    patch("/api/user/profil", Some(&u.token), &json!({ "nom": evil })).expect(200);
    assert_eq!(get("/api/auth/me", Some(&u.token)).expect(200)["nom"], evil);
    login("' OR '1'='1", "' OR '1'='1").assert_error(401, "invalid_credentials");
    let tables: Option<u64> = db().query_first("SELECT COUNT(*) FROM users").unwrap();
    assert!(tables.unwrap() > 0);
}
