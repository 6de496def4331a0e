//! Zero heap allocations per contended wait, for every primitive, in the
//! `std` and `alloc` tiers (issue 16). The bare tier has no allocator, so
//! there it holds by construction; this file is compiled out.
//!
//! A `#[global_allocator]` (one per test binary, hence this file of its own)
//! counts the allocations the current thread makes. Each case makes a waiter
//! really park — polled once, `Pending`, and queued: the release wakes its
//! waker — then releases and polls it to completion, and counts what the
//! waiter's creation, polls, wake and drop allocate. Not counted: making the
//! primitive (or its `Arc`) and the wakers, and one warm-up round per
//! primitive before the counted ones: the `std`/`alloc` tiers box a
//! primitive's wait list on its first contention (once per primitive, like
//! its creation; reported, not asserted). The wakers are `CountingWaker`s,
//! made before counting starts: cloning one bumps a count, it does not
//! allocate.
//!
//! Run as `cargo test --test no_alloc_wait` (std) and with
//! `--no-default-features --features alloc,critical-section` (alloc).
#![cfg(feature = "alloc")]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::pin::pin;
use std::sync::Arc;

use common::{assert_pending, assert_ready, CountingWaker};
use turnstile_sync::{
    Barrier, Condvar, Latch, Mutex, Notify, RwLock, RwLockUpgradableReadGuard, Semaphore,
};

struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every method forwards to `System` with the caller's arguments, so
// the `GlobalAlloc` contract is `System`'s; counting touches only a
// const-initialised thread-local `Cell`, which does not allocate.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // `try_with`: the allocator may run while this thread's locals are
        // torn down; those allocations are not ours to count.
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: forwarded unchanged; `ptr` came from this allocator, which
        // is `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` came from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// How many allocations this thread makes while running `f`.
fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

/// Runs `round` once to warm the primitive up (its wait list is boxed on
/// first contention), then three times counted. Returns (warm-up, counted).
fn measure(mut round: impl FnMut()) -> (usize, usize) {
    let first = allocations_in(&mut round);
    let steady = allocations_in(|| {
        for _ in 0..3 {
            round();
        }
    });
    (first, steady)
}

/// Asserts that every case allocated nothing in its counted rounds, listing
/// all of them (so one run shows every primitive that allocates).
#[track_caller]
fn assert_none(what: &str, cases: &[(&str, (usize, usize))]) {
    let mut bad = Vec::new();
    for &(name, (first, steady)) in cases {
        println!(
            "tier {}: {name}: warm-up round {first} allocation(s), counted rounds {steady}",
            common::TIER
        );
        if steady != 0 {
            bad.push(format!("{name}: {steady}"));
        }
    }
    assert!(
        bad.is_empty(),
        "tier {}: {what} allocated: {}",
        common::TIER,
        bad.join("; ")
    );
}

