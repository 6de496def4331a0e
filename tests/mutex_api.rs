//! The `Mutex` API surface: construction, accessors, formatting, guards
//! (plain, mapped, `Arc`-owned), unsized values, panics, and the blocking
//! variants. Runs in every tier; tier-only API is gated on the crate's
//! features (Cargo passes them to integration tests as `cfg(feature = ..)`;
//! `auto_traits.rs` checks that the gate matches the library's tier).

mod common;

use std::fmt::Debug;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;

use common::{assert_pending, assert_ready, poll_once, CountingWaker};
use futures_lite::future::block_on;
use turnstile_sync::{MappedMutexGuard, Mutex, MutexGuard};

/// Builds a mutex in a const context: `new` is a `const fn`.
const fn make(value: u32) -> Mutex<u32> {
    Mutex::new(value)
}

static STATIC_MUTEX: Mutex<u32> = make(40);
static STATIC_VEC: Mutex<Vec<u8>> = Mutex::new(Vec::new());

#[test]
fn reports_tier() {
    println!("tier: {}", common::TIER);
}

#[test]
fn new_is_const_and_lives_in_a_static() {
    block_on(async {
        *STATIC_MUTEX.lock().await += 2;
        assert_eq!(*STATIC_MUTEX.lock().await, 42);
        STATIC_VEC.lock().await.push(7);
        assert_eq!(*STATIC_VEC.lock().await, [7]);
    });
    assert!(!STATIC_MUTEX.is_locked());
}

#[test]
fn into_inner_and_get_mut() {
    let mut mutex = Mutex::new(String::from("a"));
    mutex.get_mut().push('b');
    block_on(async {
        mutex.lock().await.push('c');
    });
    assert_eq!(mutex.into_inner(), "abc");
}

#[test]
fn is_locked_tracks_the_guard() {
    let mutex = Mutex::new(0u8);
    assert!(!mutex.is_locked());
    let guard = mutex.try_lock().unwrap();
    assert!(mutex.is_locked());
    assert!(mutex.try_lock().is_none());
    drop(guard);
    assert!(!mutex.is_locked());
    assert!(mutex.try_lock().is_some());
    assert!(!mutex.is_locked(), "a dropped try_lock guard unlocks");
}

#[test]
fn default_and_from() {
    let mutex: Mutex<Vec<u8>> = Mutex::default();
    assert!(mutex.into_inner().is_empty());
    let mutex = Mutex::from(9u64);
    assert_eq!(mutex.into_inner(), 9);
    let mutex: Mutex<&str> = "x".into();
    assert_eq!(mutex.into_inner(), "x");
}

#[test]
fn debug_shows_value_or_locked() {
    let mutex = Mutex::new(5);
    assert_eq!(format!("{mutex:?}"), "Mutex { value: 5 }");
    let guard = mutex.try_lock().unwrap();
    assert_eq!(format!("{mutex:?}"), "Mutex { value: <locked> }");
    // Formatting a locked mutex must not disturb the holder.
    assert!(mutex.is_locked());
    assert_eq!(format!("{guard:?}"), "5");
    assert_eq!(format!("{guard}"), "5");
    drop(guard);
    assert_eq!(format!("{mutex:?}"), "Mutex { value: 5 }");
    assert!(!mutex.is_locked(), "Debug releases the lock it peeked with");
    assert_eq!(format!("{:#?}", Mutex::new(1)), "Mutex {\n    value: 1,\n}");
}

#[test]
fn lock_future_debug() {
    let mutex = Mutex::new(());
    let lock = mutex.lock();
    assert_eq!(format!("{lock:?}"), "Lock { .. }");
}

#[test]
fn guard_source_is_the_mutex() {
    let mutex = Mutex::new(1);
    let guard = mutex.try_lock().unwrap();
    assert!(std::ptr::eq(MutexGuard::source(&guard), &mutex));
    // `source` outlives the borrow of the guard: it is `&'a Mutex<T>`.
    let source: &Mutex<i32> = MutexGuard::source(&guard);
    drop(guard);
    assert_eq!(*source.try_lock().unwrap(), 1);
}

