//! Workshop hot paths without HTTP, as numbers (run by `scripts/bench.sh`,
//! or `cargo bench --bench workshop`): filling a 50-order lot's DXF from the
//! medal template, and the CSV file of a 500-order lot.

mod common;

use common::measure;
use mykollector::api::gravure::dxf_fill::{fill_lot_bytes, EngravingData, Layout};
use mykollector::http::csv::csv_response;

const TEMPLATE: &[u8] = include_bytes!("../tests/fixtures/medaille.dxf");

fn orders(n: usize) -> Vec<EngravingData> {
    (0..n)
        .map(|i| EngravingData {
            nom: format!("Martin-{i}"),
            prenom: if i % 7 == 0 {
                "Éloïse".into()
            } else {
                "Julien".into()
            },
            chrono: if i % 10 == 0 {
                String::new()
            } else {
                format!("0{}:32:17", i % 10)
            },
            date: "14 JUILLET 2024".into(),
            numero: format!("MKO-2026-IZO-{i:03}"),
        })
        .collect()
}

/// What a run wrote, as the bench line shows it.
fn output_bytes(n: usize) -> String {
    format!("output {n:>9} bytes")
}

fn main() {
    let layout = Layout {
        colonnes: 5,
        espacement_x: 10.0,
        espacement_y: 10.0,
        largeur: None,
        hauteur: None,
    };
    let lot = orders(50);
    measure("DXF fill, 50-order lot (R2000)", output_bytes, || {
        fill_lot_bytes(TEMPLATE, &layout, &lot)
            .expect("fill")
            .bytes
            .len()
    });
    let rows: Vec<Vec<String>> = orders(500)
        .into_iter()
        .enumerate()
        .map(|(i, o)| {
            vec![
                o.numero,
                o.nom,
                o.prenom,
                o.chrono,
                o.date,
                "Col de l'Izoard".into(),
                "non".into(),
                format!("{:.2}", f64::from(u32::try_from(i % 5).unwrap()) * 80.0),
                format!("{:.2}", f64::from(u32::try_from(i / 5).unwrap()) * -80.0),
            ]
        })
        .collect();
    let header = [
        "numero", "nom", "prenom", "chrono", "date", "parcours", "b2b", "x_mm", "y_mm",
    ];
    measure("CSV body, 500-order lot (BOM, ;)", output_bytes, || {
        csv_response("lot.csv", &header, &rows).body.len()
    });
}
