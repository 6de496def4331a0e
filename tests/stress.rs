//! Stress: long random schedules of lock, barge, release, poll and cancel.
//!
//! The single-threaded schedule runs in every tier. It behaves like an
//! executor that polls a future only after its waker fired (plus some
//! spurious polls), so a lost wakeup shows up as a future left pending with
//! the mutex free, and it checks mutual exclusion on every step. The
//! schedules are seeded, so a failure replays exactly.
//!
//! The multi-threaded tests (std tier) check mutual exclusion and that no
//! thread is left parked: blocking and async lockers, plus threads that poll
//! lock futures and drop them part-way, all on one mutex.

mod common;

use std::pin::Pin;
use std::task::Poll;

use common::{poll_once, CountingWaker, Rng};
use turnstile_sync::{Lock, Mutex, MutexGuard};

struct Waiting<'a> {
    lock: Pin<Box<Lock<'a, u64>>>,
    waker: CountingWaker,
    /// Wake count when last polled.
    seen: usize,
}

struct Schedule<'a> {
    mutex: &'a Mutex<u64>,
    waiting: Vec<Waiting<'a>>,
    guard: Option<MutexGuard<'a, u64>>,
    acquisitions: u64,
    cancelled_notified: u64,
    /// `try_lock` refused a free mutex: hand-off mode was reached.
    handoffs_seen: u64,
}

impl<'a> Schedule<'a> {
    fn acquired(&mut self, mut guard: MutexGuard<'a, u64>) {
        assert!(self.guard.is_none(), "two guards at once");
        *guard += 1;
        self.acquisitions += 1;
        self.guard = Some(guard);
    }

    /// Polls waiter `i`; removes it if it acquired.
    fn poll(&mut self, i: usize) {
        let w = &mut self.waiting[i];
        w.seen = w.waker.count();
        if let Poll::Ready(guard) = poll_once(w.lock.as_mut(), w.waker.waker()) {
            self.waiting.swap_remove(i);
            self.acquired(guard);
        }
    }

    /// Polls every waiter whose waker fired since its last poll.
    fn run_woken(&mut self) -> bool {
        let mut polled = false;
        let mut i = 0;
        while i < self.waiting.len() {
            if self.waiting[i].waker.count() > self.waiting[i].seen {
                polled = true;
                let before = self.waiting.len();
                self.poll(i);
                if self.waiting.len() < before {
                    continue; // swap_remove moved another waiter to `i`
                }
            }
            i += 1;
        }
        polled
    }

    fn check(&self) {
        assert_eq!(
            self.mutex.is_locked(),
            self.guard.is_some(),
            "is_locked disagrees"
        );
    }
}

