//! Notify rows (uncontended, wake-up latency on tokio and smol) under criterion: `cargo bench -p turnstile-benches --bench notify`.
//!
//! The rows, workloads and contestants are the harness's (`benches/src/rows.rs`);
//! `cargo run --release -p turnstile-benches --bin report` runs every row of
//! every target, plus the fairness and allocation rows, and writes BENCHMARKS.md.

mod common;

use criterion::{criterion_group, criterion_main, Criterion};

fn rows(c: &mut Criterion) {
    common::run_rows(c, &["notify_"]);
}

criterion_group!(benches, rows);
criterion_main!(benches);