/// Every primitive, each async wait form: park, be released, complete.
#[test]
fn contended_waits_do_not_allocate() {
    let w = CountingWaker::new();
    let w2 = CountingWaker::new();
    let mut cases = Vec::new();

    let mutex = Mutex::new(0u32);
    cases.push((
        "Mutex::lock",
        measure(|| {
            let holder = mutex.try_lock().unwrap();
            let mut lock = pin!(mutex.lock());
            assert_pending(lock.as_mut(), w.waker());
            assert_pending(lock.as_mut(), w2.waker()); // waker replaced
            let before = w2.count();
            drop(holder);
            assert_eq!(w2.count(), before + 1, "the waiter was not queued");
            *assert_ready(lock.as_mut(), w2.waker()) += 1;
        }),
    ));

    let arc_mutex = Arc::new(Mutex::new(0u32));
    cases.push((
        "Mutex::lock_arc",
        measure(|| {
            let holder = arc_mutex.try_lock().unwrap();
            let mut lock = pin!(Mutex::lock_arc(&arc_mutex));
            assert_pending(lock.as_mut(), w.waker());
            let before = w.count();
            drop(holder);
            assert_eq!(w.count(), before + 1, "the waiter was not queued");
            drop(assert_ready(lock.as_mut(), w.waker()));
        }),
    ));

    let rw = RwLock::new(0u32);
    cases.push((
        "RwLock::read",
        measure(|| {
            let writer = rw.try_write().unwrap();
            let mut read = pin!(rw.read());
            assert_pending(read.as_mut(), w.waker());
            let before = w.count();
            drop(writer);
            assert_eq!(w.count(), before + 1, "the reader was not queued");
            drop(assert_ready(read.as_mut(), w.waker()));
        }),
    ));
    cases.push((
        "RwLock::write",
        measure(|| {
            let reader = rw.try_read().unwrap();
            let mut write = pin!(rw.write());
            assert_pending(write.as_mut(), w.waker());
            let before = w.count();
            drop(reader);
            assert_eq!(w.count(), before + 1, "the writer was not queued");
            drop(assert_ready(write.as_mut(), w.waker()));
        }),
    ));
    cases.push((
        "RwLock::upgradable_read",
        measure(|| {
            let writer = rw.try_write().unwrap();
            let mut up = pin!(rw.upgradable_read());
            assert_pending(up.as_mut(), w.waker());
            let before = w.count();
            drop(writer);
            assert_eq!(w.count(), before + 1, "the waiter was not queued");
            drop(assert_ready(up.as_mut(), w.waker()));
        }),
    ));
    cases.push((
        "RwLockUpgradableReadGuard::upgrade",
        measure(|| {
            let up = rw.try_upgradable_read().unwrap();
            let reader = rw.try_read().unwrap();
            let mut upgrade = pin!(RwLockUpgradableReadGuard::upgrade(up));
            assert_pending(upgrade.as_mut(), w.waker());
            let before = w.count();
            drop(reader);
            assert_eq!(w.count(), before + 1, "the upgrade was not queued");
            drop(assert_ready(upgrade.as_mut(), w.waker()));
        }),
    ));
    let arc_rw = Arc::new(RwLock::new(0u32));
    cases.push((
        "RwLock::write_arc",
        measure(|| {
            let reader = arc_rw.try_read().unwrap();
            let mut write = pin!(RwLock::write_arc(&arc_rw));
            assert_pending(write.as_mut(), w.waker());
            let before = w.count();
            drop(reader);
            assert_eq!(w.count(), before + 1, "the writer was not queued");
            drop(assert_ready(write.as_mut(), w.waker()));
        }),
    ));
    cases.push((
        "RwLock::read_arc",
        measure(|| {
            let writer = arc_rw.try_write().unwrap();
            let mut read = pin!(RwLock::read_arc(&arc_rw));
            assert_pending(read.as_mut(), w.waker());
            let before = w.count();
            drop(writer);
            assert_eq!(w.count(), before + 1, "the reader was not queued");
            drop(assert_ready(read.as_mut(), w.waker()));
        }),
    ));

    let sem = Semaphore::new(1);
    cases.push((
        "Semaphore::acquire",
        measure(|| {
            let holder = sem.try_acquire().unwrap();
            let mut acquire = pin!(sem.acquire());
            assert_pending(acquire.as_mut(), w.waker());
            assert_pending(acquire.as_mut(), w2.waker()); // waker replaced
            let before = w2.count();
            drop(holder);
            assert_eq!(w2.count(), before + 1, "the waiter was not queued");
            drop(assert_ready(acquire.as_mut(), w2.waker()).unwrap());
        }),
    ));
    let sem3 = Semaphore::new(3);
    cases.push((
        "Semaphore::acquire_many",
        measure(|| {
            let holder = sem3.try_acquire_many(2).unwrap();
            let mut acquire = pin!(sem3.acquire_many(3));
            assert_pending(acquire.as_mut(), w.waker());
            let before = w.count();
            drop(holder);
            assert_eq!(w.count(), before + 1, "the waiter was not queued");
            drop(assert_ready(acquire.as_mut(), w.waker()).unwrap());
        }),
    ));
    let arc_sem = Arc::new(Semaphore::new(1));
    cases.push((
        "Semaphore::acquire_arc",
        measure(|| {
            let holder = arc_sem.try_acquire().unwrap();
            let mut acquire = pin!(Semaphore::acquire_arc(&arc_sem));
            assert_pending(acquire.as_mut(), w.waker());
            let before = w.count();
            drop(holder);
            assert_eq!(w.count(), before + 1, "the waiter was not queued");
            drop(assert_ready(acquire.as_mut(), w.waker()).unwrap());
        }),
    ));

    let barrier = Barrier::new(2);
    cases.push((
        "Barrier::wait",
        measure(|| {
            let mut first = pin!(barrier.wait());
            assert_pending(first.as_mut(), w.waker());
            let before = w.count();
            let mut last = pin!(barrier.wait());
            let last = assert_ready(last.as_mut(), w2.waker());
            assert_eq!(w.count(), before + 1, "the first waiter was not queued");
            let first = assert_ready(first.as_mut(), w.waker());
            assert!(first.is_leader() != last.is_leader());
        }),
    ));

    // A latch opens once, so each round has its own, and none is warmed
    // up: a latch keeps its wait list inline, so even the first contended
    // wait on a fresh latch, usually its only one, allocates nothing.
    let mut latch_counts = (0, 0);
    for _ in 0..4 {
        let latch = Latch::new(1);
        latch_counts.1 += allocations_in(|| {
            let mut wait = pin!(latch.wait());
            assert_pending(wait.as_mut(), w.waker());
            let before = w.count();
            latch.count_down();
            assert_eq!(w.count(), before + 1, "the waiter was not queued");
            assert_ready(wait.as_mut(), w.waker());
        });
    }
    cases.push(("Latch::wait", latch_counts));

    let cv_mutex = Mutex::new(false);
    let condvar = Condvar::new();
    cases.push((
        "Condvar::wait",
        measure(|| {
            let guard = cv_mutex.try_lock().unwrap();
            let mut wait = pin!(condvar.wait(guard));
            assert_pending(wait.as_mut(), w.waker());
            let before = w.count();
            condvar.notify_one();
            assert_eq!(w.count(), before + 1, "the waiter was not queued");
            let mut guard = assert_ready(wait.as_mut(), w.waker());
            *guard = !*guard;
        }),
    ));
    cases.push((
        "Condvar::wait, re-acquiring a held mutex",
        measure(|| {
            let guard = cv_mutex.try_lock().unwrap();
            let mut wait = pin!(condvar.wait(guard));
            assert_pending(wait.as_mut(), w.waker());
            let holder = cv_mutex.try_lock().unwrap();
            condvar.notify_all();
            // Notified, but the mutex is held: now it queues on the mutex.
            assert_pending(wait.as_mut(), w.waker());
            let before = w.count();
            drop(holder);
            assert_eq!(w.count(), before + 1, "not queued on the mutex");
            drop(assert_ready(wait.as_mut(), w.waker()));
        }),
    ));

    let notify = Notify::new();
    cases.push((
        "Notify::notified",
        measure(|| {
            let mut notified = pin!(notify.notified());
            assert_pending(notified.as_mut(), w.waker());
            let before = w.count();
            notify.notify_one();
            assert_eq!(w.count(), before + 1, "the waiter was not queued");
            assert_ready(notified.as_mut(), w.waker());
        }),
    ));

    assert_none("a contended wait", &cases);
}

