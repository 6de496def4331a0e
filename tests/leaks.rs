//! What leaking a waiting future (`mem::forget` of a boxed, pinned future)
//! does to each primitive: the crate docs' "Cancellation" section says it,
//! and these tests pin what it says (every tier; not under miri, whose leak
//! check would report the leaks the tests make on purpose). Dropping a
//! future is always fine; leaking one that waits is not, as with tokio and
//! async-lock. If a change bounds the damage, change the docs with the test.
#![cfg(not(miri))]

mod common;

use std::future::Future;
use std::mem;
use std::pin::pin;

use common::{assert_pending, assert_ready, poll_once, CountingWaker};
use turnstile_sync::{Barrier, Condvar, Latch, Mutex, RwLock, Semaphore};

/// Polls `future` once (it must be pending), then leaks it in place: its
/// wait-list node stays linked, with its memory, for good.
fn leak_pending<F: Future>(future: F, waker: &CountingWaker) {
    let mut future = Box::pin(future);
    assert_pending(future.as_mut(), waker.waker());
    mem::forget(future);
}

/// A leaked `lock()` future that had been woken keeps the wakeup: later
/// releases wake nobody (a woken waiter is still "on its way"), so the
/// waiters behind it are never woken. The lock itself stays free for
/// `try_lock` and for a waiter that happens to be polled.
#[test]
fn mutex_leaked_notified_waiter_keeps_the_wakeup() {
    let mutex = Mutex::new(());
    let holder = mutex.try_lock().unwrap();
    let (wl, wb) = (CountingWaker::new(), CountingWaker::new());
    let mut leaked = Box::pin(mutex.lock());
    assert_pending(leaked.as_mut(), wl.waker());
    let mut behind = pin!(mutex.lock());
    assert_pending(behind.as_mut(), wb.waker());
    drop(holder); // notifies the leaked waiter
    assert_eq!(wl.count(), 1);
    mem::forget(leaked);
    let again = mutex.try_lock().expect("free for try_lock");
    drop(again);
    assert_eq!(
        wb.count(),
        0,
        "a release woke the waiter behind a leaked one"
    );
    // Polled anyway, the waiter behind takes the free lock.
    drop(assert_ready(behind.as_mut(), wb.waker()));
}

/// A leaked `lock()` future counted as starving keeps the mutex in hand-off
/// mode: a free mutex refuses `try_lock` and every new `lock()` queues.
#[test]
fn mutex_leaked_starving_waiter_blocks_the_free_lock() {
    let mutex = Mutex::new(());
    let w = CountingWaker::new();
    let mut holder = mutex.try_lock().unwrap();
    let mut leaked = Box::pin(mutex.lock());
    assert_pending(leaked.as_mut(), w.waker());
    // Four lost races make it starving (see tests/handoff.rs).
    for _ in 0..4 {
        drop(holder);
        holder = mutex.try_lock().unwrap();
        assert_pending(leaked.as_mut(), w.waker());
    }
    mem::forget(leaked);
    drop(holder);
    assert!(!mutex.is_locked());
    assert!(
        mutex.try_lock().is_none(),
        "free, yet reserved for the leaked waiter"
    );
    let newcomer = CountingWaker::new();
    let mut late = pin!(mutex.lock());
    assert_pending(late.as_mut(), newcomer.waker());
    assert_eq!(newcomer.count(), 0);
}

/// A leaked queued `write()` future stays counted as a waiting writer: new
/// readers queue behind it for good.
#[test]
fn rwlock_leaked_queued_writer_holds_back_new_readers() {
    let lock = RwLock::new(());
    let w = CountingWaker::new();
    let reader = lock.try_read().unwrap();
    leak_pending(lock.write(), &w);
    assert!(
        lock.try_read().is_none(),
        "a new reader passed a queued writer"
    );
    drop(reader);
    assert!(
        lock.try_read().is_none(),
        "the leaked writer no longer counts"
    );
}

/// A leaked queued `acquire()` future at the head of the strictly FIFO queue
/// keeps every permit released after it for itself: nobody behind it is
/// served.
#[test]
fn semaphore_leaked_head_waiter_stops_the_queue() {
    let sem = Semaphore::new(1);
    let (wl, wb) = (CountingWaker::new(), CountingWaker::new());
    let permit = sem.try_acquire().unwrap();
    leak_pending(sem.acquire_many(2), &wl);
    let mut behind = pin!(sem.acquire());
    assert_pending(behind.as_mut(), wb.waker());
    drop(permit);
    assert_eq!(wb.count(), 0);
    assert_pending(behind.as_mut(), wb.waker());
}

/// A leaked `wait()` future counts as an arrival that never sees its
/// release: its generation is released with one task fewer really waiting,
/// and later generations are unaffected.
#[test]
fn barrier_leaked_waiter_counts_as_an_arrival() {
    let barrier = Barrier::new(2);
    let w = CountingWaker::new();
    leak_pending(barrier.wait(), &w);
    let mut other = pin!(barrier.wait());
    assert!(assert_ready(other.as_mut(), w.waker()).is_leader());
    let mut a = pin!(barrier.wait());
    assert_pending(a.as_mut(), w.waker());
    let mut b = pin!(barrier.wait());
    assert!(assert_ready(b.as_mut(), w.waker()).is_leader());
    assert!(!assert_ready(a.as_mut(), w.waker()).is_leader());
}

/// A leaked `wait()` future of a latch costs only its memory: opening wakes
/// everyone else.
#[test]
fn latch_leaked_waiter_is_harmless() {
    let latch = Latch::new(1);
    let (wl, wb) = (CountingWaker::new(), CountingWaker::new());
    leak_pending(latch.wait(), &wl);
    let mut other = pin!(latch.wait());
    assert_pending(other.as_mut(), wb.waker());
    latch.count_down();
    assert_eq!(wb.count(), 1);
    assert_ready(other.as_mut(), wb.waker());
}

/// A leaked `Condvar::wait` future still queued takes the `notify_one` that
/// reaches it first, and that wakeup is lost; `notify_all` still wakes
/// everyone else.
#[test]
fn condvar_leaked_waiter_swallows_one_notify_one() {
    let (mutex, condvar) = (Mutex::new(()), Condvar::new());
    let (wl, wb) = (CountingWaker::new(), CountingWaker::new());
    leak_pending(condvar.wait(mutex.try_lock().unwrap()), &wl);
    let mut other = Box::pin(condvar.wait(mutex.try_lock().unwrap()));
    assert_pending(other.as_mut(), wb.waker());
    condvar.notify_one();
    assert_eq!((wl.count(), wb.count()), (1, 0));
    condvar.notify_one();
    assert_eq!(
        wb.count(),
        1,
        "a second notify_one passes the leaked waiter"
    );
    drop(assert_ready(other.as_mut(), wb.waker()));
    let mut third = Box::pin(condvar.wait(mutex.try_lock().unwrap()));
    assert_pending(third.as_mut(), wb.waker());
    condvar.notify_all();
    assert!(poll_once(third.as_mut(), wb.waker()).is_ready());
}
