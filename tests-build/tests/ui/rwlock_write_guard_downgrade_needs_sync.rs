// A write guard of a `Send + !Sync` value is `Send`, so it may be on another
// thread than the lock's other users; downgrading it would then share the
// `Cell` between that thread and new readers. So downgrading needs `T: Sync`.
use std::cell::Cell;
use turnstile_sync::{RwLock, RwLockWriteGuard};

fn main() {
    let lock = RwLock::new(Cell::new(0u8));
    let reader = RwLockWriteGuard::downgrade(lock.try_write().unwrap());
    reader.set(1);
}
