//! The wait layer of the `alloc` and `std` tiers, on `event-listener`.

use core::future::Future;
use core::mem::ManuallyDrop;
use core::pin::Pin;
use core::task::{Context, Poll};

use event_listener::{Event, EventListener, IntoNotification, Listener};

use crate::shim::const_fn;

/// A FIFO queue of waiters (see the module docs of `wait`).
pub(crate) struct WaitQueue {
    event: Event,
}

impl WaitQueue {
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self { event: Event::new() }
        }
    }

    /// Makes sure at least `n` waiters are notified, oldest first. Returns
    /// how many this call notified (waiters notified earlier and still
    /// holding their notification are not counted).
    #[inline]
    pub(crate) fn notify(&self, n: usize) -> usize {
        // `notify` emits a SeqCst fence before it reads the list, which with
        // the fence `listen` emits after inserting orders it against a
        // concurrent registration; the primitives' own AcqRel
        // read-modify-writes on their state word already order the two, so
        // the fence is redundant but harmless on this slow path.
        self.event.notify(n)
    }

    /// Notifies `n` more waiters that were not notified yet, oldest first,
    /// however many are notified already.
    #[inline]
    pub(crate) fn notify_additional(&self, n: usize) {
        // The same fence as in `notify`. A listener notified this way that is
        // dropped unconsumed notifies one *additional* listener in its place
        // (event-listener keeps the kind with the notification), which is the
        // rule the bare tier's `cancel` follows too.
        self.event.notify(n.additional());
    }
}

/// One waiter's place in a [`WaitQueue`]. `Unpin`: event-listener keeps the
/// list node on the heap.
pub(crate) struct Waiter {
    /// `ManuallyDrop` so that dropping a waiter that never registered — every
    /// uncontended lock — is an inline `None` check rather than a call to the
    /// listener's out-of-line drop glue; `Drop` below drops it when present.
    listener: ManuallyDrop<Option<EventListener>>,
}

impl Waiter {
    pub(crate) const fn new() -> Self {
        Self {
            listener: ManuallyDrop::new(None),
        }
    }

    #[inline]
    pub(crate) fn is_registered(&self) -> bool {
        self.listener.is_some()
    }

    /// Appends this waiter at the tail of `queue`.
    pub(crate) fn register(self: Pin<&mut Self>, queue: &WaitQueue) {
        debug_assert!(self.listener.is_none(), "waiter registered twice");
        *self.get_mut().listener = Some(queue.event.listen());
    }

    /// `Ready` (and unregistered) once notified; otherwise stores the waker.
    pub(crate) fn poll_notified(
        self: Pin<&mut Self>,
        _queue: &WaitQueue,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        let this = self.get_mut();
        let listener = this
            .listener
            .as_mut()
            .expect("turnstile-sync: polled a waiter that is not registered");
        match Pin::new(listener).poll(cx) {
            Poll::Ready(()) => {
                *this.listener = None;
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// Unregisters, passing on a notification received and not consumed.
    pub(crate) fn cancel(self: Pin<&mut Self>, _queue: &WaitQueue) {
        // Dropping an `EventListener` that was notified notifies the next
        // listener in its place (event-listener's documented behaviour).
        drop(self.get_mut().listener.take());
    }

    /// Unregisters, dropping a received notification; returns whether there
    /// was one.
    pub(crate) fn withdraw(self: Pin<&mut Self>, _queue: &WaitQueue) -> bool {
        self.get_mut()
            .listener
            .take()
            .is_some_and(|listener| listener.discard())
    }
}

impl Drop for Waiter {
    #[inline]
    fn drop(&mut self) {
        if self.listener.is_some() {
            self.drop_listener();
        }
    }
}

impl Waiter {
    #[cold]
    fn drop_listener(&mut self) {
        // Taking it out leaves `None` behind, which needs no drop.
        drop(self.listener.take());
    }
}
