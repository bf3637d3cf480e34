//! Order import (spec 7.4, issue 8 item 3): paid orders of the shop become
//! MyKollector orders, B2C (an athlete, waiting for the athlete's
//! validation) or B2B (the customer's default group is the B2B one: a client
//! name, a quantity, straight to the workshop).
//!
//! The shop is read page by page (orders by increasing id, so a page never
//! shifts when an order leaves the paid state meanwhile); each page's
//! customers, products, feature values and addresses are fetched in one call
//! per resource (`filter[id]=[a|b|…]`), so 1,000 orders cost ~50 requests.
//!
//! Each order row is mapped to a course through the product feature
//! `mko_parcours_id` (and, for B2B, `mko_fabricant_id`). One MyKollector
//! order exists per (order, row, medal) — the unique key
//! `uk_commandes_presta_row` — so importing twice, or two imports at once,
//! never creates a second one: each PrestaShop order is written in its own
//! transaction under a named lock of that order (imports of one order take
//! turns), and a unit another import wrote first is skipped.

use super::client::{int, list_of, text, Failure, Shop};
use super::settings::Settings;
use crate::api::auth::{clean_name, normalize_email};
use crate::api::commandes::{self, NewOrder};
use crate::api::dispatch::atelier_for;
use crate::api::sav::b2b::{insert_b2b_order, B2bInput};
use crate::applog::app_log;
use crate::config::Config;
use crate::db;
use crate::error::catalog;
use crate::error::{Error, Result};
use mysql::prelude::Queryable;
use mysql::Conn;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};

/// Orders read per page.
const PAGE: usize = 100;
/// How long an import waits for another one to finish the same order.
const ORDER_LOCK_SECS: u32 = 30;
/// Name of the product feature holding the course id.
pub const FEATURE_PARCOURS: &str = "mko_parcours_id";
/// Name of the product feature holding the B2B manufacturer (id or code).
pub const FEATURE_FABRICANT: &str = "mko_fabricant_id";

/// Which orders an import takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Athletes' orders (any default group but the B2B one).
    B2c,
    /// Orders of customers whose default group is the B2B one.
    B2b,
}

/// What became of one PrestaShop order.
#[derive(Debug, Clone, Serialize)]
pub struct OrderReport {
    /// The shop's order id.
    pub presta_order_id: u64,
    /// The shop's order reference.
    pub reference: String,
    /// `importee`, `ignoree` or `echec`.
    pub resultat: &'static str,
    /// Why it was skipped or failed (French).
    pub raison: Option<String>,
    /// Numbers of the MyKollector orders created.
    pub commandes: Vec<String>,
}

/// The per-order report of one import.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// B2C or B2B.
    #[serde(rename = "type")]
    pub kind: Kind,
    /// Orders imported now.
    pub importees: u32,
    /// Orders skipped (already imported, no course…).
    pub ignorees: u32,
    /// Orders that failed.
    pub echecs: u32,
    /// MyKollector orders created.
    pub commandes_creees: u32,
    /// Requests made to the shop.
    pub requetes_boutique: u32,
    /// One entry per order of this kind read from the shop.
    pub commandes: Vec<OrderReport>,
}

impl Report {
    /// One line for the cron log: counts, then skipped and failed orders
    /// with their reason (already-imported ones are only counted).
    #[must_use]
    pub fn summary(&self) -> String {
        let notable: Vec<String> = self
            .commandes
            .iter()
            .filter(|o| {
                o.resultat == "echec"
                    || (o.resultat == "ignoree" && o.raison.as_deref() != Some(ALREADY))
            })
            .take(20)
            .map(|o| {
                format!(
                    "#{} {}: {}",
                    o.presta_order_id,
                    o.resultat,
                    o.raison.as_deref().unwrap_or("")
                )
            })
            .collect();
        let mut line = format!(
            "{} importée(s) ({} commande(s) créée(s)), {} ignorée(s), {} en échec, {} requête(s) boutique",
            self.importees, self.commandes_creees, self.ignorees, self.echecs, self.requetes_boutique
        );
        if !notable.is_empty() {
            line.push_str(" — ");
            line.push_str(&notable.join(" ; "));
        }
        line
    }
}

const ALREADY: &str = "déjà importée";

/// A shop customer, as the import needs it.
#[derive(Debug, Clone)]
pub struct Customer {
    /// Shop id.
    pub id: u64,
    /// Address (lower-cased).
    pub email: String,
    /// First name.
    pub firstname: String,
    /// Family name.
    pub lastname: String,
    /// Company (B2B client name).
    pub company: String,
    /// Default group.
    pub group: u64,
}

