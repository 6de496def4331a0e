//! Loom models of a deadline racing a release (issue 11).
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test -p turnstile-sync --release --test loom_deadline
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test -p turnstile-sync --release --test loom_deadline \
//!     --no-default-features --features critical-section
//! ```
//!
//! The deadline is a [`Trigger`] fired by its own thread: loom has no clock,
//! and a real timer is nothing but a future that becomes ready on another
//! thread and wakes the waiter. A waiter raced against it with
//! `WaitExt::until` must, in every interleaving of the firing, the release
//! and the waiters' polls, either get what it waited for or leave no trace:
//! a lost wakeup leaves a thread blocked forever (loom reports a deadlock),
//! a leaked permit or lock fails the final checks.
#![cfg(loom)]

mod loom_common;
use loom_common::{drive, model};

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use loom::cell::UnsafeCell;
use loom::sync::{Arc, Mutex as LoomMutex};
use loom::thread;
use turnstile_sync::{Mutex, Semaphore, WaitExt};

/// A deadline fired by hand from another thread; wakes the waiter's waker.
struct Trigger {
    state: LoomMutex<(bool, Option<Waker>)>,
}

impl Trigger {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            state: LoomMutex::new((false, None)),
        })
    }

    fn fire(&self) {
        let waker = {
            let mut state = self.state.lock().unwrap();
            state.0 = true;
            state.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

struct Signal(Arc<Trigger>);

impl Future for Signal {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.0.state.lock().unwrap();
        if state.0 {
            return Poll::Ready(());
        }
        state.1 = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Model 1. The mutex is held; A waits with a deadline, B without; the
/// main thread releases and fires the deadline (in both orders, one model
/// each), racing A's and B's polls. A either gets the lock (and its
/// critical section happens-after the holder's) or gives up; B always gets
/// it: a wakeup A received and gave up with passes on to B.
fn mutex_deadline_vs_release(fire_first: bool) {
    model(2, move || {
        let m = Arc::new(Mutex::new(0usize));
        let trigger = Trigger::new();
        let held = m.try_lock().unwrap();

        let (ma, sig) = (m.clone(), Signal(trigger.clone()));
        let a = thread::spawn(move || {
            let (result, _) = drive(ma.lock().until(sig));
            result.map(|mut guard| *guard += 1).is_ok()
        });
        let mb = m.clone();
        let b = thread::spawn(move || {
            let (mut guard, _) = drive(mb.lock());
            *guard += 1;
        });

        if fire_first {
            trigger.fire();
            drop(held);
        } else {
            drop(held);
            trigger.fire();
        }
        let a_locked = a.join().unwrap();
        b.join().unwrap();
        let guard = m
            .try_lock()
            .expect("the mutex ended held or reserved for a waiter that left");
        assert_eq!(*guard, 1 + usize::from(a_locked));
    });
}

#[test]
fn mutex_release_then_deadline() {
    mutex_deadline_vs_release(false);
}

#[test]
fn mutex_deadline_then_release() {
    mutex_deadline_vs_release(true);
}

/// Model 2. A asks for 2 permits with a deadline; B for 1, without; two
/// permits are released one at a time and the deadline fires, so A can
/// time out holding one set aside. Whatever A got goes back and B is served;
/// at the end both permits are free. The data written before the releases
/// is seen by whoever gets the permits (loom's `UnsafeCell` tracking).
#[test]
fn semaphore_deadline_vs_partial_release() {
    model(1, || {
        let s = Arc::new(Semaphore::new(0));
        let data = Arc::new(UnsafeCell::new(0usize));
        let trigger = Trigger::new();

        let (sa, d, sig) = (s.clone(), data.clone(), Signal(trigger.clone()));
        let a = thread::spawn(move || {
            let (result, _) = drive(sa.acquire_many(2).until(sig));
            if let Ok(guard) = result {
                assert_eq!(guard.unwrap().permits(), 2);
                // SAFETY: the permits are held: the releaser's write happened
                // before.
                assert_eq!(d.with(|v| unsafe { *v }), 1);
            }
        });
        let (sb, d) = (s.clone(), data.clone());
        let b = thread::spawn(move || {
            let (guard, _) = drive(sb.acquire_many(1));
            assert_eq!(guard.unwrap().permits(), 1);
            // SAFETY: as above.
            assert_eq!(d.with(|v| unsafe { *v }), 1);
        });

        // SAFETY: nobody can read before a permit is released below.
        data.with_mut(|v| unsafe { *v = 1 });
        s.add_permits(1);
        trigger.fire();
        s.add_permits(1);
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(s.available_permits(), 2, "a permit leaked");
        assert!(s.try_acquire_many(2).is_ok());
    });
}
