//! The mutex: one exclusive advisory lock.

use std::fmt;
use std::time::Duration;

use crate::lock::{acquire, acquire_xact, guard_methods, Held, Mode, Wait};
use crate::{Database, Error, Key};

/// A mutual-exclusion lock shared by every process that uses the same key on
/// the same database: an exclusive advisory lock.
///
/// Each acquisition uses a session of its own, from the database's idle
/// list or newly opened, which the guard keeps while it lives: a session
/// never holds a lock twice (session-level advisory locks stack), and the
/// server can release a guard's lock by ending its session.
///
/// Waiters queue on the server in FIFO order, and the server wakes the next
/// one when the lock is released: no polling.
///
/// ```no_run
/// # async fn demo(db: turnstile_postgres::Database) -> Result<(), turnstile_postgres::Error> {
/// let mutex = db.mutex("invoice-run");
/// let guard = mutex.lock().await?;
/// println!("holding {} with fencing token {}", guard.key(), guard.fencing_token());
/// guard.unlock().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Mutex {
    db: Database,
    key: Key,
}

impl Mutex {
    pub(crate) fn new(db: Database, key: Key) -> Mutex {
        Mutex { db, key }
    }

    /// The key.
    pub fn key(&self) -> Key {
        self.key
    }

    /// Waits until the lock is granted.
    ///
    /// Cancel-safe: dropping the future while it waits closes its session
    /// and sends the server a cancel request, so the wait leaves the
    /// server's queue and no lock is left behind (if the grant raced the
    /// cancellation, the lock is released as the session ends).
    ///
    /// Fails with [`Error::Deadlock`] if the server breaks a deadlock
    /// through this wait, [`Error::ConnectionLost`] if the session ends.
    pub async fn lock(&self) -> Result<MutexGuard, Error> {
        let held = acquire(&self.db, self.key, Mode::Exclusive, Wait::Forever).await?;
        Ok(MutexGuard {
            held: held.expect("waits until granted"),
        })
    }

    /// Takes the lock if it is free now (`Ok(None)` if another session holds
    /// it): one round trip.
    pub async fn try_lock(&self) -> Result<Option<MutexGuard>, Error> {
        let held = acquire(&self.db, self.key, Mode::Exclusive, Wait::Try).await?;
        Ok(held.map(|held| MutexGuard { held }))
    }

    /// Waits at most `timeout` (measured from the call; the session's
    /// setup counts) and fails with [`Error::Timeout`] if the lock was not
    /// granted by then. The wait is bounded on the server (`lock_timeout`),
    /// so no timer is needed here; a timeout is only reported after
    /// `pg_locks` confirmed the session does not hold the lock.
    pub async fn lock_timeout(&self, timeout: Duration) -> Result<MutexGuard, Error> {
        let held = acquire(&self.db, self.key, Mode::Exclusive, Wait::timeout(timeout)).await?;
        Ok(MutexGuard {
            held: held.expect("a deadline fails with Timeout"),
        })
    }

    /// Takes the lock inside the caller's transaction
    /// (`pg_advisory_xact_lock`), waiting until granted; the server releases
    /// it when the transaction commits or rolls back. Returns the fencing
    /// token (the transaction's id; see [`MutexGuard::fencing_token`]).
    ///
    /// This is the form for resources in the same database (the lock and
    /// the writes commit together) and the one that works through PgBouncer
    /// in transaction pooling mode. Several keys taken in one transaction
    /// are in one session, so the server's deadlock detector sees cycles
    /// among them and reports [`Error::Deadlock`].
    ///
    /// Dropping this future mid-wait leaves the query running on the
    /// caller's connection: roll the transaction back (or drop it) to
    /// withdraw the wait.
    ///
    /// ```no_run
    /// # async fn demo(mut client: tokio_postgres::Client, db: turnstile_postgres::Database) -> Result<(), Box<dyn std::error::Error>> {
    /// let tx = client.transaction().await?;
    /// db.mutex((1, 42)).lock_xact(&tx).await?;
    /// tx.execute("UPDATE accounts SET balance = balance - 10 WHERE id = 42", &[]).await?;
    /// tx.commit().await?; // releases the lock
    /// # Ok(()) }
    /// ```
    pub async fn lock_xact(&self, tx: &tokio_postgres::Transaction<'_>) -> Result<u64, Error> {
        let token = acquire_xact(tx, self.key, Mode::Exclusive, false).await?;
        Ok(token.expect("waits until granted"))
    }

    /// Like [`lock_xact`](Self::lock_xact), but takes the lock only if it
    /// is free now (`pg_try_advisory_xact_lock`): `Ok(None)` otherwise.
    pub async fn try_lock_xact(
        &self,
        tx: &tokio_postgres::Transaction<'_>,
    ) -> Result<Option<u64>, Error> {
        acquire_xact(tx, self.key, Mode::Exclusive, true).await
    }
}

impl fmt::Debug for Mutex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex").field("key", &self.key).finish()
    }
}

/// A held [`Mutex`].
///
/// Dropping it releases the lock by closing its session (the server frees
/// a session's locks as it ends: one message, no reply awaited, so no
/// async drop is needed); [`unlock`](Self::unlock) releases it in place,
/// reports errors and keeps the session for the next acquisition.
#[must_use = "dropping the guard releases the lock at once"]
pub struct MutexGuard {
    held: Held,
}

impl MutexGuard {
    guard_methods!();
}

impl fmt::Debug for MutexGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MutexGuard")
            .field("key", &self.held.key)
            .field("fencing_token", &self.held.token)
            .finish()
    }
}
