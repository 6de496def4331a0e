//! Ready-made connectors for tokio and smol.

use std::io;
use std::path::PathBuf;

use tokio_postgres::config::Host;
use tokio_postgres::Config;

use crate::{Error, Settings};

/// Where a ready-made connector connects: the first host and port of the
/// configuration (a `hostaddr`, if given, stands for the host).
#[derive(Clone, Debug)]
enum Target {
    Tcp(String, u16),
    #[cfg_attr(not(unix), allow(dead_code))]
    Unix(PathBuf),
}

impl Target {
    fn of(config: &Config) -> Result<Target, Error> {
        let port = config.get_ports().first().copied().unwrap_or(5432);
        if let Some(addr) = config.get_hostaddrs().first() {
            return Ok(Target::Tcp(addr.to_string(), port));
        }
        match config.get_hosts().first() {
            Some(Host::Tcp(host)) => Ok(Target::Tcp(host.clone(), port)),
            #[cfg(unix)]
            Some(Host::Unix(dir)) => Ok(Target::Unix(dir.join(format!(".s.PGSQL.{port}")))),
            _ => Err(Error::Misuse {
                what: "the connection configuration names no host (add host=... or a URL host)"
                    .to_string(),
            }),
        }
    }
}

/// Applies the settings' keepalives to a TCP socket, so that a vanished
/// server or network ends the session on the client too.
fn keepalive(socket: socket2::SockRef<'_>, settings: &Settings) -> io::Result<()> {
    socket.set_tcp_nodelay(true)?;
    let keepalive = socket2::TcpKeepalive::new().with_time(settings.keepalive_idle);
    #[cfg(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "freebsd",
        windows
    ))]
    let keepalive = keepalive.with_interval(settings.keepalive_interval);
    #[cfg(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "freebsd"
    ))]
    let keepalive = keepalive.with_retries(settings.keepalive_retries);
    socket.set_tcp_keepalive(&keepalive)
}

#[cfg(feature = "tokio")]
pub use self::tokio_connector::TokioConnector;

#[cfg(feature = "tokio")]
mod tokio_connector {
    use super::*;
    use crate::{BoxFuture, Connect, Stream};

    /// A [`Connect`] on tokio: TCP (with the settings' keepalives) or Unix
    /// socket streams; each session's connection is a task spawned on the
    /// runtime that was current when the connector was made.
    #[derive(Clone, Debug)]
    pub struct TokioConnector {
        target: Target,
        handle: tokio::runtime::Handle,
    }

    impl TokioConnector {
        /// Connects where `config` says (its first host and port). Must be
        /// called inside a tokio runtime, which then drives the sessions.
        pub fn new(config: &Config) -> Result<TokioConnector, Error> {
            let handle = tokio::runtime::Handle::try_current().map_err(|_| Error::Misuse {
                what: "TokioConnector::new was called outside a tokio runtime".to_string(),
            })?;
            Ok(TokioConnector {
                target: Target::of(config)?,
                handle,
            })
        }
    }

    impl Connect for TokioConnector {
        fn open(&self, settings: &Settings) -> BoxFuture<io::Result<Box<dyn Stream>>> {
            let target = self.target.clone();
            let settings = settings.clone();
            Box::pin(async move {
                match target {
                    Target::Tcp(host, port) => {
                        let stream = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
                        keepalive(socket2::SockRef::from(&stream), &settings)?;
                        Ok(Box::new(stream) as Box<dyn Stream>)
                    }
                    #[cfg(unix)]
                    Target::Unix(path) => {
                        Ok(Box::new(tokio::net::UnixStream::connect(path).await?)
                            as Box<dyn Stream>)
                    }
                    #[cfg(not(unix))]
                    Target::Unix(_) => unreachable!("no Unix sockets here"),
                }
            })
        }

        fn spawn(&self, task: BoxFuture<()>) {
            drop(self.handle.spawn(task));
        }
    }
}

#[cfg(feature = "smol")]
pub use self::smol_connector::SmolConnector;

#[cfg(feature = "smol")]
mod smol_connector {
    use std::pin::Pin;
    use std::task::{ready, Context, Poll};

    use smol::io::{AsyncRead as FuturesRead, AsyncWrite as FuturesWrite};
    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

    use super::*;
    use crate::{BoxFuture, Connect, Stream};

    /// A [`Connect`] on smol: TCP (with the settings' keepalives) or Unix
    /// socket streams through a small adapter to tokio's IO traits; each
    /// session's connection is a task on smol's global executor
    /// (`smol::spawn`).
    #[derive(Clone, Debug)]
    pub struct SmolConnector {
        target: Target,
    }

    impl SmolConnector {
        /// Connects where `config` says (its first host and port).
        pub fn new(config: &Config) -> Result<SmolConnector, Error> {
            Ok(SmolConnector {
                target: Target::of(config)?,
            })
        }
    }

    impl Connect for SmolConnector {
        fn open(&self, settings: &Settings) -> BoxFuture<io::Result<Box<dyn Stream>>> {
            let target = self.target.clone();
            let settings = settings.clone();
            Box::pin(async move {
                match target {
                    Target::Tcp(host, port) => {
                        let stream = smol::net::TcpStream::connect((host.as_str(), port)).await?;
                        keepalive(socket2::SockRef::from(&stream), &settings)?;
                        Ok(Box::new(Compat(stream)) as Box<dyn Stream>)
                    }
                    #[cfg(unix)]
                    Target::Unix(path) => {
                        let stream = smol::net::unix::UnixStream::connect(path).await?;
                        Ok(Box::new(Compat(stream)) as Box<dyn Stream>)
                    }
                    #[cfg(not(unix))]
                    Target::Unix(_) => unreachable!("no Unix sockets here"),
                }
            })
        }

        fn spawn(&self, task: BoxFuture<()>) {
            smol::spawn(task).detach();
        }
    }

    /// futures-io's traits (smol's) as tokio's.
    struct Compat<T>(T);

    impl<T: FuturesRead + Unpin> AsyncRead for Compat<T> {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let n = ready!(Pin::new(&mut self.0).poll_read(cx, buf.initialize_unfilled()))?;
            buf.advance(n);
            Poll::Ready(Ok(()))
        }
    }

    impl<T: FuturesWrite + Unpin> AsyncWrite for Compat<T> {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut self.0).poll_write(cx, buf)
        }

        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.0).poll_flush(cx)
        }

        fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.0).poll_close(cx)
        }
    }
}
