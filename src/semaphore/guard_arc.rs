//! [`SemaphoreGuardArc`]: permits held from a [`Semaphore`] in an `Arc`
//! (tier `alloc`).

use core::fmt;

use crate::shim::Arc;

use super::{merge_mismatch, Semaphore};

/// Permits held from a [`Semaphore`] in an `Arc`; dropping the guard returns
/// them. `'static`, for spawned tasks.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// let sem = Arc::new(turnstile_sync::Semaphore::new(1));
/// let guard = sem.try_acquire_arc().unwrap();
/// std::thread::spawn(move || drop(guard)).join().unwrap();
/// assert_eq!(sem.available_permits(), 1);
/// ```
#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
#[clippy::has_significant_drop]
#[must_use = "if unused the permits are returned at once"]
pub struct SemaphoreGuardArc {
    sem: Arc<Semaphore>,
    permits: usize,
}

#[cfg(feature = "alloc")]
impl SemaphoreGuardArc {
    #[inline]
    pub(super) fn new(sem: Arc<Semaphore>, permits: usize) -> Self {
        Self { sem, permits }
    }

    /// How many permits this guard holds.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = std::sync::Arc::new(turnstile_sync::Semaphore::new(2));
    /// assert_eq!(sem.try_acquire_many_arc(2).unwrap().permits(), 2);
    /// ```
    #[inline]
    #[doc(alias = "num_permits")]
    pub fn permits(&self) -> usize {
        self.permits
    }

    /// Splits `n` of this guard's permits off into a new guard (with a
    /// clone of the `Arc`); `None` (and this guard unchanged) if it holds
    /// fewer than `n`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(turnstile_sync::Semaphore::new(3));
    /// let mut guard = sem.try_acquire_many_arc(3).unwrap();
    /// let one = guard.split(1).unwrap();
    /// std::thread::spawn(move || drop(one)).join().unwrap();
    /// assert_eq!((guard.permits(), sem.available_permits()), (2, 1));
    /// assert!(guard.split(3).is_none());
    /// ```
    #[inline]
    pub fn split(&mut self, n: usize) -> Option<Self> {
        self.permits = self.permits.checked_sub(n)?;
        Some(Self::new(self.sem.clone(), n))
    }

    /// Moves the permits of `other`, a guard of the same semaphore, into
    /// this one.
    ///
    /// # Panics
    ///
    /// If `other` holds permits of another semaphore (its permits are
    /// returned to it as it drops); compare
    /// [`source`](Self::source)s first if the guards may come from two.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(turnstile_sync::Semaphore::new(3));
    /// let mut guard = sem.try_acquire_arc().unwrap();
    /// guard.merge(sem.try_acquire_many_arc(2).unwrap());
    /// assert_eq!(guard.permits(), 3);
    /// ```
    #[inline]
    #[track_caller]
    pub fn merge(&mut self, mut other: Self) {
        if !Arc::ptr_eq(&self.sem, &other.sem) {
            merge_mismatch("SemaphoreGuardArc");
        }
        // Both are part of the semaphore's total, at most MAX_PERMITS.
        self.permits += core::mem::take(&mut other.permits);
    }

    /// The semaphore the permits came from.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(turnstile_sync::Semaphore::new(1));
    /// let guard = sem.try_acquire_arc().unwrap();
    /// assert!(Arc::ptr_eq(turnstile_sync::SemaphoreGuardArc::source(&guard), &sem));
    /// ```
    #[inline]
    pub fn source(guard: &Self) -> &Arc<Semaphore> {
        &guard.sem
    }

    /// Drops the guard without returning its permits.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = std::sync::Arc::new(turnstile_sync::Semaphore::new(1));
    /// turnstile_sync::SemaphoreGuardArc::forget(sem.try_acquire_arc().unwrap());
    /// assert_eq!(sem.available_permits(), 0);
    /// ```
    #[inline]
    pub fn forget(mut guard: Self) {
        guard.sem.forget_held(guard.permits);
        guard.permits = 0;
    }
}

#[cfg(feature = "alloc")]
impl Drop for SemaphoreGuardArc {
    #[inline]
    fn drop(&mut self) {
        self.sem.release(self.permits);
    }
}

#[cfg(feature = "alloc")]
impl fmt::Debug for SemaphoreGuardArc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphoreGuardArc")
            .field("permits", &self.permits)
            .finish()
    }
}
