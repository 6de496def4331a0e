//! The scenarios: each an `async fn` generic over the [`Executor`] that runs
//! it, panicking when the property it checks does not hold.
//!
//! They use only the API every tier has (borrowed futures, which are
//! `!Unpin` in the bare tier), except [`threads_and_tasks_share_primitives`],
//! which needs the `std` tier's blocking forms. Primitives are shared through
//! `std::sync::Arc` (the harness runs on the host in every tier).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use futures_lite::future::{or, poll_once, yield_now};
use turnstile_sync::{Barrier, Condvar, Latch, Mutex, Notify, RwLock, Semaphore};

use crate::{join_all, Executor, Spawner};

/// Yields until `done()` holds, or panics after a generous number of yields
/// (a liveness bound, not a timing assertion: yields are counted, not time).
async fn eventually(mut done: impl FnMut() -> bool, what: &str) {
    for _ in 0..1_000_000 {
        if done() {
            return;
        }
        yield_now().await;
    }
    panic!("never happened: {what}");
}

/// Many tasks hold a Mutex across `.await`: no two are ever inside at once,
/// and no increment is lost.
pub async fn mutex_excludes_tasks_holding_across_await<E: Executor>(sp: Spawner) {
    const TASKS: usize = 16;
    const ROUNDS: usize = 50;
    let counter = Arc::new(Mutex::new(0usize));
    let inside = Arc::new(AtomicBool::new(false));
    let tasks = (0..TASKS)
        .map(|_| {
            let (counter, inside) = (counter.clone(), inside.clone());
            sp.spawn(async move {
                for round in 0..ROUNDS {
                    let mut n = counter.lock().await;
                    assert!(!inside.swap(true, SeqCst), "two tasks inside the mutex");
                    let seen = *n;
                    if round % 4 == 0 {
                        yield_now().await; // held across an await
                    }
                    *n = seen + 1;
                    inside.store(false, SeqCst);
                }
            })
        })
        .collect();
    join_all(tasks).await;
    assert_eq!(
        *counter.try_lock().expect("free at the end"),
        TASKS * ROUNDS
    );
}

/// Readers and writers of an RwLock never overlap, and writers exclude each
/// other, with guards held across `.await`.
pub async fn rwlock_excludes_writers<E: Executor>(sp: Spawner) {
    let lock = Arc::new(RwLock::new(0usize));
    let readers_inside = Arc::new(AtomicUsize::new(0));
    let writer_inside = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for id in 0..12 {
        let (lock, readers_inside, writer_inside) =
            (lock.clone(), readers_inside.clone(), writer_inside.clone());
        tasks.push(sp.spawn(async move {
            for round in 0..40 {
                if id % 4 == 0 {
                    let mut value = lock.write().await;
                    assert!(!writer_inside.swap(true, SeqCst), "two writers inside");
                    assert_eq!(readers_inside.load(SeqCst), 0, "a writer beside readers");
                    if round % 3 == 0 {
                        yield_now().await;
                    }
                    *value += 1;
                    writer_inside.store(false, SeqCst);
                } else {
                    let value = lock.read().await;
                    readers_inside.fetch_add(1, SeqCst);
                    assert!(!writer_inside.load(SeqCst), "a reader beside a writer");
                    let seen = *value;
                    yield_now().await;
                    assert_eq!(*value, seen, "the value changed under a read guard");
                    readers_inside.fetch_sub(1, SeqCst);
                }
            }
        }));
    }
    join_all(tasks).await;
    assert_eq!(*lock.try_read().expect("free"), 3 * 40);
}

