//! `Semaphore` (issue 4): API, `MAX_PERMITS`, strict FIFO across weights,
//! cancellation at every point, close, wakeups, a randomised check against a
//! reference model, and (std tier) threads and executors.
//!
//! Runs in every tier. Futures are boxed and pinned (`Box::pin`) because
//! they carry their list node and are `!Unpin`.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::Poll;

use common::{assert_pending, assert_ready, iters, poll_once, CountingWaker, Rng};
use turnstile_sync::{Acquire, Closed, Semaphore, SemaphoreGuard, TooManyPermits, TryAcquireError};

const MAX: usize = Semaphore::MAX_PERMITS;

type Fut<'a> = Pin<Box<Acquire<'a>>>;

/// A future for `n` permits, polled once: it must be pending (queued).
#[track_caller]
fn queued<'a>(sem: &'a Semaphore, n: usize, waker: &CountingWaker) -> Fut<'a> {
    let mut fut = Box::pin(sem.acquire_many(n));
    assert_pending(fut.as_mut(), waker.waker());
    fut
}

/// Polls a queued future with `waker` and expects a guard for `n` permits.
#[track_caller]
fn granted<'a>(fut: &mut Fut<'a>, waker: &CountingWaker, n: usize) -> SemaphoreGuard<'a> {
    let guard = assert_ready(fut.as_mut(), waker.waker()).expect("granted, not closed");
    assert_eq!(guard.permits(), n);
    guard
}

/// The panic message of `f`, which must panic.
#[track_caller]
fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        String::from("<non-string panic>")
    }
}

// ---------------------------------------------------------------------------
// API
// ---------------------------------------------------------------------------

