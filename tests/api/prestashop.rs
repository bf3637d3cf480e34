//! Issue 8: the shop pipeline through Apache, against the fake PrestaShop
//! that `scripts/test.sh` starts (`scripts/fake_prestashop.py`, the wire format
//! of integrations.md §3–4).
//!
//! Tests that flip the fake shop's global switches (failures, refused
//! permissions) or the breaker are `#[ignore]`d: scripts/test.sh runs them
//! alone, one at a time. The others run in parallel; every import also
//! reads the other tests' orders, so each test only asserts on its own.

use crate::common::*;
use mykollector::security::Role;
use mysql::prelude::Queryable;
use serde_json::{json, Value};
use std::time::Duration;

const FIXTURE: &[u8] = include_bytes!("../fixtures/medaille.dxf");

// ---------------------------------------------------------------------------
// The fake shop's control API
// ---------------------------------------------------------------------------

fn shop_url() -> String {
    config()
        .var("PRESTASHOP_URL")
        .expect("PRESTASHOP_URL is set by scripts/test.sh")
        .to_string()
}

fn control(method: &str, path: &str, body: &Value) -> Value {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let url = format!("{}/_control/{path}", shop_url());
    let mut resp = match method {
        "GET" => agent.get(&url).call(),
        _ => agent.post(&url).send_json(body),
    }
    .expect("fake shop reachable");
    resp.body_mut().read_json().expect("control answers JSON")
}

/// The fake shop's order `id` once its state is `state`: the push runs
/// after the answer (an after-commit job), so it may land a moment after the
/// request returned. Waits up to 5 s; panics with the order as it stands.
fn wait_for_shop_state(id: u64, state: &str) -> Value {
    let order = || control("GET", &format!("order/{id}"), &json!({}));
    for _ in 0..100 {
        let shop = order();
        if shop["current_state"] == state {
            return shop;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let shop = order();
    assert_eq!(shop["current_state"], state, "{shop}");
    shop
}

fn shop_customer(email: &str, group: u64, company: &str) -> u64 {
    control(
        "POST",
        "customer",
        &json!({"email": email, "firstname": "Julie", "lastname": "Martin", "company": company, "group": group}),
    )["id"]
        .as_u64()
        .unwrap()
}

#[expect(
    clippy::needless_pass_by_value,
    reason = "callers pass owned names: by value reads as plain data"
)]
fn shop_product(parcours: Option<String>, fabricant: Option<String>) -> u64 {
    control(
        "POST",
        "product",
        &json!({"name": "Médaille", "parcours": parcours, "fabricant": fabricant}),
    )["id"]
        .as_u64()
        .unwrap()
}

fn shop_order(customer: u64, rows: &[(u64, u32)]) -> u64 {
    let rows: Vec<Value> = rows
        .iter()
        .map(|(p, q)| json!({"product": p, "quantity": q}))
        .collect();
    control(
        "POST",
        "order",
        &json!({"customer": customer, "rows": rows, "state": 2}),
    )["id"]
        .as_u64()
        .unwrap()
}

fn switch(body: &Value) {
    control("POST", "switch", body);
}

fn reset_shop_switches_and_breaker() {
    switch(&json!({"fail": 0, "timeout": 0, "deny": []}));
    db().exec_drop(
        "DELETE FROM rate_limits WHERE cle = 'breaker:prestashop'",
        (),
    )
    .unwrap();
}

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

/// A course with a random unique 3-letter code.
fn produit() -> u64 {
    cycling_course("parcours-shop-", |_, code| {
        format!("Col du Galibier {code}")
    })
    .0
}

/// Our orders created from shop order `presta_order_id`:
/// (id, numero, `user_id`, statut, `validation_sportif`, `is_b2b`, `b2b_quantite`, `atelier_id`).
#[expect(
    clippy::type_complexity,
    reason = "a test's row, read by position against the SELECT beside it"
)]
fn imported(
    presta_order_id: u64,
) -> Vec<(
    u64,
    String,
    Option<u64>,
    String,
    bool,
    bool,
    u32,
    Option<u64>,
)> {
    db().exec(
        r"SELECT id, numero, user_id, statut, validation_sportif, is_b2b, b2b_quantite, atelier_id
          FROM commandes WHERE presta_order_id = ? ORDER BY id",
        (presta_order_id,),
    )
    .unwrap()
}

