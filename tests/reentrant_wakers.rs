//! Wakers that call back into the mutex from `wake` or from `drop`.
//!
//! Every tier: the intrusive list takes wakers out inside its critical
//! section and wakes or drops them after leaving it, so a waker may do
//! anything with
//! the mutex — lock, release, poll or cancel other lock futures — from `wake`
//! and from `drop` (the situation of tokio's #5429, where dropping a waker
//! while the wait list was locked deadlocked). Under miri, a waker run inside
//! the critical section would also show up as an aliasing violation: the
//! nested call would make a second `&mut` to the list. (The `alloc` and
//! `std` tiers used to wake inside event-listener's list lock, where a waker
//! could only use the mutex's state word; the `anything` module below was
//! bare-tier only then.)

mod common;

use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use common::{assert_pending, assert_ready, CallbackWaker, CountingWaker};
use turnstile_sync::Mutex;

/// `try_lock` from inside `wake`, releasing at once. The release that woke us
/// left nobody queued, so this release does not notify: allowed in every tier.
#[test]
fn wake_that_try_locks_and_releases() {
    static MUTEX: Mutex<u32> = Mutex::new(0);
    static TOOK: AtomicUsize = AtomicUsize::new(0);
    let waker = CallbackWaker::on_wake(|| {
        if let Some(mut guard) = MUTEX.try_lock() {
            *guard += 1;
            TOOK.fetch_add(1, SeqCst);
        }
    });
    let holder = MUTEX.try_lock().unwrap();
    let mut lock = pin!(MUTEX.lock());
    assert_pending(lock.as_mut(), waker.waker());
    drop(holder);
    assert_eq!(waker.count(), 1);
    assert_eq!(TOOK.load(SeqCst), 1, "the lock was free inside wake");
    assert!(!MUTEX.is_locked());
    let mut guard = assert_ready(lock.as_mut(), waker.waker());
    *guard += 1;
    drop(guard);
    assert_eq!(*MUTEX.try_lock().unwrap(), 2);
}

/// A waker whose `drop` calls `try_lock` and releases. The mutex drops the
/// waker it stored when it wakes it (wake by value) and when a newer waker
/// replaces it; neither may happen in a state that the callback can break.
#[test]
fn waker_drop_that_try_locks_and_releases() {
    static MUTEX: Mutex<u32> = Mutex::new(0);
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    static TOOK: AtomicUsize = AtomicUsize::new(0);
    let on_drop = || {
        DROPS.fetch_add(1, SeqCst);
        if let Some(mut guard) = MUTEX.try_lock() {
            *guard += 1;
            TOOK.fetch_add(1, SeqCst);
        }
    };

    // Replaced by a newer waker while the holder still holds the lock.
    let holder = MUTEX.try_lock().unwrap();
    let plain = CountingWaker::new();
    let mut lock = pin!(MUTEX.lock());
    let replaced = CallbackWaker::on_drop(on_drop);
    assert_pending(lock.as_mut(), replaced.waker());
    replaced.release(); // the wait list now holds the last clone
    assert_eq!(DROPS.load(SeqCst), 0);
    assert_pending(lock.as_mut(), plain.waker());
    assert_eq!(DROPS.load(SeqCst), 1, "the replaced waker was not dropped");
    assert_eq!(
        TOOK.load(SeqCst),
        0,
        "try_lock succeeded while the holder held the lock"
    );
    drop(holder);
    assert_eq!(plain.count(), 1);
    drop(assert_ready(lock.as_mut(), plain.waker()));

    // Consumed by the wake itself, with the lock free.
    let holder = MUTEX.try_lock().unwrap();
    let mut lock = pin!(MUTEX.lock());
    let consumed = CallbackWaker::on_drop(on_drop);
    assert_pending(lock.as_mut(), consumed.waker());
    consumed.release();
    drop(holder);
    assert_eq!(DROPS.load(SeqCst), 2, "the woken waker was not dropped");
    assert_eq!(
        TOOK.load(SeqCst),
        1,
        "the lock was free when the waker was dropped"
    );
    drop(assert_ready(lock.as_mut(), plain.waker()));
    assert!(!MUTEX.is_locked());
    assert_eq!(*MUTEX.try_lock().unwrap(), 1);
}

/// What a waker inside a list lock could not do is done here.
mod anything {
    use super::*;
    use common::poll_once;
    use std::pin::Pin;
    use std::sync::Mutex as StdMutex;
    use std::task::Poll;
    use turnstile_sync::Lock;

