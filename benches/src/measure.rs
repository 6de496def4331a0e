//! The timing loop of the report: warm-up, calibration, several samples,
//! medians. Criterion is not involved (the bench targets use criterion on
//! the same runners).

use std::time::Duration;

/// What one call of a runner measured.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Wall-clock time of the call (used to size the samples).
    pub wall: Duration,
    /// The time that is divided by `ops`: the wall time for throughput
    /// rows, the summed release-to-running latencies for latency rows.
    pub measured: Duration,
    /// Operations done (lock/unlock pairs, acquires, hand-offs, generations).
    pub ops: u64,
}

impl Timing {
    /// A throughput timing: `ops` operations in `wall`.
    pub fn throughput(wall: Duration, ops: u64) -> Self {
        Timing {
            wall,
            measured: wall,
            ops,
        }
    }
    /// Nanoseconds per operation.
    pub fn ns_per_op(&self) -> f64 {
        self.measured.as_nanos() as f64 / self.ops.max(1) as f64
    }
}

/// How long and how often to sample.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// Warm-up time before the samples (also sizes them).
    pub warm_up: Duration,
    /// Target wall time of one sample.
    pub sample_time: Duration,
    /// Samples per contestant.
    pub samples: usize,
}

/// Samples of one contestant, in ns per op, sorted.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// ns/op of each sample, ascending.
    pub samples: Vec<f64>,
}

impl Stats {
    /// Sorts `samples` into a `Stats`.
    pub fn new(mut samples: Vec<f64>) -> Self {
        samples.sort_by(f64::total_cmp);
        Stats { samples }
    }
    /// The `q` quantile (0..=1), linear interpolation.
    pub fn quantile(&self, q: f64) -> f64 {
        let s = &self.samples;
        if s.is_empty() {
            return f64::NAN;
        }
        let pos = q * (s.len() - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        s[lo] + (s[hi] - s[lo]) * (pos - lo as f64)
    }
    /// The median.
    pub fn median(&self) -> f64 {
        self.quantile(0.5)
    }
    /// The fastest sample.
    pub fn min(&self) -> f64 {
        self.samples.first().copied().unwrap_or(f64::NAN)
    }
    /// The slowest sample.
    pub fn max(&self) -> f64 {
        self.samples.last().copied().unwrap_or(f64::NAN)
    }
    /// Interquartile range over the median, in percent.
    pub fn iqr_pct(&self) -> f64 {
        100.0 * (self.quantile(0.75) - self.quantile(0.25)) / self.median()
    }
}

/// Measures one runner: a warm-up that doubles the iterations until
/// `cfg.warm_up` has passed (which also sizes the samples), then
/// `cfg.samples` samples of about `cfg.sample_time` each.
pub fn measure(run: &mut dyn FnMut(u64) -> Timing, cfg: &Config) -> Stats {
    measure_row(&mut [run], cfg).pop().unwrap()
}

/// Measures every contestant of a row with interleaved samples: each is
/// warmed up and sized first, then sample `k` of every contestant is taken
/// before sample `k + 1` of any, so that a change in the machine's load
/// falls on all contestants alike instead of on whoever ran at the time.
pub fn measure_row(runs: &mut [&mut dyn FnMut(u64) -> Timing], cfg: &Config) -> Vec<Stats> {
    let sizes: Vec<u64> = runs
        .iter_mut()
        .map(|run| {
            let mut iters = 1u64;
            let mut spent = Duration::ZERO;
            loop {
                let t = run(iters);
                spent += t.wall;
                let per_iter = t.wall.as_secs_f64() / iters as f64;
                if spent >= cfg.warm_up {
                    break ((cfg.sample_time.as_secs_f64() / per_iter.max(1e-9)) as u64).max(1);
                }
                let left = (cfg.warm_up - spent).as_secs_f64();
                iters = (iters * 2).min(((left / per_iter.max(1e-9)) as u64).max(1));
            }
        })
        .collect();
    let mut samples = vec![Vec::with_capacity(cfg.samples); runs.len()];
    for _ in 0..cfg.samples {
        for (i, run) in runs.iter_mut().enumerate() {
            samples[i].push(run(sizes[i]).ns_per_op());
        }
    }
    samples.into_iter().map(Stats::new).collect()
}
