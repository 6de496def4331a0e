//! What every guard shares, and the acquisition of one advisory lock.

use std::time::{Duration, Instant};

use tokio_postgres::error::SqlState;

use crate::session::Session;
use crate::{Database, Error, Key};

/// Fetches the fencing token at the end of an acquisition, in the same
/// implicit transaction: that transaction's 64-bit id (`xid8`, epoch
/// included, so it never wraps). Transaction ids are handed out in
/// increasing order, and this one is handed out after the lock was granted,
/// so it is larger than the token of every earlier holder of the key.
///
/// `pg_logical_emit_message(true, …)` writes a small WAL record in that
/// transaction, which makes its commit flush WAL (with the default
/// `synchronous_commit = on`): without it the transaction would commit
/// asynchronously and, if the server crashed within the next few hundred
/// milliseconds, the recovered server could hand the same id out again. No
/// table, sequence or other schema object is needed. (Under
/// `wal_level = logical`, logical decoding sees these messages under the
/// prefix `turnstile-postgres`; plugins ignore prefixes they don't know.)
pub(crate) const FENCE: &str = "(SELECT pg_current_xact_id()::text \
     FROM pg_logical_emit_message(true, 'turnstile-postgres', 'fencing token') AS m)";

/// How long an acquisition waits.
#[derive(Clone, Copy)]
pub(crate) enum Wait {
    /// Until granted (or the session ends, or a deadlock).
    Forever,
    /// Not at all.
    Try,
    /// Until this instant (the caller's timeout was the duration).
    Until(Instant, Duration),
}

impl Wait {
    pub(crate) fn timeout(timeout: Duration) -> Wait {
        // An instant too far away to represent waits forever.
        match Instant::now().checked_add(timeout) {
            Some(deadline) => Wait::Until(deadline, timeout),
            None => Wait::Forever,
        }
    }

    /// The `set_config` statement that bounds the next wait of this
    /// implicit transaction, or `None` when the deadline has passed.
    pub(crate) fn lock_timeout_sql(self) -> Option<String> {
        match self {
            Wait::Forever => Some(String::new()),
            Wait::Try => None,
            Wait::Until(deadline, _) => {
                let left = deadline.checked_duration_since(Instant::now())?;
                // Whole milliseconds, rounded up: zero would mean "no limit".
                let ms = left.as_micros().div_ceil(1000).max(1);
                Some(format!(
                    "SELECT set_config('lock_timeout', '{ms}ms', true); "
                ))
            }
        }
    }
}

/// The lock modes of advisory locks, as the functions and `pg_locks` name them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
    Exclusive,
    Shared,
}

impl Mode {
    pub(crate) fn suffix(self) -> &'static str {
        match self {
            Mode::Exclusive => "",
            Mode::Shared => "_shared",
        }
    }

    fn pg_locks_mode(self) -> &'static str {
        match self {
            Mode::Exclusive => "ExclusiveLock",
            Mode::Shared => "ShareLock",
        }
    }
}

/// What a guard releases.
pub(crate) enum Release {
    /// One level of one advisory lock.
    One(Key, Mode),
    /// Everything the session holds (a semaphore's slots).
    All,
}

/// A held lock: its session (which holds exactly this lock and nothing
/// else), its fencing token and how to release it.
pub(crate) struct Held {
    pub(crate) session: Session,
    pub(crate) key: Key,
    pub(crate) token: u64,
    pub(crate) release: Release,
}

impl Held {
    pub(crate) async fn unlock(mut self) -> Result<(), Error> {
        if self.session.ended.is_set() {
            return Err(self.session.ended.wait().await);
        }
        let sql = match self.release {
            Release::One(key, mode) => {
                format!(
                    "SELECT pg_advisory_unlock{}({})",
                    mode.suffix(),
                    key.sql_args()
                )
            }
            // `pg_advisory_unlock_all()` returns void: report `t`.
            Release::All => "SELECT 't' FROM (SELECT pg_advisory_unlock_all()) AS u".to_string(),
        };
        let rows = self
            .session
            .query(&sql)
            .await
            .map_err(|e| Error::from_query(self.key, e))?;
        if rows.first().and_then(|r| r.as_deref()) == Some("t") {
            self.session.recycle();
            Ok(())
        } else {
            // The session is dropped (closed): whatever it held is released.
            Err(Error::Misuse {
                what: format!(
                    "{} was not held by its session when unlocked (was \
                     pg_advisory_unlock_all run on it?); the session is closed",
                    self.key
                ),
            })
        }
    }
}

