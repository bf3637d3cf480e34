//! Spec §5.3 chronos (QR start/stop, validation, manual entry with proof,
//! GPX import), the `admin_chrono` queue, and the rankings of
//! `/api/parcours/{id}/classement`.

use crate::common::*;
use mykollector::security::Role;
use mysql::prelude::Queryable;
use serde_json::{json, Value};
use std::fmt::Write as _;

/// Briançon (start) and the Col d'Izoard summit.
const DEPART: (f64, f64) = (44.8986, 6.6436);
const SOMMET: (f64, f64) = (44.8203, 6.7350);

struct CourseOpts {
    actif: bool,
    message: Option<&'static str>,
    coords: bool,
}

impl Default for CourseOpts {
    fn default() -> Self {
        CourseOpts {
            actif: true,
            message: None,
            coords: true,
        }
    }
}

/// A course of its own (unique slug and 3-letter code), with its tracking
/// config: start radius 300 m, finish radius 0.5 km.
#[expect(
    clippy::needless_pass_by_value,
    reason = "callers pass an options literal: by value reads as plain data"
)]
fn course_with(opts: CourseOpts) -> u64 {
    let slug = unique("col-test-");
    let (dl, dg, sl, sg) = if opts.coords {
        (
            Some(DEPART.0),
            Some(DEPART.1),
            Some(SOMMET.0),
            Some(SOMMET.1),
        )
    } else {
        (None, None, None, None)
    };
    let (id, _) = insert_course(|conn, code| {
        conn.exec_drop(
            r"INSERT INTO produits (slug, code, nom, categorie, altitude, actif, message_desactivation,
                                    depart_lat, depart_lng, sommet_lat, sommet_lng, rayon_km)
              VALUES (?, ?, ?, 'cyclisme', 2360, ?, ?, ?, ?, ?, ?, 0.5)",
            (
                &slug,
                code,
                format!("Col d'Izoard {slug}"),
                opts.actif,
                opts.message,
                dl,
                dg,
                sl,
                sg,
            ),
        )
    });
    tracking_config(id);
    id
}

fn course() -> u64 {
    course_with(CourseOpts::default())
}

/// An athlete with the given names.
fn athlete(prenom: &str, nom: &str) -> TestUser {
    let u = user(Role::Sportif);
    db().exec_drop(
        "UPDATE users SET prenom = ?, nom = ? WHERE id = ?",
        (prenom, nom, u.id),
    )
    .unwrap();
    u
}

fn start(u: &TestUser, produit_id: u64) -> Resp {
    post(
        "/api/chrono/start",
        Some(&u.token),
        &json!({ "produit_id": produit_id }),
    )
}

/// Moves a running chrono's start `secs` into the past.
fn backdate(chrono_id: u64, secs: i64) {
    db().exec_drop(
        "UPDATE chronos SET date_debut = NOW() - INTERVAL ? SECOND WHERE id = ?",
        (secs, chrono_id),
    )
    .unwrap();
}

fn id_of(v: &Value) -> u64 {
    v["id"].as_u64().expect("id in answer")
}

/// A manual entry (pending), through the API.
fn manual(u: &TestUser, produit_id: u64, secs: u64) -> u64 {
    let c = post(
        "/api/chrono/manuel",
        Some(&u.token),
        &json!({ "produit_id": produit_id, "duree_secondes": secs, "date_realisation": "2025-07-14" }),
    )
    .expect(201);
    id_of(&c)
}

/// A validated time, through the API: a manual entry checked by an
/// `admin_chrono` (issue 13 item 11: the athlete cannot validate it).
fn validated(u: &TestUser, produit_id: u64, secs: u64) -> u64 {
    let id = manual(u, produit_id, secs);
    moderate(id, "valider");
    id
}

/// A decision on chrono `id` (`PATCH /api/admin/chronos/{id}`) sent with `token`.
fn decide(token: &str, id: u64, body: &Value) -> Resp {
    patch(&format!("/api/admin/chronos/{id}"), Some(token), body)
}

/// An `admin_chrono`'s decision on a chrono.
fn moderate(id: u64, decision: &str) -> Value {
    let admin = user(Role::AdminChrono);
    decide(&admin.token, id, &json!({ "decision": decision })).expect(200)
}

fn statut(id: u64) -> String {
    db().exec_first::<String, _, _>("SELECT statut FROM chronos WHERE id = ?", (id,))
        .unwrap()
        .unwrap()
}

fn best(produit_id: u64, user_id: u64) -> Option<(u64, u64)> {
    db().exec_first(
        "SELECT meilleur_temps_sec, chrono_id FROM classements WHERE produit_id = ? AND user_id = ?",
        (produit_id, user_id),
    )
    .unwrap()
}

fn chrono_count(user_id: u64) -> u64 {
    db().exec_first::<u64, _, _>("SELECT COUNT(*) FROM chronos WHERE user_id = ?", (user_id,))
        .unwrap()
        .unwrap()
}

