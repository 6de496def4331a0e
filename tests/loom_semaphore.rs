//! Loom models of `turnstile_sync::Semaphore` and its wait queue (`src/wait/data.rs`).
//!
//! Run in both tiers the models distinguish (the data queue's lock is a loom
//! mutex under loom in every tier; the tiers differ in where nodes live):
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test --release --test loom_semaphore
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test --release --test loom_semaphore --no-default-features --features critical-section
//! ```
//!
//! A lost wakeup leaves a thread waiting forever on its `Signal`, which loom
//! reports as a deadlock. Each model checks the permits are exact at the end
//! (nothing stranded in a node, nothing counted twice). Each model sets its
//! own preemption bound; `LOOM_MAX_PREEMPTIONS` overrides it.
#![cfg(loom)]

mod loom_common;
use loom_common::{drive, model, poll_once};

use std::task::Poll;

use loom::cell::UnsafeCell;
use loom::sync::atomic::AtomicBool;
use loom::sync::atomic::Ordering::SeqCst;
use loom::sync::Arc;
use loom::thread;
use turnstile_sync::{Closed, Semaphore, TryAcquireError};

/// Model 1. Release vs acquire: B holds the only permit; A acquires (fast
/// path fails, registers, re-checks, parks) while B releases. In every
/// interleaving A gets the permit (no lost wakeup) and it comes back. B
/// writes a loom `UnsafeCell` before releasing and A reads it after
/// acquiring: a grant that does not happen-after the release (through the
/// state word or the queue's settling) is a causality violation.
#[test]
fn release_vs_acquire() {
    loom::lazy_static! {
        static ref S: Semaphore = Semaphore::new(1);
    }
    model(6, || {
        let s: &'static Semaphore = &S;
        let data = Arc::new(UnsafeCell::new(0usize));
        let g = s.try_acquire().unwrap();
        let d = data.clone();
        let ta = thread::spawn(move || {
            let (g, _) = drive(s.acquire_many(1));
            assert_eq!(g.unwrap().permits(), 1);
            // SAFETY: the permit is held: B's write happened before.
            assert_eq!(d.with(|v| unsafe { *v }), 1);
        });
        let d = data.clone();
        let tb = thread::spawn(move || {
            // SAFETY: B holds the only permit.
            d.with_mut(|v| unsafe { *v = 1 });
            drop(g)
        });
        ta.join().unwrap();
        tb.join().unwrap();
        assert_eq!(s.available_permits(), 1);
        assert!(s.try_acquire().is_ok());
    });
}

/// Model 2. The head (A, wants 2) has 1 permit set aside and is cancelled
/// while another thread releases the permit it was missing; B (wants 1),
/// queued behind A, is driven on a third thread. B must be served (no
/// stranded permits, no lost wakeup) and at the end both permits are free.
#[test]
fn cancelled_head_with_partial_permits_vs_release() {
    loom::lazy_static! {
        static ref S: Semaphore = Semaphore::new(2);
    }
    model(5, || {
        let s: &'static Semaphore = &S;
        let g = s.try_acquire().unwrap();
        let mut a = Box::pin(s.acquire_many(2));
        assert!(poll_once(&mut a).is_pending());
        assert_eq!(s.available_permits(), 0, "1 set aside for A");
        let mut b = Box::pin(s.acquire_many(1));
        assert!(poll_once(&mut b).is_pending());
        let ta = thread::spawn(move || drop(a));
        let tb = thread::spawn(move || {
            let (g, _) = drive(b);
            drop(g.unwrap());
        });
        drop(g);
        ta.join().unwrap();
        tb.join().unwrap();
        assert_eq!(s.available_permits(), 2);
        assert_eq!(s.try_acquire_many(2).unwrap().permits(), 2);
    });
}

