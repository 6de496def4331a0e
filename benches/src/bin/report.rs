//! Runs every row of the harness in one process and regenerates
//! `BENCHMARKS.md` and the charts under `benches/report/`.
//!
//! ```sh
//! cargo run --release -p turnstile-benches --bin report            # full: minutes
//! cargo run --release -p turnstile-benches --bin report -- --quick # seconds; CI
//! ```
//!
//! `--quick` runs the same rows with tiny sample counts, writes nothing
//! (unless `--out` is given), prints a compact table and exits non-zero on
//! gross regressions only, measured as ratios within the run:
//! - check `ratio`: a turnstile row more than 2x the fastest peer of that
//!   row, or more than its own ceiling where `rows::RATIO_LIMITS` lists one
//!   (rows known to sit above 2x today: a ratchet), re-measured twice with
//!   more samples before it counts;
//! - check `alloc-free waits`: any allocation on a turnstile contended wait.
//!
//! Options: `--out PATH` (markdown output; default `BENCHMARKS.md` at the
//! repository root in full mode), `--charts DIR` (default `benches/report`
//! in full mode), `--only SUBSTRING` (rows whose id contains it; no files
//! are written then unless asked for).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use turnstile_benches::alloc::{self, CountingAlloc};
use turnstile_benches::exec::{Env, WORKERS};
use turnstile_benches::measure::{measure_row, Config, Stats, Timing};
use turnstile_benches::rows::{self, Kind, Section, NO_PEER, REASONS};
use turnstile_benches::workloads::{AllocCount, Fairness};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// The row being measured and when it started, for the watchdog.
static CURRENT: std::sync::Mutex<Option<(String, Instant)>> = std::sync::Mutex::new(None);

fn now_measuring(id: &str) {
    *CURRENT.lock().unwrap() = Some((id.to_string(), Instant::now()));
}

/// Exits the process if one row takes longer than `limit` (a workload that
/// livelocks must not eat CI's time budget).
fn watchdog(limit: Duration) {
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_secs(1));
        if let Some((id, since)) = &*CURRENT.lock().unwrap() {
            if since.elapsed() > limit {
                eprintln!("report: row {id} still running after {limit:?}; giving up");
                std::process::exit(3);
            }
        }
    });
}

struct Mode {
    uncontended: Config,
    contended: Config,
    /// Used to re-measure a row that failed the ratio check in quick mode.
    confirm: Config,
    fair_runs: usize,
    fair_ops: u64,
    alloc_waits: u64,
}

impl Mode {
    fn full() -> Self {
        Mode {
            uncontended: Config {
                warm_up: Duration::from_millis(300),
                sample_time: Duration::from_millis(100),
                samples: 15,
            },
            contended: Config {
                warm_up: Duration::from_millis(300),
                sample_time: Duration::from_millis(200),
                samples: 11,
            },
            confirm: Config {
                warm_up: Duration::from_millis(100),
                sample_time: Duration::from_millis(100),
                samples: 5,
            },
            fair_runs: 9,
            fair_ops: 200_000,
            alloc_waits: 1_000,
        }
    }
    fn quick() -> Self {
        Mode {
            uncontended: Config {
                warm_up: Duration::from_millis(10),
                sample_time: Duration::from_millis(10),
                samples: 3,
            },
            contended: Config {
                warm_up: Duration::from_millis(10),
                sample_time: Duration::from_millis(15),
                samples: 5,
            },
            confirm: Config {
                warm_up: Duration::from_millis(50),
                sample_time: Duration::from_millis(50),
                samples: 7,
            },
            fair_runs: 3,
            fair_ops: 50_000,
            alloc_waits: 100,
        }
    }
}

/// One contestant's result in a timed row.
struct Res {
    name: &'static str,
    kind: Kind,
    stats: Stats,
}

struct RowRes {
    id: String,
    title: String,
    section: Section,
    unit: &'static str,
    results: Vec<Res>,
}

impl RowRes {
    /// The fastest ranked contestant (turnstile or a peer): its median.
    fn fastest(&self) -> Option<&Res> {
        self.results
            .iter()
            .filter(|r| r.kind != Kind::Reference)
            .min_by(|a, b| a.stats.median().total_cmp(&b.stats.median()))
    }
    fn turnstile(&self) -> Option<&Res> {
        self.results.iter().find(|r| r.kind == Kind::Turnstile)
    }
    fn has_peer(&self) -> bool {
        self.results.iter().any(|r| r.kind == Kind::Peer)
    }
    fn ratio(&self, r: &Res) -> f64 {
        r.stats.median() / self.fastest().map_or(f64::NAN, |f| f.stats.median())
    }
    /// Turnstile's median over the fastest peer's (not counting turnstile).
    fn turnstile_vs_best_peer(&self) -> Option<(f64, &Res)> {
        let t = self.turnstile()?;
        let best = self
            .results
            .iter()
            .filter(|r| r.kind == Kind::Peer)
            .min_by(|a, b| a.stats.median().total_cmp(&b.stats.median()))?;
        Some((t.stats.median() / best.stats.median(), best))
    }
}