impl Customer {
    /// Reads a Webservice customer record.
    #[must_use]
    pub fn from_json(v: &Value) -> Option<Customer> {
        Some(Customer {
            id: int(&v["id"])?,
            email: text(&v["email"]).to_lowercase(),
            firstname: text(&v["firstname"]),
            lastname: text(&v["lastname"]),
            company: text(&v["company"]),
            group: int(&v["id_default_group"]).unwrap_or(0),
        })
    }
}

/// What the import remembers between pages.
#[derive(Default)]
struct Catalog {
    feature_parcours: Option<u64>,
    feature_fabricant: Option<u64>,
    customers: HashMap<u64, Customer>,
    /// product id → (feature id, feature value id)
    products: HashMap<u64, Vec<(u64, u64)>>,
    values: HashMap<u64, String>,
}

/// Runs one import (the routes and the cron call this same function).
pub fn run(config: &Config, conn: &mut Conn, kind: Kind) -> Result<Report> {
    let shop = Shop::load(config, conn)?.ok_or_else(|| Failure::NotConfigured.into_error())?;
    let settings = Settings::load(config, conn)?;
    let mut report = Report {
        kind,
        importees: 0,
        ignorees: 0,
        echecs: 0,
        commandes_creees: 0,
        requetes_boutique: 0,
        commandes: Vec::new(),
    };
    let result = import_pages(config, conn, &shop, &settings, kind, &mut report);
    report.requetes_boutique = shop.calls.get();
    result?;
    let column = match kind {
        Kind::B2c => "derniere_sync_at",
        Kind::B2b => "derniere_sync_b2b_at",
    };
    conn.query_drop(format!(
        "UPDATE prestashop_config SET {column} = NOW() WHERE id = 1"
    ))?;
    for o in report
        .commandes
        .iter()
        .filter(|o| o.resultat != "ignoree" || o.raison.as_deref() != Some(ALREADY))
    {
        app_log(
            config,
            if o.resultat == "echec" {
                "ERROR"
            } else {
                "INFO"
            },
            &format!(
                "prestashop import {:?} order {} ({}): {} {} {}",
                kind,
                o.presta_order_id,
                o.reference,
                o.resultat,
                o.raison.as_deref().unwrap_or(""),
                o.commandes.join(",")
            ),
        );
    }
    Ok(report)
}

fn import_pages(
    config: &Config,
    conn: &mut Conn,
    shop: &Shop,
    settings: &Settings,
    kind: Kind,
    report: &mut Report,
) -> Result<()> {
    let mut catalog = Catalog::default();
    load_feature_ids(conn, shop, &mut catalog)?;
    let mut after = 0u64;
    loop {
        let page = shop
            .ws_get(
                conn,
                "orders",
                &[
                    ("display", "full".into()),
                    (
                        "filter[current_state]",
                        format!("[{}]", settings.statut_paiement_id),
                    ),
                    ("filter[id]", format!(">[{after}]")),
                    ("sort", "[id_ASC]".into()),
                    ("limit", format!("0,{PAGE}")),
                ],
            )
            .map_err(Failure::into_error)?;
        let orders = list_of(&page, "orders");
        let Some(last) = orders.iter().filter_map(|o| int(&o["id"])).max() else {
            return Ok(());
        };
        after = last;
        import_page(
            config,
            conn,
            shop,
            settings,
            kind,
            orders,
            &mut catalog,
            report,
        )?;
        if orders.len() < PAGE {
            return Ok(());
        }
    }
}

/// The ids of the features `mko_parcours_id` and `mko_fabricant_id`.
fn load_feature_ids(conn: &mut Conn, shop: &Shop, catalog: &mut Catalog) -> Result<()> {
    let answer = shop
        .ws_get(conn, "product_features", &[("display", "full".into())])
        .map_err(Failure::into_error)?;
    for f in list_of(&answer, "product_features") {
        let name = localized(&f["name"]);
        match name.as_str() {
            FEATURE_PARCOURS => catalog.feature_parcours = int(&f["id"]),
            FEATURE_FABRICANT => catalog.feature_fabricant = int(&f["id"]),
            _ => {}
        }
    }
    Ok(())
}

