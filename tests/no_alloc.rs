//! Allocation counting: a `#[global_allocator]` (one per test binary, hence
//! this file of its own) counts the allocations made by the current thread.
//!
//! - Every tier: uncontended `lock`, `try_lock` and release allocate nothing.
//!   Each check uses a fresh mutex: in the `alloc`/`std` tiers the queue's
//!   list is boxed on first contention, so a fast path that touched the
//!   queue would allocate there.
//! - Bare tier: a contended wait — queue, be woken, acquire — also allocates
//!   nothing, and neither do re-polls, cancellation or hand-off. (In the
//!   `alloc` and `std` tiers only a primitive's first contended wait
//!   allocates, its list; tests/no_alloc_wait.rs covers every primitive.)
//! - `Notify`, every tier: the notify side allocates nothing, with or without
//!   waiters (an interrupt handler's part); bare tier: waiting, `enable` and
//!   cancellation allocate nothing either.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::pin::pin;

use common::{assert_pending, assert_ready, CountingWaker};
use turnstile_sync::{Mutex, MutexGuard, Semaphore, SemaphoreGuard};

struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    static DEALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count_one() {
    // `try_with`: the allocator may run while this thread's locals are torn
    // down; those allocations are not ours to count.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every method forwards to `System` with the caller's arguments, so
// the `GlobalAlloc` contract is `System`'s; counting touches only a
// const-initialised thread-local `Cell`, which does not allocate.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: forwarded unchanged; `ptr` came from this allocator, which
        // is `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = DEALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: forwarded unchanged; `ptr` came from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Runs `f` and returns how many allocations this thread made during it.
fn allocations_in<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let before = ALLOCATIONS.with(Cell::get);
    let result = f();
    let after = ALLOCATIONS.with(Cell::get);
    (after - before, result)
}

/// Runs `f` and returns how many of the allocations this thread made during
/// it are still live (allocations minus deallocations).
fn live_allocations_after<R>(f: impl FnOnce() -> R) -> (isize, R) {
    let count = || ALLOCATIONS.with(Cell::get) as isize - DEALLOCATIONS.with(Cell::get) as isize;
    let before = count();
    let result = f();
    (count() - before, result)
}

#[test]
fn the_counter_sees_allocations() {
    let (n, boxed) = allocations_in(|| Box::new(5u64));
    assert!(n >= 1, "the counting allocator is not in use");
    drop(boxed);
}

#[test]
fn uncontended_lock_and_try_lock_do_not_allocate() {
    let waker = CountingWaker::new();
    let mutex = Mutex::new(0u32);
    let (n, ()) = allocations_in(|| {
        for _ in 0..3 {
            let mut lock = pin!(mutex.lock());
            let mut guard = assert_ready(lock.as_mut(), waker.waker());
            *guard += 1;
            drop(guard);
            let mut guard = mutex.try_lock().unwrap();
            *guard += 1;
            assert!(mutex.try_lock().is_none());
            drop(guard);
            let mapped = MutexGuard::map(mutex.try_lock().unwrap(), |v| v);
            drop(mapped);
        }
    });
    assert_eq!(n, 0, "uncontended lock/try_lock/unlock allocated {n} times");
    assert_eq!(*mutex.try_lock().unwrap(), 6);
}

#[test]
fn uncontended_async_block_does_not_allocate() {
    let mutex = Mutex::new(0u32);
    let (n, ()) = allocations_in(|| {
        let waker = std::task::Waker::noop();
        let mut task = pin!(async {
            *mutex.lock().await += 1;
            *mutex.lock().await += 1;
        });
        assert!(common::poll_once(task.as_mut(), waker).is_ready());
    });
    assert_eq!(n, 0);
    assert_eq!(mutex.into_inner(), 2);
}

