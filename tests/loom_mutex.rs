//! Loom models of `turnstile_sync::Mutex`.
//!
//! Run in both wait-layer tiers (a separate target dir keeps the normal build
//! intact):
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test --release --test loom_mutex
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test --release --test loom_mutex --no-default-features --features critical-section
//! ```
//!
//! The first is the `std` tier (the intrusive list boxed on first
//! contention); the second the bare tier (the list inline). Under loom the
//! list's lock is a loom mutex in both. Every model sets its own preemption
//! bound; `LOOM_MAX_PREEMPTIONS` overrides it for a deeper local run.
//!
//! `HANDOFF_AFTER` is 1 under loom (`src/mutex/raw.rs`), so the hand-off
//! models reach the starving path in a few rounds.
//!
//! The guarded value is read and written through the mutex's `UnsafeCell`,
//! which is loom's under `--cfg loom`: a critical section that does not
//! happen-after the previous one is reported as a causality violation. A
//! lost wakeup leaves a thread parked forever, which loom reports as a
//! deadlock. (A failing model usually aborts the whole test binary: loom
//! panics again while unwinding the blocked threads. The first panic message
//! names the model.)
#![cfg(loom)]

mod loom_common;
use loom_common::{drive, model, poll_once, Signal};

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use loom::sync::Arc;
use loom::thread;
use turnstile_sync::{Lock, Mutex, MutexGuard};

/// Mirrors `HANDOFF_AFTER` in `src/mutex/raw.rs` as built under loom: how
/// many races a woken waiter may lose before the mutex stops barging.
const HANDOFF_AFTER: usize = 1;

/// Locks from a plain (loom) thread: `lock_blocking` where the tier has it
/// (under loom it is `loom::future::block_on` over the same future),
/// otherwise `block_on(lock())` directly.
fn lock_now<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    #[cfg(feature = "std")]
    {
        m.lock_blocking()
    }
    #[cfg(not(feature = "std"))]
    {
        loom::future::block_on(m.lock())
    }
}

/// A non-atomic read-modify-write of the guarded value: two tracked accesses
/// to loom's `UnsafeCell`.
fn bump(guard: &mut MutexGuard<'_, usize>) {
    let value = **guard;
    **guard = value + 1;
}

/// The value, once every thread is done. `try_lock` succeeding also proves
/// the state word is back to rest: not locked, and no starving count left
/// behind (while one is, `try_lock` refuses).
fn final_value(m: &Mutex<usize>) -> usize {
    assert!(!m.is_locked(), "mutex still locked at the end");
    let guard = m
        .try_lock()
        .expect("try_lock refused a free mutex at the end: a starving count leaked?");
    *guard
}

