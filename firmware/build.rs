//! Puts the board's `memory.x` where cortex-m-rt's `link.x` finds it. The
//! board follows from the target: thumbv7m is the LM3S6965 (Cortex-M3), thumbv6m
//! the micro:bit's nRF51822 (Cortex-M0).
use std::{env, fs, path::PathBuf};

fn main() {
    let target = env::var("TARGET").unwrap();
    let board = match target.as_str() {
        "thumbv7m-none-eabi" => "lm3s6965evb",
        "thumbv6m-none-eabi" => "microbit",
        other => panic!(
            "no board for target {other}: build for thumbv7m-none-eabi or thumbv6m-none-eabi"
        ),
    };
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let memory = manifest.join("boards").join(board).join("memory.x");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    fs::copy(&memory, out.join("memory.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed={}", memory.display());
    println!("cargo:rerun-if-changed=build.rs");
}
