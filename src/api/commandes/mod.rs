//! Spec §5.4 — `/api/commandes`, `/api/dashboard`: athletes order medals
//! and validate their engraving (rule 1.1), operators list orders and move
//! them through the status machine ([`status`]); the athlete dashboard of
//! wireframe 11.1 ([`dashboard`]).
//!
//! An order is B2C (an athlete, a chrono) or B2B (a client name, a
//! quantity, no chrono). A B2C order reaches engraving only once its athlete
//! confirmed name, first name, time and date: `gravure_texte` is frozen at
//! that moment from the profile (`users.nom/prenom`, the source of truth,
//! editable until then) and the chosen validated chrono.

mod dashboard;
mod queries;
mod seed;
pub mod status;

pub use seed::seed_demo;

use crate::api::auth::clean_name;
use crate::error::{Error, Result};
use crate::http::router::{route, Access, Route};
use crate::http::{Ctx, Method, Response};
use crate::security::{roles, Role};
use crate::time::{french_date_upper, hms};
use mysql::prelude::Queryable;
use mysql::{params, Conn, Value};
use queries::{ChronoRow, OrderRow};
use serde::{Deserialize, Serialize};
use serde_json::json;
use status::{order_not_found, may_touch_atelier, Shipping, Statut};

/// Athletes (their own orders) and the workshop (its atelier's orders).
const OWNER_OR_OPERATEUR: &[Role] = &[
    Role::Sportif,
    Role::OperateurFab,
    Role::AdminFab,
    Role::SuperAdmin,
];

/// Routes of this module.
pub const ROUTES: &[Route] = &[
    route(
        Method::Post,
        "/api/commandes",
        Access::Roles(roles::SPORTIF),
        create_commande,
        "Commander la médaille d'un parcours (avant ou après l'effort)",
    ),
    route(
        Method::Get,
        "/api/commandes/mes",
        Access::Roles(roles::SPORTIF),
        list_mes_commandes,
        "Mes commandes, avec l'aperçu de la gravure",
    ),
    route(
        Method::Get,
        "/api/commandes",
        Access::Roles(roles::OPERATEUR_PLUS),
        list_commandes,
        "Toutes les commandes (filtres, pagination ; un opérateur ne voit que son atelier)",
    ),
    route(
        Method::Get,
        "/api/commandes/{id}",
        Access::Roles(OWNER_OR_OPERATEUR),
        show_commande,
        "Détail d'une commande avec son historique",
    ),
    route(
        Method::Post,
        "/api/commandes/{id}/valider-gravure",
        Access::Roles(roles::SPORTIF),
        create_validation_gravure,
        "Validation finale de la gravure par le sportif (nom, prénom, temps, date)",
    ),
    route(
        Method::Patch,
        "/api/commandes/{id}/statut",
        Access::Roles(roles::OPERATEUR_PLUS),
        update_statut,
        "Changer le statut d'une commande (transitions autorisées uniquement)",
    ),
    route(
        Method::Get,
        "/api/dashboard",
        Access::Roles(roles::SPORTIF),
        dashboard::show_dashboard,
        "Tableau de bord du sportif (médailles à valider, cols, classements)",
    ),
];

/// The next order number for a course code: `MKO-<year>-<code>-<seq>`, the
/// sequence restarting each year. Unique under concurrency: the counter row
/// is incremented atomically and `LAST_INSERT_ID(expr)` hands this
/// connection its own value.
pub fn next_numero(conn: &mut Conn, code: &str) -> Result<String> {
    let year: Option<u16> = conn.query_first("SELECT YEAR(NOW())")?;
    let year = year.unwrap_or(2026);
    let code = code.to_uppercase();
    conn.exec_drop(
        r"INSERT INTO commande_sequences (annee, code, dernier) VALUES (?, ?, LAST_INSERT_ID(1))
          ON DUPLICATE KEY UPDATE dernier = LAST_INSERT_ID(dernier + 1)",
        (year, &code),
    )?;
    let seq: Option<u64> = conn.query_first("SELECT LAST_INSERT_ID()")?;
    Ok(format_numero(year, &code, seq.unwrap_or(1)))
}

