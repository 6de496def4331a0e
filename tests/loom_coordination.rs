//! Loom models of `Barrier`, `Latch` and `Condvar`.
//!
//! Run in both wait-layer tiers, like `tests/loom_mutex.rs`:
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test --release --test loom_coordination
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test --release --test loom_coordination --no-default-features --features critical-section
//! ```
//!
//! A lost wakeup leaves a thread waiting forever on its `Signal`, which loom
//! reports as a deadlock; data written before a release and read after it
//! go through loom's `UnsafeCell`, so a missing happens-before is reported
//! as a causality violation. Each model sets its own preemption bound
//! (`LOOM_MAX_PREEMPTIONS` overrides it).
#![cfg(loom)]

mod loom_common;
use loom_common::{drive, model, poll_once};

use std::future::Future;
use std::task::Poll;

use loom::cell::UnsafeCell;
use loom::sync::atomic::AtomicBool;
use loom::sync::atomic::Ordering::SeqCst;
use loom::thread;
use turnstile_sync::{Barrier, Condvar, Latch, Mutex};

/// Locks from a plain (loom) thread.
fn lock_now<T>(m: &Mutex<T>) -> turnstile_sync::MutexGuard<'_, T> {
    drive(m.lock()).0
}

/// Barrier 1. n = 2. A cancelled arrival races the arrival that would
/// complete the generation with it: C's future arrived (first), then C's
/// thread drops it while L's thread arrives. Either L's arrival came first
/// and completed the generation with C's (L is the leader, C's drop changes
/// nothing), or C's withdrawal came first and L is alone, pending, until a
/// third, live arrival: never a release with a dead arrival, never a
/// second leader, and the barrier ends at rest.
#[test]
fn barrier_last_arrival_vs_cancelled_arrival() {
    loom::lazy_static! {
        static ref B: Barrier = Barrier::new(2);
    }
    model(6, || {
        let b: &'static Barrier = &B;
        let mut c = Box::pin(b.wait());
        assert!(poll_once(&mut c).is_pending());
        // Set once C's drop has returned: an arrival that starts after that
        // must not find C's arrival still counted.
        let dropped = loom::sync::Arc::new(AtomicBool::new(false));
        let d = dropped.clone();
        let tc = thread::spawn(move || {
            drop(c);
            d.store(true, SeqCst);
        });
        let tl = thread::spawn(move || {
            let after_drop = dropped.load(SeqCst);
            let mut l = Box::pin(b.wait());
            match poll_once(&mut l) {
                Poll::Ready(r) => {
                    assert!(!after_drop, "released with an arrival dropped before");
                    (Some(r.is_leader()), None)
                }
                Poll::Pending => (None, Some(l)),
            }
        });
        tc.join().unwrap();
        let (ready, pending) = tl.join().unwrap();
        match (ready, pending) {
            // L completed the generation that C's arrival was part of.
            (Some(leader), None) => assert!(leader, "the completing arrival must lead"),
            // C withdrew first: L is alone and must stay pending.
            (None, Some(l)) => {
                let (tx, _) = drive_or_pending(l);
                let l = tx.expect("released with a withdrawn arrival");
                let mut m = Box::pin(b.wait());
                match poll_once(&mut m) {
                    Poll::Ready(r) => assert!(r.is_leader()),
                    Poll::Pending => panic!("third arrival did not complete"),
                }
                let (r, _) = drive(l);
                assert!(!r.is_leader(), "two leaders in one generation");
            }
            _ => unreachable!(),
        }
        assert_eq!(format!("{b:?}"), "Barrier { n: 2, arrived: 0 }");
    });
}

/// Polls once more: `Some(fut)` if still pending, `None` if it completed.
fn drive_or_pending<F: Future + Unpin>(mut fut: F) -> (Option<F>, Option<F::Output>) {
    match poll_once(&mut fut) {
        Poll::Ready(out) => (None, Some(out)),
        Poll::Pending => (Some(fut), None),
    }
}

