//! Which courses a Strava activity went up (spec 9.2), as pure functions.
//!
//! | criterion | score | rule |
//! |---|---|---|
//! | summit GPS | 0.60–1.00 | closest approach `d` of the *whole* track to the summit; if `d < rayon_km`, `1 − (d/rayon_km)·0.4` |
//! | activity name | 0.75–0.90 | a `strava_keywords` entry in the title: 0.90 as whole words, 0.75 inside a longer word |
//! | category + elevation | 0.30–0.50 | fallback, only without GPS track and without any name match |
//!
//! A course's score is the best of its criteria, rounded to hundredths (what
//! `chronos.score_detection` stores) before the threshold: `>= 0.40` makes a
//! validated chrono.
//!
//! Decisions where 9.2 is silent:
//! - The fallback has no place to tell one col from another, so it would
//!   match every course of the category. It is therefore only tried on the
//!   courses the athlete has ordered a medal for (scenario "achat AVANT le
//!   parcours" of 1.2), only for the one whose elevation fits best, and never
//!   for indoor activities (trainer, virtual rides). Its score is
//!   `0.30 + 0.20 × fit`, `fit = 1 − |gain − dénivelé| / dénivelé` (0 to 1).
//! - Keywords and titles are compared without case nor accents ("Col de
//!   l’Izoard" matches "col de l'izoard").
//! - The timed duration is the segment from the start zone to the summit,
//!   found on the timed track exactly as for a GPX upload
//!   ([`crate::api::chronos::gpx::analyse`]); without a timed track that
//!   passes both zones, the activity's elapsed time.

use crate::api::chronos::gpx::{self, TrackPoint, Zones};

/// Score from which a detection becomes a validated chrono.
pub const THRESHOLD: f64 = 0.40;

/// What detection needs of a course.
#[derive(Debug, Clone, Default)]
pub struct Course {
    /// `produits.id`.
    pub id: u64,
    /// Name, for answers.
    pub nom: String,
    /// `cyclisme`, `trail` or `rando`.
    pub categorie: String,
    /// Course elevation gain, metres.
    pub denivele_m: Option<f64>,
    /// Departure (lat, lng).
    pub depart: Option<(f64, f64)>,
    /// Summit (lat, lng).
    pub sommet: Option<(f64, f64)>,
    /// Summit radius, km.
    pub rayon_km: f64,
    /// Start zone radius, metres.
    pub start_radius_m: f64,
    /// Normalized `strava_keywords` entries.
    pub keywords: Vec<String>,
    /// The athlete ordered a medal for it (fallback candidates only).
    pub ordered: bool,
}

/// What detection needs of an activity.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// Title.
    pub name: &'a str,
    /// `sport_type`.
    pub sport: &'a str,
    /// Trainer or virtual activity.
    pub indoor: bool,
    /// Metres of climbing.
    pub elevation_gain_m: f64,
    /// Every point of the track, (lat, lng); empty without GPS.
    pub track: &'a [(f64, f64)],
}

/// Which criterion gave a course its score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Criterion {
    /// Summit reached on the GPS track.
    Gps,
    /// A keyword in the title.
    Keyword,
    /// Category and elevation.
    Fallback,
}

impl Criterion {
    /// The name used in answers.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Criterion::Gps => "gps_sommet",
            Criterion::Keyword => "nom_activite",
            Criterion::Fallback => "categorie_denivele",
        }
    }
}

/// One course found in an activity.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// The course.
    pub produit_id: u64,
    /// Score, rounded to hundredths.
    pub score: f64,
    /// The criterion that gave it.
    pub critere: Criterion,
    /// Closest approach of the track to the summit, metres (GPS only).
    pub closest_m: Option<f64>,
}

impl Detection {
    /// Whether the score reaches the threshold.
    #[must_use]
    pub fn is_detected(&self) -> bool {
        reaches_threshold(self.score)
    }
}

/// Compares in hundredths, as stored, so 0.3999… never fails nor 0.395 passes.
#[must_use]
pub fn reaches_threshold(score: f64) -> bool {
    (score * 100.0).round() >= (THRESHOLD * 100.0).round()
}

/// A score rounded to hundredths.
#[must_use]
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Decodes a Google encoded polyline (precision 5) into (lat, lng) points;
/// an empty or corrupt one gives no points.
#[must_use]
pub fn decode_polyline(encoded: &str) -> Vec<(f64, f64)> {
    if encoded.is_empty() {
        return Vec::new();
    }
    // The crate returns x = longitude, y = latitude.
    polyline::decode_polyline(encoded, 5)
        .map(|line| line.0.into_iter().map(|c| (c.y, c.x)).collect())
        .unwrap_or_default()
}

