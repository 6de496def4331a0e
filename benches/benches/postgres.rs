//! turnstile-postgres against a plain `SELECT 1` round trip on the same
//! server, as ratios (`cargo bench -p turnstile-benches --bench postgres`).
//!
//! - `SELECT 1`: one simple-protocol round trip on a plain connection (the
//!   protocol the locks use);
//! - `lock + unlock`: an uncontended `Mutex::lock` then `unlock()` on a
//!   reused session (two round trips, plus the fencing token's transaction
//!   id and WAL record, server-side);
//! - `hand-off`: a holder and a waiter on two sessions (as two processes
//!   would be: the server sees only sessions); from just before the holder
//!   sends its unlock to the waiter's `lock()` returning. The server wakes
//!   the waiter; nothing polls.
//!
//! With `TURNSTILE_PG_URL` unset it starts the same throwaway cluster as the
//! tests (fsync off: WAL flushes cost nothing here; on a real disk each
//! acquisition's commit waits for one).

#[path = "../../postgres/tests/common/cluster.rs"]
mod cluster;

use std::time::{Duration, Instant};

use turnstile_postgres::tokio_postgres::{Client, Config, NoTls};
use turnstile_postgres::{Connect, Database, Key, TokioConnector};

const ROUNDS: usize = 2000;
const HANDOFFS: usize = 300;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn plain(url: &str) -> Client {
    let config: Config = url.parse().unwrap();
    let connector = TokioConnector::new(&config).unwrap();
    let stream = connector.open(&Default::default()).await.unwrap();
    let (client, connection) = config.connect_raw(stream, NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

async fn waiting(client: &Client, key: i64) -> bool {
    let row = client
        .query_one(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted \
             AND classid = (($1::int8 >> 32) & 4294967295)::oid \
             AND objid = ($1::int8 & 4294967295)::oid AND objsubid = 1",
            &[&key],
        )
        .await
        .unwrap();
    row.get::<_, i64>(0) == 1
}

fn main() {
    let (url, _cluster) = match std::env::var("TURNSTILE_PG_URL") {
        Ok(url) => (url, None),
        Err(_) => {
            let c = cluster::Cluster::start();
            (c.url(), Some(c))
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = plain(&url).await;
        let db = Database::tokio(&url).unwrap();

        let mut select = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS / 10 {
            client.simple_query("SELECT 1").await.unwrap();
        }
        for _ in 0..ROUNDS {
            let t = Instant::now();
            client.simple_query("SELECT 1").await.unwrap();
            select.push(t.elapsed());
        }

        let m = db.mutex("bench-uncontended");
        let mut uncontended = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS / 10 {
            m.lock().await.unwrap().unlock().await.unwrap();
        }
        for _ in 0..ROUNDS {
            let t = Instant::now();
            let g = m.lock().await.unwrap();
            g.unlock().await.unwrap();
            uncontended.push(t.elapsed());
        }

        let key = Key::name("bench-handoff");
        let Key::Single(raw) = key else {
            unreachable!()
        };
        let m = db.mutex(key);
        let mut holder = m.lock().await.unwrap();
        let mut handoff = Vec::with_capacity(HANDOFFS);
        for _ in 0..HANDOFFS {
            let waiter = tokio::spawn({
                let m = m.clone();
                async move {
                    let g = m.lock().await.unwrap();
                    (g, Instant::now())
                }
            });
            while !waiting(&client, raw).await {
                tokio::task::yield_now().await;
            }
            let t0 = Instant::now();
            holder.unlock().await.unwrap();
            let (g, t1) = waiter.await.unwrap();
            handoff.push(t1 - t0);
            holder = g;
        }
        holder.unlock().await.unwrap();

        let (s, u, h) = (median(select), median(uncontended), median(handoff));
        let ratio = |d: Duration| d.as_secs_f64() / s.as_secs_f64();
        println!("turnstile-postgres, medians ({ROUNDS} rounds, {HANDOFFS} hand-offs)");
        println!("| operation | median | round trips (÷ SELECT 1) |");
        println!("| --- | --- | --- |");
        println!("| `SELECT 1` | {s:.1?} | 1.00 |");
        println!("| uncontended lock + unlock | {u:.1?} | {:.2} |", ratio(u));
        println!(
            "| hand-off to a waiting session | {h:.1?} | {:.2} |",
            ratio(h)
        );
    });
}
