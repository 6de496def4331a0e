//! turnstile-sync on a microcontroller, as a firmware author uses it: every
//! primitive in a `static`, tasks on embassy-executor's thread-mode executor,
//! and two interrupt handlers that release and notify while the tasks run.
//!
//! - **SysTick** fires every 128 to 639 core cycles (the period changes at
//!   every tick, so it lands anywhere in the tasks). It adds semaphore
//!   permits, takes the counter mutex with `try_lock` and unlocks it on the
//!   next tick (waking the tasks queued behind it), pends the software
//!   interrupt, and is the watchdog: too many ticks and the run fails.
//! - **A software-pended NVIC interrupt** (lower priority, so SysTick also
//!   lands inside it) counts down a latch and, through `try_lock`, advances a
//!   mutex-protected value and notifies a condvar.
//!
//! At the end every total is checked exactly, and the firmware leaves QEMU
//! through semihosting: status 0 only if every check passed. A failed
//! assertion or any other panic, a hard fault, or a hang (the watchdog) exits
//! with status 1.
#![no_std]
#![no_main]
#![deny(clippy::undocumented_unsafe_blocks, unsafe_op_in_unsafe_fn)]

#[cfg(feature = "alloc")]
extern crate alloc;

#[cfg(feature = "alloc")]
mod arc;

use core::cell::{Cell, RefCell};
use core::future::Future;
use core::panic::PanicInfo;
use core::pin::{pin, Pin};
use core::task::{Context, Poll};

use cortex_m::interrupt::InterruptNumber;
use cortex_m::peripheral::scb::SystemHandler;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::{NVIC, SYST};
use cortex_m_rt::{exception, ExceptionFrame};
use cortex_m_semihosting::{debug, hprintln};
use embassy_executor::Spawner;
use portable_atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};
use turnstile_sync::{
    Barrier, Condvar, Latch, Mutex, MutexGuard, RwLock, RwLockUpgradableReadGuard, Semaphore,
    SemaphoreGuard,
};

// ---------------------------------------------------------------------------
// The workload. Every figure checked at the end follows from these.

/// Tasks incrementing `COUNTER`, and increments by each.
const MUTEX_TASKS: u32 = 3;
const MUTEX_ROUNDS: u32 = 500;
/// Writers and readers of `TABLE`; rounds of each; every `UPGRADE_EVERY`th
/// read is an upgradable read that upgrades and writes.
const RW_WRITERS: u32 = 2;
const RW_READERS: u32 = 2;
const RW_ROUNDS: u32 = 300;
const UPGRADE_EVERY: u32 = 5;
/// Permits SysTick adds to `FED`, one a tick; taken by `FEED_TASKS` tasks.
const FED_PERMITS: u32 = 1000;
const FEED_TASKS: u32 = 2;
/// `SLOTS` lets at most `SLOT_PERMITS` of `SLOT_TASKS` tasks in at once.
const SLOT_PERMITS: usize = 2;
const SLOT_TASKS: u32 = 3;
const SLOT_ROUNDS: u32 = 300;
/// Barrier parties and rounds.
const PARTIES: u32 = 3;
const BARRIER_ROUNDS: u32 = 200;
/// The software interrupt counts `LATCH` down this far, and raises `LEVEL`
/// to `LEVEL_TARGET` (one step per interrupt that wins its `try_lock`).
const LATCH_COUNT: u32 = 200;
const LEVEL_TARGET: u32 = 250;
/// Tasks waiting on the condvar, and how many others hold `LEVEL` now and
/// then so that the interrupt's `try_lock` sometimes fails.
const LEVEL_WAITERS: u32 = 2;
/// SysTick pends the software interrupt every this many ticks.
const SOFT_IRQ_EVERY: u32 = 4;
/// The watchdog: a correct run takes 5 000 to 30 000 ticks (the micro:bit's
/// debug build the most).
const WATCHDOG_TICKS: u32 = 300_000;

