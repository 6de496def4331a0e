//! `turnstile_sync::RwLock`: the API, upgrade and downgrade paths, mapped guards,
//! Debug output, the fair phases and cancellation driven by hand with
//! counting wakers, reader overflow, and (tier permitting) blocking and
//! `Arc` variants on threads. Runs in every tier.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;

use common::{assert_pending, assert_ready, CountingWaker};
use turnstile_sync::{
    MappedRwLockReadGuard, MappedRwLockWriteGuard, RwLock, RwLockReadGuard,
    RwLockUpgradableReadGuard, RwLockWriteGuard,
};

/// The lock is at rest and fully usable: a writer, then two readers and an
/// upgradable reader, then an upgrade, all succeed at once.
#[track_caller]
fn assert_usable<T>(lock: &RwLock<T>) {
    assert!(!lock.is_locked(), "lock still held");
    assert_eq!(lock.reader_count(), 0);
    drop(lock.try_write().expect("try_write refused a free lock"));
    let a = lock.try_read().expect("try_read refused a free lock");
    let b = lock.try_read().expect("second try_read refused");
    let u = lock
        .try_upgradable_read()
        .expect("try_upgradable_read refused");
    assert_eq!(lock.reader_count(), 3);
    drop((a, b));
    let w = RwLockUpgradableReadGuard::try_upgrade(u)
        .ok()
        .expect("try_upgrade refused");
    assert!(lock.is_write_locked());
    drop(w);
    assert!(!lock.is_locked());
}

// ---------------------------------------------------------------------------
// API
// ---------------------------------------------------------------------------

#[test]
fn constructors_and_accessors() {
    static STATIC: RwLock<u32> = RwLock::new(3);
    assert_eq!(*STATIC.try_read().unwrap(), 3);

    let mut lock = RwLock::new(String::from("a"));
    lock.get_mut().push('b');
    assert_eq!(lock.into_inner(), "ab");
    assert_eq!(RwLock::<u8>::default().into_inner(), 0);
    assert_eq!(RwLock::from(9u8).into_inner(), 9);

    let unsized_lock: &RwLock<[u8]> = &RwLock::new([1, 2, 3]);
    assert_eq!(unsized_lock.try_read().unwrap().len(), 3);
    unsized_lock.try_write().unwrap()[0] = 7;
    assert_eq!(unsized_lock.try_read().unwrap()[0], 7);
}

#[test]
fn readers_share_writers_exclude() {
    let lock = RwLock::new(0);
    assert!(!lock.is_locked());
    let a = lock.try_read().unwrap();
    let b = lock.try_read().unwrap();
    assert!(lock.is_locked());
    assert!(!lock.is_write_locked());
    assert_eq!(lock.reader_count(), 2);
    assert!(lock.try_write().is_none());
    drop((a, b));
    let mut w = lock.try_write().unwrap();
    *w += 1;
    assert!(lock.is_write_locked());
    assert_eq!(lock.reader_count(), 0);
    assert!(lock.try_read().is_none());
    assert!(lock.try_upgradable_read().is_none());
    assert!(lock.try_write().is_none());
    drop(w);
    assert_eq!(*lock.try_read().unwrap(), 1);
    assert_usable(&lock);
}

#[test]
fn async_forms_are_ready_when_free() {
    let waker = CountingWaker::new();
    let lock = RwLock::new(1);
    {
        let mut r1 = pin!(lock.read());
        let mut r2 = pin!(lock.read());
        let g1 = assert_ready(r1.as_mut(), waker.waker());
        let g2 = assert_ready(r2.as_mut(), waker.waker());
        assert_eq!(*g1 + *g2, 2);
    }
    {
        let mut w = pin!(lock.write());
        *assert_ready(w.as_mut(), waker.waker()) += 1;
    }
    {
        let mut u = pin!(lock.upgradable_read());
        let g = assert_ready(u.as_mut(), waker.waker());
        let mut up = pin!(RwLockUpgradableReadGuard::upgrade(g));
        *assert_ready(up.as_mut(), waker.waker()) += 1;
    }
    assert_eq!(waker.count(), 0);
    assert_eq!(lock.into_inner(), 3);
}

#[test]
fn one_upgradable_reader_alongside_readers() {
    let lock = RwLock::new(0);
    let u = lock.try_upgradable_read().unwrap();
    assert!(lock.try_upgradable_read().is_none());
    assert!(lock.try_write().is_none());
    let r = lock.try_read().unwrap();
    assert_eq!(lock.reader_count(), 2);
    assert!(lock.is_locked());
    assert!(!lock.is_write_locked());
    // A reader is still inside: try_upgrade hands the guard back.
    let u = RwLockUpgradableReadGuard::try_upgrade(u).unwrap_err();
    drop(r);
    let mut w = RwLockUpgradableReadGuard::try_upgrade(u).unwrap();
    *w = 5;
    assert!(lock.is_write_locked());
    drop(w);
    assert_eq!(*lock.try_read().unwrap(), 5);
    assert_usable(&lock);
}

#[test]
fn downgrades() {
    let lock = RwLock::new(1);

    // write -> read: readers may join, writers may not.
    let mut w = lock.try_write().unwrap();
    *w = 2;
    let r = RwLockWriteGuard::downgrade(w);
    assert_eq!(*r, 2);
    assert!(!lock.is_write_locked());
    assert_eq!(*lock.try_read().unwrap(), 2);
    assert!(lock.try_write().is_none());
    drop(r);

    // write -> upgradable: readers may join, not another upgradable.
    let w = lock.try_write().unwrap();
    let u = RwLockWriteGuard::downgrade_to_upgradable(w);
    assert!(lock.try_upgradable_read().is_none());
    assert!(lock.try_read().is_some());
    assert_eq!(lock.reader_count(), 1);

    // upgradable -> read: another upgradable may come in.
    let r = RwLockUpgradableReadGuard::downgrade(u);
    let u2 = lock.try_upgradable_read().unwrap();
    assert_eq!(lock.reader_count(), 2);
    drop((r, u2));
    assert_usable(&lock);
}

#[test]
fn downgrade_lets_queued_readers_in() {
    let (wr, wu) = (CountingWaker::new(), CountingWaker::new());
    let lock = RwLock::new(0);
    let w = lock.try_write().unwrap();
    let mut r = pin!(lock.read());
    let mut u = pin!(lock.upgradable_read());
    assert_pending(r.as_mut(), wr.waker());
    assert_pending(u.as_mut(), wu.waker());
    let down = RwLockWriteGuard::downgrade(w);
    assert_eq!(wr.count(), 1);
    assert_eq!(wu.count(), 1);
    let r = assert_ready(r.as_mut(), wr.waker());
    let u = assert_ready(u.as_mut(), wu.waker());
    assert_eq!(lock.reader_count(), 3);
    drop((down, r, u));
    assert_usable(&lock);
}

#[test]
fn downgrade_map_lets_other_readers_in_and_blocks_writers() {
    let (wr, ww, wl) = (
        CountingWaker::new(),
        CountingWaker::new(),
        CountingWaker::new(),
    );
    let lock = RwLock::new((0u8, String::new()));

    // With no writer queued, new readers get in at once; writers do not.
    let first = RwLockWriteGuard::downgrade_map(lock.try_write().unwrap(), |pair| &pair.0);
    let other = lock
        .try_read()
        .expect("a reader is let in beside the mapped guard");
    assert_eq!((*first, other.0), (0, 0));
    assert!(lock.try_write().is_none());
    assert!(lock.try_upgradable_read().is_some());
    drop(other);
    assert!(lock.try_write().is_none(), "the mapped guard still reads");
    drop(first);
    assert!(!lock.is_locked());

    let mut w = lock.try_write().unwrap();
    let mut read = pin!(lock.read());
    assert_pending(read.as_mut(), wr.waker());
    let mut write = pin!(lock.write());
    assert_pending(write.as_mut(), ww.waker());
    let mut late = pin!(lock.read());
    assert_pending(late.as_mut(), wl.waker());
    w.1.push_str("set");
    let name: MappedRwLockReadGuard<'_, String> =
        RwLockWriteGuard::downgrade_map(w, |pair| &pair.1);
    assert_eq!(&*name, "set");
    assert!(!lock.is_write_locked());
    // The readers queued during the write go in with it, as for `downgrade`.
    let read = assert_ready(read.as_mut(), wr.waker());
    let late = assert_ready(late.as_mut(), wl.waker());
    assert_eq!(read.1, "set");
    assert_eq!(lock.reader_count(), 3);
    // A new reader queues behind the queued writer (phases); writers wait.
    assert!(lock.try_read().is_none());
    assert!(lock.try_write().is_none());
    assert_pending(write.as_mut(), ww.waker());
    drop((read, late));
    assert_pending(write.as_mut(), ww.waker());
    assert_eq!(ww.count(), 0, "woken while the mapped reader is in");
    drop(name);
    assert_eq!(ww.count(), 1);
    drop(assert_ready(write.as_mut(), ww.waker()));
    assert_usable(&lock);
}

#[test]
fn try_downgrade_map_on_none_keeps_the_write_lock() {
    let wr = CountingWaker::new();
    let lock = RwLock::new(None::<u8>);
    let w = lock.try_write().unwrap();
    let mut read = pin!(lock.read());
    assert_pending(read.as_mut(), wr.waker());
    let mut w = RwLockWriteGuard::try_downgrade_map(w, |v| v.as_ref())
        .expect_err("try_downgrade_map of a None part returned a guard");
    assert!(lock.is_write_locked(), "nothing was downgraded");
    assert_eq!(wr.count(), 0, "no reader was let in");
    assert!(lock.try_read().is_none());
    *w = Some(4);
    let four = RwLockWriteGuard::try_downgrade_map(w, |v| v.as_ref()).expect("the part is there");
    assert_eq!(*four, 4);
    assert!(!lock.is_write_locked());
    assert_eq!(wr.count(), 1);
    let read = assert_ready(read.as_mut(), wr.waker());
    assert_eq!(*read, Some(4));
    assert!(lock.try_write().is_none());
    drop((four, read));
    assert_usable(&lock);
}

