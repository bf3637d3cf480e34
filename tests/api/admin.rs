//! Spec §5.10, §10.4, §10.5, §14 "Logs": user management, the audit log
//! viewer and its CSV export, maintenance mode, the `/api/admin/*` rate limit.

use crate::common::*;
use mykollector::security::Role;
use mysql::prelude::Queryable;
use serde_json::{json, Value};

fn email(prefix: &str) -> String {
    format!("{}@test.mykollector.fr", unique(prefix))
}

fn login(email: &str, password: &str) -> Resp {
    post(
        "/api/auth/login",
        None,
        &json!({ "email": email, "password": password }),
    )
}

/// A login expected to fail, sent from a loopback address of its own so the
/// suite's shared per-IP budget of failed logins is left alone.
fn failed_login(email: &str, password: &str) -> Resp {
    let hex = mykollector::security::tokens::random_hex(2);
    let (a, b) = (
        u8::from_str_radix(&hex[..2], 16).unwrap().clamp(2, 250),
        u8::from_str_radix(&hex[2..], 16).unwrap().clamp(2, 250),
    );
    let body = json!({ "email": email, "password": password }).to_string();
    raw_from(&format!("127.1.{a}.{b}"), "POST", "/api/auth/login", &body)
}

/// (role, nom, `atelier_id`, `fabricant_id`, actif) of a user, straight from the DB.
fn db_user(id: u64) -> (String, Option<String>, Option<u64>, Option<u64>, bool) {
    db().exec_first(
        "SELECT role, nom, atelier_id, fabricant_id, actif FROM users WHERE id = ?",
        (id,),
    )
    .unwrap()
    .expect("user row")
}

fn live_sessions(user_id: u64) -> u64 {
    db().exec_first(
        "SELECT COUNT(*) FROM sessions WHERE user_id = ? AND revoked_at IS NULL",
        (user_id,),
    )
    .unwrap()
    .unwrap()
}

fn fabricant() -> u64 {
    let mut conn = db();
    let code = unique("FB");
    conn.exec_drop(
        "INSERT INTO fabricants (nom, code) VALUES (?, ?)",
        (format!("Fonderie {code}"), &code),
    )
    .unwrap();
    conn.last_insert_id()
}

/// `PATCH /api/admin/users/{id}` with `body`, sent with `token`.
fn update_user(token: Option<&str>, id: u64, body: &Value) -> Resp {
    patch(&format!("/api/admin/users/{id}"), token, body)
}

fn assert_no_hash(body: &Value) {
    let text = body.to_string();
    assert!(!text.contains("\"password\""), "{text}");
    assert!(!text.contains("$2b$") && !text.contains("$2y$"), "{text}");
}

// ---------------------------------------------------------------------------
// Access
// ---------------------------------------------------------------------------

