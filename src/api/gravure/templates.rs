//! Spec §4.6–4.29 `templates_gravure`, `templates_etiquettes` — the DXF
//! engraving templates (uploaded, checked with the `dxf` crate) and the HTML
//! shipping-label templates.

use super::dxf_fill;
use super::queries::{self, LabelValues, TemplateValues};
use super::read_stored;
use crate::config::Config;
use crate::db::rows;
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::http::list::Page;
use crate::http::multipart::Form;
use crate::http::{Ctx, Response};
use crate::security::tokens;
use serde::Deserialize;
use serde_json::json;

/// Largest template file accepted (a medal drawing is a few hundred KB).
const MAX_TEMPLATE_BYTES: usize = 5 * 1024 * 1024;
/// Largest label HTML accepted.
const MAX_LABEL_HTML: usize = 512 * 1024;
/// Bounds of the layout values.
const MAX_MM: f64 = 2000.0;
const MAX_COLONNES: u32 = 100;
const MAX_BATCH: u32 = 1000;

fn template_not_found() -> Error {
    catalog::TEMPLATE_NOT_FOUND.err()
}

fn label_template_not_found() -> Error {
    catalog::LABEL_TEMPLATE_NOT_FOUND.err()
}

/// Spec 4.6–4.29 `templates_gravure`: "Templates DXF (espacement,
/// `max_batch`)" — the list, `?actif=1` for the active ones only.
pub fn list_templates(ctx: &mut Ctx) -> Result<Response> {
    let page = Page::from_query(ctx.req)?;
    let (per_page, offset) = (page.per_page, page.offset());
    let actif_only = matches!(ctx.req.query_param("actif").as_deref(), Some("1" | "true"));
    let (rows, total) = queries::list_templates(ctx.conn()?, actif_only, per_page, offset)?;
    Ok(Response::ok(&page.wrap(rows, total)))
}

/// Spec 4.6–4.29 `templates_gravure`: "Templates DXF (espacement, `max_batch`)".
pub fn show_template(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let t = queries::find_template(ctx.conn()?, id, false)?.ok_or_else(template_not_found)?;
    Ok(Response::ok(&t))
}

/// Spec 4.6–4.29 `templates_gravure`: the template's DXF file, for the
/// operators' own checks (the agent has its own route).
pub fn show_template_file(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    template_file_response(ctx, id)
}

/// The DXF of template `id` as a download.
pub(super) fn template_file_response(ctx: &mut Ctx, id: u64) -> Result<Response> {
    let t = queries::find_template(ctx.conn()?, id, false)?.ok_or_else(template_not_found)?;
    let bytes = read_stored(ctx.config, &t.kept.fichier_path)?;
    let name = t
        .kept
        .fichier_nom_original
        .clone()
        .unwrap_or_else(|| format!("template-{id}.dxf"));
    Ok(Response::file("application/dxf", &name, bytes))
}

/// Reads an optional decimal in mm from a form field.
fn mm(form: &Form, name: &str, default: Option<f64>, min: f64) -> Result<Option<f64>> {
    match form.field(name) {
        None => Ok(default),
        Some(v) => {
            let x: f64 = v.replace(',', ".").parse().map_err(|_| {
                Error::invalid(format!("« {name} » doit être un nombre (en millimètres)."))
            })?;
            check_mm(name, x, min)?;
            Ok(Some(x))
        }
    }
}

fn check_mm(name: &str, x: f64, min: f64) -> Result<()> {
    if !x.is_finite() || x < min || x > MAX_MM {
        return Err(Error::invalid(format!(
            "« {name} » doit être compris entre {min} et {MAX_MM} mm."
        )));
    }
    Ok(())
}

fn int(form: &Form, name: &str, default: u32, max: u32) -> Result<u32> {
    let v = match form.field(name) {
        None => default,
        Some(v) => v
            .parse()
            .map_err(|_| Error::invalid(format!("« {name} » doit être un entier.")))?,
    };
    check_int(name, v, max)?;
    Ok(v)
}

fn check_int(name: &str, v: u32, max: u32) -> Result<()> {
    if v == 0 || v > max {
        return Err(Error::invalid(format!(
            "« {name} » doit être compris entre 1 et {max}."
        )));
    }
    Ok(())
}