#[test]
fn downgrade_map_that_panics_releases_the_write_lock() {
    let lock = RwLock::new(0u8);
    let r = catch_unwind(AssertUnwindSafe(|| {
        RwLockWriteGuard::downgrade_map(lock.try_write().unwrap(), |_| -> &u8 { panic!("boom") })
    }));
    assert!(r.is_err());
    let r = catch_unwind(AssertUnwindSafe(|| {
        RwLockWriteGuard::try_downgrade_map(lock.try_write().unwrap(), |_| -> Option<&u8> {
            panic!("boom")
        })
    }));
    assert!(r.is_err());
    assert_usable(&lock);
}

/// A downgrade is a write release: the readers that queued during the write
/// go in with the downgraded guard, also the one that queued behind a
/// writer, and the writer waits for all of them.
#[test]
fn downgrade_lets_the_readers_queued_during_the_write_pass_a_queued_writer() {
    let (wr, ww, wl) = (
        CountingWaker::new(),
        CountingWaker::new(),
        CountingWaker::new(),
    );
    let lock = RwLock::new(0);
    let mut w = lock.try_write().unwrap();
    let mut read = pin!(lock.read());
    assert_pending(read.as_mut(), wr.waker());
    let mut write = pin!(lock.write());
    assert_pending(write.as_mut(), ww.waker());
    let mut late = pin!(lock.read());
    assert_pending(late.as_mut(), wl.waker());
    *w = 1;
    let down = RwLockWriteGuard::downgrade(w);
    assert_pending(write.as_mut(), ww.waker());
    let read = assert_ready(read.as_mut(), wr.waker());
    let late = assert_ready(late.as_mut(), wl.waker());
    assert_eq!(lock.reader_count(), 3);
    assert!(lock.try_read().is_none(), "a new reader passed the writer");
    drop((down, read));
    assert_eq!(ww.count(), 0, "woken with a reader still inside");
    drop(late);
    assert_eq!(ww.count(), 1);
    *assert_ready(write.as_mut(), ww.waker()) += 1;
    assert_usable(&lock);
}

#[test]
fn upgrade_waits_for_readers_and_blocks_new_ones() {
    let (wu, wr) = (CountingWaker::new(), CountingWaker::new());
    let lock = RwLock::new(0);
    let reader = lock.try_read().unwrap();
    let u = lock.try_upgradable_read().unwrap();
    let mut up = pin!(RwLockUpgradableReadGuard::upgrade(u));
    assert_pending(up.as_mut(), wu.waker());
    // New readers queue behind the pending upgrade.
    assert!(lock.try_read().is_none());
    let mut r2 = pin!(lock.read());
    assert_pending(r2.as_mut(), wr.waker());
    assert_eq!(wu.count(), 0);
    drop(reader);
    assert_eq!(wu.count(), 1, "the last reader must wake the upgrade");
    let mut w = assert_ready(up.as_mut(), wu.waker());
    *w = 1;
    assert!(lock.is_write_locked());
    assert_eq!(wr.count(), 0);
    drop(w);
    assert_eq!(wr.count(), 1);
    assert_eq!(*assert_ready(r2.as_mut(), wr.waker()), 1);
    assert_usable(&lock);
}

/// The upgrade waits in the writers' queue, here behind a writer that waits
/// for the upgradable lock: the last reader must still wake the upgrade.
#[test]
fn upgrade_queued_behind_a_writer_is_woken() {
    let (wu, ww) = (CountingWaker::new(), CountingWaker::new());
    let lock = RwLock::new(0);
    let reader = lock.try_read().unwrap();
    let u = lock.try_upgradable_read().unwrap();
    let mut write = pin!(lock.write());
    assert_pending(write.as_mut(), ww.waker());
    let mut up = pin!(RwLockUpgradableReadGuard::upgrade(u));
    assert_pending(up.as_mut(), wu.waker());
    drop(reader);
    assert_eq!(
        wu.count(),
        1,
        "the upgrade behind a queued writer was not woken"
    );
    // The writer may be woken too; it must not get in.
    assert_pending(write.as_mut(), ww.waker());
    let mut w = assert_ready(up.as_mut(), wu.waker());
    *w = 1;
    drop(w);
    assert!(ww.count() >= 1);
    assert_eq!(*assert_ready(write.as_mut(), ww.waker()), 1);
    assert_usable(&lock);
}

#[test]
fn upgradable_waiter_is_woken_when_the_upgradable_leaves() {
    let w = CountingWaker::new();
    let lock = RwLock::new(0);
    let u = lock.try_upgradable_read().unwrap();
    let mut u2 = pin!(lock.upgradable_read());
    assert_pending(u2.as_mut(), w.waker());
    drop(u);
    assert_eq!(w.count(), 1);
    drop(assert_ready(u2.as_mut(), w.waker()));
    assert_usable(&lock);
}

#[test]
fn mapped_guards() {
    let lock = RwLock::new((1u8, String::from("x")));
    let name: MappedRwLockReadGuard<'_, String> =
        RwLockReadGuard::map(lock.try_read().unwrap(), |pair| &pair.1);
    assert_eq!(&*name, "x");
    assert_eq!(format!("{name:?}"), "\"x\"");
    assert!(lock.try_write().is_none());
    assert_eq!(lock.reader_count(), 1);
    drop(name);

    let mut first: MappedRwLockWriteGuard<'_, u8> =
        RwLockWriteGuard::map(lock.try_write().unwrap(), |pair| &mut pair.0);
    *first += 1;
    assert_eq!(format!("{first:?}"), "2");
    assert!(lock.try_read().is_none());
    assert!(lock.is_write_locked());
    drop(first);
    assert_eq!(lock.try_read().unwrap().0, 2);
    assert_usable(&lock);
}

/// The read guards are covariant in `T`, as std's are: a guard over
/// `&'static str` can be used where one over a shorter-lived `&str` is
/// expected. This test compiles only if they are (tests-build's
/// `rwlock_*_is_invariant` cases check that the upgradable and write
/// guards are not).
#[test]
fn read_guards_are_covariant() {
    fn shorten<'g, 's>(guard: RwLockReadGuard<'g, &'static str>) -> RwLockReadGuard<'g, &'s str> {
        guard
    }
    fn shorten_mapped<'g, 's>(
        guard: MappedRwLockReadGuard<'g, &'static str>,
    ) -> MappedRwLockReadGuard<'g, &'s str> {
        guard
    }
    // The example, as std's guard compiles it.
    fn to_guard_lifetime<'g>(
        guard: RwLockReadGuard<'g, &'static ()>,
    ) -> RwLockReadGuard<'g, &'g ()> {
        guard
    }

    let lock = RwLock::new(("static", "other"));
    let local = String::from("local");
    let pair = RwLockReadGuard::map(lock.try_read().unwrap(), |pair| &pair.0);
    let pair = shorten_mapped(pair);
    let mut longest: &str = &local;
    if pair.len() > longest.len() {
        longest = *pair;
    }
    assert_eq!(longest, "static");
    drop(pair);

    let unit = RwLock::new(&());
    drop(to_guard_lifetime(unit.try_read().unwrap()));

    let words = RwLock::new("static");
    let guard = shorten(words.try_read().unwrap());
    let both: [&str; 2] = [*guard, &local];
    assert_eq!(both, ["static", "local"]);
    assert_eq!(words.reader_count(), 1);
    drop(guard);
    assert_usable(&lock);

    #[cfg(feature = "alloc")]
    {
        use std::sync::Arc;
        use turnstile_sync::RwLockReadGuardArc;
        fn shorten_arc<'s>(guard: RwLockReadGuardArc<&'static str>) -> RwLockReadGuardArc<&'s str> {
            guard
        }
        fn shorten_mapped_arc<'s>(
            guard: turnstile_sync::MappedRwLockReadGuardArc<&'static str, &'static str>,
        ) -> turnstile_sync::MappedRwLockReadGuardArc<&'s str, &'s str> {
            guard
        }
        let lock = Arc::new(RwLock::new("static"));
        let mapped =
            shorten_mapped_arc(RwLockReadGuardArc::map(lock.try_read_arc().unwrap(), |s| s));
        let both: [&str; 2] = [*mapped, &local];
        assert_eq!(both, ["static", "local"]);
        drop(mapped);
        let lock = Arc::new(RwLock::new("static"));
        let guard = shorten_arc(lock.try_read_arc().unwrap());
        let both: [&str; 2] = [*guard, &local];
        assert_eq!(both, ["static", "local"]);
        assert_eq!(lock.reader_count(), 1);
        drop(guard);
        assert!(lock.try_write().is_some());
        // The guard holds a strong count, and gives it back.
        let guard = lock.try_read_arc().unwrap();
        assert_eq!(Arc::strong_count(&lock), 2);
        drop(guard);
        assert_eq!(Arc::strong_count(&lock), 1);
    }
}

#[test]
fn try_map_gives_the_guard_back_on_none_and_the_lock_stays_held() {
    let lock = RwLock::new((1u8, None::<String>));

    let reader = RwLockReadGuard::try_map(lock.try_read().unwrap(), |pair| pair.1.as_ref())
        .expect_err("try_map of a None part returned a guard");
    assert_eq!(lock.reader_count(), 1, "the returned guard still reads");
    assert!(lock.try_write().is_none());
    assert_eq!(reader.0, 1, "it is the whole guard");
    drop(reader);

    let mut writer = RwLockWriteGuard::try_map(lock.try_write().unwrap(), |pair| pair.1.as_mut())
        .expect_err("try_map of a None part returned a guard");
    assert!(lock.is_write_locked(), "the returned guard still writes");
    assert!(lock.try_read().is_none());
    writer.1 = Some(String::from("a"));
    let mut name: MappedRwLockWriteGuard<'_, String> =
        RwLockWriteGuard::try_map(writer, |pair| pair.1.as_mut()).expect("the part is there");
    name.push('b');
    assert!(lock.is_write_locked());
    drop(name);
    assert!(!lock.is_locked());

    let name: MappedRwLockReadGuard<'_, String> =
        RwLockReadGuard::try_map(lock.try_read().unwrap(), |pair| pair.1.as_ref())
            .expect("the part is there");
    assert_eq!(&*name, "ab");
    assert_eq!(lock.reader_count(), 1);
    drop(name);
    assert_usable(&lock);
}

