//! Loom models of waiting until free without taking it (issue 11 §3):
//! `Mutex::wait_unlocked`, `RwLock::wait_write_unlocked` and
//! `Semaphore::wait_available` racing a release and a real waiter.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test -p turnstile-sync --release --test loom_watch
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test -p turnstile-sync --release --test loom_watch \
//!     --no-default-features --features critical-section
//! ```
//!
//! In every interleaving both the watcher and the waiter finish: a watcher
//! that took the waiter's wakeup, or missed its own, would leave a thread
//! blocked forever (loom reports a deadlock).
#![cfg(loom)]

mod loom_common;
use loom_common::{drive, model, poll_once};

use loom::sync::Arc;
use loom::thread;
use turnstile_sync::{Mutex, RwLock, Semaphore};

/// Model 1. The mutex is held; W watches, A locks; the holder releases.
#[test]
fn mutex_watcher_and_waiter_vs_release() {
    model(2, || {
        let m = Arc::new(Mutex::new(0usize));
        let held = m.try_lock().unwrap();
        let mw = m.clone();
        let w = thread::spawn(move || {
            drive(mw.wait_unlocked());
        });
        let ma = m.clone();
        let a = thread::spawn(move || *drive(ma.lock()).0 += 1);
        drop(held);
        w.join().unwrap();
        a.join().unwrap();
        assert_eq!(*m.try_lock().expect("the mutex ended held"), 1);
    });
}

/// Model 2. The RwLock is write-locked; W watches, A writes; the writer
/// releases. Both finish: the watcher neither takes the writer's wakeup nor
/// misses its own.
#[test]
fn rwlock_watcher_and_writer_vs_write_unlock() {
    model(2, || {
        let l = Arc::new(RwLock::new(0usize));
        let held = l.try_write().unwrap();
        let lw = l.clone();
        let w = thread::spawn(move || {
            drive(lw.wait_write_unlocked());
        });
        let la = l.clone();
        let a = thread::spawn(move || *drive(la.write()).0 += 1);
        drop(held);
        w.join().unwrap();
        a.join().unwrap();
        assert_eq!(*l.try_read().expect("the lock ended held"), 1);
    });
}

/// Model 3. No permits; W watches for one, A acquires one; one is added.
/// A gets it (strict FIFO, the watcher takes nothing) and gives it back,
/// which W then sees.
#[test]
fn semaphore_watcher_and_waiter_vs_release() {
    model(2, || {
        let s = Arc::new(Semaphore::new(0));
        let sw = s.clone();
        let w = thread::spawn(move || drive(sw.wait_available(1)).0.unwrap());
        let sa = s.clone();
        let a = thread::spawn(move || drop(drive(sa.acquire()).0.unwrap()));
        s.add_permits(1);
        a.join().unwrap();
        w.join().unwrap();
        assert_eq!(s.available_permits(), 1);
    });
}

/// Model 4. A release while a waiter queues hands its permit straight to
/// the waiter, not through the state word; here the waiter (A) is
/// cancelled while the guard is dropped, and W watches for one permit. If A
/// left first, the permit the release had in hand goes into the word, and
/// W must hear of it; if A was served first, its cancel gives the permit
/// back, and W must hear of that. Either way W finishes and the permit
/// ends free.
#[test]
fn semaphore_watcher_vs_hand_off_to_a_cancelled_waiter() {
    loom::lazy_static! {
        static ref S: Semaphore = Semaphore::new(1);
    }
    model(3, || {
        let s: &'static Semaphore = &S;
        let held = s.try_acquire().unwrap();
        let mut a = Box::pin(s.acquire());
        assert!(poll_once(&mut a).is_pending());
        let w = thread::spawn(move || drive(s.wait_available(1)).0.unwrap());
        let c = thread::spawn(move || drop(a));
        drop(held);
        c.join().unwrap();
        w.join().unwrap();
        assert_eq!(s.available_permits(), 1);
    });
}
