// The upgradable guard is invariant in `T`. Were it covariant, a guard over
// `&'static str` could be shortened to one over `&'short str`, upgraded, and
// used to store a short-lived reference in a lock that hands it out as
// `&'static str`: a use-after-free (rust-lang/rust#138559).
use turnstile_sync::{RwLock, RwLockUpgradableReadGuard};

fn shorten<'a>(
    guard: RwLockUpgradableReadGuard<'a, &'static str>,
) -> RwLockUpgradableReadGuard<'a, &'a str> {
    guard
}

fn main() {
    let lock = RwLock::new("static");
    {
        let local = String::from("short-lived");
        let guard = shorten(lock.try_upgradable_read().unwrap());
        let mut writer = RwLockUpgradableReadGuard::try_upgrade(guard).ok().unwrap();
        *writer = &local;
    }
    let dangling: &'static str = *lock.try_read().unwrap();
    println!("{dangling}");
}