#[test]
fn new_static_default_and_debug() {
    static STATIC: Semaphore = Semaphore::new(3);
    assert_eq!(STATIC.available_permits(), 3);
    assert!(!STATIC.is_closed());
    let d = Semaphore::default();
    assert_eq!(d.available_permits(), 0);
    assert_eq!(d.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
    d.add_permits(2);
    assert_eq!(d.available_permits(), 2);

    let sem = Semaphore::new(5);
    let dbg = format!("{sem:?}");
    assert!(dbg.starts_with("Semaphore"), "{dbg}");
    assert!(dbg.contains("available_permits: 5"), "{dbg}");
    assert!(dbg.contains("closed: false"), "{dbg}");
    let g = sem.try_acquire_many(2).unwrap();
    assert_eq!(format!("{g:?}"), "SemaphoreGuard { permits: 2 }");
    let fut = sem.acquire_many(4);
    assert!(format!("{fut:?}").contains("permits: 4"));
    drop(fut);
    sem.close();
    assert!(format!("{sem:?}").contains("closed: true"));
    drop(g);
}

#[test]
fn try_acquire_and_guards() {
    let sem = Semaphore::new(3);
    let a = sem.try_acquire().unwrap();
    assert_eq!(a.permits(), 1);
    assert_eq!(sem.available_permits(), 2);
    let b = sem.try_acquire_many(2).unwrap();
    assert_eq!(b.permits(), 2);
    assert_eq!(sem.available_permits(), 0);
    assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
    assert_eq!(
        sem.try_acquire_many(2).unwrap_err(),
        TryAcquireError::NoPermits
    );
    drop(b);
    assert_eq!(sem.available_permits(), 2);
    assert_eq!(
        sem.try_acquire_many(3).unwrap_err(),
        TryAcquireError::NoPermits
    );
    assert_eq!(sem.available_permits(), 2, "a failed try takes nothing");
    drop(a);
    assert_eq!(sem.available_permits(), 3);
}

#[test]
fn zero_permit_requests_are_ready_at_once() {
    let w = CountingWaker::new();
    let sem = Semaphore::new(0);
    let g = sem.try_acquire_many(0).unwrap();
    assert_eq!(g.permits(), 0);
    drop(g);
    let mut f = Box::pin(sem.acquire_many(0));
    assert_eq!(assert_ready(f.as_mut(), w.waker()).unwrap().permits(), 0);
    assert_eq!(sem.available_permits(), 0);
    sem.close();
    assert_eq!(
        sem.try_acquire_many(0).unwrap_err(),
        TryAcquireError::Closed
    );
    let mut f = Box::pin(sem.acquire_many(0));
    assert_eq!(assert_ready(f.as_mut(), w.waker()).unwrap_err(), Closed);
}

#[test]
fn forget_keeps_the_permits() {
    let sem = Semaphore::new(5);
    SemaphoreGuard::forget(sem.try_acquire_many(2).unwrap());
    assert_eq!(sem.available_permits(), 3);
    let w = CountingWaker::new();
    // A waiter wanting the forgotten permits waits until they are added.
    let _rest = sem.try_acquire_many(3).unwrap();
    let mut f = queued(&sem, 1, &w);
    sem.add_permits(1);
    assert_eq!(w.count(), 1);
    SemaphoreGuard::forget(granted(&mut f, &w, 1));
    assert_eq!(sem.available_permits(), 0);
}

#[test]
fn errors_display_and_error_trait() {
    fn is_error<E: core::error::Error + Send + Sync + 'static>(_: &E) {}
    is_error(&Closed);
    is_error(&TryAcquireError::NoPermits);
    assert_eq!(Closed.to_string(), "semaphore closed");
    assert_eq!(TryAcquireError::Closed.to_string(), "semaphore closed");
    assert_eq!(
        TryAcquireError::NoPermits.to_string(),
        "no permits available"
    );
    assert_eq!(TryAcquireError::from(Closed), TryAcquireError::Closed);
    let boxed: Box<dyn core::error::Error> = Box::new(TryAcquireError::NoPermits);
    assert!(boxed.source().is_none());
    assert_eq!(format!("{:?}", Closed), "Closed");
}

#[test]
fn uncontended_async_acquire() {
    let sem = Semaphore::new(4);
    futures_lite::future::block_on(async {
        let a = sem.acquire().await.unwrap();
        let b = sem.acquire_many(3).await.unwrap();
        assert_eq!((a.permits(), b.permits()), (1, 3));
        assert_eq!(sem.available_permits(), 0);
    });
    assert_eq!(sem.available_permits(), 4);
}

// ---------------------------------------------------------------------------
// MAX_PERMITS
// ---------------------------------------------------------------------------

#[test]
fn max_permits_new() {
    assert_eq!(Semaphore::new(MAX).available_permits(), MAX);
    let msg = panic_message(|| {
        std::hint::black_box(Semaphore::new(MAX + 1));
    });
    assert!(msg.contains("MAX_PERMITS"), "unclear message: {msg}");
}

#[test]
fn max_permits_add_permits_panics_and_leaves_the_count() {
    let sem = Semaphore::new(MAX - 2);
    let msg = panic_message(|| sem.add_permits(3));
    assert!(msg.contains("MAX_PERMITS"), "unclear message: {msg}");
    assert_eq!(sem.available_permits(), MAX - 2);
    let msg = panic_message(|| sem.add_permits(usize::MAX));
    assert!(msg.contains("MAX_PERMITS"), "unclear message: {msg}");
    assert_eq!(sem.available_permits(), MAX - 2);
    sem.add_permits(2);
    assert_eq!(sem.available_permits(), MAX);
    // Still works.
    let g = sem.try_acquire_many(MAX).unwrap();
    assert_eq!(sem.available_permits(), 0);
    drop(g);
    assert_eq!(sem.available_permits(), MAX);
}

#[test]
fn max_permits_oversized_requests_panic_and_leave_the_count() {
    let w = CountingWaker::new();
    let sem = Semaphore::new(7);
    let msg = panic_message(|| drop(sem.acquire_many(MAX + 1)));
    assert!(msg.contains("MAX_PERMITS"), "unclear message: {msg}");
    let msg = panic_message(|| drop(sem.try_acquire_many(MAX + 1)));
    assert!(msg.contains("MAX_PERMITS"), "unclear message: {msg}");
    let msg = panic_message(|| drop(sem.try_acquire_many(usize::MAX)));
    assert!(msg.contains("MAX_PERMITS"), "unclear message: {msg}");
    assert_eq!(sem.available_permits(), 7);
    // A request for exactly MAX_PERMITS is legal: it queues and is granted
    // once that many are added.
    let mut big = queued(&sem, MAX, &w);
    assert_eq!(sem.available_permits(), 0, "7 set aside for the head");
    sem.add_permits(MAX - 7);
    assert_eq!(w.count(), 1);
    drop(granted(&mut big, &w, MAX));
    assert_eq!(sem.available_permits(), MAX);
}

/// A one-permit `acquire()` takes its permit with a subtraction on 64-bit
/// targets (the permit field is signed there, so that a refused take may
/// dip below zero for a moment): at the ceiling the count must still read
/// as positive, and at zero the acquire must queue without changing it.
#[test]
fn max_permits_one_permit_acquire_at_the_ceiling_and_at_zero() {
    let w = CountingWaker::new();
    let sem = Semaphore::new(MAX);
    let g = assert_ready(Box::pin(sem.acquire()).as_mut(), w.waker()).unwrap();
    assert_eq!(sem.available_permits(), MAX - 1);
    drop(g);
    assert_eq!(sem.available_permits(), MAX);
    let all = sem.try_acquire_many(MAX).unwrap();
    let mut waiting = Box::pin(sem.acquire());
    assert_pending(waiting.as_mut(), w.waker());
    assert_eq!(sem.available_permits(), 0);
    drop(all);
    assert_eq!(w.count(), 1, "the waiter is served by the release");
    drop(granted(&mut waiting, &w, 1));
    assert_eq!(sem.available_permits(), MAX);
}

/// MAX_PERMITS bounds the permits a semaphore can hold, so permits out in
/// guards count too: returning them must never leave more than MAX_PERMITS
/// free. Here `add_permits(1)` sees MAX - 1 free and accepts, although one
/// more permit is out in a guard; when the guard comes back the semaphore
/// holds MAX + 1. Repeating the pattern wraps the state word and silently
/// loses permits (see `max_permits_repeated_adds_wrap_the_count`).
#[test]
fn max_permits_counts_permits_held_in_guards() {
    let sem = Semaphore::new(MAX);
    let g = sem.try_acquire().unwrap();
    let added = catch_unwind(AssertUnwindSafe(|| sem.add_permits(1)));
    drop(g);
    let free = sem.available_permits();
    assert!(
        free <= MAX,
        "add_permits(1) {} and the semaphore now holds {free} permits, more than \
         MAX_PERMITS = {MAX}",
        if added.is_ok() {
            "was accepted"
        } else {
            "panicked"
        },
    );
}

/// The consequence of the bug above: three guards of MAX permits returned
/// into one word that holds fewer than 2^62 permits wrap it. Every step here
/// is accepted by the API without a panic.
#[test]
fn max_permits_repeated_adds_wrap_the_count() {
    let sem = Semaphore::new(MAX);
    let mut guards = Vec::new();
    let mut added = 0usize;
    for _ in 0..3 {
        // Once an add is (rightly) refused, there are no MAX free to take.
        if let Ok(g) = sem.try_acquire_many(MAX) {
            guards.push(g);
        }
        if catch_unwind(AssertUnwindSafe(|| sem.add_permits(MAX))).is_ok() {
            added += 1;
        }
    }
    drop(guards);
    // Whatever the semaphore accepted, the permits it holds now are the
    // initial MAX plus what add_permits accepted; never a wrapped number.
    let expected = MAX as u128 * (1 + added as u128);
    assert!(
        expected <= MAX as u128 && sem.available_permits() as u128 == expected,
        "add_permits accepted {added} x MAX_PERMITS while guards held them: the \
         semaphore should now hold {expected} permits but reports {}",
        sem.available_permits()
    );
}

// ---------------------------------------------------------------------------
// Strict FIFO across weights
// ---------------------------------------------------------------------------

#[test]
fn newcomers_do_not_jump_a_queued_waiter() {
    let (wa, wn) = (CountingWaker::new(), CountingWaker::new());
    let sem = Semaphore::new(2);
    // A wants 3, 2 are free: A queues, and the 2 are kept for it.
    let mut a = queued(&sem, 3, &wa);
    assert_eq!(
        sem.available_permits(),
        0,
        "the free permits are kept for A"
    );
    assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
    assert_eq!(
        sem.try_acquire_many(1).unwrap_err(),
        TryAcquireError::NoPermits
    );
    let mut n1 = queued(&sem, 1, &wn);
    let mut n2 = Box::pin(sem.acquire());
    assert_pending(n2.as_mut(), wn.waker());
    // One more permit: A has what it needs; the newcomers still wait.
    sem.add_permits(1);
    assert_eq!(wa.count(), 1);
    assert_eq!(wn.count(), 0);
    let ga = granted(&mut a, &wa, 3);
    // Even with permits free, a try_acquire does not pass queued newcomers.
    sem.add_permits(1);
    assert_eq!(wn.count(), 1, "n1 served by the added permit");
    assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
    drop(granted(&mut n1, &wn, 1));
    assert_eq!(wn.count(), 2, "n1's release serves n2");
    drop(granted(&mut n2, &wn, 1));
    drop(ga);
    assert_eq!(sem.available_permits(), 4);
    assert!(sem.try_acquire().is_ok());
}

#[test]
fn released_permits_are_kept_for_a_heavy_head() {
    let ws: Vec<_> = (0..3).map(|_| CountingWaker::new()).collect();
    let sem = Semaphore::new(4);
    let held: Vec<_> = (0..4).map(|_| sem.try_acquire().unwrap()).collect();
    let mut heavy = queued(&sem, 3, &ws[0]);
    let mut light = queued(&sem, 1, &ws[1]);
    let mut held = held.into_iter();
    drop(held.next());
    drop(held.next());
    assert_eq!(sem.available_permits(), 0, "kept for the head");
    assert_eq!(ws[0].count() + ws[1].count(), 0);
    // A re-poll changes nothing.
    assert_pending(heavy.as_mut(), ws[0].waker());
    assert_pending(light.as_mut(), ws[1].waker());
    drop(held.next());
    assert_eq!(ws[0].count(), 1);
    assert_eq!(ws[1].count(), 0);
    assert_eq!(sem.available_permits(), 0);
    drop(held.next());
    assert_eq!(ws[1].count(), 1, "the light waiter takes the fourth");
    let gh = granted(&mut heavy, &ws[0], 3);
    let gl = granted(&mut light, &ws[1], 1);
    drop((gh, gl));
    assert_eq!(sem.available_permits(), 4);
}

/// A waiter for all N permits is not starved by a stream of single-permit
/// requests: once it is queued, every later request queues behind it, so
/// the permits drain to it.
#[test]
fn heavy_waiter_is_not_starved_by_a_stream_of_light_ones() {
    const N: usize = 4;
    let wh = CountingWaker::new();
    let wl = CountingWaker::new();
    let sem = Semaphore::new(N);
    let mut held: Vec<SemaphoreGuard<'_>> = (0..N).map(|_| sem.try_acquire().unwrap()).collect();
    let mut heavy = queued(&sem, N, &wh);
    let mut lights: Vec<Fut<'_>> = Vec::new();
    for _ in 0..N {
        // Each holder returns its permit and immediately asks again.
        drop(held.pop());
        assert!(sem.try_acquire().is_err());
        lights.push(queued(&sem, 1, &wl));
    }
    assert_eq!(wh.count(), 1);
    assert_eq!(wl.count(), 0);
    let g = granted(&mut heavy, &wh, N);
    drop(g);
    assert_eq!(wl.count(), N);
    for mut l in lights {
        drop(granted(&mut l, &wl, 1));
    }
    assert_eq!(sem.available_permits(), N);
}

/// One release serves as many waiters in FIFO order as it can, more than one
/// wake batch of them (8 per critical section in the wait layer).
#[test]
fn one_release_serves_many_waiters_in_order() {
    let w = CountingWaker::new();
    let sem = Semaphore::new(0);
    let mut futs: Vec<Fut<'_>> = (0..20).map(|_| queued(&sem, 1, &w)).collect();
    let mut tail = queued(&sem, 5, &w);
    sem.add_permits(22);
    assert_eq!(w.count(), 20, "all twenty single waiters served");
    assert_eq!(
        sem.available_permits(),
        0,
        "the other two are kept for the tail"
    );
    let guards: Vec<_> = futs.iter_mut().map(|f| granted(f, &w, 1)).collect();
    assert_pending(tail.as_mut(), w.waker());
    drop(guards);
    assert_eq!(w.count(), 21);
    drop(granted(&mut tail, &w, 5));
    assert_eq!(sem.available_permits(), 22);
}

// ---------------------------------------------------------------------------
// Cancellation
// ---------------------------------------------------------------------------

/// embassy's #6964: the head holds a partial set-aside when it is dropped;
/// the permits go back and serve the waiters behind it at once.
#[test]
fn cancelled_head_with_partial_permits_serves_the_waiters_behind() {
    let (wa, wb, wc) = (
        CountingWaker::new(),
        CountingWaker::new(),
        CountingWaker::new(),
    );
    let sem = Semaphore::new(0);
    let a = queued(&sem, 3, &wa);
    let mut b = queued(&sem, 1, &wb);
    let mut c = queued(&sem, 2, &wc);
    sem.add_permits(2);
    assert_eq!(sem.available_permits(), 0);
    assert_eq!((wa.count(), wb.count(), wc.count()), (0, 0, 0));
    drop(a);
    assert_eq!(wb.count(), 1, "B served by A's returned permits");
    assert_eq!(wc.count(), 0, "C needs 2, only 1 left (kept for it)");
    assert_eq!(sem.available_permits(), 0);
    let gb = granted(&mut b, &wb, 1);
    sem.add_permits(1);
    assert_eq!(wc.count(), 1);
    let gc = granted(&mut c, &wc, 2);
    drop((gb, gc));
    assert_eq!(sem.available_permits(), 3);
    assert_eq!(wa.outstanding_clones(), 0, "A's waker left the queue");
}

/// The cancel path settles in bounded batches (8 per critical section):
/// a cancelled head whose permits serve more than a batch of waiters behind
/// it serves them all, in order, and a heavy one after them keeps the rest.
#[test]
fn cancelled_head_serves_more_than_a_batch_behind_it() {
    for behind in [7, 8, 9, 16, 17] {
        let w = CountingWaker::new();
        let wt = CountingWaker::new();
        let sem = Semaphore::new(0);
        let head = queued(&sem, behind + 10, &w);
        let mut futs: Vec<Fut<'_>> = (0..behind).map(|_| queued(&sem, 1, &w)).collect();
        let mut tail = queued(&sem, 3, &wt);
        sem.add_permits(behind + 1);
        assert_eq!(w.count(), 0, "{behind}: all kept for the head");
        drop(head);
        assert_eq!(
            w.count(),
            behind,
            "{behind}: everyone behind the head served"
        );
        assert_eq!(wt.count(), 0, "{behind}: the tail has 1 of 3");
        assert_eq!(sem.available_permits(), 0);
        let guards: Vec<_> = futs.iter_mut().map(|f| granted(f, &w, 1)).collect();
        drop(guards);
        assert_eq!(wt.count(), 1);
        drop(granted(&mut tail, &wt, 3));
        assert_eq!(sem.available_permits(), behind + 1);
    }
}

#[test]
fn cancelled_head_with_partial_permits_and_nobody_behind() {
    let w = CountingWaker::new();
    let sem = Semaphore::new(2);
    let a = queued(&sem, 5, &w);
    assert_eq!(sem.available_permits(), 0);
    sem.add_permits(1);
    assert_eq!(sem.available_permits(), 0);
    drop(a);
    assert_eq!(sem.available_permits(), 3);
    assert_eq!(sem.try_acquire_many(3).unwrap().permits(), 3);
}

#[test]
fn cancelled_non_head_waiter_is_skipped() {
    let ws: Vec<_> = (0..3).map(|_| CountingWaker::new()).collect();
    let sem = Semaphore::new(0);
    let mut a = queued(&sem, 2, &ws[0]);
    let b = queued(&sem, 1, &ws[1]);
    let mut c = queued(&sem, 1, &ws[2]);
    drop(b);
    assert_eq!(ws[1].outstanding_clones(), 0);
    sem.add_permits(3);
    assert_eq!((ws[0].count(), ws[1].count(), ws[2].count()), (1, 0, 1));
    let ga = granted(&mut a, &ws[0], 2);
    let gc = granted(&mut c, &ws[2], 1);
    drop((ga, gc));
    assert_eq!(sem.available_permits(), 3);
}

#[test]
fn cancelled_tail_waiter_then_the_queue_empties() {
    let w = CountingWaker::new();
    let sem = Semaphore::new(0);
    let mut a = queued(&sem, 1, &w);
    let b = queued(&sem, 1, &w);
    drop(b);
    sem.add_permits(1);
    drop(granted(&mut a, &w, 1));
    // The queue is empty again: the fast path works.
    assert_eq!(sem.try_acquire().unwrap().permits(), 1);
}

/// Granted (woken) but dropped before being polled again: the permits come
/// back and serve the next waiter.
#[test]
fn granted_but_dropped_before_polled_returns_the_permits() {
    let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
    let sem = Semaphore::new(0);
    let a = queued(&sem, 2, &wa);
    let mut b = queued(&sem, 3, &wb);
    sem.add_permits(2);
    assert_eq!(wa.count(), 1);
    assert_eq!(sem.available_permits(), 0);
    drop(a);
    assert_eq!(wb.count(), 0, "B needs 3 and has 2 set aside");
    assert_eq!(sem.available_permits(), 0);
    sem.add_permits(1);
    assert_eq!(wb.count(), 1);
    drop(granted(&mut b, &wb, 3));
    assert_eq!(sem.available_permits(), 3);
}

#[test]
fn dropped_before_first_poll_does_nothing() {
    let sem = Semaphore::new(0);
    for n in [0, 1, 5] {
        drop(sem.acquire_many(n));
        drop(Box::pin(sem.acquire_many(n)));
    }
    sem.add_permits(1);
    assert_eq!(sem.available_permits(), 1);
    assert!(sem.try_acquire().is_ok());
}

/// Cancellation at every point, in every position, against a reference:
/// whatever is dropped when, the permits all come back and the live waiters
/// are served in order.
#[test]
fn drop_at_every_point_leaves_the_count_exact() {
    // Points: 0 never polled, 1 after Pending, 2 after woken (granted),
    // 3 after a partial set-aside.
    for point in 0..4 {
        for position in 0..3 {
            let w = CountingWaker::new();
            let sem = Semaphore::new(0);
            let mut futs: Vec<Option<Fut<'_>>> = Vec::new();
            for i in 0..3 {
                let mut f = Box::pin(sem.acquire_many(2));
                if !(i == position && point == 0) {
                    assert_pending(f.as_mut(), w.waker());
                }
                futs.push(Some(f));
            }
            match point {
                2 => {
                    sem.add_permits(2 * (position + 1)); // up to and including `position`
                }
                3 => {
                    sem.add_permits(2 * position + 1); // `position` has one of two
                }
                _ => {}
            }
            futs[position] = None;
            // Whatever happened, adding enough for all serves the others.
            let before = sem.available_permits();
            sem.add_permits(6);
            let mut guards = Vec::new();
            for f in futs.iter_mut().flatten() {
                guards.push(granted(f, &w, 2));
            }
            assert_eq!(guards.len(), 2, "point {point} position {position}");
            drop(guards);
            let added = match point {
                2 => 2 * (position + 1),
                3 => 2 * position + 1,
                _ => 0,
            };
            assert_eq!(
                sem.available_permits(),
                6 + added,
                "point {point} position {position} (free before the final add: {before})"
            );
        }
    }
}

/// A million acquire-poll-drop cycles: a cancelled waiter costs nothing
/// afterwards and the count stays exact. (Memory is measured in
/// tests/no_alloc.rs, which has a counting allocator.)
#[test]
fn a_million_cancelled_waiters_cost_nothing() {
    let w = CountingWaker::new();
    let sem = Semaphore::new(1);
    let holder = sem.try_acquire().unwrap();
    for i in 0..iters(1_000_000, 200) {
        let mut f = Box::pin(sem.acquire_many(1 + i % 3));
        assert_pending(f.as_mut(), w.waker());
    }
    assert_eq!(w.count(), 0);
    assert_eq!(w.outstanding_clones(), 0);
    drop(holder);
    assert_eq!(sem.available_permits(), 1);
    assert_eq!(sem.try_acquire().unwrap().permits(), 1);
}

// ---------------------------------------------------------------------------
// Close
// ---------------------------------------------------------------------------

#[test]
fn close_fails_every_waiter_and_later_acquires() {
    let ws: Vec<_> = (0..12).map(|_| CountingWaker::new()).collect();
    let sem = Semaphore::new(1);
    let held = sem.try_acquire().unwrap();
    let mut futs: Vec<Fut<'_>> = ws
        .iter()
        .enumerate()
        .map(|(i, w)| queued(&sem, 1 + i % 2, w))
        .collect();
    sem.close();
    assert!(sem.is_closed());
    for (f, w) in futs.iter_mut().zip(&ws) {
        assert_eq!(w.count(), 1, "every waiter woken exactly once");
        assert_eq!(assert_ready(f.as_mut(), w.waker()).unwrap_err(), Closed);
    }
    assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::Closed);
    assert_eq!(
        sem.try_acquire_many(5).unwrap_err(),
        TryAcquireError::Closed
    );
    let w = CountingWaker::new();
    let mut f = Box::pin(sem.acquire());
    assert_eq!(assert_ready(f.as_mut(), w.waker()).unwrap_err(), Closed);
    // The guard handed out before still returns its permit.
    drop(held);
    assert_eq!(sem.available_permits(), 1);
    // Closing twice is harmless; adding permits still counts.
    sem.close();
    sem.add_permits(2);
    assert_eq!(sem.available_permits(), 3);
    assert!(sem.is_closed());
    assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::Closed);
}

