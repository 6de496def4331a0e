//! The data-less lock under [`RwLock`](crate::RwLock): its state word, its
//! fast paths, and the one acquire state machine every lock future (read,
//! upgradable read, write, upgrade; borrowed, `Arc`, blocking) runs.
//!
//! # State word
//!
//! One `AtomicUsize` and two wait queues, one for readers (plain and
//! upgradable) and one for writers (and an upgrading upgradable reader):
//!
//! | bits                 | name             | meaning                                                        |
//! |----------------------|------------------|----------------------------------------------------------------|
//! | 0                    | `WRITER`         | a write guard exists                                           |
//! | 1                    | `UPGRADABLE`     | an upgradable read guard (or a pending upgrade) exists         |
//! | 2                    | `UPGRADING`      | its upgrade waits for the readers to leave: new readers queue; |
//! |                      |                  | beside `WRITER`: the writer is an upgrade                      |
//! | 3                    | `READERS_PARKED` | a reader may be queued: a release that frees it must notify    |
//! | 4                    | `READ_PHASE`     | a write release let the queued readers in: writers wait        |
//! | 5                    | `WATCHED`        | a `wait_write_unlocked` future may be waiting (below)          |
//! | 6                    | `PHASE_GEN`      | which read phase this is (see *Fair phases*)                   |
//! | 7 .. 7+`W`           | waiting writers  | writers queued (counted until they get the lock or are dropped)|
//! | 7+`W` ..             | readers          | plain read guards                                              |
//!
//! `W` = `(usize::BITS - 7) / 2`: 28 bits on 64-bit targets, 12 on 32-bit,
//! and the readers get the rest (29 and 13 bits). On 32-bit targets
//! [`MAX_READERS`] fills the readers' field (8 191); on 64-bit ones it is
//! half of it (268 435 455), the other half being headroom for the read fast
//! path's speculative increments (below). Both counts are checked before
//! they are incremented (but for that fast path, which checks the word its
//! increment replaced and takes the increment back), and overflowing either
//! panics with the word as it was.
//!
//! `0` is unlocked and quiet. An uncontended `write` is one compare-exchange
//! `0 → WRITER` and its release one compare-exchange `WRITER → 0`; a `read`'s
//! release is one `fetch_sub`. None touches a wait queue.
//!
//! A `read` that finds no writer holding or queued takes the lock in one
//! read-modify-write, also with other readers inside (the common read-mostly
//! case). On 64-bit targets it is a `fetch_add` of `ONE_READER`, with no load
//! before it: it cannot fail when other readers race it, and it costs less
//! than the load and compare-exchange std's futex RwLock uses (about 1 ns
//! per uncontended read on the machine measured). If the word it replaced
//! says the reader may not enter (a writer holds or waits, an upgrade waits,
//! or the count is full), the reader takes its increment back and goes to
//! the slow path. Until then it is a *transient reader*: counted, holding
//! nothing, for a few instructions. Every writer-side step treats it as a
//! reader inside (a writer or an upgrade waits for it; a write release or a
//! downgrade keeps its count), and taking the increment back does what the
//! last reader to leave does (`last_reader_left`), so nothing waits on it
//! longer than that, with one exception: it was never in a read phase, so it
//! does not end one while readers notified for it have not taken their
//! notifications (they enter it or end it); otherwise it wakes the queued
//! readers to end it, or ends it if there are none (*Fair phases*). (A
//! reader of the phase that took its notification and is about to enter can
//! still find the phase ended by it, as by any reader leaving, and waits for
//! the next.) The increment is checked only on the word it replaced, so a
//! full count could carry out of the word if more increments were in flight
//! at once than the headroom above [`MAX_READERS`] (2^28): more threads than
//! any operating system runs. On 32-bit targets that headroom
//! would be 8 192 threads, so there a `read` stays a load and a
//! compare-exchange `state → state + ONE_READER`, checked before it is made.
//!
//! # Watchers
//!
//! A [`RwLock::wait_write_unlocked`](crate::RwLock::wait_write_unlocked)
//! future waits in the shared watchers' queue (`wait::watchers`), never in
//! the lock's queues, and marks `WATCHED`; a write unlock that clears the
//! mark (or a downgrade that finds it) notifies the watchers. So no wakeup
//! meant for a reader or a writer can reach a watcher, and watchers count
//! for nothing in the fair phases below.
//!
//! # Fair phases
//!
//! - *Writers first against new readers.* A queued writer counts itself in
//!   the waiting-writers field, and while that is non-zero new readers (and
//!   new upgradable readers) queue instead of joining the readers inside. So
//!   the readers inside drain, and the last one to leave notifies a writer.
//!   Whatever wakes a queued reader, this holds for it too, but for the one
//!   exception below.
//! - *Readers first against the next writer.* A write release (an unlock or
//!   a downgrade) that finds `READERS_PARKED` (and is not an upgrade's while
//!   writers are queued, see *Upgrade*) starts a *read phase*: it sets
//!   `READ_PHASE`, which no writer may pass, queued or new, flips
//!   `PHASE_GEN`, and notifies *every* queued reader. A reader that parked
//!   before that release is *entitled* to the phase: while the phase runs it
//!   ignores the waiting-writers field, so the whole batch gets in, and the
//!   last of them to leave ends the phase and notifies a writer. A writer
//!   looping on `write()` therefore cannot starve the readers either.
//! - A reader is entitled only to phases that began after it parked. Each
//!   reader future remembers, from the word its parking read-modify-write
//!   replaced, which `PHASE_GEN` values it may pass in: both if no phase ran
//!   then, else only the other one (the phase running then is not its own;
//!   the next one will have the flipped value). A reader that is entitled to
//!   the running phase but blocked anyway (by the upgradable lock, a pending
//!   upgrade or a writer that upgraded inside the phase) parks again
//!   entitled to both: it queued before any phase that runs from now on.
//!   `PHASE_GEN` changes only when a phase starts, or while no phase runs and
//!   no reader is parked (it is then cleared, so `0` stays the quiet state),
//!   so a phase keeps its value while it runs and a reader is never entitled
//!   to the phase it parked in. A reader parked across two phase starts
//!   without running (so the value came back) just waits for the next one.
//! - A phase nobody will use must not block the writers: if the
//!   notify-everyone found no reader (the `READERS_PARKED` mark was left by
//!   readers that were dropped), the phase ends there. A notified reader that
//!   is dropped, or that turns out not to be entitled (it registered between
//!   the release's read-modify-write and its notify, or a release inside the
//!   phase woke it), ends the phase if nobody is inside it (no reader
//!   counted, no upgradable or write lock held): it may have been its last
//!   hope. Entitled readers not yet polled then wait for the next phase.
//!
//! Writers are served in the wait queue's FIFO order among themselves: a new
//! writer does not pass a counted one.
//!
//! # Upgrade
//!
//! At most one upgradable read guard exists (`UPGRADABLE`); it coexists with
//! plain readers and excludes writers. Upgrading sets `UPGRADING`, which stops
//! new readers, entitled to a phase or not, and waits in the writers' queue
//! until the reader count is zero; the last reader to leave sees `UPGRADING`
//! and notifies the whole writers' queue so the upgrader is among those woken
//! (the writers woken with it find `UPGRADABLE` or `WRITER` and queue again).
//! The upgrade then turns `UPGRADABLE` into `WRITER` in one compare-exchange,
//! keeping `UPGRADING` beside it: the upgrade went before the queued writers,
//! so its write release (unlock or downgrade) starts no read phase while
//! writers are queued. The first of them goes next, and the readers parked
//! meanwhile, which queued behind them, stay parked for its release.
//! Otherwise tasks that take the upgradable lock and upgrade it in turn, each
//! parked at the other's write release, would starve a queued writer.
//!
//! # Cancellation
//!
//! A dropped pending writer leaves the count first, then the queue (passing a
//! received notification to the next writer), and if it was the last queued
//! writer it wakes the readers it was holding back. A dropped upgrade clears
//! `UPGRADING`, wakes the readers it held back, passes on a notification, and
//! releases the upgradable lock it owned, which notifies a writer if the lock
//! is free. A dropped reader drops a notification (every queued reader had
//! one) and ends the read phase it may have been the last hope of, if nobody
//! is inside it.

