//! Bounded barging: a woken waiter that loses `HANDOFF_AFTER` (= 4) races
//! switches the mutex into hand-off mode, where nobody barges (not even
//! `try_lock`) until that waiter has the lock.
//!
//! The races are staged by hand — release, barge with `try_lock`, then poll
//! the woken waiter — so each test knows exactly which race it is in.

mod common;

use std::cell::{Cell, RefCell};
use std::pin::{pin, Pin};

use common::{assert_pending, assert_ready, CountingWaker};
use futures_lite::future::{block_on, yield_now, zip};
use turnstile_sync::{Mutex, MutexGuard};

/// Races a waiter may lose before hand-off mode (the crate's
/// `HANDOFF_AFTER`, documented in the crate docs as "four lost races").
const HANDOFF_AFTER: usize = 4;

/// With `holder` held and `lock` already queued (polled pending once with
/// `waker`), makes the waiter lose `races` races: each time the holder
/// releases (waking the waiter), a barger takes the lock with `try_lock`
/// before the waiter runs. Returns the last barger's guard, still held.
fn lose_races<'a, F>(
    mutex: &'a Mutex<u32>,
    mut holder: MutexGuard<'a, u32>,
    mut lock: Pin<&mut F>,
    waker: &CountingWaker,
    races: usize,
) -> MutexGuard<'a, u32>
where
    F: std::future::Future<Output = MutexGuard<'a, u32>>,
{
    let woken_before = waker.count();
    for race in 1..=races {
        drop(holder);
        assert_eq!(
            waker.count(),
            woken_before + race,
            "race {race}: the release did not wake the waiter"
        );
        holder = mutex
            .try_lock()
            .unwrap_or_else(|| panic!("race {race}: try_lock could not barge before hand-off"));
        assert_pending(lock.as_mut(), waker.waker());
    }
    holder
}

#[test]
fn handoff_starts_after_exactly_four_lost_races() {
    let mutex = Mutex::new(0);
    let holder = mutex.try_lock().unwrap();
    let w = CountingWaker::new();
    let mut lock = pin!(mutex.lock());
    assert_pending(lock.as_mut(), w.waker());
    // Races 1..=4: try_lock barges every time (checked inside).
    let holder = lose_races(&mutex, holder, lock.as_mut(), &w, HANDOFF_AFTER);
    drop(holder);
    assert_eq!(w.count(), HANDOFF_AFTER + 1);
    // Race 5 cannot be lost: the lock is free, but reserved for the waiter.
    assert!(!mutex.is_locked());
    assert!(
        mutex.try_lock().is_none(),
        "try_lock barged past a waiter that had lost {HANDOFF_AFTER} races"
    );
    let mut guard = assert_ready(lock.as_mut(), w.waker());
    *guard += 1;
    drop(guard);
    // Served: hand-off mode is over, barging is allowed again.
    assert!(
        mutex.try_lock().is_some(),
        "hand-off mode outlived the starving waiter"
    );
}

#[test]
fn three_lost_races_do_not_start_handoff() {
    let mutex = Mutex::new(0);
    let holder = mutex.try_lock().unwrap();
    let w = CountingWaker::new();
    let mut lock = pin!(mutex.lock());
    assert_pending(lock.as_mut(), w.waker());
    let holder = lose_races(&mutex, holder, lock.as_mut(), &w, HANDOFF_AFTER - 1);
    drop(holder);
    let barger = mutex.try_lock();
    assert!(
        barger.is_some(),
        "hand-off mode started before {HANDOFF_AFTER} lost races"
    );
    // That is the fourth lost race; after it the lock is reserved.
    assert_pending(lock.as_mut(), w.waker());
    drop(barger);
    assert_eq!(w.count(), HANDOFF_AFTER + 1);
    assert!(mutex.try_lock().is_none());
    drop(assert_ready(lock.as_mut(), w.waker()));
}

