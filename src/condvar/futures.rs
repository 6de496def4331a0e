//! The futures of a [`Condvar`] wait: [`CondvarWait`], [`WaitTimeout`],
//! [`WaitUntil`] and [`WaitUntilTimeout`], and the cores they share.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use crate::mutex::{Lock, Mutex, MutexGuard};
use crate::wait::Waiter;

use super::Condvar;

enum Phase<'a, T: ?Sized> {
    /// Not polled yet: still holds the caller's guard.
    Start(MutexGuard<'a, T>),
    /// Registered in the condvar's queue, the mutex unlocked.
    Waiting,
    /// Re-locking, after a notification (`notified`) or after the signal
    /// fired first. The lock future is structurally pinned.
    Locking { lock: Lock<'a, T>, notified: bool },
    /// Resolved (or, inside a [`WaitUntil`], not started).
    Done,
}

/// The signal of an untimed wait: it never fires.
pub(super) struct Never;

impl Future for Never {
    type Output = ();

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

/// The one wait state machine behind [`CondvarWait`] (signal [`Never`]) and
/// [`WaitTimeout`]: unlock, wait for a notification or the signal, re-lock.
/// Resolves to the guard and whether the signal ended the wait.
pub(super) struct WaitCore<'a, T: ?Sized, S> {
    condvar: &'a Condvar,
    mutex: &'a Mutex<T>,
    waiter: Waiter,
    phase: Phase<'a, T>,
    /// Structurally pinned. Polled only while `Waiting`, so never again
    /// once it fired.
    signal: S,
}

impl<'a, T: ?Sized, S> WaitCore<'a, T, S> {
    pub(super) fn new(condvar: &'a Condvar, guard: MutexGuard<'a, T>, signal: S) -> Self {
        Self {
            condvar,
            mutex: MutexGuard::source(&guard),
            waiter: Waiter::new(),
            phase: Phase::Start(guard),
            signal,
        }
    }

    /// Not started: for a [`WaitUntil`], which checks its condition first.
    fn idle(condvar: &'a Condvar, mutex: &'a Mutex<T>, signal: S) -> Self {
        Self {
            condvar,
            mutex,
            waiter: Waiter::new(),
            phase: Phase::Done,
            signal,
        }
    }
}

impl<'a, T: ?Sized, S: Future> WaitCore<'a, T, S> {
    fn poll_wait(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<(MutexGuard<'a, T>, bool)> {
        // SAFETY: `waiter`, `signal` and the lock future in `phase` are
        // re-pinned before use and never moved out; the phase is only
        // replaced by assignment, which drops the old value in place.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: `this.waiter` is inside the pinned future.
        let mut waiter = unsafe { Pin::new_unchecked(&mut this.waiter) };
        let queue = &this.condvar.queue;

        // On the first poll the waiter has just registered with this
        // poll's waker, so there is nothing to look for in its node yet: a
        // notification from then on wakes that waker.
        let started = matches!(this.phase, Phase::Start(_));
        if started {
            // Join the queue *before* unlocking: a notify after the unlock
            // then finds this waiter (see the module docs).
            waiter.as_mut().register(queue, cx.waker());
            // Dropping the guard unlocks.
            this.phase = Phase::Waiting;
        }
        if let Phase::Waiting = this.phase {
            let polled = if started {
                Poll::Pending
            } else {
                waiter.as_mut().poll_notified(queue, cx)
            };
            let notified = match polled {
                Poll::Ready(()) => true,
                Poll::Pending => {
                    // SAFETY: `this.signal` is inside the pinned future.
                    let signal = unsafe { Pin::new_unchecked(&mut this.signal) };
                    if signal.poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    // The signal fired. Leave the queue; a notification
                    // that arrived meanwhile wins (the wait consumes it and
                    // did not time out), so it is kept, not passed on.
                    waiter.as_mut().withdraw(queue)
                }
            };
            this.phase = Phase::Locking {
                lock: this.mutex.lock(),
                notified,
            };
        }
        match &mut this.phase {
            Phase::Locking { lock, notified } => {
                let timed_out = !*notified;
                // SAFETY: the lock future lives inside the pinned future and
                // is dropped in place (by the assignment below or by drop).
                let lock = unsafe { Pin::new_unchecked(lock) };
                match lock.poll(cx) {
                    Poll::Ready(guard) => {
                        this.phase = Phase::Done;
                        Poll::Ready((guard, timed_out))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
            _ => panic!("turnstile-sync: condvar wait future polled after it completed"),
        }
    }
}

impl<T: ?Sized, S> Drop for WaitCore<'_, T, S> {
    fn drop(&mut self) {
        // SAFETY: `drop` is the last use of the future, which was pinned when
        // it was polled; `waiter` is not moved.
        let waiter = unsafe { Pin::new_unchecked(&mut self.waiter) };
        if waiter.is_registered() {
            // Cancel, not withdraw: a notification we received and did not
            // consume goes to one other waiter (see the module docs).
            waiter.cancel(&self.condvar.queue);
        } else if let Phase::Locking { notified: true, .. } = self.phase {
            // Notified, but dropped while re-locking: the caller never saw
            // the wakeup, so hand it on as if we had not consumed it, or a
            // `select!` that drops this future while the mutex is contended
            // would swallow a `notify_one`. At worst a spurious wakeup. (A
            // wait the signal ended holds no notification.)
            self.condvar.queue.notify_additional(1);
        }
        // A guard (`Start`) or lock future (`Locking`) left in `phase` is
        // dropped after this, unlocking or leaving the mutex's queue.
    }
}

/// The future returned by [`Condvar::wait`]; resolves to the re-acquired
/// [`MutexGuard`]. `Send` iff `T: Send`.
///
/// It carries its wait-list node, in every tier, and is `!Unpin` (`.await`
/// pins it for you).
///
/// # Examples
///
/// ```
/// use turnstile_sync::{Condvar, CondvarWait, Mutex};
/// let (mutex, condvar) = (Mutex::new(()), Condvar::new());
/// let future: CondvarWait<'_, ()> = condvar.wait(mutex.try_lock().unwrap());
/// drop(future); // unlocks
/// assert!(!mutex.is_locked());
/// ```
#[must_use = "futures do nothing unless .awaited or polled"]
pub struct CondvarWait<'a, T: ?Sized>(pub(super) WaitCore<'a, T, Never>);

impl<'a, T: ?Sized> Future for CondvarWait<'a, T> {
    type Output = MutexGuard<'a, T>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<MutexGuard<'a, T>> {
        // SAFETY: structural pin projection to the only field.
        let core = unsafe { self.map_unchecked_mut(|wait| &mut wait.0) };
        core.poll_wait(cx).map(|(guard, _)| guard)
    }
}

impl<T: ?Sized> fmt::Debug for CondvarWait<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CondvarWait { .. }")
    }
}

/// The future returned by [`Condvar::wait_timeout`]; resolves to the
/// re-acquired [`MutexGuard`] and whether the signal ended the wait.
///
/// # Examples
///
/// ```
/// use turnstile_sync::{futures::WaitTimeout, Condvar, Mutex};
/// # futures_lite::future::block_on(async {
/// let (mutex, condvar) = (Mutex::new(()), Condvar::new());
/// let future: WaitTimeout<'_, (), _> = condvar.wait_timeout(mutex.lock().await, async {});
/// let (_guard, result) = future.await;
/// assert!(result.timed_out());
/// # });
/// ```
#[must_use = "futures do nothing unless .awaited or polled"]
pub struct WaitTimeout<'a, T: ?Sized, S>(pub(super) WaitCore<'a, T, S>);

