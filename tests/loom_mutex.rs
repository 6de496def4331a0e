//! Loom models of `turnstile::Mutex`.
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
//! The first is the `std` tier (event-listener, built with its `loom`
//! feature); the second the bare tier (the intrusive list, whose critical
//! section is a loom mutex under loom). Every model sets its own preemption
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

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};

use loom::sync::atomic::AtomicBool;
use loom::sync::atomic::Ordering::SeqCst;
use loom::sync::{Arc, Notify};
use loom::thread;
use turnstile::{Mutex, MutexGuard};

/// Mirrors `HANDOFF_AFTER` in `src/mutex/raw.rs` as built under loom: how
/// many races a woken waiter may lose before the mutex stops barging.
const HANDOFF_AFTER: usize = 1;

/// Runs `f` under loom with `preemptions` as the preemption bound (unless
/// `LOOM_MAX_PREEMPTIONS` is set), and reports how many interleavings it
/// explored. Each model's bound is chosen to keep it within seconds on two
/// cores in both tiers.
fn model<F>(preemptions: usize, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    use std::sync::atomic::{AtomicUsize, Ordering};

    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(preemptions);
    }
    // Counts the interleavings explored (a plain std atomic: not modelled).
    let iterations = std::sync::Arc::new(AtomicUsize::new(0));
    let count = iterations.clone();
    let start = std::time::Instant::now();
    builder.check(move || {
        count.fetch_add(1, Ordering::Relaxed);
        f();
    });
    eprintln!(
        "{}: {} interleavings, preemption bound {:?}, {:.1?}",
        std::thread::current().name().unwrap_or("model"),
        iterations.load(Ordering::Relaxed),
        builder.preemption_bound,
        start.elapsed(),
    );
}

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

/// A waker for manually polled futures, built on loom's `Notify`.
///
/// Not on `loom::thread::park`/`Thread::unpark`: loom 0.7's `unpark` makes a
/// thread runnable even while it is blocked acquiring a loom `Mutex` (it
/// only checks "blocked", not on what), and event-listener wakes wakers while
/// holding its list mutex, so a thread dropping its listener at that moment
/// would be resumed without the mutex and trip loom's "expected to be able to
/// acquire lock" assertion. `Notify` only releases a thread waiting on it.
/// `Notify` may return spuriously (once); the `woken` flag filters that out,
/// so a thread waiting here resumes only after its waker was woken.
struct Signal {
    woken: AtomicBool,
    notify: Notify,
}

impl Signal {
    fn new() -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self {
            woken: AtomicBool::new(false),
            notify: Notify::new(),
        })
    }

    /// Blocks until the waker was woken since the last `wait`.
    fn wait(&self) {
        while !self.woken.swap(false, SeqCst) {
            self.notify.wait();
        }
    }
}

impl Wake for Signal {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        // A swap, not a store: loom 0.7 orders a plain store only by
        // happens-before, so a later `swap(false)` in `wait` could still read
        // the waiter's own earlier `false` and miss this wake (a false
        // deadlock). Two read-modify-writes are ordered.
        self.woken.swap(true, SeqCst);
        self.notify.notify();
    }
}

/// Polls `fut` once with a waker that does nothing: for setting up a waiter
/// whose later wakeups do not matter (it is polled again with a real waker,
/// which replaces this one, or dropped).
fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(Waker::noop()))
}

/// Drives `fut` to completion on this thread, waiting on a [`Signal`]
/// between polls, and returns its output with the number of polls that
/// returned `Pending`. Unlike `loom::future::block_on` it polls only after a
/// real wake (no spurious polls), so the `Pending` count is exact.
fn drive<F: Future + Unpin>(mut fut: F) -> (F::Output, usize) {
    let signal = Signal::new();
    let waker = Waker::from(signal.clone());
    let mut cx = Context::from_waker(&waker);
    let mut pending = 0;
    loop {
        match Pin::new(&mut fut).poll(&mut cx) {
            Poll::Ready(output) => return (output, pending),
            Poll::Pending => {
                pending += 1;
                signal.wait();
            }
        }
    }
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

/// Model 5a. A waiter W is queued behind main; main releases and then keeps
/// re-locking (barging) for `BARGING_ROUNDS` rounds while W's thread drives
/// W. Proves the hand-off path: once W has lost `HANDOFF_AFTER` races it is
/// counted as starving, main's later `lock()`s queue behind it instead of
/// barging, and W is served. W's thread therefore sees at most
/// `HANDOFF_AFTER + 1` `Pending` polls (one before its first notification,
/// one per lost race); without hand-off it could see `BARGING_ROUNDS + 1`.
/// Also: no lost wakeup through the starving path (both sides finish), and
/// the starving count returns to zero.
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
            let (mut guard, pending) = drive(w);
            bump(&mut guard);
            pending
        });
        // Written after the other threads started: their critical sections
        // must happen-after this one.
        bump(&mut held);
        drop(held);
        for _ in 0..BARGING_ROUNDS {
            bump(&mut lock_now(m));
        }
        let pending = tw.join().unwrap();
        assert!(
            pending <= HANDOFF_AFTER + 1,
            "waiter was passed over: {pending} pending polls"
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
