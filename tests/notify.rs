//! `Notify`, driven by hand with counting wakers (every tier, miri), plus
//! threads and a runtime in the std tier.
//!
//! The scenarios are the behaviours tokio's `sync_notify` tests check,
//! written anew against this crate: a stored permit, permits that do not add
//! up, `notify_waiters` for exactly the waiters there were, FIFO wakeups,
//! pass-on by a dropped waiter, `enable` before a check, the newest waker.

mod common;

use std::pin::{pin, Pin};

use common::{assert_pending, assert_ready, CountingWaker};
use turnstile_sync::{Notified, Notify};

/// `n` queued waiters (polled once each), with their wakers.
fn queued(notify: &Notify, n: usize) -> Vec<(Pin<Box<Notified<'_>>>, CountingWaker)> {
    (0..n)
        .map(|_| {
            let waker = CountingWaker::new();
            let mut future = Box::pin(notify.notified());
            assert_pending(future.as_mut(), waker.waker());
            (future, waker)
        })
        .collect()
}

/// Whether a fresh `notified()` completes at once (taking a stored permit).
fn permit_stored(notify: &Notify) -> bool {
    let mut probe = pin!(notify.notified());
    probe.as_mut().enable()
}

#[test]
fn notify_one_before_notified_completes_at_once() {
    let notify = Notify::new();
    notify.notify_one();
    assert_eq!(
        format!("{notify:?}"),
        "Notify { permit: true, waiting: false }"
    );
    let waker = CountingWaker::new();
    let mut future = pin!(notify.notified());
    assert_ready(future.as_mut(), waker.waker());
    assert_eq!(waker.count(), 0);
    assert_eq!(
        waker.outstanding_clones(),
        0,
        "the permit path stores no waker"
    );
    assert!(!permit_stored(&notify), "the permit was taken");
}

/// A permit is created when `notified()` is, but only checked when polled:
/// a notify between the two still counts.
#[test]
fn notify_between_creation_and_poll_counts() {
    let notify = Notify::new();
    let mut future = pin!(notify.notified());
    notify.notify_one();
    assert_ready(future.as_mut(), CountingWaker::new().waker());
}

#[test]
fn permits_do_not_accumulate() {
    let notify = Notify::new();
    notify.notify_one();
    notify.notify_one();
    notify.notify_one();
    let waker = CountingWaker::new();
    assert_ready(pin!(notify.notified()), waker.waker());
    let mut second = pin!(notify.notified());
    assert_pending(second.as_mut(), waker.waker());
    assert_eq!(waker.count(), 0);
}

#[test]
fn notify_one_wakes_a_queued_waiter_and_stores_nothing() {
    let notify = Notify::new();
    let waker = CountingWaker::new();
    let mut future = pin!(notify.notified());
    assert_pending(future.as_mut(), waker.waker());
    assert_eq!(
        format!("{notify:?}"),
        "Notify { permit: false, waiting: true }"
    );
    notify.notify_one();
    assert_eq!(waker.count(), 1);
    assert_ready(future.as_mut(), waker.waker());
    assert!(!permit_stored(&notify), "the notify went to the waiter");
    assert_eq!(waker.outstanding_clones(), 0);
    assert_eq!(
        format!("{notify:?}"),
        "Notify { permit: false, waiting: false }"
    );
}

/// One waiter, two `notify_one`s: the first wakes it, the second is stored.
#[test]
fn second_notify_one_without_a_second_waiter_is_stored() {
    let notify = Notify::new();
    let mut waiters = queued(&notify, 1);
    notify.notify_one();
    notify.notify_one();
    assert_eq!(waiters[0].1.count(), 1);
    let (future, waker) = &mut waiters[0];
    assert_ready(future.as_mut(), waker.waker());
    assert!(permit_stored(&notify));
    assert!(!permit_stored(&notify));
}

