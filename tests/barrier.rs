//! `Barrier`, driven by hand with counting wakers (every tier, miri), plus a
//! small multi-threaded stress in the std tier.

mod common;

use std::pin::{pin, Pin};

use common::{assert_pending, assert_ready, iters, poll_once, CountingWaker};
use turnstile_sync::{Barrier, BarrierWait};

#[test]
fn new_zero_behaves_as_one() {
    let barrier = Barrier::new(0);
    let waker = CountingWaker::new();
    for _ in 0..3 {
        let mut wait = pin!(barrier.wait());
        assert!(assert_ready(wait.as_mut(), waker.waker()).is_leader());
    }
    assert_eq!(waker.count(), 0);
}

#[test]
fn n_equal_one_always_leader() {
    let barrier = Barrier::new(1);
    let waker = CountingWaker::new();
    let mut wait = pin!(barrier.wait());
    assert!(assert_ready(wait.as_mut(), waker.waker()).is_leader());
    assert_eq!(waker.outstanding_clones(), 0, "the leader kept a waker");
}

#[test]
fn releases_all_at_the_nth_arrival_with_one_leader() {
    let barrier = Barrier::new(3);
    let (wa, wb, wc) = (
        CountingWaker::new(),
        CountingWaker::new(),
        CountingWaker::new(),
    );
    let mut a = pin!(barrier.wait());
    let mut b = pin!(barrier.wait());
    let mut c = pin!(barrier.wait());
    assert_pending(a.as_mut(), wa.waker());
    assert_pending(b.as_mut(), wb.waker());
    assert_eq!((wa.count(), wb.count()), (0, 0));
    // Re-polling does not arrive again.
    assert_pending(a.as_mut(), wa.waker());
    let rc = assert_ready(c.as_mut(), wc.waker());
    assert!(rc.is_leader(), "the last arrival is the leader");
    assert_eq!((wa.count(), wb.count()), (1, 1), "release wakes each once");
    assert!(!assert_ready(a.as_mut(), wa.waker()).is_leader());
    assert!(!assert_ready(b.as_mut(), wb.waker()).is_leader());
    assert_eq!(wa.outstanding_clones() + wb.outstanding_clones(), 0);
}

/// A wait future that is created but never polled has not arrived.
#[test]
fn unpolled_future_does_not_arrive() {
    let barrier = Barrier::new(2);
    let waker = CountingWaker::new();
    let _idle = barrier.wait();
    let mut a = pin!(barrier.wait());
    assert_pending(a.as_mut(), waker.waker());
    let mut b = pin!(barrier.wait());
    assert!(assert_ready(b.as_mut(), waker.waker()).is_leader());
    assert!(!assert_ready(a.as_mut(), waker.waker()).is_leader());
}

/// tokio #6493 / #8370: n = 3, one of three arrivals is dropped before the
/// release. The barrier must not release the other two, nor elect a leader,
/// until a third live arrival comes.
#[test]
fn dropped_arrival_is_withdrawn() {
    let barrier = Barrier::new(3);
    let (wa, wb, wc) = (
        CountingWaker::new(),
        CountingWaker::new(),
        CountingWaker::new(),
    );
    let mut a = pin!(barrier.wait());
    let mut b = pin!(barrier.wait());
    assert_pending(a.as_mut(), wa.waker());
    {
        let mut dropped = Box::pin(barrier.wait());
        assert_pending(dropped.as_mut(), wc.waker());
    }
    assert_eq!(
        wc.outstanding_clones(),
        0,
        "the dropped waiter's waker kept"
    );
    // Two live arrivals; the third poll below would complete the
    // generation only if the dropped arrival still counted.
    assert_pending(b.as_mut(), wb.waker());
    assert_pending(a.as_mut(), wa.waker());
    assert_pending(b.as_mut(), wb.waker());
    assert_eq!(
        (wa.count(), wb.count()),
        (0, 0),
        "released with a dead arrival"
    );
    assert!(format!("{barrier:?}").contains("arrived: 2"), "{barrier:?}");

    let mut c = pin!(barrier.wait());
    assert!(assert_ready(c.as_mut(), wc.waker()).is_leader());
    assert_eq!((wa.count(), wb.count()), (1, 1));
    assert!(!assert_ready(a.as_mut(), wa.waker()).is_leader());
    assert!(!assert_ready(b.as_mut(), wb.waker()).is_leader());
}

