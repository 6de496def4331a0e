//! Guide chapters: how the primitives fit together, beyond one type's docs.

pub mod timeouts {
    //! # Timeouts and cancellation
    //!
    //! Bounding a wait — "lock it, but give up after 50 ms", "acquire a
    //! permit unless we are shutting down" — works the same for every
    //! primitive, in every tier, under every executor.
    //!
    //! ## The guarantee: a wait given up leaves no trace
    //!
    //! Every future in this crate is cancel-safe: dropping it at any point
    //! undoes its effect on the primitive. A timeout is nothing but a wait
    //! that is dropped (or, for the condvar, one that stops waiting and
    //! re-locks), so a wait that times out or is cancelled
    //!
    //! - takes **no lock or hand-off** with it: a [`Mutex`](crate::Mutex)
    //!   waiter that had been woken passes its wakeup to the next waiter,
    //!   and one that was starving stops reserving the lock;
    //! - takes **no permits**: a [`Semaphore`](crate::Semaphore) head that
    //!   had part of its permits set aside gives them back, and the waiters
    //!   behind it are served at once (one that was granted all of them and
    //!   not polled again gives them back too);
    //! - leaves **no arrival**: a [`Barrier`](crate::Barrier) arrival is
    //!   withdrawn, so the barrier needs another live party and elects no
    //!   leader on its behalf;
    //! - takes **no notification**: a [`Condvar`](crate::Condvar) waiter
    //!   that had been notified passes the notification to one other waiter;
    //! - holds **nobody back**: an [`RwLock`](crate::RwLock) writer that
    //!   gives up lets in the readers queued behind it, an abandoned read
    //!   ends the read phase it was part of, an abandoned upgrade lets the
    //!   readers in again.
    //!
    //! The waiters behind it proceed in order, as if it had never queued.
    //! This is why a runtime's own timeout (`tokio::time::timeout`,
    //! `embassy_time::with_timeout`) is safe with these futures too.
    //!
    //! When the deadline and the release come at the same moment, the
    //! acquisition wins: [`WaitExt::until`](crate::WaitExt::until) polls the
    //! wait before the signal, so a guard that was ready is returned, never
    //! acquired and dropped unseen. (A barrier generation released in the
    //! instant between that poll and the drop still counts the arrival; the
    //! blocking [`Barrier::try_wait_for`](crate::Barrier) settles that tie
    //! exactly, in favour of the release.)
    //!
    //! ## Deadlines on any future: `until`
    //!
    //! [`WaitExt`](crate::WaitExt) is implemented for every `Future`.
    //! `fut.until(signal)` races `fut` against any future that marks the
    //! deadline — a timer of your runtime, a shutdown signal — and resolves
    //! to `Ok(output)` or [`Err(TimedOut)`](crate::TimedOut). It needs no
    //! runtime and no clock of its own, so it works in the bare tier.
    //!
    //! ### smol and async-io
    //!
    //! ```
    //! use std::time::Duration;
    //! use turnstile_sync::{Mutex, TimedOut, WaitExt};
    //!
    //! smol::block_on(async {
    //!     let mutex = Mutex::new(0);
    //!     let held = mutex.lock().await;
    //!     let result = mutex.lock().until(smol::Timer::after(Duration::from_millis(5))).await;
    //!     assert_eq!(result.err(), Some(TimedOut));
    //!     drop(held);
    //!     *mutex.lock().until(smol::Timer::after(Duration::from_secs(5))).await.unwrap() += 1;
    //! });
    //! ```
    #![cfg_attr(
        feature = "async-io",
        doc = r#"
With the `async-io` feature, [`timeout`](crate::WaitExt::timeout) and
[`deadline`](crate::WaitExt::deadline) are shorthands on async-io's timer,
which runs its own timer thread and so works under any executor:

```
use std::time::{Duration, Instant};
use turnstile_sync::{Semaphore, WaitExt};

futures_lite::future::block_on(async {
    let sem = Semaphore::new(1);
    let permit = sem.acquire().timeout(Duration::from_secs(5)).await.unwrap().unwrap();
    assert!(sem.acquire().timeout(Duration::from_millis(5)).await.is_err());
    // One deadline for several waits.
    let deadline = Instant::now() + Duration::from_millis(5);
    assert!(sem.acquire_many(2).deadline(deadline).await.is_err());
    drop(permit);
});
```
"#
    )]
    //!
    //! ### tokio
    //!
    //! Race against `tokio::time::sleep`, or use `tokio::time::timeout`
    //! directly (then the error is tokio's `Elapsed`):
    //!
    //! ```
    //! use std::time::Duration;
    //! use turnstile_sync::{Semaphore, WaitExt};
    //!
    //! let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    //! rt.block_on(async {
    //!     let sem = Semaphore::new(0);
    //!     let result = sem.acquire().until(tokio::time::sleep(Duration::from_millis(5))).await;
    //!     assert!(result.is_err());
    //!     let result = tokio::time::timeout(Duration::from_millis(5), sem.acquire()).await;
    //!     assert!(result.is_err());
    //!     assert_eq!(sem.available_permits(), 0); // nothing was kept, nothing invented
    //! });
    //! ```
    //!
    //! ### A bare executor, embassy
    //!
    //! In firmware the signal is whatever future marks the deadline or the
    //! cancellation. Here a [`Latch`](crate::Latch) in a `static` is a
    //! shutdown token: every wait raced against it gives up when it opens.
    //! This compiles in the bare tier (no heap, no clock); the executor is
    //! any, here a minimal `block_on`:
    //!
    //! ```
    //! use turnstile_sync::{Latch, Mutex, WaitExt};
    //!
    //! static SHUTDOWN: Latch = Latch::new(1);
    //! static BUS: Mutex<[u8; 4]> = Mutex::new([0; 4]);
    //!
    //! async fn transfer() -> Result<u8, turnstile_sync::TimedOut> {
    //!     let bus = BUS.lock().until(SHUTDOWN.wait()).await?;
    //!     Ok(bus[0])
    //! }
    //!
    //! # futures_lite::future::block_on(async {
    //! let held = BUS.lock().await;
    //! SHUTDOWN.count_down(); // shutting down while the bus is busy
    //! assert!(transfer().await.is_err());
    //! # drop(held);
    //! # });
    //! ```
    //!
    //! With embassy, race against `embassy_time`'s timer, or use its
    //! `with_timeout`, which drops the losing future (leaving no trace):
    //!
    //! ```text
    //! let guard = BUS.lock().until(embassy_time::Timer::after_millis(5)).await?;
    //! let guard = embassy_time::with_timeout(Duration::from_millis(5), BUS.lock()).await?;
    //! ```
    //!
    //! ## Condvar waits with a deadline
    //!
    //! `condvar.wait(guard).until(signal)` would lose the guard on timeout.
    //! [`Condvar::wait_timeout`](crate::Condvar::wait_timeout) and
    //! [`wait_until_timeout`](crate::Condvar::wait_until_timeout) stop
    //! waiting when the signal fires, re-lock, and return the guard with a
    //! [`WaitTimeoutResult`](crate::WaitTimeoutResult), in std's shape. A
    //! notification that arrives as the signal fires wins.
    //!
    //! ```
    //! use turnstile_sync::{Condvar, Mutex};
    //! # futures_lite::future::block_on(async {
    //! let (queue, nonempty) = (Mutex::new(Vec::<u32>::new()), Condvar::new());
    //! let deadline = async {}; // a deadline that has passed already
    //! let (items, result) = nonempty.wait_until_timeout(queue.lock().await, |q| !q.is_empty(), deadline).await;
    //! assert!(result.timed_out() && items.is_empty()); // the guard came back
    //! # });
    //! ```
    //!
    //! Likewise [`RwLockUpgradableReadGuard::upgrade_timeout`](crate::RwLockUpgradableReadGuard::upgrade_timeout)
    //! hands the upgradable guard back on timeout, where
    //! `upgrade(guard).until(signal)` releases it.
    #![cfg_attr(
        feature = "std",
        doc = r#"
