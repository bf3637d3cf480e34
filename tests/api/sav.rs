//! Spec §5.5, §5.10, §10.2, §1.4: SAV Express, SAV tickets, quality defects
//! and their catalogues, B2B orders by hand, fabricants.

use crate::common::*;
use mykollector::api::commandes::status::{change_status, Shipping, Statut};
use mykollector::api::commandes::{insert_order, NewOrder};
use mykollector::security::jwt::Claims;
use mykollector::security::{tokens, Role};
use mysql::prelude::Queryable;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

/// A course with a unique 3-letter code (retried on the rare collision with
/// a parallel test).
fn course() -> u64 {
    cycling_course("col-sav-", |slug, _| format!("Col de test {slug}")).0
}

/// An order of `athlete` (None: no account) in `statut`.
fn order(
    athlete: Option<&TestUser>,
    produit: u64,
    atelier: Option<u64>,
    statut: &str,
) -> (u64, String) {
    let mut conn = db();
    let created = insert_order(
        &mut conn,
        &NewOrder {
            user_id: athlete.map(|u| u.id),
            produit_id: produit,
            atelier_id: atelier,
            chrono_valide: true,
            duree_secondes: Some(16_337),
            gravure_texte: json!({
                "nom": "DUPONT", "prenom": "Camille", "chrono": "04:32:17",
                "date": "14 JUILLET 2024", "numero": "",
            }),
            validation_sportif: true,
            email_client: athlete.is_none().then(|| "client@example.fr".to_string()),
            ..NewOrder::default()
        },
        None,
    )
    .expect("insert order");
    conn.exec_drop(
        r#"UPDATE commandes SET statut = ?, date_validation_sportif = NOW(),
             adresse_livraison = '{"ville": "Briançon"}' WHERE id = ?"#,
        (statut, created.id),
    )
    .unwrap();
    (created.id, created.numero)
}

fn statut_of(id: u64) -> String {
    db().exec_first("SELECT statut FROM commandes WHERE id = ?", (id,))
        .unwrap()
        .unwrap()
}

fn count(sql: &str, id: u64) -> u64 {
    db().exec_first(sql, (id,)).unwrap().unwrap()
}

fn type_id(code: &str) -> u64 {
    db().exec_first("SELECT id FROM types_defauts WHERE code = ?", (code,))
        .unwrap()
        .expect("seeded defect type")
}

fn cause_id(code: &str) -> u64 {
    db().exec_first("SELECT id FROM causes_defauts WHERE code = ?", (code,))
        .unwrap()
        .expect("seeded defect cause")
}

/// Percent-encodes a query value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn ids(list: &Value) -> Vec<u64> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_u64().unwrap())
        .collect()
}

// ---------------------------------------------------------------------------
// SAV Express
// ---------------------------------------------------------------------------

#[test]
fn search_by_number_name_email_and_b2b_client() {
    let (a, b) = (atelier(), atelier());
    let produit = course();
    let athlete = user(Role::Sportif);
    let nom = unique("Dupont");
    db().exec_drop(
        "UPDATE users SET nom = ?, prenom = 'Éloïse' WHERE id = ?",
        (&nom, athlete.id),
    )
    .unwrap();
    let (id, numero) = order(Some(&athlete), produit, Some(a), "livre");
    let op_a = user_in(Role::OperateurFab, Some(a));
    let op_b = user_in(Role::OperateurFab, Some(b));
    let admin = user(Role::AdminFab);

    let find = |q: &str, token: &str| -> Vec<u64> {
        let path = format!("/api/fab/sav/recherche?q={}", enc(q));
        ids(&get(&path, Some(token)).expect(200))
    };
    assert_eq!(find(&numero, &op_a.token), vec![id]);
    assert_eq!(find(&nom, &op_a.token), vec![id]);
    assert_eq!(find(&format!("Éloïse {nom}"), &admin.token), vec![id]);
    assert_eq!(find(&athlete.email, &admin.token), vec![id]);
    // Another atelier's operator finds nothing.
    assert!(find(&numero, &op_b.token).is_empty());

    let hit = get(
        &format!("/api/fab/sav/recherche?q={numero}"),
        Some(&op_a.token),
    )
    .expect(200);
    let item = &hit["items"][0];
    assert_eq!(item["statut"], "livre");
    assert_eq!(item["sav_possible"], true);
    assert_eq!(item["produit_id"], produit);
    assert!(item["parcours"]
        .as_str()
        .unwrap()
        .starts_with("Col de test"));
    assert_eq!(item["sportif_email"], athlete.email.as_str());

    // B2B client name; LIKE wildcards in the query are literal.
    let client = unique("Mairie de Briançon ");
    let b2b = post(
        "/api/commandes/b2b",
        Some(&admin.token),
        &json!({ "b2b_client_nom": client, "b2b_client_type": "mairie", "b2b_quantite": 4,
                 "produit_id": produit, "atelier_id": a }),
    )
    .expect(201);
    assert_eq!(
        find(&client, &op_a.token),
        vec![b2b["id"].as_u64().unwrap()]
    );
    assert!(find(&format!("{}%", &client[..client.len() - 3]), &admin.token).is_empty());

    get("/api/fab/sav/recherche?q=a", Some(&admin.token)).assert_error(422, "validation_error");
    get("/api/fab/sav/recherche", Some(&admin.token)).assert_error(422, "validation_error");
    get(
        "/api/fab/sav/recherche?q=dupont",
        Some(&user(Role::Sportif).token),
    )
    .assert_error(403, "forbidden");
    get("/api/fab/sav/recherche?q=dupont", None).assert_error(401, "token_missing");
}

