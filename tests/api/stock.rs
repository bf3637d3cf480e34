//! Spec §4.6, §4.28: ateliers CRUD, stock movements and their journal,
//! low-stock alerts, atelier isolation. Also the course/stock/order fixtures
//! the FAB tests share.

use crate::common::*;
use mykollector::api::commandes::{insert_order, B2b, NewOrder};
use mykollector::security::Role;
use mysql::prelude::Queryable;
use serde_json::{json, Value};

// --- fixtures shared with tests/api/fab.rs ------------------------------------

/// A course with a unique slug and a random free 3-letter code.
pub fn produit(nom: &str) -> u64 {
    cycling_course("test-col-", |_, _| nom.to_owned()).0
}

/// Sets (creating if needed) the stock line of (course, atelier); returns its id.
pub fn set_stock(produit_id: u64, atelier_id: u64, quantite: i64, seuil: i64) -> u64 {
    let mut conn = db();
    conn.exec_drop(
        r"INSERT INTO stocks (produit_id, atelier_id, quantite, seuil_alerte) VALUES (?, ?, ?, ?)
          ON DUPLICATE KEY UPDATE quantite = VALUES(quantite), seuil_alerte = VALUES(seuil_alerte)",
        (produit_id, atelier_id, quantite, seuil),
    )
    .unwrap();
    stock_id(produit_id, atelier_id).unwrap()
}

/// The stock line id of (course, atelier).
pub fn stock_id(produit_id: u64, atelier_id: u64) -> Option<u64> {
    db().exec_first(
        "SELECT id FROM stocks WHERE produit_id = ? AND atelier_id = ?",
        (produit_id, atelier_id),
    )
    .unwrap()
}

/// The level of a stock line.
pub fn stock_level(stock_id: u64) -> i64 {
    db().exec_first::<i64, _, _>("SELECT quantite FROM stocks WHERE id = ?", (stock_id,))
        .unwrap()
        .unwrap()
}

/// What kind of order a fixture is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Athlete order, engraving validated by the athlete.
    Validated,
    /// Athlete order still waiting for the athlete's validation.
    Unvalidated,
    /// B2B order (no athlete), ×10.
    B2b,
}

/// Creates an order through the shared `insert_order` (athlete: a new
/// sportif, unless `athlete` is given); returns (id, numero).
pub fn order(produit_id: u64, atelier_id: Option<u64>, kind: Kind) -> (u64, String) {
    let athlete = (kind != Kind::B2b).then(|| user(Role::Sportif).id);
    order_for(produit_id, atelier_id, kind, athlete)
}

/// Like [`order`] for a given athlete.
pub fn order_for(
    produit_id: u64,
    atelier_id: Option<u64>,
    kind: Kind,
    athlete: Option<u64>,
) -> (u64, String) {
    let mut conn = db();
    let new = NewOrder {
        user_id: athlete,
        produit_id,
        atelier_id,
        gravure_texte: json!({ "NOM_COMPLET": "Camille Testeur", "CHRONO": "01:02:03", "DATE": "14 JUILLET 2024" }),
        validation_sportif: kind == Kind::Validated,
        chrono_valide: kind == Kind::Validated,
        duree_secondes: (kind != Kind::B2b).then_some(3723),
        b2b: (kind == Kind::B2b).then(|| B2b {
            client_nom: "Mairie de Lyon".into(),
            client_type: "mairie".into(),
            fabricant_id: None,
            quantite: 10,
        }),
        ..NewOrder::default()
    };
    let created = insert_order(&mut conn, &new, None).expect("insert order");
    (created.id, created.numero)
}

/// Forces an order's status (fixtures only).
pub fn force_status(id: u64, statut: &str) {
    db().exec_drop("UPDATE commandes SET statut = ? WHERE id = ?", (statut, id))
        .unwrap();
}

/// An order's status.
pub fn status_of(id: u64) -> String {
    db().exec_first::<String, _, _>("SELECT statut FROM commandes WHERE id = ?", (id,))
        .unwrap()
        .unwrap()
}

