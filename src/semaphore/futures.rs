//! The futures that acquire permits: [`Acquire`] (borrowed) and
//! [`AcquireArc`] (`Arc`-owned), one implementation behind both.

use core::fmt;
use core::future::Future;
use core::ops::Deref;
use core::pin::Pin;
use core::task::{Context, Poll};

#[cfg(feature = "alloc")]
use crate::shim::Arc;
use crate::shim::Ordering::Relaxed;
use crate::wait::{DataWaiter, Left};

#[cfg(feature = "alloc")]
use super::SemaphoreGuardArc;
use super::{
    check_request, Closed, Semaphore, SemaphoreGuard, TryAcquireError, GRANTED,
    WATCHED,
};

/// The one implementation behind [`Acquire`] and [`AcquireArc`]: `S` is how
/// the future reaches the semaphore (`&Semaphore` or `Arc<Semaphore>`).
pub(super) struct AcquireInner<S: Deref<Target = Semaphore>> {
    /// `None` once the future has completed.
    sem: Option<S>,
    /// Permits asked for.
    n: usize,
    waiter: DataWaiter,
}

impl<S: Deref<Target = Semaphore>> AcquireInner<S> {
    #[inline]
    #[track_caller]
    pub(super) fn new(sem: S, n: usize) -> Self {
        check_request(n);
        Self {
            sem: Some(sem),
            n,
            waiter: DataWaiter::new(),
        }
    }

    /// `Ready` with the guard `guard` makes of the semaphore and the
    /// permits, or `Closed`.
    #[inline(always)]
    fn poll_guard<G>(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        guard: fn(S, usize) -> G,
    ) -> Poll<Result<G, Closed>> {
        let n = self.n;
        self.poll_acquire(cx).map(|r| r.map(|sem| guard(sem, n)))
    }