use core::pin::Pin;
use core::task::{Context, Poll};

use crate::shim::{const_fn, AtomicUsize, Ordering::*};
use crate::wait::{notify_shard, poll_watcher, Hook, WaitQueue, Waiter};

/// How a write unlock that finds `WATCHED` reaches the watchers (installed
/// by the first `wait_write_unlocked`; see `wait::Hook`).
static WAKE_WATCHERS: Hook = Hook::new();

const WRITER: usize = 1;
const UPGRADABLE: usize = 1 << 1;
const UPGRADING: usize = 1 << 2;
const READERS_PARKED: usize = 1 << 3;
const READ_PHASE: usize = 1 << 4;
const WATCHED: usize = 1 << 5;
const GEN_SHIFT: u32 = 6;
const PHASE_GEN: usize = 1 << GEN_SHIFT;
const FLAG_BITS: u32 = 7;
const WRITERS_BITS: u32 = (usize::BITS - FLAG_BITS) / 2;
const ONE_WRITER: usize = 1 << FLAG_BITS;
const MAX_WAITING_WRITERS: usize = (1 << WRITERS_BITS) - 1;
const WRITERS_MASK: usize = MAX_WAITING_WRITERS << FLAG_BITS;
const READER_SHIFT: u32 = FLAG_BITS + WRITERS_BITS;
const ONE_READER: usize = 1 << READER_SHIFT;

/// Whether a plain read takes the lock with a speculative `fetch_add` (on
/// 64-bit targets) rather than a checked compare-exchange: see *State word*.
const SPECULATIVE_READ: bool = cfg!(target_pointer_width = "64");
/// The most plain readers the lock can count at once: the readers' field,
/// or half of it where the other half is headroom for speculative reads.
pub(crate) const MAX_READERS: usize = if SPECULATIVE_READ {
    usize::MAX >> (READER_SHIFT + 1)
} else {
    usize::MAX >> READER_SHIFT
};
/// Every word with a full reader count is at least this.
const READERS_FULL: usize = MAX_READERS << READER_SHIFT;

/// Whether a fresh plain reader may enter on `state`: no writer holds or
/// waits, no upgrade waits, and the count has room.
#[inline(always)]
const fn readable(state: usize) -> bool {
    state & (WRITER | UPGRADING | WRITERS_MASK) == 0 && state < READERS_FULL
}

#[inline(always)]
const fn readers(state: usize) -> usize {
    state >> READER_SHIFT
}

#[inline(always)]
const fn waiting_writers(state: usize) -> usize {
    (state & WRITERS_MASK) >> FLAG_BITS
}

/// The read phases a reader may pass queued writers in, as a set of
/// `PHASE_GEN` values: bit 0 for a phase whose `PHASE_GEN` is clear, bit 1
/// for one whose `PHASE_GEN` is set (see *Fair phases*).
pub(crate) type Phases = u8;
/// A reader that never parked: entitled to no phase.
pub(crate) const NO_PHASE: Phases = 0;
const ANY_PHASE: Phases = 0b11;

/// Whether a reader entitled to `phases` may pass queued writers in `state`:
/// a read phase runs and it is one of the reader's.
#[inline(always)]
const fn in_own_phase(state: usize, phases: Phases) -> bool {
    state & READ_PHASE != 0 && phases & (1 << ((state & PHASE_GEN) >> GEN_SHIFT)) != 0
}

