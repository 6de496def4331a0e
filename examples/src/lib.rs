//! Examples only: see the `*.rs` files beside this crate's Cargo.toml.
