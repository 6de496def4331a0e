//! [`Barrier`]: a cyclic, cancel-safe rendezvous for a fixed number of tasks.
//!
//! # Bookkeeping
//!
//! All of it happens under the lock of one [`DataQueue`] (the wait list
//! whose nodes carry a word; see `wait::data`):
//!
//! - `arrived`: live arrivals in the current generation (`< n`);
//! - the generation counter, in the queue's spare word, counting releases
//!   modulo `DataQueue::MAX_WORD + 1` (`2^(usize::BITS - 1)`);
//! - the list: every task that arrived and has not been told of its
//!   release, oldest first, each node's word the generation it arrived in.
//!
//! An arrival takes the lock once. Unless it is the n-th, it joins the tail
//! with the current generation and parks, in that one critical section, and
//! `arrived` grows. The n-th is the leader: it sets `arrived` to 0, advances
//! the generation, and *finishes* (takes off the list with outcome
//! `RELEASED`, and wakes) the waiters of the generation it released. It can
//! finish only `WAKE_BATCH` (8) waiters per critical section, so
//! the list is a *released prefix* — nodes at the head whose word is not the
//! current generation: released, maybe not yet finished — followed by the
//! current generation's live arrivals. Every critical section of the barrier
//! first finishes what it can of the released prefix, and the leader (or an
//! arrival that found more than a batch) loops until it is empty.
//!
//! A waiting task learns of its release from its own node: it was finished
//! (which its poll sees without the lock). A future dropped while waiting
//! leaves the list under the lock and learns there what it was: finished,
//! or queued in the released prefix — released, so its arrival was consumed
//! and it changes nothing — or queued with the current generation — a live
//! arrival, which it takes back (`arrived -= 1`). Leaving and releasing
//! both happen under the lock, so exactly one of them comes first: a
//! dropped arrival never counts toward a release or makes a leader, and a
//! released one never takes back an arrival of a later generation.
//!
//! # Why a generation number is never mistaken
//!
//! The word of a node is compared with the counter only while the node is
//! queued. A finished node is told apart by its slot, however many
//! generations later its future is dropped. A queued node in the released
//! prefix is finished within as many releases as there are nodes ahead of
//! it, because each release's critical section starts by finishing the head
//! of the prefix; fewer than `2^(usize::BITS - 1)` nodes fit in memory (each
//! is several words), while the counter needs `2^(usize::BITS - 1)` releases
//! to come back to a value. So a queued node's word equals the counter
//! exactly when the node arrived in the current generation, on every target
//! width. (The state word of an earlier design kept a 30-bit generation on
//! 32-bit targets and let a released future, dropped unpolled exactly 2^30
//! generations later, take back a live arrival: issue 10, §4.)
//!
//! # Ordering
//!
//! A task's writes before `wait` precede its critical section; the lock
//! orders that before the leader's, which comes after every arrival of its
//! generation; the leader's writes and the arrivals' reach each waiter
//! through the critical section that finishes it (the node's `finished`
//! flag, Release, read with Acquire; or the lock).

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use crate::shim::{const_fn, AtomicUsize, Ordering::*};
use crate::wait::{DataQueue, DataWaiter, Left, Locked};

/// The largest `n` a [`Barrier`] accepts. Far more tasks than could ever
/// wait at once (each waiting task holds a list node of several words), so
/// a larger `n` could only be a mistake: a barrier that never releases.
const MAX_PARTIES: usize = usize::MAX >> 16;

/// The one outcome a waiter is finished with.
const RELEASED: u8 = 0;

/// A cyclic barrier: [`wait`](Self::wait) suspends each task until `n`
/// tasks are waiting, then releases them all together, and the barrier is
/// ready for the next round ("generation"). Exactly one task of each
/// generation is told it is the leader.
///
/// Like [`std::sync::Barrier`][std-Barrier], with a future for async code,
/// and cancel-safe: a `wait` future dropped before its generation is
/// released takes its arrival back, so the barrier never releases a
/// generation with fewer than `n` live waiters and never elects a leader that
/// is not waiting. `const`, so it can be a `static`; no heap in the bare tier.
///
/// [std-Barrier]: https://doc.rust-lang.org/std/sync/struct.Barrier.html
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
    /// Live arrivals in the current generation. Written only under the
    /// queue's lock, so Relaxed throughout: the lock orders every access that
    /// matters (the `Debug` snapshot reads it without the lock).
    arrived: AtomicUsize,
    /// Parties per generation, at least 1.
    n: usize,
    /// The waiting tasks, each node's word the generation it arrived in; the
    /// spare word is the generation counter (see the module docs).
    queue: DataQueue,
}

