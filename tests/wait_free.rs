//! Waiting until free without taking it (issue 11 §3):
//! `Mutex::wait_unlocked`, `RwLock::wait_write_unlocked` and
//! `Semaphore::wait_available`. Every tier.
//!
//! The property that matters most: a watcher never takes the wakeup a
//! release gives the next real waiter, not even a watcher that holds an
//! unconsumed notification because its task is never polled again.

mod common;

use std::pin::pin;

use common::{assert_pending, assert_ready, CountingWaker};
use turnstile_sync::{Closed, Mutex, RwLock, RwLockWriteGuard, Semaphore};

/// The watchers' queues are shared by every primitive in the process (a few
/// shards, by address), so a watched release in one test may wake a watcher
/// of another test running beside it: a spurious wakeup the design allows,
/// after which the watcher looks again. These tests count wakeups exactly,
/// so they run one at a time.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    // A test that failed while holding it poisons it; the others still run.
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn wait_unlocked_is_ready_on_a_free_mutex_and_takes_nothing() {
    let _serial = serial();
    let mutex = Mutex::new(0);
    let w = CountingWaker::new();
    assert_ready(pin!(mutex.wait_unlocked()).as_mut(), w.waker());
    assert!(!mutex.is_locked());
    assert!(mutex.try_lock().is_some());
}

#[test]
fn wait_unlocked_resolves_on_release() {
    let _serial = serial();
    let mutex = Mutex::new(0);
    let holder = mutex.try_lock().unwrap();
    let w = CountingWaker::new();
    let mut watcher = pin!(mutex.wait_unlocked());
    assert_pending(watcher.as_mut(), w.waker());
    drop(holder);
    assert_eq!(w.count(), 1, "the release did not wake the watcher");
    assert_ready(watcher.as_mut(), w.waker());
    assert!(!mutex.is_locked(), "the watcher took the lock");
    assert_eq!(w.outstanding_clones(), 0);
}

/// The watcher queued first, then a real waiter: the release's one wakeup
/// goes to the waiter, and keeps going to waiters while the watcher sits
/// notified and never polled again.
#[test]
fn a_dormant_watcher_never_takes_a_waiters_wakeup() {
    let _serial = serial();
    let mutex = Mutex::new(0);
    let mut holder = mutex.try_lock().unwrap();
    let ww = CountingWaker::new();
    let mut watcher = pin!(mutex.wait_unlocked());
    assert_pending(watcher.as_mut(), ww.waker());
    for round in 0..3 {
        let w = CountingWaker::new();
        let mut waiter = Box::pin(mutex.lock());
        assert_pending(waiter.as_mut(), w.waker());
        drop(holder);
        assert_eq!(w.count(), 1, "round {round}: the waiter was not woken");
        holder = assert_ready(waiter.as_mut(), w.waker());
    }
    assert!(ww.count() >= 1, "the watcher was never woken");
    drop(holder);
    assert_ready(watcher.as_mut(), ww.waker());
}

/// A notified waiter that is dropped passes its wakeup on to the next
/// waiter, past a watcher.
#[test]
fn a_passed_on_wakeup_skips_the_watcher() {
    let _serial = serial();
    let mutex = Mutex::new(0);
    let holder = mutex.try_lock().unwrap();
    let (wa, wb, ww) = (
        CountingWaker::new(),
        CountingWaker::new(),
        CountingWaker::new(),
    );
    let mut a = Box::pin(mutex.lock());
    assert_pending(a.as_mut(), wa.waker());
    let mut watcher = pin!(mutex.wait_unlocked());
    assert_pending(watcher.as_mut(), ww.waker());
    let mut b = pin!(mutex.lock());
    assert_pending(b.as_mut(), wb.waker());
    drop(holder);
    assert_eq!((wa.count(), wb.count()), (1, 0));
    drop(a);
    assert_eq!(wb.count(), 1, "the passed-on wakeup did not reach B");
    drop(assert_ready(b.as_mut(), wb.waker()));
    assert_ready(watcher.as_mut(), ww.waker());
}

