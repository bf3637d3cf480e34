//! SQL of the gravure module: templates, lots, generated files, labels.

use crate::db::rows::{self, FromRow, Record};
use crate::error::Result;
use crate::http::list::{ListQuery, Listed, Page, Where};
use mysql::prelude::Queryable;
use mysql::{params, Conn, Row};
use serde::{Serialize, Serializer};
use serde_json::{json, Value};

/// `?, ?, ?` for an `IN (...)` list of `n` bound values (never values
/// themselves: they stay parameters).
#[must_use]
pub fn placeholders(n: usize) -> String {
    vec!["?"; n.max(1)].join(", ")
}

// ---------------------------------------------------------------------------
// templates_gravure
// ---------------------------------------------------------------------------

/// One `templates_gravure` row: its file and its layout values.
pub type TemplateRow = Record<TemplateFile, TemplateValues>;

/// What the server keeps of a template: its DXF file (the storage path is
/// never shown) and what the upload found in it.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct TemplateFile {
    pub id: u64,
    #[serde(skip)]
    pub fichier_path: String,
    pub fichier_nom_original: Option<String>,
    pub fichier_sha256: Option<String>,
    /// A JSON array, as stored.
    #[serde(serialize_with = "placeholders_json")]
    pub placeholders: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

/// The stored placeholders as a JSON array (`[]` when unreadable).
#[expect(
    clippy::ref_option,
    reason = "serde's serialize_with hands the field over by reference"
)]
fn placeholders_json<S: Serializer>(
    stored: &Option<String>,
    out: S,
) -> std::result::Result<S::Ok, S::Error> {
    stored
        .as_deref()
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
        .unwrap_or_else(|| json!([]))
        .serialize(out)
}

const TEMPLATE_COLUMNS: &str = "id, nom, fichier_path, fichier_nom_original, fichier_sha256, \
     CAST(placeholders AS CHAR) AS placeholders, \
     CAST(espacement_x_mm AS DOUBLE) AS espacement_x_mm, CAST(espacement_y_mm AS DOUBLE) AS espacement_y_mm, \
     colonnes, max_batch, CAST(largeur_mm AS DOUBLE) AS largeur_mm, CAST(hauteur_mm AS DOUBLE) AS hauteur_mm, \
     produit_id, actif, \
     DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s') AS created_at, \
     DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%s') AS updated_at";

/// A page of templates (all, or active only), newest first, with the total.
pub fn list_templates(
    conn: &mut Conn,
    actif_only: bool,
    limit: u64,
    offset: u64,
) -> Result<(Vec<TemplateRow>, u64)> {
    let rows = rows::all(
        conn,
        format!(
            "SELECT {TEMPLATE_COLUMNS} FROM templates_gravure
             WHERE (:all OR actif) ORDER BY id DESC LIMIT :limit OFFSET :offset"
        ),
        params! { "all" => !actif_only, "limit" => limit, "offset" => offset },
    )?;
    let total: Option<u64> = conn.exec_first(
        "SELECT COUNT(*) FROM templates_gravure WHERE (:all OR actif)",
        params! { "all" => !actif_only },
    )?;
    Ok((rows, total.unwrap_or(0)))
}

/// One template; `lock` takes a shared lock so it cannot change under a lot.
pub fn find_template(conn: &mut Conn, id: u64, lock: bool) -> Result<Option<TemplateRow>> {
    let suffix = if lock { " LOCK IN SHARE MODE" } else { "" };
    rows::first(
        conn,
        format!("SELECT {TEMPLATE_COLUMNS} FROM templates_gravure WHERE id = ?{suffix}"),
        (id,),
    )
}

/// The values of a new or edited template.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct TemplateValues {
    pub nom: String,
    pub espacement_x_mm: f64,
    pub espacement_y_mm: f64,
    pub colonnes: u32,
    pub max_batch: u32,
    pub largeur_mm: Option<f64>,
    pub hauteur_mm: Option<f64>,
    pub produit_id: Option<u64>,
    pub actif: bool,
}

