//! `Condvar`, driven by hand with counting wakers (every tier, miri), plus a
//! small multi-threaded stress in the std tier.

mod common;

use std::pin::pin;

use common::{assert_pending, assert_ready, CountingWaker};
use turnstile_sync::{Condvar, Mutex};

#[test]
fn wait_releases_the_lock_and_relocks_after_notify() {
    let (mutex, condvar) = (Mutex::new(0), Condvar::new());
    let waker = CountingWaker::new();
    let guard = mutex.try_lock().unwrap();
    let mut w = pin!(condvar.wait(guard));
    assert!(mutex.is_locked(), "unlocked before the first poll");
    assert_pending(w.as_mut(), waker.waker());
    assert!(!mutex.is_locked(), "wait did not unlock");
    *mutex.try_lock().unwrap() = 7;
    condvar.notify_one();
    assert_eq!(waker.count(), 1);
    let guard = assert_ready(w.as_mut(), waker.waker());
    assert_eq!(*guard, 7);
    assert!(mutex.is_locked());
    drop(guard);
    assert_eq!(waker.outstanding_clones(), 0);
}

/// The lost-wakeup window: a notify issued right after the waiter's first
/// poll released the lock must wake it, even with no state change between.
#[test]
fn notify_right_after_unlock_is_not_lost() {
    let (mutex, condvar) = (Mutex::new(()), Condvar::new());
    let waker = CountingWaker::new();
    let mut w = pin!(condvar.wait(mutex.try_lock().unwrap()));
    assert_pending(w.as_mut(), waker.waker());
    condvar.notify_one();
    assert_eq!(waker.count(), 1, "notify after unlock was lost");
    drop(assert_ready(w.as_mut(), waker.waker()));
}

/// Without waiters a notification is not stored.
#[test]
fn notify_without_waiters_is_not_stored() {
    let (mutex, condvar) = (Mutex::new(()), Condvar::new());
    condvar.notify_one();
    condvar.notify_all();
    let waker = CountingWaker::new();
    let mut w = pin!(condvar.wait(mutex.try_lock().unwrap()));
    assert_pending(w.as_mut(), waker.waker());
    assert_pending(w.as_mut(), waker.waker());
    assert_eq!(waker.count(), 0);
}

#[test]
fn notify_one_twice_wakes_two_distinct_waiters() {
    let (mutex, condvar) = (Mutex::new(()), Condvar::new());
    let wakers: Vec<CountingWaker> = (0..3).map(|_| CountingWaker::new()).collect();
    // Each is polled (and so unlocks) before the next `try_lock`.
    let mut waits = Vec::new();
    for k in &wakers {
        let mut w = Box::pin(condvar.wait(mutex.try_lock().unwrap()));
        assert_pending(w.as_mut(), k.waker());
        waits.push(w);
    }
    condvar.notify_one();
    condvar.notify_one();
    let counts: Vec<usize> = wakers.iter().map(CountingWaker::count).collect();
    assert_eq!(counts, [1, 1, 0], "FIFO, one each, two in all");
    let g = assert_ready(waits[0].as_mut(), wakers[0].waker());
    drop(g);
    drop(assert_ready(waits[1].as_mut(), wakers[1].waker()));
}

#[test]
fn notify_all_wakes_everyone() {
    let (mutex, condvar) = (Mutex::new(0), Condvar::new());
    let wakers: Vec<CountingWaker> = (0..4).map(|_| CountingWaker::new()).collect();
    let mut waits = Vec::new();
    for k in &wakers {
        let mut w = Box::pin(condvar.wait(mutex.try_lock().unwrap()));
        assert_pending(w.as_mut(), k.waker());
        waits.push(w);
    }
    condvar.notify_all();
    for (w, k) in waits.iter_mut().zip(&wakers) {
        assert_eq!(k.count(), 1);
        let mut g = assert_ready(w.as_mut(), k.waker());
        *g += 1;
    }
    assert_eq!(*mutex.try_lock().unwrap(), 4);
}