#[test]
fn a_watcher_does_not_count_for_fairness() {
    let _serial = serial();
    let mutex = Mutex::new(0);
    let holder = mutex.try_lock().unwrap();
    let w = CountingWaker::new();
    let mut watcher = Box::pin(mutex.wait_unlocked());
    for _ in 0..10 {
        assert_pending(watcher.as_mut(), w.waker());
    }
    drop(holder);
    // No hand-off mode, no queue: the fast paths barge as usual.
    drop(mutex.try_lock().expect("a watcher reserved the lock"));
    drop(watcher);
    assert!(mutex.try_lock().is_some());
}

#[test]
fn dropped_watcher_leaves_nothing() {
    let _serial = serial();
    let mutex = Mutex::new(0);
    let holder = mutex.try_lock().unwrap();
    let w = CountingWaker::new();
    let mut watcher = Box::pin(mutex.wait_unlocked());
    assert_pending(watcher.as_mut(), w.waker());
    drop(watcher);
    assert_eq!(
        w.outstanding_clones(),
        0,
        "the dropped watcher left its waker"
    );
    drop(holder);
    assert_eq!(w.count(), 0);
}

// ---------------------------------------------------------------------------
// RwLock
// ---------------------------------------------------------------------------

#[test]
fn wait_write_unlocked_ignores_readers_and_waits_for_the_writer() {
    let _serial = serial();
    let lock = RwLock::new(0);
    let w = CountingWaker::new();
    assert_ready(pin!(lock.wait_write_unlocked()).as_mut(), w.waker());
    let reader = lock.try_read().unwrap();
    let up = lock.try_upgradable_read().unwrap();
    assert_ready(pin!(lock.wait_write_unlocked()).as_mut(), w.waker());
    drop((reader, up));

    let writer = lock.try_write().unwrap();
    let mut watcher = pin!(lock.wait_write_unlocked());
    assert_pending(watcher.as_mut(), w.waker());
    drop(writer);
    assert_eq!(w.count(), 1, "the write unlock did not wake the watcher");
    assert_ready(watcher.as_mut(), w.waker());
    assert!(!lock.is_locked(), "the watcher took a lock");
    assert!(lock.try_write().is_some());
}

/// A dormant watcher (notified, never polled again) is no reader: a write
/// unlock starts no read phase for it, and the next writer's wakeup is not
/// taken or held up.
#[test]
fn a_dormant_rwlock_watcher_holds_no_one_back() {
    let _serial = serial();
    let lock = RwLock::new(0);
    let mut writer = lock.try_write().unwrap();
    let ww = CountingWaker::new();
    let mut watcher = pin!(lock.wait_write_unlocked());
    assert_pending(watcher.as_mut(), ww.waker());
    for round in 0..3 {
        let w = CountingWaker::new();
        let mut next = Box::pin(lock.write());
        assert_pending(next.as_mut(), w.waker());
        drop(writer);
        assert_eq!(w.count(), 1, "round {round}: the next writer was not woken");
        writer = assert_ready(next.as_mut(), w.waker());
    }
    // Readers queued behind the writer are served as always.
    let wr = CountingWaker::new();
    let mut reader = pin!(lock.read());
    assert_pending(reader.as_mut(), wr.waker());
    drop(writer);
    assert_eq!(wr.count(), 1);
    drop(assert_ready(reader.as_mut(), wr.waker()));
    assert_ready(watcher.as_mut(), ww.waker());
}