/// Model 1. Two threads race to lock a free mutex and each does a non-atomic
/// increment inside. Proves mutual exclusion with happens-before between the
/// critical sections (loom's `UnsafeCell` tracking), in every interleaving of
/// the uncontended fast path, the contended slow path and the releaser's
/// notify; the final count is exact and the mutex ends at rest.
#[test]
fn lock_unlock_race() {
    const ROUNDS: usize = 2;
    model(5, || {
        let m = Arc::new(Mutex::new(0usize));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let m = m.clone();
                thread::spawn(move || {
                    for _ in 0..ROUNDS {
                        bump(&mut lock_now(&m));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(final_value(&m), 2 * ROUNDS);
    });
}

/// Model 1b. Three threads lock once each: two can be queued at once, so a
/// release's `notify(1)` can meet an earlier, still unconsumed notification,
/// and a waiter that takes the lock on its re-check can withdraw a
/// notification that arrived meanwhile. Proves no wakeup is lost between them, with
/// mutual exclusion and an exact count.
#[test]
fn three_lockers() {
    model(3, || {
        let m = Arc::new(Mutex::new(0usize));
        let threads: Vec<_> = (0..3)
            .map(|_| {
                let m = m.clone();
                thread::spawn(move || bump(&mut lock_now(&m)))
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(final_value(&m), 3);
    });
}

/// Model 2. The main thread holds the lock; a spawned thread's `lock()` runs
/// (fast path fails, it registers, re-checks, waits) while main releases
/// concurrently. Proves no lost wakeup between registration and release: the
/// waiter always completes (a lost wakeup is a loom deadlock).
#[test]
fn release_races_new_waiter() {
    model(6, || {
        let m = Arc::new(Mutex::new(0usize));
        let mut held = m.try_lock().unwrap();
        let waiter = {
            let m = m.clone();
            thread::spawn(move || bump(&mut lock_now(&m)))
        };
        // Written after the other threads started: their critical sections
        // must happen-after this one.
        bump(&mut held);
        drop(held);
        waiter.join().unwrap();
        assert_eq!(final_value(&m), 2);
    });
}

/// Model 3a. Two waiters queued (in order A, B) behind the holder; the holder
/// releases, which notifies A; then A's future is dropped without being
/// polled again, while B's thread is already waiting. Proves the notification
/// A received passes on to B: B always acquires.
#[test]
fn cancel_notified_waiter() {
    loom::lazy_static! {
        static ref M: Mutex<usize> = Mutex::new(0);
    }
    model(6, || {
        let m: &'static Mutex<usize> = &M;
        let mut held = m.try_lock().unwrap();
        let mut a = Box::pin(m.lock());
        let mut b = Box::pin(m.lock());
        assert!(poll_once(&mut a).is_pending());
        assert!(poll_once(&mut b).is_pending());
        let tb = thread::spawn(move || bump(&mut drive(b).0));
        // Written after B's thread started: its critical section must
        // happen-after this one.
        bump(&mut held);
        // A is at the head of the queue and B's thread only ever polls B, so
        // this release notifies A.
        drop(held);
        drop(a);
        tb.join().unwrap();
        assert_eq!(final_value(m), 2);
    });
}

/// Model 3b. As 3a, but A's future is dropped on a thread of its own,
/// concurrently with the release and with B's polling: the release may
/// notify A before, while or after A leaves the queue. Proves B acquires in
/// every case (a notification is never lost to a cancelled waiter, nor held
/// by a dropped one).
#[test]
fn cancel_waiter_racing_release() {
    loom::lazy_static! {
        static ref M: Mutex<usize> = Mutex::new(0);
    }
    model(6, || {
        let m: &'static Mutex<usize> = &M;
        let mut held = m.try_lock().unwrap();
        let mut a = Box::pin(m.lock());
        let mut b = Box::pin(m.lock());
        assert!(poll_once(&mut a).is_pending());
        assert!(poll_once(&mut b).is_pending());
        let ta = thread::spawn(move || drop(a));
        let tb = thread::spawn(move || bump(&mut drive(b).0));
        // Written after the other threads started: their critical sections
        // must happen-after this one.
        bump(&mut held);
        drop(held);
        ta.join().unwrap();
        tb.join().unwrap();
        assert_eq!(final_value(m), 2);
    });
}

/// Model 4. Three parties: the holder releases while a waiter is locking and
/// a third thread calls `try_lock` (barging past the woken waiter when it
/// can). Proves that a successful `try_lock` never strands the waiter (its
/// own release notifies it), mutual exclusion between the two, and an exact
/// count.
#[test]
fn try_lock_vs_unlock_vs_waiter() {
    model(5, || {
        let m = Arc::new(Mutex::new(0usize));
        let mut held = m.try_lock().unwrap();
        let waiter = {
            let m = m.clone();
            thread::spawn(move || bump(&mut lock_now(&m)))
        };
        let barger = {
            let m = m.clone();
            thread::spawn(move || match m.try_lock() {
                Some(mut guard) => {
                    bump(&mut guard);
                    1
                }
                None => 0,
            })
        };
        // Written after the other threads started: their critical sections
        // must happen-after this one.
        bump(&mut held);
        drop(held);
        let barged = barger.join().unwrap();
        waiter.join().unwrap();
        assert_eq!(final_value(&m), 2 + barged);
    });
}

/// How many lock/unlock rounds the barging thread runs in the hand-off
/// models: enough that, without hand-off, the waiter could lose more races
/// than the bound allows.
const BARGING_ROUNDS: usize = HANDOFF_AFTER + 2;

/// Drives the lock future `w` to completion on this thread, as
/// `loom_common::drive` does, and returns the guard with how many of its
/// polls were waits and how many races it lost. A wait is a `Pending` poll
/// that lost no race: the waiter holds no notification and needs one. A
/// poll that loses a race queues the waiter again with this poll's waker
/// and may return `Pending` at once; a notification that raced that
/// re-queueing has then woken the waker already, and the next poll finds
/// it, so such a `Pending` is counted as the lost race it is, not as a
/// wait.
fn drive_counting<T>(mut w: Pin<Box<Lock<'_, T>>>) -> (MutexGuard<'_, T>, usize, usize) {
    let signal = Signal::new();
    let waker = Waker::from(signal.clone());
    let mut cx = Context::from_waker(&waker);
    let mut waits = 0;
    loop {
        let lost_before = w.lost_races();
        match w.as_mut().poll(&mut cx) {
            Poll::Ready(guard) => return (guard, waits, usize::from(w.lost_races())),
            Poll::Pending => {
                if w.lost_races() == lost_before {
                    waits += 1;
                }
                signal.wait();
            }
        }
    }
}

/// Model 5a. A waiter W is queued behind main; main releases and then keeps
/// re-locking (barging) for `BARGING_ROUNDS` rounds while W's thread drives
/// W. Proves the hand-off path: once W has lost `HANDOFF_AFTER` races it is
/// counted as starving, main's later `lock()`s queue behind it instead of
/// barging, and W is served. W's thread therefore waits at most
/// `HANDOFF_AFTER + 1` times (once before its first notification, once per
/// lost race; see `drive_counting`); without hand-off it could wait
/// `BARGING_ROUNDS + 1` times. And W loses at most `HANDOFF_AFTER + 1`
/// races: the last one to a barger that took the lock between W's decision
/// to start starving and the write that counts it, found when W looks at a
/// notification from the release before. Also: no lost wakeup through the
/// starving path (both sides finish), and the starving count returns to
/// zero.
#[test]
fn starving_waiter_gets_handoff() {
    loom::lazy_static! {
        static ref M: Mutex<usize> = Mutex::new(0);
    }
    model(5, || {
        let m: &'static Mutex<usize> = &M;
        let mut held = m.try_lock().unwrap();
        let mut w = Box::pin(m.lock());
        assert!(poll_once(&mut w).is_pending());
        let tw = thread::spawn(move || {
            let (mut guard, waits, lost) = drive_counting(w);
            bump(&mut guard);
            (waits, lost)
        });
        // Written after the other threads started: their critical sections
        // must happen-after this one.
        bump(&mut held);
        drop(held);
        for _ in 0..BARGING_ROUNDS {
            bump(&mut lock_now(m));
        }
        let (waits, lost) = tw.join().unwrap();
        assert!(
            waits <= HANDOFF_AFTER + 1,
            "waiter was passed over: it waited {waits} times"
        );
        assert!(
            lost <= HANDOFF_AFTER + 1,
            "waiter was passed over: it lost {lost} races"
        );
        assert_eq!(final_value(m), BARGING_ROUNDS + 2);
    });
}

/// Model 5b. As 5a, but W's thread polls it at most twice and then drops
/// it: in the interleavings where it has become starving by then, its
/// cancellation must remove it from the starving count (else main's next
/// `lock()` and every `try_lock` would be refused forever) and pass on any
/// notification it held. Proves main always finishes its rounds and the
/// mutex ends at rest.
#[test]
fn starving_waiter_cancelled() {
    loom::lazy_static! {
        static ref M: Mutex<usize> = Mutex::new(0);
    }
    model(5, || {
        let m: &'static Mutex<usize> = &M;
        let mut held = m.try_lock().unwrap();
        let mut w = Box::pin(m.lock());
        assert!(poll_once(&mut w).is_pending());
        let tw = thread::spawn(move || {
            let signal = Signal::new();
            let waker = Waker::from(signal.clone());
            let mut cx = Context::from_waker(&waker);
            for attempt in 0..2 {
                match w.as_mut().poll(&mut cx) {
                    Poll::Ready(mut guard) => {
                        bump(&mut guard);
                        return 1;
                    }
                    Poll::Pending if attempt == 0 => signal.wait(),
                    // Dropped here, possibly while counted as starving or
                    // holding a notification.
                    Poll::Pending => {}
                }
            }
            0
        });
        // Written after the other threads started: their critical sections
        // must happen-after this one.
        bump(&mut held);
        drop(held);
        for _ in 0..BARGING_ROUNDS {
            bump(&mut lock_now(m));
        }
        let acquired = tw.join().unwrap();
        assert_eq!(final_value(m), BARGING_ROUNDS + 1 + acquired);
    });
}

/// Model 6. A spurious poll racing a release. A and B are queued behind
/// main, A first; main releases (notifying A) while A's thread drives A and
/// B's thread polls B once without any wakeup (as a `select!` polls a branch
/// woken by another one), then drives it. B's extra poll may find the lock
/// held, or free and take it (A then loses a race and re-queues), possibly
/// withdrawing a notification that reached it meanwhile. Proves mutual
/// exclusion, no lost wakeup (both finish), and the mutex ends at rest.
#[test]
fn spurious_poll_vs_release() {
    loom::lazy_static! {
        static ref M: Mutex<usize> = Mutex::new(0);
    }
    model(3, || spurious_poll_race(&M, false));
}

/// Model 7. Model 6 with the roles swapped: the waiter polled without a
/// wakeup is the head (A), B waits behind it for a wakeup. A's extra poll
/// may take the lock in the moment between main's unlock and main's
/// clearing of `CONTENDED`, and then withdraw the notification main sends
/// to the head. So main must leave `CONTENDED` set for A's release to wake
/// B: had it cleared the flag after A took the lock, B would be stranded
/// (loom reports the deadlock). Proves no lost wakeup across that moment.
#[test]
fn spurious_poll_of_head_vs_release() {
    loom::lazy_static! {
        static ref M: Mutex<usize> = Mutex::new(0);
    }
    model(3, || spurious_poll_race(&M, true));
}

/// The body of models 6 and 7: A and B queue behind main, A first; one of
/// them (A if `head_polled`, else B) is polled once without a wakeup by its
/// thread before that thread drives it; main releases.
fn spurious_poll_race(m: &'static Mutex<usize>, head_polled: bool) {
    let mut held = m.try_lock().unwrap();
    let mut a = Box::pin(m.lock());
    let mut b = Box::pin(m.lock());
    assert!(poll_once(&mut a).is_pending());
    assert!(poll_once(&mut b).is_pending());
    let ta = thread::spawn(waiter(a, head_polled));
    let tb = thread::spawn(waiter(b, !head_polled));
    // Written after the other threads started: their critical sections
    // must happen-after this one.
    bump(&mut held);
    drop(held);
    ta.join().unwrap();
    tb.join().unwrap();
    assert_eq!(final_value(m), 3);
}

/// A queued waiter's thread: polls `fut` once without a wakeup if `polled`
/// (keeping the lock if that takes it), else drives it to completion.
fn waiter(mut fut: Pin<Box<Lock<'static, usize>>>, polled: bool) -> impl FnOnce() + Send {
    move || {
        if polled {
            if let Poll::Ready(mut guard) = poll_once(&mut fut) {
                return bump(&mut guard);
            }
        }
        bump(&mut drive(fut).0);
    }
}