/// Model 2b. The same cancel with nobody behind, racing a release: the
/// set-aside and the released permit both end up free.
#[test]
fn cancelled_head_vs_release_alone() {
    loom::lazy_static! {
        static ref S: Semaphore = Semaphore::new(2);
    }
    model(6, || {
        let s: &'static Semaphore = &S;
        let g = s.try_acquire().unwrap();
        let mut a = Box::pin(s.acquire_many(3));
        assert!(poll_once(&mut a).is_pending());
        let ta = thread::spawn(move || drop(a));
        let tb = thread::spawn(move || drop(g));
        ta.join().unwrap();
        tb.join().unwrap();
        assert_eq!(s.available_permits(), 2);
        assert_eq!(s.try_acquire_many(2).unwrap().permits(), 2);
    });
}

/// Model 3. Close vs acquire: A wants 2 with 1 free (1 set aside) while one
/// thread adds the missing permit and the main thread closes. A ends with
/// `Ok` (the add served it first) or `Err(Closed)`, never hangs, and the
/// permits are exact afterwards: A's set-aside is given back on `Closed`.
#[test]
fn close_vs_acquire() {
    loom::lazy_static! {
        static ref S: Semaphore = Semaphore::new(1);
    }
    model(4, || {
        let s: &'static Semaphore = &S;
        let ta = thread::spawn(move || {
            let (r, _) = drive(s.acquire_many(2));
            match r {
                Ok(g) => {
                    assert_eq!(g.permits(), 2);
                    true
                }
                Err(Closed) => false,
            }
        });
        let tb = thread::spawn(move || s.add_permits(1));
        s.close();
        let _granted = ta.join().unwrap();
        tb.join().unwrap();
        assert!(s.is_closed());
        assert_eq!(s.available_permits(), 2, "permits exact after close");
        assert_eq!(s.try_acquire().unwrap_err(), TryAcquireError::Closed);
    });
}

/// Model 4. FIFO across weights under concurrent adds: A (wants 2) queued
/// before B (wants 1). One thread adds 1, another adds 2; B's owner polls B
/// right after the first add. If B is granted, the second add must have
/// started: with only 1 added, the permit is kept for A. In the end both are
/// served and all 3 permits come back.
#[test]
fn add_permits_vs_two_waiters_of_different_weights() {
    loom::lazy_static! {
        static ref S: Semaphore = Semaphore::new(0);
    }
    model(6, || {
        let s: &'static Semaphore = &S;
        let mut a = Box::pin(s.acquire_many(2));
        assert!(poll_once(&mut a).is_pending());
        let mut b = Box::pin(s.acquire_many(1));
        assert!(poll_once(&mut b).is_pending());
        let second_started = Arc::new(AtomicBool::new(false));
        let started = second_started.clone();
        let t1 = thread::spawn(move || {
            s.add_permits(1);
            match poll_once(&mut b) {
                Poll::Ready(g) => {
                    assert!(
                        started.load(SeqCst),
                        "B (wants 1) served ahead of A (wants 2) with 1 permit"
                    );
                    drop(g.unwrap());
                    None
                }
                Poll::Pending => Some(b),
            }
        });
        let t2 = thread::spawn(move || {
            second_started.store(true, SeqCst);
            s.add_permits(2);
        });
        let b = t1.join().unwrap();
        t2.join().unwrap();
        let ga = match poll_once(&mut a) {
            Poll::Ready(g) => g.unwrap(),
            Poll::Pending => panic!("A not served with 3 permits added"),
        };
        assert_eq!(ga.permits(), 2);
        if let Some(mut b) = b {
            match poll_once(&mut b) {
                Poll::Ready(g) => drop(g.unwrap()),
                Poll::Pending => panic!("B not served with 3 permits added"),
            }
        }
        drop(ga);
        assert_eq!(s.available_permits(), 3);
    });
}

