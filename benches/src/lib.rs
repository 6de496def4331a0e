//! The benchmark harness of turnstile-sync: one set of workloads and
//! contestants that both the criterion bench targets (`benches/*.rs`) and
//! the report binary (`cargo run --release -p turnstile-benches --bin
//! report`, which regenerates `BENCHMARKS.md`) run.
//!
//! - [`adapters`]: one trait per primitive shape, a thin impl per crate.
//! - [`workloads`]: the workloads, generic over those traits.
//! - [`rows`]: the catalogue of rows × contestants, and the known reasons
//!   where turnstile is not first.
//! - [`exec`]: the tokio and smol executors (2 workers each).
//! - [`measure`]: the report's timing loop (warm-up, samples, medians).
//! - [`alloc`]: the counting allocator for the allocation rows.

pub mod adapters;
pub mod alloc;
pub mod exec;
pub mod measure;
pub mod rows;
pub mod workloads;