#[test]
fn notify_one_wakes_in_fifo_order() {
    let notify = Notify::new();
    let mut waiters = queued(&notify, 4);
    for expected in 1..=4 {
        notify.notify_one();
        let counts: Vec<usize> = waiters.iter().map(|(_, w)| w.count()).collect();
        let want: Vec<usize> = (0..4).map(|i| usize::from(i < expected)).collect();
        assert_eq!(counts, want, "after {expected} notify_one calls");
    }
    for (future, waker) in &mut waiters {
        assert_ready(future.as_mut(), waker.waker());
    }
    assert!(!permit_stored(&notify));
}

/// FIFO is the order of the first polls, not of the `notified()` calls.
#[test]
fn queue_order_is_first_poll_order() {
    let notify = Notify::new();
    let (a, b) = (CountingWaker::new(), CountingWaker::new());
    let mut first_created = pin!(notify.notified());
    let mut second_created = pin!(notify.notified());
    assert_pending(second_created.as_mut(), b.waker());
    assert_pending(first_created.as_mut(), a.waker());
    notify.notify_one();
    assert_eq!((a.count(), b.count()), (0, 1));
}

/// A waiter that was woken but has not yet polled keeps its place: a
/// newcomer does not take its notification.
#[test]
fn a_newcomer_does_not_take_a_woken_waiters_notification() {
    let notify = Notify::new();
    let mut waiters = queued(&notify, 1);
    notify.notify_one();
    let newcomer = CountingWaker::new();
    let mut late = pin!(notify.notified());
    assert_pending(late.as_mut(), newcomer.waker());
    let (future, waker) = &mut waiters[0];
    assert_ready(future.as_mut(), waker.waker());
    assert_pending(late.as_mut(), newcomer.waker());
    assert_eq!(newcomer.count(), 0);
}

#[test]
fn notify_waiters_wakes_every_waiter_and_stores_nothing() {
    let notify = Notify::new();
    let mut waiters = queued(&notify, 3);
    notify.notify_waiters();
    for (future, waker) in &mut waiters {
        assert_eq!(waker.count(), 1);
        assert_ready(future.as_mut(), waker.waker());
    }
    let waker = CountingWaker::new();
    let mut later = pin!(notify.notified());
    assert_pending(later.as_mut(), waker.waker());
    assert_eq!(
        format!("{notify:?}"),
        "Notify { permit: false, waiting: true }"
    );
}

/// More waiters than one critical section wakes (8 in the bare tier): all
/// of them are woken, in order.
#[test]
fn notify_waiters_wakes_more_than_one_batch() {
    let notify = Notify::new();
    let mut waiters = queued(&notify, 21);
    notify.notify_waiters();
    for (future, waker) in &mut waiters {
        assert_eq!(waker.count(), 1);
        assert_ready(future.as_mut(), waker.waker());
    }
    assert_eq!(
        format!("{notify:?}"),
        "Notify { permit: false, waiting: false }"
    );
}

#[test]
fn waiter_created_after_notify_waiters_is_not_woken() {
    let notify = Notify::new();
    notify.notify_waiters();
    let waker = CountingWaker::new();
    let mut future = pin!(notify.notified());
    assert_pending(future.as_mut(), waker.waker());
    assert!(!future.as_mut().enable());
    assert_eq!(waker.count(), 0);
    notify.notify_one();
    assert_eq!(waker.count(), 1);
    assert_ready(future.as_mut(), waker.waker());
}

/// tokio's rule: `notify_waiters` completes every `Notified` created before
/// it, polled or not.
#[test]
fn notify_waiters_completes_futures_created_before_it_even_unpolled() {
    let notify = Notify::new();
    let waker = CountingWaker::new();
    let mut unpolled = pin!(notify.notified());
    let mut enabled = pin!(notify.notified());
    assert!(!enabled.as_mut().enable());
    notify.notify_waiters();
    assert!(enabled.as_mut().enable());
    assert_ready(unpolled.as_mut(), waker.waker());
    assert_ready(enabled.as_mut(), waker.waker());
    assert_eq!(waker.count(), 0, "none of them had stored a waker");
}