#[test]
fn mapped_guards_map_and_try_map_again() {
    let lock = RwLock::new((0u8, [Some(1u8), None]));

    let array = RwLockReadGuard::map(lock.try_read().unwrap(), |pair| &pair.1);
    let array = MappedRwLockReadGuard::try_map(array, |a| a[1].as_ref())
        .expect_err("try_map of a None part returned a guard");
    assert_eq!(lock.reader_count(), 1);
    let first = MappedRwLockReadGuard::try_map(array, |a| a[0].as_ref()).expect("Some part");
    let first: MappedRwLockReadGuard<'_, [u8]> =
        MappedRwLockReadGuard::map(first, core::slice::from_ref);
    assert_eq!(&*first, [1]);
    assert!(lock.try_write().is_none());
    drop(first);
    assert!(!lock.is_locked());

    let array = RwLockWriteGuard::map(lock.try_write().unwrap(), |pair| &mut pair.1);
    let array = MappedRwLockWriteGuard::try_map(array, |a| a[1].as_mut())
        .expect_err("try_map of a None part returned a guard");
    assert!(lock.is_write_locked());
    let first = MappedRwLockWriteGuard::try_map(array, |a| a[0].as_mut()).expect("Some part");
    let mut first: MappedRwLockWriteGuard<'_, [u8]> =
        MappedRwLockWriteGuard::map(first, core::slice::from_mut);
    first[0] = 5;
    assert!(lock.try_read().is_none());
    drop(first);
    assert_eq!(lock.try_read().unwrap().1, [Some(5), None]);
    assert_usable(&lock);
}

#[test]
fn try_map_and_mapped_map_that_panic_unlock() {
    let lock = RwLock::new(0u8);
    let r = catch_unwind(AssertUnwindSafe(|| {
        RwLockReadGuard::try_map(lock.try_read().unwrap(), |_| -> Option<&u8> {
            panic!("boom")
        })
    }));
    assert!(r.is_err());
    let w = catch_unwind(AssertUnwindSafe(|| {
        RwLockWriteGuard::try_map(lock.try_write().unwrap(), |_| -> Option<&mut u8> {
            panic!("boom")
        })
    }));
    assert!(w.is_err());
    let r = catch_unwind(AssertUnwindSafe(|| {
        let mapped = RwLockReadGuard::map(lock.try_read().unwrap(), |v| v);
        MappedRwLockReadGuard::try_map(mapped, |_| -> Option<&u8> { panic!("boom") })
    }));
    assert!(r.is_err());
    let w = catch_unwind(AssertUnwindSafe(|| {
        let mapped = RwLockWriteGuard::map(lock.try_write().unwrap(), |v| v);
        MappedRwLockWriteGuard::map(mapped, |_| -> &mut u8 { panic!("boom") })
    }));
    assert!(w.is_err());
    assert_usable(&lock);
}

#[test]
fn map_that_panics_unlocks() {
    let lock = RwLock::new(0);
    let r = catch_unwind(AssertUnwindSafe(|| {
        RwLockReadGuard::map(lock.try_read().unwrap(), |_| -> &u8 { panic!("boom") })
    }));
    assert!(r.is_err());
    let w = catch_unwind(AssertUnwindSafe(|| {
        RwLockWriteGuard::map(lock.try_write().unwrap(), |_| -> &mut u8 { panic!("boom") })
    }));
    assert!(w.is_err());
    assert_usable(&lock);
}

#[test]
fn debug_output() {
    let lock = RwLock::new(5);
    assert_eq!(format!("{lock:?}"), "RwLock { value: 5 }");
    let r = lock.try_read().unwrap();
    assert_eq!(format!("{r:?}"), "5");
    assert_eq!(format!("{r}"), "5");
    assert_eq!(format!("{lock:?}"), "RwLock { value: 5 }", "readers share");
    drop(r);
    let u = lock.try_upgradable_read().unwrap();
    assert_eq!(format!("{u:?}"), "5");
    drop(u);
    let w = lock.try_write().unwrap();
    assert_eq!(format!("{w:?}"), "5");
    assert_eq!(format!("{w}"), "5");
    assert_eq!(format!("{lock:?}"), "RwLock { value: <locked> }");
    drop(w);

    // A queued writer makes it `<locked>` even while only readers hold it.
    let waker = CountingWaker::new();
    let r = lock.try_read().unwrap();
    let mut write = pin!(lock.write());
    assert_pending(write.as_mut(), waker.waker());
    assert_eq!(format!("{lock:?}"), "RwLock { value: <locked> }");

    assert_eq!(format!("{:?}", lock.read()), "Read { .. }");
    assert_eq!(format!("{write:?}"), "Write { .. }");
    assert_eq!(
        format!("{:?}", lock.upgradable_read()),
        "UpgradableRead { .. }"
    );
    drop(r);
    drop(assert_ready(write.as_mut(), waker.waker()));
    let up = RwLockUpgradableReadGuard::upgrade(lock.try_upgradable_read().unwrap());
    assert_eq!(format!("{up:?}"), "Upgrade { .. }");
}

// ---------------------------------------------------------------------------
// Fair phases
// ---------------------------------------------------------------------------

/// Once a writer is queued, a new reader queues behind it; the readers
/// inside drain and the last one wakes the writer.
#[test]
fn queued_writer_stops_new_readers() {
    let (ww, wr) = (CountingWaker::new(), CountingWaker::new());
    let lock = RwLock::new(0);
    let r1 = lock.try_read().unwrap();
    let r2 = lock.try_read().unwrap();
    let mut write = pin!(lock.write());
    assert_pending(write.as_mut(), ww.waker());

    assert!(lock.try_read().is_none(), "try_read passed a queued writer");
    assert!(lock.try_upgradable_read().is_none());
    let mut late = pin!(lock.read());
    assert_pending(late.as_mut(), wr.waker());

    drop(r1);
    assert_eq!(ww.count(), 0, "woken with a reader still inside");
    drop(r2);
    assert_eq!(ww.count(), 1);
    let mut guard = assert_ready(write.as_mut(), ww.waker());
    *guard = 1;
    assert_eq!(wr.count(), 0);
    drop(guard);
    assert_eq!(wr.count(), 1);
    assert_eq!(*assert_ready(late.as_mut(), wr.waker()), 1);
    assert_usable(&lock);
}

/// Readers that queued during a write go in together when it ends, before
/// the writer that queued after them (and before the ones that queued after
/// that writer: all the readers waiting at the release form one phase).
#[test]
fn readers_queued_during_a_write_go_in_together() {
    let wakers: Vec<CountingWaker> = (0..3).map(|_| CountingWaker::new()).collect();
    let ww2 = CountingWaker::new();
    let lock = RwLock::new(0);
    let w1 = lock.try_write().unwrap();
    let mut r1 = pin!(lock.read());
    let mut r2 = pin!(lock.read());
    assert_pending(r1.as_mut(), wakers[0].waker());
    assert_pending(r2.as_mut(), wakers[1].waker());
    let mut w2 = pin!(lock.write());
    assert_pending(w2.as_mut(), ww2.waker());
    let mut r3 = pin!(lock.read());
    assert_pending(r3.as_mut(), wakers[2].waker());

    drop(w1);
    for w in &wakers {
        assert_eq!(w.count(), 1, "a queued reader was not woken");
    }
    assert_eq!(
        ww2.count(),
        0,
        "the writer was woken before the readers' phase"
    );
    // The writer, polled first, must still wait: the phase is the readers'.
    assert_pending(w2.as_mut(), ww2.waker());
    let g1 = assert_ready(r1.as_mut(), wakers[0].waker());
    let g2 = assert_ready(r2.as_mut(), wakers[1].waker());
    let g3 = assert_ready(r3.as_mut(), wakers[2].waker());
    assert_eq!(lock.reader_count(), 3);
    // ...and new readers wait behind the queued writer.
    assert!(lock.try_read().is_none());
    drop((g1, g2));
    assert_eq!(ww2.count(), 0);
    drop(g3);
    assert_eq!(ww2.count(), 1);
    drop(assert_ready(w2.as_mut(), ww2.waker()));
    assert_usable(&lock);
}

/// A reader refused during a read phase (a writer queued before it) does
/// not end the phase before the readers it let in have entered: they still
/// go in before the writer. (On 64-bit targets a refused read counts itself
/// for an instant; taking that back must not act as the phase's last reader
/// leaving.)
#[test]
fn a_refused_reader_does_not_end_a_read_phase_before_its_readers_enter() {
    let (wr, ww, wl) = (
        CountingWaker::new(),
        CountingWaker::new(),
        CountingWaker::new(),
    );
    let lock = RwLock::new(0);
    let mut held = lock.try_write().unwrap();
    let mut read = pin!(lock.read());
    assert_pending(read.as_mut(), wr.waker());
    let mut write = pin!(lock.write());
    assert_pending(write.as_mut(), ww.waker());
    *held = 1;
    drop(held);
    assert_eq!(wr.count(), 1, "the queued reader was not let in");

    // Refused: the writer queued before them. Neither may end the phase.
    assert!(lock.try_read().is_none());
    let mut late = pin!(lock.read());
    assert_pending(late.as_mut(), wl.waker());
    assert_eq!(ww.count(), 0, "a refused reader ended the read phase");
    assert_pending(write.as_mut(), ww.waker());

    let guard = assert_ready(read.as_mut(), wr.waker());
    assert_eq!(*guard, 1);
    drop(guard);
    assert_eq!(
        ww.count(),
        1,
        "the phase's reader left without waking the writer"
    );
    let mut guard = assert_ready(write.as_mut(), ww.waker());
    *guard = 2;
    drop(guard);
    assert_eq!(*assert_ready(late.as_mut(), wl.waker()), 2);
    assert_usable(&lock);
}

/// A task that writes in a loop cannot starve a queued reader: after its
/// release, its next `write()` waits for the reader's phase.
#[test]
fn looping_writer_does_not_starve_readers() {
    let (wr, ww) = (CountingWaker::new(), CountingWaker::new());
    let lock = RwLock::new(0);
    let w = lock.try_write().unwrap();
    let mut read = pin!(lock.read());
    assert_pending(read.as_mut(), wr.waker());
    drop(w);
    assert_eq!(wr.count(), 1);
    // The writer comes straight back before the reader runs.
    assert!(
        lock.try_write().is_none(),
        "try_write barged into the read phase"
    );
    let mut again = pin!(lock.write());
    assert_pending(again.as_mut(), ww.waker());
    let g = assert_ready(read.as_mut(), wr.waker());
    drop(g);
    assert_eq!(ww.count(), 1);
    drop(assert_ready(again.as_mut(), ww.waker()));
    assert_usable(&lock);
}