#[test]
fn sav_express_makes_a_linked_replacement_and_moves_the_original_to_sav() {
    let a = atelier();
    let produit = course();
    let athlete = user(Role::Sportif);
    let (id, numero) = order(Some(&athlete), produit, Some(a), "livre");
    let op = user_in(Role::OperateurFab, Some(a));

    let r = post(
        "/api/fab/sav/express",
        Some(&op.token),
        &json!({ "commande_id": id, "motif": "rayure", "geste": "medaille_offerte",
                 "description": "Rayure sur la face gravée" }),
    )
    .expect(201);
    let ticket = &r["ticket"];
    let sav = &r["commande_sav"];
    assert!(ticket["numero"].as_str().unwrap().starts_with("SAV-20"));
    assert_eq!(ticket["commande_id"], id);
    assert_eq!(ticket["commande_numero"], numero.as_str());
    assert_eq!(ticket["statut"], "ouvert");
    assert_eq!(ticket["motif"], "rayure");
    assert_eq!(ticket["geste"], "medaille_offerte");
    assert_eq!(ticket["cree_par"], op.id);
    let sav_id = sav["id"].as_u64().unwrap();
    assert_eq!(ticket["commande_sav_id"], sav_id);
    assert_eq!(ticket["commande_sav_numero"], sav["numero"]);
    assert_ne!(sav["numero"], numero.as_str());
    assert_eq!(sav["statut"], "attente_gravure");
    assert_eq!(sav["is_sav"], true);
    assert_eq!(sav["commande_origine_id"], id);
    assert_eq!(sav["validation_sportif"], true);
    assert_eq!(sav["gravure_texte"]["chrono"], "04:32:17");
    assert!(sav["gravure_texte"].get("a_corriger").is_none());

    // The rows: replacement copies athlete, course, atelier, chrono, address.
    #[expect(
        clippy::type_complexity,
        reason = "a test's row, read by position against the SELECT beside it"
    )]
    let row: (
        Option<u64>,
        u64,
        Option<u64>,
        Option<u64>,
        bool,
        bool,
        Option<u64>,
        Option<String>,
        Option<String>,
    ) = db()
        .exec_first(
            r"SELECT user_id, produit_id, atelier_id, duree_secondes, is_sav, validation_sportif,
                     commande_origine_id, adresse_livraison,
                     DATE_FORMAT(date_validation_sportif, '%Y')
              FROM commandes WHERE id = ?",
            (sav_id,),
        )
        .unwrap()
        .unwrap();
    assert_eq!(row.0, Some(athlete.id));
    assert_eq!(row.1, produit);
    assert_eq!(row.2, Some(a));
    assert_eq!(row.3, Some(16_337));
    assert!(row.4 && row.5);
    assert_eq!(row.6, Some(id));
    assert!(row.7.unwrap().contains("Briançon"));
    assert!(
        row.8.is_some(),
        "validation date copied with the validation"
    );
    let linked: Option<u64> = db()
        .exec_first(
            "SELECT commande_sav_id FROM sav_tickets WHERE commande_id = ?",
            (id,),
        )
        .unwrap()
        .unwrap();
    assert_eq!(linked, Some(sav_id));

    // The original went to `sav` through the status machine.
    assert_eq!(statut_of(id), "sav");
    let historique: String = db()
        .exec_first("SELECT historique FROM commandes WHERE id = ?", (id,))
        .unwrap()
        .unwrap();
    let historique: Value = serde_json::from_str(&historique).unwrap();
    let last = historique.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["from"], "livre");
    assert_eq!(last["to"], "sav");
    assert_eq!(last["by"], op.id);
    assert!(last["comment"]
        .as_str()
        .unwrap()
        .contains(ticket["numero"].as_str().unwrap()));

    // A second SAV on the same order is refused, nothing more written.
    post(
        "/api/fab/sav/express",
        Some(&op.token),
        &json!({ "commande_id": id, "motif": "colis_perdu", "geste": "medaille_offerte" }),
    )
    .assert_error(409, "order_already_in_sav");
    assert_eq!(
        count("SELECT COUNT(*) FROM sav_tickets WHERE commande_id = ?", id),
        1
    );
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM commandes WHERE commande_origine_id = ?",
            id
        ),
        1
    );
}

#[test]
fn sav_express_text_error_needs_a_new_validation() {
    let a = atelier();
    let athlete = user(Role::Sportif);
    let (id, _) = order(Some(&athlete), course(), Some(a), "expedie");
    let admin = user(Role::AdminFab);
    let r = post(
        "/api/fab/sav/express",
        Some(&admin.token),
        &json!({ "commande_id": id, "motif": "erreur_texte", "geste": "livraison_offerte" }),
    )
    .expect(201);
    let sav = &r["commande_sav"];
    assert_eq!(sav["validation_sportif"], false);
    assert_eq!(sav["gravure_texte"]["a_corriger"], true);
    assert_eq!(sav["gravure_texte"]["nom"], "DUPONT");
    let date: Option<String> = db()
        .exec_first(
            "SELECT DATE_FORMAT(date_validation_sportif, '%Y') FROM commandes WHERE id = ?",
            (sav["id"].as_u64().unwrap(),),
        )
        .unwrap()
        .unwrap();
    assert_eq!(date, None, "no validation date without a validation");
    assert_eq!(statut_of(id), "sav");
}

#[test]
fn sav_express_refund_or_complaint_makes_no_order() {
    let a = atelier();
    let produit = course();
    let admin = user(Role::SuperAdmin);
    for (motif, geste) in [("rayure", "remboursement"), ("reclamation", "remise_10")] {
        let (id, _) = order(Some(&user(Role::Sportif)), produit, Some(a), "grave");
        let r = post(
            "/api/fab/sav/express",
            Some(&admin.token),
            &json!({ "commande_id": id, "motif": motif, "geste": geste }),
        )
        .expect(201);
        assert!(r["commande_sav"].is_null(), "{motif}/{geste}");
        assert!(r["ticket"]["commande_sav_id"].is_null());
        assert_eq!(r["ticket"]["geste"], geste);
        assert_eq!(statut_of(id), "sav");
        assert_eq!(
            count(
                "SELECT COUNT(*) FROM commandes WHERE commande_origine_id = ?",
                id
            ),
            0
        );
    }
}