/// `notify_waiters` neither stores a permit nor takes one that is stored.
#[test]
fn notify_waiters_leaves_a_stored_permit() {
    let notify = Notify::new();
    notify.notify_one();
    let mut before = pin!(notify.notified());
    notify.notify_waiters();
    // Completed by notify_waiters: the permit stays for the next one.
    assert_ready(before.as_mut(), CountingWaker::new().waker());
    assert!(permit_stored(&notify));
    assert!(!permit_stored(&notify));
}

#[test]
fn dropped_woken_waiter_passes_its_notify_one_to_the_next() {
    let notify = Notify::new();
    let mut waiters = queued(&notify, 3);
    notify.notify_one();
    assert_eq!(waiters[0].1.count(), 1);
    let (dropped, _) = waiters.remove(0);
    drop(dropped);
    let counts: Vec<usize> = waiters.iter().map(|(_, w)| w.count()).collect();
    assert_eq!(counts, [1, 0], "passed on to exactly the next waiter");
    let (future, waker) = &mut waiters[0];
    assert_ready(future.as_mut(), waker.waker());
    let (future, waker) = &mut waiters[1];
    assert_pending(future.as_mut(), waker.waker());
    assert!(!permit_stored(&notify));
}

#[test]
fn dropped_woken_last_waiter_stores_its_notify_one_as_the_permit() {
    let notify = Notify::new();
    let waiters = queued(&notify, 1);
    notify.notify_one();
    drop(waiters);
    assert!(permit_stored(&notify), "the notification was lost");
    assert!(!permit_stored(&notify));
}

/// Two woken by two `notify_one`s, both dropped: one permit (they do not
/// add up), nothing lost for the waiter behind them.
#[test]
fn two_dropped_woken_waiters_with_one_behind() {
    let notify = Notify::new();
    let mut waiters = queued(&notify, 3);
    notify.notify_one();
    notify.notify_one();
    let behind = waiters.pop().unwrap();
    drop(waiters);
    assert_eq!(
        behind.1.count(),
        1,
        "one of the two notifications reached it"
    );
    let (mut future, waker) = behind;
    assert_ready(future.as_mut(), waker.waker());
    assert!(permit_stored(&notify), "the other was stored");
}

#[test]
fn dropped_waiter_woken_by_notify_waiters_passes_nothing_on() {
    let notify = Notify::new();
    let mut waiters = queued(&notify, 2);
    notify.notify_waiters();
    let waker = CountingWaker::new();
    let mut later = pin!(notify.notified());
    assert_pending(later.as_mut(), waker.waker());
    drop(waiters.remove(0));
    assert_eq!(waker.count(), 0, "a notify_waiters wakeup was passed on");
    assert!(!later.as_mut().enable());
    let (future, w) = &mut waiters[0];
    assert_ready(future.as_mut(), w.waker());
    drop(waiters);
    assert!(!permit_stored(&notify));
}

/// A queued waiter that is dropped unwoken takes nothing with it: the next
/// `notify_one` finds nobody and is stored.
#[test]
fn dropped_queued_waiter_leaves_the_queue() {
    let notify = Notify::new();
    let waiters = queued(&notify, 2);
    drop(waiters);
    assert_eq!(
        format!("{notify:?}"),
        "Notify { permit: false, waiting: false }"
    );
    notify.notify_one();
    assert!(permit_stored(&notify));
}

/// Dropping a future that was never polled, or has completed, changes
/// nothing.
#[test]
fn dropping_unpolled_or_completed_futures_changes_nothing() {
    let notify = Notify::new();
    drop(notify.notified());
    notify.notify_one();
    let mut done = pin!(notify.notified());
    assert_ready(done.as_mut(), CountingWaker::new().waker());
    // Stays complete, and takes nothing more.
    notify.notify_one();
    assert_ready(done.as_mut(), CountingWaker::new().waker());
    assert!(done.as_mut().enable());
    assert!(permit_stored(&notify));
}