struct FairRes {
    title: &'static str,
    results: Vec<(&'static str, Kind, Vec<Fairness>)>,
}

struct AllocRes {
    id: &'static str,
    results: Vec<(&'static str, Kind, AllocCount)>,
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut quick = false;
    let mut out: Option<PathBuf> = None;
    let mut charts: Option<PathBuf> = None;
    let mut only: Option<String> = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--out" => out = args.next().map(PathBuf::from),
            "--charts" => charts = args.next().map(PathBuf::from),
            "--only" => only = args.next(),
            "-h" | "--help" => {
                println!(
                    "usage: report [--quick] [--out FILE.md] [--charts DIR] [--only SUBSTRING]"
                );
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("report: unknown argument {other:?} (see --help)");
                return ExitCode::from(2);
            }
        }
    }
    let mode = if quick { Mode::quick() } else { Mode::full() };
    let root = repo_root();
    if !quick && only.is_none() {
        out.get_or_insert_with(|| root.join("BENCHMARKS.md"));
        charts.get_or_insert_with(|| root.join("benches/report"));
    }
    if !alloc::installed() {
        eprintln!("report: the counting allocator is not installed");
        return ExitCode::FAILURE;
    }
    let keep = |id: &str| only.as_deref().is_none_or(|o| id.contains(o));

    watchdog(Duration::from_secs(if quick { 60 } else { 600 }));
    let started = Instant::now();
    let load_before = loadavg();
    let env = Env::new();

    // Timed rows.
    let mut timed = vec![];
    for row in rows::timed_rows() {
        if !keep(&row.id) {
            continue;
        }
        now_measuring(&row.id);
        let t0 = Instant::now();
        let cfg = match row.section {
            Section::Uncontended => &mode.uncontended,
            _ => &mode.contended,
        };
        let mut contestants = row.contestants;
        let stats = {
            let mut closures: Vec<Box<dyn FnMut(u64) -> Timing + '_>> = contestants
                .iter_mut()
                .map(|c| Box::new(|iters| (c.run)(&env, iters)) as Box<dyn FnMut(u64) -> Timing>)
                .collect();
            let mut refs: Vec<&mut dyn FnMut(u64) -> Timing> =
                closures.iter_mut().map(|b| &mut **b as _).collect();
            measure_row(&mut refs, cfg)
        };
        let res = RowRes {
            id: row.id,
            title: row.title,
            section: row.section,
            unit: row.unit,
            results: contestants
                .iter()
                .zip(stats)
                .map(|(c, stats)| Res {
                    name: c.name,
                    kind: c.kind,
                    stats,
                })
                .collect(),
        };
        eprintln!("  {:<36} {:>6.1}s", res.id, t0.elapsed().as_secs_f64());
        timed.push((res, contestants));
    }

    // Fairness rows.
    let mut fair = vec![];
    for row in rows::fairness_rows() {
        if !keep(row.id) {
            continue;
        }
        now_measuring(row.id);
        let t0 = Instant::now();
        let mut results: Vec<_> = row
            .contestants
            .iter()
            .map(|c| (c.name, c.kind, vec![]))
            .collect();
        // Interleaved, like the timed rows.
        for _ in 0..mode.fair_runs {
            for (c, r) in row.contestants.iter().zip(&mut results) {
                r.2.push((c.run)(mode.fair_ops));
            }
        }
        eprintln!("  {:<36} {:>6.1}s", row.id, t0.elapsed().as_secs_f64());
        fair.push(FairRes {
            title: row.title,
            results,
        });
    }

    // Allocation rows.
    let mut allocs = vec![];
    for row in rows::alloc_rows() {
        if !keep(&format!("alloc_{}", row.id)) && only.is_some() {
            continue;
        }
        now_measuring(&format!("alloc_{}", row.id));
        allocs.push(AllocRes {
            id: row.id,
            results: row
                .contestants
                .iter()
                .map(|c| (c.name, c.kind, (c.run)(mode.alloc_waits)))
                .collect(),
        });
    }