/// The phases a reader that parks on `state` is entitled to, given the
/// `phases` it had: see *Fair phases*.
#[inline]
const fn phases_after_parking(state: usize, phases: Phases) -> Phases {
    if state & READ_PHASE == 0 || in_own_phase(state, phases) {
        ANY_PHASE
    } else {
        // Only the next phase: it will have the other `PHASE_GEN`.
        1 << (((state & PHASE_GEN) >> GEN_SHIFT) ^ 1)
    }
}

/// `next`, with `PHASE_GEN` cleared if no phase runs and no reader is
/// parked: nobody can tell the values apart then, and `0` stays the quiet
/// state the fast paths expect.
#[inline(always)]
const fn settle_gen(next: usize) -> usize {
    if next & (READ_PHASE | READERS_PARKED) == 0 {
        next & !PHASE_GEN
    } else {
        next
    }
}

/// A new read phase on top of `next`: `READ_PHASE` set, `PHASE_GEN` flipped.
#[inline(always)]
const fn start_phase(next: usize) -> usize {
    (next | READ_PHASE) ^ PHASE_GEN
}

/// Whether a write release (an unlock or a downgrade) of `state` starts a
/// read phase: if readers are parked, unless the writer is an upgrade
/// (`WRITER | UPGRADING`) and writers are queued. The upgrade went before
/// them (they wait for the upgradable lock it held), so the first of them
/// goes next, and the readers parked meanwhile, which queued behind them,
/// stay parked for that writer's release.
#[inline(always)]
const fn starts_phase(state: usize) -> bool {
    state & READERS_PARKED != 0 && (state & UPGRADING == 0 || waiting_writers(state) == 0)
}

/// The word after a write release of `state`, given `next`: `state` with
/// the writer's bits (and `READ_PHASE`) changed as the release does,
/// `READERS_PARKED` untouched. Starts a phase (see [`starts_phase`]), or
/// leaves the parked readers parked, settling `PHASE_GEN`.
#[inline(always)]
const fn write_release(state: usize, next: usize) -> usize {
    if starts_phase(state) {
        start_phase(next & !READERS_PARKED)
    } else {
        settle_gen(next)
    }
}

/// Runs `first`, then `rest`, even if `first` unwinds (a waker it ran
/// panicked): the steps of a release that must all happen, whatever a waker
/// does. The panic goes on once `rest` has run; a second one while it
/// unwinds aborts, as any panic in a destructor does.
#[inline]
fn then_even_on_panic(first: impl FnOnce(), rest: impl FnOnce()) {
    struct Rest<F: FnOnce()>(Option<F>);
    impl<F: FnOnce()> Drop for Rest<F> {
        fn drop(&mut self) {
            if let Some(rest) = self.0.take() {
                rest();
            }
        }
    }
    let rest = Rest(Some(rest));
    first();
    drop(rest);
}

/// What a reader's step did.
pub(crate) enum ReadStep {
    Taken,
    /// Not taken; the word it acted on (parked on, if it was to park).
    Blocked(usize),
}

#[cold]
#[inline(never)]
#[track_caller]
fn reader_overflow() -> ! {
    panic!("turnstile-sync: RwLock reader count overflow (more than {MAX_READERS} readers at once)")
}

#[cold]
#[inline(never)]
fn writer_overflow() -> ! {
    panic!(
        "turnstile-sync: RwLock waiting-writer count overflow (more than {MAX_WAITING_WRITERS} \
         writers queued at once)"
    )
}

pub(crate) struct RawRwLock {
    state: AtomicUsize,
    /// Plain and upgradable readers.
    readers: WaitQueue,
    /// Writers, and an upgrade waiting for the readers to leave.
    writers: WaitQueue,
}

impl ReadStep {
    #[inline(always)]
    fn taken(self) -> bool {
        matches!(self, ReadStep::Taken)
    }
}

