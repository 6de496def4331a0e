//! [`Latch`]: a count-down that opens once and stays open.
//!
//! # State word
//!
//! The whole word is the count. It only goes down, by compare-exchange, and
//! never below zero; the count-down that reaches zero notifies every waiter.
//! Zero is final, so a waiter that sees zero is done.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use crate::shim::{const_fn, AtomicUsize, Ordering::*};
use crate::wait::{InlineWaitQueue, Waiter};

/// A count-down latch: tasks [`wait`](Self::wait) until the count, set at
/// creation, has been [counted down](Self::count_down) to zero. Then the
/// latch is open for good: every waiter is released, and later waits return
/// at once. It cannot be reset.
///
/// Like C++'s `std::latch`, Java's `CountDownLatch`, or a Go `WaitGroup`
/// used to wait for a known number of jobs to settle. `const`, so it can be
/// a `static`; no heap in the bare tier.
///
/// # Examples
///
/// ```
/// use turnstile_sync::Latch;
///
/// static READY: Latch = Latch::new(2);
///
/// # futures_lite::future::block_on(async {
/// READY.count_down();
/// assert!(!READY.try_wait());
/// READY.count_down();
/// READY.wait().await;
/// assert!(READY.try_wait());
/// # });
/// ```
pub struct Latch {
    count: AtomicUsize,
    queue: InlineWaitQueue,
}

impl Latch {
    const_fn! {
        /// Creates a latch that opens after `count` count-downs. `new(0)` is
        /// open already.
        ///
        /// # Examples
        ///
        /// ```
        /// static DONE: turnstile_sync::Latch = turnstile_sync::Latch::new(3);
        /// assert!(turnstile_sync::Latch::new(0).try_wait());
        /// ```
        pub const fn new(count: usize) -> Self {
            Self {
                count: AtomicUsize::new(count),
                queue: InlineWaitQueue::new(),
            }
        }
    }

    /// Counts down by one; the count-down that reaches zero opens the latch
    /// and wakes every waiter.
    ///
    /// # Panics
    ///
    /// If the latch is open already (the count is zero): counting down past
    /// zero is a bug in the caller. The count stays zero.
    ///
    /// With the panic of a waiter's waker that panics when this opens the
    /// latch, once every other waiter has been woken; the latch is open
    /// regardless (see [Wakers](crate#wakers)).
    ///
    /// # Examples
    ///
    /// ```
    /// let latch = turnstile_sync::Latch::new(1);
    /// latch.count_down();
    /// assert!(latch.try_wait());
    /// ```
    #[inline]
    #[track_caller]
    pub fn count_down(&self) {
        self.count_down_by(1);
    }

    /// Counts down by `n` at once; if that reaches zero, opens the latch and
    /// wakes every waiter. `count_down_by(0)` does nothing.
    ///
    /// # Panics
    ///
    /// If `n` is more than the count left: counting down past zero is a bug
    /// in the caller. The count is left as it was.
    ///
    /// As [`count_down`](Self::count_down), if a waiter's waker panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let latch = turnstile_sync::Latch::new(5);
    /// latch.count_down_by(3);
    /// assert_eq!(latch.count(), 2);
    /// latch.count_down_by(2);
    /// assert!(latch.try_wait());
    /// ```
    #[track_caller]
    pub fn count_down_by(&self, n: usize) {
        // Relaxed: a guess for the compare-exchange, which does the ordering.
        let mut count = self.count.load(Relaxed);
        loop {
            let Some(next) = count.checked_sub(n) else {
                panic!(
                    "turnstile-sync: Latch counted down by {n} with a count of {count}: \
                     a latch cannot count down past zero"
                );
            };
            if n == 0 {
                return;
            }
            // AcqRel. Release: our writes from before the count-down reach
            // every waiter that sees the count at zero (the count-downs are a
            // release sequence of read-modify-writes). Acquire: when this
            // reaches zero, a waiter's registration that came before its
            // re-check read-modify-write is visible, so the notify finds it.
            // Relaxed on failure: we retry.
            match self
                .count
                .compare_exchange_weak(count, next, AcqRel, Relaxed)
            {
                Ok(_) => {
                    if next == 0 {
                        self.queue.notify(usize::MAX);
                    }
                    return;
                }
                Err(now) => count = now,
            }
        }
    }

    /// The count left: a snapshot, zero once the latch is open.
    ///
    /// # Examples
    ///
    /// ```
    /// let latch = turnstile_sync::Latch::new(2);
    /// latch.count_down();
    /// assert_eq!(latch.count(), 1);
    /// ```
    #[inline]
    pub fn count(&self) -> usize {
        // Acquire: a caller that sees zero may rely on it as on `try_wait`.
        self.count.load(Acquire)
    }

    /// Whether the latch is open (the count reached zero). If so, everything
    /// done before each count-down is visible to the caller.
    ///
    /// # Examples
    ///
    /// ```
    /// let latch = turnstile_sync::Latch::new(1);
    /// assert!(!latch.try_wait());
    /// latch.count_down();
    /// assert!(latch.try_wait());
    /// ```
    #[inline]
    pub fn try_wait(&self) -> bool {
        // Acquire: reads the last count-down (or a later re-check, which
        // continues its release sequence), so the caller sees the writes of
        // every count-down.
        self.count.load(Acquire) == 0
    }

