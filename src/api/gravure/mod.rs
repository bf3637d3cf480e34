//! Spec §5.6, §8, §4.6–4.29 — `/api/templates-gravure`,
//! `/api/templates-etiquettes`, `/api/lots`, `/api/agent/*` and
//! `/api/fab/etiquette/{commande_id}`: engraving templates, lots of orders
//! with the DXF the server generates for them ([`dxf_fill`]), the workshop
//! agent's polling API and shipping labels.
//!
//! Files live under `STORAGE_PATH` (never under the web root):
//! `templates_dxf/<random>.dxf` for uploaded templates and
//! `lots/<lot number>-<random>.dxf` for generated lots; the database keeps
//! paths relative to `STORAGE_PATH`.

pub mod agent;
pub mod dxf_fill;
pub mod generation;
pub mod labels;
pub mod lots;
pub mod queries;
pub mod templates;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::router::{route, Access, Route, UPLOAD_BODY_LIMIT};
use crate::http::Method;
use crate::security::roles::{ADMIN_PLUS, OPERATEUR_PLUS};
use std::path::PathBuf;

/// Routes of this module.
pub const ROUTES: &[Route] = &[
    // Engraving templates (DXF).
    route(
        Method::Get,
        "/api/templates-gravure",
        Access::Roles(OPERATEUR_PLUS),
        templates::list_templates,
        "Liste des templates de gravure DXF",
    ),
    route(
        Method::Post,
        "/api/templates-gravure",
        Access::Roles(ADMIN_PLUS),
        templates::create_template,
        "Dépose un template DXF (multipart) et liste ses placeholders",
    )
    .body_limit(UPLOAD_BODY_LIMIT),
    route(
        Method::Get,
        "/api/templates-gravure/{id}",
        Access::Roles(OPERATEUR_PLUS),
        templates::show_template,
        "Détail d'un template de gravure",
    ),
    route(
        Method::Patch,
        "/api/templates-gravure/{id}",
        Access::Roles(ADMIN_PLUS),
        templates::update_template,
        "Modifie espacement, colonnes, max_batch… d'un template",
    ),
    route(
        Method::Delete,
        "/api/templates-gravure/{id}",
        Access::Roles(ADMIN_PLUS),
        templates::delete_template,
        "Supprime un template jamais utilisé par un lot",
    ),
    route(
        Method::Get,
        "/api/templates-gravure/{id}/fichier",
        Access::Roles(OPERATEUR_PLUS),
        templates::show_template_file,
        "Télécharge le DXF d'un template",
    ),
    // Label templates (HTML).
    route(
        Method::Get,
        "/api/templates-etiquettes",
        Access::Roles(OPERATEUR_PLUS),
        templates::list_label_templates,
        "Liste des templates d'étiquettes",
    ),
    route(
        Method::Post,
        "/api/templates-etiquettes",
        Access::Roles(ADMIN_PLUS),
        templates::create_label_template,
        "Crée un template d'étiquette HTML",
    ),
    route(
        Method::Get,
        "/api/templates-etiquettes/{id}",
        Access::Roles(OPERATEUR_PLUS),
        templates::show_label_template,
        "Détail d'un template d'étiquette",
    ),
    route(
        Method::Patch,
        "/api/templates-etiquettes/{id}",
        Access::Roles(ADMIN_PLUS),
        templates::update_label_template,
        "Modifie un template d'étiquette",
    ),
    route(
        Method::Delete,
        "/api/templates-etiquettes/{id}",
        Access::Roles(ADMIN_PLUS),
        templates::delete_label_template,
        "Supprime un template d'étiquette",
    ),
    // Lots (spec 5.6).
    route(
        Method::Get,
        "/api/lots",
        Access::Roles(OPERATEUR_PLUS),
        lots::list_lots,
        "Liste des lots",
    ),
    route(
        Method::Post,
        "/api/lots",
        Access::Roles(OPERATEUR_PLUS),
        lots::create_lot,
        "Crée un lot et génère son DXF",
    )
    .limit(20, 3600),
    route(
        Method::Get,
        "/api/lots/{id}",
        Access::Roles(OPERATEUR_PLUS),
        lots::show_lot,
        "Détail du lot avec ses commandes",
    ),
    route(
        Method::Patch,
        "/api/lots/{id}/statut",
        Access::Roles(OPERATEUR_PLUS),
        lots::update_lot_statut,
        "Change le statut du lot (et de ses commandes)",
    ),
    route(
        Method::Get,
        "/api/lots/{id}/csv",
        Access::Roles(OPERATEUR_PLUS),
        lots::show_lot_csv,
        "Export CSV UTF-8 BOM du lot",
    ),
    route(
        Method::Get,
        "/api/lots/{id}/dxf",
        Access::Roles(OPERATEUR_PLUS),
        lots::show_lot_dxf,
        "Télécharge le dernier DXF généré du lot",
    ),
    route(
        Method::Post,
        "/api/lots/{id}/regenerer",
        Access::Roles(OPERATEUR_PLUS),
        lots::create_lot_regeneration,
        "Régénère le DXF du lot (avant gravure)",
    ),
    // Workshop agent (spec 5.6, 8.2): an operateur_fab account.
    route(
        Method::Get,
        "/api/agent/lots-en-attente",
        Access::Roles(OPERATEUR_PLUS),
        agent::list_agent_lots,
        "Lots à traiter (agent local)",
    ),
    route(
        Method::Get,
        "/api/agent/template-gravure/{id}/fichier",
        Access::Roles(OPERATEUR_PLUS),
        agent::show_agent_template_file,
        "Télécharger template DXF",
    ),
    route(
        Method::Get,
        "/api/agent/lot/{id}/fichier",
        Access::Roles(OPERATEUR_PLUS),
        agent::show_agent_lot_file,
        "Télécharger le DXF généré d'un lot",
    ),
    route(
        Method::Post,
        "/api/agent/lot/{id}/rapport",
        Access::Roles(OPERATEUR_PLUS),
        agent::create_agent_lot_report,
        "Rapport de génération DXF",
    ),
    route(
        Method::Get,
        "/api/agent/etiquettes-en-attente",
        Access::Roles(OPERATEUR_PLUS),
        agent::list_agent_labels,
        "Étiquettes à générer",
    ),
    route(
        Method::Post,
        "/api/agent/commande/{id}/etiquette-generee",
        Access::Roles(OPERATEUR_PLUS),
        agent::create_agent_label_report,
        "Rapport étiquette générée",
    ),
    // Spec 5.5: label of one order.
    route(
        Method::Post,
        "/api/fab/etiquette/{commande_id}",
        Access::Roles(OPERATEUR_PLUS),
        labels::create_label,
        "Générer étiquette (HTML rendu, PDF par l'agent)",
    ),
];

/// A stored file's absolute path from its path relative to the storage
/// directory. Relative paths come from our own generated names; anything
/// that could climb out of the storage directory is refused anyway.
fn storage_file(config: &Config, relative: &str) -> Result<PathBuf> {
    let rel = std::path::Path::new(relative);
    if rel.is_absolute()
        || rel
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return Err(Error::internal(format!("unsafe storage path {relative:?}")));
    }
    Ok(config.storage_path.join(rel))
}

/// Reads a stored file; a file gone from disk is our fault (500), logged.
fn read_stored(config: &Config, relative: &str) -> Result<Vec<u8>> {
    let path = storage_file(config, relative)?;
    std::fs::read(&path).map_err(|e| Error::internal(format!("{}: {e}", path.display())))
}

/// Seeds the demo: the medal template (file copied into storage), a
/// Colissimo label template, and a lot of the demo orders ready to engrave
/// when there are any.
pub fn seed_demo(conn: &mut mysql::Conn, config: &Config) -> Result<()> {
    templates::seed_demo(conn, config)?;
    lots::seed_demo(conn, config)
}