#[test]
fn guard_derefs_mutably_and_is_held_across_await() {
    let mutex = Mutex::new(vec![1]);
    block_on(async {
        let mut guard = mutex.lock().await;
        guard.push(2);
        futures_lite::future::yield_now().await;
        assert!(mutex.is_locked());
        guard.push(3);
    });
    assert_eq!(mutex.into_inner(), [1, 2, 3]);
}

#[test]
fn never_polled_lock_future_does_nothing() {
    let mutex = Mutex::new(());
    let lock = mutex.lock();
    assert!(!mutex.is_locked(), "creating the future does not lock");
    drop(lock);
    assert!(!mutex.is_locked());
    assert!(mutex.try_lock().is_some());
}

#[test]
fn dropping_a_waiting_future_does_not_unlock_the_holder() {
    let mutex = Mutex::new(());
    let holder = mutex.try_lock().unwrap();
    let waker = CountingWaker::new();
    {
        let mut lock = pin!(mutex.lock());
        assert_pending(lock.as_mut(), waker.waker());
    }
    assert!(
        mutex.is_locked(),
        "dropping the waiter unlocked the holder's lock"
    );
    assert!(mutex.try_lock().is_none());
    drop(holder);
    assert!(mutex.try_lock().is_some());
}

#[test]
#[should_panic(expected = "turnstile-sync: lock future polled after it completed")]
fn polling_a_completed_lock_future_panics() {
    let mutex = Mutex::new(());
    let waker = CountingWaker::new();
    let mut lock = pin!(mutex.lock());
    let guard = assert_ready(lock.as_mut(), waker.waker());
    drop(guard);
    let _ = poll_once(lock.as_mut(), waker.waker());
}

#[test]
fn map_narrows_mutates_and_unlocks_on_drop() {
    let mutex = Mutex::new((1u8, String::from("a")));
    let guard = mutex.try_lock().unwrap();
    let mut name: MappedMutexGuard<'_, String> = MutexGuard::map(guard, |pair| &mut pair.1);
    name.push('b');
    assert_eq!(&*name, "ab");
    assert_eq!(format!("{name:?}"), "\"ab\"");
    assert!(mutex.is_locked(), "the mapped guard keeps the lock");
    assert!(mutex.try_lock().is_none());
    drop(name);
    assert!(!mutex.is_locked(), "dropping the mapped guard unlocks");
    assert_eq!(mutex.into_inner(), (1, String::from("ab")));
}

#[test]
fn map_of_a_map_target_and_unsized_target() {
    let mutex = Mutex::new([1u8, 2, 3]);
    let mut slice: MappedMutexGuard<'_, [u8]> =
        MutexGuard::map(mutex.try_lock().unwrap(), |array| &mut array[1..]);
    slice[0] = 20;
    assert_eq!(&*slice, [20, 3]);
    drop(slice);
    assert_eq!(mutex.into_inner(), [1, 20, 3]);
}

#[test]
fn map_unlocks_if_the_closure_panics() {
    let mutex = Mutex::new(0u8);
    let result = catch_unwind(AssertUnwindSafe(|| {
        let guard = mutex.try_lock().unwrap();
        let _mapped = MutexGuard::map(guard, |_: &mut u8| -> &mut u8 { panic!("in map") });
    }));
    assert!(result.is_err());
    assert!(
        !mutex.is_locked(),
        "a panic inside map left the mutex locked"
    );
    assert!(mutex.try_lock().is_some());
}

