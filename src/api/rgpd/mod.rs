//! Spec §5.10, §10.5 (RGPD) — `GET /api/user/export` and `DELETE
//! /api/user/data`, for the athlete about themself only (the user id comes
//! from the token, never from the request).
//!
//! Export: one ZIP holding each dataset (profile, chronos, orders, rankings,
//! messages, notifications, proofs) as JSON and as CSV, plus the proof files
//! themselves. Deletion anonymises rather than deletes: orders are kept for
//! accounting with the names replaced, chronos stay in the rankings without
//! their proofs and GPS data, Strava tokens, sessions, login links and
//! notifications go, the account is deactivated with an unusable password
//! and an email that no longer matches anyone. Both are audited.

mod anonymise;

use crate::error::{Error, Result};
use crate::http::csv::csv_bytes;
use crate::http::router::{route, Access, Route};
use crate::http::{Ctx, Method, Response};
use crate::security::roles;
use mysql::prelude::Queryable;
use mysql::{Conn, Value};
use serde_json::{json, Map};
use std::io::{Cursor, Write};
use zip::write::SimpleFileOptions;

/// Routes of this module.
pub const ROUTES: &[Route] = &[
    route(
        Method::Get,
        "/api/user/export",
        Access::Roles(roles::SPORTIF),
        export_user_data,
        "RGPD : export ZIP de toutes mes données (JSON et CSV, preuves comprises)",
    ),
    route(
        Method::Delete,
        "/api/user/data",
        Access::Roles(roles::SPORTIF),
        anonymise::delete_user_data,
        "RGPD : droit à l'oubli, anonymise le compte et ferme toutes ses sessions",
    ),
];

/// One dataset of the export: a name and the query selecting the athlete's
/// rows (its only parameter is the user id).
struct Dataset {
    name: &'static str,
    sql: &'static str,
}

const DATASETS: &[Dataset] = &[
    Dataset {
        name: "profil",
        sql: "SELECT id, email, role, nom, prenom, strava_connected, strava_id, \
              presta_customer_id, actif, date_inscription, derniere_connexion \
              FROM users WHERE id = ?",
    },
    Dataset {
        name: "chronos",
        sql: "SELECT c.id, p.nom AS parcours, c.duree_secondes, c.ajustement_sec, c.source, \
              c.statut, c.date_debut, c.date_fin, c.date_realisation, c.preuve_url, \
              c.gps_arrivee, c.strava_activity_id, c.valide_at, c.motif_rejet, \
              CAST(c.gpx_meta AS CHAR) AS gpx_meta, c.created_at \
              FROM chronos c JOIN produits p ON p.id = c.produit_id \
              WHERE c.user_id = ? ORDER BY c.id",
    },
    Dataset {
        name: "commandes",
        sql: "SELECT c.numero, p.nom AS parcours, c.statut, c.duree_secondes, c.date_commande, \
              c.date_gravure, c.date_expedition, c.date_livraison, c.tracking, c.transporteur, \
              CAST(c.gravure_texte AS CHAR) AS gravure_texte, c.validation_sportif, \
              c.date_validation_sportif, c.email_client, \
              CAST(c.adresse_livraison AS CHAR) AS adresse_livraison \
              FROM commandes c JOIN produits p ON p.id = c.produit_id \
              WHERE c.user_id = ? ORDER BY c.id",
    },
    Dataset {
        name: "classements",
        sql: "SELECT p.nom AS parcours, k.meilleur_temps_sec, k.updated_at \
              FROM classements k JOIN produits p ON p.id = k.produit_id \
              WHERE k.user_id = ? ORDER BY k.id",
    },
    Dataset {
        name: "messages",
        sql: "SELECT m.id, m.conversation_id, c.titre AS conversation, m.contenu, \
              m.piece_jointe_nom, m.created_at \
              FROM chat_messages m JOIN chat_conversations c ON c.id = m.conversation_id \
              WHERE m.user_id = ? ORDER BY m.id",
    },
    Dataset {
        name: "notifications",
        sql: "SELECT id, type, titre, message, lien, lu, created_at \
              FROM notifications WHERE user_id = ? ORDER BY id",
    },
    Dataset {
        name: "sessions",
        sql: "SELECT created_at, expires_at, revoked_at, ip, user_agent \
              FROM sessions WHERE user_id = ? ORDER BY id",
    },
];