/// Barrier 3. n = 2. A released waiter's drop races its own release and the
/// next generation: A arrived (pending); then B's thread arrives, C's thread
/// arrives and A's thread drops A, all at once. Either A's drop came first
/// and took its arrival back (B and C then complete one generation
/// together), or B's or C's arrival completed A's generation, and A's drop,
/// whenever it runs — while the release is still under way or after it —
/// takes back nothing: the other of B and C waits in the next generation
/// until a fourth arrival D. Never two leaders in a generation, never a live
/// arrival lost (a waiter left without its partner waits forever, which loom
/// reports as a deadlock), and the barrier ends at rest.
#[test]
fn barrier_released_drop_vs_release_and_next_generation() {
    loom::lazy_static! {
        static ref B: Barrier = Barrier::new(2);
    }
    model(5, || {
        let b: &'static Barrier = &B;
        let mut a = Box::pin(b.wait());
        assert!(poll_once(&mut a).is_pending());
        let arrive = move || {
            let mut f = Box::pin(b.wait());
            match poll_once(&mut f) {
                Poll::Ready(r) => (Some(r.is_leader()), None),
                Poll::Pending => (None, Some(f)),
            }
        };
        let ta = thread::spawn(move || drop(a));
        let tb = thread::spawn(arrive);
        let tc = thread::spawn(arrive);
        ta.join().unwrap();
        let results = [tb.join().unwrap(), tc.join().unwrap()];
        let mut d = Box::pin(b.wait());
        match results {
            // A withdrew first: B and C made a generation of their own.
            [(Some(x), None), (Some(y), None)] => {
                assert!(x != y, "one leader per generation");
                assert!(poll_once(&mut d).is_pending(), "D released alone");
                drop(d);
            }
            // The ready one completed a generation: A's (the pending one
            // then waits for D), or the pending one's (A withdrew first).
            [(Some(leader), None), (None, Some(pending))]
            | [(None, Some(pending)), (Some(leader), None)] => {
                assert!(leader, "the arrival completing a generation leads");
                if let Poll::Ready(r) = poll_once(&mut d) {
                    assert!(r.is_leader());
                }
                // If D is alone, the pending one must have been released
                // already; had A's drop taken back its arrival instead, this
                // waits forever (a loom deadlock).
                let (r, _) = drive(pending);
                assert!(!r.is_leader(), "two leaders in one generation");
                drop(d);
            }
            _ => panic!("two live arrivals of a barrier of 2 both wait"),
        }
        assert_eq!(format!("{b:?}"), "Barrier { n: 2, arrived: 0 }");
    });
}

/// Barrier 2. n = 2, two threads each pass two generations, writing a
/// cell before each wait and reading the other's after it. Proves the
/// release orders every arrival's writes before every waiter's reads
/// (loom's cell tracking), one leader per generation, and no lost wakeup
/// between a leader's notify and the next generation's registrations.
#[test]
fn barrier_two_generations() {
    model(2, || {
        let shared = loom::sync::Arc::new((
            Barrier::new(2),
            [UnsafeCell::new(0usize), UnsafeCell::new(0usize)],
        ));
        let threads: Vec<_> = (0..2)
            .map(|t| {
                let shared = shared.clone();
                thread::spawn(move || {
                    let (b, cells) = (&shared.0, &shared.1);
                    let mut leaders = 0;
                    for g in 1..=2 {
                        // SAFETY: each thread writes only its own cell, and
                        // only between barriers; loom checks the claim.
                        cells[t].with_mut(|c| unsafe { *c = g });
                        let (r, _) = drive(b.wait());
                        leaders += usize::from(r.is_leader());
                        // SAFETY: as above; the barrier orders the writes.
                        let other = cells[1 - t].with(|c| unsafe { *c });
                        assert_eq!(other, g);
                        // Keep the next write after the other's read.
                        let (r, _) = drive(b.wait());
                        leaders += usize::from(r.is_leader());
                    }
                    leaders
                })
            })
            .collect();
        let leaders: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(leaders, 4, "one leader per generation");
    });
}

/// Latch. count 2: two threads write a cell each and count down while the
/// main thread waits. Proves no lost wakeup between the last count-down
/// and the wait's registration, and that the wait sees both writes.
#[test]
fn latch_count_down_vs_wait() {
    model(4, || {
        let shared = loom::sync::Arc::new((
            Latch::new(2),
            [UnsafeCell::new(0usize), UnsafeCell::new(0usize)],
        ));
        let threads: Vec<_> = (0..2)
            .map(|t| {
                let shared = shared.clone();
                thread::spawn(move || {
                    // SAFETY: own cell, before the count-down; loom checks.
                    shared.1[t].with_mut(|c| unsafe { *c = t + 1 });
                    shared.0.count_down();
                })
            })
            .collect();
        drive(shared.0.wait());
        for (t, cell) in shared.1.iter().enumerate() {
            // SAFETY: the latch is open: both writes happened-before.
            assert_eq!(cell.with(|c| unsafe { *c }), t + 1);
        }
        for t in threads {
            t.join().unwrap();
        }
    });
}