/// Runs one seeded schedule; returns how often hand-off mode was seen.
fn random_schedule(seed: u64, steps: usize) -> u64 {
    let mutex = Mutex::new(0u64);
    let mut rng = Rng::new(seed);
    let mut s = Schedule {
        mutex: &mutex,
        waiting: Vec::new(),
        guard: None,
        acquisitions: 0,
        cancelled_notified: 0,
        handoffs_seen: 0,
    };
    for _ in 0..steps {
        match rng.below(12) {
            // A new task calls lock().
            0 | 1 => {
                let waker = CountingWaker::new();
                let mut lock = Box::pin(mutex.lock());
                match poll_once(lock.as_mut(), waker.waker()) {
                    Poll::Ready(guard) => s.acquired(guard),
                    Poll::Pending => s.waiting.push(Waiting {
                        lock,
                        waker,
                        seen: 0,
                    }),
                }
            }
            // A spurious (or early) poll of any waiter.
            2 if !s.waiting.is_empty() => {
                let i = rng.below(s.waiting.len());
                s.poll(i);
            }
            // The executor runs the woken tasks.
            3 | 4 => {
                s.run_woken();
            }
            // A waiting task is cancelled, woken or not.
            5 | 6 if !s.waiting.is_empty() => {
                let i = rng.below(s.waiting.len());
                let w = s.waiting.swap_remove(i);
                if w.waker.count() > w.seen {
                    s.cancelled_notified += 1;
                }
                drop(w);
            }
            // The holder releases.
            7 | 8 => drop(s.guard.take()),
            // Someone barges with try_lock.
            9 => match mutex.try_lock() {
                Some(guard) => s.acquired(guard),
                None if !mutex.is_locked() => s.handoffs_seen += 1,
                None => {}
            },
            // The holder releases and comes straight back, before the task it
            // woke runs: that task loses a race.
            10 | 11 => {
                drop(s.guard.take());
                match mutex.try_lock() {
                    Some(guard) => s.acquired(guard),
                    None if !mutex.is_locked() => s.handoffs_seen += 1,
                    None => {}
                }
                s.run_woken();
            }
            _ => {}
        }
        s.check();
    }
    // Drain: release, and run woken tasks until nothing is woken.
    loop {
        drop(s.guard.take());
        if !s.run_woken() {
            break;
        }
    }
    assert!(s.guard.is_none());
    assert!(
        s.waiting.is_empty(),
        "seed {seed}: {} waiter(s) never woken while the mutex is {}",
        s.waiting.len(),
        if mutex.is_locked() { "locked" } else { "free" },
    );
    assert!(!mutex.is_locked());
    assert!(
        mutex.try_lock().is_some(),
        "seed {seed}: mutex not lockable at the end"
    );
    let (acquisitions, cancelled_notified) = (s.acquisitions, s.cancelled_notified);
    let handoffs_seen = s.handoffs_seen;
    drop(s);
    assert_eq!(mutex.into_inner(), acquisitions);
    assert!(
        cancelled_notified > 0,
        "seed {seed}: the schedule never cancelled a woken waiter"
    );
    handoffs_seen
}

#[test]
fn random_single_thread_schedules() {
    let seeds = common::iters(200, 2) as u64;
    let steps = common::iters(5000, 500);
    let handoffs: u64 = (1..=seeds).map(|seed| random_schedule(seed, steps)).sum();
    println!("{seeds} schedules x {steps} steps: hand-off mode seen {handoffs} times");
    assert!(handoffs > 0, "no schedule reached hand-off mode");
}

#[cfg(feature = "std")]
mod threads {
    use super::*;
    use futures_lite::future::block_on;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
    use std::sync::Arc;
    use std::thread;

    /// The critical section: a non-atomic read-modify-write that would lose
    /// updates under a broken mutex, plus an explicit "someone is inside"
    /// flag.
    fn critical(inside: &AtomicBool, value: &mut u64) {
        assert!(!inside.swap(true, SeqCst), "two holders at once");
        let seen = *value;
        thread::yield_now();
        *value = seen + 1;
        inside.store(false, SeqCst);
    }

    #[test]
    fn blocking_and_async_lockers_on_threads() {
        let per_thread = common::iters(10_000, 15) as u64;
        let mutex = Mutex::new(0u64);
        let inside = AtomicBool::new(false);
        thread::scope(|s| {
            for t in 0..4 {
                let (mutex, inside) = (&mutex, &inside);
                s.spawn(move || {
                    for i in 0..per_thread {
                        match (t + i) % 3 {
                            0 => critical(inside, &mut mutex.lock_blocking()),
                            1 => critical(inside, &mut block_on(mutex.lock())),
                            _ => loop {
                                if let Some(mut guard) = mutex.try_lock() {
                                    critical(inside, &mut guard);
                                    break;
                                }
                                thread::yield_now();
                            },
                        }
                    }
                });
            }
        });
        assert!(!mutex.is_locked());
        assert_eq!(mutex.into_inner(), 4 * per_thread);
    }

