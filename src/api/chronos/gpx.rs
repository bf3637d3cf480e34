//! Reading a GPX track and finding the timed effort on a course in it
//! (`POST /api/chrono/gpx`).
//!
//! The zones are the course's own: the start zone is the circle of
//! `segment_tracking_config.high_accuracy_start_distance_m` around the
//! departure (the radius in which the QR page lets the athlete press PARTIR),
//! the finish zone the circle of `produits.rayon_km` around the summit.
//!
//! A track can linger in a zone (waiting at the start sign, photos at the
//! summit), and a zone is hundreds of metres wide, so neither the zone's
//! entry nor its exit is the line. The start is the *last* point of the last
//! stay in the start zone (before the first arrival in the finish zone) that
//! is within [`LINE_TOLERANCE_M`] of the closest approach to the departure: the
//! moment the athlete left the line. The finish is the *first* point of the
//! first stay in the finish zone within the same tolerance of the closest
//! approach to the summit: the moment the athlete reached it.

use std::cmp::Ordering;

/// GPS jitter tolerated around the closest approach to a line, in metres.
pub const LINE_TOLERANCE_M: f64 = 25.0;

/// Mean Earth radius (IUGG), in metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// One timestamped track point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackPoint {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lng: f64,
    /// Unix time, seconds (UTC).
    pub t: i64,
}

/// The points of a GPX file.
#[derive(Debug, Clone, Default)]
pub struct Track {
    /// Every track point of the file, timed or not.
    pub total_points: usize,
    /// The timed points, in time order.
    pub points: Vec<TrackPoint>,
}

/// The course's start and finish zones.
#[derive(Debug, Clone, Copy)]
pub struct Zones {
    /// Departure (lat, lng).
    pub depart: (f64, f64),
    /// Start zone radius, metres.
    pub start_radius_m: f64,
    /// Summit / finish (lat, lng).
    pub sommet: (f64, f64),
    /// Finish zone radius, metres.
    pub finish_radius_m: f64,
}

/// The effort found in a track.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Effort {
    /// The point taken as the start.
    pub start: TrackPoint,
    /// The point taken as the finish.
    pub finish: TrackPoint,
    /// Distance of the start point to the departure, metres.
    pub start_distance_m: f64,
    /// Distance of the finish point to the summit, metres.
    pub finish_distance_m: f64,
    /// Length of the track between start and finish, km.
    pub effort_km: f64,
}

impl Effort {
    /// Elapsed seconds between start and finish.
    #[must_use]
    pub fn duration_secs(&self) -> i64 {
        self.finish.t - self.start.t
    }
}

/// Why a track gives no effort.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GpxError {
    /// Not XML, or not GPX.
    Invalid(String),
    /// No track point carries a time.
    NoTimestamps,
    /// The track never enters the start zone.
    NeverStarted,
    /// The track enters the start zone but never reaches the finish zone afterwards.
    NeverFinished,
}

/// Parses a GPX document (1.0 or 1.1) and keeps the timed track points.
pub fn parse(bytes: &[u8]) -> Result<Track, GpxError> {
    let doc = gpx::read(bytes).map_err(|e| GpxError::Invalid(e.to_string()))?;
    let mut track = Track::default();
    for segment in doc.tracks.iter().flat_map(|t| t.segments.iter()) {
        for wp in &segment.points {
            track.total_points += 1;
            let Some(time) = wp.time else { continue };
            let p = wp.point();
            let (lat, lng) = (p.y(), p.x());
            if !lat.is_finite() || !lng.is_finite() {
                continue;
            }
            let t = ::time::OffsetDateTime::from(time).unix_timestamp();
            track.points.push(TrackPoint { lat, lng, t });
        }
    }
    if track.points.is_empty() {
        return Err(GpxError::NoTimestamps);
    }
    // Several tracks or segments may come in any order; a stable sort keeps
    // the file's order for equal times.
    track.points.sort_by_key(|p| p.t);
    Ok(track)
}

/// Great-circle distance in metres (haversine).
#[must_use]
pub fn haversine_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lat2) = (a.0.to_radians(), b.0.to_radians());
    let dlat = lat2 - lat1;
    let dlng = (b.1 - a.1).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlng / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

