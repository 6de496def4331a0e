// As for `downgrade`: the readers let in by `downgrade_map` share the whole
// `Cell`, the part the mapped guard reads included, with the thread the
// (`Send`) write guard may have moved to. So it needs `T: Sync` too, and so
// does `try_downgrade_map`.
use std::cell::Cell;
use turnstile_sync::{RwLock, RwLockWriteGuard};

fn main() {
    let lock = RwLock::new((Cell::new(0u8), 0u8));
    let part = RwLockWriteGuard::downgrade_map(lock.try_write().unwrap(), |pair| &pair.0);
    part.set(1);
    let part = RwLockWriteGuard::try_downgrade_map(lock.try_write().unwrap(), |pair| Some(&pair.1));
    drop(part);
}
