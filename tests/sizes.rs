//! Sizes of the mutex, its lock future and its guards, per tier.
//!
//! Every tier: each lock future carries its own list node (two links, a
//! waker, a state) — that is what makes waiting allocation-free: `Lock<'_,
//! ()>` ≤ 8 words (mutex reference + node of 2 links + 2-word waker + state
//! and flags, with padding; 64 bytes on 64-bit, was 32 in the `std` tier
//! and 24 in `alloc` with event-listener's boxed listener).
//!
//! `alloc`/`std` tiers, 64-bit: `Mutex<()>` is the state word plus one
//! pointer to the wait list, boxed on first contention (≤ 16 bytes). Bare
//! tier: the queue keeps head, tail and a count inline: `Mutex<()>` ≤ 4
//! words (state + head + tail + count). The measured values are printed for
//! the README.
//!
//! Every tier: a guard is one pointer and `Option<guard>` uses its niche; a
//! mapped guard of a sized value is two pointers.

use std::mem::size_of;

use turnstile_sync::{Lock, MappedMutexGuard, Mutex, MutexGuard};

const WORD: usize = size_of::<usize>();

#[test]
fn sizes() {
    let mutex = size_of::<Mutex<()>>();
    let lock = size_of::<Lock<'static, ()>>();
    let guard = size_of::<MutexGuard<'static, ()>>();
    let mapped = size_of::<MappedMutexGuard<'static, u8>>();
    println!(
        "tier {}: Mutex<()> = {mutex} B, Lock<'_, ()> = {lock} B, MutexGuard = {guard} B, \
         MappedMutexGuard<u8> = {mapped} B ({WORD}-byte words)",
        if cfg!(feature = "std") {
            "std"
        } else if cfg!(feature = "alloc") {
            "alloc"
        } else {
            "bare"
        }
    );

    assert_eq!(guard, WORD);
    assert_eq!(size_of::<Option<MutexGuard<'static, ()>>>(), WORD);
    assert_eq!(mapped, 2 * WORD);
    assert_eq!(size_of::<Mutex<u64>>(), size_of::<Mutex<()>>() + 8);

    assert!(lock <= 8 * WORD, "Lock<'_, ()> is {lock} bytes");
    #[cfg(all(feature = "alloc", target_pointer_width = "64"))]
    assert!(mutex <= 16, "Mutex<()> is {mutex} bytes");
    #[cfg(not(feature = "alloc"))]
    assert!(mutex <= 4 * WORD, "Mutex<()> is {mutex} bytes");
}

#[cfg(feature = "alloc")]
#[test]
fn arc_sizes() {
    use turnstile_sync::{LockArc, MutexGuardArc};
    let lock = size_of::<LockArc<()>>();
    println!(
        "LockArc<()> = {lock} B, MutexGuardArc = {} B",
        size_of::<MutexGuardArc<()>>()
    );
    assert_eq!(size_of::<MutexGuardArc<()>>(), WORD);
    assert_eq!(lock, size_of::<Lock<'static, ()>>());
}

/// Barrier, Latch and Condvar. `alloc`/`std` tiers, 64-bit: `Barrier` is
/// the arrival count, `n` and its lazily boxed data queue (≤ 24 bytes);
/// `Latch` the count and its list inline, with the list's lock (≤ 40: a
/// latch is usually waited on once, so a list boxed on its first wait would
/// be an allocation per wait); `Condvar` the lazily boxed list's pointer
/// alone (≤ 16). Bare tier: each adds its 3-word queue inline
/// (head, tail, and the notified count or, for the barrier, the generation)
/// instead of the pointer. The futures carry their list node in every tier
/// (64-bit: `BarrierWait` 72 bytes, was 32 with event-listener; `LatchWait`
/// 64, was 32 (`std`) / 24 (`alloc`); `CondvarWait<()>`, which holds a
/// `Lock` too, 136, was 72 / 56); bounded in words below.
#[test]
fn coordination_sizes() {
    use turnstile_sync::{Barrier, BarrierWait, Condvar, CondvarWait, Latch, LatchWait};
    let barrier = size_of::<Barrier>();
    let latch = size_of::<Latch>();
    let condvar = size_of::<Condvar>();
    println!(
        "Barrier = {barrier} B, Latch = {latch} B, Condvar = {condvar} B, \
         BarrierWait = {} B, LatchWait = {} B, CondvarWait<()> = {} B",
        size_of::<BarrierWait<'static>>(),
        size_of::<LatchWait<'static>>(),
        size_of::<CondvarWait<'static, ()>>(),
    );
    #[cfg(all(feature = "alloc", target_pointer_width = "64"))]
    {
        assert!(barrier <= 24, "Barrier is {barrier} bytes");
        assert!(latch <= 40, "Latch is {latch} bytes");
        assert!(condvar <= 16, "Condvar is {condvar} bytes");
    }
    assert!(size_of::<BarrierWait<'static>>() <= 9 * WORD);
    assert!(size_of::<LatchWait<'static>>() <= 8 * WORD);
    assert!(size_of::<CondvarWait<'static, ()>>() <= 17 * WORD);
    #[cfg(not(feature = "alloc"))]
    {
        assert!(barrier <= 5 * WORD, "Barrier is {barrier} bytes");
        assert!(latch <= 4 * WORD, "Latch is {latch} bytes");
        assert!(condvar <= 3 * WORD, "Condvar is {condvar} bytes");
    }
}

/// Semaphore. `std` tier, 64-bit: the state word and the lazily boxed wait
/// list (≤ 16 bytes); the bare tier's semaphore carries its list inline.
/// Every tier: `Acquire<'_>` is the semaphore reference, the count, its list
/// node (2 links, a 2-word waker, the data word and a state) and a flag
/// (≤ 9 words; 72 bytes on 64-bit, was 32 with a boxed node).
/// Guards are a reference (or `Arc`) and the count.
///
/// A ceiling (`Semaphore::with_max`) costs 0 bytes in every tier: the wait
/// list's spare word, which holds the permit total for the `MAX_PERMITS`
/// check, holds the headroom the ceiling withholds as well, so the existing
/// check enforces it (see `src/semaphore/mod.rs`, "The total and the ceiling").
#[test]
fn semaphore_sizes() {
    use turnstile_sync::{Acquire, Semaphore, SemaphoreGuard};
    let sem = size_of::<Semaphore>();
    let acquire = size_of::<Acquire<'static>>();
    let guard = size_of::<SemaphoreGuard<'static>>();
    println!(
        "tier {}: Semaphore = {sem} B, Acquire<'_> = {acquire} B, SemaphoreGuard = {guard} B",
        if cfg!(feature = "std") {
            "std"
        } else if cfg!(feature = "alloc") {
            "alloc"
        } else {
            "bare"
        }
    );
    assert_eq!(guard, 2 * WORD);
    assert_eq!(size_of::<Option<SemaphoreGuard<'static>>>(), 2 * WORD);
    assert!(acquire <= 9 * WORD, "Acquire<'_> is {acquire} bytes");
    #[cfg(all(feature = "std", target_pointer_width = "64"))]
    assert!(sem <= 16, "Semaphore is {sem} bytes");
    #[cfg(feature = "alloc")]
    {
        use turnstile_sync::{AcquireArc, SemaphoreGuardArc};
        println!(
            "AcquireArc = {} B, SemaphoreGuardArc = {} B",
            size_of::<AcquireArc>(),
            size_of::<SemaphoreGuardArc>()
        );
        assert_eq!(size_of::<AcquireArc>(), acquire);
        assert_eq!(size_of::<SemaphoreGuardArc>(), 2 * WORD);
    }
}

/// RwLock: the state word and two wait queues. `alloc`/`std` tiers, 64-bit:
/// 8 + 8 + 8 = 24 bytes (the bound; each queue's list is boxed on
/// first contention). Bare tier: the word and two 3-word queues (≤ 7
/// words). Guards are one pointer; a mapped guard two (sized `U`); the
/// futures carry the lock reference, the waiter (the list node), the kind
/// and a flag: ≤ 8 words in every tier (64 bytes on 64-bit; was 32 (`std`)
/// / 24 (`alloc`) with event-listener's boxed listener).
#[test]
fn rwlock_sizes() {
    use turnstile_sync::{
        MappedRwLockReadGuard, MappedRwLockWriteGuard, Read, RwLock, RwLockReadGuard,
        RwLockUpgradableReadGuard, RwLockWriteGuard, Upgrade, Write,
    };
    let lock = size_of::<RwLock<()>>();
    let read = size_of::<Read<'static, ()>>();
    let write = size_of::<Write<'static, ()>>();
    let upgrade = size_of::<Upgrade<'static, ()>>();
    println!(
        "tier {}: RwLock<()> = {lock} B, Read/Write/Upgrade<'_, ()> = {read}/{write}/{upgrade} B \
         ({WORD}-byte words)",
        if cfg!(feature = "std") {
            "std"
        } else if cfg!(feature = "alloc") {
            "alloc"
        } else {
            "bare"
        }
    );
    assert_eq!(size_of::<RwLockReadGuard<'static, ()>>(), WORD);
    assert_eq!(size_of::<RwLockWriteGuard<'static, ()>>(), WORD);
    assert_eq!(size_of::<RwLockUpgradableReadGuard<'static, ()>>(), WORD);
    assert_eq!(size_of::<Option<RwLockReadGuard<'static, ()>>>(), WORD);
    assert_eq!(size_of::<MappedRwLockReadGuard<'static, u8>>(), 2 * WORD);
    assert_eq!(size_of::<MappedRwLockWriteGuard<'static, u8>>(), 2 * WORD);
    assert_eq!(size_of::<RwLock<u64>>(), lock + 8);
    assert_eq!(read, write);
    assert_eq!(read, upgrade);

    assert!(read <= 8 * WORD, "Read<'_, ()> is {read} bytes");
    #[cfg(all(feature = "alloc", target_pointer_width = "64"))]
    assert!(lock <= 24, "RwLock<()> is {lock} bytes");
    #[cfg(not(feature = "alloc"))]
    assert!(lock <= 7 * WORD, "RwLock<()> is {lock} bytes");
}

#[cfg(feature = "alloc")]
#[test]
fn rwlock_arc_sizes() {
    use turnstile_sync::{
        Read, ReadArc, RwLockReadGuardArc, RwLockUpgradableReadGuardArc, RwLockWriteGuardArc,
    };
    assert_eq!(size_of::<RwLockReadGuardArc<()>>(), WORD);
    assert_eq!(size_of::<RwLockWriteGuardArc<()>>(), WORD);
    assert_eq!(size_of::<RwLockUpgradableReadGuardArc<()>>(), WORD);
    assert_eq!(size_of::<ReadArc<()>>(), size_of::<Read<'static, ()>>());
}

/// Notify: the state word and the data queue. `std` and `alloc` tiers,
/// 64-bit: the word and the queue's one word (the list is boxed on the first
/// wait) = 16 bytes. Bare tier: the word and the inline list (head, tail,
/// spare word) ≤ 4 words. Every tier: `Notified<'_>` is the notify
/// reference, the waiter (its list node and a flag) and the generation with
/// the phase, ≤ 9 words (72 bytes on 64-bit; was 32 with a boxed node).
#[test]
fn notify_sizes() {
    use turnstile_sync::{Notified, Notify};
    let notify = size_of::<Notify>();
    let notified = size_of::<Notified<'static>>();
    println!(
        "tier {}: Notify = {notify} B, Notified<'_> = {notified} B ({WORD}-byte words)",
        if cfg!(feature = "std") {
            "std"
        } else if cfg!(feature = "alloc") {
            "alloc"
        } else {
            "bare"
        }
    );
    assert!(notified <= 9 * WORD, "Notified<'_> is {notified} bytes");
    #[cfg(all(feature = "alloc", target_pointer_width = "64"))]
    assert!(notify <= 16, "Notify is {notify} bytes");
    #[cfg(not(feature = "alloc"))]
    assert!(notify <= 4 * WORD, "Notify is {notify} bytes");
}