const TASKS: u32 = MUTEX_TASKS
    + RW_WRITERS
    + RW_READERS
    + FEED_TASKS
    + SLOT_TASKS
    + PARTIES
    + 1 // latch waiter
    + LEVEL_WAITERS
    + 1; // level holder

// ---------------------------------------------------------------------------
// The primitives, all `static`, all built by `const fn`.

/// Incremented by the mutex tasks and, through `try_lock`, by SysTick.
static COUNTER: Mutex<u32> = Mutex::new(0);
/// Both halves always equal outside a write.
static TABLE: RwLock<(u32, u32)> = RwLock::new((0, 0));
/// Starts empty; SysTick adds one permit a tick.
static FED: Semaphore = Semaphore::new(0);
static SLOTS: Semaphore = Semaphore::new(SLOT_PERMITS);
static BARRIER: Barrier = Barrier::new(PARTIES as usize);
/// Counted down by the software interrupt.
static LATCH: Latch = Latch::new(LATCH_COUNT as usize);
/// Raised by the software interrupt, which notifies `LEVEL_CHANGED`.
static LEVEL: Mutex<u32> = Mutex::new(0);
static LEVEL_CHANGED: Condvar = Condvar::new();
/// Every task counts down once when it has finished.
static FINISHED: Latch = Latch::new(TASKS as usize);

// What the interrupt handlers did, and what the tasks saw.
static TICKS: AtomicU32 = AtomicU32::new(0);
static SOFT_IRQS: AtomicU32 = AtomicU32::new(0);
static ISR_COUNTER_INCREMENTS: AtomicU32 = AtomicU32::new(0);
/// Ticks on which SysTick's `try_lock` found the counter taken by a task.
static ISR_COUNTER_BUSY: AtomicU32 = AtomicU32::new(0);
/// Cleared at the end: SysTick then only gives back a guard it holds.
static ISR_TAKES_COUNTER: AtomicBool = AtomicBool::new(true);
static PERMITS_FED: AtomicU32 = AtomicU32::new(0);
static PERMITS_TAKEN: AtomicU32 = AtomicU32::new(0);
static SLOTS_IN_USE: AtomicU32 = AtomicU32::new(0);
static SLOTS_MOST_IN_USE: AtomicU32 = AtomicU32::new(0);
static UPGRADES: AtomicU32 = AtomicU32::new(0);
static ARRIVALS: AtomicU32 = AtomicU32::new(0);
static LEADERS: AtomicU32 = AtomicU32::new(0);
static LATCH_COUNTED: AtomicU32 = AtomicU32::new(0);
static LEVEL_RAISES: AtomicU32 = AtomicU32::new(0);
/// Software interrupts whose `try_lock` on `LEVEL` failed (a task held it).
static LEVEL_BUSY: AtomicU32 = AtomicU32::new(0);
/// Lock and acquire futures dropped while queued (cancellation).
static CANCELLED: AtomicU32 = AtomicU32::new(0);

/// The guard SysTick took with `try_lock`, held until the next tick.
static ISR_GUARD: critical_section::Mutex<RefCell<Option<MutexGuard<'static, u32>>>> =
    critical_section::Mutex::new(RefCell::new(None));
/// SysTick's pseudo-random period.
static LFSR: critical_section::Mutex<Cell<u16>> = critical_section::Mutex::new(Cell::new(0xACE1));