#[test]
fn try_map_gives_the_guard_back_on_none_and_the_lock_stays_held() {
    let mutex = Mutex::new((1u8, None::<String>));
    let guard = mutex.try_lock().unwrap();
    let mut guard = MutexGuard::try_map(guard, |pair| pair.1.as_mut())
        .expect_err("try_map of a None part returned a guard");
    assert!(mutex.is_locked(), "the returned guard still holds the lock");
    assert!(mutex.try_lock().is_none());
    // It is the same, whole guard: it still reaches every field.
    guard.0 = 2;
    guard.1 = Some(String::from("a"));
    let mut name: MappedMutexGuard<'_, String> =
        MutexGuard::try_map(guard, |pair| pair.1.as_mut()).expect("the part is there now");
    name.push('b');
    assert!(mutex.is_locked(), "the mapped guard keeps the lock");
    drop(name);
    assert!(!mutex.is_locked(), "dropping the mapped guard unlocks");
    assert_eq!(mutex.into_inner(), (2, Some(String::from("ab"))));
}

#[test]
fn mapped_guard_maps_and_try_maps_again() {
    let mutex = Mutex::new((0u8, [Some(1u8), None]));
    let array = MutexGuard::map(mutex.try_lock().unwrap(), |pair| &mut pair.1);
    let array = MappedMutexGuard::try_map(array, |a| a[1].as_mut())
        .expect_err("try_map of a None part returned a guard");
    assert!(mutex.is_locked());
    let mut first = MappedMutexGuard::try_map(array, |a| a[0].as_mut()).expect("Some part");
    *first = 5;
    let byte: MappedMutexGuard<'_, [u8]> =
        MappedMutexGuard::map(first, |value| core::slice::from_mut(value));
    assert_eq!(&*byte, [5]);
    assert!(mutex.try_lock().is_none());
    drop(byte);
    assert!(!mutex.is_locked());
    assert_eq!(mutex.into_inner(), (0, [Some(5), None]));
}

#[test]
fn try_map_and_mapped_map_unlock_if_the_closure_panics() {
    let mutex = Mutex::new(0u8);
    let result = catch_unwind(AssertUnwindSafe(|| {
        let _ = MutexGuard::try_map(mutex.try_lock().unwrap(), |_| -> Option<&mut u8> {
            panic!("in try_map")
        });
    }));
    assert!(result.is_err());
    assert!(!mutex.is_locked(), "a panic inside try_map left it locked");
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mapped = MutexGuard::map(mutex.try_lock().unwrap(), |v| v);
        let _ = MappedMutexGuard::map(mapped, |_| -> &mut u8 { panic!("in map") });
    }));
    assert!(result.is_err());
    assert!(
        !mutex.is_locked(),
        "a panic inside a mapped map left it locked"
    );
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mapped = MutexGuard::map(mutex.try_lock().unwrap(), |v| v);
        let _ = MappedMutexGuard::try_map(mapped, |_| -> Option<&mut u8> { panic!("in try_map") });
    }));
    assert!(result.is_err());
    assert!(
        !mutex.is_locked(),
        "a panic inside a mapped try_map left it locked"
    );
}

#[test]
fn panic_in_critical_section_unlocks_without_poisoning() {
    let mutex = Mutex::new(1);
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut guard = mutex.try_lock().unwrap();
        *guard = 2;
        panic!("inside the critical section");
    }));
    assert!(result.is_err());
    assert!(!mutex.is_locked());
    // No poisoning: the value written before the panic is there.
    assert_eq!(*mutex.try_lock().unwrap(), 2);

    let result = catch_unwind(AssertUnwindSafe(|| {
        block_on(async {
            let _guard = mutex.lock().await;
            panic!("inside an async critical section");
        })
    }));
    assert!(result.is_err());
    assert!(!mutex.is_locked());
    assert_eq!(*block_on(mutex.lock()), 2);
}

#[test]
fn mapped_guard_unlocks_on_panic() {
    let mutex = Mutex::new((0u8, 0u8));
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut second = MutexGuard::map(mutex.try_lock().unwrap(), |pair| &mut pair.1);
        *second = 9;
        panic!("holding a mapped guard");
    }));
    assert!(result.is_err());
    assert_eq!(*mutex.try_lock().unwrap(), (0, 9));
}