#[test]
fn admin_routes_refuse_missing_tokens_and_other_roles() {
    let target = user(Role::Sportif);
    let by_id = format!("/api/admin/users/{}", target.id);
    let body = json!({ "nom": "Durand" });
    let create = json!({ "email": email("x"), "password": "motdepasse-1", "role": "sportif" });
    get("/api/admin/users", None).assert_error(401, "token_missing");
    post("/api/admin/users", None, &create).assert_error(401, "token_missing");
    get(&by_id, None).assert_error(401, "token_missing");
    patch(&by_id, None, &body).assert_error(401, "token_missing");
    delete(&by_id, None).assert_error(401, "token_missing");
    get("/api/admin/logs", None).assert_error(401, "token_missing");
    get("/api/admin/maintenance", None).assert_error(401, "token_missing");
    post("/api/admin/maintenance", None, &json!({ "actif": true }))
        .assert_error(401, "token_missing");

    for role in [Role::Sportif, Role::AdminChrono, Role::OperateurFab] {
        let atelier_id = (role == Role::OperateurFab).then(atelier);
        let u = user_in(role, atelier_id);
        let t = Some(u.token.as_str());
        get("/api/admin/users", t).assert_error(403, "forbidden");
        post("/api/admin/users", t, &create).assert_error(403, "forbidden");
        get(&by_id, t).assert_error(403, "forbidden");
        patch(&by_id, t, &body).assert_error(403, "forbidden");
        delete(&by_id, t).assert_error(403, "forbidden");
        get("/api/admin/logs", t).assert_error(403, "forbidden");
        get("/api/admin/logs?format=csv", t).assert_error(403, "forbidden");
        get("/api/admin/maintenance", t).assert_error(403, "forbidden");
    }
    // Maintenance is the super_admin's alone.
    let fab = user(Role::AdminFab);
    get("/api/admin/maintenance", Some(&fab.token)).assert_error(403, "forbidden");
    post(
        "/api/admin/maintenance",
        Some(&fab.token),
        &json!({ "actif": true }),
    )
    .assert_error(403, "forbidden");
    assert!(!config().maintenance_flag().exists());
    // Nothing was touched, nothing was created.
    assert_eq!(db_user(target.id).1.as_deref(), Some("Testeur"));
    assert!(db_user(target.id).4);
    let created: u64 = db()
        .exec_first(
            "SELECT COUNT(*) FROM users WHERE email = ?",
            (create["email"].as_str(),),
        )
        .unwrap()
        .unwrap();
    assert_eq!(created, 0);
}

// ---------------------------------------------------------------------------
// Users CRUD
// ---------------------------------------------------------------------------

#[test]
fn super_admin_user_lifecycle() {
    let sa = user(Role::SuperAdmin);
    let t = Some(sa.token.as_str());
    let atelier_id = atelier();
    let fab_id = fabricant();
    let mail = email("Operateur");

    // Create an operator (email normalised, password usable at once).
    let created = post(
        "/api/admin/users",
        t,
        &json!({
            "email": format!("  {}  ", mail.to_uppercase()),
            "password": "Gravure-2024",
            "role": "operateur_fab",
            "nom": "  Girard ",
            "prenom": "Lucie",
            "atelier_id": atelier_id,
            "fabricant_id": fab_id,
        }),
    )
    .expect(201);
    assert_no_hash(&created);
    let id = created["id"].as_u64().unwrap();
    assert_eq!(created["email"], mail.to_lowercase());
    assert_eq!(created["role"], "operateur_fab");
    assert_eq!(created["nom"], "Girard");
    assert_eq!(created["atelier_id"], atelier_id);
    assert!(created["atelier_nom"]
        .as_str()
        .unwrap()
        .starts_with("Atelier "));
    assert_eq!(created["fabricant_id"], fab_id);
    assert_eq!(created["actif"], true);
    assert_eq!(
        db_user(id),
        (
            "operateur_fab".into(),
            Some("Girard".into()),
            Some(atelier_id),
            Some(fab_id),
            true
        )
    );
    let hash: String = db()
        .exec_first("SELECT password FROM users WHERE id = ?", (id,))
        .unwrap()
        .unwrap();
    assert!(hash.starts_with("$2"), "stored as bcrypt");
    let session = login(&mail, "Gravure-2024").expect(200);
    assert_eq!(session["user"]["atelier_id"], atelier_id);

    // Show.
    let shown = get(&format!("/api/admin/users/{id}"), t).expect(200);
    assert_no_hash(&shown);
    assert_eq!(shown["id"], id);
    assert_eq!(shown["prenom"], "Lucie");

    // Promote to admin_fab (a super_admin may), detach from the atelier: the
    // open session is closed because the role changed.
    assert_eq!(live_sessions(id), 1);
    let promoted = update_user(t, id, &json!({ "role": "admin_fab", "atelier_id": null, "fabricant_id": null, "prenom": "Lucie-Anne" }))
    .expect(200);
    assert_no_hash(&promoted);
    assert_eq!(promoted["role"], "admin_fab");
    assert_eq!(promoted["atelier_id"], Value::Null);
    assert_eq!(promoted["prenom"], "Lucie-Anne");
    assert_eq!(promoted["nom"], "Girard", "untouched fields stay");
    assert_eq!(promoted["sessions_revoked"], 1);
    assert_eq!(live_sessions(id), 0);
    assert_eq!(
        db_user(id),
        ("admin_fab".into(), Some("Girard".into()), None, None, true)
    );
    post(
        "/api/auth/refresh",
        None,
        &json!({ "refresh_token": session["refresh_token"] }),
    )
    .assert_error(401, "refresh_token_reused");

    // Password reset by the admin: old password refused, new one works,
    // sessions opened with the old one are closed.
    login(&mail, "Gravure-2024").expect(200);
    let reset = update_user(t, id, &json!({ "password": "Nouveau-Secret-9" })).expect(200);
    assert_eq!(reset["sessions_revoked"], 1);
    failed_login(&mail, "Gravure-2024").assert_error(401, "invalid_credentials");
    login(&mail, "Nouveau-Secret-9").expect(200);

    // Names only: sessions stay.
    let renamed = update_user(t, id, &json!({ "nom": "Girard-Morel" })).expect(200);
    assert_eq!(renamed["sessions_revoked"], 0);
    assert_eq!(live_sessions(id), 1);

    // Delete = deactivate, keep the row, close every session.
    let gone = delete(&format!("/api/admin/users/{id}"), t).expect(200);
    assert_eq!(gone["actif"], false);
    assert_eq!(gone["sessions_revoked"], 1);
    assert_eq!(live_sessions(id), 0);
    assert!(!db_user(id).4);
    failed_login(&mail, "Nouveau-Secret-9").assert_error(401, "invalid_credentials");
    // Still listed, as inactive.
    let list = get(
        &format!(
            "/api/admin/users?q={}&actif=false",
            &mail[..mail.find('@').unwrap()]
        ),
        t,
    )
    .expect(200);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], id);

    // Reactivate.
    let back = update_user(t, id, &json!({ "actif": true })).expect(200);
    assert_eq!(back["actif"], true);
    login(&mail, "Nouveau-Secret-9").expect(200);

    // The writes are audited with the entity.
    let audited: u64 = db()
        .exec_first(
            "SELECT COUNT(*) FROM logs_audit WHERE user_id = ? AND entite = 'user' AND entite_id = ?",
            (sa.id, id),
        )
        .unwrap()
        .unwrap();
    assert_eq!(audited, 6, "create, 3 patches, delete, reactivate");
}

