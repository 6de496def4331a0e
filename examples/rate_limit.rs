//! At most N downloads at once and at most K bytes in flight, with a
//! deadline on every wait and a clean shutdown.
//!
//! **The problem.** A service fetches files for its clients. Too many
//! downloads at once exhaust connections; too many bytes at once exhaust
//! memory. A request that cannot start soon should be answered "busy, try
//! later" rather than wait forever, and on shutdown the service must stop
//! taking new work, let what is running finish, and say what it refused.
//! Without limits, a burst of requests starts everything at once; with a
//! counter and polling, requests are served out of order and big ones can
//! wait forever behind a stream of small ones.
//!
//! **The fix.** Two `Semaphore`s: one permit per connection, one permit per
//! byte (a download of `s` bytes acquires `s` permits at once). turnstile's
//! semaphore is strictly FIFO across weights, so a large download is not
//! starved by small ones. Each request races its acquisitions against a
//! deadline with `WaitExt::until`; a wait given up leaves no trace (no
//! permit is lost or kept, and the waiters behind it are served at once).
//! `close()` refuses every waiting and later request, while downloads
//! already running keep their permits and finish.
//!
//! **What the program checks.** 40 requests of 4 to 40 KiB arrive every
//! couple of milliseconds at a service with 3 connections and a 64 KiB
//! budget; each may wait 25 ms to start. Progress is printed as it goes.
//! Shutdown comes while some still wait. It checks that never more than 3
//! downloads and 64 KiB were in flight, that every request ended exactly
//! one way (done, timed out, refused at shutdown), and that afterwards every
//! permit is back; it exits non-zero otherwise.
//!
//! Run: `cargo run --example rate_limit`.

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use turnstile_sync::{Closed, Semaphore, TimedOut, WaitExt};

const CONNECTIONS: usize = 3;
const BUDGET: usize = 64 * 1024;
const REQUESTS: usize = 40;
const START_DEADLINE: Duration = Duration::from_millis(25);

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Done,
    TimedOut,
    Refused,
}

struct Service {
    connections: Semaphore,
    bytes: Semaphore,
    /// Downloads and bytes in flight, and the peaks seen.
    running: AtomicUsize,
    in_flight: AtomicUsize,
    peak_running: AtomicUsize,
    peak_bytes: AtomicUsize,
}

impl Service {
    async fn download(&self, id: usize, size: usize) -> Outcome {
        // Both waits under one deadline: a connection, then the bytes.
        let start = async {
            let connection = self.connections.acquire().await?;
            let bytes = self.bytes.acquire_many(size).await?;
            Ok::<_, Closed>((connection, bytes))
        };
        let (_connection, _bytes) = match start.until(tokio::time::sleep(START_DEADLINE)).await {
            Ok(Ok(permits)) => permits,
            Ok(Err(Closed)) => {
                println!(
                    "  request {id:2} ({:2} KiB): refused, shutting down",
                    size / 1024
                );
                return Outcome::Refused;
            }
            Err(TimedOut) => {
                println!(
                    "  request {id:2} ({:2} KiB): busy, not started within {START_DEADLINE:?}",
                    size / 1024
                );
                return Outcome::TimedOut;
            }
        };
        let running = self.running.fetch_add(1, SeqCst) + 1;
        let bytes = self.in_flight.fetch_add(size, SeqCst) + size;
        self.peak_running.fetch_max(running, SeqCst);
        self.peak_bytes.fetch_max(bytes, SeqCst);
        println!(
            "  request {id:2} ({:2} KiB): downloading; {running} running, {:2} KiB in flight",
            size / 1024,
            bytes / 1024
        );
        // The transfer itself.
        tokio::time::sleep(Duration::from_millis(fastrand::u64(5..20))).await;
        self.in_flight.fetch_sub(size, SeqCst);
        self.running.fetch_sub(1, SeqCst);
        Outcome::Done
        // The permits go back here, when `_connection` and `_bytes` drop.
    }
}

async fn run() -> Result<(), String> {
    let service = Arc::new(Service {
        connections: Semaphore::new(CONNECTIONS),
        bytes: Semaphore::new(BUDGET),
        running: AtomicUsize::new(0),
        in_flight: AtomicUsize::new(0),
        peak_running: AtomicUsize::new(0),
        peak_bytes: AtomicUsize::new(0),
    });
    let mut requests = Vec::new();
    for id in 0..REQUESTS {
        let size = 1024 * fastrand::usize(4..=40);
        let service = service.clone();
        requests.push(tokio::spawn(
            async move { service.download(id, size).await },
        ));
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // Shutdown while requests still wait: refuse them, let running ones end.
    println!("shutting down: closing both semaphores");
    service.connections.close();
    service.bytes.close();
    let mut outcomes = Vec::new();
    for request in requests {
        outcomes.push(
            request
                .await
                .map_err(|e| format!("a request task failed: {e}"))?,
        );
    }
    let count = |o| outcomes.iter().filter(|&&x| x == o).count();
    let (done, timed_out, refused) = (
        count(Outcome::Done),
        count(Outcome::TimedOut),
        count(Outcome::Refused),
    );
    let (peak_running, peak_bytes) = (
        service.peak_running.load(SeqCst),
        service.peak_bytes.load(SeqCst),
    );
    println!(
        "{REQUESTS} requests: {done} downloaded, {timed_out} busy (deadline), {refused} refused at \
         shutdown; at most {peak_running} downloads and {} KiB in flight",
        peak_bytes / 1024
    );
    if peak_running > CONNECTIONS || peak_bytes > BUDGET {
        return Err("a limit was exceeded".into());
    }
    if done + timed_out + refused != REQUESTS || done == 0 {
        return Err("requests lost or none served".into());
    }
    let (connections, bytes) = (
        service.connections.available_permits(),
        service.bytes.available_permits(),
    );
    if connections != CONNECTIONS || bytes != BUDGET {
        return Err(format!(
            "permits not all back after shutdown: {connections} of {CONNECTIONS} connections, \
             {bytes} of {BUDGET} bytes"
        ));
    }
    println!(
        "every permit is back: {connections} connections, {} KiB",
        bytes / 1024
    );
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