#[test]
fn sav_express_refused_before_engraving_writes_nothing() {
    let a = atelier();
    let admin = user(Role::AdminFab);
    for statut in ["attente_gravure", "en_gravure", "annule"] {
        let (id, _) = order(Some(&user(Role::Sportif)), course(), Some(a), statut);
        let r = post(
            "/api/fab/sav/express",
            Some(&admin.token),
            &json!({ "commande_id": id, "motif": "rayure", "geste": "medaille_offerte" }),
        );
        r.assert_error(409, "sav_not_allowed");
        assert!(r.json()["message"].as_str().unwrap().contains("gravée"));
        assert_eq!(statut_of(id), statut);
        assert_eq!(
            count("SELECT COUNT(*) FROM sav_tickets WHERE commande_id = ?", id),
            0
        );
        assert_eq!(
            count(
                "SELECT COUNT(*) FROM commandes WHERE commande_origine_id = ?",
                id
            ),
            0
        );
        let history: u64 = count(
            "SELECT JSON_LENGTH(historique) FROM commandes WHERE id = ?",
            id,
        );
        assert_eq!(history, 1, "only the creation entry");
    }
}

#[test]
fn sav_express_is_bound_to_the_operator_atelier() {
    let (a, b) = (atelier(), atelier());
    let (id, _) = order(Some(&user(Role::Sportif)), course(), Some(a), "livre");
    let op_b = user_in(Role::OperateurFab, Some(b));
    let body = json!({ "commande_id": id, "motif": "rayure", "geste": "medaille_offerte" });
    post("/api/fab/sav/express", Some(&op_b.token), &body).assert_error(404, "order_not_found");
    // An operator without atelier is bound to nothing.
    let lost = user_in(Role::OperateurFab, None);
    post("/api/fab/sav/express", Some(&lost.token), &body).assert_error(404, "order_not_found");
    assert_eq!(statut_of(id), "livre");
    assert_eq!(
        count("SELECT COUNT(*) FROM sav_tickets WHERE commande_id = ?", id),
        0
    );
    // Not even the order's status leaks: 404, not the 409 an owner gets.
    let (young, _) = order(
        Some(&user(Role::Sportif)),
        course(),
        Some(a),
        "attente_gravure",
    );
    post(
        "/api/fab/sav/express",
        Some(&op_b.token),
        &json!({ "commande_id": young, "motif": "rayure", "geste": "medaille_offerte" }),
    )
    .assert_error(404, "order_not_found");

    post(
        "/api/fab/sav/express",
        Some(&user(Role::Sportif).token),
        &body,
    )
    .assert_error(403, "forbidden");
    post(
        "/api/fab/sav/express",
        Some(&user(Role::AdminChrono).token),
        &body,
    )
    .assert_error(403, "forbidden");
    post("/api/fab/sav/express", None, &body).assert_error(401, "token_missing");
    let op_a = user_in(Role::OperateurFab, Some(a));
    post("/api/fab/sav/express", Some(&op_a.token), &body).expect(201);
}

#[test]
fn sav_express_validation() {
    let a = atelier();
    let admin = user(Role::AdminFab);
    let (id, _) = order(Some(&user(Role::Sportif)), course(), Some(a), "livre");
    for body in [
        json!({ "commande_id": id, "motif": "casse", "geste": "medaille_offerte" }),
        json!({ "commande_id": id, "motif": "rayure", "geste": "bon_achat" }),
        json!({ "commande_id": id, "motif": "rayure" }),
        json!({ "commande_id": id, "motif": "rayure", "geste": "remise_10", "b2b_quantite": 2 }),
        json!({ "commande_id": id, "motif": "rayure", "geste": "remise_10", "description": "x".repeat(5001) }),
    ] {
        post("/api/fab/sav/express", Some(&admin.token), &body)
            .assert_error(422, "validation_error");
    }
    post(
        "/api/fab/sav/express",
        Some(&admin.token),
        &json!({ "commande_id": 999_999_999u64, "motif": "rayure", "geste": "remise_10" }),
    )
    .assert_error(404, "order_not_found");
    assert_eq!(statut_of(id), "livre");
    assert_eq!(
        count("SELECT COUNT(*) FROM sav_tickets WHERE commande_id = ?", id),
        0
    );
}

#[test]
fn sav_express_on_a_b2b_order_remakes_part_of_the_batch() {
    let a = atelier();
    let produit = course();
    let admin = user(Role::AdminFab);
    let b2b = post(
        "/api/commandes/b2b",
        Some(&admin.token),
        &json!({ "b2b_client_nom": "Office de tourisme du Queyras", "b2b_client_type": "association",
                 "b2b_quantite": 10, "produit_id": produit, "atelier_id": a }),
    )
    .expect(201);
    let id = b2b["id"].as_u64().unwrap();
    db().exec_drop(
        "UPDATE commandes SET statut = 'expedie' WHERE id = ?",
        (id,),
    )
    .unwrap();
    post(
        "/api/fab/sav/express",
        Some(&admin.token),
        &json!({ "commande_id": id, "motif": "medaille_endommagee", "geste": "medaille_offerte", "b2b_quantite": 11 }),
    )
    .assert_error(422, "validation_error");
    let r = post(
        "/api/fab/sav/express",
        Some(&admin.token),
        &json!({ "commande_id": id, "motif": "medaille_endommagee", "geste": "medaille_offerte", "b2b_quantite": 3 }),
    )
    .expect(201);
    let sav = &r["commande_sav"];
    assert_eq!(sav["is_b2b"], true);
    assert_eq!(sav["is_sav"], true);
    assert_eq!(sav["b2b_quantite"], 3);
    assert_eq!(sav["b2b_client_nom"], "Office de tourisme du Queyras");
    assert!(sav["user_id"].is_null());
}