/// Model 5. A guard drop vs a fast-path newcomer while a waiter W is queued:
/// the newcomer's `try_acquire` must fail and its `acquire` must queue (the
/// released permit belongs to W), whatever the interleaving; its cancelled
/// acquire races the release's settling. W gets the permit.
#[test]
fn guard_drop_vs_fast_path_newcomer() {
    loom::lazy_static! {
        static ref S: Semaphore = Semaphore::new(1);
    }
    model(6, || {
        let s: &'static Semaphore = &S;
        let g = s.try_acquire().unwrap();
        let mut w = Box::pin(s.acquire());
        assert!(poll_once(&mut w).is_pending());
        let t1 = thread::spawn(move || drop(g));
        let t2 = thread::spawn(move || {
            assert_eq!(
                s.try_acquire().unwrap_err(),
                TryAcquireError::NoPermits,
                "newcomer jumped the queue"
            );
            let mut n = Box::pin(s.acquire());
            assert!(
                poll_once(&mut n).is_pending(),
                "newcomer's acquire jumped the queue"
            );
            drop(n);
        });
        t1.join().unwrap();
        t2.join().unwrap();
        let gw = match poll_once(&mut w) {
            Poll::Ready(g) => g.unwrap(),
            Poll::Pending => panic!("W not served after the release"),
        };
        drop(gw);
        assert_eq!(s.available_permits(), 1);
    });
}

/// Model 6. Two acquirers of different weights both go through the slow path
/// and park while the holder returns the permits in two steps. Both are
/// served (no lost wakeup among several parked waiters) and the count is
/// exact. The main thread writes a loom `UnsafeCell` while holding both
/// permits, and the 2-permit waiter writes it once granted: that grant must
/// happen-after the main thread's write (two releases, one settle).
#[test]
fn two_parked_waiters_vs_stepwise_release() {
    loom::lazy_static! {
        static ref S: Semaphore = Semaphore::new(2);
    }
    model(3, || {
        let s: &'static Semaphore = &S;
        let data = Arc::new(UnsafeCell::new(0usize));
        let g1 = s.try_acquire().unwrap();
        let g2 = s.try_acquire().unwrap();
        let d = data.clone();
        let ta = thread::spawn(move || {
            let g = drive(s.acquire_many(2)).0.unwrap();
            // SAFETY: both permits are held: nobody else touches the cell.
            d.with_mut(|v| unsafe { *v += 1 });
            drop(g);
        });
        let tb = thread::spawn(move || drop(drive(s.acquire_many(1)).0.unwrap()));
        // SAFETY: the main thread holds both permits.
        data.with_mut(|v| unsafe { *v += 1 });
        drop(g1);
        drop(g2);
        ta.join().unwrap();
        tb.join().unwrap();
        assert_eq!(s.available_permits(), 2);
        // SAFETY: every thread is joined.
        assert_eq!(data.with(|v| unsafe { *v }), 2);
    });
}

/// Model 6b. Close vs cancelling a head with a partial set-aside: A (wants
/// 2, 1 set aside) is dropped on one thread while another closes; B (wants
/// 1), behind A, is driven on a third. B ends with `Ok` (A's permit reached
/// it before the close) or `Err(Closed)`, never hangs, and the one permit is
/// free at the end either way.
#[test]
fn close_vs_cancelled_partial_head() {
    loom::lazy_static! {
        static ref S: Semaphore = Semaphore::new(1);
    }
    model(6, || {
        let s: &'static Semaphore = &S;
        let mut a = Box::pin(s.acquire_many(2));
        assert!(poll_once(&mut a).is_pending());
        let mut b = Box::pin(s.acquire_many(1));
        assert!(poll_once(&mut b).is_pending());
        let ta = thread::spawn(move || drop(a));
        let tb = thread::spawn(move || drive(b).0.map(|g| g.permits()));
        s.close();
        ta.join().unwrap();
        let b = tb.join().unwrap();
        assert!(matches!(b, Ok(1) | Err(Closed)), "{b:?}");
        assert_eq!(s.available_permits(), 1, "the set-aside came back");
    });
}

