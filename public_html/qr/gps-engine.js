// The QR page's GPS engine (spec §6.1–6.3): states 1 to 3 of the mobile state
// machine. Pure functions, driven only by the course's tracking_config as the
// API sends it — no distance is hard-coded here — so the page behaves as the
// admin tuned it in the back office.

export const STATES = Object.freeze({
  LOW_POWER_IDLE: "LOW_POWER_IDLE",
  PRE_WAKE: "PRE_WAKE",
  HIGH_ACCURACY_PRE_START: "HIGH_ACCURACY_PRE_START",
  BYPASS_NO_GPS: "BYPASS_NO_GPS",
  BYPASS_NOT_CONFIGURED: "BYPASS_NOT_CONFIGURED",
});

const EARTH_RADIUS_M = 6371008.8;

/** Great-circle distance in metres between two {lat, lng} points. */
export function haversineM(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** "1.8 km" above one kilometre, "245 m" below (as in wireframe 11.2). */
export function formatDistance(m) {
  return m >= 1000 ? `${(m / 1000).toFixed(1)} km` : `${Math.round(m)} m`;
}

/**
 * The state for the athlete's position.
 * @param {object} course   {depart_lat, depart_lng, tracking_config}
 * @param {?object} position {lat, lng} or null when GPS is refused/unavailable
 * @returns {{state: string, distanceM: ?number, message: string, icon: string, canStart: boolean}}
 */
export function evaluate(course, position) {
  if (course.depart_lat == null || course.depart_lng == null) {
    return { state: STATES.BYPASS_NOT_CONFIGURED, distanceM: null, message: "Pas de GPS configuré", icon: "play", canStart: true };
  }
  if (!position) {
    return { state: STATES.BYPASS_NO_GPS, distanceM: null, message: "GPS non disponible — vous pouvez démarrer", icon: "play", canStart: true };
  }
  const cfg = course.tracking_config;
  const d = haversineM(position, { lat: course.depart_lat, lng: course.depart_lng });
  if (d <= cfg.high_accuracy_start_distance_m) {
    return { state: STATES.HIGH_ACCURACY_PRE_START, distanceM: d, message: "Vous êtes au départ !", icon: "check", canStart: true };
  }
  if (d <= cfg.wake_distance_m) {
    return { state: STATES.PRE_WAKE, distanceM: d, message: `Approche — À ${formatDistance(d)} du départ`, icon: "gpx", canStart: false };
  }
  return { state: STATES.LOW_POWER_IDLE, distanceM: d, message: `À ${formatDistance(d)} du départ`, icon: "pin", canStart: false };
}

/**
 * Geolocation options per state: low power far away, medium on approach,
 * continuous high accuracy (1 Hz) in the start zone (spec §6.1).
 */
export function watchOptions(state) {
  switch (state) {
    case STATES.HIGH_ACCURACY_PRE_START:
      return { enableHighAccuracy: true, maximumAge: 0, timeout: 10000 };
    case STATES.PRE_WAKE:
      return { enableHighAccuracy: true, maximumAge: 5000, timeout: 15000 };
    default:
      return { enableHighAccuracy: false, maximumAge: 30000, timeout: 30000 };
  }
}

// --- States 4 to 6 (spec 6.1/6.2) -------------------------------------------
// The QR page drives states 1–3 (6.3); the whole machine lives here too so
// that one tested module holds every transition, for the page during the
// climb (GPS power while timing) and for a native app later.

export const SEGMENT_STATES = Object.freeze({
  SEGMENT_ACTIVE_PULSE: "SEGMENT_ACTIVE_PULSE",
  HIGH_ACCURACY_PRE_FINISH: "HIGH_ACCURACY_PRE_FINISH",
  COOLDOWN: "COOLDOWN",
});

/** A fresh machine, far from everything. */
export function initialMachine() {
  return { state: STATES.LOW_POWER_IDLE, since: 0, pulse: null, finish: null };
}

/**
 * The pulse phase at `nowS` for a segment started at `startS`: "high" for
 * pulse_high_accuracy_duration_s, then "low" for pulse_low_accuracy_duration_s, looping.
 */
export function pulsePhase(cfg, startS, nowS) {
  const high = cfg.pulse_high_accuracy_duration_s;
  const cycle = high + cfg.pulse_low_accuracy_duration_s;
  const t = ((nowS - startS) % cycle + cycle) % cycle;
  return t < high ? "high" : "low";
}

function finishDistance(course, position) {
  if (!position || course.sommet_lat == null || course.sommet_lng == null) return null;
  return haversineM(position, { lat: course.sommet_lat, lng: course.sommet_lng });
}

/**
 * One step of the machine. `input`: {position ({lat,lng} or null), nowS
 * (seconds), started (start line crossed / PARTIR), finished (finish line
 * crossed / ARRÊTER)}. Returns the next machine (the input one is not changed).
 */
export function step(course, machine, { position = null, nowS = 0, started = false, finished = false } = {}) {
  const cfg = course.tracking_config;
  const m = { ...machine };
  const go = (state, extra = {}) => ({ ...m, state, since: nowS, ...extra });
  switch (m.state) {
    case STATES.LOW_POWER_IDLE:
    case STATES.PRE_WAKE:
    case STATES.HIGH_ACCURACY_PRE_START:
    case STATES.BYPASS_NO_GPS:
    case STATES.BYPASS_NOT_CONFIGURED: {
      const approach = evaluate(course, position);
      if (started && approach.canStart) return go(SEGMENT_STATES.SEGMENT_ACTIVE_PULSE, { pulse: "high" });
      return approach.state === m.state ? m : go(approach.state);
    }
    case SEGMENT_STATES.SEGMENT_ACTIVE_PULSE: {
      const d = finishDistance(course, position);
      if (d != null && d <= cfg.finish_high_accuracy_distance_m) return go(SEGMENT_STATES.HIGH_ACCURACY_PRE_FINISH, { pulse: null, segmentSince: undefined });
      if (finished) return go(SEGMENT_STATES.COOLDOWN, { pulse: null, finish: position });
      const segmentSince = m.segmentSince ?? m.since;
      return { ...m, segmentSince, pulse: pulsePhase(cfg, segmentSince, nowS) };
    }
    case SEGMENT_STATES.HIGH_ACCURACY_PRE_FINISH:
      return finished ? go(SEGMENT_STATES.COOLDOWN, { finish: position }) : m;
    case SEGMENT_STATES.COOLDOWN: {
      const far = m.finish && position && haversineM(position, m.finish) >= cfg.cooldown_distance_m;
      const late = nowS - m.since >= cfg.cooldown_time_s;
      return far || late ? go(STATES.LOW_POWER_IDLE, { finish: null }) : m;
    }
    default:
      return m;
  }
}

/** Geolocation options for any machine state (the pulse decides during the segment). */
export function machineWatchOptions(machine) {
  switch (machine.state) {
    case SEGMENT_STATES.SEGMENT_ACTIVE_PULSE:
      return machine.pulse === "high" ? watchOptions(STATES.HIGH_ACCURACY_PRE_START) : watchOptions(STATES.LOW_POWER_IDLE);
    case SEGMENT_STATES.HIGH_ACCURACY_PRE_FINISH:
      return watchOptions(STATES.HIGH_ACCURACY_PRE_START);
    case SEGMENT_STATES.COOLDOWN:
      return watchOptions(STATES.PRE_WAKE);
    default:
      return watchOptions(machine.state);
  }
}
