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
use turnstile::{Mutex, MutexGuard};

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

/// The documented bound (crate docs, "Fairness: bounded barging"): "a waiter
/// waits for at most four barging acquisitions plus one per waiter ahead of
/// it". Staged with a fixed set of tasks: T, one barging task B, and
/// `OTHERS` tasks that are always queued (each queues again right after its
/// turn). At most `OTHERS` waiters are ever ahead of T, so T should wait for
/// at most HANDOFF_AFTER + OTHERS acquisitions by the other tasks.
///
/// What goes wrong: a woken waiter that loses a race queues again at the
/// *tail* (`Acquire::poll` calls `register` after a lost race), so each of its
/// four lost races costs it a full turn of the queue: T waits for
/// HANDOFF_AFTER × (1 + OTHERS) = 12 acquisitions, not 4 + 2 = 6. The bound
/// is multiplicative in the queue length, not additive (the 4-task test above
/// measures the same: a wait of 15 where the docs promise 4 + 3 = 7). Either
/// the lost-race waiter should keep its place at the head of the queue, or
/// the documented bound is wrong.
#[test]
fn waiter_waits_at_most_the_documented_bound() {
    const OTHERS: usize = 2;
    let mutex = Mutex::new(0);
    let tw = CountingWaker::new();
    let mut holder = mutex.try_lock().unwrap();
    let mut t = pin!(mutex.lock());
    assert_pending(t.as_mut(), tw.waker());
    // The other tasks, queued behind T, in queue order.
    let mut others: Vec<(Pin<Box<turnstile::Lock<'_, u32>>>, CountingWaker)> = (0..OTHERS)
        .map(|_| {
            let w = CountingWaker::new();
            let mut lock = Box::pin(mutex.lock());
            assert_pending(lock.as_mut(), w.waker());
            (lock, w)
        })
        .collect();
    let mut t_seen = 0;
    let mut others_acquired = 0;
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
            others_acquired += 1;
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
                others_acquired += 1;
            }
        }
    };
    drop(served);
    println!("T waited for {others_acquired} acquisitions by others ({OTHERS} waiters + 1 barger)");
    assert!(
        others_acquired <= HANDOFF_AFTER + OTHERS,
        "T waited for {others_acquired} acquisitions by the other tasks; the documented \
         bound is {HANDOFF_AFTER} barges + {OTHERS} waiters ahead = {}",
        HANDOFF_AFTER + OTHERS
    );
}

/// Hand-off mode also shows in `Debug`, which peeks with `try_lock`: the
/// value of a free mutex reserved for a starving waiter is not shown.
#[test]
fn debug_during_handoff_does_not_barge() {
    let mutex = Mutex::new(7);
    let holder = mutex.try_lock().unwrap();
    let ws = CountingWaker::new();
    let mut starving = pin!(mutex.lock());
    assert_pending(starving.as_mut(), ws.waker());
    let holder = lose_races(&mutex, holder, starving.as_mut(), &ws, HANDOFF_AFTER);
    drop(holder);
    let _ = format!("{mutex:?}");
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
    assert!(longest_wait <= 16);
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
    // Four barging acquisitions plus one per waiter ahead, with slack.
    assert!(
        longest_wait <= 16,
        "a task waited {longest_wait} acquisitions"
    );
}

/// A starving waiter is notified by a release; before it runs, the task that
/// holds that notification is cancelled, and a new task calls `lock()`. The
/// mutex is free and the newcomer is the only task still waiting, so it must
/// be woken (or acquire at once).
///
/// What goes wrong: `Acquire::cancel` first passes the dropped starving
/// waiter's notification on (the queue is empty at that moment, so it goes
/// nowhere) and only then removes the waiter from the starving count. A
/// newcomer that calls `lock()` between those two steps still sees hand-off
/// mode, so it may not barge; it queues and sets CONTENDED — but nobody holds
/// the lock to release it and no notification is outstanding, so it waits
/// forever (until some unrelated task happens to lock the mutex). On threads
/// this is a race: thread 1 drops the notified starving waiter's future while
/// thread 2 calls `lock()`. Here the window is entered deterministically from
/// a waker: the bare tier wakes outside its critical section and documents
/// that a waker may call back into the mutex, so the waiter queued behind the
/// starving one is cancelled from inside its own wake (as a task losing a
/// `select!` would be) and the newcomer polls from there too. The
/// event-listener tiers wake inside their list lock, where this callback is
/// not allowed, so the deterministic form is bare-tier only.
#[cfg(not(feature = "alloc"))]
#[test]
fn cancelled_starving_waiter_does_not_strand_a_newcomer() {
    use common::{poll_once, CallbackWaker};
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use std::sync::Mutex as StdMutex;
    use turnstile::Lock;

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