## Blocking with a timeout

For plain threads, the `*_blocking` family has timed forms, named as
parking_lot's: `_for(Duration)` and `_until(Instant)`. Each runs the same
future as the async form; the thread parks until a release wakes it or its
deadline comes (no polling, no sleeping), and a wait that times out leaves
no trace, as above. A `Duration` too large to add to `Instant::now()` means
no deadline.

| primitive | timed blocking forms | on timeout |
|-----------|----------------------|------------|
| [`Mutex`](crate::Mutex) | [`try_lock_for`](crate::Mutex::try_lock_for), [`try_lock_until`](crate::Mutex::try_lock_until), `try_lock_arc_for`/`_until` | `None` |
| [`RwLock`](crate::RwLock) | [`try_read_for`](crate::RwLock::try_read_for), `try_write_for`, `try_upgradable_read_for`, their `_until` and `_arc` forms | `None` |
| [`RwLockUpgradableReadGuard`](crate::RwLockUpgradableReadGuard) (and `…Arc`) | [`try_upgrade_for`](crate::RwLockUpgradableReadGuard::try_upgrade_for), `try_upgrade_until` | `Err(guard)`, still held |
| [`Semaphore`](crate::Semaphore) | [`try_acquire_for`](crate::Semaphore::try_acquire_for), `try_acquire_many_for`, their `_until` and `_arc` forms | [`AcquireTimeoutError::TimedOut`](crate::AcquireTimeoutError) (or `Closed`) |
| [`Condvar`](crate::Condvar) | [`wait_timeout_blocking`](crate::Condvar::wait_timeout_blocking), [`wait_until_timeout_blocking`](crate::Condvar::wait_until_timeout_blocking) | the guard, and `timed_out()` |
| [`Barrier`](crate::Barrier) | [`try_wait_for`](crate::Barrier::try_wait_for), `try_wait_until` | `None`, the arrival withdrawn |
| [`Latch`](crate::Latch) | [`try_wait_for`](crate::Latch::try_wait_for), `try_wait_until` | `false` |