impl Barrier {
    const_fn! {
        /// Creates a barrier for `n` tasks. `new(0)` behaves as `new(1)`:
        /// every `wait` returns at once, as leader.
        ///
        /// # Panics
        ///
        /// If `n` exceeds `usize::MAX >> 16`: far more tasks than can wait
        /// at once, so such a barrier could never release.
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
                arrived: AtomicUsize::new(0),
                n,
                queue: DataQueue::new(0),
            }
        }
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
            waiter: DataWaiter::new(),
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

    /// Test hook: how many generations the counter tells apart before it
    /// wraps around to the same value.
    #[doc(hidden)]
    pub fn __generation_period(&self) -> usize {
        DataQueue::MAX_WORD.wrapping_add(1)
    }

    /// Test hook: advances the generation counter by `k`, as if `k`
    /// generations had each been released by `n` arrivals that came and went
    /// while nothing else touched the barrier. Like a real release, it first
    /// finishes every released waiter still queued.
    ///
    /// # Panics
    /// If an arrival of the current generation is counted.
    #[doc(hidden)]
    pub fn __skip_generations(&self, k: usize) {
        self.finish_all_released();
        self.queue.with(|locked| {
            // Relaxed: under the queue's lock (see the field).
            assert_eq!(
                self.arrived.load(Relaxed),
                0,
                "turnstile-sync: a generation is under way"
            );
            debug_assert!(locked.is_empty(), "released waiters left queued");
            let next = self.generation(locked).wrapping_add(k) & DataQueue::MAX_WORD;
            self.queue.set_word(locked, next);
        });
    }

    /// The generation counter, read under the queue's lock (`locked`): only
    /// lock holders change it.
    #[inline]
    fn generation(&self, locked: &mut Locked<'_>) -> usize {
        self.queue.word(locked)
    }

    /// Arrives, under the queue's lock: returns `true` if this arrival
    /// completed the generation (the caller is its leader, and the waiters
    /// it released are all finished when this returns), `false` if it was
    /// counted and `waiter` queued, parked with `waker` if it came with one
    /// (if not, the caller polls `waiter` next, which stores one). A waker
    /// it did not keep is dropped after the lock is released.
    fn arrive(&self, mut waiter: Pin<&mut DataWaiter>, waker: Option<core::task::Waker>) -> bool {
        let (leader, unused) = self.queue.with_rounds(
            |locked| {
                let generation = self.generation(locked);
                let more = self.finish_released(locked);
                // Relaxed: under the queue's lock (see the field).
                let arrived = self.arrived.load(Relaxed);
                if arrived + 1 == self.n {
                    // The leader: release the generation. Its waiters become
                    // the released prefix; finish as many as this critical
                    // section may.
                    self.arrived.store(0, Relaxed);
                    let next = (generation + 1) & DataQueue::MAX_WORD;
                    self.queue.set_word(locked, next);
                    ((true, waker), self.finish_released(locked))
                } else {
                    self.arrived.store(arrived + 1, Relaxed);
                    waiter.as_mut().push_back(locked, generation);
                    // Just pushed behind the current generation's live
                    // arrivals, so still queued: `park` keeps the waker.
                    let unused = waker.and_then(|w| waiter.as_mut().park(locked, w).err());
                    debug_assert!(unused.is_none(), "a fresh waiter was finished");
                    ((false, unused), more)
                }
            },
            // Released waiters the first critical section had no room for,
            // in rounds that run even if a waker panics (see
            // `DataQueue::with_rounds`).
            self.finish_released_on(),
        );
        // Outside the lock: dropping a waker runs waker code.
        drop(unused);
        leader
    }

    /// Under the queue's lock: finishes released waiters from the head (those
    /// whose word is not the current generation), as many as this critical
    /// section may. Returns whether some are left.
    fn finish_released(&self, locked: &mut Locked<'_>) -> bool {
        let generation = self.generation(locked);
        while let Some(&mut arrived_in) = locked.head_data() {
            if arrived_in == generation {
                // The rest of the list arrived in the current generation.
                return false;
            }
            if !locked.has_room() {
                return true;
            }
            locked.finish_head(RELEASED);
        }
        false
    }

    /// The rounds after a first critical section whose wake batch was full:
    /// finish on (`DataQueue::with_rounds`'s `then`). One closure type for
    /// every caller, so firmware links it once.
    #[inline]
    fn finish_released_on(&self) -> impl FnMut(&mut Locked<'_>) -> bool + '_ {
        move |locked| self.finish_released(locked)
    }

    /// Finishes every released waiter, one bounded critical section at a
    /// time.
    fn finish_all_released(&self) {
        self.queue.with_rounds(
            |locked| ((), self.finish_released(locked)),
            self.finish_released_on(),
        );
    }
}