pub(crate) fn parse_token(key: Key, text: Option<&str>) -> Result<u64, Error> {
    text.and_then(|t| t.parse().ok())
        .ok_or_else(|| Error::Misuse {
            what: format!(
                "the server returned no fencing token for {key} (is it PostgreSQL ≥ 13?)"
            ),
        })
}

/// Acquires one advisory lock on a session of its own.
///
/// `Ok(None)` only for `Wait::Try`. A timeout is confirmed against
/// `pg_locks` before it is reported: the server can grant the lock just
/// before `lock_timeout` fires, and a session-level lock survives the
/// statement's error ([madelson/DistributedLock#147](https://github.com/madelson/DistributedLock/issues/147)).
pub(crate) async fn acquire(
    db: &Database,
    key: Key,
    mode: Mode,
    wait: Wait,
) -> Result<Option<Held>, Error> {
    let session = db.session().await?;
    let reused = session.reused;
    match acquire_on(session, key, mode, wait).await {
        // The connection was lost: the server released whatever the
        // session had, so trying again on a fresh session is safe.
        Err(e) if reused && e.is_connection_lost() => {
            acquire_on(db.fresh_session().await?, key, mode, wait).await
        }
        result => result,
    }
}

async fn acquire_on(
    mut session: Session,
    key: Key,
    mode: Mode,
    wait: Wait,
) -> Result<Option<Held>, Error> {
    let f = mode.suffix();
    let k = key.sql_args();
    let held = |session, token| Held {
        session,
        key,
        token,
        release: Release::One(key, mode),
    };
    let Some(bound) = wait.lock_timeout_sql() else {
        // Try, or a deadline that has already passed: one attempt.
        let rows = session
            .query(&format!(
                "SELECT CASE WHEN pg_try_advisory_lock{f}({k}) THEN {FENCE} END"
            ))
            .await
            .map_err(|e| Error::from_query(key, e))?;
        return match rows.first().and_then(|r| r.as_deref()) {
            Some(token) => Ok(Some(held(session, parse_token(key, Some(token))?))),
            None => {
                session.recycle();
                match wait {
                    Wait::Until(_, after) => Err(Error::Timeout { key, after }),
                    _ => Ok(None),
                }
            }
        };
    };
    let result = session
        .query(&format!(
            "{bound}SELECT pg_advisory_lock{f}({k}); SELECT {FENCE}"
        ))
        .await;
    match result {
        Ok(rows) => {
            let token = parse_token(key, rows.last().and_then(|r| r.as_deref()))?;
            Ok(Some(held(session, token)))
        }
        Err(e) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => {
            let Wait::Until(_, after) = wait else {
                return Err(Error::from_query(key, e));
            };
            match recheck(&mut session, key, mode).await? {
                Some(token) => Ok(Some(held(session, token))),
                None => {
                    session.recycle();
                    Err(Error::Timeout { key, after })
                }
            }
        }
        Err(e) => {
            let error = Error::from_query(key, e);
            if error.is_deadlock() {
                // Nothing was granted; the session is clean.
                session.recycle();
            }
            Err(error)
        }
    }
}

/// After a `lock_timeout` error: does the session hold `key` after all? If
/// so, the fencing token.
pub(crate) async fn recheck(
    session: &mut Session,
    key: Key,
    mode: Mode,
) -> Result<Option<u64>, Error> {
    let rows = session
        .query(&format!(
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_locks WHERE {} AND mode = '{}' \
             AND granted AND pid = pg_backend_pid()) THEN {FENCE} END",
            key.pg_locks_filter(),
            mode.pg_locks_mode()
        ))
        .await
        .map_err(|e| Error::from_query(key, e))?;
    match rows.first().and_then(|r| r.as_deref()) {
        Some(token) => Ok(Some(parse_token(key, Some(token))?)),
        None => Ok(None),
    }
}