#[test]
fn start_stop_validate_full_path() {
    let c = course();
    let u = athlete("Julien", "Martin");
    let started = start(&u, c).expect(201);
    let id = id_of(&started);
    assert_eq!(started["statut"], "en_cours");
    assert_eq!(started["source"], "qr");
    assert!(started["date_debut"].is_string());
    assert!(started["duree_secondes"].is_null());

    backdate(id, 3600);
    let stopped = post(
        "/api/chrono/stop",
        Some(&u.token),
        &json!({ "chrono_id": id, "ajustement_sec": -30, "gps_arrivee": "44.8203,6.7350" }),
    )
    .expect(200);
    assert_eq!(stopped["statut"], "attente_validation");
    assert_eq!(stopped["ajustement_sec"], -30);
    assert_eq!(stopped["gps_arrivee"], "44.8203000,6.7350000");
    let (measured, duree): (i64, i64) = db()
        .exec_first(
            "SELECT TIMESTAMPDIFF(SECOND, date_debut, date_fin), duree_secondes FROM chronos WHERE id = ?",
            (id,),
        )
        .unwrap()
        .unwrap();
    // The clock may tick between the backdating and the stop.
    assert!((3600..=3602).contains(&measured), "{measured}");
    assert_eq!(duree, measured - 30);
    assert_eq!(stopped["duree_secondes"], duree);
    let hms = |s: i64| mykollector::time::hms(s.unsigned_abs());
    assert_eq!(stopped["temps"], hms(duree));
    assert_eq!(best(c, u.id), None, "not ranked before validation");

    // The athlete changes the adjustment in the popup, then validates.
    let v = patch(
        &format!("/api/chrono/{id}/valider"),
        Some(&u.token),
        &json!({ "ajustement_sec": -60 }),
    )
    .expect(200);
    assert_eq!(v["statut"], "valide");
    assert_eq!(v["duree_secondes"], measured - 60);
    assert_eq!(v["classement"]["rang_texte"], "1/1");
    assert_eq!(statut(id), "valide");
    assert_eq!(best(c, u.id), Some(((measured - 60).unsigned_abs(), id)));
    let valide_par: Option<u64> = db()
        .exec_first("SELECT valide_par FROM chronos WHERE id = ?", (id,))
        .unwrap()
        .unwrap();
    assert_eq!(valide_par, Some(u.id));

    // Validating twice is refused.
    patch(
        &format!("/api/chrono/{id}/valider"),
        Some(&u.token),
        &json!({}),
    )
    .assert_error(409, "chrono_not_pending");

    let history = get("/api/chrono/history", Some(&u.token)).expect(200);
    assert_eq!(history["total"], 1);
    assert_eq!(history["page"], 1);
    assert_eq!(history["items"][0]["id"], id);
    assert_eq!(history["items"][0]["temps"], hms(measured - 60));
    assert!(history["items"][0]["parcours_nom"]
        .as_str()
        .unwrap()
        .starts_with("Col d'Izoard"));

    let mine = get(&format!("/api/chrono/{c}/mes"), Some(&u.token)).expect(200);
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["items"][0]["id"], id);
    assert_eq!(mine["classement"]["rang"], 1);
}

#[test]
fn one_running_chrono_per_athlete_and_course() {
    let (c1, c2) = (course(), course());
    let u = user(Role::Sportif);
    let first = id_of(&start(&u, c1).expect(201));
    start(&u, c1).assert_error(409, "chrono_already_running");
    // Another course is another chrono.
    let other = id_of(&start(&u, c2).expect(201));
    // Stopping by course stops the running one there.
    let stopped = post(
        "/api/chrono/stop",
        Some(&u.token),
        &json!({ "produit_id": c1 }),
    )
    .expect(200);
    assert_eq!(stopped["id"], first);
    post(
        "/api/chrono/stop",
        Some(&u.token),
        &json!({ "produit_id": c1 }),
    )
    .assert_error(404, "chrono_not_found");
    post(
        "/api/chrono/stop",
        Some(&u.token),
        &json!({ "chrono_id": first }),
    )
    .assert_error(409, "chrono_not_running");
    // Once stopped, a new start is allowed.
    start(&u, c1).expect(201);
    assert_eq!(statut(other), "en_cours");
    let running: u64 = db()
        .exec_first(
            "SELECT COUNT(*) FROM chronos WHERE user_id = ? AND statut = 'en_cours'",
            (u.id,),
        )
        .unwrap()
        .unwrap();
    assert_eq!(running, 2);
    post("/api/chrono/stop", Some(&u.token), &json!({})).assert_error(422, "validation_error");
}

#[test]
fn adjustment_must_stay_smaller_than_the_measured_time() {
    let c = course();
    let u = user(Role::Sportif);
    let id = id_of(&start(&u, c).expect(201));
    backdate(id, 100);
    // The exact boundary is a unit test; here the clock may tick between calls.
    for adj in [-150, -500, 150] {
        post(
            "/api/chrono/stop",
            Some(&u.token),
            &json!({ "chrono_id": id, "ajustement_sec": adj }),
        )
        .assert_error(422, "validation_error");
    }
    assert_eq!(statut(id), "en_cours", "a refused stop changes nothing");
    post(
        "/api/chrono/stop",
        Some(&u.token),
        &json!({ "chrono_id": id, "gps_arrivee": "au sommet" }),
    )
    .assert_error(422, "validation_error");
    let s = post(
        "/api/chrono/stop",
        Some(&u.token),
        &json!({ "chrono_id": id, "ajustement_sec": -40 }),
    )
    .expect(200);
    let d = s["duree_secondes"].as_i64().unwrap();
    assert!((60..=62).contains(&d), "{d}");
    patch(
        &format!("/api/chrono/{id}/valider"),
        Some(&u.token),
        &json!({ "ajustement_sec": -1000 }),
    )
    .assert_error(422, "validation_error");
    patch(
        &format!("/api/chrono/{id}/valider"),
        Some(&u.token),
        &json!({ "inconnu": 1 }),
    )
    .assert_error(422, "validation_error");
    assert_eq!(statut(id), "attente_validation");
}

