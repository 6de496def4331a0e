//! One suite of scenarios for turnstile-sync, written once and run on every
//! executor and in every tier.
//!
//! - [`Executor`] is what an executor must provide: run a future to
//!   completion on the calling thread, and spawn more tasks from inside it
//!   (through a [`Spawner`], which every executor builds the same way).
//! - [`scenarios`] holds the scenarios, each an `async fn(Spawner)` that
//!   panics when the property it checks does not hold.
//! - `tests/executors.rs` runs every scenario on every executor: a new
//!   executor is one line there, a new scenario one line in its list.
//!
//! The tier is this crate's feature: `std` (the default), `alloc` or `bare`
//! (turnstile-sync's `critical-section` tier, whose futures are `!Unpin`).
//! The harness itself always has `std`: it runs on the host.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub mod executors;
pub mod scenarios;

/// A boxed task.
pub type Task = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Spawns tasks onto the executor that runs the scenario. Cheap to clone and
/// `Send`, so spawned tasks can spawn too.
#[derive(Clone)]
pub struct Spawner {
    spawn: Arc<dyn Fn(Task) + Send + Sync>,
}

impl Spawner {
    /// Wraps an executor's own spawn function.
    pub fn new(spawn: impl Fn(Task) + Send + Sync + 'static) -> Self {
        Self {
            spawn: Arc::new(spawn),
        }
    }

    /// Spawns `future` and returns a handle that resolves to its output.
    pub fn spawn<T: Send + 'static>(
        &self,
        future: impl Future<Output = T> + Send + 'static,
    ) -> JoinHandle<T> {
        let (tx, rx) = futures::channel::oneshot::channel();
        (self.spawn)(Box::pin(async move {
            // The receiver may be gone if the scenario stopped waiting.
            let _ = tx.send(future.await);
        }));
        JoinHandle(rx)
    }
}

/// The output of a spawned task.
#[must_use = "a task's output is only checked if its handle is awaited"]
pub struct JoinHandle<T>(futures::channel::oneshot::Receiver<T>);

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<T> {
        Pin::new(&mut self.0).poll(cx).map(|result| {
            // A task whose future panicked drops its sender: fail the scenario.
            result.expect("a spawned task panicked or was dropped by its executor")
        })
    }
}

/// Awaits every handle, in order, and returns their outputs.
pub async fn join_all<T>(handles: Vec<JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        out.push(handle.await);
    }
    out
}

/// An executor the suite runs on.
pub trait Executor {
    /// Its name, as the test output shows it.
    const NAME: &'static str;

    /// Whether its tasks may run on more than one thread at once.
    const MULTI_THREADED: bool;

    /// In the two-task Mutex fairness scenario, the most acquisitions by the
    /// other task that a waiting task may see on this executor: the crate
    /// guarantees at most four lost races, and what that costs in
    /// acquisitions depends on the run queue. `None` on multi-threaded
    /// executors, where a woken waiter whose worker thread is not running
    /// can be passed by any number of acquisitions before it loses a race.
    const MUTEX_TURNS: Option<usize>;

    /// Runs `scenario` to completion on this thread, with a [`Spawner`] for
    /// the tasks it starts.
    fn run<F, Fut>(scenario: F)
    where
        F: FnOnce(Spawner) -> Fut,
        Fut: Future<Output = ()> + Send + 'static;

    /// A timer future for this executor: its own where it has one, otherwise
    /// async-io's, which runs beside any executor.
    fn sleep(duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(async move {
            async_io::Timer::after(duration).await;
        })
    }
}
