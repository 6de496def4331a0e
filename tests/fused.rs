//! `futures_core::FusedFuture` on the lock and acquire futures (feature
//! `futures-core`): not terminated while waiting, terminated once resolved,
//! in every tier.
#![cfg(feature = "futures-core")]

mod common;

use std::pin::pin;
use std::task::Waker;

use common::{assert_pending, assert_ready};
use futures_core::FusedFuture;
use turnstile_sync::{Mutex, RwLock, Semaphore};

/// Polls `future` while `hold` keeps the primitive busy (so it waits), then
/// drops `hold` and polls it to completion; checks `is_terminated` at each
/// step and returns what the future resolved to.
fn check<F: FusedFuture, H>(future: F, hold: H) -> F::Output {
    let mut future = pin!(future);
    assert!(!future.is_terminated(), "a fresh future is not terminated");
    assert_pending(future.as_mut(), Waker::noop());
    assert!(
        !future.is_terminated(),
        "a waiting future is not terminated"
    );
    drop(hold);
    let output = assert_ready(future.as_mut(), Waker::noop());
    assert!(future.is_terminated(), "a resolved future is terminated");
    output
}

#[test]
fn lock_futures_are_fused() {
    let mutex = Mutex::new(1);
    let guard = check(mutex.lock(), mutex.try_lock().unwrap());
    assert_eq!(*guard, 1);
}

#[test]
fn rwlock_futures_are_fused() {
    let lock = RwLock::new(1);
    let guard = check(lock.read(), lock.try_write().unwrap());
    drop(guard);
    let guard = check(lock.write(), lock.try_read().unwrap());
    drop(guard);
    let guard = check(lock.upgradable_read(), lock.try_write().unwrap());
    let reader = lock.try_read().unwrap();
    let guard = check(
        turnstile_sync::RwLockUpgradableReadGuard::upgrade(guard),
        reader,
    );
    assert_eq!(*guard, 1);
}

#[test]
fn acquire_futures_are_fused() {
    let sem = Semaphore::new(2);
    let held = sem.try_acquire_many(2).unwrap();
    let guard = check(sem.acquire_many(2), held);
    assert_eq!(guard.expect("open").permits(), 2);
}

#[cfg(feature = "alloc")]
#[test]
fn arc_futures_are_fused() {
    use std::sync::Arc;

    let mutex = Arc::new(Mutex::new(1));
    let guard = check(mutex.lock_arc(), mutex.try_lock().unwrap());
    drop(guard);

    let lock = Arc::new(RwLock::new(1));
    let guard = check(lock.read_arc(), lock.try_write().unwrap());
    drop(guard);
    let guard = check(lock.write_arc(), lock.try_read().unwrap());
    drop(guard);
    let guard = check(lock.upgradable_read_arc(), lock.try_write().unwrap());
    let reader = lock.try_read().unwrap();
    let guard = check(
        turnstile_sync::RwLockUpgradableReadGuardArc::upgrade(guard),
        reader,
    );
    drop(guard);

    let sem = Arc::new(Semaphore::new(1));
    let guard = check(sem.acquire_arc(), sem.try_acquire().unwrap());
    assert_eq!(guard.expect("open").permits(), 1);
}
