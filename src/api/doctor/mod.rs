//! Issue 10 item 10 — the host doctor: `GET /api/admin/doctor` (`super_admin`)
//! and `mk-admin doctor` tell what the host really offers, with a French
//! diagnosis and fix for each problem.
//!
//! The API view sees what only a request can show (which gateway runs the
//! binary, whether `Authorization` reaches it: the caller's bearer token got
//! through, so it does); the CLI reports those two as "inconnu" and points
//! to the API view. Everything else (database version and settings, clock,
//! disk, folders, cron, backups, schema) is read the same way by both.

use crate::api::admin_limit;
use crate::config::Config;
use crate::db::migrate::{self, MigrationState};
use crate::error::Result;
use crate::http::router::{route, Access, Route};
use crate::http::{Ctx, Method, Response};
use crate::security::roles;
use mysql::prelude::Queryable;
use mysql::Conn;
use serde::Serialize;
use serde_json::json;
use std::path::Path;

/// Routes of this module.
pub const ROUTES: &[Route] = &[admin_limit(route(
    Method::Get,
    "/api/admin/doctor",
    Access::Roles(roles::SUPER_ADMIN),
    show_doctor,
    "Diagnostic de l'hébergement : modules, base, disque, dossiers, cron, avec correctifs",
))];

/// Free space below which the disk is a problem (backups need room).
const MIN_FREE_BYTES: u64 = 500 * 1024 * 1024;
/// The client's `max_allowed_packet`: the server should accept as much.
const MIN_PACKET: u64 = crate::db::MAX_ALLOWED_PACKET as u64;
/// A cron that has not run for this long is not configured or failing.
const CRON_LATE_SECS: i64 = 2 * 3600;
/// Backups are due every 6 h; one more hour of slack for the hourly cron.
const BACKUP_LATE_SECS: u64 = 7 * 3600;

/// One finding.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable key, e.g. `mysql_version`.
    pub cle: &'static str,
    /// `ok`, `probleme` or `inconnu`.
    pub statut: &'static str,
    /// What was found.
    pub valeur: String,
    /// French diagnosis (empty when ok).
    pub diagnostic: String,
    /// French fix (empty when ok).
    pub correction: String,
}

impl Check {
    /// Whether this finding needs no action.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.statut != "probleme"
    }

    fn ok(cle: &'static str, valeur: impl Into<String>) -> Check {
        Check {
            cle,
            statut: "ok",
            valeur: valeur.into(),
            diagnostic: String::new(),
            correction: String::new(),
        }
    }

    fn problem(
        cle: &'static str,
        valeur: impl Into<String>,
        diagnostic: &str,
        correction: &str,
    ) -> Check {
        Check {
            cle,
            statut: "probleme",
            valeur: valeur.into(),
            diagnostic: diagnostic.into(),
            correction: correction.into(),
        }
    }

    fn unknown(cle: &'static str, diagnostic: &str) -> Check {
        Check {
            cle,
            statut: "inconnu",
            valeur: "non vérifiable en ligne de commande".into(),
            diagnostic: diagnostic.into(),
            correction: String::new(),
        }
    }
}

/// What only a request shows: the gateway and the Authorization header.
#[derive(Debug, Clone, Copy)]
pub struct Gateway {
    /// True under FastCGI (`mod_fcgid`), false under CGI.
    pub fastcgi: bool,
    /// Whether the request's `Authorization` header reached the binary.
    pub authorization: bool,
}

/// Every check; `conn` is `None` when the database cannot be reached.
#[must_use]
pub fn checks(config: &Config, conn: Option<&mut Conn>, gateway: Option<Gateway>) -> Vec<Check> {
    let mut out = gateway_checks(gateway);
    match conn {
        Some(conn) => out.extend(database_checks(conn)),
        None => out.push(Check::problem(
            "base_de_donnees",
            "injoignable",
            "La base MySQL ne répond pas avec les paramètres DB_* du .env.",
            "Vérifiez DB_HOST, DB_NAME, DB_USER et DB_PASS dans le .env (espace client OVH > Bases de données).",
        )),
    }
    out.push(disk_check(&config.storage_path));
    for (cle, dir, label) in [
        ("dossier_storage", &config.storage_path, "STORAGE_PATH"),
        ("dossier_logs", &config.log_path, "LOG_PATH"),
        ("dossier_backups", &config.backup_path, "BACKUP_PATH"),
    ] {
        out.push(writable_check(cle, dir, label));
    }
    out.push(backup_check(&config.backup_path));
    out
}

