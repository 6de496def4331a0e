//! One account per e-mail address, with a check-then-insert on a real
//! database.
//!
//! **The problem.** A sign-up handler asks the database "does a user with
//! this e-mail exist?" and, if not, inserts one. Two sign-ups with the same
//! address arrive together (a double-click, a retried request); both ask
//! before either inserts, both hear "no", and both insert. Every `.await`
//! between the check and the insert is a point where the other request runs.
//!
//! **The fix here.** Hold a lock across the check and the insert, so the two
//! requests' check-then-insert sequences cannot interleave. A turnstile
//! `Mutex` guard may be held across those awaits (std's may not, on a
//! multi-threaded runtime), and it queues the second request instead of
//! blocking a runtime thread.
//!
//! **What the database can do itself.** A unique index
//! (`CREATE UNIQUE INDEX … ON users(email)`) makes the second insert fail,
//! whoever runs it and however many processes there are; where you can add
//! one, do. A lock in one process only stops this process's requests: once
//! the service runs on several machines, each has its own lock, and the
//! check-then-insert needs a lock they share (a database advisory lock, as
//! the `turnstile-postgres` companion crate provides) or the index.
//!
//! **What the program checks.** SQLite (bundled, through rusqlite) in a
//! temporary file; each query runs on tokio's blocking pool with a
//! connection of its own, so the awaits between check and insert are real.
//! Eight concurrent sign-ups with one address: without the lock it reports
//! how many rows were inserted (more than one, almost always); with the lock
//! exactly one must be, and with a unique index (no lock) exactly one must
//! be too; the program exits non-zero otherwise.
//!
//! Run: `cargo run --example unique_signup`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension};
use turnstile_sync::Mutex;

const EMAIL: &str = "ada@example.com";
const ATTEMPTS: usize = 8;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Runs one statement on the blocking pool, with a connection of its own (as
/// a pool would hand out), and awaits it.
async fn on_db<T: Send + 'static>(
    db: &Path,
    query: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
) -> Result<T, Error> {
    let db = db.to_owned();
    let result = tokio::task::spawn_blocking(move || {
        let conn = Connection::open(&db)?;
        // Concurrent writers wait for each other instead of failing.
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        query(&conn)
    })
    .await?;
    Ok(result?)
}

/// The sign-up handler: check, then insert. Returns whether it created the
/// account.
async fn sign_up(db: &Path, email: &'static str) -> Result<bool, Error> {
    let exists = on_db(db, move |c| {
        c.query_row(
            "SELECT 1 FROM users WHERE email = ?1",
            params![email],
            |_| Ok(()),
        )
        .optional()
    })
    .await?
    .is_some();
    if exists {
        return Ok(false);
    }
    tokio::task::yield_now().await; // e.g. hashing the password
    on_db(db, move |c| {
        c.execute("INSERT INTO users (email) VALUES (?1)", params![email])
    })
    .await?;
    Ok(true)
}

/// The same handler with a lock held across the check and the insert.
async fn sign_up_locked(lock: &Mutex<()>, db: &Path, email: &'static str) -> Result<bool, Error> {
    let _one_at_a_time = lock.lock().await;
    sign_up(db, email).await
}

fn fresh_db(dir: &Path, name: &str, unique_index: bool) -> Result<PathBuf, Error> {
    let path = dir.join(name);
    let conn = Connection::open(&path)?;
    conn.execute_batch("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);")?;
    if unique_index {
        conn.execute_batch("CREATE UNIQUE INDEX users_email ON users(email);")?;
    }
    Ok(path)
}

fn rows(db: &Path) -> Result<i64, Error> {
    let conn = Connection::open(db)?;
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM users WHERE email = ?1",
        params![EMAIL],
        |row| row.get(0),
    )?)
}

/// Runs `ATTEMPTS` sign-ups at once; returns how many reported success and
/// how many failed with an error.
async fn race(db: &Path, lock: Option<Arc<Mutex<()>>>) -> (usize, usize) {
    let tasks: Vec<_> = (0..ATTEMPTS)
        .map(|_| {
            let (db, lock) = (db.to_owned(), lock.clone());
            tokio::spawn(async move {
                match &lock {
                    Some(lock) => sign_up_locked(lock, &db, EMAIL).await,
                    None => sign_up(&db, EMAIL).await,
                }
            })
        })
        .collect();
    let (mut created, mut failed) = (0, 0);
    for task in tasks {
        match task.await {
            Ok(Ok(true)) => created += 1,
            Ok(Ok(false)) => {}
            Ok(Err(_)) | Err(_) => failed += 1,
        }
    }
    (created, failed)
}

async fn run() -> Result<bool, Error> {
    let dir = tempfile::tempdir()?; // removed when dropped
    let plain = fresh_db(dir.path(), "plain.db", false)?;
    race(&plain, None).await;
    let without_lock = rows(&plain)?;
    println!(
        "without a lock: {ATTEMPTS} concurrent sign-ups inserted {without_lock} rows for {EMAIL}"
    );

    let locked = fresh_db(dir.path(), "locked.db", false)?;
    race(&locked, Some(Arc::new(Mutex::new(())))).await;
    let with_lock = rows(&locked)?;
    println!("with a Mutex across check and insert: {with_lock} row");

    let indexed = fresh_db(dir.path(), "indexed.db", true)?;
    let (_, refused) = race(&indexed, None).await;
    let with_index = rows(&indexed)?;
    println!(
        "with a unique index and no lock: {with_index} row; {refused} sign-ups failed with a \
         constraint error (the handler must turn that into \"already registered\")"
    );
    Ok(with_lock == 1 && with_index == 1)
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
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("FAILED: the lock or the index let a duplicate in");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