/// Inserts a template; returns its id.
pub fn insert_template(
    conn: &mut Conn,
    v: &TemplateValues,
    path: &str,
    original: Option<&str>,
    sha256: &str,
    placeholders: &Value,
) -> Result<u64> {
    conn.exec_drop(
        r"INSERT INTO templates_gravure
            (nom, fichier_path, fichier_nom_original, fichier_sha256, placeholders,
             espacement_x_mm, espacement_y_mm, colonnes, max_batch, largeur_mm, hauteur_mm, produit_id, actif)
          VALUES (:nom, :path, :original, :sha, :placeholders, :ex, :ey, :colonnes, :max_batch,
                  :largeur, :hauteur, :produit_id, :actif)",
        params! {
            "nom" => &v.nom, "path" => path, "original" => original, "sha" => sha256,
            "placeholders" => placeholders.to_string(),
            "ex" => v.espacement_x_mm, "ey" => v.espacement_y_mm,
            "colonnes" => v.colonnes, "max_batch" => v.max_batch,
            "largeur" => v.largeur_mm, "hauteur" => v.hauteur_mm,
            "produit_id" => v.produit_id, "actif" => v.actif,
        },
    )?;
    Ok(conn.last_insert_id())
}

/// Rewrites a template's metadata.
pub fn update_template(conn: &mut Conn, id: u64, v: &TemplateValues) -> Result<()> {
    conn.exec_drop(
        r"UPDATE templates_gravure SET nom = :nom, espacement_x_mm = :ex, espacement_y_mm = :ey,
            colonnes = :colonnes, max_batch = :max_batch, largeur_mm = :largeur, hauteur_mm = :hauteur,
            produit_id = :produit_id, actif = :actif
          WHERE id = :id",
        params! {
            "nom" => &v.nom, "ex" => v.espacement_x_mm, "ey" => v.espacement_y_mm,
            "colonnes" => v.colonnes, "max_batch" => v.max_batch,
            "largeur" => v.largeur_mm, "hauteur" => v.hauteur_mm,
            "produit_id" => v.produit_id, "actif" => v.actif, "id" => id,
        },
    )?;
    Ok(())
}

/// Number of lots made with a template.
pub fn lots_using_template(conn: &mut Conn, id: u64) -> Result<u64> {
    let n: Option<u64> = conn.exec_first(
        "SELECT COUNT(*) FROM lots WHERE template_gravure_id = ?",
        (id,),
    )?;
    Ok(n.unwrap_or(0))
}

/// Deletes a template row.
pub fn delete_template(conn: &mut Conn, id: u64) -> Result<()> {
    conn.exec_drop("DELETE FROM templates_gravure WHERE id = ?", (id,))?;
    Ok(())
}

// ---------------------------------------------------------------------------
// templates_etiquettes
// ---------------------------------------------------------------------------

/// One `templates_etiquettes` row, as the API shows it.
pub type LabelTemplate = Record<Stamps, LabelValues>;

/// The id and timestamps of a row.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Stamps {
    pub id: u64,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

const LABEL_COLUMNS: &str = "id, nom, html, transporteur, \
     CAST(largeur_mm AS DOUBLE) AS largeur_mm, CAST(hauteur_mm AS DOUBLE) AS hauteur_mm, actif, \
     DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s') AS created_at, \
     DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%s') AS updated_at";

/// A page of label templates, with the total.
pub fn list_label_templates(
    conn: &mut Conn,
    limit: u64,
    offset: u64,
) -> Result<(Vec<LabelTemplate>, u64)> {
    let rows = rows::all(
        conn,
        format!(
            "SELECT {LABEL_COLUMNS} FROM templates_etiquettes ORDER BY id DESC LIMIT ? OFFSET ?"
        ),
        (limit, offset),
    )?;
    let total: Option<u64> = conn.query_first("SELECT COUNT(*) FROM templates_etiquettes")?;
    Ok((rows, total.unwrap_or(0)))
}

/// One label template.
pub fn find_label_template(conn: &mut Conn, id: u64) -> Result<Option<LabelTemplate>> {
    rows::first(
        conn,
        format!("SELECT {LABEL_COLUMNS} FROM templates_etiquettes WHERE id = ?"),
        (id,),
    )
}

/// The values of a label template.
#[derive(Debug, Clone, Default, FromRow, Serialize)]
pub struct LabelValues {
    pub nom: String,
    pub html: String,
    pub transporteur: Option<String>,
    pub largeur_mm: Option<f64>,
    pub hauteur_mm: Option<f64>,
    pub actif: bool,
}

impl LabelValues {
    /// The values as positional parameters, in the column order of the
    /// queries below.
    fn params(&self) -> Vec<mysql::Value> {
        vec![
            self.nom.as_str().into(),
            self.html.as_str().into(),
            self.transporteur.as_deref().into(),
            self.largeur_mm.into(),
            self.hauteur_mm.into(),
            self.actif.into(),
        ]
    }
}

