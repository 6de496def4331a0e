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
//! | 2                    | `UPGRADING`      | its upgrade waits for the readers to leave: new readers queue  |
//! | 3                    | `READERS_PARKED` | a reader may be queued: a release that frees it must notify    |
//! | 4                    | `READ_PHASE`     | a write unlock released the queued readers: writers wait       |
//! | 5                    | `WATCHED`        | a `wait_write_unlocked` future may be waiting (below)          |
//! | 6 .. 6+`W`           | waiting writers  | writers queued (counted until they get the lock or are dropped)|
//! | 6+`W` ..             | readers          | plain read guards                                              |
//!
//! `W` = `(usize::BITS - 6) / 2`: 29 bits on 64-bit targets, 13 on 32-bit,
//! and the readers get the rest (29 and 13 bits: [`MAX_READERS`] is
//! 536 870 911 and 8 191). Both counts are checked before they are
//! incremented, in a compare-exchange loop, and overflowing either panics
//! with the word unchanged.
//!
//! `0` is unlocked and quiet: an uncontended `read` is one compare-exchange
//! `0 → ONE_READER` and its release one `fetch_sub`; an uncontended `write`
//! one compare-exchange `0 → WRITER` and its release one compare-exchange
//! `WRITER → 0`. None touches a wait queue.
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
//! - *Readers first against the next writer.* A write unlock that finds
//!   `READERS_PARKED` notifies *every* queued reader and sets `READ_PHASE`,
//!   which no writer may pass, queued or new. A reader that was notified is
//!   *privileged*: it ignores the waiting-writers field (it queued before
//!   the next writer got in), so the whole batch gets in, and the last of
//!   them to leave ends the phase and notifies a writer. A writer looping on
//!   `write()` therefore cannot starve the readers either.
//! - A phase nobody will use must not block the writers: if the
//!   notify-everyone found no reader (the `READERS_PARKED` mark was left by
//!   readers that were dropped), or a notified reader is dropped before it
//!   gets in, the phase ends there.
//!
//! Writers are served in the wait queue's FIFO order among themselves: a new
//! writer does not pass a counted one.
//!
//! # Upgrade
//!
//! At most one upgradable read guard exists (`UPGRADABLE`); it coexists with
//! plain readers and excludes writers. Upgrading sets `UPGRADING`, which stops
//! new readers, privileged or not, and waits in the writers' queue until the
//! reader count is zero; the last reader to leave sees `UPGRADING` and
//! notifies the whole writers' queue so the upgrader is among those woken
//! (the writers woken with it find `UPGRADABLE` or `WRITER` and queue again).
//! The upgrade then turns `UPGRADABLE` into `WRITER` in one compare-exchange.
//!
//! # Cancellation
//!
//! A dropped pending writer leaves the count first, then the queue (passing a
//! received notification to the next writer), and if it was the last queued
//! writer it wakes the readers it was holding back. A dropped upgrade clears
//! `UPGRADING`, wakes the readers it held back, passes on a notification, and
//! releases the upgradable lock it owned, which notifies a writer if the lock
//! is free. A dropped reader drops a notification (every queued reader had
//! one) and ends the read phase it may have been the last hope of.

use core::pin::Pin;
use core::task::{Context, Poll};

use crate::shim::{const_fn, AtomicUsize, Ordering::*};
use crate::wait::{notify_shard, watchers, Hook, WaitQueue, Waiter};

/// How a write unlock that finds `WATCHED` reaches the watchers (installed
/// by the first `wait_write_unlocked`; see `wait::Hook`).
static WAKE_WATCHERS: Hook = Hook::new();

const WRITER: usize = 1;
const UPGRADABLE: usize = 1 << 1;
const UPGRADING: usize = 1 << 2;
const READERS_PARKED: usize = 1 << 3;
const READ_PHASE: usize = 1 << 4;
const WATCHED: usize = 1 << 5;
const FLAG_BITS: u32 = 6;
const WRITERS_BITS: u32 = (usize::BITS - FLAG_BITS) / 2;
const ONE_WRITER: usize = 1 << FLAG_BITS;
const MAX_WAITING_WRITERS: usize = (1 << WRITERS_BITS) - 1;
const WRITERS_MASK: usize = MAX_WAITING_WRITERS << FLAG_BITS;
const READER_SHIFT: u32 = FLAG_BITS + WRITERS_BITS;
const ONE_READER: usize = 1 << READER_SHIFT;

/// The most plain readers the lock can count at once.
pub(crate) const MAX_READERS: usize = usize::MAX >> READER_SHIFT;

#[inline(always)]
const fn readers(state: usize) -> usize {
    state >> READER_SHIFT
}

