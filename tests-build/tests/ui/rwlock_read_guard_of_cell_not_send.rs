// A read guard is `Send` only for `T: Sync`: the guard's thread would share
// the `Cell` with the readers left behind.
use std::cell::Cell;
use turnstile_sync::RwLock;

fn main() {
    let lock = RwLock::new(Cell::new(0u8));
    let guard = lock.try_read().unwrap();
    std::thread::scope(|s| {
        s.spawn(move || guard.set(1));
    });
}