/// The check-then-wait pattern: enable, check, wait. A notify between the
/// check and the first poll is not lost, whichever waiter it is for.
#[test]
fn enable_then_check_loses_no_wakeup() {
    let notify = Notify::new();
    let mut a = pin!(notify.notified());
    let mut b = pin!(notify.notified());
    assert!(!a.as_mut().enable());
    assert!(!b.as_mut().enable());
    // "The condition changed" twice, after both checks, before any poll:
    // one notify per waiter, not one permit for both.
    notify.notify_one();
    notify.notify_one();
    let waker = CountingWaker::new();
    assert_ready(a.as_mut(), waker.waker());
    assert_ready(b.as_mut(), waker.waker());
    assert!(!permit_stored(&notify));
}

#[test]
fn enable_consumes_a_stored_permit() {
    let notify = Notify::new();
    notify.notify_one();
    let mut future = pin!(notify.notified());
    assert!(future.as_mut().enable());
    assert!(!permit_stored(&notify));
    assert_ready(future.as_mut(), CountingWaker::new().waker());
}

/// `enable` does not touch the waker of a polled future.
#[test]
fn enable_after_poll_keeps_the_waker() {
    let notify = Notify::new();
    let waker = CountingWaker::new();
    let mut future = pin!(notify.notified());
    assert_pending(future.as_mut(), waker.waker());
    assert!(!future.as_mut().enable());
    notify.notify_one();
    assert_eq!(waker.count(), 1);
    assert!(future.as_mut().enable());
    assert_ready(future.as_mut(), waker.waker());
}

/// An enabled future notified before its first poll completes on that
/// poll; one polled after being enabled is woken through that poll's waker.
#[test]
fn poll_after_enable_stores_the_waker() {
    let notify = Notify::new();
    let waker = CountingWaker::new();
    let mut future = pin!(notify.notified());
    assert!(!future.as_mut().enable());
    assert_pending(future.as_mut(), waker.waker());
    notify.notify_one();
    assert_eq!(waker.count(), 1);
    assert_ready(future.as_mut(), waker.waker());
}

/// A dropped future whose `enable` returned `true` had consumed the permit:
/// nothing is passed on (the caller saw the notification).
#[test]
fn dropped_future_that_enable_reported_notified_passes_nothing_on() {
    let notify = Notify::new();
    let mut waiters = queued(&notify, 1);
    let (future, waker) = &mut waiters[0];
    notify.notify_one();
    assert!(future.as_mut().enable());
    assert_eq!(waker.count(), 1);
    drop(waiters);
    assert!(!permit_stored(&notify));
}

#[test]
fn repoll_with_a_new_waker_wakes_the_newest() {
    let notify = Notify::new();
    let (old, new) = (CountingWaker::new(), CountingWaker::new());
    let mut future = pin!(notify.notified());
    assert_pending(future.as_mut(), old.waker());
    assert_pending(future.as_mut(), new.waker());
    assert_eq!(
        old.outstanding_clones(),
        0,
        "the replaced waker was dropped"
    );
    notify.notify_one();
    assert_eq!((old.count(), new.count()), (0, 1));
    assert_ready(future.as_mut(), new.waker());
    assert_eq!(new.outstanding_clones(), 0);
}

/// A `Notify` in a `static`, with `Default` too.
#[test]
fn static_and_default() {
    static NOTIFY: Notify = Notify::new();
    NOTIFY.notify_one();
    assert!(permit_stored(&NOTIFY));
    let notify = Notify::default();
    assert!(!permit_stored(&notify));
    assert_eq!(format!("{:?}", notify.notified()), "Notified { .. }");
}

