//! Answers shown in click order.
//!
//! **The problem.** A page has an "increment" button. Each click sends a
//! request to a counter server, which increments and answers with the new
//! value; the page shows the answers as they come. A user clicks faster than
//! the server answers, and the server takes a varying time per request (a
//! busy database, a slow disk), so the answers overtake each other: the page
//! shows 1, 3, 2, 5, 4 … and the last thing on screen is not the count.
//!
//! **The fix.** The page holds a lock from sending a request to showing its
//! answer, so the next click's request waits until the previous answer is
//! on screen. The lock must hand itself over in the order the clicks came:
//! turnstile's `Semaphore` is strictly FIFO (a waiter is never passed by a
//! later one, not even by a `try_acquire`), so one permit makes a FIFO lock.
//! (`turnstile_sync::Mutex` lets a newcomer take a just-released lock ahead
//! of a woken waiter, which keeps it busy and is the right trade for
//! throughput, but would let a later click overtake an earlier one here.)
//!
//! **What the program checks.** A real TCP server on 127.0.0.1 (a port the
//! OS picks) with a random delay per request; three "browser tabs", each
//! clicking 12 times. Without the lock it reports whether the answers came
//! out of order (they almost always do). With it, every tab must show its
//! answers in increasing order and, all tabs together, every value from 1
//! to 36 exactly once; the program exits non-zero otherwise.
//!
//! Run: `cargo run --example ordered_counter`.

use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use turnstile_sync::Semaphore;

const TABS: usize = 3;
const CLICKS: usize = 12;

/// The counter server: one request per connection, as a page's `fetch` makes.
async fn serve(listener: TcpListener, counter: Arc<AtomicU64>) {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                eprintln!("server: accept failed: {e}");
                continue;
            }
        };
        let counter = counter.clone();
        tokio::spawn(async move {
            if let Err(e) = answer(stream, &counter).await {
                eprintln!("server: request failed: {e}");
            }
        });
    }
}

async fn answer(stream: TcpStream, counter: &AtomicU64) -> io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    BufReader::new(read).read_line(&mut line).await?;
    if line.trim() != "increment" {
        return write.write_all(b"error: unknown request\n").await;
    }
    // The server counts the request as it arrives...
    let value = counter.fetch_add(1, Ordering::SeqCst) + 1;
    // ...and its own work then takes a varying time.
    tokio::time::sleep(Duration::from_millis(fastrand::u64(1..15))).await;
    write.write_all(format!("{value}\n").as_bytes()).await
}

/// One click: send "increment", read the new value.
async fn click(server: SocketAddr) -> io::Result<u64> {
    let stream = TcpStream::connect(server).await?;
    let (read, mut write) = stream.into_split();
    write.write_all(b"increment\n").await?;
    let mut line = String::new();
    BufReader::new(read).read_line(&mut line).await?;
    line.trim()
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("answer {line:?}: {e}")))
}

/// A tab: `CLICKS` clicks a couple of milliseconds apart, each handled by a
/// task of its own (as a page's event handlers are), optionally holding
/// `lock` from sending to showing. Returns the values in the order shown.
async fn tab(server: SocketAddr, lock: Option<Arc<Semaphore>>) -> io::Result<Vec<u64>> {
    let shown = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut handlers = Vec::new();
    for _ in 0..CLICKS {
        let (lock, shown) = (lock.clone(), shown.clone());
        handlers.push(tokio::spawn(async move {
            // Held from send to display; FIFO, so clicks keep their order.
            let _turn = match &lock {
                Some(lock) => Some(lock.acquire().await.map_err(io::Error::other)?),
                None => None,
            };
            let value = click(server).await?;
            shown.lock().expect("display").push(value); // "render" it
            io::Result::Ok(())
        }));
        tokio::time::sleep(Duration::from_millis(2)).await; // the user's next click
    }
    for handler in handlers {
        handler.await.map_err(io::Error::other)??;
    }
    let shown = shown.lock().expect("display").clone();
    Ok(shown)
}

/// Runs `TABS` tabs at once against a fresh server; returns what each showed.
fn session(locked: bool) -> io::Result<Vec<Vec<u64>>> {
    // The page's event loop is one thread, as a browser's is: click
    // handlers start in click order.
    let page = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // The server runs on its own threads.
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let listener = server_rt.block_on(TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    let server = server_rt.spawn(serve(listener, Arc::new(AtomicU64::new(0))));

    let result = page.block_on(async {
        let tabs: Vec<_> = (0..TABS)
            .map(|_| {
                let lock = locked.then(|| Arc::new(Semaphore::new(1)));
                tokio::spawn(tab(addr, lock))
            })
            .collect();
        let mut shown = Vec::new();
        for t in tabs {
            shown.push(t.await.map_err(io::Error::other)??);
        }
        io::Result::Ok(shown)
    });
    // Clean shutdown: stop accepting, then drop the runtimes.
    server.abort();
    server_rt.shutdown_timeout(Duration::from_secs(1));
    result
}

fn in_order(values: &[u64]) -> bool {
    values.windows(2).all(|w| w[0] < w[1])
}

fn main() -> ExitCode {
    let unlocked = match session(false) {
        Ok(shown) => shown,
        Err(e) => {
            eprintln!("without the lock: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("without a lock, each tab shows its answers as they arrive:");
    for (i, values) in unlocked.iter().enumerate() {
        println!("  tab {i}: {values:?}");
    }
    let overtaken = unlocked.iter().filter(|v| !in_order(v)).count();
    println!("  {overtaken} of {TABS} tabs show answers out of click order\n");

    let locked = match session(true) {
        Ok(shown) => shown,
        Err(e) => {
            eprintln!("with the lock: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("holding a FIFO lock from send to display:");
    for (i, values) in locked.iter().enumerate() {
        println!("  tab {i}: {values:?}");
    }
    let mut all: Vec<u64> = locked.iter().flatten().copied().collect();
    all.sort_unstable();
    let every_value_once = all == (1..=(TABS * CLICKS) as u64).collect::<Vec<_>>();
    if locked.iter().all(|v| in_order(v)) && every_value_once {
        println!("  every tab shows its answers in click order");
        ExitCode::SUCCESS
    } else {
        eprintln!("FAILED: with the lock, answers were shown out of click order or lost");
        ExitCode::FAILURE
    }
}