    type Slot = StdMutex<Option<Pin<Box<Lock<'static, u32>>>>>;

    /// Bare tier: `wake` barges in, queues a new waiter (touching the list), and
    /// releases (which notifies): the wait list stays consistent and everybody
    /// is served.
    #[test]
    fn wake_that_queues_a_waiter_and_releases() {
        static MUTEX: Mutex<u32> = Mutex::new(0);
        static NEWCOMER: Slot = StdMutex::new(None);
        let newcomer_waker = CountingWaker::new();
        let nw = newcomer_waker.waker().clone();
        let waker = CallbackWaker::on_wake(move || {
            let barger = MUTEX.try_lock().expect("the lock is free inside wake");
            let mut newcomer = Box::pin(MUTEX.lock());
            assert!(poll_once(newcomer.as_mut(), &nw).is_pending());
            *NEWCOMER.lock().unwrap() = Some(newcomer);
            drop(barger); // notifies: the woken waiter's wakeup is still pending
        });
        let holder = MUTEX.try_lock().unwrap();
        let mut lock = pin!(MUTEX.lock());
        assert_pending(lock.as_mut(), waker.waker());
        drop(holder);
        assert_eq!(waker.count(), 1);
        assert_eq!(
            newcomer_waker.count(),
            0,
            "FIFO: the first waiter still has the turn"
        );
        let guard = assert_ready(lock.as_mut(), waker.waker());
        drop(guard);
        assert_eq!(newcomer_waker.count(), 1);
        let mut newcomer = NEWCOMER.lock().unwrap().take().unwrap();
        drop(assert_ready(newcomer.as_mut(), newcomer_waker.waker()));
        assert!(!MUTEX.is_locked());
        assert_eq!(waker.count(), 1);
    }

    /// Bare tier: `wake` cancels another queued waiter (unlinking it from the
    /// list the notifier just walked).
    #[test]
    fn wake_that_cancels_another_waiter() {
        static MUTEX: Mutex<u32> = Mutex::new(0);
        static VICTIM: Slot = StdMutex::new(None);
        let waker = CallbackWaker::on_wake(|| drop(VICTIM.lock().unwrap().take()));
        let (wv, wc) = (CountingWaker::new(), CountingWaker::new());
        let holder = MUTEX.try_lock().unwrap();
        let mut first = pin!(MUTEX.lock());
        assert_pending(first.as_mut(), waker.waker());
        let mut victim = Box::pin(MUTEX.lock());
        assert_pending(victim.as_mut(), wv.waker());
        *VICTIM.lock().unwrap() = Some(victim);
        let mut last = pin!(MUTEX.lock());
        assert_pending(last.as_mut(), wc.waker());
        drop(holder);
        assert!(VICTIM.lock().unwrap().is_none(), "wake did not run");
        assert_eq!(
            wv.outstanding_clones(),
            0,
            "the cancelled waiter's waker was kept"
        );
        drop(assert_ready(first.as_mut(), waker.waker()));
        assert_eq!(wv.count(), 0, "a cancelled waiter was woken");
        assert_eq!(
            wc.count(),
            1,
            "the waiter behind the cancelled one was skipped"
        );
        drop(assert_ready(last.as_mut(), wc.waker()));
        assert!(!MUTEX.is_locked());
    }

    /// Bare tier: `wake` polls the woken future itself, as an executor that runs
    /// a task inline on wake would; the guard is dropped right there, and that
    /// release notifies the next waiter from inside the first wake.
    #[test]
    fn wake_that_runs_the_woken_task_inline() {
        static MUTEX: Mutex<u32> = Mutex::new(0);
        static TASK: Slot = StdMutex::new(None);
        static RAN: AtomicUsize = AtomicUsize::new(0);
        let noop = std::task::Waker::noop().clone();
        let waker = CallbackWaker::on_wake(move || {
            let mut slot = TASK.lock().unwrap();
            let task = slot.as_mut().expect("task");
            if let Poll::Ready(mut guard) = poll_once(task.as_mut(), &noop) {
                *guard += 1;
                RAN.fetch_add(1, SeqCst);
                *slot = None;
            }
        });
        let next = CountingWaker::new();
        let holder = MUTEX.try_lock().unwrap();
        let mut task = Box::pin(MUTEX.lock());
        assert_pending(task.as_mut(), waker.waker());
        *TASK.lock().unwrap() = Some(task);
        let mut other = pin!(MUTEX.lock());
        assert_pending(other.as_mut(), next.waker());
        drop(holder);
        assert_eq!(RAN.load(SeqCst), 1, "the inline task did not acquire");
        assert_eq!(
            next.count(),
            1,
            "the inline task's release did not wake the next waiter"
        );
        let guard = assert_ready(other.as_mut(), next.waker());
        assert_eq!(*guard, 1);
        drop(guard);
        assert!(!MUTEX.is_locked());
    }

