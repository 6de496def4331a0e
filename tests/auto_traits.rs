//! `Send`/`Sync` of every public type, positive and negative, checked at
//! compile time with `static_assertions` in every tier; compile-fail cases
//! with trybuild (the `tests-build` member, tests/ui) show the errors users
//! get for the misuses the negative impls prevent.
//!
//! The rules:
//! - `Mutex<T>`: `Send` and `Sync` iff `T: Send` (like std's mutex).
//! - `MutexGuard<T>`, `MutexGuardArc<T>`: `Send` iff `T: Send` (a guard may
//!   be held across `.await` on a multi-threaded runtime), `Sync` iff
//!   `T: Sync`.
//! - `MappedMutexGuard<U>`: follows `U`, the part it maps to, not the whole
//!   `T` (RUSTSEC-2020-0059).
//! - `MappedMutexGuardArc<T, U>`, `MappedRwLockWriteGuardArc<T, U>`: `Send`
//!   iff `U: Send` and `T: Send` (they own the `Arc`, and may drop the last
//!   one, and `T`, where they are sent); `Sync` iff `U: Sync` (only `&U` is
//!   reachable through them). `MappedRwLockReadGuardArc<T, U>`: `Send` iff
//!   `U: Sync` and `T: Send`, `Sync` iff `U: Sync`.
//! - `Lock<T>`, `LockArc<T>` futures: `Send` iff `T: Send`, so they can be
//!   spawned.
//! - `RwLock<T>`: `Send` iff `T: Send`, `Sync` iff `T: Send + Sync`.
//! - `RwLockReadGuard<T>`: `Send` and `Sync` iff `T: Sync`;
//!   `RwLockWriteGuard<T>`: `Send` iff `T: Send`, `Sync` iff `T: Sync` (its
//!   downgrades need `T: Sync`); `RwLockUpgradableReadGuard<T>`: `Send` iff
//!   `T: Send + Sync`, `Sync` iff `T: Sync`, and invariant in `T`
//!   (tests/ui), as the write guard is; the read guards are covariant
//!   (tests/rwlock.rs). Mapped guards follow `U`. The futures are `Send` iff
//!   `T: Send + Sync` (they hold `&RwLock<T>`). `Arc` guards as the borrowed
//!   ones, but a read or upgradable one also needs `T: Send` to be `Send`
//!   (it may drop the last `Arc`).
//! - `Barrier`, `Latch`, `Condvar`: `Send + Sync`; their futures `Send`
//!   (`CondvarWait<T>` iff `T: Send`, `WaitUntil<T, F>` iff `T, F: Send`).
//! - `Notify`: `Send + Sync`; `Notified`: `Send + Sync`, `!Unpin` (its
//!   wait-list node is inside, in every tier).
//!
//! Test types: `Cell<u8>` is `Send + !Sync`, `Rc<u8>` is `!Send + !Sync`,
//! `std::sync::MutexGuard<u8>` is `!Send + Sync`.

use std::cell::Cell;
use std::fmt::Debug;
use std::rc::Rc;

use static_assertions::{assert_impl_all, assert_not_impl_any};
use turnstile_sync::{Lock, MappedMutexGuard, Mutex, MutexGuard};

type SendNotSync = Cell<u8>;
type NeitherSendNorSync = Rc<u8>;
type SyncNotSend = std::sync::MutexGuard<'static, u8>;

// Mutex<T>: Send + Sync iff T: Send.
assert_impl_all!(Mutex<u8>: Send, Sync);
assert_impl_all!(Mutex<SendNotSync>: Send, Sync);
assert_not_impl_any!(Mutex<NeitherSendNorSync>: Send, Sync);
assert_not_impl_any!(Mutex<SyncNotSend>: Send, Sync);
assert_impl_all!(Mutex<[u8]>: Send, Sync);
assert_impl_all!(Mutex<dyn Debug + Send>: Send, Sync);
assert_not_impl_any!(Mutex<dyn Debug>: Send, Sync);