#[inline(always)]
const fn waiting_writers(state: usize) -> usize {
    (state & WRITERS_MASK) >> FLAG_BITS
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

    /// Takes a read lock if no writer holds or waits for the lock.
    #[inline]
    pub(crate) fn try_read(&self) -> bool {
        // Acquire on success: pairs with the Release of the write unlock
        // that freed the lock, so the reader sees the writer's writes.
        // Relaxed on failure: the slow path reads the state it returns.
        match self.state.compare_exchange(0, ONE_READER, Acquire, Relaxed) {
            Ok(_) => true,
            Err(state) => self.read_step(state, false, false, false),
        }
    }

    #[inline]
    pub(crate) fn try_upgradable_read(&self) -> bool {
        // Orderings as in `try_read`.
        match self.state.compare_exchange(0, UPGRADABLE, Acquire, Relaxed) {
            Ok(_) => true,
            Err(state) => self.read_step(state, true, false, false),
        }
    }

    /// The one read-modify-write of a reader (`upgradable`: of the
    /// upgradable reader): take the lock if it may (a `privileged` reader —
    /// one that was notified — passes queued writers), else, if `park`,
    /// mark `READERS_PARKED` so the release that frees it notifies. Returns
    /// whether it took the lock. Panics, leaving the word unchanged, if the
    /// reader count is full.
    #[cold]
    fn read_step(&self, mut state: usize, upgradable: bool, privileged: bool, park: bool) -> bool {
        loop {
            let blocked = state & (WRITER | UPGRADING) != 0
                || (upgradable && state & UPGRADABLE != 0)
                || (!privileged && waiting_writers(state) != 0);
            let next = if !blocked {
                if upgradable {
                    state | UPGRADABLE
                } else {
                    if readers(state) == MAX_READERS {
                        reader_overflow();
                    }
                    state + ONE_READER
                }
            } else if park {
                state | READERS_PARKED
            } else {
                return false;
            };
            // AcqRel on success. Acquire: a reader that takes the lock sees
            // the last writer's writes. Release: a parking reader's
            // registration (made before this call) becomes visible to the
            // releaser that reads READERS_PARKED from this write. Relaxed on
            // failure: we retry with the value read.
            match self
                .state
                .compare_exchange_weak(state, next, AcqRel, Relaxed)
            {
                Ok(_) => return !blocked,
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
            match self
                .state
                .compare_exchange_weak(state, state & !READ_PHASE, AcqRel, Relaxed)
            {
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

    /// Notifies every queued reader. If there was none, ends a read phase
    /// (nobody is coming to end it).
    fn wake_readers(&self) {
        if self.readers.notify(usize::MAX) == 0 {
            self.end_read_phase();
        }
    }

    /// Clears `READERS_PARKED` and, if it was set, notifies every queued
    /// reader: for a release that removed what blocked them.
    fn wake_parked_readers(&self) {
        // AcqRel: Acquire makes the registration of the reader that set the
        // mark visible to the notify; Release orders nothing but is free.
        if self.state.fetch_and(!READERS_PARKED, AcqRel) & READERS_PARKED != 0 {
            self.wake_readers();
        }
    }

    /// Ends a read phase early (nobody left to use it); if the lock is free,
    /// notifies a writer.
    #[cold]
    pub(crate) fn end_read_phase(&self) {
        // AcqRel: Acquire, as in `last_reader_left`, for a queued writer's
        // registration.
        let prev = self.state.fetch_and(!READ_PHASE, AcqRel);
        if prev & READ_PHASE != 0
            && prev & (WRITER | UPGRADABLE) == 0
            && readers(prev) == 0
            && waiting_writers(prev) != 0
        {
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
        if prev & READERS_PARKED != 0 {
            // Upgradable readers may be queued behind this one.
            self.wake_readers();
        }
        if readers(prev) == 0 {
            if prev & READ_PHASE != 0 {
                // This upgradable reader came in with a read phase (it was
                // queued with the readers) and is its last member to leave.
                self.end_read_phase();
            } else if waiting_writers(prev) != 0 {
                self.writers.notify(1);
            }
        }
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
                (state & !(UPGRADABLE | UPGRADING)) | WRITER
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
        if prev & READERS_PARKED != 0 {
            self.wake_readers();
        }
    }

    /// Downgrades the upgradable lock to a plain read lock. Panics, leaving
    /// the lock as it was, if the reader count is full.
    pub(crate) fn downgrade_upgradable(&self) {
        let mut state = self.state.load(Relaxed);
        loop {
            if readers(state) == MAX_READERS {
                reader_overflow();
            }
            let next = (state & !(UPGRADABLE | READERS_PARKED)) + ONE_READER;
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
            let mut next = state & !(WRITER | READERS_PARKED | READ_PHASE | WATCHED);
            if state & READERS_PARKED != 0 {
                next |= READ_PHASE;
            }
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
        if state & READERS_PARKED != 0 {
            // The readers that queued meanwhile go first, together.
            self.wake_readers();
        } else if waiting_writers(state) != 0 {
            self.writers.notify(1);
        }
        if state & WATCHED != 0 {
            WAKE_WATCHERS.call(self);
        }
    }

    /// Turns the write lock into a read lock (`to_upgradable`: into the
    /// upgradable read lock), letting queued readers in with it.
    pub(crate) fn downgrade_write(&self, to_upgradable: bool) {
        let add = if to_upgradable {
            UPGRADABLE
        } else {
            ONE_READER
        };
        // No reader can be counted while WRITER is set, so `+ ONE_READER`
        // cannot overflow. AcqRel: Release publishes the writes to the
        // readers let in; Acquire makes parked readers' registrations
        // visible to the notify.
        let prev = self.state.fetch_add(add - WRITER, AcqRel);
        debug_assert!(prev & WRITER != 0 && readers(prev) == 0);
        // A READ_PHASE left set (an upgrade may pass one) ends when the
        // readers now counted leave (`last_reader_left`) or, downgraded to
        // upgradable, when that lock is released (`upgradable_unlock`).
        if prev & READERS_PARKED != 0 {
            self.wake_parked_readers();
        }
        if prev & WATCHED != 0 {
            // The write lock is gone. The mark stays (the next write unlock
            // clears it): at worst one spurious notify.
            WAKE_WATCHERS.call(self);
        }
    }

    /// Polls a watcher: `Ready` once it saw no write lock held (a snapshot),
    /// without taking anything or counting as a waiter.
    pub(crate) fn poll_write_unlocked(
        &self,
        mut waiter: Pin<&mut Waiter>,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        let queue = watchers(self);
        WAKE_WATCHERS.arm(notify_shard);
        loop {
            if waiter.is_registered() {
                match waiter.as_mut().poll_notified(queue, cx) {
                    Poll::Pending => return Poll::Pending,
                    // Some watched release in this shard: look again.
                    Poll::Ready(()) => {}
                }
            }
            if !self.is_write_locked() {
                return Poll::Ready(());
            }
            // Register, then re-check with a read-modify-write: the wait
            // layer's protocol. AcqRel: Release makes the registration
            // visible to the write unlock that reads WATCHED after this
            // write (its Acquire); Acquire orders us after an unlock we see.
            waiter.as_mut().register(queue);
            if self.state.fetch_or(WATCHED, AcqRel) & WRITER == 0 {
                // Every notification of the watchers' queue is a notify-all:
                // one that arrived meanwhile is nobody else's.
                waiter.as_mut().withdraw(queue);
                return Poll::Ready(());
            }
        }
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
            if MAX_READERS - readers(state) < n {
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
    /// Readers: notified at least once, so it may pass queued writers.
    /// Writers: counted in the waiting-writers field.
    /// Upgrade: `UPGRADING` was set by this upgrade.
    marked: bool,
}

impl<const K: u8> Acquire<K> {
    /// A reader kind: plain or upgradable.
    const READER: bool = K == kind::READ || K == kind::UPGRADABLE_READ;

    pub(crate) const fn new() -> Self {
        Self {
            waiter: Waiter::new(),
            marked: false,
        }
    }

    /// The fast path, inlined into the caller: a fresh future on a free
    /// lock is one compare-exchange. A future that returned `Pending` is
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

    /// The kind's read-modify-write (see the `*_step` functions).
    fn step(&mut self, raw: &RawRwLock, park: bool) -> bool {
        let state = raw.state.load(Relaxed);
        let taken = match K {
            kind::READ => raw.read_step(state, false, self.marked, park),
            kind::UPGRADABLE_READ => raw.read_step(state, true, self.marked, park),
            kind::WRITE => raw.write_step(state, self.marked, park),
            _ => raw.upgrade_step(state, park),
        };
        if !Self::READER {
            self.marked = !taken && (park || self.marked);
        }
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
        loop {
            if this.waiter.is_registered() {
                // SAFETY: `this.waiter` is inside the pinned `Acquire`.
                let waiter = unsafe { Pin::new_unchecked(&mut this.waiter) };
                match waiter.poll_notified(queue, cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(()) => {}
                }
                if Self::READER {
                    // Notified by a release that let the queued readers in.
                    this.marked = true;
                }
                if this.step(raw, false) {
                    return Poll::Ready(());
                }
            }

            // Queue (again), then re-check: see the protocol in `wait`.
            // SAFETY: as above.
            unsafe { Pin::new_unchecked(&mut this.waiter) }.register(queue);
            if this.step(raw, true) {
                // Took it without a notification. One that arrived meanwhile
                // was for this release: a writer's or upgrader's own release
                // notifies the next (we hold the lock now); every other
                // queued reader had one too.
                // SAFETY: as above.
                unsafe { Pin::new_unchecked(&mut this.waiter) }.withdraw(queue);
                return Poll::Ready(());
            }
            // Loop to `poll_notified`, which stores the waker (or finds a
            // notification that raced the re-check).
        }
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
                    raw.end_read_phase();
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
                    waiter.cancel(queue);
                    if waiting_writers(prev) == 1 && prev & READERS_PARKED != 0 {
                        // We were the last queued writer: readers queued
                        // behind us may go in now.
                        raw.wake_parked_readers();
                    }
                } else {
                    waiter.cancel(queue);
                }
            }
            _ => {
                Self::leave_upgrade(&mut this.marked, waiter, raw);
                raw.upgradable_unlock();
            }
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
        if *marked {
            *marked = false;
            raw.cancel_upgrade();
        }
        // A notification passed on goes to the writers' queue; writers find
        // the upgradable lock still held and queue again, and its release
        // notifies them.
        waiter.cancel(raw.queue(K));
    }
}
