//! [`RwLock::wait_write_unlocked`]: wait until no writer holds the lock,
//! without taking it.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use super::RwLock;
use crate::wait::{leave_watcher, Waiter};

impl<T: ?Sized> RwLock<T> {
    /// Waits until no write lock is held, without taking any lock: the
    /// moment a read could see the value a writer left. Ready at once if
    /// no writer holds it now.
    ///
    /// A snapshot: another writer may take the lock right after, and a
    /// writer queued meanwhile still comes before new readers. To read the
    /// value, [`read`](Self::read) it.
    ///
    /// # Fairness
    ///
    /// It is not a waiter: it waits in neither of the lock's queues, never
    /// receives (so can never take away) a wakeup meant for a reader or a
    /// writer, and starts or holds up no read phase.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future at any point is safe and changes nothing for
    /// anyone else.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::RwLock;
    /// # futures_lite::future::block_on(async {
    /// let lock = RwLock::new(0);
    /// let writer = lock.write().await;
    /// let watcher = async {
    ///     lock.wait_write_unlocked().await;
    ///     lock.is_write_locked()
    /// };
    /// let releaser = async move { drop(writer) };
    /// let (write_locked, ()) = futures_lite::future::zip(watcher, releaser).await;
    /// assert!(!write_locked);
    /// # });
    /// ```
    #[inline]
    pub fn wait_write_unlocked(&self) -> WaitWriteUnlocked<'_, T> {
        WaitWriteUnlocked {
            lock: self,
            waiter: Waiter::new(),
            done: false,
        }
    }
}

/// The future returned by [`RwLock::wait_write_unlocked`]; resolves once
/// no write lock was seen held.
///
/// It carries its wait-list node, in every tier, and is `!Unpin` (`.await`
/// pins it for you).
///
/// # Examples
///
/// ```
/// use turnstile_sync::{futures::WaitWriteUnlocked, RwLock};
/// # futures_lite::future::block_on(async {
/// let lock = RwLock::new(());
/// let reader = lock.read().await;
/// let future: WaitWriteUnlocked<'_, ()> = lock.wait_write_unlocked();
/// future.await; // readers are no writer: ready at once
/// # drop(reader);
/// # });
/// ```
#[must_use = "futures do nothing unless .awaited or polled"]
pub struct WaitWriteUnlocked<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    waiter: Waiter,
    done: bool,
}

impl<T: ?Sized> Future for WaitWriteUnlocked<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: `waiter` is re-pinned at once and never moved; the other
        // fields are plain data, not structurally pinned.
        let this = unsafe { self.get_unchecked_mut() };
        assert!(
            !this.done,
            "turnstile-sync: wait_write_unlocked future polled after it completed"
        );
        // SAFETY: `this.waiter` is inside the pinned future.
        let waiter = unsafe { Pin::new_unchecked(&mut this.waiter) };
        let poll = this.lock.raw.poll_write_unlocked(waiter, cx);
        this.done = poll.is_ready();
        poll
    }
}

impl<T: ?Sized> Drop for WaitWriteUnlocked<'_, T> {
    fn drop(&mut self) {
        // SAFETY: `drop` is the last use of the future, which was pinned when
        // it was polled; `waiter` is not moved.
        let waiter = unsafe { Pin::new_unchecked(&mut self.waiter) };
        leave_watcher(self.lock.raw.addr(), waiter);
    }
}

impl<T: ?Sized> fmt::Debug for WaitWriteUnlocked<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WaitWriteUnlocked { .. }")
    }
}
