// As tests/ui/mapped_arc_guard_of_rc_value_not_send.rs, for the `RwLock`'s
// mapped write `Arc` guard: it may drop the last `Arc`, and the `Rc` in the
// value, on the thread it is sent to.
use std::rc::Rc;
use std::sync::Arc;
use turnstile_sync::{RwLock, RwLockWriteGuardArc};

fn main() {
    let rc = Rc::new(0u8);
    let lock = Arc::new(RwLock::new((rc.clone(), 1u8)));
    let part = RwLockWriteGuardArc::map(lock.try_write_arc().unwrap(), |pair| &mut pair.1);
    drop(lock);
    std::thread::spawn(move || drop(part));
}
