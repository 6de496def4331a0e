//! The alloc tier (feature `alloc`): an 8 KiB heap, primitives behind `Arc`,
//! and tasks that use the `*_arc` forms, whose guards own their primitive.
//! The static primitives of `main.rs` run alongside, now on the alloc tier's
//! wait layer (wait lists boxed on first contention), still released from interrupts.

use alloc::sync::Arc;
use core::mem::MaybeUninit;

use cortex_m_semihosting::hprintln;
use embassy_executor::Spawner;
use embedded_alloc::LlffHeap;
use portable_atomic::{AtomicU32, Ordering::Relaxed};
use turnstile_sync::{
    Latch, Mutex, MutexGuardArc, RwLock, RwLockUpgradableReadGuardArc, Semaphore,
};

use crate::yield_now;

#[global_allocator]
static HEAP: LlffHeap = LlffHeap::empty();
const HEAP_SIZE: usize = 8 * 1024;

const ARC_TASKS: u32 = 3;
const ARC_ROUNDS: u32 = 200;
const ARC_UPGRADE_EVERY: u32 = 4;
const ARC_SLOTS: usize = 1;

static ARC_FINISHED: Latch = Latch::new(ARC_TASKS as usize);
static ARC_UPGRADES: AtomicU32 = AtomicU32::new(0);
static ARC_IN_SLOT: AtomicU32 = AtomicU32::new(0);
/// Guards handed from one task to another (they are `'static`).
static HANDED_OVER: AtomicU32 = AtomicU32::new(0);

pub fn init_heap() {
    static mut MEMORY: [MaybeUninit<u8>; HEAP_SIZE] = [MaybeUninit::uninit(); HEAP_SIZE];
    // SAFETY: called once, at boot, before anything allocates; `MEMORY` is
    // used by nothing but the heap, and only its address is taken here.
    unsafe { HEAP.init(&raw mut MEMORY as usize, HEAP_SIZE) }
}

struct Shared {
    counter: Arc<Mutex<u32>>,
    table: Arc<RwLock<(u32, u32)>>,
    slots: Arc<Semaphore>,
    /// Now and then a task locks the counter and posts the owning guard
    /// here; the next task to look takes it over and unlocks it.
    mailbox: Arc<Mutex<Option<MutexGuardArc<u32>>>>,
}

impl Shared {
    fn clone(&self) -> Self {
        Shared {
            counter: Arc::clone(&self.counter),
            table: Arc::clone(&self.table),
            slots: Arc::clone(&self.slots),
            mailbox: Arc::clone(&self.mailbox),
        }
    }
}

/// The Arcs `main` keeps, to check the totals when the tasks are done.
pub struct ArcRun(Shared);

pub fn spawn(spawner: Spawner) -> ArcRun {
    let shared = Shared {
        counter: Arc::new(Mutex::new(0)),
        table: Arc::new(RwLock::new((0, 0))),
        slots: Arc::new(Semaphore::new(ARC_SLOTS)),
        mailbox: Arc::new(Mutex::new(None)),
    };
    for id in 0..ARC_TASKS {
        spawner.spawn(arc_task(id, shared.clone()).unwrap());
    }
    ArcRun(shared)
}

impl ArcRun {
    pub async fn finish(self) {
        ARC_FINISHED.wait().await;
        let Shared {
            counter,
            table,
            slots,
            mailbox,
        } = self.0;
        let handed = HANDED_OVER.load(Relaxed);
        assert!(mailbox
            .try_lock_arc()
            .expect("mailbox left locked")
            .is_none());
        let count = *counter.try_lock_arc().expect("counter left locked");
        let table = *table.try_read_arc().expect("table left locked");
        let upgrades = ARC_UPGRADES.load(Relaxed);
        hprintln!(
            "alloc tier (_arc forms): counter {}, table {:?}, {} upgrades, {} guards handed between tasks, heap {} B in use",
            count,
            table,
            upgrades,
            handed,
            HEAP.used()
        );
        assert_eq!(count, ARC_TASKS * ARC_ROUNDS);
        assert_eq!(upgrades, ARC_TASKS * (ARC_ROUNDS / ARC_UPGRADE_EVERY));
        assert_eq!(table.0, ARC_TASKS * ARC_ROUNDS);
        assert_eq!(table.0, table.1);
        assert!(handed > 0);
        assert_eq!(slots.available_permits(), ARC_SLOTS);
        // Every task has dropped its clones (and the guards' clones).
        assert_eq!(Arc::strong_count(&counter), 1);
        assert_eq!(Arc::strong_count(&slots), 1);
    }
}

#[embassy_executor::task(pool_size = ARC_TASKS as usize)]
async fn arc_task(id: u32, shared: Shared) {
    let Shared {
        counter,
        table,
        slots,
        mailbox,
    } = shared;
    for round in 1..=ARC_ROUNDS {
        // A guard another task posted: increment it on the poster's behalf,
        // and unlock the counter.
        if let Some(mut posted) = mailbox.lock_arc().await.take() {
            *posted += 1;
            HANDED_OVER.add(1, Relaxed);
        }
        let mut guard = match counter.try_lock_arc() {
            Some(guard) => guard,
            None => counter.lock_arc().await,
        };
        if (round + id).is_multiple_of(5) && round < ARC_ROUNDS {
            // Post this round's guard instead of unlocking: an owning guard
            // is `'static` and moves to whichever task takes it next (this
            // one at the latest, next round). Holding the counter, nobody
            // else can have posted one.
            let mut slot = mailbox.lock_arc().await;
            assert!(slot.is_none(), "two counter guards at once");
            *slot = Some(guard);
        } else {
            let seen = *guard;
            yield_now().await;
            *guard = seen + 1;
            drop(guard);
        }
        table_and_slots(&table, &slots, id, round).await;
    }
    ARC_FINISHED.count_down();
}

/// The RwLock and Semaphore part of a round.
async fn table_and_slots(
    table: &Arc<RwLock<(u32, u32)>>,
    slots: &Arc<Semaphore>,
    id: u32,
    round: u32,
) {
    if (round + id).is_multiple_of(ARC_UPGRADE_EVERY) {
        let read = table.upgradable_read_arc().await;
        assert_eq!(read.0, read.1);
        yield_now().await;
        let mut write = RwLockUpgradableReadGuardArc::upgrade(read).await;
        write.0 += 1;
        yield_now().await;
        write.1 += 1;
        ARC_UPGRADES.add(1, Relaxed);
    } else {
        let mut write = table.write_arc().await;
        write.0 += 1;
        yield_now().await;
        write.1 += 1;
        drop(write);
        let read = table.read_arc().await;
        assert_eq!(read.0, read.1);
    }

    let permit = slots.acquire_arc().await.expect("never closed");
    assert_eq!(
        ARC_IN_SLOT.fetch_add(1, Relaxed),
        0,
        "two tasks inside a 1-permit semaphore"
    );
    yield_now().await;
    ARC_IN_SLOT.sub(1, Relaxed);
    drop(permit);
}