fn gateway_checks(gateway: Option<Gateway>) -> Vec<Check> {
    let Some(g) = gateway else {
        return vec![
            Check::unknown(
                "passerelle",
                "Appelez GET /api/admin/doctor pour savoir si l'API tourne en CGI ou en FastCGI.",
            ),
            Check::unknown(
                "authorization",
                "Appelez GET /api/admin/doctor : s'il répond, l'en-tête Authorization arrive au programme.",
            ),
        ];
    };
    let passerelle = if g.fastcgi {
        Check::ok("passerelle", "FastCGI (mod_fcgid) : processus réutilisés")
    } else {
        Check::ok(
            "passerelle",
            "CGI (mod_cgi/mod_cgid) : un processus par requête ; FastCGI non utilisé \
             (si l'hébergeur propose mod_fcgid, déployez htaccess/fcgid/ pour des réponses plus rapides)",
        )
    };
    let authorization = if g.authorization {
        Check::ok(
            "authorization",
            "l'en-tête Authorization arrive au programme",
        )
    } else {
        Check::problem(
            "authorization",
            "absent",
            "Apache ne transmet pas l'en-tête Authorization au programme : toute route protégée répondra 401.",
            "Déployez le .htaccess fourni (règle E=HTTP_AUTHORIZATION et CGIPassAuth On) à la racine du site.",
        )
    };
    vec![passerelle, authorization]
}

fn database_checks(conn: &mut Conn) -> Vec<Check> {
    let vars: Option<(String, String, u64, String, String, i64)> = conn
        .query_first(
            "SELECT VERSION(), @@sql_mode, @@max_allowed_packet, @@time_zone, \
             @@system_time_zone, TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), NOW())",
        )
        .ok()
        .flatten();
    let Some((version, sql_mode, packet, zone, system_zone, offset)) = vars else {
        return vec![Check::problem(
            "base_de_donnees",
            "requête refusée",
            "La base répond mais refuse de lire ses variables.",
            "Vérifiez les droits de l'utilisateur DB_USER.",
        )];
    };
    vec![
        version_check(&version),
        sql_mode_check(&sql_mode),
        packet_check(packet),
        clock_check(conn, &zone, &system_zone, offset),
        cron_check(conn),
        schema_check(conn),
    ]
}

/// MySQL 8.0+ (production target 8.4) or MariaDB 10.6+ (tests on 10.11):
/// the schema uses CHECK constraints, JSON defaults and window-free SQL of
/// those versions.
fn version_check(version: &str) -> Check {
    let mut parts = version
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|p| p.parse::<u32>().ok());
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    let mariadb = version.to_ascii_lowercase().contains("mariadb");
    let supported = if mariadb {
        (major, minor) >= (10, 6)
    } else {
        major >= 8
    };
    if supported {
        Check::ok("mysql_version", version)
    } else {
        Check::problem(
            "mysql_version",
            version,
            "Version de base trop ancienne : MyKollector demande MySQL 8.0+ ou MariaDB 10.6+.",
            "Dans l'espace client OVH, créez une base MySQL 8 et migrez-y les données (mk-admin backup puis restore).",
        )
    }
}

fn sql_mode_check(sql_mode: &str) -> Check {
    let strict = sql_mode.contains("STRICT_TRANS_TABLES") || sql_mode.contains("STRICT_ALL_TABLES");
    if strict {
        Check::ok("sql_mode", sql_mode)
    } else {
        Check::problem(
            "sql_mode",
            sql_mode,
            "Le mode strict est désactivé : une valeur trop longue ou invalide serait tronquée en silence au lieu d'être refusée.",
            "Activez STRICT_TRANS_TABLES (paramètre sql_mode du serveur ; sur OVH Web Cloud Databases : onglet Configuration).",
        )
    }
}