/// B2B client kinds (`commandes.b2b_client_type`).
pub const B2B_CLIENT_TYPES: &[&str] = &["mairie", "boutique", "association", "autre"];

/// Everything needed to create an order row. Athlete orders, SAV re-orders,
/// hand-entered B2B orders and PrestaShop imports all go through
/// [`insert_order`], so they produce the same rows.
#[derive(Debug, Clone, Default)]
pub struct NewOrder {
    /// The athlete (None for B2B).
    pub user_id: Option<u64>,
    /// The course.
    pub produit_id: u64,
    /// The chrono to engrave, if already chosen.
    pub chrono_id: Option<u64>,
    /// Its duration, copied at creation.
    pub duree_secondes: Option<u64>,
    /// Whether the chrono was validated.
    pub chrono_valide: bool,
    /// The workshop that will engrave it.
    pub atelier_id: Option<u64>,
    /// Engraving text, frozen at the athlete's validation (JSON object).
    pub gravure_texte: serde_json::Value,
    /// Rule 1.1 flag.
    pub validation_sportif: bool,
    /// PrestaShop order id, for imports.
    pub presta_order_id: Option<u64>,
    /// B2B order fields.
    pub b2b: Option<B2b>,
    /// For SAV re-orders: the original order.
    pub commande_origine_id: Option<u64>,
    /// Whether this order was created by after-sales.
    pub is_sav: bool,
    /// Contact email when there is no athlete account.
    pub email_client: Option<String>,
}

/// The B2B part of an order.
#[derive(Debug, Clone, Default)]
pub struct B2b {
    /// Client name (town hall, shop, club).
    pub client_nom: String,
    /// One of [`B2B_CLIENT_TYPES`].
    pub client_type: String,
    /// Manufacturer entity.
    pub fabricant_id: Option<u64>,
    /// Number of medals.
    pub quantite: u32,
}

/// The id and number of a new order.
#[derive(Debug, Clone, Serialize)]
pub struct Created {
    /// Row id.
    pub id: u64,
    /// `MKO-<year>-<code>-<seq>`.
    pub numero: String,
}

/// Inserts an order with its number, in status `attente_gravure` and with a
/// first history entry. Runs inside the caller's transaction.
pub fn insert_order(tx: &mut Conn, order: &NewOrder, actor: Option<u64>) -> Result<Created> {
    let code: Option<String> = tx.exec_first(
        "SELECT code FROM produits WHERE id = ?",
        (order.produit_id,),
    )?;
    let code = code.ok_or_else(|| Error::invalid("Ce parcours n'existe pas."))?;
    let numero = next_numero(tx, &code)?;
    let b2b = order.b2b.as_ref();
    tx.exec_drop(
        r"INSERT INTO commandes
            (numero, user_id, chrono_id, produit_id, atelier_id, statut, chrono_valide, duree_secondes,
             historique, gravure_texte, validation_sportif, presta_order_id,
             is_b2b, b2b_client_nom, b2b_client_type, b2b_fabricant_id, b2b_quantite,
             commande_origine_id, is_sav, email_client)
          VALUES
            (:numero, :user_id, :chrono_id, :produit_id, :atelier_id, 'attente_gravure', :chrono_valide, :duree,
             JSON_ARRAY(JSON_OBJECT('from', NULL, 'to', 'attente_gravure', 'by', :actor,
                                    'at', DATE_FORMAT(NOW(), '%Y-%m-%dT%H:%i:%s'), 'comment', 'Création')),
             :gravure_texte, :validation_sportif, :presta_order_id,
             :is_b2b, :b2b_nom, :b2b_type, :b2b_fabricant, :b2b_quantite,
             :origine, :is_sav, :email_client)",
        params! {
            "numero" => &numero,
            "user_id" => order.user_id,
            "chrono_id" => order.chrono_id,
            "produit_id" => order.produit_id,
            "atelier_id" => order.atelier_id,
            "chrono_valide" => order.chrono_valide,
            "duree" => order.duree_secondes,
            "actor" => actor,
            "gravure_texte" => order.gravure_texte.to_string(),
            "validation_sportif" => order.validation_sportif,
            "presta_order_id" => order.presta_order_id,
            "is_b2b" => b2b.is_some(),
            "b2b_nom" => b2b.map(|b| b.client_nom.as_str()),
            "b2b_type" => b2b.map(|b| b.client_type.as_str()),
            "b2b_fabricant" => b2b.and_then(|b| b.fabricant_id),
            "b2b_quantite" => b2b.map_or(1, |b| b.quantite),
            "origine" => order.commande_origine_id,
            "is_sav" => order.is_sav,
            "email_client" => order.email_client.as_deref(),
        },
    )?;
    Ok(Created {
        id: tx.last_insert_id(),
        numero,
    })
}