impl RawRwLock {
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self {
                state: AtomicUsize::new(0),
                readers: WaitQueue::new(),
                writers: WaitQueue::new(),
            }
        }
    }

    // ---- diagnostics -------------------------------------------------------

    #[inline]
    pub(crate) fn is_locked(&self) -> bool {
        // Relaxed: a snapshot for diagnostics; it orders nothing.
        let state = self.state.load(Relaxed);
        state & (WRITER | UPGRADABLE) != 0 || readers(state) != 0
    }

    #[inline]
    pub(crate) fn is_write_locked(&self) -> bool {
        // Relaxed: as in `is_locked`.
        self.state.load(Relaxed) & WRITER != 0
    }

    /// Plain readers plus the upgradable reader, if any.
    #[inline]
    pub(crate) fn reader_count(&self) -> usize {
        // Relaxed: as in `is_locked`.
        let state = self.state.load(Relaxed);
        readers(state) + usize::from(state & UPGRADABLE != 0)
    }

    // ---- readers -------------------------------------------------------------

    /// Takes a read lock if no writer holds or waits for the lock (and no
    /// upgrade waits): one read-modify-write, whether or not readers are
    /// inside (see *State word*). Panics, leaving the word unchanged, if the
    /// reader count is full.
    #[inline]
    pub(crate) fn try_read(&self) -> bool {
        if SPECULATIVE_READ {
            // Acquire: pairs with the Release of the write unlock that freed
            // the lock (the readers' read-modify-writes since continue its
            // release sequence), so the reader sees the writer's writes.
            let prev = self.state.fetch_add(ONE_READER, Acquire);
            return readable(prev) || self.leave_transient_read();
        }
        // Relaxed: only a guess at the word for the exchange below, which
        // checks it; nothing is read through it.
        let state = self.state.load(Relaxed);
        if readable(state) {
            // Orderings: Acquire on success, as for the `fetch_add`. Relaxed
            // on failure: the slow path reads the state it returns.
            match self
                .state
                .compare_exchange(state, state + ONE_READER, Acquire, Relaxed)
            {
                Ok(_) => return true,
                Err(now) => return self.try_read_slow(now, false),
            }
        }
        self.try_read_slow(state, false)
    }

    /// `try_read`'s answer after its `fetch_add` found that it may not enter
    /// (a *transient reader*, see *State word*): takes the increment back,
    /// doing what the last reader to leave does for whoever saw it counted,
    /// then tries the slow path. The count it added is at most
    /// `MAX_READERS` plus the increments in flight, inside the field.
    #[cold]
    fn leave_transient_read(&self) -> bool {
        // Release: as in `read_unlock_n` (nothing was read, but it costs
        // nothing here). The Acquire for a waiter's registration is in the
        // read-modify-writes of the steps below, as for a real last reader.
        let prev = self.state.fetch_sub(ONE_READER, Release);
        // Nobody waits for the count to drop while a writer holds the lock
        // (an upgrade is pending only while none does): its release
        // notifies whoever is next.
        if readers(prev) == 1 && prev & WRITER == 0 {
            if prev & (READ_PHASE | UPGRADING) == READ_PHASE {
                // The last reader of a read phase ends it, but this one was
                // never in it. Readers notified for the phase that have not
                // taken their notifications end it or enter it. If there is
                // none, the release that started it may not have notified
                // yet (then notifying here does it), or the phase's readers
                // came and left while this one was counted, so none of them
                // ended it: then the readers queued now, which are not
                // entitled to it, are woken to end it, and if there is none,
                // it ends here.
                if !self.readers.has_notified() {
                    self.wake_readers_for_phase();
                }
            } else if prev & (UPGRADING | WRITERS_MASK) != 0 {
                self.last_reader_left();
            }
        }
        self.try_read_slow(self.state.load(Relaxed), false)
    }

    /// Takes the upgradable read lock if no writer holds or waits for the
    /// lock and no other upgradable reader holds it: as `try_read`, one
    /// compare-exchange with plain readers inside or not.
    #[inline]
    pub(crate) fn try_upgradable_read(&self) -> bool {
        // Orderings as in `try_read`.
        let state = self.state.load(Relaxed);
        if state & (WRITER | UPGRADABLE | WRITERS_MASK) == 0 {
            match self
                .state
                .compare_exchange(state, state | UPGRADABLE, Acquire, Relaxed)
            {
                Ok(_) => return true,
                Err(now) => return self.try_read_slow(now, true),
            }
        }
        self.try_read_slow(state, true)
    }

    /// `try_read`'s (`upgradable`: `try_upgradable_read`'s) answer when its
    /// exchange was not tried or failed: a fresh reader's step, which
    /// decides from the word and retries the exchange while only the count
    /// moved.
    #[cold]
    fn try_read_slow(&self, state: usize, upgradable: bool) -> bool {
        self.read_step(state, upgradable, NO_PHASE, false, false)
            .taken()
    }

    /// The one read-modify-write of a reader (`upgradable`: of the
    /// upgradable reader): take the lock if it may (a reader in a read phase
    /// it is entitled to by `phases` passes queued writers), else, if
    /// `park`, mark `READERS_PARKED` so the release that frees it notifies.
    /// A parking reader that was `woken` and finds a read phase that is not
    /// its own with nobody inside ends that phase in the same exchange, and
    /// notifies a writer (see *Fair phases*). Panics, leaving the word
    /// unchanged, if the reader count is full.
    #[cold]
    fn read_step(
        &self,
        mut state: usize,
        upgradable: bool,
        phases: Phases,
        park: bool,
        woken: bool,
    ) -> ReadStep {
        loop {
            let own_phase = in_own_phase(state, phases);
            let blocked = state & (WRITER | UPGRADING) != 0
                || (upgradable && state & UPGRADABLE != 0)
                || (!own_phase && waiting_writers(state) != 0);
            let mut ends_phase = false;
            let next = if !blocked {
                if upgradable {
                    state | UPGRADABLE
                } else {
                    // `>=`: transient readers may count past the maximum.
                    if readers(state) >= MAX_READERS {
                        reader_overflow();
                    }
                    state + ONE_READER
                }
            } else if park {
                // A woken reader that may not use the running phase ends it
                // if nobody is inside (no reader counted, no upgradable or
                // write lock: an upgrade holds the upgradable one), for the
                // notify that woke it may have found nobody else (see *Fair
                // phases*). It is then blocked by the queued writers alone,
                // and the lock is free for them. `READERS_PARKED` stays set,
                // so `PHASE_GEN` is kept and the next phase differs from the
                // one this reader parks in.
                ends_phase = woken
                    && !own_phase
                    && state & (READ_PHASE | WRITER | UPGRADABLE) == READ_PHASE
                    && readers(state) == 0;
                if ends_phase {
                    (state | READERS_PARKED) & !READ_PHASE
                } else {
                    state | READERS_PARKED
                }
            } else {
                return ReadStep::Blocked(state);
            };
            // AcqRel on success. Acquire: a reader that takes the lock sees
            // the last writer's writes; one that ends a phase makes the
            // writers' registrations visible to its notify (as in
            // `last_reader_left`). Release: a parking reader's registration
            // (made before this call) becomes visible to the releaser that
            // reads READERS_PARKED from this write. Relaxed on failure: we
            // retry with the value read.
            match self
                .state
                .compare_exchange_weak(state, next, AcqRel, Relaxed)
            {
                Ok(_) if !blocked => return ReadStep::Taken,
                Ok(_) => {
                    if ends_phase {
                        self.writers.notify(1);
                    }
                    return ReadStep::Blocked(state);
                }
                Err(now) => state = now,
            }
        }
    }

    /// Releases a read lock.
    ///
    /// # Safety contract (not `unsafe`: the state stays consistent either way)
    /// Only the holder of a read lock calls this, once per acquisition.
    #[inline]
    pub(crate) fn read_unlock(&self) {
        self.read_unlock_n(1);
    }

    /// Releases `n` read locks at once (`n` = 1 but for the test hook).
    #[inline]
    pub(crate) fn read_unlock_n(&self, n: usize) {
        // Release: the reads of the critical section happen before a
        // writer's Acquire of the freed lock. The slow path's own AcqRel
        // read-modify-write supplies the Acquire that makes a waiter's
        // registration visible before it notifies.
        let prev = self.state.fetch_sub(n * ONE_READER, Release);
        debug_assert!(
            readers(prev) >= n,
            "read-unlocked an RwLock that was not read-locked"
        );
        // The rare marks first: the common case is one test and a branch.
        if prev & (UPGRADING | READ_PHASE | WRITERS_MASK) != 0 && readers(prev) == n {
            self.last_reader_left();
        }
    }

    /// The last reader left while a writer, an upgrade or a read phase
    /// waited on it: end the phase and wake the next one in.
    #[cold]
    fn last_reader_left(&self) {
        let mut state = self.state.load(Relaxed);
        loop {
            if readers(state) != 0 {
                // New (privileged) readers came in: the last of *them* does
                // this, seeing the same marks.
                return;
            }
            // AcqRel: Acquire so that a waiter's registration, released by
            // its read-modify-write that set the mark we act on (the release
            // sequence runs through our `fetch_sub`), happens before our
            // notify; Release is not needed but harmless. Relaxed on failure.
            match self.state.compare_exchange_weak(
                state,
                settle_gen(state & !READ_PHASE),
                AcqRel,
                Relaxed,
            ) {
                Ok(_) => break,
                Err(now) => state = now,
            }
        }
        if state & UPGRADING != 0 {
            // The upgrader waits in the writers' queue, possibly behind
            // writers (who wait for it anyway): wake them all.
            self.writers.notify(usize::MAX);
        } else if state & (WRITER | UPGRADABLE) == 0 && waiting_writers(state) != 0 {
            self.writers.notify(1);
        }
    }

    /// Notifies every queued reader for the read phase a write release just
    /// started (or a transient reader found waiting for its readers). If
    /// there was none, and no reader notified earlier still holds its
    /// notification, ends the phase: nobody is coming to end it. (A reader
    /// that holds one enters the phase or, finding it is not its own, ends
    /// it; see *Fair phases*.)
    fn wake_readers_for_phase(&self) {
        if self.readers.notify(usize::MAX) == 0 && !self.readers.has_notified() {
            self.end_read_phase();
        }
    }

    /// Notifies every queued reader after a release that was not a write
    /// release (it freed the upgradable lock, or what else held them back).
    /// Those that queued behind a writer queue again: this starts no phase,
    /// and ends none (whoever is in the running one ends it).
    fn wake_readers(&self) {
        self.readers.notify(usize::MAX);
    }

    /// Clears `READERS_PARKED` and, if it was set, notifies every queued
    /// reader: for a release that removed what blocked them.
    fn wake_parked_readers(&self) {
        // AcqRel: Acquire makes the registration of the reader that set the
        // mark visible to the notify; Release orders nothing but is free.
        let prev = self.state.fetch_and(!READERS_PARKED, AcqRel);
        self.settle_gen_after(prev & !READERS_PARKED);
        if prev & READERS_PARKED != 0 {
            self.wake_readers();
        }
    }

    /// After a `fetch_and` that left `now`: clears a `PHASE_GEN` that no
    /// phase and no parked reader needs any more (see [`settle_gen`]).
    /// Until then a stray `PHASE_GEN` only sends the fast paths to the slow
    /// ones, which ignore it.
    #[inline]
    fn settle_gen_after(&self, now: usize) {
        if now & (PHASE_GEN | READ_PHASE | READERS_PARKED) == PHASE_GEN {
            self.clear_stale_gen();
        }
    }

    #[cold]
    fn clear_stale_gen(&self) {
        let mut state = self.state.load(Relaxed);
        while settle_gen(state) != state {
            // Relaxed: `PHASE_GEN` publishes nothing, and a read-modify-write
            // breaks no release sequence it lands in.
            match self
                .state
                .compare_exchange_weak(state, settle_gen(state), Relaxed, Relaxed)
            {
                Ok(_) => return,
                Err(now) => state = now,
            }
        }
    }

    /// Ends a read phase early (nobody left to use it); if the lock is free,
    /// notifies a writer.
    #[cold]
    pub(crate) fn end_read_phase(&self) {
        // AcqRel: Acquire, as in `last_reader_left`, for a queued writer's
        // registration.
        let prev = self.state.fetch_and(!READ_PHASE, AcqRel);
        self.settle_gen_after(prev & !READ_PHASE);
        if prev & READ_PHASE != 0
            && prev & (WRITER | UPGRADABLE) == 0
            && readers(prev) == 0
            && waiting_writers(prev) != 0
        {
            self.writers.notify(1);
        }
    }

    /// A notified reader was dropped: ends the read phase if nobody is in
    /// it (no reader counted, no upgradable or write lock held, whose
    /// release would end it), as that reader may have been its last hope;
    /// if the lock is then free and writers wait, notifies one.
    #[cold]
    pub(crate) fn end_idle_read_phase(&self) {
        let mut state = self.state.load(Relaxed);
        loop {
            if state & (READ_PHASE | WRITER | UPGRADABLE) != READ_PHASE || readers(state) != 0 {
                return;
            }
            // AcqRel: Acquire, as in `last_reader_left`, for a queued
            // writer's registration. Relaxed on failure: retry.
            match self.state.compare_exchange_weak(
                state,
                settle_gen(state & !READ_PHASE),
                AcqRel,
                Relaxed,
            ) {
                Ok(_) => break,
                Err(now) => state = now,
            }
        }
        if waiting_writers(state) != 0 {
            self.writers.notify(1);
        }
    }

    // ---- upgradable reader ---------------------------------------------------

    /// Releases the upgradable read lock.
    pub(crate) fn upgradable_unlock(&self) {
        // AcqRel: Release publishes nothing written (the upgradable reader
        // only read) but orders its reads before a writer's Acquire; Acquire
        // makes a parked waiter's registration visible to the notifies.
        let prev = self.state.fetch_and(!(UPGRADABLE | READERS_PARKED), AcqRel);
        debug_assert!(prev & UPGRADABLE != 0);
        self.settle_gen_after(prev & !(UPGRADABLE | READERS_PARKED));
        then_even_on_panic(
            || {
                if prev & READERS_PARKED != 0 {
                    // Upgradable readers may be queued behind this one.
                    self.wake_readers();
                }
            },
            || {
                if readers(prev) == 0 {
                    if prev & READ_PHASE != 0 {
                        // This upgradable reader came in with a read phase
                        // (it was queued with the readers) and is its last
                        // member to leave.
                        self.end_read_phase();
                    } else if waiting_writers(prev) != 0 {
                        self.writers.notify(1);
                    }
                }
            },
        );
    }

    /// Upgrades the upgradable read lock if no plain reader is left.
    #[inline]
    pub(crate) fn try_upgrade(&self) -> bool {
        self.upgrade_step(self.state.load(Relaxed), false)
    }

    /// The one read-modify-write of an upgrade: turn `UPGRADABLE` into
    /// `WRITER` once the readers are gone, else (`park`) set `UPGRADING`.
    fn upgrade_step(&self, mut state: usize, park: bool) -> bool {
        loop {
            debug_assert!(state & UPGRADABLE != 0 && state & WRITER == 0);
            let free = readers(state) == 0;
            let next = if free {
                // `UPGRADING` stays (or is set) beside `WRITER`: this writer
                // is an upgrade (see `write_release`).
                (state & !UPGRADABLE) | WRITER | UPGRADING
            } else if park {
                state | UPGRADING
            } else {
                return false;
            };
            // AcqRel on success. Acquire: the new writer sees the readers'
            // accesses as done (pairs with their Release `fetch_sub`).
            // Release: the upgrader's registration is visible to the last
            // reader, who reads UPGRADING from this write. Relaxed on failure.
            match self
                .state
                .compare_exchange_weak(state, next, AcqRel, Relaxed)
            {
                Ok(_) => return free,
                Err(now) => state = now,
            }
        }
    }

    /// A pending upgrade was dropped: let readers in again.
    fn cancel_upgrade(&self) {
        // AcqRel: Acquire for the parked readers' registrations (as in
        // `wake_parked_readers`).
        let prev = self.state.fetch_and(!(UPGRADING | READERS_PARKED), AcqRel);
        self.settle_gen_after(prev & !(UPGRADING | READERS_PARKED));
        if prev & READERS_PARKED != 0 {
            self.wake_readers();
        }
    }

    /// Downgrades the upgradable lock to a plain read lock. Panics, leaving
    /// the lock as it was, if the reader count is full.
    pub(crate) fn downgrade_upgradable(&self) {
        let mut state = self.state.load(Relaxed);
        loop {
            // `>=`: transient readers may count past the maximum.
            if readers(state) >= MAX_READERS {
                reader_overflow();
            }
            let next = settle_gen(state & !(UPGRADABLE | READERS_PARKED)) + ONE_READER;
            // AcqRel: Acquire for parked upgradable readers' registrations
            // (we may notify them); Release orders nothing we need. Relaxed
            // on failure: retry.
            match self
                .state
                .compare_exchange_weak(state, next, AcqRel, Relaxed)
            {
                Ok(_) => break,
                Err(now) => state = now,
            }
        }
        if state & READERS_PARKED != 0 {
            self.wake_readers();
        }
    }

    // ---- writers -------------------------------------------------------------

    #[inline]
    pub(crate) fn try_write(&self) -> bool {
        // Orderings as in `try_read`; Acquire also pairs with the readers'
        // Release `fetch_sub`, so their reads are done before we write.
        match self.state.compare_exchange(0, WRITER, Acquire, Relaxed) {
            Ok(_) => true,
            Err(state) => self.write_step(state, false, false),
        }
    }

    /// The one read-modify-write of a writer: take the lock if it is free,
    /// no read phase is running, and nobody queued is ahead (a `counted`
    /// writer is one of the queued); else, if `park`, count this writer in
    /// (unless it is `counted` already). Returns whether it took the lock.
    #[cold]
    fn write_step(&self, mut state: usize, counted: bool, park: bool) -> bool {
        loop {
            let free = state & (WRITER | UPGRADABLE | READ_PHASE) == 0
                && readers(state) == 0
                && (counted || waiting_writers(state) == 0);
            let next = if free {
                let taken = state | WRITER;
                if counted {
                    taken - ONE_WRITER
                } else {
                    taken
                }
            } else if !park {
                return false;
            } else if counted {
                state
            } else {
                if waiting_writers(state) == MAX_WAITING_WRITERS {
                    writer_overflow();
                }
                state + ONE_WRITER
            };
            // AcqRel on success. Acquire: the writer sees the previous
            // holders' accesses as done. Release: a parking writer's
            // registration becomes visible to the releaser that reads its
            // count from this write. A write even when `next == state`
            // keeps the protocol a plain read-modify-write on one word.
            // Relaxed on failure: retry.
            match self
                .state
                .compare_exchange_weak(state, next, AcqRel, Relaxed)
            {
                Ok(_) => return free,
                Err(now) => state = now,
            }
        }
    }

    /// Releases the write lock.
    #[inline]
    pub(crate) fn write_unlock(&self) {
        // Release on success: publishes the writes to the next acquirer.
        // Relaxed on failure: we only learn to take the slow path.
        if self
            .state
            .compare_exchange(WRITER, 0, Release, Relaxed)
            .is_err()
        {
            self.write_unlock_slow();
        }
    }

    #[cold]
    fn write_unlock_slow(&self) {
        let mut state = self.state.load(Relaxed);
        loop {
            debug_assert!(
                state & WRITER != 0,
                "write-unlocked an RwLock that was not write-locked"
            );
            let next = write_release(
                state,
                state & !(WRITER | UPGRADING | READ_PHASE | WATCHED),
            );
            // AcqRel: Release publishes the writes; Acquire makes the
            // registrations of the waiters whose marks we read visible to
            // the notify below. Relaxed on failure: retry.
            match self
                .state
                .compare_exchange_weak(state, next, AcqRel, Relaxed)
            {
                Ok(_) => break,
                Err(now) => state = now,
            }
        }
        if starts_phase(state) {
            // The readers that queued meanwhile go first, together.
            self.wake_readers_for_phase();
        } else if waiting_writers(state) != 0 {
            self.writers.notify(1);
        }
        if state & WATCHED != 0 {
            WAKE_WATCHERS.call(self);
        }
    }

    /// Turns the write lock into a read lock (`to_upgradable`: into the
    /// upgradable read lock), letting queued readers in with it: a write
    /// release, so queued readers start a read phase as in
    /// `write_unlock_slow`.
    pub(crate) fn downgrade_write(&self, to_upgradable: bool) {
        let add = if to_upgradable {
            UPGRADABLE
        } else {
            ONE_READER
        };
        let mut state = self.state.load(Relaxed);
        loop {
            debug_assert!(state & WRITER != 0);
            // Only transient readers can be counted while WRITER is set, so
            // `+ ONE_READER` stays inside the field. A READ_PHASE left set (an
            // upgrade may pass one) and not restarted here ends when the
            // readers now counted leave (`last_reader_left`) or, downgraded
            // to upgradable, when that lock is released
            // (`upgradable_unlock`).
            let next = write_release(state, (state - WRITER + add) & !UPGRADING);
            // AcqRel: Release publishes the writes to the readers let in;
            // Acquire makes parked readers' registrations visible to the
            // notify. Relaxed on failure: retry.
            match self
                .state
                .compare_exchange_weak(state, next, AcqRel, Relaxed)
            {
                Ok(_) => break,
                Err(now) => state = now,
            }
        }
        if starts_phase(state) {
            self.wake_readers_for_phase();
        }
        if state & WATCHED != 0 {
            // The write lock is gone. The mark stays (the next write unlock
            // clears it): at worst one spurious notify.
            WAKE_WATCHERS.call(self);
        }
    }

    /// Polls a watcher: `Ready` once it saw no write lock held (a snapshot),
    /// without taking anything or counting as a waiter.
    pub(crate) fn poll_write_unlocked(
        &self,
        waiter: Pin<&mut Waiter>,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        poll_watcher(self.addr(), &WAKE_WATCHERS, notify_shard, waiter, cx, |mark| {
            // Orderings: see `poll_watcher`.
            let state = if mark {
                self.state.fetch_or(WATCHED, AcqRel)
            } else {
                self.state.load(Acquire)
            };
            (state & WRITER == 0).then_some(())
        })
    }

    /// Where the watchers of this lock wait (see `wait::watchers`).
    #[inline]
    pub(crate) fn addr(&self) -> *const () {
        (self as *const Self).cast()
    }

    // ---- the acquire state machine ----------------------------------------

    fn queue(&self, kind: u8) -> &WaitQueue {
        match kind {
            kind::READ | kind::UPGRADABLE_READ => &self.readers,
            _ => &self.writers,
        }
    }

    /// Adds `n` readers without guards (test hook: as if `n` read guards
    /// had been forgotten). Panics, changing nothing, on overflow.
    pub(crate) fn add_readers(&self, n: usize) {
        let mut state = self.state.load(Relaxed);
        loop {
            if state & WRITER != 0 {
                panic!("turnstile-sync: add_readers on a write-locked RwLock");
            }
            if MAX_READERS.saturating_sub(readers(state)) < n {
                reader_overflow();
            }
            // Acquire: as for a reader. Relaxed on failure: retry.
            match self
                .state
                .compare_exchange_weak(state, state + n * ONE_READER, Acquire, Relaxed)
            {
                Ok(_) => return,
                Err(now) => state = now,
            }
        }
    }
}

