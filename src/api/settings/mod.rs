//! Spec §5.10 — `GET/PATCH /api/admin/config` (`super_admin`): the settings
//! that may change without a redeploy, stored in `app_config` (key/value).
//!
//! [`SETTINGS`] is the whole list: a key not in it is refused. Secrets are
//! stored AES-256-GCM encrypted (`crate::security::crypto`) and are never
//! sent back: the GET shows them as `{"defini": true|false}`. In a PATCH a
//! value sets a key and `null` removes it (back to the `.env` value or the
//! default). Every change is audited with the keys changed, never the values
//! of secrets.
//!
//! `.env` stays the source of what the binary needs to start (database, JWT,
//! `ENCRYPTION_KEY`, paths). A stored setting wins over its `.env` variable.
//!
//! Who reads them, so a change applies to the next use without a redeploy and
//! without a query on the path of ordinary requests:
//! - SMTP: [`overlay`] when a mail of the outbox is delivered (after the
//!   answer, or by the cron);
//! - PrestaShop: [`overlay`] when the shop client and the shop's ids are
//!   loaded (they read `prestashop_config` there already);
//! - Strava: [`overlay`] when the Strava client is built, and for the webhook
//!   handshake's verify token;
//! - maintenance message: [`setting`] only when the maintenance flag is
//!   present and holds no message of its own;
//! - CORS origins: [`cors_origin_allowed`] only when a request carries an
//!   `Origin` that `.env` does not allow (one query then);
//! - rate-limit figures: shown, but the limits stay the ones declared on the
//!   routes (and `LOGIN_MAX_ATTEMPTS` in `.env`): a limit is evaluated on
//!   every request of its route with one round trip (`ratelimit::hit`), and
//!   reading a stored figure there would add a second one to each of them.

use crate::api::admin_limit;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::router::{route, Access, Route};
use crate::http::{Ctx, Method, Response};
use crate::security::{crypto, roles};
use mysql::prelude::Queryable;
use mysql::Conn;
use serde_json::{json, Map, Value};

/// Routes of this module.
pub const ROUTES: &[Route] = &[
    admin_limit(route(
        Method::Get,
        "/api/admin/config",
        Access::Roles(roles::SUPER_ADMIN),
        show_config,
        "Configuration modifiable à chaud (secrets affichés définis/non définis)",
    )),
    admin_limit(route(
        Method::Patch,
        "/api/admin/config",
        Access::Roles(roles::SUPER_ADMIN),
        update_config,
        "Modifie des réglages (null = retour à la valeur du .env) ; chaque changement est journalisé",
    )),
];

/// How a setting's value is checked and stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text (trimmed, at most 500 characters).
    Text,
    /// An `http(s)://` URL.
    Url,
    /// A whole number within the bounds.
    Int(i64, i64),
    /// A comma-separated list of `http(s)://` origins.
    Origins,
    /// Stored encrypted, never sent back.
    Secret,
}

/// One runtime setting.
#[derive(Debug)]
pub struct Setting {
    /// Key in `app_config.cle`.
    pub key: &'static str,
    /// Value check and storage.
    pub kind: Kind,
    /// The `.env` variable it overrides, if any.
    pub env: Option<&'static str>,
    /// French label for the console.
    pub label: &'static str,
}

const fn s(
    key: &'static str,
    kind: Kind,
    env: Option<&'static str>,
    label: &'static str,
) -> Setting {
    Setting {
        key,
        kind,
        env,
        label,
    }
}