/// `MKO-2026-IZO-041`: at least three digits, more when the year is busy.
pub fn format_numero(year: u16, code: &str, seq: u64) -> String {
    format!("MKO-{year}-{code}-{seq:03}")
}

#[derive(Deserialize)]
struct CreateBody {
    produit_id: u64,
    #[serde(default)]
    chrono_id: Option<u64>,
}

/// Spec 5.4 `POST /api/commandes` (sportif): "Créer une commande". The
/// athlete orders the medal of a course, before or after the effort (1.2);
/// a chrono given now must be one of its own validated chronos on that
/// course. The order goes to the only active atelier, or waits for an admin
/// to dispatch it when there are several.
fn create_commande(ctx: &mut Ctx) -> Result<Response> {
    let body: CreateBody = ctx.json()?;
    let user_id = ctx.user_id()?;
    let tx = ctx.tx()?;
    // 1. The course exists and is open.
    let course = queries::find_course(tx, body.produit_id)?
        .ok_or_else(|| Error::invalid("Ce parcours n'existe pas."))?;
    if !course.actif {
        return Err(Error::conflict(
            "course_inactive",
            course
                .message_desactivation
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| "Ce parcours n'est plus proposé à la commande.".into()),
        ));
    }
    // 2. A chrono chosen now is the athlete's own, validated, on this course.
    let chrono = match body.chrono_id {
        None => None,
        Some(chrono_id) => Some(
            queries::validated_chronos(tx, user_id)?
                .into_iter()
                .find(|c| c.id == chrono_id && c.produit_id == course.id)
                .ok_or_else(|| {
                    Error::invalid("Ce chrono n'est pas un de vos chronos validés sur ce parcours.")
                })?,
        ),
    };
    // 3. Insert with its number.
    let atelier_id = queries::default_atelier(tx)?;
    let created = insert_order(
        tx,
        &NewOrder {
            user_id: Some(user_id),
            produit_id: course.id,
            chrono_id: chrono.as_ref().map(|c| c.id),
            duree_secondes: chrono.as_ref().map(|c| c.duree_secondes),
            chrono_valide: chrono.is_some(),
            atelier_id,
            gravure_texte: json!({}),
            ..NewOrder::default()
        },
        Some(user_id),
    )?;
    let order = queries::find_order(tx, created.id)?.ok_or_else(order_not_found)?;
    ctx.audit_entity("commande", created.id);
    ctx.audit_details(json!({ "numero": created.numero, "produit_id": course.id }));
    let mut answer = order_json(&order);
    answer["gravure"] = gravure_json(&order, chrono.as_ref());
    Ok(Response::created(&answer))
}

/// Spec 5.4 `GET /api/commandes/mes` (sportif): "Mes commandes", newest
/// first, each with its engraving text (frozen, or a preview from the
/// current profile until the athlete validates).
fn list_mes_commandes(ctx: &mut Ctx) -> Result<Response> {
    let (page, per_page) = pagination(ctx)?;
    let user_id = ctx.user_id()?;
    let conn = ctx.conn()?;
    let orders = queries::orders_of_user(conn, user_id)?;
    let chronos = queries::validated_chronos(conn, user_id)?;
    let total = orders.len();
    let items: Vec<_> = orders
        .iter()
        .skip(usize::try_from((page - 1) * per_page).unwrap_or(usize::MAX))
        .take(usize::try_from(per_page).unwrap_or(usize::MAX))
        .map(|o| {
            let mut item = order_json(o);
            item["gravure"] = gravure_json(o, chrono_for_order(o, &chronos));
            item
        })
        .collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": total, "page": page, "per_page": per_page }),
    ))
}

