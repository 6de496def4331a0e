//! [`Condvar`]: a condition variable for [`Mutex`](crate::Mutex) guards.
//!
//! There is no state word: the condition lives in the mutex-protected value,
//! and the condvar is only its wait queue. The wait layer's protocol maps
//! onto the mutex: a waiter registers in the queue *while still holding the
//! lock* and only then unlocks. A notifier that changed the value under the
//! lock took the lock after that unlock, so the registration happened before
//! its notify, which therefore finds the waiter. No wakeup is lost between
//! releasing the mutex and starting to wait.
//!
//! `notify_one` is the wait layer's `notify_additional(1)`: each call wakes
//! one more waiter that had not been woken yet, so two calls wake two
//! waiters. A notified future that is dropped before it resolved passes the
//! notification on as the kind it was. One from `notify_one` wakes one more
//! waiter in its place, exactly one, so `notify_one`'s count is kept. One
//! from `notify_all` is passed on as an ordinary notify, "at least one waiter
//! holds a wakeup": it wakes the oldest waiter not yet woken (one that came
//! after the `notify_all`) only if no other woken waiter is still pending,
//! and otherwise does nothing (every task waiting at the `notify_all` was
//! woken by it). (Dropped while still in the queue, the wait layer's
//! `cancel` does this; dropped while re-locking the mutex, the future calls
//! `notify_additional(1)` itself, whatever woke it, so then one more waiter
//! is woken even after a `notify_all`: at worst a spurious wakeup.)

use core::fmt;
use core::future::Future;

use crate::mutex::MutexGuard;
use crate::shim::const_fn;
use crate::wait::WaitQueue;
mod futures;
use futures::{Never, UntilCore, WaitCore};
pub use futures::{CondvarWait, WaitTimeout, WaitTimeoutResult, WaitUntil, WaitUntilTimeout};

/// A condition variable: tasks holding a [`Mutex`](crate::Mutex) guard wait until another
/// task changes the protected value and notifies.
///
/// [`wait`](Self::wait) unlocks the mutex, waits for a notification and
/// locks it again; [`wait_until`](Self::wait_until) repeats that until a
/// condition on the value holds. One condvar may serve several mutexes.
/// `const`, so it can be a `static`; no heap in the bare tier.
///
/// Like every condvar, a woken waiter must re-check its condition: another
/// task may have changed the value between the notification and the
/// re-lock. `wait_until` does that for you.
///
/// # Examples
///
/// ```
/// use turnstile_sync::{Condvar, Mutex};
///
/// static READY: Mutex<bool> = Mutex::new(false);
/// static CHANGED: Condvar = Condvar::new();
///
/// # futures_lite::future::block_on(async {
/// let waiter = async {
///     let guard = CHANGED.wait_until(READY.lock().await, |ready| *ready).await;
///     assert!(*guard);
/// };
/// let setter = async {
///     *READY.lock().await = true;
///     CHANGED.notify_all();
/// };
/// futures_lite::future::zip(waiter, setter).await;
/// # });
/// ```
pub struct Condvar {
    queue: WaitQueue,
}

impl Condvar {
    const_fn! {
        /// Creates a condition variable with no waiters.
        ///
        /// # Examples
        ///
        /// ```
        /// static CHANGED: turnstile_sync::Condvar = turnstile_sync::Condvar::new();
        /// ```
        pub const fn new() -> Self {
            Self {
                queue: WaitQueue::new(),
            }
        }
    }

    /// Wakes one waiter that was not woken yet, the longest waiting first.
    /// Calling it twice wakes two waiters (if there are two). Does nothing
    /// if no task waits: a notification is not stored for later waiters.
    ///
    /// # Panics
    ///
    /// With the panic of the woken waiter's waker, if that panics. The
    /// waiter is notified all the same: polled again it proceeds, dropped it
    /// passes the wakeup on (see [Wakers](crate#wakers)).
    ///
    /// # Examples
    ///
    /// ```
    /// let condvar = turnstile_sync::Condvar::new();
    /// condvar.notify_one(); // nobody waits: nothing happens
    /// ```
    #[inline]
    pub fn notify_one(&self) {
        self.queue.notify_additional(1);
    }

    /// Wakes every task waiting now.
    ///
    /// # Panics
    ///
    /// With the panic of a waiter's waker that panics, once every other
    /// waiter has been woken (see [Wakers](crate#wakers)).
    ///
    /// # Examples
    ///
    /// ```
    /// let condvar = turnstile_sync::Condvar::new();
    /// condvar.notify_all();
    /// ```
    #[inline]
    pub fn notify_all(&self) {
        self.queue.notify(usize::MAX);
    }