impl<'a, T: ?Sized, S: Future> Future for WaitTimeout<'a, T, S> {
    type Output = (MutexGuard<'a, T>, WaitTimeoutResult);

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pin projection to the only field.
        let core = unsafe { self.map_unchecked_mut(|wait| &mut wait.0) };
        core.poll_wait(cx)
            .map(|(guard, timed_out)| (guard, WaitTimeoutResult(timed_out)))
    }
}

impl<T: ?Sized, S> fmt::Debug for WaitTimeout<'_, T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WaitTimeout { .. }")
    }
}

/// Whether a timed condvar wait ended because its deadline (signal) came:
/// what [`Condvar::wait_timeout`] and its relatives return beside the guard,
/// as std's `WaitTimeoutResult`.
///
/// # Examples
///
/// ```
/// use turnstile_sync::{Condvar, Mutex};
/// # futures_lite::future::block_on(async {
/// let (mutex, condvar) = (Mutex::new(0), Condvar::new());
/// let (guard, result) = condvar.wait_until_timeout(mutex.lock().await, |v| *v == 0, async {}).await;
/// assert!(!result.timed_out()); // the condition held at once
/// # drop(guard);
/// # });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// `true` if the wait ended because the deadline came, without a
    /// notification (for the `wait_until` forms: with the condition still
    /// false).
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{Condvar, Mutex};
    /// # futures_lite::future::block_on(async {
    /// let (mutex, condvar) = (Mutex::new(()), Condvar::new());
    /// let (_guard, result) = condvar.wait_timeout(mutex.lock().await, async {}).await;
    /// assert!(result.timed_out());
    /// # });
    /// ```
    #[inline]
    pub fn timed_out(&self) -> bool {
        self.0
    }
}

/// The one condition loop behind [`WaitUntil`] and [`WaitUntilTimeout`]:
/// check, wait, check again. Resolves to the guard and whether the signal
/// ended it with the condition still false.
pub(super) struct UntilCore<'a, T: ?Sized, F, S> {
    /// The current wait; `Phase::Done` while the condition is being checked.
    wait: WaitCore<'a, T, S>,
    /// The guard to check the condition with, between waits.
    guard: Option<MutexGuard<'a, T>>,
    /// The last wait ended by the signal: check once more, then give up.
    timed_out: bool,
    /// Not structurally pinned: only ever used through `&mut`.
    condition: F,
}