#[test]
fn list_filters_and_pagination() {
    let fab = user(Role::AdminFab);
    let t = Some(fab.token.as_str());
    let atelier_id = atelier();
    // Names take letters only: spell the random suffix's digits as letters.
    let tag: String = unique("Bastide")
        .chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from(b'g' + u8::try_from(d).unwrap()),
            None => c,
        })
        .collect();
    let mut ids = Vec::new();
    for (role, atelier, prenom) in [
        ("sportif", None, "Julien"),
        ("sportif", None, "Manon"),
        ("operateur_fab", Some(atelier_id), "Hugo"),
    ] {
        let r = post(
            "/api/admin/users",
            t,
            &json!({
                "email": email("liste"),
                "password": "Chrono-Alpes-1",
                "role": role,
                "nom": tag,
                "prenom": prenom,
                "atelier_id": atelier,
            }),
        )
        .expect(201);
        ids.push(r["id"].as_u64().unwrap());
    }
    let list = |query: &str| get(&format!("/api/admin/users?q={tag}{query}"), t).expect(200);

    let all = list("");
    assert_eq!(all["total"], 3);
    assert_eq!(all["page"], 1);
    assert_eq!(all["per_page"], 50);
    let got: Vec<u64> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_u64().unwrap())
        .collect();
    assert_eq!(got, vec![ids[2], ids[1], ids[0]], "newest first");
    for item in all["items"].as_array().unwrap() {
        assert_no_hash(item);
    }

    assert_eq!(list("&role=sportif")["total"], 2);
    let ops = list("&role=operateur_fab");
    assert_eq!(ops["total"], 1);
    assert_eq!(ops["items"][0]["prenom"], "Hugo");
    assert_eq!(list(&format!("&atelier_id={atelier_id}"))["total"], 1);
    assert_eq!(list("&actif=true")["total"], 3);
    assert_eq!(list("&actif=false")["total"], 0);
    // q also searches first names, case-insensitively.
    let manon = get("/api/admin/users?q=MANON&role=sportif&per_page=200", t).expect(200);
    assert!(manon["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["id"] == ids[1]));
    let page2 = list("&per_page=2&page=2");
    assert_eq!(page2["total"], 3);
    assert_eq!(page2["per_page"], 2);
    assert_eq!(page2["items"].as_array().unwrap().len(), 1);
    assert_eq!(page2["items"][0]["id"], ids[0]);
    get("/api/admin/users?per_page=1000", t).assert_error(422, "validation_error");
    // LIKE wildcards are literal.
    assert_eq!(
        get("/api/admin/users?q=%25%25%25_%25", t).expect(200)["total"],
        0
    );

    get("/api/admin/users?role=root", t).assert_error(422, "validation_error");
    get("/api/admin/users?actif=peut-etre", t).assert_error(422, "validation_error");
    get("/api/admin/users?page=0", t).assert_error(422, "validation_error");
    get("/api/admin/users?atelier_id=abc", t).assert_error(422, "validation_error");
    get("/api/admin/users/999999999", t).assert_error(404, "user_not_found");
    get("/api/admin/users/abc", t).assert_error(404, "not_found");
}

#[test]
fn admin_fab_cannot_manage_admin_accounts_super_admin_can() {
    let fab = user(Role::AdminFab);
    let t = Some(fab.token.as_str());
    let sa_target = user(Role::SuperAdmin);
    let fab_target = user(Role::AdminFab);
    let chrono_target = user(Role::AdminChrono);
    let sportif = user(Role::Sportif);

    // Create an admin of any kind: refused, nothing written.
    for role in ["super_admin", "admin_fab", "admin_chrono"] {
        let mail = email("escalade");
        post(
            "/api/admin/users",
            t,
            &json!({ "email": mail, "password": "Escalade-123", "role": role }),
        )
        .assert_error(403, "forbidden");
        let n: u64 = db()
            .exec_first("SELECT COUNT(*) FROM users WHERE email = ?", (&mail,))
            .unwrap()
            .unwrap();
        assert_eq!(n, 0);
    }
    // Edit or deactivate an admin: refused.
    for target in [&sa_target, &fab_target, &chrono_target] {
        let path = format!("/api/admin/users/{}", target.id);
        patch(&path, t, &json!({ "nom": "Pirate" })).assert_error(403, "forbidden");
        patch(&path, t, &json!({ "role": "sportif" })).assert_error(403, "forbidden");
        patch(&path, t, &json!({ "password": "Pirate-12345" })).assert_error(403, "forbidden");
        delete(&path, t).assert_error(403, "forbidden");
        let (role, nom, _, _, actif) = db_user(target.id);
        assert_eq!(role, target.role.as_str());
        assert_eq!(nom.as_deref(), Some("Testeur"));
        assert!(actif);
    }
    // Promote a sportif to admin: refused too (the requested role counts).
    let path = format!("/api/admin/users/{}", sportif.id);
    patch(&path, t, &json!({ "role": "super_admin" })).assert_error(403, "forbidden");
    patch(&path, t, &json!({ "role": "admin_fab" })).assert_error(403, "forbidden");
    assert_eq!(db_user(sportif.id).0, "sportif");
    // What an admin_fab may do: manage sportifs and operators.
    let renamed = patch(&path, t, &json!({ "nom": "Rousseau" })).expect(200);
    assert_eq!(renamed["nom"], "Rousseau");
    let op = post(
        "/api/admin/users",
        t,
        &json!({ "email": email("op"), "password": "Laser-Atelier-1", "role": "operateur_fab", "atelier_id": atelier() }),
    )
    .expect(201);
    delete(&format!("/api/admin/users/{}", op["id"]), t).expect(200);

    // The super_admin may do all of it.
    let sa = user(Role::SuperAdmin);
    let s = Some(sa.token.as_str());
    let new_admin = post(
        "/api/admin/users",
        s,
        &json!({ "email": email("nouvel-admin"), "password": "Admin-Fab-2024", "role": "admin_fab", "nom": "Lefèvre" }),
    )
    .expect(201);
    assert_eq!(new_admin["role"], "admin_fab");
    let fab_path = format!("/api/admin/users/{}", fab_target.id);
    patch(&fab_path, s, &json!({ "nom": "Bernard" })).expect(200);
    let sa_path = format!("/api/admin/users/{}", sa_target.id);
    patch(&sa_path, s, &json!({ "role": "admin_chrono" })).expect(200);
    assert_eq!(db_user(sa_target.id).0, "admin_chrono");
    delete(&fab_path, s).expect(200);
    assert!(!db_user(fab_target.id).4);
}

#[test]
fn nobody_deactivates_or_demotes_themselves() {
    let sa = user(Role::SuperAdmin);
    let me = format!("/api/admin/users/{}", sa.id);
    let t = Some(sa.token.as_str());
    patch(&me, t, &json!({ "actif": false })).assert_error(409, "cannot_deactivate_self");
    patch(&me, t, &json!({ "role": "admin_fab" })).assert_error(409, "cannot_change_own_role");
    delete(&me, t).assert_error(409, "cannot_deactivate_self");
    // Re-stating one's own role and active flag is harmless.
    patch(
        &me,
        t,
        &json!({ "role": "super_admin", "actif": true, "nom": "Moreau" }),
    )
    .expect(200);
    assert_eq!(
        db_user(sa.id),
        (
            "super_admin".into(),
            Some("Moreau".into()),
            None,
            None,
            true
        )
    );

    let fab = user(Role::AdminFab);
    let me = format!("/api/admin/users/{}", fab.id);
    delete(&me, Some(&fab.token)).assert_error(409, "cannot_deactivate_self");
    patch(&me, Some(&fab.token), &json!({ "actif": false }))
        .assert_error(409, "cannot_deactivate_self");
    patch(&me, Some(&fab.token), &json!({ "role": "sportif" }))
        .assert_error(409, "cannot_change_own_role");
    assert_eq!(db_user(fab.id).0, "admin_fab");
    assert!(db_user(fab.id).4);
}

#[test]
fn create_and_update_validation_and_conflicts() {
    let sa = user(Role::SuperAdmin);
    let t = Some(sa.token.as_str());
    let mail = email("valid");
    let base = json!({ "email": mail, "password": "Valide-Mot-2024", "role": "sportif" });
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    post("/api/admin/users", t, &with("role", json!("operateur_fab")))
        .assert_error(422, "validation_error");
    let mut no_atelier = with("role", json!("operateur_fab"));
    no_atelier["atelier_id"] = json!(999_999_999);
    post("/api/admin/users", t, &no_atelier).assert_error(422, "validation_error");
    post(
        "/api/admin/users",
        t,
        &with("fabricant_id", json!(999_999_999)),
    )
    .assert_error(422, "validation_error");
    post("/api/admin/users", t, &with("role", json!("root"))).assert_error(422, "validation_error");
    post("/api/admin/users", t, &with("password", json!("court")))
        .assert_error(422, "validation_error");
    post("/api/admin/users", t, &with("email", json!("pas-un-email")))
        .assert_error(422, "validation_error");
    post(
        "/api/admin/users",
        t,
        &with("nom", json!("Robert'); DROP TABLE users;--")),
    )
    .assert_error(422, "validation_error");
    post("/api/admin/users", t, &with("is_admin", json!(true)))
        .assert_error(422, "validation_error");
    post("/api/admin/users", t, &json!({ "email": mail })).assert_error(422, "validation_error");
    let n = |m: &str| -> u64 {
        db().exec_first("SELECT COUNT(*) FROM users WHERE email = ?", (m,))
            .unwrap()
            .unwrap()
    };
    assert_eq!(n(&mail), 0, "nothing half-written");

    let created = post("/api/admin/users", t, &base).expect(201);
    let id = created["id"].as_u64().unwrap();
    post(
        "/api/admin/users",
        t,
        &with("email", json!(mail.to_uppercase())),
    )
    .assert_error(409, "email_taken");
    assert_eq!(n(&mail), 1);

    let path = format!("/api/admin/users/{id}");
    patch(&path, t, &json!({ "password_hash": "x" })).assert_error(422, "validation_error");
    patch(&path, t, &json!({ "email": "autre@exemple.fr" })).assert_error(422, "validation_error");
    patch(&path, t, &json!({ "role": "operateur_fab" })).assert_error(422, "validation_error");
    patch(
        &path,
        t,
        &json!({ "role": "operateur_fab", "atelier_id": 999_999_999 }),
    )
    .assert_error(422, "validation_error");
    patch(&path, t, &json!({ "actif": "non" })).assert_error(422, "validation_error");
    patch(&path, t, &json!({ "password": "aaaaaaaaaa" })).assert_error(422, "validation_error");
    patch(&path, t, &json!({ "prenom": "" })).assert_error(422, "validation_error");
    assert_eq!(db_user(id).0, "sportif", "nothing changed");

    let atelier_id = atelier();
    let op = patch(
        &path,
        t,
        &json!({ "role": "operateur_fab", "atelier_id": atelier_id }),
    )
    .expect(200);
    assert_eq!(op["atelier_id"], atelier_id);
    // An operator cannot lose its atelier.
    patch(&path, t, &json!({ "atelier_id": null })).assert_error(422, "validation_error");
    assert_eq!(db_user(id).2, Some(atelier_id));

    patch(
        "/api/admin/users/999999999",
        t,
        &json!({ "nom": "Personne" }),
    )
    .assert_error(404, "user_not_found");
    delete("/api/admin/users/999999999", t).assert_error(404, "user_not_found");
    request(
        "PATCH",
        &path,
        t,
        &[],
        Some(("application/json", b"{pas du json".to_vec())),
    )
    .assert_error(400, "invalid_json");
}

// ---------------------------------------------------------------------------
// Audit log
// ---------------------------------------------------------------------------

/// A fresh athlete who leaves 3 successful and 1 refused PATCH in the audit
/// log; returns it.
fn athlete_with_audit_trail() -> TestUser {
    let u = user(Role::Sportif);
    for nom in ["Dupont", "Lambert", "Fontaine"] {
        patch("/api/user/profil", Some(&u.token), &json!({ "nom": nom })).expect(200);
    }
    patch("/api/user/profil", Some(&u.token), &json!({ "nom": "" }))
        .assert_error(422, "validation_error");
    u
}

fn db_today() -> (String, String, String) {
    db().query_first(
        "SELECT CAST(CURDATE() AS CHAR), CAST(CURDATE() - INTERVAL 1 DAY AS CHAR), CAST(CURDATE() + INTERVAL 1 DAY AS CHAR)",
    )
    .unwrap()
    .unwrap()
}

#[test]
fn audit_log_filters_and_pagination() {
    let u = athlete_with_audit_trail();
    let admin = user(Role::AdminFab);
    let t = Some(admin.token.as_str());
    let logs =
        |query: &str| get(&format!("/api/admin/logs?user_id={}{query}", u.id), t).expect(200);

    let all = logs("");
    assert_eq!(all["total"], 4);
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    for item in items {
        assert_eq!(item["user_id"], u.id);
        assert_eq!(item["user_email"], u.email, "joined from users");
        assert_eq!(item["methode"], "PATCH");
        assert_eq!(item["route"], "/api/user/profil");
        assert_eq!(item["type"], "user");
        assert_eq!(item["role"], "sportif");
        assert!(item["created_at"].as_str().unwrap().contains('T'));
    }
    let ids: Vec<u64> = items.iter().map(|i| i["id"].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    assert_eq!(items[0]["niveau"], "WARN", "the refused PATCH came last");
    assert_eq!(items[0]["statut_http"], 422);

    let warn = logs("&niveau=warn");
    assert_eq!(warn["total"], 1);
    assert_eq!(warn["items"][0]["statut_http"], 422);
    assert_eq!(logs("&niveau=INFO")["total"], 3);
    assert_eq!(logs("&niveau=ERROR")["total"], 0);
    assert_eq!(logs("&methode=patch&statut_http=200")["total"], 3);
    assert_eq!(logs("&methode=POST")["total"], 0);
    assert_eq!(logs("&type=user")["total"], 4);
    assert_eq!(logs("&type=commandes")["total"], 0);
    assert_eq!(logs("&q=profil")["total"], 4);
    assert_eq!(logs("&q=%25")["total"], 0, "LIKE wildcards are literal");
    let (today, yesterday, tomorrow) = db_today();
    assert_eq!(logs(&format!("&from={today}&to={today}"))["total"], 4);
    assert_eq!(logs(&format!("&to={yesterday}"))["total"], 0);
    assert_eq!(logs(&format!("&from={tomorrow}"))["total"], 0);

    let p2 = logs("&per_page=3&page=2");
    assert_eq!(p2["total"], 4);
    assert_eq!(p2["page"], 2);
    assert_eq!(p2["items"].as_array().unwrap().len(), 1);
    assert_eq!(p2["items"][0]["id"], ids[3]);

    // Another user's rows stay out.
    let other = athlete_with_audit_trail();
    assert_eq!(logs("")["total"], 4);
    assert_ne!(other.id, u.id);

    for bad in [
        "niveau=DEBUG",
        "methode=FETCH",
        "statut_http=abc",
        "statut_http=700",
        "from=2024-02-30",
        "to=14%2F07%2F2024",
        "from=2024-07-14&to=2024-07-01",
        "format=xml",
        "user_id=-1",
    ] {
        get(&format!("/api/admin/logs?{bad}"), t).assert_error(422, "validation_error");
    }
}

#[test]
fn audit_log_csv_export() {
    let u = athlete_with_audit_trail();
    let sa = user(Role::SuperAdmin);
    let r = get(
        &format!("/api/admin/logs?format=csv&user_id={}", u.id),
        Some(&sa.token),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.header("Content-Type").unwrap().starts_with("text/csv"));
    assert!(r
        .header("Content-Disposition")
        .unwrap()
        .contains("journal-audit-"));
    assert!(r.body.starts_with(b"\xef\xbb\xbf"), "UTF-8 BOM");
    let text = r.text();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert!(
        lines[0].starts_with("id;date;niveau;type;user_id;email;role;methode;route;statut_http"),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len(), 5, "header + the 4 filtered rows:\n{text}");
    for line in &lines[1..] {
        let cells: Vec<&str> = line.split(';').collect();
        assert_eq!(cells[4], u.id.to_string());
        assert_eq!(cells[5], u.email);
        assert_eq!(cells[7], "PATCH");
        assert_eq!(cells[8], "/api/user/profil");
    }
    assert!(lines[1].contains(";WARN;"), "newest first: {}", lines[1]);

    // The CSV honours the other filters too.
    let warn = get(
        &format!("/api/admin/logs?format=csv&user_id={}&niveau=WARN", u.id),
        Some(&sa.token),
    );
    assert_eq!(warn.status, 200);
    assert_eq!(warn.text().trim_end().lines().count(), 2);
}

// ---------------------------------------------------------------------------
// Rate limit
// ---------------------------------------------------------------------------

#[test]
fn admin_routes_allow_30_requests_per_minute() {
    let admin = user(Role::AdminFab);
    for i in 1..=30 {
        let r = get("/api/admin/users?per_page=1", Some(&admin.token));
        assert_eq!(r.status, 200, "request {i}: {}", r.text());
    }
    let limited = get("/api/admin/users?per_page=1", Some(&admin.token));
    limited.assert_error(429, "rate_limited");
    let retry: u64 = limited
        .header("Retry-After")
        .expect("Retry-After header")
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    // The budget is per user: another admin is not affected.
    let other = user(Role::AdminFab);
    get("/api/admin/users?per_page=1", Some(&other.token)).expect(200);
}

// ---------------------------------------------------------------------------
// Maintenance (affects every request: run alone by scripts/test.sh)
// ---------------------------------------------------------------------------

/// Removes the maintenance flag when dropped, so a failing assertion never
/// leaves the server in maintenance for the rest of the run.
pub(crate) struct FlagGuard;

impl Drop for FlagGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(config().maintenance_flag());
    }
}