/// Bare tier: the full contended round trip allocates nothing.
#[cfg(not(feature = "alloc"))]
#[test]
fn contended_wait_does_not_allocate() {
    let (w1, w2) = (CountingWaker::new(), CountingWaker::new());
    let mutex = Mutex::new(0u32);
    let (n, ()) = allocations_in(|| {
        for _ in 0..3 {
            let holder = mutex.try_lock().unwrap();
            let mut lock = pin!(mutex.lock());
            assert_pending(lock.as_mut(), w1.waker());
            assert_pending(lock.as_mut(), w2.waker()); // waker replaced
            drop(holder);
            assert!(w2.count() > 0);
            let mut guard = assert_ready(lock.as_mut(), w2.waker());
            *guard += 1;
        }
    });
    assert_eq!(
        n, 0,
        "a contended wait allocated {n} times in the bare tier"
    );
}

/// Bare tier: cancelling waiters (queued or already woken) allocates
/// nothing.
#[cfg(not(feature = "alloc"))]
#[test]
fn cancelled_waits_do_not_allocate() {
    let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
    let mutex = Mutex::new(());
    let (n, ()) = allocations_in(|| {
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
    });
    assert_eq!(n, 0, "cancellation allocated {n} times in the bare tier");
}

/// Bare tier: losing four races and being handed the lock allocates nothing.
#[cfg(not(feature = "alloc"))]
#[test]
fn handoff_does_not_allocate() {
    let w = CountingWaker::new();
    let mutex = Mutex::new(());
    let (n, ()) = allocations_in(|| {
        let mut holder = mutex.try_lock().unwrap();
        let mut lock = pin!(mutex.lock());
        assert_pending(lock.as_mut(), w.waker());
        for _ in 0..4 {
            drop(holder);
            holder = mutex.try_lock().unwrap();
            assert_pending(lock.as_mut(), w.waker());
        }
        drop(holder);
        assert!(mutex.try_lock().is_none());
        drop(assert_ready(lock.as_mut(), w.waker()));
    });
    assert_eq!(n, 0);
}

/// `alloc`/`std` tiers: a mutex's first contended wait boxes its list; the
/// later ones allocate nothing.
#[cfg(feature = "alloc")]
#[test]
fn contended_wait_allocations_are_reported() {
    let w = CountingWaker::new();
    let mutex = Mutex::new(());
    let mut counts = Vec::new();
    for _ in 0..3 {
        let (n, ()) = allocations_in(|| {
            let holder = mutex.try_lock().unwrap();
            let mut lock = pin!(mutex.lock());
            assert_pending(lock.as_mut(), w.waker());
            drop(holder);
            drop(assert_ready(lock.as_mut(), w.waker()));
        });
        counts.push(n);
    }
    println!(
        "tier {}: allocations per contended wait (first, then steady): {counts:?}",
        common::TIER
    );
    assert_eq!(&counts[1..], [0, 0], "a contended wait allocated");
}

/// `std` tier: `lock_blocking` reuses one waker per thread, so once that is
/// made, an uncontended blocking lock allocates nothing.
#[cfg(feature = "std")]
#[test]
fn uncontended_lock_blocking_does_not_allocate_after_first_use() {
    let mutex = Mutex::new(0u32);
    // The first call may make this thread's waker.
    *mutex.lock_blocking() += 1;
    let (n, ()) = allocations_in(|| {
        for _ in 0..3 {
            *mutex.lock_blocking() += 1;
        }
    });
    assert_eq!(n, 0, "uncontended lock_blocking allocated {n} times");
    assert_eq!(mutex.into_inner(), 4);
}

// ---------------------------------------------------------------------------
// Semaphore
// ---------------------------------------------------------------------------

