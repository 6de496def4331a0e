//! Semaphore rows (uncontended, 64 tasks weighted on tokio and smol, all weight 1) under criterion: `cargo bench -p turnstile-benches --bench semaphore`.
//!
//! The rows, workloads and contestants are the harness's (`benches/src/rows.rs`);
//! `cargo run --release -p turnstile-benches --bin report` runs every row of
//! every target, plus the fairness and allocation rows, and writes BENCHMARKS.md.

mod common;

use criterion::{criterion_group, criterion_main, Criterion};

fn rows(c: &mut Criterion) {
    common::run_rows(c, &["semaphore_"]);
}

criterion_group!(benches, rows);
criterion_main!(benches);