/// Model 7. `add_permits`' `MAX_PERMITS` check reads the free permits in the
/// state word, but a settling thread has taken them out of the word while it
/// serves the queue. W (wants 1) is queued; two threads each add
/// MAX_PERMITS. Sequentially the second add must panic (MAX - 1 would be
/// free before it), leaving at most MAX_PERMITS free; when the second add
/// runs while the first one's settle holds the MAX_PERMITS out of the word,
/// it sees 0 free, is accepted, and 2 * MAX_PERMITS end up free.
///
/// The expected `add_permits` panics are caught (and their messages kept
/// out of the output); the verdict is asserted after the model so that a
/// failure is an ordinary test failure, not a loom abort of the binary.
#[test]
fn concurrent_adds_vs_max_permits() {
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    loom::lazy_static! {
        static ref S: Semaphore = Semaphore::new(0);
    }
    // Plain std atomics: not modelled, they only carry the verdict out.
    static WORST: AtomicUsize = AtomicUsize::new(0);
    static ACCEPTED: AtomicUsize = AtomicUsize::new(0);
    let me = std::thread::current().name().map(String::from);
    let previous = std::sync::Arc::new(std::panic::take_hook());
    let hook = previous.clone();
    std::panic::set_hook(Box::new(move |info| {
        let expected = std::thread::current().name().map(String::from) == me
            && info
                .payload()
                .downcast_ref::<String>()
                .is_some_and(|m| m.contains("Semaphore::add_permits("));
        if !expected {
            hook(info);
        }
    }));
    model(4, || {
        let s: &'static Semaphore = &S;
        let mut w = Box::pin(s.acquire());
        assert!(poll_once(&mut w).is_pending());
        let add = move || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                s.add_permits(Semaphore::MAX_PERMITS)
            }))
            .is_ok()
        };
        let t1 = thread::spawn(add);
        let t2 = thread::spawn(add);
        let accepted = usize::from(t1.join().unwrap()) + usize::from(t2.join().unwrap());
        let g = match poll_once(&mut w) {
            Poll::Ready(g) => g.unwrap(),
            Poll::Pending => panic!("W not served"),
        };
        drop(g);
        let free = s.available_permits();
        if free > WORST.fetch_max(free, Relaxed) {
            ACCEPTED.store(accepted, Relaxed);
        }
    });
    drop(std::panic::take_hook());
    if let Ok(previous) = std::sync::Arc::try_unwrap(previous) {
        std::panic::set_hook(previous);
    }
    let worst = WORST.load(Relaxed);
    assert!(
        worst <= Semaphore::MAX_PERMITS,
        "in some interleaving {} adds of MAX_PERMITS were accepted and {worst} permits \
         ended up free, more than MAX_PERMITS = {}",
        ACCEPTED.load(Relaxed),
        Semaphore::MAX_PERMITS
    );
}

/// Model 10. A panicking wake races a cancel, across wake batches. Ten
/// one-permit waiters: A first, whose waker panics; B second; seven more;
/// Z last, past the first batch of eight. One thread adds ten permits,
/// another drops B, and Z is driven here. Whichever of the two settles the
/// queue wakes A, and A's panic reaches that one (exactly one of them).
/// Whatever the order, Z is granted and woken — by the second batch, which
/// runs while A's panic unwinds, or by B's cancel giving its permit back —
/// and so is everyone else; B's permit, granted or not, ends free. (Before
/// the fix, with B dropped first, Z was never woken: a loom deadlock.)
#[test]
fn panicking_wake_vs_cancel_across_batches() {
    use std::future::Future;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::task::Context;
    loom::lazy_static! {
        static ref S: Semaphore = Semaphore::new(0);
    }
    model(3, || {
        let s: &'static Semaphore = &S;
        let bomb = loom_common::panicking_waker();
        let mut a = Box::pin(s.acquire());
        assert!(a
            .as_mut()
            .poll(&mut Context::from_waker(&bomb))
            .is_pending());
        let mut b = Box::pin(s.acquire());
        assert!(poll_once(&mut b).is_pending());
        let mut mids: Vec<_> = (0..7)
            .map(|_| {
                let mut f = Box::pin(s.acquire());
                assert!(poll_once(&mut f).is_pending());
                f
            })
            .collect();
        let mut z = Box::pin(s.acquire());
        assert!(poll_once(&mut z).is_pending());
        // Whether `f` unwound with the waker's panic (any other fails).
        let woke_a = |f: &mut dyn FnMut()| match catch_unwind(AssertUnwindSafe(f)) {
            Ok(()) => false,
            Err(p) if loom_common::is_waker_panic(&*p) => true,
            Err(p) => std::panic::resume_unwind(p),
        };
        let adder = thread::spawn(move || woke_a(&mut || s.add_permits(10)));
        let mut b = Some(b);
        let canceller = thread::spawn(move || woke_a(&mut || drop(b.take())));
        let (gz, _) = drive(z);
        let gz = gz.unwrap();
        let panics = [adder.join().unwrap(), canceller.join().unwrap()];
        assert_eq!(
            panics.iter().filter(|&&p| p).count(),
            1,
            "A's panic must reach exactly one caller: {panics:?}"
        );
        assert_eq!(
            s.available_permits(),
            1,
            "B's permit, or the one it never took"
        );
        let Poll::Ready(Ok(ga)) = poll_once(&mut a) else {
            panic!("A was not granted");
        };
        let guards: Vec<_> = mids
            .iter_mut()
            .map(|f| match poll_once(f) {
                Poll::Ready(Ok(g)) => g,
                _ => panic!("a waiter was stranded"),
            })
            .collect();
        drop((ga, gz, guards));
        assert_eq!(s.available_permits(), 10);
        // Back to zero for the next interleaving.
        turnstile_sync::SemaphoreGuard::forget(s.try_acquire_many(10).unwrap());
    });
}

