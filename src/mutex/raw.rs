//! The data-less lock under [`Mutex`](crate::Mutex): its state word, its
//! fast paths, and the one acquire state machine every lock future (borrowed,
//! `Arc`, blocking) runs.
//!
//! # State word
//!
//! | bits        | name          | meaning                                           |
//! |-------------|---------------|---------------------------------------------------|
//! | 0           | `LOCKED`      | a guard exists                                    |
//! | 1           | `CONTENDED`   | a waiter may be queued: the releaser must notify  |
//! | 2           | `WATCHED`     | a `wait_unlocked` future may be waiting (below)   |
//! | 3..         | starving      | number of waiters that lost [`HANDOFF_AFTER`] races |
//!
//! `0` is unlocked and quiet: uncontended `lock` is one compare-exchange
//! `0 → LOCKED` and uncontended unlock one subtraction of `LOCKED` (a
//! `fetch_sub`, which x86 does as `lock xadd`: measurably cheaper than a
//! compare-exchange there, and what puts the unlock at std's speed).
//! Neither touches the wait queue. The subtraction releases the lock
//! whatever else the word holds; if it held more than `LOCKED`, the slow
//! path then clears the flags and acts on them (`RawMutex::unlock_slow`).
//!
//! # Watchers
//!
//! A [`Mutex::wait_unlocked`](crate::Mutex::wait_unlocked) future waits in
//! the shared watchers' queue (`wait::watchers`), never in the mutex's own
//! queue, and marks `WATCHED`; a release that clears the mark notifies the
//! watchers. So the one wakeup a release gives the mutex's queue can only
//! reach a real waiter, and watchers count for nothing in the fairness
//! rule below.
//!
//! # Fairness: bounded barging
//!
//! A released lock is not handed to the queue: whoever asks next takes it,
//! including the releasing task coming straight back, or a queued waiter
//! polled again before its wakeup (by a `select!`, say) ("barging"). That keeps
//! throughput high, since the lock is never idle while a woken waiter is being
//! scheduled. A woken waiter that finds the lock taken again has *lost a
//! race*; it queues again at the tail (the wait queue can only append).
//! Once it has lost [`HANDOFF_AFTER`] races it
//! counts itself in the starving field, and while that field is non-zero
//! nobody barges: new callers queue, and the lock goes only to a waiter that
//! was notified or is itself starving. The waiters ahead of a starving one are
//! served in FIFO order and then it is. So a waiter is passed over by barging
//! at most [`HANDOFF_AFTER`] times, and waits for at most
//! `HANDOFF_AFTER + 1` turns of the queue. The rule counts events, not time,
//! so it holds without a clock.

use core::pin::Pin;
use core::task::{Context, Poll};

use crate::shim::{const_fn, AtomicUsize, Ordering::*};
use crate::wait::{notify_shard, poll_watcher, Hook, WaitQueue, Waiter};

const LOCKED: usize = 1;
const CONTENDED: usize = 1 << 1;
const WATCHED: usize = 1 << 2;
const STARVING_ONE: usize = 1 << 3;

/// How an unlock that finds `WATCHED` reaches the watchers (installed by
/// the first `wait_unlocked`; see `wait::Hook`).
static WAKE_WATCHERS: Hook = Hook::new();

/// How many races a woken waiter may lose to barging callers before the
/// mutex stops barging for it.
#[cfg(not(loom))]
pub(crate) const HANDOFF_AFTER: u8 = 4;
/// Under loom, one lost race is enough, so the models reach hand-off mode
/// within a few lock/unlock rounds (see `tests/loom_mutex.rs`).
#[cfg(loom)]
pub(crate) const HANDOFF_AFTER: u8 = 1;

pub(crate) struct RawMutex {
    state: AtomicUsize,
    queue: WaitQueue,
}