// ---------------------------------------------------------------------------
// Boot.

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    hprintln!("turnstile firmware: {} tasks, {}, {}", TASKS, BOARD, TIER);
    #[cfg(feature = "alloc")]
    arc::init_heap();

    for id in 0..MUTEX_TASKS {
        spawner.spawn(counter_task(id).unwrap());
    }
    for _ in 0..RW_WRITERS {
        spawner.spawn(table_writer().unwrap());
    }
    for _ in 0..RW_READERS {
        spawner.spawn(table_reader().unwrap());
    }
    for id in 0..FEED_TASKS {
        spawner.spawn(fed_task(id).unwrap());
    }
    for id in 0..SLOT_TASKS {
        spawner.spawn(slot_task(id).unwrap());
    }
    for _ in 0..PARTIES {
        spawner.spawn(barrier_task().unwrap());
    }
    spawner.spawn(latch_task().unwrap());
    for _ in 0..LEVEL_WAITERS {
        spawner.spawn(level_waiter().unwrap());
    }
    spawner.spawn(level_holder().unwrap());
    #[cfg(feature = "alloc")]
    let arc_run = arc::spawn(spawner);

    start_interrupts();

    FINISHED.wait().await;
    // Stop SysTick taking the counter, then lock it: that waits for the tick
    // that gives back a guard SysTick still holds.
    ISR_TAKES_COUNTER.store(false, Relaxed);
    let counter = *COUNTER.lock().await;
    #[cfg(feature = "alloc")]
    arc_run.finish().await;
    check(counter);
    hprintln!(
        "ok after {} ticks and {} software interrupts",
        TICKS.load(Relaxed),
        SOFT_IRQS.load(Relaxed)
    );
    debug::exit(debug::EXIT_SUCCESS);
}

/// The exact totals. Any mismatch panics, and the panic handler exits with
/// failure.
fn check(counter: u32) {
    let isr = ISR_COUNTER_INCREMENTS.load(Relaxed);
    hprintln!(
        "mutex: counter {} = {} tasks x {} + {} by SysTick (its try_lock found it taken {} times)",
        counter,
        MUTEX_TASKS,
        MUTEX_ROUNDS,
        isr,
        ISR_COUNTER_BUSY.load(Relaxed)
    );
    assert_eq!(counter, MUTEX_TASKS * MUTEX_ROUNDS + isr);
    assert!(isr > 0, "SysTick never unlocked the counter");
    assert!(!COUNTER.is_locked());

    let table = *TABLE.try_read().expect("table left locked");
    let upgrades = UPGRADES.load(Relaxed);
    hprintln!("rwlock: table {:?}, {} upgrades", table, upgrades);
    assert_eq!(upgrades, RW_READERS * (RW_ROUNDS / UPGRADE_EVERY));
    assert_eq!(table.0, RW_WRITERS * RW_ROUNDS + upgrades);
    assert_eq!(table.0, table.1);

    hprintln!(
        "semaphore: {} permits fed by SysTick, {} taken, {} left; slots at most {} in use, {} free",
        PERMITS_FED.load(Relaxed),
        PERMITS_TAKEN.load(Relaxed),
        FED.available_permits(),
        SLOTS_MOST_IN_USE.load(Relaxed),
        SLOTS.available_permits()
    );
    assert_eq!(PERMITS_FED.load(Relaxed), FED_PERMITS);
    assert_eq!(PERMITS_TAKEN.load(Relaxed), FED_PERMITS);
    assert_eq!(FED.available_permits(), 0);
    assert_eq!(SLOTS.available_permits(), SLOT_PERMITS);
    assert_eq!(SLOTS_MOST_IN_USE.load(Relaxed), SLOT_PERMITS as u32);
    assert_eq!(SLOTS_IN_USE.load(Relaxed), 0);

    hprintln!(
        "barrier: {} arrivals, {} leaders",
        ARRIVALS.load(Relaxed),
        LEADERS.load(Relaxed)
    );
    assert_eq!(ARRIVALS.load(Relaxed), PARTIES * BARRIER_ROUNDS);
    assert_eq!(LEADERS.load(Relaxed), BARRIER_ROUNDS);

    hprintln!(
        "latch: counted down {} times by the software interrupt, count {}",
        LATCH_COUNTED.load(Relaxed),
        LATCH.count()
    );
    assert_eq!(LATCH_COUNTED.load(Relaxed), LATCH_COUNT);
    assert_eq!(LATCH.count(), 0);
    assert!(LATCH.try_wait());

    let level = *LEVEL.try_lock().expect("level left locked");
    hprintln!(
        "condvar: level {} raised {} times by the software interrupt (its try_lock found it taken {} times)",
        level,
        LEVEL_RAISES.load(Relaxed),
        LEVEL_BUSY.load(Relaxed)
    );
    assert_eq!(level, LEVEL_TARGET);
    assert_eq!(LEVEL_RAISES.load(Relaxed), LEVEL_TARGET);

    hprintln!("cancelled while queued: {}", CANCELLED.load(Relaxed));
    assert!(CANCELLED.load(Relaxed) > 0);
}