#[test]
fn inactive_or_unknown_course_is_refused() {
    let c = course_with(CourseOpts {
        actif: false,
        message: Some("Route du col fermée jusqu'au 1er juin (neige)."),
        ..Default::default()
    });
    let u = user(Role::Sportif);
    let r = start(&u, c);
    r.assert_error(409, "parcours_inactive");
    assert_eq!(
        r.json()["message"],
        "Route du col fermée jusqu'au 1er juin (neige)."
    );
    start(&u, 999_999_999).assert_error(404, "parcours_not_found");
    post(
        "/api/chrono/manuel",
        Some(&u.token),
        &json!({ "produit_id": c, "duree": "01:00:00", "date_realisation": "2025-07-14" }),
    )
    .assert_error(409, "parcours_inactive");
    assert_eq!(chrono_count(u.id), 0);
}

#[test]
fn athletes_only_touch_their_own_chronos() {
    let c = course();
    let (a, b) = (user(Role::Sportif), user(Role::Sportif));
    let running = id_of(&start(&a, c).expect(201));
    post(
        "/api/chrono/stop",
        Some(&b.token),
        &json!({ "chrono_id": running }),
    )
    .assert_error(404, "chrono_not_found");
    patch(
        &format!("/api/chrono/{running}/valider"),
        Some(&a.token),
        &json!({}),
    )
    .assert_error(409, "chrono_not_pending");
    let pending = manual(&a, c, 4000);
    patch(
        &format!("/api/chrono/{pending}/valider"),
        Some(&b.token),
        &json!({}),
    )
    .assert_error(404, "chrono_not_found");
    assert_eq!(statut(running), "en_cours");
    assert_eq!(statut(pending), "attente_validation");
    // B's lists show nothing of A's.
    let h = get("/api/chrono/history", Some(&b.token)).expect(200);
    assert_eq!(h["total"], 0);
    let h = get("/api/chrono/history?statut=en_cours", Some(&a.token)).expect(200);
    assert_eq!(h["total"], 1);
    assert_eq!(h["items"][0]["id"], running);
    assert!(h["items"][0]["ecoule_secondes"].is_i64());
    get("/api/chrono/history?statut=perdu", Some(&a.token)).assert_error(422, "validation_error");
    patch("/api/chrono/abc/valider", Some(&a.token), &json!({})).assert_error(404, "not_found");
}

#[test]
fn roles_and_tokens() {
    let c = course();
    let chrono_admin = user(Role::AdminChrono);
    let operateur = user_in(Role::OperateurFab, Some(atelier()));
    let sportif = user(Role::Sportif);
    let pending = manual(&sportif, c, 3000);

    // No token.
    get("/api/chrono/history", None).assert_error(401, "token_missing");
    post("/api/chrono/start", None, &json!({ "produit_id": c })).assert_error(401, "token_missing");
    get("/api/admin/chronos/en-attente", None).assert_error(401, "token_missing");

    // admin_chrono may only validate or reject: no athlete routes.
    get("/api/chrono/history", Some(&chrono_admin.token)).assert_error(403, "forbidden");
    start(&chrono_admin, c).assert_error(403, "forbidden");
    get(&format!("/api/chrono/{c}/mes"), Some(&chrono_admin.token)).assert_error(403, "forbidden");
    post_multipart(
        "/api/chrono/gpx",
        Some(&chrono_admin.token),
        &[("produit_id", &c.to_string())],
        &[],
    )
    .assert_error(403, "forbidden");

    // Workshop operators and athletes cannot validate chronos.
    for who in [&operateur, &sportif] {
        get("/api/admin/chronos/en-attente", Some(&who.token)).assert_error(403, "forbidden");
        decide(&who.token, pending, &json!({ "decision": "valider" }))
            .assert_error(403, "forbidden");
        get(
            &format!("/api/admin/chronos/{pending}/preuve"),
            Some(&who.token),
        )
        .assert_error(403, "forbidden");
    }
    assert_eq!(statut(pending), "attente_validation");
}

