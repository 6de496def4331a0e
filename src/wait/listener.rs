//! The wait layer of the `alloc` and `std` tiers, on `event-listener`.
//!
//! # A waker that panics
//!
//! event-listener (5.4.2) wakes listeners in a loop under its list lock: it
//! marks a listener notified, wakes its waker, and only then counts the
//! notification. A `wake` that unwinds out of that loop leaves the listeners
//! after it un-notified and the count one short, so when the notified
//! listener later leaves, the count underflows: a debug build panics there,
//! a release build wraps it to `usize::MAX`, and from then on every
//! `notify(n)` returns 0 — the primitive never wakes anyone again. So no
//! waker may unwind through event-listener, and every call that can wake
//! (`notify`, `notify_additional`, dropping a listener, which passes its
//! notification on) goes through [`wakes::run`]:
//!
//! - with `std`, the waker event-listener is given is ours
//!   ([`wakes::CatchWake`]): its `wake` wakes the task's waker inside
//!   `catch_unwind` and leaves a panic for `run`, which re-raises it once
//!   event-listener has returned, every listener notified and its count
//!   right. The panic reaches whoever released, as before; the queue stays
//!   correct. If several wakers panic in one call, the first panic goes on
//!   and the others are dropped. The wrapper is kept while the task's waker
//!   stays the same (a re-poll hands event-listener the very waker it holds)
//!   and, once the wait is over, goes to a per-thread spare for the next
//!   wait: a contended wait allocates no more than before.
//! - without `std` there is no `catch_unwind`: a panic that unwinds out of
//!   event-listener aborts the process instead (a panic in a destructor
//!   during unwinding). no_std builds normally use `panic = "abort"`, where
//!   a panicking waker aborts anyway and this costs nothing.

#[cfg(not(feature = "std"))]
use core::future::Future;
use core::mem::ManuallyDrop;
use core::pin::Pin;
use core::task::{Context, Poll};

#[cfg(feature = "std")]
use alloc::sync::Arc;

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
        wakes::run(|| self.event.notify(n))
    }

    /// Notifies `n` more waiters that were not notified yet, oldest first,
    /// however many are notified already.
    #[inline]
    pub(crate) fn notify_additional(&self, n: usize) {
        // The same fence as in `notify`. A listener notified this way that is
        // dropped unconsumed notifies one *additional* listener in its place
        // (event-listener keeps the kind with the notification), which is the
        // rule the bare tier's `cancel` follows too.
        wakes::run(|| self.event.notify(n.additional()));
    }
}

/// One waiter's place in a [`WaitQueue`]. `Unpin`: event-listener keeps the
/// list node on the heap.
pub(crate) struct Waiter {
    /// `ManuallyDrop` so that dropping a waiter that never registered — every
    /// uncontended lock — is an inline `None` check rather than a call to the
    /// listener's out-of-line drop glue; `Drop` below drops it when present.
    listener: ManuallyDrop<Option<EventListener>>,
    /// The waker event-listener holds for this waiter, wrapping the task's
    /// (see the module docs). `Some` only while `listener` is, so `Drop`
    /// needs no second check; dropped with it.
    #[cfg(feature = "std")]
    catch: ManuallyDrop<Option<Arc<wakes::CatchWake>>>,
}

