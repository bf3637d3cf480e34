//! `POST /api/prestashop/test-connexion`: each path to the shop checked on
//! its own, with a French diagnosis per check (spec 13.4 items 1–4, 10):
//! the Webservice key and every permission the pipeline uses, the Admin API
//! token and its scopes, the configured state ids and the B2B group.

use super::client::{int, list_of, permits, Failure, Shop};
use super::settings::Settings;
use super::{breaker, import};
use crate::config::Config;
use crate::error::Result;
use mysql::prelude::Queryable;
use mysql::Conn;
use serde::Serialize;
use serde_json::{json, Value};

/// The Webservice permissions the pipeline needs.
pub const PERMISSIONS: &[(&str, &str, &str)] = &[
    ("orders", "GET", "lire les commandes payées"),
    (
        "customers",
        "GET",
        "lire les clients (B2B, connexion des sportifs)",
    ),
    ("addresses", "GET", "lire l'adresse de livraison"),
    ("products", "GET", "lire les produits"),
    ("product_features", "GET", "lire les caractéristiques"),
    (
        "product_feature_values",
        "GET",
        "lire les valeurs de caractéristiques",
    ),
    ("order_states", "GET", "vérifier les statuts"),
    ("groups", "GET", "vérifier le groupe B2B"),
    ("order_histories", "POST", "pousser les statuts"),
    ("order_carriers", "GET", "trouver le transporteur"),
    ("order_carriers", "PATCH", "écrire le numéro de suivi"),
];

/// One check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What was checked.
    pub nom: String,
    /// Whether it passed.
    pub ok: bool,
    /// The diagnosis, in French.
    pub message: String,
}

fn check(nom: impl Into<String>, result: std::result::Result<String, String>) -> Check {
    let (ok, message) = match result {
        Ok(m) => (true, m),
        Err(m) => (false, m),
    };
    Check {
        nom: nom.into(),
        ok,
        message,
    }
}

/// Runs every check; the answer body.
pub fn run(config: &Config, conn: &mut Conn) -> Result<Value> {
    let Some(shop) = Shop::load(config, conn)? else {
        let c = check(
            "configuration",
            Err("Boutique non configurée : renseignez PRESTASHOP_URL et PRESTASHOP_WEBSERVICE_KEY dans .env.".into()),
        );
        return Ok(
            json!({ "ok": false, "verifications": [c], "disjoncteur": breaker::state(conn)? }),
        );
    };
    let settings = Settings::load(config, conn)?;
    let mut checks = vec![check(
        "configuration",
        Ok(format!("Boutique {}", shop.base_url())),
    )];
    match shop.ws_permissions(conn) {
        Ok(listing) => {
            checks.push(check("webservice", Ok("Clé Webservice acceptée.".into())));
            checks.extend(permission_checks(&listing));
            checks.push(states_check(conn, &shop, &settings));
            checks.push(group_check(conn, &shop, &settings));
            checks.push(features_check(conn, &shop));
        }
        Err(f) => checks.push(check("webservice", Err(f.french()))),
    }
    checks.extend(admin_api_checks(conn, &shop)?);
    let ok = checks.iter().all(|c| c.ok);
    Ok(json!({
        "ok": ok,
        "verifications": checks,
        "disjoncteur": breaker::state(conn)?,
        "requetes_boutique": shop.calls.get(),
    }))
}

fn permission_checks(listing: &str) -> Vec<Check> {
    PERMISSIONS
        .iter()
        .map(|(resource, method, why)| {
            let nom = format!("permission {method} {resource}");
            if permits(listing, resource, method) {
                check(nom, Ok(format!("Autorisé ({why}).")))
            } else {
                check(
                    nom,
                    Err(format!(
                        "Permission manquante : {method} sur « {resource} » ({why}). Cochez-la pour la clé MyKollector dans Paramètres avancés → Webservice."
                    )),
                )
            }
        })
        .collect()
}