/// Every runtime setting.
pub const SETTINGS: &[Setting] = &[
    s("smtp.host", Kind::Text, Some("SMTP_HOST"), "Serveur SMTP"),
    s(
        "smtp.port",
        Kind::Int(1, 65535),
        Some("SMTP_PORT"),
        "Port SMTP",
    ),
    s(
        "smtp.user",
        Kind::Text,
        Some("SMTP_USER"),
        "Utilisateur SMTP",
    ),
    s(
        "smtp.pass",
        Kind::Secret,
        Some("SMTP_PASS"),
        "Mot de passe SMTP",
    ),
    s(
        "smtp.from",
        Kind::Text,
        Some("SMTP_FROM"),
        "Adresse d'expédition",
    ),
    s(
        "prestashop.url",
        Kind::Url,
        Some("PRESTASHOP_URL"),
        "URL de la boutique PrestaShop",
    ),
    s(
        "prestashop.client_id",
        Kind::Text,
        Some("PRESTASHOP_CLIENT_ID"),
        "Client OAuth2 PrestaShop",
    ),
    s(
        "prestashop.client_secret",
        Kind::Secret,
        Some("PRESTASHOP_CLIENT_SECRET"),
        "Secret OAuth2 PrestaShop",
    ),
    s(
        "prestashop.webservice_key",
        Kind::Secret,
        Some("PRESTASHOP_WEBSERVICE_KEY"),
        "Clé Webservice PrestaShop",
    ),
    s(
        "prestashop.statut_gravure_id",
        Kind::Int(1, 1000),
        Some("PRESTASHOP_STATUT_GRAVAGE_ID"),
        "Statut PrestaShop « En gravure »",
    ),
    s(
        "prestashop.statut_expedition_id",
        Kind::Int(1, 1000),
        Some("PRESTASHOP_STATUT_EXPEDITION_ID"),
        "Statut PrestaShop « Expédié »",
    ),
    s(
        "prestashop.groupe_b2b_id",
        Kind::Int(1, 1000),
        Some("PRESTASHOP_GROUP_B2B_ID"),
        "Groupe clients B2B",
    ),
    s(
        "strava.client_id",
        Kind::Text,
        Some("STRAVA_CLIENT_ID"),
        "Client Strava",
    ),
    s(
        "strava.client_secret",
        Kind::Secret,
        Some("STRAVA_CLIENT_SECRET"),
        "Secret Strava",
    ),
    s(
        "strava.verify_token",
        Kind::Secret,
        Some("STRAVA_VERIFY_TOKEN"),
        "Jeton de vérification du webhook Strava",
    ),
    s(
        "cors.origins",
        Kind::Origins,
        Some("CORS_ORIGINS"),
        "Origines CORS autorisées",
    ),
    s(
        "rate_limit.login_max",
        Kind::Int(1, 1000),
        None,
        "Connexions : tentatives par fenêtre (spec : 5)",
    ),
    s(
        "rate_limit.login_window_min",
        Kind::Int(1, 1440),
        None,
        "Connexions : fenêtre en minutes (spec : 15)",
    ),
    s(
        "rate_limit.chrono_start_per_min",
        Kind::Int(1, 10000),
        None,
        "Départs de chrono par minute (spec : 10)",
    ),
    s(
        "rate_limit.lots_per_hour",
        Kind::Int(1, 10000),
        None,
        "Générations de lots par heure (spec : 20)",
    ),
    s(
        "rate_limit.admin_per_min",
        Kind::Int(1, 10000),
        None,
        "Requêtes /api/admin par minute (spec : 30)",
    ),
    s(
        "maintenance.message",
        Kind::Text,
        None,
        "Message de maintenance par défaut",
    ),
];

const KEY_PREFIX: &str = "setting:";
const TEXT_MAX_CHARS: usize = 500;

fn find(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key)
}

/// A stored setting, decrypted; `None` when not set (use `.env` then).
pub fn setting(conn: &mut Conn, config: &Config, key: &str) -> Result<Option<String>> {
    let Some(def) = find(key) else {
        return Err(Error::internal(format!("unknown setting {key}")));
    };
    let stored: Option<Option<String>> = conn.exec_first(
        "SELECT valeur FROM app_config WHERE cle = ?",
        (format!("{KEY_PREFIX}{key}"),),
    )?;
    match (stored.flatten(), def.kind) {
        (None, _) => Ok(None),
        (Some(v), Kind::Secret) => crypto::decrypt(&config.encryption_key, &v).map(Some),
        (Some(v), _) => Ok(Some(v)),
    }
}

/// `config` with every stored setting that overrides a `.env` variable put
/// in its place (secrets decrypted): one query. Used where a client to another
/// service is built, so a change made in the console applies to the next use.
pub fn overlay(config: &Config, conn: &mut Conn) -> Result<Config> {
    let mut overrides = Vec::new();
    for (key, value, _) in stored_values(conn)? {
        let (Some(def), Some(value)) = (find(&key), value) else {
            continue;
        };
        let Some(env) = def.env else { continue };
        let value = match def.kind {
            Kind::Secret => crypto::decrypt(&config.encryption_key, &value)?,
            _ => value,
        };
        overrides.push((env.to_string(), value));
    }
    if overrides.is_empty() {
        return Ok(config.clone());
    }
    config
        .with_vars(overrides)
        .map_err(|e| Error::internal(format!("stored setting refused: {e}")))
}

/// Whether `origin` is one of the CORS origins stored in the console (asked
/// only for an origin `.env` does not allow).
pub fn cors_origin_allowed(conn: &mut Conn, config: &Config, origin: &str) -> Result<bool> {
    Ok(setting(conn, config, "cors.origins")?.is_some_and(|list| {
        list.split(',')
            .any(|o| o.trim().trim_end_matches('/') == origin)
    }))
}

