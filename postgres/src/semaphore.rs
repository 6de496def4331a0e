//! The semaphore: N slot keys behind a gate key.

use std::fmt;
use std::time::Duration;

use tokio_postgres::error::SqlState;

use crate::lock::{guard_methods, holds, parse_token, Held, Mode, Release, Wait, FENCE};
use crate::session::Session;
use crate::{Database, Error, Key};

/// The most permits a [`Semaphore`] may have.
///
/// Each permit held is one advisory lock in the server's shared lock table,
/// which holds about `max_locks_per_transaction × (max_connections +
/// max_prepared_transactions)` locks of every kind in total (64 × 100 =
/// 6,400 with the defaults); a server out of room fails acquisitions with
/// "out of shared memory". Keep the permits of all semaphores well inside
/// that, or raise `max_locks_per_transaction`.
pub const MAX_PERMITS: u32 = 1024;

const SLOT_TAG: &str = "turnstile-postgres semaphore slot";

/// A counting semaphore shared by every process that uses the same key and
/// the same number of permits on the same database, without any schema:
/// each permit is an advisory lock on one of `permits` slot keys, and the
/// key itself is a gate that serializes acquisitions.
///
/// An acquisition takes the gate (exclusive; the server queues gate waiters
/// in FIFO order), then takes free slots with `pg_try_advisory_lock`; if
/// fewer than it needs are free, it waits on a busy slot while still
/// holding the gate, so no later acquisition can overtake it (strict FIFO,
/// as the core crate's semaphore: a [`try_acquire`](Self::try_acquire)
/// while someone waits at the gate takes nothing). Once it has its slots it
/// releases the gate. The permits are held by the guard's session.
///
/// Caveat of waiting on one slot at a time: while the head of the queue
/// waits on one busy slot, a permit freed on another slot is noticed only
/// when the awaited slot frees too. The semaphore never admits more than
/// `permits` holders; it can admit the head later than a perfect one would.
///
/// All users of a key must agree on `permits`: the slots are derived from
/// the key and the index (FNV-1a 64 over a fixed tag, the key and the
/// index), so a process that says fewer permits uses a subset of the slots.
///
/// ```no_run
/// # async fn demo(db: turnstile_postgres::Database) -> Result<(), turnstile_postgres::Error> {
/// let exports = db.semaphore("exports", 3); // at most 3 exports at once, fleet-wide
/// let permit = exports.acquire().await?;
/// // ... export ...
/// permit.unlock().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Semaphore {
    db: Database,
    key: Key,
    permits: u32,
}

impl Semaphore {
    pub(crate) fn new(db: Database, key: Key, permits: u32) -> Semaphore {
        Semaphore { db, key, permits }
    }

    /// The key (the gate).
    pub fn key(&self) -> Key {
        self.key
    }

    /// The number of permits.
    pub fn permits(&self) -> u32 {
        self.permits
    }

    /// Waits for one permit. Cancel-safe like [`Mutex::lock`](crate::Mutex::lock):
    /// dropping the future releases the gate and any slots taken so far.
    pub async fn acquire(&self) -> Result<SemaphoreGuard, Error> {
        self.acquire_many(1).await
    }

    /// Waits for `n` permits at once (1 ≤ `n` ≤ [`permits`](Self::permits),
    /// else [`Error::Misuse`]).
    pub async fn acquire_many(&self, n: u32) -> Result<SemaphoreGuard, Error> {
        let held = self.run(n, Wait::Forever).await?;
        Ok(held.expect("waits until granted"))
    }

    /// Takes one permit if one is free now and nobody waits at the gate.
    pub async fn try_acquire(&self) -> Result<Option<SemaphoreGuard>, Error> {
        self.try_acquire_many(1).await
    }

    /// Takes `n` permits if they are free now and nobody waits at the gate
    /// (all or nothing).
    pub async fn try_acquire_many(&self, n: u32) -> Result<Option<SemaphoreGuard>, Error> {
        self.run(n, Wait::Try).await
    }

    /// Waits at most `timeout` for `n` permits, else fails with
    /// [`Error::Timeout`] holding nothing.
    pub async fn acquire_many_timeout(
        &self,
        n: u32,
        timeout: Duration,
    ) -> Result<SemaphoreGuard, Error> {
        let held = self.run(n, Wait::timeout(timeout)).await?;
        Ok(held.expect("a deadline fails with Timeout"))
    }

    fn slot(&self, index: u32) -> i64 {
        self.key.derived(SLOT_TAG, index)
    }

    async fn run(&self, n: u32, wait: Wait) -> Result<Option<SemaphoreGuard>, Error> {
        if self.permits == 0 || self.permits > MAX_PERMITS {
            return Err(Error::Misuse {
                what: format!(
                    "a semaphore on {} has {} permits; it needs 1 to {MAX_PERMITS}",
                    self.key, self.permits
                ),
            });
        }
        if n == 0 || n > self.permits {
            return Err(Error::Misuse {
                what: format!(
                    "asked for {n} permits of a semaphore on {} that has {}",
                    self.key, self.permits
                ),
            });
        }
        let session = self.db.session().await?;
        let reused = session.reused;
        match self.run_on(session, n, wait).await {
            // As in `Mutex::lock`: a reused session may have died idle.
            Err(e) if reused && e.is_connection_lost() => {
                self.run_on(self.db.fresh_session().await?, n, wait).await
            }
            result => result,
        }
    }

