//! Benchmarks only: see `benches/` and `cargo bench -p turnstile-benches`.
