//! The semaphore's internals: the fast paths on its state word and the
//! settling of its wait queue (see the module docs of [`Semaphore`]).

// `Ordering::Acquire` is spelled out: the name `Acquire` is the future's in
// this module's parent.
use crate::shim::{Ordering, Ordering::*};
use crate::wait::Locked;

use super::{free, Semaphore, TryAcquireError, CLOSED, GRANTED, PERMIT_SHIFT, QUEUED, SHUT, WATCHED};

/// The internals: the fast paths and settling.
impl Semaphore {
    /// Takes `n` permits if they are free and nobody waits.
    #[inline]
    pub(super) fn try_take(&self, n: usize) -> Result<(), TryAcquireError> {
        // Relaxed: a guess for the compare-exchange, which does the ordering.
        let mut state = self.state.load(Relaxed);
        loop {
            if state & CLOSED != 0 {
                return Err(TryAcquireError::Closed);
            }
            if n == 0 {
                // Taking nothing takes nothing from anyone: no need to queue.
                return Ok(());
            }
            if state & QUEUED != 0 || free(state) < n {
                return Err(TryAcquireError::NoPermits);
            }
            // Acquire on success: pairs with the Release of the release that
            // freed these permits, so the new holder sees what the previous
            // one did. Relaxed on failure: retry.
            match self.state.compare_exchange_weak(
                state,
                state - (n << PERMIT_SHIFT),
                Ordering::Acquire,
                Relaxed,
            ) {
                Ok(_) => return Ok(()),
                Err(now) => state = now,
            }
        }
    }

    /// One attempt at the uncontended case of [`try_take`](Self::try_take):
    /// `n` (non-zero) permits free, nobody waiting, not closed. `false`
    /// means "take the slow path", which decides properly.
    #[inline(always)]
    pub(super) fn take_now(&self, n: usize) -> bool {
        // Relaxed: a guess for the read-modify-write, which does the
        // ordering.
        let state = self.state.load(Relaxed);
        if n == 0 || state & (CLOSED | QUEUED) != 0 || free(state) < n {
            return false;
        }
        #[cfg(target_pointer_width = "64")]
        if n == 1 {
            // A subtraction, not a compare-exchange: it need not wait for
            // the load above (only the branch does, and it is predicted), so
            // it starts at once (see the module docs). Acquire, as in
            // `try_take`.
            let prev = self.state.fetch_sub(1 << PERMIT_SHIFT, Ordering::Acquire);
            if prev & (CLOSED | QUEUED) == 0 && free(prev) != 0 {
                return true;
            }
            // Taken meanwhile, or waiters queued, or closed: not ours.
            self.put_back(1);
            return false;
        }
        // Acquire on success, as in `try_take`. Relaxed on failure: the slow
        // path starts over.
        self.state
            .compare_exchange(state, state - (n << PERMIT_SHIFT), Ordering::Acquire, Relaxed)
            .is_ok()
    }

