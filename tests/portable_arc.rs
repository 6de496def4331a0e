//! The `*_arc` API as firmware without compare-and-swap sees it: it takes
//! portable-atomic-util's `Arc`, and since stable Rust accepts no such `self`
//! type, its functions are associated functions (`Mutex::lock_arc(&mutex)`).
//!
//! On the host the library picks that `Arc` only with a test-only cfg, so
//! this file is empty unless built with it (the other test files call the
//! method form, so run this one alone):
//!
//! ```text
//! RUSTFLAGS="--cfg turnstile_portable_arc" cargo test -p turnstile-sync \
//!   --no-default-features --features alloc,critical-section,portable-atomic \
//!   --test portable_arc
//! ```
#![cfg(all(turnstile_portable_arc, feature = "alloc", feature = "portable-atomic"))]

mod common;

use std::pin::pin;

use common::{assert_pending, assert_ready, CountingWaker};
use portable_atomic_util::Arc;
use static_assertions::{assert_impl_all, assert_not_impl_any};
use turnstile_sync::{
    LockArc, Mutex, MutexGuardArc, RwLock, RwLockReadGuardArc, RwLockUpgradableReadGuardArc,
    RwLockWriteGuardArc, Semaphore, SemaphoreGuardArc, TryAcquireError,
};

// Owned guards and futures keep their auto traits with this `Arc` too.
assert_impl_all!(MutexGuardArc<u8>: Send, Sync);
assert_not_impl_any!(MutexGuardArc<std::cell::Cell<u8>>: Sync);
assert_impl_all!(LockArc<u8>: Send);
assert_impl_all!(RwLockReadGuardArc<u8>: Send, Sync);
assert_impl_all!(RwLockWriteGuardArc<u8>: Send, Sync);
assert_impl_all!(SemaphoreGuardArc: Send, Sync);

#[test]
fn mutex_guards_own_a_clone_of_the_arc() {
    let mutex = Arc::new(Mutex::new(1));
    let waker = CountingWaker::new();

    let mut guard = Mutex::try_lock_arc(&mutex).unwrap();
    *guard += 1;
    assert_eq!(Arc::strong_count(&mutex), 2);
    assert!(Arc::ptr_eq(MutexGuardArc::source(&guard), &mutex));
    assert!(Mutex::try_lock_arc(&mutex).is_none());

    let mut waiting = pin!(Mutex::lock_arc(&mutex));
    assert_pending(waiting.as_mut(), waker.waker());
    drop(guard);
    assert_eq!(waker.count(), 1);
    let guard = assert_ready(waiting.as_mut(), waker.waker());
    assert_eq!(*guard, 2);
    drop(guard);
    assert_eq!(Arc::strong_count(&mutex), 1);
}

#[test]
fn rwlock_read_write_and_upgrade() {
    let lock = Arc::new(RwLock::new(1));
    let waker = CountingWaker::new();

    let reader = RwLock::try_read_arc(&lock).unwrap();
    let upgradable = RwLock::try_upgradable_read_arc(&lock).unwrap();
    assert!(RwLock::try_write_arc(&lock).is_none());
    assert_eq!(Arc::strong_count(&lock), 3);

    let mut upgrade = pin!(RwLockUpgradableReadGuardArc::upgrade(upgradable));
    assert_pending(upgrade.as_mut(), waker.waker());
    drop(reader);
    let mut writer = assert_ready(upgrade.as_mut(), waker.waker());
    *writer += 1;

    let mut read = pin!(RwLock::read_arc(&lock));
    assert_pending(read.as_mut(), waker.waker());
    drop(writer);
    assert_eq!(*assert_ready(read.as_mut(), waker.waker()), 2);

    let mut write = pin!(RwLock::write_arc(&lock));
    *assert_ready(write.as_mut(), waker.waker()) += 1;
    let mut upgradable = pin!(RwLock::upgradable_read_arc(&lock));
    assert_eq!(*assert_ready(upgradable.as_mut(), waker.waker()), 3);
    assert_eq!(Arc::strong_count(&lock), 1);
}

#[test]
fn semaphore_permits_come_back_through_the_arc() {
    let sem = Arc::new(Semaphore::new(3));
    let waker = CountingWaker::new();

    let one = Semaphore::try_acquire_arc(&sem).unwrap();
    let two = Semaphore::try_acquire_many_arc(&sem, 2).unwrap();
    assert!(Arc::ptr_eq(SemaphoreGuardArc::source(&two), &sem));
    assert_eq!(
        Semaphore::try_acquire_arc(&sem).err(),
        Some(TryAcquireError::NoPermits)
    );

    let mut many = pin!(Semaphore::acquire_many_arc(&sem, 2));
    assert_pending(many.as_mut(), waker.waker());
    drop(one);
    assert_pending(many.as_mut(), waker.waker());
    drop(two);
    let both = assert_ready(many.as_mut(), waker.waker()).unwrap();
    assert_eq!(both.permits(), 2);

    let mut single = pin!(Semaphore::acquire_arc(&sem));
    assert!(assert_ready(single.as_mut(), waker.waker()).is_ok());
    drop(both);
    assert_eq!(sem.available_permits(), 3);
    assert_eq!(Arc::strong_count(&sem), 1);
}

#[cfg(feature = "std")]
#[test]
fn blocking_forms_take_the_same_arc() {
    let mutex = Arc::new(Mutex::new(0));
    *Mutex::lock_arc_blocking(&mutex) += 1;
    let lock = Arc::new(RwLock::new(0));
    *RwLock::write_arc_blocking(&lock) += 1;
    let upgradable = RwLock::upgradable_read_arc_blocking(&lock);
    *RwLockUpgradableReadGuardArc::upgrade_blocking(upgradable) += 1;
    assert_eq!(*RwLock::read_arc_blocking(&lock), 2);
    assert_eq!(*Mutex::lock_arc_blocking(&mutex), 1);
}
