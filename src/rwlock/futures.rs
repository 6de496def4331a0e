//! The futures that acquire an [`RwLock`]: read, upgradable read, write
//! and upgrade, borrowed and `Arc`-owned, one implementation behind all.

use core::fmt;
use core::future::Future;
use core::ops::Deref;
use core::pin::Pin;
use core::task::{Context, Poll};

#[cfg(feature = "alloc")]
use crate::shim::Arc;

use super::raw::{kind, Acquire};
use super::{RwLock, RwLockReadGuard, RwLockUpgradableReadGuard, RwLockWriteGuard};
#[cfg(feature = "alloc")]
use super::{RwLockReadGuardArc, RwLockUpgradableReadGuardArc, RwLockWriteGuardArc};


/// The one implementation behind every RwLock future: `M` is how the future
/// reaches the lock (`&RwLock<T>` or `Arc<RwLock<T>>`), `K` what it acquires
/// (a [`kind`] constant).
pub(super) struct AcquireInner<M: Deref<Target = RwLock<T>>, T: ?Sized, const K: u8> {
    /// `None` once the lock was handed out.
    lock: Option<M>,
    acquire: Acquire<K>,
}

impl<M: Deref<Target = RwLock<T>>, T: ?Sized, const K: u8> AcquireInner<M, T, K> {
    #[inline]
    pub(super) fn new(lock: M) -> Self {
        Self {
            lock: Some(lock),
            acquire: Acquire::new(),
        }
    }

    #[inline(always)]
    pub(super) fn poll_acquire(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<M> {
        // SAFETY: `acquire` is re-pinned at once and never moved; `lock` is
        // not structurally pinned (it is only read, and taken out).
        let this = unsafe { self.get_unchecked_mut() };
        // Taken out for the fast path, so that on success it is returned
        // from a register: read back from the future after the acquiring
        // compare-exchange (which the compiler may not reorder it across),
        // it cost the uncontended read about 1.5 ns of store-to-load delay.
        // If `try_fresh` panics (reader overflow) nothing is registered and
        // there is nothing for `Drop` to cancel.
        let lock = this
            .lock
            .take()
            .expect("turnstile-sync: RwLock future polled after it completed");
        if this.acquire.try_fresh(&lock.raw) {
            return Poll::Ready(lock);
        }
        let lock = this.lock.insert(lock);
        // SAFETY: `this.acquire` is inside the pinned future.
        let acquire = unsafe { Pin::new_unchecked(&mut this.acquire) };
        match acquire.poll_slow(&lock.raw, cx) {
            Poll::Ready(()) => Poll::Ready(this.lock.take().expect("checked above")),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<M: Deref<Target = RwLock<T>>, T: ?Sized> AcquireInner<M, T, { kind::UPGRADE }> {
    /// Gives up a pending upgrade, keeping the upgradable lock, and returns
    /// the lock reference to rebuild the upgradable guard from.
    pub(super) fn abandon_upgrade(self: Pin<&mut Self>) -> M {
        // SAFETY: as in `poll_acquire`.
        let this = unsafe { self.get_unchecked_mut() };
        let lock = this
            .lock
            .take()
            .expect("turnstile-sync: RwLock future polled after it completed");
        // SAFETY: `this.acquire` is inside the pinned future.
        unsafe { Pin::new_unchecked(&mut this.acquire) }.abandon_upgrade(&lock.raw);
        lock
    }
}

impl<M: Deref<Target = RwLock<T>>, T: ?Sized, const K: u8> Drop for AcquireInner<M, T, K> {
    #[inline]
    fn drop(&mut self) {
        if let Some(lock) = &self.lock {
            // SAFETY: `drop` is the last use of the future, which was pinned
            // if it was ever polled; `acquire` is not moved.
            let acquire = unsafe { Pin::new_unchecked(&mut self.acquire) };
            acquire.cancel(&lock.raw);
        }
    }
}

/// Defines a named future over [`AcquireInner`].
macro_rules! rwlock_future {
    (
        $(@cfg($cfg:meta))?
        $(#[$attr:meta])*
        $name:ident<$($lt:lifetime,)? T>($m:ty, $kind:path) -> $output:ty = $make:path
    ) => {
        $(#[cfg($cfg)])?
        $(#[$attr])*
        #[must_use = "futures do nothing unless .awaited or polled"]
        pub struct $name<$($lt,)? T: ?Sized>(pub(super) AcquireInner<$m, T, { $kind }>);

        $(#[cfg($cfg)])?
        impl<$($lt,)? T: ?Sized> Future for $name<$($lt,)? T> {
            type Output = $output;

            #[inline]
            fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
                // SAFETY: structural pin projection to the only field.
                let inner = unsafe { self.map_unchecked_mut(|future| &mut future.0) };
                inner.poll_acquire(cx).map($make)
            }
        }

        /// Terminated once it has resolved: polling it again would panic.
        /// (`futures-core` feature.)
        $(#[cfg($cfg)])?
        #[cfg(feature = "futures-core")]
        #[cfg_attr(docsrs, doc(cfg(feature = "futures-core")))]
        impl<$($lt,)? T: ?Sized> futures_core::FusedFuture for $name<$($lt,)? T> {
            #[inline]
            fn is_terminated(&self) -> bool {
                self.0.lock.is_none()
            }
        }

        $(#[cfg($cfg)])?
        impl<$($lt,)? T: ?Sized> fmt::Debug for $name<$($lt,)? T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), " { .. }"))
            }
        }
    };
}

rwlock_future! {
    /// The future returned by [`RwLock::read`]; resolves to a
    /// [`RwLockReadGuard`].
    ///
    /// It carries its wait-list node, in every tier, and is `!Unpin`
    /// (`.await` pins it for you).
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{Read, RwLock};
    /// # futures_lite::future::block_on(async {
    /// let lock = RwLock::new(3);
    /// let future: Read<'_, i32> = lock.read();
    /// assert_eq!(*future.await, 3);
    /// # });
    /// ```
    Read<'a, T>(&'a RwLock<T>, kind::READ) -> RwLockReadGuard<'a, T> = RwLockReadGuard::new
}

rwlock_future! {
    /// The future returned by [`RwLock::upgradable_read`]; resolves to a
    /// [`RwLockUpgradableReadGuard`].
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{RwLock, UpgradableRead};
    /// # futures_lite::future::block_on(async {
    /// let lock = RwLock::new(3);
    /// let future: UpgradableRead<'_, i32> = lock.upgradable_read();
    /// assert_eq!(*future.await, 3);
    /// # });
    /// ```
    UpgradableRead<'a, T>(&'a RwLock<T>, kind::UPGRADABLE_READ) -> RwLockUpgradableReadGuard<'a, T> = RwLockUpgradableReadGuard::new
}

rwlock_future! {
    /// The future returned by [`RwLock::write`]; resolves to a
    /// [`RwLockWriteGuard`].
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{RwLock, Write};
    /// # futures_lite::future::block_on(async {
    /// let lock = RwLock::new(3);
    /// let future: Write<'_, i32> = lock.write();
    /// *future.await += 1;
    /// # });
    /// ```
    Write<'a, T>(&'a RwLock<T>, kind::WRITE) -> RwLockWriteGuard<'a, T> = RwLockWriteGuard::new
}

rwlock_future! {
    /// The future returned by [`RwLockUpgradableReadGuard::upgrade`];
    /// resolves to a [`RwLockWriteGuard`]. It owns the upgradable lock until
    /// then: dropping it before it completes releases the upgradable lock
    /// (and lets in the readers the pending upgrade was holding back, but
    /// for those that queued behind a writer: they wait for it).
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{RwLock, RwLockUpgradableReadGuard, Upgrade};
    /// # futures_lite::future::block_on(async {
    /// let lock = RwLock::new(3);
    /// let future: Upgrade<'_, i32> = RwLockUpgradableReadGuard::upgrade(lock.upgradable_read().await);
    /// *future.await += 1;
    /// # });
    /// ```
    Upgrade<'a, T>(&'a RwLock<T>, kind::UPGRADE) -> RwLockWriteGuard<'a, T> = RwLockWriteGuard::new
}