// ---------------------------------------------------------------------------
// SAV tickets
// ---------------------------------------------------------------------------

#[test]
fn ticket_crud_and_transitions() {
    let a = atelier();
    let (id, numero) = order(Some(&user(Role::Sportif)), course(), Some(a), "livre");
    let op = user_in(Role::OperateurFab, Some(a));
    let colleague = user_in(Role::OperateurFab, Some(a));
    let admin = user(Role::AdminFab);

    let t = post(
        "/api/sav",
        Some(&op.token),
        &json!({ "commande_id": id, "motif": "reclamation", "description": "Ruban manquant" }),
    )
    .expect(201);
    let tid = t["id"].as_u64().unwrap();
    assert_eq!(t["statut"], "ouvert");
    assert!(t["geste"].is_null());
    assert!(t["commande_sav_id"].is_null());
    assert!(t["numero"].as_str().unwrap().starts_with("SAV-"));
    // A plain ticket neither moves the order nor makes one.
    assert_eq!(statut_of(id), "livre");
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM commandes WHERE commande_origine_id = ?",
            id
        ),
        0
    );

    // List and filters.
    let list = get(&format!("/api/sav?commande_id={id}"), Some(&op.token)).expect(200);
    assert_eq!(ids(&list), vec![tid]);
    assert_eq!(list["total"], 1);
    assert_eq!(list["page"], 1);
    assert_eq!(list["per_page"], 50);
    let by_number = get(&format!("/api/sav?q={numero}"), Some(&admin.token)).expect(200);
    assert_eq!(ids(&by_number), vec![tid]);
    let other_motif = get(
        &format!("/api/sav?commande_id={id}&motif=rayure"),
        Some(&op.token),
    )
    .expect(200);
    assert!(ids(&other_motif).is_empty());
    let other_statut = get(
        &format!("/api/sav?commande_id={id}&statut=ferme"),
        Some(&op.token),
    )
    .expect(200);
    assert_eq!(other_statut["total"], 0);
    get("/api/sav?statut=perdu", Some(&op.token)).assert_error(422, "validation_error");
    get("/api/sav?per_page=500", Some(&op.token)).assert_error(422, "validation_error");

    // Show.
    let shown = get(&format!("/api/sav/{tid}"), Some(&op.token)).expect(200);
    assert_eq!(shown["ticket"]["id"], tid);
    assert_eq!(shown["commande"]["numero"], numero.as_str());
    assert!(shown["commande_sav"].is_null());

    // Transitions: en_cours (assigned) → resolu (stamped) → en_cours
    // (cleared) → resolu → ferme (final).
    let p = |body: Value| patch(&format!("/api/sav/{tid}"), Some(&op.token), &body);
    let u = p(json!({ "statut": "en_cours", "assigne_a": colleague.id })).expect(200);
    assert_eq!(u["statut"], "en_cours");
    assert_eq!(u["assigne_a"], colleague.id);
    assert!(u["resolu_at"].is_null());
    let u = p(json!({ "statut": "resolu" })).expect(200);
    assert!(u["resolu_at"].is_string());
    assert_eq!(u["assigne_a"], colleague.id, "absent fields are unchanged");
    let u = p(json!({ "statut": "en_cours" })).expect(200);
    assert!(u["resolu_at"].is_null());
    p(json!({ "statut": "resolu" })).expect(200);
    let u = p(json!({ "statut": "ferme", "assigne_a": null, "description": "Ruban renvoyé" }))
        .expect(200);
    assert_eq!(u["statut"], "ferme");
    assert!(
        u["resolu_at"].is_string(),
        "closing keeps the resolution date"
    );
    assert!(u["assigne_a"].is_null());
    assert_eq!(u["description"], "Ruban renvoyé");
    p(json!({ "statut": "ouvert" })).assert_error(409, "ticket_transition_refused");
    p(json!({ "statut": "archive" })).assert_error(422, "validation_error");
    p(json!({ "priorite": 1 })).assert_error(422, "validation_error");
    let db_statut: String = db()
        .exec_first("SELECT statut FROM sav_tickets WHERE id = ?", (tid,))
        .unwrap()
        .unwrap();
    assert_eq!(db_statut, "ferme");

    // Delete: admin+ only.
    delete(&format!("/api/sav/{tid}"), Some(&op.token)).assert_error(403, "forbidden");
    delete(&format!("/api/sav/{tid}"), Some(&admin.token)).expect(204);
    get(&format!("/api/sav/{tid}"), Some(&admin.token)).assert_error(404, "sav_ticket_not_found");
    delete(&format!("/api/sav/{tid}"), Some(&admin.token))
        .assert_error(404, "sav_ticket_not_found");
    assert_eq!(
        count("SELECT COUNT(*) FROM commandes WHERE id = ?", id),
        1,
        "the order stays"
    );
}

