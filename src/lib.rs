//! Async synchronization primitives that run unchanged from a microcontroller
//! with no heap to a `std` server under tokio, smol or async-std.
//!
//! Everything here wakes tasks through [`Waker`](core::task::Waker)s only, so
//! no executor is assumed.
//!
//! # Tiers
//!
//! One API in three tiers, chosen with Cargo features. Features are
//! additive: enabling a higher tier changes no behaviour, it only adds API.
//!
//! | Feature            | Default | Adds                                                                 |
//! |--------------------|---------|----------------------------------------------------------------------|
//! | `std`              | yes     | blocking `*_blocking` variants for plain threads; implies `alloc`    |
//! | `alloc`            | via std | `Arc`-owned guards (`*_arc`); wakeups through `event-listener`       |
//! | `critical-section` | no      | the bare tier's wait-list lock (required when `alloc` is off)        |
//! | `portable-atomic`  | no      | atomics from `portable-atomic`, for targets without CAS (thumbv6m)   |
//! | `async-io`         | no      | `WaitExt::timeout` and `WaitExt::deadline` on async-io's timer; implies `std` |
//!
//! **The bare tier** is `default-features = false, features =
//! ["critical-section"]`: `#![no_std]`, no allocator. Constructors are `const`,
//! so primitives live in `static`s; waiters are unbounded and FIFO because each
//! waiting future carries its own node of the wait list (so those futures are
//! `!Unpin`: pin them, as `.await` does). The wait list is guarded by
//! [`critical-section`](https://docs.rs/critical-section), whose
//! implementation your firmware (or HAL) provides; wakers are never run inside
//! it. With `portable-atomic`, how portable-atomic emulates atomics
//! (`critical-section` or `unsafe-assume-single-core`) is also your
//! firmware's choice: this crate never enables either.
//!
//! A build with neither `alloc` nor `critical-section` stops with an error
//! that says which to choose.
//!
//! The [`Semaphore`]'s wait list (whose waiters carry their permit counts,
//! which `event-listener` cannot) is locked by `std::sync::Mutex` with
//! `std`, by `critical-section` without `std` when that feature is on, and
//! otherwise (`alloc` alone) by a short spin lock; every critical section is
//! a few pointer updates and at most eight waiters.
//!
//! # Choosing a primitive
//!
//! - [`Mutex`]: exclusive access to a value, held across `.await`.
//! - [`RwLock`]: many readers or one writer, for data read far more often
//!   than written; an upgradable read checks, then writes without letting
//!   another writer in between. Fair phases: a queued writer stops new
//!   readers, and readers queued during a write go in before the next one.
//! - [`Condvar`]: wait, holding a [`Mutex`] guard, until another task changes
//!   the protected value and notifies ([`Condvar::wait_until`] for a
//!   condition on it).
//! - [`Barrier`]: `n` tasks meet, round after round; one of each round is the
//!   leader. Cancel-safe: a dropped `wait` takes its arrival back.
//! - [`Latch`]: wait until a count set up front was counted down to zero
//!   (jobs settled, services ready); opens once and stays open.
//! - [`Semaphore`]: at most N permits out at a time, requests of any weight
//!   (connections, bytes, slots), served in strict FIFO order so a large
//!   request is never starved by small ones; closable.
//!
//! # Compared with std and tokio
//!
//! - `std::sync::Mutex` blocks the thread; hold its guard across `.await` and
//!   other tasks on that thread stall. [`Mutex::lock`] suspends the task
//!   instead, and its guard is `Send` (for `T: Send`), so it can be held
//!   across `.await` on a multi-threaded runtime. There is no poisoning: a
//!   panic while locked just unlocks.
//! - tokio's mutex hands the lock from one waiter to the next in strict FIFO
//!   order, which leaves the lock idle while each waiter is scheduled.
//!   turnstile lets the lock go to whoever asks first (barging), and bounds how
//!   often a woken waiter can be passed over (below). It needs no tokio
//!   runtime.
//!
//! # Fairness
//!
//! The [`Semaphore`] is strictly FIFO across weights: while anyone waits, no
//! newcomer takes a permit, and permits released while the oldest waiter needs
//! more than are free are kept for it. That costs some throughput and buys
//! fairness between large and small requests, which is why one uses a
//! semaphore.
//!
//! The [`Mutex`] instead uses *bounded barging*. Waiters queue in FIFO order
//! and are woken one at a time. A released lock is free for anyone, including
//! the task that just released it: that keeps throughput high. A woken waiter that finds the lock taken again has lost a
//! race and queues again at the back. After four lost races it switches the
//! lock into hand-off mode, where new callers (and `try_lock`) queue instead
//! of barging and the lock passes down the queue until that waiter has it. So
//! a waiter is passed over by barging at most four times, and waits for at
//! most five turns of the queue. With two tasks taking turns, the waiting one
//! gets the lock after at most five acquisitions by the other. The rule counts
//! events rather than time, so it holds in the bare tier with no clock.
//!
//! # Cancellation
//!
//! Every future may be dropped at any point. A dropped lock future leaves the
//! queue; if it had been woken, the wakeup passes to the next waiter, so none
//! is lost. The same holds for a dropped [`Condvar::wait`] future, whose
//! wakeup goes to exactly one other waiter. A dropped [`RwLock::write`]
//! future also stops holding back the readers queued behind it, and a dropped
//! upgrade releases the upgradable lock it owned. A dropped [`Barrier::wait`]
//! future takes its arrival back unless its generation was already released,
//! so a barrier never releases for, or elects as leader, a task that stopped
//! waiting. A dropped [`Semaphore::acquire`] future gives back the permits
//! set aside for it and the waiters behind it are served at once; one that
//! was granted its permits but not polled again gives them back too.
//!
//! So bounding a wait is racing it against a deadline: [`WaitExt::until`]
//! works with any runtime's timer in every tier, the condvar and the
//! upgrade have timed forms that hand the guard back, and the blocking
//! forms have `_for`/`_until` variants. The guide chapter
//! [Timeouts and cancellation](guide::timeouts) covers them all.
//!
//! # Wakers
//!
//! In the bare tier, and for the [`Semaphore`] in every tier, no waker code
//! runs inside the wait list's lock: a waker's `wake`, `clone` or `drop` may
//! call back into the primitive (lock, release, poll or drop a waiting
//! future). In the `alloc` and `std` tiers,
//! `event-listener` runs `wake`, and drops replaced wakers, while it holds the
//! primitive's list lock; from there a waker may use the primitive's fast
//! paths (`try_lock`, and a release nobody waits for) but nothing that touches
//! its wait queue: polling or dropping a waiting future, or a release that
//! must wake someone, deadlocks (`std`) or panics (`alloc` without `std`).
//! The usual executors' wakers only schedule a task, which is fine.
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs, missing_debug_implementations)]