/// A waiter that was notified and then dropped (without consuming the
/// notification) hands it to exactly one other waiter.
#[test]
fn dropped_notified_waiter_passes_on_to_exactly_one() {
    let (mutex, condvar) = (Mutex::new(()), Condvar::new());
    let wakers: Vec<CountingWaker> = (0..3).map(|_| CountingWaker::new()).collect();
    let mut waits = Vec::new();
    for k in &wakers {
        let mut w = Box::pin(condvar.wait(mutex.try_lock().unwrap()));
        assert_pending(w.as_mut(), k.waker());
        waits.push(w);
    }
    condvar.notify_one();
    assert_eq!(wakers[0].count(), 1);
    drop(waits.remove(0));
    assert_eq!(
        (wakers[1].count(), wakers[2].count()),
        (1, 0),
        "the cancelled waiter's wakeup must go to exactly one other"
    );
    assert!(!mutex.is_locked());
    let g = assert_ready(waits[0].as_mut(), wakers[1].waker());
    drop(g);
    assert_pending(waits[1].as_mut(), wakers[2].waker());
}

/// With two notified waiters and one dropped, the pass-on is additional:
/// the third (un-notified) waiter gets it, so two are still woken in all.
#[test]
fn pass_on_is_additional_not_at_least() {
    let (mutex, condvar) = (Mutex::new(()), Condvar::new());
    let wakers: Vec<CountingWaker> = (0..3).map(|_| CountingWaker::new()).collect();
    let mut waits = Vec::new();
    for k in &wakers {
        let mut w = Box::pin(condvar.wait(mutex.try_lock().unwrap()));
        assert_pending(w.as_mut(), k.waker());
        waits.push(w);
    }
    condvar.notify_one();
    condvar.notify_one();
    drop(waits.remove(0));
    assert_eq!(
        wakers.iter().map(CountingWaker::count).collect::<Vec<_>>(),
        [1, 1, 1],
        "notify_one x2 with one cancelled must still wake two live waiters"
    );
}

/// After `notify_all` the pass-on is an ordinary notify ("at least one
/// waiter notified"), not an additional one: a dropped waiter notified by
/// `notify_all` wakes nobody while another notified waiter is still
/// pending...
#[test]
fn notify_all_pass_on_is_a_no_op_while_another_waiter_is_notified() {
    let (mutex, condvar) = (Mutex::new(()), Condvar::new());
    let wakers: Vec<CountingWaker> = (0..3).map(|_| CountingWaker::new()).collect();
    let mut waits = Vec::new();
    for k in &wakers[..2] {
        let mut w = Box::pin(condvar.wait(mutex.try_lock().unwrap()));
        assert_pending(w.as_mut(), k.waker());
        waits.push(w);
    }
    condvar.notify_all();
    // A waiter that came after the notify_all.
    let mut late = pin!(condvar.wait(mutex.try_lock().unwrap()));
    assert_pending(late.as_mut(), wakers[2].waker());
    drop(waits.remove(0));
    assert_eq!(
        wakers.iter().map(CountingWaker::count).collect::<Vec<_>>(),
        [1, 1, 0],
        "the pass-on of a notify_all wakeup went to a later waiter"
    );
    drop(assert_ready(waits[0].as_mut(), wakers[1].waker()));
    assert_pending(late.as_mut(), wakers[2].waker());
}

/// ...and wakes the oldest un-notified waiter once no other notified waiter
/// is left.
#[test]
fn notify_all_pass_on_wakes_one_later_waiter_when_none_is_notified() {
    let (mutex, condvar) = (Mutex::new(()), Condvar::new());
    let wakers: Vec<CountingWaker> = (0..3).map(|_| CountingWaker::new()).collect();
    let mut a = Box::pin(condvar.wait(mutex.try_lock().unwrap()));
    assert_pending(a.as_mut(), wakers[0].waker());
    condvar.notify_all();
    let mut b = pin!(condvar.wait(mutex.try_lock().unwrap()));
    assert_pending(b.as_mut(), wakers[1].waker());
    let mut c = pin!(condvar.wait(mutex.try_lock().unwrap()));
    assert_pending(c.as_mut(), wakers[2].waker());
    drop(a);
    assert_eq!(
        wakers.iter().map(CountingWaker::count).collect::<Vec<_>>(),
        [1, 1, 0],
        "the pass-on must wake exactly the oldest later waiter"
    );
    drop(assert_ready(b.as_mut(), wakers[1].waker()));
    assert_pending(c.as_mut(), wakers[2].waker());
}

