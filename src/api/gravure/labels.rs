//! Spec §5.5 "Générer étiquette PDF", §8.2 — shipping labels: the HTML of
//! the order's label template with the order's values, every value
//! HTML-escaped. The workshop agent prints it to PDF (WeasyPrint, spec 8.2);
//! a server-side PDF is a later goal (DECISIONS.md).

use super::queries::{self, LabelOrder};
use crate::api::commandes::status::order_not_found;
use crate::api::scope;
use crate::error::catalog;
use crate::error::Result;
use crate::http::{Ctx, Response};
use crate::text::{self, html_escape};
use mysql::Conn;
use serde_json::{json, Value};

/// The placeholders a label template may use.
pub const LABEL_PLACEHOLDERS: &[&str] = &[
    "nom",
    "prenom",
    "adresse",
    "code_postal",
    "ville",
    "pays",
    "numero",
    "numero_suivi",
    "transporteur",
    "parcours",
];

/// The values of an order's label, raw (not yet escaped). The address comes
/// from `commandes.adresse_livraison` (`{nom?, prenom?, lignes: [...],
/// code_postal, ville, pays}`); the name from the address, else the athlete,
/// else the B2B client.
fn values(o: &LabelOrder) -> Vec<(&'static str, String)> {
    let addr: Value = o
        .adresse_livraison
        .as_deref()
        .and_then(|a| serde_json::from_str(a).ok())
        .unwrap_or(Value::Null);
    let text = |v: &Value| match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    let lignes: Vec<String> = match &addr["lignes"] {
        Value::Array(a) => a.iter().map(text).filter(|l| !l.is_empty()).collect(),
        Value::String(s) => s
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    let nom = Some(text(&addr["nom"]))
        .filter(|n| !n.is_empty())
        .or_else(|| o.user_nom.clone())
        .or_else(|| o.b2b_client_nom.clone())
        .unwrap_or_default();
    let prenom = Some(text(&addr["prenom"]))
        .filter(|n| !n.is_empty())
        .or_else(|| o.user_prenom.clone())
        .unwrap_or_default();
    vec![
        ("nom", nom),
        ("prenom", prenom),
        ("lignes", lignes.join("\n")),
        ("code_postal", text(&addr["code_postal"])),
        ("ville", text(&addr["ville"])),
        ("pays", text(&addr["pays"])),
        ("numero", o.numero.clone()),
        ("numero_suivi", o.tracking.clone().unwrap_or_default()),
        ("transporteur", o.transporteur.clone().unwrap_or_default()),
        ("parcours", o.parcours.clone().unwrap_or_default()),
    ]
}

/// Renders a label: `{{x}}` → the escaped value; `{{adresse}}` is the whole
/// address, one escaped line per `<br>`. Unknown markers are left visible
/// so a template mistake shows on the first proof.
#[must_use]
pub fn render(html: &str, o: &LabelOrder) -> String {
    let vals = values(o);
    let get = |k: &str| {
        vals.iter()
            .find(|(n, _)| *n == k)
            .map_or("", |(_, v)| v.as_str())
    };
    text::fill_markers(html, |name, out| {
        match name.to_lowercase().as_str() {
            "adresse" => {
                let cp_ville = format!("{} {}", get("code_postal"), get("ville"));
                let lines: Vec<String> = get("lignes")
                    .lines()
                    .map(str::to_string)
                    .chain([cp_ville.trim().to_string(), get("pays").to_string()])
                    .filter(|l| !l.is_empty())
                    .map(|l| html_escape(&l))
                    .collect();
                out.push_str(&lines.join("<br>"));
            }
            k if LABEL_PLACEHOLDERS.contains(&k) => out.push_str(&html_escape(get(k))),
            _ => return false,
        }
        true
    })
}

/// The rendered label of an order: its template's HTML filled in.
pub(super) fn label_for(conn: &mut Conn, o: &LabelOrder) -> Result<(Option<u64>, String)> {
    match queries::label_template_for(conn, o.etiquette_template_id, o.transporteur.as_deref())? {
        Some((id, html)) => Ok((Some(id), render(&html, o))),
        None => Err(catalog::NO_LABEL_TEMPLATE.err()),
    }
}

/// The API shape of an order's label.
pub(super) fn label_json(o: &LabelOrder, template_id: Option<u64>, html: &str) -> Value {
    json!({
        "commande_id": o.id, "numero": o.numero, "statut": o.statut,
        "transporteur": o.transporteur, "numero_suivi": o.tracking,
        "etiquette_statut": o.etiquette_statut, "template_etiquette_id": template_id,
        "html": html,
    })
}

/// Spec 5.5 `POST /api/fab/etiquette/:commande_id`: "Générer étiquette PDF"
/// — marks the label as requested (the agent prints it) and returns its
/// HTML.
pub fn create_label(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("commande_id")?;
    let claims = ctx.claims()?.clone();
    let conn = ctx.conn()?;
    // 1. The order is the operator's.
    let mut o = queries::find_label_order(conn, id)?.ok_or_else(order_not_found)?;
    if !scope::may_touch(&claims, o.atelier_id) {
        return Err(order_not_found());
    }
    // 2. A label exists only for an engraved medal.
    if matches!(
        o.statut.as_str(),
        "attente_gravure" | "en_gravure" | "annule"
    ) {
        return Err(catalog::LABEL_TOO_EARLY.msg(format!(
            "La commande {} n'est pas encore gravée : pas d'étiquette d'expédition.",
            o.numero
        )));
    }
    let (template_id, html) = label_for(conn, &o)?;
    queries::request_label(conn, id, template_id)?;
    o.etiquette_statut = Some("en_attente".into());
    ctx.audit_entity("commande", id);
    ctx.audit_details(json!({ "etiquette": "demandee", "template_etiquette_id": template_id }));
    Ok(Response::ok(&label_json(&o, template_id, &html)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> LabelOrder {
        LabelOrder {
            id: 1,
            numero: "MKO-2026-IZO-001".into(),
            statut: "attente_expedition".into(),
            atelier_id: Some(1),
            user_nom: Some("<script>alert(1)</script>".into()),
            user_prenom: Some("Éloïse".into()),
            b2b_client_nom: None,
            adresse_livraison: Some(
                r#"{"lignes": ["12 rue d'Italie", "Bât. A & B"], "code_postal": "05100", "ville": "Briançon", "pays": "France"}"#
                    .into(),
            ),
            tracking: Some("6A123".into()),
            transporteur: Some("Colissimo".into()),
            parcours: Some("Col d'Izoard".into()),
            etiquette_template_id: None,
            etiquette_statut: None,
        }
    }

    #[test]
    fn values_are_escaped_and_address_split_in_lines() {
        let html = render(
            "<p>{{prenom}} {{ NOM }}</p><p>{{adresse}}</p><p>{{numero_suivi}} {{x}}</p>",
            &order(),
        );
        assert_eq!(
            html,
            "<p>Éloïse &lt;script&gt;alert(1)&lt;/script&gt;</p>\
             <p>12 rue d&#39;Italie<br>Bât. A &amp; B<br>05100 Briançon<br>France</p>\
             <p>6A123 {{x}}</p>"
        );
    }
}
