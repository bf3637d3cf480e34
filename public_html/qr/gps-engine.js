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
 * @returns {{state: string, distanceM: ?number, message: string, canStart: boolean}}
 */
export function evaluate(course, position) {
  if (course.depart_lat == null || course.depart_lng == null) {
    return { state: STATES.BYPASS_NOT_CONFIGURED, distanceM: null, message: "Pas de GPS configuré", canStart: true };
  }
  if (!position) {
    return { state: STATES.BYPASS_NO_GPS, distanceM: null, message: "GPS non disponible — vous pouvez démarrer", canStart: true };
  }
  const cfg = course.tracking_config;
  const d = haversineM(position, { lat: course.depart_lat, lng: course.depart_lng });
  if (d <= cfg.high_accuracy_start_distance_m) {
    return { state: STATES.HIGH_ACCURACY_PRE_START, distanceM: d, message: "✅ Vous êtes au départ !", canStart: true };
  }
  if (d <= cfg.wake_distance_m) {
    return { state: STATES.PRE_WAKE, distanceM: d, message: `🔵 Approche — À ${formatDistance(d)} du départ`, canStart: false };
  }
  return { state: STATES.LOW_POWER_IDLE, distanceM: d, message: `📍 À ${formatDistance(d)} du départ`, canStart: false };
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
