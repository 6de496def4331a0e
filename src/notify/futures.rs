//! [`Notified`]: the future of a [`Notify`] wait.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use crate::wait::{DataWaiter, Left};

use super::{Notify, GEN_MASK, ONE, PERMIT, WAITING};

/// Phases of a [`Notified`], kept in the low bits of its `tag`.
/// Created, neither polled nor enabled.
pub(super) const INIT: usize = 0;
/// In the queue (its waiter is registered).
const QUEUED: usize = 1;
/// Notified: polls return `Ready`.
const DONE: usize = 2;
const PHASE: usize = PERMIT | WAITING;

/// The future returned by [`Notify::notified`]; completes when notified.
///
/// Once complete it stays complete: polling it again returns `Ready`. It
/// carries its wait-list node, in every tier, and is `!Unpin` (`.await`
/// pins it for you; pin it with [`core::pin::pin!`] to call [`enable`](Self::enable)).
///
/// # Cancel safety
///
/// See [`Notify::notified`]: dropping it is safe at any point, and a
/// `notify_one` it had received but not returned is passed on.
///
/// # Examples
///
/// ```
/// use turnstile_sync::{Notified, Notify};
/// # futures_lite::future::block_on(async {
/// let notify = Notify::new();
/// notify.notify_one();
/// let future: Notified<'_> = notify.notified();
/// future.await;
/// # });
/// ```
#[must_use = "futures do nothing unless .awaited or polled"]
pub struct Notified<'a> {
    pub(super) notify: &'a Notify,
    pub(super) waiter: DataWaiter,
    /// The generation (`state & GEN_MASK`) when the future was created, and
    /// in the two low bits (always clear there) the phase.
    pub(super) tag: usize,
}