#[test]
#[ignore = "exclusive: scripts/test.sh runs it alone"]
fn maintenance_mode_blocks_all_but_admins() {
    let _guard = FlagGuard;
    let sa = user(Role::SuperAdmin);
    let fab = user(Role::AdminFab);
    let athlete = user(Role::Sportif);
    let s = Some(sa.token.as_str());
    let state = get("/api/admin/maintenance", s).expect(200);
    assert_eq!(state["actif"], false);
    assert_eq!(state["message"], Value::Null);

    let message = "Mise à jour de la gravure : retour prévu à 14 h.";
    let on = post(
        "/api/admin/maintenance",
        s,
        &json!({ "actif": true, "message": format!("  {message} ") }),
    )
    .expect(200);
    assert_eq!(on["actif"], true);
    assert_eq!(on["message"], message);
    assert!(on["depuis"].is_string());
    assert!(config().maintenance_flag().exists());
    assert_eq!(
        get("/api/admin/maintenance", s).expect(200)["message"],
        message
    );

    // Non-admins get the 503 with the message, on private and public routes.
    let blocked = patch(
        "/api/user/profil",
        Some(&athlete.token),
        &json!({ "nom": "Garnier" }),
    );
    blocked.assert_error(503, "maintenance");
    assert_eq!(blocked.json()["message"], message);
    get("/api/setup", None).assert_error(503, "maintenance");
    // Monitoring and admin login stay open; admins work normally.
    let health = get("/api/health", None).expect(200);
    assert_eq!(health["status"], "maintenance");
    assert_eq!(health["maintenance"], true);
    get("/api/auth/me", Some(&athlete.token)).expect(200);
    get("/api/admin/users?per_page=1", Some(&fab.token)).expect(200);
    patch("/api/user/profil", s, &json!({ "nom": "Moreau" })).expect(200);

    // Without a message, the default one.
    post("/api/admin/maintenance", s, &json!({ "actif": true })).expect(200);
    let default = patch(
        "/api/user/profil",
        Some(&athlete.token),
        &json!({ "nom": "Garnier" }),
    );
    default.assert_error(503, "maintenance");
    assert!(default.json()["message"]
        .as_str()
        .unwrap()
        .contains("maintenance"));
    post(
        "/api/admin/maintenance",
        s,
        &json!({ "actif": true, "message": "x".repeat(501) }),
    )
    .assert_error(422, "validation_error");

    // Off: back to normal.
    let off = post("/api/admin/maintenance", s, &json!({ "actif": false })).expect(200);
    assert_eq!(off["actif"], false);
    assert!(!config().maintenance_flag().exists());
    post("/api/admin/maintenance", s, &json!({ "actif": false })).expect(200);
    patch(
        "/api/user/profil",
        Some(&athlete.token),
        &json!({ "nom": "Garnier" }),
    )
    .expect(200);
    assert_eq!(get("/api/health", None).expect(200)["status"], "ok");
    get("/api/setup", None).expect(200);
}