/// `GET /api/commandes/{id}`: one order with its history, for its athlete or
/// for the workshop (an operateur_fab only within its atelier).
fn show_commande(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let claims = ctx.claims()?.clone();
    let conn = ctx.conn()?;
    // 1. The order exists and the caller may see it; others get a 404.
    let order = queries::find_order(conn, id)?.ok_or_else(order_not_found)?;
    let visible = if claims.role == Role::Sportif {
        order.user_id == Some(claims.sub)
    } else {
        may_touch_atelier(&claims, order.atelier_id)
    };
    if !visible {
        return Err(order_not_found());
    }
    detail_response(conn, &order)
}

/// The full answer about one order: the row, its engraving text and history.
fn detail_response(conn: &mut Conn, order: &OrderRow) -> Result<Response> {
    let chronos = match order.user_id {
        Some(user_id) if !order.validation_sportif => queries::validated_chronos(conn, user_id)?,
        _ => Vec::new(),
    };
    let historique = queries::order_history(conn, order.id)?
        .and_then(|h| serde_json::from_str::<serde_json::Value>(&h).ok())
        .unwrap_or_else(|| json!([]));
    let mut answer = order_json(order);
    answer["gravure"] = gravure_json(order, chrono_for_order(order, &chronos));
    answer["historique"] = historique;
    Ok(Response::ok(&answer))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidationBody {
    nom: String,
    prenom: String,
    #[serde(default)]
    chrono_id: Option<u64>,
    #[serde(default)]
    confirmation: bool,
}

/// Spec 5.4 `POST /api/commandes/:id/valider-gravure` (sportif): "Validation
/// finale gravure" — rule 1.1: the athlete confirms name, first name, time
/// and date before anything is engraved. Names that differ from the profile
/// update the profile first (it is the source of truth); the engraving text
/// is then frozen and no later profile change alters it. The chrono is the
/// one given, else the one chosen at ordering, else the athlete's best on
/// the course.
fn create_validation_gravure(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let body: ValidationBody = ctx.json()?;
    let user_id = ctx.user_id()?;
    // 1. An explicit confirmation and engravable names.
    if !body.confirmation {
        return Err(Error::invalid(
            "Merci de confirmer les informations de gravure (confirmation: true).",
        ));
    }
    let nom = clean_name(&body.nom, "nom")?;
    let prenom = clean_name(&body.prenom, "prénom")?;
    let tx = ctx.tx()?;
    // 2. The caller's own order (others get a 404), locked.
    let order = queries::lock_own_order(tx, id, user_id)?.ok_or_else(order_not_found)?;
    // 3. Validated once, and only while waiting for engraving.
    if order.validation_sportif {
        return Err(Error::conflict(
            "already_validated",
            format!(
                "La gravure de la commande {} a déjà été validée.",
                order.numero
            ),
        ));
    }
    if order.statut != Statut::AttenteGravure.as_str() {
        let label = Statut::parse(&order.statut).map_or("", Statut::label);
        return Err(Error::conflict(
            "order_not_awaiting_engraving",
            format!(
                "La commande {} est {label} : sa gravure ne peut plus être validée.",
                order.numero
            ),
        ));
    }
    // 4. A validated chrono of the athlete on this course.
    let chronos = queries::validated_chronos(tx, user_id)?;
    let on_course = |c: &&ChronoRow| c.produit_id == order.produit_id;
    let chrono = match body.chrono_id {
        Some(chrono_id) => chronos
            .iter()
            .filter(on_course)
            .find(|c| c.id == chrono_id)
            .ok_or_else(|| {
                Error::invalid("Ce chrono n'est pas un de vos chronos validés sur ce parcours.")
            })?,
        None => order
            .chrono_id
            .and_then(|cid| chronos.iter().filter(on_course).find(|c| c.id == cid))
            .or_else(|| chronos.iter().find(|c| c.produit_id == order.produit_id))
            .ok_or_else(|| {
                Error::conflict(
                    "chrono_required",
                    "Aucun chrono validé sur ce parcours : la gravure ne peut pas encore être validée.",
                )
            })?,
    };
    // 5. The profile is the source of truth: update it first.
    let current = queries::user_names(tx, user_id)?.ok_or_else(Error::forbidden)?;
    let profile_changed = current != (nom.clone(), prenom.clone());
    if profile_changed {
        queries::set_user_names(tx, user_id, &nom, &prenom)?;
    }
    // 6. Freeze the text and record the validation.
    let texte = frozen_text(&nom, &prenom, chrono, &order.numero);
    queries::record_validation(tx, id, user_id, chrono, &texte)?;
    ctx.audit_entity("commande", id);
    ctx.audit_details(json!({
        "validation_sportif": true,
        "chrono_id": chrono.id,
        "profil_modifie": profile_changed,
    }));
    let tx = ctx.tx()?;
    let order = queries::find_order(tx, id)?.ok_or_else(order_not_found)?;
    detail_response(tx, &order)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatutBody {
    statut: String,
    #[serde(default)]
    commentaire: Option<String>,
    #[serde(default, alias = "tracking")]
    numero_suivi: Option<String>,
    #[serde(default)]
    transporteur: Option<String>,
}

/// Spec 5.4 `PATCH /api/commandes/:id/statut` (operateur+): "Changer le
/// statut" through the transitions of [`status::TRANSITIONS`]; `expedie`
/// needs `numero_suivi` (alias `tracking`) and emails the athlete once
/// committed (spec 12).
fn update_statut(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let body: StatutBody = ctx.json()?;
    let claims = ctx.claims()?.clone();
    // 1. A known status and bounded texts.
    let to = Statut::parse(body.statut.trim()).ok_or_else(|| {
        Error::invalid(format!(
            "Statut inconnu « {} ». Valeurs possibles : {}.",
            body.statut,
            Statut::ALL.map(Statut::as_str).join(", ")
        ))
    })?;
    let commentaire = bounded(body.commentaire, 500, "Le commentaire")?;
    let shipping = Shipping {
        tracking: bounded(body.numero_suivi, 100, "Le numéro de suivi")?,
        transporteur: bounded(body.transporteur, 100, "Le transporteur")?,
    };
    // 2. The machine checks atelier, transition, rule 1.1 and tracking.
    let tx = ctx.tx()?;
    let change = status::change_status(tx, id, to, &claims, commentaire.as_deref(), &shipping)?;
    let order = queries::find_order(tx, id)?.ok_or_else(order_not_found)?;
    let answer = detail_response(tx, &order)?;
    ctx.audit_entity("commande", id);
    ctx.audit_details(json!({ "from": change.from, "to": change.to, "comment": commentaire }));
    // 3. The athlete hears about shipping only once it is committed.
    if to == Statut::Expedie {
        ctx.after_commit(move |config, conn| crate::mail::notify_shipped(config, conn, id));
    }
    Ok(answer)
}

/// Trims an optional text; empty is absent, too long is a 422.
fn bounded(value: Option<String>, max: usize, what: &str) -> Result<Option<String>> {
    let value = value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    if value.as_ref().is_some_and(|v| v.chars().count() > max) {
        return Err(Error::invalid(format!(
            "{what} ne doit pas dépasser {max} caractères."
        )));
    }
    Ok(value)
}

/// Spec 5.4 `GET /api/commandes` (operateur+): "Toutes les commandes
/// (filtres)", and `?b2b=true&fabricant_id=X`: "Commandes B2B filtrées".
/// Filters: statut (comma list), produit_id (alias parcours), atelier_id,
/// b2b, fabricant_id, validation_sportif, from/to (date_commande, inclusive),
/// q (numero, athlete name/email, B2B client). An operateur_fab sees its own
/// atelier only, whatever it asks for.
fn list_commandes(ctx: &mut Ctx) -> Result<Response> {
    let (page, per_page) = pagination(ctx)?;
    let claims = ctx.claims()?.clone();
    let mut clauses: Vec<String> = vec!["1 = 1".into()];
    let mut args: Vec<Value> = Vec::new();
    // 1. An operateur_fab is pinned to its atelier.
    let atelier_filter = if claims.role == Role::OperateurFab {
        Some(claims.atelier_id)
    } else {
        ctx.req
            .query_param("atelier_id")
            .map(|v| id_param(&v, "atelier_id").map(Some))
            .transpose()?
    };
    match atelier_filter {
        Some(Some(atelier_id)) => {
            clauses.push("c.atelier_id = ?".into());
            args.push(atelier_id.into());
        }
        Some(None) => clauses.push("1 = 0".into()),
        None => {}
    }
    // 2. The other filters, each a fixed fragment with bound values.
    if let Some(raw) = ctx.req.query_param("statut") {
        let statuts = raw
            .split(',')
            .map(|s| {
                Statut::parse(s.trim())
                    .ok_or_else(|| Error::invalid(format!("Statut inconnu « {} ».", s.trim())))
            })
            .collect::<Result<Vec<_>>>()?;
        clauses.push(format!(
            "c.statut IN ({})",
            vec!["?"; statuts.len()].join(", ")
        ));
        args.extend(statuts.into_iter().map(|s| Value::from(s.as_str())));
    }
    let produit = ctx
        .req
        .query_param("produit_id")
        .or_else(|| ctx.req.query_param("parcours"));
    if let Some(v) = produit {
        clauses.push("c.produit_id = ?".into());
        args.push(id_param(&v, "produit_id")?.into());
    }
    if let Some(v) = ctx.req.query_param("fabricant_id") {
        clauses.push("c.b2b_fabricant_id = ?".into());
        args.push(id_param(&v, "fabricant_id")?.into());
    }
    if let Some(v) = ctx.req.query_param("b2b") {
        clauses.push("COALESCE(c.is_b2b, FALSE) = ?".into());
        args.push(bool_param(&v, "b2b")?.into());
    }
    if let Some(v) = ctx.req.query_param("validation_sportif") {
        clauses.push("COALESCE(c.validation_sportif, FALSE) = ?".into());
        args.push(bool_param(&v, "validation_sportif")?.into());
    }
    if let Some(v) = ctx.req.query_param("from") {
        clauses.push("c.date_commande >= ?".into());
        args.push(date_param(&v, "from")?.into());
    }
    if let Some(v) = ctx.req.query_param("to") {
        clauses.push("c.date_commande < ? + INTERVAL 1 DAY".into());
        args.push(date_param(&v, "to")?.into());
    }
    if let Some(q) = ctx.req.query_param("q") {
        let pattern = format!("%{}%", like_escape(q.trim()));
        clauses.push(
            "(c.numero LIKE ? OR u.nom LIKE ? OR u.prenom LIKE ? OR u.email LIKE ? \
              OR CONCAT_WS(' ', u.prenom, u.nom) LIKE ? OR c.b2b_client_nom LIKE ? \
              OR c.email_client LIKE ?)"
                .into(),
        );
        args.extend(std::iter::repeat_n(Value::from(pattern), 7));
    }
    // 3. Whitelisted sort orders.
    let order_by = match ctx.req.query_param("sort").as_deref() {
        None | Some("recent") => "c.date_commande DESC, c.id DESC",
        Some("ancien") => "c.date_commande ASC, c.id ASC",
        Some("numero") => "c.numero ASC",
        Some("statut") => "c.statut ASC, c.date_commande DESC, c.id DESC",
        Some(other) => {
            return Err(Error::invalid(format!(
                "Tri inconnu « {other} ». Valeurs possibles : recent, ancien, numero, statut."
            )))
        }
    };
    let (rows, total) = queries::list_orders(
        ctx.conn()?,
        &clauses.join(" AND "),
        args,
        order_by,
        per_page,
        (page - 1) * per_page,
    )?;
    let items: Vec<_> = rows.iter().map(order_json).collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": total, "page": page, "per_page": per_page }),
    ))
}

