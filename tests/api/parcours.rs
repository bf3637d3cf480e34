//! HTTP tests of the parcours module.
//! Spec §5.2 (courses + `tracking_config`), §4.3 (defaults), §10.1 (export to
//! webhooks), `/api/admin/export-destinations`.

use crate::common::*;
use mykollector::security::{crypto, Role};
use mysql::prelude::Queryable;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The spec's defaults (4.3), written out independently of the code.
fn defaults() -> Value {
    json!({
        "wake_distance_m": 2000,
        "high_accuracy_start_distance_m": 300,
        "pulse_high_accuracy_duration_s": 10,
        "pulse_low_accuracy_duration_s": 45,
        "finish_high_accuracy_distance_m": 400,
        "cooldown_distance_m": 150,
        "cooldown_time_s": 40
    })
}

/// A unique course body; `extra` fields are merged in.
#[expect(
    clippy::needless_pass_by_value,
    reason = "callers pass json! literals: by value reads as plain data"
)]
fn course_body(extra: Value) -> Value {
    let slug = unique("col-test-");
    let mut body = json!({
        "slug": slug,
        "nom": format!("Col Test {}", &slug[9..]),
        "categorie": "cyclisme",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

/// Creates a course as an `admin_fab`; returns its JSON.
fn create_course(extra: Value) -> Value {
    let admin = user(Role::AdminFab);
    post("/api/parcours", Some(&admin.token), &course_body(extra)).expect(201)
}

fn id_of(v: &Value) -> u64 {
    v["id"].as_u64().expect("id is an integer")
}

fn tracking_rows(produit_id: u64) -> Vec<(i32, i32, i32, i32, i32, i32, i32)> {
    db().exec(
        r"SELECT wake_distance_m, high_accuracy_start_distance_m, pulse_high_accuracy_duration_s,
                 pulse_low_accuracy_duration_s, finish_high_accuracy_distance_m,
                 cooldown_distance_m, cooldown_time_s
          FROM segment_tracking_config WHERE produit_id = ?",
        (produit_id,),
    )
    .unwrap()
}

fn tracking_json(row: (i32, i32, i32, i32, i32, i32, i32)) -> Value {
    json!({
        "wake_distance_m": row.0,
        "high_accuracy_start_distance_m": row.1,
        "pulse_high_accuracy_duration_s": row.2,
        "pulse_low_accuracy_duration_s": row.3,
        "finish_high_accuracy_distance_m": row.4,
        "cooldown_distance_m": row.5,
        "cooldown_time_s": row.6
    })
}

/// Asserts the JSON types of the spec's "Format JSON critique".
#[track_caller]
fn assert_course_types(c: &Value) {
    assert!(c["id"].is_u64(), "{c}");
    for k in ["slug", "code", "nom", "categorie"] {
        assert!(c[k].is_string(), "{k}: {c}");
    }
    assert!(c["actif"].is_boolean(), "{c}");
    assert!(c["shop_synced"].is_boolean(), "{c}");
    for k in [
        "depart_lat",
        "depart_lng",
        "sommet_lat",
        "sommet_lng",
        "distance_km",
        "rayon_km",
    ] {
        assert!(
            c[k].is_number() || c[k].is_null(),
            "{k} is not a number: {c}"
        );
    }
    for k in ["altitude", "denivele"] {
        assert!(c[k].is_i64() || c[k].is_null(), "{k}: {c}");
    }
    let t = c["tracking_config"]
        .as_object()
        .unwrap_or_else(|| panic!("tracking_config missing: {c}"));
    assert_eq!(t.len(), 7, "{c}");
    for (k, v) in t {
        assert!(v.is_u64(), "tracking_config.{k} is not an integer: {c}");
    }
}

// ---------------------------------------------------------------------------
// Create, read, JSON shape
// ---------------------------------------------------------------------------

#[test]
fn create_then_read_by_id_and_slug_with_numbers_and_defaults() {
    let admin = user(Role::AdminFab);
    let body = course_body(json!({
        "altitude": 2360,
        "distance_km": 19.0,
        "denivele": 1105,
        "difficulte": "Hors catégorie",
        "depart_lat": 44.8893,
        "depart_lng": 6.6434,
        "sommet_lat": 44.82,
        "sommet_lng": 6.735,
        "rayon_km": 1.5,
        "strava_keywords": "izoard",
        "lien_boutique": "https://shop.mykollector.com/medailles/izoard",
    }));
    let slug = body["slug"].as_str().unwrap().to_string();
    let r = post("/api/parcours", Some(&admin.token), &body);
    let created = r.expect(201);
    assert_course_types(&created);
    assert_eq!(created["slug"], slug);
    assert_eq!(created["depart_lat"].as_f64(), Some(44.8893));
    assert_eq!(created["depart_lng"].as_f64(), Some(6.6434));
    assert_eq!(created["sommet_lat"].as_f64(), Some(44.82));
    assert_eq!(created["sommet_lng"].as_f64(), Some(6.735));
    assert_eq!(created["distance_km"].as_f64(), Some(19.0));
    assert_eq!(created["rayon_km"].as_f64(), Some(1.5));
    assert_eq!(created["altitude"], 2360);
    assert_eq!(created["actif"], true);
    assert_eq!(created["tracking_config"], defaults());
    assert_eq!(
        created["qr_url"],
        format!("{}/qr?p={slug}", config().app_url)
    );
    // Coordinates are bare JSON numbers on the wire, never strings.
    assert!(r.text().contains("\"depart_lat\":44.8893"), "{}", r.text());
    let code = created["code"].as_str().unwrap();
    assert!(
        code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()),
        "{code}"
    );

    let id = id_of(&created);
    let by_id = get(&format!("/api/parcours/{id}"), None).expect(200);
    assert_course_types(&by_id);
    assert_eq!(by_id, created);
    let by_slug = get(&format!("/api/parcours/slug/{slug}"), None).expect(200);
    assert_eq!(by_slug, created);

    // The tracking row was written with the course, with the defaults.
    let rows = tracking_rows(id);
    assert_eq!(rows.len(), 1);
    assert_eq!(tracking_json(rows[0]), defaults());
}

#[test]
fn create_with_custom_tracking_and_derived_slug() {
    let admin = user(Role::AdminFab);
    let nom = format!("Kilomètre Vertical {}", unique(""));
    let created = post(
        "/api/parcours",
        Some(&admin.token),
        &json!({
            "nom": nom,
            "categorie": "trail",
            "tracking_config": { "wake_distance_m": 800, "high_accuracy_start_distance_m": 60 }
        }),
    )
    .expect(201);
    assert!(
        created["slug"]
            .as_str()
            .unwrap()
            .starts_with("kilometre-vertical-"),
        "{created}"
    );
    let mut expected = defaults();
    expected["wake_distance_m"] = json!(800);
    expected["high_accuracy_start_distance_m"] = json!(60);
    assert_eq!(created["tracking_config"], expected);
    assert_eq!(tracking_json(tracking_rows(id_of(&created))[0]), expected);
}

#[test]
fn create_requires_admin_plus() {
    let body = course_body(json!({}));
    post("/api/parcours", None, &body).assert_error(401, "token_missing");
    for role in [Role::Sportif, Role::OperateurFab, Role::AdminChrono] {
        let u = user(role);
        post("/api/parcours", Some(&u.token), &body).assert_error(403, "forbidden");
    }
    let n: Option<u64> = db()
        .exec_first(
            "SELECT COUNT(*) FROM produits WHERE slug = ?",
            (&body["slug"].as_str(),),
        )
        .unwrap();
    assert_eq!(n, Some(0));
    let sa = user(Role::SuperAdmin);
    post("/api/parcours", Some(&sa.token), &body).expect(201);
}

#[test]
fn create_validation_errors_write_nothing() {
    let admin = user(Role::AdminFab);
    let t = Some(admin.token.as_str());
    let cases = [
        json!({ "slug": "Col Izoard" }),
        json!({ "slug": "col--izoard" }),
        json!({ "slug": "col-é" }),
        json!({ "depart_lat": 95.0, "depart_lng": 6.0 }),
        json!({ "depart_lat": 44.0, "depart_lng": 200.0 }),
        json!({ "depart_lat": 44.0 }),
        json!({ "sommet_lat": -91, "sommet_lng": 0 }),
        json!({ "tracking_config": { "wake_distance_m": 200 } }),
        json!({ "tracking_config": { "wake_distance_m": 300 } }),
        json!({ "tracking_config": { "cooldown_time_s": 0 } }),
        json!({ "tracking_config": { "pulse_low_accuracy_duration_s": -5 } }),
        json!({ "tracking_config": { "wake_distance_m": 2500.5 } }),
        json!({ "tracking_config": { "inconnu": 1 } }),
        json!({ "actif": false }),
        json!({ "actif": false, "message_desactivation": "  " }),
        json!({ "categorie": "natation" }),
        json!({ "champ_inconnu": 1 }),
        json!({ "code": "AB1" }),
        json!({ "distance_km": -3 }),
        json!({ "rayon_km": 0 }),
        json!({ "lien_boutique": "javascript:alert(1)" }),
        json!({ "nom": "   " }),
    ];
    for extra in cases {
        let body = course_body(extra.clone());
        let r = post("/api/parcours", t, &body);
        r.assert_error(422, "validation_error");
        let slug = body["slug"].as_str().unwrap_or("");
        let n: Option<u64> = db()
            .exec_first("SELECT COUNT(*) FROM produits WHERE slug = ?", (slug,))
            .unwrap();
        assert_eq!(n, Some(0), "{extra} wrote a row");
    }
    post(
        "/api/parcours",
        t,
        &json!({ "slug": unique("x-"), "categorie": "trail" }),
    )
    .assert_error(422, "validation_error");
    post("/api/parcours", t, &json!({ "nom": "Sans catégorie" }))
        .assert_error(422, "validation_error");
}

#[test]
fn duplicate_slug_and_code_are_409() {
    let admin = user(Role::AdminFab);
    let t = Some(admin.token.as_str());
    let first = create_course(json!({}));
    let dup = course_body(json!({ "slug": first["slug"] }));
    post("/api/parcours", t, &dup).assert_error(409, "slug_taken");
    let dup = course_body(json!({ "code": first["code"] }));
    post("/api/parcours", t, &dup).assert_error(409, "code_taken");
    let n: Option<u64> = db()
        .exec_first(
            "SELECT COUNT(*) FROM produits WHERE slug = ?",
            (dup["slug"].as_str(),),
        )
        .unwrap();
    assert_eq!(n, Some(0));
}

#[test]
fn explicit_code_is_uppercased() {
    let admin = user(Role::AdminFab);
    // Another test may hold a random code: try a few.
    for _ in 0..20 {
        let code: String = unique("")
            .bytes()
            .take(3)
            .map(|b| (b'a' + b % 26) as char)
            .collect();
        let r = post(
            "/api/parcours",
            Some(&admin.token),
            &course_body(json!({ "code": code })),
        );
        if r.status == 409 {
            continue;
        }
        let created = r.expect(201);
        assert_eq!(created["code"], code.to_uppercase());
        return;
    }
    panic!("no free code found");
}

#[test]
fn derived_codes_stay_unique_for_similar_names_created_at_once() {
    let admin = user(Role::AdminFab);
    // Same first word, so every creation wants the same first code; created
    // concurrently, so some must fall back on another one.
    let base = unique("Quokkas ");
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let (token, nom) = (admin.token.clone(), format!("{base} {i}"));
            std::thread::spawn(move || {
                post(
                    "/api/parcours",
                    Some(&token),
                    &json!({ "nom": nom, "categorie": "rando" }),
                )
                .expect(201)
            })
        })
        .collect();
    let mut codes = std::collections::HashSet::new();
    for h in handles {
        let c = h.join().unwrap();
        assert!(codes.insert(c["code"].as_str().unwrap().to_string()), "{c}");
    }
    assert_eq!(codes.len(), 6);
}

