//! Spec §5.8 / §9 Strava (issue 9 items 1–4): connection with a single-use
//! state and scope check, tokens encrypted at rest and refreshed with the
//! rotated refresh token saved, detection at the boundaries of 9.2, import
//! (idempotent), webhook handshake, events and deauthorization, rate limits.
//!
//! Strava is `scripts/fake_strava.py` (started by scripts/test.sh), which
//! speaks Strava's wire format; its `/_control/` API plays the athlete.

use crate::common::*;
use mykollector::security::{crypto, Role};
use mysql::prelude::Queryable;
use serde_json::{json, Value};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// The fake Strava
// ---------------------------------------------------------------------------

fn fake_base() -> String {
    let oauth = config()
        .var("STRAVA_OAUTH_URL")
        .expect("STRAVA_OAUTH_URL in the test .env (scripts/test.sh starts the fake Strava)");
    oauth.trim_end_matches("/oauth").to_string()
}

/// An agent that does not follow redirects (the callback must be seen).
fn raw_agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into()
    })
}

fn fake(method: &str, path: &str, body: Option<Value>) -> Value {
    let url = format!("{}{path}", fake_base());
    let mut resp = match body {
        Some(b) => raw_agent()
            .post(&url)
            .content_type("application/json")
            .send(b.to_string().as_bytes()),
        None if method == "GET" => raw_agent().get(&url).call(),
        None => raw_agent().post(&url).send_empty(),
    }
    .expect("fake Strava reachable");
    resp.body_mut().read_json().unwrap_or(Value::Null)
}

fn fake_athlete(id: i64) -> Value {
    fake("GET", &format!("/_control/athletes/{id}"), None)
}

fn new_athlete_id() -> i64 {
    let hex = mykollector::security::tokens::random_hex(4);
    50_000_000 + i64::from_str_radix(&hex, 16).unwrap() % 1_000_000_000
}

/// Adds an activity to the athlete on the fake Strava; returns its id.
fn add_activity(athlete: i64, activity: Value) -> i64 {
    fake(
        "POST",
        &format!("/_control/athletes/{athlete}/activities"),
        Some(activity),
    )["id"]
        .as_i64()
        .expect("activity id")
}

// ---------------------------------------------------------------------------
// Courses and tracks
// ---------------------------------------------------------------------------

struct Course {
    id: u64,
    depart: (f64, f64),
    sommet: (f64, f64),
    keyword: String,
}

/// A course at a random place (so no other test's course is near), summit
/// radius 1 km, start radius 300 m, 10 km from start to summit.
fn course(categorie: &str, denivele: i64) -> Course {
    let r = |n| {
        f64::from(u32::from_str_radix(&mykollector::security::tokens::random_hex(3), 16).unwrap())
            / f64::from(1u32 << 24)
            * n
    };
    let sommet = (42.0 + r(6.0), -1.0 + r(8.0));
    let depart = (sommet.0 + 10_000.0 / 111_195.0, sommet.1);
    let keyword = unique("colstrava");
    let (id, _) = insert_course(|conn, code| {
        conn.exec_drop(
            r"INSERT INTO produits (slug, code, nom, categorie, denivele, actif, depart_lat, depart_lng,
                                    sommet_lat, sommet_lng, rayon_km, strava_keywords)
              VALUES (?, ?, ?, ?, ?, TRUE, ?, ?, ?, ?, 1.0, ?)",
            (
                unique("col-strava-"),
                code,
                format!("Col {keyword}"),
                categorie,
                denivele,
                depart.0,
                depart.1,
                sommet.0,
                sommet.1,
                &keyword,
            ),
        )
    });
    tracking_config(id);
    Course {
        id,
        depart,
        sommet,
        keyword,
    }
}

/// `m` metres north of `p`.
fn north(p: (f64, f64), m: f64) -> (f64, f64) {
    (p.0 + m / 111_195.0, p.1)
}

fn lerp(a: (f64, f64), b: (f64, f64), f: f64) -> (f64, f64) {
    (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f)
}

