//! Rankings: the best validated time of each athlete on each course, kept in
//! `classements` at every validation and annulment, so a ranking is an index
//! walk and a rank an index range count, whatever the number of chronos.
//!
//! Ties share a rank (competition ranking: 1, 2, 2, 4): an athlete's rank is
//! one plus the number of athletes strictly faster. Public names are the
//! first name and the initial of the last name ("Thomas D."), never the full
//! name nor the email; an anonymised account shows as "Sportif anonyme".

use super::queries;
use crate::error::{Error, Result};
use crate::http::{Ctx, Response};
use crate::time;
use mysql::Conn;
use serde_json::{json, Value};

/// Default and largest `limit` of `GET /api/parcours/{id}/classement`.
const DEFAULT_LIMIT: u64 = 10;
const MAX_LIMIT: u64 = 100;

/// An athlete's rank on a course: `(rank, total ranked athletes, best time in
/// seconds)`, or `None` when the athlete has no validated chrono there.
pub fn rank_of(conn: &mut Conn, produit_id: u64, user_id: u64) -> Result<Option<(u64, u64, u64)>> {
    let Some(best) = queries::best_of(conn, produit_id, user_id)? else {
        return Ok(None);
    };
    let faster = queries::faster_count(conn, produit_id, best)?;
    let total = queries::ranked_count(conn, produit_id)?;
    Ok(Some((faster + 1, total, best.unsigned_abs())))
}

/// The `n` best athletes of a course as `(rank, first name, seconds)`, ties
/// sharing a rank (the dashboard's "MEILLEURS TEMPS").
pub fn podium(conn: &mut Conn, produit_id: u64, n: u64) -> Result<Vec<(u64, String, u64)>> {
    let lines = queries::top(conn, produit_id, n)?;
    let times: Vec<i64> = lines.iter().map(|l| l.secs).collect();
    Ok(lines
        .iter()
        .zip(competition_ranks(&times))
        .map(|(l, rank)| {
            let first_name = l
                .prenom
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty() && !l.anonymized)
                .map_or_else(|| public_name(None, None, l.anonymized), str::to_string);
            (rank, first_name, l.secs.unsigned_abs())
        })
        .collect())
}

/// Records a newly validated chrono in the ranking (inside the transaction):
/// the ranking keeps the athlete's best time, see [`queries::upsert_best`].
pub use super::queries::upsert_best as record_validation;

/// Rebuilds an athlete's place after one of its validated chronos was
/// annulled (inside the transaction).
pub fn record_annulment(tx: &mut Conn, produit_id: u64, user_id: u64) -> Result<()> {
    queries::recompute_best(tx, produit_id, user_id)
}

/// The public name of a ranked athlete: "Thomas D.".
pub fn public_name(prenom: Option<&str>, nom: Option<&str>, anonymized: bool) -> String {
    if anonymized {
        return "Sportif anonyme".into();
    }
    let prenom = prenom.map(str::trim).filter(|p| !p.is_empty());
    let initial = nom
        .and_then(|n| n.trim().chars().next())
        .map(|c| format!("{}.", c.to_uppercase()));
    match (prenom, initial) {
        (Some(p), Some(i)) => format!("{p} {i}"),
        (Some(p), None) => p.to_string(),
        (None, _) => "Sportif".into(),
    }
}

/// Ranks of an ordered list of times, ties sharing the better rank.
fn competition_ranks(times: &[i64]) -> Vec<u64> {
    let mut ranks: Vec<u64> = Vec::with_capacity(times.len());
    for (i, t) in times.iter().enumerate() {
        let rank = match (i, ranks.last()) {
            (0, _) | (_, None) => 1,
            (_, Some(&prev)) if times[i - 1] == *t => prev,
            _ => i as u64 + 1,
        };
        ranks.push(rank);
    }
    ranks
}

/// "4/47".
#[must_use]
pub fn rank_text(rank: u64, total: u64) -> String {
    format!("{rank}/{total}")
}

/// `GET /api/parcours/{id}/classement` — "Classements par parcours" (spec
/// 4.6 `classements`, wireframe 11.1 "MEILLEURS TEMPS … 4. VOUS"): the top
/// N, the number of ranked athletes, and the caller's own rank when a valid
/// token is sent.
pub fn show_classement(ctx: &mut Ctx) -> Result<Response> {
    let produit_id = ctx.id("id")?;
    let limit = match ctx.req.query_param("limit") {
        None => DEFAULT_LIMIT,
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "Le paramètre limit doit être un entier entre 1 et {MAX_LIMIT}."
                ))
            })?,
    };
    let me = ctx.user.as_ref().map(|c| c.sub);
    let conn = ctx.conn()?;
    let course = queries::find_course(conn, produit_id)?.ok_or_else(super::course_not_found)?;
    let lines = queries::top(conn, produit_id, limit)?;
    let total = queries::ranked_count(conn, produit_id)?;
    let times: Vec<i64> = lines.iter().map(|l| l.secs).collect();
    let ranks = competition_ranks(&times);
    let items: Vec<Value> = lines
        .iter()
        .zip(ranks)
        .map(|(l, rang)| {
            let prenom = if l.anonymized {
                None
            } else {
                l.prenom.as_deref().map(str::trim).filter(|p| !p.is_empty())
            };
            json!({
                "rang": rang,
                "prenom": prenom,
                "nom_affiche": public_name(l.prenom.as_deref(), l.nom.as_deref(), l.anonymized),
                "temps": time::hms(l.secs.unsigned_abs()),
                "temps_secondes": l.secs,
                "date": l.date_realisation,
                "moi": me == Some(l.user_id),
            })
        })
        .collect();
    let moi = match me {
        Some(user_id) => rank_of(conn, produit_id, user_id)?.map(|(rang, total, best)| {
            json!({
                "rang": rang,
                "total": total,
                "rang_texte": rank_text(rang, total),
                "temps": time::hms(best),
                "temps_secondes": best,
            })
        }),
        None => None,
    };
    Ok(Response::ok(&json!({
        "produit_id": course.id,
        "parcours_nom": course.nom,
        "parcours_slug": course.slug,
        "total": total,
        "items": items,
        "moi": moi,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_the_better_rank() {
        assert_eq!(
            competition_ranks(&[100, 200, 200, 300, 300, 300, 400]),
            vec![1, 2, 2, 4, 4, 4, 7]
        );
        assert_eq!(competition_ranks(&[]), Vec::<u64>::new());
        assert_eq!(competition_ranks(&[5, 5]), vec![1, 1]);
    }

    #[test]
    fn names_are_first_name_and_initial() {
        assert_eq!(
            public_name(Some("Thomas"), Some("dupont"), false),
            "Thomas D."
        );
        assert_eq!(public_name(Some("Élodie"), Some("  "), false), "Élodie");
        assert_eq!(public_name(None, Some("Martin"), false), "Sportif");
        assert_eq!(
            public_name(Some("Thomas"), Some("Dupont"), true),
            "Sportif anonyme"
        );
        assert_eq!(
            public_name(Some("Chloé"), Some("Éluard"), false),
            "Chloé É."
        );
        assert_eq!(rank_text(4, 47), "4/47");
    }
}
