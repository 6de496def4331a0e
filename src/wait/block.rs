//! Blocking a thread on a future: how the `*_blocking` variants reuse the
//! async logic instead of duplicating it.

use core::future::Future;

/// Polls `future` to completion on this thread, parking between polls.
#[cfg(not(loom))]
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    use core::pin::pin;
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

    let mut future = pin!(future);
    WAKER.with(|waker| {
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
    })
}

/// Under loom, loom's own executor so the models can use the blocking API.
#[cfg(loom)]
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    loom::future::block_on(future)
}
