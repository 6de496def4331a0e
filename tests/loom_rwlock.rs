//! Loom models of `turnstile_sync::RwLock`.
//!
//! Run in both wait-layer tiers (a separate target dir keeps the normal build
//! intact):
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test --release --test loom_rwlock
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test --release --test loom_rwlock --no-default-features --features critical-section
//! ```
//!
//! The value is read and written through the lock's `UnsafeCell`, which is
//! loom's under `--cfg loom`: a write that does not happen-after every read
//! and write before it (or a read that races a write) is reported as a
//! causality violation. A lost wakeup leaves a thread parked forever, which
//! loom reports as a deadlock. Every model ends by checking the lock is at
//! rest and fully usable (`assert_usable`), so a mark left behind in the
//! state word (a waiting-writer count, a read phase, an upgrade bit) fails
//! the model too.
#![cfg(loom)]

mod loom_common;
use loom_common::{drive, model, poll_once};

use std::future::Future;
use std::pin::Pin;

use loom::sync::Arc;
use loom::thread;
use turnstile_sync::{RwLock, RwLockReadGuard, RwLockUpgradableReadGuard, RwLockWriteGuard};

fn read_now<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    #[cfg(feature = "std")]
    {
        l.read_blocking()
    }
    #[cfg(not(feature = "std"))]
    {
        loom::future::block_on(l.read())
    }
}

fn write_now<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    #[cfg(feature = "std")]
    {
        l.write_blocking()
    }
    #[cfg(not(feature = "std"))]
    {
        loom::future::block_on(l.write())
    }
}

/// A non-atomic read-modify-write of the value: two tracked accesses.
fn bump(guard: &mut RwLockWriteGuard<'_, usize>) {
    let value = **guard;
    **guard = value + 1;
}

/// The lock is at rest and every kind of guard can be taken at once; returns
/// the value.
fn assert_usable(l: &RwLock<usize>) -> usize {
    assert!(!l.is_locked(), "lock still held at the end");
    let w = l
        .try_write()
        .expect("try_write refused a free lock: a mark leaked?");
    let value = *w;
    drop(w);
    let r = l
        .try_read()
        .expect("try_read refused a free lock: a mark leaked?");
    let u = l
        .try_upgradable_read()
        .expect("try_upgradable_read refused");
    drop(r);
    drop(RwLockUpgradableReadGuard::try_upgrade(u).expect("try_upgrade refused"));
    value
}

/// The write lock of `l`, taken, with a reader and then a writer queued
/// behind it (each polled once, pending): the start of every model of a
/// read phase.
#[allow(clippy::type_complexity)]
fn write_held_then_reader_and_writer_queued(
    l: &'static RwLock<usize>,
) -> (
    RwLockWriteGuard<'static, usize>,
    Pin<Box<impl Future<Output = RwLockReadGuard<'static, usize>>>>,
    Pin<Box<impl Future<Output = RwLockWriteGuard<'static, usize>>>>,
) {
    let held = l.try_write().unwrap();
    let mut r = Box::pin(l.read());
    assert!(poll_once(&mut r).is_pending());
    let mut w = Box::pin(l.write());
    assert!(poll_once(&mut w).is_pending());
    (held, r, w)
}

/// Model 1. A reader and a writer race on a free lock, each through the
/// blocking path, while the main thread reads too. Proves exclusion with
/// happens-before (loom's cell tracking) in every interleaving of the fast
/// paths, the slow paths and the releases' notifies, and no lost wakeup.
#[test]
fn reader_writer_race() {
    model(4, || {
        let l = Arc::new(RwLock::new(0usize));
        let writer = {
            let l = l.clone();
            thread::spawn(move || bump(&mut write_now(&l)))
        };
        let reader = {
            let l = l.clone();
            thread::spawn(move || {
                let v = *read_now(&l);
                assert!(v <= 1);
            })
        };
        let v = *read_now(&l);
        assert!(v <= 1);
        writer.join().unwrap();
        reader.join().unwrap();
        assert_eq!(assert_usable(&l), 1);
    });
}