#[test]
fn unsized_slice_mutex() {
    let sized = Mutex::new([1u8, 2, 3]);
    let mutex: &Mutex<[u8]> = &sized;
    {
        let mut guard = mutex.try_lock().unwrap();
        assert_eq!(guard.len(), 3);
        guard[2] = 30;
    }
    block_on(async {
        let mut guard = mutex.lock().await;
        guard[0] = 10;
    });
    assert_eq!(format!("{mutex:?}"), "Mutex { value: [10, 2, 30] }");
    let first = MutexGuard::map(mutex.try_lock().unwrap(), |s| &mut s[0]);
    assert_eq!(*first, 10);
    drop(first);
    assert_eq!(sized.into_inner(), [10, 2, 30]);
}

#[test]
fn unsized_dyn_mutex_in_a_box() {
    let boxed: Box<Mutex<dyn Debug + Send>> = Box::new(Mutex::new(5u32));
    assert_eq!(format!("{boxed:?}"), "Mutex { value: 5 }");
    let guard = block_on(boxed.lock());
    assert_eq!(format!("{:?}", &*guard), "5");
    drop(guard);

    let mut counter: Box<Mutex<dyn FnMut() -> u32>> = Box::new(Mutex::new({
        let mut n = 0;
        move || {
            n += 1;
            n
        }
    }));
    assert_eq!((boxed_call(&counter)), 1);
    assert_eq!((boxed_call(&counter)), 2);
    assert_eq!((counter.get_mut())(), 3);
}

fn boxed_call(mutex: &Mutex<dyn FnMut() -> u32>) -> u32 {
    let mut guard = mutex.try_lock().unwrap();
    (*guard)()
}

#[test]
fn guard_of_zero_sized_and_large_values() {
    let unit = Mutex::new(());
    drop(unit.try_lock().unwrap());
    let big = Mutex::new([7u64; 64]);
    assert_eq!(big.try_lock().unwrap()[63], 7);
}

#[cfg(feature = "alloc")]
mod arc {
    use super::*;
    use std::sync::Arc;
    use turnstile_sync::{MappedMutexGuardArc, MutexGuardArc};

    #[test]
    fn lock_arc_guard_owns_the_arc() {
        let mutex = Arc::new(Mutex::new(1));
        let mut guard: MutexGuardArc<i32> = block_on(mutex.lock_arc());
        assert_eq!(Arc::strong_count(&mutex), 2, "the guard owns a clone");
        assert!(Arc::ptr_eq(MutexGuardArc::source(&guard), &mutex));
        *guard += 1;
        assert_eq!(format!("{guard:?}"), "2");
        assert!(mutex.try_lock_arc().is_none());
        assert!(mutex.try_lock().is_none());
        drop(guard);
        assert_eq!(Arc::strong_count(&mutex), 1, "the guard's Arc was released");
        assert!(!mutex.is_locked());
        assert_eq!(*mutex.try_lock_arc().unwrap(), 2);
        assert_eq!(Arc::strong_count(&mutex), 1);
    }

    #[test]
    fn guard_arc_outlives_the_callers_arc() {
        let mutex = Arc::new(Mutex::new(String::from("x")));
        let guard = mutex.try_lock_arc().unwrap();
        let weak = Arc::downgrade(&mutex);
        drop(mutex);
        assert_eq!(&*guard, "x", "the guard keeps the mutex alive");
        drop(guard);
        assert!(weak.upgrade().is_none(), "the last guard freed the mutex");
    }

    #[test]
    fn lock_arc_waits_and_is_woken() {
        let mutex = Arc::new(Mutex::new(0));
        let holder = mutex.try_lock_arc().unwrap();
        let waker = CountingWaker::new();
        let mut lock = pin!(mutex.lock_arc());
        assert_eq!(format!("{lock:?}"), "LockArc { .. }");
        assert_pending(lock.as_mut(), waker.waker());
        drop(holder);
        assert_eq!(waker.count(), 1);
        let guard = assert_ready(lock.as_mut(), waker.waker());
        assert!(mutex.is_locked());
        drop(guard);
        assert!(!mutex.is_locked());
    }