impl RawMutex {
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self {
                state: AtomicUsize::new(0),
                queue: WaitQueue::new(),
            }
        }
    }

    #[inline]
    pub(crate) fn is_locked(&self) -> bool {
        // Relaxed: a snapshot for diagnostics; it orders nothing.
        self.state.load(Relaxed) & LOCKED != 0
    }

    /// Takes the lock if it is free and nobody is starving.
    #[inline]
    pub(crate) fn try_lock(&self) -> bool {
        match self.take_quiet() {
            Ok(()) => true,
            Err(state) => self.try_lock_slow(state),
        }
    }

    /// The uncontended case alone: one compare-exchange `0 → LOCKED`, which
    /// fails (with the word it found) if anything but a free, quiet lock
    /// is seen. The lock futures' fast path: their slow path takes a free
    /// lock that is not quiet as [`try_lock`](Self::try_lock) would, so
    /// every `lock().await` inlines only this.
    #[inline(always)]
    fn take_quiet(&self) -> Result<(), usize> {
        // Acquire on success: pairs with the Release of the unlock that freed
        // the lock, so the critical section sees the previous one's writes.
        // Relaxed on failure: nothing is read through a failed attempt.
        self.state
            .compare_exchange(0, LOCKED, Acquire, Relaxed)
            .map(drop)
    }

    #[cold]
    fn try_lock_slow(&self, mut state: usize) -> bool {
        // The lock may be free with CONTENDED set (waiters queued but none
        // woken yet, or a woken one not yet running): barge, unless someone
        // is starving.
        while state & LOCKED == 0 && state < STARVING_ONE {
            // Orderings as in `try_lock`.
            match self
                .state
                .compare_exchange_weak(state, state | LOCKED, Acquire, Relaxed)
            {
                Ok(_) => return true,
                Err(now) => state = now,
            }
        }
        false
    }

    /// Releases the lock.
    ///
    /// # Safety contract (not `unsafe`: the state stays consistent either way)
    /// Only the holder of the lock calls this, once per acquisition.
    #[inline]
    pub(crate) fn unlock(&self) {
        // Release: publishes the critical section's writes to the next
        // acquirer, whose Acquire read-modify-write reads this one or a later
        // one of the word's release sequence.
        let prev = self.state.fetch_sub(LOCKED, Release);
        debug_assert!(prev & LOCKED != 0, "unlocked a mutex that was not locked");
        if prev != LOCKED {
            self.unlock_slow(prev - LOCKED);
        }
    }

    /// After an unlock that found more than `LOCKED` in the word (`state`
    /// is the word it left): the lock is free already, and anyone may have
    /// taken it since. Clears the flags and acts on them:
    /// - `CONTENDED` is cleared only while the lock is still free. If
    ///   someone took it meanwhile, it stays set, so that their release
    ///   notifies too: a queued waiter polled again may have taken it
    ///   (`waiter_step`) and then consume the notification below as it
    ///   withdraws, and the waiters behind it would be left with nobody to
    ///   wake them. The notification goes out either way, as it did when the
    ///   unlock and the clearing were one read-modify-write: the waiter it
    ///   wakes takes the lock, or loses a race (counted, see the module docs)
    ///   and sets `CONTENDED` again before it parks.
    /// - `WATCHED` is cleared and the watchers woken either way; one that
    ///   finds the lock taken again marks it anew.
    #[cold]
    fn unlock_slow(&self, mut state: usize) {
        loop {
            let clear = if state & LOCKED == 0 {
                CONTENDED | WATCHED
            } else {
                WATCHED
            };
            // Acquire: a waiter's registration precedes its (Release)
            // read-modify-write that set CONTENDED; seeing CONTENDED here
            // makes that registration visible to the `notify` below, so the
            // notification finds it (likewise a watcher's mark and its
            // registration). Release: clearing WATCHED is the watchers'
            // read-modify-write of the protocol, as clearing CONTENDED is the
            // waiters'. Relaxed on failure: look again.
            match self
                .state
                .compare_exchange_weak(state, state & !clear, AcqRel, Relaxed)
            {
                Ok(_) => break,
                Err(now) => state = now,
            }
        }
        if state & CONTENDED != 0 {
            self.queue.notify(1);
        }
        if state & WATCHED != 0 {
            WAKE_WATCHERS.call(self);
        }
    }

    /// Polls a watcher: `Ready` once it saw the mutex unlocked (a snapshot),
    /// without taking it or counting as a waiter. It waits in the watchers'
    /// queue, not the mutex's, so it can never take a waiter's wakeup.
    pub(crate) fn poll_unlocked(&self, waiter: Pin<&mut Waiter>, cx: &mut Context<'_>) -> Poll<()> {
        poll_watcher(self.addr(), &WAKE_WATCHERS, notify_shard, waiter, cx, |mark| {
            // Orderings: see `poll_watcher`.
            let state = if mark {
                self.state.fetch_or(WATCHED, AcqRel)
            } else {
                self.state.load(Acquire)
            };
            (state & LOCKED == 0).then_some(())
        })
    }

    /// Where the watchers of this mutex wait (see `wait::watchers`).
    #[inline]
    pub(crate) fn addr(&self) -> *const () {
        (self as *const Self).cast()
    }

    /// The one read-modify-write of a waiter: take the lock if it is free and
    /// this waiter may (anyone while nobody starves; a `privileged` one —
    /// notified or starving — always), else mark the lock CONTENDED so its
    /// release notifies. `counted` says this waiter is already counted as
    /// starving; `start_starving` asks to be counted if it cannot take the
    /// lock now. Returns whether it took the lock.
    ///
    /// Out of line: the slow path calls it from three places, and inlined
    /// at each it cost firmware 148 bytes of flash (`firmware/size.sh`); the
    /// call is not measurable on the contended rows of the report.
    #[inline(never)]
    fn waiter_step(&self, privileged: bool, counted: bool, start_starving: bool) -> bool {
        let mut state = self.state.load(Relaxed);
        loop {
            let free = state & LOCKED == 0 && (privileged || state < STARVING_ONE);
            let next = if free {
                // A waiter that takes the lock sets CONTENDED: others may
                // still be queued, and its release must look for them.
                let taken = state | LOCKED | CONTENDED;
                if counted {
                    taken - STARVING_ONE
                } else {
                    taken
                }
            } else if start_starving {
                // The count cannot overflow: each unit is a live waiting
                // future, and there is far less memory than 2^(usize bits - 3)
                // futures would need.
                (state | CONTENDED) + STARVING_ONE
            } else {
                state | CONTENDED
            };
            // AcqRel on success. Acquire: if we take the lock, see the
            // previous holder's writes. Release: our registration in the
            // queue (done before this call) becomes visible to the releaser
            // whose `unlock_slow` reads CONTENDED from this write. A write
            // even when `next == state` keeps the protocol a plain
            // read-modify-write on one word. Relaxed on failure: we retry.
            match self
                .state
                .compare_exchange_weak(state, next, AcqRel, Relaxed)
            {
                Ok(_) => return free,
                Err(now) => state = now,
            }
        }
    }
}