/// Dropping a parked waiter — queued, or already woken and passing its
/// wakeup on — allocates nothing either.
#[test]
fn cancelled_waits_do_not_allocate() {
    let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
    let mut cases = Vec::new();

    let mutex = Mutex::new(());
    cases.push((
        "Mutex::lock",
        measure(|| {
            let holder = mutex.try_lock().unwrap();
            let mut b = pin!(mutex.lock());
            {
                let mut a = pin!(mutex.lock());
                assert_pending(a.as_mut(), wa.waker());
                assert_pending(b.as_mut(), wb.waker());
                drop(holder); // wakes A, which is then dropped: B gets it
            }
            drop(assert_ready(b.as_mut(), wb.waker()));
            let holder = mutex.try_lock().unwrap();
            {
                let mut c = pin!(mutex.lock());
                assert_pending(c.as_mut(), wa.waker());
            }
            drop(holder);
        }),
    ));

    let rw = RwLock::new(());
    cases.push((
        "RwLock::write / read",
        measure(|| {
            let reader = rw.try_read().unwrap();
            {
                let mut write = pin!(rw.write());
                assert_pending(write.as_mut(), wa.waker());
                let mut read = pin!(rw.read());
                assert_pending(read.as_mut(), wb.waker());
            }
            drop(reader);
        }),
    ));

    let sem = Semaphore::new(2);
    cases.push((
        "Semaphore::acquire_many",
        measure(|| {
            let holder = sem.try_acquire().unwrap();
            {
                let mut head = pin!(sem.acquire_many(2));
                let mut tail = pin!(sem.acquire());
                assert_pending(head.as_mut(), wa.waker());
                assert_pending(tail.as_mut(), wb.waker());
            }
            drop(holder);
            assert_eq!(sem.available_permits(), 2);
        }),
    ));

    let barrier = Barrier::new(3);
    cases.push((
        "Barrier::wait",
        measure(|| {
            let mut a = pin!(barrier.wait());
            assert_pending(a.as_mut(), wa.waker());
            {
                let mut b = pin!(barrier.wait());
                assert_pending(b.as_mut(), wb.waker());
            }
            // The dropped arrival was withdrawn: two more are needed.
            let mut b = pin!(barrier.wait());
            assert_pending(b.as_mut(), wb.waker());
            let mut c = pin!(barrier.wait());
            let _ = assert_ready(c.as_mut(), wb.waker());
            let _ = assert_ready(b.as_mut(), wb.waker());
            let _ = assert_ready(a.as_mut(), wa.waker());
        }),
    ));

    let latch = Latch::new(1);
    cases.push((
        "Latch::wait",
        measure(|| {
            let mut wait = pin!(latch.wait());
            assert_pending(wait.as_mut(), wa.waker());
        }),
    ));

    let cv_mutex = Mutex::new(());
    let condvar = Condvar::new();
    cases.push((
        "Condvar::wait",
        measure(|| {
            let mut b = pin!(condvar.wait(cv_mutex.try_lock().unwrap()));
            assert_pending(b.as_mut(), wb.waker());
            {
                let guard = cv_mutex.try_lock().unwrap();
                let mut a = pin!(condvar.wait(guard));
                assert_pending(a.as_mut(), wa.waker());
                condvar.notify_one(); // picks B ...
            }
            drop(assert_ready(b.as_mut(), wb.waker()));
        }),
    ));

    let notify = Notify::new();
    cases.push((
        "Notify::notified",
        measure(|| {
            let mut b = pin!(notify.notified());
            assert_pending(b.as_mut(), wb.waker());
            {
                let mut a = pin!(notify.notified());
                assert_pending(a.as_mut(), wa.waker());
            }
            notify.notify_one();
            assert_ready(b.as_mut(), wb.waker());
        }),
    ));

    assert_none("a cancelled wait", &cases);
}

