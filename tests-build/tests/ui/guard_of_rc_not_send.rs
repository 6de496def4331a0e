// A guard of a `!Send` value must not move to another thread.
use std::rc::Rc;
use turnstile_sync::Mutex;

fn main() {
    let mutex = Mutex::new(Rc::new(0u8));
    let guard = mutex.try_lock().unwrap();
    std::thread::scope(|s| {
        s.spawn(move || drop(guard));
    });
}