/// What an [`Acquire`] acquires: its const parameter, so each future's
/// poll compiles to the one fast path it needs (a runtime kind cost the
/// uncontended read a jump table and kept the poll out of line).
pub(crate) mod kind {
    pub(crate) const READ: u8 = 0;
    pub(crate) const UPGRADABLE_READ: u8 = 1;
    pub(crate) const WRITE: u8 = 2;
    /// From the upgradable lock, which the acquiring future owns.
    pub(crate) const UPGRADE: u8 = 3;
}

/// The acquire state machine shared by every RwLock future. It lives inside
/// the future, pinned, because the bare tier's wait-list node lives in it.
pub(crate) struct Acquire<const K: u8> {
    waiter: Waiter,
    /// Writers: counted in the waiting-writers field.
    /// Upgrade: `UPGRADING` was set by this upgrade.
    marked: bool,
    /// Readers: the read phases it may pass queued writers in (see *Fair
    /// phases*), set each time it parks.
    phases: Phases,
}

impl<const K: u8> Acquire<K> {
    /// A reader kind: plain or upgradable.
    const READER: bool = K == kind::READ || K == kind::UPGRADABLE_READ;

    pub(crate) const fn new() -> Self {
        Self {
            waiter: Waiter::new(),
            marked: false,
            phases: NO_PHASE,
        }
    }

