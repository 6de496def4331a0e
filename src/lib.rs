//! Async synchronization primitives that run unchanged from a microcontroller
//! with no heap to a `std` server under tokio or smol.
//!
//! Everything here wakes tasks through [`Waker`](core::task::Waker)s only, so
//! no executor is assumed. The same types serve async tasks, plain threads
//! (the `*_blocking` forms) and interrupt handlers (the `try_` forms and the
//! releases).
//!
//! ```
//! use turnstile_sync::{Mutex, Semaphore};
//!
//! // `const` constructors: primitives can live in `static`s, in every tier.
//! static COUNTER: Mutex<u32> = Mutex::new(0);
//! static UPLOADS: Semaphore = Semaphore::new(4); // at most 4 at once
//!
//! async fn upload(chunk: &[u8]) -> u32 {
//!     // Waits in FIFO order; dropping this future at any point leaves no trace.
//!     let _permit = UPLOADS.acquire().await.expect("never closed");
//!     // ... send `chunk` ...
//!     let mut n = COUNTER.lock().await; // a guard may be held across `.await`
//!     *n += chunk.len() as u32;
//!     *n
//! }
//!
//! # // Any executor runs these futures; this one is futures-lite's.
//! assert_eq!(futures_lite::future::block_on(upload(b"hello")), 5);
//! ```
//!
//! # Tiers
//!
//! One API in three tiers, chosen with Cargo features. Features are
//! additive: enabling a higher tier changes no behaviour, it only adds API.
//!
//! | Feature            | Default | Adds                                                                 |
//! |--------------------|---------|----------------------------------------------------------------------|
//! | `std`              | yes     | blocking `*_blocking` variants for plain threads; implies `alloc`    |
//! | `alloc`            | via std | `Arc`-owned guards (`*_arc`); wait lists boxed on first contention   |
//! | `critical-section` | no      | the wait-list lock without `std` (required when `alloc` is off)      |
//! | `portable-atomic`  | no      | atomics from `portable-atomic`, for targets without CAS (thumbv6m)   |
//! | `async-io`         | no      | `WaitExt::timeout` and `WaitExt::deadline` on async-io's timer; implies `std` |
//! | `futures-core`     | no      | `FusedFuture` on the lock and acquire futures (`Lock`, `Read`, `Write`, `Acquire`, ... and their `Arc` forms); any tier |
//!
//! **The bare tier** is `default-features = false, features =
//! ["critical-section"]`: `#![no_std]`, no allocator. Constructors are `const`,
//! so primitives live in `static`s; waiters are unbounded and FIFO because each
//! waiting future carries its own node of the wait list (in every tier: so the
//! futures are `!Unpin`, pin them as `.await` does, and no wait allocates).
//! In the bare tier the list itself is inline in the primitive; in the `alloc`
//! and `std` tiers it is boxed by the primitive's first contended wait, once
//! in its life, so an uncontended primitive stays small (except a
//! [`Latch`]'s, which is inline in every tier: a latch is usually waited on
//! once, and its first wait must not allocate either). The wait list is
//! guarded by
//! [`critical-section`](https://docs.rs/critical-section), whose
//! implementation your firmware (or HAL) provides; wakers are never run inside
//! it. With `portable-atomic`, how portable-atomic emulates atomics
//! (`critical-section` or `unsafe-assume-single-core`) is also your
//! firmware's choice: this crate never enables either.
//!
//! A build with neither `alloc` nor `critical-section` stops with an error
//! that says which to choose, and so does a build for a target without
//! compare-and-swap (thumbv6m, riscv32imc) without `portable-atomic`.
//!
//! **Which `Arc` the `*_arc` API takes.** `std::sync::Arc` (that is,
//! `alloc::sync::Arc`) on every target that has one, whatever the features,
//! so a dependency that turns on `portable-atomic` changes no signature. On
//! targets without compare-and-swap `alloc` has no `Arc`; there (with `alloc`
//! and `portable-atomic`) they take
//! [`portable_atomic_util::Arc`](https://docs.rs/portable-atomic-util/0.2/portable_atomic_util/struct.Arc.html)
//! (portable-atomic-util 0.2, feature `alloc`). Stable Rust accepts no other
//! `Arc` as a `self` type, so there they are associated functions: write
//! `Mutex::lock_arc(&mutex)`, which compiles on every target, rather than
//! `mutex.lock_arc()`.
//!
//! Every wait list is locked by `std::sync::Mutex` with `std`, by
//! `critical-section` without `std` when that feature is on, and otherwise
//! (`alloc` alone) by a short spin lock; every critical section is a few
//! pointer updates and at most eight waiters, and runs no waker code.
//!
//! **Interrupt handlers need `critical-section`, without `std`.** Only then
//! is every wait-list lock a critical section, which an interrupt cannot
//! preempt. With `alloc` alone they are spin locks, and a handler that
//! releases a permit or unlocks while the code it interrupted holds that
//! lock spins forever; with `std` they are `std::sync::Mutex`es. So firmware
//! that uses a primitive from an interrupt enables `critical-section` (the
//! bare tier always has it).
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
//! - [`Notify`]: wake one waiter or all of them when there is no value to
//!   guard (tokio's `Notify`, embassy-sync's `Signal`); a `notify_one` that
//!   nobody waits for is kept, once, for the next waiter.
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
//! # Which tier for which target
//!
//! | Target | Features | What you get |
//! |---|---|---|
//! | std server, desktop, CLI (tokio, smol, threads) | default (`std`) | everything, including `*_blocking` and `*_arc` |
//! | wasm32 in a browser or WASI | default, or `alloc` + `critical-section` | `std` where the target has it; never block the browser's main thread |
//! | RISC-V / ESP32 / Cortex-M4 with a heap | `alloc`, `critical-section` | `*_arc` guards, no blocking forms |
//! | Cortex-M3/M4/M7 without a heap | `critical-section` | the bare tier: `static` primitives, no allocation |
//! | Cortex-M0/M0+, riscv32imc (no compare-and-swap) | `critical-section`, `portable-atomic` | the bare tier on emulated atomics |
//!
//! # Firmware
//!
//! A firmware's `Cargo.toml` names the bare tier, a `critical-section`
//! implementation for its chip, and (without compare-and-swap) how
//! portable-atomic emulates atomics:
//!
//! ```toml
//! [dependencies]
//! turnstile-sync = { version = "0.1", default-features = false, features = ["critical-section"] }
//! # single-core Cortex-M: the critical section masks interrupts
//! cortex-m = { version = "0.7", features = ["critical-section-single-core"] }
//!
//! # Cortex-M0/M0+ (thumbv6m): add portable-atomic, and choose its mode
//! # turnstile-sync = { version = "0.1", default-features = false, features = ["critical-section", "portable-atomic"] }
//! # portable-atomic = { version = "1", features = ["critical-section"] }  # or "unsafe-assume-single-core"
//! ```
//!
//! An interrupt handler may call everything that neither awaits nor blocks:
//! the `try_` forms ([`Mutex::try_lock`], [`Semaphore::try_acquire`], …),
//! dropping a guard, [`Semaphore::add_permits`], [`Latch::count_down`],
//! [`Condvar::notify_one`], [`Condvar::notify_all`], [`Notify::notify_one`]
//! and [`Notify::notify_waiters`]. It must not await
//! (handlers are not tasks) and must not call a `*_blocking` form (it would
//! spin or park the interrupted code's core forever). Wakers run after the
//! critical section, so a handler that releases a primitive wakes the waiting
//! task the usual way, through its executor.
//!
//! # Model-checking your own code with loom
//!
//! Built with `RUSTFLAGS="--cfg loom"`, this crate's atomics, cells and wait
//! lists come from [loom](https://docs.rs/loom), so a downstream crate can
//! model-check its own protocol built on these primitives (tokio's cannot be
//! used under loom from outside). Add loom to your dev-dependencies under the
//! same cfg and write a model:
//!
//! ```ignore
//! // tests/loom_counter.rs (this crate runs the same model as tests/loom_downstream.rs), run with
//! // RUSTFLAGS="--cfg loom" cargo test --release --test loom_counter
//! #![cfg(loom)]
//! use loom::sync::Arc;
//! use turnstile_sync::Mutex;
//!
//! #[test]
//! fn two_increments_are_never_lost() {
//!     loom::model(|| {
//!         let counter = Arc::new(Mutex::new(0));
//!         let other = counter.clone();
//!         let t = loom::thread::spawn(move || {
//!             loom::future::block_on(async { *other.lock().await += 1 })
//!         });
//!         loom::future::block_on(async { *counter.lock().await += 1 });
//!         t.join().unwrap();
//!         assert_eq!(*counter.try_lock().unwrap(), 2);
//!     });
//! }
//! ```
//!
//! Under loom the constructors are not `const` (loom's atomics cannot be), so
//! primitives are built at run time inside the model, as above.
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
//! the task that just released it and a queued waiter polled again before
//! its turn (by a `select!`, say): that keeps throughput high. A woken waiter that finds the lock taken again has lost a
//! race and queues again at the back. After four lost races it switches the
//! lock into hand-off mode, where new callers (and `try_lock`) queue instead
//! of barging and the lock passes down the queue until that waiter has it. So
//! a waiter is passed over by barging at most four times, and waits for at
//! most five turns of the queue. The rule counts events rather than time, so
//! it holds in the bare tier with no clock.
//!
//! What that means in acquisitions depends on the executor's run queue. With
//! two tasks taking turns (each locking and yielding while it holds the
//! lock), the waiting task gets the lock after at most 5 acquisitions by the
//! other on single-threaded executors whose run queue is FIFO (tokio's
//! current-thread runtime, smol's executor run by one thread, futures' local
//! pool, a plain `block_on`); on embassy-executor, which runs woken tasks in
//! batches in reverse wake order, each lost race costs two acquisitions and
//! the figure is 9. On multi-threaded executors the count in acquisitions
//! has no such bound: a woken waiter whose worker thread is not running loses
//! no race while it waits to be polled, and the holder may take the lock
//! again meanwhile. The guarantee is the one stated in lost races. The
//! conformance suite (`conformance/`) measures the figure on every executor
//! and checks the bound where there is one; `cargo test -p
//! turnstile-conformance mutex_fairness_bound -- --nocapture` prints it.
//!
//! # Cancellation
//!
//! Every future may be dropped at any point. A dropped lock future leaves the
//! queue; if it had been woken, the wakeup passes to the next waiter, so none
//! is lost. The same holds for a dropped [`Condvar::wait`] future: a wakeup
//! from `notify_one` goes to exactly one other waiter, one from `notify_all`
//! to another only if no woken waiter is still pending (see
//! [`Condvar::wait`]); and for a dropped [`Notify::notified`] future, whose
//! `notify_one` goes to the next waiter or is stored if nobody waits. A
//! dropped [`RwLock::write`]
//! future also stops holding back the readers queued behind it, and a dropped
//! upgrade releases the upgradable lock it owned. A dropped [`Barrier::wait`]
//! future takes its arrival back unless its generation was already released
//! (which it learns from its own wait-list node, not from a generation number
//! that could have come round again), so a barrier never releases for, or
//! elects as leader, a task that stopped waiting, and a released future
//! dropped any time later changes nothing. A dropped [`Semaphore::acquire`] future gives back the permits
//! set aside for it and the waiters behind it are served at once; one that
//! was granted its permits but not polled again gives them back too.
//!
//! So bounding a wait is racing it against a deadline: [`WaitExt::until`]
//! works with any runtime's timer in every tier, the condvar and the
//! upgrade have timed forms that hand the guard back, and the blocking
//! forms have `_for`/`_until` variants. The guide chapter
//! [Timeouts and cancellation](guide::timeouts) covers them all.
//!
//! Leaking is another matter. A future that was polled and is waiting, then
//! leaked (`mem::forget` of a boxed future, a leaked `Box::pin`), keeps its
//! place in the wait list for good and keeps whatever it held, as with
//! tokio's and async-lock's primitives (leaking is safe, never unsound, but
//! it can stall the primitive):
//!
//! - [`Mutex`]: a leaked lock future that had been woken keeps the wakeup,
//!   so later releases wake nobody (a woken waiter counts as on its way);
//!   one counted as starving keeps the mutex in hand-off mode, so the free
//!   mutex refuses `try_lock` and every new `lock()` waits for good.
//! - [`RwLock`]: a leaked write or upgrade future still counts as waiting,
//!   so new readers queue behind it for good; one that had been woken keeps
//!   the wakeup, as with the mutex.
//! - [`Semaphore`]: a leaked acquire future keeps its place in the FIFO
//!   queue, so once it is at the head every permit released goes to it and
//!   nobody behind it is served.
//! - [`Condvar`]: a leaked wait future still queued swallows the
//!   `notify_one` that reaches it; one leaked while re-locking is a leaked
//!   mutex lock future.
//! - [`Barrier`]: a leaked wait future counts as an arrival that never sees
//!   its release; later generations are unaffected.
//! - [`Latch`]: a leaked wait future costs only its memory.
//!
//! So drop the futures you no longer want; do not leak them. (Leaking a
//! guard, as with std, keeps the lock held or the permits taken;
//! [`SemaphoreGuard::forget`] does that on purpose.)
//!
//! # Wakers
//!
//! No waker code runs inside a wait list's lock, in any tier: a waker's
//! `wake`, `clone` or `drop` may call back into the primitive (lock,
//! release, poll or drop a waiting future), into the same wait queue
//! included.
//!
//! A waker whose `wake` panics strands nobody else. The panic reaches the
//! call that woke it — an unlock or a guard's drop, [`Latch::count_down`],
//! the last [`Barrier::wait`] arrival's poll, [`Condvar::notify_all`],
//! [`Semaphore::add_permits`] or [`Semaphore::close`], or a dropped future
//! passing its wakeup on — as in tokio, but only after that call has
//! notified and woken every other waiter it was going to: every waiter
//! behind the broken one is still served, every permit is accounted for,
//! and the primitive stays usable (`try_lock`, `try_acquire` succeed when it
//! is free). The waiter whose waker panicked keeps what it was given, a
//! wakeup or permits, like any woken waiter: polled again it completes;
//! dropped, it passes the wakeup on or gives the permits back.
//!
//! If a second waker panics in the same call, the process aborts (the
//! remaining waiters are woken while the first panic unwinds, and a panic in
//! a destructor during unwinding aborts), in every tier.
//!
//! # Minimum supported Rust version
//!
//! The library builds with Rust 1.85 (`rust-version` in Cargo.toml) in every
//! tier, for the host and for firmware targets; CI checks that with the
//! 1.85.0 toolchain. Its tests and benchmarks use the pinned development
//! toolchain.
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
// loom is this crate's own model-checking cfg, not something users enable: keep
// it out of the "Available on" badges.
#![cfg_attr(docsrs, doc(auto_cfg(hide(loom))))]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs, missing_debug_implementations)]

