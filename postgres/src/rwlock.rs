//! The reader-writer lock: shared and exclusive advisory locks on one key.

use std::fmt;
use std::time::Duration;

use crate::lock::{acquire, acquire_xact, guard_methods, Held, Mode, Wait};
use crate::{Database, Error, Key};

/// A reader-writer lock shared by every process that uses the same key on
/// the same database: readers take the key's advisory lock in shared mode,
/// writers in exclusive mode.
///
/// The server queues requests in order and a shared request waits behind a
/// queued exclusive one, so a waiting writer is not starved by a stream of
/// readers (writer-preferring, as the core crate's `RwLock`).
///
/// A key used by a [`Mutex`](crate::Mutex) and by an `RwLock` is one lock:
/// the mutex is its writer.
///
/// ```no_run
/// # async fn demo(db: turnstile_postgres::Database) -> Result<(), turnstile_postgres::Error> {
/// let config = db.rwlock("tenant-config:7");
/// let reading = config.read().await?;
/// // ... other readers may read too; writers wait ...
/// reading.unlock().await?;
/// let writing = config.write().await?;
/// writing.unlock().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RwLock {
    db: Database,
    key: Key,
}

macro_rules! acquire_forms {
    ($mode:expr, $guard:ident, $wait:ident, $try_:ident, $timeout:ident, $xact:ident, $try_xact:ident, $what:literal) => {
        #[doc = concat!("Waits until granted ", $what, ". Cancel-safe like [`Mutex::lock`](crate::Mutex::lock).")]
        pub async fn $wait(&self) -> Result<$guard, Error> {
            let held = acquire(&self.db, self.key, $mode, Wait::Forever).await?;
            Ok($guard { held: held.expect("waits until granted") })
        }

        #[doc = concat!("Acquires ", $what, " if that is possible now, else `Ok(None)`: one round trip.")]
        pub async fn $try_(&self) -> Result<Option<$guard>, Error> {
            let held = acquire(&self.db, self.key, $mode, Wait::Try).await?;
            Ok(held.map(|held| $guard { held }))
        }

        #[doc = concat!("Waits at most `timeout` to acquire ", $what, ", else fails with [`Error::Timeout`] (as [`Mutex::lock_timeout`](crate::Mutex::lock_timeout)).")]
        pub async fn $timeout(&self, timeout: Duration) -> Result<$guard, Error> {
            let held = acquire(&self.db, self.key, $mode, Wait::timeout(timeout)).await?;
            Ok($guard { held: held.expect("a deadline fails with Timeout") })
        }

        #[doc = concat!("Acquires ", $what, " inside the caller's transaction, released at its end; returns the fencing token (as [`Mutex::lock_xact`](crate::Mutex::lock_xact)).")]
        pub async fn $xact(&self, tx: &tokio_postgres::Transaction<'_>) -> Result<u64, Error> {
            let token = acquire_xact(tx, self.key, $mode, false).await?;
            Ok(token.expect("waits until granted"))
        }

        #[doc = concat!("Acquires ", $what, " inside the caller's transaction if possible now, else `Ok(None)`.")]
        pub async fn $try_xact(&self, tx: &tokio_postgres::Transaction<'_>) -> Result<Option<u64>, Error> {
            acquire_xact(tx, self.key, $mode, true).await
        }
    };
}

impl RwLock {
    pub(crate) fn new(db: Database, key: Key) -> RwLock {
        RwLock { db, key }
    }

    /// The key.
    pub fn key(&self) -> Key {
        self.key
    }

    acquire_forms!(
        Mode::Shared,
        RwLockReadGuard,
        read,
        try_read,
        read_timeout,
        read_xact,
        try_read_xact,
        "shared (read) access"
    );
    acquire_forms!(
        Mode::Exclusive,
        RwLockWriteGuard,
        write,
        try_write,
        write_timeout,
        write_xact,
        try_write_xact,
        "exclusive (write) access"
    );
}

impl fmt::Debug for RwLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLock").field("key", &self.key).finish()
    }
}

/// Shared access to an [`RwLock`]; released on drop (by closing its
/// session) or by [`unlock`](Self::unlock), as [`MutexGuard`](crate::MutexGuard).
#[must_use = "dropping the guard releases the lock at once"]
pub struct RwLockReadGuard {
    held: Held,
}

impl RwLockReadGuard {
    guard_methods!();
}

/// Exclusive access to an [`RwLock`]; released on drop (by closing its
/// session) or by [`unlock`](Self::unlock), as [`MutexGuard`](crate::MutexGuard).
#[must_use = "dropping the guard releases the lock at once"]
pub struct RwLockWriteGuard {
    held: Held,
}

impl RwLockWriteGuard {
    guard_methods!();
}

impl fmt::Debug for RwLockReadGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLockReadGuard")
            .field("key", &self.held.key)
            .field("fencing_token", &self.held.token)
            .finish()
    }
}

impl fmt::Debug for RwLockWriteGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLockWriteGuard")
            .field("key", &self.held.key)
            .field("fencing_token", &self.held.token)
            .finish()
    }
}