/// Re-creating `wait()` in a select-style loop counts once: each new future
/// withdraws the old one's arrival and arrives again.
#[test]
fn recreate_in_loop_counts_once() {
    let barrier = Barrier::new(2);
    let waker = CountingWaker::new();
    for _ in 0..iters(50, 5) {
        let mut w = Box::pin(barrier.wait());
        assert_pending(w.as_mut(), waker.waker());
        // `select!` lost this round: the future is dropped.
    }
    assert!(format!("{barrier:?}").contains("arrived: 0"), "{barrier:?}");
    let mut looping = pin!(barrier.wait());
    assert_pending(looping.as_mut(), waker.waker());
    let mut other = pin!(barrier.wait());
    assert!(assert_ready(other.as_mut(), waker.waker()).is_leader());
    assert!(!assert_ready(looping.as_mut(), waker.waker()).is_leader());
}

/// A future dropped after its generation was released (before it saw the
/// release) changes nothing: the next generation still needs n arrivals.
#[test]
fn drop_after_release_changes_nothing() {
    let barrier = Barrier::new(2);
    let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
    let mut a = Box::pin(barrier.wait());
    assert_pending(a.as_mut(), wa.waker());
    let mut b = pin!(barrier.wait());
    assert!(assert_ready(b.as_mut(), wb.waker()).is_leader());
    drop(a); // released, never polled again
    assert!(format!("{barrier:?}").contains("arrived: 0"), "{barrier:?}");

    // Next generation: one arrival must stay pending.
    let mut c = pin!(barrier.wait());
    assert_pending(c.as_mut(), wa.waker());
    let mut d = pin!(barrier.wait());
    assert!(assert_ready(d.as_mut(), wb.waker()).is_leader());
    assert!(!assert_ready(c.as_mut(), wa.waker()).is_leader());
}

/// A waiter of the next generation registered before the previous leader's
/// notify-all is not released by it.
#[test]
fn next_generation_waiter_is_not_released_early() {
    let barrier = Barrier::new(2);
    let waker = CountingWaker::new();
    let mut a = pin!(barrier.wait());
    assert_pending(a.as_mut(), waker.waker());
    let mut b = pin!(barrier.wait());
    assert!(assert_ready(b.as_mut(), waker.waker()).is_leader());
    assert!(!assert_ready(a.as_mut(), waker.waker()).is_leader());
    // Generation 2: one waiter, woken spuriously by polling, stays pending.
    let mut c = pin!(barrier.wait());
    assert_pending(c.as_mut(), waker.waker());
    assert_pending(c.as_mut(), waker.waker());
    let mut d = pin!(barrier.wait());
    assert!(assert_ready(d.as_mut(), waker.waker()).is_leader());
    assert!(!assert_ready(c.as_mut(), waker.waker()).is_leader());
}

/// Many generations with changing arrival orders and some cancellations:
/// every generation releases exactly its n live waiters, with one leader.
#[test]
fn one_leader_per_generation_over_many_generations() {
    const N: usize = 4;
    let barrier = Barrier::new(N);
    let wakers: Vec<CountingWaker> = (0..N).map(|_| CountingWaker::new()).collect();
    let mut rng = common::Rng::new(7);
    for generation in 0..iters(500, 20) {
        let mut futures: Vec<Pin<Box<BarrierWait<'_>>>> =
            (0..N).map(|_| Box::pin(barrier.wait())).collect();
        let mut leaders = 0;
        let mut done = [false; N];
        // Arrive in a random order; sometimes a waiter is cancelled and
        // replaced (select!-style) before the last arrival.
        let mut order: Vec<usize> = (0..N).collect();
        for i in (1..N).rev() {
            order.swap(i, rng.below(i + 1));
        }
        for (k, &i) in order.iter().enumerate() {
            if k > 0 && rng.below(3) == 0 {
                let j = order[rng.below(k)];
                futures[j] = Box::pin(barrier.wait());
                assert_pending(futures[j].as_mut(), wakers[j].waker());
            }
            match poll_once(futures[i].as_mut(), wakers[i].waker()) {
                std::task::Poll::Ready(r) => {
                    assert_eq!(k, N - 1, "gen {generation}: released early");
                    leaders += usize::from(r.is_leader());
                    done[i] = true;
                }
                std::task::Poll::Pending => assert!(k < N - 1),
            }
        }
        for i in 0..N {
            if !done[i] {
                let r = assert_ready(futures[i].as_mut(), wakers[i].waker());
                leaders += usize::from(r.is_leader());
            }
        }
        assert_eq!(leaders, 1, "gen {generation}: {leaders} leaders");
    }
}

