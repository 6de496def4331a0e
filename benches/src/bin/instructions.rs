//! One contestant of the 64-task semaphore rows, on a one-worker tokio
//! runtime, for counting the instructions a hand-off costs. Timing the
//! contended rows on two workers says how fast, but swings from run to run;
//! an instruction count on one worker (no other core's traffic in it) is the
//! same every run, and says how much work each contestant does:
//!
//! ```sh
//! cargo build --release -p turnstile-benches --bin instructions
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out \
//!     target/release/instructions turnstile weighted 10
//! callgrind_annotate /tmp/cg.out | head -30
//! ```
//!
//! Divide the program's total by the acquire/release pairs this prints.
//! Contestants: `turnstile`, `futures-intrusive` (its fair semaphore, the
//! rows' fastest peer). Rows: `weighted` (weights 1 and 3) or `w1`.
//! Iterations: as in the report, each one 64 tasks × 200 acquisitions.

use turnstile_benches::adapters::FuturesIntrusiveSem;
use turnstile_benches::exec::{Env, Rt};
use turnstile_benches::workloads::semaphore_tasks;
use turnstile_benches::workloads::size::{ROUNDS, TASKS};

fn main() {
    let usage = "usage: instructions turnstile|futures-intrusive weighted|w1 ITERATIONS";
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [who, row, iters] = args.as_slice() else {
        panic!("{usage}");
    };
    let weighted = match row.as_str() {
        "weighted" => true,
        "w1" => false,
        _ => panic!("{usage}"),
    };
    let iters: u64 = iters.parse().expect(usage);
    let mut runner = match who.as_str() {
        "turnstile" => semaphore_tasks::<turnstile_sync::Semaphore>(Rt::Tokio, weighted),
        "futures-intrusive" => semaphore_tasks::<FuturesIntrusiveSem<true>>(Rt::Tokio, weighted),
        _ => panic!("{usage}"),
    };
    let env = Env::with_workers(1);
    runner(&env, iters);
    println!(
        "{who}, {row}: {} acquire/release pairs on one tokio worker",
        iters * TASKS * ROUNDS
    );
}
