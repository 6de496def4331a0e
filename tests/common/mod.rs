//! Helpers shared by the integration tests: a waker that counts its wakes,
//! a waker that runs code when woken or dropped, a waker that panics, and a
//! one-shot poll.
//!
//! Every test binary includes this module with `mod common;` and uses only
//! part of it, hence the `allow(dead_code)`.
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex as StdMutex};
use std::task::{Context, Poll, Wake, Waker};

/// Iterations for loops that must stay short under miri.
pub const fn iters(native: usize, miri: usize) -> usize {
    if cfg!(miri) {
        miri
    } else {
        native
    }
}

/// Which tier this test binary was built for, as the crate sees it.
pub const TIER: &str = if cfg!(feature = "std") {
    "std"
} else if cfg!(feature = "alloc") {
    "alloc"
} else {
    "bare"
};

struct WakeCounter {
    wakes: AtomicUsize,
}

impl Wake for WakeCounter {
    fn wake(self: Arc<Self>) {
        self.wakes.fetch_add(1, SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, SeqCst);
    }
}

/// A waker that counts how often it was woken, so a test can assert "woken
/// exactly once" or "never woken". Clones share the count.
pub struct CountingWaker {
    counter: Arc<WakeCounter>,
    waker: Waker,
}

impl CountingWaker {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        let counter = Arc::new(WakeCounter {
            wakes: AtomicUsize::new(0),
        });
        let waker = Waker::from(counter.clone());
        Self { counter, waker }
    }

    pub fn waker(&self) -> &Waker {
        &self.waker
    }

    /// How many times any clone of this waker was woken.
    pub fn count(&self) -> usize {
        self.counter.wakes.load(SeqCst)
    }

    /// How many clones of the waker exist outside this `CountingWaker`
    /// (e.g. stored in a wait list). 0 means nothing holds on to it.
    pub fn outstanding_clones(&self) -> usize {
        // One reference is `self.counter`, one is `self.waker`.
        Arc::strong_count(&self.counter) - 2
    }
}

type Callback = Box<dyn Fn() + Send + Sync>;

struct CallbackInner {
    on_wake: Callback,
    on_drop: StdMutex<Option<Callback>>,
    wakes: AtomicUsize,
}

impl Wake for CallbackInner {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, SeqCst);
        (self.on_wake)();
    }
}

impl Drop for CallbackInner {
    fn drop(&mut self) {
        if let Some(on_drop) = self.on_drop.get_mut().unwrap().take() {
            on_drop();
        }
    }
}

/// A waker that runs `on_wake` every time it is woken and `on_drop` when its
/// last clone is dropped: for wakers that call back into the mutex.
pub struct CallbackWaker {
    inner: Arc<CallbackInner>,
    waker: Waker,
}

impl CallbackWaker {
    pub fn new(
        on_wake: impl Fn() + Send + Sync + 'static,
        on_drop: impl Fn() + Send + Sync + 'static,
    ) -> Self {
        let inner = Arc::new(CallbackInner {
            on_wake: Box::new(on_wake),
            on_drop: StdMutex::new(Some(Box::new(on_drop))),
            wakes: AtomicUsize::new(0),
        });
        let waker = Waker::from(inner.clone());
        Self { inner, waker }
    }

    pub fn on_wake(on_wake: impl Fn() + Send + Sync + 'static) -> Self {
        Self::new(on_wake, || {})
    }

    pub fn on_drop(on_drop: impl Fn() + Send + Sync + 'static) -> Self {
        Self::new(|| {}, on_drop)
    }

    pub fn waker(&self) -> &Waker {
        &self.waker
    }

    pub fn count(&self) -> usize {
        self.inner.wakes.load(SeqCst)
    }

    /// Gives up this handle: from now on the clones held elsewhere (the wait
    /// list) are the only ones, so `on_drop` runs when the last of them goes.
    pub fn release(self) {}
}

/// What [`panicking_waker`]'s `wake` panics with.
pub const WAKER_PANIC: &str = "waker exploded";

/// A waker whose `wake` panics with [`WAKER_PANIC`] (after counting the
/// wake): a broken executor's waker, for checking that it strands nobody
/// else. Its panic reaches whoever woke it (see [`expect_waker_panic`]).
pub fn panicking_waker() -> CallbackWaker {
    CallbackWaker::on_wake(|| std::panic::panic_any(WAKER_PANIC))
}

/// Runs `f`, which must unwind with the panic of a [`panicking_waker`] (and
/// not, say, with a wait list's own assertion tripped by it).
#[track_caller]
pub fn expect_waker_panic<R>(f: impl FnOnce() -> R) {
    let payload = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected the waker's panic to reach the caller, but it returned"),
        Err(payload) => payload,
    };
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
    assert_eq!(
        message,
        Some(WAKER_PANIC),
        "the caller got a panic, but not the waker's"
    );
}

/// Polls `future` once with `waker`.
pub fn poll_once<F: Future + ?Sized>(future: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(waker))
}

/// Polls `future` once with `waker` and expects it to be pending.
#[track_caller]
pub fn assert_pending<F: Future + ?Sized>(future: Pin<&mut F>, waker: &Waker) {
    assert!(
        poll_once(future, waker).is_pending(),
        "future completed, expected it to be pending"
    );
}

/// Polls `future` once with `waker` and expects it to be ready.
#[track_caller]
pub fn assert_ready<F: Future + ?Sized>(future: Pin<&mut F>, waker: &Waker) -> F::Output {
    match poll_once(future, waker) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("future is pending, expected it to be ready"),
    }
}

/// A small deterministic pseudo-random generator (xorshift64*), so that
/// randomised schedules are the same on every run and under miri.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n`; `n > 0`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}
