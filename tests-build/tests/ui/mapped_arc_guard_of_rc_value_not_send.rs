// A mapped `Arc` guard owns the `Arc` of the lock, so sending it may drop
// the last count, and the whole value, on the other thread: it is `Send`
// only if the value `T` is, even when the part `U` it maps to is `Send`
// (an `Rc` dropped there would race the clone left behind). For sharing
// (`Sync`) only `U` counts.
use std::rc::Rc;
use std::sync::Arc;
use turnstile_sync::{Mutex, MutexGuardArc};

fn main() {
    let rc = Rc::new(0u8);
    let mutex = Arc::new(Mutex::new((rc.clone(), 1u8)));
    let part = MutexGuardArc::map(mutex.try_lock_arc().unwrap(), |pair| &mut pair.1);
    drop(mutex);
    std::thread::spawn(move || drop(part));
}