/// A value as export text (`None` for SQL NULL); reports use it too.
pub(crate) fn text(v: &Value) -> Option<String> {
    match v {
        Value::NULL => None,
        Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::Int(i) => Some(i.to_string()),
        Value::UInt(u) => Some(u.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Double(d) => Some(d.to_string()),
        other => Some(other.as_sql(true).trim_matches('\'').to_string()),
    }
}

/// One dataset of the export: its column names and its rows, as text.
struct DatasetRows {
    columns: Vec<String>,
    rows: Vec<Vec<Option<String>>>,
}

/// The rows of one dataset.
fn fetch(conn: &mut Conn, sql: &str, user_id: u64) -> Result<DatasetRows> {
    let rows: Vec<mysql::Row> = conn.exec(sql, (user_id,))?;
    let columns = rows.first().map_or_else(Vec::new, |r| {
        r.columns_ref()
            .iter()
            .map(|c| c.name_str().into_owned())
            .collect()
    });
    let values = rows
        .into_iter()
        .map(|r| r.unwrap().iter().map(text).collect())
        .collect();
    Ok(DatasetRows {
        columns,
        rows: values,
    })
}

/// Spec 5.10 "RGPD – export données ZIP".
fn export_user_data(ctx: &mut Ctx) -> Result<Response> {
    let user_id = ctx.user_id()?;
    let storage = ctx.config.storage_path.clone();
    let req = ctx.req;
    let conn = ctx.conn()?;
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut proofs = Vec::new();
    for set in DATASETS {
        let DatasetRows { columns, rows } = fetch(conn, set.sql, user_id)?;
        if set.name == "chronos" {
            let col = columns.iter().position(|c| c == "preuve_url");
            proofs.extend(rows.iter().filter_map(|r| col.and_then(|i| r[i].clone())));
        }
        let objects: Vec<Map<String, serde_json::Value>> = rows
            .iter()
            .map(|r| {
                columns
                    .iter()
                    .cloned()
                    .zip(r.iter().map(|v| json!(v)))
                    .collect()
            })
            .collect();
        add(
            &mut zip,
            &format!("{}.json", set.name),
            options,
            &serde_json::to_vec_pretty(&objects).map_err(Error::internal)?,
        )?;
        let header: Vec<&str> = columns.iter().map(String::as_str).collect();
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| r.iter().map(|v| v.clone().unwrap_or_default()).collect())
            .collect();
        add(
            &mut zip,
            &format!("{}.csv", set.name),
            options,
            &csv_bytes(&header, &cells),
        )?;
    }
    for proof in &proofs {
        // Only files of the proof area: a path read from the database never
        // leads the export outside STORAGE_PATH/preuves.
        let Some(name) = proof
            .strip_prefix("preuves/")
            .filter(|n| !n.contains(['/', '\\']) && !n.starts_with('.'))
        else {
            continue;
        };
        if let Ok(bytes) = std::fs::read(storage.join("preuves").join(name)) {
            add(&mut zip, &format!("preuves/{name}"), options, &bytes)?;
        }
    }
    add(&mut zip, "LISEZMOI.txt", options, README.as_bytes())?;
    let bytes = zip.finish().map_err(Error::internal)?.into_inner();
    record_export(conn, req, user_id, bytes.len(), proofs.len())?;
    let name = format!(
        "mykollector-mes-donnees-{}.zip",
        &crate::time::now_iso_utc()[..10]
    );
    Ok(Response::file("application/zip", &name, bytes).with_header("Cache-Control", "no-store"))
}

const README: &str = "Export RGPD MyKollector\r\n\r\n\
Chaque fichier existe en JSON et en CSV (UTF-8, séparateur ;) :\r\n\
profil, chronos, commandes, classements, messages, notifications, sessions.\r\n\
Le dossier preuves/ contient les justificatifs envoyés avec vos chronos.\r\n";

fn add(
    zip: &mut zip::ZipWriter<Cursor<Vec<u8>>>,
    name: &str,
    options: SimpleFileOptions,
    bytes: &[u8],
) -> Result<()> {
    zip.start_file(name, options).map_err(Error::internal)?;
    zip.write_all(bytes)?;
    Ok(())
}

/// A GET is not audited by the dispatcher: the export is, by hand.
fn record_export(
    conn: &mut Conn,
    req: &crate::http::Request,
    user_id: u64,
    size: usize,
    proofs: usize,
) -> Result<()> {
    conn.exec_drop(
        "INSERT INTO logs_audit (user_id, role, methode, route, statut_http, niveau, type, \
         entite, entite_id, details, ip) \
         VALUES (?, 'sportif', 'GET', '/api/user/export', 200, 'INFO', 'rgpd', 'user', ?, ?, ?)",
        (
            user_id,
            user_id,
            json!({ "action": "export", "octets": size, "preuves": proofs }).to_string(),
            &req.remote_addr,
        ),
    )?;
    Ok(())
}
