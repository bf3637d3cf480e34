//! What every bench prints: one line a measure, median and p99.

use std::time::{Duration, Instant};

/// Runs `f` for about two seconds and prints the median and p99, then what
/// the last run returned as `shown` words it.
pub fn measure(name: &str, shown: impl Fn(usize) -> String, mut f: impl FnMut() -> usize) {
    let mut times = Vec::new();
    let mut out = 0;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(2) || times.len() < 10 {
        let t = Instant::now();
        out = f();
        times.push(t.elapsed());
    }
    times.sort();
    let p = |percent: usize| times[(times.len() - 1) * percent / 100].as_secs_f64() * 1000.0;
    println!(
        "{name:<40} runs {:>5}   p50 {:>8.2} ms   p99 {:>8.2} ms   {}",
        times.len(),
        p(50),
        p(99),
        shown(out),
    );
}
