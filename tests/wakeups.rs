//! The wait protocol, driven by hand: lock futures are polled one step at a
//! time with counting wakers, so each test can say exactly who is woken, how
//! often, and when a future must stay pending. No executor, no threads: the
//! same schedule runs in every tier and under miri.

mod common;

use std::pin::{pin, Pin};
use std::task::Poll;

use common::{assert_pending, assert_ready, poll_once, CountingWaker};
use turnstile_sync::{Lock, Mutex, MutexGuard};

#[test]
fn uncontended_lock_is_ready_at_once_and_never_wakes() {
    let mutex = Mutex::new(0);
    let waker = CountingWaker::new();
    let mut lock = pin!(mutex.lock());
    let mut guard = assert_ready(lock.as_mut(), waker.waker());
    *guard += 1;
    drop(guard);
    assert_eq!(waker.count(), 0);
    assert_eq!(
        waker.outstanding_clones(),
        0,
        "an uncontended lock kept the waker"
    );
    assert!(!mutex.is_locked());
}

#[test]
fn waiter_is_woken_exactly_once_by_the_release_and_acquires() {
    let mutex = Mutex::new(0);
    let holder = mutex.try_lock().unwrap();
    let waker = CountingWaker::new();
    let mut lock = pin!(mutex.lock());
    assert_pending(lock.as_mut(), waker.waker());
    assert_eq!(waker.count(), 0, "woken before anything was released");

    drop(holder);
    assert_eq!(waker.count(), 1, "the release must wake the waiter once");
    let mut guard = assert_ready(lock.as_mut(), waker.waker());
    *guard += 1;
    assert!(mutex.is_locked());
    drop(guard);
    assert_eq!(waker.count(), 1, "woken again after it acquired");
    assert!(!mutex.is_locked());
    assert_eq!(waker.outstanding_clones(), 0, "the wait list kept a waker");
}

#[test]
fn spurious_repoll_stays_pending() {
    let mutex = Mutex::new(());
    let holder = mutex.try_lock().unwrap();
    let waker = CountingWaker::new();
    let other = CountingWaker::new();
    let mut lock = pin!(mutex.lock());
    for _ in 0..3 {
        assert_pending(lock.as_mut(), waker.waker());
    }
    assert_pending(lock.as_mut(), other.waker());
    assert_pending(lock.as_mut(), waker.waker());
    assert_eq!(waker.count() + other.count(), 0);
    assert!(mutex.is_locked());
    drop(holder);
    assert_eq!(waker.count(), 1);
    assert_eq!(other.count(), 0);
    drop(assert_ready(lock.as_mut(), waker.waker()));
}

#[test]
fn newest_waker_is_the_one_woken() {
    let mutex = Mutex::new(());
    let holder = mutex.try_lock().unwrap();
    let first = CountingWaker::new();
    let second = CountingWaker::new();
    let mut lock = pin!(mutex.lock());
    assert_pending(lock.as_mut(), first.waker());
    assert_pending(lock.as_mut(), second.waker());
    assert_eq!(
        first.outstanding_clones(),
        0,
        "the replaced waker must be dropped, not kept alongside the new one"
    );
    assert_eq!(second.outstanding_clones(), 1);
    drop(holder);
    assert_eq!(first.count(), 0, "the stale waker was woken");
    assert_eq!(second.count(), 1, "the newest waker was not woken");
    drop(assert_ready(lock.as_mut(), second.waker()));
    assert_eq!(second.outstanding_clones(), 0);
}

#[test]
fn switching_back_to_an_older_waker_wakes_it() {
    let mutex = Mutex::new(());
    let holder = mutex.try_lock().unwrap();
    let a = CountingWaker::new();
    let b = CountingWaker::new();
    let mut lock = pin!(mutex.lock());
    assert_pending(lock.as_mut(), a.waker());
    assert_pending(lock.as_mut(), b.waker());
    assert_pending(lock.as_mut(), a.waker());
    drop(holder);
    assert_eq!((a.count(), b.count()), (1, 0));
    drop(assert_ready(lock.as_mut(), a.waker()));
}

