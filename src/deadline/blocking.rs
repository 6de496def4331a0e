//! The blocking timed forms of the primitives whose untimed blocking forms
//! need nothing private: [`Semaphore`] and [`Latch`] (`std`). Each runs the
//! same future as its untimed form, raced against the deadline on a parked
//! thread (`wait::block::block_on_until`).

use core::fmt;
use std::time::{Duration, Instant};

use super::{TimedOut, WaitExt};
use crate::semaphore::Closed;
use crate::wait::block::{block_on_until, deadline_after};
use crate::shim::Arc;
use crate::{Latch, Semaphore, SemaphoreGuard, SemaphoreGuardArc};

/// Why a timed blocking acquire of a [`Semaphore`] failed.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use turnstile_sync::{AcquireTimeoutError, Semaphore};
/// let sem = Semaphore::new(0);
/// let err = sem.try_acquire_for(Duration::from_millis(1)).unwrap_err();
/// assert_eq!(err, AcquireTimeoutError::TimedOut);
/// sem.close();
/// let err = sem.try_acquire_for(Duration::from_millis(1)).unwrap_err();
/// assert_eq!(err.to_string(), "semaphore closed");
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AcquireTimeoutError {
    /// The deadline came before the permits could be granted.
    TimedOut,
    /// The semaphore is, or became, closed.
    Closed,
}

impl fmt::Display for AcquireTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TimedOut => "timed out waiting for permits",
            Self::Closed => "semaphore closed",
        })
    }
}

impl core::error::Error for AcquireTimeoutError {}

impl From<Closed> for AcquireTimeoutError {
    fn from(Closed: Closed) -> Self {
        Self::Closed
    }
}

impl From<TimedOut> for AcquireTimeoutError {
    fn from(TimedOut: TimedOut) -> Self {
        Self::TimedOut
    }
}

/// The blocking timed forms, named as parking_lot's. A request that times
/// out leaves the queue and gives back the permits set aside for it (the
/// waiters behind it are served at once): it leaves no trace.
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl Semaphore {
    /// Blocks until one permit is acquired or `timeout` has passed.
    ///
    /// # Errors
    ///
    /// [`AcquireTimeoutError::TimedOut`], or
    /// [`AcquireTimeoutError::Closed`] if the semaphore is or becomes
    /// closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let sem = turnstile_sync::Semaphore::new(1);
    /// let permit = sem.try_acquire_for(Duration::from_secs(1)).unwrap();
    /// assert!(sem.try_acquire_for(Duration::from_millis(1)).is_err());
    /// # drop(permit);
    /// ```
    pub fn try_acquire_for(
        &self,
        timeout: Duration,
    ) -> Result<SemaphoreGuard<'_>, AcquireTimeoutError> {
        self.acquire_until_at(1, deadline_after(timeout))
    }

    /// Blocks until `n` permits are acquired or `timeout` has passed; see
    /// [`acquire_many`](Self::acquire_many).
    ///
    /// # Errors
    ///
    /// As for [`try_acquire_for`](Self::try_acquire_for).
    ///
    /// # Panics
    ///
    /// If `n` is more than [`MAX_PERMITS`](Self::MAX_PERMITS).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let sem = turnstile_sync::Semaphore::new(3);
    /// assert!(sem.try_acquire_many_for(4, Duration::from_millis(1)).is_err());
    /// assert_eq!(sem.available_permits(), 3); // nothing kept
    /// assert!(sem.try_acquire_many_for(3, Duration::from_secs(1)).is_ok());
    /// ```
    #[track_caller]
    pub fn try_acquire_many_for(
        &self,
        n: usize,
        timeout: Duration,
    ) -> Result<SemaphoreGuard<'_>, AcquireTimeoutError> {
        self.acquire_until_at(n, deadline_after(timeout))
    }

    /// Blocks until one permit is acquired or `deadline` has come.
    ///
    /// # Errors
    ///
    /// As for [`try_acquire_for`](Self::try_acquire_for).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let sem = turnstile_sync::Semaphore::new(1);
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// assert!(sem.try_acquire_until(deadline).is_ok());
    /// ```
    pub fn try_acquire_until(
        &self,
        deadline: Instant,
    ) -> Result<SemaphoreGuard<'_>, AcquireTimeoutError> {
        self.acquire_until_at(1, Some(deadline))
    }

    /// Blocks until `n` permits are acquired or `deadline` has come.
    ///
    /// # Errors
    ///
    /// As for [`try_acquire_for`](Self::try_acquire_for).
    ///
    /// # Panics
    ///
    /// If `n` is more than [`MAX_PERMITS`](Self::MAX_PERMITS).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let sem = turnstile_sync::Semaphore::new(2);
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// assert_eq!(sem.try_acquire_many_until(2, deadline).unwrap().permits(), 2);
    /// ```
    #[track_caller]
    pub fn try_acquire_many_until(
        &self,
        n: usize,
        deadline: Instant,
    ) -> Result<SemaphoreGuard<'_>, AcquireTimeoutError> {
        self.acquire_until_at(n, Some(deadline))
    }

    #[track_caller]
    fn acquire_until_at(
        &self,
        n: usize,
        deadline: Option<Instant>,
    ) -> Result<SemaphoreGuard<'_>, AcquireTimeoutError> {
        // Built before blocking, so an oversized request panics here.
        let acquire = self.acquire_many(n);
        Ok(block_on_until(deadline, |expired| acquire.until(expired))??)
    }
}

