//! Strava detection without HTTP, as numbers (`cargo bench --bench strava`):
//! what `GET /api/strava/activites` computes for a page of 30 activities
//! against a catalogue of 1,000 courses (decode each summary polyline, score
//! every course), and what an import computes on one activity's full
//! 5,000-point timed stream (detection plus the start-to-summit segment).

mod common;

use common::measure;
use mykollector::api::strava::detection::{decode_polyline, detect, timing, Course, Facts};

/// 1,000 courses spread over the Alps and Pyrenees, 10 km climbs.
fn catalogue() -> Vec<Course> {
    (0..1000u32)
        .map(|i| {
            let sommet = (
                42.5 + f64::from(i % 40) * 0.1,
                0.0 + f64::from(i / 40) * 0.3,
            );
            Course {
                id: u64::from(i) + 1,
                nom: format!("Col {i}"),
                categorie: "cyclisme".into(),
                denivele_m: Some(1000.0),
                depart: Some((sommet.0 + 0.09, sommet.1)),
                sommet: Some(sommet),
                rayon_km: 1.0,
                start_radius_m: 300.0,
                keywords: vec![format!("col{i}"), format!("montee du col {i}")],
                ordered: false,
            }
        })
        .collect()
}

/// An encoded track of `n` points from a course's start to its summit.
#[expect(
    clippy::cast_precision_loss,
    clippy::cast_possible_wrap,
    reason = "a track of a few thousand points"
)]
fn track(course: &Course, n: usize) -> Vec<(f64, f64, i64)> {
    let (d, s) = (course.depart.unwrap(), course.sommet.unwrap());
    (0..n)
        .map(|k| {
            let f = k as f64 / (n - 1) as f64;
            (d.0 + (s.0 - d.0) * f, d.1 + (s.1 - d.1) * f, k as i64 * 2)
        })
        .collect()
}

fn encode(points: &[(f64, f64, i64)]) -> String {
    let coords: Vec<polyline_coord::Coord> = points
        .iter()
        .map(|p| polyline_coord::Coord { x: p.1, y: p.0 })
        .collect();
    polyline_coord::encode(&coords)
}

/// A minimal encoder (precision 5) so the bench needs no extra crate.
mod polyline_coord {
    pub struct Coord {
        pub x: f64,
        pub y: f64,
    }
    #[expect(
        clippy::cast_possible_truncation,
        reason = "degrees × 1e5 are far inside i64"
    )]
    pub fn encode(coords: &[Coord]) -> String {
        let mut out = String::new();
        let (mut plat, mut plng) = (0i64, 0i64);
        for c in coords {
            let (lat, lng) = ((c.y * 1e5).round() as i64, (c.x * 1e5).round() as i64);
            for delta in [lat - plat, lng - plng] {
                let mut v = if delta < 0 { !(delta << 1) } else { delta << 1 };
                while v >= 0x20 {
                    out.push(char::from(u8::try_from((0x20 | (v & 0x1f)) + 63).unwrap()));
                    v >>= 5;
                }
                out.push(char::from(u8::try_from(v + 63).unwrap()));
            }
            (plat, plng) = (lat, lng);
        }
        out
    }
}

/// What a run found, as the bench line shows it.
fn detections(n: usize) -> String {
    format!("detections {n:>5}")
}

fn main() {
    let courses = catalogue();
    let page: Vec<String> = (0..30)
        .map(|i| encode(&track(&courses[i * 33], 500)))
        .collect();
    measure("list: 30 activities x 1000 courses", detections, || {
        page.iter()
            .map(|poly| {
                let pts = decode_polyline(poly);
                let facts = Facts {
                    name: "Sortie du dimanche",
                    sport: "Ride",
                    indoor: false,
                    elevation_gain_m: 900.0,
                    track: &pts,
                };
                detect(&facts, &courses).len()
            })
            .sum()
    });
    let stream = track(&courses[500], 5000);
    let latlng: Vec<(f64, f64)> = stream.iter().map(|p| (p.0, p.1)).collect();
    measure(
        "import: 5000-point stream, 1000 courses",
        detections,
        || {
            let facts = Facts {
                name: "Col 500",
                sport: "Ride",
                indoor: false,
                elevation_gain_m: 900.0,
                track: &latlng,
            };
            let found = detect(&facts, &courses);
            let t = timing(&courses[500], Some(&stream), 1_700_000_000, 10_000);
            found.len() + usize::from(t.secs() > 0)
        },
    );
}