/// Closest approach of `track` to `target`, metres.
pub fn closest_approach_m(track: &[(f64, f64)], target: (f64, f64)) -> Option<f64> {
    track
        .iter()
        .map(|p| gpx::haversine_m(*p, target))
        .min_by(f64::total_cmp)
}

/// Summit score: `1 − (d/r)·0.4` strictly inside the radius, else none.
#[must_use]
pub fn gps_score(closest_km: f64, rayon_km: f64) -> Option<f64> {
    (rayon_km > 0.0 && closest_km < rayon_km).then(|| round2(1.0 - closest_km / rayon_km * 0.4))
}

/// Lower case, accents and typographic apostrophes folded.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'â' | 'ä' | 'á' => out.push('a'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'î' | 'ï' | 'í' => out.push('i'),
            'ô' | 'ö' | 'ó' => out.push('o'),
            'ù' | 'û' | 'ü' | 'ú' => out.push('u'),
            'ç' => out.push('c'),
            'ÿ' => out.push('y'),
            'ñ' => out.push('n'),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            '’' | '‘' | '`' | '´' => out.push('\''),
            _ => out.push(c),
        }
    }
    out
}

/// The comma-separated `strava_keywords`, normalized.
#[must_use]
pub fn parse_keywords(raw: Option<&str>) -> Vec<String> {
    raw.unwrap_or("")
        .split(',')
        .map(|k| normalize(k.trim()))
        .filter(|k| !k.is_empty())
        .collect()
}

/// Shorter keywords only count as whole words ("kv" must not match "kvass").
const MIN_PARTIAL_KEYWORD_CHARS: usize = 5;

/// Keyword score of a title: 0.90 when a keyword appears as whole words,
/// 0.75 when it only appears inside a longer word, else none.
#[must_use]
pub fn keyword_score(title: &str, keywords: &[String]) -> Option<f64> {
    normalized_keyword_score(&normalize(title), keywords)
}

/// [`keyword_score`] of a title already [`normalize`]d (once per activity,
/// not once per course).
fn normalized_keyword_score(title: &str, keywords: &[String]) -> Option<f64> {
    let is_word_char = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let mut best: Option<f64> = None;
    for kw in keywords {
        for (at, _) in title.match_indices(kw.as_str()) {
            let before = title[..at].chars().next_back();
            let after = title[at + kw.len()..].chars().next();
            let score = if !is_word_char(before) && !is_word_char(after) {
                0.90
            } else if kw.chars().count() >= MIN_PARTIAL_KEYWORD_CHARS {
                0.75
            } else {
                continue;
            };
            best = Some(best.map_or(score, |b| b.max(score)));
        }
    }
    best.map(round2)
}

/// The course category a Strava sport type belongs to.
#[must_use]
pub fn category_of(sport: &str) -> Option<&'static str> {
    match sport {
        "Ride" | "GravelRide" | "MountainBikeRide" | "EBikeRide" | "EMountainBikeRide"
        | "Handcycle" | "Velomobile" => Some("cyclisme"),
        "Run" | "TrailRun" => Some("trail"),
        "Hike" | "Walk" | "Snowshoe" => Some("rando"),
        _ => None,
    }
}

/// Fallback score from the climbing done against the course's elevation.
#[must_use]
pub fn fallback_score(gain_m: f64, denivele_m: f64) -> Option<f64> {
    if !(denivele_m > 0.0 && gain_m > 0.0) {
        return None;
    }
    let fit = (1.0 - (gain_m - denivele_m).abs() / denivele_m).clamp(0.0, 1.0);
    Some(round2(0.30 + 0.20 * fit))
}

/// Every course the activity scores on, best first (below the threshold
/// too: the activity list shows them).
#[must_use]
pub fn detect(activity: &Facts, courses: &[Course]) -> Vec<Detection> {
    let bounds = BBox::of(activity.track);
    let title = normalize(activity.name);
    let mut found: Vec<Detection> = courses
        .iter()
        .filter_map(|c| gps_or_keyword(activity, &title, bounds.as_ref(), c))
        .collect();
    if activity.track.is_empty() && found.is_empty() {
        found.extend(fallback(activity, courses));
    }
    found.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.produit_id.cmp(&b.produit_id))
    });
    found
}

