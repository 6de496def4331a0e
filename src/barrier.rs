//! [`Barrier`]: a cyclic, cancel-safe rendezvous for a fixed number of tasks.
//!
//! # State word
//!
//! One `AtomicUsize`, split at `shift` = the number of bits needed to hold
//! `n` (`usize::BITS - n.leading_zeros()`):
//!
//! | bits          | name         | meaning                                              |
//! |---------------|--------------|------------------------------------------------------|
//! | `0..shift`    | `arrived`    | live arrivals in the current generation (`< n`)      |
//! | `shift..`     | `generation` | how many generations were released, wrapping         |
//!
//! An arrival is a compare-exchange `arrived → arrived + 1`, except the one
//! that would make `arrived == n`: that one (the leader) instead writes
//! `generation + 1, arrived = 0` and notifies every waiter. A waiting future
//! remembers the generation it arrived in; it is released once the word's
//! generation differs. A future dropped before that withdraws its arrival
//! with a compare-exchange `arrived → arrived - 1` that only succeeds while
//! the generation is still its own: if the leader's write came first, the
//! arrival was consumed by the release and nothing changes. Both writes are
//! read-modify-writes of one word, so exactly one of them wins and a dropped
//! arrival never counts toward a release or makes a leader.
//!
//! The generation field has at least 16 bits ([`MAX_PARTIES`]) and wraps
//! harmlessly: it is only compared for equality by a future that arrived in
//! it, and a stale equality would need that future to stay alive, unpolled
//! and undropped, across `2^(usize::BITS - shift)` further releases (at
//! least 65 536) — which needs more than `n` other arrivals per generation
//! while its owner sits idle.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use crate::shim::{const_fn, AtomicUsize, Ordering::*};
use crate::wait::{WaitQueue, Waiter};

/// The largest `n` a [`Barrier`] accepts: leaves at least 16 bits of the
/// state word for the generation.
const MAX_PARTIES: usize = usize::MAX >> 16;

/// A cyclic barrier: [`wait`](Self::wait) suspends each task until `n`
/// tasks are waiting, then releases them all together, and the barrier is
/// ready for the next round ("generation"). Exactly one task of each
/// generation is told it is the leader.
///
/// Like [`std::sync::Barrier`], with a future for async code, and
/// cancel-safe: a `wait` future dropped before its generation is released
/// takes its arrival back, so the barrier never releases a generation with fewer than `n`
/// live waiters and never elects a leader that is not waiting. `const`, so
/// it can be a `static`; no heap in the bare tier.
///
/// # Examples
///
/// ```
/// use turnstile_sync::Barrier;
///
/// static BARRIER: Barrier = Barrier::new(2);
///
/// # futures_lite::future::block_on(async {
/// let (a, b) = futures_lite::future::zip(BARRIER.wait(), BARRIER.wait()).await;
/// assert!(a.is_leader() != b.is_leader());
/// # });
/// ```
pub struct Barrier {
    state: AtomicUsize,
    /// Parties per generation, at least 1.
    n: usize,
    queue: WaitQueue,
}

impl Barrier {
    const_fn! {
        /// Creates a barrier for `n` tasks. `new(0)` behaves as `new(1)`:
        /// every `wait` returns at once, as leader.
        ///
        /// # Panics
        ///
        /// If `n` exceeds `usize::MAX >> 16` (the state word keeps 16 bits
        /// for the generation).
        ///
        /// # Examples
        ///
        /// ```
        /// static BARRIER: turnstile_sync::Barrier = turnstile_sync::Barrier::new(4);
        /// ```
        pub const fn new(n: usize) -> Self {
            let n = if n == 0 { 1 } else { n };
            assert!(
                n <= MAX_PARTIES,
                "turnstile-sync: Barrier::new: too many parties (at most usize::MAX >> 16)"
            );
            Self {
                state: AtomicUsize::new(0),
                n,
                queue: WaitQueue::new(),
            }
        }
    }

    /// The `arrived` field's mask (see the module docs).
    #[inline]
    fn mask(&self) -> usize {
        // `n <= MAX_PARTIES`, so the shift is at most `usize::BITS - 16`.
        (1 << (usize::BITS - self.n.leading_zeros())) - 1
    }