#[test]
fn debug_shows_n_and_arrivals() {
    let barrier = Barrier::new(2);
    assert_eq!(format!("{barrier:?}"), "Barrier { n: 2, arrived: 0 }");
    let waker = CountingWaker::new();
    let mut a = pin!(barrier.wait());
    assert_pending(a.as_mut(), waker.waker());
    assert_eq!(format!("{barrier:?}"), "Barrier { n: 2, arrived: 1 }");
    assert_eq!(format!("{:?}", barrier.wait()), "BarrierWait { .. }");
}

#[test]
#[should_panic(expected = "too many parties")]
fn too_many_parties_panics() {
    let _ = Barrier::new(usize::MAX);
}

#[test]
fn const_static() {
    static BARRIER: Barrier = Barrier::new(1);
    assert!(futures_lite::future::block_on(BARRIER.wait()).is_leader());
}

/// Threads: N threads pass G generations, half of the time through a
/// future first polled by hand and then finished by `block_on`, otherwise
/// with `wait_blocking`. Each generation has exactly one leader, and no
/// thread passes generation g+1 before all passed g. (Cancellation races are
/// left to the hand-driven tests above and the loom models: whether a
/// dropped future's arrival was consumed is, by design, not observable, so a
/// thread cannot keep count of its generations after dropping one.)
#[cfg(feature = "std")]
#[test]
fn threads_stress() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    const N: usize = 4;
    let generations = iters(300, 5);
    let barrier = Barrier::new(N);
    let leaders = AtomicUsize::new(0);
    let passed: Vec<AtomicUsize> = (0..generations).map(|_| AtomicUsize::new(0)).collect();
    std::thread::scope(|s| {
        for t in 0..N {
            let (barrier, leaders, passed) = (&barrier, &leaders, &passed);
            s.spawn(move || {
                let waker = CountingWaker::new();
                for g in 0..generations {
                    let r = if (g + t) % 2 == 0 {
                        let mut f = Box::pin(barrier.wait());
                        match poll_once(f.as_mut(), waker.waker()) {
                            std::task::Poll::Ready(r) => r,
                            std::task::Poll::Pending => futures_lite::future::block_on(f),
                        }
                    } else {
                        barrier.wait_blocking()
                    };
                    if g > 0 {
                        assert_eq!(passed[g - 1].load(SeqCst), N, "gen {g} overtook");
                    }
                    passed[g].fetch_add(1, SeqCst);
                    leaders.fetch_add(usize::from(r.is_leader()), SeqCst);
                }
            });
        }
    });
    assert_eq!(leaders.load(SeqCst), generations);
}

/// Issue 10, §4: a future that arrived in generation G, was released but
/// never polled again, and is dropped when the generation counter has come
/// round to G again must not take back an arrival of that new generation
/// (with n = 2 both live waiters would then wait forever). The counter is
/// advanced by a test hook, as if that many generations had passed.
#[test]
fn released_arrival_dropped_after_the_generation_wraps_withdraws_nothing() {
    let barrier = Barrier::new(2);
    let (wa, wc, wd) = (
        CountingWaker::new(),
        CountingWaker::new(),
        CountingWaker::new(),
    );
    let mut a = Box::pin(barrier.wait());
    assert_pending(a.as_mut(), wa.waker());
    let mut b = pin!(barrier.wait());
    assert!(assert_ready(b.as_mut(), wa.waker()).is_leader());
    // A was released and is never polled again. The counter comes round to
    // A's generation.
    barrier.__skip_generations(barrier.__generation_period() - 1);
    let mut c = pin!(barrier.wait());
    assert_pending(c.as_mut(), wc.waker());
    assert!(format!("{barrier:?}").contains("arrived: 1"), "{barrier:?}");
    drop(a);
    assert!(
        format!("{barrier:?}").contains("arrived: 1"),
        "the released arrival took back a live one: {barrier:?}"
    );
    let mut d = pin!(barrier.wait());
    match poll_once(d.as_mut(), wd.waker()) {
        std::task::Poll::Ready(r) => assert!(r.is_leader()),
        std::task::Poll::Pending => {
            panic!("two live arrivals of a barrier of 2 were not released")
        }
    }
    assert_eq!(wc.count(), 1);
    assert!(!assert_ready(c.as_mut(), wc.waker()).is_leader());
}