/// `page` (1-based) and `per_page` (default 50, at most 200).
fn pagination(ctx: &Ctx) -> Result<(u64, u64)> {
    let page = match ctx.req.query_param("page") {
        None => 1,
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|p| (1..=1_000_000).contains(p))
            .ok_or_else(|| Error::invalid("Le numéro de page doit être un entier positif."))?,
    };
    let per_page = match ctx.req.query_param("per_page") {
        None => 50,
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|p| (1..=200).contains(p))
            .ok_or_else(|| Error::invalid("per_page doit être compris entre 1 et 200."))?,
    };
    Ok((page, per_page))
}

fn id_param(v: &str, name: &str) -> Result<u64> {
    v.trim()
        .parse()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| Error::invalid(format!("{name} doit être un identifiant numérique.")))
}

fn bool_param(v: &str, name: &str) -> Result<bool> {
    match v.trim() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(Error::invalid(format!("{name} doit valoir true ou false."))),
    }
}

/// A `YYYY-MM-DD` date, checked so MySQL never sees a malformed one.
fn date_param(v: &str, name: &str) -> Result<String> {
    let v = v.trim();
    let shape = v.len() == 10
        && v.char_indices()
            .all(|(i, c)| if i == 4 || i == 7 { c == '-' } else { c.is_ascii_digit() });
    let num = |r: std::ops::Range<usize>| v.get(r).and_then(|x| x.parse::<u32>().ok());
    let ok = shape
        && match (num(0..4), num(5..7), num(8..10)) {
            (Some(y), Some(m), Some(d)) => {
                let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
                let days = match m {
                    1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
                    4 | 6 | 9 | 11 => 30,
                    2 if leap => 29,
                    2 => 28,
                    _ => 0,
                };
                y >= 1000 && (1..=days).contains(&d)
            }
            _ => false,
        };
    if ok {
        Ok(v.to_string())
    } else {
        Err(Error::invalid(format!(
            "{name} doit être une date au format AAAA-MM-JJ."
        )))
    }
}