#[test]
fn dropped_waiter_leaves_the_queue() {
    let mutex = Mutex::new(());
    let holder = mutex.try_lock().unwrap();
    let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
    let mut b = pin!(mutex.lock());
    {
        let mut a = pin!(mutex.lock());
        assert_pending(a.as_mut(), wa.waker());
        assert_pending(b.as_mut(), wb.waker());
    }
    assert_eq!(
        wa.outstanding_clones(),
        0,
        "the dropped waiter's waker was kept"
    );
    assert!(mutex.is_locked(), "dropping a waiter unlocked the mutex");
    drop(holder);
    assert_eq!(wa.count(), 0, "the release woke a dropped waiter");
    assert_eq!(wb.count(), 1, "the release must wake the remaining waiter");
    drop(assert_ready(b.as_mut(), wb.waker()));
    assert!(!mutex.is_locked());
}

#[test]
fn dropping_the_only_waiter_leaves_the_mutex_free_and_usable() {
    let mutex = Mutex::new(());
    let holder = mutex.try_lock().unwrap();
    let w = CountingWaker::new();
    {
        let mut a = pin!(mutex.lock());
        assert_pending(a.as_mut(), w.waker());
    }
    drop(holder);
    assert_eq!(w.count(), 0);
    assert!(!mutex.is_locked());
    // A fresh locker gets it at once, and a later contended round still works.
    let mut fresh = pin!(mutex.lock());
    let guard = assert_ready(fresh.as_mut(), w.waker());
    let mut next = pin!(mutex.lock());
    assert_pending(next.as_mut(), w.waker());
    drop(guard);
    assert_eq!(w.count(), 1);
    drop(assert_ready(next.as_mut(), w.waker()));
}

#[test]
fn dropped_notified_waiter_passes_the_wakeup_on() {
    let mutex = Mutex::new(());
    let holder = mutex.try_lock().unwrap();
    let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
    let mut b = pin!(mutex.lock());
    {
        let mut a = pin!(mutex.lock());
        assert_pending(a.as_mut(), wa.waker());
        assert_pending(b.as_mut(), wb.waker());
        drop(holder);
        assert_eq!((wa.count(), wb.count()), (1, 0), "FIFO: A first");
        // A is dropped without ever seeing its notification.
    }
    assert_eq!(wb.count(), 1, "A's wakeup was lost with A");
    let guard = assert_ready(b.as_mut(), wb.waker());
    assert!(mutex.is_locked());
    drop(guard);
    assert!(!mutex.is_locked());
}

#[test]
fn dropped_notified_waiter_without_successor_leaves_the_mutex_free() {
    let mutex = Mutex::new(());
    let holder = mutex.try_lock().unwrap();
    let w = CountingWaker::new();
    {
        let mut a = pin!(mutex.lock());
        assert_pending(a.as_mut(), w.waker());
        drop(holder);
        assert_eq!(w.count(), 1);
    }
    assert!(!mutex.is_locked());
    // The passed-on wakeup found nobody; later waiters are not confused by it.
    let holder = mutex.try_lock().unwrap();
    let (wb, wc) = (CountingWaker::new(), CountingWaker::new());
    let mut b = pin!(mutex.lock());
    let mut c = pin!(mutex.lock());
    assert_pending(b.as_mut(), wb.waker());
    assert_pending(c.as_mut(), wc.waker());
    drop(holder);
    assert_eq!((wb.count(), wc.count()), (1, 0));
    let guard = assert_ready(b.as_mut(), wb.waker());
    assert_pending(c.as_mut(), wc.waker());
    drop(guard);
    assert_eq!(wc.count(), 1);
    drop(assert_ready(c.as_mut(), wc.waker()));
}

/// With nobody else calling `lock`, queued waiters are woken and served
/// strictly in the order they queued, each woken exactly once, and one
/// release wakes exactly one of them. Polls of the others while the lock is
/// held (a queued waiter polled without a wakeup) do not jump the queue.
/// (A queued waiter polled while the lock is *free* may take it, as any
/// caller may: `queued_waiter_polled_spuriously_takes_a_free_lock` in
/// `tests/handoff.rs`.)
#[test]
fn queued_waiters_are_served_in_fifo_order() {
    const N: usize = 8;
    let mutex = Mutex::new(Vec::new());
    let holder = mutex.try_lock().unwrap();
    let wakers: Vec<CountingWaker> = (0..N).map(|_| CountingWaker::new()).collect();
    let mut locks: Vec<_> = (0..N).map(|_| Box::pin(mutex.lock())).collect();
    for (lock, waker) in locks.iter_mut().zip(&wakers) {
        assert_pending(lock.as_mut(), waker.waker());
    }
    let mut guard = Some(holder);
    let mut done = [false; N];
    for turn in 0..N {
        drop(guard.take());
        let woken: Vec<usize> = (0..N).filter(|&i| wakers[i].count() > 0).collect();
        assert_eq!(
            woken,
            (0..=turn).collect::<Vec<_>>(),
            "turn {turn}: wrong set woken"
        );
        // The woken head runs first, as an executor would run it...
        match poll_once(locks[turn].as_mut(), wakers[turn].waker()) {
            Poll::Ready(mut g) => {
                g.push(turn);
                guard = Some(g);
                done[turn] = true;
            }
            Poll::Pending => panic!("turn {turn}: the head of the queue did not acquire"),
        }
        // ...then everyone still waiting is polled, last in line first, so a
        // waiter that was not woken gets every chance to jump the queue.
        let still_waiting: Vec<usize> = (0..N).rev().filter(|&i| !done[i]).collect();
        for i in still_waiting {
            assert!(
                poll_once(locks[i].as_mut(), wakers[i].waker()).is_pending(),
                "turn {turn}: waiter {i} acquired while the head held the lock"
            );
        }
    }
    drop(guard);
    for (i, waker) in wakers.iter().enumerate() {
        assert_eq!(waker.count(), 1, "waiter {i} woken {} times", waker.count());
    }
    assert_eq!(*mutex.try_lock().unwrap(), (0..N).collect::<Vec<_>>());
}