/// A release finishes its waiters at most eight per critical section (the
/// wake batch), so for a moment some are released but still queued. One of
/// those dropped then — here from the first woken waiter's waker, which
/// runs between two such critical sections — was released: it takes back
/// nothing, and the next generation still needs exactly n arrivals.
#[test]
fn released_waiter_dropped_before_it_was_finished_withdraws_nothing() {
    use common::CallbackWaker;
    use std::sync::Mutex as StdMutex;

    const N: usize = 10;
    static BARRIER: Barrier = Barrier::new(N);
    static LAST: StdMutex<Option<Pin<Box<BarrierWait<'static>>>>> = StdMutex::new(None);

    let dropper = CallbackWaker::on_wake(|| drop(LAST.lock().unwrap().take()));
    let waker = CountingWaker::new();
    let mut waiters: Vec<Pin<Box<BarrierWait<'static>>>> =
        (0..N - 2).map(|_| Box::pin(BARRIER.wait())).collect();
    assert_pending(waiters[0].as_mut(), dropper.waker());
    for w in &mut waiters[1..] {
        assert_pending(w.as_mut(), waker.waker());
    }
    let mut last = Box::pin(BARRIER.wait());
    assert_pending(last.as_mut(), waker.waker());
    *LAST.lock().unwrap() = Some(last);
    assert!(format!("{BARRIER:?}").contains("arrived: 9"), "{BARRIER:?}");

    let mut leader = pin!(BARRIER.wait());
    assert!(assert_ready(leader.as_mut(), waker.waker()).is_leader());
    assert_eq!(dropper.count(), 1);
    assert!(
        LAST.lock().unwrap().is_none(),
        "the last waiter was not dropped"
    );
    assert_eq!(
        waker.count(),
        N - 3,
        "every other released waiter woken once"
    );
    assert!(format!("{BARRIER:?}").contains("arrived: 0"), "{BARRIER:?}");
    for w in &mut waiters {
        assert!(!assert_ready(w.as_mut(), waker.waker()).is_leader());
    }

    // The next generation: N - 1 arrivals wait, the N-th leads.
    let mut next: Vec<Pin<Box<BarrierWait<'static>>>> =
        (0..N).map(|_| Box::pin(BARRIER.wait())).collect();
    for w in &mut next[..N - 1] {
        assert_pending(w.as_mut(), waker.waker());
    }
    assert!(assert_ready(next[N - 1].as_mut(), waker.waker()).is_leader());
    for w in &mut next[..N - 1] {
        assert!(!assert_ready(w.as_mut(), waker.waker()).is_leader());
    }
}

/// The first waiter's waker panics when the last of 22 arrives: the
/// leader's poll passes the panic on, and the twenty waiters queued behind
/// that waiter are still woken, once each, and released as non-leaders (in
/// the bare tier the wait list used to stop after the panicking waker's
/// batch of eight). The first waiter is released too when polled again, and
/// the next generation meets as usual.
#[test]
fn a_panicking_waker_does_not_strand_the_other_barrier_waiters() {
    use common::{expect_waker_panic, panicking_waker};
    const N: usize = 22;
    let barrier = Barrier::new(N);
    let bomb = panicking_waker();
    let mut first = Box::pin(barrier.wait());
    assert_pending(first.as_mut(), bomb.waker());
    let wakers: Vec<CountingWaker> = (0..N - 2).map(|_| CountingWaker::new()).collect();
    let mut waits: Vec<_> = wakers
        .iter()
        .map(|k| {
            let mut w = Box::pin(barrier.wait());
            assert_pending(w.as_mut(), k.waker());
            w
        })
        .collect();
    let calm = CountingWaker::new();
    let mut leader = Box::pin(barrier.wait());
    expect_waker_panic(|| poll_once(leader.as_mut(), calm.waker()));
    drop(leader);
    assert_eq!(bomb.count(), 1);
    let unwoken = wakers.iter().filter(|k| k.count() != 1).count();
    assert_eq!(
        unwoken,
        0,
        "{unwoken} of {} waiters not woken exactly once",
        N - 2
    );
    for (w, k) in waits.iter_mut().zip(&wakers) {
        assert!(!assert_ready(w.as_mut(), k.waker()).is_leader());
        assert_eq!(k.outstanding_clones(), 0);
    }
    assert!(!assert_ready(first.as_mut(), calm.waker()).is_leader());

    let mut next: Vec<_> = (0..N - 1).map(|_| Box::pin(barrier.wait())).collect();
    for w in &mut next {
        assert_pending(w.as_mut(), calm.waker());
    }
    assert!(assert_ready(pin!(barrier.wait()).as_mut(), calm.waker()).is_leader());
    for w in &mut next {
        assert!(!assert_ready(w.as_mut(), calm.waker()).is_leader());
    }
}