/// A track from the start to `top` and back to the start, one point every
/// 30 s: `(latlng, time)` for the fake's streams.
fn out_and_back(depart: (f64, f64), top: (f64, f64), wait_at_start: i64) -> (Value, Value) {
    let mut pts = vec![depart, depart];
    let mut times = vec![0, wait_at_start];
    let mut t = wait_at_start;
    for k in 1..=100 {
        t += 30;
        pts.push(lerp(depart, top, f64::from(k) / 100.0));
        times.push(t);
    }
    for k in 1..=60 {
        t += 20;
        pts.push(lerp(top, depart, f64::from(k) / 60.0));
        times.push(t);
    }
    let latlng: Vec<Value> = pts.iter().map(|p| json!([p.0, p.1])).collect();
    (json!(latlng), json!(times))
}

// ---------------------------------------------------------------------------
// Connection
// ---------------------------------------------------------------------------

/// The Strava redirect the athlete's browser would follow, for `extra`
/// "clicks" on the fake's page (`_athlete`, `_grant`, `_deny`).
fn authorize(u: &TestUser, extra: &str) -> String {
    let r = get("/api/strava/auth-url", Some(&u.token)).expect(200);
    let url = r["url"].as_str().expect("url").to_string();
    assert!(url.contains("scope=read%2Cactivity%3Aread"), "{url}");
    let resp = raw_agent()
        .get(&format!("{url}&{extra}"))
        .call()
        .expect("fake authorize");
    assert_eq!(resp.status().as_u16(), 302);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let base = base_url();
    assert!(location.starts_with(base), "{location}");
    location[base.len()..].to_string()
}

/// The callback as a browser sees it: status and `Location`.
fn callback_browser(path: &str) -> (u16, String) {
    let resp = raw_agent()
        .get(&format!("{}{path}", base_url()))
        .call()
        .expect("callback");
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (resp.status().as_u16(), location)
}

fn callback_json(path: &str) -> Resp {
    request("GET", path, None, &[("Accept", "application/json")], None)
}

/// A sportif connected to a new fake Strava athlete.
fn connected() -> (TestUser, i64) {
    let u = user(Role::Sportif);
    let athlete = new_athlete_id();
    let path = authorize(&u, &format!("_athlete={athlete}"));
    let r = callback_json(&path).expect(200);
    assert_eq!(r["connecte"], true);
    assert_eq!(r["strava_id"], athlete);
    (u, athlete)
}

fn stored_tokens(user_id: u64) -> (Option<String>, Option<String>, Option<String>, bool) {
    db().exec_first(
        r"SELECT strava_id, strava_access_token, strava_refresh_token, COALESCE(strava_connected, FALSE)
          FROM users WHERE id = ?",
        (user_id,),
    )
    .unwrap()
    .unwrap()
}

#[test]
fn strava_connection_stores_encrypted_tokens_with_a_single_use_state() {
    let u = user(Role::Sportif);
    let athlete = new_athlete_id();
    let path = authorize(&u, &format!("_athlete={athlete}"));
    callback_json(&path).expect(200);
    // Tokens unreadable in the database, readable with ENCRYPTION_KEY only.
    let plain = fake_athlete(athlete);
    let (sid, access, refresh, on) = stored_tokens(u.id);
    assert!(on);
    assert_eq!(sid, Some(athlete.to_string()));
    let (access, refresh) = (access.unwrap(), refresh.unwrap());
    let (pa, pr) = (
        plain["access_token"].as_str().unwrap(),
        plain["refresh_token"].as_str().unwrap(),
    );
    assert!(!access.contains(pa) && !refresh.contains(pr));
    assert_eq!(
        crypto::decrypt(&config().encryption_key, &access).unwrap(),
        pa
    );
    assert_eq!(
        crypto::decrypt(&config().encryption_key, &refresh).unwrap(),
        pr
    );
    assert!(crypto::decrypt("another key", &access).is_err());
    // The same state a second time (replayed callback) is refused.
    callback_json(&path).assert_error(400, "strava_state_invalid");
    // A state never issued, or none.
    callback_json("/api/strava/callback?state=forged&code=x&scope=read,activity:read")
        .assert_error(400, "strava_state_invalid");
    callback_json("/api/strava/callback?code=x").assert_error(400, "strava_state_invalid");
    // Another account cannot take the same Strava athlete.
    let other = user(Role::Sportif);
    let path = authorize(&other, &format!("_athlete={athlete}"));
    callback_json(&path).assert_error(409, "strava_account_taken");
}

