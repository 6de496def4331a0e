//! The `*_blocking` forms called from a thread-local's destructor, after the
//! crate's own thread-locals (the blocking waker, the semaphore's spare node)
//! were destroyed: they must block and complete there, as
//! `std::sync::Mutex::lock` does, not panic (issue 10, §3). std tier only.
#![cfg(feature = "std")]

use std::cell::RefCell;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::sync::mpsc;
use std::sync::Arc;
use std::task::{Context, Waker};
use std::thread;
use std::time::Duration;

use turnstile_sync::{Barrier, Condvar, Latch, Mutex, RwLock, Semaphore};

/// Runs its closure when dropped: in a thread-local, at thread exit.
struct AtExit(RefCell<Option<Box<dyn FnOnce()>>>);

impl Drop for AtExit {
    fn drop(&mut self) {
        if let Some(f) = self.0.get_mut().take() {
            f();
        }
    }
}

thread_local! {
    static AT_EXIT: AtExit = AtExit(RefCell::new(None));
}

/// Spawns a thread whose thread-local destructor runs `blocking` (which
/// must block until `release` has run), calls `release` once that destructor
/// has started and had a moment to park, and asserts that `blocking`
/// returned normally.
///
/// The thread first registers `AT_EXIT`, then makes the crate create its
/// thread-locals (a blocking wait, a semaphore wait that takes and returns a
/// node); thread-locals are destroyed in reverse order of first use, so by
/// the time `AT_EXIT`'s destructor runs, the crate's are gone.
fn blocks_in_tls_destructor(blocking: impl FnOnce() + Send + 'static, release: impl FnOnce()) {
    let (entered_tx, entered_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel::<Result<(), String>>();
    let thread = thread::spawn(move || {
        AT_EXIT.with(|at_exit| {
            *at_exit.0.borrow_mut() = Some(Box::new(move || {
                entered_tx.send(()).unwrap();
                let outcome = catch_unwind(AssertUnwindSafe(blocking)).map_err(|panic| {
                    panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default()
                });
                done_tx.send(outcome).unwrap();
            }));
        });
        // The crate's thread-locals, first used after `AT_EXIT`.
        Barrier::new(1).wait_blocking();
        let empty = Semaphore::new(0);
        let mut acquire = pin!(empty.acquire());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(acquire.as_mut().poll(&mut cx).is_pending());
    });
    entered_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the thread-local destructor did not run");
    // Give the destructor time to find the primitive contended and park.
    thread::sleep(Duration::from_millis(50));
    release();
    let outcome = done_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the blocking call in the thread-local destructor never returned");
    thread.join().unwrap();
    if let Err(message) = outcome {
        panic!("the blocking call panicked in a thread-local destructor: {message}");
    }
}

#[test]
fn lock_blocking_works_in_a_thread_local_destructor() {
    let mutex = Arc::new(Mutex::new(0));
    let guard = mutex.try_lock_arc().unwrap();
    let m = mutex.clone();
    blocks_in_tls_destructor(move || *m.lock_blocking() += 1, || drop(guard));
    assert_eq!(*mutex.try_lock().unwrap(), 1);
}

/// Also takes and returns a wait-list node while the per-thread spare node
/// slot is gone.
#[test]
fn acquire_blocking_works_in_a_thread_local_destructor() {
    let semaphore = Arc::new(Semaphore::new(1));
    let permit = semaphore.try_acquire_arc().unwrap();
    let s = semaphore.clone();
    blocks_in_tls_destructor(move || drop(s.acquire_blocking().unwrap()), || drop(permit));
    assert_eq!(semaphore.available_permits(), 1);
}

#[test]
fn read_blocking_works_in_a_thread_local_destructor() {
    let rwlock = Arc::new(RwLock::new(0));
    let guard = rwlock.try_write_arc().unwrap();
    let r = rwlock.clone();
    blocks_in_tls_destructor(move || assert_eq!(*r.read_blocking(), 0), || drop(guard));
}

#[test]
fn barrier_wait_blocking_works_in_a_thread_local_destructor() {
    let barrier = Arc::new(Barrier::new(2));
    let b = barrier.clone();
    blocks_in_tls_destructor(
        move || {
            b.wait_blocking();
        },
        // On a thread of its own, so that the test reports the failure
        // rather than hanging when the destructor's arrival never came.
        move || {
            thread::spawn(move || barrier.wait_blocking());
        },
    );
}

#[test]
fn latch_wait_blocking_works_in_a_thread_local_destructor() {
    let latch = Arc::new(Latch::new(1));
    let l = latch.clone();
    blocks_in_tls_destructor(move || l.wait_blocking(), || latch.count_down());
}

#[test]
fn condvar_wait_blocking_works_in_a_thread_local_destructor() {
    let pair = Arc::new((Mutex::new(false), Condvar::new()));
    let p = pair.clone();
    blocks_in_tls_destructor(
        move || {
            let (mutex, condvar) = &*p;
            let guard = condvar.wait_until_blocking(mutex.lock_blocking(), |ready| *ready);
            assert!(*guard);
        },
        || {
            let (mutex, condvar) = &*pair;
            *mutex.lock_blocking() = true;
            condvar.notify_all();
        },
    );
}

/// Not a blocking form, but the same spare-node slot: an async acquire
/// polled (and dropped while queued) in a thread-local destructor.
#[test]
fn acquire_future_works_in_a_thread_local_destructor() {
    let semaphore = Arc::new(Semaphore::new(0));
    let s = semaphore.clone();
    blocks_in_tls_destructor(
        move || {
            let mut acquire = pin!(s.acquire());
            let mut cx = Context::from_waker(Waker::noop());
            assert!(acquire.as_mut().poll(&mut cx).is_pending());
        },
        || {},
    );
    assert_eq!(semaphore.available_permits(), 0);
}
