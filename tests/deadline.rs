//! Deadlines (issue 11): a wait given up by its signal leaves no trace, for
//! every primitive, in every tier; then (std tier) the blocking timed forms,
//! and (feature `async-io`) `timeout` and `deadline`.
//!
//! The signal is a hand-controlled future ([`Trigger`]), not a clock, so the
//! tests stage "the deadline came" at an exact point, including at the same
//! moment as a release, and never depend on timing. Futures are pinned with
//! `pin!`/`Box::pin` because in the bare tier they carry their list node and
//! are `!Unpin`.

mod common;

use std::cell::Cell;
use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll};

use common::{assert_pending, assert_ready, CountingWaker};
use turnstile_sync::{
    Barrier, Condvar, Latch, Mutex, RwLock, RwLockUpgradableReadGuard, Semaphore, TimedOut, WaitExt,
};

/// A deadline the test fires by hand: `Ready` once [`fire`](Self::fire)d.
/// It stores no waker: the tests poll by hand, after firing.
#[derive(Default)]
struct Trigger(Cell<bool>);

impl Trigger {
    fn fire(&self) {
        self.0.set(true);
    }

    fn signal(&self) -> Signal<'_> {
        Signal(self)
    }
}

struct Signal<'a>(&'a Trigger);

impl Future for Signal<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if self.0 .0.get() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

// ---------------------------------------------------------------------------
// The combinator itself
// ---------------------------------------------------------------------------

#[test]
fn timed_out_is_an_error() {
    fn is_error<E: std::error::Error + Copy + Eq + Send + Sync + 'static>(_: E) {}
    is_error(TimedOut);
    assert_eq!(TimedOut.to_string(), "wait timed out");
    assert_eq!(format!("{TimedOut:?}"), "TimedOut");
}

#[test]
fn the_wait_wins_when_both_are_ready() {
    let mutex = Mutex::new(1);
    let w = CountingWaker::new();
    // The signal is ready before the first poll; the lock is free too.
    let guard = assert_ready(pin!(mutex.lock().until(async {})).as_mut(), w.waker());
    assert_eq!(*guard.expect("the free lock wins over a ready signal"), 1);
}

#[test]
fn the_signal_is_ignored_until_it_fires() {
    let trigger = Trigger::default();
    let sem = Semaphore::new(0);
    let w = CountingWaker::new();
    let mut wait = pin!(sem.acquire().until(trigger.signal()));
    assert_pending(wait.as_mut(), w.waker());
    sem.add_permits(1);
    assert_eq!(w.count(), 1, "the release woke the timed waiter");
    let guard = assert_ready(wait.as_mut(), w.waker()).unwrap().unwrap();
    assert_eq!(guard.permits(), 1);
}

#[test]
#[should_panic(expected = "polled after it completed")]
fn until_polled_after_completion_panics() {
    let mutex = Mutex::new(());
    let w = CountingWaker::new();
    let mut wait = pin!(mutex.lock().until(std::future::pending::<()>()));
    drop(assert_ready(wait.as_mut(), w.waker()));
    let _ = common::poll_once(wait.as_mut(), w.waker());
}

// ---------------------------------------------------------------------------
// Mutex
// ---------------------------------------------------------------------------

#[test]
fn mutex_timed_out_waiter_leaves_the_queue() {
    let (mutex, trigger) = (Mutex::new(0), Trigger::default());
    let holder = mutex.try_lock().unwrap();
    let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
    let mut a = pin!(mutex.lock().until(trigger.signal()));
    assert_pending(a.as_mut(), wa.waker());
    let mut b = pin!(mutex.lock());
    assert_pending(b.as_mut(), wb.waker());

    trigger.fire();
    assert_eq!(assert_ready(a.as_mut(), wa.waker()).unwrap_err(), TimedOut);
    assert_eq!(
        wa.outstanding_clones(),
        0,
        "the timed-out waiter left its waker"
    );
    drop(holder);
    assert_eq!(
        wb.count(),
        1,
        "the release woke the waiter behind the timed-out one"
    );
    *assert_ready(b.as_mut(), wb.waker()) += 1;
    assert_eq!(wa.count(), 0);
}

