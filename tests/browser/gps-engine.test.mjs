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

// --- The whole machine of 6.1/6.2 (states 4–6) and the stopwatch -----------
import { step, initialMachine, pulsePhase, machineWatchOptions, SEGMENT_STATES } from "../../public_html/qr/gps-engine.js";
import { Timer } from "../../public_html/qr/timer.js";

const summit = { lat: 44.82, lng: 6.735 };
const course = { ...izoard, sommet_lat: summit.lat, sommet_lng: summit.lng };
const nearSummit = (m) => ({ lat: summit.lat - m / 111195, lng: summit.lng });

/** Runs the machine over [input…], returning the states visited. */
function walk(c, inputs, m = initialMachine()) {
  const states = [];
  for (const input of inputs) { m = step(c, m, input); states.push(m.state); }
  return { m, states };
}

test("6.2 in order: idle → wake → pre-start → pulse → pre-finish → cooldown → idle", () => {
  const { states } = walk(course, [
    { position: north(5000), nowS: 0 },
    { position: north(1500), nowS: 10 },
    { position: north(100), nowS: 20 },
    { position: north(0), nowS: 30, started: true },
    { position: nearSummit(3000), nowS: 600 },
    { position: nearSummit(350), nowS: 3000 },
    { position: summit, nowS: 3100, finished: true },
    { position: nearSummit(10), nowS: 3110 },
    { position: nearSummit(10), nowS: 3140 },
  ]);
  assert.deepEqual(states, [
    STATES.LOW_POWER_IDLE, STATES.PRE_WAKE, STATES.HIGH_ACCURACY_PRE_START,
    SEGMENT_STATES.SEGMENT_ACTIVE_PULSE, SEGMENT_STATES.SEGMENT_ACTIVE_PULSE,
    SEGMENT_STATES.HIGH_ACCURACY_PRE_FINISH, SEGMENT_STATES.COOLDOWN, SEGMENT_STATES.COOLDOWN,
    STATES.LOW_POWER_IDLE,
  ]);
});

test("PARTIR does nothing before the start zone; moving away goes back to idle", () => {
  let m = step(course, initialMachine(), { position: north(1500), nowS: 0, started: true });
  assert.equal(m.state, STATES.PRE_WAKE);
  m = step(course, m, { position: north(4000), nowS: 3 });
  assert.equal(m.state, STATES.LOW_POWER_IDLE);
  m = step(course, m, { position: north(200), nowS: 6 });
  assert.equal(m.state, STATES.HIGH_ACCURACY_PRE_START, "straight to pre-start when the first fix is already close");
});

test("a custom config moves every threshold (finish radius, cooldown)", () => {
  const cfg = { ...config, finish_high_accuracy_distance_m: 100, cooldown_distance_m: 500, cooldown_time_s: 600 };
  const custom = { ...course, tracking_config: cfg };
  let m = step(custom, { ...initialMachine(), state: SEGMENT_STATES.SEGMENT_ACTIVE_PULSE, since: 0 }, { position: nearSummit(350), nowS: 5 });
  assert.equal(m.state, SEGMENT_STATES.SEGMENT_ACTIVE_PULSE, "350 m is outside a 100 m finish radius");
  m = step(custom, m, { position: nearSummit(90), nowS: 10 });
  assert.equal(m.state, SEGMENT_STATES.HIGH_ACCURACY_PRE_FINISH);
  m = step(custom, m, { position: summit, nowS: 20, finished: true });
  m = step(custom, m, { position: nearSummit(200), nowS: 100 });
  assert.equal(m.state, SEGMENT_STATES.COOLDOWN, "200 m < 500 m and 80 s < 600 s");
});

test("cooldown ends by distance alone, or by time alone", () => {
  const cooling = step(course, { ...initialMachine(), state: SEGMENT_STATES.HIGH_ACCURACY_PRE_FINISH }, { position: summit, nowS: 100, finished: true });
  assert.equal(cooling.state, SEGMENT_STATES.COOLDOWN);
  assert.equal(step(course, cooling, { position: nearSummit(149), nowS: 110 }).state, SEGMENT_STATES.COOLDOWN);
  assert.equal(step(course, cooling, { position: nearSummit(151), nowS: 110 }).state, STATES.LOW_POWER_IDLE, "distance ≥ 150 m");
  assert.equal(step(course, cooling, { position: summit, nowS: 139 }).state, SEGMENT_STATES.COOLDOWN);
  assert.equal(step(course, cooling, { position: summit, nowS: 140 }).state, STATES.LOW_POWER_IDLE, "time ≥ 40 s");
});

test("pulse cycling: precise N s, low power M s, looping", () => {
  assert.equal(pulsePhase(config, 100, 100), "high");
  assert.equal(pulsePhase(config, 100, 109), "high");
  assert.equal(pulsePhase(config, 100, 110), "low");
  assert.equal(pulsePhase(config, 100, 154), "low");
  assert.equal(pulsePhase(config, 100, 155), "high", "a new cycle after 10 + 45 s");
  let m = step(course, { ...initialMachine(), state: STATES.HIGH_ACCURACY_PRE_START }, { position: north(0), nowS: 0, started: true });
  const phases = [];
  for (const t of [1, 9, 10, 30, 54, 55, 64, 65]) { m = step(course, m, { position: nearSummit(5000), nowS: t }); phases.push(m.pulse); }
  assert.deepEqual(phases, ["high", "high", "low", "low", "low", "high", "high", "low"]);
  assert.equal(machineWatchOptions({ state: SEGMENT_STATES.SEGMENT_ACTIVE_PULSE, pulse: "high" }).enableHighAccuracy, true);
  assert.equal(machineWatchOptions({ state: SEGMENT_STATES.SEGMENT_ACTIVE_PULSE, pulse: "low" }).enableHighAccuracy, false);
  assert.equal(machineWatchOptions({ state: SEGMENT_STATES.HIGH_ACCURACY_PRE_FINISH }).maximumAge, 0);
});

test("both bypasses let PARTIR start the segment", () => {
  assert.equal(step(course, initialMachine(), { position: null, nowS: 0, started: true }).state, SEGMENT_STATES.SEGMENT_ACTIVE_PULSE);
  const bare = { ...course, depart_lat: null };
  assert.equal(step(bare, initialMachine(), { position: north(9000), nowS: 0, started: true }).state, SEGMENT_STATES.SEGMENT_ACTIVE_PULSE);
  assert.equal(step(bare, initialMachine(), { position: north(9000), nowS: 0 }).state, STATES.BYPASS_NOT_CONFIGURED);
});

test("the stopwatch removes its pauses; what it shows is what is sent", () => {
  let now = 0;
  const t = new Timer(() => now);
  t.start();
  now = 65_400;
  assert.equal(t.elapsedSeconds(), 65);
  t.togglePause();
  assert.equal(t.paused, true);
  now = 665_400; // ten minutes of pause
  assert.equal(t.elapsedSeconds(), 65, "frozen while paused");
  t.togglePause();
  now = 700_900;
  assert.equal(t.elapsedSeconds(), 100);
  t.togglePause();
  now = 800_000;
  t.stop(); // stopping while paused ends the pause
  now = 999_999;
  assert.equal(t.stopped, true);
  assert.equal(t.elapsedSeconds(), 100);
});