fn packet_check(packet: u64) -> Check {
    let text = format!("{} Mo", packet / (1024 * 1024));
    if packet >= MIN_PACKET {
        Check::ok("max_allowed_packet", text)
    } else {
        Check::problem(
            "max_allowed_packet",
            text,
            "max_allowed_packet est inférieur aux 16 Mo attendus par le programme : les grosses requêtes seront refusées.",
            "Portez max_allowed_packet à 16 Mo au moins (configuration du serveur MySQL).",
        )
    }
}

fn clock_check(conn: &mut Conn, zone: &str, system_zone: &str, offset_secs: i64) -> Check {
    let db_epoch: Option<i64> = conn.query_first("SELECT UNIX_TIMESTAMP()").ok().flatten();
    let host_epoch = i64::try_from(crate::security::jwt::now_secs()).unwrap_or(0);
    let skew = db_epoch.map_or(0, |t| (t - host_epoch).abs());
    // A UTC offset is within ±14 h: exact as an f64.
    let offset_hours = f64::from(i32::try_from(offset_secs).unwrap_or(0)) / 3600.0;
    let text = format!(
        "time_zone {zone} (système {system_zone}), UTC{offset_hours:+}h, écart d'horloge {skew} s"
    );
    if skew <= 60 {
        Check::ok("fuseau_horaire", text)
    } else {
        Check::problem(
            "fuseau_horaire",
            text,
            "Les horloges du serveur web et de la base diffèrent de plus d'une minute : jetons et délais seront faussés.",
            "Signalez-le à l'hébergeur (NTP) ; en attendant, gardez des délais de validité larges.",
        )
    }
}

fn cron_check(conn: &mut Conn) -> Check {
    let last: Option<(String, i64, u32)> = conn
        .query_first(
            "SELECT DATE_FORMAT(fin, '%Y-%m-%dT%H:%i:%s'), TIMESTAMPDIFF(SECOND, fin, NOW()), \
             taches_echec FROM cron_runs ORDER BY debut DESC LIMIT 1",
        )
        .ok()
        .flatten();
    let fix = "Dans l'espace client OVH > Hébergement > Tâches planifiées (Cron), ajoutez toutes les heures : \
               <chemin>/mk-admin --env-file <chemin>/.env cron hourly";
    match last {
        None => Check::problem(
            "dernier_cron",
            "jamais",
            "La tâche planifiée horaire n'a jamais tourné : ni sauvegardes, ni relances, ni purges.",
            fix,
        ),
        Some((at, age, _)) if age > CRON_LATE_SECS => Check::problem(
            "dernier_cron",
            format!("{at} (il y a {} h)", age / 3600),
            "La tâche planifiée horaire ne tourne plus depuis plus de 2 heures.",
            fix,
        ),
        Some((at, _, failed)) if failed > 0 => Check::problem(
            "dernier_cron",
            format!("{at}, {failed} tâche(s) en échec"),
            "Le dernier passage du cron a eu des tâches en échec.",
            "Lancez « mk-admin cron hourly » en SSH pour lire le message d'erreur de chaque tâche.",
        ),
        Some((at, age, _)) => Check::ok("dernier_cron", format!("{at} (il y a {} min)", age / 60)),
    }
}

fn schema_check(conn: &mut Conn) -> Check {
    match migrate::status(conn) {
        Ok(states) => {
            let pending: Vec<&str> = states
                .iter()
                .filter(|(_, s)| *s != MigrationState::Applied)
                .map(|(v, _)| *v)
                .collect();
            if pending.is_empty() {
                Check::ok("schema", format!("{} migrations appliquées", states.len()))
            } else {
                Check::problem(
                    "schema",
                    format!("en attente : {}", pending.join(", ")),
                    "Le schéma de la base n'est pas à jour par rapport au programme.",
                    "Sauvegardez (mk-admin backup) puis lancez mk-admin install.",
                )
            }
        }
        Err(e) => Check::problem(
            "schema",
            e.message().to_string(),
            "Impossible de lire l'état des migrations.",
            "Lancez mk-admin install et vérifiez les droits CREATE de DB_USER.",
        ),
    }
}