    /// Critical sections of a few instructions: releases come so soon after
    /// a waiter's failed attempt that they often land between its re-check
    /// and its sleep, the window a lost wakeup needs. Contention is highest
    /// right after the threads start together, so there are many short
    /// rounds, each behind a barrier. A lost wakeup parks a thread for good,
    /// so it shows as a hang.
    #[test]
    fn short_critical_sections_on_threads() {
        const THREADS: usize = 4;
        let rounds = common::iters(50, 2);
        let per_round = common::iters(2000, 10) as u64;
        let mutex = Mutex::new(0u64);
        for _ in 0..rounds {
            let start = std::sync::Barrier::new(THREADS);
            thread::scope(|s| {
                for t in 0..THREADS as u64 {
                    let (mutex, start) = (&mutex, &start);
                    s.spawn(move || {
                        start.wait();
                        for i in 0..per_round {
                            if (t + i) % 2 == 0 {
                                *mutex.lock_blocking() += 1;
                            } else {
                                *block_on(mutex.lock()) += 1;
                            }
                        }
                    });
                }
            });
        }
        assert!(!mutex.is_locked());
        assert_eq!(mutex.into_inner(), (rounds * THREADS) as u64 * per_round);
    }

    #[test]
    fn arc_guards_on_threads() {
        let per_thread = common::iters(5000, 10) as u64;
        let mutex = Arc::new(Mutex::new(0u64));
        let inside = Arc::new(AtomicBool::new(false));
        let threads: Vec<_> = (0..3)
            .map(|t| {
                let (mutex, inside) = (mutex.clone(), inside.clone());
                thread::spawn(move || {
                    for _ in 0..per_thread {
                        let mut guard = if t == 0 {
                            mutex.lock_arc_blocking()
                        } else {
                            block_on(mutex.lock_arc())
                        };
                        critical(&inside, &mut guard);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(Arc::strong_count(&mutex), 1, "a guard leaked its Arc");
        assert_eq!(*mutex.try_lock().unwrap(), 3 * per_thread);
    }

    /// Threads that poll lock futures a few times and drop them part-way —
    /// some after they were woken and before they ran — race real lockers.
    /// Afterwards the mutex is free and lockable and every acquisition is
    /// counted.
    #[test]
    fn cancellation_races_real_lockers() {
        let per_thread = common::iters(10_000, 15) as u64;
        let mutex = Mutex::new(0u64);
        let inside = AtomicBool::new(false);
        let cancelled_acquisitions = AtomicU64::new(0);
        thread::scope(|s| {
            for t in 0..2u64 {
                let (mutex, inside) = (&mutex, &inside);
                s.spawn(move || {
                    for i in 0..per_thread {
                        if (t + i) % 2 == 0 {
                            critical(inside, &mut mutex.lock_blocking());
                        } else {
                            critical(inside, &mut block_on(mutex.lock()));
                        }
                    }
                });
            }
            for t in 0..2u64 {
                let (mutex, inside, cancelled_acquisitions) =
                    (&mutex, &inside, &cancelled_acquisitions);
                s.spawn(move || {
                    let mut rng = Rng::new(0xC0FFEE + t);
                    for _ in 0..per_thread {
                        let waker = CountingWaker::new();
                        let mut lock = Box::pin(mutex.lock());
                        // Poll up to three times, yielding in between, then
                        // give up: whether it was woken, acquired or neither.
                        for _ in 0..=rng.below(3) {
                            if let Poll::Ready(mut guard) = poll_once(lock.as_mut(), waker.waker())
                            {
                                critical(inside, &mut guard);
                                cancelled_acquisitions.fetch_add(1, SeqCst);
                                break;
                            }
                            thread::yield_now();
                        }
                        // May be completed, queued, or woken-not-yet-polled.
                        if !matches!(rng.below(4), 0) {
                            drop(lock);
                        } else {
                            // Give a wakeup a chance to arrive, then drop.
                            thread::yield_now();
                            drop(lock);
                        }
                    }
                });
            }
        });
        assert!(!mutex.is_locked(), "cancellation left the mutex locked");
        assert!(mutex.try_lock().is_some());
        let expected = 2 * per_thread + cancelled_acquisitions.load(SeqCst);
        assert_eq!(mutex.into_inner(), expected);
    }
}