    /// The fast path, inlined into the caller: a fresh future on a free
    /// lock (a reader's also with readers inside) is one read-modify-write.
    /// A future that returned `Pending` is
    /// always registered, so "not registered" means "fresh". `true`: the
    /// caller now holds the lock. Nothing is registered if this panics (on
    /// reader overflow).
    #[inline(always)]
    pub(crate) fn try_fresh(&self, raw: &RawRwLock) -> bool {
        !self.waiter.is_registered()
            && match K {
                kind::READ => raw.try_read(),
                kind::UPGRADABLE_READ => raw.try_upgradable_read(),
                kind::WRITE => raw.try_write(),
                _ => raw.try_upgrade(),
            }
    }

    /// The kind's read-modify-write (see the `*_step` functions). `woken`:
    /// this poll consumed a notification.
    fn step(&mut self, raw: &RawRwLock, park: bool, woken: bool) -> bool {
        let state = raw.state.load(Relaxed);
        if Self::READER {
            let upgradable = K == kind::UPGRADABLE_READ;
            return match raw.read_step(state, upgradable, self.phases, park, woken) {
                ReadStep::Taken => true,
                ReadStep::Blocked(parked_on) => {
                    if park {
                        self.phases = phases_after_parking(parked_on, self.phases);
                    }
                    false
                }
            };
        }
        let taken = match K {
            kind::WRITE => raw.write_step(state, self.marked, park),
            _ => raw.upgrade_step(state, park),
        };
        self.marked = !taken && (park || self.marked);
        taken
    }