fn entry(report: &Value, presta_order_id: u64) -> Value {
    report["commandes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["presta_order_id"] == presta_order_id)
        .cloned()
        .unwrap_or_else(|| panic!("order {presta_order_id} not in report {report}"))
}

fn sync(token: &str, b2b: bool) -> Resp {
    let path = if b2b {
        "/api/prestashop/sync-commandes-b2b"
    } else {
        "/api/prestashop/sync-commandes"
    };
    post(path, Some(token), &json!({}))
}

// ---------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------

/// Issue 8: importing twice, and two imports at once, never duplicate an
/// order; orders arrive `attente_gravure`, not validated, linked to an
/// athlete account created without a password.
#[test]
fn import_twice_and_concurrently_creates_each_medal_once() {
    let admin = user(Role::AdminFab);
    let p = produit();
    let email = format!("{}@client.test", unique("julie"));
    let customer = shop_customer(&email, 3, "");
    let product = shop_product(Some(p.to_string()), None);
    let o1 = shop_order(customer, &[(product, 1)]);
    let o2 = shop_order(customer, &[(product, 2)]);

    // Two imports at once, then a third one.
    let token = admin.token.clone();
    let t1 = std::thread::spawn(move || sync(&token, false));
    let token = admin.token.clone();
    let t2 = std::thread::spawn(move || sync(&token, false));
    let (r1, r2) = (t1.join().unwrap(), t2.join().unwrap());
    let (r1, r2) = (r1.expect(200), r2.expect(200));
    let r3 = sync(&admin.token, false).expect(200);

    let a = imported(o1);
    let b = imported(o2);
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(b.len(), 2, "quantity 2 is two named medals: {b:?}");
    // At most one of the two concurrent imports created each order (the
    // imports of parallel tests may have been first), none failed.
    for o in [o1, o2] {
        let results: Vec<Value> = [&r1, &r2]
            .iter()
            .map(|r| entry(r, o)["resultat"].clone())
            .collect();
        assert!(
            results.iter().filter(|r| **r == "importee").count() <= 1,
            "order {o}: {results:?}"
        );
        assert!(!results.contains(&json!("echec")), "order {o}: {results:?}");
        assert_eq!(entry(&r3, o)["resultat"], "ignoree");
        assert_eq!(entry(&r3, o)["raison"], "déjà importée");
    }
    for (_, numero, user_id, statut, validated, is_b2b, _, _) in a.iter().chain(&b) {
        assert!(numero.starts_with("MKO-"), "{numero}");
        assert_eq!(statut, "attente_gravure");
        assert!(!validated && !is_b2b);
        assert_eq!(*user_id, a[0].2);
    }
    // The athlete account: linked by presta_customer_id, no usable password.
    let account: (String, Option<u64>, String, String) = db()
        .exec_first(
            "SELECT role, presta_customer_id, password, email FROM users WHERE id = ?",
            (a[0].2,),
        )
        .unwrap()
        .unwrap();
    assert_eq!(account.0, "sportif");
    assert_eq!(account.1, Some(customer));
    assert_eq!(account.2, "!");
    assert_eq!(account.3, email);
    // The delivery address is kept for the label.
    let adresse: Option<String> = db()
        .exec_first(
            "SELECT CAST(adresse_livraison AS CHAR) FROM commandes WHERE id = ?",
            (a[0].0,),
        )
        .unwrap();
    let adresse: Value = serde_json::from_str(&adresse.unwrap()).unwrap();
    assert_eq!(adresse["ville"], "Briançon");
    assert_eq!(adresse["lignes"][0], "12 rue du Col");
    // The report counts the requests made to the shop.
    assert!(r3["requetes_boutique"].as_u64().unwrap() >= 2, "{r3}");
}

/// Issue 8: an order whose product has no course feature, or names a
/// course we do not have, is reported and not imported.
#[test]
fn unknown_course_feature_is_reported_not_imported() {
    let admin = user(Role::AdminFab);
    let customer = shop_customer(&format!("{}@client.test", unique("x")), 3, "");
    let no_feature = shop_order(customer, &[(shop_product(None, None), 1)]);
    let unknown = shop_order(customer, &[(shop_product(Some("987654".into()), None), 1)]);
    let report = sync(&admin.token, false).expect(200);
    let e = entry(&report, no_feature);
    assert_eq!(e["resultat"], "ignoree");
    assert!(
        e["raison"].as_str().unwrap().contains("mko_parcours_id"),
        "{e}"
    );
    let e = entry(&report, unknown);
    assert_eq!(e["resultat"], "ignoree");
    assert!(e["raison"].as_str().unwrap().contains("987654"), "{e}");
    assert!(imported(no_feature).is_empty());
    assert!(imported(unknown).is_empty());
    // Only admins import.
    let op = user(Role::OperateurFab);
    sync(&op.token, false).assert_error(403, "forbidden");
}

// ---------------------------------------------------------------------------
// B2B: quantity, dispatch to the fabricant's atelier, DXF and stock
// ---------------------------------------------------------------------------

/// A manufacturer whose admin works in `atelier`; returns its code.
fn fabricant_in(atelier: u64) -> String {
    let admin = user_in(Role::AdminFab, Some(atelier));
    let code = unique("FAB").to_uppercase();
    db().exec_drop(
        "INSERT INTO fabricants (nom, code, admin_user_id, actif) VALUES (?, ?, ?, TRUE)",
        (format!("Fonderie {code}"), &code, admin.id),
    )
    .unwrap();
    code
}

fn upload_template(admin: &TestUser, max_batch: u32) -> u64 {
    post_multipart(
        "/api/templates-gravure",
        Some(&admin.token),
        &[
            ("nom", unique("Médaille B2B ").as_str()),
            ("colonnes", "4"),
            ("max_batch", &max_batch.to_string()),
        ],
        &[(
            "fichier",
            "medaille.dxf",
            "application/dxf",
            FIXTURE.to_vec(),
        )],
    )
    .expect(201)["id"]
        .as_u64()
        .unwrap()
}

/// Issue 8: a B2B order of 10 medals → one order with `b2b_quantite` 10 in
/// the fabricant's atelier; its lot holds 10 numbered medals, counts 10
/// against `max_batch`, takes 10 out of stock, and the shop hears "en
/// gravure" (state 24) once the lot goes to the laser.
#[test]
fn b2b_order_of_ten_is_ten_medals_in_the_dxf_and_the_stock() {
    let admin = user(Role::AdminFab);
    let at = atelier();
    let fab = fabricant_in(at);
    let p = produit();
    // A name of its own (ASCII: the DXF is in code page 1252): the demo seed
    // looks for its "Mairie de Briançon".
    let client_name = unique("Mairie de Nevache ");
    let customer = shop_customer(
        &format!("{}@mairie.test", unique("sports")),
        4,
        &client_name,
    );
    let product = shop_product(Some(p.to_string()), Some(fab.clone()));
    let o = shop_order(customer, &[(product, 10)]);

    // The B2C import leaves it; the B2B import takes it, straight to the
    // workshop of its manufacturer.
    let b2c = sync(&admin.token, false).expect(200);
    assert!(b2c["commandes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["presta_order_id"] != o));
    let report = sync(&admin.token, true).expect(200);
    assert_eq!(entry(&report, o)["resultat"], "importee", "{report}");
    let rows = imported(o);
    assert_eq!(rows.len(), 1);
    let (id, numero, user_id, statut, _, is_b2b, quantite, atelier_id) = rows[0].clone();
    assert!(is_b2b && user_id.is_none());
    assert_eq!(
        (statut.as_str(), quantite, atelier_id),
        ("attente_gravure", 10, Some(at))
    );
    let client: Option<String> = db()
        .exec_first("SELECT b2b_client_nom FROM commandes WHERE id = ?", (id,))
        .unwrap();
    assert_eq!(client.as_deref(), Some(client_name.as_str()));

    // max_batch counts medals: 9 is too few for this one order.
    let small = upload_template(&admin, 9);
    post(
        "/api/lots",
        Some(&admin.token),
        &json!({"template_gravure_id": small, "commande_ids": [id]}),
    )
    .assert_error(422, "validation_error");
    let t = upload_template(&admin, 12);
    let lot = post(
        "/api/lots",
        Some(&admin.token),
        &json!({"template_gravure_id": t, "commande_ids": [id]}),
    )
    .expect(201);
    let lot_id = lot["id"].as_u64().unwrap();
    assert_eq!(lot["fichiers"][0]["nb_medailles"], 10, "{lot}");
    let dxf = get(&format!("/api/lots/{lot_id}/dxf"), Some(&admin.token));
    assert_eq!(dxf.status, 200);
    let text = dxf.text();
    for k in 1..=10 {
        assert!(
            text.contains(&format!("{numero} {k}/10")),
            "medal {k}/10 missing"
        );
    }
    assert_eq!(text.matches(&client_name).count(), 10);

    // Stock: 20 blanks, 10 leave when the lot is engraved.
    db().exec_drop(
        "INSERT INTO stocks (produit_id, atelier_id, quantite) VALUES (?, ?, 20)",
        (p, at),
    )
    .unwrap();
    for statut in ["en_gravure", "grave"] {
        patch(
            &format!("/api/lots/{lot_id}/statut"),
            Some(&admin.token),
            &json!({ "statut": statut }),
        )
        .expect(200);
    }
    let left: Option<i64> = db()
        .exec_first(
            "SELECT quantite FROM stocks WHERE produit_id = ? AND atelier_id = ?",
            (p, at),
        )
        .unwrap();
    assert_eq!(left, Some(10));
    // The push of state 24 was tried right after the commit (no cron runs here).
    wait_for_shop_state(o, "24");
}

// ---------------------------------------------------------------------------
// Dispatch to ateliers
// ---------------------------------------------------------------------------

/// Issue 8: with several ateliers, an athlete's order reaches exactly the
/// operator of the course's default atelier; an order no rule places waits
/// in the admins' "à répartir" list until an admin assigns it.
#[test]
fn with_two_ateliers_an_athlete_order_reaches_exactly_the_right_operator() {
    let (a, b) = (atelier(), atelier());
    let admin = user(Role::AdminFab);
    let op_a = user_in(Role::OperateurFab, Some(a));
    let op_b = user_in(Role::OperateurFab, Some(b));
    let p = produit();
    let course = patch(
        &format!("/api/parcours/{p}"),
        Some(&admin.token),
        &json!({ "atelier_defaut_id": b }),
    )
    .expect(200);
    assert_eq!(course["atelier_defaut_id"], b);
    let athlete = user(Role::Sportif);
    let order = post(
        "/api/commandes",
        Some(&athlete.token),
        &json!({ "produit_id": p }),
    )
    .expect(201);
    let id = order["id"].as_u64().unwrap();
    get(&format!("/api/commandes/{id}"), Some(&op_b.token)).expect(200);
    get(&format!("/api/commandes/{id}"), Some(&op_a.token)).assert_error(404, "order_not_found");

    // A course without a default atelier: nobody's, until an admin decides.
    let p2 = produit();
    let id2 = post(
        "/api/commandes",
        Some(&athlete.token),
        &json!({ "produit_id": p2 }),
    )
    .expect(201)["id"]
        .as_u64()
        .unwrap();
    for op in [&op_a, &op_b] {
        get(&format!("/api/commandes/{id2}"), Some(&op.token)).assert_error(404, "order_not_found");
    }
    get("/api/commandes/a-repartir", Some(&op_a.token)).assert_error(403, "forbidden");
    let list = get("/api/commandes/a-repartir?per_page=100", Some(&admin.token)).expect(200);
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["id"] == id2));
    post(
        "/api/commandes/repartition",
        Some(&admin.token),
        &json!({ "commande_ids": [id2], "atelier_id": a }),
    )
    .expect(200);
    get(&format!("/api/commandes/{id2}"), Some(&op_a.token)).expect(200);
    get(&format!("/api/commandes/{id2}"), Some(&op_b.token)).assert_error(404, "order_not_found");
    // Reassigning an order already on the laser is refused.
    db().exec_drop(
        "UPDATE commandes SET statut = 'en_gravure' WHERE id = ?",
        (id2,),
    )
    .unwrap();
    post(
        "/api/commandes/repartition",
        Some(&admin.token),
        &json!({ "commande_ids": [id2], "atelier_id": b }),
    )
    .assert_error(409, "orders_not_dispatchable");
}

// ---------------------------------------------------------------------------
// Sign-in by link
// ---------------------------------------------------------------------------

use crate::fab::{mails_to, wait_for_mail};

/// The newest mail to `to`, its quoted-printable text parts unfolded.
fn wait_mail(to: &str) -> String {
    wait_for_mail(to, "MyKollector");
    crate::common::unfold_quoted_printable(&mails_to(to).pop().expect("a mail"))
}

fn token_in(mail: &str) -> String {
    let start = mail.find("connexion=").expect("link in mail") + "connexion=".len();
    mail[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

/// Issue 8: the link works once, expires, and nothing in the answer tells
/// a customer from a stranger; the stranger's e-mail points to the shop.
#[test]
fn signin_link_works_once_expires_and_tells_nothing() {
    let customer_email = format!("{}@client.test", unique("coureuse"));
    let customer = shop_customer(&customer_email, 3, "");
    let stranger = format!("{}@ailleurs.test", unique("inconnu"));
    let a = post(
        "/api/auth/lien-connexion",
        None,
        &json!({ "email": customer_email }),
    );
    let b = post(
        "/api/auth/lien-connexion",
        None,
        &json!({ "email": stranger }),
    );
    assert_eq!((a.status, b.status), (200, 200));
    assert_eq!(a.body, b.body, "customer and stranger answers differ");
    assert!(a.json()["token"].is_null());

    let stranger_mail = wait_mail(&stranger);
    assert!(!stranger_mail.contains("connexion="), "{stranger_mail}");
    assert!(stranger_mail.contains(&shop_url()), "{stranger_mail}");
    let mail = wait_mail(&customer_email);
    let token = token_in(&mail);
    assert_eq!(token.len(), 64, "{mail}");
    // Stored hashed only.
    let stored: Option<u64> = db()
        .exec_first(
            "SELECT COUNT(*) FROM signin_tokens WHERE token_hash = ?",
            (&token,),
        )
        .unwrap();
    assert_eq!(stored, Some(0));

    let session = post(
        "/api/auth/lien-connexion/utiliser",
        None,
        &json!({ "token": token }),
    )
    .expect(200);
    assert!(session["token"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(session["refresh_token"].as_str().is_some());
    assert_eq!(session["user"]["role"], "sportif");
    assert_eq!(session["user"]["email"], customer_email);
    let linked: Option<Option<u64>> = db()
        .exec_first(
            "SELECT presta_customer_id FROM users WHERE email = ?",
            (&customer_email,),
        )
        .unwrap();
    assert_eq!(linked, Some(Some(customer)));
    // The access token works.
    get("/api/auth/me", Some(session["token"].as_str().unwrap())).expect(200);
    // Once only.
    post(
        "/api/auth/lien-connexion/utiliser",
        None,
        &json!({ "token": token }),
    )
    .assert_error(400, "signin_link_invalid");

    // A second link, expired before use.
    post(
        "/api/auth/lien-connexion",
        None,
        &json!({ "email": customer_email }),
    )
    .expect(200);
    let second = loop {
        let t = token_in(&wait_mail(&customer_email));
        if t != token {
            break t;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    db().exec_drop(
        "UPDATE signin_tokens SET expires_at = NOW() - INTERVAL 1 MINUTE WHERE token_hash = ?",
        (mykollector::security::tokens::sha256_hex(second.as_bytes()),),
    )
    .unwrap();
    post(
        "/api/auth/lien-connexion/utiliser",
        None,
        &json!({ "token": second }),
    )
    .assert_error(400, "signin_link_invalid");
    // A typed e-mail alone never gets a token.
    post(
        "/api/auth/lien-connexion/utiliser",
        None,
        &json!({ "token": customer_email }),
    )
    .assert_error(400, "signin_link_invalid");
}

/// Issue 8: with no shop configured (a workshop that sells elsewhere), any
/// address signs up by link — the link proves the address. The server under
/// test has a shop, so the link is sent with the same configuration minus
/// the PrestaShop settings.
#[test]
fn without_a_shop_any_address_signs_up_by_link() {
    let env_file = std::env::var("MK_TEST_ENV_FILE").expect("MK_TEST_ENV_FILE");
    let without_shop: String = std::fs::read_to_string(&env_file)
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with("PRESTASHOP_"))
        .flat_map(|l| [l, "\n"])
        .collect();
    let path = std::env::temp_dir().join(format!("{}.env", unique("mk-noshop-")));
    std::fs::write(&path, without_shop).unwrap();
    let no_shop = mykollector::config::Config::load_from(Some(&path)).unwrap();
    std::fs::remove_file(&path).unwrap();
    let email = format!("{}@ailleurs.test", unique("nouvelle"));
    mykollector::api::signin::send_link(&no_shop, &mut db(), &email, "127.0.0.1").unwrap();
    let token = token_in(&wait_mail(&email));
    let session = post(
        "/api/auth/lien-connexion/utiliser",
        None,
        &json!({ "token": token }),
    )
    .expect(200);
    assert_eq!(session["user"]["email"], email);
    assert_eq!(session["user"]["role"], "sportif");
    let account: Option<(Option<u64>, String)> = db()
        .exec_first(
            "SELECT presta_customer_id, password FROM users WHERE email = ?",
            (&email,),
        )
        .unwrap();
    assert_eq!(account, Some((None, "!".to_string())));
}

/// Links per address are capped silently (same answer), per IP with 429.
#[test]
fn signin_links_are_rate_limited_per_address() {
    let email = format!("{}@client.test", unique("pressee"));
    shop_customer(&email, 3, "");
    for _ in 0..5 {
        post("/api/auth/lien-connexion", None, &json!({ "email": email })).expect(200);
    }
    std::thread::sleep(Duration::from_millis(500));
    let n = mails_to(&email).len();
    assert_eq!(n, 3, "3 links an hour per address, got {n}");
}

// ---------------------------------------------------------------------------
// Product sync
// ---------------------------------------------------------------------------

/// Issue 8 item 8: the course's product is created through the Admin API,
/// tagged with `mko_parcours_id`, and its orders then import to the course.
#[test]
fn product_sync_creates_the_shop_product_that_imports_map_back() {
    let admin = user(Role::AdminFab);
    let p = produit();
    let r = post(
        &format!("/api/parcours/{p}/sync-prestashop"),
        Some(&admin.token),
        &json!({}),
    )
    .expect(200);
    let product = r["presta_product_id"].as_u64().unwrap();
    assert_eq!(r["shop_synced"], true);
    let course = get(&format!("/api/parcours/{p}"), Some(&admin.token)).expect(200);
    assert_eq!(course["presta_product_id"], product);
    // Syncing again updates the same product.
    let again = post(
        &format!("/api/parcours/{p}/sync-prestashop"),
        Some(&admin.token),
        &json!({}),
    )
    .expect(200);
    assert_eq!(again["presta_product_id"], product);
    let customer = shop_customer(&format!("{}@client.test", unique("s")), 3, "");
    let o = shop_order(customer, &[(product, 1)]);
    let report = sync(&admin.token, false).expect(200);
    // Imported now, or just before by a parallel test's import.
    assert_ne!(entry(&report, o)["resultat"], "echec", "{report}");
    let produit_id: Option<u64> = db()
        .exec_first(
            "SELECT produit_id FROM commandes WHERE presta_order_id = ?",
            (o,),
        )
        .unwrap();
    assert_eq!(produit_id, Some(p));
}

// ---------------------------------------------------------------------------
// Exclusive: breaker, push retries, diagnosis (global switches)
// ---------------------------------------------------------------------------

fn requests_made() -> u64 {
    control("GET", "stats", &json!({}))["requests"]
        .as_u64()
        .unwrap()
}

/// Issue 8: 5 consecutive failures open the breaker; the 6th call is not
/// made; /api/health shows it; after the pause one trial call closes it.
#[test]
#[ignore = "flips the fake shop's failure switch: run alone (scripts/test.sh --ignored)"]
fn breaker_opens_after_five_failures_and_closes_after_the_pause() {
    reset_shop_switches_and_breaker();
    let admin = user(Role::SuperAdmin);
    switch(&json!({ "fail": -1 }));
    let before = requests_made();
    for _ in 0..5 {
        sync(&admin.token, false).assert_error(502, "prestashop_unavailable");
    }
    assert_eq!(requests_made() - before, 5);
    sync(&admin.token, false).assert_error(503, "prestashop_circuit_open");
    assert_eq!(requests_made() - before, 5, "the 6th call was made");
    let health = get("/api/health", None).expect(200);
    assert_eq!(
        health["prestashop"]["disjoncteur"]["etat"], "ouvert",
        "{health}"
    );
    let etat = get("/api/prestashop/etat", Some(&admin.token)).expect(200);
    assert_eq!(etat["disjoncteur"]["etat"], "ouvert");

    // The pause is over (moved back rather than waited for) and the shop is
    // back: the trial call succeeds and closes the breaker.
    switch(&json!({ "fail": 0 }));
    db().exec_drop(
        "UPDATE rate_limits SET bloque_jusqu_a = NOW() - INTERVAL 1 SECOND WHERE cle = 'breaker:prestashop'",
        (),
    )
    .unwrap();
    sync(&admin.token, false).expect(200);
    let health = get("/api/health", None).expect(200);
    assert_eq!(
        health["prestashop"]["disjoncteur"]["etat"], "ferme",
        "{health}"
    );

    // A failing trial opens it again at once.
    switch(&json!({ "fail": -1 }));
    for _ in 0..5 {
        let _ = sync(&admin.token, false);
    }
    db().exec_drop(
        "UPDATE rate_limits SET bloque_jusqu_a = NOW() - INTERVAL 1 SECOND WHERE cle = 'breaker:prestashop'",
        (),
    )
    .unwrap();
    sync(&admin.token, false).assert_error(502, "prestashop_unavailable");
    sync(&admin.token, false).assert_error(503, "prestashop_circuit_open");
    reset_shop_switches_and_breaker();
}

/// Issue 8: shipping never fails because the shop is down; the push is
/// kept, listed for admins, and retried by the cron until the shop has the
/// "expédié" history row and the tracking number.
#[test]
#[ignore = "flips the fake shop's failure switch: run alone (scripts/test.sh --ignored)"]
fn failed_push_is_retried_by_the_cron_until_the_shop_has_it() {
    reset_shop_switches_and_breaker();
    let admin = user(Role::AdminFab);
    let p = produit();
    let customer = shop_customer(&format!("{}@client.test", unique("r")), 3, "");
    let o = shop_order(customer, &[(shop_product(Some(p.to_string()), None), 1)]);
    sync(&admin.token, false).expect(200);
    let id = imported(o)[0].0;
    db().exec_drop(
        "UPDATE commandes SET statut = 'attente_expedition' WHERE id = ?",
        (id,),
    )
    .unwrap();

    switch(&json!({ "fail": -1 }));
    patch(
        &format!("/api/commandes/{id}/statut"),
        Some(&admin.token),
        &json!({ "statut": "expedie", "numero_suivi": "6A0001112223", "transporteur": "Colissimo" }),
    )
    .expect(200);
    let failing = get("/api/prestashop/envois", Some(&admin.token)).expect(200);
    let mine: Vec<&Value> = failing["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["commande_id"] == id)
        .collect();
    assert_eq!(mine.len(), 2, "{failing}");
    assert!(mine
        .iter()
        .all(|e| e["tentatives"] == 1 && e["derniere_erreur"].is_string()));

    // The shop is back; the next cron run (once the backoff is due) sends.
    switch(&json!({ "fail": 0 }));
    db().exec_drop(
        "UPDATE prestashop_push SET prochain_essai_at = NOW() WHERE commande_id = ?",
        (id,),
    )
    .unwrap();
    let mut conn = db();
    let outcomes = mykollector::cron::run(config(), &mut conn, mykollector::cron::HOURLY)
        .expect("cron lock free");
    let push = outcomes
        .iter()
        .find(|o| o.name == "prestashop-push")
        .unwrap();
    assert!(push.result.is_ok(), "{:?}", push.result);
    let shop = control("GET", &format!("order/{o}"), &json!({}));
    assert_eq!(shop["current_state"], "4", "{shop}");
    assert_eq!(shop["tracking_number"], "6A0001112223");
    assert!(shop["histories"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["id_order_state"] == "4" && h["sendemail"] == "1"));
    let left: Option<u64> = db()
        .exec_first(
            "SELECT COUNT(*) FROM prestashop_push WHERE commande_id = ? AND envoye_at IS NULL",
            (id,),
        )
        .unwrap();
    assert_eq!(left, Some(0));
    reset_shop_switches_and_breaker();
}

/// Issue 8: test-connexion checks each path and names a missing permission
/// (and a timeout) in French.
#[test]
#[ignore = "changes the fake shop's permissions: run alone (scripts/test.sh --ignored)"]
fn test_connexion_names_a_missing_permission() {
    reset_shop_switches_and_breaker();
    let admin = user(Role::AdminFab);
    let ok = post(
        "/api/prestashop/test-connexion",
        Some(&admin.token),
        &json!({}),
    )
    .expect(200);
    assert_eq!(ok["ok"], true, "{ok}");

    switch(&json!({ "deny": ["order_histories:POST"] }));
    let r = post(
        "/api/prestashop/test-connexion",
        Some(&admin.token),
        &json!({}),
    )
    .expect(200);
    assert_eq!(r["ok"], false);
    let checks = r["verifications"].as_array().unwrap();
    let failed: Vec<&Value> = checks.iter().filter(|c| c["ok"] == false).collect();
    assert_eq!(failed.len(), 1, "{r}");
    assert_eq!(failed[0]["nom"], "permission POST order_histories");
    assert!(failed[0]["message"]
        .as_str()
        .unwrap()
        .contains("Permission manquante : POST sur « order_histories »"));

    switch(&json!({ "deny": [], "timeout": 3 }));
    let r = post(
        "/api/prestashop/test-connexion",
        Some(&admin.token),
        &json!({}),
    )
    .expect(200);
    let webservice = r["verifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["nom"] == "webservice")
        .cloned()
        .unwrap();
    assert_eq!(webservice["ok"], false);
    assert!(
        webservice["message"].as_str().unwrap().contains("délai"),
        "{webservice}"
    );
    reset_shop_switches_and_breaker();
    post(
        "/api/prestashop/test-connexion",
        Some(&user(Role::OperateurFab).token),
        &json!({}),
    )
    .assert_error(403, "forbidden");
}
