//! Spec §5.4, rule 1.1, §11.1, §12: ordering, numbering, the athlete's
//! engraving validation, the status machine, operators' list, dashboard.

use crate::common::*;
use mykollector::api::commandes::status::{Statut, TRANSITIONS};
use mykollector::api::commandes::{insert_order, B2b, NewOrder};
use mykollector::security::Role;
use mysql::prelude::Queryable;
use serde_json::{json, Value};
use std::collections::{HashSet, VecDeque};

// ----------------------------------------------------------------- fixtures

/// A fresh active course with a unique 3-letter code; returns (id, code).
pub(crate) fn course() -> (u64, String) {
    cycling_course("col-test-", |slug, _| format!("Col de test {slug}"))
}

/// `POST /api/commandes` with `body`, as `who`.
fn order_as(who: &TestUser, body: &Value) -> Resp {
    post("/api/commandes", Some(&who.token), body)
}

/// A validated chrono of `user` on `produit`.
fn chrono(user: u64, produit: u64, secs: u64, date: &str) -> u64 {
    let mut conn = db();
    conn.exec_drop(
        r"INSERT INTO chronos (user_id, produit_id, duree_secondes, source, statut, date_realisation, valide_at)
          VALUES (?, ?, ?, 'manuel', 'valide', ?, NOW())",
        (user, produit, secs, date),
    )
    .unwrap();
    let id = conn.last_insert_id();
    // A validated chrono always has its place in the ranking, as
    // PATCH /api/chrono/{id}/valider maintains it.
    mykollector::api::chronos::classement::record_validation(
        &mut conn,
        produit,
        user,
        id,
        i64::try_from(secs).unwrap(),
    )
    .unwrap();
    id
}

/// Orders `produit` as `athlete` through the API; returns the answer.
fn order(athlete: &TestUser, produit: u64) -> Value {
    order_as(athlete, &json!({ "produit_id": produit })).expect(201)
}

fn id_of(v: &Value) -> u64 {
    v["id"].as_u64().expect("id")
}

fn sql(query: &str, params: impl Into<mysql::Params>) {
    db().exec_drop(query, params).unwrap();
}

fn statut_of(order_id: u64) -> String {
    db().exec_first::<String, _, _>("SELECT statut FROM commandes WHERE id = ?", (order_id,))
        .unwrap()
        .unwrap()
}