```
use std::{sync::Arc, time::Duration};
use turnstile_sync::Mutex;

let config = Arc::new(Mutex::new(String::from("v1")));
let held = config.try_lock().unwrap();
let c = config.clone();
let timed_out = std::thread::spawn(move || c.try_lock_for(Duration::from_millis(5)).is_none());
assert!(timed_out.join().unwrap());
drop(held);
assert_eq!(*config.try_lock_for(Duration::from_secs(5)).unwrap(), "v1");
```
"#
    )]
    //!
    //! ## Waiting until free
    //!
    //! [`Mutex::wait_unlocked`](crate::Mutex::wait_unlocked),
    //! [`RwLock::wait_write_unlocked`](crate::RwLock::wait_write_unlocked)
    //! and [`Semaphore::wait_available`](crate::Semaphore::wait_available)
    //! wait until the mutex is unlocked, no writer holds the lock, or `n`
    //! permits are free, without taking anything. The answer is a snapshot: someone may take the lock right
    //! after. Watchers wait apart from the real waiters, so they never take
    //! a wakeup meant for one and count for nothing in the fairness rules.
    //!
    //! ## Scoped helpers
    //!
    //! [`Mutex::with`](crate::Mutex::with),
    //! [`RwLock::with_read`](crate::RwLock::with_read) /
    //! [`with_write`](crate::RwLock::with_write) and
    //! [`Semaphore::run`](crate::Semaphore::run) run an async closure while
    //! the lock or permits are held, and release them however it ends: on
    //! return, on an early `Err` through `?`, on panic, or when the future
    //! is dropped (by a timeout, say).
    //!
    //! ```
    //! use turnstile_sync::{Mutex, WaitExt};
    //! # futures_lite::future::block_on(async {
    //! let stock = Mutex::new(3u32);
    //! let sold = stock
    //!     .with(async |n| {
    //!         *n = n.checked_sub(1).ok_or("sold out")?;
    //!         Ok::<_, &str>(*n)
    //!     })
    //!     .until(std::future::pending::<()>()) // and bounded, if you like
    //!     .await;
    //! assert_eq!(sold, Ok(Ok(2)));
    //! # });
    //! ```
    //!
    //! A guard is the better tool when the lock must outlive one closure:
    //! to return it, [`map`](crate::MutexGuard::map) it, wait on a condvar
    //! with it, upgrade or downgrade it, or decide after looking whether to
    //! keep it.
    //!
    //! ## Coming from JavaScript
    //!
    //! | JavaScript | turnstile-sync |
    //! |------------|----------------|
    //! | async-mutex `mutex.acquire()` (resolves to a release function) | `mutex.lock().await` (a guard; dropping it releases) |
    //! | async-mutex `runExclusive(cb)`, valvekit `sandbox` | [`Mutex::with`](crate::Mutex::with), [`Semaphore::run`](crate::Semaphore::run), [`RwLock::with_write`](crate::RwLock::with_write) |
    //! | async-mutex `withTimeout(mutex, ms)`, valvekit's lock timeouts | `mutex.lock().until(timer)`; `.timeout(d)` with `async-io`; `try_lock_for(d)` on a thread |
    //! | async-mutex `tryAcquire`, valvekit `tryLock` | [`try_lock`](crate::Mutex::try_lock), [`try_acquire`](crate::Semaphore::try_acquire) |
    //! | valvekit `lock` | `lock().await` |
    //! | async-mutex `waitForUnlock` | [`wait_unlocked`](crate::Mutex::wait_unlocked), [`wait_available(n)`](crate::Semaphore::wait_available), [`wait_write_unlocked`](crate::RwLock::wait_write_unlocked) |
    //! | async-mutex `isLocked` | [`is_locked`](crate::Mutex::is_locked), `available_permits() == 0` |
    //! | @esfx/async-semaphore `wait(token)` | `sem.acquire().until(token)`: the token is any future (a [`Latch`](crate::Latch)'s `wait()`, a channel, a timer) |
    //! | @esfx/async-semaphore `release(n)` | drop the guard of `n` permits; [`add_permits(n)`](crate::Semaphore::add_permits) to add new ones |
    //! | async-mutex `cancel()` on a semaphore | [`Semaphore::close`](crate::Semaphore::close): every waiter fails with `Closed` |
    //! | async-mutex `cancel()` on a mutex | no counterpart |
    //! | async-mutex priority acquisition (`acquire(priority)`) | no counterpart |
    //!
    //! **Cancelling every waiter of a Mutex** has no counterpart because in
    //! Rust a waiter is a future owned by its task, and cancelling it is
    //! dropping it, which its owner does: race each wait against a shared
    //! shutdown signal with `until` (the firmware example above). A
    //! mutex-wide cancel would make every `lock()` fallible for everyone to
    //! serve the rare caller who wants it. The semaphore, whose callers
    //! already handle `Closed`, has `close`.
    //!
    //! **Priority acquisition** has no counterpart because the fairness
    //! guarantees are what these primitives promise: the semaphore is
    //! strictly FIFO across weights and the mutex bounds how often a waiter
    //! can be passed over, both counting events, without a clock. A
    //! priority queue would let a steady stream of high-priority callers
    //! starve the rest. Give urgent work its own primitive, or permits
    //! reserved for it.
}
