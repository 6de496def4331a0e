// `RwLock<T>` is `Sync` only for `T: Send + Sync`: readers on several
// threads would share the `Cell` at once through `&T`.
use std::cell::Cell;
use turnstile_sync::RwLock;

fn main() {
    let lock = RwLock::new(Cell::new(0u8));
    std::thread::scope(|s| {
        s.spawn(|| lock.try_read().unwrap().set(1));
        lock.try_read().unwrap().set(2);
    });
}