/// The release and the deadline in the same instant: the release notifies
/// A, a caller barges in before A runs, and A's deadline has come when it
/// is polled. A gives up; the wakeup it consumed cannot strand B, because
/// the barger's release notifies again.
#[test]
fn mutex_release_and_deadline_at_once_after_a_barge() {
    let (mutex, trigger) = (Mutex::new(0), Trigger::default());
    let holder = mutex.try_lock().unwrap();
    let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
    let mut a = pin!(mutex.lock().until(trigger.signal()));
    assert_pending(a.as_mut(), wa.waker());
    let mut b = pin!(mutex.lock());
    assert_pending(b.as_mut(), wb.waker());

    drop(holder);
    assert_eq!(wa.count(), 1);
    let barger = mutex.try_lock().expect("barging is allowed");
    trigger.fire();
    assert!(assert_ready(a.as_mut(), wa.waker()).is_err());
    drop(barger);
    assert_eq!(wb.count(), 1, "B was stranded");
    drop(assert_ready(b.as_mut(), wb.waker()));
    assert!(mutex.try_lock().is_some(), "the mutex ended reserved");
}

/// A notified waiter whose deadline wins before it is polled again (the
/// runtime drops the future): its wakeup passes to the next waiter.
#[test]
fn mutex_notified_then_timed_out_passes_the_wakeup_on() {
    let (mutex, trigger) = (Mutex::new(0), Trigger::default());
    let holder = mutex.try_lock().unwrap();
    let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
    let mut a = Box::pin(mutex.lock().until(trigger.signal()));
    assert_pending(a.as_mut(), wa.waker());
    let mut b = pin!(mutex.lock());
    assert_pending(b.as_mut(), wb.waker());

    drop(holder);
    assert_eq!(
        (wa.count(), wb.count()),
        (1, 0),
        "FIFO: A is notified first"
    );
    trigger.fire();
    drop(a); // what a runtime's timeout does with the losing future
    assert_eq!(wb.count(), 1, "the wakeup did not pass on to B");
    drop(assert_ready(b.as_mut(), wb.waker()));
}

#[test]
fn mutex_starving_waiter_that_times_out_ends_handoff() {
    let (mutex, trigger) = (Mutex::new(0), Trigger::default());
    let mut holder = mutex.try_lock().unwrap();
    let w = CountingWaker::new();
    let mut a = Box::pin(mutex.lock().until(trigger.signal()));
    assert_pending(a.as_mut(), w.waker());
    // Lose four races: A counts itself as starving (hand-off mode).
    for _ in 0..4 {
        drop(holder);
        holder = mutex.try_lock().expect("barging allowed before hand-off");
        assert_pending(a.as_mut(), w.waker());
    }
    drop(holder);
    assert!(
        mutex.try_lock().is_none(),
        "hand-off mode reserves the lock"
    );
    trigger.fire();
    drop(a);
    assert!(
        mutex.try_lock().is_some(),
        "a timed-out starving waiter left hand-off mode on"
    );
}

#[cfg(feature = "alloc")]
#[test]
fn mutex_arc_timed_out_waiter_leaves_the_queue() {
    use std::sync::Arc;
    let (mutex, trigger) = (Arc::new(Mutex::new(0)), Trigger::default());
    let holder = mutex.try_lock_arc().unwrap();
    let w = CountingWaker::new();
    let mut a = pin!(mutex.lock_arc().until(trigger.signal()));
    assert_pending(a.as_mut(), w.waker());
    trigger.fire();
    assert!(assert_ready(a.as_mut(), w.waker()).is_err());
    assert_eq!(
        Arc::strong_count(&mutex),
        2,
        "the timed-out future kept its Arc"
    );
    drop(holder);
    assert!(mutex.try_lock().is_some());
}

// ---------------------------------------------------------------------------
// RwLock
// ---------------------------------------------------------------------------

