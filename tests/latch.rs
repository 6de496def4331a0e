//! `Latch`, driven by hand with counting wakers (every tier, miri), plus a
//! small multi-threaded stress in the std tier.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;

use common::{assert_pending, assert_ready, CountingWaker};
use turnstile_sync::Latch;

#[test]
fn new_zero_is_open() {
    let latch = Latch::new(0);
    assert!(latch.try_wait());
    assert_eq!(latch.count(), 0);
    let waker = CountingWaker::new();
    assert_ready(pin!(latch.wait()).as_mut(), waker.waker());
    assert_eq!(waker.outstanding_clones(), 0);
}

#[test]
fn opens_at_zero_and_stays_open() {
    let latch = Latch::new(2);
    let waker = CountingWaker::new();
    let mut w = pin!(latch.wait());
    assert_pending(w.as_mut(), waker.waker());
    latch.count_down();
    assert_eq!(waker.count(), 0, "woken before the count reached zero");
    assert_eq!(latch.count(), 1);
    assert!(!latch.try_wait());
    latch.count_down();
    assert_eq!(waker.count(), 1);
    assert_ready(w.as_mut(), waker.waker());
    for _ in 0..3 {
        assert_ready(pin!(latch.wait()).as_mut(), waker.waker());
    }
    assert!(latch.try_wait());
}

#[test]
fn wait_wakes_all_waiters_once() {
    let latch = Latch::new(1);
    let wakers: Vec<CountingWaker> = (0..5).map(|_| CountingWaker::new()).collect();
    let mut waits: Vec<_> = wakers.iter().map(|_| Box::pin(latch.wait())).collect();
    for (w, k) in waits.iter_mut().zip(&wakers) {
        assert_pending(w.as_mut(), k.waker());
    }
    latch.count_down();
    for (w, k) in waits.iter_mut().zip(&wakers) {
        assert_eq!(k.count(), 1);
        assert_ready(w.as_mut(), k.waker());
        assert_eq!(k.outstanding_clones(), 0);
    }
}

#[test]
fn count_down_by() {
    let latch = Latch::new(5);
    latch.count_down_by(0);
    assert_eq!(latch.count(), 5);
    latch.count_down_by(3);
    assert_eq!(latch.count(), 2);
    latch.count_down_by(2);
    assert!(latch.try_wait());
    latch.count_down_by(0); // not past zero: allowed
    assert!(latch.try_wait());
}

#[test]
fn count_down_past_zero_panics_and_leaves_the_count() {
    let latch = Latch::new(2);
    let err = catch_unwind(AssertUnwindSafe(|| latch.count_down_by(3))).unwrap_err();
    let msg = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .unwrap_or("");
    assert!(msg.contains("past zero"), "unclear panic message: {msg:?}");
    assert_eq!(latch.count(), 2, "a failed count-down changed the count");
    latch.count_down_by(2);
    let err = catch_unwind(AssertUnwindSafe(|| latch.count_down())).unwrap_err();
    assert!(err
        .downcast_ref::<String>()
        .is_some_and(|m| m.contains("count of 0")));
    assert_eq!(latch.count(), 0);
    let err = catch_unwind(AssertUnwindSafe(|| drop(latch.arrive_and_wait()))).unwrap_err();
    assert!(err.downcast_ref::<String>().is_some());
}

#[test]
fn dropped_waiter_changes_nothing() {
    let latch = Latch::new(1);
    let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
    let mut a = pin!(latch.wait());
    assert_pending(a.as_mut(), wa.waker());
    {
        let mut b = Box::pin(latch.wait());
        assert_pending(b.as_mut(), wb.waker());
    }
    assert_eq!(wb.outstanding_clones(), 0);
    latch.count_down();
    assert_eq!((wa.count(), wb.count()), (1, 0));
    assert_ready(a.as_mut(), wa.waker());
}

#[test]
fn arrive_and_wait_counts_down_on_call() {
    let latch = Latch::new(2);
    let waker = CountingWaker::new();
    let a = latch.arrive_and_wait();
    assert_eq!(latch.count(), 1, "arrive_and_wait counts down when called");
    let mut a = pin!(a);
    assert_pending(a.as_mut(), waker.waker());
    let mut b = pin!(latch.arrive_and_wait());
    assert_eq!(waker.count(), 1);
    assert_ready(b.as_mut(), waker.waker());
    assert_ready(a.as_mut(), waker.waker());
}

#[test]
fn debug_shows_the_count() {
    let latch = Latch::new(3);
    assert_eq!(format!("{latch:?}"), "Latch { count: 3 }");
    assert_eq!(format!("{:?}", latch.wait()), "LatchWait { .. }");
}

#[test]
fn const_static() {
    static LATCH: Latch = Latch::new(1);
    LATCH.count_down();
    futures_lite::future::block_on(LATCH.wait());
}

/// Writes made before each count-down are visible after the wait (checked
/// in the std tier with threads, and under miri's data-race detector).
#[cfg(feature = "std")]
#[test]
fn threads_count_down_and_wait() {
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    for _ in 0..common::iters(50, 2) {
        const N: usize = 4;
        let latch = Latch::new(N);
        let slots: Vec<AtomicUsize> = (0..N).map(|_| AtomicUsize::new(0)).collect();
        std::thread::scope(|s| {
            for t in 0..N {
                let (latch, slots) = (&latch, &slots);
                s.spawn(move || {
                    slots[t].store(t + 1, Relaxed);
                    latch.count_down();
                });
            }
            for _ in 0..2 {
                let (latch, slots) = (&latch, &slots);
                s.spawn(move || {
                    latch.wait_blocking();
                    for (t, slot) in slots.iter().enumerate() {
                        assert_eq!(slot.load(Relaxed), t + 1);
                    }
                });
            }
            futures_lite::future::block_on(latch.wait());
        });
    }
}

/// The first waiter's waker panics when the latch opens: the count-down
/// passes the panic on, and the twenty waiters queued behind that waiter are
/// still woken, once each, and complete (in the bare tier the wait list used
/// to stop after the panicking waker's batch of eight). The first waiter
/// completes too when polled again, and the latch stays open.
#[test]
fn a_panicking_waker_does_not_strand_the_other_latch_waiters() {
    use common::{expect_waker_panic, panicking_waker};
    let latch = Latch::new(1);
    let bomb = panicking_waker();
    let mut first = Box::pin(latch.wait());
    assert_pending(first.as_mut(), bomb.waker());
    let wakers: Vec<CountingWaker> = (0..20).map(|_| CountingWaker::new()).collect();
    let mut waits: Vec<_> = wakers
        .iter()
        .map(|k| {
            let mut w = Box::pin(latch.wait());
            assert_pending(w.as_mut(), k.waker());
            w
        })
        .collect();
    expect_waker_panic(|| latch.count_down());
    assert!(latch.try_wait());
    assert_eq!(bomb.count(), 1);
    let unwoken = wakers.iter().filter(|k| k.count() != 1).count();
    assert_eq!(unwoken, 0, "{unwoken} of 20 waiters not woken exactly once");
    for (w, k) in waits.iter_mut().zip(&wakers) {
        assert_ready(w.as_mut(), k.waker());
        assert_eq!(k.outstanding_clones(), 0);
    }
    let calm = CountingWaker::new();
    assert_ready(first.as_mut(), calm.waker());
    assert_ready(pin!(latch.wait()).as_mut(), calm.waker());
    assert_eq!(calm.count(), 0);
}