fn stored_values(conn: &mut Conn) -> Result<Vec<(String, Option<String>, String)>> {
    Ok(conn.exec(
        "SELECT SUBSTRING(cle, ?), valeur, DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%s') \
         FROM app_config WHERE cle LIKE ?",
        (KEY_PREFIX.len() + 1, format!("{KEY_PREFIX}%")),
    )?)
}

fn show_config(ctx: &mut Ctx) -> Result<Response> {
    let config = ctx.config;
    let stored = stored_values(ctx.conn()?)?;
    Ok(Response::ok(&render(config, &stored)))
}

fn render(config: &Config, stored: &[(String, Option<String>, String)]) -> Value {
    let items: Vec<Value> = SETTINGS
        .iter()
        .map(|def| {
            let row = stored.iter().find(|(k, _, _)| k == def.key);
            let env = def
                .env
                .and_then(|e| config.var(e))
                .filter(|v| !v.is_empty());
            let source = match (row, env) {
                (Some(_), _) => "base",
                (None, Some(_)) => "env",
                (None, None) => "defaut",
            };
            let mut item = json!({
                "cle": def.key,
                "libelle": def.label,
                "secret": def.kind == Kind::Secret,
                "source": source,
                "modifie_le": row.map(|(_, _, at)| at),
            });
            if def.kind == Kind::Secret {
                item["defini"] = json!(row.is_some() || env.is_some());
            } else {
                item["valeur"] = json!(row
                    .and_then(|(_, v, _)| v.clone())
                    .or(env.map(str::to_string)));
            }
            item
        })
        .collect();
    json!({ "items": items })
}

/// Checks one value against its kind; returns the text to store.
fn check(def: &Setting, value: &Value) -> Result<String> {
    let invalid = |why: &str| Error::invalid(format!("{} : {why}", def.key));
    if let Kind::Int(min, max) = def.kind {
        value
            .as_i64()
            .filter(|n| (min..=max).contains(n))
            .map(|n| n.to_string())
            .ok_or_else(|| invalid(&format!("nombre entier entre {min} et {max} attendu.")))
    } else {
        let text = value
            .as_str()
            .map(str::trim)
            .ok_or_else(|| invalid("texte attendu."))?;
        if text.chars().count() > TEXT_MAX_CHARS || text.chars().any(char::is_control) {
            return Err(invalid("texte trop long ou caractères de contrôle."));
        }
        let is_url = |u: &str| {
            (u.starts_with("https://") || u.starts_with("http://"))
                && u.len() > 8
                && !u.contains(char::is_whitespace)
        };
        match def.kind {
            Kind::Url if !is_url(text) => Err(invalid("adresse http(s):// attendue.")),
            Kind::Origins if !text.split(',').map(str::trim).all(is_url) => Err(invalid(
                "liste d'origines http(s):// séparées par des virgules attendue.",
            )),
            Kind::Secret if text.is_empty() => {
                Err(invalid("secret vide : envoyez null pour le retirer."))
            }
            _ => Ok(text.to_string()),
        }
    }
}

fn update_config(ctx: &mut Ctx) -> Result<Response> {
    let body: Map<String, Value> = ctx.json()?;
    if body.is_empty() {
        return Err(Error::invalid("Aucun réglage à modifier."));
    }
    let mut changes = Vec::new();
    for (key, value) in &body {
        let def = find(key).ok_or_else(|| Error::invalid(format!("Réglage inconnu : {key}.")))?;
        let stored = match value {
            Value::Null => None,
            v => {
                let text = check(def, v)?;
                Some(if def.kind == Kind::Secret {
                    crypto::encrypt(&ctx.config.encryption_key, &text)?
                } else {
                    text
                })
            }
        };
        changes.push((def, stored));
    }
    let tx = ctx.tx()?;
    let mut audit = Vec::new();
    for (def, stored) in &changes {
        let cle = format!("{KEY_PREFIX}{}", def.key);
        match stored {
            Some(v) => tx.exec_drop(
                "INSERT INTO app_config (cle, valeur) VALUES (?, ?) \
                 ON DUPLICATE KEY UPDATE valeur = VALUES(valeur), updated_at = CURRENT_TIMESTAMP",
                (&cle, v),
            )?,
            None => tx.exec_drop("DELETE FROM app_config WHERE cle = ?", (&cle,))?,
        }
        let shown = match (def.kind, stored) {
            (_, None) => json!(null),
            (Kind::Secret, Some(_)) => json!("(secret modifié)"),
            (_, Some(v)) => json!(v),
        };
        audit.push(json!({ "cle": def.key, "valeur": shown }));
    }
    ctx.audit.entity = Some("app_config");
    ctx.audit_details(json!({ "modifications": audit }));
    let config = ctx.config;
    let stored = stored_values(ctx.tx()?)?;
    Ok(Response::ok(&render(config, &stored)))
}