fn at(p: &TrackPoint) -> (f64, f64) {
    (p.lat, p.lng)
}

/// Length of the polyline `points`, km.
#[must_use]
pub fn length_km(points: &[TrackPoint]) -> f64 {
    points
        .windows(2)
        .map(|w| haversine_m(at(&w[0]), at(&w[1])))
        .sum::<f64>()
        / 1000.0
}

/// Finds the effort (see the module documentation) in time-ordered points.
pub fn analyse(points: &[TrackPoint], zones: &Zones) -> Result<Effort, GpxError> {
    let d_start: Vec<f64> = points
        .iter()
        .map(|p| haversine_m(at(p), zones.depart))
        .collect();
    let d_finish: Vec<f64> = points
        .iter()
        .map(|p| haversine_m(at(p), zones.sommet))
        .collect();
    let in_start = |i: usize| d_start[i] <= zones.start_radius_m;
    let in_finish = |i: usize| d_finish[i] <= zones.finish_radius_m;

    // The last stay in the start zone seen so far: [first, last] indexes.
    let mut start_stay: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < points.len() {
        if in_start(i) {
            let first = i;
            while i + 1 < points.len() && in_start(i + 1) {
                i += 1;
            }
            start_stay = Some((first, i));
        } else if in_finish(i) {
            if let Some((s_first, s_last)) = start_stay {
                let f_first = i;
                let mut f_last = i;
                while f_last + 1 < points.len() && in_finish(f_last + 1) && !in_start(f_last + 1) {
                    f_last += 1;
                }
                let start = line_point(&d_start, s_first, s_last, Pick::Last);
                let finish = line_point(&d_finish, f_first, f_last, Pick::First);
                return Ok(Effort {
                    start: points[start],
                    finish: points[finish],
                    start_distance_m: d_start[start],
                    finish_distance_m: d_finish[finish],
                    effort_km: length_km(&points[start..=finish]),
                });
            }
        }
        i += 1;
    }
    Err(if start_stay.is_some() {
        GpxError::NeverFinished
    } else {
        GpxError::NeverStarted
    })
}

#[derive(Clone, Copy)]
enum Pick {
    First,
    Last,
}