fn disk_check(dir: &Path) -> Check {
    let free = rustix::fs::statvfs(dir)
        .ok()
        .map(|s| s.f_bavail.saturating_mul(s.f_frsize));
    match free {
        None => Check::problem(
            "disque_libre",
            "inconnu",
            "Impossible de lire l'espace libre du dossier STORAGE_PATH (dossier absent ?).",
            "Lancez mk-admin install, qui crée les dossiers.",
        ),
        Some(bytes) if bytes < MIN_FREE_BYTES => Check::problem(
            "disque_libre",
            format!("{} Mo", bytes / (1024 * 1024)),
            "Moins de 500 Mo libres : les sauvegardes et les fichiers envoyés vont échouer.",
            "Supprimez d'anciens fichiers ou augmentez l'offre d'hébergement (espace disque).",
        ),
        Some(bytes) => Check::ok("disque_libre", format!("{} Mo", bytes / (1024 * 1024))),
    }
}

fn writable_check(cle: &'static str, dir: &Path, label: &str) -> Check {
    if rustix::fs::access(dir, rustix::fs::Access::WRITE_OK).is_ok() {
        Check::ok(cle, format!("{} accessible en écriture", dir.display()))
    } else {
        Check {
            cle,
            statut: "probleme",
            valeur: format!("{} absent ou en lecture seule", dir.display()),
            diagnostic: format!(
                "Le programme ne peut pas écrire dans {label} : les fonctions qui en dépendent échoueront."
            ),
            correction: format!(
                "Créez le dossier hors de www/ et rendez-le inscriptible (chmod 700 {}), ou lancez mk-admin install.",
                dir.display()
            ),
        }
    }
}

fn backup_check(dir: &Path) -> Check {
    match crate::backup::latest(dir) {
        None => Check::problem(
            "derniere_sauvegarde",
            "aucune",
            "Aucune sauvegarde de la base n'existe.",
            "Lancez mk-admin backup, et vérifiez que le cron horaire est en place.",
        ),
        Some(b) if b.age_secondes > BACKUP_LATE_SECS => Check::problem(
            "derniere_sauvegarde",
            format!("{} (il y a {} h)", b.fichier, b.age_secondes / 3600),
            "La dernière sauvegarde a plus de 7 heures (attendu : toutes les 6 heures).",
            "Vérifiez le cron horaire (mk-admin cron hourly) et l'espace disque.",
        ),
        Some(b) => Check::ok(
            "derniere_sauvegarde",
            format!("{} (il y a {} min)", b.fichier, b.age_secondes / 60),
        ),
    }
}

/// The `super_admin`'s view of the host, as seen by this very request.
#[expect(
    clippy::unnecessary_wraps,
    reason = "a route handler: the route table takes `fn(&mut Ctx) -> Result<Response>`"
)]
fn show_doctor(ctx: &mut Ctx) -> Result<Response> {
    let gateway = Gateway {
        // The CGI gateway puts the meta-variables in the process environment;
        // mod_fcgid hands them over the FastCGI socket instead.
        fastcgi: std::env::var_os("GATEWAY_INTERFACE").is_none(),
        authorization: ctx.req.bearer_token().is_some(),
    };
    let config = ctx.config;
    let conn = ctx.conn().ok();
    let items = checks(config, conn, Some(gateway));
    let problems = items.iter().filter(|c| !c.is_ok()).count();
    Ok(Response::ok(&json!({
        "statut": if problems == 0 { "ok" } else { "probleme" },
        "problemes": problems,
        "verifications": items,
    })))
}