fn historique(order_id: u64) -> Vec<Value> {
    let h: String = db()
        .exec_first(
            "SELECT CAST(historique AS CHAR) FROM commandes WHERE id = ?",
            (order_id,),
        )
        .unwrap()
        .unwrap();
    serde_json::from_str::<Value>(&h)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn set_statut(path: &str, token: &str, statut: &str) -> Resp {
    patch(path, Some(token), &json!({ "statut": statut }))
}

fn statut_path(id: u64) -> String {
    format!("/api/commandes/{id}/statut")
}

/// A B2B order inserted with the shared `insert_order` (as the PrestaShop
/// import and the hand-entered B2B form do).
fn b2b_order(produit: u64, atelier: Option<u64>, client: &str, fabricant: Option<u64>) -> u64 {
    let mut conn = db();
    insert_order(
        &mut conn,
        &NewOrder {
            produit_id: produit,
            atelier_id: atelier,
            gravure_texte: json!({}),
            b2b: Some(B2b {
                client_nom: client.into(),
                client_type: "mairie".into(),
                fabricant_id: fabricant,
                quantite: 10,
            }),
            ..NewOrder::default()
        },
        None,
    )
    .unwrap()
    .id
}

/// An athlete order already validated (engraving confirmed), in `atelier`.
fn validated_order(produit: u64, atelier: Option<u64>) -> u64 {
    let athlete = user(Role::Sportif);
    chrono(athlete.id, produit, 3_600, "2025-06-01");
    let id = id_of(&order(&athlete, produit));
    post(
        &format!("/api/commandes/{id}/valider-gravure"),
        Some(&athlete.token),
        &json!({ "nom": "Testeur", "prenom": "Camille", "confirmation": true }),
    )
    .expect(200);
    sql(
        "UPDATE commandes SET atelier_id = ? WHERE id = ?",
        (atelier, id),
    );
    id
}

/// Waits for the fake SMTP server to receive a mail to `to` containing
/// `contains`; returns its decoded text.
fn wait_for_mail(to: &str, contains: &str) -> String {
    let dir =
        std::env::var("MK_TEST_MAIL_DIR").expect("MK_TEST_MAIL_DIR is set by scripts/test.sh");
    for _ in 0..100 {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let raw = std::fs::read_to_string(entry.path()).unwrap_or_default();
            if !raw.contains(to) {
                continue;
            }
            let text = unfold_quoted_printable(&raw);
            if text.contains(contains) {
                return text;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("no mail to {to} containing {contains} in {dir}");
}

// -------------------------------------------------------- ordering, numbers

#[test]
fn athlete_orders_a_medal_with_a_wireframe_number() {
    let (produit, code) = course();
    let athlete = user(Role::Sportif);
    let year: u16 = db().query_first("SELECT YEAR(NOW())").unwrap().unwrap();

    let o = order(&athlete, produit);
    let numero = o["numero"].as_str().unwrap();
    let prefix = format!("MKO-{year}-{code}-");
    assert!(numero.starts_with(&prefix), "{numero}");
    let seq = &numero[prefix.len()..];
    assert!(
        seq.len() >= 3 && seq.chars().all(|c| c.is_ascii_digit()),
        "{numero}"
    );
    assert_eq!(o["statut"], "attente_gravure");
    assert_eq!(o["validation_sportif"], false);
    assert_eq!(o["sportif"]["id"], athlete.id);
    assert_eq!(o["parcours"]["id"], produit);
    assert_eq!(o["gravure"]["figee"], false);
    assert_eq!(o["gravure"]["chrono"], Value::Null, "no chrono yet");

    // The second order of the course takes the next number.
    let second = order(&athlete, produit);
    let next: u64 = second["numero"].as_str().unwrap()[prefix.len()..]
        .parse()
        .unwrap();
    assert_eq!(next, seq.parse::<u64>().unwrap() + 1);

    let id = id_of(&o);
    let (user_id, statut, texte): (u64, String, String) = db()
        .exec_first(
            "SELECT user_id, statut, CAST(gravure_texte AS CHAR) FROM commandes WHERE id = ?",
            (id,),
        )
        .unwrap()
        .unwrap();
    assert_eq!(
        (user_id, statut.as_str(), texte.as_str()),
        (athlete.id, "attente_gravure", "{}")
    );
    let h = historique(id);
    assert_eq!(h.len(), 1);
    assert_eq!(h[0]["to"], "attente_gravure");
    assert_eq!(h[0]["by"], athlete.id);
}

#[test]
fn ordering_with_a_chrono_and_refusals() {
    let (produit, _) = course();
    let (other_course, _) = course();
    let athlete = user(Role::Sportif);
    let mine = chrono(athlete.id, produit, 5_000, "2025-07-01");
    let other_course_chrono = chrono(athlete.id, other_course, 5_000, "2025-07-01");
    let stranger = user(Role::Sportif);
    let theirs = chrono(stranger.id, produit, 4_000, "2025-07-01");

    let o = order_as(
        &athlete,
        &json!({ "produit_id": produit, "chrono_id": mine }),
    )
    .expect(201);
    assert_eq!(o["chrono_id"], mine);
    assert_eq!(o["duree_secondes"], 5_000);
    assert_eq!(o["chrono"], "01:23:20");
    assert_eq!(o["gravure"]["chrono"], "01:23:20");
    assert_eq!(o["gravure"]["date"], "1 JUILLET 2025");

    let count = || -> u64 {
        db().exec_first(
            "SELECT COUNT(*) FROM commandes WHERE produit_id = ?",
            (produit,),
        )
        .unwrap()
        .unwrap()
    };
    let before = count();
    for chrono_id in [theirs, other_course_chrono] {
        order_as(
            &athlete,
            &json!({ "produit_id": produit, "chrono_id": chrono_id }),
        )
        .assert_error(422, "validation_error");
    }
    // A pending (not yet validated) chrono is not enough either.
    sql(
        "UPDATE chronos SET statut = 'attente_validation' WHERE id = ?",
        (mine,),
    );
    order_as(
        &athlete,
        &json!({ "produit_id": produit, "chrono_id": mine }),
    )
    .assert_error(422, "validation_error");
    order_as(&athlete, &json!({ "produit_id": 999_999_999u64 }))
        .assert_error(422, "validation_error");
    order_as(&athlete, &json!({ "chrono_id": 1 })).assert_error(422, "validation_error");
    post("/api/commandes", None, &json!({ "produit_id": produit }))
        .assert_error(401, "token_missing");
    let op = user(Role::AdminFab);
    order_as(&op, &json!({ "produit_id": produit })).assert_error(403, "forbidden");
    assert_eq!(count(), before, "nothing written by refused orders");

    sql(
        "UPDATE produits SET actif = FALSE, message_desactivation = 'Col fermé pour travaux.' WHERE id = ?",
        (produit,),
    );
    let r = order_as(&athlete, &json!({ "produit_id": produit }));
    r.assert_error(409, "course_inactive");
    assert_eq!(r.json()["message"], "Col fermé pour travaux.");
}

#[test]
fn concurrent_orders_get_distinct_consecutive_numbers() {
    let (produit, code) = course();
    let athlete = user(Role::Sportif);
    let numbers: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|_| {
                s.spawn(|| {
                    order(&athlete, produit)["numero"]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let distinct: HashSet<_> = numbers.iter().collect();
    assert_eq!(distinct.len(), 20, "{numbers:?}");
    let mut seqs: Vec<u64> = numbers
        .iter()
        .map(|n| {
            assert!(n.contains(&format!("-{code}-")), "{n}");
            n.rsplit('-').next().unwrap().parse().unwrap()
        })
        .collect();
    seqs.sort_unstable();
    let first = seqs[0];
    assert_eq!(seqs, (first..first + 20).collect::<Vec<_>>());
}

// ------------------------------------------------------------- ownership

#[test]
fn athletes_only_see_and_validate_their_own_orders() {
    let (produit, _) = course();
    let a = user(Role::Sportif);
    let b = user(Role::Sportif);
    chrono(a.id, produit, 4_000, "2025-07-01");
    chrono(b.id, produit, 4_000, "2025-07-01");
    let id = id_of(&order(&a, produit));

    get(&format!("/api/commandes/{id}"), Some(&a.token)).expect(200);
    get(&format!("/api/commandes/{id}"), Some(&b.token)).assert_error(404, "order_not_found");
    post(
        &format!("/api/commandes/{id}/valider-gravure"),
        Some(&b.token),
        &json!({ "nom": "Voleur", "prenom": "Arsène", "confirmation": true }),
    )
    .assert_error(404, "order_not_found");
    assert_eq!(
        db().exec_first::<bool, _, _>(
            "SELECT validation_sportif FROM commandes WHERE id = ?",
            (id,)
        )
        .unwrap(),
        Some(false)
    );
    let mine = get("/api/commandes/mes", Some(&b.token)).expect(200);
    assert!(mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["id"] != id));
    let mine = get("/api/commandes/mes", Some(&a.token)).expect(200);
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["items"][0]["id"], id);
    assert_eq!(mine["items"][0]["gravure"]["chrono"], "01:06:40");

    // Operators don't use the athlete's routes, athletes not the workshop's.
    let op = user(Role::SuperAdmin);
    get("/api/commandes/mes", Some(&op.token)).assert_error(403, "forbidden");
    get("/api/commandes", Some(&a.token)).assert_error(403, "forbidden");
    get("/api/commandes/mes", None).assert_error(401, "token_missing");
    let chrono_admin = user(Role::AdminChrono);
    get(&format!("/api/commandes/{id}"), Some(&chrono_admin.token)).assert_error(403, "forbidden");
    get("/api/commandes/999999999", Some(&a.token)).assert_error(404, "order_not_found");
}

// ---------------------------------------------------- engraving validation

#[test]
fn validation_freezes_the_engraving_text() {
    let (produit, _) = course();
    let athlete = user(Role::Sportif);
    chrono(athlete.id, produit, 16_337, "2024-07-14");
    let best = chrono(athlete.id, produit, 16_000, "2024-07-20");
    let id = id_of(&order(&athlete, produit));
    let path = format!("/api/commandes/{id}");

    // Before validation, the profile is the source of truth.
    patch(
        "/api/user/profil",
        Some(&athlete.token),
        &json!({ "nom": "Martin", "prenom": "Julien" }),
    )
    .expect(200);
    let preview = get(&path, Some(&athlete.token)).expect(200)["gravure"].clone();
    assert_eq!(preview["nom"], "Martin");
    assert_eq!(preview["prenom"], "Julien");
    assert_eq!(preview["figee"], false);
    assert_eq!(preview["chrono"], "04:26:40", "best time by default");

    let v = post(
        &format!("{path}/valider-gravure"),
        Some(&athlete.token),
        &json!({ "nom": "Martin", "prenom": "Julien", "confirmation": true }),
    )
    .expect(200);
    assert_eq!(v["validation_sportif"], true);
    assert_eq!(v["chrono_id"], best);
    assert_eq!(v["duree_secondes"], 16_000);
    assert!(v["date_validation_sportif"].is_string());
    let g = &v["gravure"];
    assert_eq!(g["figee"], true);
    assert_eq!(
        (
            g["nom"].as_str(),
            g["prenom"].as_str(),
            g["chrono"].as_str()
        ),
        (Some("Martin"), Some("Julien"), Some("04:26:40"))
    );
    assert_eq!(g["date"], "20 JUILLET 2024");
    assert_eq!(g["numero"], v["numero"]);
    let h = v["historique"].as_array().unwrap();
    assert_eq!(h.last().unwrap()["by"], athlete.id);

    // After validation, a profile change no longer alters the medal.
    patch(
        "/api/user/profil",
        Some(&athlete.token),
        &json!({ "nom": "Durand" }),
    )
    .expect(200);
    let g = get(&path, Some(&athlete.token)).expect(200)["gravure"].clone();
    assert_eq!(g["nom"], "Martin");
    let frozen: String = db()
        .exec_first(
            "SELECT CAST(gravure_texte AS CHAR) FROM commandes WHERE id = ?",
            (id,),
        )
        .unwrap()
        .unwrap();
    let frozen: Value = serde_json::from_str(&frozen).unwrap();
    assert_eq!(frozen["nom"], "Martin");
    assert_eq!(frozen["chrono"], "04:26:40");
    assert_eq!(frozen["duree_secondes"], 16_000);
    assert_eq!(frozen["date"], "20 JUILLET 2024");
    assert_eq!(frozen["date_realisation"], "2024-07-20");

    post(
        &format!("{path}/valider-gravure"),
        Some(&athlete.token),
        &json!({ "nom": "Martin", "prenom": "Julien", "confirmation": true }),
    )
    .assert_error(409, "already_validated");
}

#[test]
fn validation_updates_the_profile_and_checks_its_input() {
    let (produit, _) = course();
    let athlete = user(Role::Sportif);
    let first = chrono(athlete.id, produit, 7_000, "2025-05-03");
    chrono(athlete.id, produit, 6_000, "2025-05-04");
    let id = id_of(&order(&athlete, produit));
    let path = format!("/api/commandes/{id}/valider-gravure");

    let bad = [
        json!({ "nom": "Martin", "prenom": "Julien" }),
        json!({ "nom": "Martin", "prenom": "Julien", "confirmation": false }),
        json!({ "nom": "", "prenom": "Julien", "confirmation": true }),
        json!({ "nom": "Robert'); DROP TABLE users;--", "prenom": "Julien", "confirmation": true }),
        json!({ "nom": "Martin", "prenom": "Julien", "confirmation": true, "extra": 1 }),
        json!({ "nom": "Martin", "prenom": "Julien", "confirmation": true, "chrono_id": 999_999_999u64 }),
    ];
    for body in bad {
        post(&path, Some(&athlete.token), &body).assert_error(422, "validation_error");
    }
    let names: (String, String) = db()
        .exec_first("SELECT nom, prenom FROM users WHERE id = ?", (athlete.id,))
        .unwrap()
        .unwrap();
    assert_eq!(
        names,
        ("Testeur".into(), "Camille".into()),
        "nothing half-written"
    );

    // Different names: the profile is updated, then frozen into the text;
    // an explicit chrono wins over the best one.
    let v = post(
        &path,
        Some(&athlete.token),
        &json!({ "nom": " Dubois ", "prenom": "Éloïse", "chrono_id": first, "confirmation": true }),
    )
    .expect(200);
    assert_eq!(v["gravure"]["nom"], "Dubois");
    assert_eq!(v["gravure"]["prenom"], "Éloïse");
    assert_eq!(v["gravure"]["chrono"], "01:56:40");
    assert_eq!(v["chrono_id"], first);
    let names: (String, String) = db()
        .exec_first("SELECT nom, prenom FROM users WHERE id = ?", (athlete.id,))
        .unwrap()
        .unwrap();
    assert_eq!(names, ("Dubois".into(), "Éloïse".into()));
    let audit: Option<u64> = db()
        .exec_first(
            "SELECT COUNT(*) FROM logs_audit WHERE entite = 'commande' AND entite_id = ? AND route LIKE '%valider-gravure'",
            (id,),
        )
        .unwrap();
    assert_eq!(audit, Some(1));
}

#[test]
fn validation_needs_a_validated_chrono_and_a_waiting_order() {
    let (produit, _) = course();
    let athlete = user(Role::Sportif);
    let body = json!({ "nom": "Testeur", "prenom": "Camille", "confirmation": true });
    // Bought before the effort: nothing to engrave yet.
    let id = id_of(&order(&athlete, produit));
    let path = format!("/api/commandes/{id}/valider-gravure");
    post(&path, Some(&athlete.token), &body).assert_error(409, "chrono_required");
    // A chrono waiting for validation is not enough.
    let c = chrono(athlete.id, produit, 4_000, "2025-07-01");
    sql(
        "UPDATE chronos SET statut = 'attente_validation' WHERE id = ?",
        (c,),
    );
    post(&path, Some(&athlete.token), &body).assert_error(409, "chrono_required");
    sql("UPDATE chronos SET statut = 'valide' WHERE id = ?", (c,));
    // A cancelled order cannot be validated.
    sql("UPDATE commandes SET statut = 'annule' WHERE id = ?", (id,));
    post(&path, Some(&athlete.token), &body).assert_error(409, "order_not_awaiting_engraving");
    sql(
        "UPDATE commandes SET statut = 'attente_gravure' WHERE id = ?",
        (id,),
    );
    post(&path, Some(&athlete.token), &body).expect(200);
}

// --------------------------------------------------------- status machine

#[test]
fn rule_1_1_no_engraving_before_validation_except_b2b() {
    let (produit, _) = course();
    let admin = user(Role::AdminFab);
    let athlete = user(Role::Sportif);
    chrono(athlete.id, produit, 4_000, "2025-07-01");
    let id = id_of(&order(&athlete, produit));

    set_statut(&statut_path(id), &admin.token, "en_gravure")
        .assert_error(409, "engraving_not_validated");
    assert_eq!(statut_of(id), "attente_gravure");
    assert_eq!(historique(id).len(), 1);

    post(
        &format!("/api/commandes/{id}/valider-gravure"),
        Some(&athlete.token),
        &json!({ "nom": "Testeur", "prenom": "Camille", "confirmation": true }),
    )
    .expect(200);
    let r = set_statut(&statut_path(id), &admin.token, "en_gravure").expect(200);
    assert_eq!(r["statut"], "en_gravure");

    // B2B orders have no athlete to validate: straight to engraving.
    let b2b = b2b_order(produit, None, &unique("Mairie "), None);
    let r = set_statut(&statut_path(b2b), &admin.token, "en_gravure").expect(200);
    assert_eq!(r["statut"], "en_gravure");
    assert_eq!(r["is_b2b"], true);
    assert_eq!(r["sportif"], Value::Null);
    assert_eq!(r["b2b_quantite"], 10);
}

/// The shortest path of allowed transitions from `attente_gravure` to `to`.
fn path_to(to: Statut) -> Vec<Statut> {
    let mut queue = VecDeque::from([vec![Statut::AttenteGravure]]);
    while let Some(path) = queue.pop_front() {
        let last = *path.last().unwrap();
        if last == to {
            return path[1..].to_vec();
        }
        for (from, next) in TRANSITIONS {
            if *from == last && !path.contains(next) {
                let mut longer = path.clone();
                longer.push(*next);
                queue.push_back(longer);
            }
        }
    }
    panic!("{to:?} unreachable");
}

fn move_to(id: u64, token: &str, to: Statut) -> Resp {
    patch(
        &statut_path(id),
        Some(token),
        &json!({ "statut": to.as_str(), "numero_suivi": "6A00000000001", "transporteur": "Colissimo" }),
    )
}

#[test]
fn every_allowed_transition_succeeds() {
    let (produit, _) = course();
    let admin = user(Role::SuperAdmin);
    for (from, to) in TRANSITIONS {
        let id = validated_order(produit, None);
        for step in path_to(*from) {
            move_to(id, &admin.token, step).expect(200);
        }
        let r = move_to(id, &admin.token, *to);
        let body = r.expect(200);
        assert_eq!(body["statut"], to.as_str(), "{from:?} → {to:?}");
        let last = historique(id).last().cloned().unwrap();
        assert_eq!(last["from"], from.as_str());
        assert_eq!(last["to"], to.as_str());
    }
}

#[test]
fn every_other_transition_is_refused() {
    let (produit, _) = course();
    let admin = user(Role::SuperAdmin);
    let id = b2b_order(produit, None, &unique("Boutique "), None);
    for from in Statut::ALL {
        for to in Statut::ALL {
            if TRANSITIONS.contains(&(from, to)) {
                continue;
            }
            sql(
                "UPDATE commandes SET statut = ?, historique = JSON_ARRAY() WHERE id = ?",
                (from.as_str(), id),
            );
            let r = move_to(id, &admin.token, to);
            r.assert_error(409, "transition_refused");
            assert!(r.json()["message"].as_str().unwrap().contains("Impossible"));
            assert_eq!(
                statut_of(id),
                from.as_str(),
                "{from:?} → {to:?} left the row alone"
            );
            assert!(historique(id).is_empty());
        }
    }
    // Unknown status, unknown field, unknown order, wrong role.
    set_statut(&statut_path(id), &admin.token, "perdu").assert_error(422, "validation_error");
    patch(
        &statut_path(id),
        Some(&admin.token),
        &json!({ "statut": "annule", "raison": "x" }),
    )
    .assert_error(422, "validation_error");
    set_statut(&statut_path(999_999_999), &admin.token, "annule")
        .assert_error(404, "order_not_found");
    let athlete = user(Role::Sportif);
    set_statut(&statut_path(id), &athlete.token, "annule").assert_error(403, "forbidden");
    let chrono_admin = user(Role::AdminChrono);
    set_statut(&statut_path(id), &chrono_admin.token, "annule").assert_error(403, "forbidden");
    patch(&statut_path(id), None, &json!({ "statut": "annule" }))
        .assert_error(401, "token_missing");
}

#[test]
fn shipping_needs_tracking_and_emails_the_athlete() {
    let (produit, _) = course();
    let admin = user(Role::AdminFab);
    let athlete = user(Role::Sportif);
    chrono(athlete.id, produit, 4_000, "2025-07-01");
    let id = id_of(&order(&athlete, produit));
    post(
        &format!("/api/commandes/{id}/valider-gravure"),
        Some(&athlete.token),
        &json!({ "nom": "Testeur", "prenom": "Camille", "confirmation": true }),
    )
    .expect(200);
    for s in ["en_gravure", "grave"] {
        set_statut(&statut_path(id), &admin.token, s).expect(200);
    }
    set_statut(&statut_path(id), &admin.token, "expedie").assert_error(422, "validation_error");
    patch(
        &statut_path(id),
        Some(&admin.token),
        &json!({ "statut": "expedie", "numero_suivi": "   " }),
    )
    .assert_error(422, "validation_error");
    assert_eq!(statut_of(id), "grave");

    let tracking = unique("6A").to_uppercase();
    let r = patch(
        &statut_path(id),
        Some(&admin.token),
        &json!({ "statut": "expedie", "tracking": tracking, "transporteur": "Colissimo", "commentaire": "Parti ce matin" }),
    )
    .expect(200);
    assert_eq!(r["statut"], "expedie");
    assert_eq!(r["tracking"], tracking.as_str());
    assert_eq!(r["transporteur"], "Colissimo");
    assert!(r["date_expedition"].is_string());
    let mail = wait_for_mail(&athlete.email, &tracking);
    assert!(mail.contains(r["numero"].as_str().unwrap()), "{mail}");
    assert!(mail.contains("Colissimo"), "{mail}");

    let r = set_statut(&statut_path(id), &admin.token, "livre").expect(200);
    assert!(r["date_livraison"].is_string());
}

#[test]
fn history_and_audit_record_every_change() {
    let (produit, _) = course();
    let admin = user(Role::AdminFab);
    let id = b2b_order(produit, None, &unique("Club "), None);
    patch(
        &statut_path(id),
        Some(&admin.token),
        &json!({ "statut": "en_gravure", "commentaire": "Lot du matin" }),
    )
    .expect(200);
    set_statut(&statut_path(id), &admin.token, "annule").expect(200);

    let detail = get(&format!("/api/commandes/{id}"), Some(&admin.token)).expect(200);
    let h = detail["historique"].as_array().unwrap();
    assert_eq!(h.len(), 3);
    assert_eq!(h[0]["from"], Value::Null);
    let e = &h[1];
    assert_eq!(
        (
            e["from"].as_str(),
            e["to"].as_str(),
            e["by"].as_u64(),
            e["comment"].as_str()
        ),
        (
            Some("attente_gravure"),
            Some("en_gravure"),
            Some(admin.id),
            Some("Lot du matin")
        )
    );
    assert!(e["at"].as_str().unwrap().len() >= 19);
    assert_eq!(h[2]["to"], "annule");

    let rows: Vec<(String, u64, String)> = db()
        .exec(
            "SELECT type, user_id, CAST(details AS CHAR) FROM logs_audit WHERE type = 'commande' AND entite_id = ? ORDER BY id",
            (id,),
        )
        .unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().all(|(_, user, _)| *user == admin.id));
    let details: Value = serde_json::from_str(&rows[0].2).unwrap();
    assert_eq!(details["from"], "attente_gravure");
    assert_eq!(details["to"], "en_gravure");
}

#[test]
fn engraving_consumes_the_atelier_stock() {
    let (produit, _) = course();
    let atelier_id = atelier();
    let op = user_in(Role::OperateurFab, Some(atelier_id));
    sql(
        "INSERT INTO stocks (produit_id, atelier_id, quantite) VALUES (?, ?, 5)",
        (produit, atelier_id),
    );
    let id = validated_order(produit, Some(atelier_id));
    set_statut(&statut_path(id), &op.token, "en_gravure").expect(200);
    let stock = || -> i64 {
        db().exec_first(
            "SELECT quantite FROM stocks WHERE produit_id = ? AND atelier_id = ?",
            (produit, atelier_id),
        )
        .unwrap()
        .unwrap()
    };
    assert_eq!(stock(), 5, "nothing consumed before the medal is engraved");
    let r = set_statut(&statut_path(id), &op.token, "grave").expect(200);
    assert!(r["date_gravure"].is_string());
    assert_eq!(stock(), 4);
    let mvt: Option<(String, i64, i64, u64)> = db()
        .exec_first(
            "SELECT type, quantite, quantite_apres, user_id FROM stock_mouvements WHERE commande_id = ?",
            (id,),
        )
        .unwrap();
    assert_eq!(mvt, Some(("gravure".into(), -1, 4, op.id)));
    let operateur: Option<u64> = db()
        .exec_first("SELECT operateur_id FROM commandes WHERE id = ?", (id,))
        .unwrap()
        .flatten();
    assert_eq!(operateur, Some(op.id));
}

// ------------------------------------------------------ operators' list

#[test]
fn operators_only_see_and_touch_their_atelier() {
    let (produit, _) = course();
    let (a, b) = (atelier(), atelier());
    let op_a = user_in(Role::OperateurFab, Some(a));
    let op_nowhere = user_in(Role::OperateurFab, None);
    let admin = user(Role::AdminFab);
    let in_a = b2b_order(produit, Some(a), &unique("Mairie A "), None);
    let in_b = b2b_order(produit, Some(b), &unique("Mairie B "), None);
    let unassigned = b2b_order(produit, None, &unique("Mairie C "), None);
    let list = |token: &str, extra: &str| -> Vec<u64> {
        get(
            &format!("/api/commandes?produit_id={produit}{extra}"),
            Some(token),
        )
        .expect(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(list(&op_a.token, ""), vec![in_a]);
    assert_eq!(
        list(&op_a.token, &format!("&atelier_id={b}")),
        vec![in_a],
        "filter overridden"
    );
    assert!(list(&op_nowhere.token, "").is_empty());
    let mut all = list(&admin.token, "");
    all.sort_unstable();
    assert_eq!(all, vec![in_a, in_b, unassigned]);
    assert_eq!(list(&admin.token, &format!("&atelier_id={b}")), vec![in_b]);

    for other in [in_b, unassigned] {
        get(&format!("/api/commandes/{other}"), Some(&op_a.token))
            .assert_error(404, "order_not_found");
        set_statut(&statut_path(other), &op_a.token, "en_gravure")
            .assert_error(404, "order_not_found");
        assert_eq!(statut_of(other), "attente_gravure");
    }
    get(&format!("/api/commandes/{in_a}"), Some(&op_a.token)).expect(200);
    set_statut(&statut_path(in_a), &op_a.token, "en_gravure").expect(200);
    set_statut(&statut_path(unassigned), &admin.token, "en_gravure").expect(200);
}

#[test]
fn list_filters_search_and_pagination() {
    let (produit, _) = course();
    let admin = user(Role::SuperAdmin);
    let athlete = user(Role::Sportif);
    let family = unique("Zorglub");
    sql(
        "UPDATE users SET nom = ? WHERE id = ?",
        (&family, athlete.id),
    );
    chrono(athlete.id, produit, 4_000, "2025-07-01");
    let o1 = order(&athlete, produit);
    let o2 = order(&athlete, produit);
    let fab_code = unique("F");
    let mut conn = db();
    conn.exec_drop(
        "INSERT INTO fabricants (nom, code) VALUES ('Fabricant test', ?)",
        (&fab_code,),
    )
    .unwrap();
    let fabricant = conn.last_insert_id();
    let client = unique("Mairie de Test ");
    let b2b = b2b_order(produit, None, &client, Some(fabricant));
    sql(
        "UPDATE commandes SET date_commande = '2020-03-15 10:00:00' WHERE id = ?",
        (id_of(&o1),),
    );
    sql(
        "UPDATE commandes SET statut = 'annule' WHERE id = ?",
        (id_of(&o2),),
    );

    let ids = |query: &str| -> (Vec<u64>, u64) {
        let r = get(
            &format!("/api/commandes?produit_id={produit}&{query}"),
            Some(&admin.token),
        )
        .expect(200);
        let ids = r["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_u64().unwrap())
            .collect();
        (ids, r["total"].as_u64().unwrap())
    };
    let (o1, o2) = (id_of(&o1), id_of(&o2));
    assert_eq!(ids("").0, vec![b2b, o2, o1], "newest first");
    assert_eq!(ids("sort=ancien").0, vec![o1, o2, b2b]);
    assert_eq!(ids("b2b=true"), (vec![b2b], 1));
    assert_eq!(ids("b2b=false").0, vec![o2, o1]);
    assert_eq!(
        ids(&format!("b2b=true&fabricant_id={fabricant}")).0,
        vec![b2b]
    );
    assert_eq!(ids("statut=annule").0, vec![o2]);
    assert_eq!(ids("statut=annule,attente_gravure").1, 3);
    assert_eq!(ids("validation_sportif=false").1, 3);
    assert_eq!(ids("from=2020-03-15&to=2020-03-15").0, vec![o1]);
    assert_eq!(ids("to=2020-03-14").1, 0);
    assert_eq!(
        ids(&format!("q={}", &family.to_lowercase())).0,
        vec![o2, o1]
    );
    assert_eq!(ids(&format!("q={}", athlete.email)).1, 2);
    let numero = db()
        .exec_first::<String, _, _>("SELECT numero FROM commandes WHERE id = ?", (o1,))
        .unwrap()
        .unwrap();
    assert_eq!(ids(&format!("q={numero}")).0, vec![o1]);
    assert_eq!(
        ids(&format!("q={}", client.replace(' ', "%20"))).0,
        vec![b2b]
    );
    assert_eq!(ids("q=%25").1, 0, "a % is searched literally");

    let p1 = get(
        &format!("/api/commandes?produit_id={produit}&per_page=2"),
        Some(&admin.token),
    )
    .expect(200);
    assert_eq!(
        (p1["total"].as_u64(), p1["per_page"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(p1["items"].as_array().unwrap().len(), 2);
    let p2 = get(
        &format!("/api/commandes?produit_id={produit}&per_page=2&page=2"),
        Some(&admin.token),
    )
    .expect(200);
    assert_eq!(p2["page"], 2);
    assert_eq!(p2["items"][0]["id"], o1);

    let row = &get(
        &format!("/api/commandes?produit_id={produit}&b2b=false&sort=ancien"),
        Some(&admin.token),
    )
    .expect(200)["items"][0];
    assert_eq!(row["sportif"]["email"], athlete.email.as_str());
    assert_eq!(row["sportif"]["nom"], family.as_str());
    assert_eq!(row["parcours"]["id"], produit);
    assert_eq!(row["validation_sportif"], false);

    for bad in [
        "statut=perdu",
        "b2b=oui",
        "from=15/03/2020",
        "to=2020-02-30",
        "per_page=500",
        "page=0",
        "sort=prix",
        "atelier_id=abc",
    ] {
        get(&format!("/api/commandes?{bad}"), Some(&admin.token))
            .assert_error(422, "validation_error");
    }
}

// -------------------------------------------------------------- dashboard

#[expect(
    clippy::many_single_char_names,
    reason = "short names for the dashboard's parts, as the wireframe reads"
)]
#[test]
fn dashboard_shows_what_the_wireframe_shows() {
    let (izoard, _) = course();
    let (galibier, _) = course();
    let (ventoux, _) = course();
    let julien = user(Role::Sportif);
    sql(
        "UPDATE users SET nom = 'Martin', prenom = 'Julien' WHERE id = ?",
        (julien.id,),
    );
    // The Izoard podium: three faster athletes, one slower.
    for (prenom, secs) in [
        ("Thomas", 4_931),
        ("Claire", 5_464),
        ("Michel", 6_273),
        ("Lent", 20_000),
    ] {
        let u = user(Role::Sportif);
        sql("UPDATE users SET prenom = ? WHERE id = ?", (prenom, u.id));
        chrono(u.id, izoard, secs, "2025-06-01");
    }
    chrono(julien.id, izoard, 16_500, "2024-07-10");
    let best = chrono(julien.id, izoard, 16_337, "2024-07-14");
    chrono(julien.id, ventoux, 8_144, "2025-05-03");
    sql("UPDATE chronos SET valide_at = NOW() - INTERVAL 10 DAY WHERE user_id = ? AND produit_id = ?", (julien.id, ventoux));
    sql("UPDATE chronos SET valide_at = NOW() WHERE id = ?", (best,));

    let to_validate = id_of(&order(&julien, izoard));
    let bought = id_of(&order(&julien, galibier));
    let shipped = id_of(&order(&julien, ventoux));
    sql(
        "UPDATE commandes SET statut = 'expedie', validation_sportif = TRUE WHERE id = ?",
        (shipped,),
    );

    let d = get("/api/dashboard", Some(&julien.token)).expect(200);
    let a = d["a_valider"].as_array().unwrap();
    assert_eq!(a.len(), 1, "{d}");
    assert_eq!(a[0]["commande_id"], to_validate);
    assert_eq!(a[0]["parcours"]["id"], izoard);
    assert_eq!(a[0]["chrono"], "04:32:17");
    assert_eq!(a[0]["date"], "14/07/2024");
    assert_eq!(a[0]["gravure"]["nom"], "Martin");
    assert_eq!(a[0]["gravure"]["date"], "14 JUILLET 2024");

    let b = d["parcours_achetes_non_realises"].as_array().unwrap();
    assert_eq!(b.len(), 1, "{d}");
    assert_eq!(b[0]["parcours"]["id"], galibier);
    assert_eq!(b[0]["commande_id"], bought);

    let r = d["parcours_realises"].as_array().unwrap();
    assert_eq!(r.len(), 2);
    assert_eq!(r[0]["parcours"]["id"], izoard, "most recent first");
    assert_eq!(r[0]["meilleur_temps"], "04:32:17");
    assert_eq!(r[0]["nb_exploits"], 2);
    assert_eq!(r[0]["classement"], "4/5");
    assert_eq!(r[1]["parcours"]["id"], ventoux);
    assert_eq!(r[1]["classement"], "1/1");

    let s = &d["stats"];
    assert_eq!(s["exploits"], 3);
    assert_eq!(s["medailles"], 1);
    assert_eq!(s["parcours_distincts"], 2);
    assert!(s["sportifs_actifs"].as_u64().unwrap() >= 5);

    let m = &d["meilleurs_temps"];
    assert_eq!(m["parcours"]["id"], izoard);
    let podium: Vec<(&str, &str)> = m["podium"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["prenom"].as_str().unwrap(), p["chrono"].as_str().unwrap()))
        .collect();
    assert_eq!(
        podium,
        vec![
            ("Thomas", "01:22:11"),
            ("Claire", "01:31:04"),
            ("Michel", "01:44:33")
        ]
    );
    assert!(m["podium"][0].get("nom").is_none(), "first names only");
    assert_eq!(m["vous"]["rang"], 4);
    assert_eq!(m["vous"]["total"], 5);

    // Once validated, the medal leaves the list to validate.
    post(
        &format!("/api/commandes/{to_validate}/valider-gravure"),
        Some(&julien.token),
        &json!({ "nom": "Martin", "prenom": "Julien", "confirmation": true }),
    )
    .expect(200);
    let d = get("/api/dashboard", Some(&julien.token)).expect(200);
    assert!(d["a_valider"].as_array().unwrap().is_empty());

    let newcomer = user(Role::Sportif);
    let d = get("/api/dashboard", Some(&newcomer.token)).expect(200);
    assert_eq!(d["meilleurs_temps"], Value::Null);
    assert_eq!(d["stats"]["exploits"], 0);
    get("/api/dashboard", Some(&user(Role::AdminFab).token)).assert_error(403, "forbidden");
    get("/api/dashboard", None).assert_error(401, "token_missing");
}
