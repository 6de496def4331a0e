//! [`Notify`]: a wakeup with no value attached.
//!
//! # State word
//!
//! | bits  | name      | meaning                                                   |
//! |-------|-----------|-----------------------------------------------------------|
//! | 0     | `PERMIT`  | a `notify_one` found nobody waiting and was stored        |
//! | 1     | `WAITING` | the wait queue is not empty                               |
//! | 2..   | `GEN`     | how many `notify_waiters` calls there were (wrapping)     |
//!
//! `PERMIT` and `WAITING` are never set together: a permit is stored only
//! while nobody waits, and a waiter that finds one takes it instead of
//! queueing. `WAITING` is only changed under the queue's lock, where it is
//! set exactly when the queue is not empty (as the semaphore's `QUEUED`).
//!
//! # The queue, and what a cancelled waiter passes on
//!
//! Waiters wait in a [`DataQueue`]: its user works on the head under the
//! queue's lock and finishes waiters with an outcome, which is what `Notify`
//! needs and the plain `WaitQueue` cannot give. `notify_one` must decide
//! "wake the oldest waiter, or store the permit" in one step with respect to
//! registrations, and a dropped waiter must know whether its wakeup came from
//! `notify_one` (pass it on: to the next waiter, or store it as the permit if
//! nobody is left) or from `notify_waiters` (pass nothing on). Under the lock
//! both are exact: the outcome (`ONE` or `ALL`) is in the waiter's node, and
//! the pass-on happens in the same critical section as the leaving.
//!
//! - `notify_one`: one compare-exchange sets `PERMIT` while `WAITING` is
//!   clear. If `WAITING` is set it takes the lock and finishes the head with
//!   `ONE` (or stores the permit, if the queue emptied meanwhile).
//! - `notify_waiters`: one `fetch_add` on `GEN`. If `WAITING` was set, it
//!   takes the lock and finishes with `ALL` every waiter that registered
//!   under an older generation (each waiter's data word is its generation),
//!   a bounded batch per critical section; waiters that arrive between
//!   batches carry the new generation and stay.
//! - A waiter's first poll (or `enable`) completes at once if the generation
//!   differs from the one it saw when it was created (a `notify_waiters`
//!   since then: tokio's rule), or if it can take `PERMIT`. Otherwise it
//!   repeats those checks under the lock, sets `WAITING` if needed, and
//!   joins the tail.
//!
//! A registration and a notify both touch the state word with a
//! read-modify-write (or, when `WAITING` is set already, the registration
//! holds the lock that a notifier seeing `WAITING` must take), so either the
//! notifier sees the waiter, or the waiter sees the permit or the new
//! generation: no wakeup is lost.
//!
//! The generation has `usize::BITS - 2` bits. A `Notified` that was created
//! and then not polled while exactly a multiple of 2^62 (2^30 on 32-bit
//! targets) `notify_waiters` calls happened would miss them; a queued waiter
//! is never older than the call in progress.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use crate::shim::{const_fn, AtomicUsize, Ordering::*};
use crate::wait::{DataQueue, DataWaiter, Left, Locked};

/// A `notify_one` found nobody waiting: the next waiter completes at once.
const PERMIT: usize = 1;
/// The queue is not empty (changed only under the queue's lock).
const WAITING: usize = 1 << 1;
/// One `notify_waiters` call, in the generation bits.
const GEN_ONE: usize = 1 << 2;
/// The generation bits.
const GEN_MASK: usize = !(PERMIT | WAITING);

/// Outcomes a waiter is finished with (see [`Locked::finish_head`]).
/// Woken by `notify_one`: a waiter dropped before it saw this passes it on.
const ONE: u8 = 0;
/// Woken by `notify_waiters`: nothing to pass on.
const ALL: u8 = 1;

/// Whether a waiter stamped with generation `stamp` registered before the
/// `notify_waiters` call that made the generation `gen` (both masked with
/// [`GEN_MASK`]). Wrapping: the queue only ever holds stamps a few
/// generations apart, so "older" is "less than half the range behind".
#[inline]
fn older(stamp: usize, gen: usize) -> bool {
    let behind = gen.wrapping_sub(stamp);
    behind != 0 && behind <= usize::MAX / 2
}

