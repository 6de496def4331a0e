//! turnstile-sync's [`Mutex`], [`RwLock`] and [`Semaphore`] across processes
//! and machines, on PostgreSQL advisory locks.
//!
//! Every process that names the same [`Key`] on the same database shares
//! the lock. The server queues waiters in FIFO order and wakes the next one
//! on release (no polling), detects deadlocks, bounds waits
//! (`lock_timeout`) and frees every lock of a session the moment the
//! session ends, so a crashed holder never keeps a lock.
//!
//! ```no_run
//! # async fn do_the_work(token: u64) {}
//! # async fn demo() -> Result<(), turnstile_postgres::Error> {
//! use turnstile_postgres::Database;
//!
//! let db = Database::tokio("postgres://app@127.0.0.1/app")?;
//! let guard = db.mutex("billing:close-month").lock().await?;
//! // Only one process in the fleet runs this at a time. Hand the fencing
//! // token to whatever the lock protects, and stop if the lock is lost.
//! tokio::select! {
//!     () = do_the_work(guard.fencing_token()) => guard.unlock().await?,
//!     lost = guard.lost() => return Err(lost),
//! }
//! # Ok(()) }
//! ```
//!
//! # Sessions, drop and cancellation
//!
//! Each acquisition uses a PostgreSQL session (connection) of its own,
//! which its guard keeps: one connection per held or awaited lock. Dropping
//! a guard closes its session, and the server releases the lock as the
//! session ends; `unlock().await` releases in place, reports errors and
//! keeps the session for reuse ([`Settings::idle_sessions`]). Dropping a
//! pending acquisition closes its session at once and sends a cancel
//! request, so no lock is left behind.
//!
//! Because guards don't share sessions, the server cannot tell that two
//! guards belong to one task: a cycle between tasks that each hold one
//! guard and wait for another is *not* detected. Take the keys in one order,
//! use deadlines, or take them in one transaction with the `*_xact` forms,
//! where the server reports [`Error::Deadlock`].
//!
//! # Runtimes
//!
//! The locks need no spawner and no timer: deadlines are the server's. The
//! sessions' connections must be driven, which is the job of a [`Connect`]:
//! the `tokio` feature gives [`TokioConnector`] (and [`Database::tokio`]),
//! the `smol` feature [`SmolConnector`] (and [`Database::smol`]); implement
//! [`Connect`] for anything else (another runtime, a proxy). Sessions speak
//! PostgreSQL without TLS (`NoTls`): use a trusted network, a Unix socket or
//! a tunnel; TLS support is not there yet.
//!
//! Requires PostgreSQL 13 or later (`pg_current_xact_id`);
//! `client_connection_check_interval` is set on 14 and later. See the
//! README for when to use this crate rather than a unique index or a
//! transaction, fencing tokens, tuning and PgBouncer.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
mod key;
mod lock;
mod mutex;
#[cfg(any(feature = "tokio", feature = "smol"))]
mod runtime;
mod rwlock;
mod semaphore;
mod session;

pub use error::Error;
pub use key::Key;
pub use mutex::{Mutex, MutexGuard};
#[cfg(feature = "smol")]
pub use runtime::SmolConnector;
#[cfg(feature = "tokio")]
pub use runtime::TokioConnector;
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::{Semaphore, SemaphoreGuard, MAX_PERMITS};
pub use session::{BoxFuture, Connect, Database, Settings, Stream};
/// The client this crate speaks through, for [`Mutex::lock_xact`] and for
/// implementing [`Connect`].
pub use tokio_postgres;