/// A waiter that takes the lock after being woken must make its own release
/// wake the next waiter: the release that woke it cleared the "waiters
/// queued" mark.
#[test]
fn release_by_a_woken_waiter_wakes_the_next() {
    let mutex = Mutex::new(());
    let holder = mutex.try_lock().unwrap();
    let (wa, wb, wc) = (
        CountingWaker::new(),
        CountingWaker::new(),
        CountingWaker::new(),
    );
    let mut a = pin!(mutex.lock());
    let mut b = pin!(mutex.lock());
    let mut c = pin!(mutex.lock());
    assert_pending(a.as_mut(), wa.waker());
    assert_pending(b.as_mut(), wb.waker());
    assert_pending(c.as_mut(), wc.waker());
    drop(holder);
    let ga = assert_ready(a.as_mut(), wa.waker());
    assert_eq!((wb.count(), wc.count()), (0, 0));
    drop(ga);
    assert_eq!((wb.count(), wc.count()), (1, 0));
    let gb = assert_ready(b.as_mut(), wb.waker());
    drop(gb);
    assert_eq!(wc.count(), 1);
    drop(assert_ready(c.as_mut(), wc.waker()));
    assert!(!mutex.is_locked());
}

/// Before hand-off mode, a released lock is free for anyone: `try_lock`
/// barges past a woken waiter, which then loses its race, queues again and
/// is woken by the barger's release.
#[test]
fn woken_waiter_that_loses_a_race_is_woken_again() {
    let mutex = Mutex::new(0);
    let holder = mutex.try_lock().unwrap();
    let w = CountingWaker::new();
    let mut lock = pin!(mutex.lock());
    assert_pending(lock.as_mut(), w.waker());
    drop(holder);
    assert_eq!(w.count(), 1);
    let barger = mutex
        .try_lock()
        .expect("barging is allowed before hand-off mode");
    assert_pending(lock.as_mut(), w.waker());
    assert_eq!(w.count(), 1);
    drop(barger);
    assert_eq!(w.count(), 2, "the barger's release must wake the loser");
    drop(assert_ready(lock.as_mut(), w.waker()));
}

/// A waiter polled again before its wakeup was delivered (the release
/// happened, the waker fired, the task was not scheduled yet) still finds the
/// notification and acquires; an unrelated poll in between does not eat it.
/// (The unrelated poll comes while a barger holds the lock: a queued waiter
/// polled while the lock is free takes it, see
/// `queued_waiter_polled_spuriously_takes_a_free_lock` in
/// `tests/handoff.rs`.)
#[test]
fn notification_survives_until_consumed() {
    let mutex = Mutex::new(());
    let holder = mutex.try_lock().unwrap();
    let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
    let mut a = pin!(mutex.lock());
    let mut b = pin!(mutex.lock());
    assert_pending(a.as_mut(), wa.waker());
    assert_pending(b.as_mut(), wb.waker());
    drop(holder);
    assert_eq!(wa.count(), 1);
    let barger = mutex.try_lock().unwrap();
    // B is polled first (spuriously): it must not take A's notification, and
    // stays pending without being woken.
    assert_pending(b.as_mut(), wb.waker());
    drop(barger);
    assert_eq!((wa.count(), wb.count()), (1, 0));
    let ga = assert_ready(a.as_mut(), wa.waker());
    assert_eq!(wb.count(), 0);
    drop(ga);
    assert_eq!(wb.count(), 1);
    drop(assert_ready(b.as_mut(), wb.waker()));
}