/// Inserts a label template; returns its id.
pub fn insert_label_template(conn: &mut Conn, v: &LabelValues) -> Result<u64> {
    conn.exec_drop(
        r"INSERT INTO templates_etiquettes (nom, html, transporteur, largeur_mm, hauteur_mm, actif)
          VALUES (?, ?, ?, ?, ?, ?)",
        v.params(),
    )?;
    Ok(conn.last_insert_id())
}

/// Rewrites a label template.
pub fn update_label_template(conn: &mut Conn, id: u64, v: &LabelValues) -> Result<()> {
    conn.exec_drop(
        r"UPDATE templates_etiquettes SET nom = ?, html = ?, transporteur = ?, largeur_mm = ?,
            hauteur_mm = ?, actif = ? WHERE id = ?",
        [v.params(), vec![id.into()]].concat(),
    )?;
    Ok(())
}

/// Deletes a label template (orders keep their label, the FK sets NULL).
pub fn delete_label_template(conn: &mut Conn, id: u64) -> Result<()> {
    conn.exec_drop("DELETE FROM templates_etiquettes WHERE id = ?", (id,))?;
    Ok(())
}

/// The label template for an order: its own, else the active one of its
/// carrier, else the active generic one (no carrier), else any active one.
pub fn label_template_for(
    conn: &mut Conn,
    own: Option<u64>,
    transporteur: Option<&str>,
) -> Result<Option<(u64, String)>> {
    Ok(conn.exec_first(
        r"SELECT id, html FROM templates_etiquettes
          WHERE id = :own OR actif
          ORDER BY (id = :own) DESC,
                   (:transporteur IS NOT NULL AND LOWER(transporteur) = LOWER(:transporteur)) DESC,
                   (transporteur IS NULL) DESC, id
          LIMIT 1",
        params! { "own" => own, "transporteur" => transporteur },
    )?)
}

// ---------------------------------------------------------------------------
// Orders as the lots see them
// ---------------------------------------------------------------------------

/// An order considered for a lot, read under a row lock.
#[derive(Debug, Clone, FromRow)]
pub struct Candidate {
    pub id: u64,
    pub numero: String,
    pub statut: String,
    pub validation_sportif: bool,
    pub is_b2b: bool,
    pub atelier_id: Option<u64>,
    pub produit_id: u64,
    /// The current lot, when it is still active (not termine/annule).
    pub active_lot: Option<String>,
}

/// Locks the orders `ids` and reads what lot creation checks.
pub fn lock_candidates(tx: &mut Conn, ids: &[u64]) -> Result<Vec<Candidate>> {
    rows::all(
        tx,
        format!(
            r"SELECT c.id, c.numero, c.statut,
                     COALESCE(c.validation_sportif, FALSE) AS validation_sportif,
                     COALESCE(c.is_b2b, FALSE) AS is_b2b, c.atelier_id, c.produit_id,
                     IF(l.statut IN ('cree', 'en_gravure', 'grave'), l.numero, NULL) AS active_lot
              FROM commandes c LEFT JOIN lots l ON l.id = c.lot_id
              WHERE c.id IN ({}) ORDER BY c.id FOR UPDATE",
            placeholders(ids.len())
        ),
        ids.to_vec(),
    )
}

/// What one medal needs, read at generation time (names from `users` now,
/// never copied into the order).
#[derive(Debug, Clone, FromRow)]
pub struct EngravingRow {
    #[mysql(rename = "id")]
    pub commande_id: u64,
    pub numero: String,
    pub is_b2b: bool,
    pub b2b_client_nom: Option<String>,
    /// The name to engrave given with a B2B order (`gravure_texte.nom`).
    pub gravure_nom: Option<String>,
    pub user_nom: Option<String>,
    pub user_prenom: Option<String>,
    pub has_user: bool,
    pub duree_secondes: Option<u64>,
    pub date_realisation: Option<String>,
    pub date_chrono: Option<String>,
    pub date_commande: Option<String>,
    pub parcours: Option<String>,
    pub statut: String,
    pub position: u32,
}