/// Wakes tasks that wait for an event without a value: a `notify_one` wakes
/// one waiter (or is stored for the next if nobody waits), a
/// `notify_waiters` wakes every waiter.
///
/// The same primitive as tokio's `Notify`, embassy-sync's `Signal` (without
/// a value), maitake's `WaitQueue` or event-listener's `Event`. `const`, so
/// it can be a `static`; no heap in the bare tier; the notify side may be
/// called from an interrupt handler (it neither allocates nor blocks, and in
/// the bare tier it wakes after leaving its critical section).
///
/// - [`notify_one`](Self::notify_one) wakes the oldest waiter. If nobody
///   waits it stores one permit, and the next [`notified`](Self::notified)
///   completes at once. Permits do not add up: a second `notify_one` with
///   nobody waiting changes nothing.
/// - [`notify_waiters`](Self::notify_waiters) wakes every waiter there is and
///   stores nothing: a `notified()` created after it waits for the next
///   notification.
///
/// A `notify_one` that comes before the wait is not lost, so the plain
/// pattern "change something, then `notify_one`" on one side and "check it,
/// else `notified().await` and check again" on the other is correct with a
/// single waiter. With several waiters, register first and check after:
/// create the future and [`enable`](Notified::enable) it before the check
/// (for `notify_waiters`, creating it is enough); see `enable`'s example.
///
/// # Examples
///
/// ```
/// use turnstile_sync::Notify;
///
/// static READY: Notify = Notify::new();
///
/// # futures_lite::future::block_on(async {
/// let waiter = async {
///     READY.notified().await;
///     "woken"
/// };
/// let notifier = async {
///     READY.notify_one();
/// };
/// let (woken, ()) = futures_lite::future::zip(waiter, notifier).await;
/// assert_eq!(woken, "woken");
///
/// // A notification nobody was waiting for is kept, once, for the next wait.
/// READY.notify_one();
/// READY.notify_one();
/// READY.notified().await; // at once
/// # });
/// ```
pub struct Notify {
    state: AtomicUsize,
    /// Each waiter's data word is the generation (`state & GEN_MASK`) it
    /// registered under.
    queue: DataQueue,
}

impl Notify {
    const_fn! {
        /// Creates a `Notify` with no waiters and no stored permit.
        ///
        /// # Examples
        ///
        /// ```
        /// static DATA_READY: turnstile_sync::Notify = turnstile_sync::Notify::new();
        /// ```
        pub const fn new() -> Self {
            Self {
                state: AtomicUsize::new(0),
                queue: DataQueue::new(0),
            }
        }
    }

    /// Wakes the task that has waited longest; if no task waits, stores a
    /// permit so that the next [`notified`](Self::notified) completes at
    /// once. At most one permit is stored.
    ///
    /// "Waiting" means a [`Notified`] that was polled or
    /// [enabled](Notified::enable) and has not completed. Each call wakes a
    /// different waiter: two calls with two waiters wake both. Everything
    /// the caller did before the call is visible to the task that the
    /// notification completes.
    ///
    /// May be called from an interrupt handler: it does not allocate or
    /// block, and wakes the task after its critical section.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let notify = turnstile_sync::Notify::new();
    /// notify.notify_one(); // nobody waits: stored
    /// notify.notified().await; // takes the permit, at once
    /// # });
    /// ```
    #[inline]
    pub fn notify_one(&self) {
        // Relaxed: a guess for the compare-exchange, which does the ordering.
        let mut state = self.state.load(Relaxed);
        while state & WAITING == 0 {
            // Release: the task that takes the permit (an Acquire
            // read-modify-write) sees what we did before. Written even when
            // the permit is set already, so the later notifier's writes are
            // published too (the taker reads this write). Relaxed on failure:
            // look again.
            match self
                .state
                .compare_exchange_weak(state, state | PERMIT, Release, Relaxed)
            {
                Ok(_) => return,
                Err(now) => state = now,
            }
        }
        self.notify_one_slow();
    }

    #[cold]
    fn notify_one_slow(&self) {
        self.queue.with(|locked| self.wake_one(locked));
    }