#[test]
fn admin_chrono_validates_and_rejects() {
    let c = course();
    let admin = user(Role::AdminChrono);
    let u = athlete("Claire", "Moreau");
    let first = manual(&u, c, 4000);
    let second = manual(&u, c, 3500);

    let queue = get(
        &format!("/api/admin/chronos/en-attente?produit_id={c}&per_page=200"),
        Some(&admin.token),
    )
    .expect(200);
    assert_eq!(queue["total"], 2);
    let ids: Vec<u64> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(ids, vec![first, second], "oldest first");
    assert_eq!(queue["items"][0]["sportif"]["email"], u.email);
    assert_eq!(queue["items"][0]["sportif"]["prenom"], "Claire");
    get(
        "/api/admin/chronos/en-attente?source=fax",
        Some(&admin.token),
    )
    .assert_error(422, "validation_error");

    let v = decide(&admin.token, first, &json!({ "decision": "valider" })).expect(200);
    assert_eq!(v["statut"], "valide");
    assert_eq!(best(c, u.id), Some((4000, first)));
    let by: Option<u64> = db()
        .exec_first("SELECT valide_par FROM chronos WHERE id = ?", (first,))
        .unwrap()
        .unwrap();
    assert_eq!(by, Some(admin.id));

    let r = decide(
        &admin.token,
        second,
        &json!({ "decision": "rejeter", "motif": "Preuve illisible" }),
    )
    .expect(200);
    assert_eq!(r["statut"], "annule");
    assert_eq!(r["motif_rejet"], "Preuve illisible");
    let (statut_db, motif, by): (String, Option<String>, Option<u64>) = db()
        .exec_first(
            "SELECT statut, motif_rejet, valide_par FROM chronos WHERE id = ?",
            (second,),
        )
        .unwrap()
        .unwrap();
    assert_eq!(
        (statut_db.as_str(), motif.as_deref(), by),
        ("annule", Some("Preuve illisible"), Some(admin.id))
    );
    assert_eq!(
        best(c, u.id),
        Some((4000, first)),
        "a rejected pending chrono never ranked"
    );

    // Errors: bad decision, unknown chrono, already annulled, unknown field.
    decide(&admin.token, first, &json!({ "decision": "peut-être" }))
        .assert_error(422, "validation_error");
    patch(
        "/api/admin/chronos/999999999",
        Some(&admin.token),
        &json!({ "decision": "valider" }),
    )
    .assert_error(404, "chrono_not_found");
    decide(&admin.token, second, &json!({ "decision": "rejeter" }))
        .assert_error(409, "chrono_not_pending");
    decide(&admin.token, second, &json!({ "decision": "valider" }))
        .assert_error(409, "chrono_not_pending");
    decide(
        &admin.token,
        first,
        &json!({ "decision": "rejeter", "note": "x" }),
    )
    .assert_error(422, "validation_error");

    // The super admin may decide too.
    let sa = user(Role::SuperAdmin);
    let third = manual(&u, c, 3900);
    decide(&sa.token, third, &json!({ "decision": "valider" })).expect(200);
    assert_eq!(best(c, u.id), Some((3900, third)));

    // Annulling a validated chrono rebuilds the ranking from what is left.
    decide(
        &admin.token,
        third,
        &json!({ "decision": "rejeter", "motif": "Trace d'un autre col" }),
    )
    .expect(200);
    assert_eq!(best(c, u.id), Some((4000, first)));
    decide(&admin.token, first, &json!({ "decision": "rejeter" })).expect(200);
    assert_eq!(best(c, u.id), None);
}

fn png() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend((0..2000u32).map(|i| (i % 251) as u8));
    v
}

#[expect(
    clippy::case_sensitive_file_extension_comparisons,
    reason = "the server names the file: the test checks its exact name"
)]
#[test]
fn manual_entry_with_proof_file() {
    let c = course();
    let u = user(Role::Sportif);
    let proof = png();
    let r = post_multipart(
        "/api/chrono/manuel",
        Some(&u.token),
        &[
            ("produit_id", &c.to_string()),
            ("duree", "01:23:45"),
            ("date_realisation", "2024-07-14"),
        ],
        &[("preuve", "sommet.png", "image/png", proof.clone())],
    )
    .expect(201);
    let id = id_of(&r);
    assert_eq!(r["source"], "manuel");
    assert_eq!(r["statut"], "attente_validation");
    assert_eq!(r["duree_secondes"], 5025);
    assert_eq!(r["date_realisation"], "2024-07-14");
    assert_eq!(r["preuve"], true);
    assert!(!r.to_string().contains("preuves/"), "no storage path: {r}");

    let path: String = db()
        .exec_first::<Option<String>, _, _>("SELECT preuve_url FROM chronos WHERE id = ?", (id,))
        .unwrap()
        .unwrap()
        .expect("preuve_url set");
    assert!(
        path.starts_with("preuves/") && path.ends_with(".png"),
        "{path}"
    );
    assert!(!path.contains("http") && !path.contains("public_html"));
    let on_disk = std::fs::read(config().storage_path.join(&path)).expect("proof stored");
    assert_eq!(on_disk, proof);

    // The validator downloads it.
    let admin = user(Role::AdminChrono);
    let dl = get(
        &format!("/api/admin/chronos/{id}/preuve"),
        Some(&admin.token),
    );
    assert_eq!(dl.status, 200);
    assert_eq!(dl.header("Content-Type"), Some("image/png"));
    assert_eq!(dl.body, proof);
    // A chrono without proof.
    let plain = manual(&u, c, 4000);
    get(
        &format!("/api/admin/chronos/{plain}/preuve"),
        Some(&admin.token),
    )
    .assert_error(404, "preuve_not_found");

    // The athlete cannot validate its manual entry: the admin_chrono does.
    patch(
        &format!("/api/chrono/{id}/valider"),
        Some(&u.token),
        &json!({}),
    )
    .assert_error(409, "chrono_awaits_verification");
    assert_eq!(best(c, u.id), None);
    moderate(id, "valider");
    assert_eq!(best(c, u.id), Some((5025, id)));
}