#[test]
fn tickets_are_bound_to_the_operator_atelier() {
    let (a, b) = (atelier(), atelier());
    let (id, _) = order(Some(&user(Role::Sportif)), course(), Some(a), "livre");
    let admin = user(Role::AdminFab);
    let t = post(
        "/api/sav",
        Some(&admin.token),
        &json!({ "commande_id": id, "motif": "colis_perdu", "geste": "livraison_offerte" }),
    )
    .expect(201);
    let tid = t["id"].as_u64().unwrap();
    let op_b = user_in(Role::OperateurFab, Some(b));
    get(&format!("/api/sav/{tid}"), Some(&op_b.token)).assert_error(404, "sav_ticket_not_found");
    patch(
        &format!("/api/sav/{tid}"),
        Some(&op_b.token),
        &json!({ "statut": "en_cours" }),
    )
    .assert_error(404, "sav_ticket_not_found");
    let list = get(&format!("/api/sav?commande_id={id}"), Some(&op_b.token)).expect(200);
    assert_eq!(list["total"], 0);
    post(
        "/api/sav",
        Some(&op_b.token),
        &json!({ "commande_id": id, "motif": "rayure" }),
    )
    .assert_error(404, "order_not_found");

    // Validation.
    let athlete = user(Role::Sportif);
    for body in [
        json!({ "commande_id": id, "motif": "inconnu" }),
        json!({ "commande_id": id, "motif": "rayure", "geste": "cadeau" }),
        json!({ "commande_id": id, "motif": "rayure", "assigne_a": athlete.id }),
    ] {
        post("/api/sav", Some(&admin.token), &body).assert_error(422, "validation_error");
    }
    patch(
        &format!("/api/sav/{tid}"),
        Some(&admin.token),
        &json!({ "assigne_a": athlete.id }),
    )
    .assert_error(422, "validation_error");
    assert_eq!(
        count("SELECT COUNT(*) FROM sav_tickets WHERE commande_id = ?", id),
        1
    );

    // Roles.
    get("/api/sav", Some(&athlete.token)).assert_error(403, "forbidden");
    get("/api/sav", None).assert_error(401, "token_missing");
    get("/api/sav/abc", Some(&admin.token)).assert_error(404, "not_found");
}

// ---------------------------------------------------------------------------
// Defects
// ---------------------------------------------------------------------------

#[test]
fn defects_create_list_filter_and_update() {
    let a = atelier();
    let produit = course();
    let (id, numero) = order(Some(&user(Role::Sportif)), produit, Some(a), "grave");
    let op = user_in(Role::OperateurFab, Some(a));
    let rayure = type_id("rayure");
    let laser = cause_id("reglage_laser");

    // Reported from the workshop on an order: the order's atelier.
    let d = post(
        "/api/fab/defaut",
        Some(&op.token),
        &json!({ "commande_id": id, "type_id": rayure, "cause_id": laser, "gravite": "majeur",
                 "description": "Rayure profonde sous le chrono" }),
    )
    .expect(201);
    let did = d["id"].as_u64().unwrap();
    assert_eq!(d["atelier_id"], a);
    assert_eq!(d["commande_numero"], numero.as_str());
    assert_eq!(d["produit_id"], produit);
    assert_eq!(d["type_code"], "rayure");
    assert_eq!(d["type_libelle"], "Rayure");
    assert_eq!(d["cause_code"], "reglage_laser");
    assert_eq!(d["gravite"], "majeur");
    assert_eq!(d["statut"], "ouvert");
    assert_eq!(d["signale_par"], op.id);

    // Reported through /api/defauts without order: the operator's atelier,
    // default severity.
    let d2 = post(
        "/api/defauts",
        Some(&op.token),
        &json!({ "type_id": type_id("profondeur_insuffisante"), "description": "Lot de plaques trop fines" }),
    )
    .expect(201);
    let did2 = d2["id"].as_u64().unwrap();
    assert_eq!(d2["atelier_id"], a);
    assert_eq!(d2["gravite"], "mineur");
    assert!(d2["commande_id"].is_null());

    // Filters (the atelier is unique to this test).
    let list = |q: &str| {
        ids(&get(
            &format!("/api/fab/defauts?atelier_id={a}{q}"),
            Some(&op.token),
        )
        .expect(200))
    };
    let mut both = list("");
    both.sort_unstable();
    assert_eq!(both, vec![did, did2]);
    assert_eq!(list(&format!("&type_id={rayure}")), vec![did]);
    assert_eq!(list(&format!("&cause_id={laser}")), vec![did]);
    assert_eq!(list("&gravite=mineur"), vec![did2]);
    assert_eq!(list(&format!("&produit_id={produit}")), vec![did]);
    assert_eq!(list(&format!("&commande_id={id}")), vec![did]);
    assert_eq!(list("&statut=clos"), Vec::<u64>::new());
    let today: String = db()
        .query_first("SELECT DATE_FORMAT(NOW(), '%Y-%m-%d')")
        .unwrap()
        .unwrap();
    assert_eq!(list(&format!("&from={today}&to={today}")).len(), 2);
    assert!(list("&to=2000-01-01").is_empty());
    assert!(list("&from=2999-01-01").is_empty());
    let page = get(
        &format!("/api/defauts?atelier_id={a}&per_page=1&page=2"),
        Some(&op.token),
    )
    .expect(200);
    assert_eq!(page["total"], 2);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    for bad in [
        "gravite=grave",
        "statut=ferme",
        "from=2024-02-30",
        "type_id=abc",
    ] {
        get(&format!("/api/defauts?{bad}"), Some(&op.token)).assert_error(422, "validation_error");
    }

    // Show and update: ouvert → traite → clos, clos is final.
    let shown = get(&format!("/api/defauts/{did}"), Some(&op.token)).expect(200);
    assert_eq!(shown["description"], "Rayure profonde sous le chrono");
    let u = patch(
        &format!("/api/defauts/{did}"),
        Some(&op.token),
        &json!({ "statut": "traite", "gravite": "critique", "cause_id": null }),
    )
    .expect(200);
    assert_eq!(u["statut"], "traite");
    assert_eq!(u["gravite"], "critique");
    assert!(u["cause_id"].is_null());
    assert_eq!(u["description"], "Rayure profonde sous le chrono");
    patch(
        &format!("/api/defauts/{did}"),
        Some(&op.token),
        &json!({ "statut": "clos" }),
    )
    .expect(200);
    patch(
        &format!("/api/defauts/{did}"),
        Some(&op.token),
        &json!({ "statut": "ouvert" }),
    )
    .assert_error(409, "defaut_transition_refused");
    patch(
        &format!("/api/defauts/{did}"),
        Some(&op.token),
        &json!({ "statut": "perdu" }),
    )
    .assert_error(422, "validation_error");
    patch(
        &format!("/api/defauts/{did}"),
        Some(&op.token),
        &json!({ "couleur": "rouge" }),
    )
    .assert_error(422, "validation_error");
    let statut: String = db()
        .exec_first("SELECT statut FROM defauts WHERE id = ?", (did,))
        .unwrap()
        .unwrap();
    assert_eq!(statut, "clos");
}

