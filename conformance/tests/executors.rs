//! Every scenario on every executor, in the tier this crate was built with
//! (`cargo test -p turnstile-conformance`, with `--no-default-features
//! --features alloc` or `--features bare` for the other tiers).
//!
//! A new executor is one `on!` line; a new scenario one line in `suite!`.

use turnstile_conformance::executors::*;
use turnstile_conformance::scenarios;
use turnstile_conformance::Executor;

macro_rules! suite {
    ($executor:ty) => {
        scenario!($executor, mutex_excludes_tasks_holding_across_await);
        scenario!($executor, rwlock_excludes_writers);
        scenario!($executor, rwlock_queued_writer_goes_before_later_readers);
        scenario!($executor, semaphore_never_exceeds_its_permits);
        scenario!($executor, semaphore_serves_waiters_in_fifo_order);
        scenario!($executor, barrier_elects_one_leader_per_generation);
        scenario!($executor, cancelled_waits_leave_no_trace);
        scenario!($executor, notify_wakes_one_waiter_per_notify);
        scenario!($executor, pipeline);
        scenario!($executor, mutex_fairness_bound);
        #[cfg(feature = "std")]
        scenario!($executor, threads_and_tasks_share_primitives);
    };
}

macro_rules! scenario {
    ($executor:ty, $name:ident) => {
        #[test]
        fn $name() {
            <$executor>::run(scenarios::$name::<$executor>);
        }
    };
}

macro_rules! on {
    ($module:ident, $executor:ty) => {
        mod $module {
            use super::*;
            suite!($executor);
        }
    };
}

on!(block_on, BlockOn);
on!(smol, Smol<1>);
on!(smol_one_thread, Smol<0>);
on!(tokio_current_thread, TokioCurrentThread);
on!(tokio_multi_thread, TokioMultiThread);
on!(async_std, AsyncStd);
on!(local_pool, LocalPool);
on!(thread_pool, ThreadPool);
on!(embassy, Embassy);