/// The documented bound (crate docs, "Fairness: bounded barging"): a waiter
/// "is passed over by barging at most four times, and waits for at most five
/// turns of the queue". Staged with a fixed set of tasks: T, one barging task
/// B, and `OTHERS` tasks that are always queued (each queues again right
/// after its turn), so a turn of the queue is at most `OTHERS` acquisitions.
/// T loses a race whenever B may barge.
///
/// (An earlier version of the docs promised "four barging acquisitions plus
/// one per waiter ahead", i.e. 4 + 2 here; this test measured 12 and failed,
/// because a waiter that loses a race re-queues at the tail. The docs were
/// corrected to the bound asserted now.)
#[test]
fn waiter_waits_at_most_five_turns_of_the_queue() {
    const OTHERS: usize = 2;
    let mutex = Mutex::new(0);
    let tw = CountingWaker::new();
    let mut holder = mutex.try_lock().unwrap();
    let mut t = pin!(mutex.lock());
    assert_pending(t.as_mut(), tw.waker());
    // The other tasks, queued behind T, in queue order.
    let mut others: Vec<(Pin<Box<turnstile_sync::Lock<'_, u32>>>, CountingWaker)> = (0..OTHERS)
        .map(|_| {
            let w = CountingWaker::new();
            let mut lock = Box::pin(mutex.lock());
            assert_pending(lock.as_mut(), w.waker());
            (lock, w)
        })
        .collect();
    let mut t_seen = 0;
    let (mut barges, mut queued_turns) = (0, 0);
    let served = loop {
        drop(holder);
        // Run the other tasks as they are woken, until T is the one woken.
        // Each takes its turn and queues again at once.
        while tw.count() == t_seen {
            let i = others
                .iter()
                .position(|(_, w)| w.count() > 0)
                .expect("a release woke nobody");
            let (mut lock, w) = others.remove(i);
            let guard = assert_ready(lock.as_mut(), w.waker());
            queued_turns += 1;
            // Checked here too: if T is never woken, this loop never ends.
            assert!(
                queued_turns <= (HANDOFF_AFTER + 1) * OTHERS,
                "T waited for {queued_turns} acquisitions by {OTHERS} queued tasks: more \
                 than {} turns of the queue",
                HANDOFF_AFTER + 1
            );
            let w = CountingWaker::new();
            let mut again = Box::pin(mutex.lock());
            assert_pending(again.as_mut(), w.waker());
            others.push((again, w));
            drop(guard);
        }
        t_seen = tw.count();
        // T was woken. Before it runs, B barges in if it may.
        let barger = mutex.try_lock();
        match common::poll_once(t.as_mut(), tw.waker()) {
            std::task::Poll::Ready(guard) => {
                assert!(barger.is_none());
                break guard;
            }
            std::task::Poll::Pending => {
                holder = barger.expect("T lost a race that nobody barged into");
                barges += 1;
                // Checked here, not after the loop: a starved T never leaves it.
                assert!(
                    barges <= HANDOFF_AFTER,
                    "barging passed T over {barges} times"
                );
            }
        }
    };
    drop(served);
    println!(
        "T was passed over by {barges} barges and waited for {queued_turns} acquisitions \
         by {OTHERS} queued tasks"
    );
    assert_eq!(
        barges, HANDOFF_AFTER,
        "barging passed T over {barges} times"
    );
    assert!(
        queued_turns <= (HANDOFF_AFTER + 1) * OTHERS,
        "T waited for {queued_turns} acquisitions by {OTHERS} queued tasks: more than \
         {} turns of the queue",
        HANDOFF_AFTER + 1
    );
}

#[test]
fn new_lockers_queue_behind_a_starving_waiter() {
    let mutex = Mutex::new(0);
    let holder = mutex.try_lock().unwrap();
    let (ws, wn) = (CountingWaker::new(), CountingWaker::new());
    let mut starving = pin!(mutex.lock());
    assert_pending(starving.as_mut(), ws.waker());
    let holder = lose_races(&mutex, holder, starving.as_mut(), &ws, HANDOFF_AFTER);
    drop(holder);
    // A newcomer finds the lock free but must queue, not barge.
    let mut newcomer = pin!(mutex.lock());
    assert_pending(newcomer.as_mut(), wn.waker());
    assert!(!mutex.is_locked());
    let guard = assert_ready(starving.as_mut(), ws.waker());
    assert_eq!(wn.count(), 0);
    drop(guard);
    assert_eq!(
        wn.count(),
        1,
        "the starving waiter's release did not wake the newcomer"
    );
    drop(assert_ready(newcomer.as_mut(), wn.waker()));
    assert!(mutex.try_lock().is_some());
}

#[test]
fn waiters_ahead_of_a_starving_waiter_are_served_first() {
    let mutex = Mutex::new(0);
    let holder = mutex.try_lock().unwrap();
    let (ws, wa) = (CountingWaker::new(), CountingWaker::new());
    let mut starving = pin!(mutex.lock());
    assert_pending(starving.as_mut(), ws.waker());
    let holder = lose_races(&mutex, holder, starving.as_mut(), &ws, HANDOFF_AFTER - 1);
    // A queues while S is queued; S then loses its fourth race and queues
    // again at the tail, behind A.
    let mut ahead = pin!(mutex.lock());
    assert_pending(ahead.as_mut(), wa.waker());
    drop(holder); // wakes S (head)
    let holder = mutex
        .try_lock()
        .expect("fourth race: barging still allowed");
    assert_pending(starving.as_mut(), ws.waker()); // S loses #4, starving
    drop(holder); // wakes A, the head now
    assert_eq!(wa.count(), 1);
    assert!(mutex.try_lock().is_none(), "hand-off mode: no barging");
    let guard = assert_ready(ahead.as_mut(), wa.waker());
    drop(guard);
    assert_eq!(ws.count(), HANDOFF_AFTER + 1);
    drop(assert_ready(starving.as_mut(), ws.waker()));
    assert!(mutex.try_lock().is_some());
}

#[test]
fn cancelled_queued_starving_waiter_ends_handoff_mode() {
    let mutex = Mutex::new(0);
    let holder = mutex.try_lock().unwrap();
    let (ws, wb) = (CountingWaker::new(), CountingWaker::new());
    let mut behind = pin!(mutex.lock());
    let holder = {
        let mut starving = pin!(mutex.lock());
        assert_pending(starving.as_mut(), ws.waker());
        let holder = lose_races(&mutex, holder, starving.as_mut(), &ws, HANDOFF_AFTER);
        assert_pending(behind.as_mut(), wb.waker());
        holder
        // the starving waiter is dropped while queued, not notified
    };
    drop(holder);
    assert_eq!(
        wb.count(),
        1,
        "the waiter behind the cancelled one was not woken"
    );
    let guard = assert_ready(behind.as_mut(), wb.waker());
    drop(guard);
    assert!(
        mutex.try_lock().is_some(),
        "a cancelled starving waiter left the mutex in hand-off mode"
    );
}

#[test]
fn cancelled_notified_starving_waiter_passes_the_lock_on() {
    let mutex = Mutex::new(0);
    let holder = mutex.try_lock().unwrap();
    let (ws, wb) = (CountingWaker::new(), CountingWaker::new());
    let mut behind = pin!(mutex.lock());
    {
        let mut starving = pin!(mutex.lock());
        assert_pending(starving.as_mut(), ws.waker());
        let holder = lose_races(&mutex, holder, starving.as_mut(), &ws, HANDOFF_AFTER);
        assert_pending(behind.as_mut(), wb.waker());
        drop(holder);
        assert_eq!(ws.count(), HANDOFF_AFTER + 1);
        assert_eq!(wb.count(), 0);
        // dropped right after its wakeup, before it could take the lock
    }
    assert_eq!(
        wb.count(),
        1,
        "the starving waiter's wakeup was lost with it"
    );
    drop(assert_ready(behind.as_mut(), wb.waker()));
    assert!(
        mutex.try_lock().is_some(),
        "hand-off mode outlived the waiters"
    );
}

#[test]
fn cancelled_notified_starving_waiter_alone_leaves_the_mutex_free() {
    let mutex = Mutex::new(0);
    let holder = mutex.try_lock().unwrap();
    let ws = CountingWaker::new();
    {
        let mut starving = pin!(mutex.lock());
        assert_pending(starving.as_mut(), ws.waker());
        let holder = lose_races(&mutex, holder, starving.as_mut(), &ws, HANDOFF_AFTER);
        drop(holder);
    }
    assert!(!mutex.is_locked());
    assert!(
        mutex.try_lock().is_some(),
        "hand-off mode outlived the waiter"
    );
}

/// Hand-off mode also shows in `Debug`, which peeks with `try_lock`: the
/// value of a free mutex reserved for a starving waiter is not shown, and
/// the waiter still gets the lock.
#[test]
fn debug_during_handoff_does_not_barge() {
    let mutex = Mutex::new(7);
    let holder = mutex.try_lock().unwrap();
    let ws = CountingWaker::new();
    let mut starving = pin!(mutex.lock());
    assert_pending(starving.as_mut(), ws.waker());
    let holder = lose_races(&mutex, holder, starving.as_mut(), &ws, HANDOFF_AFTER);
    drop(holder);
    // The lock is free but belongs to the starving waiter, so Debug may not
    // take it to read the value.
    assert_eq!(format!("{mutex:?}"), "Mutex { value: <locked> }");
    assert!(!mutex.is_locked());
    drop(assert_ready(starving.as_mut(), ws.waker()));
}

/// Acquisition log of `tasks` tasks on one thread, each looping `iterations`
/// times over {lock; yield while holding; unlock}. Returns the longest run of
/// consecutive acquisitions by one task while every task still wanted the
/// lock, and the longest wait of any task counted in others' acquisitions.
fn contend_on_one_thread(tasks: usize, iterations: usize) -> (usize, usize) {
    let mutex = Mutex::new(());
    let log: RefCell<Vec<usize>> = RefCell::new(Vec::new());
    let longest_wait = Cell::new(0usize);
    let task = |id: usize| {
        let (mutex, log, longest_wait) = (&mutex, &log, &longest_wait);
        async move {
            for _ in 0..iterations {
                let asked_at = log.borrow().len();
                let guard = mutex.lock().await;
                let waited = log.borrow().len() - asked_at;
                longest_wait.set(longest_wait.get().max(waited));
                log.borrow_mut().push(id);
                yield_now().await;
                drop(guard);
            }
        }
    };
    block_on(async {
        match tasks {
            2 => {
                zip(task(0), task(1)).await;
            }
            4 => {
                zip(zip(task(0), task(1)), zip(task(2), task(3))).await;
            }
            _ => unreachable!(),
        }
    });
    let log = log.into_inner();
    assert_eq!(log.len(), tasks * iterations);
    // Once a task has finished, the others run uncontended: cut there.
    let mut done = vec![0; tasks];
    let contended_end = log
        .iter()
        .position(|&id| {
            done[id] += 1;
            done[id] == iterations
        })
        .unwrap();
    let contended = &log[..=contended_end];
    let longest_run = contended
        .chunk_by(|a, b| a == b)
        .map(<[usize]>::len)
        .max()
        .unwrap();
    for id in 0..tasks {
        assert!(contended.contains(&id), "task {id} never got the lock");
    }
    (longest_run, longest_wait.into_inner())
}

#[test]
fn two_tasks_on_one_thread_take_turns_within_the_bound() {
    let iterations = common::iters(200, 40);
    let (longest_run, longest_wait) = contend_on_one_thread(2, iterations);
    println!(
        "fairness, 2 tasks x {iterations}: longest run by one task = {longest_run}, \
         longest wait = {longest_wait} acquisitions by others"
    );
    assert!(
        longest_run <= 16,
        "one task took the lock {longest_run} times in a row"
    );
    // The crate docs: "With two tasks taking turns, the waiting one gets the
    // lock after at most five acquisitions by the other."
    assert!(
        longest_wait <= HANDOFF_AFTER + 1,
        "a task waited for {longest_wait} acquisitions by the other"
    );
}

#[test]
fn four_tasks_on_one_thread_take_turns_within_the_bound() {
    let iterations = common::iters(100, 20);
    let (longest_run, longest_wait) = contend_on_one_thread(4, iterations);
    println!(
        "fairness, 4 tasks x {iterations}: longest run by one task = {longest_run}, \
         longest wait = {longest_wait} acquisitions by others"
    );
    assert!(
        longest_run <= 16,
        "one task took the lock {longest_run} times in a row"
    );
    // At most five turns of the queue, each at most one acquisition by each
    // of the three other tasks.
    assert!(
        longest_wait <= (HANDOFF_AFTER + 1) * 3,
        "a task waited {longest_wait} acquisitions"
    );
}

/// A starving waiter is notified by a release; before it runs, the task that
/// holds that notification is cancelled, and a new task calls `lock()`. The
/// mutex is free and the newcomer is the only task still waiting, so it must
/// be woken (or acquire at once).
///
/// Regression test: `Acquire::cancel` used to pass the dropped starving
/// waiter's notification on first (the queue is empty at that moment, so it
/// went nowhere) and only then leave the starving count. A newcomer calling
/// `lock()` between those two steps still saw hand-off mode, so it could not
/// barge; it queued and set CONTENDED — but nobody held the lock to release
/// it and no notification was outstanding, so it waited forever (until some
/// unrelated task happened to lock the mutex). On threads this is a race:
/// thread 1 drops the notified starving waiter's future while thread 2 calls
/// `lock()`. Here the window is entered deterministically from a waker: the
/// bare tier wakes outside its critical section and documents that a waker
/// may call back into the mutex, so the waiter queued behind the
/// starving one is cancelled from inside its own wake (as a task losing a
/// `select!` would be) and the newcomer polls from there too. Every tier
/// wakes outside its list lock, so this runs in every tier.
#[test]
fn cancelled_starving_waiter_does_not_strand_a_newcomer() {
    use common::{poll_once, CallbackWaker};
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use std::sync::Mutex as StdMutex;
    use turnstile_sync::Lock;

    type Slot = StdMutex<Option<Pin<Box<Lock<'static, u32>>>>>;
    static MUTEX: Mutex<u32> = Mutex::new(0);
    static BEHIND: Slot = StdMutex::new(None);
    static NEWCOMER: Slot = StdMutex::new(None);
    static NEWCOMER_ACQUIRED: AtomicBool = AtomicBool::new(false);

    let ws = CountingWaker::new();
    let wn = CountingWaker::new();
    let newcomer_waker = wn.waker().clone();
    let behind_waker = CallbackWaker::on_wake(move || {
        // The task behind the starving one is cancelled as soon as it is
        // woken...
        drop(BEHIND.lock().unwrap().take());
        // ...and a new task asks for the lock.
        let mut newcomer = Box::pin(MUTEX.lock());
        match poll_once(newcomer.as_mut(), &newcomer_waker) {
            std::task::Poll::Ready(guard) => {
                drop(guard);
                NEWCOMER_ACQUIRED.store(true, SeqCst);
            }
            std::task::Poll::Pending => *NEWCOMER.lock().unwrap() = Some(newcomer),
        }
    });

    let holder = MUTEX.try_lock().unwrap();
    let mut starving = Box::pin(MUTEX.lock());
    assert_pending(starving.as_mut(), ws.waker());
    let holder = lose_races(&MUTEX, holder, starving.as_mut(), &ws, HANDOFF_AFTER);
    let mut behind = Box::pin(MUTEX.lock());
    assert_pending(behind.as_mut(), behind_waker.waker());
    *BEHIND.lock().unwrap() = Some(behind);
    drop(holder); // hand-off: the starving waiter is notified
    assert_eq!(ws.count(), HANDOFF_AFTER + 1);
    assert_eq!(behind_waker.count(), 0);

    drop(starving); // cancelled before it ran: its wakeup goes to BEHIND
    assert_eq!(
        behind_waker.count(),
        1,
        "the starving waiter's wakeup was not passed on"
    );
    assert!(BEHIND.lock().unwrap().is_none());

    let newcomer = NEWCOMER.lock().unwrap().take();
    if let Some(mut newcomer) = newcomer {
        let locked = MUTEX.is_locked();
        let woken = wn.count();
        let acquired = poll_once(newcomer.as_mut(), wn.waker()).is_ready();
        assert!(
            woken > 0 && acquired,
            "lost wakeup: the mutex is {} and the only waiter was woken {woken} times \
             (acquires when polled anyway: {acquired}); nobody will ever release it",
            if locked { "locked" } else { "free" },
        );
    } else {
        assert!(NEWCOMER_ACQUIRED.load(SeqCst));
    }
    assert!(!MUTEX.is_locked());
    assert!(MUTEX.try_lock().is_some());
}

/// "A released lock is free for anyone" includes a queued waiter that is
/// polled without having been woken (a spurious poll: woken for another
/// reason, e.g. by another branch of a `select!`). While nobody is starving
/// it takes a free lock, as `try_lock` by a newcomer would, instead of
/// staying pending behind the newcomer.
#[test]
fn queued_waiter_polled_spuriously_takes_a_free_lock() {
    let mutex = Mutex::new(0);
    let holder = mutex.try_lock().unwrap();
    let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
    let mut a = pin!(mutex.lock());
    let mut b = pin!(mutex.lock());
    assert_pending(a.as_mut(), wa.waker());
    assert_pending(b.as_mut(), wb.waker());
    drop(holder); // wakes A, the head
    assert_eq!((wa.count(), wb.count()), (1, 0));
    // B is polled before A runs, without a wakeup of its own.
    let mut guard = assert_ready(b.as_mut(), wb.waker());
    *guard += 1;
    // A lost a race, as to any barger, and is woken by B's release.
    assert_pending(a.as_mut(), wa.waker());
    drop(guard);
    assert_eq!((wa.count(), wb.count()), (2, 0));
    let guard = assert_ready(a.as_mut(), wa.waker());
    assert_eq!(*guard, 1);
    drop(guard);
    assert!(mutex.try_lock().is_some());
    assert_eq!(wa.outstanding_clones() + wb.outstanding_clones(), 0);
}

/// The same spurious poll does not barge in hand-off mode: the free lock is
/// reserved for the starving waiter.
#[test]
fn queued_waiter_polled_spuriously_does_not_barge_in_handoff_mode() {
    let mutex = Mutex::new(0);
    let holder = mutex.try_lock().unwrap();
    let (ws, wb) = (CountingWaker::new(), CountingWaker::new());
    let mut starving = pin!(mutex.lock());
    assert_pending(starving.as_mut(), ws.waker());
    let holder = lose_races(&mutex, holder, starving.as_mut(), &ws, HANDOFF_AFTER);
    let mut behind = pin!(mutex.lock());
    assert_pending(behind.as_mut(), wb.waker());
    drop(holder); // hand-off: wakes the starving waiter
    assert!(!mutex.is_locked());
    assert_pending(behind.as_mut(), wb.waker());
    assert!(!mutex.is_locked());
    let guard = assert_ready(starving.as_mut(), ws.waker());
    assert_eq!(wb.count(), 0);
    drop(guard);
    assert_eq!(wb.count(), 1);
    drop(assert_ready(behind.as_mut(), wb.waker()));
    assert!(mutex.try_lock().is_some());
}