    /// Bare tier, tokio#5429: a waker whose `drop` queues and cancels a lock
    /// future and barges in with `try_lock`. The mutex drops stored wakers when
    /// a newer one replaces them and when a queued future is cancelled; both
    /// happen outside the critical section, so the callback can use the list.
    #[test]
    fn waker_drop_that_uses_the_wait_list() {
        static MUTEX: Mutex<u32> = Mutex::new(0);
        static DROPS: AtomicUsize = AtomicUsize::new(0);
        static PARKED: Slot = StdMutex::new(None);
        let on_drop = || {
            DROPS.fetch_add(1, SeqCst);
            // Queue a waiter and cancel it again...
            let noop = std::task::Waker::noop();
            let mut probe = Box::pin(MUTEX.lock());
            if let Poll::Ready(guard) = poll_once(probe.as_mut(), noop) {
                drop(guard);
            }
            drop(probe);
            // ...and leave one queued, to be served later.
            let mut parked = Box::pin(MUTEX.lock());
            if poll_once(parked.as_mut(), noop).is_pending() {
                *PARKED.lock().unwrap() = Some(parked);
            }
        };

        let holder = MUTEX.try_lock().unwrap();
        let plain = CountingWaker::new();
        let mut lock = pin!(MUTEX.lock());
        // Replaced by a newer waker.
        let replaced = CallbackWaker::on_drop(on_drop);
        assert_pending(lock.as_mut(), replaced.waker());
        replaced.release();
        assert_pending(lock.as_mut(), plain.waker());
        assert_eq!(DROPS.load(SeqCst), 1);
        // Dropped when its queued future is cancelled.
        {
            let mut cancelled = pin!(MUTEX.lock());
            let cancelled_waker = CallbackWaker::on_drop(on_drop);
            assert_pending(cancelled.as_mut(), cancelled_waker.waker());
            cancelled_waker.release();
        }
        assert_eq!(DROPS.load(SeqCst), 2);
        // Queue now: lock (plain), parked #1, parked #2 (the second replaced the
        // first in the slot; dropping #1 cancelled it). Serve them.
        assert!(MUTEX.is_locked());
        drop(holder);
        assert_eq!(
            plain.count(),
            1,
            "the queue was corrupted: the first waiter was not woken"
        );
        let guard = assert_ready(lock.as_mut(), plain.waker());
        drop(guard);
        let mut parked = PARKED.lock().unwrap().take().expect("a parked waiter");
        drop(assert_ready(parked.as_mut(), plain.waker()));
        assert!(!MUTEX.is_locked());
        // And the list is still usable for a normal contended round.
        let holder = MUTEX.try_lock().unwrap();
        let w = CountingWaker::new();
        let mut again = pin!(MUTEX.lock());
        assert_pending(again.as_mut(), w.waker());
        drop(holder);
        assert_eq!(w.count(), 1);
        drop(assert_ready(again.as_mut(), w.waker()));
    }
}

/// Semaphore wakers. The semaphore's wait queue (`src/wait/data.rs`) is
/// intrusive in every tier and runs no waker code under its lock: wakers of
/// served waiters are woken, and replaced or orphaned wakers dropped, after
/// the lock is released. So in every tier a waker may call anything on the
/// semaphore from `wake` or `drop` — acquire (and poll or cancel), try_acquire,
/// add_permits, close — without deadlocking or corrupting the queue.
mod semaphore {
    use super::common::{assert_pending, assert_ready, CallbackWaker, CountingWaker};
    use std::pin::Pin;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Mutex as StdMutex;
    use turnstile_sync::{Acquire, Closed, Semaphore, TryAcquireError};

    type Parked = StdMutex<Option<Pin<Box<Acquire<'static>>>>>;

