//! Workshop hot paths without HTTP, as numbers (run by `scripts/bench.sh`,
//! or `cargo bench --bench workshop`): filling a 50-order lot's DXF from the
//! medal template, and the CSV file of a 500-order lot.

use mykollector::api::gravure::dxf_fill::{fill_lot_bytes, EngravingData, Layout};
use mykollector::http::csv::csv_response;
use std::time::{Duration, Instant};

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

/// Runs `f` for about two seconds and prints the median and p99.
fn measure(name: &str, mut f: impl FnMut() -> usize) {
    let mut times = Vec::new();
    let mut size = 0;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(2) || times.len() < 10 {
        let t = Instant::now();
        size = f();
        times.push(t.elapsed());
    }
    times.sort();
    let p = |percent: usize| times[(times.len() - 1) * percent / 100].as_secs_f64() * 1000.0;
    println!(
        "{name:<40} runs {:>5}   p50 {:>8.2} ms   p99 {:>8.2} ms   output {:>9} bytes",
        times.len(),
        p(50),
        p(99),
        size
    );
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
    measure("DXF fill, 50-order lot (R2000)", || {
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
    measure("CSV body, 500-order lot (BOM, ;)", || {
        csv_response("lot.csv", &header, &rows).body.len()
    });
}