/// Escapes LIKE wildcards so a search for `50%` finds that text.
fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The JSON of one order (lists, detail, athlete's own orders).
fn order_json(o: &OrderRow) -> serde_json::Value {
    let athlete = o.user_id.map(|id| {
        json!({ "id": id, "nom": o.user_nom, "prenom": o.user_prenom, "email": o.user_email })
    });
    json!({
        "id": o.id,
        "numero": o.numero,
        "statut": o.statut,
        "is_b2b": o.is_b2b,
        "b2b_client_nom": o.b2b_client_nom,
        "b2b_client_type": o.b2b_client_type,
        "b2b_fabricant_id": o.b2b_fabricant_id,
        "b2b_quantite": o.b2b_quantite,
        "is_sav": o.is_sav,
        "parcours": { "id": o.produit_id, "nom": o.produit_nom, "code": o.produit_code, "slug": o.produit_slug },
        "sportif": athlete,
        "email_client": o.email_client,
        "atelier_id": o.atelier_id,
        "lot_id": o.lot_id,
        "chrono_id": o.chrono_id,
        "chrono_valide": o.chrono_valide,
        "validation_sportif": o.validation_sportif,
        "duree_secondes": o.duree_secondes,
        "chrono": o.duree_secondes.map(hms),
        "tracking": o.tracking,
        "transporteur": o.transporteur,
        "date_commande": o.date_commande,
        "date_validation_sportif": o.date_validation_sportif,
        "date_gravure": o.date_gravure,
        "date_expedition": o.date_expedition,
        "date_livraison": o.date_livraison,
    })
}

/// The chrono an order would engrave: the one it names if still validated,
/// else the athlete's best on the course (`chronos` is sorted fastest first
/// per course).
fn chrono_for_order<'a>(o: &OrderRow, chronos: &'a [ChronoRow]) -> Option<&'a ChronoRow> {
    let on_course = |c: &&ChronoRow| c.produit_id == o.produit_id;
    o.chrono_id
        .and_then(|id| chronos.iter().filter(on_course).find(|c| c.id == id))
        .or_else(|| chronos.iter().find(on_course))
}