#[test]
fn unknown_course_is_404() {
    get("/api/parcours/999999999", None).assert_error(404, "course_not_found");
    get("/api/parcours/slug/nexiste-pas-du-tout", None).assert_error(404, "course_not_found");
    get("/api/parcours/abc", None).assert_error(404, "not_found");
}

// ---------------------------------------------------------------------------
// tracking_config is never null
// ---------------------------------------------------------------------------

#[test]
fn missing_tracking_row_is_answered_with_defaults_and_repaired() {
    let c = create_course(json!({
        "depart_lat": -33.5, "depart_lng": -150.25,
        "tracking_config": { "wake_distance_m": 5000 }
    }));
    let id = id_of(&c);
    let slug = c["slug"].as_str().unwrap().to_string();
    for path in [
        format!("/api/parcours/{id}"),
        format!("/api/parcours/slug/{slug}"),
        "/api/parcours/nearby?lat=-33.5&lng=-150.25&radius_km=1".to_string(),
    ] {
        db().exec_drop(
            "DELETE FROM segment_tracking_config WHERE produit_id = ?",
            (id,),
        )
        .unwrap();
        let j = get(&path, None).expect(200);
        let course = if j["items"].is_array() {
            j["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["id"] == id)
                .cloned()
                .unwrap_or_else(|| panic!("{path}: {j}"))
        } else {
            j
        };
        assert_eq!(course["tracking_config"], defaults(), "{path}");
        let rows = tracking_rows(id);
        assert_eq!(rows.len(), 1, "{path} did not repair the row");
        assert_eq!(tracking_json(rows[0]), defaults());
    }
}

// ---------------------------------------------------------------------------
// List
// ---------------------------------------------------------------------------

/// Every course of the list (all pages) as seen with `token` and `query`.
fn list_all(token: Option<&str>, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for page in 1.. {
        let j = get(
            &format!("/api/parcours?per_page=200&page={page}{query}"),
            token,
        )
        .expect(200);
        assert_eq!(j["page"], page);
        assert_eq!(j["per_page"], 200);
        assert!(j["total"].is_u64());
        let items = j["items"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        out.extend(items.iter().cloned());
    }
    out
}

#[test]
fn list_shows_active_courses_and_inactive_ones_to_admins_only() {
    let active = create_course(json!({ "categorie": "rando" }));
    let closed = create_course(json!({
        "categorie": "rando",
        "actif": false,
        "message_desactivation": "Sentier fermé après un éboulement."
    }));
    let has = |list: &[Value], c: &Value| list.iter().any(|i| i["id"] == c["id"]);

    let public = list_all(None, "&categorie=rando");
    assert!(has(&public, &active));
    assert!(!has(&public, &closed));
    assert!(public
        .iter()
        .all(|i| i["actif"] == true && i["categorie"] == "rando"));
    for item in &public {
        assert_course_types(item);
    }

    let sportif = user(Role::Sportif);
    let s = list_all(Some(&sportif.token), "&tous=1&categorie=rando");
    assert!(!has(&s, &closed), "tous=1 is for admin+ only");

    let admin = user(Role::AdminFab);
    let a = list_all(Some(&admin.token), "&tous=1&categorie=rando");
    assert!(has(&a, &active) && has(&a, &closed));

    // Other categories are filtered out.
    let trail = list_all(None, "&categorie=trail");
    assert!(!has(&trail, &active));

    get("/api/parcours?categorie=natation", None).assert_error(422, "validation_error");
    get("/api/parcours?per_page=500", None).assert_error(422, "validation_error");
    get("/api/parcours?page=0", None).assert_error(422, "validation_error");
    let small = get("/api/parcours?per_page=1", None).expect(200);
    assert!(small["items"].as_array().unwrap().len() <= 1);
}

#[test]
fn inactive_course_by_slug_carries_its_message() {
    let c = create_course(json!({
        "actif": false,
        "message_desactivation": "Col fermé (neige) jusqu'à fin mai."
    }));
    let j = get(
        &format!("/api/parcours/slug/{}", c["slug"].as_str().unwrap()),
        None,
    )
    .expect(200);
    assert_eq!(j["actif"], false);
    assert_eq!(
        j["message_desactivation"],
        "Col fermé (neige) jusqu'à fin mai."
    );
    assert_eq!(j["tracking_config"], defaults());
}

// ---------------------------------------------------------------------------
// PATCH
// ---------------------------------------------------------------------------

#[test]
fn patch_course_fields_and_tracking_config() {
    let admin = user(Role::AdminFab);
    let t = Some(admin.token.as_str());
    let c = create_course(json!({
        "depart_lat": 45.0, "depart_lng": 6.0, "sous_titre": "Version 1", "altitude": 1000
    }));
    let id = id_of(&c);
    let path = format!("/api/parcours/{id}");

    // Course fields only: tracking untouched, other fields kept.
    let p = patch(&path, t, &json!({ "nom": "Col Renommé", "altitude": 1200 })).expect(200);
    assert_eq!(p["nom"], "Col Renommé");
    assert_eq!(p["altitude"], 1200);
    assert_eq!(p["sous_titre"], "Version 1");
    assert_eq!(p["depart_lat"].as_f64(), Some(45.0));
    assert_eq!(p["tracking_config"], defaults());

    // Partial tracking_config merges with the current values.
    let p = patch(
        &path,
        t,
        &json!({ "tracking_config": { "wake_distance_m": 3000, "cooldown_time_s": 60 } }),
    )
    .expect(200);
    let mut expected = defaults();
    expected["wake_distance_m"] = json!(3000);
    expected["cooldown_time_s"] = json!(60);
    assert_eq!(p["tracking_config"], expected);
    assert_eq!(tracking_json(tracking_rows(id)[0]), expected);

    // Incoherent merge (start radius above the wake distance): 422, no change.
    patch(
        &path,
        t,
        &json!({ "nom": "Ne doit pas passer", "tracking_config": { "high_accuracy_start_distance_m": 3500 } }),
    )
    .assert_error(422, "validation_error");
    let now = get(&path, None).expect(200);
    assert_eq!(now["nom"], "Col Renommé");
    assert_eq!(now["tracking_config"], expected);

    // null clears optional fields; tracking_config null resets the defaults.
    let p = patch(
        &path,
        t,
        &json!({ "sous_titre": null, "depart_lat": null, "depart_lng": null, "tracking_config": null }),
    )
    .expect(200);
    assert!(p["sous_titre"].is_null());
    assert!(p["depart_lat"].is_null() && p["depart_lng"].is_null());
    assert_eq!(p["tracking_config"], defaults());
    assert_eq!(tracking_json(tracking_rows(id)[0]), defaults());

    // A new slug moves the QR URL with it.
    let new_slug = unique("col-renomme-");
    let p = patch(&path, t, &json!({ "slug": new_slug })).expect(200);
    assert_eq!(p["qr_url"], format!("{}/qr?p={new_slug}", config().app_url));
    get(&format!("/api/parcours/slug/{new_slug}"), None).expect(200);

    // Deactivation needs its message.
    patch(&path, t, &json!({ "actif": false })).assert_error(422, "validation_error");
    let p = patch(
        &path,
        t,
        &json!({ "actif": false, "message_desactivation": "Travaux sur la route." }),
    )
    .expect(200);
    assert_eq!(p["actif"], false);

    // Validation and conflicts.
    for bad in [
        json!({ "inconnu": 1 }),
        json!({ "depart_lat": 95, "depart_lng": 6 }),
        json!({ "depart_lat": 44.1 }),
        json!({ "slug": "Pas Un Slug" }),
        json!({ "code": "" }),
        json!({ "tracking_config": { "wake_distance_m": 0 } }),
    ] {
        patch(&path, t, &bad).assert_error(422, "validation_error");
    }
    let other = create_course(json!({}));
    patch(&path, t, &json!({ "slug": other["slug"] })).assert_error(409, "slug_taken");
    patch(&path, t, &json!({ "code": other["code"] })).assert_error(409, "code_taken");
}

#[test]
fn patch_requires_admin_plus_and_an_existing_course() {
    let c = create_course(json!({}));
    let path = format!("/api/parcours/{}", id_of(&c));
    patch(&path, None, &json!({ "nom": "x" })).assert_error(401, "token_missing");
    for role in [Role::Sportif, Role::OperateurFab, Role::AdminChrono] {
        let u = user(role);
        patch(&path, Some(&u.token), &json!({ "nom": "x" })).assert_error(403, "forbidden");
    }
    let sa = user(Role::SuperAdmin);
    patch(
        "/api/parcours/999999999",
        Some(&sa.token),
        &json!({ "nom": "x" }),
    )
    .assert_error(404, "course_not_found");
    let p = patch(
        &path,
        Some(&sa.token),
        &json!({ "nom": "Par le super admin" }),
    )
    .expect(200);
    assert_eq!(p["nom"], "Par le super admin");
}

// ---------------------------------------------------------------------------
// DELETE
// ---------------------------------------------------------------------------

#[test]
fn delete_is_super_admin_only_and_blocked_by_orders_and_chronos() {
    let sa = user(Role::SuperAdmin);
    let t = Some(sa.token.as_str());

    let with_order = create_course(json!({}));
    let oid = id_of(&with_order);
    let mut conn = db();
    conn.exec_drop(
        "INSERT INTO commandes (numero, produit_id, gravure_texte) VALUES (?, ?, '{}')",
        (unique("MKO-T-"), oid),
    )
    .unwrap();
    let path = format!("/api/parcours/{oid}");
    for role in [Role::AdminFab, Role::OperateurFab, Role::Sportif] {
        let u = user(role);
        delete(&path, Some(&u.token)).assert_error(403, "forbidden");
    }
    delete(&path, None).assert_error(401, "token_missing");
    delete(&path, t).assert_error(409, "course_has_orders");
    get(&path, None).expect(200);
    assert_eq!(tracking_rows(oid).len(), 1);

    let with_chrono = create_course(json!({}));
    let cid = id_of(&with_chrono);
    let athlete = user(Role::Sportif);
    conn.exec_drop(
        "INSERT INTO chronos (user_id, produit_id, duree_secondes, statut) VALUES (?, ?, 3600, 'valide')",
        (athlete.id, cid),
    )
    .unwrap();
    delete(&format!("/api/parcours/{cid}"), t).assert_error(409, "course_has_chronos");

    let free = create_course(json!({}));
    let fid = id_of(&free);
    let r = delete(&format!("/api/parcours/{fid}"), t);
    assert_eq!(r.status, 204, "{}", r.text());
    get(&format!("/api/parcours/{fid}"), None).assert_error(404, "course_not_found");
    assert!(tracking_rows(fid).is_empty());
    delete(&format!("/api/parcours/{fid}"), t).assert_error(404, "course_not_found");
}

// ---------------------------------------------------------------------------
// Nearby
// ---------------------------------------------------------------------------

/// A point `km` kilometres north of (lat, lng) (1° of latitude ≈ 111.195 km).
fn north(lat: f64, km: f64) -> f64 {
    lat + km / 111.195
}

#[expect(
    clippy::float_cmp,
    reason = "checks that the API rounded the value exactly"
)]
#[test]
fn nearby_sorts_by_distance_and_respects_the_radius() {
    // A random spot in the Southern Ocean that no other test uses.
    let lat0 = -55.0 - f64::from(u8::from_str_radix(&unique("")[..2], 16).unwrap()) / 1000.0;
    let lng0 = -120.0;
    let at = |km: f64, extra: Value| {
        let mut e = json!({ "depart_lat": north(lat0, km), "depart_lng": lng0 });
        for (k, v) in extra.as_object().unwrap() {
            e[k] = v.clone();
        }
        create_course(e)
    };
    let far = at(15.0, json!({}));
    let near = at(1.0, json!({}));
    let mid = at(
        5.0,
        json!({ "tracking_config": { "wake_distance_m": 4000 } }),
    );
    let _very_far = at(80.0, json!({}));
    let _closed = at(
        2.0,
        json!({ "actif": false, "message_desactivation": "Fermé." }),
    );
    let _no_coords = create_course(json!({}));

    let q = |radius: &str| {
        let extra = if radius.is_empty() {
            String::new()
        } else {
            format!("&radius_km={radius}")
        };
        get(
            &format!("/api/parcours/nearby?lat={lat0}&lng={lng0}{extra}"),
            None,
        )
        .expect(200)
    };
    let ids = |j: &Value| -> Vec<u64> {
        j["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_u64().unwrap())
            .collect()
    };
    // Default radius: 10 km.
    let j = q("");
    assert_eq!(j["radius_km"].as_f64(), Some(10.0));
    assert_eq!(ids(&j), vec![id_of(&near), id_of(&mid)]);
    let first = &j["items"][0];
    assert_course_types(first);
    let d = first["distance_depart_km"].as_f64().unwrap();
    assert!((d - 1.0).abs() < 0.02, "{d}");
    assert_eq!((d * 100.0).round() / 100.0, d, "rounded to 0.01 km");
    assert_eq!(j["items"][1]["tracking_config"]["wake_distance_m"], 4000);
    let d2 = j["items"][1]["distance_depart_km"].as_f64().unwrap();
    assert!((d2 - 5.0).abs() < 0.05, "{d2}");

    assert_eq!(ids(&q("20")), vec![id_of(&near), id_of(&mid), id_of(&far)]);
    assert_eq!(ids(&q("0.5")), Vec::<u64>::new());
    assert_eq!(q("200")["items"].as_array().unwrap().len(), 4);

    let limited = get(
        &format!("/api/parcours/nearby?lat={lat0}&lng={lng0}&radius_km=200&limit=2"),
        None,
    )
    .expect(200);
    assert_eq!(ids(&limited), vec![id_of(&near), id_of(&mid)]);

    for bad in [
        "lat=95&lng=6",
        "lat=44&lng=181",
        "lat=44",
        "lng=6",
        "lat=abc&lng=6",
        "lat=44&lng=6&radius_km=500",
        "lat=44&lng=6&radius_km=0",
        "lat=44&lng=6&radius_km=dix",
        "lat=44&lng=6&limit=0",
    ] {
        get(&format!("/api/parcours/nearby?{bad}"), None).assert_error(422, "validation_error");
    }
}

#[test]
fn nearby_across_the_antimeridian_and_near_a_pole() {
    let lat = 12.0 + f64::from(u8::from_str_radix(&unique("")[..2], 16).unwrap()) / 1000.0;
    // ~10.9 km east of 179.95°E, across the date line.
    let east = create_course(json!({ "depart_lat": lat, "depart_lng": -179.95 }));
    let j = get(
        &format!("/api/parcours/nearby?lat={lat}&lng=179.95&radius_km=15"),
        None,
    )
    .expect(200);
    let item = j["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == east["id"])
        .unwrap_or_else(|| panic!("not found across the antimeridian: {j}"));
    let d = item["distance_depart_km"].as_f64().unwrap();
    assert!((d - 10.88).abs() < 0.1, "{d}");

    // Near the pole every longitude is in the box.
    let polar = create_course(json!({ "depart_lat": 89.99, "depart_lng": 100.0 }));
    let j = get("/api/parcours/nearby?lat=89.99&lng=-80&radius_km=5", None).expect(200);
    assert!(
        j["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == polar["id"]),
        "{j}"
    );
}

// ---------------------------------------------------------------------------
// QR
// ---------------------------------------------------------------------------

#[test]
fn qr_url_is_generated_and_stored() {
    let c = create_course(json!({}));
    let id = id_of(&c);
    let slug = c["slug"].as_str().unwrap();
    db().exec_drop("UPDATE produits SET qr_url = NULL WHERE id = ?", (id,))
        .unwrap();
    let admin = user(Role::AdminFab);
    let path = format!("/api/parcours/{id}/qr");
    let j = get(&path, Some(&admin.token)).expect(200);
    let expected = format!("{}/qr?p={slug}", config().app_url);
    assert_eq!(j["qr_url"], expected);
    assert_eq!(j["slug"], slug);
    let stored: Option<Option<String>> = db()
        .exec_first("SELECT qr_url FROM produits WHERE id = ?", (id,))
        .unwrap();
    assert_eq!(stored.flatten().as_deref(), Some(expected.as_str()));
    get(&path, None).assert_error(401, "token_missing");
    let op = user(Role::OperateurFab);
    get(&path, Some(&op.token)).assert_error(403, "forbidden");
    get("/api/parcours/999999999/qr", Some(&admin.token)).assert_error(404, "course_not_found");
}

// ---------------------------------------------------------------------------
// Export destinations and export (spec 10.1)
// ---------------------------------------------------------------------------

/// One request received by a fake webhook.
#[derive(Debug, Clone)]
struct Received {
    request_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// A fake webhook on 127.0.0.1 answering every request with `status`.
struct Hook {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Hook {
    fn start(status: u16) -> Hook {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/webhook/mk", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || serve(stream, status, &log));
            }
        });
        Hook { url, received }
    }

    /// The requests about the course `slug` (other tests may export "all").
    fn for_slug(&self, slug: &str) -> Vec<Received> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.json()["slug"] == slug)
            .cloned()
            .collect()
    }
}

