//! The `WaitQueue` of every tier: an intrusive FIFO list whose nodes live
//! inside the pinned futures, so a wait never allocates.
//!
//! Each waiting future carries its own list node (a [`Waiter`]); the list
//! holds only the head and tail pointers and the number of notified waiters
//! that have not yet consumed their notification. The list and every node
//! linked into it are touched only under the list's lock ([`RawLock`]:
//! `critical-section` in the bare tier, `std::sync::Mutex` with `std`, a
//! loom mutex under `--cfg loom`). Nothing under the lock runs waker code:
//! wakers are taken out of their nodes inside and woken or dropped after it
//! ends, and new wakers are cloned before it starts.
//!
//! Where the list lives depends on the tier: in the bare tier inline in the
//! primitive; in the `alloc` and `std` tiers in a box made on the queue's
//! first registration (once per primitive, never per wait), so that a
//! primitive's queue is one word (see [`WaitQueue`]).
//!
//! A notified node is unlinked at once and counted in `List::notified`, so the
//! list holds exactly the waiters still waiting, in arrival order.

use core::cell::UnsafeCell;
use core::marker::PhantomPinned;
use core::mem::MaybeUninit;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use super::list::{self, RawLock, WAKE_BATCH};
use crate::shim::const_fn;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    /// Not in the list, no notification held.
    Idle,
    /// Linked into the list, waiting.
    Queued,
    /// Unlinked by a notifier; the notification is not yet consumed.
    /// `additional` records which kind it was (`notify_additional` or
    /// `notify`), so a cancelled waiter passes on the same kind.
    Notified { additional: bool },
}

type Node = list::Node<State>;

pub(crate) struct List {
    /// The waiters still waiting, oldest first; every linked node is
    /// `Queued`.
    queued: list::List<State>,
    /// Nodes in state `Notified`.
    notified: usize,
}

/// The list and its lock.
struct Shared {
    lock: RawLock,
    /// May only be accessed inside `with_list`.
    list: UnsafeCell<List>,
}

impl Shared {
    const_fn! {
        const fn new() -> Self {
            Self {
                lock: RawLock::new(),
                list: UnsafeCell::new(List {
                    queued: list::List::new(),
                    notified: 0,
                }),
            }
        }
    }

    /// Runs `f` on the list under the lock. `f` must not run waker code or
    /// re-enter `with_list` (critical sections nest, so a re-entry would
    /// alias the `&mut List`).
    #[inline]
    fn with_list<R>(&self, f: impl FnOnce(&mut List) -> R) -> R {
        self.lock.with(|| {
            // SAFETY: we hold the lock, which excludes every other
            // `with_list` (they all take it), and `f` does not re-enter; so
            // this is the only reference to the list.
            f(unsafe { &mut *self.list.get() })
        })
    }
}

/// A FIFO queue of waiters (see the module docs of `wait`).
pub(crate) struct WaitQueue {
    /// `alloc` tiers: null until the first waiter registers, then a leaked
    /// `Box<Shared>`, freed in `Drop`; it never changes again. One word for
    /// a primitive never contended, one allocation in the primitive's life
    /// for one that is (the list head: the nodes are in the futures).
    #[cfg(feature = "alloc")]
    shared: crate::shim::AtomicPtr<Shared>,
    #[cfg(not(feature = "alloc"))]
    shared: Shared,
}

// SAFETY: the raw pointers in the list are only followed under its lock,
// which excludes every other access to the list and its nodes; the wakers
// moved in and out of nodes are `Send`; the boxed `Shared` is only reached
// through `&self`.
unsafe impl Send for WaitQueue {}
// SAFETY: as for `Send`: all shared access goes through `with_list`, or is
// atomic.
unsafe impl Sync for WaitQueue {}