/// A queued writer holds new readers back; when it times out they go in.
#[test]
fn rwlock_timed_out_writer_lets_the_readers_behind_it_in() {
    let (lock, trigger) = (RwLock::new(0), Trigger::default());
    let reader = lock.try_read().unwrap();
    let (ww, wr) = (CountingWaker::new(), CountingWaker::new());
    let mut writer = pin!(lock.write().until(trigger.signal()));
    assert_pending(writer.as_mut(), ww.waker());
    assert!(
        lock.try_read().is_none(),
        "a queued writer stops new readers"
    );
    let mut late = pin!(lock.read());
    assert_pending(late.as_mut(), wr.waker());

    trigger.fire();
    assert!(assert_ready(writer.as_mut(), ww.waker()).is_err());
    assert_eq!(
        wr.count(),
        1,
        "the reader behind the timed-out writer was not woken"
    );
    let late = assert_ready(late.as_mut(), wr.waker());
    drop((reader, late));
    assert!(
        lock.try_write().is_some(),
        "the lock ended held or reserved"
    );
}

/// A writer notified by the last reader, timed out before it ran: the
/// wakeup goes to the next writer.
#[test]
fn rwlock_notified_writer_timed_out_passes_the_wakeup_on() {
    let (lock, trigger) = (RwLock::new(0), Trigger::default());
    let reader = lock.try_read().unwrap();
    let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
    let mut a = Box::pin(lock.write().until(trigger.signal()));
    assert_pending(a.as_mut(), wa.waker());
    let mut b = pin!(lock.write());
    assert_pending(b.as_mut(), wb.waker());
    drop(reader);
    assert_eq!((wa.count(), wb.count()), (1, 0));
    trigger.fire();
    drop(a);
    assert_eq!(wb.count(), 1, "the wakeup did not pass on");
    *assert_ready(b.as_mut(), wb.waker()) += 1;
}

#[test]
fn rwlock_timed_out_reader_ends_its_read_phase() {
    let (lock, trigger) = (RwLock::new(0), Trigger::default());
    let writer = lock.try_write().unwrap();
    let (wr, ww) = (CountingWaker::new(), CountingWaker::new());
    let mut r = Box::pin(lock.read().until(trigger.signal()));
    assert_pending(r.as_mut(), wr.waker());
    let mut w2 = pin!(lock.write());
    assert_pending(w2.as_mut(), ww.waker());
    drop(writer); // a read phase for R; the writer waits for it
    assert_eq!(wr.count(), 1);
    trigger.fire();
    drop(r);
    assert_eq!(ww.count(), 1, "the read phase outlived its only reader");
    drop(assert_ready(w2.as_mut(), ww.waker()));
}

#[test]
fn upgrade_timeout_hands_the_guard_back_and_lets_readers_in() {
    let (lock, trigger) = (RwLock::new(0), Trigger::default());
    let up = lock.try_upgradable_read().unwrap();
    let reader = lock.try_read().unwrap();
    let (wu, wr) = (CountingWaker::new(), CountingWaker::new());
    let mut upgrade = pin!(RwLockUpgradableReadGuard::upgrade_timeout(
        up,
        trigger.signal()
    ));
    assert_pending(upgrade.as_mut(), wu.waker());
    let mut late = pin!(lock.read());
    assert_pending(late.as_mut(), wr.waker());

    trigger.fire();
    let up = assert_ready(upgrade.as_mut(), wu.waker()).expect_err("the upgrade timed out");
    assert_eq!(
        wr.count(),
        1,
        "the readers held back by the upgrade were not woken"
    );
    let late = assert_ready(late.as_mut(), wr.waker());
    assert!(
        lock.try_upgradable_read().is_none(),
        "the upgradable lock was released"
    );
    assert!(lock.try_write().is_none());
    drop((reader, late));
    let mut writer = RwLockUpgradableReadGuard::try_upgrade(up).expect("still upgradable");
    *writer += 1;
    drop(writer);
    assert_eq!(*lock.try_read().unwrap(), 1);
}

#[test]
fn upgrade_timeout_wins_when_the_readers_left() {
    let lock = RwLock::new(0);
    let up = lock.try_upgradable_read().unwrap();
    let w = CountingWaker::new();
    let upgraded = assert_ready(
        pin!(RwLockUpgradableReadGuard::upgrade_timeout(up, async {})).as_mut(),
        w.waker(),
    );
    assert!(upgraded.is_ok(), "a ready signal beat a free upgrade");
}

