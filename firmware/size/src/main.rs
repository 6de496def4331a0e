//! The same three operations against turnstile-sync and its no-heap peers,
//! one binary per contestant and set of operations, so that `.text` beyond
//! the empty baseline (this file with no feature) is what those operations
//! cost in flash:
//!
//! - lock a `Mutex<u32>` and increment it;
//! - acquire one permit of a one-permit semaphore and release it;
//! - two parties wait on a barrier (the peers have none: a one-shot
//!   equivalent, a counter plus the crate's wait primitive).
//!
//! Each operation runs from `main` on a spin-polling executor with a no-op
//! waker. The primitives are `static`s reached through `black_box`, so no
//! path (fast or slow) can be folded away: the code is what a firmware would
//! link. See ../size.sh.
#![no_std]
#![no_main]
#![allow(dead_code)]

use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};

use cortex_m_rt::entry;

#[cfg(all(feature = "turnstile", not(feature = "layout")))]
use turnstile as contestant;

#[cfg(all(feature = "maitake", not(feature = "layout")))]
use maitake as contestant;

#[cfg(all(feature = "embassy", not(feature = "layout")))]
use embassy as contestant;

#[entry]
fn main() -> ! {
    #[cfg(all(feature = "mutex", not(feature = "layout")))]
    block_on(contestant::mutex());
    #[cfg(all(feature = "semaphore", not(feature = "layout")))]
    block_on(contestant::semaphore());
    #[cfg(all(feature = "barrier", not(feature = "layout")))]
    contestant::barrier();
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}

/// Polls until ready, with a waker that does nothing.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

/// Polls two futures in turn until both are ready (the two parties of a
/// barrier), with a waker that does nothing.
fn block_on2<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut ra, mut rb) = (None, None);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if ra.is_none() {
            if let Poll::Ready(out) = a.as_mut().poll(&mut cx) {
                ra = Some(out);
            }
        }
        if rb.is_none() {
            if let Poll::Ready(out) = b.as_mut().poll(&mut cx) {
                rb = Some(out);
            }
        }
        if let (Some(a), Some(b)) = (ra.take(), rb.take()) {
            return (a, b);
        }
    }
}

#[cfg(feature = "turnstile")]
mod turnstile {
    use core::hint::black_box;
    use turnstile_sync::{Barrier, Mutex, Semaphore};

    static MUTEX: Mutex<u32> = Mutex::new(0);
    static SEMAPHORE: Semaphore = Semaphore::new(1);
    static BARRIER: Barrier = Barrier::new(2);

    pub async fn mutex() {
        *black_box(&MUTEX).lock().await += 1;
    }

    pub async fn semaphore() {
        let permit = black_box(&SEMAPHORE).acquire().await;
        black_box(permit.is_ok());
    }

    pub fn barrier() {
        let barrier = black_box(&BARRIER);
        let (a, b) = super::block_on2(barrier.wait(), barrier.wait());
        black_box(a.is_leader() ^ b.is_leader());
    }
}

#[cfg(feature = "maitake")]
mod maitake {
    use core::hint::black_box;
    use core::sync::atomic::{AtomicUsize, Ordering};
    use maitake_sync::{Mutex, Semaphore, WaitQueue};

    /// `Mutex` and `WaitQueue` lock their wait lists with the
    /// critical-section `DefaultMutex`. `Semaphore` needs a `RawMutex`,
    /// which that is not: its only `const` constructor takes maitake's
    /// `Spinlock`.
    static MUTEX: Mutex<u32> = Mutex::new(0);
    static SEMAPHORE: Semaphore = Semaphore::new(1);
    static ARRIVED: AtomicUsize = AtomicUsize::new(0);
    static QUEUE: WaitQueue = WaitQueue::new();

    pub async fn mutex() {
        *black_box(&MUTEX).lock().await += 1;
    }

    pub async fn semaphore() {
        let permit = black_box(&SEMAPHORE).acquire(1).await;
        black_box(permit.is_ok());
    }

    /// One-shot two-party barrier: the second to arrive wakes the first.
    async fn arrive() -> bool {
        let arrived = black_box(&ARRIVED);
        let queue = black_box(&QUEUE);
        if arrived.fetch_add(1, Ordering::AcqRel) + 1 == 2 {
            queue.wake_all();
            true
        } else {
            let _ = queue
                .wait_for(|| arrived.load(Ordering::Acquire) >= 2)
                .await;
            false
        }
    }

    pub fn barrier() {
        let (a, b) = super::block_on2(arrive(), arrive());
        black_box(a ^ b);
    }
}

#[cfg(feature = "embassy")]
mod embassy {
    use core::hint::black_box;
    use core::sync::atomic::{AtomicUsize, Ordering};
    use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
    use embassy_sync::mutex::Mutex;
    use embassy_sync::semaphore::Semaphore as _;
    use embassy_sync::signal::Signal;