/// Model (issue 13). `forget_permits` vs a release that serves a queued
/// waiter: B holds both permits and A waits for them; B releases them while
/// C forgets. The released permits are owed to A (`QUEUED` is set until A
/// is served), so C takes none in any interleaving: A is granted both, and
/// they come back. C retries after A's grant and finds nothing free.
#[test]
fn forget_permits_vs_release_and_a_queued_waiter() {
    loom::lazy_static! {
        static ref S: Semaphore = Semaphore::new(2);
    }
    model(5, || {
        let s: &'static Semaphore = &S;
        let g = s.try_acquire_many(2).unwrap();
        let mut a = Box::pin(s.acquire_many(2));
        assert!(poll_once(&mut a).is_pending());
        let ta = thread::spawn(move || {
            let (g, _) = drive(a);
            g.unwrap()
        });
        let tc = thread::spawn(move || s.forget_permits(2));
        drop(g);
        let ga = ta.join().unwrap();
        assert_eq!(tc.join().unwrap(), 0, "forgot permits owed to A");
        assert_eq!(ga.permits(), 2);
        assert_eq!(s.forget_permits(1), 0);
        drop(ga);
        assert_eq!(s.available_permits(), 2);
        assert_eq!(s.forget_permits(2), 2);
    });
}

/// Model (issue 16). One-permit acquires whose fast-path subtraction can be
/// refused: on 64-bit targets `acquire()` subtracts its permit once a load
/// has shown it free, and gives it back if the word it replaced says
/// otherwise (taken meanwhile, waiters queued). A and B each acquire and
/// release the only permit while main waits for it to be free
/// (`wait_available`) and then acquires it too. A refused subtraction
/// leaves the permit field below zero for a moment: a watcher that looks
/// then, or a waiter that registers then, sees no permit, and must still be
/// woken or served once it is given back (a lost wakeup is a deadlock to
/// loom); a settle that read the dipped field as unsigned would hand out
/// permits that do not exist (two holders at once). Proves no lost wakeup,
/// mutual exclusion (a loom `UnsafeCell` written by every holder), and that
/// the permit ends free (nothing lost to the dip).
#[test]
fn refused_fast_path_takes_vs_watcher_and_waiter() {
    loom::lazy_static! {
        static ref S: Semaphore = Semaphore::new(1);
    }
    model(2, || {
        let s: &'static Semaphore = &S;
        let data = Arc::new(UnsafeCell::new(0usize));
        let holder = |d: Arc<UnsafeCell<usize>>| {
            move || {
                let (g, _) = drive(s.acquire());
                let g = g.unwrap();
                // SAFETY: the only permit is held.
                d.with_mut(|v| unsafe { *v += 1 });
                drop(g);
            }
        };
        let ta = thread::spawn(holder(data.clone()));
        let tb = thread::spawn(holder(data.clone()));
        drive(s.wait_available(1)).0.unwrap();
        holder(data.clone())();
        ta.join().unwrap();
        tb.join().unwrap();
        // SAFETY: every holder is done.
        assert_eq!(data.with(|v| unsafe { *v }), 3);
        assert_eq!(s.available_permits(), 1);
    });
}
