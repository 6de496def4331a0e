// A write guard is `Send` only for `T: Send`: it moves `&mut Rc` to the
// other thread while clones of the `Rc` may stay behind.
use std::rc::Rc;
use turnstile_sync::RwLock;

fn main() {
    let lock = RwLock::new(Rc::new(0u8));
    let guard = lock.try_write().unwrap();
    std::thread::scope(|s| {
        s.spawn(move || drop(guard));
    });
}
