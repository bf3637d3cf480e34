//! `POST /api/parcours/{id}/sync-prestashop` (spec 5.2, issue 8 item 8):
//! creates or updates the course's shop product through the Admin API
//! (`POST /admin-api/products`, `PATCH /admin-api/products/{id}`, camelCase
//! fields), then tags it with the feature `mko_parcours_id` = the course id
//! through the Webservice (the Admin API has no product-feature write), so
//! the order import can map the product back to the course.

use super::client::{int, list_of, Failure, Shop};
use super::import::{localized, FEATURE_PARCOURS};
use crate::db::rows::{self, FromRow};
use crate::error::{catalog, Result};
use crate::http::{Ctx, Response};
use mysql::prelude::Queryable;
use mysql::Conn;
use serde_json::{json, Value};

/// The course as the shop shows it.
#[derive(FromRow)]
struct Course {
    nom: String,
    sous_titre: Option<String>,
    actif: bool,
    presta_product_id: Option<u64>,
}

/// The handler.
pub fn create_product_sync(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let config = ctx.config;
    // Outside the transaction: a failed call must still count for the
    // circuit breaker.
    let conn = ctx.autocommit()?;
    let course: Course = rows::first(
        conn,
        r"SELECT nom, sous_titre, COALESCE(actif, TRUE) AS actif, presta_product_id
          FROM produits WHERE id = ?",
        (id,),
    )?
    .ok_or_else(|| catalog::COURSE_NOT_FOUND.err())?;
    let shop = Shop::load(config, conn)?.ok_or_else(|| Failure::NotConfigured.into_error())?;
    if !shop.has_admin_api() {
        return Err(catalog::PRESTASHOP_ADMIN_API_MISSING.err());
    }
    let product_id = upsert_product(conn, &shop, &course).map_err(Failure::into_error)?;
    tag_product(conn, &shop, product_id, id).map_err(Failure::into_error)?;
    let lien = format!(
        "{}/index.php?id_product={product_id}&controller=product",
        shop.base_url()
    );
    // The shop is written: record it even if this answer is lost.
    conn.exec_drop(
        "UPDATE produits SET presta_product_id = ?, lien_boutique = ?, shop_synced = TRUE WHERE id = ?",
        (product_id, &lien, id),
    )?;
    ctx.audit_entity("parcours", id);
    ctx.audit_details(json!({ "presta_product_id": product_id }));
    Ok(Response::ok(&json!({
        "id": id,
        "presta_product_id": product_id,
        "lien_boutique": lien,
        "shop_synced": true,
    })))
}

fn product_body(c: &Course) -> Value {
    json!({
        "type": "standard",
        "names": { "fr-FR": c.nom },
        "shortDescriptions": { "fr-FR": c.sous_titre.clone().unwrap_or_default() },
        "active": c.actif,
    })
}

/// Updates the linked product, or creates one when none is linked (or the
/// linked one was deleted in the shop).
fn upsert_product(conn: &mut Conn, shop: &Shop, c: &Course) -> std::result::Result<u64, Failure> {
    let body = product_body(c);
    if let Some(pid) = c.presta_product_id {
        match shop.admin_call(conn, "PATCH", &format!("products/{pid}"), Some(&body)) {
            Ok(_) => return Ok(pid),
            Err(Failure::NotFound) => {}
            Err(f) => return Err(f),
        }
    }
    let created = shop.admin_call(conn, "POST", "products", Some(&body))?;
    int(&created["productId"])
        .or_else(|| int(&created["id"]))
        .ok_or_else(|| Failure::BadAnswer("identifiant du produit absent".into()))
}

/// Sets the product's `mko_parcours_id` feature to the course id.
fn tag_product(
    conn: &mut Conn,
    shop: &Shop,
    product_id: u64,
    course_id: u64,
) -> std::result::Result<(), Failure> {
    let features = shop.ws_get(conn, "product_features", &[("display", "full".into())])?;
    let feature = list_of(&features, "product_features")
        .iter()
        .find(|f| localized(&f["name"]) == FEATURE_PARCOURS)
        .and_then(|f| int(&f["id"]));
    let feature = match feature {
        Some(f) => f,
        None => created_id(
            &shop.ws_write(
                conn,
                "POST",
                "product_features",
                &[("output_format", "JSON".into())],
                &format!(
                    "<prestashop><product_feature><name><language id=\"1\">{FEATURE_PARCOURS}</language></name></product_feature></prestashop>"
                ),
            )?,
            "product_feature",
        )?,
    };
    let value = created_id(
        &shop.ws_write(
            conn,
            "POST",
            "product_feature_values",
            &[("output_format", "JSON".into())],
            &format!(
                "<prestashop><product_feature_value><id_feature>{feature}</id_feature><custom>1</custom><value><language id=\"1\">{course_id}</language></value></product_feature_value></prestashop>"
            ),
        )?,
        "product_feature_value",
    )?;
    let xml = format!(
        "<prestashop><product><id>{product_id}</id><associations><product_features><product_feature><id>{feature}</id><id_feature_value>{value}</id_feature_value></product_feature></product_features></associations></product></prestashop>",
    );
    shop.ws_write(conn, "PATCH", &format!("products/{product_id}"), &[], &xml)?;
    Ok(())
}

/// The id of a record a Webservice POST created (`{"<name>": {"id": …}}`).
fn created_id(bytes: &[u8], name: &str) -> std::result::Result<u64, Failure> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| Failure::BadAnswer(format!("JSON illisible ({e})")))?;
    int(&v[name]["id"]).ok_or_else(|| Failure::BadAnswer(format!("{name} sans id")))
}