#[test]
fn close_returns_a_partial_set_aside() {
    let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
    let sem = Semaphore::new(2);
    let mut a = queued(&sem, 5, &wa);
    let mut b = queued(&sem, 1, &wb);
    sem.add_permits(1);
    assert_eq!(sem.available_permits(), 0, "3 set aside for A");
    sem.close();
    assert_eq!(assert_ready(a.as_mut(), wa.waker()).unwrap_err(), Closed);
    assert_eq!(assert_ready(b.as_mut(), wb.waker()).unwrap_err(), Closed);
    assert_eq!(sem.available_permits(), 3, "A's set-aside came back");
}

#[test]
fn close_then_drop_without_polling_returns_a_partial_set_aside() {
    let w = CountingWaker::new();
    let sem = Semaphore::new(2);
    let a = queued(&sem, 5, &w);
    let b = queued(&sem, 1, &w);
    sem.close();
    assert_eq!(w.count(), 2);
    drop(b);
    drop(a);
    assert_eq!(sem.available_permits(), 2);
}

/// A waiter granted before the close keeps its grant.
#[test]
fn granted_before_close_is_still_ok() {
    let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
    let sem = Semaphore::new(0);
    let mut a = queued(&sem, 1, &wa);
    let mut b = queued(&sem, 1, &wb);
    sem.add_permits(1);
    sem.close();
    let g = granted(&mut a, &wa, 1);
    assert_eq!(assert_ready(b.as_mut(), wb.waker()).unwrap_err(), Closed);
    drop(g);
    assert_eq!(sem.available_permits(), 1);
}

