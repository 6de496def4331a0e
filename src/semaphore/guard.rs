//! [`SemaphoreGuard`]: permits held from a borrowed [`Semaphore`].

use core::fmt;

use super::{merge_mismatch, Semaphore};

/// Permits held from a [`Semaphore`]; dropping the guard returns them.
///
/// # Examples
///
/// ```
/// let sem = turnstile_sync::Semaphore::new(2);
/// let guard = sem.try_acquire_many(2).unwrap();
/// assert_eq!(guard.permits(), 2);
/// drop(guard);
/// assert_eq!(sem.available_permits(), 2);
/// ```
#[clippy::has_significant_drop]
#[must_use = "if unused the permits are returned at once"]
pub struct SemaphoreGuard<'a> {
    sem: &'a Semaphore,
    permits: usize,
}

impl<'a> SemaphoreGuard<'a> {
    #[inline]
    pub(super) fn new(sem: &'a Semaphore, permits: usize) -> Self {
        Self { sem, permits }
    }

    /// How many permits this guard holds.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = turnstile_sync::Semaphore::new(3);
    /// assert_eq!(sem.try_acquire_many(3).unwrap().permits(), 3);
    /// ```
    #[inline]
    #[doc(alias = "num_permits")]
    pub fn permits(&self) -> usize {
        self.permits
    }

    /// The semaphore the permits came from.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{Semaphore, SemaphoreGuard};
    /// let sem = Semaphore::new(1);
    /// let guard = sem.try_acquire().unwrap();
    /// assert!(core::ptr::eq(SemaphoreGuard::source(&guard), &sem));
    /// ```
    #[inline]
    pub fn source(guard: &Self) -> &'a Semaphore {
        guard.sem
    }

    /// Splits `n` of this guard's permits off into a new guard; `None`
    /// (and this guard unchanged) if it holds fewer than `n`.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = turnstile_sync::Semaphore::new(3);
    /// let mut guard = sem.try_acquire_many(3).unwrap();
    /// let one = guard.split(1).unwrap();
    /// assert_eq!((guard.permits(), one.permits()), (2, 1));
    /// assert!(guard.split(3).is_none());
    /// drop(one);
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    #[inline]
    pub fn split(&mut self, n: usize) -> Option<Self> {
        self.permits = self.permits.checked_sub(n)?;
        Some(Self::new(self.sem, n))
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
    /// let sem = turnstile_sync::Semaphore::new(3);
    /// let mut guard = sem.try_acquire().unwrap();
    /// guard.merge(sem.try_acquire_many(2).unwrap());
    /// assert_eq!(guard.permits(), 3);
    /// ```
    #[inline]
    #[track_caller]
    pub fn merge(&mut self, mut other: Self) {
        if !core::ptr::eq(self.sem, other.sem) {
            merge_mismatch("SemaphoreGuard");
        }
        // Both are part of the semaphore's total, at most MAX_PERMITS.
        self.permits += core::mem::take(&mut other.permits);
    }

    /// Drops the guard without returning its permits: the semaphore has that
    /// many fewer for good.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = turnstile_sync::Semaphore::new(3);
    /// turnstile_sync::SemaphoreGuard::forget(sem.try_acquire().unwrap());
    /// assert_eq!(sem.available_permits(), 2);
    /// ```
    #[inline]
    pub fn forget(mut guard: Self) {
        guard.sem.forget_held(guard.permits);
        guard.permits = 0;
    }
}

impl Drop for SemaphoreGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        self.sem.release(self.permits);
    }
}

impl fmt::Debug for SemaphoreGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphoreGuard")
            .field("permits", &self.permits)
            .finish()
    }
}
