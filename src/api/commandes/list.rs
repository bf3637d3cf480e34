//! Spec §5.4 `GET /api/commandes`: the workshop's order list, its filters
//! and pagination.

use super::queries;
use super::render::OrderJson;
use super::status::Statut;
use crate::api::scope;
use crate::error::{Error, Result};
use crate::http::list::{like_contains, query_date, Page, Where};
use crate::http::{Ctx, Response};
use mysql::Value;

/// Spec 5.4 `GET /api/commandes` (operateur+): "Toutes les commandes
/// (filtres)", and `?b2b=true&fabricant_id=X`: "Commandes B2B filtrées".
/// Filters: statut (comma list), `produit_id` (alias parcours), `atelier_id`,
/// b2b, `fabricant_id`, `validation_sportif`, from/to (`date_commande`, inclusive),
/// q (numero, athlete name/email, B2B client). An `operateur_fab` sees its own
/// atelier only, whatever it asks for.
pub(super) fn list_commandes(ctx: &mut Ctx) -> Result<Response> {
    let page = Page::from_query(ctx.req)?;
    let claims = ctx.claims()?.clone();
    // 1. An operateur_fab is pinned to its atelier.
    let atelier = match scope::atelier_filter(&claims) {
        Some(own) => Some(own),
        None => query_id(ctx, "atelier_id")?,
    };
    let mut filter = Where::new();
    filter.bind_opt("c.atelier_id = ?", atelier);
    // 2. The other filters, each a fixed fragment with bound values.
    let search = order_filters(ctx, &mut filter)?;
    // 3. Whitelisted sort orders.
    let order_by = match ctx.req.query_param("sort").as_deref() {
        None | Some("recent") => "c.date_commande DESC, c.id DESC",
        Some("ancien") => "c.date_commande ASC, c.id ASC",
        Some("numero") => "c.numero ASC, c.id ASC",
        Some("statut") => "c.statut ASC, c.date_commande DESC, c.id DESC",
        Some(other) => {
            return Err(Error::invalid(format!(
                "Tri inconnu « {other} ». Valeurs possibles : recent, ancien, numero, statut."
            )))
        }
    };
    let listed = queries::list_orders(ctx.conn()?, &filter, search, order_by, &page)?;
    Ok(Response::ok(&page.answer(&listed.map_ref(OrderJson::of))))
}

/// An id query parameter, else 422 naming it.
fn query_id(ctx: &Ctx, name: &str) -> Result<Option<u64>> {
    ctx.req
        .query_param(name)
        .map(|v| id_param(&v, name))
        .transpose()
}

/// The list filters of the query string other than the atelier; true when
/// the text search reads the athlete's columns.
fn order_filters(ctx: &Ctx, filter: &mut Where) -> Result<bool> {
    if let Some(raw) = ctx.req.query_param("statut") {
        let statuts = raw
            .split(',')
            .map(|s| {
                Statut::parse(s.trim())
                    .ok_or_else(|| Error::invalid(format!("Statut inconnu « {} ».", s.trim())))
            })
            .collect::<Result<Vec<_>>>()?;
        filter.and_in("c.statut", statuts.iter().map(|s| Value::from(s.as_str())));
    }
    let produit = ctx
        .req
        .query_param("produit_id")
        .or_else(|| ctx.req.query_param("parcours"));
    if let Some(v) = produit {
        filter.bind("c.produit_id = ?", id_param(&v, "produit_id")?);
    }
    filter.bind_opt("c.b2b_fabricant_id = ?", query_id(ctx, "fabricant_id")?);
    if let Some(v) = ctx.req.query_param("b2b") {
        filter.bind("COALESCE(c.is_b2b, FALSE) = ?", bool_param(&v, "b2b")?);
    }
    if let Some(v) = ctx.req.query_param("validation_sportif") {
        filter.bind(
            "COALESCE(c.validation_sportif, FALSE) = ?",
            bool_param(&v, "validation_sportif")?,
        );
    }
    filter.bind_opt("c.date_commande >= ?", query_date(ctx.req, "from")?);
    filter.bind_opt(
        "c.date_commande < ? + INTERVAL 1 DAY",
        query_date(ctx.req, "to")?,
    );
    if let Some(q) = ctx.req.query_param("q") {
        let pattern = like_contains(q.trim());
        filter.and(
            "(c.numero LIKE ? OR u.nom LIKE ? OR u.prenom LIKE ? OR u.email LIKE ? \
              OR CONCAT_WS(' ', u.prenom, u.nom) LIKE ? OR c.b2b_client_nom LIKE ? \
              OR c.email_client LIKE ?)",
            std::iter::repeat_n(Value::from(pattern), 7),
        );
        return Ok(true);
    }
    Ok(false)
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
