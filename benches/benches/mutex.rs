//! Mutex rows (uncontended, 2 threads, 64 tasks on tokio and smol, wake-up latency) under criterion: `cargo bench -p turnstile-benches --bench mutex`.
//!
//! The rows, workloads and contestants are the harness's (`benches/src/rows.rs`);
//! `cargo run --release -p turnstile-benches --bin report` runs every row of
//! every target, plus the fairness and allocation rows, and writes BENCHMARKS.md.

mod common;

use criterion::{criterion_group, criterion_main, Criterion};

fn rows(c: &mut Criterion) {
    common::run_rows(c, &["mutex_"]);
}

criterion_group!(benches, rows);
criterion_main!(benches);
