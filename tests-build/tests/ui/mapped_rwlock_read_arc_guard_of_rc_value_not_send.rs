// As tests/ui/mapped_arc_guard_of_rc_value_not_send.rs, for the `RwLock`'s
// mapped read `Arc` guard: `U: Sync` lets it share the part, but it may
// drop the last `Arc`, and the `Rc` in the value, on the thread it is sent
// to.
use std::rc::Rc;
use std::sync::Arc;
use turnstile_sync::{RwLock, RwLockReadGuardArc};

fn main() {
    let rc = Rc::new(0u8);
    let lock = Arc::new(RwLock::new((rc.clone(), 1u8)));
    let part = RwLockReadGuardArc::map(lock.try_read_arc().unwrap(), |pair| &pair.1);
    drop(lock);
    std::thread::spawn(move || drop(part));
}