/// Every tier: uncontended acquire, try_acquire and release allocate nothing
/// (a fresh semaphore each time: the `alloc`/`std` tiers allocate the wait
/// list on the first contended wait, so a fast path touching it would show).
#[test]
fn uncontended_semaphore_does_not_allocate() {
    let waker = CountingWaker::new();
    let (n, ()) = allocations_in(|| {
        for _ in 0..3 {
            let sem = Semaphore::new(3);
            let mut acquire = pin!(sem.acquire_many(2));
            let guard = assert_ready(acquire.as_mut(), waker.waker()).unwrap();
            let one = sem.try_acquire().unwrap();
            assert!(sem.try_acquire().is_err());
            drop(guard);
            SemaphoreGuard::forget(one);
            sem.add_permits(1);
            sem.close();
            assert_eq!(sem.available_permits(), 3);
        }
    });
    assert_eq!(n, 0, "uncontended semaphore use allocated {n} times");
}

/// Bare tier: a contended semaphore wait — queue with a partial set-aside,
/// re-poll with a new waker, be granted — and cancellation (queued head
/// with permits set aside, queued non-head, granted but unpolled) and close
/// allocate nothing.
#[cfg(not(feature = "alloc"))]
#[test]
fn contended_semaphore_wait_cancel_and_close_do_not_allocate() {
    let (w1, w2) = (CountingWaker::new(), CountingWaker::new());
    let sem = Semaphore::new(1);
    let (n, ()) = allocations_in(|| {
        for round in 0..3 {
            let holder = sem.try_acquire().unwrap();
            let mut a = pin!(sem.acquire_many(2));
            assert_pending(a.as_mut(), w1.waker());
            assert_pending(a.as_mut(), w2.waker()); // waker replaced
            drop(holder);
            assert_eq!(w2.count(), round, "1 of 2 set aside");
            sem.add_permits(1);
            let guard = assert_ready(a.as_mut(), w2.waker()).unwrap();
            {
                // Cancelled head with a partial set-aside, a non-head behind
                // it, and a waiter granted but never polled again.
                let mut head = pin!(sem.acquire_many(3));
                let mut mid = pin!(sem.acquire());
                let mut tail = pin!(sem.acquire());
                assert_pending(head.as_mut(), w1.waker());
                assert_pending(mid.as_mut(), w1.waker());
                assert_pending(tail.as_mut(), w1.waker());
                drop(guard); // 2 set aside for head
            }
            assert_eq!(sem.available_permits(), 2);
            SemaphoreGuard::forget(sem.try_acquire().unwrap());
        }
        // Close with waiters queued, one holding a partial set-aside.
        let mut a = pin!(sem.acquire_many(5));
        let mut b = pin!(sem.acquire());
        assert_pending(a.as_mut(), w1.waker());
        assert_pending(b.as_mut(), w2.waker());
        sem.close();
        assert!(assert_ready(a.as_mut(), w1.waker()).is_err());
        assert!(assert_ready(b.as_mut(), w2.waker()).is_err());
    });
    assert_eq!(n, 0, "the semaphore allocated {n} times in the bare tier");
    assert_eq!(sem.available_permits(), 1);
}

/// Every tier: a million acquire-poll-drop cycles on a contended semaphore
/// leave memory flat — a cancelled waiter allocated nothing (its node is in
/// the future) — and the count exact.
#[test]
fn a_million_cancelled_semaphore_waiters_leave_memory_flat() {
    let waker = CountingWaker::new();
    let sem = Semaphore::new(2);
    let holder = sem.try_acquire().unwrap();
    // Warm-up: the first contended wait allocates the semaphore's wait list
    // (alloc/std tiers), which lives as long as the semaphore.
    {
        let mut f = Box::pin(sem.acquire_many(2));
        assert_pending(f.as_mut(), waker.waker());
    }
    let cycles = common::iters(1_000_000, 200);
    let (live, ()) = live_allocations_after(|| {
        for i in 0..cycles {
            let mut f = pin!(sem.acquire_many(2 + i % 2));
            assert_pending(f.as_mut(), waker.waker());
        }
    });
    assert_eq!(
        live, 0,
        "{cycles} cancelled waiters left {live} allocations live"
    );
    #[cfg(not(feature = "alloc"))]
    {
        let (n, ()) = allocations_in(|| {
            let mut f = pin!(sem.acquire_many(2));
            assert_pending(f.as_mut(), waker.waker());
        });
        assert_eq!(n, 0);
    }
    assert_eq!(waker.outstanding_clones(), 0);
    drop(holder);
    assert_eq!(sem.available_permits(), 2);
}

