//! turnstile-postgres against a real PostgreSQL server.
//!
//! With `TURNSTILE_PG_URL` set (a superuser's URL on 127.0.0.1, e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`), the tests use that
//! server. Otherwise this harness starts a throwaway cluster itself: it
//! finds `initdb` and `pg_ctl` under `/usr/lib/postgresql/*/bin` (or on
//! PATH), initdb's into a temporary directory, starts it on a free port of
//! 127.0.0.1 (fsync off), as the `postgres` user when run as root, and
//! stops it and removes the directory at the end, also when a test fails.
//!
//! Arguments filter the tests by substring, as libtest's do. The harness is
//! its own (`harness = false`) so that the cluster lives exactly as long as
//! the test run; tests run one after another (each starts its own runtime).

use std::future::Future;
use std::io::{BufRead, BufReader};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_postgres::{Client, Config, NoTls};
use turnstile_postgres::{Connect, Database, Error, Key, Settings, SmolConnector, TokioConnector};

/// The generous bound of every liveness check: nothing here asserts on
/// time more precisely.
const LIVENESS: Duration = Duration::from_secs(10);

#[path = "common/cluster.rs"]
mod cluster;
use cluster::{run, Cluster};

// ---------------------------------------------------------------- context

struct Ctx {
    url: String,
    cluster: Option<Cluster>,
}

impl Ctx {
    /// The URL with an application name, so that a test can find its own
    /// sessions in `pg_stat_activity`.
    fn url_as(&self, application: &str) -> String {
        let sep = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{sep}application_name={application}", self.url)
    }
}

/// The runtime a test runs on: each test that does not depend on one runs
/// on both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rt {
    Tokio,
    Smol,
}

impl Rt {
    fn name(self) -> &'static str {
        match self {
            Rt::Tokio => "tokio",
            Rt::Smol => "smol",
        }
    }

    fn block_on<F: Future>(self, f: F) -> F::Output {
        match self {
            Rt::Tokio => tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap()
                .block_on(f),
            Rt::Smol => smol::block_on(f),
        }
    }

    /// `Database::tokio` or `Database::smol` (inside `block_on`).
    fn db(self, url: &str) -> Result<Database, Error> {
        match self {
            Rt::Tokio => Database::tokio(url),
            Rt::Smol => Database::smol(url),
        }
    }

    fn connector(self, url: &str) -> Box<dyn Connect> {
        let config: Config = url.parse().unwrap();
        match self {
            Rt::Tokio => Box::new(TokioConnector::new(&config).unwrap()),
            Rt::Smol => Box::new(SmolConnector::new(&config).unwrap()),
        }
    }

    /// A plain client for the test's own checks.
    async fn plain(self, url: &str) -> Client {
        plain(url, &*self.connector(url)).await
    }

    async fn sleep(self, d: Duration) {
        match self {
            Rt::Tokio => tokio::time::sleep(d).await,
            Rt::Smol => {
                smol::Timer::after(d).await;
            }
        }
    }

    /// Runs `f` as a task; the returned future yields its output (and
    /// panics if the task did).
    fn spawn<T: Send + 'static>(
        self,
        f: impl Future<Output = T> + Send + 'static,
    ) -> Pin<Box<dyn Future<Output = T> + Send>> {
        match self {
            Rt::Tokio => {
                let handle = tokio::spawn(f);
                Box::pin(async move { handle.await.expect("a task panicked") })
            }
            Rt::Smol => Box::pin(smol::spawn(f)),
        }
    }

    /// `f`'s output, or `None` after `d`.
    async fn timeout<T>(self, d: Duration, f: impl Future<Output = T>) -> Option<T> {
        smol::future::or(async { Some(f.await) }, async {
            self.sleep(d).await;
            None
        })
        .await
    }
}

/// A plain client through any connector: for the tests' own checks.
async fn plain(url: &str, connector: &dyn Connect) -> Client {
    let config: Config = url.parse().unwrap();
    let stream = connector.open(&Default::default()).await.unwrap();
    let (client, connection) = config.connect_raw(stream, NoTls).await.unwrap();
    connector.spawn(Box::pin(async move {
        let _ = connection.await;
    }));
    client
}

