//! The executors the suite runs on, each adapted to [`Executor`].

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::task::{LocalSpawnExt, SpawnExt};

use crate::{Executor, Spawner, Task};

/// A plain `block_on` with no executor behind it: spawned tasks are driven
/// by the same future as the scenario (as `join_all` under `block_on` would
/// drive them), on the calling thread.
pub struct BlockOn;

impl Executor for BlockOn {
    const NAME: &'static str = "block_on";
    const MULTI_THREADED: bool = false;
    const MUTEX_TURNS: Option<usize> = Some(5);

    fn run<F, Fut>(scenario: F)
    where
        F: FnOnce(Spawner) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        use futures::stream::{FuturesUnordered, StreamExt};

        let (tx, mut rx) = futures::channel::mpsc::unbounded::<Task>();
        let spawner = Spawner::new(move |task| {
            // The receiver lives until the scenario returns.
            let _ = tx.unbounded_send(task);
        });
        let main = scenario(spawner);
        futures_lite::future::block_on(async move {
            let mut main = std::pin::pin!(main);
            let mut tasks = FuturesUnordered::new();
            futures::future::poll_fn(|cx| {
                loop {
                    while let std::task::Poll::Ready(Some(task)) = rx.poll_next_unpin(cx) {
                        tasks.push(task);
                    }
                    if main.as_mut().poll(cx).is_ready() {
                        return std::task::Poll::Ready(());
                    }
                    // Drive the spawned tasks until none makes progress; a
                    // task may have spawned more, so look at the inbox again.
                    if let std::task::Poll::Ready(Some(())) = tasks.poll_next_unpin(cx) {
                        continue;
                    }
                    if let std::task::Poll::Ready(Some(task)) = rx.poll_next_unpin(cx) {
                        tasks.push(task);
                        continue;
                    }
                    return std::task::Poll::Pending;
                }
            })
            .await
        });
    }
}

/// smol's executor, run by the calling thread and `HELPERS` more: `Smol<1>`
/// on two threads, `Smol<0>` on the calling thread alone, where its run
/// queue is FIFO (and the Mutex fairness bound applies).
pub struct Smol<const HELPERS: usize>;

impl<const HELPERS: usize> Executor for Smol<HELPERS> {
    const NAME: &'static str = if HELPERS == 0 {
        "smol, one thread"
    } else {
        "smol"
    };
    const MULTI_THREADED: bool = HELPERS > 0;
    const MUTEX_TURNS: Option<usize> = if HELPERS == 0 { Some(5) } else { None };

    fn run<F, Fut>(scenario: F)
    where
        F: FnOnce(Spawner) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let executor = Arc::new(smol::Executor::new());
        let (stop, stopped) = smol::channel::bounded::<()>(1);
        let helpers: Vec<_> = (0..HELPERS)
            .map(|_| {
                let (executor, stopped) = (executor.clone(), stopped.clone());
                std::thread::spawn(move || {
                    // `recv` fails once `stop` is dropped: that is the signal.
                    let _stopped = smol::block_on(executor.run(stopped.recv()));
                })
            })
            .collect();
        let spawner = {
            let executor = executor.clone();
            Spawner::new(move |task| executor.spawn(task).detach())
        };
        smol::block_on(executor.run(scenario(spawner)));
        drop(stop); // ends the helper threads' `recv`
        for helper in helpers {
            helper.join().expect("smol helper thread");
        }
    }
}

/// tokio's current-thread runtime.
pub struct TokioCurrentThread;

impl Executor for TokioCurrentThread {
    const NAME: &'static str = "tokio current_thread";
    const MULTI_THREADED: bool = false;
    const MUTEX_TURNS: Option<usize> = Some(5);