    /// `wake` calls try_acquire (refused: another waiter is queued), then
    /// add_permits (which serves that waiter from inside the wake), then
    /// acquires, polls and cancels a future of its own.
    #[test]
    fn wake_that_try_acquires_adds_permits_and_cancels_its_own_waiter() {
        static SEM: Semaphore = Semaphore::new(0);
        static SEEN: AtomicUsize = AtomicUsize::new(0);
        let waker = CallbackWaker::on_wake(|| {
            assert_eq!(SEM.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
            SEM.add_permits(1); // serves B, queued behind us
            let inner = CountingWaker::new();
            let mut own = Box::pin(SEM.acquire_many(2));
            assert_pending(own.as_mut(), inner.waker());
            drop(own);
            SEEN.fetch_add(1, SeqCst);
        });
        let wb = CountingWaker::new();
        let mut a = Box::pin(SEM.acquire());
        assert_pending(a.as_mut(), waker.waker());
        let mut b = Box::pin(SEM.acquire());
        assert_pending(b.as_mut(), wb.waker());
        SEM.add_permits(1);
        assert_eq!(SEEN.load(SeqCst), 1);
        assert_eq!(wb.count(), 1, "B served by the add inside A's wake");
        drop(assert_ready(a.as_mut(), waker.waker()).unwrap());
        drop(assert_ready(b.as_mut(), wb.waker()).unwrap());
        assert_eq!(SEM.available_permits(), 2);
    }

    /// `wake` closes the semaphore while other waiters are queued, one with
    /// a partial set-aside; another waiter's `wake` cancels a parked future.
    #[test]
    fn wake_that_closes_and_wake_that_cancels_another_waiter() {
        static SEM: Semaphore = Semaphore::new(0);
        static PARKED: Parked = StdMutex::new(None);
        let closer = CallbackWaker::on_wake(|| SEM.close());
        let canceller = CallbackWaker::on_wake(|| drop(PARKED.lock().unwrap().take()));
        let plain = CountingWaker::new();
        let mut a = Box::pin(SEM.acquire());
        assert_pending(a.as_mut(), closer.waker());
        let mut b = Box::pin(SEM.acquire_many(3));
        assert_pending(b.as_mut(), canceller.waker());
        let mut parked = Box::pin(SEM.acquire_many(2));
        assert_pending(parked.as_mut(), plain.waker());
        *PARKED.lock().unwrap() = Some(parked);
        // 1 serves A, 1 is set aside for B; A's wake closes, which fails B
        // and the parked future; B's wake drops the parked future.
        SEM.add_permits(2);
        assert!(SEM.is_closed());
        assert!(PARKED.lock().unwrap().is_none());
        assert_eq!(closer.count(), 1);
        assert_eq!(canceller.count(), 1);
        drop(assert_ready(a.as_mut(), closer.waker()).unwrap());
        assert_eq!(
            assert_ready(b.as_mut(), canceller.waker()).unwrap_err(),
            Closed
        );
        assert_eq!(
            SEM.available_permits(),
            2,
            "B's set-aside and A's permit are back"
        );
    }

    /// A waker whose `drop` adds permits and closes: dropped when replaced
    /// by a newer waker, and when its future is cancelled.
    #[test]
    fn waker_drop_that_adds_permits_and_closes() {
        static SEM: Semaphore = Semaphore::new(0);
        let w = CountingWaker::new();
        let mut head = Box::pin(SEM.acquire_many(2));
        assert_pending(head.as_mut(), w.waker());
        let mut f = Box::pin(SEM.acquire());
        let replaced = CallbackWaker::on_drop(|| SEM.add_permits(2));
        assert_pending(f.as_mut(), replaced.waker());
        replaced.release(); // the queue holds the last clone
                            // Replacing it drops it after the lock: its add serves the head.
        assert_pending(f.as_mut(), w.waker());
        assert_eq!(w.count(), 1, "the head was served from inside the drop");
        let cancelled = CallbackWaker::on_drop(|| SEM.close());
        let mut g = Box::pin(SEM.acquire());
        assert_pending(g.as_mut(), cancelled.waker());
        cancelled.release();
        drop(g); // its waker's drop closes: f fails
        assert!(SEM.is_closed());
        assert_eq!(w.count(), 2);
        assert_eq!(assert_ready(f.as_mut(), w.waker()).unwrap_err(), Closed);
        drop(assert_ready(head.as_mut(), w.waker()).unwrap());
        assert_eq!(SEM.available_permits(), 2);
    }

    /// More waiters than one wake batch (8), each `wake` returning a permit
    /// the semaphore does not have yet and queuing a new waiter that it
    /// cancels: the queue stays consistent and every waiter is served.
    #[test]
    fn a_batch_of_wakes_that_each_call_back() {
        static SEM: Semaphore = Semaphore::new(0);
        let wakers: Vec<_> = (0..20)
            .map(|_| {
                CallbackWaker::on_wake(|| {
                    let w = CountingWaker::new();
                    let mut f = Box::pin(SEM.acquire());
                    let _ = super::common::poll_once(f.as_mut(), w.waker());
                    drop(f);
                    let _ = SEM.try_acquire();
                })
            })
            .collect();
        let mut futs: Vec<_> = wakers
            .iter()
            .map(|w| {
                let mut f = Box::pin(SEM.acquire());
                assert_pending(f.as_mut(), w.waker());
                f
            })
            .collect();
        SEM.add_permits(20);
        for (f, w) in futs.iter_mut().zip(&wakers) {
            assert_eq!(w.count(), 1);
            drop(assert_ready(f.as_mut(), w.waker()).unwrap());
        }
        assert_eq!(SEM.available_permits(), 20);
    }
}

/// `Notify`, every tier: its queue is the data queue, which runs no waker
/// code under its lock in any tier, so a waker may use the notify fully.
mod notify {
    use super::*;
    use common::poll_once;
    use std::pin::Pin;
    use std::sync::Mutex as StdMutex;
    use turnstile_sync::{Notified, Notify};