#[test]
fn strava_refusal_and_missing_scope_are_explained() {
    let u = user(Role::Sportif);
    let path = authorize(&u, "_deny=1");
    callback_json(&path).assert_error(400, "strava_access_denied");
    let path = authorize(&u, "_grant=read");
    let r = callback_json(&path);
    r.assert_error(422, "strava_scope_missing");
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("activity:read"));
    assert!(
        !stored_tokens(u.id).3,
        "nothing stored without activity:read"
    );
    // A browser is sent back to the dashboard with the explanation.
    let path = authorize(&u, "_grant=read");
    let (status, location) = callback_browser(&path);
    assert_eq!(status, 302);
    assert!(location.contains("strava=erreur"), "{location}");
    assert!(location.contains("code=strava_scope_missing"), "{location}");
    // activity:read_all is enough too, and a browser lands on ?strava=connecte.
    let path = authorize(
        &u,
        &format!(
            "_athlete={}&_grant=read,activity:read_all",
            new_athlete_id()
        ),
    );
    let (status, location) = callback_browser(&path);
    assert_eq!(status, 302);
    assert!(location.ends_with("strava=connecte"), "{location}");
    assert!(stored_tokens(u.id).3);
}

#[test]
fn strava_routes_check_roles_and_connection() {
    get("/api/strava/auth-url", None).assert_error(401, "token_missing");
    let fab = user(Role::OperateurFab);
    get("/api/strava/activites", Some(&fab.token)).assert_error(403, "forbidden");
    let sportif = user(Role::Sportif);
    get("/api/strava/activites", Some(&sportif.token)).assert_error(409, "strava_not_connected");
    post("/api/strava/import/123", Some(&sportif.token), &json!({}))
        .assert_error(409, "strava_not_connected");
    post(
        "/api/admin/strava/webhook/register",
        Some(&sportif.token),
        &json!({}),
    )
    .assert_error(403, "forbidden");
}

#[test]
fn strava_refresh_saves_the_rotated_refresh_token() {
    let (u, athlete) = connected();
    let before = fake_athlete(athlete);
    // Time passes: the token has 30 s left, on Strava's side and ours.
    let expires = fake(
        "POST",
        &format!("/_control/athletes/{athlete}/expire"),
        None,
    )["expires_at"]
        .as_i64()
        .unwrap();
    db().exec_drop(
        "UPDATE users SET strava_token_expires = ? WHERE id = ?",
        (expires, u.id),
    )
    .unwrap();
    get("/api/strava/activites", Some(&u.token)).expect(200);
    let after = fake_athlete(athlete);
    assert_eq!(after["refreshes"], 1);
    assert_ne!(after["refresh_token"], before["refresh_token"]);
    assert_ne!(after["access_token"], before["access_token"]);
    let (_, access, refresh, _) = stored_tokens(u.id);
    let key = &config().encryption_key;
    assert_eq!(
        crypto::decrypt(key, &refresh.unwrap()).unwrap(),
        after["refresh_token"].as_str().unwrap()
    );
    assert_eq!(
        crypto::decrypt(key, &access.unwrap()).unwrap(),
        after["access_token"].as_str().unwrap()
    );
    // The fresh token is used as is: no second refresh.
    get("/api/strava/activites", Some(&u.token)).expect(200);
    assert_eq!(fake_athlete(athlete)["refreshes"], 1);
}

// ---------------------------------------------------------------------------
// Detection and import
// ---------------------------------------------------------------------------

fn import(u: &TestUser, activity: i64) -> Resp {
    post(
        &format!("/api/strava/import/{activity}"),
        Some(&u.token),
        &json!({}),
    )
}