#[test]
fn generic_until_on_an_upgrade_releases_the_upgradable_lock() {
    let (lock, trigger) = (RwLock::new(0), Trigger::default());
    let up = lock.try_upgradable_read().unwrap();
    let reader = lock.try_read().unwrap();
    let w = CountingWaker::new();
    let mut upgrade = pin!(RwLockUpgradableReadGuard::upgrade(up).until(trigger.signal()));
    assert_pending(upgrade.as_mut(), w.waker());
    trigger.fire();
    assert!(assert_ready(upgrade.as_mut(), w.waker()).is_err());
    assert!(
        lock.try_upgradable_read().is_some(),
        "as documented: `upgrade` owned the lock"
    );
    drop(reader);
}

#[cfg(feature = "alloc")]
#[test]
fn upgrade_timeout_arc_hands_the_guard_back() {
    use std::sync::Arc;
    use turnstile_sync::RwLockUpgradableReadGuardArc;
    let (lock, trigger) = (Arc::new(RwLock::new(0)), Trigger::default());
    let up = lock.try_upgradable_read_arc().unwrap();
    let reader = lock.try_read().unwrap();
    let w = CountingWaker::new();
    let mut upgrade = pin!(RwLockUpgradableReadGuardArc::upgrade_timeout(
        up,
        trigger.signal()
    ));
    assert_pending(upgrade.as_mut(), w.waker());
    assert!(
        lock.try_read().is_none(),
        "the pending upgrade holds new readers back"
    );
    trigger.fire();
    let up = assert_ready(upgrade.as_mut(), w.waker()).expect_err("timed out");
    assert!(
        lock.try_read().is_some(),
        "the abandoned upgrade still holds readers back"
    );
    drop(reader);
    let mut writer = RwLockUpgradableReadGuardArc::try_upgrade(up).expect("still upgradable");
    *writer += 1;
}

// ---------------------------------------------------------------------------
// Semaphore
// ---------------------------------------------------------------------------

/// The head times out after receiving part of its permits: it gives them
/// back and the waiters behind it are served at once.
#[test]
fn semaphore_head_times_out_with_part_of_its_permits() {
    let (sem, trigger) = (Semaphore::new(0), Trigger::default());
    let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
    let mut a = pin!(sem.acquire_many(3).until(trigger.signal()));
    assert_pending(a.as_mut(), wa.waker());
    let mut b = pin!(sem.acquire_many(2));
    assert_pending(b.as_mut(), wb.waker());
    sem.add_permits(2);
    assert_eq!(sem.available_permits(), 0, "set aside for the head");
    assert_eq!(wb.count(), 0, "strict FIFO: B waits behind A");

    trigger.fire();
    assert!(assert_ready(a.as_mut(), wa.waker()).is_err());
    assert_eq!(wb.count(), 1, "B was not served at once");
    let guard = assert_ready(b.as_mut(), wb.waker()).unwrap();
    assert_eq!(guard.permits(), 2);
    drop(guard);
    assert_eq!(sem.available_permits(), 2, "a permit leaked or vanished");
}

/// Granted in full by a release as the deadline comes: the grant wins.
#[test]
fn semaphore_grant_and_deadline_at_once_the_grant_wins() {
    let (sem, trigger) = (Semaphore::new(0), Trigger::default());
    let w = CountingWaker::new();
    let mut a = pin!(sem.acquire_many(2).until(trigger.signal()));
    assert_pending(a.as_mut(), w.waker());
    sem.add_permits(2);
    trigger.fire();
    let guard = assert_ready(a.as_mut(), w.waker()).expect("the grant wins");
    assert_eq!(guard.unwrap().permits(), 2);
}