impl<'a, T: ?Sized, F, S> UntilCore<'a, T, F, S> {
    pub(super) fn new(condvar: &'a Condvar, guard: MutexGuard<'a, T>, condition: F, signal: S) -> Self {
        Self {
            wait: WaitCore::idle(condvar, MutexGuard::source(&guard), signal),
            guard: Some(guard),
            timed_out: false,
            condition,
        }
    }
}

impl<'a, T: ?Sized, F, S> UntilCore<'a, T, F, S>
where
    F: FnMut(&mut T) -> bool,
    S: Future,
{
    fn poll_until(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<(MutexGuard<'a, T>, bool)> {
        // SAFETY: `wait` is re-pinned below and only replaced in place;
        // `guard`, `timed_out` and `condition` are not structurally pinned.
        let this = unsafe { self.get_unchecked_mut() };
        loop {
            if let Some(mut guard) = this.guard.take() {
                // If the condition panics, the guard is dropped: unlocked.
                if (this.condition)(&mut guard) {
                    return Poll::Ready((guard, false));
                }
                if this.timed_out {
                    return Poll::Ready((guard, true));
                }
                // Start a wait in place: the finished one (`Done`, not
                // registered) is dropped where it lies.
                this.wait.phase = Phase::Start(guard);
            }
            // SAFETY: `this.wait` is inside the pinned future.
            let wait = unsafe { Pin::new_unchecked(&mut this.wait) };
            match wait.poll_wait(cx) {
                Poll::Ready((guard, timed_out)) => {
                    this.guard = Some(guard);
                    this.timed_out = timed_out;
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// The future returned by [`Condvar::wait_until`]; resolves to the
/// re-acquired [`MutexGuard`] once the condition holds. `Send` iff `T: Send`
/// and `F: Send`.
///
/// # Examples
///
/// ```
/// use turnstile_sync::{Condvar, Mutex, WaitUntil};
/// # futures_lite::future::block_on(async {
/// let (mutex, condvar) = (Mutex::new(1), Condvar::new());
/// let future: WaitUntil<'_, i32, _> = condvar.wait_until(mutex.lock().await, |v| *v == 1);
/// assert_eq!(*future.await, 1); // held already: no wait
/// # });
/// ```
#[must_use = "futures do nothing unless .awaited or polled"]
pub struct WaitUntil<'a, T: ?Sized, F>(pub(super) UntilCore<'a, T, F, Never>);

impl<'a, T: ?Sized, F> Future for WaitUntil<'a, T, F>
where
    F: FnMut(&mut T) -> bool,
{
    type Output = MutexGuard<'a, T>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<MutexGuard<'a, T>> {
        // SAFETY: structural pin projection to the only field.
        let core = unsafe { self.map_unchecked_mut(|wait| &mut wait.0) };
        core.poll_until(cx).map(|(guard, _)| guard)
    }
}

impl<T: ?Sized, F> fmt::Debug for WaitUntil<'_, T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WaitUntil { .. }")
    }
}

/// The future returned by [`Condvar::wait_until_timeout`]; resolves to the
/// re-acquired [`MutexGuard`] once the condition holds, or once the signal
/// came with the condition still false.
///
/// # Examples
///
/// ```
/// use turnstile_sync::{futures::WaitUntilTimeout, Condvar, Mutex};
/// # futures_lite::future::block_on(async {
/// let (mutex, condvar) = (Mutex::new(1), Condvar::new());
/// let future: WaitUntilTimeout<'_, i32, _, _> =
///     condvar.wait_until_timeout(mutex.lock().await, |v| *v == 2, async {});
/// let (guard, result) = future.await;
/// assert!(result.timed_out() && *guard == 1);
/// # });
/// ```
#[must_use = "futures do nothing unless .awaited or polled"]
pub struct WaitUntilTimeout<'a, T: ?Sized, F, S>(pub(super) UntilCore<'a, T, F, S>);

impl<'a, T: ?Sized, F, S> Future for WaitUntilTimeout<'a, T, F, S>
where
    F: FnMut(&mut T) -> bool,
    S: Future,
{
    type Output = (MutexGuard<'a, T>, WaitTimeoutResult);

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pin projection to the only field.
        let core = unsafe { self.map_unchecked_mut(|wait| &mut wait.0) };
        core.poll_until(cx)
            .map(|(guard, timed_out)| (guard, WaitTimeoutResult(timed_out)))
    }
}

impl<T: ?Sized, F, S> fmt::Debug for WaitUntilTimeout<'_, T, F, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WaitUntilTimeout { .. }")
    }
}