impl Notified<'_> {
    /// Joins the queue of waiters now, without waiting, so that a
    /// [`notify_one`](Notify::notify_one) from here on wakes this future.
    /// Returns `true` if it is notified already — a permit was stored (it is
    /// taken), a `notify_waiters` came since it was created, or it was
    /// woken — and then the next poll completes at once.
    ///
    /// This is the check-then-wait pattern without a lost wakeup: enable,
    /// *then* check the condition, then await. A notification sent after
    /// the check was registered for; one sent before it is seen by the
    /// check. Polling also registers, so `enable` is only needed before the
    /// first poll. It stores no waker: the first poll does.
    ///
    /// # Examples
    ///
    /// A consumer of a queue that one producer fills and several consumers
    /// drain:
    ///
    /// ```
    /// use std::collections::VecDeque;
    /// use std::pin::pin;
    /// use turnstile_sync::{Mutex, Notify};
    ///
    /// async fn pop(queue: &Mutex<VecDeque<u32>>, notify: &Notify) -> u32 {
    ///     loop {
    ///         let mut notified = pin!(notify.notified());
    ///         // Register first…
    ///         notified.as_mut().enable();
    ///         // …then check: a push after this check notifies us.
    ///         if let Some(item) = queue.lock().await.pop_front() {
    ///             return item;
    ///         }
    ///         notified.await;
    ///     }
    /// }
    ///
    /// # futures_lite::future::block_on(async {
    /// let (queue, notify) = (Mutex::new(VecDeque::new()), Notify::new());
    /// let producer = async {
    ///     queue.lock().await.push_back(7);
    ///     notify.notify_one();
    /// };
    /// let (item, ()) = futures_lite::future::zip(pop(&queue, &notify), producer).await;
    /// assert_eq!(item, 7);
    /// # });
    /// ```
    pub fn enable(self: Pin<&mut Self>) -> bool {
        self.poll_inner(None).is_ready()
    }

    /// The generation the future was created under.
    #[inline]
    fn gen(&self) -> usize {
        self.tag & GEN_MASK
    }

    #[inline]
    fn phase(&self) -> usize {
        self.tag & PHASE
    }

    #[inline]
    fn set_phase(&mut self, phase: usize) {
        self.tag = self.gen() | phase;
    }

    /// `poll` with a waker, `enable` without. The uncontended first poll is
    /// inline; all else is out of line.
    #[inline(always)]
    fn poll_inner(self: Pin<&mut Self>, cx: Option<&mut Context<'_>>) -> Poll<()> {
        // SAFETY: nothing is moved; `waiter` is re-pinned before use, the
        // other fields are plain data, not structurally pinned.
        let this = unsafe { self.get_unchecked_mut() };
        match this.phase() {
            DONE => return Poll::Ready(()),
            INIT if this.notify.try_complete(this.gen()) => {
                this.set_phase(DONE);
                return Poll::Ready(());
            }
            _ => {}
        }
        // SAFETY: the future is pinned (we were called through `Pin`), and
        // `this` is not used again.
        unsafe { Pin::new_unchecked(this) }.poll_slow(cx)
    }

    /// Registers (phase `INIT`) or checks the registration (`QUEUED`).
    #[cold]
    #[inline(never)]
    fn poll_slow(self: Pin<&mut Self>, cx: Option<&mut Context<'_>>) -> Poll<()> {
        // SAFETY: `waiter` is re-pinned at once and never moved; the other
        // fields are plain data.
        let this = unsafe { self.get_unchecked_mut() };
        let notify = this.notify;
        let gen = this.gen();
        // SAFETY: `this.waiter` is inside the pinned future.
        let mut waiter = unsafe { Pin::new_unchecked(&mut this.waiter) };
        if this.tag & PHASE == INIT {
            // Clone the waker before the lock, so no waker code runs under
            // it.
            let waker: Option<Waker> = cx.as_ref().map(|cx| cx.waker().clone());
            let (done, unused) = notify.queue.with(|locked| {
                // The register-then-recheck step, both under the lock.
                if notify.complete_or_mark_waiting(gen) {
                    return (true, waker);
                }
                waiter.as_mut().push_back(locked, gen);
                match waker {
                    // `Err` (finished already) cannot happen: only lock
                    // holders finish waiters. Then the poll below sees it.
                    Some(waker) => (false, waiter.as_mut().park(locked, waker).err()),
                    None => (false, None),
                }
            });
            let parked = cx.is_some() && unused.is_none();
            // Outside the lock: dropping a waker runs waker code.
            drop(unused);
            if done {
                this.tag = gen | DONE;
                return Poll::Ready(());
            }
            this.tag = gen | QUEUED;
            if parked {
                // Whoever finishes us wakes the waker.
                return Poll::Pending;
            }
        }
        let finished = match cx {
            Some(cx) => waiter.poll(&notify.queue, cx).is_ready(),
            None => waiter.take_finished().is_some(),
        };
        if finished {
            this.tag = gen | DONE;
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Future for Notified<'_> {
    type Output = ();

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.poll_inner(Some(cx))
    }
}

impl Drop for Notified<'_> {
    #[inline]
    fn drop(&mut self) {
        if self.waiter.is_registered() {
            self.cancel();
        }
    }
}

impl Notified<'_> {
    /// Leaves the queue; a `notify_one` received and not returned goes to
    /// the next waiter, or becomes the stored permit, in the same critical
    /// section.
    #[cold]
    fn cancel(&mut self) {
        let notify = self.notify;
        // SAFETY: `drop` is the last use of the future, which was pinned when
        // it was polled or enabled (that is how it registered); `waiter` is
        // not moved.
        let waiter = unsafe { Pin::new_unchecked(&mut self.waiter) };
        waiter.leave(
            &notify.queue,
            |locked, left| {
                match left {
                    Left::Done(ONE, _) => notify.wake_one(locked),
                    // Woken by `notify_waiters`: every waiter got its own.
                    Left::Done(_, _) => {}
                    Left::Queued(_) => notify.queue_changed(locked),
                }
                ((), false)
            },
            |_| false,
        );
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Notified { .. }")
    }
}