#[cfg(all(not(feature = "alloc"), not(feature = "critical-section")))]
compile_error!(
    "turnstile-sync needs a wait layer: enable `std` (the default) or `alloc`, \
     or `critical-section` for the bare no-heap tier"
);

#[cfg(all(not(feature = "portable-atomic"), not(target_has_atomic = "ptr")))]
compile_error!(
    "turnstile-sync needs compare-and-swap, which this target lacks: enable the \
     `portable-atomic` feature (and choose how portable-atomic emulates it: its \
     `critical-section` feature or `--cfg portable_atomic_unsafe_assume_single_core`)"
);

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

/// Applies one cfg to every item of the crate: without compare-and-swap (and
/// without `portable-atomic`) none of them is compiled, so the build stops
/// with the one `compile_error!` above instead of dozens of errors about
/// missing atomic methods.
macro_rules! needs_cas {
    ($($item:item)*) => {
        $(#[cfg(any(feature = "portable-atomic", target_has_atomic = "ptr"))] $item)*
    };
}

needs_cas! {
mod shim;
mod wait;

pub mod guide;

mod barrier;
mod condvar;
mod deadline;
mod latch;
mod mutex;
mod notify;
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
pub use mutex::LockArc;
pub use notify::{Notified, Notify};
pub use rwlock::{
    MappedRwLockReadGuard, Read, RwLock, RwLockReadGuard,
    RwLockUpgradableReadGuard, RwLockWriteGuard, UpgradableRead, Upgrade, UpgradeTimeout,
    WaitWriteUnlocked, Write,
};
#[cfg(feature = "alloc")]
pub use rwlock::{
    ReadArc, RwLockUpgradableReadGuardArc, UpgradableReadArc, UpgradeArc, UpgradeTimeoutArc,
    WriteArc,
};

// The names tokio gives these types, so that a search for them finds ours.
// The aliases sit on the re-exports because rustdoc drops a `doc(alias)` on
// an item that it inlines from a private module (the methods' aliases, inside
// their `impl` blocks, are kept).
#[cfg(feature = "alloc")]
#[doc(alias = "OwnedMappedMutexGuard")]
pub use mutex::MappedMutexGuardArc;
#[cfg(feature = "alloc")]
#[doc(alias = "OwnedMutexGuard")]
pub use mutex::MutexGuardArc;
#[doc(alias = "RwLockMappedWriteGuard")]
pub use rwlock::MappedRwLockWriteGuard;
#[cfg(feature = "alloc")]
pub use rwlock::MappedRwLockReadGuardArc;
#[cfg(feature = "alloc")]
#[doc(alias = "OwnedRwLockMappedWriteGuard")]
pub use rwlock::MappedRwLockWriteGuardArc;
#[cfg(feature = "alloc")]
#[doc(alias = "OwnedRwLockReadGuard")]
pub use rwlock::RwLockReadGuardArc;
#[cfg(feature = "alloc")]
#[doc(alias = "OwnedRwLockWriteGuard")]
pub use rwlock::RwLockWriteGuardArc;
pub use semaphore::{Acquire, Closed, Semaphore, TooManyPermits, TryAcquireError, WaitAvailable};
#[cfg(feature = "alloc")]
pub use semaphore::AcquireArc;
// tokio's names for the semaphore's guards (see the aliases above).
#[doc(alias = "SemaphorePermit")]
pub use semaphore::SemaphoreGuard;
#[cfg(feature = "alloc")]
#[doc(alias = "OwnedSemaphorePermit")]
pub use semaphore::SemaphoreGuardArc;

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
    pub use crate::notify::Notified;
    pub use crate::mutex::{Lock, WaitUnlocked};
    pub use crate::rwlock::{
        Read, UpgradableRead, Upgrade, UpgradeTimeout, WaitWriteUnlocked, Write,
    };
    #[cfg(feature = "alloc")]
    pub use crate::rwlock::{ReadArc, UpgradableReadArc, UpgradeArc, UpgradeTimeoutArc, WriteArc};
    #[cfg(feature = "alloc")]
    pub use crate::semaphore::AcquireArc;
    pub use crate::semaphore::{Acquire, WaitAvailable};
}
}