#[test]
fn manual_entry_validation() {
    let c = course();
    let u = user(Role::Sportif);
    let tomorrow: String = db()
        .query_first("SELECT DATE_FORMAT(CURDATE() + INTERVAL 1 DAY, '%Y-%m-%d')")
        .unwrap()
        .unwrap();
    let today: String = db()
        .query_first("SELECT DATE_FORMAT(CURDATE(), '%Y-%m-%d')")
        .unwrap()
        .unwrap();
    let bad = [
        json!({ "produit_id": c, "duree": "01:00:00", "date_realisation": tomorrow }),
        json!({ "produit_id": c, "duree": "01:00:00", "date_realisation": "14/07/2024" }),
        json!({ "produit_id": c, "duree": "01:00:00", "date_realisation": "2023-02-29" }),
        json!({ "produit_id": c, "duree": "1h", "date_realisation": "2024-07-14" }),
        json!({ "produit_id": c, "duree": "00:00:00", "date_realisation": "2024-07-14" }),
        json!({ "produit_id": c, "date_realisation": "2024-07-14" }),
        json!({ "produit_id": c, "duree": "01:00:00", "duree_secondes": 10, "date_realisation": "2024-07-14" }),
        json!({ "produit_id": c, "duree_secondes": -5, "date_realisation": "2024-07-14" }),
    ];
    for body in bad {
        post("/api/chrono/manuel", Some(&u.token), &body).assert_error(422, "validation_error");
    }
    let fields = [
        ("produit_id", c.to_string()),
        ("duree", "02:00:00".to_string()),
        ("date_realisation", "2024-07-14".to_string()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    post_multipart(
        "/api/chrono/manuel",
        Some(&u.token),
        &fields,
        &[(
            "preuve",
            "virus.exe",
            "application/octet-stream",
            b"MZ\x90\x00".to_vec(),
        )],
    )
    .assert_error(415, "unsupported_file_type");
    post_multipart(
        "/api/chrono/manuel",
        Some(&u.token),
        &fields,
        &[(
            "preuve",
            "photo.png",
            "image/png",
            b"%PDF-1.7 not a png".to_vec(),
        )],
    )
    .assert_error(415, "unsupported_file_type");
    let mut huge = png();
    huge.resize(5 * 1024 * 1024 + 512 * 1024, 7);
    post_multipart(
        "/api/chrono/manuel",
        Some(&u.token),
        &fields,
        &[("preuve", "photo.png", "image/png", huge)],
    )
    .assert_error(413, "file_too_large");
    assert_eq!(chrono_count(u.id), 0, "nothing written by refused entries");

    // Today is fine, and so is a PDF proof.
    post(
        "/api/chrono/manuel",
        Some(&u.token),
        &json!({ "produit_id": c, "duree": "00:45:10", "date_realisation": today }),
    )
    .expect(201);
    post_multipart(
        "/api/chrono/manuel",
        Some(&u.token),
        &fields,
        &[(
            "preuve",
            "diplome.pdf",
            "application/pdf",
            b"%PDF-1.4\n%fin".to_vec(),
        )],
    )
    .expect(201);
    assert_eq!(chrono_count(u.id), 2);
}

// ---------------------------------------------------------------------------
// GPX
// ---------------------------------------------------------------------------

/// 2024-07-14T08:00:00Z
const T0: i64 = 1_720_944_000;

fn iso(t: i64) -> String {
    mykollector::time::iso_utc(t.unsigned_abs())
}

fn lerp(a: (f64, f64), b: (f64, f64), f: f64) -> (f64, f64) {
    (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f)
}

fn gpx_doc(points: &[((f64, f64), Option<i64>)]) -> Vec<u8> {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="Garmin Connect" xmlns="http://www.topografix.com/GPX/1/1">
  <metadata><name>Col d'Izoard depuis Briançon</name></metadata>
  <trk><name>Izoard</name><type>cycling</type><trkseg>
"#,
    );
    for ((lat, lng), t) in points {
        let time = t
            .map(|t| format!("<time>{}</time>", iso(t)))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "    <trkpt lat=\"{lat:.7}\" lon=\"{lng:.7}\"><ele>1350</ele>{time}</trkpt>"
        );
    }
    s.push_str("  </trkseg></trk>\n</gpx>\n");
    s.into_bytes()
}

/// A real-looking climb: riding through Briançon towards the start, a
/// short wait at the start, 200 points up to the summit over exactly
/// 1 h 30, a few minutes at the top, then the descent.
fn izoard_points() -> Vec<((f64, f64), Option<i64>)> {
    let town = (44.9120, 6.6290);
    let mut pts = Vec::new();
    let mut t = T0 - 600;
    for k in 0..8 {
        pts.push((lerp(town, DEPART, f64::from(k) / 10.0), Some(t)));
        t += 40;
    }
    for k in 0..4 {
        pts.push(((DEPART.0 + f64::from(k % 2) * 0.00004, DEPART.1), Some(t)));
        t += 20;
    }
    for k in 0..=200 {
        pts.push((
            lerp(DEPART, SOMMET, f64::from(k) / 200.0),
            Some(T0 + i64::from(k) * 27),
        ));
    }
    let top = T0 + 5400;
    for k in 1..=6 {
        pts.push(((SOMMET.0, SOMMET.1 + 0.00003), Some(top + 30 * k)));
    }
    for k in 1..=10 {
        pts.push((
            lerp(SOMMET, DEPART, f64::from(k) / 10.0),
            Some(top + 180 + 90 * i64::from(k)),
        ));
    }
    pts
}

fn upload_gpx(u: &TestUser, produit_id: u64, data: Vec<u8>) -> Resp {
    post_multipart(
        "/api/chrono/gpx",
        Some(&u.token),
        &[("produit_id", &produit_id.to_string())],
        &[("fichier", "izoard.gpx", "application/gpx+xml", data)],
    )
}