#[test]
fn defects_are_bound_to_the_operator_atelier() {
    let (a, b) = (atelier(), atelier());
    let (id, _) = order(Some(&user(Role::Sportif)), course(), Some(a), "grave");
    let admin = user(Role::AdminFab);
    let op_b = user_in(Role::OperateurFab, Some(b));
    let rayure = type_id("rayure");

    // An admin reports on atelier A's order.
    let d = post(
        "/api/defauts",
        Some(&admin.token),
        &json!({ "commande_id": id, "type_id": rayure, "gravite": "critique" }),
    )
    .expect(201);
    let did = d["id"].as_u64().unwrap();
    assert_eq!(d["atelier_id"], a);
    assert_eq!(d["signale_par"], admin.id);

    // Atelier B's operator: cannot report on it, see it, list it or edit it.
    post(
        "/api/fab/defaut",
        Some(&op_b.token),
        &json!({ "commande_id": id, "type_id": rayure }),
    )
    .assert_error(404, "order_not_found");
    get(&format!("/api/defauts/{did}"), Some(&op_b.token)).assert_error(404, "defaut_not_found");
    patch(
        &format!("/api/defauts/{did}"),
        Some(&op_b.token),
        &json!({ "statut": "traite" }),
    )
    .assert_error(404, "defaut_not_found");
    let theirs = get(
        &format!("/api/fab/defauts?atelier_id={a}"),
        Some(&op_b.token),
    )
    .expect(200);
    assert_eq!(theirs["total"], 0);
    let theirs = get(&format!("/api/defauts?commande_id={id}"), Some(&op_b.token)).expect(200);
    assert_eq!(theirs["total"], 0);
    let admins = get(
        &format!("/api/defauts?commande_id={id}"),
        Some(&admin.token),
    )
    .expect(200);
    assert_eq!(ids(&admins), vec![did]);

    // Validation: nothing written.
    for body in [
        json!({ "commande_id": id, "type_id": 999_999_999u64 }),
        json!({ "commande_id": id, "type_id": rayure, "cause_id": 999_999_999u64 }),
        json!({ "commande_id": id, "type_id": rayure, "gravite": "grave" }),
        json!({ "commande_id": id }),
    ] {
        post("/api/fab/defaut", Some(&admin.token), &body).assert_error(422, "validation_error");
    }
    post(
        "/api/fab/defaut",
        Some(&admin.token),
        &json!({ "commande_id": 999_999_999u64, "type_id": rayure }),
    )
    .assert_error(404, "order_not_found");
    post(
        "/api/fab/defaut",
        Some(&admin.token),
        &json!({ "lot_id": 999_999_999u64, "type_id": rayure }),
    )
    .assert_error(404, "lot_not_found");
    assert_eq!(
        count("SELECT COUNT(*) FROM defauts WHERE commande_id = ?", id),
        1
    );

    // An inactive type cannot be chosen any more.
    let code = format!("t_{}", tokens::random_hex(4));
    let t = post(
        "/api/defauts/types",
        Some(&admin.token),
        &json!({ "code": code, "libelle": "Tache", "actif": false }),
    )
    .expect(201);
    post(
        "/api/fab/defaut",
        Some(&admin.token),
        &json!({ "commande_id": id, "type_id": t["id"] }),
    )
    .assert_error(422, "validation_error");

    // Roles.
    let athlete = user(Role::Sportif);
    get("/api/defauts", Some(&athlete.token)).assert_error(403, "forbidden");
    post(
        "/api/fab/defaut",
        Some(&athlete.token),
        &json!({ "type_id": rayure }),
    )
    .assert_error(403, "forbidden");
    get("/api/fab/defauts", None).assert_error(401, "token_missing");
}

