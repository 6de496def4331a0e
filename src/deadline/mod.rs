//! Deadlines on any wait: [`WaitExt::until`], the [`Until`] future and the
//! [`TimedOut`] error.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

#[cfg(feature = "std")]
mod blocking;
#[cfg(feature = "std")]
pub use blocking::AcquireTimeoutError;

/// The error of a wait that was given up: its deadline (or cancellation
/// signal) came first. The wait left no trace: see the
/// [guide](crate::guide::timeouts).
///
/// # Examples
///
/// ```
/// use turnstile_sync::{Mutex, TimedOut, WaitExt};
/// # futures_lite::future::block_on(async {
/// let mutex = Mutex::new(());
/// let _held = mutex.lock().await;
/// // A signal that is ready at once: the wait gives up.
/// let err = mutex.lock().until(async {}).await.unwrap_err();
/// assert_eq!(err, TimedOut);
/// assert_eq!(err.to_string(), "wait timed out");
/// # });
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TimedOut;

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("wait timed out")
    }
}

impl core::error::Error for TimedOut {}

/// Deadlines for any future: every acquire future of this crate, and the
/// caller's own. Implemented for every [`Future`]; bring it into scope with
/// `use turnstile_sync::WaitExt`.
///
/// The guide chapter [Timeouts and cancellation](crate::guide::timeouts)
/// shows it with every runtime.
///
/// # Examples
///
/// ```
/// use turnstile_sync::{Latch, Mutex, WaitExt};
/// # futures_lite::future::block_on(async {
/// let (mutex, shutdown) = (Mutex::new(0), Latch::new(1));
/// let held = mutex.lock().await;
/// shutdown.count_down();
/// // Any future is a signal: here, a shutdown latch that has opened.
/// assert!(mutex.lock().until(shutdown.wait()).await.is_err());
/// # drop(held);
/// # });
/// ```
pub trait WaitExt: Future + Sized {
    /// Races `self` against `signal`, any future that marks a deadline or a
    /// cancellation (`tokio::time::sleep(d)`, `async_io::Timer::after(d)`,
    /// `embassy_time::Timer::after(d)`, a shutdown receiver); its output is
    /// ignored. Resolves to `Ok` with `self`'s output if `self` finishes
    /// first, or [`TimedOut`] if `signal` does.
    ///
    /// `self` is polled first, so when both are ready at once the wait
    /// wins: a guard is never acquired and then dropped unseen. When the
    /// signal wins, `self` is dropped at once, in place, which for this
    /// crate's futures leaves no trace (they are cancel-safe): no permit,
    /// lock hand-off, barrier arrival or condvar notification is kept.
    ///
    /// No runtime is needed: a signal that is itself runtime-agnostic makes
    /// the whole wait runtime-agnostic, in every tier.
    ///
    /// # Cancel safety
    ///
    /// As cancel-safe as `self` and `signal`: dropping the `Until` drops
    /// both.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use turnstile_sync::{Semaphore, WaitExt};
    ///
    /// # smol::block_on(async {
    /// let sem = Semaphore::new(0);
    /// let result = sem.acquire().until(smol::Timer::after(Duration::from_millis(1))).await;
    /// assert!(result.is_err()); // nobody released a permit in time
    /// # });
    /// ```
    #[inline]
    fn until<S: Future>(self, signal: S) -> Until<Self, S> {
        Until {
            future: Some(self),
            signal: Some(signal),
        }
    }

    /// Gives up after `timeout`, on [`async_io::Timer`], which works under
    /// any executor (tokio included: async-io runs its own timer thread).
    /// Shorthand for `self.until(async_io::Timer::after(timeout))`.
    ///
    /// # Cancel safety
    ///
    /// As for [`until`](Self::until).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use turnstile_sync::{Mutex, WaitExt};
    ///
    /// # smol::block_on(async {
    /// let mutex = Mutex::new(0);
    /// let guard = mutex.lock().timeout(Duration::from_secs(1)).await.unwrap();
    /// assert!(mutex.lock().timeout(Duration::from_millis(1)).await.is_err());
    /// # drop(guard);
    /// # });
    /// ```
    #[cfg(feature = "async-io")]
    #[cfg_attr(docsrs, doc(cfg(feature = "async-io")))]
    #[inline]
    fn timeout(self, timeout: core::time::Duration) -> Until<Self, async_io::Timer> {
        self.until(async_io::Timer::after(timeout))
    }

