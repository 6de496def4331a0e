//! Work in lock-step rounds, and waiting for a group of jobs to settle.
//!
//! **Rounds with a Barrier.** Workers each compute a part of a round (a
//! simulation step, a batch of a pipeline); nobody may start round `r + 1`
//! before everyone has finished round `r`, and one of them must combine the
//! round's parts. Without a barrier, a fast worker reads parts of a round
//! that are not finished. turnstile's `Barrier` releases all `n` workers
//! together and makes exactly one of them the leader, which aggregates.
//! It is cancel-safe: a worker whose wait is dropped (a timeout, a
//! `select!`) takes its arrival back, so a round is never released short.
//!
//! **Settling with a Latch.** A group of jobs runs; some fail. `join_all`
//! on `Result`s, or `try_join_all`, returns at the first error and drops (or
//! leaves running) the rest: the program moves on while jobs are still
//! writing. The "settle all, then report the first error" pattern waits for
//! every job to finish, successfully or not, and only then reports. A
//! `Latch` counted down by each job as it ends (on every path) opens when
//! all have settled; the errors are collected meanwhile.
//!
//! **What the program checks.** Four workers, five rounds, each round's
//! total checked against the sum computed independently, one leader per
//! round; then ten jobs, three of which fail: the report comes only after
//! all ten have ended, and names the first failure. Exits non-zero
//! otherwise.
//!
//! Run: `cargo run --example phases`.

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use turnstile_sync::{Barrier, Latch, Mutex};

const WORKERS: usize = 4;
const ROUNDS: usize = 5;
const JOBS: usize = 10;

/// One worker's part of round `round`.
fn part(worker: usize, round: usize) -> u64 {
    ((worker + 1) * (round + 3)) as u64
}

/// Rounds: returns each round's total as aggregated by that round's leader.
async fn rounds() -> Result<Vec<u64>, String> {
    let barrier = Arc::new(Barrier::new(WORKERS));
    let parts = Arc::new(Mutex::new(vec![0u64; WORKERS]));
    let totals = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let (barrier, parts, totals) = (barrier.clone(), parts.clone(), totals.clone());
            tokio::spawn(async move {
                for round in 0..ROUNDS {
                    // Compute (taking a varying time), publish the part...
                    tokio::time::sleep(Duration::from_millis(fastrand::u64(0..4))).await;
                    parts.lock().await[w] = part(w, round);
                    // ...wait for everyone's part of this round...
                    if barrier.wait().await.is_leader() {
                        // ...and one of us combines them.
                        let total = parts.lock().await.iter().sum();
                        totals.lock().await.push(total);
                    }
                    // Nobody overwrites a part before the leader has read it.
                    barrier.wait().await;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.map_err(|e| format!("a worker failed: {e}"))?;
    }
    let totals = totals.lock().await.clone();
    Ok(totals)
}

/// Settle-all: runs `JOBS` jobs (every third fails), waits until all have
/// ended, then reports how many ended and the first error by job number.
async fn settle_all() -> (usize, Option<String>) {
    let settled = Arc::new(Latch::new(JOBS));
    let ended = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(Mutex::new(Vec::new()));
    for job in 0..JOBS {
        let (settled, ended, errors) = (settled.clone(), ended.clone(), errors.clone());
        tokio::spawn(async move {
            // Counts down however the job ends, even by panicking.
            struct Settle(Arc<Latch>);
            impl Drop for Settle {
                fn drop(&mut self) {
                    self.0.count_down();
                }
            }
            let _settle = Settle(settled);
            tokio::time::sleep(Duration::from_millis(fastrand::u64(1..10))).await;
            let result = if job % 3 == 2 {
                Err(format!("job {job}: upstream refused"))
            } else {
                Ok(job)
            };
            if let Err(e) = result {
                errors.lock().await.push((job, e));
            }
            ended.fetch_add(1, Ordering::SeqCst);
        });
    }
    settled.wait().await; // every job has ended, successfully or not
    let ended_at_report = ended.load(Ordering::SeqCst);
    let mut errors = errors.lock().await.clone();
    errors.sort();
    (ended_at_report, errors.into_iter().next().map(|(_, e)| e))
}

async fn run() -> Result<(), String> {
    let totals = rounds().await?;
    let expected: Vec<u64> = (0..ROUNDS)
        .map(|r| (0..WORKERS).map(|w| part(w, r)).sum())
        .collect();
    println!("barrier: {ROUNDS} rounds of {WORKERS} workers, totals by the leaders: {totals:?}");
    if totals != expected {
        return Err(format!("round totals {totals:?}, expected {expected:?}"));
    }

    let (ended, first_error) = settle_all().await;
    println!(
        "latch: reported after {ended} of {JOBS} jobs had ended; first error: {}",
        first_error.as_deref().unwrap_or("none")
    );
    if ended != JOBS {
        return Err(format!("reported with only {ended} of {JOBS} jobs settled"));
    }
    if first_error.as_deref() != Some("job 2: upstream refused") {
        return Err(format!("first error {first_error:?}, expected job 2's"));
    }
    Ok(())
}

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}