#[expect(
    clippy::needless_pass_by_value,
    reason = "callers pass json! literals: by value reads as plain data"
)]
fn ride(name: &str, latlng: Value, time: Value) -> Value {
    json!({
        "name": name, "sport_type": "Ride", "start_date": "2026-07-14T06:00:00Z",
        "start_date_local": "2026-07-14T08:00:00Z", "elapsed_time": 7777,
        "distance": 21000.0, "total_elevation_gain": 1100.0, "latlng": latlng, "time": time
    })
}

#[test]
fn strava_gps_detection_just_inside_and_just_outside_the_radius() {
    let (u, athlete) = connected();
    let c = course("cyclisme", 1100);
    let (inside, t1) = out_and_back(c.depart, north(c.sommet, 990.0), 60);
    let (outside, t2) = out_and_back(c.depart, north(c.sommet, 1010.0), 60);
    let a_in = add_activity(athlete, ride("Sortie du matin", inside, t1));
    let a_out = add_activity(athlete, ride("Sortie du soir", outside, t2));
    // The list shows the scores computed on the summary polyline.
    let list = get("/api/strava/activites?per_page=10", Some(&u.token)).expect(200);
    let item = |id: i64| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .cloned()
            .expect("activity listed")
    };
    let det: Vec<Value> = item(a_in)["detections"].as_array().unwrap().clone();
    let mine = det
        .iter()
        .find(|d| d["produit_id"] == c.id)
        .expect("detected");
    assert_eq!(mine["score"], 0.6);
    assert_eq!(mine["critere"], "gps_sommet");
    assert_eq!(mine["detecte"], true);
    assert!(item(a_out)["detections"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["produit_id"] != c.id));
    // Import: 0.60 inside, nothing 20 m further.
    let r = import(&u, a_in).expect(201);
    let chrono = &r["chronos"][0];
    assert_eq!(chrono["produit_id"], c.id);
    assert_eq!(chrono["score_detection"], 0.6);
    import(&u, a_out).assert_error(422, "strava_nothing_detected");
}

#[test]
fn strava_summit_in_the_middle_of_the_track_is_detected_and_timed_as_a_segment() {
    let (u, athlete) = connected();
    let c = course("cyclisme", 1100);
    // Start, summit after 100 × 30 s, back down: the end point is the start.
    let (latlng, time) = out_and_back(c.depart, c.sommet, 300);
    let a = add_activity(athlete, ride("Boucle", latlng, time));
    let r = import(&u, a).expect(201);
    let chrono = &r["chronos"][0];
    assert_eq!(chrono["produit_id"], c.id);
    assert_eq!(chrono["score_detection"], 1.0);
    assert_eq!(chrono["critere"], "gps_sommet");
    assert_eq!(chrono["mesure_duree"], "segment");
    // From leaving the 300 m start zone to the summit: under the 3000 s
    // climb, well under the 7777 s elapsed time.
    let secs = chrono["duree_secondes"].as_i64().unwrap();
    assert!((2800..=3000).contains(&secs), "{secs}");
    let row: (String, String, String, String, Option<String>) = db()
        .exec_first(
            r"SELECT source, statut, CAST(score_detection AS CHAR), strava_activity_id, mesure_duree
              FROM chronos WHERE id = ?",
            (chrono["chrono_id"].as_u64().unwrap(),),
        )
        .unwrap()
        .unwrap();
    assert_eq!(
        row,
        (
            "strava".into(),
            "valide".into(),
            "1.00".into(),
            a.to_string(),
            Some("segment".into())
        )
    );
}