/// Model 2. The main thread holds the write lock; a reader and a writer
/// arrive on their own threads while it releases. Proves that whichever
/// order the arrivals, registrations and the write unlock (with its read
/// phase) take, both get in, one after the other, and nothing is left set.
#[test]
fn write_unlock_vs_reader_and_writer_arrival() {
    model(4, || {
        let l = Arc::new(RwLock::new(0usize));
        let mut held = l.try_write().unwrap();
        let reader = {
            let l = l.clone();
            thread::spawn(move || {
                let v = *read_now(&l);
                assert!(v == 1 || v == 2, "reader saw {v}");
            })
        };
        let writer = {
            let l = l.clone();
            thread::spawn(move || bump(&mut write_now(&l)))
        };
        bump(&mut held);
        drop(held);
        reader.join().unwrap();
        writer.join().unwrap();
        assert_eq!(assert_usable(&l), 2);
    });
}

/// Model 3. An upgradable reader upgrades on its own thread while the main
/// thread's plain reader leaves and another thread tries to read. Proves the
/// last reader's leave always wakes the upgrade (no lost wakeup), the write
/// after the upgrade happens-after the reads, and a reader held back by the
/// pending upgrade gets in afterwards.
#[test]
fn upgrade_vs_reader_leaving() {
    model(4, || {
        let l = Arc::new(RwLock::new(0usize));
        let held = l.try_read().unwrap();
        let upgrader = {
            let l = l.clone();
            thread::spawn(move || {
                let u = loom::future::block_on(l.upgradable_read());
                let mut w = loom::future::block_on(RwLockUpgradableReadGuard::upgrade(u));
                bump(&mut w);
            })
        };
        let late = {
            let l = l.clone();
            thread::spawn(move || {
                let v = *read_now(&l);
                assert!(v <= 1);
            })
        };
        assert_eq!(*held, 0);
        drop(held);
        upgrader.join().unwrap();
        late.join().unwrap();
        assert_eq!(assert_usable(&l), 1);
    });
}

/// Model 4. A writer queued behind a reader (so holding back new readers)
/// is dropped on its own thread while a new reader, queued behind it, waits
/// on another, and the main thread's reader leaves. Proves the dropped
/// writer's count never strands the queued reader or a later writer, in
/// every order of the drop, the leave and the reader's re-checks.
#[test]
fn cancelled_pending_writer() {
    loom::lazy_static! {
        static ref L: RwLock<usize> = RwLock::new(0);
    }
    model(4, || {
        let l: &'static RwLock<usize> = &L;
        let held = l.try_read().unwrap();
        let mut w = Box::pin(l.write());
        assert!(poll_once(&mut w).is_pending());
        let mut r = Box::pin(l.read());
        assert!(
            poll_once(&mut r).is_pending(),
            "a new reader passed a queued writer"
        );
        let tw = thread::spawn(move || drop(w));
        let tr = thread::spawn(move || {
            let (guard, _) = drive(r);
            assert_eq!(*guard, 0);
        });
        drop(held);
        tw.join().unwrap();
        tr.join().unwrap();
        bump(&mut write_now(l));
        assert_eq!(assert_usable(l), 1);
    });
}

/// Model 5. A pending upgrade (waiting for the main thread's reader) is
/// dropped on its own thread while a reader it held back waits on another
/// and the main thread's reader leaves. Proves the dropped upgrade gives
/// back the upgradable lock and its UPGRADING mark and wakes the reader in
/// every order.
#[test]
fn cancelled_upgrade() {
    loom::lazy_static! {
        static ref L: RwLock<usize> = RwLock::new(0);
    }
    model(4, || {
        let l: &'static RwLock<usize> = &L;
        let held = l.try_read().unwrap();
        let mut up = Box::pin(RwLockUpgradableReadGuard::upgrade(
            l.try_upgradable_read().unwrap(),
        ));
        assert!(poll_once(&mut up).is_pending());
        let mut r = Box::pin(l.read());
        assert!(
            poll_once(&mut r).is_pending(),
            "a reader passed a pending upgrade"
        );
        let tu = thread::spawn(move || drop(up));
        let tr = thread::spawn(move || drop(drive(r).0));
        drop(held);
        tu.join().unwrap();
        tr.join().unwrap();
        assert_eq!(assert_usable(l), 0);
    });
}

/// Model 6. A reader queued behind the main thread's write lock is dropped
/// on its own thread while the main thread releases (which starts a read
/// phase for it) and a queued writer waits on a third. Proves the writer is
/// never stranded behind a read phase whose reader went away, whether the
/// reader left before the release (stale mark), after its notification, or
/// during it.
#[test]
fn cancelled_reader_vs_read_phase() {
    loom::lazy_static! {
        static ref L: RwLock<usize> = RwLock::new(0);
    }
    model(5, || {
        let l: &'static RwLock<usize> = &L;
        let (mut held, r, w) = write_held_then_reader_and_writer_queued(l);
        let tr = thread::spawn(move || drop(r));
        let tw = thread::spawn(move || bump(&mut drive(w).0));
        bump(&mut held);
        drop(held);
        tr.join().unwrap();
        tw.join().unwrap();
        assert_eq!(assert_usable(l), 2);
    });
}

