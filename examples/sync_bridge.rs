//! Plain threads and async tasks on the same primitives, both ways.
//!
//! **The problem.** Part of a program has no executor: a thread that talks
//! to a device driver, a C library's callback thread, a CPU-heavy worker.
//! It must share state and limits with async tasks, wait for work they do,
//! and sometimes call async code and block until it answers. With
//! `std::sync` primitives the async side would block its runtime's threads;
//! with tokio's, the thread needs a runtime handle for every call. (In
//! JavaScript the same need is met by blocking a worker with `Atomics.wait`
//! while the main thread's async code runs.)
//!
//! **The fix.** Every turnstile primitive has `*_blocking` forms that park
//! the calling thread and are woken by the same release that wakes tasks:
//! a thread and a task can hold the same `Mutex`, share a `Semaphore`'s
//! permits, and wait on the same `Latch`, with no runtime handle.
//!
//! **What the program checks.**
//! 1. Thread → async: a sensor thread produces readings into a `Mutex`ed
//!    buffer bounded by a `Semaphore` (it blocks when the buffer is full);
//!    async tasks consume them. Every reading arrives exactly once.
//! 2. Async → thread: tasks wait (`.await`) on a `Latch` that a calibration
//!    thread counts down when its blocking work is done.
//! 3. Thread calls async code: a plain thread submits a request to an async
//!    service and blocks on a `Latch` until the service has answered into a
//!    `Mutex`; the answer must be right.
//!
//! Exits non-zero when any of these does not hold.
//!
//! Run: `cargo run --example sync_bridge`.

use std::collections::VecDeque;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use turnstile_sync::{Latch, Mutex, Semaphore, SemaphoreGuard};

const READINGS: u64 = 200;
const BUFFER: usize = 8;

/// 1. A sensor thread feeds async consumers through a bounded buffer.
async fn thread_feeds_tasks() -> Result<(), String> {
    let buffer = Arc::new(Mutex::new(VecDeque::new()));
    let free_slots = Arc::new(Semaphore::new(BUFFER));
    let filled = Arc::new(Semaphore::new(0));
    let sensor = {
        let (buffer, free_slots, filled) = (buffer.clone(), free_slots.clone(), filled.clone());
        std::thread::spawn(move || -> Result<(), String> {
            for reading in 0..READINGS {
                // Blocks this thread (not a runtime thread) when full.
                let slot = free_slots
                    .acquire_blocking()
                    .map_err(|e| format!("sensor: {e}"))?;
                SemaphoreGuard::forget(slot); // given back by the consumer
                buffer.lock_blocking().push_back(reading);
                filled.add_permits(1); // wakes a consumer task
            }
            Ok(())
        })
    };
    let consumers: Vec<_> = (0..3)
        .map(|_| {
            let (buffer, free_slots, filled) = (buffer.clone(), free_slots.clone(), filled.clone());
            tokio::spawn(async move {
                let mut got = Vec::new();
                // Closing `filled` ends the consumers once the sensor is done.
                while let Ok(item) = filled.acquire().await {
                    SemaphoreGuard::forget(item); // the sensor adds them
                    let reading = buffer.lock().await.pop_front().expect("a filled slot");
                    free_slots.add_permits(1); // may unblock the sensor thread
                    got.push(reading);
                }
                got
            })
        })
        .collect();
    let sensor_result = tokio::task::spawn_blocking(move || sensor.join())
        .await
        .map_err(|e| e.to_string())?
        .map_err(|_| "the sensor thread panicked".to_string())?;
    sensor_result?;
    // Let the consumers drain what is left, then stop them.
    while filled.available_permits() > 0 || !buffer.lock().await.is_empty() {
        tokio::task::yield_now().await;
    }
    filled.close();
    let mut all = Vec::new();
    for consumer in consumers {
        all.extend(consumer.await.map_err(|e| e.to_string())?);
    }
    all.sort_unstable();
    println!(
        "thread -> tasks: {} readings through an {BUFFER}-slot buffer, each exactly once: {}",
        all.len(),
        all == (0..READINGS).collect::<Vec<_>>()
    );
    if all != (0..READINGS).collect::<Vec<_>>() {
        return Err("readings lost or duplicated".into());
    }
    Ok(())
}

/// 2. Tasks wait for a thread's blocking work.
async fn tasks_wait_for_thread() -> Result<(), String> {
    let calibrated = Arc::new(Latch::new(1));
    let offset = Arc::new(Mutex::new(None::<u64>));
    let waiters: Vec<_> = (0..4u64)
        .map(|i| {
            let (calibrated, offset) = (calibrated.clone(), offset.clone());
            tokio::spawn(async move {
                calibrated.wait().await;
                let offset = offset.lock().await.expect("set before the latch opened");
                i * 10 + offset
            })
        })
        .collect();
    let calibration = {
        let (calibrated, offset) = (calibrated.clone(), offset.clone());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20)); // blocking driver work
            *offset.lock_blocking() = Some(7);
            calibrated.count_down();
        })
    };
    let mut results = Vec::new();
    for w in waiters {
        results.push(w.await.map_err(|e| e.to_string())?);
    }
    calibration
        .join()
        .map_err(|_| "calibration thread panicked")?;
    println!("tasks <- thread: 4 tasks waited for a thread's calibration: {results:?}");
    if results != [7, 17, 27, 37] {
        return Err(format!("results {results:?}"));
    }
    Ok(())
}

/// 3. A plain thread calls an async service and blocks for the answer.
fn thread_calls_async(runtime: &tokio::runtime::Runtime) -> Result<(), String> {
    struct Call {
        question: u64,
        answer: Mutex<Option<u64>>,
        answered: Latch,
    }
    let call = Arc::new(Call {
        question: 21,
        answer: Mutex::new(None),
        answered: Latch::new(1),
    });
    // The async service (it could await I/O, other locks, timers...).
    let service = {
        let call = call.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            *call.answer.lock().await = Some(call.question * 2);
            call.answered.count_down();
        }
    };
    runtime.spawn(service);
    // This thread has no executor: it blocks until the service has answered.
    let caller = {
        let call = call.clone();
        std::thread::spawn(move || {
            call.answered.wait_blocking();
            call.answer.lock_blocking().take()
        })
    };
    let answer = caller.join().map_err(|_| "caller thread panicked")?;
    println!("thread -> async -> thread: asked 21, the async service answered {answer:?}");
    if answer != Some(42) {
        return Err(format!("answer {answer:?}"));
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
    let result = runtime
        .block_on(thread_feeds_tasks())
        .and_then(|()| runtime.block_on(tasks_wait_for_thread()))
        .and_then(|()| thread_calls_async(&runtime));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}
