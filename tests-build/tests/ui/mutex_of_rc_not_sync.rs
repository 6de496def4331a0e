// A mutex of a `!Send` value must not be shared between threads: locking it
// from another thread would hand the `Rc` over.
use std::rc::Rc;
use turnstile_sync::Mutex;

fn main() {
    let mutex = Mutex::new(Rc::new(0u8));
    std::thread::scope(|s| {
        s.spawn(|| drop(mutex.try_lock()));
    });
}