    /// Waits until `n` tasks are waiting in this generation, then resolves
    /// for all of them; exactly one gets a [`BarrierWaitResult`] whose
    /// [`is_leader`](BarrierWaitResult::is_leader) is `true`.
    ///
    /// The task arrives when the future is first polled, not when `wait` is
    /// called.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before its generation is released withdraws its
    /// arrival: the barrier then needs another live arrival before it
    /// releases, and no leader is elected on the dropped one's behalf. So
    /// re-creating `wait()` in a `select!` loop counts once. Dropping it
    /// after its generation was released (it would have resolved on its
    /// next poll) changes nothing: the next generation is unaffected.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let barrier = turnstile_sync::Barrier::new(1);
    /// assert!(barrier.wait().await.is_leader());
    /// assert!(barrier.wait().await.is_leader());
    /// # });
    /// ```
    #[inline]
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait {
            barrier: self,
            waiter: Waiter::new(),
            phase: Phase::Start,
        }
    }

    /// Blocks the current thread until `n` tasks and threads are waiting.
    /// For code on plain threads; in async code use [`wait`](Self::wait).
    /// Threads and tasks count alike.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let barrier = Arc::new(turnstile_sync::Barrier::new(2));
    /// let b = barrier.clone();
    /// let other = std::thread::spawn(move || b.wait_blocking().is_leader());
    /// let me = barrier.wait_blocking().is_leader();
    /// assert!(me != other.join().unwrap());
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn wait_blocking(&self) -> BarrierWaitResult {
        crate::wait::block::block_on(self.wait())
    }

    /// Arrives: `None` if this arrival completed the generation (the caller
    /// is the leader, and every waiter was notified), else `Some(g)` with the
    /// generation bits it was counted in. A waiter that is counted is
    /// registered in the queue first, so the leader's notify finds it.
    fn arrive(&self, mut waiter: Pin<&mut Waiter>) -> Option<usize> {
        let mask = self.mask();
        // Relaxed: only the first guess for the compare-exchange below, which
        // does the ordering.
        let mut state = self.state.load(Relaxed);
        loop {
            let generation = state & !mask;
            if (state & mask) + 1 == self.n {
                // The leader: release the generation. Adding one just above
                // the `arrived` bits bumps the generation and carries out of
                // the top harmlessly (wrapping). `arrived` becomes 0.
                let next = generation.wrapping_add(mask + 1);
                // AcqRel. Acquire: reads the last arrival's write, which ends
                // a release sequence of read-modify-writes through every
                // arrival of this generation, so the leader sees all their
                // writes from before `wait`, and their registrations, so the
                // notify below finds them. Release: waiters that read this
                // generation with Acquire see all of that too. Relaxed on
                // failure: we retry.
                match self
                    .state
                    .compare_exchange_weak(state, next, AcqRel, Relaxed)
                {
                    Ok(_) => {
                        if waiter.is_registered() {
                            // Counted nowhere, waits for nothing; a
                            // notification it got was for this release.
                            waiter.as_mut().withdraw(&self.queue);
                        }
                        self.queue.notify(usize::MAX);
                        return None;
                    }
                    Err(now) => state = now,
                }
                continue;
            }
            // Not the last: register before being counted (see `wait`'s
            // protocol), so the leader's notify cannot miss us.
            if !waiter.is_registered() {
                waiter.as_mut().register(&self.queue);
            }
            // AcqRel. Release: our writes from before `wait` and our
            // registration reach the leader, whose Acquire read-modify-write
            // continues this one's release sequence. Acquire: the protocol's
            // re-check (harmless here: we only learn the generation).
            // Relaxed on failure: we retry.
            match self
                .state
                .compare_exchange_weak(state, state + 1, AcqRel, Relaxed)
            {
                Ok(_) => return Some(generation),
                Err(now) => state = now,
            }
        }
    }

    /// Whether the generation `generation` (bits as returned by `arrive`) has
    /// been released. `re_check` makes it the protocol's read-modify-write
    /// after a (re-)registration; otherwise an Acquire load.
    #[inline]
    fn released(&self, generation: usize, re_check: bool) -> bool {
        let state = if re_check {
            // AcqRel: Release makes our fresh registration visible to a
            // leader whose read-modify-write comes later; Acquire as below.
            self.state.fetch_add(0, AcqRel)
        } else {
            // Acquire: if the generation moved on we read the leader's write
            // (or a later one in its release sequence) and so see every
            // arrival's writes from before `wait`.
            self.state.load(Acquire)
        };
        state & !self.mask() != generation
    }

    /// Withdraws an arrival counted in `generation`, unless that generation
    /// was released meanwhile (then the arrival was consumed). Returns
    /// whether it was withdrawn.
    fn withdraw_arrival(&self, generation: usize) -> bool {
        let mask = self.mask();
        // Relaxed: a guess for the compare-exchange.
        let mut state = self.state.load(Relaxed);
        while state & !mask == generation {
            debug_assert!(state & mask > 0, "barrier arrival count underflow");
            // Relaxed: withdrawing publishes nothing and reads nothing; it
            // needs only to be ordered against the leader's write on this
            // word, which any read-modify-write is (one modification order),
            // and as a read-modify-write it keeps the other arrivals'
            // release sequences intact.
            match self
                .state
                .compare_exchange_weak(state, state - 1, Relaxed, Relaxed)
            {
                Ok(_) => return true,
                Err(now) => state = now,
            }
        }
        false
    }
}