/// Whether the session holds `key` in `mode` (after a `lock_timeout` error).
pub(crate) async fn holds(session: &mut Session, key: Key, mode: Mode) -> Result<bool, Error> {
    let rows = session
        .query(&format!(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE {} AND mode = '{}' \
             AND granted AND pid = pg_backend_pid())",
            key.pg_locks_filter(),
            mode.pg_locks_mode()
        ))
        .await
        .map_err(|e| Error::from_query(key, e))?;
    Ok(rows.first().and_then(|r| r.as_deref()) == Some("t"))
}

/// A transaction-scoped lock on the caller's transaction.
pub(crate) async fn acquire_xact(
    tx: &tokio_postgres::Transaction<'_>,
    key: Key,
    mode: Mode,
    try_only: bool,
) -> Result<Option<u64>, Error> {
    let f = mode.suffix();
    let k = key.sql_args();
    let sql = if try_only {
        format!("SELECT CASE WHEN pg_try_advisory_xact_lock{f}({k}) THEN {FENCE} END")
    } else {
        format!("SELECT pg_advisory_xact_lock{f}({k}); SELECT {FENCE}")
    };
    let messages = tx
        .simple_query(&sql)
        .await
        .map_err(|e| Error::from_query(key, e))?;
    let token = messages
        .iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => Some(row.get(0)),
            _ => None,
        })
        .last()
        .flatten();
    match token {
        Some(t) => Ok(Some(parse_token(key, Some(t))?)),
        None if try_only => Ok(None),
        None => Err(parse_token(key, None).unwrap_err()),
    }
}

/// The methods every guard has, delegating to `Held`.
macro_rules! guard_methods {
    () => {
        /// The fencing token: strictly greater than the token of every
        /// earlier holder of this key, across sessions, processes and server
        /// restarts. Pass it to the resource the lock protects, and have
        /// the resource reject a token lower than the highest it has seen:
        /// a holder that was paused past the loss of its session (see
        /// [`lost`](Self::lost)) is then refused instead of overwriting a
        /// newer holder's work.
        ///
        /// It is the id of the transaction that acquired the lock
        /// (`pg_current_xact_id()`, 64 bits with the epoch), made durable
        /// before the acquisition returns; it survives clean and crash
        /// restarts of the server, not a restore of an older backup or a
        /// failover to a replica that lagged behind.
        pub fn fencing_token(&self) -> u64 {
            self.held.token
        }

        /// The key.
        pub fn key(&self) -> crate::Key {
            self.held.key
        }

        /// Resolves, with [`Error::ConnectionLost`](crate::Error::ConnectionLost),
        /// when the session holding the lock ends: terminated
        /// (`pg_terminate_backend`, `idle_session_timeout`), the server shut
        /// down or restarted, or the network failed past the keepalive
        /// limits. The server has then released the lock and another holder
        /// may run: stop the protected work. Never resolves while the
        /// session lives. A process that is paused (GC, SIGSTOP, a full
        /// VM) learns it only when it runs again; that is what
        /// [`fencing_token`](Self::fencing_token) is for.
        pub fn lost(&self) -> impl std::future::Future<Output = crate::Error> + Send + '_ {
            self.held.session.ended.wait()
        }

        /// Whether [`lost`](Self::lost) has resolved.
        pub fn is_lost(&self) -> bool {
            self.held.session.ended.is_set()
        }

        /// Releases the lock and keeps the session for reuse, reporting
        /// errors (dropping the guard releases too, by closing the session,
        /// but reports nothing). If the session has ended, this returns
        /// [`Error::ConnectionLost`](crate::Error::ConnectionLost): the lock
        /// was already released, maybe long ago.
        pub async fn unlock(self) -> Result<(), crate::Error> {
            self.held.unlock().await
        }
    };
}
pub(crate) use guard_methods;
