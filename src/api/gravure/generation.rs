//! Spec §8.1 — generating a lot's DXF: the orders' values read at
//! generation time (a name the athlete corrected is engraved corrected),
//! [`super::dxf_fill::fill_lot`], the file under `storage/lots/` and the
//! `fichiers_gravure` / `commande_fichier_gravure` rows.

use super::dxf_fill::{self, EngravingData, Layout};
use super::queries::{self, EngravingRow, TemplateRow};
use super::{read_stored, storage_file};
use crate::config::Config;
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::security::tokens;
use crate::text::strip_invisible;
use crate::time::{french_date_upper, hms};
use mysql::Conn;
use std::path::PathBuf;

/// The generated file's row (its bytes are staged with the request's
/// transaction: renamed into place just before the commit).
pub(super) struct Generated {
    pub fichier_id: u64,
}

/// What goes on a medal (spec 8.1), from the rows read at generation time.
/// A B2B order engraves the name given with it, its client's name only when
/// none was given. Invisible characters a row from before their refusal
/// might still hold are dropped (issue 13 item 10).
pub fn engraving_data(r: &EngravingRow) -> EngravingData {
    let (nom, prenom) = if r.has_user {
        (
            r.user_nom.clone().unwrap_or_default(),
            r.user_prenom.clone().unwrap_or_default(),
        )
    } else {
        let given = r.gravure_nom.as_deref().filter(|n| !n.trim().is_empty());
        let nom = given.or(r.b2b_client_nom.as_deref()).unwrap_or_default();
        (nom.to_string(), String::new())
    };
    let (nom, prenom) = (
        strip_invisible(&nom).into_owned(),
        strip_invisible(&prenom).into_owned(),
    );
    let chrono = if r.is_b2b {
        String::new()
    } else {
        r.duree_secondes.map(hms).unwrap_or_default()
    };
    let date = if r.is_b2b {
        r.date_commande.as_deref().and_then(french_date_upper)
    } else {
        r.date_realisation
            .as_deref()
            .and_then(realisation_date)
            .or_else(|| r.date_chrono.as_deref().and_then(french_date_upper))
            .or_else(|| r.date_commande.as_deref().and_then(french_date_upper))
    };
    EngravingData {
        nom,
        prenom,
        chrono,
        date: date.unwrap_or_default(),
        numero: r.numero.clone(),
    }
}

/// `chronos.date_realisation` (free text, 20 chars): ISO `2024-07-14` or
/// French `14/07/2024`.
fn realisation_date(s: &str) -> Option<String> {
    let s = s.trim();
    french_date_upper(s).or_else(|| {
        let mut it = s.split('/');
        let (d, m, y) = (it.next()?, it.next()?, it.next()?);
        french_date_upper(&format!("{y:0>4}-{m:0>2}-{d:0>2}"))
    })
}

/// Generates the lot's DXF from its orders (read now: a corrected name is
/// engraved correctly), records the file and the positions; returns the row,
/// and the path and bytes the caller stages with its transaction.
pub(super) fn generate(
    config: &Config,
    tx: &mut Conn,
    lot_id: u64,
    numero: &str,
    template: &TemplateRow,
) -> Result<(Generated, PathBuf, Vec<u8>)> {
    let rows = queries::engraving_rows(tx, lot_id)?;
    // A B2B order of N medals is N placements, numbered k/N (issue 8).
    let ids: Vec<u64> = rows.iter().map(|r| r.commande_id).collect();
    let counts = super::lots::medal_counts(tx, &ids)?;
    let placements: Vec<(&EngravingRow, u64, u64)> = rows
        .iter()
        .flat_map(|r| {
            let n = counts.get(&r.commande_id).copied().unwrap_or(1);
            (1..=n).map(move |k| (r, k, n))
        })
        .collect();
    let data: Vec<EngravingData> = placements
        .iter()
        .map(|(r, k, n)| {
            let mut d = engraving_data(r);
            if *n > 1 {
                d.numero = format!("{} {k}/{n}", d.numero);
            }
            d
        })
        .collect();
    let bytes = read_stored(config, &template.kept.fichier_path)?;
    let drawing = dxf_fill::load(&bytes).map_err(Error::internal)?;
    let layout = Layout {
        colonnes: template.values.colonnes,
        espacement_x: template.values.espacement_x_mm,
        espacement_y: template.values.espacement_y_mm,
        largeur: template.values.largeur_mm,
        hauteur: template.values.hauteur_mm,
    };
    let filled = dxf_fill::fill_lot(&drawing, &layout, &data).map_err(|e| match e {
        dxf_fill::FillError::Write(m) => Error::internal(m),
        dxf_fill::FillError::Invalid(m) | dxf_fill::FillError::Unusable(m) => {
            catalog::TEMPLATE_UNUSABLE.msg(m)
        }
    })?;
    let relative = format!("lots/{numero}-{}.dxf", tokens::random_hex(6));
    let path = storage_file(config, &relative)?;
    let sha = tokens::sha256_hex(&filled.bytes);
    let fichier_id = queries::insert_file(
        tx,
        lot_id,
        template.kept.id,
        &relative,
        filled.bytes.len(),
        &sha,
        data.len(),
    )?;
    for (i, ((r, k, _), (x, y))) in placements.iter().zip(&filled.offsets).enumerate() {
        queries::insert_file_order(tx, fichier_id, r.commande_id, *k, i, *x, *y)?;
    }
    Ok((Generated { fichier_id }, path, filled.bytes))
}