// MutexGuard<T>: Send iff T: Send; Sync iff T: Sync.
assert_impl_all!(MutexGuard<'static, u8>: Send, Sync);
assert_impl_all!(MutexGuard<'static, SendNotSync>: Send);
assert_not_impl_any!(MutexGuard<'static, SendNotSync>: Sync);
assert_not_impl_any!(MutexGuard<'static, NeitherSendNorSync>: Send, Sync);
assert_impl_all!(MutexGuard<'static, SyncNotSend>: Sync);
assert_not_impl_any!(MutexGuard<'static, SyncNotSend>: Send);
assert_impl_all!(MutexGuard<'static, [u8]>: Send, Sync);

// MappedMutexGuard<U>: follows U.
assert_impl_all!(MappedMutexGuard<'static, u8>: Send, Sync);
assert_impl_all!(MappedMutexGuard<'static, SendNotSync>: Send);
assert_not_impl_any!(MappedMutexGuard<'static, SendNotSync>: Sync);
assert_not_impl_any!(MappedMutexGuard<'static, NeitherSendNorSync>: Send, Sync);
assert_impl_all!(MappedMutexGuard<'static, SyncNotSend>: Sync);
assert_not_impl_any!(MappedMutexGuard<'static, SyncNotSend>: Send);
assert_impl_all!(MappedMutexGuard<'static, [u8]>: Send, Sync);

// Lock<T>: Send iff T: Send.
assert_impl_all!(Lock<'static, u8>: Send);
assert_impl_all!(Lock<'static, SendNotSync>: Send);
assert_not_impl_any!(Lock<'static, NeitherSendNorSync>: Send);
assert_not_impl_any!(Lock<'static, SyncNotSend>: Send);
assert_impl_all!(Lock<'static, [u8]>: Send);

// Barrier, Latch, Condvar and their futures.
mod coordination {
    use super::*;
    use turnstile_sync::{
        ArriveAndWait, Barrier, BarrierWait, BarrierWaitResult, Condvar, CondvarWait, Latch,
        LatchWait, WaitUntil,
    };

    type Cond = fn(&mut u8) -> bool;
    type CondSendNotSync = fn(&mut SendNotSync) -> bool;

    assert_impl_all!(Barrier: Send, Sync, Debug);
    assert_impl_all!(Latch: Send, Sync, Debug);
    assert_impl_all!(Condvar: Send, Sync, Debug, Default);
    assert_impl_all!(BarrierWaitResult: Send, Sync, Copy, Debug);
    assert_impl_all!(BarrierWait<'static>: Send, Sync, Debug);
    assert_impl_all!(LatchWait<'static>: Send, Sync, Debug);
    assert_impl_all!(ArriveAndWait<'static>: Send, Sync, Debug);

    // CondvarWait<T>: Send iff T: Send (it holds a guard, then a lock future).
    assert_impl_all!(CondvarWait<'static, u8>: Send, Debug);
    assert_impl_all!(CondvarWait<'static, SendNotSync>: Send);
    assert_impl_all!(CondvarWait<'static, [u8]>: Send);
    assert_not_impl_any!(CondvarWait<'static, NeitherSendNorSync>: Send);
    assert_not_impl_any!(CondvarWait<'static, SyncNotSend>: Send);

    // WaitUntil<T, F>: Send iff T: Send and F: Send.
    assert_impl_all!(WaitUntil<'static, u8, Cond>: Send, Debug);
    assert_impl_all!(WaitUntil<'static, SendNotSync, CondSendNotSync>: Send);
    assert_not_impl_any!(WaitUntil<'static, NeitherSendNorSync, fn(&mut NeitherSendNorSync) -> bool>: Send);
    assert_not_impl_any!(WaitUntil<'static, u8, Box<dyn FnMut(&mut u8) -> bool>>: Send);
}

mod rwlock {
    use super::*;
    use turnstile_sync::{
        MappedRwLockReadGuard, MappedRwLockWriteGuard, Read, RwLock, RwLockReadGuard,
        RwLockUpgradableReadGuard, RwLockWriteGuard, UpgradableRead, Upgrade, Write,
    };

    // RwLock<T>: Send iff T: Send; Sync iff T: Send + Sync.
    assert_impl_all!(RwLock<u8>: Send, Sync, Debug, Default);
    assert_impl_all!(RwLock<SendNotSync>: Send);
    assert_not_impl_any!(RwLock<SendNotSync>: Sync);
    assert_not_impl_any!(RwLock<NeitherSendNorSync>: Send, Sync);
    assert_not_impl_any!(RwLock<SyncNotSend>: Send, Sync);
    assert_impl_all!(RwLock<[u8]>: Send, Sync);
    assert_not_impl_any!(RwLock<dyn Debug + Send>: Sync);

    // RwLockReadGuard<T>: Send and Sync iff T: Sync.
    assert_impl_all!(RwLockReadGuard<'static, u8>: Send, Sync, Debug);
    assert_not_impl_any!(RwLockReadGuard<'static, SendNotSync>: Send, Sync);
    assert_impl_all!(RwLockReadGuard<'static, SyncNotSend>: Send, Sync);
    assert_not_impl_any!(RwLockReadGuard<'static, NeitherSendNorSync>: Send, Sync);
    assert_impl_all!(RwLockReadGuard<'static, [u8]>: Send, Sync);

    // RwLockWriteGuard<T>: Send iff T: Send; Sync iff T: Sync.
    assert_impl_all!(RwLockWriteGuard<'static, u8>: Send, Sync, Debug);
    assert_impl_all!(RwLockWriteGuard<'static, SendNotSync>: Send);
    assert_not_impl_any!(RwLockWriteGuard<'static, SendNotSync>: Sync);
    assert_impl_all!(RwLockWriteGuard<'static, SyncNotSend>: Sync);
    assert_not_impl_any!(RwLockWriteGuard<'static, SyncNotSend>: Send);
    assert_not_impl_any!(RwLockWriteGuard<'static, NeitherSendNorSync>: Send, Sync);

    // RwLockUpgradableReadGuard<T>: Send iff T: Send + Sync; Sync iff T: Sync.
    assert_impl_all!(RwLockUpgradableReadGuard<'static, u8>: Send, Sync, Debug);
    assert_not_impl_any!(RwLockUpgradableReadGuard<'static, SendNotSync>: Send, Sync);
    assert_impl_all!(RwLockUpgradableReadGuard<'static, SyncNotSend>: Sync);
    assert_not_impl_any!(RwLockUpgradableReadGuard<'static, SyncNotSend>: Send);
    assert_not_impl_any!(RwLockUpgradableReadGuard<'static, NeitherSendNorSync>: Send, Sync);

    // Mapped guards follow U.
    assert_impl_all!(MappedRwLockReadGuard<'static, u8>: Send, Sync, Debug);
    assert_not_impl_any!(MappedRwLockReadGuard<'static, SendNotSync>: Send, Sync);
    assert_impl_all!(MappedRwLockReadGuard<'static, SyncNotSend>: Send, Sync);
    assert_impl_all!(MappedRwLockWriteGuard<'static, u8>: Send, Sync, Debug);
    assert_impl_all!(MappedRwLockWriteGuard<'static, SendNotSync>: Send);
    assert_not_impl_any!(MappedRwLockWriteGuard<'static, SendNotSync>: Sync);
    assert_impl_all!(MappedRwLockWriteGuard<'static, SyncNotSend>: Sync);
    assert_not_impl_any!(MappedRwLockWriteGuard<'static, SyncNotSend>: Send);

    // The futures: Send iff T: Send + Sync.
    assert_impl_all!(Read<'static, u8>: Send, Debug);
    assert_impl_all!(Write<'static, u8>: Send, Debug);
    assert_impl_all!(UpgradableRead<'static, u8>: Send, Debug);
    assert_impl_all!(Upgrade<'static, u8>: Send, Debug);
    assert_impl_all!(Write<'static, [u8]>: Send);
    assert_not_impl_any!(Read<'static, SendNotSync>: Send);
    assert_not_impl_any!(Write<'static, SendNotSync>: Send);
    assert_not_impl_any!(Write<'static, SyncNotSend>: Send);
    assert_not_impl_any!(Upgrade<'static, NeitherSendNorSync>: Send);

    assert_not_impl_any!(Read<'static, ()>: Unpin);

    #[cfg(feature = "alloc")]
    mod arc {
        use super::*;
        use turnstile_sync::{
            MappedRwLockReadGuardArc, MappedRwLockWriteGuardArc, ReadArc, RwLockReadGuardArc,
            RwLockUpgradableReadGuardArc, RwLockWriteGuardArc, UpgradableReadArc, UpgradeArc,
            WriteArc,
        };

        // MappedRwLockReadGuardArc<T, U>: Send iff T: Send and U: Sync; Sync
        // iff U: Sync.
        assert_impl_all!(MappedRwLockReadGuardArc<u8, u8>: Send, Sync, Debug);
        assert_impl_all!(MappedRwLockReadGuardArc<u8, [u8]>: Send, Sync);
        assert_impl_all!(MappedRwLockReadGuardArc<SendNotSync, u8>: Send, Sync);
        assert_not_impl_any!(MappedRwLockReadGuardArc<u8, SendNotSync>: Send, Sync);
        assert_impl_all!(MappedRwLockReadGuardArc<NeitherSendNorSync, u8>: Sync);
        assert_not_impl_any!(MappedRwLockReadGuardArc<NeitherSendNorSync, u8>: Send);
        assert_impl_all!(MappedRwLockReadGuardArc<u8, SyncNotSend>: Send, Sync);
        assert_not_impl_any!(MappedRwLockReadGuardArc<u8, NeitherSendNorSync>: Send, Sync);

        // MappedRwLockWriteGuardArc<T, U>: Send iff T: Send and U: Send;
        // Sync iff U: Sync.
        assert_impl_all!(MappedRwLockWriteGuardArc<u8, u8>: Send, Sync, Debug);
        assert_impl_all!(MappedRwLockWriteGuardArc<SendNotSync, SendNotSync>: Send);
        assert_not_impl_any!(MappedRwLockWriteGuardArc<SendNotSync, SendNotSync>: Sync);
        assert_impl_all!(MappedRwLockWriteGuardArc<SendNotSync, u8>: Send, Sync);
        assert_impl_all!(MappedRwLockWriteGuardArc<NeitherSendNorSync, u8>: Sync);
        assert_not_impl_any!(MappedRwLockWriteGuardArc<NeitherSendNorSync, u8>: Send);
        assert_impl_all!(MappedRwLockWriteGuardArc<u8, SyncNotSend>: Sync);
        assert_not_impl_any!(MappedRwLockWriteGuardArc<u8, SyncNotSend>: Send);
        assert_not_impl_any!(MappedRwLockWriteGuardArc<u8, NeitherSendNorSync>: Send, Sync);

        assert_impl_all!(RwLockReadGuardArc<u8>: Send, Sync, Debug);
        assert_not_impl_any!(RwLockReadGuardArc<SendNotSync>: Send, Sync);
        assert_impl_all!(RwLockReadGuardArc<SyncNotSend>: Sync);
        assert_not_impl_any!(RwLockReadGuardArc<SyncNotSend>: Send);

        assert_impl_all!(RwLockWriteGuardArc<u8>: Send, Sync, Debug);
        assert_impl_all!(RwLockWriteGuardArc<SendNotSync>: Send);
        assert_not_impl_any!(RwLockWriteGuardArc<SendNotSync>: Sync);
        assert_impl_all!(RwLockWriteGuardArc<SyncNotSend>: Sync);
        assert_not_impl_any!(RwLockWriteGuardArc<SyncNotSend>: Send);

        assert_impl_all!(RwLockUpgradableReadGuardArc<u8>: Send, Sync, Debug);
        assert_not_impl_any!(RwLockUpgradableReadGuardArc<SendNotSync>: Send, Sync);
        assert_impl_all!(RwLockUpgradableReadGuardArc<SyncNotSend>: Sync);
        assert_not_impl_any!(RwLockUpgradableReadGuardArc<SyncNotSend>: Send);

        assert_impl_all!(ReadArc<u8>: Send, Debug);
        assert_impl_all!(WriteArc<u8>: Send, Debug);
        assert_impl_all!(UpgradableReadArc<u8>: Send, Debug);
        assert_impl_all!(UpgradeArc<u8>: Send, Debug);
        assert_not_impl_any!(ReadArc<SendNotSync>: Send);
        assert_not_impl_any!(WriteArc<SyncNotSend>: Send);
    }
}

// Notify and its future.
mod notify {
    use super::*;
    use turnstile_sync::{Notified, Notify};

    assert_impl_all!(Notify: Send, Sync, Debug, Default);
    assert_impl_all!(Notified<'static>: Send, Sync, Debug);
    assert_impl_all!(turnstile_sync::futures::Notified<'static>: Send, Sync);
    assert_not_impl_any!(Notified<'static>: Unpin);
}

// The wait layer shows through `Unpin`: in every tier a waiting future
// carries its list node, so it must stay pinned. (The `arc` module below
// proves the test crate's `cfg(feature = "alloc")` matches the library's
// tier: it names types that only exist with `alloc`.)
assert_not_impl_any!(Lock<'static, ()>: Unpin);
assert_not_impl_any!(turnstile_sync::BarrierWait<'static>: Unpin);

#[cfg(feature = "alloc")]
mod arc {
    use super::*;
    use turnstile_sync::{LockArc, MappedMutexGuardArc, MutexGuardArc};

    // MutexGuardArc<T>: as MutexGuard.
    assert_impl_all!(MutexGuardArc<u8>: Send, Sync);
    assert_impl_all!(MutexGuardArc<SendNotSync>: Send);
    assert_not_impl_any!(MutexGuardArc<SendNotSync>: Sync);
    assert_not_impl_any!(MutexGuardArc<NeitherSendNorSync>: Send, Sync);
    assert_impl_all!(MutexGuardArc<SyncNotSend>: Sync);
    assert_not_impl_any!(MutexGuardArc<SyncNotSend>: Send);

    // MappedMutexGuardArc<T, U>: Send iff T: Send and U: Send; Sync iff
    // U: Sync.
    assert_impl_all!(MappedMutexGuardArc<u8, u8>: Send, Sync, Debug);
    assert_impl_all!(MappedMutexGuardArc<u8, [u8]>: Send, Sync);
    assert_impl_all!(MappedMutexGuardArc<SendNotSync, SendNotSync>: Send);
    assert_not_impl_any!(MappedMutexGuardArc<SendNotSync, SendNotSync>: Sync);
    assert_impl_all!(MappedMutexGuardArc<SendNotSync, u8>: Send, Sync);
    assert_impl_all!(MappedMutexGuardArc<NeitherSendNorSync, u8>: Sync);
    assert_not_impl_any!(MappedMutexGuardArc<NeitherSendNorSync, u8>: Send);
    assert_not_impl_any!(MappedMutexGuardArc<u8, NeitherSendNorSync>: Send, Sync);
    assert_impl_all!(MappedMutexGuardArc<u8, SyncNotSend>: Sync);
    assert_not_impl_any!(MappedMutexGuardArc<u8, SyncNotSend>: Send);

    // LockArc<T>: Send iff T: Send.
    assert_impl_all!(LockArc<u8>: Send);
    assert_impl_all!(LockArc<SendNotSync>: Send);
    assert_not_impl_any!(LockArc<NeitherSendNorSync>: Send);
    assert_not_impl_any!(LockArc<SyncNotSend>: Send);
}

fn require_send<T: Send>(_: &T) {}

/// Mapping a guard of a `!Send` value to a `Send` part gives a `Send` guard.
#[test]
fn mapped_guard_of_a_send_part_is_send() {
    let mutex = Mutex::new((Rc::new(1u8), 2u8));
    let mut part = MutexGuard::map(mutex.try_lock().unwrap(), |pair| &mut pair.1);
    require_send(&part);
    #[cfg(feature = "std")]
    std::thread::scope(|s| {
        s.spawn(|| *part += 1);
    });
    #[cfg(not(feature = "std"))]
    {
        *part += 1;
    }
    drop(part);
    assert_eq!(mutex.try_lock().unwrap().1, 3);
}

/// A lock future of a `Send` value can be moved to another thread and
/// completed there, then its guard moved back.
#[cfg(feature = "std")]
#[test]
fn lock_future_and_guard_move_between_threads() {
    let mutex = Mutex::new(Cell::new(1u8));
    let holder = mutex.try_lock().unwrap();
    let lock = mutex.lock();
    std::thread::scope(|s| {
        let waiter = s.spawn(move || futures_lite::future::block_on(lock));
        drop(holder);
        let guard = waiter.join().unwrap();
        guard.set(2);
    });
    assert_eq!(mutex.into_inner().get(), 2);
}

/// A condvar wait future of a `Send` value can be moved to another thread
/// and completed there.
#[cfg(feature = "std")]
#[test]
fn condvar_wait_future_moves_between_threads() {
    let (mutex, condvar) = (Mutex::new(Cell::new(1u8)), turnstile_sync::Condvar::new());
    let wait = condvar.wait_until(mutex.try_lock().unwrap(), |v| v.get() == 2);
    std::thread::scope(|s| {
        let waiter = s.spawn(move || futures_lite::future::block_on(wait).get());
        loop {
            if let Some(guard) = mutex.try_lock() {
                guard.set(2);
                break;
            }
            std::thread::yield_now();
        }
        condvar.notify_all();
        assert_eq!(waiter.join().unwrap(), 2);
    });
}

// Semaphore: Send + Sync; its guards Send + Sync; its futures Send + Sync
// (they can be spawned and shared); the errors are plain data.
mod semaphore {
    use static_assertions::assert_impl_all;
    use turnstile_sync::{Acquire, Closed, Semaphore, SemaphoreGuard, TryAcquireError};

    assert_impl_all!(Semaphore: Send, Sync, Default, core::fmt::Debug);
    assert_impl_all!(SemaphoreGuard<'static>: Send, Sync, core::fmt::Debug);
    assert_impl_all!(Acquire<'static>: Send, Sync, core::fmt::Debug);
    assert_impl_all!(Closed: Send, Sync, Copy, core::error::Error);
    assert_impl_all!(TryAcquireError: Send, Sync, Copy, core::error::Error);

    #[cfg(feature = "alloc")]
    mod arc {
        use static_assertions::assert_impl_all;
        use turnstile_sync::{AcquireArc, SemaphoreGuardArc};
        assert_impl_all!(SemaphoreGuardArc: Send, Sync, core::fmt::Debug);
        assert_impl_all!(AcquireArc: Send, Sync, core::fmt::Debug);
        static_assertions::assert_not_impl_any!(AcquireArc: Unpin);
    }

    // The futures carry their list node and must stay pinned.
    static_assertions::assert_not_impl_any!(Acquire<'static>: Unpin);
}

// Semaphore::try_add_permits's error (issue 13): plain data, like the others.
mod semaphore_ceiling {
    use static_assertions::assert_impl_all;
    use turnstile_sync::TooManyPermits;

    assert_impl_all!(
        TooManyPermits: Send,
        Sync,
        Unpin,
        Copy,
        Eq,
        core::hash::Hash,
        core::fmt::Debug,
        core::fmt::Display,
        core::error::Error
    );
}