/// The acquire state machine shared by every lock future. It lives inside
/// the future, pinned, because the bare tier's wait-list node lives in it.
pub(crate) struct Acquire {
    waiter: Waiter,
    /// Races lost to barging callers after being woken.
    lost: u8,
    /// Counted in the starving field of the state word.
    starving: bool,
}

impl Acquire {
    pub(crate) const fn new() -> Self {
        Self {
            waiter: Waiter::new(),
            lost: 0,
            starving: false,
        }
    }

    /// For the loom models only: races lost so far (see
    /// `tests/loom_mutex.rs`).
    #[cfg(loom)]
    pub(crate) fn lost_races(&self) -> u8 {
        self.lost
    }

    /// Polls for the lock; `Ready` means the caller now holds it.
    #[inline]
    pub(crate) fn poll(self: Pin<&mut Self>, raw: &RawMutex, cx: &mut Context<'_>) -> Poll<()> {
        // The fast path, inlined into the caller: a fresh future on a free,
        // quiet lock is one compare-exchange. Anything else, including a
        // free lock with a flag set that `try_lock` would barge past, is
        // decided by the slow path. "Fresh" is "not registered": the slow
        // path returns `Pending` only while registered, so a future polled
        // again after losing a race is registered and goes to the slow path
        // (where its lost races count). If a panicking waker unwinds out of
        // the slow path between a notification and queueing again, the
        // next poll may take this path; it is then as fair as a fresh
        // future's, and a starving count it holds keeps the word non-zero,
        // so the compare-exchange fails.
        if !self.waiter.is_registered() && raw.take_quiet().is_ok() {
            return Poll::Ready(());
        }
        self.poll_slow(raw, cx)
    }