/// `alloc`/`std` tiers: what a contended semaphore wait allocates: the list
/// once per semaphore, then nothing (the node is in the future).
#[cfg(feature = "alloc")]
#[test]
fn contended_semaphore_wait_allocations_are_reported() {
    let w = CountingWaker::new();
    let sem = Semaphore::new(1);
    let mut counts = Vec::new();
    for _ in 0..3 {
        let (n, ()) = allocations_in(|| {
            let holder = sem.try_acquire().unwrap();
            let mut f = pin!(sem.acquire());
            assert_pending(f.as_mut(), w.waker());
            drop(holder);
            drop(assert_ready(f.as_mut(), w.waker()));
        });
        counts.push(n);
    }
    println!(
        "tier {}: allocations per contended semaphore wait (first, then steady): {counts:?}",
        common::TIER
    );
    assert_eq!(&counts[1..], [0, 0], "a contended wait allocated");
}

/// RwLock, every tier: uncontended read, write, upgradable read, upgrade,
/// downgrade and the try forms allocate nothing (a fresh lock, so touching
/// a queue would allocate in the `alloc`/`std` tiers).
#[test]
fn rwlock_uncontended_does_not_allocate() {
    use turnstile_sync::{RwLock, RwLockUpgradableReadGuard, RwLockWriteGuard};
    let waker = CountingWaker::new();
    let lock = RwLock::new(0u32);
    let (n, ()) = allocations_in(|| {
        for _ in 0..3 {
            let mut read = pin!(lock.read());
            let r = assert_ready(read.as_mut(), waker.waker());
            let r2 = lock.try_read().unwrap();
            assert!(lock.try_write().is_none());
            drop((r, r2));
            let mut write = pin!(lock.write());
            *assert_ready(write.as_mut(), waker.waker()) += 1;
            let u = lock.try_upgradable_read().unwrap();
            let mut up = pin!(RwLockUpgradableReadGuard::upgrade(u));
            let w = assert_ready(up.as_mut(), waker.waker());
            let r = RwLockWriteGuard::downgrade(w);
            drop(r);
        }
    });
    assert_eq!(n, 0, "uncontended RwLock operations allocated {n} times");
    assert_eq!(*lock.try_read().unwrap(), 3);
}

/// Bare tier: contended RwLock waits — readers and a writer queued, a read
/// phase, an upgrade waiting for readers, a cancelled writer — allocate
/// nothing.
#[cfg(not(feature = "alloc"))]
#[test]
fn rwlock_contended_waits_do_not_allocate() {
    use turnstile_sync::{RwLock, RwLockUpgradableReadGuard};
    let (wr, ww, wu) = (
        CountingWaker::new(),
        CountingWaker::new(),
        CountingWaker::new(),
    );
    let lock = RwLock::new(0u32);
    let (n, ()) = allocations_in(|| {
        for _ in 0..3 {
            let holder = lock.try_write().unwrap();
            let mut read = pin!(lock.read());
            let mut write = pin!(lock.write());
            assert_pending(read.as_mut(), wr.waker());
            assert_pending(write.as_mut(), ww.waker());
            drop(holder);
            let r = assert_ready(read.as_mut(), wr.waker());
            assert_pending(write.as_mut(), ww.waker());
            let u = lock.try_upgradable_read();
            assert!(u.is_none(), "upgradable passed a queued writer");
            drop(r);
            *assert_ready(write.as_mut(), ww.waker()) += 1;

            let reader = lock.try_read().unwrap();
            let mut up = pin!(RwLockUpgradableReadGuard::upgrade(
                lock.try_upgradable_read().unwrap()
            ));
            assert_pending(up.as_mut(), wu.waker());
            {
                let mut cancelled = pin!(lock.write());
                assert_pending(cancelled.as_mut(), ww.waker());
            }
            drop(reader);
            drop(assert_ready(up.as_mut(), wu.waker()));
        }
    });
    assert_eq!(
        n, 0,
        "a contended RwLock wait allocated {n} times in the bare tier"
    );
}