/// The orders of a lot in plate order.
pub fn engraving_rows(conn: &mut Conn, lot_id: u64) -> Result<Vec<EngravingRow>> {
    rows::all(
        conn,
        r"SELECT c.id, c.numero, COALESCE(c.is_b2b, FALSE) AS is_b2b, c.b2b_client_nom,
                 JSON_UNQUOTE(JSON_EXTRACT(c.gravure_texte, '$.nom')) AS gravure_nom,
                 u.nom AS user_nom, u.prenom AS user_prenom, (u.id IS NOT NULL) AS has_user,
                 GREATEST(COALESCE(c.duree_secondes, ch.duree_secondes), 0) AS duree_secondes,
                 ch.date_realisation,
                 DATE_FORMAT(COALESCE(ch.date_fin, ch.date_debut), '%Y-%m-%d') AS date_chrono,
                 DATE_FORMAT(c.date_commande, '%Y-%m-%d') AS date_commande,
                 p.nom AS parcours, c.statut, cl.position
          FROM commande_lot cl
          JOIN commandes c ON c.id = cl.commande_id
          LEFT JOIN users u ON u.id = c.user_id
          LEFT JOIN chronos ch ON ch.id = c.chrono_id
          LEFT JOIN produits p ON p.id = c.produit_id
          WHERE cl.lot_id = ? AND c.lot_id = cl.lot_id
          ORDER BY cl.position, c.id",
        (lot_id,),
    )
}

// ---------------------------------------------------------------------------
// lots
// ---------------------------------------------------------------------------

/// The next lot number `LOT-<year>-<seq>` (sequence code 'LOT', atomic as
/// for order numbers).
pub fn next_lot_numero(tx: &mut Conn) -> Result<String> {
    let (year, seq) = crate::db::rows::next_in_sequence(tx, "LOT")?;
    Ok(format!("LOT-{year}-{seq:04}"))
}

/// Inserts a lot in status `cree`, waiting for the agent.
pub fn insert_lot(
    tx: &mut Conn,
    numero: &str,
    template_id: u64,
    atelier_id: Option<u64>,
    nb: usize,
    by: Option<u64>,
) -> Result<u64> {
    tx.exec_drop(
        r"INSERT INTO lots (numero, template_gravure_id, atelier_id, statut, nb_commandes, cree_par, agent_statut)
          VALUES (?, ?, ?, 'cree', ?, ?, 'en_attente')",
        (numero, template_id, atelier_id, nb, by),
    )?;
    Ok(tx.last_insert_id())
}

/// Puts order `commande_id` in the lot at `position`.
pub fn attach_order(tx: &mut Conn, lot_id: u64, commande_id: u64, position: usize) -> Result<()> {
    tx.exec_drop(
        "INSERT INTO commande_lot (lot_id, commande_id, position) VALUES (?, ?, ?)",
        (lot_id, commande_id, position),
    )?;
    tx.exec_drop(
        "UPDATE commandes SET lot_id = ? WHERE id = ?",
        (lot_id, commande_id),
    )?;
    Ok(())
}

/// One `lots` row with its template's name, as the API shows it.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct LotRow {
    pub id: u64,
    pub numero: String,
    pub template_gravure_id: u64,
    pub template_nom: Option<String>,
    pub atelier_id: Option<u64>,
    pub statut: String,
    pub nb_commandes: u32,
    pub cree_par: Option<u64>,
    pub agent_statut: Option<String>,
    #[serde(serialize_with = "rows::stored_json")]
    pub agent_rapport: Option<String>,
    pub date_gravure: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

