//! Sessions: one PostgreSQL connection per held or awaited lock.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex as StdMutex, Weak};
use std::task::Poll;
use std::time::Duration;

use event_listener::Event;
use futures_channel::oneshot;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_postgres::{CancelToken, Client, Config, NoTls, SimpleQueryMessage};

use crate::{Error, Key, Mutex, RwLock, Semaphore};

/// A future that a [`Connect`] returns or runs: boxed, `Send`, `'static`.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A byte stream to the server, in tokio's IO traits (what tokio-postgres
/// speaks). Implemented for every type that qualifies.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Stream for T {}

/// How sessions reach the server and how their connections are driven: the
/// one place where the runtime is chosen.
///
/// A lock needs neither a spawner nor a timer for itself (deadlines are the
/// server's `lock_timeout`), but each session's tokio-postgres `Connection`
/// must be polled while the session lives, also while a guard is merely
/// held, so that [`MutexGuard::lost`](crate::MutexGuard::lost) learns when the
/// session ends. The connector runs it with [`spawn`](Connect::spawn), and
/// runs the cancel request of an abandoned wait the same way.
///
/// The `tokio` and `smol` features provide [`TokioConnector`](crate::TokioConnector)
/// and [`SmolConnector`](crate::SmolConnector); implement this trait for
/// another runtime or a proxy. (Sessions negotiate no TLS: see the crate docs.)
pub trait Connect: Send + Sync + 'static {
    /// Opens a new stream to the server: one for each session and one for
    /// each cancel request. TCP streams should get the keepalive settings of
    /// `settings` (the ready-made connectors do), so that a session whose
    /// server or network vanished is noticed as lost.
    fn open(&self, settings: &Settings) -> BoxFuture<io::Result<Box<dyn Stream>>>;

    /// Runs `task` to completion in the background (it finishes when its
    /// session ends).
    fn spawn(&self, task: BoxFuture<()>);
}

/// Per-session settings. The defaults suit a server on the same network;
/// every field is public so they can be tuned.
///
/// With the defaults a killed client's waiting session leaves the server's
/// queue within about a second (`client_connection_check_interval`), a
/// holder whose machine or network vanished loses its locks after about
/// 10 s + 3 × 5 s = 25 s (server-side keepalives), and the client notices a
/// vanished server after the same time (client-side keepalives, which the
/// ready-made connectors set).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Settings {
    /// TCP keepalive idle time, on both ends (server: `tcp_keepalives_idle`).
    /// Default 10 s.
    pub keepalive_idle: Duration,
    /// TCP keepalive probe interval, on both ends (server:
    /// `tcp_keepalives_interval`). Default 5 s.
    pub keepalive_interval: Duration,
    /// Unanswered probes before the connection is declared dead, on both
    /// ends (server: `tcp_keepalives_count`). Default 3.
    pub keepalive_retries: u32,
    /// The server's `client_connection_check_interval` (PostgreSQL ≥ 14; not
    /// set on older servers): how often a session that waits for a lock
    /// checks that its client is still connected, so that a killed waiter
    /// never takes a turn. Default 1 s; zero turns it off.
    pub connection_check_interval: Duration,
    /// Sessions kept open for reuse after an explicit `unlock()` or a failed
    /// `try_*`/deadline attempt (each holds no lock). Default 4.
    pub idle_sessions: usize,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            keepalive_idle: Duration::from_secs(10),
            keepalive_interval: Duration::from_secs(5),
            keepalive_retries: 3,
            connection_check_interval: Duration::from_secs(1),
            idle_sessions: 4,
        }
    }
}

/// A PostgreSQL database that keeps locks: a connection configuration and
/// a [`Connect`]. Cheap to clone; the locks it makes open their sessions
/// when they acquire.
///
/// ```no_run
/// # async fn demo() -> Result<(), turnstile_postgres::Error> {
/// let db = turnstile_postgres::Database::tokio("postgres://app@127.0.0.1/app")?;
/// let guard = db.mutex("nightly-report").lock().await?;
/// // ... the work only one process may do at a time ...
/// guard.unlock().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Database {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    config: Config,
    connector: Box<dyn Connect>,
    settings: Settings,
    idle: StdMutex<Vec<Session>>,
}

impl Database {
    /// A database reached through `connector`, with default [`Settings`].
    /// Of `config`, the connector uses the address; tokio-postgres uses the
    /// user, password, database name, options and application name.
    pub fn new(config: Config, connector: impl Connect) -> Database {
        Database::with_settings(config, connector, Settings::default())
    }

    /// A database reached through `connector`, with these settings.
    pub fn with_settings(
        mut config: Config,
        connector: impl Connect,
        settings: Settings,
    ) -> Database {
        if config.get_application_name().is_none() {
            config.application_name("turnstile-postgres");
        }
        Database {
            shared: Arc::new(Shared {
                config,
                connector: Box::new(connector),
                settings,
                idle: StdMutex::new(Vec::new()),
            }),
        }
    }