    static MUTEX: Mutex<CriticalSectionRawMutex, u32> = Mutex::new(0);
    #[cfg(not(feature = "embassy-fair"))]
    static SEMAPHORE: embassy_sync::semaphore::GreedySemaphore<CriticalSectionRawMutex> =
        embassy_sync::semaphore::GreedySemaphore::new(1);
    /// Room for four queued waiters (embassy's fair queue is bounded).
    #[cfg(feature = "embassy-fair")]
    static SEMAPHORE: embassy_sync::semaphore::FairSemaphore<CriticalSectionRawMutex, 4> =
        embassy_sync::semaphore::FairSemaphore::new(1);
    static ARRIVED: AtomicUsize = AtomicUsize::new(0);
    static SIGNAL: Signal<CriticalSectionRawMutex, ()> = Signal::new();

    pub async fn mutex() {
        *black_box(&MUTEX).lock().await += 1;
    }

    pub async fn semaphore() {
        let permit = black_box(&SEMAPHORE).acquire(1).await;
        black_box(permit.is_ok());
    }

    /// One-shot two-party barrier: the second to arrive signals the first
    /// (a `Signal` has one waiter, which two parties need).
    async fn arrive() -> bool {
        let arrived = black_box(&ARRIVED);
        let signal = black_box(&SIGNAL);
        if arrived.fetch_add(1, Ordering::AcqRel) + 1 == 2 {
            signal.signal(());
            true
        } else {
            signal.wait().await;
            false
        }
    }

    pub fn barrier() {
        let (a, b) = super::block_on2(arrive(), arrive());
        black_box(a ^ b);
    }
}

/// `size_of` on this 32-bit target, as symbol sizes: each `SIZE_OF_*` static
/// is a byte array as long as its type.
#[cfg(feature = "layout")]
#[allow(non_upper_case_globals)]
mod layout {
    use core::mem::size_of;

    macro_rules! sizes {
        ($($name:ident: $ty:ty,)*) => {
            $(
                #[used]
                #[no_mangle]
                static $name: [u8; size_of::<$ty>()] = [0; size_of::<$ty>()];
            )*
        };
    }

    type Cond = fn(&mut u32) -> bool;
    type Cs = embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;

    sizes! {
        SIZE_OF_turnstile__Mutex_u32: turnstile_sync::Mutex<u32>,
        SIZE_OF_turnstile__Lock_u32: turnstile_sync::Lock<'static, u32>,
        SIZE_OF_turnstile__MutexGuard_u32: turnstile_sync::MutexGuard<'static, u32>,
        SIZE_OF_turnstile__RwLock_u32: turnstile_sync::RwLock<u32>,
        SIZE_OF_turnstile__Read_u32: turnstile_sync::Read<'static, u32>,
        SIZE_OF_turnstile__Write_u32: turnstile_sync::Write<'static, u32>,
        SIZE_OF_turnstile__UpgradableRead_u32: turnstile_sync::UpgradableRead<'static, u32>,
        SIZE_OF_turnstile__Upgrade_u32: turnstile_sync::Upgrade<'static, u32>,
        SIZE_OF_turnstile__Semaphore: turnstile_sync::Semaphore,
        SIZE_OF_turnstile__Acquire: turnstile_sync::Acquire<'static>,
        SIZE_OF_turnstile__SemaphoreGuard: turnstile_sync::SemaphoreGuard<'static>,
        SIZE_OF_turnstile__Barrier: turnstile_sync::Barrier,
        SIZE_OF_turnstile__BarrierWait: turnstile_sync::BarrierWait<'static>,
        SIZE_OF_turnstile__Latch: turnstile_sync::Latch,
        SIZE_OF_turnstile__LatchWait: turnstile_sync::LatchWait<'static>,
        SIZE_OF_turnstile__ArriveAndWait: turnstile_sync::ArriveAndWait<'static>,
        SIZE_OF_turnstile__Condvar: turnstile_sync::Condvar,
        SIZE_OF_turnstile__CondvarWait_u32: turnstile_sync::CondvarWait<'static, u32>,
        SIZE_OF_turnstile__WaitUntil_u32_fn: turnstile_sync::WaitUntil<'static, u32, Cond>,
        SIZE_OF_maitake__Mutex_u32: maitake_sync::Mutex<u32>,
        SIZE_OF_maitake__Lock_u32: maitake_sync::mutex::Lock<'static, u32>,
        SIZE_OF_maitake__Semaphore: maitake_sync::Semaphore,
        SIZE_OF_maitake__Acquire: maitake_sync::semaphore::Acquire<'static>,
        SIZE_OF_maitake__WaitQueue: maitake_sync::WaitQueue,
        SIZE_OF_maitake__Wait: maitake_sync::wait_queue::Wait<'static>,
        SIZE_OF_embassy__Mutex_u32: embassy_sync::mutex::Mutex<Cs, u32>,
        SIZE_OF_embassy__GreedySemaphore: embassy_sync::semaphore::GreedySemaphore<Cs>,
        SIZE_OF_embassy__FairSemaphore_4: embassy_sync::semaphore::FairSemaphore<Cs, 4>,
        SIZE_OF_embassy__Signal: embassy_sync::signal::Signal<Cs, ()>,
    }
}