/// Condvar 1. A waiter waits for a flag; the notifier sets it under the
/// lock and calls `notify_one` after unlocking. Proves no lost wakeup in
/// any interleaving of register-then-unlock against set-unlock-notify.
#[test]
fn condvar_notify_vs_wait() {
    model(5, || {
        let shared = loom::sync::Arc::new((Mutex::new(false), Condvar::new()));
        let s = shared.clone();
        let waiter = thread::spawn(move || {
            let (m, cv) = (&s.0, &s.1);
            let guard = drive(cv.wait_until(lock_now(m), |ready| *ready)).0;
            assert!(*guard);
        });
        *lock_now(&shared.0) = true;
        shared.1.notify_one();
        waiter.join().unwrap();
    });
}

/// Condvar 2. Two waiters each take one token; the notifier adds one token
/// and calls `notify_one`, twice. With "at least one notified" semantics
/// the second call could be swallowed by the first one's unconsumed
/// notification; `notify_one` must wake one more waiter each time.
#[test]
fn condvar_notify_one_twice() {
    model(3, || {
        let shared = loom::sync::Arc::new((Mutex::new(0usize), Condvar::new()));
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let s = shared.clone();
                thread::spawn(move || {
                    let (m, cv) = (&s.0, &s.1);
                    let mut tokens = drive(cv.wait_until(lock_now(m), |t| *t > 0)).0;
                    *tokens -= 1;
                })
            })
            .collect();
        for _ in 0..2 {
            *lock_now(&shared.0) += 1;
            shared.1.notify_one();
        }
        for w in waiters {
            w.join().unwrap();
        }
        assert_eq!(*lock_now(&shared.0), 0);
    });
}

/// Condvar 3. A registered waiter C is dropped on its own thread while the
/// notifier makes a token available and calls `notify_one`, and waiter W
/// waits for the token. If the notification picked C, C's drop must pass
/// it on to W: W always gets the token.
#[test]
fn condvar_cancelled_waiter_passes_on() {
    loom::lazy_static! {
        static ref STATE: (Mutex<usize>, Condvar) = (Mutex::new(0), Condvar::new());
    }
    model(4, || {
        let state: &'static (Mutex<usize>, Condvar) = &STATE;
        let (m, cv) = (&state.0, &state.1);
        let mut c = Box::pin(cv.wait(m.try_lock().unwrap()));
        assert!(poll_once(&mut c).is_pending());
        let tc = thread::spawn(move || drop(c));
        let tw = thread::spawn(move || {
            let mut tokens = drive(cv.wait_until(lock_now(m), |t| *t > 0)).0;
            *tokens -= 1;
        });
        *lock_now(m) += 1;
        cv.notify_one();
        tc.join().unwrap();
        tw.join().unwrap();
        assert_eq!(*m.try_lock().unwrap(), 0);
    });
}

/// Latch and a panicking waker. Waiters A (whose waker panics), B and C;
/// one thread opens the latch, another drops A, and C is driven here. If
/// the count-down notified A first, A's panic reaches it, and B and C are
/// notified all the same, with the queue's count of notified waiters right
/// when A leaves; if A left first, nobody panics. Either way C completes
/// and B completes when polled. (With the event-listener wait layer of
/// earlier versions, a notified A unwound out of event-listener's loop: C
/// was never woken, and A's leaving underflowed the count.)
#[test]
fn latch_panicking_wake_vs_cancel() {
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::pin::Pin;
    use std::task::Context;
    model(3, || {
        let latch = loom::sync::Arc::new(Latch::new(1));
        let bomb = loom_common::panicking_waker();
        // Each waiter owns a clone of the latch it borrows, so it may go to
        // another thread.
        let wait = |latch: &loom::sync::Arc<Latch>| {
            let latch = latch.clone();
            Box::pin(async move { latch.wait().await })
        };
        let mut a = wait(&latch);
        assert!(Pin::new(&mut a)
            .poll(&mut Context::from_waker(&bomb))
            .is_pending());
        let mut b = wait(&latch);
        assert!(poll_once(&mut b).is_pending());
        let mut c = wait(&latch);
        assert!(poll_once(&mut c).is_pending());
        let l = latch.clone();
        let opener =
            thread::spawn(
                move || match catch_unwind(AssertUnwindSafe(|| l.count_down())) {
                    Ok(()) => false,
                    Err(p) if loom_common::is_waker_panic(&*p) => true,
                    Err(p) => std::panic::resume_unwind(p),
                },
            );
        let canceller = thread::spawn(move || drop(a));
        drive(c);
        opener.join().unwrap();
        canceller.join().unwrap();
        assert!(poll_once(&mut b).is_ready(), "B was stranded");
        assert!(latch.try_wait());
    });
}