// ---------------------------------------------------------------------------
// Notify
// ---------------------------------------------------------------------------

/// Every tier: with nobody waiting, `notify_one`, `notify_waiters` and a
/// `notified()` that takes the stored permit allocate nothing (a fresh
/// `Notify`, so a fast path that touched the queue would show).
#[test]
fn uncontended_notify_does_not_allocate() {
    use turnstile_sync::Notify;
    let waker = CountingWaker::new();
    let notify = Notify::new();
    let (n, ()) = allocations_in(|| {
        for _ in 0..3 {
            notify.notify_one();
            notify.notify_one();
            notify.notify_waiters();
            assert_ready(pin!(notify.notified()), waker.waker());
            drop(notify.notified());
        }
    });
    assert_eq!(n, 0, "the notify fast paths allocated {n} times");
}

/// Every tier: the notify side never allocates, even with waiters queued
/// (what an interrupt handler calls). In the `alloc`/`std` tiers the queue
/// was boxed by the first waiter, not by the notifier.
#[test]
fn notify_with_waiters_does_not_allocate() {
    use turnstile_sync::Notify;
    let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
    let notify = Notify::new();
    let mut a = pin!(notify.notified());
    let mut b = pin!(notify.notified());
    assert_pending(a.as_mut(), wa.waker());
    assert_pending(b.as_mut(), wb.waker());
    let (n, ()) = allocations_in(|| {
        notify.notify_one();
        notify.notify_waiters();
        notify.notify_one(); // nobody left: stored
    });
    assert_eq!(n, 0, "notifying waiters allocated {n} times");
    assert_eq!((wa.count(), wb.count()), (1, 1));
    assert_ready(a.as_mut(), wa.waker());
    assert_ready(b.as_mut(), wb.waker());
}

/// Bare tier: waiting, being woken (by either notify), re-polling with a
/// new waker, `enable`, and cancellation with pass-on allocate nothing.
#[cfg(not(feature = "alloc"))]
#[test]
fn contended_notify_does_not_allocate() {
    use turnstile_sync::Notify;
    let (w1, w2) = (CountingWaker::new(), CountingWaker::new());
    let notify = Notify::new();
    let (n, ()) = allocations_in(|| {
        for _ in 0..3 {
            let mut a = pin!(notify.notified());
            assert_pending(a.as_mut(), w1.waker());
            assert_pending(a.as_mut(), w2.waker()); // waker replaced
            notify.notify_one();
            assert_ready(a.as_mut(), w2.waker());

            let mut b = pin!(notify.notified());
            assert!(!b.as_mut().enable());
            {
                let mut c = pin!(notify.notified());
                assert_pending(c.as_mut(), w1.waker());
                let mut d = pin!(notify.notified());
                assert_pending(d.as_mut(), w2.waker());
                notify.notify_one(); // wakes b, which has no waker yet
                notify.notify_waiters(); // wakes c and d
            } // c, d dropped: pass nothing on
            assert!(b.as_mut().enable());
            assert_ready(b.as_mut(), w1.waker());

            let mut e = pin!(notify.notified());
            {
                let mut f = pin!(notify.notified());
                assert_pending(f.as_mut(), w1.waker());
                assert_pending(e.as_mut(), w2.waker());
                notify.notify_one(); // wakes f, dropped: passes on to e
            }
            assert_ready(e.as_mut(), w2.waker());
        }
    });
    assert_eq!(
        n, 0,
        "a contended Notify wait allocated {n} times in the bare tier"
    );
}
