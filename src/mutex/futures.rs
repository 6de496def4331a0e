//! The futures that lock a [`Mutex`]: [`Lock`] (borrowed) and [`LockArc`]
//! (`Arc`-owned), one implementation behind both.

use core::fmt;
use core::future::Future;
use core::ops::Deref;
use core::pin::Pin;
use core::task::{Context, Poll};

#[cfg(feature = "alloc")]
use crate::shim::Arc;

use super::raw::Acquire;
use super::{Mutex, MutexGuard};
#[cfg(feature = "alloc")]
use super::MutexGuardArc;

/// The one implementation behind [`Lock`] and [`LockArc`]: `M` is how the
/// future reaches the mutex (`&Mutex<T>` or `Arc<Mutex<T>>`).
pub(super) struct LockInner<M: Deref<Target = Mutex<T>>, T: ?Sized> {
    /// `None` once the lock was handed out.
    mutex: Option<M>,
    acquire: Acquire,
}

impl<M: Deref<Target = Mutex<T>>, T: ?Sized> LockInner<M, T> {
    #[inline]
    pub(super) fn new(mutex: M) -> Self {
        Self {
            mutex: Some(mutex),
            acquire: Acquire::new(),
        }
    }

    #[inline]
    fn poll_lock(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<M> {
        // SAFETY: `acquire` is re-pinned at once and never moved; `mutex` is
        // not structurally pinned (it is only read and finally taken out).
        let this = unsafe { self.get_unchecked_mut() };
        let mutex = this
            .mutex
            .as_ref()
            .expect("turnstile-sync: lock future polled after it completed");
        // SAFETY: `this.acquire` is inside the pinned future.
        let acquire = unsafe { Pin::new_unchecked(&mut this.acquire) };
        match acquire.poll(&mutex.raw, cx) {
            // Always `Some`, as checked above: the poll had only
            // `this.acquire` and the mutex, not `this.mutex`. The `None` arm
            // is unreachable; it is `Pending` rather than a second panic
            // site, which cost firmware 8 bytes of flash (an `expect`) and,
            // as `unwrap_unchecked`, measured 2 % slower on the uncontended
            // x86 row for no reason found but code placement.
            Poll::Ready(()) => match this.mutex.take() {
                Some(mutex) => Poll::Ready(mutex),
                None => Poll::Pending,
            },
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<M: Deref<Target = Mutex<T>>, T: ?Sized> Drop for LockInner<M, T> {
    #[inline]
    fn drop(&mut self) {
        if let Some(mutex) = &self.mutex {
            // SAFETY: `drop` is the last use of the future, which was pinned
            // if it was ever polled; `acquire` is not moved.
            let acquire = unsafe { Pin::new_unchecked(&mut self.acquire) };
            acquire.cancel(&mutex.raw);
        }
    }
}

/// The future returned by [`Mutex::lock`]; resolves to a [`MutexGuard`].
///
/// It carries its wait-list node, in every tier, and is `!Unpin` (`.await`
/// pins it for you).
///
/// # Examples
///
/// ```
/// use turnstile_sync::{Lock, Mutex};
/// # futures_lite::future::block_on(async {
/// let mutex = Mutex::new(3);
/// let future: Lock<'_, i32> = mutex.lock();
/// assert_eq!(*future.await, 3);
/// # });
/// ```
#[must_use = "futures do nothing unless .awaited or polled"]
pub struct Lock<'a, T: ?Sized>(pub(super) LockInner<&'a Mutex<T>, T>);

impl<'a, T: ?Sized> Future for Lock<'a, T> {
    type Output = MutexGuard<'a, T>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pin projection to the only field.
        let inner = unsafe { self.map_unchecked_mut(|lock| &mut lock.0) };
        inner.poll_lock(cx).map(MutexGuard::new)
    }
}

/// Built only with `--cfg loom`, for the models in `tests/loom_mutex.rs`:
/// not part of the API.
#[cfg(loom)]
impl<T: ?Sized> Lock<'_, T> {
    /// How many races this future has lost to barging callers after a
    /// wakeup.
    #[doc(hidden)]
    pub fn lost_races(&self) -> u8 {
        self.0.acquire.lost_races()
    }
}

/// Terminated once it has resolved (the guard was handed out): polling it
/// again would panic. (`futures-core` feature.)
#[cfg(feature = "futures-core")]
#[cfg_attr(docsrs, doc(cfg(feature = "futures-core")))]
impl<T: ?Sized> futures_core::FusedFuture for Lock<'_, T> {
    #[inline]
    fn is_terminated(&self) -> bool {
        self.0.mutex.is_none()
    }
}

impl<T: ?Sized> fmt::Debug for Lock<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Lock { .. }")
    }
}

/// The future returned by [`Mutex::lock_arc`]; resolves to a
/// [`MutexGuardArc`]. It owns a clone of the `Arc`, so it is `'static`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use turnstile_sync::{LockArc, Mutex};
/// # futures_lite::future::block_on(async {
/// let mutex = Arc::new(Mutex::new(3));
/// let future: LockArc<i32> = mutex.lock_arc();
/// assert_eq!(*future.await, 3);
/// # });
/// ```
#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
#[must_use = "futures do nothing unless .awaited or polled"]
pub struct LockArc<T: ?Sized>(pub(super) LockInner<Arc<Mutex<T>>, T>);

#[cfg(feature = "alloc")]
impl<T: ?Sized> Future for LockArc<T> {
    type Output = MutexGuardArc<T>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pin projection to the only field.
        let inner = unsafe { self.map_unchecked_mut(|lock| &mut lock.0) };
        inner.poll_lock(cx).map(MutexGuardArc::new)
    }
}

#[cfg(feature = "alloc")]
/// Terminated once it has resolved (the guard was handed out): polling it
/// again would panic. (`futures-core` feature.)
#[cfg(feature = "futures-core")]
#[cfg_attr(docsrs, doc(cfg(feature = "futures-core")))]
impl<T: ?Sized> futures_core::FusedFuture for LockArc<T> {
    #[inline]
    fn is_terminated(&self) -> bool {
        self.0.mutex.is_none()
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized> fmt::Debug for LockArc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LockArc { .. }")
    }
}