/// Dropped while re-locking, a waiter hands on an additional wakeup whatever
/// woke it: after `notify_all`, one more waiter that had not been woken is
/// woken even while another notified waiter is still pending.
#[test]
fn dropped_while_relocking_after_notify_all_wakes_one_more() {
    let (mutex, condvar) = (Mutex::new(()), Condvar::new());
    let wakers: Vec<CountingWaker> = (0..3).map(|_| CountingWaker::new()).collect();
    let mut a = Box::pin(condvar.wait(mutex.try_lock().unwrap()));
    assert_pending(a.as_mut(), wakers[0].waker());
    let mut b = pin!(condvar.wait(mutex.try_lock().unwrap()));
    assert_pending(b.as_mut(), wakers[1].waker());
    condvar.notify_all();
    let mut late = pin!(condvar.wait(mutex.try_lock().unwrap()));
    assert_pending(late.as_mut(), wakers[2].waker());
    let holder = mutex.try_lock().unwrap();
    assert_pending(a.as_mut(), wakers[0].waker()); // re-locking, mutex held
    drop(a);
    assert_eq!(
        wakers.iter().map(CountingWaker::count).collect::<Vec<_>>(),
        [1, 1, 1],
        "dropped while re-locking: one more waiter is woken"
    );
    drop(holder);
    drop(assert_ready(b.as_mut(), wakers[1].waker()));
    drop(assert_ready(late.as_mut(), wakers[2].waker()));
}

/// Notified, then dropped while re-locking a contended mutex: the wakeup
/// was never delivered to the caller, so it goes to another waiter.
#[test]
fn dropped_while_relocking_passes_on() {
    let (mutex, condvar) = (Mutex::new(()), Condvar::new());
    let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
    let mut a = Box::pin(condvar.wait(mutex.try_lock().unwrap()));
    assert_pending(a.as_mut(), wa.waker());
    let mut b = pin!(condvar.wait(mutex.try_lock().unwrap()));
    assert_pending(b.as_mut(), wb.waker());
    let holder = mutex.try_lock().unwrap();
    condvar.notify_one();
    assert_eq!((wa.count(), wb.count()), (1, 0));
    assert_pending(a.as_mut(), wa.waker()); // re-locking, mutex held
    drop(a);
    assert_eq!(wb.count(), 1, "the undelivered wakeup was swallowed");
    drop(holder);
    drop(assert_ready(b.as_mut(), wb.waker()));
    assert!(!mutex.is_locked());
}

/// A dropped un-notified waiter passes nothing on.
#[test]
fn dropped_waiting_waiter_passes_nothing() {
    let (mutex, condvar) = (Mutex::new(()), Condvar::new());
    let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
    let mut a = Box::pin(condvar.wait(mutex.try_lock().unwrap()));
    assert_pending(a.as_mut(), wa.waker());
    let mut b = pin!(condvar.wait(mutex.try_lock().unwrap()));
    assert_pending(b.as_mut(), wb.waker());
    drop(a);
    assert_eq!(wb.count(), 0);
    assert_eq!(wa.outstanding_clones(), 0);
    condvar.notify_one();
    assert_eq!(wb.count(), 1);
}

/// Dropped before the first poll: the guard goes, the lock is free.
#[test]
fn unpolled_wait_drops_the_guard() {
    let (mutex, condvar) = (Mutex::new(()), Condvar::new());
    let w = condvar.wait(mutex.try_lock().unwrap());
    assert!(mutex.is_locked());
    drop(w);
    assert!(!mutex.is_locked());
}

