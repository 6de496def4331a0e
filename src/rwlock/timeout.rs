//! Bounded waits on a [`RwLock`]: the timed upgrade that hands the guard
//! back, and (`std`) the blocking `try_*_for` / `try_*_until` forms, all on
//! the same futures as the untimed ones.

use core::fmt;
use core::future::Future;
use core::ops::Deref;
use core::pin::Pin;
use core::task::{Context, Poll};

use super::{kind, AcquireInner, RwLock, RwLockUpgradableReadGuard, RwLockWriteGuard};
#[cfg(feature = "alloc")]
use super::{RwLockUpgradableReadGuardArc, RwLockWriteGuardArc};
#[cfg(feature = "alloc")]
use crate::shim::Arc;

/// An upgrade raced against a signal: `Ok(lock)` once upgraded, `Err(lock)`
/// if the signal came first, the upgrade given up and the upgradable lock
/// still held. Borrowed and `Arc` forms share it through `M`.
struct UpgradeOr<M: Deref<Target = RwLock<T>>, T: ?Sized, S> {
    upgrade: AcquireInner<M, T, { kind::UPGRADE }>,
    /// Structurally pinned; `None` once it fired.
    signal: Option<S>,
}

impl<M: Deref<Target = RwLock<T>>, T: ?Sized, S: Future> UpgradeOr<M, T, S> {
    fn poll_upgrade(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<M, M>> {
        // SAFETY: both fields are structurally pinned (re-pinned here, never
        // moved; the signal is only dropped in place by `Pin::set`).
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as above.
        let mut upgrade = unsafe { Pin::new_unchecked(&mut this.upgrade) };
        // The upgrade first: when both are ready, the upgrade wins.
        if let Poll::Ready(lock) = upgrade.as_mut().poll_acquire(cx) {
            return Poll::Ready(Ok(lock));
        }
        // SAFETY: as above.
        let mut signal = unsafe { Pin::new_unchecked(&mut this.signal) };
        let fired = signal
            .as_mut()
            .as_pin_mut()
            .expect("turnstile-sync: upgrade future polled after it completed")
            .poll(cx)
            .is_ready();
        if !fired {
            return Poll::Pending;
        }
        signal.set(None);
        Poll::Ready(Err(upgrade.abandon_upgrade()))
    }
}

/// The future returned by [`RwLockUpgradableReadGuard::upgrade_timeout`]:
/// resolves to the write guard, or, if the signal came first, to the
/// upgradable guard it was given.
///
/// # Examples
///
/// ```
/// use turnstile_sync::{futures::UpgradeTimeout, RwLock, RwLockUpgradableReadGuard};
/// # futures_lite::future::block_on(async {
/// let lock = RwLock::new(1);
/// let up = lock.upgradable_read().await;
/// let future: UpgradeTimeout<'_, i32, _> =
///     RwLockUpgradableReadGuard::upgrade_timeout(up, std::future::pending::<()>());
/// assert_eq!(*future.await.unwrap(), 1);
/// # });
/// ```
#[must_use = "futures do nothing unless .awaited or polled"]
pub struct UpgradeTimeout<'a, T: ?Sized, S>(UpgradeOr<&'a RwLock<T>, T, S>);

impl<'a, T: ?Sized, S: Future> Future for UpgradeTimeout<'a, T, S> {
    type Output = Result<RwLockWriteGuard<'a, T>, RwLockUpgradableReadGuard<'a, T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pin projection to the only field.
        let inner = unsafe { self.map_unchecked_mut(|future| &mut future.0) };
        inner.poll_upgrade(cx).map(|result| match result {
            Ok(lock) => Ok(RwLockWriteGuard::new(lock)),
            Err(lock) => Err(RwLockUpgradableReadGuard::new(lock)),
        })
    }
}

impl<T: ?Sized, S> fmt::Debug for UpgradeTimeout<'_, T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UpgradeTimeout { .. }")
    }
}

