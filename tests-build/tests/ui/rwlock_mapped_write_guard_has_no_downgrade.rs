// A mapped write guard cannot be downgraded (tokio#3344: map, then
// downgrade, let a reader of the whole value mutate a part through a `Cell`
// while the `&mut` to it was still in use).
use turnstile_sync::{RwLock, RwLockWriteGuard};

fn main() {
    let lock = RwLock::new((0u8, 0u8));
    let part = RwLockWriteGuard::map(lock.try_write().unwrap(), |pair| &mut pair.0);
    let _reader = RwLockWriteGuard::downgrade(part);
}
