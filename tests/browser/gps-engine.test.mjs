// The QR page's GPS engine (public_html/qr/gps-engine.js), as pure functions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { evaluate, haversineM, formatDistance, watchOptions, STATES } from "../../public_html/qr/gps-engine.js";

const config = {
  wake_distance_m: 2000,
  high_accuracy_start_distance_m: 300,
  pulse_high_accuracy_duration_s: 10,
  pulse_low_accuracy_duration_s: 45,
  finish_high_accuracy_distance_m: 400,
  cooldown_distance_m: 150,
  cooldown_time_s: 40,
};
const izoard = { depart_lat: 44.8893, depart_lng: 6.6434, tracking_config: config };
const north = (m) => ({ lat: izoard.depart_lat + m / 111195, lng: izoard.depart_lng });

test("haversine matches a known distance", () => {
  // Briançon → Izoard summit is about 9.6 km as the crow flies.
  const d = haversineM({ lat: 44.8893, lng: 6.6434 }, { lat: 44.82, lng: 6.735 });
  assert.ok(d > 9_000 && d < 11_000, `${d}`);
  assert.equal(Math.round(haversineM(north(0), north(1000))), 1000);
});

test("states follow the course's tracking_config (spec 6.3)", () => {
  assert.equal(evaluate(izoard, north(5000)).state, STATES.LOW_POWER_IDLE);
  assert.equal(evaluate(izoard, north(5000)).canStart, false);
  assert.match(evaluate(izoard, north(1800)).message, /1\.8 km/);
  assert.equal(evaluate(izoard, north(1999)).state, STATES.PRE_WAKE);
  assert.match(evaluate(izoard, north(245)).message, /départ/);
  assert.equal(evaluate(izoard, north(299.9)).state, STATES.HIGH_ACCURACY_PRE_START);
  assert.equal(evaluate(izoard, north(299)).canStart, true);
  // A course tuned in the back office changes the thresholds, not the code.
  const tight = { ...izoard, tracking_config: { ...config, wake_distance_m: 500, high_accuracy_start_distance_m: 50 } };
  assert.equal(evaluate(tight, north(1000)).state, STATES.LOW_POWER_IDLE);
  assert.equal(evaluate(tight, north(100)).state, STATES.PRE_WAKE);
});

test("bypasses: GPS refused, course without GPS", () => {
  const noGps = evaluate(izoard, null);
  assert.equal(noGps.state, STATES.BYPASS_NO_GPS);
  assert.equal(noGps.canStart, true);
  const unconfigured = evaluate({ ...izoard, depart_lat: null }, north(5000));
  assert.equal(unconfigured.state, STATES.BYPASS_NOT_CONFIGURED);
  assert.equal(unconfigured.message, "Pas de GPS configuré");
});

test("distances and GPS power per state", () => {
  assert.equal(formatDistance(245.4), "245 m");
  assert.equal(formatDistance(1800), "1.8 km");
  assert.equal(watchOptions(STATES.LOW_POWER_IDLE).enableHighAccuracy, false);
  assert.equal(watchOptions(STATES.HIGH_ACCURACY_PRE_START).enableHighAccuracy, true);
  assert.equal(watchOptions(STATES.HIGH_ACCURACY_PRE_START).maximumAge, 0);
});