    fn run<F, Fut>(scenario: F)
    where
        F: FnOnce(Spawner) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("tokio runtime");
        tokio_run(&runtime, scenario);
    }

    fn sleep(duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// tokio's multi-threaded runtime with two workers.
pub struct TokioMultiThread;

impl Executor for TokioMultiThread {
    const NAME: &'static str = "tokio multi_thread";
    const MULTI_THREADED: bool = true;
    const MUTEX_TURNS: Option<usize> = None;

    fn run<F, Fut>(scenario: F)
    where
        F: FnOnce(Spawner) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .expect("tokio runtime");
        tokio_run(&runtime, scenario);
    }

    fn sleep(duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

fn tokio_run<F, Fut>(runtime: &tokio::runtime::Runtime, scenario: F)
where
    F: FnOnce(Spawner) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let handle = runtime.handle().clone();
    let spawner = Spawner::new(move |task| drop(handle.spawn(task)));
    // The scenario runs as a task of its own, as application code would.
    let main = runtime.spawn(scenario(spawner));
    runtime.block_on(main).expect("scenario task panicked");
}

/// async-std (deprecated upstream in favour of smol; kept while it builds).
pub struct AsyncStd;

impl Executor for AsyncStd {
    const NAME: &'static str = "async-std";
    const MULTI_THREADED: bool = true;
    const MUTEX_TURNS: Option<usize> = None;

    fn run<F, Fut>(scenario: F)
    where
        F: FnOnce(Spawner) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let spawner = Spawner::new(|task| drop(async_std::task::spawn(task)));
        async_std::task::block_on(scenario(spawner));
    }
}

/// futures' single-threaded `LocalPool`.
pub struct LocalPool;

impl Executor for LocalPool {
    const NAME: &'static str = "futures LocalPool";
    const MULTI_THREADED: bool = false;
    const MUTEX_TURNS: Option<usize> = Some(5);

    fn run<F, Fut>(scenario: F)
    where
        F: FnOnce(Spawner) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        use futures::stream::StreamExt;

        let mut pool = futures::executor::LocalPool::new();
        let local = pool.spawner();
        // The pool's spawner is not `Send`: spawned tasks reach it through
        // a channel that a task of the pool itself drains.
        let (tx, mut rx) = futures::channel::mpsc::unbounded::<Task>();
        let relay = local.clone();
        local
            .spawn_local(async move {
                while let Some(task) = rx.next().await {
                    relay.spawn_local(task).expect("LocalPool spawn");
                }
            })
            .expect("LocalPool spawn");
        let spawner = Spawner::new(move |task| {
            let _ = tx.unbounded_send(task);
        });
        pool.run_until(scenario(spawner));
    }
}

/// futures' `ThreadPool` with two threads; the scenario itself runs on the
/// calling thread under `futures::executor::block_on`.
pub struct ThreadPool;

impl Executor for ThreadPool {
    const NAME: &'static str = "futures ThreadPool";
    const MULTI_THREADED: bool = true;
    const MUTEX_TURNS: Option<usize> = None;

    fn run<F, Fut>(scenario: F)
    where
        F: FnOnce(Spawner) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let pool = futures::executor::ThreadPool::builder()
            .pool_size(2)
            .create()
            .expect("thread pool");
        let spawner = Spawner::new(move |task| pool.spawn(task).expect("ThreadPool spawn"));
        futures::executor::block_on(scenario(spawner));
    }
}

/// embassy-executor's std platform (`platform-std`, `executor-thread`): one
/// thread, tasks from a static pool, woken tasks run in the executor's own
/// order (batches, not FIFO).
pub struct Embassy;

#[embassy_executor::task(pool_size = 256)]
async fn embassy_task(task: Task) {
    task.await
}

impl Executor for Embassy {
    const NAME: &'static str = "embassy-executor";
    const MULTI_THREADED: bool = false;
    // Its run queue runs woken tasks in batches, in reverse wake order, so
    // each lost race costs the waiter two acquisitions by the other task.
    const MUTEX_TURNS: Option<usize> = Some(9);

    fn run<F, Fut>(scenario: F)
    where
        F: FnOnce(Spawner) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        // `run_until` needs a `&'static mut` executor: one is leaked per run
        // (a few hundred bytes per test).
        let executor = Box::leak(Box::new(embassy_executor::Executor::new()));
        let done = Arc::new(AtomicBool::new(false));
        let finished = done.clone();
        executor.run_until(
            move |spawner| {
                let send = spawner.make_send();
                let spawner = Spawner::new(move |task| {
                    send.spawn(embassy_task(task).expect("embassy task pool exhausted"))
                });
                let main = scenario(spawner.clone());
                // Its handle is not needed: completion is the `done` flag.
                drop(spawner.spawn(async move {
                    main.await;
                    // Release: `run_until` reads it after the next poll.
                    finished.store(true, Ordering::Release);
                }));
            },
            // Acquire: pairs with the store above, so everything the
            // scenario did happens before the run returns.
            move || done.load(Ordering::Acquire),
        );
    }
}