    /// `Ready` with the semaphore (to build the guard from) or `Closed`.
    /// The uncontended first poll — one read-modify-write — is inline; all
    /// else is out of line.
    #[inline(always)]
    fn poll_acquire(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<S, Closed>> {
        // SAFETY: nothing is moved; `sem` is not structurally pinned.
        let this = unsafe { self.get_unchecked_mut() };
        if !this.waiter.is_registered() {
            if let Some(sem) = &this.sem {
                if sem.take_now(this.n) {
                    if let Some(sem) = this.sem.take() {
                        return Poll::Ready(Ok(sem));
                    }
                }
            }
        }
        // SAFETY: the future is pinned (we were called through `Pin`), and
        // `this` is not used again.
        unsafe { Pin::new_unchecked(this) }.poll_acquire_slow(cx)
    }

    /// Everything but the uncontended first poll.
    #[cold]
    #[inline(never)]
    fn poll_acquire_slow(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<S, Closed>> {
        // SAFETY: `waiter` is re-pinned at once and never moved; `sem` and
        // `n` are not structurally pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let sem = this
            .sem
            .as_ref()
            .expect("turnstile-sync: acquire future polled after it completed");
        if !this.waiter.is_registered() {
            match sem.try_take(this.n) {
                Ok(()) => return Poll::Ready(Ok(this.sem.take().expect("checked above"))),
                Err(TryAcquireError::Closed) => {
                    this.sem = None;
                    return Poll::Ready(Err(Closed));
                }
                Err(TryAcquireError::NoPermits) => {}
            }
        }
        // SAFETY: `this.waiter` is inside the pinned future.
        let waiter = unsafe { Pin::new_unchecked(&mut this.waiter) };
        match Self::poll_slow(sem, this.n, waiter, cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(this.sem.take().expect("checked above"))),
            Poll::Ready(Err(Closed)) => {
                this.sem = None;
                Poll::Ready(Err(Closed))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// The part of [`poll_acquire_slow`](Self::poll_acquire_slow) that
    /// queues, and that collects the outcome: inline there, its only
    /// caller.
    #[inline(always)]
    fn poll_slow(
        sem: &Semaphore,
        n: usize,
        mut waiter: Pin<&mut DataWaiter>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Closed>> {
        if !waiter.is_registered() {
            // Join the tail, then settle: that serves us at once if permits
            // came free since `try_take` looked (the register-then-recheck
            // step), and sets `QUEUED` so newcomers queue behind us. Then
            // park, all in one critical section. The waker is cloned before
            // it, so that no waker code runs under the lock. If the settle
            // served more waiters than one wake batch holds, it goes on in
            // further critical sections.
            let waker = cx.waker().clone();
            let parked = sem.queue.with_rounds(
                |locked| {
                    waiter.as_mut().push_back(locked, n);
                    let more = sem.settle(locked, 0);
                    (waiter.as_mut().park(locked, waker), more)
                },
                sem.settle_on(),
            );
            match parked {
                // Parked: whoever finishes us wakes this waker.
                Ok(()) => return Poll::Pending,
                // Served already: collect the outcome below.
                Err(unused) => drop(unused),
            }
        }
        match waiter.poll(&sem.queue, cx) {
            Poll::Ready((GRANTED, _)) => Poll::Ready(Ok(())),
            Poll::Ready((_, still_needed)) => {
                // Closed: give back what had been set aside for us.
                sem.release(n - still_needed);
                Poll::Ready(Err(Closed))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: Deref<Target = Semaphore>> Drop for AcquireInner<S> {
    #[inline]
    fn drop(&mut self) {
        if self.waiter.is_registered() {
            self.cancel();
        }
    }
}

impl<S: Deref<Target = Semaphore>> AcquireInner<S> {
    /// Leaves the queue, giving back whatever the waiter held, and serves the
    /// waiters behind it, all in one critical section.
    #[cold]
    fn cancel(&mut self) {
        let Some(sem) = &self.sem else { return };
        let n = self.n;
        // SAFETY: `drop` is the last use of the future, which was pinned if
        // it was ever polled; `waiter` is not moved.
        let waiter = unsafe { Pin::new_unchecked(&mut self.waiter) };
        waiter.leave(
            &sem.queue,
            |locked, left| {
                let held = match left {
                    Left::Queued(still_needed) => n - still_needed,
                    Left::Done(GRANTED, _) => n,
                    Left::Done(_, still_needed) => n - still_needed,
                };
                // The settle hands them on, or puts them in the word.
                ((), sem.settle(locked, held))
            },
            sem.settle_on(),
        );
        // Permits given back may be free now: let the watchers look, after
        // the lock is released (waker code runs here). Relaxed: a load after
        // our own read-modify-write reads it or a later value, so it sees
        // the mark of any watcher that looked before the permits came back
        // (one that looked after saw them); the hook's read-modify-write
        // does the ordering.
        if sem.state.load(Relaxed) & WATCHED != 0 {
            sem.wake_watchers();
        }
    }
}

/// The future returned by [`Semaphore::acquire`] and
/// [`Semaphore::acquire_many`]; resolves to a [`SemaphoreGuard`], or
/// [`Closed`].
///
/// It carries its wait-list node, in every tier, and is `!Unpin` (`.await`
/// pins it).
///
/// # Examples
///
/// ```
/// use turnstile_sync::{futures::Acquire, Semaphore};
/// # futures_lite::future::block_on(async {
/// let sem = Semaphore::new(2);
/// let future: Acquire<'_> = sem.acquire_many(2);
/// assert_eq!(future.await.unwrap().permits(), 2);
/// # });
/// ```
#[must_use = "futures do nothing unless .awaited or polled"]
pub struct Acquire<'a>(pub(super) AcquireInner<&'a Semaphore>);

impl<'a> Future for Acquire<'a> {
    type Output = Result<SemaphoreGuard<'a>, Closed>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pin projection to the only field.
        unsafe { self.map_unchecked_mut(|f| &mut f.0) }.poll_guard(cx, SemaphoreGuard::new)
    }
}

/// Terminated once it has resolved: polling it again would panic.
/// (`futures-core` feature.)
#[cfg(feature = "futures-core")]
#[cfg_attr(docsrs, doc(cfg(feature = "futures-core")))]
impl futures_core::FusedFuture for Acquire<'_> {
    #[inline]
    fn is_terminated(&self) -> bool {
        self.0.sem.is_none()
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("permits", &self.0.n)
            .finish_non_exhaustive()
    }
}

/// The future returned by [`Semaphore::acquire_arc`] and
/// [`Semaphore::acquire_many_arc`]; resolves to a [`SemaphoreGuardArc`], or
/// [`Closed`]. It owns a clone of the `Arc`, so it is `'static`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use turnstile_sync::{futures::AcquireArc, Semaphore};
/// # futures_lite::future::block_on(async {
/// let sem = Arc::new(Semaphore::new(1));
/// let future: AcquireArc = sem.acquire_arc();
/// assert_eq!(future.await.unwrap().permits(), 1);
/// # });
/// ```
#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
#[must_use = "futures do nothing unless .awaited or polled"]
pub struct AcquireArc(pub(super) AcquireInner<Arc<Semaphore>>);

#[cfg(feature = "alloc")]
impl Future for AcquireArc {
    type Output = Result<SemaphoreGuardArc, Closed>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pin projection to the only field.
        unsafe { self.map_unchecked_mut(|f| &mut f.0) }.poll_guard(cx, SemaphoreGuardArc::new)
    }
}

#[cfg(feature = "alloc")]
/// Terminated once it has resolved: polling it again would panic.
/// (`futures-core` feature.)
#[cfg(feature = "futures-core")]
#[cfg_attr(docsrs, doc(cfg(feature = "futures-core")))]
impl futures_core::FusedFuture for AcquireArc {
    #[inline]
    fn is_terminated(&self) -> bool {
        self.0.sem.is_none()
    }
}

#[cfg(feature = "alloc")]
impl fmt::Debug for AcquireArc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcquireArc")
            .field("permits", &self.0.n)
            .finish_non_exhaustive()
    }
}
