//! Spec §5.4 `GET /api/commandes`: the workshop's order list, its filters
//! and pagination.

use super::queries;
use super::render::order_json;
use super::status::Statut;
use crate::error::{Error, Result};
use crate::http::{Ctx, Response};
use crate::security::Role;
use mysql::Value;
use serde_json::json;

/// Spec 5.4 `GET /api/commandes` (operateur+): "Toutes les commandes
/// (filtres)", and `?b2b=true&fabricant_id=X`: "Commandes B2B filtrées".
/// Filters: statut (comma list), produit_id (alias parcours), atelier_id,
/// b2b, fabricant_id, validation_sportif, from/to (date_commande, inclusive),
/// q (numero, athlete name/email, B2B client). An operateur_fab sees its own
/// atelier only, whatever it asks for.
pub(super) fn list_commandes(ctx: &mut Ctx) -> Result<Response> {
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
pub(super) fn pagination(ctx: &Ctx) -> Result<(u64, u64)> {
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
        && v.char_indices().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
