//! Spec §11.1 — `GET /api/dashboard`: everything the athlete's dashboard
//! shows, in one call and a handful of queries (orders, validated chronos,
//! one ranking per course done, the podium of the latest course, one
//! community count).

use super::queries::{self, ChronoRow, OrderRow};
use super::render::{chrono_for_order, gravure_json};
use super::status::Statut;
use crate::api::chronos;
use crate::error::Result;
use crate::http::{Ctx, Response};
use crate::time::{french_date_short, hms};
use mysql::Conn;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Statuses in which the medal exists (engraved and beyond).
const MEDAL_MADE: [Statut; 4] = [
    Statut::Grave,
    Statut::AttenteExpedition,
    Statut::Expedie,
    Statut::Livre,
];

/// Wireframe 11.1 "Dashboard sportif": medals to validate (with the final
/// engraving check), courses bought but not done, courses done with best
/// time and rank "4/47", statistics, and the best times on the course of the
/// athlete's latest validated chrono (first names only).
pub fn show_dashboard(ctx: &mut Ctx) -> Result<Response> {
    let user_id = ctx.user_id()?;
    let conn = ctx.conn()?;
    let orders = queries::orders_of_user(conn, user_id)?;
    let chronos = queries::validated_chronos(conn, user_id)?;
    let done = courses_done(&chronos);
    let realised = realised_json(conn, user_id, &done)?;
    let medailles = orders
        .iter()
        .filter(|o| Statut::parse(&o.statut).is_some_and(|s| MEDAL_MADE.contains(&s)))
        .count();
    let stats = json!({
        "exploits": chronos.len(),
        "medailles": medailles,
        "parcours_distincts": done.len(),
        "sportifs_actifs": queries::active_athletes(conn)?,
    });
    Ok(Response::ok(&json!({
        "a_valider": to_validate_json(&orders, &chronos),
        "parcours_achetes_non_realises": bought_json(&orders, &done),
        "parcours_realises": realised,
        "stats": stats,
        "meilleurs_temps": latest_podium_json(conn, user_id, &chronos)?,
    })))
}

/// Best chrono, count and latest date per course (chronos come fastest
/// first within each course).
type Done<'a> = BTreeMap<u64, (&'a ChronoRow, u64, &'a str)>;

fn courses_done(chronos: &[ChronoRow]) -> Done<'_> {
    let mut done: Done = BTreeMap::new();
    for c in chronos {
        let entry = done.entry(c.produit_id).or_insert((c, 0, c.quand.as_str()));
        entry.1 += 1;
        if c.quand.as_str() > entry.2 {
            entry.2 = c.quand.as_str();
        }
    }
    done
}

/// Medals waiting for the athlete's validation that have a time to engrave.
fn to_validate_json(orders: &[OrderRow], chronos: &[ChronoRow]) -> Vec<Value> {
    let awaiting = |o: &&OrderRow| {
        o.statut == Statut::AttenteGravure.as_str() && !o.validation_sportif && !o.is_b2b
    };
    orders
        .iter()
        .filter(awaiting)
        .filter_map(|o| {
            let c = chrono_for_order(o, chronos)?;
            Some(json!({
                "commande_id": o.id,
                "numero": o.numero,
                "parcours": course_json(o.produit_id, &o.produit_nom, &o.produit_code, &o.produit_slug),
                "chrono_id": c.id,
                "chrono": hms(c.duree_secondes),
                "duree_secondes": c.duree_secondes,
                "date_realisation": c.date_realisation,
                "date": french_date_short(&c.date_realisation),
                "gravure": gravure_json(o, Some(c)),
            }))
        })
        .collect()
}

/// Courses with a live order but no validated time yet.
fn bought_json(orders: &[OrderRow], done: &Done) -> Vec<Value> {
    let mut bought: Vec<Value> = Vec::new();
    let mut seen = Vec::new();
    for o in orders {
        if o.statut == Statut::Annule.as_str()
            || o.is_b2b
            || done.contains_key(&o.produit_id)
            || seen.contains(&o.produit_id)
        {
            continue;
        }
        seen.push(o.produit_id);
        bought.push(json!({
            "parcours": course_json(o.produit_id, &o.produit_nom, &o.produit_code, &o.produit_slug),
            "numero": o.numero,
            "commande_id": o.id,
        }));
    }
    bought
}

/// Courses done, most recent first, with the rank.
fn realised_json(conn: &mut Conn, user_id: u64, done: &Done) -> Result<Vec<Value>> {
    let mut realised: Vec<(&str, Value)> = Vec::new();
    for (produit_id, (best, count, latest)) in done {
        let ranking = chronos::rank_of(conn, *produit_id, user_id)?;
        let (rang, total) = ranking.map_or((None, None), |(r, n, _)| (Some(r), Some(n)));
        realised.push((
            latest,
            json!({
                "parcours": course_json(best.produit_id, &best.produit_nom, &best.produit_code, &best.produit_slug),
                "meilleur_temps": hms(best.duree_secondes),
                "duree_secondes": best.duree_secondes,
                "chrono_id": best.id,
                "date_realisation": best.date_realisation,
                "nb_exploits": count,
                "rang": rang,
                "total": total,
                "classement": ranking.map(|(r, n, _)| format!("{r}/{n}")),
            }),
        ));
    }
    realised.sort_by(|a, b| b.0.cmp(a.0));
    Ok(realised.into_iter().map(|(_, v)| v).collect())
}

/// The podium of the latest course, and where the athlete stands.
fn latest_podium_json(conn: &mut Conn, user_id: u64, chronos: &[ChronoRow]) -> Result<Value> {
    let Some(c) = chronos.iter().max_by(|a, b| a.quand.cmp(&b.quand)) else {
        return Ok(Value::Null);
    };
    let podium: Vec<Value> = chronos::classement::podium(conn, c.produit_id, 3)?
        .into_iter()
        .map(|(rang, prenom, secs)| {
            json!({ "rang": rang, "prenom": prenom, "chrono": hms(secs), "duree_secondes": secs })
        })
        .collect();
    let me = chronos::rank_of(conn, c.produit_id, user_id)?;
    Ok(json!({
        "parcours": course_json(c.produit_id, &c.produit_nom, &c.produit_code, &c.produit_slug),
        "podium": podium,
        "vous": me.map(|(rang, total, secs)| json!({
            "rang": rang, "total": total, "chrono": hms(secs), "duree_secondes": secs,
        })),
    }))
}

fn course_json(id: u64, nom: &str, code: &str, slug: &str) -> Value {
    json!({ "id": id, "nom": nom, "code": code, "slug": slug })
}