// ---------------------------------------------------------------------------
// Tasks.

/// Read, yield while holding the lock, write back: a second holder at any
/// point would lose an update, and the total would be short.
#[embassy_executor::task(pool_size = MUTEX_TASKS as usize)]
async fn counter_task(id: u32) {
    for round in 0..MUTEX_ROUNDS {
        let mut guard = if round % 16 == 15 {
            // Queue, then give up the place (a select! that took another
            // branch); the next waiter must not lose its wakeup.
            if poll_once(COUNTER.lock()).is_pending() {
                CANCELLED.add(1, Relaxed);
            }
            COUNTER.lock().await
        } else if let Some(guard) = COUNTER.try_lock() {
            guard
        } else {
            COUNTER.lock().await
        };
        let seen = *guard;
        yield_now().await;
        *guard = seen + 1;
        drop(guard);
        if (round + id).is_multiple_of(3) {
            yield_now().await;
        }
    }
    FINISHED.count_down();
}

#[embassy_executor::task(pool_size = RW_WRITERS as usize)]
async fn table_writer() {
    for _ in 0..RW_ROUNDS {
        let mut table = TABLE.write().await;
        table.0 += 1;
        yield_now().await;
        table.1 += 1;
    }
    FINISHED.count_down();
}

#[embassy_executor::task(pool_size = RW_READERS as usize)]
async fn table_reader() {
    for round in 1..=RW_ROUNDS {
        if round.is_multiple_of(UPGRADE_EVERY) {
            let read = TABLE.upgradable_read().await;
            assert_eq!(read.0, read.1);
            yield_now().await;
            let mut table = RwLockUpgradableReadGuard::upgrade(read).await;
            table.0 += 1;
            yield_now().await;
            table.1 += 1;
            UPGRADES.add(1, Relaxed);
        } else {
            let table = TABLE.read().await;
            assert_eq!(table.0, table.1, "a reader saw half a write");
            yield_now().await;
            assert_eq!(table.0, table.1, "a write ran beside a reader");
        }
    }
    FINISHED.count_down();
}

/// Takes its half of the permits SysTick feeds, one or two at a time, and
/// keeps them (`forget`), so the total taken is exact.
#[embassy_executor::task(pool_size = FEED_TASKS as usize)]
async fn fed_task(id: u32) {
    let mut taken = 0;
    let share = FED_PERMITS / FEED_TASKS;
    while taken < share {
        let n = if id == 1 && share - taken >= 2 { 2 } else { 1 };
        let guard = FED.acquire_many(n as usize).await.expect("never closed");
        assert_eq!(guard.permits(), n as usize);
        SemaphoreGuard::forget(guard);
        taken += n;
        PERMITS_TAKEN.add(n, Relaxed);
    }
    FINISHED.count_down();
}

/// At most `SLOT_PERMITS` tasks inside at once, and queued acquires that are
/// dropped give their place back.
#[embassy_executor::task(pool_size = SLOT_TASKS as usize)]
async fn slot_task(id: u32) {
    for round in 0..SLOT_ROUNDS {
        if (round + id) % 10 == 9 && poll_once(SLOTS.acquire()).is_pending() {
            CANCELLED.add(1, Relaxed);
        }
        let permit = SLOTS.acquire().await.expect("never closed");
        let inside = SLOTS_IN_USE.fetch_add(1, Relaxed) + 1;
        assert!(
            inside <= SLOT_PERMITS as u32,
            "{inside} tasks inside a 2-permit semaphore"
        );
        SLOTS_MOST_IN_USE.fetch_max(inside, Relaxed);
        yield_now().await;
        SLOTS_IN_USE.sub(1, Relaxed);
        drop(permit);
    }
    FINISHED.count_down();
}

