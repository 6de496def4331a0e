//! A tour of turnstile: the same primitives under smol, under tokio, and on
//! plain threads, all at once.
//!
//! Run it with `cargo run --example tour`.

use std::sync::Arc;
use std::time::Duration;

use turnstile_sync::{
    Barrier, Condvar, Latch, Mutex, Notify, RwLock, RwLockUpgradableReadGuard, Semaphore, WaitExt,
};

/// A `static` mutex: `Mutex::new` is `const`, as in the bare tier.
static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

async fn note(line: String) {
    LOG.lock().await.push(line);
}

/// Check-then-insert under one lock: two sign-ups with the same e-mail cannot
/// both pass, however their awaits interleave.
async fn sign_up(users: &Mutex<Vec<String>>, email: &str) -> bool {
    let mut users = users.lock().await;
    if users.iter().any(|u| u == email) {
        return false;
    }
    // Simulate a slow database round trip while holding the lock: the guard
    // is held across an await, which std's mutex would not allow on a
    // multi-threaded runtime.
    futures_lite::future::yield_now().await;
    users.push(email.to_owned());
    true
}

fn main() {
    // 1. smol: tasks race to sign up the same address; exactly one wins.
    let users = Arc::new(Mutex::new(Vec::new()));
    let wins = smol::block_on(async {
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let users = users.clone();
                smol::spawn(async move {
                    let ok = sign_up(&users, "ada@example.com").await;
                    note(format!(
                        "smol task {i}: sign-up {}",
                        if ok { "accepted" } else { "refused" }
                    ))
                    .await;
                    ok
                })
            })
            .collect();
        let mut wins = 0;
        for t in tasks {
            wins += t.await as usize;
        }
        wins
    });
    println!("smol: 8 concurrent sign-ups of one address, {wins} accepted");
    assert_eq!(wins, 1);

    // 2. tokio (multi-threaded) and plain threads share one counter: tasks
    //    lock with `.await`, threads with `lock_blocking`.
    let counter = Arc::new(Mutex::new(0u64));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("tokio runtime");
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let counter = counter.clone();
            std::thread::spawn(move || {
                for _ in 0..1000 {
                    *counter.lock_blocking() += 1;
                }
            })
        })
        .collect();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let counter = counter.clone();
                tokio::spawn(async move {
                    for n in 0..100 {
                        // An Arc-owned guard is 'static and Send: it can be
                        // held across an await in a spawned task.
                        let mut guard = counter.lock_arc().await;
                        *guard += 1;
                        if n % 25 == 0 {
                            tokio::time::sleep(Duration::from_micros(50)).await;
                        }
                    }
                    note(format!("tokio task {i} done")).await;
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task");
        }
    });
    for t in threads {
        t.join().expect("thread");
    }
    let total = *counter.lock_blocking();
    println!("tokio + threads: 16 tasks x 100 and 2 threads x 1000 increments = {total}");
    assert_eq!(total, 16 * 100 + 2 * 1000);

    // 3. try_lock never waits.
    let held = counter.try_lock().expect("free");
    assert!(counter.try_lock().is_none());
    drop(held);

    // One guard per statement: locking LOG twice in one expression would
    // wait on itself (there is no reentrancy, as with std's mutex).
    let log = LOG.lock_blocking();
    println!("log: {} lines, e.g. {:?}", log.len(), log.first());
    drop(log);
    println!("Debug of a free mutex: {:?}", Mutex::new(42));

    // 4. Coordination under tokio: a Latch waits for every worker to settle,
    //    a Barrier runs rounds, a Condvar hands jobs from a producer.
    let jobs = Arc::new(Mutex::new(Vec::<u32>::new()));
    let job_ready = Arc::new(Condvar::new());
    let round = Arc::new(Barrier::new(3));
    let settled = Arc::new(Latch::new(3));
    let done = runtime.block_on(async {
        let workers: Vec<_> = (0..3)
            .map(|w| {
                let (jobs, job_ready, round, settled) = (
                    jobs.clone(),
                    job_ready.clone(),
                    round.clone(),
                    settled.clone(),
                );
                tokio::spawn(async move {
                    let mut leaders = 0;
                    for _ in 0..3 {
                        let mut queue = job_ready
                            .wait_until(jobs.lock().await, |q| !q.is_empty())
                            .await;
                        let job = queue.pop().expect("non-empty");
                        drop(queue);
                        note(format!("worker {w} took job {job}")).await;
                        // A round ends when all three have taken a job.
                        leaders += round.wait().await.is_leader() as u32;
                    }
                    settled.count_down();
                    leaders
                })
            })
            .collect();
        for job in 0..9 {
            jobs.lock().await.push(job);
            job_ready.notify_one();
        }
        settled.wait().await;
        let mut leaders = 0;
        for w in workers {
            leaders += w.await.expect("worker");
        }
        leaders
    });
    println!(
        "condvar + barrier + latch: 9 jobs in 3 rounds, {done} round leaders, latch open: {}",
        settled.try_wait()
    );
    assert_eq!(done, 3);

    // 5. A weighted semaphore: a 10-byte budget shared by uploads of 1 to 8
    //    bytes, on tokio tasks and a plain thread at once. Strict FIFO across
    //    weights, so the 8-byte uploads are not starved by the small ones.
    let budget = Arc::new(Semaphore::new(10));
    let in_flight = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let peak = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let upload = {
        let (in_flight, peak) = (in_flight.clone(), peak.clone());
        move |bytes: usize| {
            use std::sync::atomic::Ordering::SeqCst;
            let now = in_flight.fetch_add(bytes, SeqCst) + bytes;
            peak.fetch_max(now, SeqCst);
            in_flight.fetch_sub(bytes, SeqCst);
        }
    };
    let thread = {
        let (budget, upload) = (budget.clone(), upload.clone());
        std::thread::spawn(move || {
            for _ in 0..50 {
                let _bytes = budget.acquire_many_blocking(8).expect("open");
                upload(8);
            }
        })
    };
    runtime.block_on(async {
        let tasks: Vec<_> = (0..8)
            .map(|t| {
                let (budget, upload) = (budget.clone(), upload.clone());
                tokio::spawn(async move {
                    let bytes = 1 + t % 4;
                    for _ in 0..50 {
                        let _bytes = budget.acquire_many_arc(bytes).await.expect("open");
                        upload(bytes);
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task");
        }
    });
    thread.join().expect("thread");
    budget.close();
    println!(
        "semaphore: 450 uploads within a 10-byte budget, peak {} bytes in flight; \
         after close: {:?}",
        peak.load(std::sync::atomic::Ordering::SeqCst),
        budget.try_acquire().map(|_| ()),
    );
    assert!(peak.load(std::sync::atomic::Ordering::SeqCst) <= 10);

    notify_config(&runtime);
    rwlock_routes();
    deadlines(&runtime);
}

/// 7. A Notify, with no value to guard: a plain thread publishes config
///    versions and wakes every watching tokio task with `notify_waiters`.
///    Each watcher creates its `notified()` before reading the version, so a
///    publication between the read and the wait is not missed. Then a
///    `notify_one` with nobody waiting: it is kept for the next wait.
fn notify_config(runtime: &tokio::runtime::Runtime) {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

    static CONFIG_CHANGED: Notify = Notify::new();
    const VERSIONS: usize = 3;
    let version = Arc::new(AtomicUsize::new(0));
    let wakeups = runtime.block_on(async {
        let watchers: Vec<_> = (0..4)
            .map(|_| {
                let version = version.clone();
                tokio::spawn(async move {
                    let mut wakeups = 0;
                    loop {
                        // Registers for `notify_waiters` on creation.
                        let changed = CONFIG_CHANGED.notified();
                        if version.load(SeqCst) == VERSIONS {
                            return wakeups;
                        }
                        changed.await;
                        wakeups += 1;
                    }
                })
            })
            .collect();
        let v = version.clone();
        let publisher = std::thread::spawn(move || {
            for _ in 0..VERSIONS {
                std::thread::sleep(Duration::from_millis(1));
                v.fetch_add(1, SeqCst);
                CONFIG_CHANGED.notify_waiters();
            }
        });
        let mut wakeups = Vec::new();
        for w in watchers {
            wakeups.push(w.await.expect("watcher"));
        }
        publisher.join().expect("publisher");
        wakeups
    });
    assert!(wakeups.iter().all(|&n| n <= VERSIONS));
    CONFIG_CHANGED.notify_one(); // nobody waits: kept, once
    runtime.block_on(CONFIG_CHANGED.notified()); // completes at once
    println!(
        "notify: 4 watchers saw config version {VERSIONS}, woken {wakeups:?} times; \
         a notify_one before the wait was kept"
    );
}

/// 6. An RwLock with an upgradable read, on smol: many tasks look routes up
///    while some register a route if it is missing. The check runs under an
///    upgradable read (plain readers keep reading); the upgrade to a write
///    lets no other writer in between, so no route is registered twice.
fn rwlock_routes() {
    let routes = Arc::new(RwLock::new(vec![String::from("/")]));
    let (lookups, added) = smol::block_on(async {
        let readers: Vec<_> = (0..4)
            .map(|_| {
                let routes = routes.clone();
                smol::spawn(async move {
                    let mut hits = 0;
                    for _ in 0..200 {
                        hits += routes.read().await.iter().any(|r| r == "/") as u32;
                        futures_lite::future::yield_now().await;
                    }
                    hits
                })
            })
            .collect();
        let registrars: Vec<_> = (0..6)
            .map(|i| {
                let routes = routes.clone();
                smol::spawn(async move {
                    let route = format!("/api/v{}", i % 3);
                    let current = routes.upgradable_read().await;
                    if current.contains(&route) {
                        return false;
                    }
                    futures_lite::future::yield_now().await; // readers keep going
                    RwLockUpgradableReadGuard::upgrade(current)
                        .await
                        .push(route);
                    true
                })
            })
            .collect();
        let mut lookups = 0;
        for r in readers {
            lookups += r.await;
        }
        let mut added = 0;
        for r in registrars {
            added += r.await as u32;
        }
        (lookups, added)
    });
    let routes = routes.read_blocking();
    println!(
        "rwlock: {lookups} lookups beside 6 registrations of 3 routes; {added} added, table {:?}",
        *routes
    );
    assert_eq!((lookups, added, routes.len()), (800, 3, 4));
}

/// 8. Deadlines: a wait raced against tokio's timer gives up and leaves no
///    trace (the waiter behind it still gets the lock); a plain thread waits
///    with `try_lock_for`; a condvar wait that times out keeps its guard.
fn deadlines(runtime: &tokio::runtime::Runtime) {
    let config = Arc::new(Mutex::new("v1"));
    let held = config.try_lock_arc().expect("free");
    let patient = {
        let config = config.clone();
        std::thread::spawn(move || config.try_lock_for(Duration::from_secs(5)).map(|v| *v))
    };
    let impatient = runtime.block_on(async {
        let sleep = tokio::time::sleep(Duration::from_millis(20));
        config.lock().until(sleep).await.map(|_| ())
    });
    drop(held);
    let patient = patient.join().expect("thread");
    let changed = Condvar::new();
    let (guard, waited) =
        changed.wait_timeout_blocking(config.lock_blocking(), Duration::from_millis(5));
    println!(
        "deadlines: impatient task {impatient:?}, patient thread got {patient:?}, \
         condvar wait timed out: {} and kept its guard ({})",
        waited.timed_out(),
        *guard
    );
    assert!(impatient.is_err() && patient == Some("v1"));
}
