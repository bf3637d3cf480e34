// The QR page's stopwatch: elapsed time minus the pauses, on an injected
// monotonic clock (performance.now() on the page, a fake one in the tests).
// What it shows is what is stored: the page sends this figure, not the
// server's start-to-stop span.

export class Timer {
  constructor(now = () => performance.now()) {
    this.now = now;
    this.reset();
  }

  reset() {
    this.startedAt = null;
    this.pausedMs = 0;
    this.pauseStart = null;
    this.stoppedAt = null;
  }

  get running() { return this.startedAt !== null && this.stoppedAt === null && this.pauseStart === null; }
  get paused() { return this.pauseStart !== null && this.stoppedAt === null; }
  get stopped() { return this.stoppedAt !== null; }

  start() { this.reset(); this.startedAt = this.now(); }

  /** PAUSE then REPRENDRE: the time in between does not count. */
  togglePause() {
    if (this.startedAt === null || this.stopped) return;
    if (this.pauseStart === null) this.pauseStart = this.now();
    else { this.pausedMs += this.now() - this.pauseStart; this.pauseStart = null; }
  }

  stop() {
    if (this.startedAt === null || this.stopped) return;
    if (this.pauseStart !== null) { this.pausedMs += this.now() - this.pauseStart; this.pauseStart = null; }
    this.stoppedAt = this.now();
  }

  /** Whole seconds shown (rounded down, as a stopwatch does). */
  elapsedSeconds() {
    if (this.startedAt === null) return 0;
    const end = this.stoppedAt ?? this.pauseStart ?? this.now();
    return Math.max(0, Math.floor((end - this.startedAt - this.pausedMs) / 1000));
  }
}