    /// Polls for the lock after [`try_fresh`](Self::try_fresh) failed (or
    /// on a later poll); `Ready` means the caller now holds it.
    #[cold]
    pub(crate) fn poll_slow(
        self: Pin<&mut Self>,
        raw: &RawRwLock,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        // SAFETY: `waiter` is re-pinned at once and never moved; the other
        // fields are plain data that are not structurally pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let queue = raw.queue(K);
        let woken = this.waiter.is_registered();
        if woken {
            // SAFETY: `this.waiter` is inside the pinned `Acquire`.
            let waiter = unsafe { Pin::new_unchecked(&mut this.waiter) };
            match waiter.poll_notified(queue, cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(()) => {}
            }
            // A notification says nothing about who may pass whom: the
            // step decides from the word (a reader from its phases).
            if this.step(raw, false, true) {
                return Poll::Ready(());
            }
        }

        // Queue (again), then re-check: see the protocol in `wait`.
        // SAFETY: as above.
        unsafe { Pin::new_unchecked(&mut this.waiter) }.register(queue, cx.waker());
        if this.step(raw, true, woken) {
            // Took it without a notification. One that arrived meanwhile
            // was for this release: a writer's or upgrader's own release
            // notifies the next (we hold the lock now); every other
            // queued reader had one too.
            // SAFETY: as above.
            unsafe { Pin::new_unchecked(&mut this.waiter) }.withdraw(queue);
            return Poll::Ready(());
        }
        // The node holds our waker: a notification, even one that raced
        // the re-check, wakes us, and the next poll finds it.
        Poll::Pending
    }