#[test]
fn defect_catalogues() {
    let admin = user(Role::AdminFab);
    let op = user_in(Role::OperateurFab, Some(atelier()));

    let types = get("/api/defauts/types?per_page=200", Some(&op.token)).expect(200);
    let codes: Vec<&str> = types["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["code"].as_str().unwrap())
        .collect();
    for c in [
        "rayure",
        "erreur_texte",
        "gravure_decalee",
        "medaille_endommagee",
        "profondeur_insuffisante",
        "autre",
    ] {
        assert!(codes.contains(&c), "{c} seeded");
    }
    let causes = get("/api/defauts/causes?per_page=200", Some(&op.token)).expect(200);
    let reglage = causes["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "reglage_laser")
        .unwrap();
    assert_eq!(reglage["libelle"], "Réglage laser");
    assert_eq!(reglage["actif"], true);

    // Admin+ creates and edits; codes are unique.
    let code = format!("c_{}", tokens::random_hex(4));
    let c = post(
        "/api/defauts/causes",
        Some(&admin.token),
        &json!({ "code": code, "libelle": "Humidité de l'atelier" }),
    )
    .expect(201);
    let cid = c["id"].as_u64().unwrap();
    assert_eq!(c["actif"], true);
    post(
        "/api/defauts/causes",
        Some(&admin.token),
        &json!({ "code": code, "libelle": "Doublon" }),
    )
    .assert_error(409, "code_taken");
    post(
        "/api/defauts/causes",
        Some(&admin.token),
        &json!({ "code": "reglage_laser", "libelle": "Doublon" }),
    )
    .assert_error(409, "code_taken");
    for bad in [
        json!({ "code": "Avec Espace", "libelle": "x" }),
        json!({ "code": "ok_code", "libelle": " " }),
    ] {
        post("/api/defauts/types", Some(&admin.token), &bad).assert_error(422, "validation_error");
    }
    let u = patch(
        &format!("/api/defauts/causes/{cid}"),
        Some(&admin.token),
        &json!({ "libelle": "Humidité", "actif": false }),
    )
    .expect(200);
    assert_eq!(u["libelle"], "Humidité");
    assert_eq!(u["actif"], false);
    assert_eq!(u["code"], code.as_str());
    patch(
        &format!("/api/defauts/causes/{cid}"),
        Some(&admin.token),
        &json!({ "code": "transport" }),
    )
    .assert_error(409, "code_taken");
    patch(
        "/api/defauts/causes/999999999",
        Some(&admin.token),
        &json!({ "libelle": "x" }),
    )
    .assert_error(404, "catalog_entry_not_found");
    let inactive = get(
        "/api/defauts/causes?actif=false&per_page=200",
        Some(&op.token),
    )
    .expect(200);
    assert!(ids(&inactive).contains(&cid));
    let active = get(
        "/api/defauts/causes?actif=true&per_page=200",
        Some(&op.token),
    )
    .expect(200);
    assert!(!ids(&active).contains(&cid));

    // Roles.
    post(
        "/api/defauts/types",
        Some(&op.token),
        &json!({ "code": "zz_op", "libelle": "x" }),
    )
    .assert_error(403, "forbidden");
    patch(
        &format!("/api/defauts/causes/{cid}"),
        Some(&op.token),
        &json!({ "libelle": "x" }),
    )
    .assert_error(403, "forbidden");
    get("/api/defauts/types", Some(&user(Role::Sportif).token)).assert_error(403, "forbidden");
}

// ---------------------------------------------------------------------------
// B2B orders and fabricants
// ---------------------------------------------------------------------------

#[test]
fn b2b_order_by_hand_goes_straight_to_the_workshop() {
    let a = atelier();
    let produit = course();
    let admin = user(Role::AdminFab);
    let fab = post(
        "/api/fabricants",
        Some(&admin.token),
        &json!({ "nom": "Médailles des Écrins", "code": unique("ECR") }),
    )
    .expect(201);
    let fab_id = fab["id"].as_u64().unwrap();
    let client = unique("Mairie de Lyon ");
    let r = post(
        "/api/commandes/b2b",
        Some(&admin.token),
        &json!({ "b2b_client_nom": client, "b2b_client_type": "mairie", "b2b_quantite": 10,
                 "produit_id": produit, "b2b_fabricant_id": fab_id, "atelier_id": a }),
    )
    .expect(201);
    let id = r["id"].as_u64().unwrap();
    let numero = r["numero"].as_str().unwrap().to_string();
    assert!(numero.starts_with("MKO-20"));
    assert_eq!(r["is_b2b"], true);
    assert_eq!(r["statut"], "attente_gravure");
    assert_eq!(r["gravure_texte"]["nom"], client.as_str());
    assert_eq!(r["gravure_texte"]["numero"], numero.as_str());

    #[expect(
        clippy::type_complexity,
        reason = "a test's row, read by position against the SELECT beside it"
    )]
    let row: (Option<u64>, bool, String, String, u32, Option<u64>, Option<u64>, String, bool, Option<u64>) = db()
        .exec_first(
            r"SELECT user_id, is_b2b, b2b_client_nom, b2b_client_type, b2b_quantite, b2b_fabricant_id,
                     atelier_id, statut, is_sav, chrono_id
              FROM commandes WHERE id = ?",
            (id,),
        )
        .unwrap()
        .unwrap();
    assert_eq!(row.0, None, "no athlete");
    assert!(row.1);
    assert_eq!(row.2, client);
    assert_eq!(row.3, "mairie");
    assert_eq!(row.4, 10);
    assert_eq!(row.5, Some(fab_id));
    assert_eq!(row.6, Some(a));
    assert_eq!(row.7, "attente_gravure");
    assert!(!row.8);
    assert_eq!(row.9, None);
    let (gravure, today): (String, String) = db()
        .exec_first(
            "SELECT gravure_texte, DATE_FORMAT(date_commande, '%Y-%m-%d') FROM commandes WHERE id = ?",
            (id,),
        )
        .unwrap()
        .unwrap();
    let gravure: Value = serde_json::from_str(&gravure).unwrap();
    assert_eq!(gravure["prenom"], "");
    assert_eq!(gravure["chrono"], "", "B2B medals carry no chrono");
    assert_eq!(
        gravure["date"].as_str().unwrap(),
        mykollector::time::french_date_upper(&today).unwrap()
    );

    // Rule 1.1's B2B exception: the status machine takes it straight to
    // engraving although nobody validated it (rolled back afterwards).
    let mut conn = db();
    conn.query_drop("START TRANSACTION").unwrap();
    let claims = Claims {
        sub: admin.id,
        role: Role::AdminFab,
        atelier_id: None,
        sid: String::new(),
        iat: 0,
        exp: 0,
    };
    let change = change_status(
        &mut conn,
        id,
        Statut::EnGravure,
        &claims,
        None,
        &Shipping::default(),
    );
    conn.query_drop("ROLLBACK").unwrap();
    assert_eq!(change.expect("B2B goes to engraving").to, Statut::EnGravure);

    // A chosen engraving name; the operator of the atelier sees the order.
    let r = post(
        "/api/commandes/b2b",
        Some(&admin.token),
        &json!({ "b2b_client_nom": "Intersport Briançon", "b2b_client_type": "boutique", "b2b_quantite": 1,
                 "produit_id": produit, "atelier_id": a, "gravure": { "nom": "TOUR DU QUEYRAS" } }),
    )
    .expect(201);
    assert_eq!(r["gravure_texte"]["nom"], "TOUR DU QUEYRAS");
    assert!(r["b2b_fabricant_id"].is_null());
}