impl Waiter {
    pub(crate) const fn new() -> Self {
        Self {
            listener: ManuallyDrop::new(None),
            #[cfg(feature = "std")]
            catch: ManuallyDrop::new(None),
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
        #[cfg(not(feature = "std"))]
        let poll = Pin::new(listener).poll(cx);
        #[cfg(feature = "std")]
        let poll = wakes::poll(listener, &mut this.catch, cx.waker());
        match poll {
            Poll::Ready(()) => {
                *this.listener = None;
                // Nothing of the task is kept once the wait is over.
                #[cfg(feature = "std")]
                wakes::recycle(this.catch.take());
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// Unregisters, passing on a notification received and not consumed.
    pub(crate) fn cancel(self: Pin<&mut Self>, _queue: &WaitQueue) {
        let this = self.get_mut();
        // Dropping an `EventListener` that was notified notifies the next
        // listener in its place (event-listener's documented behaviour), so
        // it may wake a waker.
        let listener = this.listener.take();
        wakes::run(|| drop(listener));
        // After the listener, which held a clone of the wrapper: the task's
        // waker is dropped outside event-listener's lock.
        #[cfg(feature = "std")]
        wakes::recycle(this.catch.take());
    }

    /// Unregisters, dropping a received notification; returns whether there
    /// was one.
    pub(crate) fn withdraw(self: Pin<&mut Self>, _queue: &WaitQueue) -> bool {
        let this = self.get_mut();
        // `discard` passes nothing on, so it wakes nobody.
        let had = this
            .listener
            .take()
            .is_some_and(|listener| listener.discard());
        #[cfg(feature = "std")]
        wakes::recycle(this.catch.take());
        had
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
        // Taking them out leaves `None` behind, which needs no drop. As in
        // `cancel`: a notified listener passes its notification on.
        let listener = self.listener.take();
        wakes::run(|| drop(listener));
        #[cfg(feature = "std")]
        wakes::recycle(self.catch.take());
    }
}

/// Keeping a waker's panic from unwinding through event-listener (see the
/// module docs).
#[cfg(feature = "std")]
mod wakes {
    use alloc::boxed::Box;
    use alloc::sync::Arc;
    use core::any::Any;
    use core::cell::Cell;
    use core::future::Future;
    use core::mem::ManuallyDrop;
    use core::pin::Pin;
    use core::task::{Context, Poll, Waker};
    use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
    use std::sync::{Mutex, MutexGuard, PoisonError};
    use std::task::Wake;

    use event_listener::EventListener;

    type Payload = Box<dyn Any + Send>;

    /// Where the innermost [`run`] on this thread keeps the first panic
    /// caught inside it: a slot on that `run`'s stack.
    type Slot = Cell<Option<Payload>>;

    #[cfg(not(loom))]
    std::thread_local! {
        /// The innermost [`run`]'s [`Slot`], or null outside any. A raw
        /// pointer has no destructor, so the thread-local stays usable while
        /// the thread's other thread-locals are destroyed (a guard dropped
        /// in one of their destructors may release a primitive).
        static SCOPE: Cell<*const Slot> = const { Cell::new(core::ptr::null()) };
    }

    #[cfg(loom)]
    loom::thread_local! {
        /// Loom runs its threads on one OS thread, which would share a `std`
        /// thread-local between them.
        static SCOPE: Cell<*const Slot> = Cell::new(core::ptr::null());
    }

    /// Runs `f`, a call into event-listener that may wake listeners. A
    /// [`CatchWake`] that panics inside it leaves the panic here; it is
    /// re-raised once `f` has returned, so it reaches the caller without
    /// unwinding through event-listener. Calls nest (a waker may release
    /// another primitive): each re-raises what was caught inside it.
    pub(super) fn run<R>(f: impl FnOnce() -> R) -> R {
        let slot: Slot = Cell::new(None);
        let Ok(outer) = SCOPE.try_with(|scope| scope.replace(&slot)) else {
            // This thread's thread-locals are unreachable; nothing can be
            // kept, so a panicking wake unwinds at once (`stash`).
            return f();
        };
        /// Puts the enclosing scope back, also if `f` unwinds (which only a
        /// panic other than a caught wake can make it do), so that `SCOPE`
        /// never points to `slot` once it is gone.
        struct Leave(*const Slot);
        impl Drop for Leave {
            fn drop(&mut self) {
                let _ = SCOPE.try_with(|scope| scope.set(self.0));
            }
        }
        let leave = Leave(outer);
        let result = f();
        drop(leave);
        if let Some(payload) = slot.take() {
            // event-listener has returned: every listener it was asked to
            // notify is notified and counted. Now the waker's panic goes on.
            resume_unwind(payload);
        }
        result
    }

    /// Keeps a waker's panic for the innermost [`run`]. A second one in the
    /// same `run` is dropped (the first goes on). Outside any `run` — no call
    /// into event-listener wakes there, but if one did — it unwinds at once,
    /// as the waker would have unwrapped.
    fn stash(payload: Payload) {
        let scope = SCOPE.try_with(Cell::get).unwrap_or(core::ptr::null());
        if scope.is_null() {
            resume_unwind(payload);
        }
        // SAFETY: a non-null `SCOPE` points to the slot of a `run` on this
        // thread's stack that has not returned or unwound yet (its `Leave`
        // puts the enclosing value back first), and we are inside it, on
        // this thread; only this thread touches the `Cell`.
        let slot = unsafe { &*scope };
        match slot.take() {
            None => slot.set(Some(payload)),
            Some(first) => {
                slot.set(Some(first));
                // The second one's drop is the panicking code's own: keep that
                // from unwinding through event-listener too.
                if let Err(again) = catch_unwind(AssertUnwindSafe(|| drop(payload))) {
                    core::mem::forget(again);
                }
            }
        }
    }

    /// The waker event-listener is given for a task: wakes the task's waker,
    /// and if that panics, catches the panic and leaves it for [`run`].
    ///
    /// The wake takes the task's waker out and consumes it, so that, as
    /// without the wrapper, a woken waiter's waker is released when it is
    /// woken. The mutex is only ever held to move or compare a waker, never
    /// while waker code runs; it cannot be poisoned, as nothing under it can
    /// panic.
    pub(super) struct CatchWake(Mutex<Option<Waker>>);

    impl CatchWake {
        fn task(&self) -> MutexGuard<'_, Option<Waker>> {
            self.0.lock().unwrap_or_else(PoisonError::into_inner)
        }

        fn task_mut(&mut self) -> &mut Option<Waker> {
            self.0.get_mut().unwrap_or_else(PoisonError::into_inner)
        }
    }

    impl Wake for CatchWake {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            let task = self.task().take();
            if let Some(task) = task {
                // AssertUnwindSafe: after a panic nothing the closure touched
                // is used again; only the payload goes on. The waker's drop,
                // part of `wake`, is covered too.
                if let Err(payload) = catch_unwind(AssertUnwindSafe(move || task.wake())) {
                    stash(payload);
                }
            }
        }
    }

    /// Polls `listener` for the task whose waker is `task`, giving
    /// event-listener a wrapper from `slot` (see [`wrapper_for`]).
    pub(super) fn poll(
        listener: &mut EventListener,
        slot: &mut Option<Arc<CatchWake>>,
        task: &Waker,
    ) -> Poll<()> {
        if slot.as_ref().is_some_and(|w| Arc::strong_count(w) == 1) {
            // event-listener holds the wrapper from a poll that returned
            // `Pending` until it wakes it, which it does only when it notifies
            // the listener: having let go, it has notified us, and this poll
            // only takes the notification, storing no waker. So it needs no
            // wrapper: a no-op waker spares refilling one. Were the listener
            // not notified after all, the no-op waker it would then store is
            // replaced at once by the poll below.
            let noop = &mut Context::from_waker(Waker::noop());
            if Pin::new(&mut *listener).poll(noop).is_ready() {
                return Poll::Ready(());
            }
        }
        let replaced = wrapper_for(slot, task);
        let wrapper = slot.as_ref().expect("just filled");
        // SAFETY: the `Arc` made here shares the reference `slot` holds: no
        // count is taken, and `ManuallyDrop` gives none back. `slot` is not
        // touched until `waker` is gone, so the wrapper outlives it; whoever
        // keeps a waker (event-listener) clones it, taking a count of its own.
        // `Arc::as_ptr` is the pointer `Arc::into_raw` would return.
        let waker = ManuallyDrop::new(Waker::from(unsafe { Arc::from_raw(Arc::as_ptr(wrapper)) }));
        let poll = Pin::new(listener).poll(&mut Context::from_waker(&waker));
        // event-listener has swapped in the new wrapper, if there is one, and
        // let go of the old: the task's old waker is dropped here, outside
        // event-listener's lock.
        recycle(replaced);
        poll
    }

    /// Makes `slot` hold the wrapper to give event-listener for the task's
    /// `task`:
    /// - the one there, if it holds a waker that wakes the same task
    ///   (event-listener then keeps the one it has: no waker code);
    /// - the one there, refilled, if nobody else holds it;
    /// - else a new one (see [`wrap`]).
    ///
    /// Returns a replaced wrapper, for [`recycle`] once event-listener has
    /// let go of its clone of it. Any waker code (cloning `task`, dropping an
    /// old one) runs here, outside event-listener's lock.
    fn wrapper_for(slot: &mut Option<Arc<CatchWake>>, task: &Waker) -> Option<Arc<CatchWake>> {
        if let Some(current) = slot {
            // `will_wake` compares pointers only: no waker code.
            let same = |held: &Option<Waker>| held.as_ref().is_some_and(|t| t.will_wake(task));
            if let Some(alone) = Arc::get_mut(current) {
                let held = alone.task_mut();
                if !same(held) {
                    drop(held.replace(task.clone()));
                }
                return None;
            }
            if same(&current.task()) {
                return None;
            }
        }
        slot.replace(wrap(task.clone()))
    }

    /// A wrapper for `task`: this thread's spare, or a new one.
    fn wrap(task: Waker) -> Arc<CatchWake> {
        #[cfg(not(loom))]
        if let Some(mut spare) = SPARE.try_with(Cell::take).ok().flatten() {
            if let Some(empty) = Arc::get_mut(&mut spare) {
                *empty.task_mut() = Some(task);
                return spare;
            }
        }
        Arc::new(CatchWake(Mutex::new(Some(task))))
    }

    /// Done with `wrapper` (its wait is over, or its task's waker changed):
    /// drops the task's waker it holds, if any, and keeps it as this
    /// thread's spare, so that the next wait does not allocate one. Only if
    /// nobody else holds it (event-listener wakes or drops its clone when the
    /// listener is notified or leaves); otherwise it goes when they let go.
    pub(super) fn recycle(wrapper: Option<Arc<CatchWake>>) {
        let Some(mut wrapper) = wrapper else { return };
        let Some(alone) = Arc::get_mut(&mut wrapper) else {
            return;
        };
        let task = alone.task_mut().take();
        // An occupied slot keeps its wrapper, and `wrapper` is freed.
        #[cfg(not(loom))]
        let _ = SPARE.try_with(|spare| {
            let kept = spare.take();
            spare.set(kept.or(Some(wrapper)));
        });
        drop(task);
    }

    #[cfg(not(loom))]
    std::thread_local! {
        /// This thread's spare wrapper, holding no task's waker (see
        /// [`recycle`]).
        static SPARE: Cell<Option<Arc<CatchWake>>> = const { Cell::new(None) };
    }
}

/// Keeping a waker's panic from unwinding through event-listener, without
/// `std` (see the module docs).
#[cfg(not(feature = "std"))]
mod wakes {
    /// Runs `f`, a call into event-listener that may wake listeners, and
    /// aborts the process if a panic unwinds out of it: without `std` it
    /// cannot be caught, and letting it go on would leave event-listener's
    /// count wrong for good. Costs nothing unless something unwinds.
    #[inline]
    pub(super) fn run<R>(f: impl FnOnce() -> R) -> R {
        struct AbortOnUnwind;
        impl Drop for AbortOnUnwind {
            fn drop(&mut self) {
                // Reached only while a panic unwinds out of `f`: a panic in a
                // destructor during unwinding aborts the process.
                panic!(
                    "turnstile-sync: a waker panicked inside event-listener, whose wait list \
                     cannot survive an unwinding wake; without `std` to catch the panic, aborting"
                );
            }
        }
        let bomb = AbortOnUnwind;
        let result = f();
        core::mem::forget(bomb);
        result
    }
}