/// Granted, then the runtime drops the future on its deadline before it
/// ran: the permits go back and serve the next waiter.
#[test]
fn semaphore_granted_then_dropped_gives_the_permits_to_the_next() {
    let (sem, trigger) = (Semaphore::new(0), Trigger::default());
    let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
    let mut a = Box::pin(sem.acquire().until(trigger.signal()));
    assert_pending(a.as_mut(), wa.waker());
    let mut b = pin!(sem.acquire());
    assert_pending(b.as_mut(), wb.waker());
    sem.add_permits(1);
    assert_eq!((wa.count(), wb.count()), (1, 0));
    trigger.fire();
    drop(a);
    assert_eq!(wb.count(), 1);
    drop(assert_ready(b.as_mut(), wb.waker()).unwrap());
    assert_eq!(sem.available_permits(), 1);
}

// ---------------------------------------------------------------------------
// Barrier and Latch
// ---------------------------------------------------------------------------

#[test]
fn barrier_arrival_that_times_out_is_withdrawn() {
    let (barrier, trigger) = (Barrier::new(2), Trigger::default());
    let w = CountingWaker::new();
    let mut a = pin!(barrier.wait().until(trigger.signal()));
    assert_pending(a.as_mut(), w.waker());
    assert!(format!("{barrier:?}").contains("arrived: 1"));
    trigger.fire();
    assert!(assert_ready(a.as_mut(), w.waker()).is_err());
    assert!(
        format!("{barrier:?}").contains("arrived: 0"),
        "the arrival stayed"
    );

    // The next two arrivals make one generation with one leader of their own.
    let (wb, wc) = (CountingWaker::new(), CountingWaker::new());
    let mut b = pin!(barrier.wait());
    assert_pending(b.as_mut(), wb.waker());
    let c = assert_ready(pin!(barrier.wait()).as_mut(), wc.waker());
    assert!(c.is_leader());
    assert_eq!(wb.count(), 1);
    assert!(!assert_ready(b.as_mut(), wb.waker()).is_leader());
}

#[test]
fn latch_wait_that_times_out_takes_nothing() {
    let (latch, trigger) = (Latch::new(1), Trigger::default());
    let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
    let mut a = pin!(latch.wait().until(trigger.signal()));
    assert_pending(a.as_mut(), wa.waker());
    let mut b = pin!(latch.wait());
    assert_pending(b.as_mut(), wb.waker());
    trigger.fire();
    assert!(assert_ready(a.as_mut(), wa.waker()).is_err());
    assert_eq!(wa.outstanding_clones(), 0);
    latch.count_down();
    assert_eq!((wa.count(), wb.count()), (0, 1));
    assert_ready(b.as_mut(), wb.waker());
}

// ---------------------------------------------------------------------------
// Condvar
// ---------------------------------------------------------------------------

#[test]
fn condvar_wait_timeout_returns_the_guard_and_takes_no_notification() {
    let (mutex, condvar, trigger) = (Mutex::new(0), Condvar::new(), Trigger::default());
    let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
    let mut a = pin!(condvar.wait_timeout(mutex.try_lock().unwrap(), trigger.signal()));
    assert_pending(a.as_mut(), wa.waker());
    let mut b = pin!(condvar.wait(mutex.try_lock().unwrap()));
    assert_pending(b.as_mut(), wb.waker());

    trigger.fire();
    let (guard, result) = assert_ready(a.as_mut(), wa.waker());
    assert!(result.timed_out());
    assert!(mutex.is_locked(), "the guard came back locked");
    drop(guard);
    condvar.notify_one();
    assert_eq!(wb.count(), 1, "the timed-out waiter took B's notification");
    drop(assert_ready(b.as_mut(), wb.waker()));
}

/// Notified as the deadline comes: the notification wins, and no other
/// waiter is woken for it.
#[test]
fn condvar_notification_and_deadline_at_once_the_notification_wins() {
    let (mutex, condvar, trigger) = (Mutex::new(0), Condvar::new(), Trigger::default());
    let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
    let mut a = pin!(condvar.wait_timeout(mutex.try_lock().unwrap(), trigger.signal()));
    assert_pending(a.as_mut(), wa.waker());
    let mut b = pin!(condvar.wait(mutex.try_lock().unwrap()));
    assert_pending(b.as_mut(), wb.waker());
    condvar.notify_one();
    trigger.fire();
    let (guard, result) = assert_ready(a.as_mut(), wa.waker());
    assert!(
        !result.timed_out(),
        "a received notification lost to the deadline"
    );
    drop(guard);
    assert_eq!(wb.count(), 0, "one notify_one woke two waiters");
    condvar.notify_one();
    drop(assert_ready(b.as_mut(), wb.waker()));
}