fn check_nom(nom: &str) -> Result<String> {
    let nom = nom.trim();
    if nom.is_empty() || nom.chars().count() > 200 {
        return Err(Error::invalid(
            "Le nom est obligatoire (200 caractères au plus).",
        ));
    }
    Ok(nom.to_string())
}

fn check_produit(ctx: &mut Ctx, produit_id: Option<u64>) -> Result<()> {
    if let Some(p) = produit_id {
        if !crate::db::rows::exists(ctx.conn()?, "produits", p)? {
            return Err(Error::invalid("Ce parcours n'existe pas."));
        }
    }
    Ok(())
}

/// Spec 4.6–4.29 `templates_gravure`: "Templates DXF (espacement,
/// `max_batch`)" — upload (multipart: `fichier`, `nom`, `espacement_x_mm`,
/// `espacement_y_mm`, `colonnes`, `max_batch`, `largeur_mm`, `hauteur_mm`,
/// `produit_id`). The file must be a DXF the server can fill: it is parsed,
/// its placeholders listed, and what generation would leave out reported.
pub fn create_template(ctx: &mut Ctx) -> Result<Response> {
    // 1. The form and its file.
    let form = Form::parse(ctx.req)?;
    let file = form.file("fichier")?;
    if file.data.len() > MAX_TEMPLATE_BYTES {
        return Err(catalog::PAYLOAD_TOO_LARGE.msg(format!(
            "Le fichier DXF dépasse la taille maximale ({} Mo).",
            MAX_TEMPLATE_BYTES / (1024 * 1024)
        )));
    }
    let original = file
        .filename
        .as_deref()
        .map(|f| f.rsplit(['/', '\\']).next().unwrap_or(f))
        .map(|f| f.chars().take(255).collect::<String>());
    // 2. The layout values.
    let produit_id = match form.field("produit_id") {
        None => None,
        Some(v) => Some(
            v.parse::<u64>()
                .map_err(|_| Error::invalid("« produit_id » doit être un identifiant."))?,
        ),
    };
    let values = TemplateValues {
        nom: check_nom(&form.field("nom").unwrap_or_default())?,
        espacement_x_mm: mm(&form, "espacement_x_mm", Some(10.0), 0.0)?.unwrap_or(10.0),
        espacement_y_mm: mm(&form, "espacement_y_mm", Some(10.0), 0.0)?.unwrap_or(10.0),
        colonnes: int(&form, "colonnes", 5, MAX_COLONNES)?,
        max_batch: int(&form, "max_batch", 50, MAX_BATCH)?,
        largeur_mm: mm(&form, "largeur_mm", None, 1.0)?,
        hauteur_mm: mm(&form, "hauteur_mm", None, 1.0)?,
        produit_id,
        actif: !matches!(form.field("actif").as_deref(), Some("0" | "false")),
    };
    check_produit(ctx, produit_id)?;
    // 3. A DXF, with only known placeholders.
    let (analysis, avertissements) = analyse_template(&file.data)?;
    // 4. Stored under a random name, then the row.
    let sha = tokens::sha256_hex(&file.data);
    let relative = format!("templates_dxf/{}.dxf", tokens::random_hex(16));
    let path = super::storage_file(ctx.config, &relative)?;
    ctx.stage_file(&path, &file.data)?;
    let placeholders = json!(analysis.placeholders);
    let id = queries::insert_template(
        ctx.conn()?,
        &values,
        &relative,
        original.as_deref(),
        &sha,
        &placeholders,
    )?;
    ctx.audit_entity("template_gravure", id);
    ctx.audit_details(json!({ "nom": values.nom, "sha256": sha, "placeholders": placeholders }));
    let t = queries::find_template(ctx.conn()?, id, false)?.ok_or_else(template_not_found)?;
    let mut body = json!(t);
    body["avertissements"] = json!(avertissements);
    body["emprise_mm"] = json!(analysis.emprise);
    body["nb_entites"] = json!(analysis.nb_entites);
    Ok(Response::created(&body))
}

