//! Helpers shared by the loom models (`tests/loom_*.rs`): the model runner
//! and a waker for polling futures by hand inside a model.
#![allow(dead_code)] // each model file uses its own subset

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};

use loom::sync::atomic::AtomicBool;
use loom::sync::atomic::Ordering::SeqCst;
use loom::sync::Notify;

/// Runs `f` under loom with `preemptions` as the preemption bound (unless
/// `LOOM_MAX_PREEMPTIONS` is set), and reports how many interleavings it
/// explored. Each model's bound is chosen to keep it within minutes on two
/// cores.
///
/// `TURNSTILE_LOOM_CAP=k` lowers every bound above `k` to `k` (it never
/// raises one, and `LOOM_MAX_PREEMPTIONS` still wins). `.ci/run` sets it for
/// the bare tier: under loom both tiers run the same primitives over the
/// same wait layer and loom mutex, and differ only in where the wait list
/// lives (boxed on first contention, or inline), so the std tier explores
/// each model to its full bound and the bare tier checks the inline list to
/// a lower one.
pub fn model<F>(preemptions: usize, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    use std::sync::atomic::{AtomicUsize, Ordering};

    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        let cap = std::env::var("TURNSTILE_LOOM_CAP").ok().map(|cap| {
            cap.parse::<usize>()
                .expect("TURNSTILE_LOOM_CAP must be a preemption bound (a number)")
        });
        builder.preemption_bound = Some(cap.map_or(preemptions, |cap| preemptions.min(cap)));
    }
    // Counts the interleavings explored (a plain std atomic: not modelled).
    let iterations = std::sync::Arc::new(AtomicUsize::new(0));
    let count = iterations.clone();
    let start = std::time::Instant::now();
    builder.check(move || {
        count.fetch_add(1, Ordering::Relaxed);
        f();
    });
    eprintln!(
        "{}: {} interleavings, preemption bound {:?}, {:.1?}",
        std::thread::current().name().unwrap_or("model"),
        iterations.load(Ordering::Relaxed),
        builder.preemption_bound,
        start.elapsed(),
    );
}

/// A waker for manually polled futures, built on loom's `Notify`.
///
/// Not on `loom::thread::park`/`Thread::unpark`: loom 0.7's `unpark` makes a
/// thread runnable even while it is blocked acquiring a loom `Mutex` (it
/// only checks "blocked", not on what), so a waker woken while its thread
/// waits for a loom mutex (event-listener, the earlier wait layer, woke
/// wakers while holding its list mutex) would resume it without the mutex
/// and trip loom's "expected to be able to acquire lock" assertion. `Notify` only releases a thread waiting on it.
/// `Notify` may return spuriously (once); the `woken` flag filters that out,
/// so a thread waiting here resumes only after its waker was woken.
pub struct Signal {
    woken: AtomicBool,
    notify: Notify,
}

impl Signal {
    pub fn new() -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self {
            woken: AtomicBool::new(false),
            notify: Notify::new(),
        })
    }

    /// Blocks until the waker was woken since the last `wait`.
    pub fn wait(&self) {
        while !self.woken.swap(false, SeqCst) {
            self.notify.wait();
        }
    }
}

impl Wake for Signal {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        // A swap, not a store: loom 0.7 orders a plain store only by
        // happens-before, so a later `swap(false)` in `wait` could still read
        // the waiter's own earlier `false` and miss this wake (a false
        // deadlock). Two read-modify-writes are ordered.
        self.woken.swap(true, SeqCst);
        self.notify.notify();
    }
}

/// Polls `fut` once with a waker that does nothing: for setting up a waiter
/// whose later wakeups do not matter (it is polled again with a real waker,
/// which replaces this one, or dropped).
pub fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(Waker::noop()))
}

/// Drives `fut` to completion on this thread, waiting on a [`Signal`]
/// between polls, and returns its output with the number of polls that
/// returned `Pending`. Unlike `loom::future::block_on` it polls only after a
/// real wake (no spurious polls), so the `Pending` count is exact.
pub fn drive<F: Future>(fut: F) -> (F::Output, usize) {
    // Boxed: the bare tier's futures are `!Unpin`.
    let mut fut = Box::pin(fut);
    let signal = Signal::new();
    let waker = Waker::from(signal.clone());
    let mut cx = Context::from_waker(&waker);
    let mut pending = 0;
    loop {
        match Pin::new(&mut fut).poll(&mut cx) {
            Poll::Ready(output) => return (output, pending),
            Poll::Pending => {
                pending += 1;
                signal.wait();
            }
        }
    }
}

/// What [`panicking_waker`]'s `wake` panics with.
pub const WAKER_PANIC: &str = "waker exploded";

/// A waker whose `wake` panics with [`WAKER_PANIC`] (a broken executor's),
/// for the models of a panicking wake. The first call installs a panic hook
/// that keeps these expected panics quiet (a model runs thousands of times)
/// and reports every other panic as before.
pub fn panicking_waker() -> Waker {
    struct Bomb;
    impl Wake for Bomb {
        fn wake(self: std::sync::Arc<Self>) {
            std::panic::panic_any(WAKER_PANIC);
        }
    }
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| {
        let report = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&WAKER_PANIC) {
                report(info);
            }
        }));
    });
    Waker::from(std::sync::Arc::new(Bomb))
}

/// Whether `payload` is [`panicking_waker`]'s panic.
pub fn is_waker_panic(payload: &(dyn std::any::Any + Send)) -> bool {
    payload.downcast_ref::<&str>() == Some(&WAKER_PANIC)
}