impl WaitQueue {
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self {
                #[cfg(feature = "alloc")]
                shared: crate::shim::AtomicPtr::new(core::ptr::null_mut()),
                #[cfg(not(feature = "alloc"))]
                shared: Shared::new(),
            }
        }
    }

    /// The list, if a waiter ever registered (always, in the bare tier).
    /// `None`: nobody was ever queued here, so there is nobody to notify
    /// (and a notify allocates nothing).
    #[inline]
    fn installed(&self) -> Option<&Shared> {
        #[cfg(feature = "alloc")]
        {
            // Acquire: pairs with the installing exchange's Release, so the
            // `Shared` is seen initialised. A notifier that learned of a
            // waiter through the primitive's state word (the protocol in the
            // module docs of `wait`) is ordered after that waiter's
            // registration, hence after the installation: it cannot read
            // null here and miss the waiter.
            let ptr = self.shared.load(crate::shim::Ordering::Acquire);
            // SAFETY: non-null means installed; it lives until `self` is
            // dropped.
            (!ptr.is_null()).then(|| unsafe { &*ptr })
        }
        #[cfg(not(feature = "alloc"))]
        {
            Some(&self.shared)
        }
    }

    /// Runs `f` on the list under its lock (see [`Shared::with_list`]),
    /// making the list first if this is the queue's first registration.
    #[inline]
    fn with_list<R>(&self, f: impl FnOnce(&mut List) -> R) -> R {
        #[cfg(feature = "alloc")]
        let shared = match self.installed() {
            Some(shared) => shared,
            None => self.install(),
        };
        #[cfg(not(feature = "alloc"))]
        let shared = &self.shared;
        shared.with_list(f)
    }

    #[cfg(feature = "alloc")]
    #[cold]
    fn install(&self) -> &Shared {
        use crate::shim::Ordering::{AcqRel, Acquire};
        use alloc::boxed::Box;
        let new = Box::into_raw(Box::new(Shared::new()));
        // AcqRel on success: its Release publishes the new `Shared` (the
        // Acquire half is not needed but costs nothing on this cold path).
        // Acquire on failure: we follow the winner's pointer, so we must see
        // its `Shared` initialised.
        match self
            .shared
            .compare_exchange(core::ptr::null_mut(), new, AcqRel, Acquire)
        {
            // SAFETY: just installed; it lives until `self` is dropped.
            Ok(_) => unsafe { &*new },
            Err(winner) => {
                // SAFETY: `new` came from `Box::into_raw` above and was never
                // shared.
                drop(unsafe { Box::from_raw(new) });
                // SAFETY: installed by another thread; it lives until `self`
                // is dropped.
                unsafe { &*winner }
            }
        }
    }

    /// Makes sure at least `n` waiters are notified, oldest first. Returns
    /// how many this call notified.
    pub(crate) fn notify(&self, n: usize) -> usize {
        notify_from_head(self.installed(), n, false)
    }

    /// Notifies `n` more waiters that were not notified yet, oldest first,
    /// however many are notified already.
    pub(crate) fn notify_additional(&self, n: usize) {
        notify_from_head(self.installed(), n, true);
    }

    /// Whether a waiter was notified and has not yet taken its notification
    /// (in `poll_notified`) or given it up (`withdraw`, `cancel`). A
    /// snapshot, taken under the list's lock.
    pub(crate) fn has_notified(&self) -> bool {
        self.installed()
            .is_some_and(|shared| shared.with_list(|list| list.notified != 0))
    }

}

