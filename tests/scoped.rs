//! Scoped helpers (issue 11 §4): `Mutex::with`, `RwLock::with_read` /
//! `with_write`, `Semaphore::run` release on return, on an early `Err`, on
//! panic and when dropped mid-closure. Every tier.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;

use common::{assert_pending, CountingWaker};
use futures_lite::future::{block_on, yield_now};
use turnstile_sync::{Closed, Mutex, RwLock, Semaphore};

fn assert_send<F: Send>(f: F) -> F {
    f
}

#[test]
fn mutex_with_releases_on_return_and_on_err() {
    let mutex = Mutex::new(10);
    let out = block_on(mutex.with(async |v| {
        *v += 1;
        yield_now().await;
        *v
    }));
    assert_eq!(out, 11);
    assert!(!mutex.is_locked());
    let fails = async |v: &mut i32| -> Result<(), &'static str> {
        let half = v.checked_rem(2).ok_or("zero")?;
        if half != 0 {
            Err("odd")?;
        }
        Ok(())
    };
    assert_eq!(block_on(mutex.with(fails)), Err("odd"));
    assert!(!mutex.is_locked(), "an early Err left the mutex locked");
}

#[test]
fn mutex_with_releases_on_panic() {
    let mutex = Mutex::new(0);
    let result = catch_unwind(AssertUnwindSafe(|| {
        block_on(mutex.with(async |v| {
            *v = 1;
            panic!("inside the critical section");
        }))
    }));
    assert!(result.is_err());
    assert!(!mutex.is_locked(), "a panic left the mutex locked");
    assert_eq!(*mutex.try_lock().unwrap(), 1);
}

#[test]
fn mutex_with_dropped_while_waiting_or_running_releases() {
    let mutex = Mutex::new(0);
    let w = CountingWaker::new();
    let holder = mutex.try_lock().unwrap();
    let mut waiting = Box::pin(mutex.with(async |v| *v += 1));
    assert_pending(waiting.as_mut(), w.waker());
    drop(waiting);
    drop(holder);
    assert!(mutex.try_lock().is_some());

    let mut running = Box::pin(mutex.with(async |v| {
        *v = 5;
        std::future::pending::<()>().await;
    }));
    assert_pending(running.as_mut(), w.waker());
    assert!(mutex.is_locked());
    drop(running);
    assert_eq!(
        *mutex.try_lock().expect("dropped mid-closure, still locked"),
        5
    );
}

#[test]
fn mutex_with_future_is_send() {
    let mutex = Mutex::new(String::new());
    block_on(assert_send(mutex.with(async |s| s.push('x'))));
    assert_eq!(*mutex.try_lock().unwrap(), "x");
}

#[test]
fn rwlock_with_read_and_write() {
    let lock = RwLock::new(vec![1]);
    block_on(lock.with_write(async |v| v.push(2)));
    assert!(!lock.is_locked());
    let w = CountingWaker::new();
    let mut reading = pin!(lock.with_read(async |v| {
        std::future::pending::<()>().await;
        v.len()
    }));
    assert_pending(reading.as_mut(), w.waker());
    assert_eq!(lock.reader_count(), 1);
    assert!(lock.try_read().is_some(), "readers share");
    assert!(lock.try_write().is_none());
    let result = catch_unwind(AssertUnwindSafe(|| {
        block_on(lock.with_read(async |_| panic!("reader panics")))
    }));
    assert!(result.is_err());
    assert_eq!(lock.reader_count(), 1, "the panicking reader kept its lock");
    assert_eq!(block_on(assert_send(lock.with_read(async |v| v.len()))), 2);
}

#[test]
fn semaphore_run_limits_and_returns_permits() {
    let sem = Semaphore::new(2);
    let w = CountingWaker::new();
    let mut first = Box::pin(sem.run(2, async || std::future::pending::<()>().await));
    assert_pending(first.as_mut(), w.waker());
    assert_eq!(sem.available_permits(), 0);
    let mut second = Box::pin(sem.run(1, async || 7));
    assert_pending(second.as_mut(), w.waker());
    drop(first);
    assert_eq!(block_on(second), Ok(7));
    assert_eq!(sem.available_permits(), 2);

    let result = catch_unwind(AssertUnwindSafe(|| {
        block_on(sem.run(1, async || panic!("inside run")))
    }));
    assert!(result.is_err());
    assert_eq!(sem.available_permits(), 2, "a panic kept the permit");

    sem.close();
    let ran = std::cell::Cell::new(false);
    assert_eq!(block_on(sem.run(1, async || ran.set(true))), Err(Closed));
    assert!(!ran.get(), "the closure ran on a closed semaphore");
}