/// Nobody leaves round `r` before all parties arrived in it, and nobody can
/// be two rounds ahead.
#[embassy_executor::task(pool_size = PARTIES as usize)]
async fn barrier_task() {
    for round in 0..BARRIER_ROUNDS {
        ARRIVALS.add(1, Relaxed);
        let result = BARRIER.wait().await;
        let arrivals = ARRIVALS.load(Relaxed);
        let complete = PARTIES * (round + 1);
        assert!(
            arrivals >= complete && arrivals < complete + PARTIES,
            "round {round}: {arrivals} arrivals"
        );
        if result.is_leader() {
            LEADERS.add(1, Relaxed);
        }
        if round.is_multiple_of(4) {
            yield_now().await;
        }
    }
    FINISHED.count_down();
}

#[embassy_executor::task]
async fn latch_task() {
    LATCH.wait().await;
    assert_eq!(LATCH.count(), 0);
    assert_eq!(LATCH_COUNTED.load(Relaxed), LATCH_COUNT);
    FINISHED.count_down();
}

/// Waits, holding `LEVEL` between wakeups, until the software interrupt has
/// raised it to the target.
#[embassy_executor::task(pool_size = LEVEL_WAITERS as usize)]
async fn level_waiter() {
    let level = LEVEL.lock().await;
    let level = LEVEL_CHANGED
        .wait_until(level, |level| *level >= LEVEL_TARGET)
        .await;
    assert_eq!(*level, LEVEL_TARGET);
    drop(level);
    FINISHED.count_down();
}

/// Holds `LEVEL` across a yield now and then, so some of the software
/// interrupt's `try_lock`s fail; pends the interrupt itself too.
#[embassy_executor::task]
async fn level_holder() {
    loop {
        let level = LEVEL.lock().await;
        let done = *level >= LEVEL_TARGET;
        NVIC::pend(SoftIrq);
        yield_now().await;
        drop(level);
        if done {
            break;
        }
        for _ in 0..3 {
            yield_now().await;
        }
    }
    FINISHED.count_down();
}

// ---------------------------------------------------------------------------
// Interrupts.

#[cfg(feature = "alloc")]
const TIER: &str = "alloc tier (wait lists boxed on first contention, 8 KiB heap)";
#[cfg(not(feature = "alloc"))]
const TIER: &str = "bare tier (no allocator)";
#[cfg(target_has_atomic = "32")]
const BOARD: &str = "lm3s6965evb (Cortex-M3)";
#[cfg(not(target_has_atomic = "32"))]
const BOARD: &str = "micro:bit (Cortex-M0)";

/// An interrupt line no peripheral of either emulated board drives while
/// its peripheral is off; only `NVIC::pend` raises it here.
#[derive(Clone, Copy)]
struct SoftIrq;

// SAFETY: 5 is a valid device interrupt on both chips (the LM3S6965 has 43,
// the nRF51822 32), and cortex-m-rt's vector table sends every device
// interrupt to `DefaultHandler`.
unsafe impl InterruptNumber for SoftIrq {
    fn number(self) -> u16 {
        5
    }
}

fn start_interrupts() {
    let mut cp = cortex_m::Peripherals::take().expect("taken once");
    // SAFETY: priorities are set before the interrupts are enabled, so no
    // priority-based critical section is in progress; this firmware has none
    // (its critical sections mask all interrupts).
    unsafe {
        // Lower number, higher priority: SysTick preempts the software
        // interrupt's handler too. The top two bits, which the M0 has.
        cp.SCB.set_priority(SystemHandler::SysTick, 0x40);
        cp.NVIC.set_priority(SoftIrq, 0x80);
    }
    // SAFETY: `DefaultHandler` below handles this interrupt, and unmasking it
    // breaks no mask-based critical section (none is in progress here).
    unsafe { NVIC::unmask(SoftIrq) };
    cp.SYST.set_clock_source(SystClkSource::Core);
    cp.SYST.set_reload(400);
    cp.SYST.clear_current();
    cp.SYST.enable_interrupt();
    cp.SYST.enable_counter();
}