impl<'a, T: ?Sized> RwLockUpgradableReadGuard<'a, T> {
    /// Upgrades to the write lock unless `signal` (a timer, a cancellation)
    /// comes first; then resolves to `Err` with the upgradable guard, still
    /// held. (`upgrade(guard).until(signal)` would release it instead, as a
    /// dropped [`upgrade`](Self::upgrade) does.)
    ///
    /// # Cancel safety
    ///
    /// Given up by the signal, the upgrade leaves no trace: the readers it
    /// held back go in, and a notification it had received passes on.
    /// Dropping the future itself before it completes releases the
    /// upgradable lock, as for [`upgrade`](Self::upgrade).
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{RwLock, RwLockUpgradableReadGuard};
    /// # futures_lite::future::block_on(async {
    /// let lock = RwLock::new(1);
    /// let up = lock.upgradable_read().await;
    /// let reader = lock.read().await; // blocks the upgrade
    /// // A signal ready at once: the upgrade gives up, the guard comes back.
    /// let up = RwLockUpgradableReadGuard::upgrade_timeout(up, async {}).await.unwrap_err();
    /// drop(reader);
    /// let writer = RwLockUpgradableReadGuard::upgrade_timeout(up, async {}).await.unwrap();
    /// # drop(writer);
    /// # });
    /// ```
    pub fn upgrade_timeout<S: Future>(guard: Self, signal: S) -> UpgradeTimeout<'a, T, S> {
        let guard = core::mem::ManuallyDrop::new(guard);
        UpgradeTimeout(UpgradeOr {
            upgrade: AcquireInner::new(guard.lock),
            signal: Some(signal),
        })
    }
}

/// The future returned by [`RwLockUpgradableReadGuardArc::upgrade_timeout`]:
/// resolves to the write guard, or, if the signal came first, to the
/// upgradable guard it was given. It owns a clone of the `Arc`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use turnstile_sync::{futures::UpgradeTimeoutArc, RwLock, RwLockUpgradableReadGuardArc};
/// # futures_lite::future::block_on(async {
/// let lock = Arc::new(RwLock::new(1));
/// let up = lock.upgradable_read_arc().await;
/// let future: UpgradeTimeoutArc<i32, _> =
///     RwLockUpgradableReadGuardArc::upgrade_timeout(up, std::future::pending::<()>());
/// assert_eq!(*future.await.unwrap(), 1);
/// # });
/// ```
#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
#[must_use = "futures do nothing unless .awaited or polled"]
pub struct UpgradeTimeoutArc<T: ?Sized, S>(UpgradeOr<Arc<RwLock<T>>, T, S>);

#[cfg(feature = "alloc")]
impl<T: ?Sized, S: Future> Future for UpgradeTimeoutArc<T, S> {
    type Output = Result<RwLockWriteGuardArc<T>, RwLockUpgradableReadGuardArc<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pin projection to the only field.
        let inner = unsafe { self.map_unchecked_mut(|future| &mut future.0) };
        inner.poll_upgrade(cx).map(|result| match result {
            Ok(lock) => Ok(RwLockWriteGuardArc::new(lock)),
            Err(lock) => Err(RwLockUpgradableReadGuardArc::new(lock)),
        })
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized, S> fmt::Debug for UpgradeTimeoutArc<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UpgradeTimeoutArc { .. }")
    }
}

#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
impl<T: ?Sized> RwLockUpgradableReadGuardArc<T> {
    /// Like [`RwLockUpgradableReadGuard::upgrade_timeout`]: upgrades unless
    /// `signal` comes first, then resolves to `Err` with the upgradable
    /// guard, still held.
    ///
    /// # Cancel safety
    ///
    /// As for [`RwLockUpgradableReadGuard::upgrade_timeout`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{RwLock, RwLockUpgradableReadGuardArc};
    /// # futures_lite::future::block_on(async {
    /// let lock = Arc::new(RwLock::new(1));
    /// let up = lock.upgradable_read_arc().await;
    /// let reader = lock.read().await;
    /// let up = RwLockUpgradableReadGuardArc::upgrade_timeout(up, async {}).await.unwrap_err();
    /// drop(reader);
    /// assert!(RwLockUpgradableReadGuardArc::upgrade_timeout(up, async {}).await.is_ok());
    /// # });
    /// ```
    pub fn upgrade_timeout<S: Future>(guard: Self, signal: S) -> UpgradeTimeoutArc<T, S> {
        UpgradeTimeoutArc(UpgradeOr {
            upgrade: AcquireInner::new(Self::into_lock(guard)),
            signal: Some(signal),
        })
    }
}

#[cfg(feature = "std")]
mod blocking {
    use std::time::{Duration, Instant};

    use super::super::{
        RwLock, RwLockReadGuard, RwLockReadGuardArc, RwLockUpgradableReadGuard,
        RwLockUpgradableReadGuardArc, RwLockWriteGuard, RwLockWriteGuardArc,
    };
    use crate::deadline::WaitExt;
    use crate::shim::Arc;
    use crate::wait::block::{block_on_until, deadline_after};