/// Writers are served in the order they queued.
#[test]
fn writers_in_fifo_order() {
    let wakers: Vec<CountingWaker> = (0..3).map(|_| CountingWaker::new()).collect();
    let lock = RwLock::new(Vec::new());
    let r = lock.try_read().unwrap();
    let mut futures: Vec<_> = (0..3).map(|_| Box::pin(lock.write())).collect();
    for (f, w) in futures.iter_mut().zip(&wakers) {
        assert_pending(f.as_mut(), w.waker());
    }
    drop(r);
    for i in 0..3 {
        for (j, w) in wakers.iter().enumerate() {
            assert_eq!(
                w.count(),
                usize::from(j <= i),
                "after {i} releases, writer {j}"
            );
        }
        let mut g = assert_ready(futures[i].as_mut(), wakers[i].waker());
        g.push(i);
        for (later, w) in futures[i + 1..].iter_mut().zip(&wakers[i + 1..]) {
            assert_pending(later.as_mut(), w.waker());
        }
        drop(g);
    }
    assert_eq!(*lock.try_read().unwrap(), [0, 1, 2]);
}

// ---------------------------------------------------------------------------
// Writers first, whatever wakes a reader (issue 10, section 1)
// ---------------------------------------------------------------------------
//
// Only a write release lets a reader pass a queued writer (the read phase).
// The other releases that wake queued readers (an upgradable release, a
// cancelled upgrade, an upgradable downgrade) wake readers that may have
// queued after a writer: woken or not, those must wait for it. Each test polls
// the woken reader before the writer, the order that let it in.

/// An upgradable release wakes the queued readers (an upgradable reader may
/// be among them); a plain reader that queued after a writer must still wait
/// for that writer.
#[test]
fn a_reader_woken_by_an_upgradable_release_does_not_pass_a_queued_writer() {
    let (ww, wr) = (CountingWaker::new(), CountingWaker::new());
    let lock = RwLock::new(0);
    let upgradable = lock.try_upgradable_read().unwrap();
    let mut write = pin!(lock.write());
    assert_pending(write.as_mut(), ww.waker());
    let mut read = pin!(lock.read());
    assert_pending(read.as_mut(), wr.waker());

    drop(upgradable);
    assert_eq!(ww.count(), 1, "the free lock did not wake the writer");
    assert_pending(read.as_mut(), wr.waker());
    assert_eq!(lock.reader_count(), 0, "a reader passed the queued writer");
    let mut guard = assert_ready(write.as_mut(), ww.waker());
    *guard = 1;
    drop(guard);
    assert_eq!(*assert_ready(read.as_mut(), wr.waker()), 1);
    assert_usable(&lock);
}

/// The same for an upgradable reader queued behind the upgradable lock and
/// behind a writer: the one the release is meant to wake.
#[test]
fn an_upgradable_reader_woken_by_an_upgradable_release_does_not_pass_a_queued_writer() {
    let (ww, wu) = (CountingWaker::new(), CountingWaker::new());
    let lock = RwLock::new(0);
    let upgradable = lock.try_upgradable_read().unwrap();
    let mut write = pin!(lock.write());
    assert_pending(write.as_mut(), ww.waker());
    let mut next = pin!(lock.upgradable_read());
    assert_pending(next.as_mut(), wu.waker());

    drop(upgradable);
    assert_eq!(ww.count(), 1);
    assert_pending(next.as_mut(), wu.waker());
    assert_eq!(
        lock.reader_count(),
        0,
        "the upgradable reader passed the writer"
    );
    let mut guard = assert_ready(write.as_mut(), ww.waker());
    *guard = 1;
    drop(guard);
    assert_eq!(*assert_ready(next.as_mut(), wu.waker()), 1);
    assert_usable(&lock);
}

/// A dropped pending upgrade wakes the readers it held back, which include
/// one that queued after a writer: that one waits for the writer.
#[test]
fn a_reader_woken_by_a_cancelled_upgrade_does_not_pass_a_queued_writer() {
    let (wu, ww, wr) = (
        CountingWaker::new(),
        CountingWaker::new(),
        CountingWaker::new(),
    );
    let lock = RwLock::new(0);
    let inside = lock.try_read().unwrap();
    let mut upgrade = Box::pin(RwLockUpgradableReadGuard::upgrade(
        lock.try_upgradable_read().unwrap(),
    ));
    assert_pending(upgrade.as_mut(), wu.waker());
    let mut write = pin!(lock.write());
    assert_pending(write.as_mut(), ww.waker());
    let mut read = pin!(lock.read());
    assert_pending(read.as_mut(), wr.waker());

    drop(upgrade);
    assert_pending(read.as_mut(), wr.waker());
    assert_eq!(lock.reader_count(), 1, "a reader passed the queued writer");
    drop(inside);
    assert_eq!(ww.count(), 1, "the last reader did not wake the writer");
    let mut guard = assert_ready(write.as_mut(), ww.waker());
    *guard = 1;
    drop(guard);
    assert_eq!(*assert_ready(read.as_mut(), wr.waker()), 1);
    assert_usable(&lock);
}

/// Downgrading the upgradable lock lets another upgradable reader in, but
/// not one that queued after a writer.
#[test]
fn an_upgradable_reader_woken_by_an_upgradable_downgrade_does_not_pass_a_queued_writer() {
    let (ww, wu) = (CountingWaker::new(), CountingWaker::new());
    let lock = RwLock::new(0);
    let upgradable = lock.try_upgradable_read().unwrap();
    let mut write = pin!(lock.write());
    assert_pending(write.as_mut(), ww.waker());
    let mut next = pin!(lock.upgradable_read());
    assert_pending(next.as_mut(), wu.waker());

    let reader = RwLockUpgradableReadGuard::downgrade(upgradable);
    assert_pending(next.as_mut(), wu.waker());
    assert_eq!(
        lock.reader_count(),
        1,
        "the upgradable reader passed the writer"
    );
    drop(reader);
    assert_eq!(ww.count(), 1);
    let mut guard = assert_ready(write.as_mut(), ww.waker());
    *guard = 1;
    drop(guard);
    assert_eq!(*assert_ready(next.as_mut(), wu.waker()), 1);
    assert_usable(&lock);
}

/// A read phase admits the readers queued when the write release started
/// it, not those that queued during the phase behind a writer, even when a
/// release inside the phase (here the upgradable reader's) wakes them.
#[test]
fn a_reader_that_queued_during_a_read_phase_does_not_join_it_when_woken() {
    let (w1, w2, w3, w4) = (
        CountingWaker::new(),
        CountingWaker::new(),
        CountingWaker::new(),
        CountingWaker::new(),
    );
    let lock = RwLock::new(0);
    let held = lock.try_write().unwrap();
    let mut early = pin!(lock.read());
    assert_pending(early.as_mut(), w1.waker());
    let mut early_upgradable = pin!(lock.upgradable_read());
    assert_pending(early_upgradable.as_mut(), w2.waker());
    let mut write = pin!(lock.write());
    assert_pending(write.as_mut(), w3.waker());

    drop(held); // The phase: both early readers go in, before the writer.
    let early = assert_ready(early.as_mut(), w1.waker());
    let early_upgradable = assert_ready(early_upgradable.as_mut(), w2.waker());
    let mut late = pin!(lock.read());
    assert_pending(late.as_mut(), w4.waker());
    drop(early_upgradable); // Wakes the queued readers: `late` among them.
    assert_pending(late.as_mut(), w4.waker());
    assert_eq!(lock.reader_count(), 1, "a late reader joined the phase");
    drop(early);
    assert_eq!(w3.count(), 1, "the phase's end did not wake the writer");
    let mut guard = assert_ready(write.as_mut(), w3.waker());
    *guard = 1;
    drop(guard);
    assert_eq!(*assert_ready(late.as_mut(), w4.waker()), 1);
    assert_usable(&lock);
}

/// An upgrade goes before queued writers (they wait for its upgradable
/// lock), so its write release must not also let in the readers that queued
/// behind them: the queued writer goes next, then those readers.
#[test]
fn an_upgraded_writers_release_lets_a_queued_writer_in_before_later_readers() {
    let (ww, wr, wu) = (
        CountingWaker::new(),
        CountingWaker::new(),
        CountingWaker::new(),
    );
    let lock = RwLock::new(0);
    let upgradable = lock.try_upgradable_read().unwrap();
    let mut write = pin!(lock.write());
    assert_pending(write.as_mut(), ww.waker());
    let mut read = pin!(lock.read());
    assert_pending(read.as_mut(), wr.waker());
    let mut next = pin!(lock.upgradable_read());
    assert_pending(next.as_mut(), wu.waker());

    let mut upgraded = RwLockUpgradableReadGuard::try_upgrade(upgradable)
        .ok()
        .unwrap();
    *upgraded = 1;
    drop(upgraded);
    assert_eq!(ww.count(), 1, "the queued writer was not woken");
    assert_pending(read.as_mut(), wr.waker());
    assert_pending(next.as_mut(), wu.waker());
    assert_eq!(lock.reader_count(), 0, "a reader passed the queued writer");
    *assert_ready(write.as_mut(), ww.waker()) += 1;
    // The writer's release is a plain one: both readers go in, together.
    let read = assert_ready(read.as_mut(), wr.waker());
    let next = assert_ready(next.as_mut(), wu.waker());
    assert_eq!((*read, *next), (2, 2));
    assert_eq!(lock.reader_count(), 2);
    drop((read, next));
    assert_usable(&lock);
}

/// A single-threaded executor driven by hand: it polls the tasks in the
/// order they were woken, as tokio's current-thread runtime does, and gives
/// up after `budget` polls.
struct HandExecutor<'a> {
    tasks: Vec<Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + 'a>>>>,
    run_queue: std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<usize>>>,
    /// If set, the next task is picked at random among the woken ones, and
    /// now and then a task is polled without having been woken (a spurious
    /// poll, as inside `select!`).
    shuffle: Option<common::Rng>,
}

struct TaskWaker {
    id: usize,
    queued: std::sync::atomic::AtomicBool,
    run_queue: std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<usize>>>,
}