    /// A database on tokio, from a URL or key-value string
    /// (`postgres://user:password@host:port/dbname` or
    /// `host=/run/postgresql user=app`). Must be called inside a tokio
    /// runtime: the sessions' connections are spawned on it.
    #[cfg(feature = "tokio")]
    pub fn tokio(url: &str) -> Result<Database, Error> {
        let config = parse(url)?;
        let connector = crate::TokioConnector::new(&config)?;
        Ok(Database::new(config, connector))
    }

    /// A database on smol, from a URL or key-value string (see
    /// [`Database::tokio`]). Connections are driven by `smol::spawn`.
    #[cfg(feature = "smol")]
    pub fn smol(url: &str) -> Result<Database, Error> {
        let config = parse(url)?;
        let connector = crate::SmolConnector::new(&config)?;
        Ok(Database::new(config, connector))
    }

    /// A mutex on `key`.
    pub fn mutex(&self, key: impl Into<Key>) -> Mutex {
        Mutex::new(self.clone(), key.into())
    }

    /// A reader-writer lock on `key`.
    pub fn rwlock(&self, key: impl Into<Key>) -> RwLock {
        RwLock::new(self.clone(), key.into())
    }

    /// A semaphore of `permits` permits on `key` (which it uses as its
    /// gate; the permits are slot keys derived from it). See [`Semaphore`]
    /// for the limit on `permits`.
    pub fn semaphore(&self, key: impl Into<Key>, permits: u32) -> Semaphore {
        Semaphore::new(self.clone(), key.into(), permits)
    }

    /// The settings its sessions use.
    pub fn settings(&self) -> &Settings {
        &self.shared.settings
    }

    /// A new session.
    pub(crate) async fn fresh_session(&self) -> Result<Session, Error> {
        Session::open(&self.shared).await
    }

    /// An idle session, or a new one.
    pub(crate) async fn session(&self) -> Result<Session, Error> {
        loop {
            let reused = self
                .shared
                .idle
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pop();
            match reused {
                Some(s) if s.client.is_closed() || s.ended.is_set() => continue,
                Some(mut s) => {
                    s.reused = true;
                    return Ok(s);
                }
                None => return Session::open(&self.shared).await,
            }
        }
    }
}

impl std::fmt::Debug for Database {
    /// The settings and how many idle sessions it keeps now (never the
    /// password).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let idle = self.shared.idle.lock().map(|v| v.len()).unwrap_or(0);
        f.debug_struct("Database")
            .field("user", &self.shared.config.get_user())
            .field("dbname", &self.shared.config.get_dbname())
            .field("settings", &self.shared.settings)
            .field("idle_sessions", &idle)
            .finish_non_exhaustive()
    }
}

#[cfg(any(feature = "tokio", feature = "smol"))]
fn parse(url: &str) -> Result<Config, Error> {
    url.parse::<Config>().map_err(|e| Error::Connect {
        source: Box::new(e),
    })
}

/// An error as a sentence: the server's message and SQLSTATE if it sent one
/// (tokio-postgres' `Display` says only "db error" then).
pub(crate) fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!(
            "{}: {} (SQLSTATE {})",
            db.severity(),
            db.message(),
            db.code().code()
        ),
        None => e.to_string(),
    }
}

/// Set when a session's connection has ended, with what ended it.
#[derive(Default)]
pub(crate) struct Ended {
    set: AtomicBool,
    detail: StdMutex<String>,
    event: Event,
}

impl Ended {
    pub(crate) fn is_set(&self) -> bool {
        self.set.load(Ordering::Acquire)
    }

    fn finish(&self, detail: String) {
        *self.detail.lock().unwrap_or_else(|e| e.into_inner()) = detail;
        self.set.store(true, Ordering::Release);
        self.event.notify(usize::MAX);
    }

    pub(crate) async fn wait(&self) -> Error {
        loop {
            if self.is_set() {
                break;
            }
            let listener = self.event.listen();
            if self.is_set() {
                break;
            }
            listener.await;
        }
        Error::ConnectionLost {
            detail: self
                .detail
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        }
    }
}

/// Sets `Ended` when the driver task finishes, or is dropped unfinished
/// (its runtime shut down): either way the connection is gone, and `lost()`
/// must not wait forever.
struct FinishOnDrop {
    ended: Arc<Ended>,
    detail: String,
}

impl FinishOnDrop {
    /// The driver finished: this is what ended the connection.
    fn done(mut self, detail: String) {
        self.detail = detail;
    }
}

impl Drop for FinishOnDrop {
    fn drop(&mut self) {
        self.ended.finish(std::mem::take(&mut self.detail));
    }
}