#[exception]
fn SysTick() {
    let ticks = TICKS.fetch_add(1, Relaxed) + 1;
    if ticks > WATCHDOG_TICKS {
        hprintln!(
            "watchdog: no result after {} SysTick ticks, a task hangs",
            WATCHDOG_TICKS
        );
        hprintln!(
            "finished tasks: {} of {}",
            TASKS - FINISHED.count() as u32,
            TASKS
        );
        debug::exit(debug::EXIT_FAILURE);
    }

    // Next period: 128..=639 cycles, pseudo-random.
    let reload = critical_section::with(|cs| {
        let lfsr = LFSR.borrow(cs);
        let bit = (lfsr.get() ^ (lfsr.get() >> 2) ^ (lfsr.get() >> 3) ^ (lfsr.get() >> 5)) & 1;
        lfsr.set((lfsr.get() >> 1) | (bit << 15));
        128 + u32::from(lfsr.get()) % 512
    });
    // SAFETY: SYST is this handler's alone after `start_interrupts`; a new
    // reload value takes effect at the next wrap and races with nothing.
    unsafe { (*SYST::PTR).rvr.write(reload) };

    // Give back the counter taken on an earlier tick (this unlock wakes the
    // tasks queued meanwhile), or take it if a task does not hold it.
    let held = critical_section::with(|cs| ISR_GUARD.borrow_ref_mut(cs).take());
    if let Some(mut guard) = held {
        *guard += 1;
        ISR_COUNTER_INCREMENTS.add(1, Relaxed);
        drop(guard);
    } else if ISR_TAKES_COUNTER.load(Relaxed) {
        match COUNTER.try_lock() {
            Some(guard) => critical_section::with(|cs| *ISR_GUARD.borrow_ref_mut(cs) = Some(guard)),
            None => {
                ISR_COUNTER_BUSY.add(1, Relaxed);
            }
        }
    }

    if PERMITS_FED.load(Relaxed) < FED_PERMITS {
        PERMITS_FED.add(1, Relaxed);
        FED.add_permits(1);
    }

    if ticks.is_multiple_of(SOFT_IRQ_EVERY) {
        NVIC::pend(SoftIrq);
    }
}

/// The software interrupt (every device interrupt comes here; only
/// `SoftIrq` is enabled).
#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    if irqn != SoftIrq.number() as i16 {
        panic!("unexpected exception or interrupt {irqn}");
    }
    SOFT_IRQS.add(1, Relaxed);
    if LATCH_COUNTED.load(Relaxed) < LATCH_COUNT {
        LATCH_COUNTED.add(1, Relaxed);
        LATCH.count_down();
    }
    match LEVEL.try_lock() {
        Some(mut level) => {
            if *level < LEVEL_TARGET {
                *level += 1;
                LEVEL_RAISES.add(1, Relaxed);
            }
            drop(level);
            LEVEL_CHANGED.notify_all();
        }
        None => {
            LEVEL_BUSY.add(1, Relaxed);
        }
    }
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    hprintln!("hard fault: {:?}", frame);
    debug::exit(debug::EXIT_FAILURE);
    // Only reached without a debugger attached (no semihosting host).
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    hprintln!("FAILED: {}", info);
    debug::exit(debug::EXIT_FAILURE);
    // Only reached without a debugger attached (no semihosting host).
    loop {
        cortex_m::asm::wfi();
    }
}

// ---------------------------------------------------------------------------
// Helpers.

/// Returns `Pending` once, after asking to be polled again.
fn yield_now() -> impl Future<Output = ()> {
    let mut yielded = false;
    core::future::poll_fn(move |cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
}

/// Polls `future` once with a waker that does nothing, then drops it: a
/// waiter that queues and is cancelled.
fn poll_once<F: Future>(future: F) -> Poll<()> {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(core::task::Waker::noop());
    match Pin::as_mut(&mut future).poll(&mut cx) {
        Poll::Ready(_) => Poll::Ready(()),
        Poll::Pending => Poll::Pending,
    }
}