    // Quick-mode checks (ratios within this run, never absolute times).
    let mut failures = vec![];
    if quick {
        for (res, contestants) in &mut timed {
            let Some((ratio, best)) = res.turnstile_vs_best_peer() else {
                continue;
            };
            let limit = rows::ratio_limit(&res.id);
            if ratio <= limit {
                continue;
            }
            now_measuring(&res.id);
            // Re-measure turnstile and that peer twice, with more samples:
            // a busy machine can make one short sample look like a regression.
            let best = best.name;
            let mut ratios = vec![ratio];
            for _ in 0..2 {
                let mut pair: Vec<_> = contestants
                    .iter_mut()
                    .filter(|c| c.kind == Kind::Turnstile || c.name == best)
                    .collect();
                let t_idx = pair.iter().position(|c| c.kind == Kind::Turnstile).unwrap();
                let mut closures: Vec<Box<dyn FnMut(u64) -> Timing + '_>> = pair
                    .iter_mut()
                    .map(|c| {
                        Box::new(|iters| (c.run)(&env, iters)) as Box<dyn FnMut(u64) -> Timing>
                    })
                    .collect();
                let mut refs: Vec<&mut dyn FnMut(u64) -> Timing> =
                    closures.iter_mut().map(|b| &mut **b as _).collect();
                let s = measure_row(&mut refs, &mode.confirm);
                ratios.push(s[t_idx].median() / s[1 - t_idx].median());
            }
            let confirmed = ratios.iter().all(|&r| r > limit);
            eprintln!(
                "  re-measured {}: turnstile / {best} = {}",
                res.id,
                ratios
                    .iter()
                    .map(|r| format!("{r:.2}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if confirmed {
                failures.push(format!(
                    "check ratio: {}: turnstile is {:.2}x {best} (limit {limit}x; all of {} measurements over)",
                    res.id,
                    ratios.iter().cloned().fold(f64::INFINITY, f64::min),
                    ratios.len()
                ));
            }
        }
        for row in &allocs {
            for (name, kind, a) in &row.results {
                if *kind == Kind::Turnstile && a.per_wait > 0.0 {
                    failures.push(format!(
                        "check alloc-free waits: {} contended wait allocates {:.2} times per wait (turnstile must allocate none)",
                        row.id, a.per_wait
                    ));
                    let _ = name;
                }
            }
        }
    }
    *CURRENT.lock().unwrap() = None;
    let elapsed = started.elapsed();
    let load_after = loadavg();
    let timed: Vec<RowRes> = timed.into_iter().map(|(r, _)| r).collect();

    print_compact(&timed, &fair, &allocs);
    println!(
        "report: {} mode, {} timed rows, {:.1}s; load average {} -> {}",
        if quick { "quick" } else { "full" },
        timed.len(),
        elapsed.as_secs_f64(),
        load_before,
        load_after
    );

    if let Some(dir) = &charts {
        std::fs::create_dir_all(dir).expect("charts directory");
        for (section, file, title) in [
            (
                Section::Uncontended,
                "uncontended.svg",
                "Uncontended (one thread)",
            ),
            (Section::Contended, "contended.svg", "Contended throughput"),
            (Section::Latency, "latency.svg", "Wake-up latency"),
        ] {
            let rows: Vec<&RowRes> = timed.iter().filter(|r| r.section == section).collect();
            if !rows.is_empty() {
                chart(&dir.join(file), title, &rows).expect("chart");
            }
        }
    }
    if let Some(out) = &out {
        let md = markdown(
            &mode,
            &timed,
            &fair,
            &allocs,
            elapsed,
            &load_before,
            &load_after,
            charts.as_deref(),
            out,
        );
        std::fs::write(out, md).expect("write the report");
        println!("report: wrote {}", out.display());
    }

    if !quick {
        return ExitCode::SUCCESS;
    }
    let (ratio_fails, alloc_fails): (Vec<_>, Vec<_>) =
        failures.iter().partition(|f| f.starts_with("check ratio"));
    println!(
        "check ratio (turnstile <= {}x the fastest peer in every row, or its ceiling in rows::RATIO_LIMITS): {}",
        rows::DEFAULT_RATIO_LIMIT,
        if ratio_fails.is_empty() {
            "ok"
        } else {
            "FAILED"
        }
    );
    println!(
        "check alloc-free waits (no allocation on a turnstile contended wait): {}",
        if alloc_fails.is_empty() {
            "ok"
        } else {
            "FAILED"
        }
    );
    for f in &failures {
        println!("  {f}");
    }
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

// ---------------------------------------------------------------------------
// Text output
// ---------------------------------------------------------------------------

fn fmt_ns(ns: f64) -> String {
    if ns >= 100_000.0 {
        format!("{:.0} µs", ns / 1000.0)
    } else if ns >= 10_000.0 {
        format!("{:.1} µs", ns / 1000.0)
    } else if ns >= 100.0 {
        format!("{ns:.0}")
    } else {
        format!("{ns:.1}")
    }
}

fn print_compact(timed: &[RowRes], fair: &[FairRes], allocs: &[AllocRes]) {
    println!(
        "{:<36} {:>10} {:>7}  {:<20} {:>10}",
        "row", "turnstile", "ratio", "fastest peer", "ns/op"
    );
    for r in timed {
        let Some(t) = r.turnstile() else { continue };
        match r.turnstile_vs_best_peer() {
            Some((ratio, best)) => println!(
                "{:<36} {:>10} {:>6.2}x  {:<20} {:>10}",
                r.id,
                fmt_ns(t.stats.median()),
                ratio,
                best.name,
                fmt_ns(best.stats.median())
            ),
            None => println!(
                "{:<36} {:>10} {:>7}  (no peer)",
                r.id,
                fmt_ns(t.stats.median()),
                "-"
            ),
        }
    }
    for f in fair {
        for (name, _, runs) in &f.results {
            let w = runs.iter().map(|x| x.max_wait).max().unwrap_or(0);
            let r = runs.iter().map(|x| x.max_run).max().unwrap_or(0);
            let o = runs.iter().map(|x| x.overlap).max().unwrap_or(0);
            println!(
                "fairness {name:<27} longest wait {w:>6}  longest run {r:>6}  (both running: up to {o})"
            );
        }
    }
    for a in allocs {
        let cells: Vec<String> = a
            .results
            .iter()
            .map(|(n, _, c)| format!("{n} {:.2}", c.per_wait))
            .collect();
        println!("allocs/wait {:<10} {}", a.id, cells.join(", "));
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn cmd(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "?".into())
}

fn repo_root() -> PathBuf {
    // benches/ is one level below the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// The smallest non-zero step of `Instant::now()` seen in a tight loop.
fn clock_step_ns() -> u64 {
    let mut best = u64::MAX;
    for _ in 0..20_000 {
        let a = Instant::now();
        let mut b = Instant::now();
        while b == a {
            b = Instant::now();
        }
        best = best.min((b - a).as_nanos() as u64);
    }
    best
}

fn machine() -> Vec<(&'static str, String)> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("?".into(), |s| s.trim().to_string());
    let cpus = cpuinfo
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count();
    let avail = std::thread::available_parallelism().map_or(0, |n| n.get());
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("PRETTY_NAME=")
                    .map(|v| v.trim_matches('"').to_string())
            })
        })
        .unwrap_or_else(|| "?".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "?".into());
    let root = repo_root();
    let root = root.to_str().unwrap_or(".");
    let commit = cmd("git", &["-C", root, "rev-parse", "--short", "HEAD"]);
    // The report's own outputs do not count: the charts are written before
    // this runs, and BENCHMARKS.md is about to be.
    let dirty = !cmd(
        "git",
        &[
            "-C",
            root,
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            ".",
            ":!BENCHMARKS.md",
            ":!benches/report",
        ],
    )
    .is_empty();
    vec![
        ("CPU", model),
        (
            "cores",
            format!("{cpus} logical CPUs, {avail} available to this process"),
        ),
        ("OS", format!("{os}, Linux {kernel}")),
        ("rustc", cmd("rustc", &["--version"])),
        (
            "commit",
            format!(
                "{commit}{}",
                if dirty {
                    " (with uncommitted changes)"
                } else {
                    ""
                }
            ),
        ),
        ("date", cmd("date", &["-u", "+%Y-%m-%d %H:%M UTC"])),
        (
            "clock",
            format!("`Instant::now()` steps of at least {} ns", clock_step_ns()),
        ),
    ]
}

fn kind_mark(kind: Kind) -> &'static str {
    match kind {
        Kind::Turnstile => "**",
        _ => "",
    }
}