    /// Unlocks the guard's mutex, waits for a notification, and locks the
    /// mutex again; resolves to the new guard.
    ///
    /// The future holds the guard until it is first polled; then it joins
    /// the queue and only after that unlocks, so a `notify_one` issued after
    /// the unlock always wakes a waiter. It may be woken without the value
    /// having changed the way it waits for: re-check the condition, or use
    /// [`wait_until`](Self::wait_until).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future is safe at any point. Before its first poll it
    /// drops the guard (unlocking). While waiting it leaves the queue; if it
    /// had been notified, it passes the wakeup on, so none is lost: one from
    /// [`notify_one`](Self::notify_one) wakes exactly one other waiter that
    /// had not been woken; one from [`notify_all`](Self::notify_all) wakes
    /// the oldest waiter not yet woken only if no other woken waiter is still
    /// pending (everyone waiting at the `notify_all` was woken by it), and
    /// otherwise nobody. Dropped while re-locking after a notification of
    /// either kind, it leaves the mutex's queue and wakes one more waiter
    /// that had not been woken: a wakeup is only consumed by a future that
    /// resolves.
    /// In every case the guard is gone: a dropped wait does not give the
    /// lock back to the caller. To bound the wait and keep the guard, use
    /// [`wait_timeout`](Self::wait_timeout) rather than dropping it.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{Condvar, Mutex};
    /// # futures_lite::future::block_on(async {
    /// let (mutex, condvar) = (Mutex::new(0), Condvar::new());
    /// let waiter = async {
    ///     let mut guard = mutex.lock().await;
    ///     while *guard == 0 {
    ///         guard = condvar.wait(guard).await;
    ///     }
    ///     *guard
    /// };
    /// let setter = async {
    ///     *mutex.lock().await = 5;
    ///     condvar.notify_one();
    /// };
    /// let (value, ()) = futures_lite::future::zip(waiter, setter).await;
    /// assert_eq!(value, 5);
    /// # });
    /// ```
    #[inline]
    pub fn wait<'a, T: ?Sized>(&'a self, guard: MutexGuard<'a, T>) -> CondvarWait<'a, T> {
        CondvarWait(WaitCore::new(self, guard, Never))
    }

