//! Spec §5.5: the workshop view (wireframe 11.3), taking orders into
//! engraving (rule 1.1, atomic), finishing engraving (stock consumed),
//! shipping one order (email) and a batch (one failure never blocks).

use crate::common::*;
use crate::stock::{
    force_status, order, order_for, produit, set_stock, status_of, stock_level, Kind,
};
use mykollector::security::Role;
use mysql::prelude::Queryable;
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn prendre(token: &str, ids: &[u64]) -> Value {
    post(
        "/api/fab/gravure/prendre",
        Some(token),
        &json!({ "commande_ids": ids }),
    )
    .expect(200)
}

fn ids_of(list: &Value) -> BTreeSet<u64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_u64().unwrap())
        .collect()
}

fn raison(answer: &Value, id: u64) -> String {
    answer["refusees"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .map_or_else(
            || panic!("order {id} not refused: {answer}"),
            |r| r["raison"].as_str().unwrap().to_string(),
        )
}

/// The decoded text of every message the fake SMTP server received for
/// `to` (the envelope recipient), oldest first.
pub(crate) fn mails_to(to: &str) -> Vec<String> {
    raw_mails_to(to)
        .iter()
        .map(|raw| decode_mail(raw))
        .collect()
}

/// Waits (up to 5 s) for a message to `to` whose text contains `needle`.
pub(crate) fn wait_for_mail(to: &str, needle: &str) -> String {
    for _ in 0..100 {
        if let Some(m) = mails_to(to).into_iter().find(|m| m.contains(needle)) {
            return m;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("no mail to {to} containing {needle:?}");
}

/// Headers as received plus the body decoded from quoted-printable or
/// base64, so tests can search plain text.
fn decode_mail(raw: &str) -> String {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    let lower = head.to_lowercase();
    let bytes = if lower.contains("content-transfer-encoding: base64") {
        base64_decode(body)
    } else if lower.contains("content-transfer-encoding: quoted-printable") {
        qp_decode(body)
    } else {
        body.as_bytes().to_vec()
    };
    format!("{head}\n\n{}", String::from_utf8_lossy(&bytes))
}

fn qp_decode(s: &str) -> Vec<u8> {
    let s = s.replace("=\n", "");
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() {
            if let Some(v) = std::str::from_utf8(&b[i + 1..(i + 3).min(b.len())])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn base64_decode(s: &str) -> Vec<u8> {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let vals: Vec<u32> = s
        .bytes()
        .filter_map(|c| {
            T.iter()
                .position(|t| *t == c)
                .map(|p| u32::try_from(p).unwrap())
        })
        .collect();
    let mut out = Vec::new();
    for chunk in vals.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |a, (i, v)| a | (v << (18 - 6 * i)));
        // n holds 24 bits: the last three of its four big-endian bytes.
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

// --- the view ----------------------------------------------------------------------

#[expect(
    clippy::many_single_char_names,
    reason = "the scenario's cast: ateliers a and b, course p, template t"
)]
#[test]
fn workshop_view_counts_lists_and_alerts() {
    let (a, b) = (atelier(), atelier());
    let p = produit("Mont Ventoux");
    set_stock(p, a, 9, 10);
    set_stock(p, b, 40, 10);
    let validated = [
        order(p, Some(a), Kind::Validated).0,
        order(p, Some(a), Kind::Validated).0,
    ];
    let unvalidated = order(p, Some(a), Kind::Unvalidated).0;
    let b2b = order(p, Some(a), Kind::B2b).0;
    let in_engraving = order(p, Some(a), Kind::Validated).0;
    force_status(in_engraving, "en_gravure");
    let engraved = order(p, Some(a), Kind::Validated).0;
    force_status(engraved, "grave");
    let packed = order(p, Some(a), Kind::Validated).0;
    force_status(packed, "attente_expedition");
    let shipped = order(p, Some(a), Kind::Validated).0;
    force_status(shipped, "expedie");
    let elsewhere = order(p, Some(b), Kind::Validated).0;
    let op = user_in(Role::OperateurFab, Some(a));

    let v = get("/api/fab/commandes", Some(&op.token)).expect(200);
    assert_eq!(v["atelier"]["id"], a);
    let row = v["parcours"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["produit_id"] == p)
        .cloned()
        .expect("course row");
    assert_eq!(row["nom"], "Mont Ventoux");
    assert_eq!(row["stock"], 9, "only this atelier's stock");
    assert_eq!(row["seuil_alerte"], 10);
    assert_eq!(row["alerte"], true);
    assert_eq!(
        row["a_graver"], 3,
        "2 validated + 1 B2B, not the unvalidated one"
    );
    assert_eq!(row["en_gravure"], 1);
    assert_eq!(row["a_expedier"], 2);
    let b2b_rows = v["b2b"].as_array().unwrap();
    assert_eq!(b2b_rows.len(), 1);
    assert_eq!(b2b_rows[0]["id"], b2b);
    assert_eq!(b2b_rows[0]["libelle"], "Mairie de Lyon ×10");
    assert_eq!(v["commandes"]["total"], 8);
    let listed = ids_of(&v["commandes"]["items"]);
    assert!(
        !listed.contains(&elsewhere),
        "another atelier's order leaked"
    );
    assert!(listed.contains(&unvalidated));
    let item = v["commandes"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == validated[0])
        .unwrap();
    assert_eq!(item["pret_gravure"], true);
    assert_eq!(item["client"], "Camille Testeur");
    assert_eq!(item["gravure_texte"]["CHRONO"], "01:02:03");
    assert_eq!(
        v["alertes"][0]["message"],
        "Mont Ventoux — stock critique (9 ≤ seuil 10)"
    );

    // Filters and sort.
    let f = get("/api/fab/commandes?statut=en_gravure", Some(&op.token)).expect(200);
    assert_eq!(
        ids_of(&f["commandes"]["items"]),
        BTreeSet::from([in_engraving])
    );
    let f = get("/api/fab/commandes?b2b=true", Some(&op.token)).expect(200);
    assert_eq!(ids_of(&f["commandes"]["items"]), BTreeSet::from([b2b]));
    assert_eq!(f["commandes"]["items"][0]["is_b2b"], true);
    let f = get(
        &format!("/api/fab/commandes?produit_id={p}&sort=ancien&per_page=2"),
        Some(&op.token),
    )
    .expect(200);
    assert_eq!(f["commandes"]["total"], 8);
    assert_eq!(
        f["commandes"]["items"][0]["id"], validated[0],
        "oldest first"
    );
    let f = get("/api/fab/commandes?sort=recent", Some(&op.token)).expect(200);
    assert_eq!(f["commandes"]["items"][0]["id"], shipped, "newest first");
    get("/api/fab/commandes?sort=prix", Some(&op.token)).assert_error(422, "validation_error");
    get("/api/fab/commandes?statut=perdu", Some(&op.token)).assert_error(422, "validation_error");

    // Isolation and roles.
    get(
        &format!("/api/fab/commandes?atelier_id={b}"),
        Some(&op.token),
    )
    .assert_error(404, "atelier_not_found");
    let op_b = user_in(Role::OperateurFab, Some(b));
    let vb = get("/api/fab/commandes", Some(&op_b.token)).expect(200);
    assert_eq!(
        ids_of(&vb["commandes"]["items"]),
        BTreeSet::from([elsewhere])
    );
    get("/api/fab/commandes", Some(&user(Role::Sportif).token)).assert_error(403, "forbidden");
    get("/api/fab/commandes", Some(&user(Role::AdminChrono).token)).assert_error(403, "forbidden");
    get("/api/fab/commandes", None).assert_error(401, "token_missing");

    // Admins: one atelier on request, all of them otherwise.
    let admin = user(Role::AdminFab);
    let va = get(
        &format!("/api/fab/commandes?atelier_id={a}"),
        Some(&admin.token),
    )
    .expect(200);
    assert_eq!(va["commandes"]["total"], 8);
    let all = get(
        &format!("/api/fab/commandes?produit_id={p}"),
        Some(&admin.token),
    )
    .expect(200);
    assert_eq!(all["atelier"], Value::Null);
    assert_eq!(all["commandes"]["total"], 9);
    let row = all["parcours"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["produit_id"] == p)
        .cloned()
        .unwrap();
    assert_eq!(row["stock"], 49, "summed over the ateliers");
    assert_eq!(row["a_graver"], 4);
}

// --- taking orders into engraving ----------------------------------------------

#[test]
fn prendre_takes_ready_orders_and_refuses_the_rest() {
    let (a, b) = (atelier(), atelier());
    let p = produit("Col du Galibier");
    let op = user_in(Role::OperateurFab, Some(a));
    let ready = order(p, Some(a), Kind::Validated).0;
    let b2b = order(p, Some(a), Kind::B2b).0;
    let unvalidated = order(p, Some(a), Kind::Unvalidated).0;
    let taken = order(p, Some(a), Kind::Validated).0;
    force_status(taken, "en_gravure");
    let engraved = order(p, Some(a), Kind::Validated).0;
    force_status(engraved, "grave");
    let other = order(p, Some(b), Kind::Validated).0;
    let unassigned = order(p, None, Kind::Validated).0;

    let r = prendre(
        &op.token,
        &[
            ready,
            b2b,
            unvalidated,
            taken,
            engraved,
            other,
            unassigned,
            999_999_999,
        ],
    );
    assert_eq!(ids_of(&r["prises"]), BTreeSet::from([ready, b2b]));
    assert_eq!(raison(&r, unvalidated), "engraving_not_validated");
    assert_eq!(raison(&r, taken), "already_taken");
    assert_eq!(raison(&r, engraved), "transition_refused");
    assert_eq!(raison(&r, other), "order_not_found");
    assert_eq!(raison(&r, unassigned), "order_not_found");
    assert_eq!(raison(&r, 999_999_999), "order_not_found");
    assert!(r["refusees"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["message"].as_str().is_some_and(|m| !m.is_empty())));

    // The taken ones moved, with operator, history and audit; the others did not.
    let mut conn = db();
    for id in [ready, b2b] {
        let (statut, operateur, last): (String, Option<u64>, String) = conn
            .exec_first(
                r"SELECT statut, operateur_id,
                    JSON_UNQUOTE(JSON_EXTRACT(historique, CONCAT('$[', JSON_LENGTH(historique) - 1, '].to')))
                  FROM commandes WHERE id = ?",
                (id,),
            )
            .unwrap()
            .unwrap();
        assert_eq!(statut, "en_gravure");
        assert_eq!(operateur, Some(op.id));
        assert_eq!(last, "en_gravure");
        let audits: Option<u64> = conn
            .exec_first(
                "SELECT COUNT(*) FROM logs_audit WHERE route = 'commande.statut' AND entite_id = ? AND user_id = ?",
                (id, op.id),
            )
            .unwrap();
        assert_eq!(audits, Some(1));
    }
    assert_eq!(status_of(unvalidated), "attente_gravure");
    assert_eq!(status_of(other), "attente_gravure");
    assert_eq!(status_of(unassigned), "attente_gravure");
    assert_eq!(status_of(engraved), "grave");

    // Bad requests.
    post(
        "/api/fab/gravure/prendre",
        Some(&op.token),
        &json!({ "commande_ids": [] }),
    )
    .assert_error(422, "validation_error");
    post(
        "/api/fab/gravure/prendre",
        Some(&op.token),
        &json!({ "commande_ids": [ready], "atelier_id": b }),
    )
    .assert_error(404, "atelier_not_found");
    post(
        "/api/fab/gravure/prendre",
        Some(&user(Role::Sportif).token),
        &json!({ "commande_ids": [ready] }),
    )
    .assert_error(403, "forbidden");
    post(
        "/api/fab/gravure/prendre",
        None,
        &json!({ "commande_ids": [ready] }),
    )
    .assert_error(401, "token_missing");
}

#[test]
fn unassigned_orders_are_assigned_by_admins_only() {
    let a = atelier();
    let p = produit("Col de la Croix de Fer");
    let admin = user(Role::AdminFab);
    let unassigned = order(p, None, Kind::B2b).0;

    let r = prendre(&admin.token, &[unassigned]);
    assert_eq!(raison(&r, unassigned), "no_atelier");
    assert_eq!(status_of(unassigned), "attente_gravure");

    let r = post(
        "/api/fab/gravure/prendre",
        Some(&admin.token),
        &json!({ "commande_ids": [unassigned], "atelier_id": a }),
    )
    .expect(200);
    assert_eq!(ids_of(&r["prises"]), BTreeSet::from([unassigned]));
    let (statut, atelier_id): (String, Option<u64>) = db()
        .exec_first(
            "SELECT statut, atelier_id FROM commandes WHERE id = ?",
            (unassigned,),
        )
        .unwrap()
        .unwrap();
    assert_eq!((statut.as_str(), atelier_id), ("en_gravure", Some(a)));
}

#[test]
fn concurrent_prendre_takes_each_order_exactly_once() {
    let a = atelier();
    let p = produit("Col d'Izoard");
    let ops = [
        user_in(Role::OperateurFab, Some(a)),
        user_in(Role::OperateurFab, Some(a)),
        user_in(Role::OperateurFab, Some(a)),
    ];
    for round in 0..3 {
        let ids: Vec<u64> = (0..10)
            .map(|_| order(p, Some(a), Kind::Validated).0)
            .collect();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(ops.len()));
        let handles: Vec<_> = ops
            .iter()
            .enumerate()
            .map(|(i, op)| {
                let (token, barrier) = (op.token.clone(), barrier.clone());
                // Each taker names the orders in its own order.
                let mut mine = ids.clone();
                mine.rotate_left(i * 3);
                if i % 2 == 1 {
                    mine.reverse();
                }
                std::thread::spawn(move || {
                    barrier.wait();
                    prendre(&token, &mine)
                })
            })
            .collect();
        let answers: Vec<Value> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let mut seen = BTreeSet::new();
        for (answer, op) in answers.iter().zip(&ops) {
            for id in ids_of(&answer["prises"]) {
                assert!(seen.insert(id), "round {round}: order {id} taken twice");
                let operateur: Option<u64> = db()
                    .exec_first("SELECT operateur_id FROM commandes WHERE id = ?", (id,))
                    .unwrap()
                    .unwrap();
                assert_eq!(operateur, Some(op.id));
            }
            for r in answer["refusees"].as_array().unwrap() {
                assert_eq!(r["raison"], "already_taken", "round {round}: {answer}");
            }
        }
        assert_eq!(seen, ids.iter().copied().collect(), "round {round}");
        let history_entries: Option<u64> = db()
            .exec_first(
                format!(
                    "SELECT SUM(JSON_LENGTH(historique)) FROM commandes WHERE id IN ({})",
                    ids.iter().map(u64::to_string).collect::<Vec<_>>().join(",")
                ),
                (),
            )
            .unwrap();
        assert_eq!(
            history_entries,
            Some(20),
            "one creation + one take per order"
        );
    }
}

// --- finishing engraving ---------------------------------------------------------

#[test]
fn finishing_engraving_consumes_one_medal() {
    let (a, b) = (atelier(), atelier());
    let p = produit("Col du Tourmalet");
    let sid = set_stock(p, a, 5, 2);
    let op = user_in(Role::OperateurFab, Some(a));
    let (id, numero) = order(p, Some(a), Kind::Validated);

    // Not in engraving yet.
    patch(
        &format!("/api/fab/gravure/{id}/terminer"),
        Some(&op.token),
        &json!({}),
    )
    .assert_error(409, "transition_refused");
    prendre(&op.token, &[id]);
    // Another atelier's operator cannot even see it.
    let op_b = user_in(Role::OperateurFab, Some(b));
    request(
        "PATCH",
        &format!("/api/fab/gravure/{id}/terminer"),
        Some(&op_b.token),
        &[],
        None,
    )
    .assert_error(404, "order_not_found");
    assert_eq!(stock_level(sid), 5);

    // No body at all is fine.
    let r = request(
        "PATCH",
        &format!("/api/fab/gravure/{id}/terminer"),
        Some(&op.token),
        &[],
        None,
    )
    .expect(200);
    assert_eq!(r["statut"], "grave");
    assert_eq!(r["numero"], numero);
    assert_eq!(r["stock"]["quantite"], 4);
    assert_eq!(stock_level(sid), 4);
    let (kind, delta, after, commande, who): (String, i64, i64, Option<u64>, Option<u64>) = db()
        .exec_first(
            "SELECT type, quantite, quantite_apres, commande_id, user_id FROM stock_mouvements WHERE stock_id = ? ORDER BY id DESC LIMIT 1",
            (sid,),
        )
        .unwrap()
        .unwrap();
    assert_eq!(
        (kind.as_str(), delta, after, commande, who),
        ("gravure", -1, 4, Some(id), Some(op.id))
    );
    let date: Option<String> = db()
        .exec_first(
            "SELECT DATE_FORMAT(date_gravure, '%Y') FROM commandes WHERE id = ?",
            (id,),
        )
        .unwrap();
    assert!(date.is_some());

    // Twice: refused, the stock is not consumed again.
    patch(
        &format!("/api/fab/gravure/{id}/terminer"),
        Some(&op.token),
        &json!({ "commentaire": "encore" }),
    )
    .assert_error(409, "transition_refused");
    assert_eq!(stock_level(sid), 4);
    patch(
        "/api/fab/gravure/999999999/terminer",
        Some(&op.token),
        &json!({}),
    )
    .assert_error(404, "order_not_found");
    patch(
        &format!("/api/fab/gravure/{id}/terminer"),
        Some(&op.token),
        &json!({ "note": "x" }),
    )
    .assert_error(422, "validation_error");
}

// --- shipping ----------------------------------------------------------------------

#[expect(
    clippy::many_single_char_names,
    reason = "the scenario's cast: ateliers a and b, course p, template t"
)]
#[test]
fn shipping_one_order_emails_the_athlete() {
    let (a, b) = (atelier(), atelier());
    let p = produit("Alpe d'Huez");
    let op = user_in(Role::OperateurFab, Some(a));
    let athlete = user(Role::Sportif);
    let (id, numero) = order_for(p, Some(a), Kind::Validated, Some(athlete.id));
    let waiting = order(p, Some(a), Kind::Validated).0;
    force_status(id, "grave");
    let tracking = unique("6A").to_uppercase();
    let ship = |token: &str, body: Value| post("/api/fab/expedition", Some(token), &body);

    ship(
        &op.token,
        json!({ "commande_id": id, "transporteur": "Colissimo" }),
    )
    .assert_error(422, "validation_error");
    ship(
        &op.token,
        json!({ "commande_id": id, "transporteur": " ", "numero_suivi": tracking }),
    )
    .assert_error(422, "validation_error");
    ship(
        &op.token,
        json!({ "commande_id": waiting, "transporteur": "Colissimo", "numero_suivi": tracking }),
    )
    .assert_error(409, "transition_refused");
    let op_b = user_in(Role::OperateurFab, Some(b));
    ship(
        &op_b.token,
        json!({ "commande_id": id, "transporteur": "Colissimo", "numero_suivi": tracking }),
    )
    .assert_error(404, "order_not_found");
    assert_eq!(status_of(id), "grave");
    assert!(
        mails_to(&athlete.email).is_empty(),
        "no mail before shipping"
    );

    let r = ship(
        &op.token,
        json!({ "commande_id": id, "transporteur": "Colissimo", "numero_suivi": format!(" {tracking} ") }),
    )
    .expect(200);
    assert_eq!(r["statut"], "expedie");
    assert_eq!(r["numero_suivi"], tracking);
    let (statut, t, carrier, shipped_at): (String, Option<String>, Option<String>, Option<String>) = db()
        .exec_first(
            "SELECT statut, tracking, transporteur, DATE_FORMAT(date_expedition, '%Y') FROM commandes WHERE id = ?",
            (id,),
        )
        .unwrap()
        .unwrap();
    assert_eq!(statut, "expedie");
    assert_eq!(t.as_deref(), Some(tracking.as_str()));
    assert_eq!(carrier.as_deref(), Some("Colissimo"));
    assert!(shipped_at.is_some());

    let mail = wait_for_mail(&athlete.email, &tracking);
    assert!(mail.contains(&numero), "{mail}");
    assert!(mail.contains("Colissimo"), "{mail}");
}