/// A queued writer stops new readers: a reader that comes after it waits
/// until the writer has been in.
pub async fn rwlock_queued_writer_goes_before_later_readers<E: Executor>(sp: Spawner) {
    let lock = Arc::new(RwLock::new(Vec::<&'static str>::new()));
    let first_reader = lock.read().await;
    let writer = {
        let lock = lock.clone();
        let mut writer = Box::pin(async move { lock.write().await.push("writer") });
        assert!(
            poll_once(writer.as_mut()).await.is_none(),
            "writer must queue"
        );
        sp.spawn(writer)
    };
    assert!(
        lock.try_read().is_none(),
        "a new reader passed a queued writer"
    );
    let reader = {
        let lock = lock.clone();
        sp.spawn(async move { lock.read().await.clone() })
    };
    yield_now().await;
    drop(first_reader);
    writer.await;
    assert_eq!(
        reader.await,
        ["writer"],
        "the later reader went before the writer"
    );
}

/// A weighted Semaphore never has more permits out than it holds.
pub async fn semaphore_never_exceeds_its_permits<E: Executor>(sp: Spawner) {
    const PERMITS: usize = 5;
    let semaphore = Arc::new(Semaphore::new(PERMITS));
    let out = Arc::new(AtomicUsize::new(0));
    let tasks = (0..16)
        .map(|id| {
            let (semaphore, out) = (semaphore.clone(), out.clone());
            sp.spawn(async move {
                let weight = 1 + id % 3;
                for _ in 0..30 {
                    let _permits = semaphore.acquire_many(weight).await.expect("open");
                    let now = out.fetch_add(weight, SeqCst) + weight;
                    assert!(now <= PERMITS, "{now} permits out of {PERMITS}");
                    yield_now().await;
                    out.fetch_sub(weight, SeqCst);
                }
            })
        })
        .collect();
    join_all(tasks).await;
    assert_eq!(semaphore.available_permits(), PERMITS);
}

/// Semaphore waiters of mixed weights are served in the order they queued.
pub async fn semaphore_serves_waiters_in_fifo_order<E: Executor>(sp: Spawner) {
    const WAITERS: usize = 8;
    let weight = |i: usize| 1 + (i * 7) % 4;
    let semaphore = Arc::new(Semaphore::new(0));
    let served = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..WAITERS {
        let (semaphore, served) = (semaphore.clone(), served.clone());
        let mut waiter = Box::pin(async move {
            let permits = semaphore.acquire_many(weight(i)).await.expect("open");
            turnstile_sync::SemaphoreGuard::forget(permits); // nobody else may use them
            served.lock().unwrap().push(i);
        });
        // Polled once here, so it queues now, in this order.
        assert!(poll_once(waiter.as_mut()).await.is_none());
        tasks.push(sp.spawn(waiter));
    }
    for i in 0..WAITERS {
        semaphore.add_permits(weight(i));
        eventually(|| served.lock().unwrap().len() > i, "the head is served").await;
        assert_eq!(served.lock().unwrap()[i], i, "served out of FIFO order");
    }
    join_all(tasks).await;
}

/// A Barrier elects exactly one leader per generation and releases
/// everyone, round after round.
pub async fn barrier_elects_one_leader_per_generation<E: Executor>(sp: Spawner) {
    const PARTIES: usize = 6;
    const ROUNDS: usize = 20;
    let barrier = Arc::new(Barrier::new(PARTIES));
    let tasks = (0..PARTIES)
        .map(|_| {
            let barrier = barrier.clone();
            sp.spawn(async move {
                let mut leaders = 0;
                for _ in 0..ROUNDS {
                    leaders += barrier.wait().await.is_leader() as usize;
                }
                leaders
            })
        })
        .collect();
    let leaders: usize = join_all(tasks).await.into_iter().sum();
    assert_eq!(leaders, ROUNDS);
}

/// Every kind of wait, cancelled by the executor's own timer while it waits,
/// leaves no trace: the primitive is exactly as if the waiter never came.
pub async fn cancelled_waits_leave_no_trace<E: Executor>(sp: Spawner) {
    let timeout = Duration::from_millis(2);

    // Mutex: waiters time out behind a holder; afterwards it is free.
    let mutex = Arc::new(Mutex::new(0u32));
    let held = mutex.lock().await;
    let waiters: Vec<_> = (0..4)
        .map(|_| {
            let mutex = mutex.clone();
            sp.spawn(async move {
                or(async { Some(*mutex.lock().await) }, async {
                    E::sleep(timeout).await;
                    None
                })
                .await
            })
        })
        .collect();
    for outcome in join_all(waiters).await {
        assert_eq!(outcome, None, "a waiter got a held mutex");
    }
    drop(held);
    assert!(
        mutex.try_lock().is_some(),
        "a timed-out waiter left the mutex taken"
    );

    // Semaphore: a head that times out gives back what was set aside for it,
    // and the waiter behind it is served at once.
    let semaphore = Arc::new(Semaphore::new(2));
    // Polled once here, so the head is queued (holding the 2 free permits
    // set aside for it) before anyone else asks.
    let mut head = {
        let semaphore = semaphore.clone();
        Box::pin(async move {
            or(
                async {
                    semaphore
                        .acquire_many(5)
                        .await
                        .map(|_| true)
                        .unwrap_or(false)
                },
                async {
                    E::sleep(timeout).await;
                    false
                },
            )
            .await
        })
    };
    assert!(
        poll_once(head.as_mut()).await.is_none(),
        "the head must queue"
    );
    let head = sp.spawn(head);
    assert!(
        semaphore.try_acquire().is_err(),
        "a newcomer passed the queued head"
    );
    let behind = {
        let semaphore = semaphore.clone();
        sp.spawn(async move {
            turnstile_sync::SemaphoreGuard::forget(semaphore.acquire_many(2).await.expect("open"))
        })
    };
    assert!(!head.await, "the head got 5 of 2 permits");
    behind.await;
    assert_eq!(semaphore.available_permits(), 0);
    semaphore.add_permits(2);
    assert_eq!(
        semaphore.available_permits(),
        2,
        "permits stranded by the cancelled head"
    );

    // RwLock: a writer that times out behind a reader stops holding back
    // new readers.
    let lock = Arc::new(RwLock::new(()));
    let reader = lock.read().await;
    let writer = {
        let lock = lock.clone();
        sp.spawn(async move {
            or(
                async {
                    drop(lock.write().await);
                    true
                },
                async {
                    E::sleep(timeout).await;
                    false
                },
            )
            .await
        })
    };
    assert!(!writer.await);
    assert!(
        lock.try_read().is_some(),
        "a timed-out writer still holds back readers"
    );
    drop(reader);
    assert!(lock.try_write().is_some());

    // Barrier: arrivals that time out are withdrawn; a full set of new
    // arrivals then releases exactly one generation with one leader.
    let barrier = Arc::new(Barrier::new(3));
    let early: Vec<_> = (0..2)
        .map(|_| {
            let barrier = barrier.clone();
            sp.spawn(async move {
                or(async { Some(barrier.wait().await.is_leader()) }, async {
                    E::sleep(timeout).await;
                    None
                })
                .await
            })
        })
        .collect();
    for outcome in join_all(early).await {
        assert_eq!(outcome, None, "a barrier of 3 released with 2 arrivals");
    }
    let full: Vec<_> = (0..3)
        .map(|_| {
            let barrier = barrier.clone();
            sp.spawn(async move { barrier.wait().await.is_leader() })
        })
        .collect();
    let leaders = join_all(full).await.into_iter().filter(|&l| l).count();
    assert_eq!(leaders, 1);

    // Latch and Condvar: timed-out waits change nothing; a later opening or
    // notify reaches the waiter that is still there.
    let latch = Arc::new(Latch::new(1));
    let gone = {
        let latch = latch.clone();
        sp.spawn(async move {
            or(
                async {
                    latch.wait().await;
                    true
                },
                async {
                    E::sleep(timeout).await;
                    false
                },
            )
            .await
        })
    };
    assert!(!gone.await);
    assert_eq!(latch.count(), 1);
    let stays = {
        let latch = latch.clone();
        sp.spawn(async move { latch.wait().await })
    };
    latch.count_down();
    stays.await;

    let state = Arc::new(Mutex::new(false));
    let condvar = Arc::new(Condvar::new());
    let timed_out = {
        let (state, condvar) = (state.clone(), condvar.clone());
        sp.spawn(async move {
            or(
                async {
                    let guard = condvar.wait_until(state.lock().await, |ready| *ready).await;
                    *guard
                },
                async {
                    E::sleep(timeout).await;
                    false
                },
            )
            .await
        })
    };
    assert!(!timed_out.await);
    // The next waiter queues now (polled once here), so the notify below
    // must reach it: a wakeup kept by the timed-out waiter would strand it.
    let mut waiter = {
        let (state, condvar) = (state.clone(), condvar.clone());
        Box::pin(async move { drop(condvar.wait(state.lock().await).await) })
    };
    assert!(
        poll_once(waiter.as_mut()).await.is_none(),
        "the waiter must queue"
    );
    let waiter = sp.spawn(waiter);
    condvar.notify_one();
    // A liveness bound, not a timing assertion: a lost notify never arrives.
    let woken = or(
        async {
            waiter.await;
            true
        },
        async {
            E::sleep(Duration::from_secs(10)).await;
            false
        },
    )
    .await;
    assert!(woken, "the notify was lost to the waiter that timed out");
}

/// Notify: every `notify_one` wakes exactly one waiter, in the order they
/// queued; one sent while nobody waits is kept for the next waiter.
pub async fn notify_wakes_one_waiter_per_notify<E: Executor>(sp: Spawner) {
    const WAITERS: usize = 6;
    let notify = Arc::new(Notify::new());
    let woken = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..WAITERS {
        let (notify, woken) = (notify.clone(), woken.clone());
        let mut waiter = Box::pin(async move {
            notify.notified().await;
            woken.lock().unwrap().push(i);
        });
        // Polled once here, so it queues now, in this order.
        assert!(poll_once(waiter.as_mut()).await.is_none());
        tasks.push(sp.spawn(waiter));
    }
    for i in 0..WAITERS {
        notify.notify_one();
        eventually(|| woken.lock().unwrap().len() > i, "a notified waiter runs").await;
        assert_eq!(woken.lock().unwrap()[i], i, "woken out of FIFO order");
    }
    join_all(tasks).await;
    // A notify with nobody waiting is kept for the next waiter.
    notify.notify_one();
    notify.notified().await;
}

/// A producer/consumer pipeline coordinated by all four coordination
/// primitives: a Semaphore bounds the queue, a Condvar wakes consumers, a
/// Barrier lines the consumers up between batches, and a Latch tells the
/// main task when every producer is done.
pub async fn pipeline<E: Executor>(sp: Spawner) {
    const PRODUCERS: usize = 3;
    const CONSUMERS: usize = 3;
    const BATCHES: usize = 4;
    const PER_BATCH: usize = 6; // items per batch, a multiple of CONSUMERS
    const SLOTS: usize = 4;

    struct Shared {
        queue: Mutex<std::collections::VecDeque<usize>>,
        ready: Condvar,
        slots: Semaphore,
        round: Barrier,
        produced: Latch,
        consumed_sum: AtomicUsize,
    }
    let shared = Arc::new(Shared {
        queue: Mutex::new(std::collections::VecDeque::new()),
        ready: Condvar::new(),
        slots: Semaphore::new(SLOTS),
        round: Barrier::new(CONSUMERS),
        produced: Latch::new(PRODUCERS),
        consumed_sum: AtomicUsize::new(0),
    });
    let items = BATCHES * PER_BATCH;
    let mut producers = Vec::new();
    for p in 0..PRODUCERS {
        let shared = shared.clone();
        producers.push(sp.spawn(async move {
            for item in (p..items).step_by(PRODUCERS) {
                // A slot in the bounded queue, given back by the consumer.
                turnstile_sync::SemaphoreGuard::forget(shared.slots.acquire().await.expect("open"));
                shared.queue.lock().await.push_back(item);
                shared.ready.notify_one();
            }
            shared.produced.count_down();
        }));
    }
    let mut consumers = Vec::new();
    for _ in 0..CONSUMERS {
        let shared = shared.clone();
        consumers.push(sp.spawn(async move {
            for _ in 0..BATCHES {
                for _ in 0..PER_BATCH / CONSUMERS {
                    let mut queue = shared
                        .ready
                        .wait_until(shared.queue.lock().await, |q| !q.is_empty())
                        .await;
                    let item = queue.pop_front().expect("non-empty");
                    drop(queue);
                    shared.slots.add_permits(1);
                    shared.consumed_sum.fetch_add(item, SeqCst);
                }
                shared.round.wait().await;
            }
        }));
    }
    shared.produced.wait().await;
    join_all(producers).await;
    join_all(consumers).await;
    assert_eq!(shared.consumed_sum.load(SeqCst), (0..items).sum::<usize>());
    assert!(shared.queue.try_lock().expect("free").is_empty());
    assert_eq!(shared.slots.available_permits(), SLOTS);
}

/// Two tasks, each looping {lock; yield while holding; unlock}: the longest
/// number of acquisitions by one task while the other waits, against the
/// bound the executor's run queue gives ([`Executor::MUTEX_TURNS`]), and
/// printed on every executor (seen with `--nocapture`). Both tasks must get
/// the lock on every executor.
pub async fn mutex_fairness_bound<E: Executor>(sp: Spawner) {
    const ITERATIONS: usize = 200;
    let mutex = Arc::new(Mutex::new(()));
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let longest_wait = Arc::new(AtomicUsize::new(0));
    let tasks = (0..2)
        .map(|id| {
            let (mutex, log, longest_wait) = (mutex.clone(), log.clone(), longest_wait.clone());
            sp.spawn(async move {
                for _ in 0..ITERATIONS {
                    let asked_at = log.lock().unwrap().len();
                    let guard = mutex.lock().await;
                    {
                        let mut log = log.lock().unwrap();
                        // Acquisitions by the other task since this one asked.
                        let waited = log[asked_at..].iter().filter(|&&who| who != id).count();
                        longest_wait.fetch_max(waited, SeqCst);
                        log.push(id);
                    }
                    yield_now().await;
                    drop(guard);
                }
            })
        })
        .collect();
    join_all(tasks).await;
    let longest_wait = longest_wait.load(SeqCst);
    // The figure itself, for every executor (bounded or not): shown with
    // `cargo test -p turnstile-conformance mutex_fairness_bound -- --nocapture`.
    eprintln!(
        "on {}: a waiting task saw at most {longest_wait} acquisitions by the other",
        E::NAME
    );
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 2 * ITERATIONS);
    assert!(log.contains(&0) && log.contains(&1));
    if let Some(bound) = E::MUTEX_TURNS {
        assert!(
            longest_wait <= bound,
            "on {}, a task waited for {longest_wait} acquisitions by the other (bound {bound})",
            E::NAME
        );
    }
}

/// Plain threads (blocking forms) and tasks (`.await`) on the same Mutex,
/// Semaphore and Latch at once.
#[cfg(feature = "std")]
pub async fn threads_and_tasks_share_primitives<E: Executor>(sp: Spawner) {
    const THREADS: usize = 2;
    const TASKS: usize = 8;
    const ROUNDS: usize = 100;
    let counter = Arc::new(Mutex::new(0usize));
    let permits = Arc::new(Semaphore::new(2));
    let out = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(Latch::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let (counter, permits, out, done) =
                (counter.clone(), permits.clone(), out.clone(), done.clone());
            std::thread::spawn(move || {
                for _ in 0..ROUNDS {
                    *counter.lock_blocking() += 1;
                    let _permit = permits.acquire_blocking().expect("open");
                    assert!(out.fetch_add(1, SeqCst) < 2, "three permits out of two");
                    out.fetch_sub(1, SeqCst);
                }
                done.count_down();
            })
        })
        .collect();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (counter, permits, out) = (counter.clone(), permits.clone(), out.clone());
            sp.spawn(async move {
                for _ in 0..ROUNDS {
                    *counter.lock().await += 1;
                    let _permit = permits.acquire().await.expect("open");
                    assert!(out.fetch_add(1, SeqCst) < 2, "three permits out of two");
                    yield_now().await;
                    out.fetch_sub(1, SeqCst);
                }
            })
        })
        .collect();
    join_all(tasks).await;
    done.wait().await; // the threads are done: join cannot block for long
    for thread in threads {
        thread.join().expect("thread");
    }
    assert_eq!(
        *counter.try_lock().expect("free"),
        (THREADS + TASKS) * ROUNDS
    );
    assert_eq!(permits.available_permits(), 2);
}