    type Slot = StdMutex<Option<Pin<Box<Notified<'static>>>>>;

    /// `wake` (run by `notify_waiters`) queues a new waiter and calls
    /// `notify_one`: the new waiter, created after the call, is not
    /// completed by it, but the `notify_one` from inside `wake` reaches it.
    #[test]
    fn wake_that_queues_a_waiter_and_notifies_one() {
        static NOTIFY: Notify = Notify::new();
        static NEWCOMER: Slot = StdMutex::new(None);
        let newcomer_waker = CountingWaker::new();
        let nw = newcomer_waker.waker().clone();
        let waker = CallbackWaker::on_wake(move || {
            let mut newcomer = Box::pin(NOTIFY.notified());
            assert!(poll_once(newcomer.as_mut(), &nw).is_pending());
            *NEWCOMER.lock().unwrap() = Some(newcomer);
            NOTIFY.notify_one();
        });
        let mut first = pin!(NOTIFY.notified());
        assert_pending(first.as_mut(), waker.waker());
        NOTIFY.notify_waiters();
        assert_eq!(waker.count(), 1);
        assert_eq!(newcomer_waker.count(), 1, "woken by the notify_one in wake");
        assert_ready(first.as_mut(), waker.waker());
        let mut newcomer = NEWCOMER.lock().unwrap().take().unwrap();
        assert_ready(newcomer.as_mut(), newcomer_waker.waker());
        // Nothing left over: the notify_one went to the newcomer.
        assert!(!pin!(NOTIFY.notified()).as_mut().enable());
    }

    /// A waker whose `drop` drops another waiting future that `notify_one`
    /// woke (so that drop passes the notification on, taking the lock) and
    /// calls `notify_one`: both run after the lock is released.
    #[test]
    fn waker_drop_that_cancels_a_woken_waiter_and_notifies() {
        static NOTIFY: Notify = Notify::new();
        static OTHER: Slot = StdMutex::new(None);
        let plain = CountingWaker::new();
        let mut other = Box::pin(NOTIFY.notified());
        assert_pending(other.as_mut(), plain.waker());
        *OTHER.lock().unwrap() = Some(other);
        let mut first = pin!(NOTIFY.notified());
        let dropping = CallbackWaker::on_drop(|| {
            drop(OTHER.lock().unwrap().take());
            NOTIFY.notify_one();
        });
        assert_pending(first.as_mut(), dropping.waker());
        dropping.release();
        // Wakes `other` (the oldest), then `first`; `first`'s waker, woken
        // by value, is dropped: it drops `other`, which passes its wakeup
        // on (to nobody: stored), and its notify_one finds the permit set.
        NOTIFY.notify_one();
        NOTIFY.notify_one();
        assert_eq!(plain.count(), 1);
        assert_ready(first.as_mut(), plain.waker());
        assert!(OTHER.lock().unwrap().is_none());
        assert!(pin!(NOTIFY.notified()).as_mut().enable(), "the permit");
        assert!(!pin!(NOTIFY.notified()).as_mut().enable());
    }
}