/// The engraving text: frozen once the athlete validated; before that a
/// preview from the current profile, marked `figee: false`. B2B orders
/// engrave the client's name, no time, and the order date (spec 8.1).
fn gravure_json(o: &OrderRow, chrono: Option<&ChronoRow>) -> serde_json::Value {
    if o.validation_sportif {
        let mut frozen = o
            .gravure_texte
            .as_deref()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
            .filter(|v| v.as_object().is_some_and(|m| !m.is_empty()))
            .unwrap_or_else(|| json!({}));
        frozen["figee"] = json!(true);
        return frozen;
    }
    if o.is_b2b || o.user_id.is_none() {
        let date = o.date_commande.clone().unwrap_or_default();
        return json!({
            "nom": o.b2b_client_nom, "prenom": "", "chrono": "", "duree_secondes": null,
            "date": french_date_upper(&date), "date_realisation": date.get(..10),
            "numero": o.numero, "figee": false,
        });
    }
    let nom = o.user_nom.clone().unwrap_or_default();
    let prenom = o.user_prenom.clone().unwrap_or_default();
    let mut preview = match chrono {
        Some(c) => frozen_text(&nom, &prenom, c, &o.numero),
        None => json!({
            "nom": nom, "prenom": prenom, "chrono": null, "duree_secondes": null,
            "date": null, "date_realisation": null, "numero": o.numero,
        }),
    };
    preview["figee"] = json!(false);
    preview
}