#[allow(clippy::too_many_arguments)]
fn markdown(
    mode: &Mode,
    timed: &[RowRes],
    fair: &[FairRes],
    allocs: &[AllocRes],
    elapsed: Duration,
    load_before: &str,
    load_after: &str,
    charts: Option<&Path>,
    out: &Path,
) -> String {
    let mut s = String::new();
    let w = &mut s;
    let _ = writeln!(w, "# Benchmarks\n");
    let _ = writeln!(
        w,
        "<!-- Generated by `cargo run --release -p turnstile-benches --bin report`; edit benches/src/bin/report.rs (layout) or benches/src/rows.rs (rows, reasons), not this file. -->\n"
    );
    let _ = writeln!(
        w,
        "turnstile-sync against `std` and the async peers (async-lock, tokio::sync, futures, embassy-sync, maitake-sync, futures-intrusive, event-listener), every contestant in the same process and the same run. \
Regenerate this file and the charts with\n\n```sh\ncargo run --release -p turnstile-benches --bin report\n```\n\n\
(this run took {:.0} min; `-- --quick` runs the same rows in seconds, writes nothing and fails only on gross ratio regressions or an allocation on a turnstile wait, as `.ci/run` does). \
The same rows run under criterion with `cargo bench -p turnstile-benches --bench mutex|rwlock|semaphore|coordination|notify`.\n",
        (elapsed.as_secs_f64() / 60.0).ceil()
    );
    let _ = writeln!(w, "## The machine\n");
    let _ = writeln!(w, "| | |\n|---|---|");
    for (k, v) in machine() {
        let _ = writeln!(w, "| {k} | {v} |");
    }
    let _ = writeln!(
        w,
        "| load average | {load_before} at the start, {load_after} at the end (the machine is shared) |"
    );
    let _ = writeln!(w, "| run time | {:.0} s |\n", elapsed.as_secs_f64());
    let _ = writeln!(
        w,
        "**Absolute times (ns/op) are specific to this machine and its load; only the ratios within one run carry over.** \
A ratio is a contestant's median over the median of the fastest ranked contestant of the row (turnstile or a peer; 1.00 = fastest). \
Reference contestants (std's blocking locks, turnstile's other forms, peers' modes with weaker guarantees) are shown with their ratio but not ranked.\n"
    );
    let _ = writeln!(w, "## How the numbers are taken, and how stable they are\n");
    let _ = writeln!(
        w,
        "Own timing loop (`benches/src/measure.rs`): each contestant is warmed up for {} ms (which also sizes its samples), then {} samples of about {} ms each for the uncontended rows and {} samples of about {} ms for the others; the samples of a row are interleaved (sample k of every contestant before sample k+1 of any), so a change in the machine's load falls on all contestants of a row alike. \
The figure is the median of the samples; the spread columns give the fastest and slowest sample and the interquartile range over the median. \
Every task row runs on executors with pinned worker counts ({WORKERS} tokio workers; smol's `Executor` on {WORKERS} threads of its own), and the thread rows on exactly 2 threads. \
The uncontended rows poll each future once with a no-op waker (it must be ready), and each sample puts the primitive at another of 64 cache-line slots of a page: at a few page offsets (where the primitive aliases the future's fields on the stack) a contestant measures 3-5x slower for that reason alone, and rotating the address leaves those to a minority of samples, which the median ignores. The contended rows keep each contestant's primitive alone on its own pair of cache lines, so that no other data of the process shares them by chance of allocation (false sharing: in a test run it made turnstile about 1.4x slower in the 2-thread row).\n",
        mode.uncontended.warm_up.as_millis(),
        mode.uncontended.samples,
        mode.uncontended.sample_time.as_millis(),
        mode.contended.samples,
        mode.contended.sample_time.as_millis(),
    );
    let mut iqrs: Vec<(f64, &str, &str)> = timed
        .iter()
        .flat_map(|r| {
            r.results
                .iter()
                .map(move |x| (x.stats.iqr_pct(), r.id.as_str(), x.name))
        })
        .collect();
    iqrs.sort_by(|a, b| a.0.total_cmp(&b.0));
    if !iqrs.is_empty() {
        let med = iqrs[iqrs.len() / 2].0;
        let p90 = iqrs[(iqrs.len() * 9 / 10).min(iqrs.len() - 1)].0;
        let worst = iqrs.last().unwrap();
        let section_med = |sec: Section| {
            let mut v: Vec<f64> = timed
                .iter()
                .filter(|r| r.section == sec)
                .flat_map(|r| r.results.iter().map(|x| x.stats.iqr_pct()))
                .collect();
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
        };
        let _ = writeln!(
            w,
            "Stability in this run: the interquartile range of a contestant's samples is {med:.1} % of its median for the median contestant ({:.1} % uncontended, {:.1} % contended, {:.1} % latency) and {p90:.1} % at the 90th percentile; the widest is {} in `{}` ({:.1} %). \
A ratio between two contestants whose spreads overlap is a tie.\n",
            section_med(Section::Uncontended),
            section_med(Section::Contended),
            section_med(Section::Latency),
            worst.2,
            worst.1,
            worst.0
        );
    }

    // Summary.
    let _ = writeln!(w, "## Summary: turnstile against the fastest peer\n");
    if let Some(dir) = charts {
        let rel = |f: &str| {
            let p = dir.join(f);
            let base = out.parent().unwrap_or(Path::new("."));
            p.strip_prefix(base)
                .map_or(p.clone(), Path::to_path_buf)
                .display()
                .to_string()
        };
        for (f, alt) in [
            ("uncontended.svg", "uncontended rows"),
            ("contended.svg", "contended rows"),
            ("latency.svg", "wake-up latency rows"),
        ] {
            if dir.join(f).exists() {
                let _ = writeln!(w, "![{alt}]({})\n", rel(f));
            }
        }
    }
    let _ = writeln!(
        w,
        "| row | turnstile ns/op¹ | ratio to the fastest peer | fastest peer (ns/op¹) | turnstile first? |\n|---|---:|---:|---|---|"
    );
    let mut not_first = vec![];
    for r in timed {
        let Some(t) = r.turnstile() else { continue };
        match r.turnstile_vs_best_peer() {
            Some((ratio, best)) => {
                let first = ratio <= 1.0;
                let why = if first {
                    "yes".to_string()
                } else {
                    not_first.push(r);
                    format!(
                        "no: {}",
                        if ratio <= 1.02 {
                            "within 2 %"
                        } else {
                            "see below"
                        }
                    )
                };
                let _ = writeln!(
                    w,
                    "| {} | {} | {:.2} | {} ({}) | {} |",
                    r.title,
                    fmt_ns(t.stats.median()),
                    ratio,
                    best.name,
                    fmt_ns(best.stats.median()),
                    why
                );
            }
            None => {
                let _ = writeln!(
                    w,
                    "| {} | {} | — | no peer | — |",
                    r.title,
                    fmt_ns(t.stats.median())
                );
            }
        }
    }
    let _ = writeln!(w, "\n¹ Machine-specific (this run, this machine).\n");
    if !not_first.is_empty() {
        let _ = writeln!(
            w,
            "### Where turnstile is not first\n\n| row | behind | why |\n|---|---:|---|"
        );
        for r in not_first {
            let (ratio, best) = r.turnstile_vs_best_peer().unwrap();
            let why = REASONS.iter().find(|(id, _)| *id == r.id).map_or(
                "reason not yet investigated (add it to `REASONS` in benches/src/rows.rs)",
                |(_, why)| why,
            );
            let _ = writeln!(w, "| {} | {:.2}× {} | {} |", r.title, ratio, best.name, why);
        }
        let _ = writeln!(w);
    }
    for (what, why) in NO_PEER {
        let _ = writeln!(w, "- **{what}**: {why}.");
    }
    let _ = writeln!(w);

    for (section, heading) in [
        (Section::Uncontended, "Uncontended rows"),
        (Section::Contended, "Contended rows (throughput)"),
        (Section::Latency, "Wake-up latency rows"),
    ] {
        let rows: Vec<&RowRes> = timed.iter().filter(|r| r.section == section).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(w, "## {heading}\n");
        if section == Section::Latency {
            let _ = writeln!(
                w,
                "Two tasks hand a primitive back and forth; each hand-off is timed from a stamp taken just before the release (`drop(guard)`, `notify_one`, `count_down`) to the moment the woken task runs with what it waited for, and a sample's figure is its median hand-off (a worker thread preempted by the machine's other load makes rare hand-offs take milliseconds, which would swamp a mean); the table gives the median over the samples. Each hand-off is the difference of two clock reads, so it is only as fine as the clock's step (in the machine table): per-sample medians land on a few values, which is why these rows' spreads can read as 0 %. The mutex rows hold the lock across one yield before releasing, so that the other task is queued; a task that gets the lock back after its own release (a lock that lets it barge ahead of the woken waiter) lets go again at once, and the waiter's latency runs from the release that woke it.\n"
            );
        }
        for r in rows {
            let _ = writeln!(w, "**{}** (`{}`; {}, median¹)\n", r.title, r.id, r.unit);
            let _ = writeln!(
                w,
                "| contestant | ratio | ns/op¹ | min–max¹ | IQR |\n|---|---:|---:|---:|---:|"
            );
            let mut sorted: Vec<&Res> = r.results.iter().collect();
            sorted.sort_by(|a, b| a.stats.median().total_cmp(&b.stats.median()));
            for x in sorted {
                let m = kind_mark(x.kind);
                let name = if x.kind == Kind::Reference {
                    format!("{} (reference)", x.name)
                } else {
                    format!("{m}{}{m}", x.name)
                };
                let ratio = if r.has_peer() || x.kind != Kind::Turnstile {
                    format!("{m}{:.2}{m}", r.ratio(x))
                } else {
                    "—".into()
                };
                let _ = writeln!(
                    w,
                    "| {name} | {ratio} | {} | {}–{} | {:.1} % |",
                    fmt_ns(x.stats.median()),
                    fmt_ns(x.stats.min()),
                    fmt_ns(x.stats.max()),
                    x.stats.iqr_pct()
                );
            }
            let _ = writeln!(w);
        }
    }

    if !fair.is_empty() {
        let _ = writeln!(w, "## Fairness (counts, not times)\n");
        let _ = writeln!(
            w,
            "Two threads each take the lock {} times as fast as they can (async locks through `block_on(lock())`), {} runs. \
**Longest wait**: the most acquisitions by the other thread between one thread asking for the lock and getting it. \
**Longest run**: the most consecutive acquisitions by one thread while both threads were running. \
Median over the runs, and the worst run; the last column is how many acquisitions fell in the window where both threads were running (median over the runs), the window both counts look at. On a busy machine the two threads often share one core, so a thread can lose the lock for a whole scheduler slice; the counts then say as much about the scheduler as about the lock.\n",
            mode.fair_ops, mode.fair_runs
        );
        for f in fair {
            let _ = writeln!(
                w,
                "**{}**\n\n| contestant | longest wait (median / worst) | longest run (median / worst) | both running (acquisitions, median) |\n|---|---:|---:|---:|",
                f.title
            );
            for (name, kind, runs) in &f.results {
                let med = |g: fn(&Fairness) -> u64| {
                    let mut v: Vec<u64> = runs.iter().map(g).collect();
                    v.sort();
                    (v[v.len() / 2], *v.last().unwrap())
                };
                let (wm, ww) = med(|x| x.max_wait);
                let (rm, rw) = med(|x| x.max_run);
                let name = if *kind == Kind::Reference {
                    format!("{name} (reference)")
                } else {
                    let m = kind_mark(*kind);
                    format!("{m}{name}{m}")
                };
                let overlap = med(|x| x.overlap).0;
                let _ = writeln!(w, "| {name} | {wm} / {ww} | {rm} / {rw} | {overlap} |");
            }
            let _ = writeln!(w);
        }
    }

    if !allocs.is_empty() {
        let _ = writeln!(w, "## Allocations per contended wait\n");
        let _ = writeln!(
            w,
            "A counting `#[global_allocator]` (per thread) in the report binary. Each wait is a waiter polled by hand until it parks (`Pending`), a release by the holder (unlock, notify, count-down, the last barrier party), and a poll to completion; {} such waits after a first one, whose count (which includes one-time set-up such as a lazily allocated wait list) is shown apart. `.ci/run`'s quick mode fails if a turnstile wait allocates (check `alloc-free waits`).\n",
            mode.alloc_waits
        );
        let _ = writeln!(w, "| primitive | per wait (first wait) |\n|---|---|");
        for a in allocs {
            let cells: Vec<String> = a
                .results
                .iter()
                .map(|(n, k, c)| {
                    let m = kind_mark(*k);
                    format!("{m}{n}{m} {:.2} ({})", c.per_wait, c.first)
                })
                .collect();
            let _ = writeln!(w, "| {} | {} |", a.id, cells.join(" · "));
        }
        let _ = writeln!(w);
    }
    let _ = writeln!(w, "## Sizes (std tier, this build)\n");
    let _ = writeln!(
        w,
        "`size_of` in bytes on this target; the other tiers' figures: `cargo test -p turnstile-sync --test sizes -- --nocapture`.\n"
    );
    let _ = writeln!(w, "| type | bytes |\n|---|---:|");
    for (name, size) in sizes() {
        let _ = writeln!(w, "| `{name}` | {size} |");
    }
    let _ = writeln!(w);
    s
}