impl std::task::Wake for TaskWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        if !self.queued.swap(true, std::sync::atomic::Ordering::SeqCst) {
            self.run_queue.lock().unwrap().push_back(self.id);
        }
    }
}

impl<'a> HandExecutor<'a> {
    fn new() -> Self {
        Self {
            tasks: Vec::new(),
            run_queue: Default::default(),
            shuffle: None,
        }
    }

    fn shuffled(seed: u64) -> Self {
        Self {
            shuffle: Some(common::Rng::new(seed)),
            ..Self::new()
        }
    }

    fn spawn(&mut self, task: impl std::future::Future<Output = ()> + 'a) {
        self.run_queue.lock().unwrap().push_back(self.tasks.len());
        self.tasks.push(Some(Box::pin(task)));
    }

    /// Runs until every task is done (`true`) or `budget` polls were made.
    fn run(&mut self, budget: usize) -> bool {
        use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
        use std::sync::Arc;
        let wakers: Vec<Arc<TaskWaker>> = (0..self.tasks.len())
            .map(|id| {
                Arc::new(TaskWaker {
                    id,
                    queued: AtomicBool::new(true),
                    run_queue: self.run_queue.clone(),
                })
            })
            .collect();
        for _ in 0..budget {
            let next = {
                let mut queue = self.run_queue.lock().unwrap();
                match &mut self.shuffle {
                    Some(rng) => {
                        if rng.below(8) == 0 {
                            Some(rng.below(self.tasks.len()))
                        } else if queue.is_empty() {
                            None
                        } else {
                            let at = rng.below(queue.len());
                            queue.remove(at)
                        }
                    }
                    None => queue.pop_front(),
                }
            };
            let Some(id) = next else {
                return self.tasks.iter().all(Option::is_none);
            };
            wakers[id].queued.store(false, SeqCst);
            let waker = std::task::Waker::from(wakers[id].clone());
            let mut cx = std::task::Context::from_waker(&waker);
            if let Some(task) = &mut self.tasks[id] {
                if task.as_mut().poll(&mut cx).is_ready() {
                    self.tasks[id] = None;
                }
            }
        }
        self.tasks.iter().all(Option::is_none)
    }
}

/// Two tasks that take the upgradable lock in turn, yielding while they
/// hold it, so that one always waits while the other holds it: a writer
/// queued meanwhile must get in after a round or two, not after they stop.
/// (Before the fix, each release woke the other upgradable reader, which
/// passed the writer: the writer waited for the whole run.)
#[test]
fn alternating_upgradable_readers_do_not_starve_a_queued_writer() {
    use std::cell::Cell;
    const ROUNDS: usize = 200;
    let lock = RwLock::new(0u32);
    let acquisitions = Cell::new(0usize);
    let writer_in_after = Cell::new(None);
    let upgradable_task = || async {
        for _ in 0..ROUNDS {
            let guard = lock.upgradable_read().await;
            acquisitions.set(acquisitions.get() + 1);
            futures_lite::future::yield_now().await;
            drop(guard);
        }
    };
    let mut executor = HandExecutor::new();
    executor.spawn(upgradable_task());
    executor.spawn(upgradable_task());
    executor.spawn(async {
        *lock.write().await += 1;
        writer_in_after.set(Some(acquisitions.get()));
    });
    assert!(executor.run(100_000), "the tasks did not finish");
    let after = writer_in_after.get().expect("the writer never got in");
    assert!(
        after <= 3,
        "the writer got in only after {after} upgradable acquisitions (of {})",
        2 * ROUNDS
    );
    drop(executor);
    assert_eq!(acquisitions.get(), 2 * ROUNDS);
    assert_usable(&lock);
}

/// As above, with each task upgrading the lock it took, writing, and
/// releasing: the upgrade goes before the queued writer, and its write
/// release must not then let the other task's upgradable read pass it too.
#[test]
fn alternating_upgrades_do_not_starve_a_queued_writer() {
    use std::cell::Cell;
    const ROUNDS: usize = 200;
    let lock = RwLock::new(0u32);
    let acquisitions = Cell::new(0usize);
    let writer_in_after = Cell::new(None);
    let upgrading_task = || async {
        for _ in 0..ROUNDS {
            let guard = lock.upgradable_read().await;
            acquisitions.set(acquisitions.get() + 1);
            futures_lite::future::yield_now().await;
            let mut writer = RwLockUpgradableReadGuard::upgrade(guard).await;
            *writer += 1;
            futures_lite::future::yield_now().await;
        }
    };
    let mut executor = HandExecutor::new();
    executor.spawn(upgrading_task());
    executor.spawn(upgrading_task());
    executor.spawn(async {
        *lock.write().await += 1;
        writer_in_after.set(Some(acquisitions.get()));
    });
    assert!(executor.run(100_000), "the tasks did not finish");
    let after = writer_in_after.get().expect("the writer never got in");
    assert!(
        after <= 3,
        "the writer got in only after {after} upgrades (of {})",
        2 * ROUNDS
    );
    drop(executor);
    assert_eq!(*lock.try_read().unwrap(), 2 * ROUNDS as u32 + 1);
    assert_usable(&lock);
}

/// Polls a future once and, if it is pending, drops it the next time it is
/// polled itself (usually once woken, so with a notification it had not
/// consumed; or at a spurious poll): a lock future cancelled while queued.
/// `true` if the inner future completed.
struct CancelWhenWoken<F> {
    inner: Option<std::pin::Pin<Box<F>>>,
    polled: bool,
}

fn cancel_when_woken<F: std::future::Future>(inner: F) -> CancelWhenWoken<F> {
    CancelWhenWoken {
        inner: Some(Box::pin(inner)),
        polled: false,
    }
}

impl<F: std::future::Future> std::future::Future for CancelWhenWoken<F> {
    type Output = bool;
    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<bool> {
        let this = self.get_mut();
        if std::mem::replace(&mut this.polled, true) {
            this.inner = None;
            return std::task::Poll::Ready(false);
        }
        let inner = this.inner.as_mut().expect("polled after completion");
        match inner.as_mut().poll(cx) {
            std::task::Poll::Ready(_) => {
                this.inner = None;
                std::task::Poll::Ready(true)
            }
            std::task::Poll::Pending => std::task::Poll::Pending,
        }
    }
}

/// Random schedules of tasks that read, take the upgradable lock, upgrade,
/// downgrade, write, and cancel lock futures at random points, on the hand
/// executor picking among the woken tasks at random (with spurious polls):
/// every task must finish (no waiter stranded by a phase, a mark or a
/// lost wakeup), every write must land, and the lock must end at rest.
#[test]
fn random_schedules_finish() {
    use std::cell::Cell;
    let (seeds, rounds) = (common::iters(60, 3), common::iters(40, 8));
    for seed in 0..seeds as u64 {
        let lock = RwLock::new(0u64);
        let writes = Cell::new(0u64);
        let task = |t: u64| {
            let (lock, writes) = (&lock, &writes);
            async move {
                let mut rng = common::Rng::new(seed * 31 + t);
                let yield_now = futures_lite::future::yield_now;
                for _ in 0..rounds {
                    match rng.below(8) {
                        0 | 1 => {
                            let r = lock.read().await;
                            yield_now().await;
                            drop(r);
                        }
                        2 => {
                            let mut w = lock.write().await;
                            *w += 1;
                            writes.set(writes.get() + 1);
                            yield_now().await;
                            if rng.below(2) == 0 {
                                let r = RwLockWriteGuard::downgrade(w);
                                yield_now().await;
                                drop(r);
                            } else {
                                let u = RwLockWriteGuard::downgrade_to_upgradable(w);
                                yield_now().await;
                                drop(u);
                            }
                        }
                        3 => {
                            let u = lock.upgradable_read().await;
                            yield_now().await;
                            match rng.below(3) {
                                0 => drop(u),
                                1 => drop(RwLockUpgradableReadGuard::downgrade(u)),
                                _ => {
                                    let mut w = RwLockUpgradableReadGuard::upgrade(u).await;
                                    *w += 1;
                                    writes.set(writes.get() + 1);
                                    yield_now().await;
                                }
                            }
                        }
                        4 => {
                            let u = lock.upgradable_read().await;
                            let up = RwLockUpgradableReadGuard::upgrade(u);
                            if cancel_when_woken(async {
                                *up.await += 1;
                                writes.set(writes.get() + 1);
                            })
                            .await
                            {
                                yield_now().await;
                            }
                        }
                        5 => {
                            cancel_when_woken(async {
                                *lock.write().await += 1;
                                writes.set(writes.get() + 1);
                            })
                            .await;
                        }
                        6 => {
                            if rng.below(2) == 0 {
                                cancel_when_woken(lock.read()).await;
                            } else {
                                cancel_when_woken(lock.upgradable_read()).await;
                            }
                        }
                        _ => {
                            drop(lock.try_read());
                            drop(lock.try_upgradable_read());
                            if let Some(mut w) = lock.try_write() {
                                *w += 1;
                                writes.set(writes.get() + 1);
                            }
                        }
                    }
                }
            }
        };
        let mut executor = HandExecutor::shuffled(seed);
        for t in 0..4 {
            executor.spawn(task(t));
        }
        assert!(
            executor.run(1_000_000),
            "seed {seed}: a task never finished"
        );
        drop(executor);
        assert_eq!(*lock.try_read().unwrap(), writes.get(), "seed {seed}");
        assert_usable(&lock);
    }
}