#[cfg(all(not(feature = "alloc"), not(feature = "critical-section")))]
compile_error!(
    "turnstile-sync needs a wait layer: enable `std` (the default) or `alloc` for \
     event-listener wakeups, or `critical-section` for the bare no-heap tier"
);

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod shim;
mod wait;

pub mod guide;

mod barrier;
mod condvar;
mod deadline;
mod latch;
mod mutex;
mod rwlock;
mod scoped;
mod semaphore;

pub use barrier::{Barrier, BarrierWait, BarrierWaitResult};
pub use condvar::{
    Condvar, CondvarWait, WaitTimeout, WaitTimeoutResult, WaitUntil, WaitUntilTimeout,
};
#[cfg(feature = "std")]
pub use deadline::AcquireTimeoutError;
pub use deadline::{TimedOut, Until, WaitExt};
pub use latch::{ArriveAndWait, Latch, LatchWait};
pub use mutex::{Lock, MappedMutexGuard, Mutex, MutexGuard, WaitUnlocked};
#[cfg(feature = "alloc")]
pub use mutex::{LockArc, MutexGuardArc};
pub use rwlock::{
    MappedRwLockReadGuard, MappedRwLockWriteGuard, Read, RwLock, RwLockReadGuard,
    RwLockUpgradableReadGuard, RwLockWriteGuard, UpgradableRead, Upgrade, UpgradeTimeout, Write,
};
#[cfg(feature = "alloc")]
pub use rwlock::{
    ReadArc, RwLockReadGuardArc, RwLockUpgradableReadGuardArc, RwLockWriteGuardArc,
    UpgradableReadArc, UpgradeArc, WriteArc,
};
pub use semaphore::{Acquire, Closed, Semaphore, SemaphoreGuard, TryAcquireError, WaitAvailable};
#[cfg(feature = "alloc")]
pub use semaphore::{AcquireArc, SemaphoreGuardArc};

/// The named futures of every primitive, collected in one place (they are
/// also exported at the crate root).
///
/// # Examples
///
/// ```
/// let mutex = turnstile_sync::Mutex::new(());
/// let future: turnstile_sync::futures::Lock<'_, ()> = mutex.lock();
/// # drop(future);
/// ```
pub mod futures {
    pub use crate::barrier::BarrierWait;
    pub use crate::condvar::{CondvarWait, WaitTimeout, WaitUntil, WaitUntilTimeout};
    pub use crate::deadline::Until;
    pub use crate::latch::{ArriveAndWait, LatchWait};
    #[cfg(feature = "alloc")]
    pub use crate::mutex::LockArc;
    pub use crate::mutex::{Lock, WaitUnlocked};
    pub use crate::rwlock::{Read, UpgradableRead, Upgrade, UpgradeTimeout, Write};
    #[cfg(feature = "alloc")]
    pub use crate::rwlock::{ReadArc, UpgradableReadArc, UpgradeArc, WriteArc};
    #[cfg(feature = "alloc")]
    pub use crate::semaphore::AcquireArc;
    pub use crate::semaphore::{Acquire, WaitAvailable};
}