    /// Returns `n` permits (a guard's drop, `add_permits`, a waiter that
    /// learnt of a close giving back what had been set aside for it).
    #[inline]
    pub(super) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        // Relaxed: a guess. Only a holder of the queue's lock changes
        // `QUEUED`, and the settle under it decides.
        let state = self.state.load(Relaxed);
        if state & QUEUED != 0 {
            // Waiters queue: the permits go straight to them, never into
            // the word, which then stays unwritten while the queue is busy.
            return self.release_slow(state, n);
        }
        self.put_back(n);
    }

    /// Puts `n` permits into the word, then does a release's duties if the
    /// word shows waiters or watchers. A release that saw no waiters ends
    /// here, and so does a refused one-permit take giving back what it took
    /// (`take_now`): the give-back is an ordinary release, so a settle or a
    /// watcher that looked while the permit was missing is answered here,
    /// whatever the caller does next. (The refused acquire's slow path
    /// would settle too, but nothing relies on it.)
    #[inline]
    fn put_back(&self, n: usize) {
        // Release: the next holder of these permits sees what we did while
        // holding them (it takes them with an Acquire read-modify-write, or
        // the queue's settling does; the word's read-modify-writes form a
        // release sequence). A refused take needs no ordering of its own,
        // and gets it anyway.
        let state = self.state.fetch_add(n << PERMIT_SHIFT, Release);
        if state & (QUEUED | WATCHED) != 0 {
            self.release_slow(state, 0);
        }
    }

    /// After a change that may serve someone (permits added, the semaphore
    /// closed), `state` being the word before it, or with `in_hand` permits
    /// (not in the word) for the queue when `state` showed `QUEUED`: settle
    /// the queue, then let the watchers look.
    #[cold]
    #[inline(never)]
    pub(super) fn release_slow(&self, state: usize, in_hand: usize) {
        if state & QUEUED != 0 || in_hand != 0 {
            self.queue.with_rounds(
                |locked| ((), self.settle(locked, in_hand)),
                self.settle_on(),
            );
        }
        // Permits in hand that nobody needed went into the word during the
        // settle: look again. Relaxed: a load after that read-modify-write
        // reads it or a later value, as in `cancel`; permits handed to a
        // waiter never became free, and a watcher need not hear of them.
        let state = if in_hand != 0 {
            self.state.load(Relaxed)
        } else {
            state
        };
        if state & WATCHED != 0 {
            self.wake_watchers();
        }
    }

    /// The rounds after a first critical section that settled and found
    /// its wake batch full: settle on ([`DataQueue::with_rounds`]'s `then`).
    /// One closure type for every caller, so firmware links it once.
    ///
    /// [`DataQueue::with_rounds`]: crate::wait::DataQueue::with_rounds
    #[inline]
    pub(super) fn settle_on(&self) -> impl FnMut(&mut Locked<'_>) -> bool + '_ {
        move |locked| self.settle(locked, 0)
    }

    /// Hands `in_hand` permits (given back while waiters queue, never in the
    /// word), then the free permits, to the waiters, oldest first, under the
    /// queue's lock (see the module docs). Returns whether it stopped only
    /// because the wake batch was full, with waiters left; what is left in
    /// hand then is in the word.
    ///
    /// Permits leave the word only as they are given to a waiter, each
    /// transfer one compare-exchange, so the word shows every free permit,
    /// short only of one that a refused one-permit take holds for a moment
    /// ([`take_now`](Self::take_now)): a settle that missed it is followed
    /// by another when it is given back.
    pub(super) fn settle(&self, locked: &mut Locked<'_>, mut in_hand: usize) -> bool {
        // Relaxed: every decision below is confirmed by a compare-exchange
        // on the value it was made from.
        let mut state = self.state.load(Relaxed);
        loop {
            let serving = !locked.is_empty() && locked.has_room();
            if serving && state & CLOSED != 0 {
                locked.finish_head(SHUT);
                continue;
            }
            // No overflow: permits in hand and free ones are both part of
            // the total, which is at most `MAX_PERMITS`.
            let available = free(state) + in_hand;
            if serving && available != 0 {
                // Only now: the head is usually another task's future, whose
                // memory another core may hold.
                let left = locked.head_data().expect("the head is there");
                let given = available.min(*left);
                // What the permits in hand do not cover comes from the word.
                let from_word = given.saturating_sub(in_hand);
                if from_word != 0 {
                    // Acquire on success: pairs with the Release of the
                    // releases that freed these permits; the waiter given
                    // them learns of it under this lock, so it sees what the
                    // releasers did. Relaxed on failure: look again.
                    match self.state.compare_exchange(
                        state,
                        state - (from_word << PERMIT_SHIFT),
                        Ordering::Acquire,
                        Relaxed,
                    ) {
                        Ok(_) => state -= from_word << PERMIT_SHIFT,
                        Err(now) => {
                            state = now;
                            continue;
                        }
                    }
                }
                // Permits in hand need no ordering of their own: whoever
                // gave them back holds this lock, and the waiter learns of
                // the grant after it.
                in_hand -= given - from_word;
                *left -= given;
                if *left == 0 {
                    locked.finish_head(GRANTED);
                }
                // A head that still needs more keeps what it got: nobody
                // may take permits ahead of it.
                continue;
            }
            if in_hand != 0 {
                // Nobody to give them to now (or no room left in this
                // critical section): into the word, then settle on from
                // there. Release, as in `release`.
                state = self.state.fetch_add(in_hand << PERMIT_SHIFT, Release)
                    + (in_hand << PERMIT_SHIFT);
                in_hand = 0;
                continue;
            }
            // Nothing more to hand out now: make `QUEUED` say whether anyone
            // waits. Permits released (or a close) after this compare-exchange
            // find `QUEUED` set and settle themselves; if one came before it,
            // the exchange fails and we serve it on the next round. When no
            // exchange is needed because `QUEUED` is set already, it has been
            // set all along (only a lock holder clears it), so every release
            // since we looked saw it and will settle.
            let queued = !locked.is_empty();
            let next = if queued {
                state | QUEUED
            } else {
                state & !QUEUED
            };
            if next == state {
                return queued && !locked.has_room();
            }
            // Relaxed: the flag publishes no data (grants are learnt under
            // the lock; permits left in the word keep the release sequence
            // of the releases that put them there, which a fast-path
            // Acquire synchronises with). Relaxed on failure: look again.
            match self.state.compare_exchange(state, next, Relaxed, Relaxed) {
                Ok(_) => return queued && !locked.has_room(),
                Err(now) => state = now,
            }
        }
    }
}