// ---------------------------------------------------------------------------
// Reader overflow
// ---------------------------------------------------------------------------

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// At the maximum reader count, one more reader panics with a clear message
/// and the count is untouched: the readers leave and the lock is usable.
#[test]
fn reader_overflow_panics_and_leaves_the_lock_usable() {
    let max = RwLock::<u8>::__MAX_READERS;
    // The figures `try_read`'s docs give.
    let documented: usize = if cfg!(target_pointer_width = "64") {
        (1 << 28) - 1
    } else {
        (1 << 13) - 1
    };
    assert_eq!(max, documented);
    let lock = RwLock::new(0u8);
    lock.__add_readers(max - 1);
    let last = lock.try_read().expect("the last reader below the limit");
    assert_eq!(lock.reader_count(), max);

    let attempts: [&dyn Fn(); 4] = [
        &|| drop(lock.try_read()),
        &|| drop(futures_lite::future::block_on(lock.read())),
        &|| drop(lock.try_read()),
        &|| lock.__add_readers(1),
    ];
    for attempt in attempts {
        let payload = catch_unwind(AssertUnwindSafe(attempt)).expect_err("overflow did not panic");
        let message = panic_message(payload);
        assert!(
            message.contains("RwLock reader count overflow"),
            "unclear panic message: {message:?}"
        );
        assert_eq!(lock.reader_count(), max, "the count changed on overflow");
    }

    // An upgradable reader fits (it is not counted with the plain ones), but
    // cannot downgrade into a full count: that panics and releases it.
    let u = lock.try_upgradable_read().unwrap();
    let payload = catch_unwind(AssertUnwindSafe(|| {
        drop(RwLockUpgradableReadGuard::downgrade(u))
    }))
    .expect_err("downgrade into a full count did not panic");
    assert!(panic_message(payload).contains("reader count overflow"));
    assert_eq!(lock.reader_count(), max);
    assert!(
        lock.try_upgradable_read().is_some(),
        "the upgradable lock leaked"
    );

    drop(last);
    // SAFETY: exactly `max - 1` readers were added and are still counted.
    unsafe { lock.__remove_readers(max - 1) };
    assert_usable(&lock);
}

/// A writer queued behind a full reader count still gets in once they leave.
#[test]
fn overflowing_readers_do_not_strand_a_writer() {
    let ww = CountingWaker::new();
    let max = RwLock::<()>::__MAX_READERS;
    let lock = RwLock::new(());
    lock.__add_readers(max);
    let mut write = pin!(lock.write());
    assert_pending(write.as_mut(), ww.waker());
    // SAFETY: `max` readers were added above and are still counted.
    unsafe { lock.__remove_readers(max) };
    assert_eq!(ww.count(), 1);
    drop(assert_ready(write.as_mut(), ww.waker()));
    assert_usable(&lock);
}

// ---------------------------------------------------------------------------
// Cancellation
// ---------------------------------------------------------------------------

/// A pending writer that is dropped stops holding back the readers that
/// queued behind it: they are woken and get in.
#[test]
fn dropped_pending_writer_releases_queued_readers() {
    let (ww, wr, wu) = (
        CountingWaker::new(),
        CountingWaker::new(),
        CountingWaker::new(),
    );
    let lock = RwLock::new(0);
    let r = lock.try_read().unwrap();
    {
        let mut write = Box::pin(lock.write());
        assert_pending(write.as_mut(), ww.waker());
        let mut late = pin!(lock.read());
        let mut up = pin!(lock.upgradable_read());
        assert_pending(late.as_mut(), wr.waker());
        assert_pending(up.as_mut(), wu.waker());
        // Drop the writer while they wait.
        drop(write);
        assert_eq!(wr.count(), 1, "reader behind a dropped writer not woken");
        assert_eq!(wu.count(), 1);
        drop(assert_ready(late.as_mut(), wr.waker()));
        drop(assert_ready(up.as_mut(), wu.waker()));
    }
    assert!(lock.try_read().is_some(), "new readers still held back");
    drop(r);
    assert_usable(&lock);
}

/// A writer that was woken and then dropped before it ran passes its
/// wakeup to the next writer.
#[test]
fn dropped_woken_writer_passes_the_wakeup_on() {
    let (w1, w2) = (CountingWaker::new(), CountingWaker::new());
    let lock = RwLock::new(0);
    let r = lock.try_read().unwrap();
    let mut second = pin!(lock.write());
    {
        let mut first = pin!(lock.write());
        assert_pending(first.as_mut(), w1.waker());
        assert_pending(second.as_mut(), w2.waker());
        drop(r);
        assert_eq!(w1.count(), 1);
        assert_eq!(w2.count(), 0);
    } // `first` dropped, woken but not polled
    assert_eq!(w2.count(), 1, "the wakeup was lost with the dropped writer");
    drop(assert_ready(second.as_mut(), w2.waker()));
    assert_usable(&lock);
}

/// A dropped pending upgrade releases the upgradable lock and lets in the
/// readers it held back; a writer waiting for the upgradable lock gets in
/// once the readers leave.
#[test]
fn dropped_pending_upgrade_leaves_the_lock_usable() {
    let (wu, wr, ww) = (
        CountingWaker::new(),
        CountingWaker::new(),
        CountingWaker::new(),
    );
    let lock = RwLock::new(0);
    let reader = lock.try_read().unwrap();
    let mut late = pin!(lock.read());
    let mut write = pin!(lock.write());
    {
        let mut up = pin!(RwLockUpgradableReadGuard::upgrade(
            lock.try_upgradable_read().unwrap()
        ));
        assert_pending(up.as_mut(), wu.waker());
        assert_pending(late.as_mut(), wr.waker());
        assert_pending(write.as_mut(), ww.waker());
    }
    // The upgrade is gone. The late reader was held back by it and by the
    // queued writer: it stays queued behind the writer, which waits for the
    // reader inside.
    assert!(!lock.is_write_locked());
    assert_eq!(lock.reader_count(), 1, "the upgradable lock leaked");
    assert_eq!(ww.count(), 0);
    drop(reader);
    assert_eq!(ww.count(), 1);
    drop(assert_ready(write.as_mut(), ww.waker()));
    assert!(wr.count() >= 1);
    drop(assert_ready(late.as_mut(), wr.waker()));
    assert_usable(&lock);
}

/// A dropped pending upgrade with no writer queued lets the held-back
/// readers in at once.
#[test]
fn dropped_pending_upgrade_wakes_held_back_readers() {
    let (wu, wr) = (CountingWaker::new(), CountingWaker::new());
    let lock = RwLock::new(0);
    let reader = lock.try_read().unwrap();
    let mut late = pin!(lock.read());
    {
        let mut up = pin!(RwLockUpgradableReadGuard::upgrade(
            lock.try_upgradable_read().unwrap()
        ));
        assert_pending(up.as_mut(), wu.waker());
        assert_pending(late.as_mut(), wr.waker());
    }
    assert_eq!(wr.count(), 1);
    let g = assert_ready(late.as_mut(), wr.waker());
    assert_eq!(lock.reader_count(), 2);
    drop((g, reader));
    assert_usable(&lock);
}

/// An upgrade that was woken (the readers left) and dropped before it ran
/// still releases everything.
#[test]
fn dropped_woken_upgrade_releases_the_lock() {
    let (wu, ww) = (CountingWaker::new(), CountingWaker::new());
    let lock = RwLock::new(0);
    let reader = lock.try_read().unwrap();
    let mut write = pin!(lock.write());
    {
        let mut up = pin!(RwLockUpgradableReadGuard::upgrade(
            lock.try_upgradable_read().unwrap()
        ));
        assert_pending(up.as_mut(), wu.waker());
        assert_pending(write.as_mut(), ww.waker());
        drop(reader);
        assert_eq!(wu.count(), 1);
    }
    assert!(
        ww.count() >= 1,
        "the writer behind the dropped upgrade was not woken"
    );
    drop(assert_ready(write.as_mut(), ww.waker()));
    assert_usable(&lock);
}

/// An upgrade future dropped before it was ever polled releases the
/// upgradable lock.
#[test]
fn unpolled_upgrade_releases_the_upgradable_lock() {
    let lock = RwLock::new(0);
    drop(RwLockUpgradableReadGuard::upgrade(
        lock.try_upgradable_read().unwrap(),
    ));
    assert_usable(&lock);
}

/// A reader woken by a write unlock and dropped before it ran: the read
/// phase must not wait for it; the queued writer gets in.
#[test]
fn dropped_woken_reader_ends_the_read_phase() {
    let (wr, ww) = (CountingWaker::new(), CountingWaker::new());
    let lock = RwLock::new(0);
    let w = lock.try_write().unwrap();
    let mut w2 = pin!(lock.write());
    {
        let mut read = pin!(lock.read());
        assert_pending(read.as_mut(), wr.waker());
        assert_pending(w2.as_mut(), ww.waker());
        drop(w);
        assert_eq!(wr.count(), 1);
        assert_eq!(ww.count(), 0);
    }
    assert_eq!(
        ww.count(),
        1,
        "writer stranded behind a dropped reader's phase"
    );
    drop(assert_ready(w2.as_mut(), ww.waker()));
    assert_usable(&lock);
}

/// A reader that queued and was dropped before the write unlock leaves a
/// stale "readers queued" mark; the unlock finds nobody to let in and must
/// not start a read phase that would hold the queued writer back.
#[test]
fn dropped_queued_reader_leaves_no_phase_behind() {
    let (wr, ww) = (CountingWaker::new(), CountingWaker::new());
    let lock = RwLock::new(0);
    let w = lock.try_write().unwrap();
    let mut w2 = pin!(lock.write());
    {
        let mut read = pin!(lock.read());
        assert_pending(read.as_mut(), wr.waker());
        assert_pending(w2.as_mut(), ww.waker());
    }
    drop(w);
    assert_eq!(wr.count(), 0);
    assert_eq!(ww.count(), 1, "writer stranded by a phase with no reader");
    drop(assert_ready(w2.as_mut(), ww.waker()));
    // And with no writer queued, a fresh writer is not held back either.
    let w = lock.try_write().unwrap();
    {
        let mut read = pin!(lock.read());
        assert_pending(read.as_mut(), wr.waker());
    }
    drop(w);
    assert!(
        lock.try_write().is_some(),
        "a phase with no reader blocks writers"
    );
    assert_usable(&lock);
}