/// Parses an uploaded DXF: refused when unreadable or when it uses an
/// unknown placeholder; returns its analysis and the warnings to show.
fn analyse_template(data: &[u8]) -> Result<(dxf_fill::Analysis, Vec<String>)> {
    let analysis = match dxf_fill::load(data) {
        Ok(d) => dxf_fill::analyze_bytes(&d, data),
        Err(dxf_fill::FillError::Invalid(m) | dxf_fill::FillError::Unusable(m)) => {
            return Err(catalog::DXF_INVALID.msg(m))
        }
        Err(e) => return Err(Error::internal(e)),
    };
    if !analysis.inconnus.is_empty() {
        return Err(catalog::DXF_UNKNOWN_PLACEHOLDER.msg(format!(
            "Placeholder(s) inconnu(s) dans le DXF : {}. Placeholders possibles : {}.",
            analysis
                .inconnus
                .iter()
                .map(|p| format!("{{{{{p}}}}}"))
                .collect::<Vec<_>>()
                .join(", "),
            dxf_fill::PLACEHOLDERS
                .iter()
                .map(|p| format!("{{{{{p}}}}}"))
                .collect::<Vec<_>>()
                .join(" ")
        )));
    }
    let mut avertissements = analysis.avertissements.clone();
    if analysis.placeholders.is_empty() {
        avertissements.push(
            "Aucun placeholder ({{NOM}}, {{PRENOM}}, {{CHRONO}}, {{DATE}}, {{NUMERO}}) : toutes les médailles seront identiques."
                .into(),
        );
    }
    Ok((analysis, avertissements))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplatePatch {
    nom: Option<String>,
    espacement_x_mm: Option<f64>,
    espacement_y_mm: Option<f64>,
    colonnes: Option<u32>,
    max_batch: Option<u32>,
    #[serde(default, deserialize_with = "crate::http::nullable")]
    largeur_mm: Option<Option<f64>>,
    #[serde(default, deserialize_with = "crate::http::nullable")]
    hauteur_mm: Option<Option<f64>>,
    #[serde(default, deserialize_with = "crate::http::nullable")]
    produit_id: Option<Option<u64>>,
    actif: Option<bool>,
}

/// `null` (clear) apart from absent (keep) for nullable PATCH fields.
/// Spec 4.6–4.29 `templates_gravure`: "Templates DXF (espacement,
/// `max_batch`)" — metadata only; a new drawing is a new template.
pub fn update_template(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let patch: TemplatePatch = ctx.json()?;
    let t = queries::find_template(ctx.conn()?, id, false)?.ok_or_else(template_not_found)?;
    let old = &t.values;
    let v = TemplateValues {
        nom: match &patch.nom {
            Some(n) => check_nom(n)?,
            None => old.nom.clone(),
        },
        espacement_x_mm: patch.espacement_x_mm.unwrap_or(old.espacement_x_mm),
        espacement_y_mm: patch.espacement_y_mm.unwrap_or(old.espacement_y_mm),
        colonnes: patch.colonnes.unwrap_or(old.colonnes),
        max_batch: patch.max_batch.unwrap_or(old.max_batch),
        largeur_mm: patch.largeur_mm.unwrap_or(old.largeur_mm),
        hauteur_mm: patch.hauteur_mm.unwrap_or(old.hauteur_mm),
        produit_id: patch.produit_id.unwrap_or(old.produit_id),
        actif: patch.actif.unwrap_or(old.actif),
    };
    check_mm("espacement_x_mm", v.espacement_x_mm, 0.0)?;
    check_mm("espacement_y_mm", v.espacement_y_mm, 0.0)?;
    check_int("colonnes", v.colonnes, MAX_COLONNES)?;
    check_int("max_batch", v.max_batch, MAX_BATCH)?;
    if let Some(w) = v.largeur_mm {
        check_mm("largeur_mm", w, 1.0)?;
    }
    if let Some(h) = v.hauteur_mm {
        check_mm("hauteur_mm", h, 1.0)?;
    }
    check_produit(ctx, v.produit_id)?;
    queries::update_template(ctx.conn()?, id, &v)?;
    ctx.audit_entity("template_gravure", id);
    ctx.audit_details(json!({ "avant": t, "nom": v.nom }));
    let t = queries::find_template(ctx.conn()?, id, false)?.ok_or_else(template_not_found)?;
    Ok(Response::ok(&t))
}

/// Spec 4.6–4.29 `templates_gravure` — deletion; a template a lot was made
/// with stays (the lot's files refer to it): deactivate it instead.
pub fn delete_template(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let tx = ctx.tx()?;
    let t = queries::find_template(tx, id, true)?.ok_or_else(template_not_found)?;
    if queries::lots_using_template(tx, id)? > 0 {
        return Err(catalog::TEMPLATE_IN_USE.err());
    }
    queries::delete_template(tx, id)?;
    let path = super::storage_file(ctx.config, &t.kept.fichier_path)?;
    // The file goes only once the row is gone for good.
    ctx.after_commit(move |_, _| {
        let _ = std::fs::remove_file(path);
        Ok(())
    });
    ctx.audit_entity("template_gravure", id);
    ctx.audit_details(json!({ "nom": t.values.nom, "sha256": t.kept.fichier_sha256 }));
    Ok(Response::no_content())
}

// ---------------------------------------------------------------------------
// templates_etiquettes
// ---------------------------------------------------------------------------

/// Spec 4.6–4.29 `templates_etiquettes`: "Templates HTML PDF expédition".
pub fn list_label_templates(ctx: &mut Ctx) -> Result<Response> {
    let page = Page::from_query(ctx.req)?;
    let (per_page, offset) = (page.per_page, page.offset());
    let (rows, total) = queries::list_label_templates(ctx.conn()?, per_page, offset)?;
    Ok(Response::ok(&page.wrap(rows, total)))
}

/// Spec 4.6–4.29 `templates_etiquettes`: "Templates HTML PDF expédition".
pub fn show_label_template(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let r = queries::find_label_template(ctx.conn()?, id)?.ok_or_else(label_template_not_found)?;
    Ok(Response::ok(&r))
}

/// A label template in a request: absent fields keep the values it applies
/// to; `null` clears a nullable one.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelBody {
    nom: Option<String>,
    html: Option<String>,
    #[serde(default, deserialize_with = "crate::http::nullable")]
    transporteur: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::nullable")]
    largeur_mm: Option<Option<f64>>,
    #[serde(default, deserialize_with = "crate::http::nullable")]
    hauteur_mm: Option<Option<f64>>,
    actif: Option<bool>,
}

