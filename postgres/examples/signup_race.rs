//! Two processes race to sign up the same e-mail address; exactly one wins.
//!
//! ```text
//! cargo run -p turnstile-postgres --features tokio --example signup_race -- postgres://postgres@127.0.0.1/postgres
//! ```
//!
//! A signup here is more than an insert: it checks that the address is new,
//! *sends the welcome mail* (a side effect no transaction can roll back),
//! then records the account. A unique index on `email` alone would stop the
//! second insert, but only after the second welcome mail went out. The
//! mutex on `signup:<email>` makes check, mail and insert one step across
//! every process: the loser finds the account and sends nothing. (The index
//! is still there, as it should be: the lock orders the work, the index
//! guards the data.)
//!
//! The parent process starts two copies of itself (`child` mode) and checks
//! the outcome: one "signed up", one "already registered", one row.

use std::process::{Command, Stdio};

use tokio_postgres::{Client, Config, NoTls};
use turnstile_postgres::{Connect, Database, Key, TokioConnector};

async fn client(url: &str) -> Client {
    let config: Config = url.parse().expect("a PostgreSQL URL");
    let connector = TokioConnector::new(&config).expect("inside tokio");
    let stream = connector.open(&Default::default()).await.expect("connect");
    let (client, connection) = config.connect_raw(stream, NoTls).await.expect("log in");
    tokio::spawn(connection);
    client
}

/// One signup attempt; returns what happened.
async fn sign_up(url: &str, email: &str) -> String {
    let db = Database::tokio(url).expect("a PostgreSQL URL");
    let data = client(url).await;
    let guard = db
        .mutex(Key::name(&format!("signup:{email}")))
        .lock()
        .await
        .expect("lock");
    let exists = data
        .query_opt("SELECT 1 FROM signup_accounts WHERE email = $1", &[&email])
        .await
        .expect("select")
        .is_some();
    let outcome = if exists {
        "already registered".to_string()
    } else {
        // The side effect that must happen once: here, a line on stdout.
        println!("sending the welcome mail to {email}");
        data.execute(
            "INSERT INTO signup_accounts (email, fencing_token) VALUES ($1, $2)",
            &[&email, &(guard.fencing_token() as i64)],
        )
        .await
        .expect("insert");
        "signed up".to_string()
    };
    guard.unlock().await.expect("unlock");
    outcome
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [mode, url, email] if mode == "child" => {
            println!("{}", sign_up(url, email).await);
        }
        [url] => {
            let data = client(url).await;
            data.batch_execute(
                "CREATE TABLE IF NOT EXISTS signup_accounts \
                 (email text PRIMARY KEY, fencing_token bigint NOT NULL); \
                 DELETE FROM signup_accounts WHERE email = 'ann@example.com'",
            )
            .await
            .expect("create the table");
            let exe = std::env::current_exe().expect("own path");
            let children: Vec<_> = (0..2)
                .map(|_| {
                    Command::new(&exe)
                        .args(["child", url, "ann@example.com"])
                        .stdout(Stdio::piped())
                        .spawn()
                        .expect("start a child")
                })
                .collect();
            let outputs: Vec<String> = children
                .into_iter()
                .map(|c| {
                    let out = c.wait_with_output().expect("a child");
                    assert!(out.status.success(), "a child failed");
                    String::from_utf8(out.stdout).expect("utf-8")
                })
                .collect();
            for (i, out) in outputs.iter().enumerate() {
                print!("process {i}:\n{out}");
            }
            let mails = outputs
                .iter()
                .filter(|o| o.contains("welcome mail"))
                .count();
            let winners = outputs.iter().filter(|o| o.contains("signed up")).count();
            let rows: i64 = data
                .query_one(
                    "SELECT count(*) FROM signup_accounts WHERE email = 'ann@example.com'",
                    &[],
                )
                .await
                .expect("count")
                .get(0);
            assert_eq!(
                (winners, mails, rows),
                (1, 1, 1),
                "exactly one signup, one mail, one row"
            );
            println!("exactly one process signed ann@example.com up and sent one welcome mail");
        }
        _ => {
            eprintln!("usage: signup_race URL");
            std::process::exit(2);
        }
    }
}