    #[test]
    fn dropped_lock_arc_future_releases_its_arc() {
        let mutex = Arc::new(Mutex::new(()));
        let holder = mutex.try_lock_arc().unwrap();
        let waker = CountingWaker::new();
        {
            let mut lock = pin!(mutex.lock_arc());
            assert_pending(lock.as_mut(), waker.waker());
            assert_eq!(Arc::strong_count(&mutex), 3);
        }
        assert_eq!(Arc::strong_count(&mutex), 2);
        drop(holder);
        assert_eq!(Arc::strong_count(&mutex), 1);
        assert!(!mutex.is_locked());
    }

    #[test]
    #[should_panic(expected = "turnstile-sync: lock future polled after it completed")]
    fn polling_a_completed_lock_arc_future_panics() {
        let mutex = Arc::new(Mutex::new(()));
        let waker = CountingWaker::new();
        let mut lock = pin!(mutex.lock_arc());
        drop(assert_ready(lock.as_mut(), waker.waker()));
        let _ = poll_once(lock.as_mut(), waker.waker());
    }

    #[test]
    fn mapped_guard_arc_releases_on_drop_and_keeps_the_mutex_alive() {
        let mutex = Arc::new(Mutex::new((1u8, String::from("a"))));
        let weak = Arc::downgrade(&mutex);
        let mut name: MappedMutexGuardArc<(u8, String), String> =
            MutexGuardArc::map(mutex.try_lock_arc().unwrap(), |pair| &mut pair.1);
        assert_eq!(
            Arc::strong_count(&mutex),
            2,
            "the mapped guard holds the Arc"
        );
        name.push('b');
        assert_eq!(format!("{name:?}"), "\"ab\"");
        assert!(mutex.is_locked());
        drop(name);
        assert!(!mutex.is_locked(), "dropping the mapped guard unlocks");
        assert_eq!(Arc::strong_count(&mutex), 1, "and gives its Arc back");

        let mut name = MutexGuardArc::map(mutex.try_lock_arc().unwrap(), |pair| &mut pair.1);
        drop(mutex);
        assert!(
            weak.upgrade().is_some(),
            "the mapped guard keeps the mutex alive"
        );
        name.push('c');
        let mutex = weak.upgrade().unwrap();
        assert!(mutex.try_lock().is_none(), "and locked");
        drop(mutex);
        assert_eq!(&*name, "abc");
        drop(name);
        assert!(weak.upgrade().is_none(), "the last guard freed the mutex");
    }

    #[test]
    fn try_map_arc_gives_the_guard_back_on_none() {
        let mutex = Arc::new(Mutex::new((0u8, [Some(1u8), None])));
        let guard =
            MutexGuardArc::try_map(mutex.try_lock_arc().unwrap(), |pair| pair.1[1].as_mut())
                .expect_err("try_map of a None part returned a guard");
        assert!(mutex.is_locked(), "the returned guard still holds the lock");
        assert_eq!(guard.0, 0, "it is the whole guard");
        let array = MutexGuardArc::map(guard, |pair| &mut pair.1);
        let array = MappedMutexGuardArc::try_map(array, |a| a[1].as_mut())
            .expect_err("try_map of a None part returned a guard");
        assert!(mutex.is_locked());
        let first = MappedMutexGuardArc::try_map(array, |a| a[0].as_mut()).expect("Some part");
        let mut first: MappedMutexGuardArc<_, [u8]> =
            MappedMutexGuardArc::map(first, core::slice::from_mut);
        first[0] = 5;
        assert_eq!(Arc::strong_count(&mutex), 2);
        drop(first);
        assert!(!mutex.is_locked());
        assert_eq!(Arc::strong_count(&mutex), 1);
        assert_eq!(mutex.try_lock().unwrap().1, [Some(5), None]);
    }