/// The generic `until` on a plain wait: notified, then the deadline wins
/// while re-locking. The notification passes to one other waiter.
#[test]
fn condvar_notified_then_timed_out_passes_the_notification_on() {
    let (mutex, condvar, trigger) = (Mutex::new(0), Condvar::new(), Trigger::default());
    let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
    let mut a = pin!(condvar
        .wait(mutex.try_lock().unwrap())
        .until(trigger.signal()));
    assert_pending(a.as_mut(), wa.waker());
    let mut b = pin!(condvar.wait(mutex.try_lock().unwrap()));
    assert_pending(b.as_mut(), wb.waker());
    let holder = mutex.try_lock().unwrap();
    condvar.notify_one();
    trigger.fire();
    assert!(assert_ready(a.as_mut(), wa.waker()).is_err());
    assert_eq!(wb.count(), 1, "the notification was swallowed");
    drop(holder);
    drop(assert_ready(b.as_mut(), wb.waker()));
}

#[test]
fn condvar_wait_until_timeout_rechecks_after_the_deadline() {
    let (mutex, condvar, trigger) = (Mutex::new(0), Condvar::new(), Trigger::default());
    let w = CountingWaker::new();
    let mut a =
        pin!(condvar.wait_until_timeout(mutex.try_lock().unwrap(), |v| *v == 1, trigger.signal()));
    assert_pending(a.as_mut(), w.waker());
    // Changed just in time, without a notification, as the deadline comes.
    *mutex.try_lock().unwrap() = 1;
    trigger.fire();
    let (guard, result) = assert_ready(a.as_mut(), w.waker());
    assert!(!result.timed_out() && *guard == 1);
    drop(guard);

    let trigger = Trigger::default();
    let mut b =
        pin!(condvar.wait_until_timeout(mutex.try_lock().unwrap(), |v| *v == 2, trigger.signal()));
    assert_pending(b.as_mut(), w.waker());
    trigger.fire();
    let (guard, result) = assert_ready(b.as_mut(), w.waker());
    assert!(result.timed_out() && *guard == 1);
}

// ---------------------------------------------------------------------------
// Blocking timed forms (std tier)
// ---------------------------------------------------------------------------

#[cfg(feature = "std")]
mod blocking {
    use std::sync::{mpsc, Arc};
    use std::thread;
    use std::time::{Duration, Instant};

    use turnstile_sync::{
        AcquireTimeoutError, Barrier, Condvar, Latch, Mutex, RwLock, RwLockUpgradableReadGuard,
        Semaphore,
    };

    const SHORT: Duration = Duration::from_millis(5);
    /// Long enough never to be reached in a passing run.
    const LONG: Duration = Duration::from_secs(120);