#[test]
fn gpx_track_gives_a_pending_chrono() {
    let c = course();
    let u = user(Role::Sportif);
    let doc = gpx_doc(&izoard_points());
    let r = upload_gpx(&u, c, doc.clone()).expect(201);
    let id = id_of(&r);
    assert_eq!(r["source"], "gpx");
    assert_eq!(r["statut"], "attente_validation");
    assert_eq!(r["duree_secondes"], 5400);
    assert_eq!(r["temps"], "01:30:00");
    assert_eq!(r["date_realisation"], "2024-07-14");
    assert_eq!(r["gps_arrivee"], "44.8203000,6.7350000");
    assert_eq!(r["preuve"], true);
    let meta = &r["gpx_meta"];
    assert_eq!(meta["points"], izoard_points().len());
    assert_eq!(meta["debut"], "2024-07-14T08:00:00Z");
    assert_eq!(meta["fin"], "2024-07-14T09:30:00Z");
    assert_eq!(meta["rayon_depart_m"], 300.0);
    assert_eq!(meta["rayon_arrivee_m"], 500.0);
    let km = meta["distance_effort_km"].as_f64().unwrap();
    assert!((11.0..11.8).contains(&km), "{km}");

    // Stored: duration by the database, the track kept as the proof.
    let (span, path, source): (i64, String, String) = db()
        .exec_first(
            "SELECT TIMESTAMPDIFF(SECOND, date_debut, date_fin), preuve_url, source FROM chronos WHERE id = ?",
            (id,),
        )
        .unwrap()
        .unwrap();
    assert_eq!((span, source.as_str()), (5400, "gpx"));
    assert_eq!(
        std::fs::read(config().storage_path.join(&path)).unwrap(),
        doc
    );

    // The same track twice is refused.
    upload_gpx(&u, c, doc).assert_error(409, "gpx_already_imported");
    assert_eq!(chrono_count(u.id), 1);

    // The athlete's track waits for an admin_chrono; then it ranks.
    assert_eq!(r["verification"], "en attente de vérification");
    patch(
        &format!("/api/chrono/{id}/valider"),
        Some(&u.token),
        &json!({}),
    )
    .assert_error(409, "chrono_awaits_verification");
    assert_eq!(best(c, u.id), None);
    let v = moderate(id, "valider");
    assert_eq!(v["statut"], "valide");
    assert_eq!(v["verification"], "vérifié");
    assert_eq!(best(c, u.id), Some((5400, id)));
}

#[test]
fn gpx_errors_are_explicit() {
    let c = course();
    let u = user(Role::Sportif);
    let pts = izoard_points();

    // Turned back before the summit.
    let short: Vec<_> = pts.iter().copied().take(150).collect();
    upload_gpx(&u, c, gpx_doc(&short)).assert_error(422, "gpx_never_finished");
    // Another valley: never near the start.
    let elsewhere: Vec<_> = pts
        .iter()
        .map(|((lat, lng), t)| ((lat - 0.2, *lng), *t))
        .collect();
    upload_gpx(&u, c, gpx_doc(&elsewhere)).assert_error(422, "gpx_never_started");
    // Malformed XML, not GPX at all, no timestamps.
    let mut broken = gpx_doc(&pts);
    broken.truncate(broken.len() / 2);
    upload_gpx(&u, c, broken).assert_error(422, "gpx_invalid");
    upload_gpx(&u, c, b"<html><body>Bonjour</body></html>".to_vec())
        .assert_error(422, "gpx_invalid");
    let untimed: Vec<_> = pts.iter().map(|(p, _)| (*p, None)).collect();
    upload_gpx(&u, c, gpx_doc(&untimed)).assert_error(422, "gpx_no_timestamps");
    // Over 5 MB (but under the request body limit).
    let mut big = gpx_doc(&pts);
    big.resize(5 * 1024 * 1024 + 100, b' ');
    upload_gpx(&u, c, big).assert_error(413, "file_too_large");
    // Missing file or course, course without coordinates, not multipart.
    post_multipart(
        "/api/chrono/gpx",
        Some(&u.token),
        &[("produit_id", &c.to_string())],
        &[],
    )
    .assert_error(422, "validation_error");
    upload_gpx(&u, 999_999_999, gpx_doc(&pts)).assert_error(404, "parcours_not_found");
    let blank = course_with(CourseOpts {
        coords: false,
        ..Default::default()
    });
    upload_gpx(&u, blank, gpx_doc(&pts)).assert_error(422, "course_without_coordinates");
    post(
        "/api/chrono/gpx",
        Some(&u.token),
        &json!({ "produit_id": c }),
    )
    .assert_error(415, "unsupported_media_type");
    assert_eq!(chrono_count(u.id), 0, "no chrono from a refused track");
}

// ---------------------------------------------------------------------------
// Rankings
// ---------------------------------------------------------------------------

fn classement(c: u64, token: Option<&str>, query: &str) -> Value {
    get(&format!("/api/parcours/{c}/classement{query}"), token).expect(200)
}

