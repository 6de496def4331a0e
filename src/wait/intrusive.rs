//! The wait layer of the bare tier: an intrusive FIFO list, no allocator.
//!
//! Each waiting future carries its own list node (a [`Waiter`]); the
//! [`WaitQueue`] holds only the head and tail pointers and the number of
//! notified waiters that have not yet consumed their notification. The list
//! and every node linked into it are touched only inside a critical section
//! (`critical-section`, whose implementation the firmware provides; a loom
//! mutex under `--cfg loom`). Nothing inside the critical section runs waker
//! code: wakers are taken out of their nodes inside and woken or dropped
//! after it ends, and new wakers are cloned before it starts.
//!
//! A notified node is unlinked at once and counted in `List::notified`, so the
//! list holds exactly the waiters still waiting, in arrival order.

use core::cell::UnsafeCell;
use core::marker::PhantomPinned;
use core::pin::Pin;
use core::ptr;
use core::task::{Context, Poll, Waker};

use crate::shim::const_fn;

/// How many wakers one critical section collects before leaving it to wake
/// them: bounds the time spent with interrupts masked without a heap.
const WAKE_BATCH: usize = 8;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    /// Not in the list, no notification held.
    Idle,
    /// Linked into the list, waiting.
    Queued,
    /// Unlinked by a notifier; the notification is not yet consumed.
    /// `additional` records which kind it was (`notify_additional` or
    /// `notify`), so a cancelled waiter passes on the same kind (as
    /// event-listener does).
    Notified { additional: bool },
}

struct Node {
    /// Towards the head. Meaningful only while `state == Queued`.
    prev: *mut Node,
    /// Towards the tail. Meaningful only while `state == Queued`.
    next: *mut Node,
    state: State,
    /// The waker to wake on notification. `None` whenever the node is not
    /// `Queued` (notifiers take it; `cancel` takes it), so nothing ever has to
    /// drop a waker inside the critical section.
    waker: Option<Waker>,
}

struct List {
    head: *mut Node,
    tail: *mut Node,
    /// Nodes in state `Notified`.
    notified: usize,
}

impl List {
    /// # Safety
    /// Inside the critical section; `node` points to a live node that is not
    /// linked, and it stays live until it is unlinked again.
    unsafe fn push_back(&mut self, node: *mut Node) {
        // SAFETY: the caller guarantees `node` is live and ours to link, and
        // the tail (if any) is a live linked node (list invariant).
        unsafe {
            (*node).prev = self.tail;
            (*node).next = ptr::null_mut();
            (*node).state = State::Queued;
            if self.tail.is_null() {
                self.head = node;
            } else {
                (*self.tail).next = node;
            }
        }
        self.tail = node;
    }

    /// # Safety
    /// Inside the critical section; `node` is linked into this list.
    unsafe fn unlink(&mut self, node: *mut Node) {
        // SAFETY: `node` is linked (caller), so it and its neighbours are
        // live nodes of this list (list invariant).
        unsafe {
            let (prev, next) = ((*node).prev, (*node).next);
            if prev.is_null() {
                self.head = next;
            } else {
                (*prev).next = next;
            }
            if next.is_null() {
                self.tail = prev;
            } else {
                (*next).prev = prev;
            }
            (*node).prev = ptr::null_mut();
            (*node).next = ptr::null_mut();
        }
    }
}

/// A FIFO queue of waiters (see the module docs of `wait`).
pub(crate) struct WaitQueue {
    #[cfg(loom)]
    lock: loom::sync::Mutex<()>,
    /// May only be accessed inside `with_list`.
    list: UnsafeCell<List>,
}

// SAFETY: the raw pointers in `list` are only followed inside `with_list`,
// which excludes every other access to the list and its nodes; the wakers
// moved in and out of nodes are `Send`.
unsafe impl Send for WaitQueue {}
// SAFETY: as for `Send`: all shared access goes through `with_list`.
unsafe impl Sync for WaitQueue {}