type Waiting<'a> = Vec<Option<(Pin<Box<Lock<'a, usize>>>, CountingWaker, usize)>>;

/// Polls every waiter whose waker fired since its last poll (what an
/// executor would do); one that acquires becomes `guard`.
fn poll_woken<'a>(waiting: &mut Waiting<'a>, guard: &mut Option<MutexGuard<'a, usize>>) {
    for slot in waiting.iter_mut() {
        let Some((lock, waker, seen)) = slot else {
            continue;
        };
        if waker.count() == *seen {
            continue;
        }
        *seen = waker.count();
        if let Poll::Ready(mut g) = poll_once(lock.as_mut(), waker.waker()) {
            assert!(guard.is_none(), "two guards at once");
            *g += 1;
            *guard = Some(g);
            *slot = None;
        }
    }
}

/// Waiters keep arriving while the lock is released one holder at a time,
/// and only woken waiters are polled: every release must wake someone who
/// then acquires, and in the end every waiter acquired exactly once.
#[test]
fn interleaved_arrivals_all_acquire() {
    let rounds = common::iters(64, 12);
    let mutex = Mutex::new(0usize);
    let mut waiting: Waiting<'_> = Vec::new();
    let mut guard = Some(mutex.try_lock().unwrap());
    for round in 0..rounds {
        for _ in 0..(1 + round % 2) {
            let waker = CountingWaker::new();
            let mut lock = Box::pin(mutex.lock());
            assert_pending(lock.as_mut(), waker.waker());
            waiting.push(Some((lock, waker, 0)));
        }
        drop(guard.take());
        poll_woken(&mut waiting, &mut guard);
        assert!(
            guard.is_some(),
            "round {round}: the release woke nobody who could acquire"
        );
    }
    while guard.take().is_some() {
        poll_woken(&mut waiting, &mut guard);
    }
    let stranded = waiting.iter().filter(|slot| slot.is_some()).count();
    assert_eq!(
        stranded, 0,
        "{stranded} waiters never woken with the mutex free"
    );
    assert!(!mutex.is_locked());
    assert_eq!(*mutex.try_lock().unwrap(), waiting.len());
}

/// The waiter an unlock notifies has a waker that panics: the unlock passes
/// the panic on and the mutex is left free, with that waiter holding the
/// wakeup. Whether that waiter then takes its turn (`poll_first`) or is
/// dropped, the twenty waiters queued behind it each get theirs, in order,
/// woken once; afterwards the mutex is free and `try_lock` takes it, in
/// every tier. (With the event-listener 5.4.2 wait layer of earlier versions
/// the panic left its notified count one short: a debug build panicked when
/// the notified waiter left the queue, a release build wrapped the count and
/// never woke anyone again; without `std` it had to abort instead.)
#[test]
fn a_panicking_waker_does_not_strand_the_mutex_queue() {
    use common::{expect_waker_panic, panicking_waker};
    for poll_first in [true, false] {
        let mutex = Mutex::new(0);
        let holder = mutex.try_lock().unwrap();
        let bomb = panicking_waker();
        let mut first = Box::pin(mutex.lock());
        assert_pending(first.as_mut(), bomb.waker());
        let wakers: Vec<CountingWaker> = (0..20).map(|_| CountingWaker::new()).collect();
        let mut locks: Vec<_> = wakers
            .iter()
            .map(|k| {
                let mut l = Box::pin(mutex.lock());
                assert_pending(l.as_mut(), k.waker());
                l
            })
            .collect();
        expect_waker_panic(|| drop(holder));
        assert_eq!(bomb.count(), 1);
        assert!(!mutex.is_locked());
        if poll_first {
            let calm = CountingWaker::new();
            *assert_ready(first.as_mut(), calm.waker()) += 1;
        } else {
            drop(first);
        }
        for (i, (l, k)) in locks.iter_mut().zip(&wakers).enumerate() {
            assert_eq!(
                k.count(),
                1,
                "waiter {i} was not woken (poll_first: {poll_first})"
            );
            *assert_ready(l.as_mut(), k.waker()) += 1;
        }
        let unwoken = wakers.iter().filter(|k| k.count() != 1).count();
        assert_eq!(unwoken, 0, "woken more than once");
        let guard = mutex.try_lock().expect("try_lock refused a free mutex");
        assert_eq!(*guard, 20 + usize::from(poll_first));
    }
}
