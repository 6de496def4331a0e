//! Barrier benchmark: `turnstile_sync::Barrier` against `tokio::sync::Barrier` and
//! `async_lock::Barrier`.
//!
//! Group `barrier_8_tasks`: 8 tasks on a 2-worker multi-thread tokio runtime
//! pass `GENERATIONS` generations of one barrier for 8 (each task waits
//! `GENERATIONS` times). One criterion iteration is the whole run; the
//! declared throughput is `GENERATIONS`, so `benches/ratios.py`-style
//! arithmetic (time / elements) gives the time per generation. Every
//! iteration checks that exactly one task led each generation.
//!
//! Run: `cargo bench -p turnstile-benches --bench coordination`.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};

/// Tasks (= parties of the barrier).
const TASKS: usize = 8;
/// Generations per criterion iteration.
const GENERATIONS: u64 = 10_000;

/// An async barrier, as the harness sees it: `wait` resolves to "was I the
/// leader".
trait AsyncBarrier: Send + Sync + 'static {
    fn create(n: usize) -> Self;
    fn wait_leader(&self) -> impl Future<Output = bool> + Send;
}

impl AsyncBarrier for turnstile_sync::Barrier {
    fn create(n: usize) -> Self {
        turnstile_sync::Barrier::new(n)
    }
    async fn wait_leader(&self) -> bool {
        self.wait().await.is_leader()
    }
}

impl AsyncBarrier for tokio::sync::Barrier {
    fn create(n: usize) -> Self {
        tokio::sync::Barrier::new(n)
    }
    async fn wait_leader(&self) -> bool {
        self.wait().await.is_leader()
    }
}

impl AsyncBarrier for async_lock::Barrier {
    fn create(n: usize) -> Self {
        async_lock::Barrier::new(n)
    }
    async fn wait_leader(&self) -> bool {
        self.wait().await.is_leader()
    }
}

fn barrier_8_tasks<B: AsyncBarrier>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    rt: &tokio::runtime::Runtime,
    name: &str,
) {
    let barrier = Arc::new(B::create(TASKS));
    g.bench_function(name, |b| {
        b.iter(|| {
            let leaders = Arc::new(AtomicU64::new(0));
            rt.block_on(async {
                let handles: Vec<_> = (0..TASKS)
                    .map(|_| {
                        let (barrier, leaders) = (barrier.clone(), leaders.clone());
                        tokio::spawn(async move {
                            for _ in 0..GENERATIONS {
                                if barrier.wait_leader().await {
                                    leaders.fetch_add(1, Relaxed);
                                }
                            }
                        })
                    })
                    .collect();
                for h in handles {
                    h.await.unwrap();
                }
            });
            assert_eq!(
                leaders.load(Relaxed),
                GENERATIONS,
                "{name}: not one leader per generation"
            );
        })
    });
}

fn bench_barrier(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let mut g = c.benchmark_group("barrier_8_tasks");
    g.throughput(Throughput::Elements(GENERATIONS))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    barrier_8_tasks::<turnstile_sync::Barrier>(&mut g, &rt, "turnstile");
    barrier_8_tasks::<tokio::sync::Barrier>(&mut g, &rt, "tokio");
    barrier_8_tasks::<async_lock::Barrier>(&mut g, &rt, "async-lock");
    g.finish();
}

criterion_group!(benches, bench_barrier);
criterion_main!(benches);