    /// Waits until `condition` holds for the protected value; resolves to the
    /// guard with the condition holding.
    ///
    /// Checks the condition first (with the guard it was given) and returns
    /// at once if it holds; otherwise [`wait`](Self::wait)s and checks
    /// again after every wakeup, with the lock held each time.
    ///
    /// # Cancel safety
    ///
    /// As for [`wait`](Self::wait): dropping the future is safe at any point,
    /// passes on a notification it had received, and drops the guard.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{Condvar, Mutex};
    /// # futures_lite::future::block_on(async {
    /// let (queue, condvar) = (Mutex::new(Vec::new()), Condvar::new());
    /// let consumer = async {
    ///     let mut items = condvar.wait_until(queue.lock().await, |q| q.len() >= 2).await;
    ///     items.drain(..).sum::<i32>()
    /// };
    /// let producer = async {
    ///     for item in [1, 2] {
    ///         queue.lock().await.push(item);
    ///         condvar.notify_one();
    ///         futures_lite::future::yield_now().await;
    ///     }
    /// };
    /// let (sum, ()) = futures_lite::future::zip(consumer, producer).await;
    /// assert_eq!(sum, 3);
    /// # });
    /// ```
    #[inline]
    pub fn wait_until<'a, T: ?Sized, F>(
        &'a self,
        guard: MutexGuard<'a, T>,
        condition: F,
    ) -> WaitUntil<'a, T, F>
    where
        F: FnMut(&mut T) -> bool,
    {
        WaitUntil(UntilCore::new(self, guard, condition, Never))
    }

    /// Blocks the current thread in [`wait`](Self::wait): unlocks, waits for
    /// a notification, locks again. For code on plain threads.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{Condvar, Mutex};
    /// let pair = Arc::new((Mutex::new(false), Condvar::new()));
    /// let p = pair.clone();
    /// std::thread::spawn(move || {
    ///     *p.0.lock_blocking() = true;
    ///     p.1.notify_one();
    /// });
    /// let mut ready = pair.0.lock_blocking();
    /// while !*ready {
    ///     ready = pair.1.wait_blocking(ready);
    /// }
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn wait_blocking<'a, T: ?Sized>(&'a self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        crate::wait::block::block_on(self.wait(guard))
    }

    /// Blocks the current thread in [`wait_until`](Self::wait_until). For
    /// code on plain threads.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{Condvar, Mutex};
    /// let pair = Arc::new((Mutex::new(0), Condvar::new()));
    /// let p = pair.clone();
    /// std::thread::spawn(move || {
    ///     *p.0.lock_blocking() = 3;
    ///     p.1.notify_all();
    /// });
    /// let value = pair.1.wait_until_blocking(pair.0.lock_blocking(), |v| *v == 3);
    /// assert_eq!(*value, 3);
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn wait_until_blocking<'a, T: ?Sized, F>(
        &'a self,
        guard: MutexGuard<'a, T>,
        condition: F,
    ) -> MutexGuard<'a, T>
    where
        F: FnMut(&mut T) -> bool,
    {
        crate::wait::block::block_on(self.wait_until(guard, condition))
    }
    /// Like [`wait`](Self::wait), but gives up waiting for a notification
    /// once `signal` (a timer, a cancellation: any future) is ready; either
    /// way it re-locks the mutex and resolves to the guard, never dropping
    /// it, with a [`WaitTimeoutResult`] saying whether the signal ended the
    /// wait. (`wait(guard).until(signal)` would lose the guard on timeout.)
    ///
    /// A notification that arrives as the signal fires wins: the wait
    /// consumes it and did not time out. The re-lock after a timeout is not
    /// bounded by the signal, as with std's `wait_timeout`.
    ///
    /// # Cancel safety
    ///
    /// As for [`wait`](Self::wait). A wait the signal ended holds no
    /// notification, so it takes none with it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use turnstile_sync::{Condvar, Mutex};
    /// # smol::block_on(async {
    /// let (mutex, condvar) = (Mutex::new(0), Condvar::new());
    /// let guard = mutex.lock().await;
    /// let (guard, result) =
    ///     condvar.wait_timeout(guard, smol::Timer::after(Duration::from_millis(1))).await;
    /// assert!(result.timed_out());
    /// assert_eq!(*guard, 0); // the guard came back
    /// # });
    /// ```
    #[inline]
    pub fn wait_timeout<'a, T: ?Sized, S: Future>(
        &'a self,
        guard: MutexGuard<'a, T>,
        signal: S,
    ) -> WaitTimeout<'a, T, S> {
        WaitTimeout(WaitCore::new(self, guard, signal))
    }

    /// Like [`wait_until`](Self::wait_until), but gives up once `signal`
    /// is ready: resolves to the guard, with the condition holding or the
    /// [`WaitTimeoutResult`] saying it timed out. The condition is checked
    /// once more after the signal fired, so a value changed just in time
    /// does not count as a timeout.
    ///
    /// # Cancel safety
    ///
    /// As for [`wait_timeout`](Self::wait_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use turnstile_sync::{Condvar, Mutex};
    /// # smol::block_on(async {
    /// let (ready, condvar) = (Mutex::new(false), Condvar::new());
    /// let timer = smol::Timer::after(Duration::from_millis(1));
    /// let (guard, result) = condvar.wait_until_timeout(ready.lock().await, |r| *r, timer).await;
    /// assert!(result.timed_out() && !*guard);
    /// # });
    /// ```
    #[inline]
    pub fn wait_until_timeout<'a, T: ?Sized, F, S>(
        &'a self,
        guard: MutexGuard<'a, T>,
        condition: F,
        signal: S,
    ) -> WaitUntilTimeout<'a, T, F, S>
    where
        F: FnMut(&mut T) -> bool,
        S: Future,
    {
        WaitUntilTimeout(UntilCore::new(self, guard, condition, signal))
    }

    /// Blocks the current thread in [`wait_timeout`](Self::wait_timeout),
    /// for at most `timeout` (then re-locks): std's `wait_timeout`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use turnstile_sync::{Condvar, Mutex};
    /// let (mutex, condvar) = (Mutex::new(()), Condvar::new());
    /// let (guard, result) =
    ///     condvar.wait_timeout_blocking(mutex.lock_blocking(), Duration::from_millis(1));
    /// assert!(result.timed_out());
    /// # drop(guard);
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn wait_timeout_blocking<'a, T: ?Sized>(
        &'a self,
        guard: MutexGuard<'a, T>,
        timeout: core::time::Duration,
    ) -> (MutexGuard<'a, T>, WaitTimeoutResult) {
        use crate::wait::block::{block_on_until, deadline_after};
        block_on_until(deadline_after(timeout), |expired| {
            self.wait_timeout(guard, expired)
        })
    }

    /// Blocks the current thread in
    /// [`wait_until_timeout`](Self::wait_until_timeout), for at most
    /// `timeout`: std's `wait_timeout_while`, with the condition the other
    /// way round (wait *until* it holds).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::{sync::Arc, time::Duration};
    /// use turnstile_sync::{Condvar, Mutex};
    /// let pair = Arc::new((Mutex::new(0), Condvar::new()));
    /// let p = pair.clone();
    /// std::thread::spawn(move || {
    ///     *p.0.lock_blocking() = 3;
    ///     p.1.notify_all();
    /// });
    /// let (value, result) =
    ///     pair.1.wait_until_timeout_blocking(pair.0.lock_blocking(), |v| *v == 3, Duration::from_secs(10));
    /// assert!(!result.timed_out() && *value == 3);
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn wait_until_timeout_blocking<'a, T: ?Sized, F>(
        &'a self,
        guard: MutexGuard<'a, T>,
        condition: F,
        timeout: core::time::Duration,
    ) -> (MutexGuard<'a, T>, WaitTimeoutResult)
    where
        F: FnMut(&mut T) -> bool,
    {
        use crate::wait::block::{block_on_until, deadline_after};
        block_on_until(deadline_after(timeout), |expired| {
            self.wait_until_timeout(guard, condition, expired)
        })
    }
}

impl Default for Condvar {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Condvar { .. }")
    }
}