#[expect(
    clippy::needless_pass_by_value,
    reason = "callers pass json! literals: by value reads as plain data"
)]
fn movement(token: &str, body: Value) -> Resp {
    post("/api/stocks/mouvements", Some(token), &body)
}

fn journal_count(stock_id: u64) -> u64 {
    db().exec_first::<u64, _, _>(
        "SELECT COUNT(*) FROM stock_mouvements WHERE stock_id = ?",
        (stock_id,),
    )
    .unwrap()
    .unwrap()
}

// --- ateliers ---------------------------------------------------------------------

#[test]
fn atelier_crud_by_admins() {
    let admin = user(Role::AdminFab);
    let code = unique("ly").to_lowercase();
    let created = post(
        "/api/ateliers",
        Some(&admin.token),
        &json!({ "code": code, "nom": "Atelier Lyon Confluence", "couleur": "#2F6F8F",
                 "adresse": "48 rue de la Charité, 69002 Lyon", "responsable_id": admin.id }),
    )
    .expect(201);
    let id = created["id"].as_u64().unwrap();
    assert_eq!(created["code"], code.to_uppercase());
    assert_eq!(created["couleur"], "#2f6f8f");
    assert_eq!(created["actif"], true);
    assert_eq!(created["responsable_id"], admin.id);

    // Code unique (case-insensitively), values checked.
    post(
        "/api/ateliers",
        Some(&admin.token),
        &json!({ "code": code.to_uppercase(), "nom": "Doublon" }),
    )
    .assert_error(409, "atelier_code_taken");
    for bad in [
        json!({ "code": unique("X"), "nom": "" }),
        json!({ "code": "A B", "nom": "Espace" }),
        json!({ "code": unique("X"), "nom": "Couleur", "couleur": "rouge" }),
        json!({ "code": unique("X"), "nom": "Sportif responsable", "responsable_id": user(Role::Sportif).id }),
        json!({ "code": unique("X"), "nom": "Inconnu", "pays": "FR" }),
    ] {
        post("/api/ateliers", Some(&admin.token), &bad).assert_error(422, "validation_error");
    }

    let shown = get(&format!("/api/ateliers/{id}"), Some(&admin.token)).expect(200);
    assert_eq!(shown["nom"], "Atelier Lyon Confluence");
    assert!(shown["responsable_nom"].as_str().is_some());

    let patched = patch(
        &format!("/api/ateliers/{id}"),
        Some(&admin.token),
        &json!({ "nom": "Atelier Lyon Part-Dieu", "responsable_id": null }),
    )
    .expect(200);
    assert_eq!(patched["nom"], "Atelier Lyon Part-Dieu");
    assert_eq!(patched["responsable_id"], Value::Null);
    assert_eq!(
        patched["adresse"], "48 rue de la Charité, 69002 Lyon",
        "fields not sent are kept"
    );
    patch(
        &format!("/api/ateliers/{id}"),
        Some(&admin.token),
        &json!({ "role": "x" }),
    )
    .assert_error(422, "validation_error");
    let other = post(
        "/api/ateliers",
        Some(&admin.token),
        &json!({ "code": unique("GR"), "nom": "Atelier Grenoble" }),
    )
    .expect(201);
    patch(
        &format!("/api/ateliers/{}", other["id"]),
        Some(&admin.token),
        &json!({ "code": code }),
    )
    .assert_error(409, "atelier_code_taken");

    let list = get("/api/ateliers?per_page=200", Some(&admin.token)).expect(200);
    assert!(list["total"].as_u64().unwrap() >= 2);
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["id"] == id));

    // Unreferenced: really deleted.
    let gone = delete(
        &format!("/api/ateliers/{}", other["id"]),
        Some(&admin.token),
    )
    .expect(200);
    assert_eq!(gone["supprime"], true);
    get(
        &format!("/api/ateliers/{}", other["id"]),
        Some(&admin.token),
    )
    .assert_error(404, "atelier_not_found");

    // Referenced (an operator works there): only deactivated.
    user_in(Role::OperateurFab, Some(id));
    let kept = delete(&format!("/api/ateliers/{id}"), Some(&admin.token)).expect(200);
    assert_eq!(kept["supprime"], false);
    assert_eq!(kept["desactive"], true);
    let actif: Option<bool> = db()
        .exec_first("SELECT actif FROM ateliers WHERE id = ?", (id,))
        .unwrap();
    assert_eq!(actif, Some(false));
    let inactive = get("/api/ateliers?actif=false&per_page=200", Some(&admin.token)).expect(200);
    assert!(inactive["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["actif"] == false));
    delete("/api/ateliers/999999999", Some(&admin.token)).assert_error(404, "atelier_not_found");
}

#[test]
fn atelier_roles_and_operator_scope() {
    let (a, b) = (atelier(), atelier());
    let op = user_in(Role::OperateurFab, Some(a));
    let body = json!({ "code": unique("OP"), "nom": "Atelier pirate" });
    post("/api/ateliers", Some(&op.token), &body).assert_error(403, "forbidden");
    post("/api/ateliers", None, &body).assert_error(401, "token_missing");
    get("/api/ateliers", Some(&user(Role::Sportif).token)).assert_error(403, "forbidden");
    get("/api/ateliers", Some(&user(Role::AdminChrono).token)).assert_error(403, "forbidden");
    patch(
        &format!("/api/ateliers/{a}"),
        Some(&op.token),
        &json!({ "nom": "Renommé" }),
    )
    .assert_error(403, "forbidden");
    delete(&format!("/api/ateliers/{a}"), Some(&op.token)).assert_error(403, "forbidden");

    // An operator sees its own atelier, never another one.
    let list = get("/api/ateliers", Some(&op.token)).expect(200);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], a);
    get(&format!("/api/ateliers/{a}"), Some(&op.token)).expect(200);
    get(&format!("/api/ateliers/{b}"), Some(&op.token)).assert_error(404, "atelier_not_found");

    // An operator account without atelier can do nothing here.
    let homeless = user_in(Role::OperateurFab, None);
    get("/api/stocks", Some(&homeless.token)).assert_error(403, "no_atelier");
}

