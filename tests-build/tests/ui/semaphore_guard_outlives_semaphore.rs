// A semaphore guard borrows its semaphore: it cannot outlive it (use the
// `_arc` variants for a `'static` guard).
use turnstile_sync::{Semaphore, SemaphoreGuard};

fn main() {
    let guard: SemaphoreGuard<'static>;
    {
        let sem = Semaphore::new(1);
        guard = sem.try_acquire().unwrap();
    }
    drop(guard);
}