/// Granted and waiting advisory locks on `key` (all modes), from `pg_locks`,
/// optionally only of sessions with this application name.
async fn locks(client: &Client, key: Key, application: Option<&str>) -> (i64, i64) {
    let (classid, objid, objsubid) = match key {
        Key::Single(k) => (((k as u64) >> 32) as u32, k as u32, 1),
        Key::Pair(a, b) => (a as u32, b as u32, 2),
    };
    let row = client
        .query_one(
            &format!(
                "SELECT count(*) FILTER (WHERE l.granted), count(*) FILTER (WHERE NOT l.granted) \
                 FROM pg_locks l JOIN pg_stat_activity a USING (pid) \
                 WHERE l.locktype = 'advisory' AND l.classid = {classid}::oid \
                 AND l.objid = {objid}::oid AND l.objsubid = {objsubid} \
                 AND ($1::text IS NULL OR a.application_name = $1)"
            ),
            &[&application],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

/// Polls (a test's check, not the library's) until `f` holds, for at most
/// [`LIVENESS`].
async fn eventually<F, Fut>(what: &str, sleep: impl Fn(Duration) -> Fut, mut f: F)
where
    F: AsyncFnMut() -> bool,
    Fut: std::future::Future<Output = ()>,
{
    let start = Instant::now();
    while !f().await {
        assert!(
            start.elapsed() < LIVENESS,
            "not within {LIVENESS:?}: {what}"
        );
        sleep(Duration::from_millis(20)).await;
    }
}

fn helper() -> PathBuf {
    example("helper")
}

fn example(name: &str) -> PathBuf {
    // target/<profile>/deps/server-<hash> → target/<profile>/examples/<name>
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: run through `cargo test`, which builds it",
        path.display()
    );
    path
}

/// A helper process; killed (SIGKILL) and reaped on drop.
struct Proc(Child);

impl Proc {
    fn spawn(args: &[&str]) -> Proc {
        Proc(
            Command::new(helper())
                .args(args)
                .stdout(Stdio::piped())
                .spawn()
                .expect("spawn the helper"),
        )
    }

    /// Reads stdout lines until one starts with `prefix`.
    fn expect_line(&mut self, prefix: &str) -> String {
        let stdout = self.0.stdout.as_mut().unwrap();
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        loop {
            line.clear();
            assert!(
                reader.read_line(&mut line).unwrap() > 0,
                "the helper exited before printing {prefix:?}"
            );
            if line.starts_with(prefix) {
                return line.trim().to_string();
            }
        }
    }

    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

// ---------------------------------------------------------------- tests

/// Four processes, 100 locked read-modify-writes of one counter: every
/// increment survives and no two holders ever overlap.
fn mutex_excludes_across_processes(ctx: &Ctx, rt: Rt) {
    rt.block_on(async {
        let client = rt.plain(&ctx.url).await;
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS turnstile_test (name text PRIMARY KEY, holders int, \
                 max_holders int, count int); \
                 INSERT INTO turnstile_test VALUES ('mutex-counter', 0, 0, 0) ON CONFLICT (name) \
                 DO UPDATE SET holders = 0, max_holders = 0, count = 0",
            )
            .await
            .unwrap();
        let procs: Vec<Child> = (0..4)
            .map(|_| {
                Command::new(helper())
                    .args([&ctx.url, "count", "mutex-counter", "5", "5"])
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut p in procs {
            assert!(p.wait().unwrap().success(), "a helper process failed");
        }
        let row = client
            .query_one("SELECT max_holders, count, holders FROM turnstile_test WHERE name = 'mutex-counter'", &[])
            .await
            .unwrap();
        assert_eq!((row.get::<_, i32>(0), row.get::<_, i32>(1), row.get::<_, i32>(2)), (1, 100, 0));
    });
}

/// Two processes of three tasks take 1 or 2 permits of a 3-permit semaphore:
/// the permits held never exceed 3.
fn semaphore_never_above_n(ctx: &Ctx, rt: Rt) {
    rt.block_on(async {
        let client = rt.plain(&ctx.url).await;
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS turnstile_test (name text PRIMARY KEY, holders int, \
                 max_holders int, count int); \
                 INSERT INTO turnstile_test VALUES ('semaphore', 0, 0, 0) ON CONFLICT (name) \
                 DO UPDATE SET holders = 0, max_holders = 0, count = 0",
            )
            .await
            .unwrap();
        let procs: Vec<Child> = (0..2)
            .map(|_| {
                Command::new(helper())
                    .args([&ctx.url, "semaphore", "semaphore", "3", "3", "6"])
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut p in procs {
            assert!(p.wait().unwrap().success(), "a helper process failed");
        }
        let row = client
            .query_one(
                "SELECT max_holders, holders FROM turnstile_test WHERE name = 'semaphore'",
                &[],
            )
            .await
            .unwrap();
        let (max, now): (i32, i32) = (row.get(0), row.get(1));
        assert!(max <= 3, "{max} permits were held at once");
        assert!(
            max >= 2,
            "the semaphore never admitted two permits at once ({max})"
        );
        assert_eq!(now, 0);
    });
}

/// Semaphore details: FIFO through the gate (a try while the head waits
/// takes nothing), weighted acquisitions, misuse, a deadline that holds
/// nothing when it fails.
fn semaphore_gate_weights_and_misuse(ctx: &Ctx, rt: Rt) {
    rt.block_on(async {
        let db = rt.db(&ctx.url_as("semaphore-gate")).unwrap();
        let sem = db.semaphore("semaphore-gate", 3);
        let two = sem.acquire_many(2).await.unwrap();
        assert_eq!(two.permits(), 2);
        // Exactly two slot locks and no gate: no extra slot was tried.
        let held: i64 = rt.plain(&ctx.url)
            .await
            .query_one(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) \
                 WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'semaphore-gate'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(held, 2, "advisory locks held for 2 permits");
        let one = sem
            .try_acquire()
            .await
            .unwrap()
            .expect("one permit is free");
        assert!(
            sem.try_acquire().await.unwrap().is_none(),
            "no permit is free"
        );
        // The head of the queue wants 2 and waits at the slots with the gate.
        let head = rt.spawn({
            let sem = sem.clone();
            async move { sem.acquire_many(2).await }
        });
        let client = rt.plain(&ctx.url).await;
        eventually("the head waits", |d| rt.sleep(d), async || {
            locks(&client, Key::name("semaphore-gate"), None).await.0 == 1
        })
        .await;
        one.unlock().await.unwrap();
        // One permit is free now, but the head is first: a try takes nothing.
        rt.sleep(Duration::from_millis(100)).await;
        assert!(
            sem.try_acquire().await.unwrap().is_none(),
            "a try overtook the head of the queue"
        );
        let err = sem
            .acquire_many_timeout(1, Duration::from_millis(50))
            .await
            .unwrap_err();
        assert!(err.is_timeout(), "{err}");
        two.unlock().await.unwrap();
        let head = rt.timeout(LIVENESS, head).await.unwrap().unwrap();
        assert_eq!(head.permits(), 2);
        let err = sem.acquire_many(4).await.unwrap_err();
        assert!(matches!(err, Error::Misuse { .. }), "{err}");
        drop(head);
        eventually("all permits free", |d| rt.sleep(d), async || {
            sem.try_acquire_many(3).await.unwrap().is_some()
        })
        .await;
    });
}

/// Readers overlap each other, never a writer; a queued writer makes new
/// readers wait (no writer starvation).
fn rwlock_readers_and_writers(ctx: &Ctx, rt: Rt) {
    rt.block_on(async {
        let db = rt.db(&ctx.url).unwrap();
        let lock = db.rwlock("rwlock");
        let readers = Arc::new(AtomicI32::new(0));
        let writers = Arc::new(AtomicI32::new(0));
        let max_readers = Arc::new(AtomicI32::new(0));
        let mut tasks = Vec::new();
        for t in 0..6 {
            let (lock, readers, writers, max_readers) = (
                lock.clone(),
                readers.clone(),
                writers.clone(),
                max_readers.clone(),
            );
            tasks.push(rt.spawn(async move {
                for i in 0..6 {
                    if (t + i) % 3 == 0 {
                        let g = lock.write().await.unwrap();
                        assert_eq!(writers.fetch_add(1, Ordering::SeqCst), 0, "two writers");
                        assert_eq!(readers.load(Ordering::SeqCst), 0, "a reader during a write");
                        rt.sleep(Duration::from_millis(3)).await;
                        writers.fetch_sub(1, Ordering::SeqCst);
                        g.unlock().await.unwrap();
                    } else {
                        let g = lock.read().await.unwrap();
                        let now = readers.fetch_add(1, Ordering::SeqCst) + 1;
                        max_readers.fetch_max(now, Ordering::SeqCst);
                        assert_eq!(writers.load(Ordering::SeqCst), 0, "a write during a read");
                        rt.sleep(Duration::from_millis(3)).await;
                        readers.fetch_sub(1, Ordering::SeqCst);
                        g.unlock().await.unwrap();
                    }
                }
            }));
        }
        for t in tasks {
            t.await;
        }
        assert!(max_readers.load(Ordering::SeqCst) >= 1);

        // Writer preference: a reader holds, a writer queues, a new reader waits.
        let r1 = lock.read().await.unwrap();
        let r2 = lock.try_read().await.unwrap().expect("readers share");
        let writer = rt.spawn({
            let lock = lock.clone();
            async move { lock.write().await }
        });
        let client = rt.plain(&ctx.url).await;
        eventually(
            "the writer waits",
            |d| rt.sleep(d),
            async || locks(&client, Key::name("rwlock"), None).await.1 == 1,
        )
        .await;
        assert!(
            lock.try_read().await.unwrap().is_none(),
            "a reader overtook a queued writer"
        );
        drop((r1, r2));
        let w = rt.timeout(LIVENESS, writer).await.unwrap().unwrap();
        assert!(lock.try_read().await.unwrap().is_none());
        w.unlock().await.unwrap();
    });
}

/// try_lock, fencing tokens rising across holders, key spaces shared with
/// plain SQL, explicit unlock reusing the session.
fn mutex_basics(ctx: &Ctx, rt: Rt) {
    rt.block_on(async {
        let db = rt.db(&ctx.url).unwrap();
        let m = db.mutex(Key::pair(7, -3));
        let g1 = m.lock().await.unwrap();
        assert!(m.try_lock().await.unwrap().is_none());
        let client = rt.plain(&ctx.url).await;
        let taken: bool = client
            .query_one("SELECT pg_try_advisory_lock(7, -3)", &[])
            .await
            .unwrap()
            .get(0);
        assert!(!taken, "plain SQL could take a held pair key");
        let t1 = g1.fencing_token();
        g1.unlock().await.unwrap();
        let g2 = m.try_lock().await.unwrap().expect("free after unlock");
        assert!(g2.fencing_token() > t1, "fencing tokens must rise");
        let t2 = g2.fencing_token();
        drop(g2); // closes the session: the server frees the lock
        let g3 = rt.timeout(LIVENESS, m.lock()).await.unwrap().unwrap();
        assert!(g3.fencing_token() > t2);
        g3.unlock().await.unwrap();
        // A named key is FNV-1a 64 of the name, as plain SQL can compute too.
        let n = db.mutex("a").lock().await.unwrap();
        let taken: bool = client
            .query_one("SELECT pg_try_advisory_lock(-5808556873153909620)", &[])
            .await
            .unwrap()
            .get(0);
        assert!(!taken, "Key::name(\"a\") is not 0xaf63dc4c8601ec8c");
        assert!(!n.is_lost());
        n.unlock().await.unwrap();
    });
}

/// Idle sessions kept for reuse are terminated by the server: the next
/// acquisitions still succeed (a dead idle session is discarded, or its
/// first query fails and the acquisition retries on a fresh session).
fn idle_sessions_killed_are_replaced(ctx: &Ctx, rt: Rt) {
    rt.block_on(async {
        let db = rt.db(&ctx.url_as("reuse")).unwrap();
        let client = rt.plain(&ctx.url).await;
        for round in 0..3 {
            let guards = [
                db.mutex("reuse-a").lock().await.unwrap(),
                db.mutex("reuse-b").lock().await.unwrap(),
            ];
            for g in guards {
                g.unlock().await.unwrap(); // back to the idle list
            }
            let sem = db.semaphore("reuse-sem", 2).acquire().await.unwrap();
            sem.unlock().await.unwrap();
            client
                .execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'reuse'",
                    &[],
                )
                .await
                .unwrap();
            let g = db.mutex("reuse-a").lock().await.unwrap_or_else(|e| panic!("round {round}: {e}"));
            let p = db.semaphore("reuse-sem", 2).acquire().await.unwrap_or_else(|e| panic!("round {round}: {e}"));
            drop((g, p));
        }
    });
}

/// The `signup_race` example: two processes, one e-mail, one winner.
fn signup_race_example(ctx: &Ctx, _: Rt) {
    let out = Command::new(example("signup_race"))
        .arg(&ctx.url)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("exactly one process signed"), "{stdout}");
}

/// A holder process killed with SIGKILL: another process gets the lock
/// (the server frees it as the dead client's socket closes).
fn killed_holder_frees_lock(ctx: &Ctx, rt: Rt) {
    rt.block_on(async {
        let db = rt.db(&ctx.url).unwrap();
        let mut holder = Proc::spawn(&[&ctx.url, "hold", "killed-holder"]);
        holder.expect_line("locked");
        let m = db.mutex("killed-holder");
        assert!(m.try_lock().await.unwrap().is_none());
        let start = Instant::now();
        holder.kill();
        let g = rt
            .timeout(LIVENESS, m.lock())
            .await
            .expect("lock after kill -9")
            .unwrap();
        println!(
            "    acquired {:?} after the holder's kill -9",
            start.elapsed()
        );
        g.unlock().await.unwrap();
    });
}

/// A waiter process killed with SIGKILL leaves the server's queue
/// (client_connection_check_interval) and never takes a turn.
fn killed_waiter_takes_no_turn(ctx: &Ctx, rt: Rt) {
    rt.block_on(async {
        let db = rt.db(&ctx.url).unwrap();
        let client = rt.plain(&ctx.url).await;
        let key = Key::name("killed-waiter");
        let g = db.mutex(key).lock().await.unwrap();
        let mut waiter = Proc::spawn(&[&ctx.url, "wait", "killed-waiter"]);
        waiter.expect_line("waiting");
        eventually(
            "the helper waits",
            |d| rt.sleep(d),
            async || locks(&client, key, None).await.1 == 1,
        )
        .await;
        waiter.kill();
        eventually(
            "the dead waiter leaves the queue",
            |d| rt.sleep(d),
            async || locks(&client, key, None).await.1 == 0,
        )
        .await;
        g.unlock().await.unwrap();
        assert_eq!(
            locks(&client, key, None).await,
            (0, 0),
            "someone took the turn"
        );
    });
}

/// `pg_terminate_backend` on a holder's session: `lost()` resolves,
/// `unlock()` says the connection was lost, the lock is free.
fn terminate_backend_fires_lost(ctx: &Ctx, rt: Rt) {
    rt.block_on(async {
        let db = rt.db(&ctx.url_as("terminated")).unwrap();
        let client = rt.plain(&ctx.url).await;
        let g = db.mutex("terminated").lock().await.unwrap();
        assert!(!g.is_lost());
        let n: i64 = client
            .query_one(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE application_name = 'terminated') AS t",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 1);
        let e = rt
            .timeout(LIVENESS, g.lost())
            .await
            .expect("lost() within the bound");
        assert!(e.is_connection_lost(), "{e}");
        println!("    lost(): {e}");
        assert!(g.is_lost());
        let e = g.unlock().await.unwrap_err();
        assert!(e.is_connection_lost(), "{e}");
        let _free = db
            .mutex("terminated")
            .try_lock()
            .await
            .unwrap()
            .expect("free after terminate");
    });
}

/// `idle_session_timeout` (what bounds a stalled holder, e.g. one under
/// SIGSTOP) ends the holder's session: `lost()` fires, the next holder gets
/// a higher fencing token, so a resource that keeps the highest token seen
/// rejects the stale holder.
fn idle_session_timeout_ends_holder(ctx: &Ctx, rt: Rt) {
    rt.block_on(async {
        let url = format!(
            "{}&options=-c%20idle_session_timeout%3D300",
            ctx.url_as("idle-timeout")
        );
        let stalled = rt.db(&url).unwrap();
        let g = stalled.mutex("idle-timeout").lock().await.unwrap();
        let stale = g.fencing_token();
        let e = rt
            .timeout(LIVENESS, g.lost())
            .await
            .expect("lost() within the bound");
        assert!(e.is_connection_lost(), "{e}");
        let db = rt.db(&ctx.url).unwrap();
        let next = db.mutex("idle-timeout").lock().await.unwrap();
        let mut highest = next.fencing_token();
        // The resource: accepts a token only if not below the highest seen.
        let mut accept = |token: u64| {
            let ok = token >= highest;
            highest = highest.max(token);
            ok
        };
        assert!(!accept(stale), "the stale holder's token was accepted");
        next.unlock().await.unwrap();
    });
}

/// A holder process under SIGSTOP keeps its lock (the server cannot tell a
/// paused client from a slow one); with `idle_session_timeout` the server
/// ends its session, another holder takes over with a higher fencing token,
/// and when the paused holder resumes its `lost()` has fired and the
/// resource refuses its stale write.
fn sigstop_holder_is_fenced(ctx: &Ctx, rt: Rt) {
    let signal = |sig: &str, p: &Proc| {
        run(Command::new("kill").args([sig, &p.0.id().to_string()]));
    };
    rt.block_on(async {
        let db = rt.db(&ctx.url).unwrap();
        // Without a timeout: the lock stays held while the holder is stopped.
        let mut holder = Proc::spawn(&[&ctx.url, "hold", "sigstop-plain"]);
        holder.expect_line("locked");
        signal("-STOP", &holder);
        rt.sleep(Duration::from_millis(1500)).await;
        assert!(db.mutex("sigstop-plain").try_lock().await.unwrap().is_none(), "a paused holder lost its lock");
        signal("-CONT", &holder);
        holder.kill();

        // With idle_session_timeout: fenced out.
        let client = rt.plain(&ctx.url).await;
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS turnstile_fence (name text PRIMARY KEY, token bigint, writer text); \
                 INSERT INTO turnstile_fence VALUES ('sigstop', 0, '') ON CONFLICT (name) \
                 DO UPDATE SET token = 0, writer = ''",
            )
            .await
            .unwrap();
        let lock_url = format!("{}?options=-c%20idle_session_timeout%3D500", ctx.url);
        let mut paused = Proc(
            Command::new(helper())
                .args([&lock_url, "fenced", "sigstop", &ctx.url])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let stale: u64 = paused.expect_line("locked ")["locked ".len()..].parse().unwrap();
        signal("-STOP", &paused);
        let next = rt.timeout(LIVENESS, db.mutex("sigstop").lock())
            .await
            .expect("the server ends the paused holder's session")
            .unwrap();
        assert!(next.fencing_token() > stale);
        let written = client
            .execute(
                "UPDATE turnstile_fence SET token = $2, writer = 'new holder' WHERE name = $1 AND token <= $2",
                &[&"sigstop", &(next.fencing_token() as i64)],
            )
            .await
            .unwrap();
        assert_eq!(written, 1);
        next.unlock().await.unwrap();
        signal("-CONT", &paused);
        use std::io::Write;
        writeln!(paused.0.stdin.as_mut().unwrap(), "go").unwrap();
        assert_eq!(paused.expect_line("lost="), "lost=true", "the resumed holder's lost() did not fire");
        assert_eq!(paused.expect_line("written="), "written=0", "the stale token was accepted");
        let writer: String = client
            .query_one("SELECT writer FROM turnstile_fence WHERE name = 'sigstop'", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(writer, "new holder");
    });
}

/// The tokio runtime that drives a guard's session shuts down while the
/// guard lives: `lost()` still resolves (the driver task was dropped), and
/// the lock is free on the server (the socket closed with it).
fn runtime_shutdown_fires_lost(ctx: &Ctx, _: Rt) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let guard = runtime.block_on(async {
        Database::tokio(&ctx.url)
            .unwrap()
            .mutex("shutdown")
            .lock()
            .await
            .unwrap()
    });
    drop(runtime);
    smol::block_on(async {
        let lost = Rt::Smol
            .timeout(LIVENESS, guard.lost())
            .await
            .expect("lost() within the bound");
        assert!(lost.is_connection_lost(), "{lost}");
        println!("    {lost}");
        let db = Database::smol(&ctx.url).unwrap();
        let g = Rt::Smol
            .timeout(LIVENESS, db.mutex("shutdown").lock())
            .await
            .expect("the lock is freed")
            .unwrap();
        g.unlock().await.unwrap();
    });
}

/// Two transactions take two keys crosswise with `lock_xact`: the server's
/// detector breaks the cycle and one of them gets `Error::Deadlock`.
fn deadlock_is_reported(ctx: &Ctx, rt: Rt) {
    rt.block_on(async {
        let db = rt.db(&ctx.url).unwrap();
        let mut c1 = rt.plain(&ctx.url).await;
        let mut c2 = rt.plain(&ctx.url).await;
        let (a, b) = (db.mutex("deadlock-a"), db.mutex("deadlock-b"));
        let t1 = c1.transaction().await.unwrap();
        let t2 = c2.transaction().await.unwrap();
        a.lock_xact(&t1).await.unwrap();
        b.lock_xact(&t2).await.unwrap();
        assert!(a.try_lock_xact(&t2).await.unwrap().is_none());
        let (r1, r2) = rt
            .timeout(LIVENESS, async {
                smol::future::zip(
                    async {
                        let r = b.lock_xact(&t1).await;
                        if r.is_err() {
                            t1.rollback().await.unwrap();
                        } else {
                            t1.commit().await.unwrap();
                        }
                        r
                    },
                    async {
                        let r = a.lock_xact(&t2).await;
                        if r.is_err() {
                            t2.rollback().await.unwrap();
                        } else {
                            t2.commit().await.unwrap();
                        }
                        r
                    },
                )
                .await
            })
            .await
            .expect("the deadlock is broken within the bound");
        let errors: Vec<Error> = [r1, r2].into_iter().filter_map(Result::err).collect();
        assert_eq!(errors.len(), 1, "exactly one side is chosen: {errors:?}");
        assert!(errors[0].is_deadlock(), "{}", errors[0]);
        assert!(errors[0].to_string().contains("deadlock"), "{}", errors[0]);
        println!("    {}", errors[0]);
    });
}

/// A `lock()` dropped mid-wait leaves nothing behind: its wait leaves the
/// server's queue, and after the holder unlocks nobody holds the key.
fn dropped_lock_leaves_no_lock(ctx: &Ctx, rt: Rt) {
    rt.block_on(async {
        // client_connection_check_interval off: only the cancel request
        // can take the abandoned wait out of the queue this quickly.
        let mut settings = Settings::default();
        settings.connection_check_interval = Duration::ZERO;
        let config: Config = ctx.url.parse().unwrap();
        let db = match rt {
            Rt::Tokio => Database::with_settings(
                config.clone(),
                TokioConnector::new(&config).unwrap(),
                settings,
            ),
            Rt::Smol => Database::with_settings(
                config.clone(),
                SmolConnector::new(&config).unwrap(),
                settings,
            ),
        };
        let client = rt.plain(&ctx.url).await;
        let key = Key::name(&format!("dropped-{}", rt.name()));
        let m = db.mutex(key);
        let holder = m.lock().await.unwrap();
        {
            let pending = m.lock();
            let mut pending = std::pin::pin!(pending);
            // Poll the wait until the server shows it queued, then drop it.
            let start = Instant::now();
            loop {
                let polled = poll_once(pending.as_mut()).await;
                assert!(polled.is_none(), "granted while held");
                if locks(&client, key, None).await.1 == 1 {
                    break;
                }
                assert!(
                    start.elapsed() < LIVENESS,
                    "the wait never reached the server"
                );
                rt.sleep(Duration::from_millis(5)).await;
            }
        }
        eventually(
            "the cancelled wait leaves the queue",
            |d| rt.sleep(d),
            async || locks(&client, key, None).await.1 == 0,
        )
        .await;
        holder.unlock().await.unwrap();
        rt.sleep(Duration::from_millis(200)).await;
        assert_eq!(
            locks(&client, key, None).await,
            (0, 0),
            "a lock was left behind"
        );
        let g = m.try_lock().await.unwrap().expect("free");
        g.unlock().await.unwrap();
    });
}

/// Polls a future once.
async fn poll_once<F: Future + Unpin>(mut f: F) -> Option<F::Output> {
    std::future::poll_fn(|cx| {
        std::task::Poll::Ready(match Pin::new(&mut f).poll(cx) {
            std::task::Poll::Ready(v) => Some(v),
            std::task::Poll::Pending => None,
        })
    })
    .await
}

/// 1–10 ms deadlines against a contender that takes and releases the lock
/// all the time: a deadline that reports `Timeout` never leaves the lock
/// held by one of its sessions, and one that succeeds holds it.
fn deadline_loop_never_lies(ctx: &Ctx, rt: Rt) {
    rt.block_on(async {
        let db = rt.db(&ctx.url_as("deadline")).unwrap();
        let contender = rt.db(&ctx.url_as("contender")).unwrap();
        let client = rt.plain(&ctx.url).await;
        let key = Key::name("deadline-loop");
        let stop = Arc::new(AtomicU32::new(0));
        let task = rt.spawn({
            let (m, stop) = (contender.mutex(key), stop.clone());
            async move {
                let mut i = 0u64;
                while stop.load(Ordering::Relaxed) == 0 {
                    let g = m.lock().await.unwrap();
                    rt.sleep(Duration::from_micros(500 + (i * 1777) % 5000))
                        .await;
                    g.unlock().await.unwrap();
                    i += 1;
                }
            }
        });
        let (mut got, mut timed_out) = (0, 0);
        for i in 0..150u64 {
            let m = db.mutex(key);
            match m.lock_timeout(Duration::from_millis(1 + i % 10)).await {
                Ok(g) => {
                    got += 1;
                    assert_eq!(
                        locks(&client, key, Some("deadline")).await.0,
                        1,
                        "Ok without the lock"
                    );
                    g.unlock().await.unwrap();
                }
                Err(e) if e.is_timeout() => {
                    timed_out += 1;
                    assert_eq!(
                        locks(&client, key, Some("deadline")).await.0,
                        0,
                        "timed out, yet holding"
                    );
                }
                Err(e) => panic!("{e}"),
            }
        }
        stop.store(1, Ordering::Relaxed);
        task.await;
        println!("    {got} acquired, {timed_out} timed out");
        assert!(timed_out > 0, "the contender never made a deadline pass");
    });
}

/// An immediate server restart: every guard reports lost, re-acquiring
/// works, fencing tokens keep rising.
fn server_restart(ctx: &Ctx, rt: Rt) {
    let Some(cluster) = &ctx.cluster else {
        println!("    skipped: TURNSTILE_PG_URL names a server this test does not own");
        return;
    };
    rt.block_on(async {
        let db = rt.db(&ctx.url).unwrap();
        let g = db.mutex("restart").lock().await.unwrap();
        let r = db.rwlock("restart-rw").read().await.unwrap();
        let before = g.fencing_token().max(r.fencing_token());
        cluster.pg_ctl_stop("immediate");
        for lost in [
            rt.timeout(LIVENESS, g.lost()).await,
            rt.timeout(LIVENESS, r.lost()).await,
        ] {
            assert!(lost.expect("lost() within the bound").is_connection_lost());
        }
        cluster.pg_ctl_start();
        let g2 = db.mutex("restart").lock().await.unwrap();
        assert!(
            g2.fencing_token() > before,
            "{} after {before}",
            g2.fencing_token()
        );
        g2.unlock().await.unwrap();
        // Dead guards drop quietly.
        drop((g, r));
    });
}

// ---------------------------------------------------------------- main

type Test = fn(&Ctx, Rt);

fn main() {
    use Rt::{Smol, Tokio};
    const BOTH: &[Rt] = &[Tokio, Smol];
    // Tests whose other processes or whose subject do not depend on the
    // runtime run on tokio only.
    const TOKIO: &[Rt] = &[Tokio];
    let tests: &[(&str, Test, &[Rt])] = &[
        ("mutex_basics", mutex_basics, BOTH),
        (
            "mutex_excludes_across_processes",
            mutex_excludes_across_processes,
            TOKIO,
        ),
        ("semaphore_never_above_n", semaphore_never_above_n, TOKIO),
        (
            "semaphore_gate_weights_and_misuse",
            semaphore_gate_weights_and_misuse,
            BOTH,
        ),
        (
            "rwlock_readers_and_writers",
            rwlock_readers_and_writers,
            BOTH,
        ),
        (
            "idle_sessions_killed_are_replaced",
            idle_sessions_killed_are_replaced,
            BOTH,
        ),
        ("killed_holder_frees_lock", killed_holder_frees_lock, BOTH),
        (
            "killed_waiter_takes_no_turn",
            killed_waiter_takes_no_turn,
            BOTH,
        ),
        (
            "terminate_backend_fires_lost",
            terminate_backend_fires_lost,
            BOTH,
        ),
        (
            "idle_session_timeout_ends_holder",
            idle_session_timeout_ends_holder,
            BOTH,
        ),
        ("sigstop_holder_is_fenced", sigstop_holder_is_fenced, BOTH),
        (
            "runtime_shutdown_fires_lost",
            runtime_shutdown_fires_lost,
            TOKIO,
        ),
        ("deadlock_is_reported", deadlock_is_reported, BOTH),
        (
            "dropped_lock_leaves_no_lock",
            dropped_lock_leaves_no_lock,
            BOTH,
        ),
        ("signup_race_example", signup_race_example, TOKIO),
        ("deadline_loop_never_lies", deadline_loop_never_lies, BOTH),
        // Last: it restarts the server.
        ("server_restart", server_restart, BOTH),
    ];
    let all: Vec<(String, Test, Rt)> = tests
        .iter()
        .flat_map(|&(name, test, rts)| {
            rts.iter()
                .map(move |&rt| (format!("{name} ({})", rt.name()), test, rt))
        })
        .collect();
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let selected: Vec<&(String, Test, Rt)> = all
        .iter()
        .filter(|(n, _, _)| filters.is_empty() || filters.iter().any(|f| n.contains(f.as_str())))
        .collect();
    if std::env::args().any(|a| a == "--list") {
        for (name, _, _) in &selected {
            println!("{name}: test");
        }
        return;
    }
    let start = Instant::now();
    let ctx = match std::env::var("TURNSTILE_PG_URL") {
        Ok(url) => Ctx { url, cluster: None },
        Err(_) => {
            let cluster = Cluster::start();
            println!(
                "started a throwaway PostgreSQL cluster in {} ({:?})",
                cluster.dir.display(),
                start.elapsed()
            );
            Ctx {
                url: cluster.url(),
                cluster: Some(cluster),
            }
        }
    };
    println!("\nrunning {} tests", selected.len());
    let mut failed = Vec::new();
    for (name, test, rt) in &selected {
        println!("test {name} ...");
        let t = Instant::now();
        match std::panic::catch_unwind(AssertUnwindSafe(|| test(&ctx, *rt))) {
            Ok(()) => println!("test {name} ... ok ({:?})", t.elapsed()),
            Err(_) => {
                println!("test {name} ... FAILED");
                failed.push(name.clone());
            }
        }
    }
    let log = ctx.cluster.as_ref().map(|c| c.dir.join("log"));
    if !failed.is_empty() {
        if let Some(log) = &log {
            print_tail(log);
        }
    }
    drop(ctx); // stops the cluster and removes its directory
    println!(
        "\ntest result: {}. {} passed; {} failed; 0 ignored; 0 measured; {} filtered out; finished in {:.2}s\n",
        if failed.is_empty() { "ok" } else { "FAILED" },
        selected.len() - failed.len(),
        failed.len(),
        all.len() - selected.len(),
        start.elapsed().as_secs_f64()
    );
    if !failed.is_empty() {
        println!("failures: {failed:?}");
        std::process::exit(101);
    }
}

fn print_tail(log: &Path) {
    if let Ok(text) = std::fs::read_to_string(log) {
        let lines: Vec<&str> = text.lines().collect();
        println!("--- last lines of the server log ---");
        for line in &lines[lines.len().saturating_sub(40)..] {
            println!("{line}");
        }
    }
}