/// One PostgreSQL session, owned by one lock operation or guard at a time,
/// so that a session never holds a lock nobody knows about: a session in
/// the idle list holds none.
pub(crate) struct Session {
    client: Client,
    cancel: CancelToken,
    pub(crate) ended: Arc<Ended>,
    /// Sending on it makes the driver drop the connection (closing the
    /// socket) without waiting for the pending reply.
    abort: Option<oneshot::Sender<()>>,
    /// A query is in flight: dropping the session now abandons it.
    busy: bool,
    /// It came from the idle list: it may have died since its last query
    /// (`idle_session_timeout`, a restart) without the driver noticing yet,
    /// so a connection error on its first query is worth one retry on a
    /// fresh session.
    pub(crate) reused: bool,
    /// Weak: the idle list is in `Shared`, and must not keep it alive.
    db: Weak<Shared>,
}

impl Session {
    async fn open(db: &Arc<Shared>) -> Result<Session, Error> {
        let stream = db
            .connector
            .open(&db.settings)
            .await
            .map_err(|e| Error::Connect {
                source: Box::new(e),
            })?;
        let (client, connection) =
            db.config
                .connect_raw(stream, NoTls)
                .await
                .map_err(|e| Error::Connect {
                    source: Box::new(e),
                })?;
        let version: u32 = connection
            .parameter("server_version")
            .and_then(|v| v.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let ended = Arc::new(Ended::default());
        let (abort, mut aborted) = oneshot::channel::<()>();
        let mut connection = Box::pin(connection);
        let finish = FinishOnDrop {
            ended: ended.clone(),
            detail: "the runtime driving the session's connection dropped it \
                     (was the runtime shut down?)"
                .to_string(),
        };
        let mut abort_live = true;
        db.connector.spawn(Box::pin(async move {
            let detail = std::future::poll_fn(|cx| {
                if abort_live {
                    match Pin::new(&mut aborted).poll(cx) {
                        Poll::Ready(Ok(())) => {
                            return Poll::Ready(
                                "the session was discarded by this client".to_string(),
                            )
                        }
                        // The session was dropped normally: the connection
                        // sends Terminate and ends by itself.
                        Poll::Ready(Err(_)) => abort_live = false,
                        Poll::Pending => {}
                    }
                }
                connection.as_mut().poll(cx).map(|r| match r {
                    Ok(()) => "the server closed the connection".to_string(),
                    Err(e) => describe(&e),
                })
            })
            .await;
            // Drop the connection (and the socket) before telling anyone.
            drop(connection);
            finish.done(detail);
        }));
        let session = Session {
            cancel: client.cancel_token(),
            client,
            ended,
            abort: Some(abort),
            busy: false,
            reused: false,
            db: Arc::downgrade(db),
        };
        let s = &db.settings;
        let mut setup = format!(
            "SET statement_timeout = 0; SET lock_timeout = 0; \
             SET idle_in_transaction_session_timeout = 0; \
             SET tcp_keepalives_idle = {}; SET tcp_keepalives_interval = {}; \
             SET tcp_keepalives_count = {};",
            s.keepalive_idle.as_secs().max(1),
            s.keepalive_interval.as_secs().max(1),
            s.keepalive_retries
        );
        if version >= 14 {
            setup += &format!(
                " SET client_connection_check_interval = {};",
                s.connection_check_interval.as_millis()
            );
        }
        session
            .client
            .simple_query(&setup)
            .await
            .map_err(|e| Error::Connect {
                source: Box::new(e),
            })?;
        Ok(session)
    }

    /// Runs `sql` (the simple protocol: one round trip, several statements
    /// in one implicit transaction) and returns the first column of every
    /// row.
    pub(crate) async fn query(
        &mut self,
        sql: &str,
    ) -> Result<Vec<Option<String>>, tokio_postgres::Error> {
        self.busy = true;
        let result = self.client.simple_query(sql).await;
        self.busy = false;
        Ok(result?
            .into_iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(row) => Some(row.get(0).map(str::to_string)),
                _ => None,
            })
            .collect())
    }

    /// Puts the session (which must hold no lock) in the idle list, or
    /// closes it if the list is full or the session is dead.
    pub(crate) fn recycle(self) {
        if self.client.is_closed() || self.ended.is_set() {
            return;
        }
        let Some(db) = self.db.upgrade() else { return };
        let mut idle = db.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < db.settings.idle_sessions {
            idle.push(self);
        }
    }
}

impl Drop for Session {
    /// Closing a session releases every lock it holds, on the server. An
    /// idle session closes gracefully (tokio-postgres sends Terminate once
    /// the `Client` is gone). A session dropped mid-query (an abandoned
    /// `lock()`) is discarded: its socket is closed at once and a cancel
    /// request is sent, so that its wait leaves the server's queue now
    /// rather than when the lock would have been granted. If the grant won
    /// the race, the lock is released as the session ends.
    fn drop(&mut self) {
        if !self.busy {
            return;
        }
        if let Some(abort) = self.abort.take() {
            let _ = abort.send(());
        }
        let Some(db) = self.db.upgrade() else { return };
        let token = self.cancel.clone();
        let open = db.connector.open(&db.settings);
        db.connector.spawn(Box::pin(async move {
            if let Ok(stream) = open.await {
                let _ = token.cancel_query_raw(stream, NoTls).await;
            }
        }));
    }
}
