// The mapped write `Arc` guards give `&mut U`, so they are invariant in `U`,
// as `&mut U` is: were they covariant, a guard over a `&'static str` part
// could be shortened to one over `&'short str` and store a short-lived
// reference where the lock hands out `&'static str`.
use turnstile_sync::{MappedMutexGuardArc, MappedRwLockWriteGuardArc};

fn shorten_mutex<'s>(
    guard: MappedMutexGuardArc<u8, &'static str>,
) -> MappedMutexGuardArc<u8, &'s str> {
    guard
}

fn shorten_rwlock<'s>(
    guard: MappedRwLockWriteGuardArc<u8, &'static str>,
) -> MappedRwLockWriteGuardArc<u8, &'s str> {
    guard
}

// (`T` is `u8`, fixed, so the error is about `U` alone; rustc's note names
// the first invariant parameter, `T`, all the same.)
fn main() {}
