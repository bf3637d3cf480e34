//! Spec §5.4 `GET /api/commandes`: the workshop's order list, its filters
//! and pagination.

use super::queries;
use super::render::order_json;
use super::status::Statut;
use crate::error::{Error, Result};
use crate::http::list::{like_contains, query_date, Page};
use crate::http::{Ctx, Response};
use crate::security::Role;
use mysql::Value;

/// Spec 5.4 `GET /api/commandes` (operateur+): "Toutes les commandes
/// (filtres)", and `?b2b=true&fabricant_id=X`: "Commandes B2B filtrées".
/// Filters: statut (comma list), produit_id (alias parcours), atelier_id,
/// b2b, fabricant_id, validation_sportif, from/to (date_commande, inclusive),
/// q (numero, athlete name/email, B2B client). An operateur_fab sees its own
/// atelier only, whatever it asks for.
pub(super) fn list_commandes(ctx: &mut Ctx) -> Result<Response> {
    let page = Page::from_query(ctx.req)?;
    let (per_page, offset) = (page.per_page, page.offset());
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
    if let Some(from) = query_date(ctx.req, "from")? {
        clauses.push("c.date_commande >= ?".into());
        args.push(from.into());
    }
    if let Some(to) = query_date(ctx.req, "to")? {
        clauses.push("c.date_commande < ? + INTERVAL 1 DAY".into());
        args.push(to.into());
    }
    if let Some(q) = ctx.req.query_param("q") {
        let pattern = like_contains(q.trim());
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
        offset,
    )?;
    let items: Vec<_> = rows.iter().map(order_json).collect();
    Ok(Response::ok(&page.wrap(items, total)))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values() {
        assert!(bool_param("oui", "b2b").is_err());
        assert!(id_param("0", "x").is_err());
    }
}