/// Model 7. Write downgrade races a queued reader and a queued writer: the
/// reader must get in alongside the downgraded guard, the writer after both.
#[test]
fn downgrade_vs_queued() {
    model(3, || {
        let l = Arc::new(RwLock::new(0usize));
        let mut held = l.try_write().unwrap();
        let reader = {
            let l = l.clone();
            thread::spawn(move || assert!(*read_now(&l) >= 1))
        };
        let writer = {
            let l = l.clone();
            thread::spawn(move || bump(&mut write_now(&l)))
        };
        bump(&mut held);
        let down = RwLockWriteGuard::downgrade(held);
        assert!(*down >= 1);
        drop(down);
        reader.join().unwrap();
        writer.join().unwrap();
        assert_eq!(assert_usable(&l), 2);
    });
}

/// Model 8 (issue 10, section 1). The main thread releases its upgradable
/// lock, which wakes the queued readers, while a writer that queued before a
/// reader and that reader are each driven on their own thread. Proves the
/// woken reader never passes the writer queued before it (it reads the
/// writer's value), in every order of the release's wakes, the writer's
/// re-check and the reader's, and that neither is stranded.
#[test]
fn reader_woken_by_an_upgradable_release_vs_queued_writer() {
    loom::lazy_static! {
        static ref L: RwLock<usize> = RwLock::new(0);
    }
    model(4, || {
        let l: &'static RwLock<usize> = &L;
        let upgradable = l.try_upgradable_read().unwrap();
        let mut w = Box::pin(l.write());
        assert!(poll_once(&mut w).is_pending());
        let mut r = Box::pin(l.read());
        assert!(
            poll_once(&mut r).is_pending(),
            "a new reader passed a queued writer"
        );
        let tw = thread::spawn(move || bump(&mut drive(w).0));
        let tr = thread::spawn(move || {
            let (guard, _) = drive(r);
            assert_eq!(*guard, 1, "the reader passed the writer queued before it");
        });
        drop(upgradable);
        tw.join().unwrap();
        tr.join().unwrap();
        assert_eq!(assert_usable(l), 1);
    });
}

/// Model 9 (issue 10, section 1). A write release finds a stale
/// `READERS_PARKED` mark (its reader was dropped) and starts a read phase
/// while a new reader arrives on another thread and a queued writer waits on
/// a third. The new reader may register before the release's notify and so
/// be woken by it, yet it queued behind the writer and may not use the phase.
/// Proves such a phase, with nobody entitled to it, still ends (no deadlock
/// between the phase that holds the writer back and the writer that holds
/// the reader back), and that both get in.
#[test]
fn read_phase_with_only_a_late_reader() {
    loom::lazy_static! {
        static ref L: RwLock<usize> = RwLock::new(0);
    }
    model(4, || {
        let l: &'static RwLock<usize> = &L;
        let (mut held, stale, w) = write_held_then_reader_and_writer_queued(l);
        drop(stale);
        let tw = thread::spawn(move || bump(&mut drive(w).0));
        let tr = thread::spawn(move || {
            let (guard, _) = drive(l.read());
            assert!(*guard >= 1);
        });
        bump(&mut held);
        drop(held);
        tw.join().unwrap();
        tr.join().unwrap();
        assert_eq!(assert_usable(l), 2);
    });
}

/// Model 10 (issue 10, section 1). The main thread's upgradable lock, with a
/// writer and then a reader queued behind it, is upgraded and released while
/// the writer and the reader are driven on their own threads. Proves the
/// upgrade's write release lets the queued writer in before the reader that
/// queued after it (the reader sees both writes), in every order of the
/// release's notify and the two re-checks, and strands neither.
#[test]
fn upgraded_release_vs_queued_writer_and_reader() {
    loom::lazy_static! {
        static ref L: RwLock<usize> = RwLock::new(0);
    }
    model(4, || {
        let l: &'static RwLock<usize> = &L;
        let upgradable = l.try_upgradable_read().unwrap();
        let mut w = Box::pin(l.write());
        assert!(poll_once(&mut w).is_pending());
        let mut r = Box::pin(l.read());
        assert!(poll_once(&mut r).is_pending());
        let tw = thread::spawn(move || bump(&mut drive(w).0));
        let tr = thread::spawn(move || {
            let (guard, _) = drive(r);
            assert_eq!(*guard, 2, "the reader passed the writer queued before it");
        });
        let mut upgraded = RwLockUpgradableReadGuard::try_upgrade(upgradable)
            .ok()
            .unwrap();
        bump(&mut upgraded);
        drop(upgraded);
        tw.join().unwrap();
        tr.join().unwrap();
        assert_eq!(assert_usable(l), 2);
    });
}