fn ids_of(conn: &mut Conn, shop: &Shop, resource: &str) -> std::result::Result<Vec<u64>, Failure> {
    let answer = shop.ws_get(conn, resource, &[("display", "[id]".into())])?;
    Ok(list_of(&answer, resource)
        .iter()
        .filter_map(|v| int(&v["id"]))
        .collect())
}

fn states_check(conn: &mut Conn, shop: &Shop, s: &Settings) -> Check {
    let wanted = [
        (s.statut_paiement_id, "paiement accepté"),
        (s.statut_gravure_id, "en gravure"),
        (s.statut_expedition_id, "expédié"),
    ];
    let result = ids_of(conn, shop, "order_states")
        .map_err(|f| f.french())
        .and_then(|ids| {
            let missing: Vec<String> = wanted
                .iter()
                .filter(|(id, _)| !ids.contains(id))
                .map(|(id, name)| format!("{id} ({name})"))
                .collect();
            if missing.is_empty() {
                Ok(format!(
                    "Statuts {}, {} et {} présents.",
                    s.statut_paiement_id, s.statut_gravure_id, s.statut_expedition_id
                ))
            } else {
                Err(format!(
                    "Statut(s) absent(s) de la boutique : {}. Créez-les ou corrigez la configuration.",
                    missing.join(", ")
                ))
            }
        });
    check("statuts de commande", result)
}

fn group_check(conn: &mut Conn, shop: &Shop, s: &Settings) -> Check {
    let result = ids_of(conn, shop, "groups")
        .map_err(|f| f.french())
        .and_then(|ids| {
            if ids.contains(&s.groupe_b2b_id) {
                Ok(format!("Groupe B2B {} présent.", s.groupe_b2b_id))
            } else {
                Err(format!(
                    "Groupe client {} (Professionnels) absent de la boutique.",
                    s.groupe_b2b_id
                ))
            }
        });
    check("groupe B2B", result)
}

fn features_check(conn: &mut Conn, shop: &Shop) -> Check {
    let result = shop
        .ws_get(conn, "product_features", &[("display", "full".into())])
        .map_err(|f| f.french())
        .and_then(|answer| {
            let names: Vec<String> = list_of(&answer, "product_features")
                .iter()
                .map(|f| import::localized(&f["name"]))
                .collect();
            if names.iter().any(|n| n == import::FEATURE_PARCOURS) {
                Ok(format!("Caractéristique {} présente.", import::FEATURE_PARCOURS))
            } else {
                Err(format!(
                    "Caractéristique produit « {} » absente : aucune commande ne pourra être reliée à un parcours.",
                    import::FEATURE_PARCOURS
                ))
            }
        });
    check("caractéristiques produit", result)
}

fn admin_api_checks(conn: &mut Conn, shop: &Shop) -> Result<Vec<Check>> {
    if !shop.has_admin_api() {
        return Ok(vec![check(
            "admin api",
            Ok(
                "Admin API non configurée (facultative : sert à la synchronisation des produits)."
                    .into(),
            ),
        )]);
    }
    // A fresh token proves the client id, secret and scopes now.
    conn.query_drop(
        "UPDATE prestashop_config SET access_token_chiffre = NULL, token_expires_at = NULL WHERE id = 1",
    )?;
    let token = shop.admin_token(conn);
    let mut checks = vec![check(
        "admin api (jeton OAuth2)",
        token
            .as_ref()
            .map(|_| format!("Jeton obtenu (scopes : {}).", shop.scopes().join(" ")))
            .map_err(Failure::french),
    )];
    if token.is_ok() {
        let read = shop
            .admin_call(conn, "GET", "products?limit=1", None)
            .map(|_| "Lecture des produits autorisée.".to_string())
            .map_err(|f| match f {
                Failure::Denied(_) => "Scope product_read manquant sur le client API.".to_string(),
                other => other.french(),
            });
        checks.push(check("admin api (produits)", read));
    }
    Ok(checks)
}