/// The text frozen at validation (the DXF placeholders of spec 8.1).
fn frozen_text(nom: &str, prenom: &str, chrono: &ChronoRow, numero: &str) -> serde_json::Value {
    json!({
        "nom": nom,
        "prenom": prenom,
        "chrono": hms(chrono.duree_secondes),
        "duree_secondes": chrono.duree_secondes,
        "date": medal_date(&chrono.date_realisation),
        "date_realisation": chrono.date_realisation,
        "numero": numero,
    })
}

/// `14 JUILLET 2024` from an ISO date, or from `14/07/2024` as some chrono
/// sources write it; the raw text when neither fits.
fn medal_date(raw: &str) -> String {
    french_date_upper(raw)
        .or_else(|| {
            let mut it = raw.trim().splitn(3, '/');
            let (d, m, y) = (it.next()?, it.next()?, it.next()?.get(..4)?);
            french_date_upper(&format!("{y}-{m:0>2}-{d:0>2}"))
        })
        .unwrap_or_else(|| raw.to_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medal_dates() {
        assert_eq!(medal_date("2024-07-14"), "14 JUILLET 2024");
        assert_eq!(medal_date("3/5/2025"), "3 MAI 2025");
        assert_eq!(medal_date("14/07/2024"), "14 JUILLET 2024");
        assert_eq!(medal_date("hier"), "HIER");
    }

    #[test]
    fn query_values() {
        assert_eq!(like_escape("50%_a\\"), "50\\%\\_a\\\\");
        assert!(date_param("2024-02-29", "from").is_ok());
        assert!(date_param("2026-02-29", "from").is_err());
        assert!(date_param("2026-13-01", "from").is_err());
        assert!(date_param("2026-1-01", "from").is_err());
        assert!(date_param("' OR 1=1", "from").is_err());
        assert!(bool_param("oui", "b2b").is_err());
        assert!(id_param("0", "x").is_err());
    }

    #[test]
    fn numbers_follow_the_wireframe() {
        assert_eq!(format_numero(2026, "IZO", 41), "MKO-2026-IZO-041");
        assert_eq!(format_numero(2026, "GAL", 1234), "MKO-2026-GAL-1234");
    }
}