/// Dropping each kind of future at each point of its life (never polled,
/// queued, woken) leaves the lock usable and wakes the waiter behind it.
#[test]
fn dropped_futures_at_every_point() {
    #[derive(Clone, Copy, Debug)]
    enum Point {
        NeverPolled,
        Queued,
        Woken,
    }
    #[derive(Clone, Copy, Debug)]
    enum What {
        Read,
        UpgradableRead,
        Write,
    }
    for what in [What::Read, What::UpgradableRead, What::Write] {
        for point in [Point::NeverPolled, Point::Queued, Point::Woken] {
            let lock = RwLock::new(0);
            let (wd, wn) = (CountingWaker::new(), CountingWaker::new());
            let mut holder = Some(lock.try_write().unwrap());
            // The next waiter in line: a writer behind the dropped one.
            let mut next = pin!(lock.write());
            {
                let mut dropped: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + '_>> =
                    match what {
                        What::Read => Box::pin(async { drop(lock.read().await) }),
                        What::UpgradableRead => {
                            Box::pin(async { drop(lock.upgradable_read().await) })
                        }
                        What::Write => Box::pin(async { drop(lock.write().await) }),
                    };
                if !matches!(point, Point::NeverPolled) {
                    assert_pending(dropped.as_mut(), wd.waker());
                }
                assert_pending(next.as_mut(), wn.waker());
                if matches!(point, Point::Woken) {
                    // Readers are all woken at once, the first writer alone.
                    drop(holder.take());
                    assert_eq!(wd.count(), 1, "{what:?}: not woken");
                    assert_eq!(wn.count(), 0, "{what:?}: the next writer went first");
                }
            }
            drop(holder);
            assert_eq!(
                wn.count(),
                1,
                "{what:?} dropped {point:?}: next writer not woken"
            );
            drop(assert_ready(next.as_mut(), wn.waker()));
            assert_usable(&lock);
        }
    }
}

// ---------------------------------------------------------------------------
// Threads: blocking and Arc variants
// ---------------------------------------------------------------------------

#[cfg(feature = "std")]
#[test]
fn blocking_variants_on_threads() {
    use std::sync::Arc;
    let lock = Arc::new(RwLock::new(0u64));
    let threads = common::iters(4, 2);
    let rounds = common::iters(500, 10);
    std::thread::scope(|s| {
        for t in 0..threads {
            let lock = &lock;
            s.spawn(move || {
                for i in 0..rounds {
                    match (t + i) % 4 {
                        0 => *lock.write_blocking() += 1,
                        1 => {
                            let u = lock.upgradable_read_blocking();
                            let before = *u;
                            let mut w = RwLockUpgradableReadGuard::upgrade_blocking(u);
                            assert_eq!(*w, before, "a writer got in during the upgrade");
                            *w += 1;
                        }
                        2 => {
                            let r = lock.read_blocking();
                            let v = *r;
                            assert_eq!(*r, v);
                        }
                        _ => {
                            let mut w = lock.write_arc_blocking();
                            *w += 1;
                            let r = turnstile_sync::RwLockWriteGuardArc::downgrade(w);
                            let v = *r;
                            drop(r);
                            let _ = lock.read_arc_blocking();
                            let u = lock.upgradable_read_arc_blocking();
                            assert!(*u >= v);
                            drop(turnstile_sync::RwLockUpgradableReadGuardArc::upgrade_blocking(u));
                        }
                    }
                }
            });
        }
    });
    let per_thread_writes = |t: usize| (0..rounds).filter(|i| (t + i) % 4 != 2).count() as u64;
    let expected: u64 = (0..threads).map(per_thread_writes).sum();
    assert_eq!(*lock.read_blocking(), expected);
    assert_usable(&lock);
}

#[cfg(feature = "alloc")]
#[test]
fn mapped_arc_guards_release_on_drop_and_keep_the_lock_alive() {
    use std::sync::Arc;
    use turnstile_sync::{
        MappedRwLockReadGuardArc, MappedRwLockWriteGuardArc, RwLockReadGuardArc,
        RwLockWriteGuardArc,
    };
    let lock = Arc::new(RwLock::new((1u8, String::from("a"))));
    let weak = Arc::downgrade(&lock);

    let mut name: MappedRwLockWriteGuardArc<(u8, String), String> =
        RwLockWriteGuardArc::map(lock.try_write_arc().unwrap(), |pair| &mut pair.1);
    name.push('b');
    assert_eq!(format!("{name:?}"), "\"ab\"");
    assert!(lock.is_write_locked());
    assert!(lock.try_read().is_none());
    assert_eq!(
        Arc::strong_count(&lock),
        2,
        "the mapped guard holds the Arc"
    );
    drop(name);
    assert!(!lock.is_locked(), "dropping the mapped write guard unlocks");
    assert_eq!(Arc::strong_count(&lock), 1, "and gives its Arc back");

    let name: MappedRwLockReadGuardArc<(u8, String), String> =
        RwLockReadGuardArc::map(lock.try_read_arc().unwrap(), |pair| &pair.1);
    assert_eq!(format!("{name:?}"), "\"ab\"");
    assert_eq!(lock.reader_count(), 1);
    assert!(lock.try_read().is_some(), "other readers get in");
    assert!(lock.try_write().is_none());
    assert_eq!(Arc::strong_count(&lock), 2);
    drop(name);
    assert!(!lock.is_locked(), "dropping the mapped read guard unlocks");
    assert_eq!(Arc::strong_count(&lock), 1);

    // Both keep the lock alive, and locked, after the caller's Arc is gone.
    let mut writer = RwLockWriteGuardArc::map(lock.try_write_arc().unwrap(), |pair| &mut pair.0);
    drop(lock);
    *writer = 2;
    assert!(weak.upgrade().unwrap().try_read().is_none());
    drop(writer);
    assert!(weak.upgrade().is_none(), "the last guard freed the lock");

    let lock = Arc::new(RwLock::new((1u8, String::from("a"))));
    let weak = Arc::downgrade(&lock);
    let reader = RwLockReadGuardArc::map(lock.try_read_arc().unwrap(), |pair| &pair.1);
    drop(lock);
    assert!(weak.upgrade().unwrap().try_write().is_none());
    assert_eq!(&*reader, "a");
    drop(reader);
    assert!(weak.upgrade().is_none(), "the last guard freed the lock");
}

#[cfg(feature = "alloc")]
#[test]
fn mapped_arc_guards_try_map_and_map_again() {
    use std::sync::Arc;
    use turnstile_sync::{
        MappedRwLockReadGuardArc, MappedRwLockWriteGuardArc, RwLockReadGuardArc,
        RwLockWriteGuardArc,
    };
    let lock = Arc::new(RwLock::new((0u8, [Some(1u8), None])));

    let reader = RwLockReadGuardArc::try_map(lock.try_read_arc().unwrap(), |t| t.1[1].as_ref())
        .expect_err("try_map of a None part returned a guard");
    assert_eq!(lock.reader_count(), 1, "the returned guard still reads");
    let array = RwLockReadGuardArc::map(reader, |t| &t.1);
    let array = MappedRwLockReadGuardArc::try_map(array, |a| a[1].as_ref())
        .expect_err("try_map of a None part returned a guard");
    let first = MappedRwLockReadGuardArc::try_map(array, |a| a[0].as_ref()).expect("Some part");
    let first: MappedRwLockReadGuardArc<_, [u8]> =
        MappedRwLockReadGuardArc::map(first, core::slice::from_ref);
    assert_eq!(&*first, [1]);
    assert_eq!(lock.reader_count(), 1);
    drop(first);
    assert!(!lock.is_locked());

    let writer = RwLockWriteGuardArc::try_map(lock.try_write_arc().unwrap(), |t| t.1[1].as_mut())
        .expect_err("try_map of a None part returned a guard");
    assert!(lock.is_write_locked(), "the returned guard still writes");
    let array = RwLockWriteGuardArc::map(writer, |t| &mut t.1);
    let array = MappedRwLockWriteGuardArc::try_map(array, |a| a[1].as_mut())
        .expect_err("try_map of a None part returned a guard");
    let first = MappedRwLockWriteGuardArc::try_map(array, |a| a[0].as_mut()).expect("Some part");
    let mut first: MappedRwLockWriteGuardArc<_, [u8]> =
        MappedRwLockWriteGuardArc::map(first, core::slice::from_mut);
    first[0] = 5;
    assert!(lock.is_write_locked());
    drop(first);
    assert_eq!(lock.try_read().unwrap().1, [Some(5), None]);
    assert_eq!(Arc::strong_count(&lock), 1);
    assert_usable(&lock);
}

#[cfg(feature = "alloc")]
#[test]
fn arc_downgrade_map_lets_other_readers_in_and_blocks_writers() {
    use std::sync::Arc;
    use turnstile_sync::RwLockWriteGuardArc;
    let (wr, ww) = (CountingWaker::new(), CountingWaker::new());
    let lock = Arc::new(RwLock::new((0u8, None::<u8>)));

    let w = RwLockWriteGuardArc::try_downgrade_map(lock.try_write_arc().unwrap(), |t| t.1.as_ref())
        .expect_err("try_downgrade_map of a None part returned a guard");
    assert!(lock.is_write_locked(), "nothing was downgraded");
    drop(w);

    let mut w = lock.try_write_arc().unwrap();
    let mut read = pin!(lock.read());
    assert_pending(read.as_mut(), wr.waker());
    w.1 = Some(3);
    let three = RwLockWriteGuardArc::try_downgrade_map(w, |t| t.1.as_ref()).expect("Some part");
    assert_eq!(*three, 3);
    assert_eq!(wr.count(), 1, "the queued reader is let in");
    let read = assert_ready(read.as_mut(), wr.waker());
    assert!(lock.try_read().is_some(), "new readers too");
    let mut write = pin!(lock.write());
    assert_pending(write.as_mut(), ww.waker());
    drop((three, read));
    drop(assert_ready(write.as_mut(), ww.waker()));

    let first = RwLockWriteGuardArc::downgrade_map(lock.try_write_arc().unwrap(), |t| &t.0);
    assert_eq!(*first, 0);
    assert!(lock.try_read().is_some());
    assert!(lock.try_write().is_none());
    assert_eq!(Arc::strong_count(&lock), 2);
    drop(first);
    assert_eq!(Arc::strong_count(&lock), 1);
    assert_usable(&lock);
}