    /// Gives up at `deadline`, on [`async_io::Timer`]. Shorthand for
    /// `self.until(async_io::Timer::at(deadline))`; one deadline can bound a
    /// sequence of waits.
    ///
    /// # Cancel safety
    ///
    /// As for [`until`](Self::until).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use turnstile_sync::{Mutex, Semaphore, WaitExt};
    ///
    /// # smol::block_on(async {
    /// let (mutex, sem) = (Mutex::new(0), Semaphore::new(1));
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// let permit = sem.acquire().deadline(deadline).await.unwrap().unwrap();
    /// *mutex.lock().deadline(deadline).await.unwrap() += 1;
    /// # drop(permit);
    /// # });
    /// ```
    #[cfg(feature = "async-io")]
    #[cfg_attr(docsrs, doc(cfg(feature = "async-io")))]
    #[inline]
    fn deadline(self, deadline: std::time::Instant) -> Until<Self, async_io::Timer> {
        self.until(async_io::Timer::at(deadline))
    }
}

impl<F: Future> WaitExt for F {}

/// The future returned by [`WaitExt::until`] (and `timeout`, `deadline`):
/// `F` raced against the signal `S`. Resolves to `Ok(F::Output)`, or
/// [`TimedOut`] if the signal came first; then `F` has been dropped.
///
/// `Unpin` iff both `F` and `S` are.
///
/// # Examples
///
/// ```
/// use turnstile_sync::{futures::{Lock, Until}, Mutex, WaitExt};
/// # futures_lite::future::block_on(async {
/// let mutex = Mutex::new(1);
/// let future: Until<Lock<'_, i32>, _> = mutex.lock().until(std::future::pending::<()>());
/// assert_eq!(*future.await.unwrap(), 1);
/// # });
/// ```
#[must_use = "futures do nothing unless .awaited or polled"]
pub struct Until<F, S> {
    /// Structurally pinned; `None` once finished (dropped in place).
    future: Option<F>,
    /// Structurally pinned; `None` once finished (dropped in place).
    signal: Option<S>,
}

impl<F: Future, S: Future> Future for Until<F, S> {
    type Output = Result<F::Output, TimedOut>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: both fields are structurally pinned: they are re-pinned
        // here and never moved out, only dropped in place (`Pin::set`), and
        // `Until` has no `Drop` impl that could move them.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as above.
        let mut future = unsafe { Pin::new_unchecked(&mut this.future) };
        // SAFETY: as above.
        let mut signal = unsafe { Pin::new_unchecked(&mut this.signal) };
        let Some(inner) = future.as_mut().as_pin_mut() else {
            panic!("turnstile-sync: `Until` polled after it completed");
        };
        // The wait first: when both are ready, the wait wins.
        if let Poll::Ready(output) = inner.poll(cx) {
            future.set(None);
            signal.set(None);
            return Poll::Ready(Ok(output));
        }
        let fired = signal
            .as_mut()
            .as_pin_mut()
            .is_some_and(|signal| signal.poll(cx).is_ready());
        if fired {
            // Give the wait up now, not when `Until` is dropped: whatever it
            // had been set aside (a semaphore's partial grant, a wakeup) goes
            // to the waiters behind it at once.
            future.set(None);
            signal.set(None);
            return Poll::Ready(Err(TimedOut));
        }
        Poll::Pending
    }
}

impl<F, S> fmt::Debug for Until<F, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Until")
            .field("finished", &self.future.is_none())
            .finish_non_exhaustive()
    }
}