impl LabelBody {
    /// `base` with the fields sent put in place.
    fn applied_to(self, base: LabelValues) -> LabelValues {
        LabelValues {
            nom: self.nom.unwrap_or(base.nom),
            html: self.html.unwrap_or(base.html),
            transporteur: self.transporteur.unwrap_or(base.transporteur),
            largeur_mm: self.largeur_mm.unwrap_or(base.largeur_mm),
            hauteur_mm: self.hauteur_mm.unwrap_or(base.hauteur_mm),
            actif: self.actif.unwrap_or(base.actif),
        }
    }
}

fn check_label(v: &mut LabelValues) -> Result<()> {
    v.nom = check_nom(&v.nom)?;
    if v.html.trim().is_empty() || v.html.len() > MAX_LABEL_HTML {
        return Err(Error::invalid(format!(
            "Le HTML du template est obligatoire ({} Ko au plus).",
            MAX_LABEL_HTML / 1024
        )));
    }
    v.transporteur = v
        .transporteur
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    if v.transporteur
        .as_ref()
        .is_some_and(|t| t.chars().count() > 100)
    {
        return Err(Error::invalid(
            "Le transporteur fait 100 caractères au plus.",
        ));
    }
    for (name, x) in [("largeur_mm", v.largeur_mm), ("hauteur_mm", v.hauteur_mm)] {
        if let Some(x) = x {
            check_mm(name, x, 1.0)?;
        }
    }
    Ok(())
}

/// Spec 4.6–4.29 `templates_etiquettes`: "Templates HTML PDF expédition" —
/// HTML with `{{nom}}`, `{{adresse}}`, `{{numero_suivi}}`…, carrier, size.
pub fn create_label_template(ctx: &mut Ctx) -> Result<Response> {
    let body: LabelBody = ctx.json()?;
    let mut v = body.applied_to(LabelValues {
        actif: true,
        ..LabelValues::default()
    });
    check_label(&mut v)?;
    let id = queries::insert_label_template(ctx.conn()?, &v)?;
    ctx.audit_entity("template_etiquette", id);
    ctx.audit_details(json!({ "nom": v.nom, "transporteur": v.transporteur }));
    let r = queries::find_label_template(ctx.conn()?, id)?.ok_or_else(label_template_not_found)?;
    Ok(Response::created(&r))
}