// --- stock ------------------------------------------------------------------------

#[test]
fn movements_update_the_stock_and_the_journal() {
    let a = atelier();
    let p = produit("Col de la Bonette");
    let op = user_in(Role::OperateurFab, Some(a));
    let base = json!({ "produit_id": p, "atelier_id": a });
    let with = |extra: Value| {
        let mut b = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };

    // A sortie on a line that does not exist yet: refused, nothing created.
    movement(
        &op.token,
        with(json!({ "type": "sortie", "quantite": 1, "motif": "Casse" })),
    )
    .assert_error(409, "stock_insufficient");
    assert_eq!(stock_id(p, a), None);

    let r = movement(
        &op.token,
        with(json!({ "type": "entree", "quantite": 20, "motif": "Livraison fournisseur" })),
    )
    .expect(201);
    let sid = r["stock"]["id"].as_u64().unwrap();
    assert_eq!(r["stock"]["quantite"], 20);
    assert_eq!(r["mouvement"]["quantite"], 20);
    assert_eq!(r["mouvement"]["quantite_apres"], 20);
    assert_eq!(r["mouvement"]["user_id"], op.id);

    // Validation: motif for sortie/ajustement, positive counts, manual types only.
    for bad in [
        json!({ "type": "sortie", "quantite": 5 }),
        json!({ "type": "ajustement", "quantite": 5, "motif": "  " }),
        json!({ "type": "entree", "quantite": 0 }),
        json!({ "type": "entree", "quantite": -3 }),
        json!({ "type": "gravure", "quantite": 1, "motif": "Triche" }),
        json!({ "type": "vol", "quantite": 1, "motif": "?" }),
    ] {
        movement(&op.token, with(bad)).assert_error(422, "validation_error");
    }
    movement(
        &op.token,
        json!({ "produit_id": 999_999_999u64, "atelier_id": a, "type": "entree", "quantite": 1 }),
    )
    .assert_error(422, "validation_error");

    movement(
        &op.token,
        with(json!({ "type": "sortie", "quantite": 5, "motif": "Médailles rayées" })),
    )
    .expect(201);
    assert_eq!(stock_level(sid), 15);

    // More than the stock: refused, nothing written.
    let before = journal_count(sid);
    movement(
        &op.token,
        with(json!({ "type": "sortie", "quantite": 16, "motif": "Trop" })),
    )
    .assert_error(409, "stock_insufficient");
    assert_eq!(stock_level(sid), 15);
    assert_eq!(journal_count(sid), before);

    // Ajustement: the new counted level; the journal keeps the difference.
    let adj = movement(
        &op.token,
        with(json!({ "type": "ajustement", "quantite": 12, "motif": "Inventaire mensuel" })),
    )
    .expect(201);
    assert_eq!(adj["mouvement"]["quantite"], -3);
    assert_eq!(adj["mouvement"]["quantite_apres"], 12);
    let ret = movement(
        &op.token,
        with(json!({ "type": "retour", "quantite": 1, "motif": "Retour client" })),
    )
    .expect(201);
    assert_eq!(ret["stock"]["quantite"], 13);

    // The journal: newest first, who and why, and it adds up.
    let j = get(
        &format!("/api/stocks/mouvements?stock_id={sid}"),
        Some(&op.token),
    )
    .expect(200);
    assert_eq!(j["total"], 4);
    let items = j["items"].as_array().unwrap();
    let types: Vec<&str> = items.iter().map(|m| m["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["retour", "ajustement", "sortie", "entree"]);
    assert_eq!(items[1]["motif"], "Inventaire mensuel");
    assert!(items
        .iter()
        .all(|m| m["user_id"] == op.id && m["user_nom"].is_string()));
    let sum: i64 = items.iter().map(|m| m["quantite"].as_i64().unwrap()).sum();
    assert_eq!(sum, 13);
    let sorties = get(
        &format!("/api/stocks/mouvements?stock_id={sid}&type=sortie&per_page=1"),
        Some(&op.token),
    )
    .expect(200);
    assert_eq!(sorties["total"], 1);
    assert_eq!(sorties["per_page"], 1);
    get("/api/stocks/mouvements?type=vol", Some(&op.token)).assert_error(422, "validation_error");
    get("/api/stocks/mouvements?du=hier", Some(&op.token)).assert_error(422, "validation_error");
    let today = get(
        &format!("/api/stocks/mouvements?stock_id={sid}&du=2020-01-01&au=2999-12-31"),
        Some(&op.token),
    )
    .expect(200);
    assert_eq!(today["total"], 4);
}

#[test]
fn concurrent_sorties_never_oversell() {
    let a = atelier();
    let p = produit("Col du Lautaret");
    let sid = set_stock(p, a, 5, 2);
    let op = user_in(Role::OperateurFab, Some(a));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let token = op.token.clone();
            std::thread::spawn(move || {
                movement(
                    &token,
                    json!({ "produit_id": p, "atelier_id": a, "type": "sortie", "quantite": 1, "motif": "Échantillon salon" }),
                )
                .status
            })
        })
        .collect();
    let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(stock_level(sid), 0);
    assert_eq!(journal_count(sid), 5);
}