/// The `Arc` forms of the semaphore's timed blocking acquires.
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl Semaphore {
    crate::shim::arc_methods! {
    /// Like [`try_acquire_for`](Self::try_acquire_for), holding an `Arc`.
    ///
    /// # Errors
    ///
    /// As for [`try_acquire_for`](Self::try_acquire_for).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::{sync::Arc, time::Duration};
    /// let sem = Arc::new(turnstile_sync::Semaphore::new(1));
    /// let permit = sem.try_acquire_arc_for(Duration::from_secs(1)).unwrap();
    /// assert!(sem.try_acquire_arc_for(Duration::from_millis(1)).is_err());
    /// # drop(permit);
    /// ```
    pub fn try_acquire_arc_for(this: &Arc<Self>, timeout: Duration) -> Result<SemaphoreGuardArc, AcquireTimeoutError> {
        Self::acquire_arc_until_at(this, 1, deadline_after(timeout))
    }

    /// Like [`try_acquire_many_for`](Self::try_acquire_many_for), holding
    /// an `Arc`.
    ///
    /// # Errors
    ///
    /// As for [`try_acquire_for`](Self::try_acquire_for).
    ///
    /// # Panics
    ///
    /// If `n` is more than [`MAX_PERMITS`](Self::MAX_PERMITS).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::{sync::Arc, time::Duration};
    /// let sem = Arc::new(turnstile_sync::Semaphore::new(2));
    /// assert_eq!(sem.try_acquire_many_arc_for(2, Duration::from_secs(1)).unwrap().permits(), 2);
    /// ```
    pub fn try_acquire_many_arc_for(this: &Arc<Self>, n: usize, timeout: Duration) -> Result<SemaphoreGuardArc, AcquireTimeoutError> {
        Self::acquire_arc_until_at(this, n, deadline_after(timeout))
    }

    /// Like [`try_acquire_until`](Self::try_acquire_until), holding an
    /// `Arc`.
    ///
    /// # Errors
    ///
    /// As for [`try_acquire_for`](Self::try_acquire_for).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::{sync::Arc, time::Instant};
    /// let sem = Arc::new(turnstile_sync::Semaphore::new(0));
    /// assert!(sem.try_acquire_arc_until(Instant::now()).is_err());
    /// ```
    pub fn try_acquire_arc_until(this: &Arc<Self>, deadline: Instant) -> Result<SemaphoreGuardArc, AcquireTimeoutError> {
        Self::acquire_arc_until_at(this, 1, Some(deadline))
    }

    /// Like [`try_acquire_many_until`](Self::try_acquire_many_until),
    /// holding an `Arc`.
    ///
    /// # Errors
    ///
    /// As for [`try_acquire_for`](Self::try_acquire_for).
    ///
    /// # Panics
    ///
    /// If `n` is more than [`MAX_PERMITS`](Self::MAX_PERMITS).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::{sync::Arc, time::{Duration, Instant}};
    /// let sem = Arc::new(turnstile_sync::Semaphore::new(3));
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// assert!(sem.try_acquire_many_arc_until(3, deadline).is_ok());
    /// ```
    pub fn try_acquire_many_arc_until(this: &Arc<Self>, n: usize, deadline: Instant) -> Result<SemaphoreGuardArc, AcquireTimeoutError> {
        Self::acquire_arc_until_at(this, n, Some(deadline))
    }
    }

    #[track_caller]
    fn acquire_arc_until_at(
        this: &Arc<Self>,
        n: usize,
        deadline: Option<Instant>,
    ) -> Result<SemaphoreGuardArc, AcquireTimeoutError> {
        // Built before blocking, so an oversized request panics here.
        let acquire = Self::acquire_many_arc(this, n);
        Ok(block_on_until(deadline, |expired| acquire.until(expired))??)
    }
}

/// The blocking timed forms of the latch, named after
/// [`try_wait`](Latch::try_wait).
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl Latch {
    /// Blocks until the latch is open or `timeout` has passed; returns
    /// whether it is open.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let latch = turnstile_sync::Latch::new(1);
    /// assert!(!latch.try_wait_for(Duration::from_millis(1)));
    /// latch.count_down();
    /// assert!(latch.try_wait_for(Duration::from_secs(1)));
    /// ```
    pub fn try_wait_for(&self, timeout: Duration) -> bool {
        self.wait_until_at(deadline_after(timeout))
    }

    /// Blocks until the latch is open or `deadline` has come; returns
    /// whether it is open.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let latch = turnstile_sync::Latch::new(0);
    /// assert!(latch.try_wait_until(Instant::now() + Duration::from_secs(1)));
    /// ```
    pub fn try_wait_until(&self, deadline: Instant) -> bool {
        self.wait_until_at(Some(deadline))
    }

    fn wait_until_at(&self, deadline: Option<Instant>) -> bool {
        // A latch that opened just as the deadline came counts as open: the
        // wait takes nothing, so there is nothing to give back.
        self.try_wait()
            || block_on_until(deadline, |expired| self.wait().until(expired)).is_ok()
            || self.try_wait()
    }
}