#[test]
fn batch_shipping_reports_each_order_and_never_blocks() {
    let (a, b) = (atelier(), atelier());
    let p = produit("Col de la Loze");
    let op = user_in(Role::OperateurFab, Some(a));
    let athletes: Vec<_> = (0..3).map(|_| user(Role::Sportif)).collect();
    let good: Vec<u64> = athletes
        .iter()
        .map(|u| {
            let id = order_for(p, Some(a), Kind::Validated, Some(u.id)).0;
            force_status(id, "grave");
            id
        })
        .collect();
    force_status(good[2], "attente_expedition");
    let no_tracking_athlete = user(Role::Sportif);
    let no_tracking = order_for(p, Some(a), Kind::Validated, Some(no_tracking_athlete.id)).0;
    force_status(no_tracking, "grave");
    let wrong_status = order(p, Some(a), Kind::Validated).0;
    let other_atelier = order(p, Some(b), Kind::Validated).0;
    force_status(other_atelier, "grave");
    let b2b = order(p, Some(a), Kind::B2b).0;
    force_status(b2b, "grave");

    let tracking = |i: usize| format!("{}-{i}", unique("LP"));
    let r = post(
        "/api/fab/expedition/batch",
        Some(&op.token),
        &json!({ "expeditions": [
            { "commande_id": good[0], "transporteur": "Colissimo", "numero_suivi": tracking(0) },
            { "commande_id": no_tracking, "transporteur": "Colissimo" },
            { "commande_id": good[1], "transporteur": "Chronopost", "numero_suivi": tracking(1) },
            { "commande_id": wrong_status, "transporteur": "Colissimo", "numero_suivi": tracking(2) },
            { "commande_id": other_atelier, "transporteur": "Colissimo", "numero_suivi": tracking(3) },
            { "commande_id": good[2], "transporteur": "DPD", "numero_suivi": tracking(4) },
            { "commande_id": b2b, "transporteur": "DB Schenker", "numero_suivi": tracking(5) },
            { "commande_id": good[0], "transporteur": "Colissimo", "numero_suivi": tracking(6) },
        ] }),
    )
    .expect(200);
    assert_eq!(r["expediees"], 4, "{r}");
    assert_eq!(r["echecs"], 4, "{r}");
    let results = r["resultats"].as_array().unwrap();
    let outcome: Vec<(u64, bool, Option<&str>)> = results
        .iter()
        .map(|x| {
            (
                x["commande_id"].as_u64().unwrap(),
                x["ok"].as_bool().unwrap(),
                x["code"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        outcome,
        [
            (good[0], true, None),
            (no_tracking, false, Some("validation_error")),
            (good[1], true, None),
            (wrong_status, false, Some("transition_refused")),
            (other_atelier, false, Some("order_not_found")),
            (good[2], true, None),
            (b2b, true, None),
            (good[0], false, Some("transition_refused")),
        ]
    );
    assert!(results
        .iter()
        .filter(|x| x["ok"] == false)
        .all(|x| x["message"].as_str().is_some_and(|m| !m.is_empty())));

    // The database says the same: shipped ones shipped, the others untouched.
    for id in good.iter().chain([&b2b]) {
        assert_eq!(status_of(*id), "expedie");
    }
    assert_eq!(status_of(no_tracking), "grave");
    assert_eq!(status_of(wrong_status), "attente_gravure");
    assert_eq!(status_of(other_atelier), "grave");
    let first_tracking: Option<String> = db()
        .exec_first("SELECT tracking FROM commandes WHERE id = ?", (good[0],))
        .unwrap()
        .unwrap();
    assert!(
        first_tracking.unwrap().ends_with("-0"),
        "the refused duplicate did not overwrite the tracking"
    );
    let untouched: (Option<String>, u64) = db()
        .exec_first(
            "SELECT tracking, JSON_LENGTH(historique) FROM commandes WHERE id = ?",
            (no_tracking,),
        )
        .unwrap()
        .unwrap();
    assert_eq!(untouched, (None, 1));

    // One email per shipped athlete, none for the refused one.
    for (u, id) in athletes.iter().zip(&good) {
        let numero: String = db()
            .exec_first("SELECT numero FROM commandes WHERE id = ?", (id,))
            .unwrap()
            .unwrap();
        wait_for_mail(&u.email, &numero);
    }
    assert!(mails_to(&no_tracking_athlete.email).is_empty());

    post(
        "/api/fab/expedition/batch",
        Some(&op.token),
        &json!({ "expeditions": [] }),
    )
    .assert_error(422, "validation_error");
    post(
        "/api/fab/expedition/batch",
        Some(&user(Role::Sportif).token),
        &json!({ "expeditions": [{ "commande_id": b2b }] }),
    )
    .assert_error(403, "forbidden");
}