/// Model 11. A reader's fast path races a writer that takes the free lock
/// and releases it, while a second writer queues. The reader's
/// `fetch_add` may land while the first writer holds the lock: a
/// *transient reader*, counted while it holds nothing, until it takes its
/// count back. Proves the write unlock keeps its count, the queued writer
/// that found it counted is woken when it leaves (no lost wakeup), the
/// reader never reads beside a writer, and the word ends at rest.
#[test]
fn transient_reader_vs_writer_release_and_queued_writer() {
    model(4, || {
        let l = Arc::new(RwLock::new(0usize));
        let first = {
            let l = l.clone();
            thread::spawn(move || {
                if let Some(mut held) = l.try_write() {
                    bump(&mut held);
                }
            })
        };
        let queued = {
            let l = l.clone();
            thread::spawn(move || bump(&mut write_now(&l)))
        };
        if let Some(guard) = l.try_read() {
            assert!(*guard <= 2);
        }
        first.join().unwrap();
        queued.join().unwrap();
        let value = assert_usable(&l);
        assert!(value == 1 || value == 2, "value {value}");
    });
}

/// Model 12. A reader's fast path races a writer that takes the free lock
/// and downgrades it, and an upgradable reader that upgrades. A transient
/// reader may be counted while the write lock is downgraded (the count then
/// holds it and the downgraded reader) or while the upgrade waits for the
/// readers to leave. Proves the downgrade keeps the transient count, the
/// upgrade is woken when the transient reader leaves, and the word ends at
/// rest.
#[test]
fn transient_reader_vs_downgrade_and_upgrade() {
    model(3, || {
        let l = Arc::new(RwLock::new(0usize));
        let downgrader = {
            let l = l.clone();
            thread::spawn(move || {
                if let Some(mut held) = l.try_write() {
                    bump(&mut held);
                    let down = RwLockWriteGuard::downgrade(held);
                    assert!(*down >= 1);
                }
            })
        };
        let upgrader = {
            let l = l.clone();
            thread::spawn(move || {
                if let Some(u) = l.try_upgradable_read() {
                    let mut w = loom::future::block_on(RwLockUpgradableReadGuard::upgrade(u));
                    bump(&mut w);
                }
            })
        };
        if let Some(guard) = l.try_read() {
            assert!(*guard <= 2);
        }
        downgrader.join().unwrap();
        upgrader.join().unwrap();
        assert!(assert_usable(&l) <= 2);
    });
}

/// Model 13. A write release starts a read phase for a queued reader while
/// a writer is queued behind it, and a reader refused by that writer (on
/// 64-bit targets counted for an instant, then taken back) races the phase
/// on a third thread. Proves the refused reader's take-back never strands
/// anyone: the phase ends (the writer gets in) whether it lands before the
/// phase's reader took its notification, after it entered, or after it
/// left, and the word ends at rest. (In the one window where the phase's
/// reader took its notification but had not entered, the take-back may end
/// the phase, so the reader may see the queued writer's value too.)
#[test]
fn refused_reader_vs_read_phase() {
    loom::lazy_static! {
        static ref L: RwLock<usize> = RwLock::new(0);
    }
    model(3, || {
        let l: &'static RwLock<usize> = &L;
        let (mut held, r, w) = write_held_then_reader_and_writer_queued(l);
        let tr = thread::spawn(move || {
            let (guard, _) = drive(r);
            assert!(*guard >= 1);
        });
        let tw = thread::spawn(move || bump(&mut drive(w).0));
        let refused = thread::spawn(move || {
            if let Some(guard) = l.try_read() {
                assert_eq!(*guard, 2, "a new reader passed the queued writer");
            }
        });
        bump(&mut held);
        drop(held);
        tr.join().unwrap();
        tw.join().unwrap();
        refused.join().unwrap();
        assert_eq!(assert_usable(l), 2);
    });
}