#[test]
fn strava_keyword_only_gives_090_and_the_elapsed_time() {
    let (u, athlete) = connected();
    let c = course("cyclisme", 1100);
    let a = add_activity(
        athlete,
        ride(
            &format!("Montée du {} en solo", c.keyword),
            json!([]),
            json!([]),
        ),
    );
    let r = import(&u, a).expect(201);
    let chrono = r["chronos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|ch| ch["produit_id"] == c.id)
        .cloned()
        .expect("keyword course");
    assert_eq!(chrono["score_detection"], 0.9);
    assert_eq!(chrono["critere"], "nom_activite");
    assert_eq!(chrono["mesure_duree"], "temps_ecoule");
    assert_eq!(chrono["duree_secondes"], 7777);
}

/// An order for the course, which makes it a fallback candidate.
fn order(u: &TestUser, produit_id: u64) {
    db().exec_drop(
        "INSERT INTO commandes (numero, user_id, produit_id, gravure_texte) VALUES (?, ?, ?, '{}')",
        (unique("MKO-ST-"), u.id, produit_id),
    )
    .unwrap();
}

#[test]
fn strava_fallback_only_threshold_039_vs_040() {
    let (u, athlete) = connected();
    let c = course("trail", 1000);
    order(&u, c.id);
    let no_gps = |gain: f64| {
        json!({
            "name": "Sortie longue", "sport_type": "TrailRun", "start_date": "2026-07-15T06:00:00Z",
            "elapsed_time": 5000, "total_elevation_gain": gain, "latlng": []
        })
    };
    // 450 m of 1000: 0.30 + 0.20 × 0.45 = 0.39, below the threshold.
    let a39 = add_activity(athlete, no_gps(450.0));
    let r = import(&u, a39);
    r.assert_error(422, "strava_nothing_detected");
    assert!(r.json()["message"].as_str().unwrap().contains("0.39"));
    // 500 m of 1000: 0.40, detected.
    let a40 = add_activity(athlete, no_gps(500.0));
    let r = import(&u, a40).expect(201);
    assert_eq!(r["chronos"][0]["produit_id"], c.id);
    assert_eq!(r["chronos"][0]["score_detection"], 0.4);
    assert_eq!(r["chronos"][0]["critere"], "categorie_denivele");
    assert_eq!(r["chronos"][0]["mesure_duree"], "temps_ecoule");
}

#[test]
fn strava_import_twice_gives_one_chrono_and_one_ranking_line() {
    let (u, athlete) = connected();
    let c = course("cyclisme", 1100);
    let (latlng, time) = out_and_back(c.depart, c.sommet, 60);
    let a = add_activity(athlete, ride("Izoard ?", latlng, time));
    let first = import(&u, a).expect(201);
    let second = import(&u, a).expect(200);
    assert_eq!(
        first["chronos"][0]["chrono_id"],
        second["chronos"][0]["chrono_id"]
    );
    assert_eq!(second["chronos"][0]["deja_importe"], true);
    let n: u64 = db()
        .exec_first(
            "SELECT COUNT(*) FROM chronos WHERE strava_activity_id = ? AND produit_id = ?",
            (a.to_string(), c.id),
        )
        .unwrap()
        .unwrap();
    assert_eq!(n, 1);
    let ranked: Option<u64> = db()
        .exec_first(
            "SELECT chrono_id FROM classements WHERE produit_id = ? AND user_id = ?",
            (c.id, u.id),
        )
        .unwrap();
    assert_eq!(ranked, first["chronos"][0]["chrono_id"].as_u64());
}

#[test]
fn strava_someone_elses_activity_cannot_be_imported() {
    let (u, _) = connected();
    let (_, other_athlete) = connected();
    let c = course("cyclisme", 1100);
    let (latlng, time) = out_and_back(c.depart, c.sommet, 60);
    let theirs = add_activity(other_athlete, ride("Public", latlng, time));
    import(&u, theirs).assert_error(404, "strava_activity_not_found");
    import(&u, 999_999_999_999).assert_error(404, "strava_activity_not_found");
}

// ---------------------------------------------------------------------------
// Webhook
// ---------------------------------------------------------------------------

#[test]
fn strava_webhook_handshake_checks_the_verify_token() {
    let token = config().var("STRAVA_VERIFY_TOKEN").unwrap();
    get(
        "/api/strava/webhook?hub.mode=subscribe&hub.challenge=abc&hub.verify_token=wrong",
        None,
    )
    .assert_error(403, "strava_verify_token_invalid");
    get(
        "/api/strava/webhook?hub.mode=subscribe&hub.challenge=abc",
        None,
    )
    .assert_error(403, "strava_verify_token_invalid");
    let r = get(
        &format!("/api/strava/webhook?hub.mode=subscribe&hub.challenge=15f7d1a91c1f40f8a748fd134752feb3&hub.verify_token={token}"),
        None,
    );
    assert_eq!(
        r.json(),
        json!({ "hub.challenge": "15f7d1a91c1f40f8a748fd134752feb3" })
    );
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
}

/// Our subscription id (registered once per run, through the API).
fn subscription() -> i64 {
    static ID: OnceLock<i64> = OnceLock::new();
    *ID.get_or_init(|| {
        let admin = user(Role::SuperAdmin);
        let r = post(
            "/api/admin/strava/webhook/register",
            Some(&admin.token),
            &json!({}),
        );
        assert!(r.status == 201 || r.status == 200, "{}", r.text());
        let id = r.json()["id"].as_i64().unwrap();
        let again = post(
            "/api/admin/strava/webhook/register",
            Some(&admin.token),
            &json!({}),
        )
        .expect(200);
        assert_eq!(again["id"], id);
        assert_eq!(again["deja_enregistre"], true);
        id
    })
}

#[expect(
    clippy::needless_pass_by_value,
    reason = "callers pass json! literals: by value reads as plain data"
)]
fn event(object_type: &str, object_id: i64, aspect: &str, owner: i64, updates: Value) -> Value {
    json!({
        "aspect_type": aspect, "event_time": 1_784_000_000 + object_id % 1000,
        "object_id": object_id, "object_type": object_type, "owner_id": owner,
        "subscription_id": subscription(), "updates": updates
    })
}