impl WaitQueue {
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self {
                #[cfg(loom)]
                lock: loom::sync::Mutex::new(()),
                list: UnsafeCell::new(List {
                    head: ptr::null_mut(),
                    tail: ptr::null_mut(),
                    notified: 0,
                }),
            }
        }
    }

    /// Runs `f` on the list inside the critical section. `f` must not run
    /// waker code or re-enter `with_list` (critical sections nest, so a
    /// re-entry would alias the `&mut List`).
    #[inline]
    fn with_list<R>(&self, f: impl FnOnce(&mut List) -> R) -> R {
        #[cfg(not(loom))]
        {
            critical_section::with(|_| {
                // SAFETY: we are inside the critical section, which excludes
                // every other `with_list` (they all take it), and `f` does not
                // re-enter; so this is the only reference to the list.
                f(unsafe { &mut *self.list.get() })
            })
        }
        #[cfg(loom)]
        {
            let _guard = self.lock.lock().unwrap();
            // SAFETY: as above, with loom's mutex as the critical section.
            f(unsafe { &mut *self.list.get() })
        }
    }

    /// Makes sure at least `n` waiters are notified, oldest first. Returns
    /// how many this call notified.
    pub(crate) fn notify(&self, n: usize) -> usize {
        self.notify_from_head(n, false)
    }

    /// Notifies `n` more waiters that were not notified yet, oldest first,
    /// however many are notified already.
    pub(crate) fn notify_additional(&self, n: usize) {
        self.notify_from_head(n, true);
    }

    /// Unlinks waiters from the head and collects their wakers, at most
    /// [`WAKE_BATCH`] per critical section, waking each batch after leaving
    /// it. `additional`: stop after `n` waiters notified by this call;
    /// otherwise stop once `n` waiters in all hold a notification. Returns
    /// how many waiters this call notified.
    fn notify_from_head(&self, n: usize, additional: bool) -> usize {
        // How many this call may still notify (`notify_additional` only).
        let mut remaining = n;
        let mut notified = 0;
        loop {
            let mut wakers: [Option<Waker>; WAKE_BATCH] = [const { None }; WAKE_BATCH];
            let more = self.with_list(|list| {
                let done = |list: &List, remaining: usize| {
                    list.head.is_null()
                        || if additional {
                            remaining == 0
                        } else {
                            list.notified >= n
                        }
                };
                for slot in wakers.iter_mut() {
                    if done(list, remaining) {
                        return false;
                    }
                    let node = list.head;
                    // SAFETY: `node` is the linked head; linked nodes are live
                    // (a waiter unlinks itself before its memory goes away).
                    unsafe {
                        list.unlink(node);
                        (*node).state = State::Notified { additional };
                        *slot = (*node).waker.take();
                    }
                    list.notified += 1;
                    notified += 1;
                    remaining = remaining.saturating_sub(1);
                }
                !done(list, remaining)
            });
            // Outside the critical section: waker code may do anything,
            // including calling back into this queue.
            for waker in wakers.into_iter().flatten() {
                waker.wake();
            }
            if !more {
                return notified;
            }
        }
    }
}

/// One waiter's place in a [`WaitQueue`]: the list node, inside the future.
pub(crate) struct Waiter {
    /// Shared with notifiers through raw pointers; only accessed inside the
    /// queue's critical section.
    node: UnsafeCell<Node>,
    /// Whether the node is `Queued` or `Notified`. Only the owner reads or
    /// writes it, so it needs no critical section.
    registered: bool,
    /// The node's address is in the list while registered.
    _pinned: PhantomPinned,
}

// SAFETY: the node's pointers are only followed inside the queue's critical
// section; the waker it holds is `Send`. Moving the (unregistered, or pinned
// and so not actually moved) waiter to another thread is therefore fine.
unsafe impl Send for Waiter {}
// SAFETY: `&Waiter` exposes only `is_registered`, which reads the owner-only
// `registered` flag; the node is never accessed through `&Waiter`.
unsafe impl Sync for Waiter {}

impl Waiter {
    pub(crate) const fn new() -> Self {
        Self {
            node: UnsafeCell::new(Node {
                prev: ptr::null_mut(),
                next: ptr::null_mut(),
                state: State::Idle,
                waker: None,
            }),
            registered: false,
            _pinned: PhantomPinned,
        }
    }

    #[inline]
    pub(crate) fn is_registered(&self) -> bool {
        self.registered
    }

    /// The owner's view. `Waiter` is `!Unpin`, so a `&mut Waiter` does not
    /// claim exclusive access to the node that notifiers reach by pointer.
    fn parts(self: Pin<&mut Self>) -> (*mut Node, &mut bool) {
        // SAFETY: nothing is moved out of the waiter; the node stays where it
        // is, which is what the pin promises.
        let this = unsafe { self.get_unchecked_mut() };
        (this.node.get(), &mut this.registered)
    }