fn serve(stream: TcpStream, status: u16, log: &Mutex<Vec<Received>>) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    log.lock().unwrap().push(Received {
        request_line: request_line.trim_end().to_string(),
        headers,
        body,
    });
    let answer = if status == 200 {
        "{\"recu\":true}"
    } else {
        "panne du serveur distant"
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} Status\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
        answer.len()
    );
}

/// A URL on 127.0.0.1 where nothing listens.
fn dead_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}/webhook")
}

#[expect(
    clippy::needless_pass_by_value,
    reason = "callers pass json! literals: by value reads as plain data"
)]
fn create_destination(token: &str, body: Value) -> Value {
    post("/api/admin/export-destinations", Some(token), &body).expect(201)
}

fn is_iso_utc(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

#[test]
fn export_to_three_destinations_reports_each_outcome() {
    let sa = user(Role::SuperAdmin);
    let ok_hook = Hook::start(200);
    let failing_hook = Hook::start(500);
    let ok = create_destination(
        &sa.token,
        json!({ "nom": unique("Carto OK "), "url": ok_hook.url, "headers": { "X-Source": "mykollector-test" } }),
    );
    let failing = create_destination(
        &sa.token,
        json!({ "nom": unique("Carto 500 "), "url": failing_hook.url }),
    );
    let dead = create_destination(
        &sa.token,
        json!({ "nom": unique("Carto morte "), "url": dead_url() }),
    );
    let course = create_course(json!({
        "depart_lat": 44.8893, "depart_lng": 6.6434, "sommet_lat": 44.82, "sommet_lng": 6.735,
        "lien_boutique": "https://shop.mykollector.com/medailles/izoard",
        "tracking_config": { "cooldown_time_s": 55 }
    }));
    let id = id_of(&course);
    let slug = course["slug"].as_str().unwrap();

    let admin = user(Role::AdminFab);
    let ids = [id_of(&ok), id_of(&failing), id_of(&dead)];
    let r = post(
        &format!("/api/parcours/{id}/export"),
        Some(&admin.token),
        &json!({ "destination_ids": ids }),
    )
    .expect(200);
    assert_eq!(r["parcours_id"], id);
    assert_eq!(r["total"], 3);
    assert_eq!(r["succes"], 1);
    assert_eq!(r["echecs"], 2);
    let outcome = |d: &Value| {
        r["resultats"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["destination_id"] == d["id"])
            .cloned()
            .unwrap_or_else(|| panic!("no outcome for {d}: {r}"))
    };
    let o = outcome(&ok);
    assert_eq!(o["succes"], true);
    assert_eq!(o["http_status"], 200);
    assert!(o["erreur"].is_null());
    assert!(o["duree_ms"].is_u64());
    let o = outcome(&failing);
    assert_eq!(o["succes"], false);
    assert_eq!(o["http_status"], 500);
    assert!(o["erreur"].as_str().unwrap().contains("500"), "{o}");
    let o = outcome(&dead);
    assert_eq!(o["succes"], false);
    assert!(o["http_status"].is_null());
    assert!(!o["erreur"].as_str().unwrap().is_empty());

    // The working webhook got exactly the spec 10.1 payload.
    let got = ok_hook.for_slug(slug);
    assert_eq!(got.len(), 1);
    let req = &got[0];
    assert!(req.request_line.starts_with("POST /webhook/mk "), "{req:?}");
    assert!(req
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(req.header("x-source"), Some("mykollector-test"));
    assert!(req.header("authorization").is_none());
    let p = req.json();
    let keys: Vec<&str> = {
        let mut k: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
        k.sort_unstable();
        k
    };
    assert_eq!(
        keys,
        [
            "depart_lat",
            "depart_lng",
            "exported_at",
            "lien_boutique",
            "nom",
            "parcours_id",
            "qr_url",
            "slug",
            "sommet_lat",
            "sommet_lng",
            "tracking_config"
        ]
    );
    assert_eq!(p["parcours_id"], id);
    assert_eq!(p["slug"], slug);
    assert_eq!(p["nom"], course["nom"]);
    assert_eq!(p["depart_lat"].as_f64(), Some(44.8893));
    assert_eq!(p["depart_lng"].as_f64(), Some(6.6434));
    assert_eq!(p["sommet_lat"].as_f64(), Some(44.82));
    assert_eq!(p["sommet_lng"].as_f64(), Some(6.735));
    assert_eq!(
        p["lien_boutique"],
        "https://shop.mykollector.com/medailles/izoard"
    );
    assert_eq!(p["qr_url"], format!("{}/qr?p={slug}", config().app_url));
    let mut expected = defaults();
    expected["cooldown_time_s"] = json!(55);
    assert_eq!(p["tracking_config"], expected);
    let at = p["exported_at"].as_str().unwrap();
    assert!(is_iso_utc(at), "{at}");
    assert_eq!(r["exported_at"], at);
    // The failing one received it too: it answered 500 after reading it.
    assert_eq!(failing_hook.for_slug(slug).len(), 1);

    // One log row per destination.
    let logs: Vec<(u64, Option<u16>, bool, Option<String>)> = db()
        .exec(
            "SELECT destination_id, http_status, succes, erreur FROM export_logs WHERE produit_id = ? ORDER BY destination_id",
            (id,),
        )
        .unwrap();
    assert_eq!(logs.len(), 3);
    let log = |d: &Value| logs.iter().find(|l| l.0 == id_of(d)).unwrap().clone();
    assert_eq!(log(&ok), (id_of(&ok), Some(200), true, None));
    let l = log(&failing);
    assert_eq!((l.1, l.2), (Some(500), false));
    assert!(l.3.unwrap().contains("500"));
    let l = log(&dead);
    assert_eq!((l.1, l.2), (None, false));
    assert!(l.3.is_some());

    // The destination's detail shows its latest attempts.
    let detail = get(
        &format!("/api/admin/export-destinations/{}", id_of(&failing)),
        Some(&sa.token),
    )
    .expect(200);
    // ("all" exports of other tests may have reached it too.)
    let last = detail["derniers_exports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["parcours_id"] == id)
        .unwrap_or_else(|| panic!("{detail}"));
    assert_eq!(last["http_status"], 500);
    assert_eq!(last["succes"], false);
}

#[test]
fn export_signs_with_bearer_or_hmac_secrets_stored_encrypted() {
    let sa = user(Role::SuperAdmin);
    let hook = Hook::start(200);
    let bearer_secret = unique("jeton-bearer-");
    let hmac_secret = unique("cle hmac partagée ");
    let bearer = create_destination(
        &sa.token,
        json!({ "nom": unique("Bearer "), "url": hook.url, "mode_auth": "bearer", "secret": bearer_secret }),
    );
    let hmac = create_destination(
        &sa.token,
        json!({ "nom": unique("HMAC "), "url": hook.url, "mode_auth": "hmac", "secret": hmac_secret }),
    );
    for d in [&bearer, &hmac] {
        assert_eq!(d["secret_defini"], true);
        assert!(d.get("secret").is_none() && d.get("secret_chiffre").is_none());
        assert!(!d.to_string().contains("jeton-bearer"));
    }
    // Encrypted at rest with ENCRYPTION_KEY.
    let stored: Option<Option<String>> = db()
        .exec_first(
            "SELECT secret_chiffre FROM export_destinations WHERE id = ?",
            (id_of(&bearer),),
        )
        .unwrap();
    let stored = stored.flatten().unwrap();
    assert!(!stored.contains(&bearer_secret));
    assert_eq!(
        crypto::decrypt(&config().encryption_key, &stored).unwrap(),
        bearer_secret
    );

    let course = create_course(json!({}));
    let slug = course["slug"].as_str().unwrap();
    let admin = user(Role::AdminFab);
    let r = post(
        &format!("/api/parcours/{}/export", id_of(&course)),
        Some(&admin.token),
        &json!({ "destination_ids": [id_of(&bearer), id_of(&hmac)] }),
    )
    .expect(200);
    assert_eq!(r["succes"], 2, "{r}");
    let got = hook.for_slug(slug);
    assert_eq!(got.len(), 2);
    let with_bearer: Vec<_> = got
        .iter()
        .filter(|g| g.header("authorization").is_some())
        .collect();
    assert_eq!(with_bearer.len(), 1);
    assert_eq!(
        with_bearer[0].header("authorization").unwrap(),
        format!("Bearer {bearer_secret}")
    );
    assert!(with_bearer[0].header("x-mykollector-signature").is_none());
    let signed: Vec<_> = got
        .iter()
        .filter(|g| g.header("x-mykollector-signature").is_some())
        .collect();
    assert_eq!(signed.len(), 1);
    assert_eq!(
        signed[0].header("x-mykollector-signature").unwrap(),
        format!(
            "sha256={}",
            crypto::hmac_sha256_hex(hmac_secret.as_bytes(), &signed[0].body)
        )
    );
}

#[test]
fn export_all_goes_to_active_destinations_only() {
    let sa = user(Role::SuperAdmin);
    let active_hook = Hook::start(200);
    let inactive_hook = Hook::start(200);
    let active = create_destination(
        &sa.token,
        json!({ "nom": unique("Active "), "url": active_hook.url }),
    );
    let inactive = create_destination(
        &sa.token,
        json!({ "nom": unique("Inactive "), "url": inactive_hook.url, "actif": false }),
    );
    let course = create_course(json!({}));
    let id = id_of(&course);
    let slug = course["slug"].as_str().unwrap();
    let admin = user(Role::AdminFab);
    let path = format!("/api/parcours/{id}/export");
    for body in [json!({ "destination_ids": "all" }), json!("all")] {
        let r = post(&path, Some(&admin.token), &body).expect(200);
        let listed: Vec<&Value> = r["resultats"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| &o["destination_id"])
            .collect();
        assert!(listed.contains(&&active["id"]), "{r}");
        assert!(!listed.contains(&&inactive["id"]), "{r}");
    }
    assert_eq!(active_hook.for_slug(slug).len(), 2);
    assert!(inactive_hook.for_slug(slug).is_empty());
    // Asking for an inactive or unknown destination by id is refused.
    post(
        &path,
        Some(&admin.token),
        &json!({ "destination_ids": [id_of(&inactive)] }),
    )
    .assert_error(422, "validation_error");
    post(
        &path,
        Some(&admin.token),
        &json!({ "destination_ids": [999_999_999] }),
    )
    .assert_error(422, "validation_error");
}

#[test]
fn export_input_roles_and_unknown_course() {
    let course = create_course(json!({}));
    let path = format!("/api/parcours/{}/export", id_of(&course));
    let admin = user(Role::AdminFab);
    for bad in [
        json!({}),
        json!({ "destination_ids": [] }),
        json!({ "destination_ids": "tout" }),
        json!({ "destination_ids": ["1"] }),
        json!([1]),
    ] {
        post(&path, Some(&admin.token), &bad).assert_error(422, "validation_error");
    }
    post(&path, None, &json!("all")).assert_error(401, "token_missing");
    for role in [Role::Sportif, Role::OperateurFab, Role::AdminChrono] {
        let u = user(role);
        post(&path, Some(&u.token), &json!("all")).assert_error(403, "forbidden");
    }
    post(
        "/api/parcours/999999999/export",
        Some(&admin.token),
        &json!("all"),
    )
    .assert_error(404, "course_not_found");
}

#[test]
fn export_destinations_crud_is_super_admin_only() {
    let sa = user(Role::SuperAdmin);
    let t = Some(sa.token.as_str());
    let base = "/api/admin/export-destinations";
    let nom = unique("Office de tourisme ");
    // Inactive from the start: other tests' "all" exports must not reach it.
    let d = create_destination(
        &sa.token,
        json!({ "nom": nom, "url": dead_url(), "actif": false }),
    );
    assert_eq!(d["mode_auth"], "aucun");
    assert_eq!(d["secret_defini"], false);
    assert_eq!(d["actif"], false);
    assert!(d["headers"].is_null());
    let id = id_of(&d);
    let path = format!("{base}/{id}");

    let list = get(&format!("{base}?per_page=200"), t).expect(200);
    assert_eq!(list["per_page"], 200);
    assert!(list["total"].as_u64().unwrap() >= 1);
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["id"] == id));
    let shown = get(&path, t).expect(200);
    assert_eq!(shown["nom"], nom);
    assert_eq!(shown["derniers_exports"], json!([]));

    // Switch to bearer: needs a secret; back to aucun clears it.
    patch(&path, t, &json!({ "mode_auth": "bearer" })).assert_error(422, "validation_error");
    let p = patch(
        &path,
        t,
        &json!({ "mode_auth": "bearer", "secret": "jeton-secret-123", "url": "https://hooks.example.fr/mk" }),
    )
    .expect(200);
    assert_eq!(p["secret_defini"], true);
    assert_eq!(p["url"], "https://hooks.example.fr/mk");
    assert_eq!(p["actif"], false, "an absent field is kept");
    let p = patch(&path, t, &json!({ "nom": "Renommée" })).expect(200);
    assert_eq!(p["secret_defini"], true, "an absent secret is kept");
    let p = patch(&path, t, &json!({ "mode_auth": "aucun" })).expect(200);
    assert_eq!(p["secret_defini"], false);
    let stored: Option<Option<String>> = db()
        .exec_first(
            "SELECT secret_chiffre FROM export_destinations WHERE id = ?",
            (id,),
        )
        .unwrap();
    assert_eq!(stored, Some(None));

    for bad in [
        json!({ "nom": "x", "url": "ftp://example.fr" }),
        json!({ "nom": "x", "url": "pas une url" }),
        json!({ "nom": "", "url": "https://example.fr" }),
        json!({ "url": "https://example.fr" }),
        json!({ "nom": "x", "url": "https://example.fr", "mode_auth": "hmac" }),
        json!({ "nom": "x", "url": "https://example.fr", "mode_auth": "bearer", "secret": "court" }),
        json!({ "nom": "x", "url": "https://example.fr", "mode_auth": "oauth" }),
        json!({ "nom": "x", "url": "https://example.fr", "headers": { "Authorization": "x" } }),
        json!({ "nom": "x", "url": "https://example.fr", "inconnu": 1 }),
    ] {
        post(base, t, &bad).assert_error(422, "validation_error");
    }

    get(base, None).assert_error(401, "token_missing");
    for role in [Role::AdminFab, Role::OperateurFab, Role::Sportif] {
        let u = user(role);
        get(base, Some(&u.token)).assert_error(403, "forbidden");
        post(
            base,
            Some(&u.token),
            &json!({ "nom": "x", "url": "https://example.fr" }),
        )
        .assert_error(403, "forbidden");
        delete(&path, Some(&u.token)).assert_error(403, "forbidden");
    }

    let r = delete(&path, t);
    assert_eq!(r.status, 204, "{}", r.text());
    get(&path, t).assert_error(404, "export_destination_not_found");
    delete(&path, t).assert_error(404, "export_destination_not_found");
    patch(&path, t, &json!({ "nom": "x" })).assert_error(404, "export_destination_not_found");
}