impl fmt::Debug for Barrier {
    /// Shows `n` and how many tasks are waiting in the current generation.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Relaxed: a snapshot for display.
        let state = self.state.load(Relaxed);
        f.debug_struct("Barrier")
            .field("n", &self.n)
            .field("arrived", &(state & self.mask()))
            .finish()
    }
}

/// What [`Barrier::wait`] resolves to: whether this task was the leader of
/// its generation.
///
/// # Examples
///
/// ```
/// let barrier = turnstile_sync::Barrier::new(1);
/// let result = futures_lite::future::block_on(barrier.wait());
/// assert!(result.is_leader());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult {
    leader: bool,
}

impl BarrierWaitResult {
    /// `true` for exactly one task of each generation: the one whose arrival
    /// completed it.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let barrier = turnstile_sync::Barrier::new(2);
    /// let (a, b) = futures_lite::future::zip(barrier.wait(), barrier.wait()).await;
    /// assert_eq!(a.is_leader() as u8 + b.is_leader() as u8, 1);
    /// # });
    /// ```
    pub fn is_leader(&self) -> bool {
        self.leader
    }
}

#[derive(Clone, Copy)]
enum Phase {
    /// Not polled yet: not arrived.
    Start,
    /// Counted in the generation with these bits, and registered or about to
    /// re-register.
    Arrived(usize),
    /// Resolved.
    Done,
}

/// The future returned by [`Barrier::wait`]; resolves to a
/// [`BarrierWaitResult`].
///
/// In the `alloc` and `std` tiers it is `Unpin`; in the bare tier it carries
/// its wait-list node and is `!Unpin` (`.await` pins it for you).
///
/// # Examples
///
/// ```
/// use turnstile_sync::{Barrier, BarrierWait};
/// # futures_lite::future::block_on(async {
/// let barrier = Barrier::new(1);
/// let future: BarrierWait<'_> = barrier.wait();
/// assert!(future.await.is_leader());
/// # });
/// ```
#[must_use = "futures do nothing unless .awaited or polled"]
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    waiter: Waiter,
    phase: Phase,
}

impl Future for BarrierWait<'_> {
    type Output = BarrierWaitResult;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
        // SAFETY: `waiter` is re-pinned at once and never moved; the other
        // fields are plain data, not structurally pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: `this.waiter` is inside the pinned future.
        let mut waiter = unsafe { Pin::new_unchecked(&mut this.waiter) };
        let barrier = this.barrier;

        let generation = match this.phase {
            Phase::Start => match barrier.arrive(waiter.as_mut()) {
                None => {
                    this.phase = Phase::Done;
                    return Poll::Ready(BarrierWaitResult { leader: true });
                }
                Some(generation) => {
                    this.phase = Phase::Arrived(generation);
                    generation
                }
            },
            Phase::Arrived(generation) => generation,
            Phase::Done => panic!("turnstile-sync: barrier wait future polled after it completed"),
        };

        loop {
            if waiter.is_registered() {
                match waiter.as_mut().poll_notified(&barrier.queue, cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(()) => {}
                }
                if barrier.released(generation, false) {
                    this.phase = Phase::Done;
                    return Poll::Ready(BarrierWaitResult { leader: false });
                }
                // Notified by the release of the generation before ours (we
                // registered between its leader's write and its notify):
                // wait again.
            }
            waiter.as_mut().register(&barrier.queue);
            if barrier.released(generation, true) {
                // Released without a notification reaching us yet; one that
                // comes is for this release, which needs nothing more.
                waiter.as_mut().withdraw(&barrier.queue);
                this.phase = Phase::Done;
                return Poll::Ready(BarrierWaitResult { leader: false });
            }
        }
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        if let Phase::Arrived(generation) = self.phase {
            // Take the arrival back first, so the generation cannot be
            // released on its account from here on.
            let _ = self.barrier.withdraw_arrival(generation);
            // SAFETY: `drop` is the last use of the future, which was pinned
            // when it was polled; `waiter` is not moved.
            let waiter = unsafe { Pin::new_unchecked(&mut self.waiter) };
            if waiter.is_registered() {
                // Withdraw, not cancel: every notification on this queue is a
                // notify-all, so there is nobody to pass one on to, and
                // passing it would wake a waiter of the next generation for
                // nothing.
                waiter.withdraw(&self.barrier.queue);
            }
        }
    }
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BarrierWait { .. }")
    }
}

