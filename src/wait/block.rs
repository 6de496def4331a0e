//! Blocking a thread on a future: how the `*_blocking` variants reuse the
//! async logic instead of duplicating it.

use core::future::Future;

/// Runs `f` with this thread's waker, which unparks this thread.
#[cfg(not(loom))]
fn with_thread_waker<R>(f: impl FnOnce(&std::task::Waker) -> R) -> R {
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

    // `try_with`, not `with`: called from another thread-local's destructor,
    // `WAKER` may already be gone, and `with` would panic where
    // `std::sync::Mutex` works. `f` does not run then, so it runs below with
    // a waker made for this call.
    let mut f = Some(f);
    if let Ok(output) = WAKER.try_with(|waker| (f.take().expect("not run yet"))(waker)) {
        return output;
    }
    let f = f.expect("`try_with` failed before running it");
    f(&Waker::from(Arc::new(Unparker(thread::current()))))
}

/// Polls `future` to completion on this thread, parking between polls.
#[cfg(not(loom))]
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    use core::pin::pin;
    use core::task::{Context, Poll};
    use std::thread;

    let mut future = pin!(future);
    with_thread_waker(|waker| {
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

/// The deadline of a timed blocking wait, as a signal future for the wait
/// to race (with [`WaitExt::until`](crate::WaitExt::until), or a condvar's
/// timed wait): ready once the clock has reached the deadline; `None` never
/// is (a timeout too far away to represent, as `Duration::MAX`).
///
/// It registers no waker: it only works inside [`block_on_until`], which
/// parks the thread no later than the deadline and polls again. Only
/// `block_on_until` makes one.
pub(crate) struct Expired(Option<std::time::Instant>);

impl Future for Expired {
    type Output = ();

    #[inline]
    fn poll(
        self: core::pin::Pin<&mut Self>,
        _cx: &mut core::task::Context<'_>,
    ) -> core::task::Poll<()> {
        match self.0 {
            Some(deadline) if std::time::Instant::now() >= deadline => core::task::Poll::Ready(()),
            _ => core::task::Poll::Pending,
        }
    }
}

/// The deadline `timeout` from now, `None` if that is too far away to
/// represent (then the wait has no deadline).
pub(crate) fn deadline_after(timeout: core::time::Duration) -> Option<std::time::Instant> {
    std::time::Instant::now().checked_add(timeout)
}

/// Blocks on the future `make` builds around the deadline's signal: the one
/// way every timed blocking form waits. The future must resolve once the
/// [`Expired`] it was given is ready (it may also have to re-acquire a lock
/// after that, as a condvar wait does, which a release then wakes).
///
/// The thread parks until it is woken (by a release, through this thread's
/// waker) or the deadline comes, whichever is first, then polls again; no
/// polling loop, no sleep. Past the deadline it parks for wakeups only.
#[cfg(not(loom))]
pub(crate) fn block_on_until<F: Future>(
    deadline: Option<std::time::Instant>,
    make: impl FnOnce(Expired) -> F,
) -> F::Output {
    use core::pin::pin;
    use core::task::{Context, Poll};
    use std::thread;
    use std::time::Instant;

    let mut future = pin!(make(Expired(deadline)));
    with_thread_waker(|waker| {
        let mut cx = Context::from_waker(waker);
        loop {
            // Read the clock before polling: `Expired` reads it again inside
            // the poll, later, so if `now` is past the deadline, this poll
            // saw the signal ready, and only a real wakeup is left to wait
            // for.
            let now = Instant::now();
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
            // As in `block_on`, a wake before the park is not lost; an early
            // or spurious return just polls again.
            match deadline {
                Some(deadline) if now < deadline => thread::park_timeout(deadline - now),
                _ => thread::park(),
            }
        }
    })
}

/// Under loom, which models no clock: loom's executor, with a deadline that
/// never comes (the models exercise timeouts through the async forms, with
/// a hand-made signal).
#[cfg(loom)]
pub(crate) fn block_on_until<F: Future>(
    _deadline: Option<std::time::Instant>,
    make: impl FnOnce(Expired) -> F,
) -> F::Output {
    loom::future::block_on(make(Expired(None)))
}