// ---------------------------------------------------------------------------
// Wakeups
// ---------------------------------------------------------------------------

#[test]
fn newest_waker_is_woken() {
    let (old, new) = (CountingWaker::new(), CountingWaker::new());
    let sem = Semaphore::new(0);
    let mut f = queued(&sem, 2, &old);
    assert_eq!(old.outstanding_clones(), 1);
    assert_pending(f.as_mut(), new.waker());
    assert_eq!(old.outstanding_clones(), 0, "the replaced waker is dropped");
    assert_eq!(new.outstanding_clones(), 1);
    sem.add_permits(1);
    assert_eq!((old.count(), new.count()), (0, 0));
    sem.add_permits(1);
    assert_eq!((old.count(), new.count()), (0, 1));
    drop(granted(&mut f, &new, 2));
    assert_eq!(new.outstanding_clones(), 0);
}

#[test]
fn spurious_repoll_stays_pending_and_wakes_once() {
    let w = CountingWaker::new();
    let sem = Semaphore::new(0);
    let mut f = queued(&sem, 1, &w);
    for _ in 0..5 {
        assert_pending(f.as_mut(), w.waker());
    }
    assert_eq!(
        w.outstanding_clones(),
        1,
        "the same waker is kept, not cloned again"
    );
    assert_eq!(w.count(), 0);
    sem.add_permits(1);
    sem.add_permits(1);
    sem.close();
    assert_eq!(w.count(), 1, "woken exactly once");
    drop(granted(&mut f, &w, 1));
    assert_eq!(w.count(), 1);
}

#[test]
fn waker_woken_exactly_once_per_grant() {
    let ws: Vec<_> = (0..10).map(|_| CountingWaker::new()).collect();
    let sem = Semaphore::new(0);
    let mut futs: Vec<Fut<'_>> = ws.iter().map(|w| queued(&sem, 1, w)).collect();
    for i in 0..10 {
        sem.add_permits(1);
        for (j, w) in ws.iter().enumerate() {
            assert_eq!(w.count(), usize::from(j <= i), "after {} permits", i + 1);
        }
    }
    for (f, w) in futs.iter_mut().zip(&ws) {
        drop(granted(f, w, 1));
        assert_eq!(w.count(), 1);
    }
}

/// `acquire_many(0)` takes nothing from anyone, so it is ready even while a
/// waiter is queued, and it does not disturb that waiter.
#[test]
fn zero_permit_request_does_not_queue_behind_waiters() {
    let (w, w0) = (CountingWaker::new(), CountingWaker::new());
    let sem = Semaphore::new(1);
    let mut head = queued(&sem, 2, &w);
    let mut zero = Box::pin(sem.acquire_many(0));
    drop(assert_ready(zero.as_mut(), w0.waker()).unwrap());
    assert_eq!(sem.available_permits(), 0, "the set-aside is untouched");
    sem.add_permits(1);
    drop(granted(&mut head, &w, 2));
    assert_eq!(sem.available_permits(), 2);
}

#[test]
fn polling_a_completed_future_panics() {
    let w = CountingWaker::new();
    let sem = Semaphore::new(1);
    let mut f = Box::pin(sem.acquire());
    let g = assert_ready(f.as_mut(), w.waker()).unwrap();
    let msg = panic_message(|| drop(poll_once(f.as_mut(), w.waker())));
    assert!(msg.contains("after it completed"), "{msg}");
    drop(f);
    drop(g);
    assert_eq!(sem.available_permits(), 1);
}

// ---------------------------------------------------------------------------
// A randomised schedule against a reference model
// ---------------------------------------------------------------------------

/// Random single-threaded operations — acquire with a random weight, re-poll,
/// drop a waiter at any point, drop a guard, add permits, try_acquire, close
/// — checked after each step against a reference strict-FIFO semaphore: who
/// is granted, who is woken, and `available_permits()`.
#[test]
fn random_schedules_match_a_reference_model() {
    struct Waiter<'a> {
        fut: Fut<'a>,
        need: usize,
        given: usize,
        waker: CountingWaker,
        done: Option<bool>, // Some(true) granted, Some(false) closed
    }
    for seed in 0..iters(200, 6) as u64 {
        let mut rng = Rng::new(seed + 1);
        let sem = Semaphore::new(rng.below(4));
        let mut free = sem.available_permits();
        let mut closed = false;
        let mut waiters: Vec<Waiter<'_>> = Vec::new(); // FIFO order
        let mut guards: Vec<SemaphoreGuard<'_>> = Vec::new();
        // The reference settle: give free permits to the head, in order.
        fn settle(free: &mut usize, closed: bool, waiters: &mut [Waiter<'_>]) {
            for w in waiters.iter_mut().filter(|w| w.done.is_none()) {
                if closed {
                    w.done = Some(false);
                    continue;
                }
                let give = (*free).min(w.need - w.given);
                w.given += give;
                *free -= give;
                if w.given < w.need {
                    break;
                }
                w.done = Some(true);
            }
        }
        for step in 0..iters(300, 40) {
            let ctx = format!("seed {seed} step {step}");
            match rng.below(9) {
                0 | 1 => {
                    let need = 1 + rng.below(3);
                    let waker = CountingWaker::new();
                    let mut fut = Box::pin(sem.acquire_many(need));
                    let queue_empty = waiters.iter().all(|w| w.done.is_some());
                    match poll_once(fut.as_mut(), waker.waker()) {
                        Poll::Ready(Ok(g)) => {
                            assert!(!closed && queue_empty && free >= need, "{ctx}");
                            free -= need;
                            guards.push(g);
                        }
                        Poll::Ready(Err(Closed)) => assert!(closed, "{ctx}"),
                        Poll::Pending => {
                            assert!(!closed && (!queue_empty || free < need), "{ctx}");
                            waiters.push(Waiter {
                                fut,
                                need,
                                given: 0,
                                waker,
                                done: None,
                            });
                            settle(&mut free, closed, &mut waiters);
                        }
                    }
                }
                2 if !waiters.is_empty() => {
                    // Poll a waiter: ready iff the model finished it.
                    let i = rng.below(waiters.len());
                    let w = &mut waiters[i];
                    let expect = w.done;
                    assert_eq!(w.waker.count(), usize::from(expect.is_some()), "{ctx}");
                    match (poll_once(w.fut.as_mut(), w.waker.waker()), expect) {
                        (Poll::Pending, None) => {}
                        (Poll::Ready(Ok(g)), Some(true)) => {
                            assert_eq!(g.permits(), w.need, "{ctx}");
                            guards.push(g);
                            waiters.remove(i);
                        }
                        (Poll::Ready(Err(Closed)), Some(false)) => {
                            free += w.given;
                            waiters.remove(i);
                            settle(&mut free, closed, &mut waiters);
                        }
                        (got, _) => panic!("{ctx}: got {got:?}, model says {expect:?}"),
                    }
                }
                3 if !waiters.is_empty() => {
                    // Drop a waiter, whatever state it is in.
                    let i = rng.below(waiters.len());
                    let w = waiters.remove(i);
                    free += if w.done == Some(true) {
                        w.need
                    } else {
                        w.given
                    };
                    drop(w.fut);
                    settle(&mut free, closed, &mut waiters);
                }
                4 | 5 if !guards.is_empty() => {
                    let g = guards.swap_remove(rng.below(guards.len()));
                    free += g.permits();
                    drop(g);
                    settle(&mut free, closed, &mut waiters);
                }
                6 => {
                    let n = rng.below(3);
                    sem.add_permits(n);
                    free += n;
                    settle(&mut free, closed, &mut waiters);
                }
                7 => {
                    let n = 1 + rng.below(2);
                    let queue_empty = waiters.iter().all(|w| w.done.is_some());
                    match sem.try_acquire_many(n) {
                        Ok(g) => {
                            assert!(!closed && queue_empty && free >= n, "{ctx}");
                            free -= n;
                            guards.push(g);
                        }
                        Err(TryAcquireError::Closed) => assert!(closed, "{ctx}"),
                        Err(TryAcquireError::NoPermits) => {
                            assert!(!closed && (!queue_empty || free < n), "{ctx}")
                        }
                    }
                }
                8 if rng.below(20) == 0 => {
                    sem.close();
                    closed = true;
                    settle(&mut free, closed, &mut waiters);
                }
                _ => {}
            }
            // Whatever is finished was woken exactly once; nobody else was.
            for w in &waiters {
                assert_eq!(w.waker.count(), usize::from(w.done.is_some()), "{ctx}");
            }
            // Closed waiters that have not yet seen it still hold their
            // set-aside (they give it back when polled or dropped).
            assert_eq!(sem.available_permits(), free, "{ctx}");
        }
        // Drain: drop everything; all permits come back.
        let held: usize = guards.iter().map(|g| g.permits()).sum::<usize>()
            + waiters
                .iter()
                .map(|w| {
                    if w.done == Some(true) {
                        w.need
                    } else {
                        w.given
                    }
                })
                .sum::<usize>();
        drop(guards);
        drop(waiters);
        assert_eq!(sem.available_permits(), free + held, "seed {seed} drain");
    }
}

