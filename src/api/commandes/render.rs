//! The JSON of orders and of their engraving text (frozen or previewed).

use super::queries::{ChronoRow, OrderRow};
use crate::time::{french_date_upper, hms};
use serde::Serialize;
use serde_json::json;

/// The JSON of one order (lists, detail, athlete's own orders), borrowed
/// from its row and serialised without an intermediate JSON tree.
#[derive(Debug, Serialize)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "the order's flags as the API names them, not a state machine"
)]
pub(super) struct OrderJson<'a> {
    id: u64,
    numero: &'a str,
    statut: &'a str,
    is_b2b: bool,
    b2b_client_nom: Option<&'a str>,
    b2b_client_type: Option<&'a str>,
    b2b_fabricant_id: Option<u64>,
    b2b_quantite: Option<u64>,
    is_sav: bool,
    parcours: CourseJson<'a>,
    sportif: Option<AthleteJson<'a>>,
    email_client: Option<&'a str>,
    atelier_id: Option<u64>,
    lot_id: Option<u64>,
    chrono_id: Option<u64>,
    chrono_valide: bool,
    validation_sportif: bool,
    duree_secondes: Option<u64>,
    chrono: Option<String>,
    tracking: Option<&'a str>,
    transporteur: Option<&'a str>,
    date_commande: Option<&'a str>,
    date_validation_sportif: Option<&'a str>,
    date_gravure: Option<&'a str>,
    date_expedition: Option<&'a str>,
    date_livraison: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct CourseJson<'a> {
    id: u64,
    nom: &'a str,
    code: &'a str,
    slug: &'a str,
}

#[derive(Debug, Serialize)]
struct AthleteJson<'a> {
    id: u64,
    nom: Option<&'a str>,
    prenom: Option<&'a str>,
    email: Option<&'a str>,
}

impl<'a> OrderJson<'a> {
    /// The order `o` as the API shows it.
    pub(super) fn of(o: &'a OrderRow) -> OrderJson<'a> {
        OrderJson {
            id: o.id,
            numero: &o.numero,
            statut: &o.statut,
            is_b2b: o.is_b2b,
            b2b_client_nom: o.b2b_client_nom.as_deref(),
            b2b_client_type: o.b2b_client_type.as_deref(),
            b2b_fabricant_id: o.b2b_fabricant_id,
            b2b_quantite: o.b2b_quantite,
            is_sav: o.is_sav,
            parcours: CourseJson {
                id: o.produit_id,
                nom: &o.produit_nom,
                code: &o.produit_code,
                slug: &o.produit_slug,
            },
            sportif: o.user_id.map(|id| AthleteJson {
                id,
                nom: o.user_nom.as_deref(),
                prenom: o.user_prenom.as_deref(),
                email: o.user_email.as_deref(),
            }),
            email_client: o.email_client.as_deref(),
            atelier_id: o.atelier_id,
            lot_id: o.lot_id,
            chrono_id: o.chrono_id,
            chrono_valide: o.chrono_valide,
            validation_sportif: o.validation_sportif,
            duree_secondes: o.duree_secondes,
            chrono: o.duree_secondes.map(hms),
            tracking: o.tracking.as_deref(),
            transporteur: o.transporteur.as_deref(),
            date_commande: o.date_commande.as_deref(),
            date_validation_sportif: o.date_validation_sportif.as_deref(),
            date_gravure: o.date_gravure.as_deref(),
            date_expedition: o.date_expedition.as_deref(),
            date_livraison: o.date_livraison.as_deref(),
        }
    }
}

/// The JSON tree of one order, for the answers that add to it (engraving
/// text, history).
pub(super) fn order_json(o: &OrderRow) -> serde_json::Value {
    serde_json::to_value(OrderJson::of(o)).unwrap_or(serde_json::Value::Null)
}

/// The chrono an order would engrave: the one it names if still validated,
/// else the athlete's best on the course (`chronos` is sorted fastest first
/// per course).
pub(super) fn chrono_for_order<'a>(
    o: &OrderRow,
    chronos: &'a [ChronoRow],
) -> Option<&'a ChronoRow> {
    let on_course = |c: &&ChronoRow| c.produit_id == o.produit_id;
    o.chrono_id
        .and_then(|id| chronos.iter().filter(on_course).find(|c| c.id == id))
        .or_else(|| chronos.iter().find(on_course))
}

/// The engraving text: frozen once the athlete validated; before that a
/// preview from the current profile, marked `figee: false`. B2B orders
/// engrave the client's name, no time, and the order date (spec 8.1).
pub(super) fn gravure_json(o: &OrderRow, chrono: Option<&ChronoRow>) -> serde_json::Value {
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
pub(super) fn frozen_text(
    nom: &str,
    prenom: &str,
    chrono: &ChronoRow,
    numero: &str,
) -> serde_json::Value {
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
}
