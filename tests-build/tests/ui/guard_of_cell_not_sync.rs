// A guard of a `Send + !Sync` value may move between threads, but must not
// be shared: two threads could then reach the `Cell` at once through `&guard`.
use std::cell::Cell;
use turnstile_sync::Mutex;

fn main() {
    let mutex = Mutex::new(Cell::new(0u8));
    let guard = mutex.try_lock().unwrap();
    std::thread::scope(|s| {
        s.spawn(|| guard.set(1));
        guard.set(2);
    });
}
