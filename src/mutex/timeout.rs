//! The blocking timed forms of [`Mutex`] (`std`): the same lock future as
//! [`Mutex::lock`], raced against the deadline on a parked thread.

use std::time::{Duration, Instant};

use super::{Mutex, MutexGuard, MutexGuardArc};
use crate::deadline::WaitExt;
use crate::shim::Arc;
use crate::wait::block::{block_on_until, deadline_after};

/// The blocking timed forms, named as parking_lot's. The thread parks until
/// a release wakes it or the deadline comes; a lock that times out leaves
/// the queue and passes on a wakeup it had received, so it leaves no trace.
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl<T: ?Sized> Mutex<T> {
    /// Blocks until the mutex is locked or `timeout` has passed.
    ///
    /// # Fairness
    ///
    /// As for [`lock`](Self::lock): threads and tasks share one queue.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let mutex = turnstile_sync::Mutex::new(0);
    /// let held = mutex.try_lock().unwrap();
    /// assert!(mutex.try_lock_for(Duration::from_millis(1)).is_none());
    /// drop(held);
    /// *mutex.try_lock_for(Duration::from_secs(1)).unwrap() += 1;
    /// ```
    pub fn try_lock_for(&self, timeout: Duration) -> Option<MutexGuard<'_, T>> {
        self.lock_until_at(deadline_after(timeout))
    }

    /// Blocks until the mutex is locked or `deadline` has come.
    ///
    /// # Fairness
    ///
    /// As for [`lock`](Self::lock).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let mutex = turnstile_sync::Mutex::new(0);
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// assert!(mutex.try_lock_until(deadline).is_some());
    /// ```
    pub fn try_lock_until(&self, deadline: Instant) -> Option<MutexGuard<'_, T>> {
        self.lock_until_at(Some(deadline))
    }

    fn lock_until_at(&self, deadline: Option<Instant>) -> Option<MutexGuard<'_, T>> {
        block_on_until(deadline, |expired| self.lock().until(expired)).ok()
    }

    crate::shim::arc_methods! {
    /// Like [`try_lock_for`](Self::try_lock_for), returning an `Arc`-owned
    /// guard.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::{sync::Arc, time::Duration};
    /// let mutex = Arc::new(turnstile_sync::Mutex::new(0));
    /// let guard = mutex.try_lock_arc_for(Duration::from_secs(1)).unwrap();
    /// assert!(mutex.try_lock_arc_for(Duration::from_millis(1)).is_none());
    /// # drop(guard);
    /// ```
    pub fn try_lock_arc_for(this: &Arc<Self>, timeout: Duration) -> Option<MutexGuardArc<T>> {
        Self::lock_arc_until_at(this, deadline_after(timeout))
    }

    /// Like [`try_lock_until`](Self::try_lock_until), returning an
    /// `Arc`-owned guard.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::{sync::Arc, time::{Duration, Instant}};
    /// let mutex = Arc::new(turnstile_sync::Mutex::new(0));
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// assert!(mutex.try_lock_arc_until(deadline).is_some());
    /// ```
    pub fn try_lock_arc_until(this: &Arc<Self>, deadline: Instant) -> Option<MutexGuardArc<T>> {
        Self::lock_arc_until_at(this, Some(deadline))
    }
    }

    fn lock_arc_until_at(this: &Arc<Self>, deadline: Option<Instant>) -> Option<MutexGuardArc<T>> {
        block_on_until(deadline, |expired| Self::lock_arc(this).until(expired)).ok()
    }
}