    /// Appends this waiter at the tail of `queue`.
    pub(crate) fn register(self: Pin<&mut Self>, queue: &WaitQueue) {
        let (node, registered) = self.parts();
        debug_assert!(!*registered, "waiter registered twice");
        // SAFETY: the node is not linked (`registered` is false) and is pinned,
        // so it stays live and in place until `poll_notified`, `cancel` or
        // `withdraw` unregisters it; the future that owns it calls `cancel`
        // in its `Drop`. Inside the critical section.
        queue.with_list(|list| unsafe { list.push_back(node) });
        *registered = true;
    }

    /// `Ready` (and unregistered) once notified; otherwise stores the waker.
    pub(crate) fn poll_notified(
        self: Pin<&mut Self>,
        queue: &WaitQueue,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        let (node, registered) = self.parts();
        assert!(
            *registered,
            "turnstile: polled a waiter that is not registered"
        );
        let mut fresh: Option<Waker> = None;
        loop {
            // `Some(poll)`: done; `None`: a new waker must be cloned first.
            let (outcome, old) = queue.with_list(|list| {
                // SAFETY: the node is registered, so it is live; inside the
                // critical section nobody else touches it.
                let node = unsafe { &mut *node };
                match node.state {
                    State::Notified { .. } => {
                        node.state = State::Idle;
                        list.notified -= 1;
                        (Some(Poll::Ready(())), None)
                    }
                    State::Queued => match &node.waker {
                        // `will_wake` only compares pointers: no waker code.
                        Some(w) if w.will_wake(cx.waker()) => (Some(Poll::Pending), None),
                        _ => match fresh.take() {
                            Some(new) => (Some(Poll::Pending), node.waker.replace(new)),
                            None => (None, None),
                        },
                    },
                    State::Idle => unreachable!("registered waiter in state Idle"),
                }
            });
            drop(old);
            match outcome {
                Some(Poll::Ready(())) => {
                    *registered = false;
                    return Poll::Ready(());
                }
                Some(Poll::Pending) => return Poll::Pending,
                None => fresh = Some(cx.waker().clone()),
            }
        }
    }

    /// Unregisters. Returns the notification held, if any (`Some(additional)`,
    /// its kind), and drops the waker outside the critical section.
    fn leave(self: Pin<&mut Self>, queue: &WaitQueue) -> Option<bool> {
        let (node, registered) = self.parts();
        if !*registered {
            return None;
        }
        let (notified, waker) = queue.with_list(|list| {
            // SAFETY: registered, so live; inside the critical section.
            let state = unsafe { (*node).state };
            match state {
                State::Queued => {
                    // SAFETY: linked (Queued), inside the critical section.
                    unsafe { list.unlink(node) };
                    // SAFETY: as above.
                    let waker = unsafe {
                        (*node).state = State::Idle;
                        (*node).waker.take()
                    };
                    (None, waker)
                }
                State::Notified { additional } => {
                    // SAFETY: as above; a notified node holds no waker.
                    unsafe { (*node).state = State::Idle };
                    list.notified -= 1;
                    (Some(additional), None)
                }
                State::Idle => unreachable!("registered waiter in state Idle"),
            }
        });
        *registered = false;
        drop(waker);
        notified
    }

    /// Unregisters, passing on a notification received and not consumed, of
    /// the same kind: one from `notify_additional` wakes one more waiter, one
    /// from `notify` makes sure one waiter is notified (event-listener's rule).
    pub(crate) fn cancel(self: Pin<&mut Self>, queue: &WaitQueue) {
        match self.leave(queue) {
            Some(true) => queue.notify_additional(1),
            Some(false) => {
                queue.notify(1);
            }
            None => {}
        }
    }

    /// Unregisters, dropping a received notification; returns whether there
    /// was one.
    pub(crate) fn withdraw(self: Pin<&mut Self>, queue: &WaitQueue) -> bool {
        self.leave(queue).is_some()
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        // The owning future unregisters in its own `Drop`, before this runs.
        // A registered node being freed would leave a dangling pointer in the
        // list, so this is a hard check, not a debug one.
        assert!(
            !self.registered,
            "turnstile: a registered waiter was dropped without leaving its queue"
        );
    }
}
