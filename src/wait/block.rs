//! Blocking a thread on a future: how the `*_blocking` variants reuse the
//! async logic instead of duplicating it.

use core::future::Future;

/// Polls `future` to completion on this thread, parking between polls.
#[cfg(not(loom))]
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    use core::pin::{pin, Pin};
    use core::task::{Context, Poll};
    use std::sync::Arc;
    use std::task::{Wake, Waker};
    use std::thread::{self, Thread};

    struct Unparker(Thread);
    impl Wake for Unparker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }

    std::thread_local! {
        // One waker per thread, made on first use, so a blocking wait does
        // not allocate.
        static WAKER: Waker = Waker::from(Arc::new(Unparker(thread::current())));
    }

    fn run<F: Future>(mut future: Pin<&mut F>, waker: &Waker) -> F::Output {
        let mut cx = Context::from_waker(waker);
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
            // A wake that came before this park leaves the token set, so
            // `park` returns at once: no wakeup is lost. Spurious returns just
            // poll again.
            thread::park();
        }
    }

    let mut future = pin!(future);
    // `try_with`, not `with`: called from another thread-local's destructor,
    // `WAKER` may already be gone, and `with` would panic where
    // `std::sync::Mutex` works. The closure does not run then, so the future
    // is untouched and runs below with a waker made for this call.
    if let Ok(output) = WAKER.try_with(|waker| run(future.as_mut(), waker)) {
        return output;
    }
    run(future, &Waker::from(Arc::new(Unparker(thread::current()))))
}

/// Under loom, loom's own executor so the models can use the blocking API.
#[cfg(loom)]
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    loom::future::block_on(future)
}
