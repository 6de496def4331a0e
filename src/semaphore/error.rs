//! The semaphore's errors: [`Closed`], [`TryAcquireError`] and
//! [`TooManyPermits`].

use core::fmt;

/// The error of an acquire on a [closed](crate::Semaphore::close) semaphore.
///
/// # Examples
///
/// ```
/// # futures_lite::future::block_on(async {
/// let sem = turnstile_sync::Semaphore::new(1);
/// sem.close();
/// let err = sem.acquire().await.unwrap_err();
/// assert_eq!(err, turnstile_sync::Closed);
/// assert_eq!(err.to_string(), "semaphore closed");
/// # });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Closed;

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("semaphore closed")
    }
}

impl core::error::Error for Closed {}

/// Why a `try_acquire` failed.
///
/// # Examples
///
/// ```
/// use turnstile_sync::{Semaphore, TryAcquireError};
/// let sem = Semaphore::new(0);
/// assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
/// sem.close();
/// assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::Closed);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TryAcquireError {
    /// Not enough permits are free, or other requests are waiting ahead.
    NoPermits,
    /// The semaphore is closed.
    Closed,
}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NoPermits => "no permits available",
            Self::Closed => "semaphore closed",
        })
    }
}

impl core::error::Error for TryAcquireError {}

/// The error of [`Semaphore::try_add_permits`](crate::Semaphore::try_add_permits): the permits would exceed
/// the semaphore's maximum ([`Semaphore::MAX_PERMITS`](crate::Semaphore::MAX_PERMITS), or the one given to
/// [`Semaphore::with_max`](crate::Semaphore::with_max)).
///
/// # Examples
///
/// ```
/// use turnstile_sync::{Semaphore, TooManyPermits};
/// let sem = Semaphore::with_max(0, 1);
/// let err = sem.try_add_permits(2).unwrap_err();
/// assert_eq!(err, TooManyPermits);
/// assert_eq!(err.to_string(), "too many permits: the semaphore's maximum would be exceeded");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TooManyPermits;

impl fmt::Display for TooManyPermits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("too many permits: the semaphore's maximum would be exceeded")
    }
}

impl core::error::Error for TooManyPermits {}

impl From<Closed> for TryAcquireError {
    fn from(Closed: Closed) -> Self {
        Self::Closed
    }
}
