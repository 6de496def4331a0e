//! A throwaway PostgreSQL cluster for tests and benchmarks: initdb into a
//! temporary directory, `pg_ctl start` on a free port of 127.0.0.1 with
//! fsync off (as the `postgres` user when run as root), stopped with
//! `-m immediate` and removed on drop. Shared by `tests/server.rs` and the
//! benchmark crate (through `#[path]`), so it has no dependencies.

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// A running cluster; stopped and removed on drop.
pub struct Cluster {
    bin: PathBuf,
    /// Its temporary directory: `data/`, `log`, the Unix socket.
    pub dir: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl Cluster {
    /// Starts one, or panics saying what is missing.
    pub fn start() -> Cluster {
        let bin = find_bin_dir().expect(
            "no initdb found under /usr/lib/postgresql/*/bin or on PATH: install PostgreSQL \
             (apt-get install postgresql) or set TURNSTILE_PG_URL",
        );
        let as_postgres = run_output(Command::new("id").arg("-u")).trim() == "0";
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let dir = std::env::temp_dir().join(format!("turnstile-pg-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        if as_postgres {
            run(Command::new("chown").arg("postgres:").arg(&dir));
        }
        let port = free_port();
        let cluster = Cluster {
            bin,
            dir,
            port,
            as_postgres,
        };
        run(cluster
            .command("initdb")
            .args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
                "-D",
            ])
            .arg(cluster.dir.join("data")));
        cluster.pg_ctl_start();
        cluster
    }

    fn command(&self, tool: &str) -> Command {
        let path = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    /// `pg_ctl start` (again, after a stop).
    #[allow(dead_code)]
    pub fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 \
             -c deadlock_timeout=200ms",
            self.port,
            self.dir.display()
        );
        run(self
            .command("pg_ctl")
            .args(["start", "-w", "-t", "60", "-D"])
            .arg(self.dir.join("data"))
            .arg("-l")
            .arg(self.dir.join("log"))
            .arg("-o")
            .arg(options));
    }

    /// `pg_ctl stop -m MODE`.
    #[allow(dead_code)]
    pub fn pg_ctl_stop(&self, mode: &str) {
        run(self
            .command("pg_ctl")
            .args(["stop", "-w", "-m", mode, "-D"])
            .arg(self.dir.join("data")));
    }

    /// A superuser's URL.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(["stop", "-w", "-m", "immediate", "-D"])
            .arg(self.dir.join("data"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn find_bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    dirs.sort();
    if let Some((_, bin)) = dirs.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .find(|d| d.join("initdb").exists() && d.join("pg_ctl").exists())
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs a command; panics with its output if it fails.
pub fn run(command: &mut Command) {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn run_output(command: &mut Command) -> String {
    String::from_utf8(command.output().unwrap().stdout).unwrap()
}