// ---------------------------------------------------------------------------
// Arc API (alloc, std)
// ---------------------------------------------------------------------------

#[cfg(feature = "alloc")]
mod arc {
    use super::*;
    use std::sync::Arc;
    use turnstile_sync::SemaphoreGuardArc;

    #[test]
    fn arc_guards_and_futures() {
        let w = CountingWaker::new();
        let sem = Arc::new(Semaphore::new(3));
        let a = sem.try_acquire_arc().unwrap();
        assert_eq!(a.permits(), 1);
        assert!(Arc::ptr_eq(SemaphoreGuardArc::source(&a), &sem));
        let b = sem.try_acquire_many_arc(2).unwrap();
        assert_eq!(b.permits(), 2);
        assert_eq!(
            sem.try_acquire_arc().unwrap_err(),
            TryAcquireError::NoPermits
        );
        let mut f = Box::pin(sem.acquire_many_arc(2));
        assert_pending(f.as_mut(), w.waker());
        let mut g = Box::pin(sem.acquire_arc());
        assert_pending(g.as_mut(), w.waker());
        assert!(format!("{f:?}").contains("permits: 2"));
        // Guards are 'static: return one from another thread.
        std::thread::spawn(move || drop(b)).join().unwrap();
        assert_eq!(w.count(), 1);
        let fb = assert_ready(f.as_mut(), w.waker()).unwrap();
        assert_eq!(fb.permits(), 2);
        assert_eq!(format!("{fb:?}"), "SemaphoreGuardArc { permits: 2 }");
        SemaphoreGuardArc::forget(a);
        drop(fb);
        assert_eq!(w.count(), 2);
        let gg = assert_ready(g.as_mut(), w.waker()).unwrap();
        drop(gg);
        assert_eq!(sem.available_permits(), 2, "one forgotten");
        sem.close();
        assert_eq!(sem.try_acquire_arc().unwrap_err(), TryAcquireError::Closed);
        let mut h = Box::pin(sem.acquire_many_arc(1));
        assert_eq!(assert_ready(h.as_mut(), w.waker()).unwrap_err(), Closed);
        let msg = panic_message(|| drop(sem.acquire_many_arc(MAX + 1)));
        assert!(msg.contains("MAX_PERMITS"), "{msg}");
        let msg = panic_message(|| drop(sem.try_acquire_many_arc(MAX + 1)));
        assert!(msg.contains("MAX_PERMITS"), "{msg}");
    }

    #[test]
    fn arc_future_cancelled_with_partial_permits() {
        let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
        let sem = Arc::new(Semaphore::new(1));
        let mut a = Box::pin(sem.acquire_many_arc(2));
        assert_pending(a.as_mut(), wa.waker());
        let mut b = Box::pin(sem.acquire_arc());
        assert_pending(b.as_mut(), wb.waker());
        assert_eq!(sem.available_permits(), 0);
        drop(a);
        assert_eq!(wb.count(), 1);
        drop(assert_ready(b.as_mut(), wb.waker()).unwrap());
        assert_eq!(sem.available_permits(), 1);
        assert_eq!(
            Arc::strong_count(&sem),
            1,
            "futures and guards let go of the Arc"
        );
    }
}

// ---------------------------------------------------------------------------
// Threads and executors (std)
// ---------------------------------------------------------------------------

#[cfg(feature = "std")]
mod threads {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;
    use std::thread;

    /// Counts permits in use; asserts the bound on the way in.
    struct InUse {
        now: AtomicUsize,
        limit: usize,
    }

    impl InUse {
        fn enter(&self, n: usize) {
            let now = self.now.fetch_add(n, SeqCst) + n;
            assert!(
                now <= self.limit,
                "{now} permits in use, limit {}",
                self.limit
            );
        }
        fn leave(&self, n: usize) {
            self.now.fetch_sub(n, SeqCst);
        }
    }

    #[test]
    fn blocking_acquire_and_close() {
        let sem = Semaphore::new(1);
        let g = sem.acquire_blocking().unwrap();
        assert_eq!(g.permits(), 1);
        thread::scope(|s| {
            let waiter = s.spawn(|| sem.acquire_many_blocking(1).map(|g| g.permits()));
            while sem.available_permits() != 0 || !format!("{sem:?}").contains("waiters: true") {
                thread::yield_now();
            }
            sem.close();
            assert_eq!(waiter.join().unwrap(), Err(Closed));
        });
        assert_eq!(sem.acquire_blocking().unwrap_err(), Closed);
        drop(g);
        assert_eq!(sem.available_permits(), 1);
        let msg = panic_message(|| drop(sem.acquire_many_blocking(MAX + 1)));
        assert!(msg.contains("MAX_PERMITS"), "{msg}");
    }

    #[test]
    fn blocking_threads_with_mixed_weights() {
        const N: usize = 5;
        let per_thread = iters(2_000, 10);
        let sem = Semaphore::new(N);
        let in_use = InUse {
            now: AtomicUsize::new(0),
            limit: N,
        };
        thread::scope(|s| {
            for t in 0..6 {
                let (sem, in_use) = (&sem, &in_use);
                s.spawn(move || {
                    let mut rng = Rng::new(t as u64 + 7);
                    for _ in 0..per_thread {
                        let n = 1 + rng.below(N);
                        let g = if rng.below(2) == 0 {
                            sem.acquire_many_blocking(n).unwrap()
                        } else {
                            futures_lite::future::block_on(sem.acquire_many(n)).unwrap()
                        };
                        in_use.enter(n);
                        if rng.below(4) == 0 {
                            thread::yield_now();
                        }
                        in_use.leave(n);
                        drop(g);
                    }
                });
            }
        });
        assert_eq!(sem.available_permits(), N);
    }

    /// Threads that cancel their waits (poll once, drop) race real
    /// acquirers: no permit is stranded and nobody hangs.
    #[test]
    fn cancellations_race_real_acquirers() {
        const N: usize = 3;
        let rounds = iters(3_000, 10);
        let sem = Semaphore::new(N);
        let in_use = InUse {
            now: AtomicUsize::new(0),
            limit: N,
        };
        thread::scope(|s| {
            for t in 0..4 {
                let (sem, in_use) = (&sem, &in_use);
                s.spawn(move || {
                    let w = CountingWaker::new();
                    for i in 0..rounds {
                        let n = 1 + (t + i) % N;
                        if t % 2 == 0 {
                            let mut f = Box::pin(sem.acquire_many(n));
                            if let Poll::Ready(g) = poll_once(f.as_mut(), w.waker()) {
                                let g = g.unwrap();
                                in_use.enter(n);
                                in_use.leave(n);
                                drop(g);
                            }
                        } else {
                            let g = sem.acquire_many_blocking(n).unwrap();
                            in_use.enter(n);
                            in_use.leave(n);
                            drop(g);
                        }
                    }
                });
            }
        });
        assert_eq!(sem.available_permits(), N);
    }