/// A localized Webservice field: a plain string (with `language=`), or
/// `[{"id": <lang>, "value": "…"}]` — the first language then.
#[must_use]
pub fn localized(v: &Value) -> String {
    match v {
        Value::Array(items) => items.first().map(|i| text(&i["value"])).unwrap_or_default(),
        other => text(other),
    }
}

/// `[a|b|c]` for a `filter[id]` over ids.
fn id_filter(ids: &[u64]) -> String {
    let list: Vec<String> = ids.iter().map(u64::to_string).collect();
    format!("[{}]", list.join("|"))
}

/// Fetches the records `ids` of `resource` in one call (`display=full`).
fn fetch_many(conn: &mut Conn, shop: &Shop, resource: &str, ids: &[u64]) -> Result<Vec<Value>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let answer = shop
        .ws_get(
            conn,
            resource,
            &[("display", "full".into()), ("filter[id]", id_filter(ids))],
        )
        .map_err(Failure::into_error)?;
    Ok(list_of(&answer, resource).to_vec())
}

/// One order row, as imported.
struct Line {
    row_id: u64,
    product_id: u64,
    quantity: u32,
}

fn order_lines(order: &Value) -> Vec<Line> {
    order["associations"]["order_rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|r| {
                    Some(Line {
                        row_id: int(&r["id"])?,
                        product_id: int(&r["product_id"])?,
                        quantity: u32::try_from(int(&r["product_quantity"]).unwrap_or(1))
                            .unwrap_or(1),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

#[expect(
    clippy::too_many_arguments,
    reason = "one page's whole context, passed once"
)]
fn import_page(
    config: &Config,
    conn: &mut Conn,
    shop: &Shop,
    settings: &Settings,
    kind: Kind,
    orders: &[Value],
    catalog: &mut Catalog,
    report: &mut Report,
) -> Result<()> {
    // 1. The customers of the page, to tell B2C from B2B.
    let missing: Vec<u64> = unique(orders.iter().filter_map(|o| int(&o["id_customer"])))
        .into_iter()
        .filter(|id| !catalog.customers.contains_key(id))
        .collect();
    for c in fetch_many(conn, shop, "customers", &missing)? {
        if let Some(c) = Customer::from_json(&c) {
            catalog.customers.insert(c.id, c);
        }
    }
    let mine: Vec<&Value> = orders
        .iter()
        .filter(|o| {
            let group = int(&o["id_customer"])
                .and_then(|id| catalog.customers.get(&id))
                .map(|c| c.group);
            (group == Some(settings.groupe_b2b_id)) == (kind == Kind::B2b)
        })
        .collect();
    // 2. What is already imported (a read to spare work; the unique key is
    //    what guarantees it).
    let existing = existing_units(conn, &mine)?;
    let todo: Vec<&Value> = mine
        .iter()
        .copied()
        .filter(|o| {
            let id = int(&o["id"]).unwrap_or(0);
            order_lines(o)
                .iter()
                .any(|l| !existing.contains(&(id, l.row_id)))
        })
        .collect();
    // 3. Products, feature values and addresses of what remains.
    load_products(conn, shop, catalog, &todo)?;
    let address_ids = unique(todo.iter().filter_map(|o| int(&o["id_address_delivery"])));
    let addresses: HashMap<u64, Value> = fetch_many(conn, shop, "addresses", &address_ids)?
        .into_iter()
        .filter_map(|a| Some((int(&a["id"])?, a)))
        .collect();
    // 4. One transaction per order.
    for order in mine {
        let id = int(&order["id"]).unwrap_or(0);
        let entry = if todo.iter().any(|o| int(&o["id"]) == Some(id)) {
            let address = int(&order["id_address_delivery"]).and_then(|a| addresses.get(&a));
            import_order(config, conn, kind, order, catalog, address)
        } else {
            skipped(order, ALREADY)
        };
        match entry.resultat {
            "importee" => report.importees += 1,
            "ignoree" => report.ignorees += 1,
            _ => report.echecs += 1,
        }
        report.commandes_creees += u32::try_from(entry.commandes.len()).unwrap_or(0);
        report.commandes.push(entry);
    }
    Ok(())
}

fn unique(ids: impl Iterator<Item = u64>) -> Vec<u64> {
    let mut v: Vec<u64> = ids.collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// (order, row) pairs that already have at least their first medal.
fn existing_units(conn: &mut Conn, orders: &[&Value]) -> Result<HashSet<(u64, u64)>> {
    let ids = unique(orders.iter().filter_map(|o| int(&o["id"])));
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let marks = vec!["?"; ids.len()].join(",");
    let rows: Vec<(u64, u64)> = conn.exec(
        format!(
            "SELECT DISTINCT presta_order_id, presta_order_row_id FROM commandes WHERE presta_order_id IN ({marks}) AND presta_order_row_id IS NOT NULL"
        ),
        ids,
    )?;
    Ok(rows.into_iter().collect())
}

fn load_products(
    conn: &mut Conn,
    shop: &Shop,
    catalog: &mut Catalog,
    orders: &[&Value],
) -> Result<()> {
    let wanted: Vec<u64> = unique(
        orders
            .iter()
            .flat_map(|o| order_lines(o))
            .map(|l| l.product_id),
    )
    .into_iter()
    .filter(|id| !catalog.products.contains_key(id))
    .collect();
    for p in fetch_many(conn, shop, "products", &wanted)? {
        let Some(id) = int(&p["id"]) else { continue };
        let features = p["associations"]["product_features"]
            .as_array()
            .map(|fs| {
                fs.iter()
                    .filter_map(|f| Some((int(&f["id"])?, int(&f["id_feature_value"])?)))
                    .collect()
            })
            .unwrap_or_default();
        catalog.products.insert(id, features);
    }
    for id in &wanted {
        catalog.products.entry(*id).or_default();
    }
    let ours = [catalog.feature_parcours, catalog.feature_fabricant];
    let values: Vec<u64> = unique(
        catalog
            .products
            .values()
            .flatten()
            .filter(|(f, _)| ours.contains(&Some(*f)))
            .map(|(_, v)| *v),
    )
    .into_iter()
    .filter(|v| !catalog.values.contains_key(v))
    .collect();
    for v in fetch_many(conn, shop, "product_feature_values", &values)? {
        if let Some(id) = int(&v["id"]) {
            catalog.values.insert(id, localized(&v["value"]));
        }
    }
    Ok(())
}

impl Catalog {
    /// The value of feature `feature` on product `product`.
    fn feature(&self, product: u64, feature: Option<u64>) -> Option<&str> {
        let feature = feature?;
        let (_, value) = self
            .products
            .get(&product)?
            .iter()
            .find(|(f, _)| *f == feature)?;
        self.values
            .get(value)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

fn skipped(order: &Value, why: &str) -> OrderReport {
    OrderReport {
        presta_order_id: int(&order["id"]).unwrap_or(0),
        reference: text(&order["reference"]),
        resultat: "ignoree",
        raison: Some(why.to_string()),
        commandes: Vec::new(),
    }
}

/// One medal order to create.
struct Unit {
    row_id: u64,
    exemplaire: u32,
    produit_id: u64,
    fabricant_id: Option<u64>,
    quantite: u32,
}

/// Maps the order's rows to courses; the reason when none maps.
fn plan(
    conn: &mut Conn,
    kind: Kind,
    order: &Value,
    catalog: &Catalog,
) -> Result<std::result::Result<Vec<Unit>, String>> {
    let mut units = Vec::new();
    let mut reasons = Vec::new();
    for line in order_lines(order) {
        let Some(value) = catalog.feature(line.product_id, catalog.feature_parcours) else {
            reasons.push(format!(
                "produit {} sans caractéristique {FEATURE_PARCOURS}",
                line.product_id
            ));
            continue;
        };
        let Some(produit_id) = find_course(conn, value)? else {
            reasons.push(format!(
                "parcours « {value} » inconnu de MyKollector (produit {})",
                line.product_id
            ));
            continue;
        };
        let fabricant_id = match catalog.feature(line.product_id, catalog.feature_fabricant) {
            Some(f) if kind == Kind::B2b => find_fabricant(conn, f)?,
            _ => None,
        };
        match kind {
            Kind::B2b => units.push(Unit {
                row_id: line.row_id,
                exemplaire: 1,
                produit_id,
                fabricant_id,
                quantite: line.quantity.max(1),
            }),
            Kind::B2c => units.extend((1..=line.quantity.max(1)).map(|n| Unit {
                row_id: line.row_id,
                exemplaire: n,
                produit_id,
                fabricant_id: None,
                quantite: 1,
            })),
        }
    }
    Ok(if units.is_empty() {
        Err(if reasons.is_empty() {
            "commande sans article".into()
        } else {
            reasons.join(", ")
        })
    } else {
        Ok(units)
    })
}

/// A course by id (the feature's value), or by its 3-letter code.
fn find_course(conn: &mut Conn, value: &str) -> Result<Option<u64>> {
    Ok(conn.exec_first(
        "SELECT id FROM produits WHERE id = ? OR code = ? ORDER BY id = ? DESC LIMIT 1",
        (
            value.parse::<u64>().unwrap_or(0),
            value.to_uppercase(),
            value.parse::<u64>().unwrap_or(0),
        ),
    )?)
}

/// A manufacturer by id or by code (the feature's value).
fn find_fabricant(conn: &mut Conn, value: &str) -> Result<Option<u64>> {
    Ok(conn.exec_first(
        "SELECT id FROM fabricants WHERE actif AND (id = ? OR code = ?) ORDER BY id = ? DESC LIMIT 1",
        (value.parse::<u64>().unwrap_or(0), value.to_uppercase(), value.parse::<u64>().unwrap_or(0)),
    )?)
}

fn import_order(
    config: &Config,
    conn: &mut Conn,
    kind: Kind,
    order: &Value,
    catalog: &Catalog,
    address: Option<&Value>,
) -> OrderReport {
    let mut entry = skipped(order, "");
    let customer = int(&order["id_customer"]).and_then(|id| catalog.customers.get(&id));
    let result = (|| {
        let Some(customer) = customer else {
            return Ok(Err("client introuvable dans la boutique".to_string()));
        };
        let units = match plan(conn, kind, order, catalog)? {
            Ok(u) => u,
            Err(why) => return Ok(Err(why)),
        };
        let adresse = address.map(address_json);
        let presta_order_id = int(&order["id"]).unwrap_or(0);
        // The order's medals; a unit created meanwhile by an import that did
        // not take the lock (an older binary) is caught by the unique key.
        with_order_lock(conn, presta_order_id, |conn| {
            match db::transaction(conn, |tx| {
                write_order(tx, kind, order, customer, &units, adresse.as_ref())
            }) {
                Err(e) if e.log_line().contains("uk_commandes_presta_row") => Ok(Vec::new()),
                written => written,
            }
        })
        .map(Ok)
    })();
    match result {
        Ok(Ok(numeros)) if numeros.is_empty() => entry.raison = Some(ALREADY.into()),
        Ok(Ok(numeros)) => {
            entry.resultat = "importee";
            entry.raison = None;
            entry.commandes = numeros;
        }
        Ok(Err(why)) => entry.raison = Some(why),
        Err(e) => {
            if e.is_server_error() {
                app_log(
                    config,
                    "ERROR",
                    &format!("prestashop import: {}", e.log_line()),
                );
            }
            entry.resultat = "echec";
            entry.raison = Some(e.message().to_string());
        }
    }
    entry
}

/// Runs `work` holding the named lock of shop order `id`: two imports of the
/// same order take turns instead of racing (the second one then finds the
/// first one's rows and skips them). Taken before the transaction starts, so
/// the waiting import's reads see what the first one committed, and the
/// waiting holds no row lock: no deadlock between the two.
fn with_order_lock<T>(
    conn: &mut Conn,
    id: u64,
    work: impl FnOnce(&mut Conn) -> Result<T>,
) -> Result<T> {
    let name = format!("mk_presta_order_{id}");
    let got: Option<i64> = conn.exec_first("SELECT GET_LOCK(?, ?)", (&name, ORDER_LOCK_SECS))?;
    if got != Some(1) {
        return Err(catalog::PRESTASHOP_IMPORT_BUSY.err());
    }
    let result = work(conn);
    conn.exec_drop("DO RELEASE_LOCK(?)", (&name,))?;
    result
}

/// The order's medals, inside the caller's transaction; the numbers created
/// (empty when every unit already existed).
fn write_order(
    tx: &mut Conn,
    kind: Kind,
    order: &Value,
    customer: &Customer,
    units: &[Unit],
    adresse: Option<&Value>,
) -> Result<Vec<String>> {
    let presta_order_id = int(&order["id"]).ok_or_else(|| Error::invalid("commande sans id"))?;
    let email = normalize_email(&customer.email).ok();
    let user_id = match kind {
        Kind::B2c => Some(link_customer(tx, customer)?),
        Kind::B2b => None,
    };
    let mut numeros = Vec::new();
    for unit in units {
        // A plain read: the order's named lock already keeps other imports
        // out (a locking read would take gap locks, and two imports of
        // neighbouring orders would deadlock on them).
        if db::rows::any(
            tx,
            "SELECT id FROM commandes WHERE presta_order_id = ? AND presta_order_row_id = ? AND presta_exemplaire = ?",
            (presta_order_id, unit.row_id, unit.exemplaire),
        )? {
            continue;
        }
        let atelier_id = atelier_for(tx, unit.produit_id, unit.fabricant_id)?;
        let presta = commandes::PrestaRef {
            order_id: presta_order_id,
            row_id: unit.row_id,
            exemplaire: unit.exemplaire,
            adresse_livraison: adresse.cloned(),
        };
        let created = match kind {
            Kind::B2c => commandes::insert_order(
                tx,
                &NewOrder {
                    user_id,
                    produit_id: unit.produit_id,
                    atelier_id,
                    gravure_texte: json!({}),
                    validation_sportif: false,
                    presta_order_id: Some(presta_order_id),
                    presta: Some(presta),
                    email_client: email.clone(),
                    ..NewOrder::default()
                },
                None,
            )?,
            Kind::B2b => insert_b2b_order(
                tx,
                &B2bInput {
                    client_nom: b2b_name(customer),
                    client_type: "autre".into(),
                    quantite: unit.quantite,
                    produit_id: unit.produit_id,
                    fabricant_id: unit.fabricant_id,
                    atelier_id,
                    gravure_nom: None,
                    presta_order_id: Some(presta_order_id),
                    presta: Some(presta),
                    email_client: email.clone(),
                },
                None,
            )?,
        };
        numeros.push(created.numero);
    }
    Ok(numeros)
}

fn b2b_name(c: &Customer) -> String {
    let name = if c.company.is_empty() {
        format!("{} {}", c.firstname, c.lastname)
    } else {
        c.company.clone()
    };
    name.trim().chars().take(200).collect()
}

/// The account of a shop customer: the one linked by `presta_customer_id`,
/// else the one with its address (now linked), else a new athlete account
/// without a password (the athlete signs in by link).
pub fn link_customer(tx: &mut Conn, c: &Customer) -> Result<u64> {
    let linked: Option<u64> = tx.exec_first(
        "SELECT id FROM users WHERE presta_customer_id = ? AND anonymized_at IS NULL ORDER BY id LIMIT 1",
        (c.id,),
    )?;
    if let Some(id) = linked {
        return Ok(id);
    }
    let email = normalize_email(&c.email)?;
    // One statement creates or finds the account: two imports at once end
    // on the same row (uk_users_email), LAST_INSERT_ID hands back its id.
    tx.exec_drop(
        r"INSERT INTO users (email, password, role, nom, prenom, presta_customer_id, actif)
          VALUES (?, '!', 'sportif', ?, ?, ?, TRUE)
          ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id),
            presta_customer_id = COALESCE(presta_customer_id, VALUES(presta_customer_id))",
        (
            &email,
            clean_name(&c.lastname, "nom").ok(),
            clean_name(&c.firstname, "prénom").ok(),
            c.id,
        ),
    )?;
    Ok(tx.last_insert_id())
}

/// The delivery address in the shape labels read:
/// `{nom, prenom, lignes, code_postal, ville, pays_id, telephone}`.
fn address_json(a: &Value) -> Value {
    let lignes: Vec<String> = ["company", "address1", "address2"]
        .iter()
        .map(|k| text(&a[*k]))
        .filter(|l| !l.is_empty())
        .collect();
    json!({
        "nom": text(&a["lastname"]),
        "prenom": text(&a["firstname"]),
        "lignes": lignes,
        "code_postal": text(&a["postcode"]),
        "ville": text(&a["city"]),
        "pays_id": int(&a["id_country"]),
        "telephone": Some(text(&a["phone_mobile"])).filter(|p| !p.is_empty()).unwrap_or_else(|| text(&a["phone"])),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localized_fields_in_both_shapes() {
        assert_eq!(localized(&json!([{"id": "1", "value": "12"}])), "12");
        assert_eq!(localized(&json!("12")), "12");
    }

    #[test]
    fn rows_with_quantities_as_strings() {
        let order = json!({"associations": {"order_rows": [
            {"id": "7", "product_id": "3", "product_quantity": "10"},
            {"id": 8, "product_id": 4}
        ]}});
        let lines = order_lines(&order);
        assert_eq!(lines.len(), 2);
        assert_eq!(
            (lines[0].row_id, lines[0].product_id, lines[0].quantity),
            (7, 3, 10)
        );
        assert_eq!(lines[1].quantity, 1);
    }

    #[test]
    fn id_filters() {
        assert_eq!(id_filter(&[1, 22, 3]), "[1|22|3]");
    }
}