#[test]
fn stock_list_alerts_and_thresholds() {
    let a = atelier();
    let ventoux = produit("Ventoux");
    let izoard = produit("Izoard");
    let low = set_stock(ventoux, a, 9, 10);
    let ok = set_stock(izoard, a, 11, 10);
    let op = user_in(Role::OperateurFab, Some(a));
    let admin = user(Role::AdminFab);

    let alerts = get("/api/stocks/alertes", Some(&op.token)).expect(200);
    assert_eq!(alerts["total"], 1, "{alerts}");
    assert_eq!(alerts["items"][0]["stock_id"], low);
    assert_eq!(
        alerts["items"][0]["message"],
        "Ventoux — stock critique (9 ≤ seuil 10)"
    );

    let lines = get("/api/stocks", Some(&op.token)).expect(200);
    assert_eq!(lines["total"], 2);
    let flagged = get("/api/stocks?alerte=true", Some(&op.token)).expect(200);
    assert_eq!(flagged["total"], 1);
    assert_eq!(flagged["items"][0]["alerte"], true);
    get("/api/stocks?alerte=peut-etre", Some(&op.token)).assert_error(422, "validation_error");
    get("/api/stocks?produit_id=abc", Some(&op.token)).assert_error(422, "validation_error");

    // Thresholds are an admin's call.
    patch(
        &format!("/api/stocks/{ok}"),
        Some(&op.token),
        &json!({ "seuil_alerte": 12 }),
    )
    .assert_error(403, "forbidden");
    patch(
        &format!("/api/stocks/{ok}"),
        Some(&admin.token),
        &json!({ "seuil_alerte": -1 }),
    )
    .assert_error(422, "validation_error");
    patch(
        "/api/stocks/999999999",
        Some(&admin.token),
        &json!({ "seuil_alerte": 3 }),
    )
    .assert_error(404, "stock_not_found");
    let raised = patch(
        &format!("/api/stocks/{ok}"),
        Some(&admin.token),
        &json!({ "seuil_alerte": 15 }),
    )
    .expect(200);
    assert_eq!(raised["alerte"], true);
    let alerts = get(
        &format!("/api/stocks/alertes?atelier_id={a}"),
        Some(&admin.token),
    )
    .expect(200);
    assert_eq!(alerts["total"], 2);
    let messages: Vec<&str> = alerts["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "Izoard — stock critique (11 ≤ seuil 15)",
            "Ventoux — stock critique (9 ≤ seuil 10)"
        ],
        "most critical first"
    );
}