    /// Called by a lock future's `Drop` before it completes: leaves the
    /// queue and takes back this waiter's marks, waking whoever they held
    /// back. An `Upgrade` also releases the upgradable lock it owns.
    pub(crate) fn cancel(self: Pin<&mut Self>, raw: &RawRwLock) {
        // SAFETY: as in `poll_slow`.
        let this = unsafe { self.get_unchecked_mut() };
        let queue = raw.queue(K);
        // SAFETY: as in `poll_slow`.
        let waiter = unsafe { Pin::new_unchecked(&mut this.waiter) };
        match K {
            kind::READ | kind::UPGRADABLE_READ => {
                // Every queued reader was notified with this one, so the
                // notification is not passed on; but a read phase may have
                // been waiting for this reader.
                if waiter.withdraw(queue) {
                    raw.end_idle_read_phase();
                }
            }
            kind::WRITE => {
                if this.marked {
                    this.marked = false;
                    // Leave the count before passing a notification on, so
                    // the writer it goes to is not held back by our count.
                    // AcqRel: orders this before the pass-on and the reader
                    // wake-up below for waiters that read the count; no data
                    // is published through it.
                    let prev = raw.state.fetch_sub(ONE_WRITER, AcqRel);
                    then_even_on_panic(
                        || waiter.cancel(queue),
                        || {
                            if waiting_writers(prev) == 1 && prev & READERS_PARKED != 0 {
                                // We were the last queued writer: readers
                                // queued behind us may go in now.
                                raw.wake_parked_readers();
                            }
                        },
                    );
                } else {
                    waiter.cancel(queue);
                }
            }
            _ => then_even_on_panic(
                || Self::leave_upgrade(&mut this.marked, waiter, raw),
                || raw.upgradable_unlock(),
            ),
        }
    }

    /// Gives up a pending `Upgrade` but keeps the upgradable lock it owns
    /// (a timed upgrade hands the guard back): leaves the writers' queue,
    /// passing on a notification, and clears `UPGRADING`, letting in the
    /// readers it held back.
    pub(crate) fn abandon_upgrade(self: Pin<&mut Self>, raw: &RawRwLock) {
        debug_assert!(K == kind::UPGRADE, "abandon_upgrade on another kind");
        // SAFETY: as in `poll_slow`.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as in `poll_slow`.
        let waiter = unsafe { Pin::new_unchecked(&mut this.waiter) };
        Self::leave_upgrade(&mut this.marked, waiter, raw);
    }

    /// The part of cancelling an upgrade that leaves the upgradable lock
    /// held.
    fn leave_upgrade(marked: &mut bool, waiter: Pin<&mut Waiter>, raw: &RawRwLock) {
        let cancel_upgrade = core::mem::take(marked);
        then_even_on_panic(
            || {
                if cancel_upgrade {
                    raw.cancel_upgrade();
                }
            },
            // A notification passed on goes to the writers' queue; writers
            // find the upgradable lock still held and queue again, and its
            // release notifies them.
            || waiter.cancel(raw.queue(K)),
        );
    }
}