/// Notified while the mutex is held by someone else: the wait re-locks
/// only once it is free, and dropping it then leaves the mutex's queue.
#[test]
fn relock_waits_for_the_mutex() {
    let (mutex, condvar) = (Mutex::new(()), Condvar::new());
    let waker = CountingWaker::new();
    let mut w = pin!(condvar.wait(mutex.try_lock().unwrap()));
    assert_pending(w.as_mut(), waker.waker());
    let holder = mutex.try_lock().unwrap();
    condvar.notify_one();
    assert_pending(w.as_mut(), waker.waker());
    let before = waker.count();
    drop(holder);
    assert_eq!(waker.count(), before + 1, "unlock must wake the re-locker");
    let g = assert_ready(w.as_mut(), waker.waker());
    assert!(mutex.is_locked());
    drop(g);
}

#[test]
fn wait_until_checks_first() {
    let (mutex, condvar) = (Mutex::new(3), Condvar::new());
    let waker = CountingWaker::new();
    let mut checks = 0;
    let mut w = pin!(condvar.wait_until(mutex.try_lock().unwrap(), |v| {
        checks += 1;
        *v == 3
    }));
    let g = assert_ready(w.as_mut(), waker.waker());
    assert_eq!(*g, 3);
    drop(g);
    assert_eq!(checks, 1);
}

#[test]
fn wait_until_rechecks_after_every_wakeup() {
    let (mutex, condvar) = (Mutex::new(0), Condvar::new());
    let waker = CountingWaker::new();
    let checks = std::cell::Cell::new(0);
    let mut w = pin!(condvar.wait_until(mutex.try_lock().unwrap(), |v| {
        checks.set(checks.get() + 1);
        *v >= 2
    }));
    assert_pending(w.as_mut(), waker.waker());
    assert_eq!(checks.get(), 1);
    assert!(!mutex.is_locked());
    for value in 1..=2 {
        *mutex.try_lock().unwrap() = value;
        condvar.notify_one();
        if value < 2 {
            assert_pending(w.as_mut(), waker.waker());
            assert!(!mutex.is_locked(), "waits again unlocked");
        }
    }
    let g = assert_ready(w.as_mut(), waker.waker());
    assert_eq!(*g, 2);
    assert_eq!(checks.get(), 3);
}

#[test]
fn debug_and_default() {
    let condvar = Condvar::default();
    assert_eq!(format!("{condvar:?}"), "Condvar { .. }");
    let mutex = Mutex::new(());
    assert_eq!(
        format!("{:?}", condvar.wait(mutex.try_lock().unwrap())),
        "CondvarWait { .. }"
    );
}

#[test]
fn const_static() {
    static FLAG: Mutex<bool> = Mutex::new(true);
    static CV: Condvar = Condvar::new();
    let g =
        futures_lite::future::block_on(async { CV.wait_until(FLAG.lock().await, |f| *f).await });
    assert!(*g);
}

/// Producer/consumer with threads: every item produced is consumed, with
/// `notify_one` per item and several consumers (a lost or swallowed
/// wakeup would hang the test).
#[cfg(feature = "std")]
#[test]
fn threads_producer_consumers() {
    const CONSUMERS: usize = 3;
    let items = common::iters(2000, 20);
    let state = Mutex::new((0usize, 0usize, false)); // (queued, consumed, done)
    let condvar = Condvar::new();
    std::thread::scope(|s| {
        for c in 0..CONSUMERS {
            let (state, condvar) = (&state, &condvar);
            s.spawn(move || loop {
                let mut g = if c % 2 == 0 {
                    condvar.wait_until_blocking(state.lock_blocking(), |st| st.0 > 0 || st.2)
                } else {
                    let mut g = state.lock_blocking();
                    while g.0 == 0 && !g.2 {
                        g = condvar.wait_blocking(g);
                    }
                    g
                };
                if g.0 > 0 {
                    g.0 -= 1;
                    g.1 += 1;
                } else {
                    return;
                }
            });
        }
        for _ in 0..items {
            state.lock_blocking().0 += 1;
            condvar.notify_one();
        }
        let mut g = state.lock_blocking();
        g.2 = true;
        drop(g);
        condvar.notify_all();
    });
    let g = state.try_lock().unwrap();
    assert_eq!((g.0, g.1), (0, items));
}