/// Spec 4.6–4.29 `templates_etiquettes`: "Templates HTML PDF expédition".
pub fn update_label_template(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let body: LabelBody = ctx.json()?;
    let r = queries::find_label_template(ctx.conn()?, id)?.ok_or_else(label_template_not_found)?;
    let mut v = body.applied_to(r.values);
    check_label(&mut v)?;
    queries::update_label_template(ctx.conn()?, id, &v)?;
    ctx.audit_entity("template_etiquette", id);
    ctx.audit_details(json!({ "nom": v.nom, "transporteur": v.transporteur, "actif": v.actif }));
    let r = queries::find_label_template(ctx.conn()?, id)?.ok_or_else(label_template_not_found)?;
    Ok(Response::ok(&r))
}

/// Spec 4.6–4.29 `templates_etiquettes` — deletion (orders that used it
/// keep their generated label).
pub fn delete_label_template(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let r = queries::find_label_template(ctx.conn()?, id)?.ok_or_else(label_template_not_found)?;
    queries::delete_label_template(ctx.conn()?, id)?;
    ctx.audit_entity("template_etiquette", id);
    ctx.audit_details(json!({ "nom": r.values.nom }));
    Ok(Response::no_content())
}

// ---------------------------------------------------------------------------
// Demo data
// ---------------------------------------------------------------------------

/// The demo medal (tests/fixtures/medaille.dxf, made with ezdxf).
const DEMO_DXF: &[u8] = include_bytes!("../../../tests/fixtures/medaille.dxf");
/// Name of the demo engraving template (natural key of the seed).
pub(super) const DEMO_TEMPLATE: &str = "Médaille ronde Ø70 — démo";

/// A Colissimo 100×150 mm label.
const DEMO_LABEL_HTML: &str = r#"<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Étiquette {{numero}}</title>
<style>@page { size: 100mm 150mm; margin: 5mm } body { font-family: Montserrat, sans-serif; font-size: 11pt }
.exp { font-size: 8pt; color: #555 } .dest { margin-top: 8mm; font-size: 13pt; font-weight: 600 }
.suivi { margin-top: 10mm; font-family: monospace; font-size: 14pt; letter-spacing: 1px }</style></head>
<body>
<div class="exp">Expéditeur : MyKollector — Atelier de gravure, 05100 Briançon, France</div>
<div class="dest">{{prenom}} {{nom}}<br>{{adresse}}</div>
<div class="suivi">{{transporteur}} — {{numero_suivi}}</div>
<div class="exp">Commande {{numero}} · {{parcours}}</div>
</body></html>"#;

/// Demo rows: the medal template (its file copied into storage) and the
/// Colissimo label. Idempotent: matched on their names.
pub fn seed_demo(conn: &mut mysql::Conn, config: &Config) -> Result<()> {
    if !rows::any(
        conn,
        "SELECT id FROM templates_gravure WHERE nom = ?",
        (DEMO_TEMPLATE,),
    )? {
        let analysis = dxf_fill::analyze(&dxf_fill::load(DEMO_DXF).map_err(Error::internal)?);
        let relative = format!("templates_dxf/{}.dxf", tokens::random_hex(16));
        let path = super::storage_file(config, &relative)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, DEMO_DXF)?;
        queries::insert_template(
            conn,
            &TemplateValues {
                nom: DEMO_TEMPLATE.into(),
                espacement_x_mm: 5.0,
                espacement_y_mm: 5.0,
                colonnes: 4,
                max_batch: 24,
                largeur_mm: Some(70.0),
                hauteur_mm: Some(70.0),
                produit_id: None,
                actif: true,
            },
            &relative,
            Some("medaille.dxf"),
            &tokens::sha256_hex(DEMO_DXF),
            &json!(analysis.placeholders),
        )?;
    }
    if !rows::any(
        conn,
        "SELECT id FROM templates_etiquettes WHERE nom = 'Colissimo 100×150'",
        (),
    )? {
        queries::insert_label_template(
            conn,
            &LabelValues {
                nom: "Colissimo 100×150".into(),
                html: DEMO_LABEL_HTML.into(),
                transporteur: Some("Colissimo".into()),
                largeur_mm: Some(100.0),
                hauteur_mm: Some(150.0),
                actif: true,
            },
        )?;
    }
    Ok(())
}