/// Unlinks waiters from the head and collects their wakers, at most
/// [`WAKE_BATCH`] per critical section, waking each batch after leaving
/// it ([`list::in_rounds`]: if a wake panics, the remaining waiters are
/// still notified and woken before the panic goes on). `additional`:
/// stop after `n` waiters notified by this call; otherwise stop once `n`
/// waiters in all hold a notification. Returns how many waiters this call
/// notified.
fn notify_from_head(shared: Option<&Shared>, n: usize, additional: bool) -> usize {
    let Some(shared) = shared else {
        // Nobody ever registered here: nobody to notify.
        return 0;
    };
    // How many this call may still notify (`notify_additional` only).
    let mut remaining = n;
    let mut notified = 0;
    list::in_rounds(|wakers| {
        shared.with_list(|list| {
            let done = |list: &List, remaining: usize| {
                list.queued.is_empty()
                    || if additional {
                        remaining == 0
                    } else {
                        list.notified >= n
                    }
            };
            for _ in 0..WAKE_BATCH {
                if done(list, remaining) {
                    return false;
                }
                let node = list.queued.head();
                // SAFETY: `node` is the linked head; linked nodes are live
                // (a waiter unlinks itself before its memory goes away).
                unsafe {
                    list.queued.unlink(node);
                    (*node).state = State::Notified { additional };
                    wakers.push((*node).waker.take());
                }
                list.notified += 1;
                notified += 1;
                remaining = remaining.saturating_sub(1);
            }
            !done(list, remaining)
        })
    });
    notified
}

#[cfg(feature = "alloc")]
impl Drop for WaitQueue {
    fn drop(&mut self) {
        // Relaxed: `&mut self` already orders this after every other use.
        let ptr = self.shared.load(crate::shim::Ordering::Relaxed);
        if !ptr.is_null() {
            // SAFETY: installed from `Box::into_raw`; `&mut self` means no
            // waiter borrows the queue any more (each future borrows or owns
            // the primitive), so nothing refers to it.
            drop(unsafe { alloc::boxed::Box::from_raw(ptr) });
        }
    }
}

/// How a [`Waiter`] reaches its queue's list: a [`WaitQueue`] (boxed on its
/// first registration in the `alloc` tiers) or an [`InlineWaitQueue`].
pub(crate) trait Queue {
    /// Runs `f` on the list under its lock, making the list first if need
    /// be.
    fn with_list<R>(&self, f: impl FnOnce(&mut List) -> R) -> R;
    fn notify(&self, n: usize) -> usize;
    fn notify_additional(&self, n: usize);
}

impl Queue for WaitQueue {
    #[inline]
    fn with_list<R>(&self, f: impl FnOnce(&mut List) -> R) -> R {
        WaitQueue::with_list(self, f)
    }
    #[inline]
    fn notify(&self, n: usize) -> usize {
        WaitQueue::notify(self, n)
    }
    #[inline]
    fn notify_additional(&self, n: usize) {
        WaitQueue::notify_additional(self, n)
    }
}

/// A [`WaitQueue`] whose list is always inline, in every tier: for a
/// primitive whose first contended wait may well be its only one (a
/// [`Latch`](crate::Latch) is opened once), where boxing the list on first
/// use would cost an allocation per wait in practice. Larger than a
/// `WaitQueue` in the `alloc` tiers (the list and its lock, not one
/// pointer); the same type in the bare tier.
#[cfg(feature = "alloc")]
pub(crate) struct InlineWaitQueue {
    shared: Shared,
}
#[cfg(not(feature = "alloc"))]
pub(crate) type InlineWaitQueue = WaitQueue;

// SAFETY: as for `WaitQueue`: the list and its nodes are only touched under
// its lock, and the wakers moved in and out of nodes are `Send`.
#[cfg(feature = "alloc")]
unsafe impl Send for InlineWaitQueue {}
// SAFETY: as for `Send`: all shared access goes through `with_list`.
#[cfg(feature = "alloc")]
unsafe impl Sync for InlineWaitQueue {}

#[cfg(feature = "alloc")]
impl InlineWaitQueue {
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self { shared: Shared::new() }
        }
    }

    /// As [`WaitQueue::notify`].
    pub(crate) fn notify(&self, n: usize) -> usize {
        notify_from_head(Some(&self.shared), n, false)
    }
}

#[cfg(feature = "alloc")]
impl Queue for InlineWaitQueue {
    #[inline]
    fn with_list<R>(&self, f: impl FnOnce(&mut List) -> R) -> R {
        self.shared.with_list(f)
    }
    #[inline]
    fn notify(&self, n: usize) -> usize {
        InlineWaitQueue::notify(self, n)
    }
    #[inline]
    fn notify_additional(&self, n: usize) {
        notify_from_head(Some(&self.shared), n, true);
    }
}