/// The first waiter's waker panics in `notify_all`: the notifier gets the
/// panic, and the twenty waiters queued behind that one are still woken,
/// once each, and each re-locks the mutex in turn (in the bare tier the wait
/// list used to stop after the panicking waker's batch of eight). The first
/// waiter re-locks too when polled again, and the mutex ends free.
#[test]
fn a_panicking_waker_does_not_strand_the_others_of_a_notify_all() {
    use common::{expect_waker_panic, panicking_waker};
    let (mutex, condvar) = (Mutex::new(0), Condvar::new());
    let bomb = panicking_waker();
    let mut first = Box::pin(condvar.wait(mutex.try_lock().unwrap()));
    assert_pending(first.as_mut(), bomb.waker());
    let wakers: Vec<CountingWaker> = (0..20).map(|_| CountingWaker::new()).collect();
    let mut waits: Vec<_> = wakers
        .iter()
        .map(|k| {
            let mut w = Box::pin(condvar.wait(mutex.try_lock().unwrap()));
            assert_pending(w.as_mut(), k.waker());
            w
        })
        .collect();
    expect_waker_panic(|| condvar.notify_all());
    assert_eq!(bomb.count(), 1);
    let unwoken = wakers.iter().filter(|k| k.count() != 1).count();
    assert_eq!(unwoken, 0, "{unwoken} of 20 waiters not woken exactly once");
    for (w, k) in waits.iter_mut().zip(&wakers) {
        *assert_ready(w.as_mut(), k.waker()) += 1;
    }
    let calm = CountingWaker::new();
    *assert_ready(first.as_mut(), calm.waker()) += 1;
    assert_eq!(*mutex.try_lock().expect("the mutex is free"), 21);
}

/// `notify_one` picks a waiter whose waker panics: the notifier gets the
/// panic, the picked waiter holds the wakeup, and when it is dropped the
/// wakeup passes to the next waiter, as for any dropped notified waiter.
/// Later notifies still reach the rest, one each.
#[test]
fn a_notify_one_whose_waker_panics_passes_on_when_its_waiter_is_dropped() {
    use common::{expect_waker_panic, panicking_waker};
    let (mutex, condvar) = (Mutex::new(()), Condvar::new());
    let bomb = panicking_waker();
    let mut first = Box::pin(condvar.wait(mutex.try_lock().unwrap()));
    assert_pending(first.as_mut(), bomb.waker());
    let wakers: Vec<CountingWaker> = (0..3).map(|_| CountingWaker::new()).collect();
    let mut waits: Vec<_> = wakers
        .iter()
        .map(|k| {
            let mut w = Box::pin(condvar.wait(mutex.try_lock().unwrap()));
            assert_pending(w.as_mut(), k.waker());
            w
        })
        .collect();
    expect_waker_panic(|| condvar.notify_one());
    assert_eq!(wakers[0].count(), 0, "notify_one woke two waiters");
    drop(first);
    assert_eq!(wakers[0].count(), 1, "the dropped waiter's wakeup was lost");
    drop(assert_ready(waits[0].as_mut(), wakers[0].waker()));
    for i in 1..3 {
        assert_eq!(wakers[i].count(), 0);
        condvar.notify_one();
        assert_eq!(
            wakers[i].count(),
            1,
            "notify_one {i} after the panic was lost"
        );
        drop(assert_ready(waits[i].as_mut(), wakers[i].waker()));
    }
    assert_eq!(bomb.count(), 1);
    drop(mutex.try_lock().expect("the mutex is free"));
}
