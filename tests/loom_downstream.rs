//! The loom model shown in the crate docs ("Model-checking your own code with
//! loom"), kept here so the documented example is known to run: it uses only
//! the public API, as a downstream crate's test would.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test -p turnstile-sync --release --test loom_downstream
//! ```
#![cfg(loom)]

use loom::sync::Arc;
use turnstile_sync::Mutex;

#[test]
fn two_increments_are_never_lost() {
    loom::model(|| {
        let counter = Arc::new(Mutex::new(0));
        let other = counter.clone();
        let t =
            loom::thread::spawn(move || loom::future::block_on(async { *other.lock().await += 1 }));
        loom::future::block_on(async { *counter.lock().await += 1 });
        t.join().unwrap();
        assert_eq!(*counter.try_lock().unwrap(), 2);
    });
}