    /// Under the queue's lock: finishes the oldest waiter with `ONE`, or,
    /// if nobody waits, stores the permit. Used by `notify_one` and by a
    /// dropped waiter passing on the `ONE` it had not seen.
    fn wake_one(&self, locked: &mut Locked<'_>) {
        if locked.is_empty() {
            // `WAITING` is clear: only a lock holder changes it, and the
            // one that emptied the queue cleared it. Release: as in
            // `notify_one`'s fast path.
            self.state.fetch_or(PERMIT, Release);
        } else {
            // The waiter learns of it through its node (the Release store of
            // `finished`, or this lock), which orders our writes before its
            // completion.
            locked.finish_head(ONE);
            self.queue_changed(locked);
        }
    }

    /// Under the queue's lock, after waiters left it: clears `WAITING` if it
    /// is empty now.
    fn queue_changed(&self, locked: &Locked<'_>) {
        if locked.is_empty() {
            // Relaxed: the flag only tells notifiers whether to take the
            // lock; it publishes nothing.
            self.state.fetch_and(!WAITING, Relaxed);
        }
    }

    /// Wakes every task waiting now, and every [`Notified`] created before
    /// this call that has not completed yet (polled or not). Stores nothing:
    /// a `notified()` created after the call waits for the next
    /// notification. A stored permit is left as it is.
    ///
    /// Everything the caller did before the call is visible to the tasks it
    /// completes. May be called from an interrupt handler: it does not
    /// allocate or block; in the bare tier it wakes at most eight tasks per
    /// critical section.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::Notify;
    /// # futures_lite::future::block_on(async {
    /// let notify = Notify::new();
    /// let (a, b) = (notify.notified(), notify.notified());
    /// notify.notify_waiters(); // a and b were created before: both complete
    /// a.await;
    /// b.await;
    /// # });
    /// ```
    #[inline]
    pub fn notify_waiters(&self) {
        // Release: a `Notified` that sees the new generation without the
        // lock (an Acquire load) sees what we did before. The lock orders it
        // for the waiters we finish.
        let state = self.state.fetch_add(GEN_ONE, Release);
        if state & WAITING != 0 {
            self.notify_waiters_slow(state.wrapping_add(GEN_ONE) & GEN_MASK);
        }
    }