/// `std` tier: the blocking forms park a thread on the same waiters. The
/// waiting thread warms up first (its waker is made once per thread), then
/// counts its own allocations across a contended blocking wait.
#[cfg(feature = "std")]
#[test]
fn contended_blocking_waits_do_not_allocate() {
    use std::sync::Barrier as StdBarrier;
    use std::thread;
    use std::time::Duration;

    /// A thread's first real blocking wait makes its waker (once per
    /// thread): a timed-out condvar wait does that.
    fn warm_up() {
        let mutex = Mutex::new(());
        let guard = mutex.try_lock().unwrap();
        drop(Condvar::new().wait_timeout_blocking(guard, Duration::from_millis(1)));
    }

    /// `hold` makes the primitive contended on this thread; a fresh thread
    /// warms up, then runs `wait`, counted; `release` ends the contention
    /// once the waiter has (very likely) parked. Three rounds, each on a new
    /// thread; returns the waiting thread's count in the first round (the
    /// primitive's warm-up) and in the other two.
    fn case<'a, S: Sync, H>(
        shared: &'a S,
        hold: impl Fn(&'a S) -> H,
        wait: impl Fn(&S) + Sync,
        release: impl Fn(&S, H),
    ) -> (usize, usize) {
        let ready = StdBarrier::new(2);
        let mut counts = [0; 3];
        for count in &mut counts {
            thread::scope(|s| {
                let waiter = s.spawn(|| {
                    warm_up();
                    ready.wait();
                    ready.wait();
                    allocations_in(|| wait(shared))
                });
                // Taken after the waiter's warm-up and before it starts
                // waiting.
                ready.wait();
                let held = hold(shared);
                ready.wait();
                thread::sleep(Duration::from_millis(20));
                release(shared, held);
                *count = waiter.join().unwrap();
            });
        }
        // The first round boxes the primitive's wait list.
        (counts[0], counts[1] + counts[2])
    }

    let mut cases = Vec::new();
    let mutex = Mutex::new(0u32);
    cases.push((
        "Mutex::lock_blocking",
        case(
            &mutex,
            |m| m.try_lock().unwrap(),
            |m| *m.lock_blocking() += 1,
            |_, held| drop(held),
        ),
    ));
    let rw = RwLock::new(0u32);
    cases.push((
        "RwLock::write_blocking",
        case(
            &rw,
            |l| l.try_read().unwrap(),
            |l| *l.write_blocking() += 1,
            |_, held| drop(held),
        ),
    ));
    cases.push((
        "RwLock::read_blocking",
        case(
            &rw,
            |l| l.try_write().unwrap(),
            |l| drop(l.read_blocking()),
            |_, held| drop(held),
        ),
    ));
    let sem = Semaphore::new(1);
    cases.push((
        "Semaphore::acquire_blocking",
        case(
            &sem,
            |s| s.try_acquire().unwrap(),
            |s| drop(s.acquire_blocking().unwrap()),
            |_, held| drop(held),
        ),
    ));
    let notify = Notify::new();
    cases.push((
        "Notify::notified_blocking",
        case(
            &notify,
            |_| (),
            |n| n.notified_blocking(),
            |n, ()| n.notify_one(),
        ),
    ));
    let barrier = Barrier::new(2);
    cases.push((
        "Barrier::wait_blocking",
        case(
            &barrier,
            |_| (),
            |b| {
                let _ = b.wait_blocking();
            },
            |b, ()| {
                let _ = b.wait_blocking();
            },
        ),
    ));
    assert_none("a contended blocking wait", &cases);
}