/// The track's latitude/longitude box: a summit farther than its radius
/// from the box cannot be within the radius of any point, so the whole
/// track is only walked for the few courses near it (a catalogue of a
/// thousand courses against thirty activities stays cheap).
#[derive(Debug, Clone, Copy)]
struct BBox {
    lat: (f64, f64),
    lng: (f64, f64),
}

impl BBox {
    fn of(track: &[(f64, f64)]) -> Option<BBox> {
        let first = track.first()?;
        Some(track.iter().fold(
            BBox {
                lat: (first.0, first.0),
                lng: (first.1, first.1),
            },
            |b, p| BBox {
                lat: (b.lat.0.min(p.0), b.lat.1.max(p.0)),
                lng: (b.lng.0.min(p.1), b.lng.1.max(p.1)),
            },
        ))
    }

    /// Whether `p` may be within `km` of the box (generous margins).
    fn near(&self, p: (f64, f64), km: f64) -> bool {
        let dlat = km / 110.0;
        let dlng = km / (110.0 * p.0.to_radians().cos().abs().max(0.01));
        p.0 >= self.lat.0 - dlat
            && p.0 <= self.lat.1 + dlat
            && p.1 >= self.lng.0 - dlng
            && p.1 <= self.lng.1 + dlng
    }
}

fn gps_or_keyword(
    activity: &Facts,
    title: &str,
    bounds: Option<&BBox>,
    course: &Course,
) -> Option<Detection> {
    let closest_m = course
        .sommet
        .filter(|s| bounds.is_some_and(|b| b.near(*s, course.rayon_km)))
        .and_then(|s| closest_approach_m(activity.track, s));
    let gps = closest_m
        .and_then(|d| gps_score(d / 1000.0, course.rayon_km))
        .map(|s| (s, Criterion::Gps));
    let keyword =
        normalized_keyword_score(title, &course.keywords).map(|s| (s, Criterion::Keyword));
    let (score, critere) = match (gps, keyword) {
        (Some(g), Some(k)) => {
            if k.0 > g.0 {
                k
            } else {
                g
            }
        }
        (g, k) => g.or(k)?,
    };
    Some(Detection {
        produit_id: course.id,
        score,
        critere,
        closest_m: closest_m.map(f64::round),
    })
}

/// The one ordered course of the activity's category whose elevation fits
/// best; none on a tie (nothing to tell them apart) or indoors.
fn fallback(activity: &Facts, courses: &[Course]) -> Option<Detection> {
    let category = category_of(activity.sport).filter(|_| !activity.indoor)?;
    let mut scored: Vec<(f64, u64)> = courses
        .iter()
        .filter(|c| c.ordered && c.categorie == category)
        .filter_map(|c| {
            Some((
                fallback_score(activity.elevation_gain_m, c.denivele_m?)?,
                c.id,
            ))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (score, id) = *scored.first()?;
    #[expect(
        clippy::float_cmp,
        reason = "only an exact tie of the two best scores is ambiguous"
    )]
    if scored.get(1).is_some_and(|next| next.0 == score) {
        return None;
    }
    Some(Detection {
        produit_id: id,
        score,
        critere: Criterion::Fallback,
        closest_m: None,
    })
}

/// How a chrono made from an activity is timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// From the start zone to the summit on the timed track (epoch seconds).
    Segment {
        /// Leaving the start line.
        start: i64,
        /// Reaching the summit.
        finish: i64,
    },
    /// The activity's elapsed time from its start.
    Elapsed {
        /// Activity start.
        start: i64,
        /// Elapsed seconds.
        secs: i64,
    },
}

impl Timing {
    /// The timed seconds.
    #[must_use]
    pub fn secs(self) -> i64 {
        match self {
            Timing::Segment { start, finish } => finish - start,
            Timing::Elapsed { secs, .. } => secs,
        }
    }

    /// Start and end, epoch seconds.
    #[must_use]
    pub fn bounds(self) -> (i64, i64) {
        match self {
            Timing::Segment { start, finish } => (start, finish),
            Timing::Elapsed { start, secs } => (start, start + secs),
        }
    }

    /// `chronos.mesure_duree`.
    #[must_use]
    pub fn mesure(self) -> &'static str {
        match self {
            Timing::Segment { .. } => "segment",
            Timing::Elapsed { .. } => "temps_ecoule",
        }
    }
}