    /// Finishes with `ALL` every queued waiter older than generation `gen`,
    /// one bounded critical section at a time.
    #[cold]
    fn notify_waiters_slow(&self, gen: usize) {
        let round = |locked: &mut Locked<'_>| {
            // The queue is in registration order, so its stamps only grow
            // from head to tail: the waiters to wake are a prefix.
            let more = loop {
                match locked.head_data() {
                    Some(stamp) if older(*stamp, gen) => {
                        if !locked.has_room() {
                            break true;
                        }
                        locked.finish_head(ALL);
                    }
                    _ => break false,
                }
            };
            self.queue_changed(locked);
            more
        };
        // One bounded critical section at a time; the rounds still due run
        // even if a waker panics (see `DataQueue::with_rounds`).
        self.queue.with_rounds(|locked| ((), round(locked)), round);
    }

    /// A future that completes when this `Notify` is notified: by a
    /// [`notify_one`](Self::notify_one) (one stored before counts), or by a
    /// [`notify_waiters`](Self::notify_waiters) called after this method.
    ///
    /// It joins the queue of waiters, in FIFO order, when it is first
    /// polled or [enabled](Notified::enable); `notify_one` wakes only
    /// waiters in the queue. `notify_waiters` completes it from the moment it
    /// is created (tokio's rule), so creating it before checking a condition
    /// is enough to not miss a `notify_waiters`; for `notify_one`, enable it.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future is safe at any point. A future that was woken by
    /// `notify_one` and is dropped before it completed passes the
    /// notification on, in the same critical section: to the next waiter, or
    /// as the stored permit if nobody else waits. So a `notify_one` is only
    /// consumed by a future that completes (or whose
    /// [`enable`](Notified::enable) returned `true`). One woken by
    /// `notify_waiters` passes nothing on; every waiter got its own.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::Notify;
    /// # futures_lite::future::block_on(async {
    /// let notify = Notify::new();
    /// let waiter = notify.notified();
    /// notify.notify_one();
    /// waiter.await;
    /// # });
    /// ```
    #[inline]
    pub fn notified(&self) -> Notified<'_> {
        // Acquire: if this already sees the generation of a `notify_waiters`
        // (so that call will not complete this future), what that caller did
        // before it is visible to the caller's check of its condition.
        let state = self.state.load(Acquire);
        Notified {
            notify: self,
            waiter: DataWaiter::new(),
            tag: (state & GEN_MASK) | INIT,
        }
    }

    /// Blocks the current thread until notified, as
    /// `notified().await`. For code on plain threads.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let notify = Arc::new(turnstile_sync::Notify::new());
    /// let n = notify.clone();
    /// std::thread::spawn(move || n.notify_one());
    /// notify.notified_blocking();
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn notified_blocking(&self) {
        crate::wait::block::block_on(self.notified());
    }

    /// Completes a waiter created under generation `gen` without the lock, if
    /// that needs no queue: a `notify_waiters` came since, or a permit is
    /// there to take.
    #[inline]
    fn try_complete(&self, gen: usize) -> bool {
        // Acquire: seeing a new generation or taking the permit, we see what
        // the notifier did before (its Release).
        let mut state = self.state.load(Acquire);
        loop {
            if state & GEN_MASK != gen {
                // Completed by `notify_waiters`; a permit stays for the next.
                return true;
            }
            if state & PERMIT == 0 {
                return false;
            }
            // Acquire on success: takes the permit (above). Acquire on
            // failure: the new value may complete us by its generation.
            match self
                .state
                .compare_exchange_weak(state, state & !PERMIT, Acquire, Acquire)
            {
                Ok(_) => return true,
                Err(now) => state = now,
            }
        }
    }

    /// Under the queue's lock: [`try_complete`](Self::try_complete), and if
    /// that fails, makes sure `WAITING` is set so that notifiers come to the
    /// queue. The caller then joins it, before releasing the lock.
    fn complete_or_mark_waiting(&self, gen: usize) -> bool {
        // Acquire: as in `try_complete`.
        let mut state = self.state.load(Acquire);
        loop {
            if state & GEN_MASK != gen {
                return true;
            }
            // Take the permit (done), or set `WAITING` (queue up).
            let (next, done) = if state & PERMIT != 0 {
                (state & !PERMIT, true)
            } else if state & WAITING == 0 {
                (state | WAITING, false)
            } else {
                // Set, and it stays set while we hold the lock and then are
                // queued. A `notify_waiters` after the load above saw it and
                // will take the lock after us; one before it changed the
                // generation we loaded.
                return false;
            };
            // Acquire on success: for taking the permit, as in
            // `try_complete`; setting `WAITING` publishes nothing (the lock
            // does). Acquire on failure: the new value may complete us.
            match self.state.compare_exchange(state, next, Acquire, Acquire) {
                Ok(_) => return done,
                Err(now) => state = now,
            }
        }
    }
}

impl Default for Notify {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Notify {
    /// Shows whether a permit is stored and whether tasks wait (a
    /// snapshot).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.load(Relaxed);
        f.debug_struct("Notify")
            .field("permit", &(state & PERMIT != 0))
            .field("waiting", &(state & WAITING != 0))
            .finish()
    }
}

/// Phases of a [`Notified`], kept in the low bits of its `tag`.
/// Created, neither polled nor enabled.
const INIT: usize = 0;
/// In the queue (its waiter is registered).
const QUEUED: usize = 1;
/// Notified: polls return `Ready`.
const DONE: usize = 2;
const PHASE: usize = PERMIT | WAITING;

/// The future returned by [`Notify::notified`]; completes when notified.
///
/// Once complete it stays complete: polling it again returns `Ready`. It
/// carries its wait-list node, in every tier, and is `!Unpin` (`.await`
/// pins it for you; pin it with
/// [`core::pin::pin!`] to call [`enable`](Self::enable)).
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
    notify: &'a Notify,
    waiter: DataWaiter,
    /// The generation (`state & GEN_MASK`) when the future was created, and
    /// in the two low bits (always clear there) the phase.
    tag: usize,
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
