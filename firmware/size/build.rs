//! Links against the generic Cortex-M4F memory map in `../boards/generic-m4`.
use std::{env, fs, path::PathBuf};

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let memory = manifest.join("../boards/generic-m4/memory.x");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    fs::copy(&memory, out.join("memory.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed={}", memory.display());
    println!("cargo:rerun-if-changed=build.rs");
}
