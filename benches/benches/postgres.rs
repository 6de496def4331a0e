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
//! - the same two with plain SQL on plain connections (`pg_advisory_lock`,
//!   `pg_advisory_unlock`): the floor the server sets, without sessions of
//!   their own, fencing tokens or guards.
//!
//! With `TURNSTILE_PG_URL` unset it starts the same throwaway cluster as the
//! tests (fsync off: WAL flushes cost nothing here; on a real disk each
//! acquisition's commit waits for one).

#[path = "../../postgres/tests/common/cluster.rs"]
mod cluster;

use std::sync::Arc;
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

        // Uncontended, interleaved so that the machine's load shifts all
        // three alike: SELECT 1, lock + unlock, plain SQL lock + unlock.
        let m = db.mutex("bench-uncontended");
        let (mut select, mut uncontended, mut raw_uncontended) = (vec![], vec![], vec![]);
        for round in 0..ROUNDS + ROUNDS / 10 {
            let t = Instant::now();
            client.simple_query("SELECT 1").await.unwrap();
            let s = t.elapsed();
            let t = Instant::now();
            m.lock().await.unwrap().unlock().await.unwrap();
            let u = t.elapsed();
            let t = Instant::now();
            client
                .simple_query("SELECT pg_advisory_lock(42)")
                .await
                .unwrap();
            client
                .simple_query("SELECT pg_advisory_unlock(42)")
                .await
                .unwrap();
            let r = t.elapsed();
            if round >= ROUNDS / 10 {
                select.push(s);
                uncontended.push(u);
                raw_uncontended.push(r);
            }
        }

        // Hand-offs, interleaved likewise: ours, then plain SQL's, then a
        // SELECT 1 as this loop's own yardstick.
        let key = Key::name("bench-handoff");
        let Key::Single(k) = key else { unreachable!() };
        let m = db.mutex(key);
        let mut holder = m.lock().await.unwrap();
        let sessions = [Arc::new(plain(&url).await), Arc::new(plain(&url).await)];
        let raw_k = k.wrapping_add(1);
        let lock_sql = format!("SELECT pg_advisory_lock({raw_k})");
        let unlock_sql = format!("SELECT pg_advisory_unlock({raw_k})");
        sessions[0].simple_query(&lock_sql).await.unwrap();
        let (mut handoff, mut raw_handoff, mut select2) = (vec![], vec![], vec![]);
        for i in 0..HANDOFFS {
            let waiter = tokio::spawn({
                let m = m.clone();
                async move {
                    let g = m.lock().await.unwrap();
                    (g, Instant::now())
                }
            });
            while !waiting(&client, k).await {
                tokio::task::yield_now().await;
            }
            let t0 = Instant::now();
            holder.unlock().await.unwrap();
            let (g, t1) = waiter.await.unwrap();
            handoff.push(t1 - t0);
            holder = g;

            let (raw_holder, raw_waiter) = (&sessions[i % 2], sessions[(i + 1) % 2].clone());
            let sql = lock_sql.clone();
            let task = tokio::spawn(async move {
                raw_waiter.simple_query(&sql).await.unwrap();
                Instant::now()
            });
            while !waiting(&client, raw_k).await {
                tokio::task::yield_now().await;
            }
            let t0 = Instant::now();
            raw_holder.simple_query(&unlock_sql).await.unwrap();
            raw_handoff.push(task.await.unwrap() - t0);

            let t = Instant::now();
            client.simple_query("SELECT 1").await.unwrap();
            select2.push(t.elapsed());
        }
        holder.unlock().await.unwrap();
        sessions[HANDOFFS % 2]
            .simple_query(&unlock_sql)
            .await
            .unwrap();

        let (s, u, ru) = (median(select), median(uncontended), median(raw_uncontended));
        let (s2, h, rh) = (median(select2), median(handoff), median(raw_handoff));
        let r = |d: Duration, base: Duration| d.as_secs_f64() / base.as_secs_f64();
        println!(
            "turnstile-postgres, medians ({ROUNDS} rounds, {HANDOFFS} hand-offs, interleaved)"
        );
        println!("| operation | median | ÷ `SELECT 1` | plain SQL | ÷ `SELECT 1` |");
        println!("| --- | --- | --- | --- | --- |");
        println!("| `SELECT 1` | {s:.1?} | 1.00 | | |");
        println!(
            "| uncontended lock + unlock | {u:.1?} | {:.2} | {ru:.1?} | {:.2} |",
            r(u, s),
            r(ru, s)
        );
        println!("| `SELECT 1` (hand-off loop) | {s2:.1?} | 1.00 | | |");
        println!(
            "| hand-off to a waiting session | {h:.1?} | {:.2} | {rh:.1?} | {:.2} |",
            r(h, s2),
            r(rh, s2)
        );
    });
}