#[test]
fn b2b_order_validation_and_roles() {
    let a = atelier();
    let produit = course();
    let admin = user(Role::SuperAdmin);
    let client = unique("Club ");
    let base = json!({ "b2b_client_nom": client, "b2b_client_type": "association", "b2b_quantite": 5,
                       "produit_id": produit, "atelier_id": a });
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let inactive_fab = post(
        "/api/fabricants",
        Some(&admin.token),
        &json!({ "nom": "Ancien fabricant", "code": unique("OLD"), "actif": false }),
    )
    .expect(201);
    for body in [
        with("b2b_client_type", json!("entreprise")),
        with("b2b_quantite", json!(0)),
        with("b2b_quantite", json!(10_001)),
        with("b2b_quantite", json!(-3)),
        with("b2b_client_nom", json!("  ")),
        with("produit_id", json!(999_999_999u64)),
        with("atelier_id", json!(999_999_999u64)),
        with("b2b_fabricant_id", json!(999_999_999u64)),
        with("b2b_fabricant_id", inactive_fab["id"].clone()),
        with("email_client", json!("pas-un-email")),
        with("user_id", json!(1)),
    ] {
        post("/api/commandes/b2b", Some(&admin.token), &body).assert_error(422, "validation_error");
    }
    let mut missing = base.clone();
    missing.as_object_mut().unwrap().remove("atelier_id");
    post("/api/commandes/b2b", Some(&admin.token), &missing).assert_error(422, "validation_error");

    post(
        "/api/commandes/b2b",
        Some(&user(Role::Sportif).token),
        &base,
    )
    .assert_error(403, "forbidden");
    post(
        "/api/commandes/b2b",
        Some(&user_in(Role::OperateurFab, Some(a)).token),
        &base,
    )
    .assert_error(403, "forbidden");
    post("/api/commandes/b2b", None, &base).assert_error(401, "token_missing");
    let written: u64 = db()
        .exec_first(
            "SELECT COUNT(*) FROM commandes WHERE b2b_client_nom = ?",
            (&client,),
        )
        .unwrap()
        .unwrap();
    assert_eq!(written, 0, "refused requests write nothing");

    post(
        "/api/commandes/b2b",
        Some(&admin.token),
        &with("b2b_quantite", json!(10_000)),
    )
    .expect(201);
}

#[test]
fn fabricants_crud() {
    let admin = user(Role::AdminFab);
    let manager = user(Role::AdminFab);
    let op = user_in(Role::OperateurFab, Some(atelier()));
    let code = unique("F").to_uppercase();
    let f = post(
        "/api/fabricants",
        Some(&admin.token),
        &json!({ "nom": "Fonderie du Mont-Blanc", "code": code.to_lowercase(), "admin_user_id": manager.id,
                 "contact_email": "Contact@Fonderie-MontBlanc.fr", "contact_telephone": "+33 4 50 53 00 00" }),
    )
    .expect(201);
    let id = f["id"].as_u64().unwrap();
    assert_eq!(f["code"], code.as_str(), "codes are upper-cased");
    assert_eq!(f["contact_email"], "contact@fonderie-montblanc.fr");
    assert_eq!(f["admin_user_id"], manager.id);
    assert_eq!(f["actif"], true);

    post(
        "/api/fabricants",
        Some(&admin.token),
        &json!({ "nom": "Doublon", "code": code }),
    )
    .assert_error(409, "code_taken");
    for bad in [
        json!({ "nom": "X", "code": "É" }),
        json!({ "nom": " ", "code": "OKCODE" }),
        json!({ "nom": "X", "code": "OKCODE2", "admin_user_id": op.id }),
        json!({ "nom": "X", "code": "OKCODE3", "contact_email": "nope" }),
        json!({ "nom": "X", "code": "OKCODE4", "contact_telephone": "appelez" }),
    ] {
        post("/api/fabricants", Some(&admin.token), &bad).assert_error(422, "validation_error");
    }

    let list = get("/api/fabricants?actif=true&per_page=200", Some(&op.token)).expect(200);
    assert!(ids(&list).contains(&id));
    let u = patch(
        &format!("/api/fabricants/{id}"),
        Some(&admin.token),
        &json!({ "actif": false, "contact_telephone": null, "admin_user_id": null }),
    )
    .expect(200);
    assert_eq!(u["actif"], false);
    assert!(u["contact_telephone"].is_null());
    assert!(u["admin_user_id"].is_null());
    assert_eq!(u["nom"], "Fonderie du Mont-Blanc");
    let list = get("/api/fabricants?actif=true&per_page=200", Some(&op.token)).expect(200);
    assert!(!ids(&list).contains(&id));
    patch(
        "/api/fabricants/999999999",
        Some(&admin.token),
        &json!({ "nom": "x" }),
    )
    .assert_error(404, "fabricant_not_found");
    patch(
        &format!("/api/fabricants/{id}"),
        Some(&admin.token),
        &json!({ "siret": "x" }),
    )
    .assert_error(422, "validation_error");

    post(
        "/api/fabricants",
        Some(&op.token),
        &json!({ "nom": "X", "code": "OPCODE" }),
    )
    .assert_error(403, "forbidden");
    patch(
        &format!("/api/fabricants/{id}"),
        Some(&op.token),
        &json!({ "nom": "x" }),
    )
    .assert_error(403, "forbidden");
    get("/api/fabricants", Some(&user(Role::Sportif).token)).assert_error(403, "forbidden");
}
