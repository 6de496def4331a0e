//! [`Semaphore::wait_available`]: wait until `n` permits are free without
//! taking them. Watchers wait in the shared watchers' queue
//! (`wait::watchers`), never in the semaphore's own queue, and mark
//! `WATCHED`; a release, `add_permits`, a cancelled waiter giving permits
//! back, or `close` that finds the mark clears it and notifies them.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use super::{check_request, free, Closed, Semaphore, CLOSED};
use crate::shim::Ordering::{AcqRel, Acquire};
use crate::wait::{leave_watcher, poll_watcher, watchers, Hook, Waiter};

/// State bit: a watcher may be waiting (see the module docs of
/// `semaphore`).
pub(super) const WATCHED: usize = 1 << 2;

/// How a release that finds `WATCHED` reaches the watchers (installed by
/// the first `wait_available`; see `wait::Hook`): through a pointer, so that
/// firmware that never watches links none of it.
static WAKE_WATCHERS: Hook = Hook::new();

/// The hook: clears `WATCHED` and, if it was set, notifies every watcher.
fn wake_watchers(sem: *const ()) {
    // SAFETY: `Semaphore::wake_watchers`, the only caller (through the
    // hook), passes a live `&Semaphore`.
    let sem = unsafe { &*sem.cast::<Semaphore>() };
    // AcqRel: Acquire makes the registration of a watcher whose
    // read-modify-write set the mark visible to the notify; nothing is
    // published through it.
    if sem.state.fetch_and(!WATCHED, AcqRel) & WATCHED != 0 {
        watchers(sem).notify(usize::MAX);
    }
}

impl Semaphore {
    /// After a change that found `WATCHED` set: let the watchers look.
    #[inline]
    pub(super) fn wake_watchers(&self) {
        WAKE_WATCHERS.call(self);
    }

    /// Waits until at least `n` permits are free, without taking them:
    /// async-mutex's `waitForUnlock(weight)`. Ready at once if they are.
    ///
    /// A snapshot: `n` permits were free when the future looked; another
    /// task may take them right after. Permits set aside for a queued
    /// waiter are not free, so while waiters are queued this waits until
    /// they have been served.
    ///
    /// # Errors
    ///
    /// [`Closed`] if the semaphore is or becomes closed first.
    ///
    /// # Panics
    ///
    /// If `n` is more than [`MAX_PERMITS`](Self::MAX_PERMITS).
    ///
    /// # Fairness
    ///
    /// It is not a waiter: it does not queue with
    /// [`acquire`](Self::acquire), and never receives (so can never take
    /// away) a grant or wakeup meant for a waiter.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future at any point is safe and changes nothing for
    /// anyone else.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::Semaphore;
    /// # futures_lite::future::block_on(async {
    /// let sem = Semaphore::new(2);
    /// let held = sem.acquire_many(2).await.unwrap();
    /// let watcher = async { sem.wait_available(2).await.map(|()| sem.available_permits()) };
    /// let releaser = async move { drop(held) };
    /// let (seen, ()) = futures_lite::future::zip(watcher, releaser).await;
    /// assert_eq!(seen, Ok(2));
    /// # });
    /// ```
    #[inline]
    #[track_caller]
    pub fn wait_available(&self, n: usize) -> WaitAvailable<'_> {
        check_request(n);
        WaitAvailable {
            sem: self,
            n,
            waiter: Waiter::new(),
            done: false,
        }
    }

    /// `Some` once the word shows the semaphore closed or `n` permits free.
    #[inline]
    fn available(state: usize, n: usize) -> Option<Result<(), Closed>> {
        if state & CLOSED != 0 {
            Some(Err(Closed))
        } else if free(state) >= n {
            Some(Ok(()))
        } else {
            None
        }
    }
}

/// The future returned by [`Semaphore::wait_available`]; resolves once the
/// permits were seen free, or [`Closed`].
///
/// It carries its wait-list node, in every tier, and is `!Unpin` (`.await`
/// pins it for you).
///
/// # Examples
///
/// ```
/// use turnstile_sync::{futures::WaitAvailable, Semaphore};
/// # futures_lite::future::block_on(async {
/// let sem = Semaphore::new(1);
/// let future: WaitAvailable<'_> = sem.wait_available(1);
/// assert_eq!(future.await, Ok(()));
/// assert_eq!(sem.available_permits(), 1); // nothing taken
/// # });
/// ```
#[must_use = "futures do nothing unless .awaited or polled"]
pub struct WaitAvailable<'a> {
    sem: &'a Semaphore,
    n: usize,
    waiter: Waiter,
    done: bool,
}

impl Future for WaitAvailable<'_> {
    type Output = Result<(), Closed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        // SAFETY: `waiter` is re-pinned at once and never moved; the other
        // fields are plain data, not structurally pinned.
        let this = unsafe { self.get_unchecked_mut() };
        assert!(
            !this.done,
            "turnstile-sync: wait_available future polled after it completed"
        );
        // SAFETY: `this.waiter` is inside the pinned future.
        let waiter = unsafe { Pin::new_unchecked(&mut this.waiter) };
        let (sem, n) = (this.sem, this.n);
        let addr = (sem as *const Semaphore).cast();
        let poll = poll_watcher(addr, &WAKE_WATCHERS, wake_watchers, waiter, cx, |mark| {
            // Orderings: see `poll_watcher`.
            let state = if mark {
                sem.state.fetch_or(WATCHED, AcqRel)
            } else {
                sem.state.load(Acquire)
            };
            Semaphore::available(state, n)
        });
        this.done = poll.is_ready();
        poll
    }
}

impl Drop for WaitAvailable<'_> {
    fn drop(&mut self) {
        // SAFETY: `drop` is the last use of the future, which was pinned when
        // it was polled; `waiter` is not moved.
        let waiter = unsafe { Pin::new_unchecked(&mut self.waiter) };
        leave_watcher((self.sem as *const Semaphore).cast(), waiter);
    }
}

impl fmt::Debug for WaitAvailable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitAvailable")
            .field("permits", &self.n)
            .finish_non_exhaustive()
    }
}