/// Polls `check` for up to 15 s (the work runs after the webhook's answer).
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(15) {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("not after 15 s: {what}");
}

fn chronos_of(activity: i64) -> u64 {
    db().exec_first(
        "SELECT COUNT(*) FROM chronos WHERE strava_activity_id = ?",
        (activity.to_string(),),
    )
    .unwrap()
    .unwrap()
}

#[test]
fn strava_webhook_event_imports_the_new_activity_once() {
    let (u, athlete) = connected();
    let c = course("cyclisme", 1100);
    let (latlng, time) = out_and_back(c.depart, c.sommet, 60);
    let a = add_activity(athlete, ride("Nouvelle sortie", latlng, time));
    let e = event("activity", a, "create", athlete, json!({}));
    post("/api/strava/webhook", None, &e).expect(200);
    // The chrono is imported first, then the event closed: wait for both.
    let statut = || -> String {
        db().exec_first(
            "SELECT statut FROM strava_events WHERE object_id = ? AND aspect_type = 'create'",
            (a,),
        )
        .unwrap()
        .unwrap()
    };
    eventually(
        "the webhook's activity became a chrono, its event closed",
        || chronos_of(a) == 1 && statut() != "en_attente",
    );
    assert_eq!(statut(), "traite");
    // Strava sending it again, then an import by hand: still one chrono.
    post("/api/strava/webhook", None, &e).expect(200);
    import(&u, a).expect(200);
    assert_eq!(chronos_of(a), 1);
    // The activity deleted on Strava: its (unordered) chrono is annulled.
    post(
        "/api/strava/webhook",
        None,
        &event("activity", a, "delete", athlete, json!({})),
    )
    .expect(200);
    eventually("the deleted activity's chrono is annulled", || {
        db().exec_first::<String, _, _>(
            "SELECT statut FROM chronos WHERE strava_activity_id = ?",
            (a.to_string(),),
        )
        .unwrap()
        .as_deref()
            == Some("annule")
    });
    let ranked: Option<u64> = db()
        .exec_first(
            "SELECT chrono_id FROM classements WHERE produit_id = ? AND user_id = ?",
            (c.id, u.id),
        )
        .unwrap();
    assert_eq!(ranked, None);
}

#[test]
fn strava_webhook_refuses_events_of_another_subscription() {
    let mut e = event("activity", 1, "create", 1, json!({}));
    e["subscription_id"] = json!(subscription() + 1);
    post("/api/strava/webhook", None, &e).assert_error(403, "strava_subscription_unknown");
    post(
        "/api/strava/webhook",
        None,
        &json!({"object_type": "activity"}),
    )
    .assert_error(422, "validation_error");
}