    /// One task wants all N permits while many loop taking one: it must get
    /// them (the test completes) and the bound holds throughout.
    #[test]
    fn heavy_waiter_completes_under_a_stream_of_light_threads() {
        const N: usize = 4;
        let sem = Semaphore::new(N);
        let in_use = InUse {
            now: AtomicUsize::new(0),
            limit: N,
        };
        let stop = AtomicBool::new(false);
        let heavy_rounds = iters(50, 2);
        thread::scope(|s| {
            for _ in 0..4 {
                let (sem, in_use, stop) = (&sem, &in_use, &stop);
                s.spawn(move || {
                    while !stop.load(SeqCst) {
                        let g = sem.acquire_blocking().unwrap();
                        in_use.enter(1);
                        thread::yield_now();
                        in_use.leave(1);
                        drop(g);
                    }
                });
            }
            for _ in 0..heavy_rounds {
                let g = sem.acquire_many_blocking(N).unwrap();
                in_use.enter(N);
                in_use.leave(N);
                drop(g);
            }
            stop.store(true, SeqCst);
        });
        assert_eq!(sem.available_permits(), N);
    }

    #[test]
    fn close_wakes_blocked_threads() {
        let sem = Semaphore::new(0);
        // Bit n set: the thread wanting n permits failed with Closed.
        let failed = AtomicUsize::new(0);
        thread::scope(|s| {
            for n in 1..5 {
                let (sem, failed) = (&sem, &failed);
                s.spawn(move || {
                    if sem.acquire_many_blocking(n).is_err() {
                        failed.fetch_or(1 << n, SeqCst);
                    }
                });
            }
            sem.add_permits(2); // some may be set aside, some granted
            thread::yield_now();
            sem.close();
        });
        // Everyone finished; whoever got permits returned them (a set-aside
        // too); the threads wanting 3 and 4 could never be served.
        assert_eq!(sem.available_permits(), 2);
        let failed = failed.load(SeqCst);
        assert_eq!(failed & 0b11000, 0b11000, "failed: {failed:#b}");
    }

    #[cfg(not(miri))]
    #[test]
    fn tokio_tasks_and_threads_share_the_bound() {
        const N: usize = 6;
        let sem = Arc::new(Semaphore::new(N));
        let in_use = Arc::new(InUse {
            now: AtomicUsize::new(0),
            limit: N,
        });
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(3)
            .build()
            .unwrap();
        let mut tasks = Vec::new();
        for t in 0..16usize {
            let (sem, in_use) = (sem.clone(), in_use.clone());
            tasks.push(rt.spawn(async move {
                for i in 0..300 {
                    let n = 1 + (t * 7 + i) % N;
                    let g = sem.acquire_many_arc(n).await.unwrap();
                    in_use.enter(n);
                    tokio::task::yield_now().await;
                    in_use.leave(n);
                    drop(g);
                    // Some cancel: a select-like race against an immediate
                    // timeout of one poll.
                    if i % 5 == 0 {
                        let mut f = Box::pin(sem.acquire_many(n));
                        let w = CountingWaker::new();
                        if let Poll::Ready(g) = poll_once(f.as_mut(), w.waker()) {
                            let g = g.unwrap();
                            in_use.enter(n);
                            in_use.leave(n);
                            drop(g);
                        }
                    }
                }
            }));
        }
        let threads: Vec<_> = (0..2)
            .map(|t| {
                let (sem, in_use) = (sem.clone(), in_use.clone());
                thread::spawn(move || {
                    for i in 0..500 {
                        let n = 1 + (t + i) % N;
                        let g = sem.acquire_many_blocking(n).unwrap();
                        in_use.enter(n);
                        in_use.leave(n);
                        drop(g);
                    }
                })
            })
            .collect();
        rt.block_on(async {
            for t in tasks {
                t.await.unwrap();
            }
        });
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(sem.available_permits(), N);
    }

    #[cfg(not(miri))]
    #[test]
    fn smol_heavy_task_is_not_starved() {
        const N: usize = 4;
        let sem = Arc::new(Semaphore::new(N));
        let stop = Arc::new(AtomicBool::new(false));
        let ex = Arc::new(smol::Executor::new());
        let workers: Vec<_> = (0..3)
            .map(|_| {
                let ex = ex.clone();
                let stop = stop.clone();
                thread::spawn(move || {
                    smol::block_on(ex.run(async {
                        while !stop.load(SeqCst) {
                            smol::future::yield_now().await;
                        }
                    }))
                })
            })
            .collect();
        let lights: Vec<_> = (0..8)
            .map(|_| {
                let (sem, stop) = (sem.clone(), stop.clone());
                ex.spawn(async move {
                    while !stop.load(SeqCst) {
                        let g = sem.acquire_arc().await.unwrap();
                        smol::future::yield_now().await;
                        drop(g);
                    }
                })
            })
            .collect();
        let heavy = {
            let sem = sem.clone();
            ex.spawn(async move {
                for _ in 0..100 {
                    let g = sem.acquire_many_arc(N).await.unwrap();
                    assert_eq!(g.permits(), N);
                }
            })
        };
        smol::block_on(heavy);
        stop.store(true, SeqCst);
        for l in lights {
            smol::block_on(l);
        }
        for w in workers {
            w.join().unwrap();
        }
        assert_eq!(sem.available_permits(), N);
    }
}

/// A waker that panics in `wake` must not strand the other waiters of the
/// same wake batch: they were already granted and taken off the queue, so
/// only their wakeup tells them.
#[test]
fn a_panicking_waker_does_not_strand_the_rest_of_its_batch() {
    use common::CallbackWaker;
    let sem = Semaphore::new(0);
    let bomb = CallbackWaker::on_wake(|| panic!("waker exploded"));
    let calm = CountingWaker::new();
    let mut first = Box::pin(sem.acquire());
    assert_pending(first.as_mut(), bomb.waker());
    let mut second = queued(&sem, 1, &calm);
    let outcome = catch_unwind(AssertUnwindSafe(|| sem.add_permits(2)));
    assert!(outcome.is_err(), "the first waker's panic should propagate");
    assert_eq!(bomb.count(), 1);
    assert_eq!(calm.count(), 1, "the second waiter's wakeup was lost");
    drop(granted(&mut second, &calm, 1));
    drop(assert_ready(first.as_mut(), bomb.waker()).unwrap());
    assert_eq!(sem.available_permits(), 2);
}

/// Twelve one-permit waiters, the first one's waker panics, and
/// `add_permits(12)` grants them all: the panic reaches the caller, and the
/// waiters after the panicking waker's batch of eight are still granted and
/// woken (the settle used to unwind out of its loop, leaving four waiters
/// queued, four permits in the word and `try_acquire` refused). Every permit
/// is accounted for, and the semaphore is usable afterwards.
#[test]
fn a_panicking_waker_does_not_strand_the_waiters_after_its_batch() {
    use common::{expect_waker_panic, panicking_waker};
    let sem = Semaphore::new(0);
    let bomb = panicking_waker();
    let mut first = Box::pin(sem.acquire());
    assert_pending(first.as_mut(), bomb.waker());
    let wakers: Vec<CountingWaker> = (0..11).map(|_| CountingWaker::new()).collect();
    let mut futs: Vec<Fut<'_>> = wakers.iter().map(|k| queued(&sem, 1, k)).collect();
    expect_waker_panic(|| sem.add_permits(12));
    assert_eq!(bomb.count(), 1);
    let unwoken = wakers.iter().filter(|k| k.count() != 1).count();
    assert_eq!(unwoken, 0, "{unwoken} of 11 waiters not woken exactly once");
    assert_eq!(sem.available_permits(), 0, "permits left in the word");
    let guards: Vec<_> = futs
        .iter_mut()
        .zip(&wakers)
        .map(|(f, k)| granted(f, k, 1))
        .collect();
    let calm = CountingWaker::new();
    let last = granted(&mut first, &calm, 1);
    assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
    drop((guards, last));
    assert_eq!(sem.available_permits(), 12);
    drop(
        sem.try_acquire_many(12)
            .expect("try_acquire refused free permits"),
    );
}

/// A head waiter that needs more permits than are free holds twelve set
/// aside; it is dropped, and the twelve pass to the one-permit waiters behind
/// it, the first of which has a waker that panics: the drop passes the panic
/// on, and every waiter behind that one is still granted and woken (the
/// cancel's settle used to stop after the first batch of eight).
#[test]
fn a_panicking_waker_does_not_strand_the_waiters_behind_a_cancelled_head() {
    use common::{expect_waker_panic, panicking_waker};
    let sem = Semaphore::new(0);
    let idle = CountingWaker::new();
    let head = queued(&sem, 100, &idle);
    let bomb = panicking_waker();
    let mut first = Box::pin(sem.acquire());
    assert_pending(first.as_mut(), bomb.waker());
    let wakers: Vec<CountingWaker> = (0..11).map(|_| CountingWaker::new()).collect();
    let mut futs: Vec<Fut<'_>> = wakers.iter().map(|k| queued(&sem, 1, k)).collect();
    sem.add_permits(12);
    assert_eq!(sem.available_permits(), 0, "set aside for the head");
    assert_eq!(
        bomb.count() + wakers.iter().map(|k| k.count()).sum::<usize>(),
        0
    );
    expect_waker_panic(|| drop(head));
    assert_eq!(bomb.count(), 1);
    let unwoken = wakers.iter().filter(|k| k.count() != 1).count();
    assert_eq!(unwoken, 0, "{unwoken} of 11 waiters not woken exactly once");
    assert_eq!(sem.available_permits(), 0, "permits left in the word");
    for (f, k) in futs.iter_mut().zip(&wakers) {
        drop(granted(f, k, 1));
    }
    drop(first);
    assert_eq!(sem.available_permits(), 12);
    drop(
        sem.try_acquire()
            .expect("try_acquire refused a free permit"),
    );
}