/// One waiter's place in a [`WaitQueue`]: the list node, inside the future.
pub(crate) struct Waiter {
    /// Shared with notifiers through raw pointers; only accessed inside the
    /// queue's critical section. Uninitialised until the first `register`,
    /// which writes all of it: a future that never waits never pays for
    /// setting up its node (nor, on firmware, for a `memclr` call). Whenever
    /// the waiter is not registered the node holds no waker, so it never
    /// needs dropping.
    node: UnsafeCell<MaybeUninit<Node>>,
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
        list::unregistered!(Waiter)
    }

    #[inline]
    pub(crate) fn is_registered(&self) -> bool {
        self.registered
    }

    /// The owner's view. `Waiter` is `!Unpin`, so a `&mut Waiter` does not
    /// claim exclusive access to the node that notifiers reach by pointer.
    /// The node is initialised once the waiter has registered (and from then
    /// on): read through the pointer only while `registered`.
    fn parts(self: Pin<&mut Self>) -> (*mut Node, &mut bool) {
        // SAFETY: nothing is moved out of the waiter; the node stays where it
        // is, which is what the pin promises.
        let this = unsafe { self.get_unchecked_mut() };
        (this.node.get().cast::<Node>(), &mut this.registered)
    }

    /// Appends this waiter at the tail of `queue`, to wake `waker` when
    /// notified. The waker is cloned before the list's lock is taken, so a
    /// waiter whose re-check then fails can return `Pending` at once: a
    /// notification from then on wakes this clone, and the next poll's
    /// `poll_notified` (one pass under the lock) finds it in the node.
    pub(crate) fn register(self: Pin<&mut Self>, queue: &impl Queue, waker: &Waker) {
        let (node, registered) = self.parts();
        debug_assert!(!*registered, "waiter registered twice");
        // Waker code, so outside the lock; if it panics, nothing is
        // registered yet.
        let waker = Some(waker.clone());
        // SAFETY: the node is not linked (`registered` is false) and is pinned,
        // so it stays live and in place until `poll_notified`, `cancel` or
        // `withdraw` unregisters it; the future that owns it calls `cancel`
        // in its `Drop`. Inside the critical section.
        // The node is written whole, initialising it (its old contents, if
        // any, hold no waker: nothing is lost by not dropping them).
        queue.with_list(|list| unsafe {
            let mut new = Node::new(State::Queued);
            new.waker = waker;
            node.write(new);
            list.queued.push_back(node);
        });
        *registered = true;
    }

    /// `Ready` (and unregistered) once notified; otherwise stores the waker.
    pub(crate) fn poll_notified(
        self: Pin<&mut Self>,
        queue: &impl Queue,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        let (node, registered) = self.parts();
        assert!(
            *registered,
            "turnstile-sync: polled a waiter that is not registered"
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
                    State::Queued => match node.store_waker(cx.waker(), &mut fresh) {
                        Some(old) => (Some(Poll::Pending), old),
                        None => (None, None),
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
    fn leave(self: Pin<&mut Self>, queue: &impl Queue) -> Option<bool> {
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
                    unsafe { list.queued.unlink(node) };
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
    /// from `notify` makes sure one waiter is notified.
    pub(crate) fn cancel(self: Pin<&mut Self>, queue: &impl Queue) {
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
    pub(crate) fn withdraw(self: Pin<&mut Self>, queue: &impl Queue) -> bool {
        self.leave(queue).is_some()
    }
}

impl Drop for Waiter {
    /// Inline: a waiter that never waited (every uncontended acquire) costs
    /// one predictable branch here, not a call.
    #[inline]
    fn drop(&mut self) {
        // The owning future unregisters in its own `Drop`, before this runs.
        // A registered node being freed would leave a dangling pointer in the
        // list, so this is a hard check, not a debug one.
        assert!(
            !self.registered,
            "turnstile-sync: a registered waiter was dropped without leaving its queue"
        );
    }
}