#[test]
fn downgrade_wakes_the_rwlock_watcher() {
    let _serial = serial();
    let lock = RwLock::new(0);
    let writer = lock.try_write().unwrap();
    let w = CountingWaker::new();
    let mut watcher = Box::pin(lock.wait_write_unlocked());
    assert_pending(watcher.as_mut(), w.waker());
    let reader = RwLockWriteGuard::downgrade(writer);
    assert_eq!(w.count(), 1);
    assert_ready(watcher.as_mut(), w.waker());
    drop(reader);

    // A dropped watcher leaves nothing behind.
    let writer = lock.try_write().unwrap();
    let w = CountingWaker::new();
    let mut watcher = Box::pin(lock.wait_write_unlocked());
    assert_pending(watcher.as_mut(), w.waker());
    drop(watcher);
    assert_eq!(w.outstanding_clones(), 0);
    drop(writer);
    assert_eq!(w.count(), 0);
    assert!(lock.try_write().is_some());
}

// ---------------------------------------------------------------------------
// Semaphore
// ---------------------------------------------------------------------------

#[test]
fn wait_available_waits_for_n_and_takes_nothing() {
    let _serial = serial();
    let sem = Semaphore::new(3);
    let w = CountingWaker::new();
    assert_eq!(
        assert_ready(pin!(sem.wait_available(0)).as_mut(), w.waker()),
        Ok(())
    );
    assert_eq!(
        assert_ready(pin!(sem.wait_available(3)).as_mut(), w.waker()),
        Ok(())
    );
    let held = sem.try_acquire_many(2).unwrap();
    let mut watcher = pin!(sem.wait_available(2));
    assert_pending(watcher.as_mut(), w.waker());
    drop(held);
    assert_eq!(w.count(), 1);
    assert_eq!(assert_ready(watcher.as_mut(), w.waker()), Ok(()));
    assert_eq!(sem.available_permits(), 3, "the watcher took permits");
}

/// Strict FIFO: permits released while a waiter is queued go to it, and a
/// watcher never receives (or delays) the grant.
#[test]
fn a_watcher_never_takes_a_grant() {
    let _serial = serial();
    let sem = Semaphore::new(0);
    let (ww, wa) = (CountingWaker::new(), CountingWaker::new());
    let mut watcher = pin!(sem.wait_available(1));
    assert_pending(watcher.as_mut(), ww.waker());
    let mut a = pin!(sem.acquire());
    assert_pending(a.as_mut(), wa.waker());
    sem.add_permits(1);
    assert_eq!(wa.count(), 1, "the grant's wakeup did not reach the waiter");
    let guard = assert_ready(a.as_mut(), wa.waker()).unwrap();
    // The permit went to the waiter: the watcher (woken, perhaps) still waits.
    assert_pending(watcher.as_mut(), ww.waker());
    drop(guard);
    assert_eq!(assert_ready(watcher.as_mut(), ww.waker()), Ok(()));
}

/// A head that leaves with permits set aside gives them back; once nobody
/// needs them, the watcher sees them.
#[test]
fn permits_given_back_by_a_cancelled_head_wake_the_watcher() {
    let _serial = serial();
    let sem = Semaphore::new(0);
    let (ww, wa) = (CountingWaker::new(), CountingWaker::new());
    let mut a = Box::pin(sem.acquire_many(3));
    assert_pending(a.as_mut(), wa.waker());
    let mut watcher = pin!(sem.wait_available(2));
    assert_pending(watcher.as_mut(), ww.waker());
    sem.add_permits(2); // set aside for A
    assert_pending(watcher.as_mut(), ww.waker());
    drop(a);
    assert_eq!(sem.available_permits(), 2);
    assert!(
        ww.count() >= 1,
        "the permits given back did not wake the watcher"
    );
    assert_eq!(assert_ready(watcher.as_mut(), ww.waker()), Ok(()));
}

#[test]
fn wait_available_fails_on_close() {
    let _serial = serial();
    let sem = Semaphore::new(0);
    let w = CountingWaker::new();
    let mut watcher = pin!(sem.wait_available(1));
    assert_pending(watcher.as_mut(), w.waker());
    sem.close();
    assert_eq!(w.count(), 1);
    assert_eq!(assert_ready(watcher.as_mut(), w.waker()), Err(Closed));
    assert_eq!(
        assert_ready(pin!(sem.wait_available(0)).as_mut(), w.waker()),
        Err(Closed)
    );
}