/// `close` with a first waiter whose waker panics: the panic reaches the
/// caller and every waiter behind it, past the first batch of eight, still
/// fails with `Closed`, woken once; the semaphore reports closed, not busy.
#[test]
fn a_panicking_waker_does_not_strand_the_waiters_of_a_close() {
    use common::{expect_waker_panic, panicking_waker};
    let sem = Semaphore::new(0);
    let bomb = panicking_waker();
    let mut first = Box::pin(sem.acquire());
    assert_pending(first.as_mut(), bomb.waker());
    let wakers: Vec<CountingWaker> = (0..11).map(|_| CountingWaker::new()).collect();
    let mut futs: Vec<Fut<'_>> = wakers.iter().map(|k| queued(&sem, 1, k)).collect();
    expect_waker_panic(|| sem.close());
    let unwoken = wakers.iter().filter(|k| k.count() != 1).count();
    assert_eq!(unwoken, 0, "{unwoken} of 11 waiters not woken exactly once");
    for (f, k) in futs.iter_mut().zip(&wakers) {
        assert_eq!(assert_ready(f.as_mut(), k.waker()).unwrap_err(), Closed);
    }
    assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::Closed);
    drop(first);
    sem.add_permits(1);
    assert_eq!(sem.available_permits(), 1);
}

/// Forgotten permits leave the semaphore for good, so they no longer count
/// toward MAX_PERMITS: after forgetting one of two, MAX - 1 more may be
/// added (and then not one more).
#[test]
fn forgotten_permits_no_longer_count_toward_max_permits() {
    let sem = Semaphore::new(2);
    SemaphoreGuard::forget(sem.try_acquire().unwrap());
    sem.add_permits(MAX - 1);
    assert_eq!(sem.available_permits(), MAX);
    let msg = panic_message(|| sem.add_permits(1));
    assert!(msg.contains("MAX_PERMITS"), "unclear message: {msg}");
    assert_eq!(sem.available_permits(), MAX);
    #[cfg(feature = "alloc")]
    {
        let sem = std::sync::Arc::new(Semaphore::new(2));
        turnstile_sync::SemaphoreGuardArc::forget(sem.try_acquire_arc().unwrap());
        sem.add_permits(MAX - 1);
        assert_eq!(sem.available_permits(), MAX);
    }
}

// ---------------------------------------------------------------------------
// forget_permits (issue 13)
// ---------------------------------------------------------------------------

#[test]
fn forget_permits_takes_only_free_permits() {
    let sem = Semaphore::new(5);
    let g = sem.try_acquire_many(2).unwrap();
    assert_eq!(sem.forget_permits(0), 0);
    assert_eq!(sem.forget_permits(1), 1);
    assert_eq!(sem.forget_permits(usize::MAX), 2, "only 2 were free");
    assert_eq!(sem.available_permits(), 0);
    assert_eq!(sem.forget_permits(1), 0);
    drop(g);
    assert_eq!(sem.available_permits(), 2, "held permits are not forgotten");
    sem.close();
    assert_eq!(sem.forget_permits(1), 1, "a closed semaphore forgets too");
    assert_eq!(sem.available_permits(), 1);
}

/// Permits set aside for a queued head are not free, and while anyone waits
/// the free ones are owed to the head: `forget_permits` takes nothing, and
/// the head and the waiters behind it are served in FIFO order.
#[test]
fn forget_permits_never_takes_set_aside_permits() {
    let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
    let sem = Semaphore::new(3);
    let g = sem.try_acquire_many(2).unwrap();
    let mut a = queued(&sem, 3, &wa);
    let mut b = queued(&sem, 1, &wb);
    assert_eq!(sem.available_permits(), 0, "1 set aside for A");
    assert_eq!(sem.forget_permits(3), 0);
    drop(g);
    assert_eq!(wa.count(), 1, "A has all 3: its set-aside was kept");
    assert_eq!(wb.count(), 0);
    let ga = granted(&mut a, &wa, 3);
    assert_eq!(sem.forget_permits(1), 0, "nothing free, B waits");
    drop(ga);
    assert_eq!(wb.count(), 1);
    drop(granted(&mut b, &wb, 1));
    assert_eq!(sem.forget_permits(3), 3);
    assert_eq!(sem.available_permits(), 0);
}

/// Forgotten free permits leave the `MAX_PERMITS` total, as a forgotten
/// guard's do.
#[test]
fn forget_permits_frees_max_permits_room() {
    let sem = Semaphore::new(MAX);
    assert_eq!(sem.forget_permits(2), 2);
    let msg = panic_message(|| sem.add_permits(3));
    assert!(msg.contains("MAX_PERMITS"), "unclear message: {msg}");
    assert_eq!(sem.available_permits(), MAX - 2);
    sem.add_permits(2);
    assert_eq!(sem.available_permits(), MAX);
    let msg = panic_message(|| sem.add_permits(1));
    assert!(msg.contains("MAX_PERMITS"), "unclear message: {msg}");
    assert_eq!(sem.available_permits(), MAX);
}

// ---------------------------------------------------------------------------
// Guards: split, merge, source (issue 13)
// ---------------------------------------------------------------------------

#[test]
fn guard_source_is_the_semaphore() {
    let (a, b) = (Semaphore::new(1), Semaphore::new(1));
    let ga = a.try_acquire().unwrap();
    assert!(std::ptr::eq(SemaphoreGuard::source(&ga), &a));
    assert!(!std::ptr::eq(SemaphoreGuard::source(&ga), &b));
}

/// Splitting and merging move permits between guards and never change the
/// count; the permits the parts return serve queued waiters in FIFO order.
#[test]
fn split_and_merge_keep_the_count_exact_and_serve_waiters_in_order() {
    let (wa, wb, wc) = (
        CountingWaker::new(),
        CountingWaker::new(),
        CountingWaker::new(),
    );
    let sem = Semaphore::new(6);
    let mut g = sem.try_acquire_many(6).unwrap();
    assert!(g.split(7).is_none());
    assert_eq!(g.permits(), 6, "a refused split changes nothing");
    let mut two = g.split(2).unwrap();
    let empty = g.split(0).unwrap();
    assert_eq!((g.permits(), two.permits(), empty.permits()), (4, 2, 0));
    drop(empty);
    assert_eq!(sem.available_permits(), 0);
    let mut a = queued(&sem, 3, &wa);
    let mut b = queued(&sem, 1, &wb);
    let mut c = queued(&sem, 2, &wc);
    // 1 + 1 for A (it waits for 3: kept for it); B is not served ahead.
    drop(two.split(1).unwrap());
    drop(two);
    assert_eq!((wa.count(), wb.count()), (0, 0));
    let mut rest = g.split(1).unwrap();
    rest.merge(g.split(2).unwrap());
    assert_eq!((g.permits(), rest.permits()), (1, 3));
    drop(rest); // 1 to finish A, 1 for B, 1 set aside for C
    assert_eq!((wa.count(), wb.count(), wc.count()), (1, 1, 0));
    let mut ga = granted(&mut a, &wa, 3);
    let gb = granted(&mut b, &wb, 1);
    ga.merge(gb);
    ga.merge(g);
    assert_eq!(ga.permits(), 5);
    assert_eq!(sem.available_permits(), 0, "C's 1 set aside is not free");
    drop(ga);
    assert_eq!(wc.count(), 1);
    drop(granted(&mut c, &wc, 2));
    assert_eq!(sem.available_permits(), 6);
}

#[test]
#[should_panic(expected = "SemaphoreGuard::merge of a guard from another semaphore")]
fn merge_of_two_semaphores_panics() {
    let (a, b) = (Semaphore::new(1), Semaphore::new(1));
    let mut ga = a.try_acquire().unwrap();
    ga.merge(b.try_acquire().unwrap());
}

