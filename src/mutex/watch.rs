//! [`Mutex::wait_unlocked`]: wait until the mutex is free without taking it.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use super::Mutex;
use crate::wait::{leave_watcher, Waiter};

impl<T: ?Sized> Mutex<T> {
    /// Waits until the mutex is unlocked, without locking it: async-mutex's
    /// `waitForUnlock`. Ready at once if it is unlocked now.
    ///
    /// A snapshot: the mutex was unlocked when the future looked, and
    /// another task may lock it right after. To act on the value, lock it.
    ///
    /// # Fairness
    ///
    /// It is not a waiter: it does not queue with [`lock`](Self::lock),
    /// never receives (so can never take away) the wakeup a release gives
    /// the next waiter, and counts for nothing in the bounded-barging rule.
    /// While waiters are queued, the lock goes from one to the next and the
    /// watcher may only see it free once they are served.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future at any point is safe and changes nothing for
    /// anyone else.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::Mutex;
    /// # futures_lite::future::block_on(async {
    /// let mutex = Mutex::new(0);
    /// let guard = mutex.lock().await;
    /// let watcher = async {
    ///     mutex.wait_unlocked().await;
    ///     "free"
    /// };
    /// let releaser = async move { drop(guard) };
    /// let (seen, ()) = futures_lite::future::zip(watcher, releaser).await;
    /// assert_eq!(seen, "free");
    /// # });
    /// ```
    #[inline]
    pub fn wait_unlocked(&self) -> WaitUnlocked<'_, T> {
        WaitUnlocked {
            mutex: self,
            waiter: Waiter::new(),
            done: false,
        }
    }
}

/// The future returned by [`Mutex::wait_unlocked`]; resolves once the mutex
/// was seen unlocked.
///
/// It carries its wait-list node, in every tier, and is `!Unpin` (`.await`
/// pins it for you).
///
/// # Examples
///
/// ```
/// use turnstile_sync::{futures::WaitUnlocked, Mutex};
/// # futures_lite::future::block_on(async {
/// let mutex = Mutex::new(());
/// let future: WaitUnlocked<'_, ()> = mutex.wait_unlocked();
/// future.await; // unlocked: ready at once
/// # });
/// ```
#[must_use = "futures do nothing unless .awaited or polled"]
pub struct WaitUnlocked<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    waiter: Waiter,
    done: bool,
}

impl<T: ?Sized> Future for WaitUnlocked<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: `waiter` is re-pinned at once and never moved; the other
        // fields are plain data, not structurally pinned.
        let this = unsafe { self.get_unchecked_mut() };
        assert!(
            !this.done,
            "turnstile-sync: wait_unlocked future polled after it completed"
        );
        // SAFETY: `this.waiter` is inside the pinned future.
        let waiter = unsafe { Pin::new_unchecked(&mut this.waiter) };
        let poll = this.mutex.raw.poll_unlocked(waiter, cx);
        this.done = poll.is_ready();
        poll
    }
}

impl<T: ?Sized> Drop for WaitUnlocked<'_, T> {
    fn drop(&mut self) {
        // SAFETY: `drop` is the last use of the future, which was pinned when
        // it was polled; `waiter` is not moved.
        let waiter = unsafe { Pin::new_unchecked(&mut self.waiter) };
        leave_watcher(self.mutex.raw.addr(), waiter);
    }
}

impl<T: ?Sized> fmt::Debug for WaitUnlocked<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WaitUnlocked { .. }")
    }
}