/// Within `first..=last`, the first or last index whose distance is within
/// [`LINE_TOLERANCE_M`] of the smallest distance of the stay.
fn line_point(dist: &[f64], first: usize, last: usize, pick: Pick) -> usize {
    let closest = dist[first..=last]
        .iter()
        .copied()
        .min_by(|a, b| a.partial_cmp(b).unwrap_or(Ordering::Equal))
        .unwrap_or(0.0);
    let near = |&i: &usize| dist[i] <= closest + LINE_TOLERANCE_M;
    match pick {
        Pick::First => (first..=last).find(near),
        Pick::Last => (first..=last).rev().find(near),
    }
    .unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPART: (f64, f64) = (44.8986, 6.6436);
    const SOMMET: (f64, f64) = (44.8203, 6.7350);

    fn zones() -> Zones {
        Zones {
            depart: DEPART,
            start_radius_m: 300.0,
            sommet: SOMMET,
            finish_radius_m: 500.0,
        }
    }

    fn lerp(a: (f64, f64), b: (f64, f64), f: f64) -> (f64, f64) {
        (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f)
    }

    fn pt(p: (f64, f64), t: i64) -> TrackPoint {
        TrackPoint {
            lat: p.0,
            lng: p.1,
            t,
        }
    }

    /// Approach from 1.5 km, 3 min waiting at the start, 200 points to the
    /// summit over 1 h 30, 5 min at the summit, then the descent.
    fn climb() -> Vec<TrackPoint> {
        let away = (44.9100, 6.6300);
        let mut pts = Vec::new();
        let mut t = 0;
        for k in 0..10 {
            pts.push(pt(lerp(away, DEPART, f64::from(k) / 10.0), t));
            t += 30;
        }
        for k in 0..6 {
            // jitter of a few metres while waiting
            pts.push(pt((DEPART.0 + f64::from(k % 2) * 0.00005, DEPART.1), t));
            t += 30;
        }
        let t0 = t;
        for k in 0..=200 {
            pts.push(pt(
                lerp(DEPART, SOMMET, f64::from(k) / 200.0),
                t0 + i64::from(k) * 27,
            ));
        }
        t = t0 + 200 * 27;
        for _ in 0..10 {
            t += 30;
            pts.push(pt((SOMMET.0, SOMMET.1 + 0.00002), t));
        }
        for k in 1..=10 {
            pts.push(pt(
                lerp(SOMMET, DEPART, f64::from(k) / 10.0),
                t + 60 * i64::from(k),
            ));
        }
        pts
    }

    #[test]
    fn haversine_matches_known_distance() {
        // Briançon → Izoard summit, about 11.3 km as the crow flies.
        let d = haversine_m(DEPART, SOMMET);
        assert!((11_000.0..11_700.0).contains(&d), "{d}");
        assert!(haversine_m(DEPART, DEPART).abs() < 1e-9);
    }

    #[test]
    fn climb_is_timed_from_leaving_the_start_to_reaching_the_summit() {
        let pts = climb();
        let e = analyse(&pts, &zones()).unwrap();
        // Left the start at the first climbing point; reached the summit at
        // the 200th: exactly 200 × 27 s.
        assert_eq!(e.duration_secs(), 5400);
        assert!(e.finish_distance_m < 1.0);
        assert!((11.0..11.8).contains(&e.effort_km), "{}", e.effort_km);
    }

    #[test]
    fn a_second_pass_at_the_start_restarts_the_clock() {
        let mut pts = climb();
        // Warm-up: went through the start zone, out, and back 10 min before.
        let early: Vec<TrackPoint> = (0..3).map(|k| pt(DEPART, -2000 + k * 10)).collect();
        pts.splice(0..0, early);
        assert_eq!(analyse(&pts, &zones()).unwrap().duration_secs(), 5400);
    }

    #[test]
    fn never_reaching_the_summit() {
        let pts: Vec<TrackPoint> = climb().into_iter().take(150).collect();
        assert_eq!(analyse(&pts, &zones()), Err(GpxError::NeverFinished));
    }

    #[test]
    fn never_passing_the_start() {
        let pts: Vec<TrackPoint> = climb()
            .into_iter()
            .map(|p| TrackPoint {
                lat: p.lat - 0.05,
                ..p
            })
            .collect();
        assert_eq!(analyse(&pts, &zones()), Err(GpxError::NeverStarted));
    }

    #[test]
    fn summit_before_start_does_not_count() {
        // Descent from the summit to the start only.
        let pts: Vec<TrackPoint> = (0..=50)
            .map(|k| pt(lerp(SOMMET, DEPART, f64::from(k) / 50.0), i64::from(k) * 60))
            .collect();
        assert_eq!(analyse(&pts, &zones()), Err(GpxError::NeverFinished));
    }

    #[test]
    fn parse_reads_times_and_refuses_junk() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
 <trk><trkseg>
  <trkpt lat="44.9" lon="6.64"><ele>1200</ele><time>2024-07-14T08:00:30Z</time></trkpt>
  <trkpt lat="44.8" lon="6.73"><time>2024-07-14T08:00:00+00:00</time></trkpt>
  <trkpt lat="44.7" lon="6.70"></trkpt>
 </trkseg></trk>
</gpx>"#;
        let track = parse(xml.as_bytes()).unwrap();
        assert_eq!(track.total_points, 3);
        assert_eq!(track.points.len(), 2);
        assert_eq!(track.points[0].t, 1_720_944_000);
        assert!((track.points[0].lat - 44.8).abs() < 1e-9);
        assert!((track.points[0].lng - 6.73).abs() < 1e-9);

        assert!(matches!(parse(b"<gpx"), Err(GpxError::Invalid(_))));
        assert!(matches!(parse(b"hello"), Err(GpxError::Invalid(_))));
        let untimed = r#"<gpx version="1.1" creator="t"><trk><trkseg><trkpt lat="1" lon="2"/></trkseg></trk></gpx>"#;
        assert_eq!(
            parse(untimed.as_bytes()).unwrap_err(),
            GpxError::NoTimestamps
        );
    }
}
