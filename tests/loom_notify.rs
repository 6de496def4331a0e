//! Loom models of `turnstile_sync::Notify`.
//!
//! Run in both tiers (the notify's queue is the data queue, whose lock is a
//! loom mutex under loom in every tier; the tiers differ in where nodes
//! live):
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test -p turnstile-sync --release --test loom_notify
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test -p turnstile-sync --release --test loom_notify --no-default-features --features critical-section
//! ```
//!
//! A lost wakeup leaves a thread waiting forever on its `Signal`, which loom
//! reports as a deadlock. Data written before a notify and read after the
//! wait goes through loom's `UnsafeCell`, so a missing happens-before is a
//! causality violation. Each model ends by checking whether a permit is
//! stored, so a notification that was lost, or kept twice, shows. Each model
//! sets its own preemption bound; `LOOM_MAX_PREEMPTIONS` overrides it.
#![cfg(loom)]

mod loom_common;
use loom_common::{drive, model, poll_once};

use std::pin::pin;

use loom::cell::UnsafeCell;
use loom::sync::atomic::AtomicBool;
use loom::sync::atomic::Ordering::SeqCst;
use loom::sync::Arc;
use loom::thread;
use turnstile_sync::Notify;

/// Whether a permit is stored (takes it). Registers and leaves if not.
fn take_permit(notify: &Notify) -> bool {
    pin!(notify.notified()).as_mut().enable()
}

/// Model 1. `notify_one` vs registration: A waits (first poll: fast path
/// fails, registers under the lock, re-checks, parks) while B writes a cell
/// and calls `notify_one`. A always completes and sees the write, whether
/// the notify found it queued or stored the permit it then took; no permit
/// is left.
#[test]
fn notify_one_vs_registration() {
    loom::lazy_static! {
        static ref N: Notify = Notify::new();
    }
    model(6, || {
        let n: &'static Notify = &N;
        let data = Arc::new(UnsafeCell::new(0usize));
        let d = data.clone();
        let ta = thread::spawn(move || {
            drive(n.notified());
            // SAFETY: B wrote before notifying; the notification orders it.
            assert_eq!(d.with(|v| unsafe { *v }), 1);
        });
        let d = data.clone();
        let tb = thread::spawn(move || {
            // SAFETY: only B writes, before the notify; A reads after.
            d.with_mut(|v| unsafe { *v = 1 });
            n.notify_one();
        });
        ta.join().unwrap();
        tb.join().unwrap();
        assert!(
            !take_permit(n),
            "the notification was both taken and stored"
        );
    });
}

/// Model 2. Two `notify_one`s from two threads, W1 queued before them and
/// W2 registering meanwhile: the first notify to take the lock wakes W1;
/// the second wakes W2 if it has queued, or is stored for it. Both
/// complete and nothing is left over. (With W1 not queued either, both
/// notifies could find nobody and be stored as the one permit: permits do
/// not add up.)
#[test]
fn two_notify_ones_vs_a_registration() {
    loom::lazy_static! {
        static ref N: Notify = Notify::new();
    }
    model(3, || {
        let n: &'static Notify = &N;
        let mut w1 = Box::pin(n.notified());
        assert!(poll_once(&mut w1).is_pending());
        let t1 = thread::spawn(move || {
            drive(w1);
        });
        let t2 = thread::spawn(move || {
            drive(n.notified());
        });
        let tn = thread::spawn(move || n.notify_one());
        n.notify_one();
        tn.join().unwrap();
        t1.join().unwrap();
        t2.join().unwrap();
        assert!(!take_permit(n));
    });
}

/// Model 3. `notify_one` vs a cancelled waiter: W1 and W2 are queued; one
/// thread drops W1 while another calls `notify_one`, and W2 is driven on a
/// third. Either the notify woke W1, which passes it on to W2 as it leaves,
/// or W1 left first and the notify wakes W2: W2 completes in every
/// interleaving, and nothing is stored.
#[test]
fn notify_one_vs_cancelled_waiter() {
    loom::lazy_static! {
        static ref N: Notify = Notify::new();
    }
    model(4, || {
        let n: &'static Notify = &N;
        let mut w1 = Box::pin(n.notified());
        let mut w2 = Box::pin(n.notified());
        assert!(poll_once(&mut w1).is_pending());
        assert!(poll_once(&mut w2).is_pending());
        let t1 = thread::spawn(move || drop(w1));
        let t2 = thread::spawn(move || {
            drive(w2);
        });
        n.notify_one();
        t1.join().unwrap();
        t2.join().unwrap();
        assert!(!take_permit(n), "W2 completed, so nothing is left to store");
    });
}

