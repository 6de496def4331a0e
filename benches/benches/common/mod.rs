//! The one piece every criterion target shares: run the harness's rows
//! whose id starts with one of `prefixes` as criterion groups (one group
//! per row, one benchmark per contestant). The rows themselves (workloads,
//! contestants) live in the library, `benches/src/`.

use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput};
use turnstile_benches::exec::Env;
use turnstile_benches::rows::{timed_rows, Section};

/// Runs every timed row whose id starts with one of `prefixes`.
///
/// Criterion's time per iteration is the runner's measured time (wall time
/// for throughput rows, summed release-to-running time for latency rows);
/// the group's throughput is the ops one iteration does, so time per op is
/// criterion's time divided by it (its `thrpt` line gives ops per second).
pub fn run_rows(c: &mut Criterion, prefixes: &[&str]) {
    let env = Env::new();
    for row in timed_rows()
        .into_iter()
        .filter(|r| prefixes.iter().any(|p| r.id.starts_with(p)))
    {
        let mut g = c.benchmark_group(&row.id);
        g.warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
        if row.section != Section::Uncontended {
            g.sampling_mode(SamplingMode::Flat).sample_size(10);
        }
        let mut contestants = row.contestants;
        // Every contestant of a row does the same ops per iteration.
        if let Some(first) = contestants.first_mut() {
            let ops = (first.run)(&env, 1).ops;
            g.throughput(Throughput::Elements(ops));
        }
        for ct in &mut contestants {
            g.bench_function(ct.name, |b| {
                b.iter_custom(|iters| (ct.run)(&env, iters).measured)
            });
        }
        g.finish();
    }
}