#[test]
fn operators_never_see_or_move_another_ateliers_stock() {
    let (a, b) = (atelier(), atelier());
    let p = produit("Col de la Madeleine");
    let mine = set_stock(p, a, 3, 10);
    let theirs = set_stock(p, b, 2, 10);
    let op = user_in(Role::OperateurFab, Some(a));

    let lines = get("/api/stocks", Some(&op.token)).expect(200);
    let ids: Vec<u64> = lines["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [mine]);
    let alerts = get("/api/stocks/alertes", Some(&op.token)).expect(200);
    assert!(alerts["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["atelier_id"] == a));
    get(&format!("/api/stocks?atelier_id={b}"), Some(&op.token))
        .assert_error(404, "atelier_not_found");
    get(
        &format!("/api/stocks/alertes?atelier_id={b}"),
        Some(&op.token),
    )
    .assert_error(404, "atelier_not_found");
    get(
        &format!("/api/stocks/mouvements?atelier_id={b}"),
        Some(&op.token),
    )
    .assert_error(404, "atelier_not_found");
    let journal = get(
        &format!("/api/stocks/mouvements?stock_id={theirs}"),
        Some(&op.token),
    )
    .expect(200);
    assert_eq!(journal["total"], 0);

    movement(
        &op.token,
        json!({ "produit_id": p, "atelier_id": b, "type": "entree", "quantite": 5 }),
    )
    .assert_error(404, "atelier_not_found");
    assert_eq!(stock_level(theirs), 2);

    // Admins see both and may name either.
    let admin = user(Role::SuperAdmin);
    let both = get(&format!("/api/stocks?produit_id={p}"), Some(&admin.token)).expect(200);
    assert_eq!(both["total"], 2);
    get("/api/stocks?atelier_id=999999999", Some(&admin.token))
        .assert_error(404, "atelier_not_found");
}