/// The refused guard goes back to its own semaphore; the other is untouched.
#[test]
fn refused_merge_returns_the_other_guard_to_its_semaphore() {
    let (a, b) = (Semaphore::new(2), Semaphore::new(2));
    let mut ga = a.try_acquire().unwrap();
    let msg = panic_message(|| ga.merge(b.try_acquire_many(2).unwrap()));
    assert!(
        msg.contains("merge only guards of the same semaphore"),
        "{msg}"
    );
    assert_eq!(ga.permits(), 1);
    assert_eq!((a.available_permits(), b.available_permits()), (1, 2));
}

#[cfg(feature = "alloc")]
#[test]
fn arc_guards_split_and_merge() {
    use std::sync::Arc;
    use turnstile_sync::SemaphoreGuardArc;
    let w = CountingWaker::new();
    let sem = Arc::new(Semaphore::new(4));
    let mut g = sem.try_acquire_many_arc(4).unwrap();
    assert!(g.split(5).is_none());
    let mut one = g.split(1).unwrap();
    assert!(Arc::ptr_eq(SemaphoreGuardArc::source(&one), &sem));
    one.merge(g.split(1).unwrap());
    assert_eq!((g.permits(), one.permits()), (2, 2));
    let mut f = Box::pin(sem.acquire_many_arc(3));
    assert_pending(f.as_mut(), w.waker());
    drop(one);
    assert_eq!(w.count(), 0, "2 of 3 kept for the head");
    drop(g.split(1).unwrap());
    assert_eq!(w.count(), 1);
    let mut got = assert_ready(f.as_mut(), w.waker()).unwrap();
    assert_eq!(got.permits(), 3);
    got.merge(g.split(1).unwrap());
    drop(g);
    assert_eq!(got.permits(), 4);
    drop(got);
    assert_eq!(sem.available_permits(), 4);
}

#[cfg(feature = "alloc")]
#[test]
#[should_panic(expected = "SemaphoreGuardArc::merge of a guard from another semaphore")]
fn arc_merge_of_two_semaphores_panics() {
    use std::sync::Arc;
    let (a, b) = (Arc::new(Semaphore::new(1)), Arc::new(Semaphore::new(1)));
    let mut ga = a.try_acquire_arc().unwrap();
    ga.merge(b.try_acquire_arc().unwrap());
}

// ---------------------------------------------------------------------------
// Blocking Arc forms (issue 13, std)
// ---------------------------------------------------------------------------

#[cfg(feature = "std")]
mod arc_blocking {
    use super::*;
    use std::sync::Arc;
    use std::thread;

    fn until_queued(sem: &Semaphore) {
        while !format!("{sem:?}").contains("waiters: true") {
            thread::yield_now();
        }
    }

    /// A blocked thread queues behind an earlier task, FIFO, and its guard
    /// is `'static`: it comes back from the thread.
    #[test]
    fn acquire_many_arc_blocking_waits_its_turn() {
        let w = CountingWaker::new();
        let sem = Arc::new(Semaphore::new(0));
        let mut first = Box::pin(sem.acquire_many_arc(1));
        assert_pending(first.as_mut(), w.waker());
        let s = sem.clone();
        let blocked = thread::spawn(move || s.acquire_many_arc_blocking(2));
        // The task is queued, so the thread's `try_take` fails and it
        // blocks on its own `AcquireArc` (the fourth `Arc`), behind the task.
        while Arc::strong_count(&sem) < 4 {
            thread::yield_now();
        }
        sem.add_permits(2);
        assert_eq!(w.count(), 1, "the earlier task is served first");
        let g1 = assert_ready(first.as_mut(), w.waker()).unwrap();
        until_queued(&sem);
        sem.add_permits(1);
        let g2 = blocked.join().unwrap().unwrap();
        assert_eq!((g1.permits(), g2.permits()), (1, 2));
        assert!(Arc::ptr_eq(
            turnstile_sync::SemaphoreGuardArc::source(&g2),
            &sem
        ));
        drop((g1, g2));
        assert_eq!(sem.available_permits(), 3);
        assert_eq!(sem.acquire_arc_blocking().unwrap().permits(), 1);
        assert_eq!(sem.acquire_many_arc_blocking(0).unwrap().permits(), 0);
    }

    #[test]
    fn acquire_arc_blocking_fails_on_close() {
        let sem = Arc::new(Semaphore::new(1));
        let g = sem.acquire_arc_blocking().unwrap();
        let s = sem.clone();
        let blocked = thread::spawn(move || s.acquire_arc_blocking().map(|g| g.permits()));
        until_queued(&sem);
        sem.close();
        assert_eq!(blocked.join().unwrap(), Err(Closed));
        assert_eq!(sem.acquire_many_arc_blocking(1).unwrap_err(), Closed);
        drop(g);
        assert_eq!(sem.available_permits(), 1);
        let msg = panic_message(|| drop(sem.acquire_many_arc_blocking(MAX + 1)));
        assert!(msg.contains("MAX_PERMITS"), "{msg}");
    }
}

// ---------------------------------------------------------------------------
// A ceiling: Semaphore::with_max (issue 13)
// ---------------------------------------------------------------------------

#[test]
fn with_max_add_past_the_ceiling_panics_and_leaves_the_count() {
    static CEILED: Semaphore = Semaphore::with_max(2, 5);
    let sem = &CEILED;
    sem.add_permits(3);
    assert_eq!(sem.available_permits(), 5);
    let msg = panic_message(|| sem.add_permits(1));
    assert!(
        msg.contains("with_max") && msg.contains("only 0 more fit"),
        "{msg}"
    );
    assert_eq!(sem.available_permits(), 5);
    let msg = panic_message(|| sem.add_permits(usize::MAX));
    assert!(msg.contains("maximum"), "{msg}");
    assert_eq!(sem.available_permits(), 5);
    assert_eq!(sem.try_add_permits(1), Err(TooManyPermits));
    assert_eq!(sem.try_add_permits(usize::MAX), Err(TooManyPermits));
    assert_eq!(sem.available_permits(), 5);
    assert_eq!(sem.try_add_permits(0), Ok(()));
    // Still works.
    drop(sem.try_acquire_many(5).unwrap());
    assert_eq!(sem.available_permits(), 5);
}

/// The ceiling counts permits held in guards and set aside for waiters, so
/// guards coming back never leave more than `max` free; forgotten permits
/// leave room.
#[test]
fn with_max_guards_returning_permits_never_exceed_it() {
    let w = CountingWaker::new();
    let sem = Semaphore::with_max(3, 3);
    let g = sem.try_acquire_many(2).unwrap();
    assert_eq!(
        sem.try_add_permits(1),
        Err(TooManyPermits),
        "2 held + 1 free"
    );
    drop(g);
    assert_eq!(sem.available_permits(), 3);
    let g = sem.try_acquire_many(3).unwrap();
    let mut f = queued(&sem, 2, &w);
    assert_eq!(sem.try_add_permits(1), Err(TooManyPermits));
    SemaphoreGuard::forget(g);
    sem.add_permits(1);
    assert_eq!((sem.available_permits(), w.count()), (0, 0), "1 set aside");
    assert_eq!(
        sem.try_add_permits(3),
        Err(TooManyPermits),
        "1 set aside + 3 > 3"
    );
    assert_eq!(sem.try_add_permits(1), Ok(()));
    let got = granted(&mut f, &w, 2);
    assert_eq!(sem.try_add_permits(1), Ok(()));
    assert_eq!(sem.try_add_permits(1), Err(TooManyPermits));
    drop(got);
    assert_eq!(sem.available_permits(), 3);
    assert_eq!(sem.forget_permits(2), 2);
    assert_eq!(sem.try_add_permits(3), Err(TooManyPermits));
    sem.add_permits(2);
    assert_eq!(sem.available_permits(), 3);
}

#[test]
fn with_max_checks_its_arguments() {
    assert_eq!(
        Semaphore::with_max(0, 0).try_add_permits(1),
        Err(TooManyPermits)
    );
    assert_eq!(Semaphore::with_max(MAX, MAX).available_permits(), MAX);
    let msg = panic_message(|| {
        std::hint::black_box(Semaphore::with_max(3, 2));
    });
    assert!(msg.contains("more permits than its max"), "{msg}");
    let msg = panic_message(|| {
        std::hint::black_box(Semaphore::with_max(0, MAX + 1));
    });
    assert!(msg.contains("MAX_PERMITS"), "{msg}");
    // Without a ceiling of its own, the ceiling is MAX_PERMITS.
    let sem = Semaphore::new(MAX - 1);
    assert_eq!(sem.try_add_permits(2), Err(TooManyPermits));
    assert_eq!(sem.try_add_permits(1), Ok(()));
    assert_eq!(sem.available_permits(), MAX);
}

#[test]
fn too_many_permits_error() {
    let err = TooManyPermits;
    assert_eq!(
        err.to_string(),
        "too many permits: the semaphore's maximum would be exceeded"
    );
    assert_eq!(format!("{err:?}"), "TooManyPermits");
    let e: &dyn std::error::Error = &err;
    assert!(e.source().is_none());
}
