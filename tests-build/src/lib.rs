//! Compile-fail tests only: see `tests/ui.rs`.