#[cfg(feature = "alloc")]
#[test]
fn arc_variants() {
    use std::sync::Arc;
    use turnstile_sync::{RwLockUpgradableReadGuardArc, RwLockWriteGuardArc};
    let waker = CountingWaker::new();
    let lock = Arc::new(RwLock::new(1));

    let r = lock.try_read_arc().unwrap();
    assert!(lock.try_write_arc().is_none());
    let mut w = pin!(lock.write_arc());
    assert_pending(w.as_mut(), waker.waker());
    drop(r);
    assert_eq!(waker.count(), 1);
    let mut g = assert_ready(w.as_mut(), waker.waker());
    *g += 1;
    assert_eq!(format!("{g:?}"), "2");
    let r = RwLockWriteGuardArc::downgrade(g);
    assert_eq!(*r, 2);
    assert_eq!(Arc::strong_count(&lock), 2);
    drop(r);
    assert_eq!(Arc::strong_count(&lock), 1);

    let u = lock.try_upgradable_read_arc().unwrap();
    assert!(lock.try_upgradable_read_arc().is_none());
    let r = lock.try_read_arc().unwrap();
    let u = RwLockUpgradableReadGuardArc::try_upgrade(u).unwrap_err();
    let mut up = pin!(RwLockUpgradableReadGuardArc::upgrade(u));
    assert_pending(up.as_mut(), waker.waker());
    drop(r);
    let mut g = assert_ready(up.as_mut(), waker.waker());
    *g = 3;
    let u = RwLockWriteGuardArc::downgrade_to_upgradable(g);
    let r = RwLockUpgradableReadGuardArc::downgrade(u);
    assert_eq!(format!("{r:?}"), "3");
    drop(r);

    let mut read = pin!(lock.read_arc());
    let mut uread = pin!(lock.upgradable_read_arc());
    let a = assert_ready(read.as_mut(), waker.waker());
    let b = assert_ready(uread.as_mut(), waker.waker());
    assert_eq!(*a + *b, 6);
    drop((a, b));
    assert_eq!(
        Arc::strong_count(&lock),
        1,
        "a guard or future leaked its Arc"
    );
    // Dropped pending Arc futures give the Arc back too.
    let w = lock.try_write_arc().unwrap();
    {
        let mut f = pin!(lock.read_arc());
        assert_pending(f.as_mut(), waker.waker());
        let mut g = pin!(lock.write_arc());
        assert_pending(g.as_mut(), waker.waker());
    }
    drop(w);
    assert_eq!(Arc::strong_count(&lock), 1);
    assert_usable(&lock);
}

/// Readers and writers on threads through the async API: the value is
/// exact, readers never see a half-done write, and the lock ends at rest.
#[cfg(feature = "std")]
#[test]
fn threads_mixed_async_stress() {
    use std::sync::Arc;
    let lock = Arc::new(RwLock::new((0u64, 0u64)));
    let rounds = common::iters(2000, 20);
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let lock = &lock;
            s.spawn(move || {
                futures_lite::future::block_on(async {
                    let mut rng = common::Rng::new(t + 1);
                    for _ in 0..rounds {
                        if rng.below(10) == 0 {
                            let mut w = lock.write().await;
                            w.0 += 1;
                            w.1 += 1;
                        } else {
                            let r = lock.read().await;
                            assert_eq!(r.0, r.1, "torn write seen by a reader");
                        }
                    }
                })
            });
        }
    });
    let (a, b) = *lock.try_read().unwrap();
    assert_eq!(a, b);
    assert_usable(&lock);
}

/// Threads mixing every acquire with futures dropped after one `Pending`
/// poll (writers, readers and upgrades, at random points relative to the
/// others' releases). A dropped future that left a mark behind would hang a
/// later `block_on` or fail `assert_usable`; a lost write would show in the
/// count. Async API only, so it runs in every tier.
#[test]
fn threads_with_cancelled_futures() {
    use futures_lite::future::block_on;
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    use std::task::Waker;

    let lock = RwLock::new(0u64);
    let writes = AtomicU64::new(0);
    let rounds = common::iters(20_000, 25);
    std::thread::scope(|s| {
        for t in 0..3u64 {
            let (lock, writes) = (&lock, &writes);
            s.spawn(move || {
                let mut rng = common::Rng::new(t * 7 + 3);
                let once = |f: std::pin::Pin<&mut dyn std::future::Future<Output = ()>>| {
                    common::poll_once(f, Waker::noop()).is_ready()
                };
                for _ in 0..rounds {
                    match rng.below(6) {
                        // The blocking arms hold their guard across a yield,
                        // so the other threads' one-poll futures often find
                        // the lock taken and are dropped while queued.
                        0 => {
                            let mut w = block_on(lock.write());
                            *w += 1;
                            writes.fetch_add(1, Relaxed);
                            std::thread::yield_now();
                        }
                        1 => {
                            let r = block_on(lock.read());
                            std::thread::yield_now();
                            drop(r);
                        }
                        2 => {
                            let u = block_on(lock.upgradable_read());
                            std::thread::yield_now();
                            *block_on(RwLockUpgradableReadGuard::upgrade(u)) += 1;
                            writes.fetch_add(1, Relaxed);
                        }
                        3 => {
                            let mut f = Box::pin(async {
                                *lock.write().await += 1;
                                writes.fetch_add(1, Relaxed);
                            });
                            once(f.as_mut());
                        }
                        4 => {
                            let mut f = Box::pin(async { drop(lock.read().await) });
                            once(f.as_mut());
                        }
                        _ => {
                            let u = block_on(lock.upgradable_read());
                            let mut f = Box::pin(async {
                                *RwLockUpgradableReadGuard::upgrade(u).await += 1;
                                writes.fetch_add(1, Relaxed);
                            });
                            once(f.as_mut());
                        }
                    }
                }
            });
        }
    });
    assert_eq!(
        *lock.try_read().unwrap(),
        writes.load(Relaxed),
        "lost or phantom writes"
    );
    assert_usable(&lock);
}

/// A write unlock wakes the queued readers and the first one's waker
/// panics: the unlock passes the panic on, and the twenty readers queued
/// behind that one are still woken, once each, and all read at once (in the
/// bare tier the wait list used to stop after the panicking waker's batch of
/// eight). The first reader gets in too when polled again; afterwards the
/// lock is at rest and usable.
#[test]
fn a_panicking_waker_does_not_strand_the_readers_behind_it() {
    use common::{expect_waker_panic, panicking_waker};
    let lock = RwLock::new(0);
    let writer = lock.try_write().unwrap();
    let bomb = panicking_waker();
    let mut first = Box::pin(lock.read());
    assert_pending(first.as_mut(), bomb.waker());
    let wakers: Vec<CountingWaker> = (0..20).map(|_| CountingWaker::new()).collect();
    let mut reads: Vec<_> = wakers
        .iter()
        .map(|k| {
            let mut r = Box::pin(lock.read());
            assert_pending(r.as_mut(), k.waker());
            r
        })
        .collect();
    expect_waker_panic(|| drop(writer));
    assert_eq!(bomb.count(), 1);
    let unwoken = wakers.iter().filter(|k| k.count() != 1).count();
    assert_eq!(unwoken, 0, "{unwoken} of 20 readers not woken exactly once");
    let guards: Vec<_> = reads
        .iter_mut()
        .zip(&wakers)
        .map(|(r, k)| assert_ready(r.as_mut(), k.waker()))
        .collect();
    assert_eq!(lock.reader_count(), 20);
    let calm = CountingWaker::new();
    let last = assert_ready(first.as_mut(), calm.waker());
    assert_eq!(lock.reader_count(), 21);
    assert!(lock.try_write().is_none());
    drop((guards, last));
    assert_usable(&lock);
}

/// The writer a write unlock notifies has a waker that panics: the unlock
/// passes the panic on; once that writer is dropped, its wakeup passes to the
/// next, and each of the five writers behind it writes in turn, woken once.
/// Afterwards the lock is at rest and usable.
#[test]
fn a_panicking_waker_does_not_strand_the_writers_behind_it() {
    use common::{expect_waker_panic, panicking_waker};
    let lock = RwLock::new(0);
    let writer = lock.try_write().unwrap();
    let bomb = panicking_waker();
    let mut first = Box::pin(lock.write());
    assert_pending(first.as_mut(), bomb.waker());
    let wakers: Vec<CountingWaker> = (0..5).map(|_| CountingWaker::new()).collect();
    let mut writes: Vec<_> = wakers
        .iter()
        .map(|k| {
            let mut w = Box::pin(lock.write());
            assert_pending(w.as_mut(), k.waker());
            w
        })
        .collect();
    expect_waker_panic(|| drop(writer));
    assert_eq!(bomb.count(), 1);
    drop(first);
    for (i, (w, k)) in writes.iter_mut().zip(&wakers).enumerate() {
        assert_eq!(k.count(), 1, "writer {i} was not woken");
        *assert_ready(w.as_mut(), k.waker()) += 1;
    }
    assert!(
        wakers.iter().all(|k| k.count() == 1),
        "woken more than once"
    );
    assert_eq!(*lock.try_read().expect("try_read refused a free lock"), 5);
    assert_usable(&lock);
}

/// A pending upgrade holds new readers back; when it is dropped it lets
/// them in and releases the upgradable lock it owned. If the first held-back
/// reader's waker panics, the drop passes the panic on, but the upgradable
/// lock is still released and every other held-back reader still woken: the
/// lock is usable afterwards (it used to stay upgradably locked for good).
#[test]
fn a_panicking_reader_waker_does_not_keep_a_cancelled_upgrade_locked() {
    use common::{expect_waker_panic, panicking_waker};
    let lock = RwLock::new(0);
    let reader = lock.try_read().unwrap();
    let upgradable = lock.try_upgradable_read().unwrap();
    let calm = CountingWaker::new();
    let mut upgrade = Box::pin(RwLockUpgradableReadGuard::upgrade(upgradable));
    assert_pending(upgrade.as_mut(), calm.waker());
    // Held back by the pending upgrade.
    let bomb = panicking_waker();
    let mut first = Box::pin(lock.read());
    assert_pending(first.as_mut(), bomb.waker());
    let wakers: Vec<CountingWaker> = (0..3).map(|_| CountingWaker::new()).collect();
    let mut reads: Vec<_> = wakers
        .iter()
        .map(|k| {
            let mut r = Box::pin(lock.read());
            assert_pending(r.as_mut(), k.waker());
            r
        })
        .collect();
    expect_waker_panic(|| drop(upgrade));
    assert_eq!(bomb.count(), 1);
    for (i, k) in wakers.iter().enumerate() {
        assert_eq!(k.count(), 1, "held-back reader {i} was not woken");
    }
    let guards: Vec<_> = reads
        .iter_mut()
        .zip(&wakers)
        .map(|(r, k)| assert_ready(r.as_mut(), k.waker()))
        .collect();
    let last = assert_ready(first.as_mut(), calm.waker());
    assert!(
        lock.try_upgradable_read().is_some(),
        "the cancelled upgrade left the upgradable lock held"
    );
    drop((guards, last, reader));
    assert_usable(&lock);
}
