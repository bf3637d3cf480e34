//! The GPS tracking configuration of a course (`segment_tracking_config`,
//! spec 4.3, driving the mobile state machine of spec 6): defaults, request
//! body, ranges and coherence.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// The parameters of the mobile GPS state machine (spec 6), one row per
/// course. Serialises as the spec's `tracking_config` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TrackingConfig {
    /// `LOW_POWER_IDLE` → `PRE_WAKE` below this distance to the start.
    pub wake_distance_m: i32,
    /// `PRE_WAKE` → `HIGH_ACCURACY_PRE_START` below this distance.
    pub high_accuracy_start_distance_m: i32,
    /// Length of each precise GPS pulse during the segment.
    pub pulse_high_accuracy_duration_s: i32,
    /// Low-power pause between pulses.
    pub pulse_low_accuracy_duration_s: i32,
    /// Back to precise GPS below this distance to the finish.
    pub finish_high_accuracy_distance_m: i32,
    /// Minimum distance after the finish before going back to idle.
    pub cooldown_distance_m: i32,
    /// Minimum cooldown duration.
    pub cooldown_time_s: i32,
}

/// The accepted values of a tracking setting, and their unit.
struct Bounds {
    min: i64,
    max: i64,
    unit: &'static str,
}

/// Bounds of tracking distances: below 10 m a phone's GPS fix is noise and
/// the state would never trigger; 50 km is far beyond any approach.
const DISTANCE_M: Bounds = Bounds {
    min: 10,
    max: 50_000,
    unit: "m",
};
/// Bounds of tracking durations.
const DURATION_S: Bounds = Bounds {
    min: 1,
    max: 3_600,
    unit: "s",
};

impl TrackingConfig {
    /// The schema's DEFAULT values (spec 4.3); a unit test keeps them equal.
    pub const DEFAULT: TrackingConfig = TrackingConfig {
        wake_distance_m: 2000,
        high_accuracy_start_distance_m: 300,
        pulse_high_accuracy_duration_s: 10,
        pulse_low_accuracy_duration_s: 45,
        finish_high_accuracy_distance_m: 400,
        cooldown_distance_m: 150,
        cooldown_time_s: 40,
    };

    /// Applies the fields given in `input`, checking each one's range.
    ///
    /// # Panics
    ///
    /// Never: every range is checked to fit an `i32` before the store.
    pub fn apply(&mut self, input: &TrackingInput) -> Result<()> {
        set_within(
            "wake_distance_m",
            input.wake_distance_m,
            &mut self.wake_distance_m,
            &DISTANCE_M,
        )?;
        set_within(
            "high_accuracy_start_distance_m",
            input.high_accuracy_start_distance_m,
            &mut self.high_accuracy_start_distance_m,
            &DISTANCE_M,
        )?;
        set_within(
            "pulse_high_accuracy_duration_s",
            input.pulse_high_accuracy_duration_s,
            &mut self.pulse_high_accuracy_duration_s,
            &DURATION_S,
        )?;
        set_within(
            "pulse_low_accuracy_duration_s",
            input.pulse_low_accuracy_duration_s,
            &mut self.pulse_low_accuracy_duration_s,
            &DURATION_S,
        )?;
        set_within(
            "finish_high_accuracy_distance_m",
            input.finish_high_accuracy_distance_m,
            &mut self.finish_high_accuracy_distance_m,
            &DISTANCE_M,
        )?;
        set_within(
            "cooldown_distance_m",
            input.cooldown_distance_m,
            &mut self.cooldown_distance_m,
            &DISTANCE_M,
        )?;
        set_within(
            "cooldown_time_s",
            input.cooldown_time_s,
            &mut self.cooldown_time_s,
            &DURATION_S,
        )?;
        Ok(())
    }

    /// Checks that the values make a coherent state machine: the GPS must
    /// wake up before it has to be precise, or `PRE_WAKE` is skipped.
    pub fn check_coherence(&self) -> Result<()> {
        if self.wake_distance_m <= self.high_accuracy_start_distance_m {
            return Err(Error::invalid(format!(
                "La distance de réveil GPS (wake_distance_m = {} m) doit être supérieure au \
                 rayon haute précision du départ (high_accuracy_start_distance_m = {} m).",
                self.wake_distance_m, self.high_accuracy_start_distance_m
            )));
        }
        Ok(())
    }
}

/// Stores `value`, when one is given, in `slot` if it lies within `bounds`;
/// else a 422 naming the field, its range and unit.
fn set_within(name: &str, value: Option<i64>, slot: &mut i32, bounds: &Bounds) -> Result<()> {
    let Some(v) = value else { return Ok(()) };
    let Bounds { min, max, unit } = *bounds;
    if !(min..=max).contains(&v) {
        return Err(Error::invalid(format!(
            "tracking_config.{name} doit être un entier entre {min} et {max} {unit}."
        )));
    }
    *slot = i32::try_from(v).expect("checked range fits i32");
    Ok(())
}

/// The `tracking_config` object of a request: every field optional.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackingInput {
    /// See [`TrackingConfig`].
    pub wake_distance_m: Option<i64>,
    /// See [`TrackingConfig`].
    pub high_accuracy_start_distance_m: Option<i64>,
    /// See [`TrackingConfig`].
    pub pulse_high_accuracy_duration_s: Option<i64>,
    /// See [`TrackingConfig`].
    pub pulse_low_accuracy_duration_s: Option<i64>,
    /// See [`TrackingConfig`].
    pub finish_high_accuracy_distance_m: Option<i64>,
    /// See [`TrackingConfig`].
    pub cooldown_distance_m: Option<i64>,
    /// See [`TrackingConfig`].
    pub cooldown_time_s: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_schema() {
        let schema = include_str!("../../../sql/0001_schema.sql");
        let table = schema
            .split("CREATE TABLE segment_tracking_config")
            .nth(1)
            .unwrap()
            .split(");")
            .next()
            .unwrap();
        let d = serde_json::to_value(TrackingConfig::DEFAULT).unwrap();
        for (name, value) in d.as_object().unwrap() {
            let line = table
                .lines()
                .find(|l| l.trim_start().starts_with(name.as_str()))
                .unwrap_or_else(|| panic!("{name} not in schema"));
            assert!(
                line.contains(&format!("DEFAULT {value},")),
                "{name}: schema says {line:?}, code says {value}"
            );
        }
        TrackingConfig::DEFAULT.check_coherence().unwrap();
    }

    #[test]
    fn tracking_ranges_and_coherence() {
        let mut t = TrackingConfig::DEFAULT;
        let bad = TrackingInput {
            cooldown_time_s: Some(0),
            ..Default::default()
        };
        assert!(t.apply(&bad).is_err());
        let input = TrackingInput {
            wake_distance_m: Some(250),
            ..Default::default()
        };
        t.apply(&input).unwrap();
        assert_eq!(t.wake_distance_m, 250);
        assert!(t.check_coherence().is_err());
    }
}