/// Sizes of turnstile's primitives and their futures (std tier).
fn sizes() -> Vec<(&'static str, usize)> {
    use std::mem::size_of_val;
    use turnstile_sync::*;
    let m = Mutex::new(());
    let rw = RwLock::new(());
    let s = Semaphore::new(1);
    let b = Barrier::new(1);
    let l = Latch::new(1);
    let n = Notify::new();
    let sizes = vec![
        ("Mutex<()>", size_of_val(&m)),
        ("Mutex::lock future", size_of_val(&m.lock())),
        ("RwLock<()>", size_of_val(&rw)),
        ("RwLock::read future", size_of_val(&rw.read())),
        ("RwLock::write future", size_of_val(&rw.write())),
        ("Semaphore", size_of_val(&s)),
        ("Semaphore::acquire future", size_of_val(&s.acquire())),
        ("Barrier", size_of_val(&b)),
        ("Barrier::wait future", size_of_val(&b.wait())),
        ("Latch", size_of_val(&l)),
        ("Latch::wait future", size_of_val(&l.wait())),
        ("Condvar", std::mem::size_of::<Condvar>()),
        ("Notify", size_of_val(&n)),
        ("Notify::notified future", size_of_val(&n.notified())),
    ];
    sizes
}

// ---------------------------------------------------------------------------
// Charts (plotters, SVG backend)
// ---------------------------------------------------------------------------