impl LotRow {
    /// The API shape as a JSON tree, for the answers that extend it.
    #[must_use]
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

const LOT_COLUMNS: &str = "l.id, l.numero, l.template_gravure_id, t.nom AS template_nom, l.atelier_id, \
     l.statut, l.nb_commandes, l.cree_par, l.agent_statut, CAST(l.agent_rapport AS CHAR) AS agent_rapport, \
     DATE_FORMAT(l.date_gravure, '%Y-%m-%dT%H:%i:%s') AS date_gravure, \
     DATE_FORMAT(l.created_at, '%Y-%m-%dT%H:%i:%s') AS created_at, \
     DATE_FORMAT(l.updated_at, '%Y-%m-%dT%H:%i:%s') AS updated_at";

/// One lot; `lock` for a status change.
pub fn find_lot(conn: &mut Conn, id: u64, lock: bool) -> Result<Option<LotRow>> {
    let suffix = if lock { " FOR UPDATE" } else { "" };
    let row: Option<Row> = conn.exec_first(
        format!(
            "SELECT {LOT_COLUMNS} FROM lots l LEFT JOIN templates_gravure t ON t.id = l.template_gravure_id
             WHERE l.id = ?{suffix}"
        ),
        (id,),
    )?;
    row.map(crate::db::rows::convert).transpose()
}

/// Filters of the lot list (None = no filter).
#[derive(Debug, Default)]
pub struct LotFilter {
    pub atelier_id: Option<u64>,
    pub statut: Option<String>,
    /// Agent queue: lots `cree`/`en_gravure` whose agent status is NULL or
    /// `en_attente`.
    pub agent_queue: bool,
}

/// A page of lots, newest first.
pub fn list_lots(conn: &mut Conn, f: &LotFilter, page: &Page) -> Result<Listed<LotRow>> {
    let mut filter = Where::new();
    filter
        .bind_opt("l.atelier_id = ?", f.atelier_id)
        .bind_opt("l.statut = ?", f.statut.as_deref());
    if f.agent_queue {
        filter
            .fixed("l.statut IN ('cree', 'en_gravure')")
            .fixed("(l.agent_statut IS NULL OR l.agent_statut = 'en_attente')");
    }
    ListQuery {
        table: "lots l",
        key: "l.id",
        filter_joins: "",
        order_joins: "",
        columns: LOT_COLUMNS,
        joins: "LEFT JOIN templates_gravure t ON t.id = l.template_gravure_id",
        order_by: "l.id DESC",
    }
    .read(conn, &filter, page, rows::convert)
}

/// Sets a lot's status (and the engraving date when it becomes `grave`).
pub fn set_lot_statut(tx: &mut Conn, id: u64, statut: &str) -> Result<()> {
    tx.exec_drop(
        r"UPDATE lots SET statut = :statut,
            date_gravure = IF(:statut = 'grave', NOW(), date_gravure)
          WHERE id = :id",
        params! { "statut" => statut, "id" => id },
    )?;
    Ok(())
}

/// Detaches every order from a cancelled lot (the pivot keeps the history).
pub fn release_orders(tx: &mut Conn, lot_id: u64) -> Result<()> {
    tx.exec_drop(
        "UPDATE commandes SET lot_id = NULL WHERE lot_id = ?",
        (lot_id,),
    )?;
    Ok(())
}

/// The agent's verdict on a lot.
pub fn set_agent_report(tx: &mut Conn, id: u64, statut: &str, rapport: &Value) -> Result<()> {
    tx.exec_drop(
        "UPDATE lots SET agent_statut = ?, agent_rapport = ? WHERE id = ?",
        (statut, rapport.to_string(), id),
    )?;
    Ok(())
}

/// A new file generation puts the lot back in the agent's queue.
pub fn reset_agent(tx: &mut Conn, id: u64) -> Result<()> {
    tx.exec_drop(
        "UPDATE lots SET agent_statut = 'en_attente', agent_rapport = NULL WHERE id = ?",
        (id,),
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------
// fichiers_gravure
// ---------------------------------------------------------------------------

/// Records a generated file; returns its id.
pub fn insert_file(
    tx: &mut Conn,
    lot_id: u64,
    template_id: u64,
    path: &str,
    size: usize,
    sha256: &str,
    nb: usize,
) -> Result<u64> {
    tx.exec_drop(
        r"INSERT INTO fichiers_gravure (lot_id, template_gravure_id, fichier_path, taille_octets, sha256, nb_medailles, genere_par)
          VALUES (?, ?, ?, ?, ?, ?, 'serveur')",
        (lot_id, template_id, path, size, sha256, nb),
    )?;
    Ok(tx.last_insert_id())
}

/// Where order `commande_id` sits in file `fichier_id`.
pub fn insert_file_order(
    tx: &mut Conn,
    fichier_id: u64,
    commande_id: u64,
    exemplaire: u64,
    position: usize,
    x: f64,
    y: f64,
) -> Result<()> {
    tx.exec_drop(
        r"INSERT INTO commande_fichier_gravure (fichier_id, commande_id, exemplaire, position, x_mm, y_mm)
          VALUES (?, ?, ?, ?, ?, ?)",
        (fichier_id, commande_id, exemplaire, position, x, y),
    )?;
    Ok(())
}

/// One `fichiers_gravure` row.
#[derive(Debug, FromRow)]
pub struct LotFile {
    pub id: u64,
    /// Where the file is stored (never shown to the API).
    pub fichier_path: String,
    pub taille_octets: u64,
    pub sha256: Option<String>,
    pub nb_medailles: u32,
    pub created_at: Option<String>,
}

/// The generated files of a lot, newest first.
pub fn lot_files(conn: &mut Conn, lot_id: u64) -> Result<Vec<LotFile>> {
    rows::all(
        conn,
        r"SELECT id, fichier_path, taille_octets, sha256, nb_medailles,
                 DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s') AS created_at
          FROM fichiers_gravure WHERE lot_id = ? ORDER BY id DESC",
        (lot_id,),
    )
}

/// Where an order's medal sits on the plate of a file.
#[derive(Debug, FromRow)]
pub struct PlatePosition {
    pub commande_id: u64,
    pub x_mm: f64,
    pub y_mm: f64,
}

/// Plate positions of the orders in a file.
pub fn file_positions(conn: &mut Conn, fichier_id: u64) -> Result<Vec<PlatePosition>> {
    rows::all(
        conn,
        r"SELECT commande_id, CAST(x_mm AS DOUBLE) AS x_mm, CAST(y_mm AS DOUBLE) AS y_mm
          FROM commande_fichier_gravure WHERE fichier_id = ?",
        (fichier_id,),
    )
}

// ---------------------------------------------------------------------------
// Labels
// ---------------------------------------------------------------------------

/// What a shipping label shows about an order.
#[derive(Debug, Clone, FromRow)]
pub struct LabelOrder {
    pub id: u64,
    pub numero: String,
    pub statut: String,
    pub atelier_id: Option<u64>,
    pub user_nom: Option<String>,
    pub user_prenom: Option<String>,
    pub b2b_client_nom: Option<String>,
    pub adresse_livraison: Option<String>,
    pub tracking: Option<String>,
    pub transporteur: Option<String>,
    pub parcours: Option<String>,
    pub etiquette_template_id: Option<u64>,
    pub etiquette_statut: Option<String>,
}

const LABEL_ORDER_SELECT: &str = r"SELECT c.id, c.numero, c.statut, c.atelier_id, u.nom AS user_nom,
         u.prenom AS user_prenom, c.b2b_client_nom, CAST(c.adresse_livraison AS CHAR) AS adresse_livraison,
         c.tracking, c.transporteur, p.nom AS parcours, c.etiquette_template_id, c.etiquette_statut
  FROM commandes c
  LEFT JOIN users u ON u.id = c.user_id
  LEFT JOIN produits p ON p.id = c.produit_id";

/// One order, for its label.
pub fn find_label_order(conn: &mut Conn, id: u64) -> Result<Option<LabelOrder>> {
    rows::first(conn, format!("{LABEL_ORDER_SELECT} WHERE c.id = ?"), (id,))
}

/// Orders waiting for their label (spec 5.6): packed, label not yet made.
pub fn labels_waiting(
    conn: &mut Conn,
    atelier_id: Option<u64>,
    limit: u64,
) -> Result<Vec<LabelOrder>> {
    rows::all(
        conn,
        format!(
            "{LABEL_ORDER_SELECT}
             WHERE c.statut = 'attente_expedition'
               AND (c.etiquette_statut IS NULL OR c.etiquette_statut = 'en_attente')
               AND (:atelier IS NULL OR c.atelier_id = :atelier)
             ORDER BY c.id LIMIT :limit"
        ),
        params! { "atelier" => atelier_id, "limit" => limit },
    )
}

/// Marks an order's label as requested, with the template used.
pub fn request_label(conn: &mut Conn, id: u64, template_id: Option<u64>) -> Result<()> {
    conn.exec_drop(
        r"UPDATE commandes SET etiquette_statut = 'en_attente',
            etiquette_template_id = COALESCE(?, etiquette_template_id)
          WHERE id = ?",
        (template_id, id),
    )?;
    Ok(())
}

/// The agent's verdict on a label.
pub fn set_label_result(conn: &mut Conn, id: u64, ok: bool, path: Option<&str>) -> Result<()> {
    conn.exec_drop(
        r"UPDATE commandes SET etiquette_statut = IF(:ok, 'generee', 'erreur'),
            etiquette_path = IF(:ok, COALESCE(:path, etiquette_path), etiquette_path),
            etiquette_generee_at = IF(:ok, NOW(), etiquette_generee_at)
          WHERE id = :id",
        params! { "ok" => ok, "path" => path, "id" => id },
    )?;
    Ok(())
}
