//! The other processes of turnstile-postgres' multi-process tests; also a
//! small tool to poke at locks on a server by hand.
//!
//! Run as `cargo run -p turnstile-postgres --example helper -- URL ...`.
//!
//! ```text
//! helper URL count KEY TASKS ITERATIONS   # locked read-modify-write of a counter
//! helper URL semaphore KEY PERMITS TASKS ITERATIONS
//! helper URL hold KEY                      # lock, print "locked TOKEN", sleep
//! helper URL wait KEY                      # print "waiting", lock, print "locked"
//! helper URL fenced KEY DATA_URL            # lock, print "locked TOKEN", read a line,
//!                                           # await lost() (10 s at most), print "lost=BOOL",
//!                                           # fenced write, print "written=ROWS"
//! ```
//!
//! `count` and `semaphore` use the table `turnstile_test(name text primary
//! key, holders int, max_holders int, count int)`, which the test creates.

use std::time::Duration;

use tokio_postgres::{Client, Config, NoTls};
use turnstile_postgres::{Database, Key};

fn usage() -> ! {
    eprintln!(
        "usage: helper URL (count KEY TASKS ITERATIONS | \
         semaphore KEY PERMITS TASKS ITERATIONS | hold KEY | wait KEY | fenced KEY DATA_URL)"
    );
    std::process::exit(2)
}

/// A plain client (for the test table), on tokio.
async fn plain_client(url: &str) -> Client {
    let config: Config = url.parse().expect("a valid URL");
    let connector = turnstile_postgres::TokioConnector::new(&config).expect("in a runtime");
    use turnstile_postgres::Connect;
    let stream = connector.open(&Default::default()).await.expect("connect");
    let (client, connection) = config.connect_raw(stream, NoTls).await.expect("session");
    tokio::spawn(connection);
    client
}

/// Enters the section: `holders + weight`, and checks the bound.
async fn enter(client: &Client, name: &str, weight: i32, bound: i32) -> i32 {
    let row = client
        .query_one(
            "UPDATE turnstile_test SET holders = holders + $2, \
             max_holders = greatest(max_holders, holders + $2) WHERE name = $1 RETURNING holders, count",
            &[&name, &weight],
        )
        .await
        .expect("update");
    let holders: i32 = row.get(0);
    assert!(
        holders <= bound,
        "{holders} holders of {name}, at most {bound} allowed"
    );
    row.get(1)
}

async fn leave(client: &Client, name: &str, weight: i32, count: i32) {
    // A read-modify-write: a second holder would lose an increment.
    client
        .execute(
            "UPDATE turnstile_test SET holders = holders - $2, count = $3 WHERE name = $1",
            &[&name, &weight, &(count + 1)],
        )
        .await
        .expect("update");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        usage()
    }
    let url = args[0].clone();
    let db = Database::tokio(&url).expect("a valid URL");
    let name = args[2].clone();
    let key = Key::name(&name);
    let number = |i: usize| -> u32 {
        args.get(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| usage())
    };
    match args[1].as_str() {
        "count" => {
            let (tasks, iterations) = (number(3), number(4));
            let mut handles = Vec::new();
            for _ in 0..tasks {
                let (db, url, name) = (db.clone(), url.clone(), name.clone());
                handles.push(tokio::spawn(async move {
                    let client = plain_client(&url).await;
                    for _ in 0..iterations {
                        let guard = db.mutex(key).lock().await.expect("lock");
                        let count = enter(&client, &name, 1, 1).await;
                        tokio::time::sleep(Duration::from_millis(1)).await;
                        leave(&client, &name, 1, count).await;
                        guard.unlock().await.expect("unlock");
                    }
                }));
            }
            for h in handles {
                h.await.expect("a task panicked");
            }
        }
        "semaphore" => {
            let (permits, tasks, iterations) = (number(3), number(4), number(5));
            let mut handles = Vec::new();
            for t in 0..tasks {
                let (db, url, name) = (db.clone(), url.clone(), name.clone());
                handles.push(tokio::spawn(async move {
                    let client = plain_client(&url).await;
                    let semaphore = db.semaphore(key, permits);
                    for i in 0..iterations {
                        let n = 1 + (t + i) % permits.min(2);
                        let guard = semaphore.acquire_many(n).await.expect("acquire");
                        let count = enter(&client, &name, n as i32, permits as i32).await;
                        tokio::time::sleep(Duration::from_millis(2)).await;
                        // Holders overlap here: count is not exact, holders is.
                        leave(&client, &name, n as i32, count).await;
                        guard.unlock().await.expect("unlock");
                    }
                }));
            }
            for h in handles {
                h.await.expect("a task panicked");
            }
        }
        "hold" => {
            let guard = db.mutex(key).lock().await.expect("lock");
            println!("locked {}", guard.fencing_token());
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        "wait" => {
            println!("waiting");
            let guard = db.mutex(key).lock().await.expect("lock");
            println!("locked {}", guard.fencing_token());
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        "fenced" => {
            // A holder that is paused (the test SIGSTOPs it) past the loss
            // of its session, then resumes and tries to write.
            let data = plain_client(args.get(3).unwrap_or_else(|| usage())).await;
            let guard = db.mutex(key).lock().await.expect("lock");
            let token = guard.fencing_token() as i64;
            println!("locked {token}");
            tokio::task::spawn_blocking(|| std::io::stdin().read_line(&mut String::new()))
                .await
                .expect("stdin")
                .expect("a line");
            let lost = tokio::time::timeout(Duration::from_secs(10), guard.lost())
                .await
                .is_ok();
            println!("lost={lost}");
            // The resource's rule: a write must carry a token no lower than
            // the highest it has seen.
            let written = data
                .execute(
                    "UPDATE turnstile_fence SET token = $2, writer = 'paused holder' \
                     WHERE name = $1 AND token <= $2",
                    &[&name, &token],
                )
                .await
                .expect("update");
            println!("written={written}");
        }
        _ => usage(),
    }
}
