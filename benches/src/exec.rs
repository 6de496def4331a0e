//! The two executors every task row runs on, each with two worker threads:
//! a multi-thread tokio runtime with `worker_threads(2)`, and a
//! `smol::Executor` run by two dedicated threads. The calling thread only
//! spawns the tasks and waits for them (it never runs a task itself).

use std::future::Future;
use std::sync::Arc;
use std::thread::JoinHandle;

/// Worker threads of each executor.
pub const WORKERS: usize = 2;

/// Which executor a row runs its tasks on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rt {
    /// tokio's multi-thread runtime, 2 workers.
    Tokio,
    /// `smol::Executor` run by 2 threads.
    Smol,
}

impl Rt {
    /// The executor's own yield: tokio's `yield_now` (which defers the task
    /// behind the others; a plain self-wake would go to tokio's LIFO slot
    /// and run again at once), or futures-lite's on smol.
    pub async fn yield_now(self) {
        match self {
            Rt::Tokio => tokio::task::yield_now().await,
            Rt::Smol => futures_lite::future::yield_now().await,
        }
    }

    /// The name used in row titles.
    pub fn name(self) -> &'static str {
        match self {
            Rt::Tokio => "tokio",
            Rt::Smol => "smol",
        }
    }
}

/// smol's executor on threads of its own (`WORKERS` in the report).
struct SmolPool {
    ex: Arc<smol::Executor<'static>>,
    stop: Option<smol::channel::Sender<()>>,
    threads: Vec<JoinHandle<()>>,
}

impl SmolPool {
    fn new(workers: usize) -> Self {
        let ex = Arc::new(smol::Executor::new());
        let (stop, stopped) = smol::channel::bounded::<()>(1);
        let threads = (0..workers)
            .map(|i| {
                let (ex, stopped) = (ex.clone(), stopped.clone());
                std::thread::Builder::new()
                    .name(format!("smol-worker-{i}"))
                    .spawn(move || {
                        // Runs tasks until the sender is dropped.
                        let _ = smol::block_on(ex.run(stopped.recv()));
                    })
                    .expect("smol worker thread")
            })
            .collect();
        SmolPool {
            ex,
            stop: Some(stop),
            threads,
        }
    }
}

impl Drop for SmolPool {
    fn drop(&mut self) {
        drop(self.stop.take());
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Both executors, made once and shared by every row.
pub struct Env {
    tokio: tokio::runtime::Runtime,
    smol: SmolPool,
}

impl Default for Env {
    fn default() -> Self {
        Self::new()
    }
}

impl Env {
    /// Starts both executors, with [`WORKERS`] threads each (every row of
    /// the report).
    pub fn new() -> Self {
        Self::with_workers(WORKERS)
    }

    /// Starts both executors with `workers` threads each: one, to count a
    /// contestant's instructions without another core's traffic in them
    /// (`src/bin/instructions.rs`).
    pub fn with_workers(workers: usize) -> Self {
        Env {
            tokio: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .build()
                .expect("tokio runtime"),
            smol: SmolPool::new(workers),
        }
    }

    /// Spawns every future as a task on `rt` and waits until all are done.
    pub fn run_tasks<F>(&self, rt: Rt, tasks: impl IntoIterator<Item = F>)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        match rt {
            Rt::Tokio => {
                let handles: Vec<_> = tasks.into_iter().map(|f| self.tokio.spawn(f)).collect();
                self.tokio.block_on(async {
                    for h in handles {
                        h.await.expect("task panicked");
                    }
                });
            }
            Rt::Smol => {
                let handles: Vec<_> = tasks.into_iter().map(|f| self.smol.ex.spawn(f)).collect();
                smol::block_on(async {
                    for h in handles {
                        h.await;
                    }
                });
            }
        }
    }
}