    /// The blocking timed forms: `try_*_for(timeout)` and
    /// `try_*_until(deadline)`, named as parking_lot's. Each runs the same
    /// future as the untimed form, raced against its deadline; the thread
    /// parks until a release wakes it or the deadline comes. A wait that
    /// times out leaves no trace (see [`WaitExt::until`]).
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    impl<T: ?Sized> RwLock<T> {
        /// Blocks until a read lock is acquired or `timeout` has passed.
        ///
        /// # Fairness
        ///
        /// As for [`read`](Self::read).
        ///
        /// # Examples
        ///
        /// ```
        /// use std::time::Duration;
        /// let lock = turnstile_sync::RwLock::new(1);
        /// let writer = lock.try_write().unwrap();
        /// assert!(lock.try_read_for(Duration::from_millis(1)).is_none());
        /// drop(writer);
        /// assert_eq!(*lock.try_read_for(Duration::from_secs(1)).unwrap(), 1);
        /// ```
        pub fn try_read_for(&self, timeout: Duration) -> Option<RwLockReadGuard<'_, T>> {
            self.read_until_at(deadline_after(timeout))
        }

        /// Blocks until a read lock is acquired or `deadline` has come.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::time::{Duration, Instant};
        /// let lock = turnstile_sync::RwLock::new(1);
        /// let guard = lock.try_read_until(Instant::now() + Duration::from_secs(1));
        /// assert!(guard.is_some());
        /// ```
        pub fn try_read_until(&self, deadline: Instant) -> Option<RwLockReadGuard<'_, T>> {
            self.read_until_at(Some(deadline))
        }

        fn read_until_at(&self, deadline: Option<Instant>) -> Option<RwLockReadGuard<'_, T>> {
            block_on_until(deadline, |expired| self.read().until(expired)).ok()
        }

        /// Blocks until the write lock is acquired or `timeout` has passed.
        ///
        /// # Fairness
        ///
        /// As for [`write`](Self::write).
        ///
        /// # Examples
        ///
        /// ```
        /// use std::time::Duration;
        /// let lock = turnstile_sync::RwLock::new(1);
        /// let reader = lock.try_read().unwrap();
        /// assert!(lock.try_write_for(Duration::from_millis(1)).is_none());
        /// drop(reader);
        /// *lock.try_write_for(Duration::from_secs(1)).unwrap() = 2;
        /// ```
        pub fn try_write_for(&self, timeout: Duration) -> Option<RwLockWriteGuard<'_, T>> {
            self.write_until_at(deadline_after(timeout))
        }

        /// Blocks until the write lock is acquired or `deadline` has come.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::time::{Duration, Instant};
        /// let lock = turnstile_sync::RwLock::new(1);
        /// assert!(lock.try_write_until(Instant::now() + Duration::from_secs(1)).is_some());
        /// ```
        pub fn try_write_until(&self, deadline: Instant) -> Option<RwLockWriteGuard<'_, T>> {
            self.write_until_at(Some(deadline))
        }

        fn write_until_at(&self, deadline: Option<Instant>) -> Option<RwLockWriteGuard<'_, T>> {
            block_on_until(deadline, |expired| self.write().until(expired)).ok()
        }

        /// Blocks until the upgradable read lock is acquired or `timeout`
        /// has passed.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::time::Duration;
        /// let lock = turnstile_sync::RwLock::new(1);
        /// let first = lock.try_upgradable_read().unwrap();
        /// assert!(lock.try_upgradable_read_for(Duration::from_millis(1)).is_none());
        /// drop(first);
        /// assert!(lock.try_upgradable_read_for(Duration::from_secs(1)).is_some());
        /// ```
        pub fn try_upgradable_read_for(
            &self,
            timeout: Duration,
        ) -> Option<RwLockUpgradableReadGuard<'_, T>> {
            self.upgradable_read_until_at(deadline_after(timeout))
        }

        /// Blocks until the upgradable read lock is acquired or `deadline`
        /// has come.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::time::{Duration, Instant};
        /// let lock = turnstile_sync::RwLock::new(1);
        /// let deadline = Instant::now() + Duration::from_secs(1);
        /// assert!(lock.try_upgradable_read_until(deadline).is_some());
        /// ```
        pub fn try_upgradable_read_until(
            &self,
            deadline: Instant,
        ) -> Option<RwLockUpgradableReadGuard<'_, T>> {
            self.upgradable_read_until_at(Some(deadline))
        }

        fn upgradable_read_until_at(
            &self,
            deadline: Option<Instant>,
        ) -> Option<RwLockUpgradableReadGuard<'_, T>> {
            block_on_until(deadline, |expired| self.upgradable_read().until(expired)).ok()
        }
    }

    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    impl<'a, T: ?Sized> RwLockUpgradableReadGuard<'a, T> {
        /// Upgrades to the write lock, blocking until the plain readers have
        /// left or `timeout` has passed; on timeout the upgradable guard
        /// comes back, still held.
        ///
        /// # Errors
        ///
        /// The guard, if the upgrade timed out.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::time::Duration;
        /// use turnstile_sync::{RwLock, RwLockUpgradableReadGuard};
        /// let lock = RwLock::new(1);
        /// let up = lock.try_upgradable_read().unwrap();
        /// let reader = lock.try_read().unwrap();
        /// let up = RwLockUpgradableReadGuard::try_upgrade_for(up, Duration::from_millis(1))
        ///     .unwrap_err();
        /// drop(reader);
        /// let writer = RwLockUpgradableReadGuard::try_upgrade_for(up, Duration::from_secs(1));
        /// assert!(writer.is_ok());
        /// ```
        pub fn try_upgrade_for(
            guard: Self,
            timeout: Duration,
        ) -> Result<RwLockWriteGuard<'a, T>, Self> {
            Self::upgrade_until_at(guard, deadline_after(timeout))
        }

        /// Upgrades to the write lock, blocking until the plain readers have
        /// left or `deadline` has come; on timeout the upgradable guard comes
        /// back, still held.
        ///
        /// # Errors
        ///
        /// The guard, if the upgrade timed out.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::time::{Duration, Instant};
        /// use turnstile_sync::{RwLock, RwLockUpgradableReadGuard};
        /// let lock = RwLock::new(1);
        /// let up = lock.try_upgradable_read().unwrap();
        /// let deadline = Instant::now() + Duration::from_secs(1);
        /// assert!(RwLockUpgradableReadGuard::try_upgrade_until(up, deadline).is_ok());
        /// ```
        pub fn try_upgrade_until(
            guard: Self,
            deadline: Instant,
        ) -> Result<RwLockWriteGuard<'a, T>, Self> {
            Self::upgrade_until_at(guard, Some(deadline))
        }

        fn upgrade_until_at(
            guard: Self,
            deadline: Option<Instant>,
        ) -> Result<RwLockWriteGuard<'a, T>, Self> {
            block_on_until(deadline, |expired| Self::upgrade_timeout(guard, expired))
        }
    }

    /// The `Arc` forms of the timed blocking acquires.
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    impl<T: ?Sized> RwLock<T> {
        crate::shim::arc_methods! {
        /// Like [`try_read_for`](Self::try_read_for), returning an
        /// `Arc`-owned guard.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::{sync::Arc, time::Duration};
        /// let lock = Arc::new(turnstile_sync::RwLock::new(1));
        /// assert!(lock.try_read_arc_for(Duration::from_secs(1)).is_some());
        /// ```
        pub fn try_read_arc_for(this: &Arc<Self>, timeout: Duration) -> Option<RwLockReadGuardArc<T>> {
            block_on_until(deadline_after(timeout), |e| Self::read_arc(this).until(e)).ok()
        }

        /// Like [`try_read_until`](Self::try_read_until), returning an
        /// `Arc`-owned guard.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::{sync::Arc, time::Instant};
        /// let lock = Arc::new(turnstile_sync::RwLock::new(1));
        /// let writer = lock.try_write().unwrap();
        /// assert!(lock.try_read_arc_until(Instant::now()).is_none());
        /// ```
        pub fn try_read_arc_until(this: &Arc<Self>, deadline: Instant) -> Option<RwLockReadGuardArc<T>> {
            block_on_until(Some(deadline), |e| Self::read_arc(this).until(e)).ok()
        }

        /// Like [`try_write_for`](Self::try_write_for), returning an
        /// `Arc`-owned guard.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::{sync::Arc, time::Duration};
        /// let lock = Arc::new(turnstile_sync::RwLock::new(1));
        /// let reader = lock.try_read().unwrap();
        /// assert!(lock.try_write_arc_for(Duration::from_millis(1)).is_none());
        /// ```
        pub fn try_write_arc_for(this: &Arc<Self>, timeout: Duration) -> Option<RwLockWriteGuardArc<T>> {
            block_on_until(deadline_after(timeout), |e| Self::write_arc(this).until(e)).ok()
        }

        /// Like [`try_write_until`](Self::try_write_until), returning an
        /// `Arc`-owned guard.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::{sync::Arc, time::{Duration, Instant}};
        /// let lock = Arc::new(turnstile_sync::RwLock::new(1));
        /// let deadline = Instant::now() + Duration::from_secs(1);
        /// assert!(lock.try_write_arc_until(deadline).is_some());
        /// ```
        pub fn try_write_arc_until(this: &Arc<Self>, deadline: Instant) -> Option<RwLockWriteGuardArc<T>> {
            block_on_until(Some(deadline), |e| Self::write_arc(this).until(e)).ok()
        }

        /// Like [`try_upgradable_read_for`](Self::try_upgradable_read_for),
        /// returning an `Arc`-owned guard.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::{sync::Arc, time::Duration};
        /// let lock = Arc::new(turnstile_sync::RwLock::new(1));
        /// assert!(lock.try_upgradable_read_arc_for(Duration::from_secs(1)).is_some());
        /// ```
        pub fn try_upgradable_read_arc_for(
            this: &Arc<Self>,
            timeout: Duration,
        ) -> Option<RwLockUpgradableReadGuardArc<T>> {
            block_on_until(deadline_after(timeout), |e| Self::upgradable_read_arc(this).until(e)).ok()
        }

        /// Like [`try_upgradable_read_until`](Self::try_upgradable_read_until),
        /// returning an `Arc`-owned guard.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::{sync::Arc, time::Instant};
        /// let lock = Arc::new(turnstile_sync::RwLock::new(1));
        /// let first = lock.try_upgradable_read().unwrap();
        /// assert!(lock.try_upgradable_read_arc_until(Instant::now()).is_none());
        /// ```
        pub fn try_upgradable_read_arc_until(
            this: &Arc<Self>,
            deadline: Instant,
        ) -> Option<RwLockUpgradableReadGuardArc<T>> {
            block_on_until(Some(deadline), |e| Self::upgradable_read_arc(this).until(e)).ok()
        }
        }
    }

    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    impl<T: ?Sized> RwLockUpgradableReadGuardArc<T> {
        /// Like [`RwLockUpgradableReadGuard::try_upgrade_for`]: on timeout
        /// the upgradable guard comes back, still held.
        ///
        /// # Errors
        ///
        /// The guard, if the upgrade timed out.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::{sync::Arc, time::Duration};
        /// use turnstile_sync::{RwLock, RwLockUpgradableReadGuardArc};
        /// let lock = Arc::new(RwLock::new(1));
        /// let up = lock.try_upgradable_read_arc().unwrap();
        /// let reader = lock.try_read().unwrap();
        /// let up = RwLockUpgradableReadGuardArc::try_upgrade_for(up, Duration::from_millis(1))
        ///     .unwrap_err();
        /// drop(reader);
        /// assert!(RwLockUpgradableReadGuardArc::try_upgrade_for(up, Duration::from_secs(1)).is_ok());
        /// ```
        pub fn try_upgrade_for(guard: Self, timeout: Duration) -> Result<RwLockWriteGuardArc<T>, Self> {
            block_on_until(deadline_after(timeout), |e| Self::upgrade_timeout(guard, e))
        }

        /// Like [`RwLockUpgradableReadGuard::try_upgrade_until`].
        ///
        /// # Errors
        ///
        /// The guard, if the upgrade timed out.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::{sync::Arc, time::{Duration, Instant}};
        /// use turnstile_sync::{RwLock, RwLockUpgradableReadGuardArc};
        /// let lock = Arc::new(RwLock::new(1));
        /// let up = lock.try_upgradable_read_arc().unwrap();
        /// let deadline = Instant::now() + Duration::from_secs(1);
        /// assert!(RwLockUpgradableReadGuardArc::try_upgrade_until(up, deadline).is_ok());
        /// ```
        pub fn try_upgrade_until(guard: Self, deadline: Instant) -> Result<RwLockWriteGuardArc<T>, Self> {
            block_on_until(Some(deadline), |e| Self::upgrade_timeout(guard, e))
        }
    }
}