    /// Runs `release` on another thread once this one is about to block:
    /// what it releases wakes the blocked call, however late it runs.
    fn soon(release: impl FnOnce() + Send + 'static) -> thread::JoinHandle<()> {
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(10));
            release();
        })
    }

    #[test]
    fn mutex_times_out_then_locks() {
        let mutex = Arc::new(Mutex::new(0));
        let holder = mutex.try_lock_arc().unwrap();
        assert!(mutex.try_lock_for(SHORT).is_none());
        assert!(mutex.try_lock_until(Instant::now()).is_none());
        assert!(mutex.try_lock_arc_for(Duration::ZERO).is_none());
        let t = soon(move || drop(holder));
        *mutex
            .try_lock_for(LONG)
            .expect("the release woke the parked thread") += 1;
        t.join().unwrap();
        assert!(
            mutex.try_lock_for(Duration::MAX).is_some(),
            "Duration::MAX means no deadline"
        );
        assert!(mutex.try_lock_arc_until(Instant::now()).is_some());
    }

    #[test]
    fn mutex_timed_out_thread_leaves_no_waiter_behind() {
        let mutex = Arc::new(Mutex::new(0));
        let holder = mutex.try_lock().unwrap();
        let m = mutex.clone();
        let timed_out = thread::spawn(move || m.try_lock_for(SHORT).is_none());
        assert!(timed_out.join().unwrap());
        drop(holder);
        // Nobody is queued: a fresh lock is uncontended.
        assert!(mutex.try_lock().is_some());
    }

    #[test]
    fn rwlock_timed_forms() {
        let lock = RwLock::new(0);
        let writer = lock.try_write().unwrap();
        assert!(lock.try_read_for(SHORT).is_none());
        assert!(lock.try_write_for(SHORT).is_none());
        assert!(lock.try_upgradable_read_until(Instant::now()).is_none());
        drop(writer);
        let r = lock.try_read_until(Instant::now() + LONG).unwrap();
        let up = lock.try_upgradable_read_for(LONG).unwrap();
        let up = RwLockUpgradableReadGuard::try_upgrade_for(up, SHORT).expect_err("a reader is in");
        assert!(
            lock.try_read().is_some(),
            "the timed-out upgrade still holds readers back"
        );
        drop(r);
        let mut w =
            RwLockUpgradableReadGuard::try_upgrade_until(up, Instant::now() + LONG).unwrap();
        *w += 1;
        drop(w);
        assert_eq!(*lock.try_write_until(Instant::now() + LONG).unwrap(), 1);
    }

    #[test]
    fn rwlock_upgrade_woken_by_the_last_reader() {
        let lock = Arc::new(RwLock::new(0));
        let up = lock.try_upgradable_read().unwrap();
        let reader = lock.try_read_arc().unwrap();
        let t = soon(move || drop(reader));
        let w = RwLockUpgradableReadGuard::try_upgrade_for(up, LONG);
        assert!(
            w.is_ok(),
            "the last reader's release did not wake the upgrade"
        );
        t.join().unwrap();
    }

    #[test]
    fn semaphore_timed_forms_say_why() {
        let sem = Arc::new(Semaphore::new(1));
        let permit = sem.try_acquire_for(LONG).unwrap();
        assert_eq!(
            sem.try_acquire_for(SHORT).unwrap_err(),
            AcquireTimeoutError::TimedOut
        );
        assert_eq!(
            sem.try_acquire_many_until(1, Instant::now()).unwrap_err(),
            AcquireTimeoutError::TimedOut
        );
        drop(permit);
        assert!(sem.try_acquire_many_for(2, SHORT).is_err());
        assert_eq!(
            sem.available_permits(),
            1,
            "a timed-out request kept a permit"
        );
        let s = sem.clone();
        let t = soon(move || s.add_permits(1));
        assert_eq!(sem.try_acquire_many_for(2, LONG).unwrap().permits(), 2);
        t.join().unwrap();
        let s = sem.clone();
        let t = soon(move || s.close());
        assert_eq!(
            sem.try_acquire_many_for(3, LONG).unwrap_err(),
            AcquireTimeoutError::Closed
        );
        t.join().unwrap();
        let err: Box<dyn std::error::Error> = Box::new(AcquireTimeoutError::TimedOut);
        assert_eq!(err.to_string(), "timed out waiting for permits");
    }

    #[test]
    fn condvar_blocking_timeouts_return_the_guard() {
        let pair = Arc::new((Mutex::new(0), Condvar::new()));
        let (guard, result) = pair.1.wait_timeout_blocking(pair.0.lock_blocking(), SHORT);
        assert!(result.timed_out());
        drop(guard);
        let (guard, result) =
            pair.1
                .wait_until_timeout_blocking(pair.0.lock_blocking(), |v| *v == 1, SHORT);
        assert!(result.timed_out() && *guard == 0);
        drop(guard);
        let p = pair.clone();
        let t = soon(move || {
            *p.0.lock_blocking() = 1;
            p.1.notify_all();
        });
        let (guard, result) =
            pair.1
                .wait_until_timeout_blocking(pair.0.lock_blocking(), |v| *v == 1, LONG);
        assert!(!result.timed_out() && *guard == 1);
        drop(guard);
        t.join().unwrap();
    }

    /// A barrier arrival that timed out is withdrawn: otherwise the next
    /// thread would be released alone and the one after it would hang.
    #[test]
    fn barrier_timed_out_arrival_is_withdrawn() {
        let barrier = Arc::new(Barrier::new(2));
        assert!(barrier.try_wait_for(SHORT).is_none());
        assert!(barrier.try_wait_until(Instant::now()).is_none());
        let (tx, rx) = mpsc::channel();
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (b, tx) = (barrier.clone(), tx.clone());
                thread::spawn(move || tx.send(b.try_wait_for(LONG).unwrap().is_leader()).unwrap())
            })
            .collect();
        drop(tx);
        for t in threads {
            t.join().unwrap();
        }
        let leaders: Vec<bool> = rx.iter().collect();
        assert_eq!(leaders.iter().filter(|l| **l).count(), 1, "{leaders:?}");
    }

    #[test]
    fn arc_timed_forms() {
        use turnstile_sync::RwLockUpgradableReadGuardArc;
        let lock = Arc::new(RwLock::new(0));
        let writer = lock.try_write_arc().unwrap();
        assert!(lock.try_read_arc_for(SHORT).is_none());
        assert!(lock.try_write_arc_until(Instant::now()).is_none());
        assert!(lock.try_upgradable_read_arc_for(SHORT).is_none());
        drop(writer);
        let reader = lock.try_read_arc_until(Instant::now() + LONG).unwrap();
        let up = lock
            .try_upgradable_read_arc_until(Instant::now() + LONG)
            .unwrap();
        let up = RwLockUpgradableReadGuardArc::try_upgrade_for(up, SHORT).unwrap_err();
        let t = soon(move || drop(reader));
        let w = RwLockUpgradableReadGuardArc::try_upgrade_until(up, Instant::now() + LONG);
        assert!(w.is_ok());
        t.join().unwrap();
        drop(w);
        assert!(lock.try_write_arc_for(LONG).is_some());

        let sem = Arc::new(Semaphore::new(2));
        let two = sem.try_acquire_many_arc_for(2, LONG).unwrap();
        assert_eq!(
            sem.try_acquire_arc_for(SHORT).unwrap_err(),
            AcquireTimeoutError::TimedOut
        );
        assert!(sem.try_acquire_many_arc_until(1, Instant::now()).is_err());
        drop(two);
        assert_eq!(
            sem.try_acquire_arc_until(Instant::now() + LONG)
                .unwrap()
                .permits(),
            1
        );
        assert_eq!(sem.available_permits(), 2);
    }

    #[test]
    fn latch_timed_forms() {
        let latch = Arc::new(Latch::new(1));
        assert!(!latch.try_wait_for(SHORT));
        assert!(!latch.try_wait_until(Instant::now()));
        let l = latch.clone();
        let t = soon(move || l.count_down());
        assert!(latch.try_wait_for(LONG));
        t.join().unwrap();
    }
}

// ---------------------------------------------------------------------------
// async-io's timer (feature `async-io`)
// ---------------------------------------------------------------------------

#[cfg(feature = "async-io")]
mod async_io_timer {
    use std::time::{Duration, Instant};

    use turnstile_sync::{Mutex, Semaphore, WaitExt};

    #[test]
    fn timeout_and_deadline_on_async_io() {
        futures_lite::future::block_on(async {
            let mutex = Mutex::new(0);
            let held = mutex
                .lock()
                .timeout(Duration::from_secs(120))
                .await
                .unwrap();
            assert!(mutex
                .lock()
                .timeout(Duration::from_millis(1))
                .await
                .is_err());
            assert!(mutex.lock().deadline(Instant::now()).await.is_err());
            drop(held);
            assert!(
                mutex.lock().deadline(Instant::now()).await.is_ok(),
                "the lock wins"
            );
            let sem = Semaphore::new(1);
            let _p = sem
                .acquire()
                .timeout(Duration::from_secs(120))
                .await
                .unwrap()
                .unwrap();
            assert!(sem
                .acquire()
                .timeout(Duration::from_millis(1))
                .await
                .is_err());
            assert_eq!(sem.available_permits(), 0);
        });
    }
}