#[test]
fn rankings_order_ties_names_and_own_rank() {
    let c = course();
    let claire = athlete("Claire", "Moreau-Vasseur");
    let thomas = athlete("Thomas", "Dubois");
    let michel = athlete("Michel", "Lefebvre");
    let julien = athlete("Julien", "Martin");
    let lea = athlete("Léa", "Fontaine");
    validated(&claire, c, 3000);
    validated(&thomas, c, 4000);
    validated(&michel, c, 4000);
    let julien_first = validated(&julien, c, 4500);
    validated(&lea, c, 5000);
    // A slower time never replaces the best one; a pending one never counts.
    validated(&julien, c, 4700);
    manual(&lea, c, 1000);

    let all = classement(c, None, "");
    assert_eq!(all["total"], 5);
    assert!(all["moi"].is_null());
    let ranks: Vec<u64> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["rang"].as_u64().unwrap())
        .collect();
    assert_eq!(ranks, vec![1, 2, 2, 4, 5]);
    assert_eq!(all["items"][0]["prenom"], "Claire");
    assert_eq!(all["items"][0]["nom_affiche"], "Claire M.");
    assert_eq!(all["items"][0]["temps"], "00:50:00");
    assert_eq!(all["items"][0]["temps_secondes"], 3000);
    assert_eq!(all["items"][0]["date"], "2025-07-14");
    assert_eq!(all["items"][3]["nom_affiche"], "Julien M.");
    assert_eq!(all["items"][3]["temps"], "01:15:00");
    let text = all.to_string();
    for secret in ["Moreau", "Dubois", "Lefebvre", "Fontaine", "@", "email"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }

    // With Julien's token: his own rank.
    let mine = classement(c, Some(&julien.token), "?limit=2");
    assert_eq!(mine["items"].as_array().unwrap().len(), 2);
    assert_eq!(mine["total"], 5);
    assert_eq!(mine["moi"]["rang"], 4);
    assert_eq!(mine["moi"]["total"], 5);
    assert_eq!(mine["moi"]["rang_texte"], "4/5");
    assert_eq!(mine["moi"]["temps"], "01:15:00");
    let full = classement(c, Some(&julien.token), "?limit=100");
    assert_eq!(full["items"][3]["moi"], true);
    assert_eq!(full["items"][0]["moi"], false);
    // A bad token on a public route is ignored, not refused.
    let anon = classement(c, Some("not-a-token"), "");
    assert!(anon["moi"].is_null());
    for q in ["?limit=0", "?limit=101", "?limit=dix"] {
        get(&format!("/api/parcours/{c}/classement{q}"), None)
            .assert_error(422, "validation_error");
    }
    get("/api/parcours/999999999/classement", None).assert_error(404, "parcours_not_found");

    // A better time moves Julien up to first place.
    let fast = validated(&julien, c, 2900);
    assert_eq!(best(c, julien.id), Some((2900, fast)));
    let after = classement(c, Some(&julien.token), "");
    assert_eq!(after["moi"]["rang_texte"], "1/5");
    assert_eq!(after["items"][0]["nom_affiche"], "Julien M.");
    assert_eq!(after["items"][1]["rang"], 2);

    // Annulled by admin_chrono: back to his previous best.
    let admin = user(Role::AdminChrono);
    decide(
        &admin.token,
        fast,
        &json!({ "decision": "rejeter", "motif": "Temps impossible" }),
    )
    .expect(200);
    assert_eq!(best(c, julien.id), Some((4500, julien_first)));
    assert_eq!(
        classement(c, Some(&julien.token), "")["moi"]["rang_texte"],
        "4/5"
    );

    // "Mes chronos" on the course: validated ones, best first.
    let mes = get(&format!("/api/chrono/{c}/mes"), Some(&julien.token)).expect(200);
    let times: Vec<u64> = mes["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["duree_secondes"].as_u64().unwrap())
        .collect();
    assert_eq!(times, vec![4500, 4700]);
    assert_eq!(mes["classement"]["rang_texte"], "4/5");
    get("/api/chrono/999999999/mes", Some(&julien.token)).assert_error(404, "parcours_not_found");
}

#[test]
fn rank_stays_an_index_count_on_a_big_course() {
    let c = course();
    let me = athlete("Julien", "Martin");
    let tag = unique("bulk");
    let mut conn = db();
    // 2,000 ranked athletes with times 3600, 3601, … (one row each). Plain
    // multi-row INSERTs: an INSERT … SELECT would hold the AUTO-INC table
    // lock while other tests insert, and deadlock them.
    let users: Vec<String> = (0..2000)
        .map(|i| {
            format!("('{tag}-{i}@test.mykollector.fr', 'x', 'sportif', 'Coureur', 'Bulk', TRUE)")
        })
        .collect();
    conn.query_drop(format!(
        "INSERT INTO users (email, password, role, prenom, nom, actif) VALUES {}",
        users.join(",")
    ))
    .unwrap();
    let ids: Vec<(u64, String)> = conn
        .exec(
            "SELECT id, email FROM users WHERE email LIKE ?",
            (format!("{tag}-%"),),
        )
        .unwrap();
    let secs_of = |email: &str| -> u64 {
        let n: u64 = email[tag.len() + 1..email.find('@').unwrap()]
            .parse()
            .unwrap();
        3600 + n
    };
    let chronos: Vec<String> = ids
        .iter()
        .map(|(id, email)| {
            format!(
                "({id}, {c}, {}, 'manuel', 'valide', '2025-07-01')",
                secs_of(email)
            )
        })
        .collect();
    conn.query_drop(format!(
        "INSERT INTO chronos (user_id, produit_id, duree_secondes, source, statut, date_realisation) VALUES {}",
        chronos.join(",")
    ))
    .unwrap();
    let rows: Vec<(u64, u64, u64)> = conn
        .exec(
            "SELECT id, user_id, duree_secondes FROM chronos WHERE produit_id = ?",
            (c,),
        )
        .unwrap();
    let ranked: Vec<String> = rows
        .iter()
        .map(|(id, user, secs)| format!("({c}, {user}, {id}, {secs})"))
        .collect();
    conn.query_drop(format!(
        "INSERT INTO classements (produit_id, user_id, chrono_id, meilleur_temps_sec) VALUES {}",
        ranked.join(",")
    ))
    .unwrap();
    // 3600 + 1000 - 1 = 4599: 1000 athletes are faster than 4600.
    validated(&me, c, 4600);
    let r = classement(c, Some(&me.token), "?limit=3");
    assert_eq!(r["total"], 2001);
    assert_eq!(r["moi"]["rang_texte"], "1001/2001");
    assert_eq!(r["items"][0]["temps"], "01:00:00");
    assert_eq!(r["items"][0]["nom_affiche"], "Coureur B.");

    // The rank query walks the (produit_id, meilleur_temps_sec) index.
    let plan: Vec<mysql::Row> = conn
        .exec(
            "EXPLAIN SELECT COUNT(*) FROM classements WHERE produit_id = ? AND meilleur_temps_sec < ?",
            (c, 4600),
        )
        .unwrap();
    let key: Option<String> = plan[0].get("key").flatten();
    assert_eq!(key.as_deref(), Some("idx_classements_rang"), "{plan:?}");
}