/// A long run of random operations against a model of the semantics:
/// queued waiters (FIFO), woken-but-unpolled waiters with their kind, the
/// permit.
#[test]
fn random_operations_match_the_model() {
    use common::{iters, Rng};

    #[derive(Clone, Copy, PartialEq, Debug)]
    enum Woken {
        No,
        One,
        All,
    }
    let notify = Notify::new();
    let mut rng = Rng::new(13);
    // Each live waiter: the future, its waker, what the model says.
    let mut live: Vec<(Pin<Box<Notified<'_>>>, CountingWaker, Woken)> = Vec::new();
    let mut permit = false;
    for _ in 0..iters(20_000, 500) {
        match rng.below(6) {
            0 | 1 => {
                let waker = CountingWaker::new();
                let mut future = Box::pin(notify.notified());
                if permit {
                    assert_ready(future.as_mut(), waker.waker());
                    permit = false;
                } else {
                    assert_pending(future.as_mut(), waker.waker());
                    live.push((future, waker, Woken::No));
                }
            }
            2 => {
                match live.iter_mut().find(|(_, _, w)| *w == Woken::No) {
                    Some(entry) => entry.2 = Woken::One,
                    None => permit = true,
                }
                notify.notify_one();
            }
            3 if rng.below(4) == 0 => {
                for entry in &mut live {
                    if entry.2 == Woken::No {
                        entry.2 = Woken::All;
                    }
                }
                notify.notify_waiters();
            }
            _ if !live.is_empty() => {
                let i = rng.below(live.len());
                let (mut future, waker, woken) = live.remove(i);
                assert_eq!(waker.count(), usize::from(woken != Woken::No));
                if rng.below(2) == 0 {
                    // Poll: completes iff woken.
                    if woken == Woken::No {
                        assert_pending(future.as_mut(), waker.waker());
                        live.insert(i, (future, waker, woken));
                    } else {
                        assert_ready(future.as_mut(), waker.waker());
                    }
                } else {
                    drop(future);
                    if woken == Woken::One {
                        match live.iter_mut().find(|(_, _, w)| *w == Woken::No) {
                            Some(entry) => entry.2 = Woken::One,
                            None => permit = true,
                        }
                    }
                }
            }
            _ => {}
        }
        for (_, waker, woken) in &live {
            assert_eq!(waker.count(), usize::from(*woken != Woken::No));
        }
    }
    drop(live);
    assert_eq!(permit_stored(&notify), permit);
}

/// Threads and a runtime, in every tier (the tests run on a host with
/// `std` whatever the library's tier).
mod threads {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;

    use futures_lite::future::block_on;

    #[test]
    fn notify_from_another_thread() {
        let notify = Arc::new(Notify::new());
        let flag = Arc::new(AtomicBool::new(false));
        let (n, f) = (notify.clone(), flag.clone());
        let t = std::thread::spawn(move || {
            f.store(true, SeqCst);
            n.notify_one();
        });
        block_on(notify.notified());
        assert!(flag.load(SeqCst));
        t.join().unwrap();
    }

    #[cfg(feature = "std")]
    #[test]
    fn notified_blocking_waits_for_another_thread() {
        let notify = Arc::new(Notify::new());
        let n = notify.clone();
        let t = std::thread::spawn(move || n.notified_blocking());
        // Wait until the thread is queued, then notify it: with nobody else
        // waiting, a `notify_waiters` can only have reached that thread.
        while !format!("{notify:?}").contains("waiting: true") {
            std::thread::yield_now();
        }
        notify.notify_waiters();
        t.join().unwrap();
    }

    /// Ping-pong between two threads with two `Notify`s: every round trip
    /// needs its two notifications, so a lost one hangs the test.
    #[test]
    fn ping_pong_between_threads() {
        let rounds = common::iters(20_000, 50);
        let pair = Arc::new((Notify::new(), Notify::new(), AtomicUsize::new(0)));
        let p = pair.clone();
        let t = std::thread::spawn(move || {
            for _ in 0..rounds {
                block_on(p.0.notified());
                p.2.fetch_add(1, SeqCst);
                p.1.notify_one();
            }
        });
        for i in 0..rounds {
            pair.0.notify_one();
            block_on(pair.1.notified());
            assert_eq!(pair.2.load(SeqCst), i + 1);
        }
        t.join().unwrap();
    }

    /// Many tasks on a multi-threaded runtime, each using the
    /// enable-check-wait pattern on a shared counter, while another thread
    /// bumps the counter and calls `notify_waiters`: nobody hangs.
    #[cfg(not(miri))]
    #[test]
    fn enable_check_wait_on_a_runtime() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let shared = Arc::new((Notify::new(), AtomicUsize::new(0)));
        rt.block_on(async {
            let tasks: Vec<_> = (0..8)
                .map(|_| {
                    let shared = shared.clone();
                    tokio::spawn(async move {
                        for target in 1..=200 {
                            loop {
                                let mut notified = pin!(shared.0.notified());
                                notified.as_mut().enable();
                                if shared.1.load(SeqCst) >= target {
                                    break;
                                }
                                notified.await;
                            }
                        }
                    })
                })
                .collect();
            let s = shared.clone();
            let bumper = std::thread::spawn(move || {
                for _ in 0..200 {
                    s.1.fetch_add(1, SeqCst);
                    s.0.notify_waiters();
                    std::thread::yield_now();
                }
            });
            for task in tasks {
                task.await.unwrap();
            }
            bumper.join().unwrap();
        });
    }

    /// A work queue: producers push items and `notify_one` for each;
    /// consumers use enable-check-wait. Every item is consumed (a lost
    /// `notify_one` would leave a consumer asleep next to an item, and the
    /// final count short); `notify_waiters` ends it.
    #[cfg(not(miri))]
    #[test]
    fn work_queue_on_a_runtime() {
        use std::collections::VecDeque;
        use turnstile_sync::Mutex;

        const ITEMS: usize = 4_000;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let shared = Arc::new((
            Mutex::new(VecDeque::new()),
            Notify::new(),
            AtomicUsize::new(0),
            AtomicBool::new(false),
        ));
        rt.block_on(async {
            let consumers: Vec<_> = (0..4)
                .map(|_| {
                    let shared = shared.clone();
                    tokio::spawn(async move {
                        let (queue, notify, consumed, closed) =
                            (&shared.0, &shared.1, &shared.2, &shared.3);
                        loop {
                            let mut notified = pin!(notify.notified());
                            notified.as_mut().enable();
                            if let Some(_item) = queue.lock().await.pop_front() {
                                consumed.fetch_add(1, SeqCst);
                                continue;
                            }
                            if closed.load(SeqCst) {
                                return;
                            }
                            notified.await;
                        }
                    })
                })
                .collect();
            let producers: Vec<_> = (0..2)
                .map(|p| {
                    let shared = shared.clone();
                    tokio::spawn(async move {
                        for i in 0..ITEMS / 2 {
                            shared.0.lock().await.push_back(p * ITEMS + i);
                            shared.1.notify_one();
                            if i % 64 == 0 {
                                tokio::task::yield_now().await;
                            }
                        }
                    })
                })
                .collect();
            for producer in producers {
                producer.await.unwrap();
            }
            let start = std::time::Instant::now();
            while shared.2.load(SeqCst) < ITEMS {
                assert!(
                    start.elapsed().as_secs() < 60,
                    "stuck at {} of {ITEMS} items: a notify_one was lost",
                    shared.2.load(SeqCst)
                );
                tokio::task::yield_now().await;
            }
            shared.3.store(true, SeqCst);
            shared.1.notify_waiters();
            for consumer in consumers {
                consumer.await.unwrap();
            }
        });
        assert_eq!(shared.2.load(SeqCst), ITEMS);
    }
}