impl fmt::Debug for Barrier {
    /// Shows `n` and how many tasks are waiting in the current generation.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("n", &self.n)
            // Relaxed: a snapshot for display.
            .field("arrived", &self.arrived.load(Relaxed))
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
    /// Arrived and queued (registered) until told of the release.
    Arrived,
    /// Resolved.
    Done,
}

/// The future returned by [`Barrier::wait`]; resolves to a
/// [`BarrierWaitResult`].
///
/// It carries its wait-list node, in every tier, and is `!Unpin` (`.await`
/// pins it for you).
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
    waiter: DataWaiter,
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

        if let Phase::Start = this.phase {
            if barrier.n == 1 {
                // Every arrival completes its generation and nobody ever
                // waits: nothing to count.
                this.phase = Phase::Done;
                return Poll::Ready(BarrierWaitResult { leader: true });
            }
            // The last arrival needs no waker: guess from a snapshot whether
            // to clone one (outside the lock) before arriving. Relaxed: only
            // a guess; `arrive` decides under the lock.
            let waker =
                (barrier.arrived.load(Relaxed) + 1 != barrier.n).then(|| cx.waker().clone());
            let parked = waker.is_some();
            if barrier.arrive(waiter.as_mut(), waker) {
                this.phase = Phase::Done;
                return Poll::Ready(BarrierWaitResult { leader: true });
            }
            this.phase = Phase::Arrived;
            if parked {
                return Poll::Pending;
            }
            // Queued without a waker (the guess was wrong): the poll below
            // stores one, cloned outside the lock, unless the generation was
            // released meanwhile.
        }
        match this.phase {
            Phase::Start => unreachable!("turnstile-sync: the barrier future arrived above"),
            Phase::Arrived => match waiter.poll(&barrier.queue, cx) {
                Poll::Ready(_released) => {
                    this.phase = Phase::Done;
                    Poll::Ready(BarrierWaitResult { leader: false })
                }
                Poll::Pending => Poll::Pending,
            },
            Phase::Done => panic!("turnstile-sync: barrier wait future polled after it completed"),
        }
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        if let Phase::Arrived = self.phase {
            // SAFETY: `drop` is the last use of the future, which was pinned
            // when it was polled; `waiter` is not moved.
            let waiter = unsafe { Pin::new_unchecked(&mut self.waiter) };
            let _ = self.barrier.leave(waiter);
        }
    }
}

impl Barrier {
    /// Takes an arrived waiter off the queue: if it is a live arrival of the
    /// current generation, its arrival is taken back (the generation cannot
    /// be released on its account) and this returns `true`; if its
    /// generation was released (it is queued in the released prefix, or
    /// finished and not yet told), the arrival was consumed and nothing
    /// changes. See the module docs for why the generation comparison cannot
    /// mistake one for the other.
    fn leave(&self, waiter: Pin<&mut DataWaiter>) -> bool {
        waiter
            .leave(
                &self.queue,
                |locked, left| {
                    let generation = self.generation(locked);
                    let withdrawn = match left {
                        Left::Queued(arrived_in) if arrived_in == generation => {
                            // Relaxed: under the queue's lock (see the field).
                            let arrived = self.arrived.load(Relaxed);
                            debug_assert!(arrived > 0, "barrier arrival count underflow");
                            self.arrived.store(arrived - 1, Relaxed);
                            true
                        }
                        Left::Queued(_) | Left::Done(..) => false,
                    };
                    (withdrawn, self.finish_released(locked))
                },
                self.finish_released_on(),
            )
            // Not registered: it was told of its release already.
            .unwrap_or(false)
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
        let Phase::Arrived = this.phase else {
            return None;
        };
        this.phase = Phase::Done;
        // SAFETY: `this.waiter` is inside the pinned future.
        let waiter = unsafe { Pin::new_unchecked(&mut this.waiter) };
        let withdrawn = this.barrier.leave(waiter);
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