// Issue 13 item 11: an athlete validated its own manual entry and went
// straight to rank 1 of the public ranking.
#[test]
fn manual_chrono_is_not_ranked_until_moderated() {
    let c = course();
    let honest = athlete("Anne", "Girard");
    validated(&honest, c, 4000);
    let cheat = athlete("Paul", "Rapide");
    let r = post(
        "/api/chrono/manuel",
        Some(&cheat.token),
        &json!({ "produit_id": c, "duree": "00:10:00", "date_realisation": "2025-07-14" }),
    )
    .expect(201);
    let id = id_of(&r);
    assert_eq!(r["statut"], "attente_validation");
    assert_eq!(r["verification"], "en attente de vérification");

    // Its own validation is refused, in any form, and nothing is ranked.
    for body in [json!({}), json!({ "ajustement_sec": -10 })] {
        patch(
            &format!("/api/chrono/{id}/valider"),
            Some(&cheat.token),
            &body,
        )
        .assert_error(409, "chrono_awaits_verification");
    }
    assert_eq!(statut(id), "attente_validation");
    assert_eq!(best(c, cheat.id), None);
    let ranking = classement(c, None, "");
    assert_eq!(ranking["total"], 1);
    assert_eq!(ranking["items"][0]["nom_affiche"], "Anne G.");
    let history = get("/api/chrono/history", Some(&cheat.token)).expect(200);
    assert_eq!(
        history["items"][0]["verification"],
        "en attente de vérification"
    );

    // It shows in the admin_chrono queue; once validated there, it ranks.
    let admin = user(Role::AdminChrono);
    let queue = get(
        &format!("/api/admin/chronos/en-attente?produit_id={c}"),
        Some(&admin.token),
    )
    .expect(200);
    let queued: Vec<u64> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_u64().unwrap())
        .collect();
    assert_eq!(queued, vec![id]);
    let v = moderate(id, "valider");
    assert_eq!(v["verification"], "vérifié");
    assert_eq!(best(c, cheat.id), Some((600, id)));
    assert_eq!(
        classement(c, None, "")["items"][0]["nom_affiche"],
        "Paul R."
    );

    // A QR chrono keeps the athlete's own validation, with no check shown.
    let qr = id_of(&start(&cheat, c).expect(201));
    backdate(qr, 3000);
    let stopped = post(
        "/api/chrono/stop",
        Some(&cheat.token),
        &json!({ "chrono_id": qr }),
    )
    .expect(200);
    assert!(stopped["verification"].is_null());
    patch(
        &format!("/api/chrono/{qr}/valider"),
        Some(&cheat.token),
        &json!({}),
    )
    .expect(200);
}

// Issue 11 (wireframe 11.1, "valider, supprimer"): the athlete deletes a
// chrono that waits for validation; nobody else can, and a validated chrono
// stays.
#[test]
fn an_athlete_deletes_their_own_pending_chrono_only() {
    let c = course();
    let owner = athlete("Léa", "Efface");
    let pending = id_of(
        &post(
            "/api/chrono/manuel",
            Some(&owner.token),
            &json!({ "produit_id": c, "duree": "01:02:03", "date_realisation": "2025-07-14" }),
        )
        .expect(201),
    );
    let other = athlete("Marc", "Voisin");
    delete(&format!("/api/chrono/{pending}"), Some(&other.token))
        .assert_error(404, "chrono_not_found");
    assert_eq!(statut(pending), "attente_validation");

    let r = delete(&format!("/api/chrono/{pending}"), Some(&owner.token));
    assert_eq!(r.status, 204, "{}", r.text());
    let left: Option<u64> = db()
        .exec_first("SELECT id FROM chronos WHERE id = ?", (pending,))
        .unwrap();
    assert_eq!(left, None);
    delete(&format!("/api/chrono/{pending}"), Some(&owner.token))
        .assert_error(404, "chrono_not_found");

    let kept = validated(&owner, c, 4100);
    delete(&format!("/api/chrono/{kept}"), Some(&owner.token))
        .assert_error(409, "chrono_not_pending");
    assert_eq!(statut(kept), "valide");
}