    #[cold]
    fn poll_slow(self: Pin<&mut Self>, raw: &RawMutex, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: `waiter` is re-pinned at once and never moved; the other
        // fields are plain data that are not structurally pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: `this.waiter` is inside the pinned `Acquire`.
        let mut waiter = unsafe { Pin::new_unchecked(&mut this.waiter) };

        // Every way to the lock leaves the block with whether the waiter
        // is still queued and must withdraw (one exit: firmware flash).
        let queued = 'taken: {
            // A free lock is free for anyone while nobody starves, so take
            // it as `try_lock` would, before queueing (or staying queued):
            // - a fresh future that missed the fast path: this second look
            //   finds the lock free again in a good part of the cases where
            //   the fast path found it held (or a flag set), and then takes
            //   it without queueing, where queueing first and withdrawing
            //   after taking the lock takes the queue's lock twice;
            // - a queued waiter polled without a wakeup (a spurious poll,
            //   e.g. from a `select!`), rather than stay pending behind a
            //   newcomer. A notification that came meanwhile was for the
            //   release that freed the lock; `waiter_step` set CONTENDED,
            //   so our release notifies whoever is still queued.
            // In hand-off mode the starving field is non-zero and this is
            // skipped (no write to the word either): the lock then goes
            // only to a notified or starving waiter, below (so a waiter
            // that takes it here is not starving). Relaxed: only decides
            // whether to try; `waiter_step`'s read-modify-write does the
            // ordering, and if the lock was taken meanwhile it only sets
            // CONTENDED, which a queued waiter has set anyway and a fresh
            // one sets below when it queues.
            let registered = waiter.is_registered();
            let state = raw.state.load(Relaxed);
            if state & LOCKED == 0 && state < STARVING_ONE && raw.waiter_step(false, false, false)
            {
                break 'taken registered;
            }
            if registered {
                match waiter.as_mut().poll_notified(&raw.queue, cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(()) => {}
                }
                // Notified (and so off the queue): the lock is ours if
                // nobody barged in first.
                if raw.waiter_step(true, this.starving, false) {
                    break 'taken false;
                }
                // Wrapping is harmless: the waiter starts starving (below)
                // as soon as the count reaches `HANDOFF_AFTER`, long before
                // a wrap, and stays so until it holds the lock, so the count
                // decides nothing more after that.
                this.lost = this.lost.wrapping_add(1);
            }

            // Queue (again), then re-check: see the protocol in `wait`.
            waiter.as_mut().register(&raw.queue, cx.waker());
            let start_starving = !this.starving && this.lost >= HANDOFF_AFTER;
            let privileged = this.starving || start_starving;
            if raw.waiter_step(privileged, this.starving, start_starving) {
                // Took it without a notification. One that arrived meanwhile
                // was for this release; our own release will notify (we set
                // CONTENDED), so dropping it loses nothing.
                break 'taken true;
            }
            this.starving |= start_starving;
            // The node holds our waker: a notification, even one that raced
            // the re-check, wakes us, and the next poll finds it.
            return Poll::Pending;
        };
        // The lock is ours: `waiter_step` took us out of the starving count
        // if we were in it. `this.starving` may still say so: a completed
        // `Acquire` is never polled or cancelled again (its only owner,
        // `LockInner`, gives up the mutex with the lock), so nobody reads it.
        if queued {
            waiter.as_mut().withdraw(&raw.queue);
        }
        Poll::Ready(())
    }

    /// Called by a lock future's `Drop` before it completes: leaves the
    /// queue, passing on a notification, and stops counting as starving.
    pub(crate) fn cancel(self: Pin<&mut Self>, raw: &RawMutex) {
        // SAFETY: as in `poll`.
        let this = unsafe { self.get_unchecked_mut() };
        // Leave the starving count *before* passing a notification on. In
        // the other order a caller arriving between the two steps would see
        // hand-off mode, queue instead of barging, and wait for a wakeup that
        // the (possibly empty) queue had already swallowed, with the lock
        // free and nobody left to release it.
        if this.starving {
            this.starving = false;
            // AcqRel: orders this before the pass-on below for a caller that
            // reads the count in its own read-modify-write; no data is
            // published through it.
            raw.state.fetch_sub(STARVING_ONE, AcqRel);
        }
        // SAFETY: as in `poll`.
        let waiter = unsafe { Pin::new_unchecked(&mut this.waiter) };
        waiter.cancel(&raw.queue);
    }
}