#[cfg(feature = "std")]
impl BarrierWait<'_> {
    /// Gives the wait up: withdraws its arrival and leaves the queue, unless
    /// its generation was released first, which then wins: `Some` with its
    /// (non-leader) result, the arrival having counted. The future is done
    /// either way.
    fn give_up(self: Pin<&mut Self>) -> Option<BarrierWaitResult> {
        // SAFETY: `waiter` is re-pinned at once and never moved.
        let this = unsafe { self.get_unchecked_mut() };
        let Phase::Arrived(generation) = this.phase else {
            return None;
        };
        this.phase = Phase::Done;
        let withdrawn = this.barrier.withdraw_arrival(generation);
        // SAFETY: `this.waiter` is inside the pinned future.
        let waiter = unsafe { Pin::new_unchecked(&mut this.waiter) };
        if waiter.is_registered() {
            // Withdraw, as in `drop`: every notification is a notify-all.
            waiter.withdraw(&this.barrier.queue);
        }
        (!withdrawn).then_some(BarrierWaitResult { leader: false })
    }
}

/// A barrier wait raced against a signal, settling the tie exactly: if the
/// generation is released while the signal fires, the release wins (the
/// arrival counted, so the wait did not time out).
#[cfg(feature = "std")]
struct WaitOr<'a, S> {
    wait: BarrierWait<'a>,
    signal: S,
}

#[cfg(feature = "std")]
impl<S: Future> Future for WaitOr<'_, S> {
    type Output = Option<BarrierWaitResult>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: both fields are structurally pinned: re-pinned here, never
        // moved out.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as above.
        let mut wait = unsafe { Pin::new_unchecked(&mut this.wait) };
        if let Poll::Ready(result) = wait.as_mut().poll(cx) {
            return Poll::Ready(Some(result));
        }
        // SAFETY: as above. The signal is polled only while the wait is
        // pending, and never again once it fired (the future is then done).
        if unsafe { Pin::new_unchecked(&mut this.signal) }
            .poll(cx)
            .is_ready()
        {
            return Poll::Ready(wait.give_up());
        }
        Poll::Pending
    }
}

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl Barrier {
    /// Blocks until `n` tasks and threads are waiting or `timeout` has
    /// passed; `None` on timeout, with the arrival withdrawn (the barrier
    /// then needs another arrival, and elects no leader on this one's
    /// behalf). A generation released as the timeout comes counts as
    /// released.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let barrier = turnstile_sync::Barrier::new(2);
    /// assert!(barrier.try_wait_for(Duration::from_millis(1)).is_none());
    /// // The arrival was withdrawn: this one does not complete the round.
    /// assert!(barrier.try_wait_for(Duration::from_millis(1)).is_none());
    /// ```
    pub fn try_wait_for(&self, timeout: core::time::Duration) -> Option<BarrierWaitResult> {
        self.wait_until_at(crate::wait::block::deadline_after(timeout))
    }

    /// Blocks until `n` tasks and threads are waiting or `deadline` has
    /// come; see [`try_wait_for`](Self::try_wait_for).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let barrier = turnstile_sync::Barrier::new(1);
    /// let result = barrier.try_wait_until(Instant::now() + Duration::from_secs(1));
    /// assert!(result.unwrap().is_leader());
    /// ```
    pub fn try_wait_until(&self, deadline: std::time::Instant) -> Option<BarrierWaitResult> {
        self.wait_until_at(Some(deadline))
    }

    fn wait_until_at(&self, deadline: Option<std::time::Instant>) -> Option<BarrierWaitResult> {
        crate::wait::block::block_on_until(deadline, |signal| WaitOr {
            wait: self.wait(),
            signal,
        })
    }
}
