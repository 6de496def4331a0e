//! Notify benchmark: `turnstile_sync::Notify` against `tokio::sync::Notify`
//! and `event_listener::Event`.
//!
//! Each contestant is a "signal": `notify` wakes one waiter or, if nobody
//! waits, is kept for the next `wait`. `Notify::notify_one` and tokio's do
//! that themselves (a stored permit); event-listener's `Event` keeps
//! nothing, so its contestant pairs it with an `AtomicBool`, the usual way
//! (the flag is the permit; wait = check, listen, check again, await).
//!
//! Groups:
//! - `notify_uncontended`: one thread, futures polled by hand with a no-op
//!   waker. `permit`: `notify` with nobody waiting, then `wait` completes on
//!   its first poll. `queued`: register first (`Notified::enable`, tokio's
//!   `enable`, `Event::listen`), then `notify_one` wakes that waiter, then
//!   the poll completes: the queue's path, one waiter.
//! - `notify_ping_pong`: two tasks on a 2-worker multi-thread tokio runtime
//!   hand a turn back and forth through two signals, `ROUNDS` round trips
//!   per criterion iteration (declared as the throughput, so time /
//!   elements is the time per round trip, two notifies and two waits).
//!
//! Run: `cargo bench -p turnstile-benches --bench notify`.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};

/// Round trips per criterion iteration in `notify_ping_pong`.
const ROUNDS: u64 = 10_000;

/// A signal as the harness sees it.
trait Signal: Send + Sync + 'static {
    fn create() -> Self;
    fn notify(&self);
    fn wait(&self) -> impl Future<Output = ()> + Send + '_;
    /// Registers a waiter, notifies it, and completes it (group `queued`).
    fn register_notify_complete(&self);
}

impl Signal for turnstile_sync::Notify {
    fn create() -> Self {
        turnstile_sync::Notify::new()
    }
    #[inline]
    fn notify(&self) {
        self.notify_one();
    }
    #[inline]
    fn wait(&self) -> impl Future<Output = ()> + Send + '_ {
        self.notified()
    }
    #[inline]
    fn register_notify_complete(&self) {
        let mut notified = pin!(self.notified());
        assert!(!notified.as_mut().enable());
        self.notify_one();
        poll_ready(notified);
    }
}

impl Signal for tokio::sync::Notify {
    fn create() -> Self {
        tokio::sync::Notify::new()
    }
    #[inline]
    fn notify(&self) {
        self.notify_one();
    }
    #[inline]
    fn wait(&self) -> impl Future<Output = ()> + Send + '_ {
        self.notified()
    }
    #[inline]
    fn register_notify_complete(&self) {
        let mut notified = pin!(self.notified());
        assert!(!notified.as_mut().enable());
        self.notify_one();
        poll_ready(notified);
    }
}

/// event-listener's `Event` with a flag as the permit.
struct EventSignal {
    permit: AtomicBool,
    event: event_listener::Event,
}

impl EventSignal {
    #[inline]
    fn take(&self) -> bool {
        // Acquire: pairs with the Release in `notify`.
        self.permit.swap(false, Ordering::Acquire)
    }
}

impl Signal for EventSignal {
    fn create() -> Self {
        EventSignal {
            permit: AtomicBool::new(false),
            event: event_listener::Event::new(),
        }
    }
    #[inline]
    fn notify(&self) {
        // Release, then `notify`'s own SeqCst fence orders it before the
        // listener check.
        self.permit.store(true, Ordering::Release);
        self.event.notify(1);
    }
    async fn wait(&self) {
        loop {
            if self.take() {
                return;
            }
            let listener = self.event.listen();
            if self.take() {
                return;
            }
            listener.await;
        }
    }
    #[inline]
    fn register_notify_complete(&self) {
        let listener = self.event.listen();
        self.event.notify(1);
        poll_ready(listener);
    }
}

/// Polls `future` once with a no-op waker; it must be ready.
#[inline]
fn poll_ready<F: Future<Output = ()>>(future: F) {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(future).poll(&mut cx) {
        Poll::Ready(()) => {}
        Poll::Pending => panic!("expected the future to be ready"),
    }
}

fn uncontended<S: Signal>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
) {
    let signal = S::create();
    g.bench_function(format!("permit/{name}"), |b| {
        b.iter(|| {
            let signal = black_box(&signal);
            signal.notify();
            poll_ready(signal.wait());
        })
    });
    g.bench_function(format!("queued/{name}"), |b| {
        b.iter(|| black_box(&signal).register_notify_complete())
    });
}

fn ping_pong<S: Signal>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    rt: &tokio::runtime::Runtime,
    name: &str,
) {
    let pair = Arc::new((S::create(), S::create()));
    g.bench_function(name, |b| {
        b.iter(|| {
            rt.block_on(async {
                let p = pair.clone();
                let pinger = tokio::spawn(async move {
                    for _ in 0..ROUNDS {
                        p.0.notify();
                        p.1.wait().await;
                    }
                });
                let p = pair.clone();
                let ponger = tokio::spawn(async move {
                    for _ in 0..ROUNDS {
                        p.0.wait().await;
                        p.1.notify();
                    }
                });
                pinger.await.unwrap();
                ponger.await.unwrap();
            })
        })
    });
}

fn bench_notify(c: &mut Criterion) {
    let mut g = c.benchmark_group("notify_uncontended");
    uncontended::<turnstile_sync::Notify>(&mut g, "turnstile");
    uncontended::<tokio::sync::Notify>(&mut g, "tokio");
    uncontended::<EventSignal>(&mut g, "event-listener");
    g.finish();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let mut g = c.benchmark_group("notify_ping_pong");
    g.throughput(Throughput::Elements(ROUNDS))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10);
    ping_pong::<turnstile_sync::Notify>(&mut g, &rt, "turnstile");
    ping_pong::<tokio::sync::Notify>(&mut g, &rt, "tokio");
    ping_pong::<EventSignal>(&mut g, &rt, "event-listener");
    g.finish();
}

criterion_group!(benches, bench_notify);
criterion_main!(benches);