/// Model 3b. The same race with nobody behind W1: the notification ends up
/// stored, whether W1 passed it on (it was woken first) or the notify found
/// the queue empty.
#[test]
fn notify_one_vs_cancelled_last_waiter() {
    loom::lazy_static! {
        static ref N: Notify = Notify::new();
    }
    model(6, || {
        let n: &'static Notify = &N;
        let mut w1 = Box::pin(n.notified());
        assert!(poll_once(&mut w1).is_pending());
        let t1 = thread::spawn(move || drop(w1));
        n.notify_one();
        t1.join().unwrap();
        assert!(take_permit(n), "the notification was lost");
        assert!(!take_permit(n));
    });
}

/// Model 4. `notify_waiters` vs a registering waiter: A's future is created
/// before the call (so it must complete) and first polled while the call
/// runs; C creates its future only after the call returned (so it must
/// not be completed by it). A sees the cell B wrote before the call.
#[test]
fn notify_waiters_vs_registering_waiter() {
    loom::lazy_static! {
        static ref N: Notify = Notify::new();
    }
    model(5, || {
        let n: &'static Notify = &N;
        let data = Arc::new(UnsafeCell::new(0usize));
        let returned = Arc::new(AtomicBool::new(false));
        let a = n.notified();
        let d = data.clone();
        let ta = thread::spawn(move || {
            drive(a);
            // SAFETY: B wrote before notify_waiters, which completed A.
            assert_eq!(d.with(|v| unsafe { *v }), 1);
        });
        let (d, r) = (data.clone(), returned.clone());
        let tb = thread::spawn(move || {
            // SAFETY: only B writes, before the notify.
            d.with_mut(|v| unsafe { *v = 1 });
            n.notify_waiters();
            r.store(true, SeqCst);
        });
        // C: created after the call returned, it is not completed by it.
        if returned.load(SeqCst) {
            let mut c = Box::pin(n.notified());
            assert!(poll_once(&mut c).is_pending(), "woken by an earlier call");
        }
        ta.join().unwrap();
        tb.join().unwrap();
        assert!(!take_permit(n), "notify_waiters stored something");
    });
}

/// Model 5. enable-check-wait against a flag: A creates its future, enables
/// it, checks the flag and only then waits; B sets the flag and notifies.
/// With `notify_one` and with `notify_waiters`, A never sleeps through the
/// notification. With `notify_one`, a permit is left exactly when A did
/// not consume the notification (it saw the flag and dropped its future:
/// the notify found it gone, or found it queued and the drop passed it on).
#[test]
fn enable_check_wait_vs_notify() {
    for waiters in [false, true] {
        loom::lazy_static! {
            static ref N: Notify = Notify::new();
        }
        model(5, move || {
            let n: &'static Notify = &N;
            let flag = Arc::new(AtomicBool::new(false));
            let f = flag.clone();
            let ta = thread::spawn(move || {
                let mut notified = Box::pin(n.notified());
                if notified.as_mut().enable() {
                    return true;
                }
                if f.load(SeqCst) {
                    return false; // dropped unconsumed
                }
                drive(notified);
                true
            });
            let tb = thread::spawn(move || {
                flag.store(true, SeqCst);
                if waiters {
                    n.notify_waiters();
                } else {
                    n.notify_one();
                }
            });
            let consumed = ta.join().unwrap();
            tb.join().unwrap();
            let stored = take_permit(n);
            if waiters {
                assert!(!stored, "notify_waiters stored something");
            } else {
                assert_eq!(stored, !consumed, "a notify_one was lost or doubled");
            }
        });
    }
}

/// Model 6. A waiter woken by `notify_waiters` is dropped while a waiter
/// created after the call registers: the dropped one passes nothing on, so
/// the newcomer stays pending (and is never woken) and no permit appears.
#[test]
fn dropped_notify_waiters_wakeup_passes_nothing_on() {
    loom::lazy_static! {
        static ref N: Notify = Notify::new();
    }
    model(5, || {
        let n: &'static Notify = &N;
        let returned = Arc::new(AtomicBool::new(false));
        let mut w1 = Box::pin(n.notified());
        assert!(poll_once(&mut w1).is_pending());
        let r = returned.clone();
        let t = thread::spawn(move || {
            n.notify_waiters();
            r.store(true, SeqCst);
            drop(w1);
        });
        if returned.load(SeqCst) {
            let mut w2 = Box::pin(n.notified());
            assert!(poll_once(&mut w2).is_pending());
            t.join().unwrap();
            assert!(poll_once(&mut w2).is_pending(), "a wakeup was passed on");
        } else {
            t.join().unwrap();
        }
        assert!(!take_permit(n));
    });
}