/// The segment from the start zone to the summit when the timed track
/// (`(lat, lng, seconds from start)`) passes both zones, else elapsed time.
#[must_use]
pub fn timing(
    course: &Course,
    timed: Option<&[(f64, f64, i64)]>,
    start: i64,
    elapsed: i64,
) -> Timing {
    let elapsed_time = Timing::Elapsed {
        start,
        secs: elapsed,
    };
    let (Some(depart), Some(sommet), Some(timed)) = (course.depart, course.sommet, timed) else {
        return elapsed_time;
    };
    let points: Vec<TrackPoint> = timed
        .iter()
        .map(|&(lat, lng, t)| TrackPoint {
            lat,
            lng,
            t: start + t,
        })
        .collect();
    let zones = Zones {
        depart,
        start_radius_m: course.start_radius_m,
        sommet,
        finish_radius_m: course.rayon_km * 1000.0,
    };
    match gpx::analyse(&points, &zones) {
        Ok(effort) if effort.duration_secs() > 0 => Timing::Segment {
            start: effort.start.t,
            finish: effort.finish.t,
        },
        _ => elapsed_time,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOMMET: (f64, f64) = (44.8203, 6.7350);
    const DEPART: (f64, f64) = (44.8986, 6.6436);

    fn course() -> Course {
        Course {
            id: 7,
            nom: "Col de l'Izoard".into(),
            categorie: "cyclisme".into(),
            denivele_m: Some(1000.0),
            depart: Some(DEPART),
            sommet: Some(SOMMET),
            rayon_km: 1.0,
            start_radius_m: 300.0,
            keywords: parse_keywords(Some("izoard, col de l'izoard")),
            ordered: true,
        }
    }

    /// A point `m` metres north of `p`.
    fn north(p: (f64, f64), m: f64) -> (f64, f64) {
        (p.0 + m / 111_195.0, p.1)
    }

    fn facts<'a>(name: &'a str, track: &'a [(f64, f64)]) -> Facts<'a> {
        Facts {
            name,
            sport: "Ride",
            indoor: false,
            elevation_gain_m: 0.0,
            track,
        }
    }

    #[test]
    fn gps_score_at_the_radius_boundaries() {
        assert_eq!(gps_score(0.0, 1.0), Some(1.0));
        assert_eq!(gps_score(0.5, 1.0), Some(0.8));
        assert_eq!(gps_score(0.999, 1.0), Some(0.6));
        assert_eq!(gps_score(1.0, 1.0), None);
        assert_eq!(gps_score(1.001, 1.0), None);
        assert_eq!(gps_score(0.1, 0.0), None);
    }

    #[test]
    #[expect(
        clippy::float_cmp,
        reason = "scores are products of exact decimal constants"
    )]
    fn just_inside_and_just_outside_the_radius() {
        let inside = [north(SOMMET, 990.0), north(SOMMET, 5000.0)];
        let outside = [north(SOMMET, 1010.0), north(SOMMET, 5000.0)];
        let d = detect(&facts("Sortie", &inside), &[course()]);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].critere, Criterion::Gps);
        assert_eq!(d[0].score, 0.6);
        assert!(d[0].is_detected());
        assert!(detect(&facts("Sortie", &outside), &[course()]).is_empty());
    }

    #[test]
    #[expect(
        clippy::float_cmp,
        reason = "scores are products of exact decimal constants"
    )]
    fn the_summit_in_the_middle_of_the_track_counts() {
        // Up to the summit and back down: the end point is 8 km away.
        let track = [
            north(SOMMET, 8000.0),
            north(SOMMET, 40.0),
            north(SOMMET, 8000.0),
        ];
        let d = detect(&facts("Boucle", &track), &[course()]);
        assert_eq!(d[0].score, 0.98);
        assert_eq!(d[0].closest_m, Some(40.0));
    }

    #[test]
    fn keywords_whole_word_or_inside_a_word() {
        let kw = parse_keywords(Some("izoard, col de l'izoard"));
        assert_eq!(keyword_score("Col de l’Izoard 🚴", &kw), Some(0.9));
        assert_eq!(keyword_score("IZOARD!", &kw), Some(0.9));
        assert_eq!(keyword_score("#izoardchallenge", &kw), Some(0.75));
        assert_eq!(keyword_score("Galibier", &kw), None);
        assert_eq!(keyword_score("anything", &[]), None);
        let short = parse_keywords(Some("kv"));
        assert_eq!(keyword_score("KV de Chamonix", &short), Some(0.9));
        assert_eq!(keyword_score("Kvass party", &short), None);
    }

    #[test]
    fn keyword_only_without_gps() {
        let d = detect(&facts("Montée de l'Izoard", &[]), &[course()]);
        assert_eq!((d[0].score, d[0].critere), (0.9, Criterion::Keyword));
    }

    #[test]
    fn best_criterion_wins() {
        let track = [north(SOMMET, 900.0)];
        let d = detect(&facts("Izoard", &track), &[course()]);
        assert_eq!((d[0].score, d[0].critere), (0.9, Criterion::Keyword));
        let track = [north(SOMMET, 10.0)];
        let d = detect(&facts("Izoard", &track), &[course()]);
        assert_eq!((d[0].score, d[0].critere), (1.0, Criterion::Gps));
    }

    #[test]
    #[expect(
        clippy::float_cmp,
        reason = "scores are products of exact decimal constants"
    )]
    fn fallback_scores_and_threshold_039_vs_040() {
        assert_eq!(fallback_score(1000.0, 1000.0), Some(0.5));
        assert_eq!(fallback_score(500.0, 1000.0), Some(0.4));
        assert_eq!(fallback_score(450.0, 1000.0), Some(0.39));
        assert_eq!(fallback_score(3000.0, 1000.0), Some(0.3));
        assert_eq!(fallback_score(0.0, 1000.0), None);
        assert!(reaches_threshold(0.40));
        assert!(reaches_threshold(0.399_999_9));
        assert!(!reaches_threshold(0.39));
        let mut f = facts("Sortie vélo", &[]);
        f.elevation_gain_m = 500.0;
        let d = detect(&f, &[course()]);
        assert_eq!((d[0].score, d[0].critere), (0.4, Criterion::Fallback));
        assert!(d[0].is_detected());
        f.elevation_gain_m = 450.0;
        let d = detect(&f, &[course()]);
        assert_eq!(d[0].score, 0.39);
        assert!(!d[0].is_detected());
    }

    #[test]
    fn fallback_needs_no_gps_an_order_the_category_and_outdoors() {
        let mut f = facts("Sortie", &[]);
        f.elevation_gain_m = 1000.0;
        let mut not_ordered = course();
        not_ordered.ordered = false;
        assert!(detect(&f, &[not_ordered]).is_empty());
        let far = [north(SOMMET, 50_000.0)];
        assert!(detect(&facts("Sortie", &far), &[course()]).is_empty());
        f.indoor = true;
        assert!(detect(&f, &[course()]).is_empty());
        f.indoor = false;
        f.sport = "Swim";
        assert!(detect(&f, &[course()]).is_empty());
        // Two ordered courses that fit equally: no guess.
        f.sport = "Ride";
        let mut twin = course();
        twin.id = 8;
        assert!(detect(&f, &[course(), twin]).is_empty());
    }

    #[test]
    fn polyline_test_vectors() {
        let pts = decode_polyline("_p~iF~ps|U_ulLnnqC_mqNvxq`@");
        assert_eq!(pts.len(), 3);
        let want = [(38.5, -120.2), (40.7, -120.95), (43.252, -126.453)];
        for (p, w) in pts.iter().zip(want) {
            assert!(
                (p.0 - w.0).abs() < 1e-9 && (p.1 - w.1).abs() < 1e-9,
                "{p:?}"
            );
        }
        assert!(decode_polyline("").is_empty());
    }

    #[test]
    fn timing_is_the_segment_when_the_track_allows_it() {
        let c = course();
        // 10 min at the start, 1 h to the summit, 20 min of descent.
        let mut timed = vec![(DEPART.0, DEPART.1, 0), (DEPART.0, DEPART.1, 600)];
        for k in 1..=60 {
            let f = f64::from(k) / 60.0;
            let p = (
                DEPART.0 + (SOMMET.0 - DEPART.0) * f,
                DEPART.1 + (SOMMET.1 - DEPART.1) * f,
            );
            timed.push((p.0, p.1, 600 + i64::from(k) * 60));
        }
        timed.push((DEPART.0, DEPART.1, 5400));
        let t = timing(&c, Some(&timed), 1_000_000, 5400);
        assert_eq!(t.mesure(), "segment");
        assert!(matches!(t, Timing::Segment { start, .. } if start >= 1_000_600));
        assert!((3000..=3600).contains(&t.secs()), "{}", t.secs());
        // No time stream, or a track that misses the start: elapsed time.
        let t = timing(&c, None, 1_000_000, 5400);
        assert_eq!((t.mesure(), t.secs()), ("temps_ecoule", 5400));
        let summit_only = [(SOMMET.0, SOMMET.1, 0)];
        assert_eq!(timing(&c, Some(&summit_only), 0, 99).secs(), 99);
    }
}