#[test]
fn strava_deauthorization_event_wipes_the_tokens() {
    let (u, athlete) = connected();
    let e = event(
        "athlete",
        athlete,
        "update",
        athlete,
        json!({ "authorized": "false" }),
    );
    post("/api/strava/webhook", None, &e).expect(200);
    eventually("tokens wiped", || {
        let (sid, access, refresh, on) = stored_tokens(u.id);
        sid.is_none() && access.is_none() && refresh.is_none() && !on
    });
    get("/api/strava/activites", Some(&u.token)).assert_error(409, "strava_not_connected");
}

#[test]
fn strava_disconnect_deauthorizes_and_wipes() {
    let (u, athlete) = connected();
    let r = delete("/api/strava/disconnect", Some(&u.token)).expect(200);
    assert_eq!(r["connecte"], false);
    let (sid, access, refresh, on) = stored_tokens(u.id);
    assert!(sid.is_none() && access.is_none() && refresh.is_none() && !on);
    eventually("Strava deauthorized the tokens", || {
        fake_athlete(athlete)["deauthorized"] == true
    });
    // The outbox row goes once Strava's answer is read, a moment after
    // the fake recorded the call.
    eventually(
        "the revocation outbox row is gone once Strava confirmed",
        || {
            db().exec_first::<u64, _, _>(
                "SELECT COUNT(*) FROM strava_revocations WHERE user_id = ?",
                (u.id,),
            )
            .unwrap()
                == Some(0)
        },
    );
    // Idempotent.
    delete("/api/strava/disconnect", Some(&u.token)).expect(200);
}

// ---------------------------------------------------------------------------
// Rate limits (exclusive: the block is application-wide)
// ---------------------------------------------------------------------------

fn clear_block() {
    db().exec_drop("DELETE FROM rate_limits WHERE cle = 'strava:api'", ())
        .unwrap();
    fake(
        "POST",
        "/_control/rate_limit",
        Some(json!({ "reset": true })),
    );
}

#[test]
#[ignore = "blocks Strava calls application-wide: run alone (scripts/test.sh --ignored)"]
fn strava_rate_limit_backs_off_and_never_loses_an_event() {
    clear_block();
    subscription();
    let (u, athlete) = connected();
    let c = course("cyclisme", 1100);
    let (latlng, time) = out_and_back(c.depart, c.sommet, 60);
    let a = add_activity(athlete, ride("Sous la limite", latlng, time));
    // Usage at the 15-minute limit: the next answer's headers block calls.
    fake(
        "POST",
        "/_control/rate_limit",
        Some(json!({ "usage_15min": 99, "limit_15min": 100 })),
    );
    get("/api/strava/activites", Some(&u.token)).expect(200);
    let calls = fake("GET", "/_control/stats", None)["activities"].clone();
    let r = get("/api/strava/activites", Some(&u.token));
    r.assert_error(503, "strava_rate_limited");
    assert_eq!(
        fake("GET", "/_control/stats", None)["activities"],
        calls,
        "no call to Strava while blocked"
    );
    // A webhook event meanwhile is kept, pending.
    post(
        "/api/strava/webhook",
        None,
        &event("activity", a, "create", athlete, json!({})),
    )
    .expect(200);
    std::thread::sleep(Duration::from_millis(500));
    let (statut, err): (String, Option<String>) = db()
        .exec_first(
            "SELECT statut, erreur FROM strava_events WHERE object_id = ?",
            (a,),
        )
        .unwrap()
        .unwrap();
    assert_eq!(statut, "en_attente", "{err:?}");
    assert_eq!(chronos_of(a), 0);
    // A 429 blocks too.
    clear_block();
    fake(
        "POST",
        "/_control/rate_limit",
        Some(json!({ "throttle": 1 })),
    );
    get("/api/strava/activites", Some(&u.token)).assert_error(503, "strava_rate_limited");
    // The window over, the hourly cron takes the pending event.
    clear_block();
    let mut conn = db();
    let outcomes =
        mykollector::cron::run(config(), &mut conn, mykollector::cron::HOURLY).expect("cron ran");
    let strava = outcomes.iter().find(|o| o.name == "strava").unwrap();
    assert!(strava.result.is_ok(), "{:?}", strava.result);
    assert_eq!(chronos_of(a), 1);
    clear_block();
}
