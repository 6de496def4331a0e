// A mapped guard's `Send` follows the part it maps to, not the whole value
// (RUSTSEC-2020-0059): `Holder` is `Send`, so its guard is, but a guard
// mapped to the `Rc` inside must not be.
use std::rc::Rc;
use turnstile_sync::{Mutex, MutexGuard};

struct Holder(Rc<u8>);

// SAFETY (for the sake of the test): `Holder` never hands out its `Rc`
// except through `&mut`, which is what the mapped guard must not send.
unsafe impl Send for Holder {}

fn main() {
    let mutex = Mutex::new(Holder(Rc::new(0)));
    let rc = MutexGuard::map(mutex.try_lock().unwrap(), |holder| &mut holder.0);
    std::thread::scope(|s| {
        s.spawn(move || drop(rc));
    });
}