    #[test]
    fn mapped_guard_arc_unlocks_if_the_closure_panics() {
        let mutex = Arc::new(Mutex::new(0u8));
        let result = catch_unwind(AssertUnwindSafe(|| {
            let _ = MutexGuardArc::map(mutex.try_lock_arc().unwrap(), |_| -> &mut u8 {
                panic!("in map")
            });
        }));
        assert!(result.is_err());
        let result = catch_unwind(AssertUnwindSafe(|| {
            let mapped = MutexGuardArc::map(mutex.try_lock_arc().unwrap(), |v| v);
            let _ = MappedMutexGuardArc::try_map(mapped, |_| -> Option<&mut u8> {
                panic!("in try_map")
            });
        }));
        assert!(result.is_err());
        assert!(!mutex.is_locked());
        assert_eq!(
            Arc::strong_count(&mutex),
            1,
            "the guards' Arcs were given back"
        );
    }

    #[test]
    fn unsized_arc_mutex() {
        let mutex: Arc<Mutex<[u8]>> = Arc::new(Mutex::new([1u8, 2]));
        let mut guard = mutex.try_lock_arc().unwrap();
        guard[1] = 5;
        drop(guard);
        assert_eq!(&*block_on(mutex.lock_arc()), [1, 5]);
    }
}

#[cfg(feature = "std")]
mod blocking {
    use super::*;
    use std::sync::Arc;
    use std::thread;

    #[test]
    fn lock_blocking_uncontended() {
        let mutex = Mutex::new(1);
        *mutex.lock_blocking() += 1;
        assert_eq!(*mutex.lock_blocking(), 2);
        assert!(!mutex.is_locked());
    }

    #[test]
    fn lock_blocking_from_several_threads() {
        const THREADS: usize = 4;
        let per_thread = common::iters(200, 10);
        let mutex = Mutex::new(0usize);
        thread::scope(|s| {
            for _ in 0..THREADS {
                s.spawn(|| {
                    for _ in 0..per_thread {
                        let mut guard = mutex.lock_blocking();
                        let seen = *guard;
                        thread::yield_now();
                        *guard = seen + 1;
                    }
                });
            }
        });
        assert_eq!(mutex.into_inner(), THREADS * per_thread);
    }

    #[test]
    fn lock_blocking_waits_for_an_async_holder() {
        let mutex = Arc::new(Mutex::new(0));
        let guard = mutex.try_lock_arc().unwrap();
        let m = mutex.clone();
        let waiter = thread::spawn(move || {
            *m.lock_blocking() += 1;
        });
        // Whether or not the thread is parked yet, releasing must let it in.
        drop(guard);
        waiter.join().unwrap();
        assert_eq!(*mutex.try_lock().unwrap(), 1);
    }

    #[test]
    fn lock_arc_blocking_guard_moves_to_another_thread() {
        let mutex = Arc::new(Mutex::new(Vec::new()));
        let mut guard = mutex.lock_arc_blocking();
        guard.push(1);
        thread::spawn(move || {
            guard.push(2);
            // dropped here, on the other thread
        })
        .join()
        .unwrap();
        assert!(!mutex.is_locked());
        assert_eq!(*mutex.lock_arc_blocking(), [1, 2]);
        assert_eq!(Arc::strong_count(&mutex), 1);
    }

    #[test]
    fn guard_is_held_across_threads_by_a_spawned_task_style_move() {
        // A `MutexGuard` (not only the Arc one) is Send for T: Send.
        let mutex = Mutex::new(0u32);
        let guard = mutex.lock_blocking();
        thread::scope(|s| {
            s.spawn(move || {
                let mut guard = guard;
                *guard = 5;
            });
        });
        assert_eq!(*mutex.lock_blocking(), 5);
    }
}
