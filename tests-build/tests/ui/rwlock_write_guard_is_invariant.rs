// The write guard is invariant in `T`, unlike the read guards. Were it
// covariant, a guard over `&'static str` could be shortened to one over
// `&'short str` and used to store a short-lived reference in a lock that
// hands it out as `&'static str`: a use-after-free.
use turnstile_sync::{RwLock, RwLockWriteGuard};

fn shorten<'a>(guard: RwLockWriteGuard<'a, &'static str>) -> RwLockWriteGuard<'a, &'a str> {
    guard
}

fn main() {
    let lock = RwLock::new("static");
    {
        let local = String::from("short-lived");
        let mut writer = shorten(lock.try_write().unwrap());
        *writer = &local;
    }
    let dangling: &'static str = *lock.try_read().unwrap();
    println!("{dangling}");
}