    /// Waits until the latch is open. Returns at once if it is.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future at any point is safe and changes nothing: it only
    /// leaves the queue (every waiter is woken on opening, so it holds no
    /// wakeup another waiter needs).
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let latch = turnstile_sync::Latch::new(1);
    /// let (_, ()) = futures_lite::future::zip(async { latch.count_down() }, latch.wait()).await;
    /// # });
    /// ```
    #[inline]
    pub fn wait(&self) -> LatchWait<'_> {
        LatchWait {
            latch: self,
            waiter: Waiter::new(),
            done: false,
        }
    }

    /// Counts down by one, then waits until the latch is open: for tasks that
    /// are themselves among those the latch waits for.
    ///
    /// The count-down happens here, when `arrive_and_wait` is called, not
    /// when the future is first polled.
    ///
    /// # Panics
    ///
    /// As [`count_down`](Self::count_down), if the latch is open already.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future is safe, but does not undo the count-down: only
    /// the waiting is cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let latch = turnstile_sync::Latch::new(2);
    /// futures_lite::future::zip(latch.arrive_and_wait(), latch.arrive_and_wait()).await;
    /// assert!(latch.try_wait());
    /// # });
    /// ```
    #[track_caller]
    pub fn arrive_and_wait(&self) -> ArriveAndWait<'_> {
        self.count_down();
        ArriveAndWait(self.wait())
    }

    /// Blocks the current thread until the latch is open. For code on plain
    /// threads; in async code use [`wait`](Self::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let latch = Arc::new(turnstile_sync::Latch::new(1));
    /// let l = latch.clone();
    /// std::thread::spawn(move || l.count_down());
    /// latch.wait_blocking();
    /// assert!(latch.try_wait());
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn wait_blocking(&self) {
        if self.try_wait() {
            return;
        }
        crate::wait::block::block_on(self.wait());
    }
}

impl fmt::Debug for Latch {
    /// Shows the count left.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Latch")
            .field("count", &self.count())
            .finish()
    }
}

/// The future returned by [`Latch::wait`]; resolves once the latch is open.
///
/// It carries its wait-list node, in every tier, and is `!Unpin` (`.await`
/// pins it for you).
///
/// # Examples
///
/// ```
/// use turnstile_sync::{Latch, LatchWait};
/// # futures_lite::future::block_on(async {
/// let latch = Latch::new(0);
/// let future: LatchWait<'_> = latch.wait();
/// future.await;
/// # });
/// ```
#[must_use = "futures do nothing unless .awaited or polled"]
pub struct LatchWait<'a> {
    latch: &'a Latch,
    waiter: Waiter,
    done: bool,
}

impl Future for LatchWait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: `waiter` is re-pinned at once and never moved; the other
        // fields are plain data, not structurally pinned.
        let this = unsafe { self.get_unchecked_mut() };
        assert!(
            !this.done,
            "turnstile-sync: latch wait future polled after it completed"
        );
        // SAFETY: `this.waiter` is inside the pinned future.
        let mut waiter = unsafe { Pin::new_unchecked(&mut this.waiter) };
        let latch = this.latch;

        if !waiter.is_registered() && latch.try_wait() {
            this.done = true;
            return Poll::Ready(());
        }
        if waiter.is_registered() {
            // Open is final, so a waiter that sees it is done, notified
            // or not: it does not depend on a wakeup reaching it (the
            // notify-all that opened the latch may have been cut short
            // by a panicking waker). The notification, if any, is
            // dropped: nobody else needs it.
            if latch.try_wait() {
                waiter.as_mut().withdraw(&latch.queue);
                this.done = true;
                return Poll::Ready(());
            }
            match waiter.as_mut().poll_notified(&latch.queue, cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(()) => {}
            }
            // Only the count-down to zero notifies, and zero is final;
            // the Acquire load in `try_wait` sees that count-down.
            if latch.try_wait() {
                this.done = true;
                return Poll::Ready(());
            }
        }
        // Register, then re-check with a read-modify-write: see the
        // protocol in `wait`. AcqRel: Release makes the registration
        // visible to the count-down that reaches zero later; Acquire
        // sees the count-downs' writes if it is zero already.
        waiter.as_mut().register(&latch.queue, cx.waker());
        if latch.count.fetch_add(0, AcqRel) == 0 {
            waiter.as_mut().withdraw(&latch.queue);
            this.done = true;
            return Poll::Ready(());
        }
        // The node holds our waker: the count-down to zero wakes it.
        Poll::Pending
    }
}

impl Drop for LatchWait<'_> {
    fn drop(&mut self) {
        // SAFETY: `drop` is the last use of the future, which was pinned when
        // it was polled; `waiter` is not moved.
        let waiter = unsafe { Pin::new_unchecked(&mut self.waiter) };
        if waiter.is_registered() {
            // Withdraw, not cancel: the only notification is a notify-all,
            // so nobody needs this one passed on.
            waiter.withdraw(&self.latch.queue);
        }
    }
}

impl fmt::Debug for LatchWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LatchWait { .. }")
    }
}

/// The future returned by [`Latch::arrive_and_wait`] (which has already
/// counted down); resolves once the latch is open.
///
/// # Examples
///
/// ```
/// use turnstile_sync::{ArriveAndWait, Latch};
/// # futures_lite::future::block_on(async {
/// let latch = Latch::new(1);
/// let future: ArriveAndWait<'_> = latch.arrive_and_wait();
/// future.await;
/// # });
/// ```
#[must_use = "futures do nothing unless .awaited or polled"]
#[derive(Debug)]
pub struct ArriveAndWait<'a>(LatchWait<'a>);

impl Future for ArriveAndWait<'_> {
    type Output = ();

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: structural pin projection to the only field.
        let inner = unsafe { self.map_unchecked_mut(|f| &mut f.0) };
        inner.poll(cx)
    }
}
