//! The one error type.

use std::fmt;
use std::time::Duration;

use crate::Key;

/// Why a lock operation failed.
///
/// Each variant's message names the cause and what to do about it.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// No session could be opened: the connector failed (address, port,
    /// refused connection) or the server refused the session
    /// (authentication, too many connections, unknown database).
    Connect {
        /// The connector's or the server's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The session ended: terminated by `pg_terminate_backend` or
    /// `idle_session_timeout`, the server shut down or restarted, or the
    /// network failed past the keepalive limits. Every lock the session held
    /// is gone on the server: stop the work the lock protected.
    ConnectionLost {
        /// What ended it, as far as the client can tell.
        detail: String,
    },
    /// The server's deadlock detector (SQLSTATE 40P01) chose this wait to
    /// break a cycle of sessions waiting on each other. Nothing was
    /// acquired; release what the task holds and retry, or order the keys.
    Deadlock {
        /// The key this wait was for.
        key: Key,
        /// The server's message.
        detail: String,
    },
    /// A deadline passed before the lock was granted (the server's
    /// `lock_timeout`, SQLSTATE 55P03, confirmed against `pg_locks`): nothing
    /// is held.
    Timeout {
        /// The key that was not acquired.
        key: Key,
        /// The time the caller allowed.
        after: Duration,
    },
    /// The call cannot be right whatever the server says: more permits than
    /// the semaphore has, an unlock of a lock the session did not hold.
    Misuse {
        /// What was wrong.
        what: String,
    },
    /// Any other error from the server (a permission, a setting), with its
    /// SQLSTATE in the source.
    Server {
        /// tokio-postgres' error.
        source: tokio_postgres::Error,
    },
}

impl Error {
    /// Classifies an error from a query on a session.
    pub(crate) fn from_query(key: Key, e: tokio_postgres::Error) -> Error {
        use tokio_postgres::error::SqlState;
        if e.is_closed() {
            return Error::ConnectionLost {
                detail: format!("the connection closed ({e})"),
            };
        }
        match e.code() {
            Some(code) if *code == SqlState::T_R_DEADLOCK_DETECTED => Error::Deadlock {
                key,
                detail: e
                    .as_db_error()
                    .map(|d| d.message().to_string())
                    .unwrap_or_default(),
            },
            Some(code)
                if *code == SqlState::ADMIN_SHUTDOWN
                    || *code == SqlState::CRASH_SHUTDOWN
                    || *code == SqlState::CANNOT_CONNECT_NOW
                    || *code == SqlState::IDLE_SESSION_TIMEOUT =>
            {
                Error::ConnectionLost {
                    detail: format!(
                        "the server ended the session ({})",
                        crate::session::describe(&e)
                    ),
                }
            }
            Some(_) => Error::Server { source: e },
            // No SQLSTATE: an IO or protocol error on the connection.
            None => Error::ConnectionLost {
                detail: format!("the connection failed ({e})"),
            },
        }
    }

    /// `Error::ConnectionLost`.
    pub fn is_connection_lost(&self) -> bool {
        matches!(self, Error::ConnectionLost { .. })
    }

    /// `Error::Deadlock`.
    pub fn is_deadlock(&self) -> bool {
        matches!(self, Error::Deadlock { .. })
    }

    /// `Error::Timeout`.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Connect { source } => write!(
                f,
                "could not open a PostgreSQL session for a lock: {source} \
                 (check the URL, that the server runs, and max_connections)"
            ),
            Error::ConnectionLost { detail } => write!(
                f,
                "the PostgreSQL session holding or awaiting the lock ended: {detail}; \
                 the server has released its locks, so stop the protected work"
            ),
            Error::Deadlock { key, detail } => write!(
                f,
                "deadlock detected by PostgreSQL while waiting for {key} ({detail}); \
                 nothing was acquired: release held locks and retry, or take keys in one order"
            ),
            Error::Timeout { key, after } => write!(
                f,
                "timed out after {after:?} waiting for {key}; nothing is held"
            ),
            Error::Misuse { what } => write!(f, "misuse of a PostgreSQL lock: {what}"),
            Error::Server { source } => write!(
                f,
                "PostgreSQL refused a lock query: {}",
                crate::session::describe(source)
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Connect { source } => Some(&**source),
            Error::Server { source } => Some(source),
            _ => None,
        }
    }
}