/// Ratios past this are drawn to the cap and labelled.
const CAP: f64 = 4.0;

fn chart(path: &Path, title: &str, rows: &[&RowRes]) -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;

    // One line per row title, one per ranked contestant, a gap after each row.
    enum Line<'a> {
        Title(&'a str),
        Bar(&'a str, Kind, f64, f64, f64),
        Gap,
    }
    let mut lines = vec![];
    for r in rows {
        lines.push(Line::Title(&r.title));
        let fastest = r.fastest().map_or(f64::NAN, |f| f.stats.median());
        let mut ranked: Vec<&Res> = r
            .results
            .iter()
            .filter(|x| x.kind != Kind::Reference)
            .collect();
        ranked.sort_by(|a, b| a.stats.median().total_cmp(&b.stats.median()));
        for x in ranked {
            lines.push(Line::Bar(
                x.name,
                x.kind,
                x.stats.median() / fastest,
                x.stats.min() / fastest,
                x.stats.max() / fastest,
            ));
        }
        lines.push(Line::Gap);
    }
    let n = lines.len();
    let (label_w, line_h) = (330u32, 17u32);
    let height = 90 + line_h * n as u32;
    let root = SVGBackend::new(path, (1000, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(label_w);
    let mut chart = ChartBuilder::on(&right)
        .caption(
            format!("{title}: time relative to the fastest (1 = fastest; lower is better)"),
            ("sans-serif", 15),
        )
        .margin(10)
        .x_label_area_size(28)
        .build_cartesian_2d(0f64..CAP, 0f64..n as f64)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(9)
        .max_light_lines(1)
        .x_label_formatter(&|x| format!("{x:.1}×"))
        .draw()?;
    let font = ("sans-serif", 12).into_font();
    let turnstile = RGBColor(214, 96, 28);
    let peer = RGBColor(70, 110, 160);
    for (i, line) in lines.iter().enumerate() {
        let y = (n - 1 - i) as f64;
        match line {
            Line::Title(t) => {
                let (_, py) = chart.backend_coord(&(0.0, y + 0.5));
                left.draw(&Text::new(
                    t.replace('`', ""),
                    (4, py - 6),
                    ("sans-serif", 12).into_font().style(FontStyle::Bold),
                ))?;
            }
            Line::Bar(name, kind, ratio, lo, hi) => {
                let color = if *kind == Kind::Turnstile {
                    turnstile
                } else {
                    peer
                };
                let end = ratio.min(CAP);
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y + 0.15), (end, y + 0.85)],
                    color.filled(),
                )))?;
                // The samples' min–max, as a whisker.
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(lo.min(CAP), y + 0.5), (hi.min(CAP), y + 0.5)],
                    BLACK.stroke_width(1),
                )))?;
                let label = if *ratio > CAP {
                    format!("{ratio:.1}× cut")
                } else {
                    format!("{ratio:.2}×")
                };
                // Near or past the cap the label goes inside the bar.
                let lx = if *ratio > CAP * 0.85 {
                    end - 0.5
                } else {
                    end + 0.03
                };
                chart.draw_series(std::iter::once(Text::new(
                    label,
                    (lx, y + 0.85),
                    font.clone(),
                )))?;
                let (_, py) = chart.backend_coord(&(0.0, y + 0.5));
                left.draw(&Text::new(
                    name.to_string(),
                    (20, py - 6),
                    font.clone().color(&color),
                ))?;
            }
            Line::Gap => {}
        }
    }
    root.present()?;
    Ok(())
}