    async fn run_on(
        &self,
        mut session: Session,
        n: u32,
        wait: Wait,
    ) -> Result<Option<SemaphoreGuard>, Error> {
        let outcome = self.acquire_on(&mut session, n, wait).await;
        match outcome {
            Ok(Some(token)) => Ok(Some(SemaphoreGuard {
                held: Held {
                    session,
                    key: self.key,
                    token,
                    release: Release::All,
                },
                permits: n,
            })),
            Ok(None) | Err(Error::Timeout { .. }) | Err(Error::Deadlock { .. }) => {
                // The session lives and may hold the gate and some slots:
                // release them and reuse it; if that fails, dropping the
                // session releases them.
                if session
                    .query("SELECT pg_advisory_unlock_all()")
                    .await
                    .is_ok()
                {
                    session.recycle();
                }
                outcome.map(|_| None)
            }
            // The session is dropped: closing it releases what it took.
            Err(e) => Err(e),
        }
    }

    /// Takes the gate and `n` slots on `session`, then releases the gate and
    /// returns the fencing token; `Ok(None)` if `wait` is `Try` and the
    /// gate or too many slots are busy. May leave the gate and some slots
    /// held when it fails: the caller cleans up.
    async fn acquire_on(
        &self,
        session: &mut Session,
        n: u32,
        wait: Wait,
    ) -> Result<Option<u64>, Error> {
        let gate = self.key;
        let timed_out = |wait: Wait| match wait {
            Wait::Until(_, after) => Err(Error::Timeout { key: gate, after }),
            _ => Ok(None),
        };
        // The gate: waiters queue for it in FIFO order on the server.
        match wait.lock_timeout_sql() {
            None => {
                let rows = session
                    .query(&format!("SELECT pg_try_advisory_lock({})", gate.sql_args()))
                    .await
                    .map_err(|e| Error::from_query(gate, e))?;
                if rows.first().and_then(|r| r.as_deref()) != Some("t") {
                    return timed_out(wait);
                }
            }
            Some(bound) => {
                let sql = format!("{bound}SELECT pg_advisory_lock({})", gate.sql_args());
                if !wait_for(session, gate, &sql).await? {
                    return timed_out(wait);
                }
            }
        }
        // The slots, with the gate held: nobody else takes slots now.
        let mut held: Vec<u32> = Vec::with_capacity(n as usize);
        loop {
            let free: Vec<u32> = (0..self.permits).filter(|i| !held.contains(i)).collect();
            let indices = free
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let keys = free
                .iter()
                .map(|&i| self.slot(i).to_string())
                .collect::<Vec<_>>()
                .join(",");
            // The function scan yields the slots in order and LIMIT stops
            // pulling rows once enough were taken, so no extra slot is
            // tried (and the guard's unlock releases everything anyway).
            let rows = session
                .query(&format!(
                    "SELECT s.i FROM unnest(ARRAY[{indices}]::int[], ARRAY[{keys}]::bigint[]) AS s(i, k) \
                     WHERE pg_try_advisory_lock(s.k) LIMIT {}",
                    n as usize - held.len()
                ))
                .await
                .map_err(|e| Error::from_query(gate, e))?;
            for row in rows {
                let index = row
                    .and_then(|r| r.parse().ok())
                    .ok_or_else(|| Error::Misuse {
                        what: format!(
                            "the server returned no slot index for the semaphore on {gate}"
                        ),
                    })?;
                held.push(index);
            }
            if held.len() == n as usize {
                break;
            }
            // Too few free: wait, still at the head of the queue, for the
            // first busy slot.
            let Some(bound) = wait.lock_timeout_sql() else {
                return timed_out(wait);
            };
            let index = (0..self.permits)
                .find(|i| !held.contains(i))
                .expect("fewer than n held");
            let sql = format!("{bound}SELECT pg_advisory_lock({})", self.slot(index));
            if !wait_for(session, Key::new(self.slot(index)), &sql).await? {
                return timed_out(wait);
            }
            held.push(index);
        }
        let rows = session
            .query(&format!(
                "SELECT pg_advisory_unlock({}); SELECT {FENCE}",
                gate.sql_args()
            ))
            .await
            .map_err(|e| Error::from_query(gate, e))?;
        Ok(Some(parse_token(
            gate,
            rows.last().and_then(|r| r.as_deref()),
        )?))
    }
}

/// Runs a (bounded) blocking lock query for `key` in exclusive mode; on a
/// `lock_timeout` error, confirms against `pg_locks`. `Ok(true)` if held.
async fn wait_for(session: &mut Session, key: Key, sql: &str) -> Result<bool, Error> {
    match session.query(sql).await {
        Ok(_) => Ok(true),
        Err(e) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => {
            holds(session, key, Mode::Exclusive).await
        }
        Err(e) => Err(Error::from_query(key, e)),
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("key", &self.key)
            .field("permits", &self.permits)
            .finish()
    }
}

/// Permits of a [`Semaphore`]; released on drop (by closing its session) or
/// by [`unlock`](Self::unlock), as [`MutexGuard`](crate::MutexGuard).
#[must_use = "dropping the guard releases the permits at once"]
pub struct SemaphoreGuard {
    held: Held,
    permits: u32,
}

impl SemaphoreGuard {
    guard_methods!();

    /// How many permits it holds.
    pub fn permits(&self) -> u32 {
        self.permits
    }
}

impl fmt::Debug for SemaphoreGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphoreGuard")
            .field("key", &self.held.key)
            .field("permits", &self.permits)
            .field("fencing_token", &self.held.token)
            .finish()
    }
}