rwlock_future! {
    @cfg(feature = "alloc")
    /// The future returned by [`RwLock::read_arc`]; resolves to a
    /// [`RwLockReadGuardArc`]. It owns a clone of the `Arc`, so it is
    /// `'static`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{ReadArc, RwLock};
    /// # futures_lite::future::block_on(async {
    /// let lock = Arc::new(RwLock::new(3));
    /// let future: ReadArc<i32> = lock.read_arc();
    /// assert_eq!(*future.await, 3);
    /// # });
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
    ReadArc<T>(Arc<RwLock<T>>, kind::READ) -> RwLockReadGuardArc<T> = RwLockReadGuardArc::new
}

rwlock_future! {
    @cfg(feature = "alloc")
    /// The future returned by [`RwLock::upgradable_read_arc`]; resolves to a
    /// [`RwLockUpgradableReadGuardArc`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{RwLock, UpgradableReadArc};
    /// # futures_lite::future::block_on(async {
    /// let lock = Arc::new(RwLock::new(3));
    /// let future: UpgradableReadArc<i32> = lock.upgradable_read_arc();
    /// assert_eq!(*future.await, 3);
    /// # });
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
    UpgradableReadArc<T>(Arc<RwLock<T>>, kind::UPGRADABLE_READ) -> RwLockUpgradableReadGuardArc<T> = RwLockUpgradableReadGuardArc::new
}

rwlock_future! {
    @cfg(feature = "alloc")
    /// The future returned by [`RwLock::write_arc`]; resolves to a
    /// [`RwLockWriteGuardArc`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{RwLock, WriteArc};
    /// # futures_lite::future::block_on(async {
    /// let lock = Arc::new(RwLock::new(3));
    /// let future: WriteArc<i32> = lock.write_arc();
    /// *future.await += 1;
    /// # });
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
    WriteArc<T>(Arc<RwLock<T>>, kind::WRITE) -> RwLockWriteGuardArc<T> = RwLockWriteGuardArc::new
}

rwlock_future! {
    @cfg(feature = "alloc")
    /// The future returned by [`RwLockUpgradableReadGuardArc::upgrade`];
    /// resolves to a [`RwLockWriteGuardArc`]. Dropping it before it completes
    /// releases the upgradable lock, as for [`Upgrade`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{RwLock, RwLockUpgradableReadGuardArc, UpgradeArc};
    /// # futures_lite::future::block_on(async {
    /// let lock = Arc::new(RwLock::new(3));
    /// let future: UpgradeArc<i32> = RwLockUpgradableReadGuardArc::upgrade(lock.upgradable_read_arc().await);
    /// *future.await += 1;
    /// # });
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
    UpgradeArc<T>(Arc<RwLock<T>>, kind::UPGRADE) -> RwLockWriteGuardArc<T> = RwLockWriteGuardArc::new
}
