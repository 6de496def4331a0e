//! The intrusive doubly linked FIFO list both wait queues are made of
//! ([`intrusive`](super::intrusive) for `WaitQueue`, [`data`](super::data)
//! for waiters that carry data), in every tier, and the lock that guards
//! such a list.
//!
//! The list only links and unlinks; what a node's `state` means is up to the
//! queue that uses it. Every method is `unsafe` because the list holds raw
//! pointers to nodes that live elsewhere (in pinned futures): the caller
//! holds the list's lock and guarantees that every linked node is live.

use core::mem::MaybeUninit;
use core::ptr;
use core::task::Waker;

/// An unregistered waiter of type `$waiter`, a struct whose fields are
/// exactly `node: UnsafeCell<MaybeUninit<_>>`, `registered: bool` and
/// `_pinned: PhantomPinned` (a field added to it stops this from compiling),
/// built with only `registered` written (`false`).
///
/// Not a struct literal, because with one the compiler writes the
/// uninitialised node as zeros: three 16-byte stores in the Mutex's
/// `lock()`, on every fast path, which the fast path's locked instruction
/// then waits for. A future that never waits never needs its node.
macro_rules! unregistered {
    ($waiter:ident) => {{
        // The field list the SAFETY argument below relies on.
        #[allow(dead_code)]
        fn fields(waiter: &$waiter) {
            let $waiter {
                node: _,
                registered: _,
                _pinned: _,
            } = waiter;
        }
        let mut waiter = core::mem::MaybeUninit::<$waiter>::uninit();
        // SAFETY: `registered` is the one field that must hold a value: the
        // node is a `MaybeUninit`, so it may be uninitialised, and
        // `PhantomPinned` has no bytes. `fields` above checks that there is
        // no other field.
        unsafe {
            (&raw mut (*waiter.as_mut_ptr()).registered).write(false);
            waiter.assume_init()
        }
    }};
}
pub(super) use unregistered;

/// How many wakers one critical section collects before leaving it to wake
/// them: bounds the time spent with interrupts masked, without a heap.
pub(super) const WAKE_BATCH: usize = 8;

/// Wakers collected under a list's lock, to be woken after it is released.
/// Holds at most [`WAKE_BATCH`]; unused slots cost nothing to set up or drop.
pub(super) struct WakeBatch {
    /// `wakers[next..len]` are initialised and not yet woken.
    wakers: [MaybeUninit<Waker>; WAKE_BATCH],
    next: usize,
    len: usize,
}

impl WakeBatch {
    pub(super) const fn new() -> Self {
        Self {
            wakers: [const { MaybeUninit::uninit() }; WAKE_BATCH],
            next: 0,
            len: 0,
        }
    }

    /// Adds `waker`, if any, to the batch.
    ///
    /// # Panics
    /// If the batch is full (the callers stop at [`WAKE_BATCH`] waiters).
    #[inline]
    pub(super) fn push(&mut self, waker: Option<Waker>) {
        if let Some(waker) = waker {
            assert!(self.len < WAKE_BATCH, "turnstile-sync: wake batch overflow");
            self.wakers[self.len].write(waker);
            self.len += 1;
        }
    }

    /// Wakes every waker in the batch, in the order they were added. Call it
    /// after the lock is released. If a `wake` panics, `Drop` wakes the rest
    /// as the panic unwinds: their waiters were already taken off the list,
    /// so a lost wake would strand them. (A second `wake` that panics during
    /// that unwinding aborts the process, as any panic in a destructor during
    /// unwinding does.)
    #[inline]
    pub(super) fn wake_all(&mut self) {
        while self.next < self.len {
            // SAFETY: `next < len <= WAKE_BATCH` (`push` is the only writer
            // of `len`), so the slot is in bounds, initialised and not yet
            // taken; advancing `next` first means it is never read twice,
            // even if `wake` panics.
            let waker = unsafe { self.wakers.get_unchecked(self.next).assume_init_read() };
            self.next += 1;
            waker.wake();
        }
    }
}

impl Drop for WakeBatch {
    #[inline]
    fn drop(&mut self) {
        // Nothing left, unless a `wake` in `wake_all` panicked or the batch
        // was never woken (a panic between collecting and waking).
        if self.next < self.len {
            self.wake_all();
        }
    }
}

/// Runs `round` until it returns `false`, waking after each call the wakers
/// it collected in the batch it was given. A round takes the list's lock,
/// takes at most [`WAKE_BATCH`] waiters off the list collecting their wakers,
/// releases the lock, and says whether waiters it should serve are left: so
/// no critical section grows with the number of waiters, and no waker code
/// runs inside one.
///
/// If a `wake` panics, the rounds still to come run anyway, and their wakers
/// are woken, while the panic unwinds; then it goes on to the caller. So a
/// waiter that the whole operation would have served is served even if a
/// waker before it panicked (the rest of that waker's batch is woken by the
/// batch's own `Drop`). Both intrusive queues serve their waiters through
/// this one loop (the data queue makes its first critical section inline,
/// and comes here for the rest: `DataQueue::with_rounds`).
///
/// The loop is not generic: `round` is called through `dyn`, so every queue
/// operation shares one copy of it (firmware flash), at the cost of an
/// indirect call per round on paths that wake someone anyway.
#[inline]
pub(super) fn in_rounds(mut round: impl FnMut(&mut WakeBatch) -> bool) {
    run_rounds(&mut round);
}

/// A closure called through `dyn` by a loop that is not generic
/// ([`in_rounds`], `DataQueue::rounds`): `dyn Round<A>` rather than
/// `dyn FnMut(&mut A) -> bool`, whose vtable would also link a by-value
/// `call_once` copy of every such closure's body (firmware flash).
pub(super) trait Round<A: ?Sized> {
    fn round(&mut self, arg: &mut A) -> bool;
}

impl<A: ?Sized, F: FnMut(&mut A) -> bool> Round<A> for F {
    #[inline]
    fn round(&mut self, arg: &mut A) -> bool {
        self(arg)
    }
}

fn run_rounds(round: &mut dyn Round<WakeBatch>) {
    struct Rounds<'a> {
        round: &'a mut dyn Round<WakeBatch>,
        /// Whether another round is due.
        more: bool,
    }

    impl Rounds<'_> {
        fn run(&mut self) {
            while self.more {
                let mut wakers = WakeBatch::new();
                // Cleared first, so that a round that itself panics (a bug:
                // rounds only move pointers) is not run again while unwinding.
                self.more = false;
                self.more = self.round.round(&mut wakers);
                wakers.wake_all();
                // All woken: its `Drop`, for unwinding only, would find
                // nothing to do.
                core::mem::forget(wakers);
            }
        }
    }

    impl Drop for Rounds<'_> {
        fn drop(&mut self) {
            // Only while unwinding (a normal return forgets the guard): a
            // wake unwound out of `run`, and this finishes the rounds.
            self.run();
        }
    }

    let mut rounds = Rounds { round, more: true };
    rounds.run();
    // Done: its `Drop`, for unwinding only, would find nothing to do.
    core::mem::forget(rounds);
}

/// One waiter's list node. `S` is the queue's per-node state.
pub(super) struct Node<S> {
    /// Towards the head. Meaningful only while linked.
    prev: *mut Node<S>,
    /// Towards the tail. Meaningful only while linked.
    next: *mut Node<S>,
    /// The waker to wake when the node is taken off the list. Queues keep it
    /// `None` whenever the node is not linked, so that nothing ever has to
    /// drop a waker while holding the lock.
    pub(super) waker: Option<Waker>,
    pub(super) state: S,
}

impl<S> Node<S> {
    pub(super) const fn new(state: S) -> Self {
        Self {
            prev: ptr::null_mut(),
            next: ptr::null_mut(),
            waker: None,
            state,
        }
    }
}

impl<S> Node<S> {
    /// For a queued node, under the lock: makes sure the node will wake
    /// `waker`. `Some(old)` when done, with a replaced waker to drop after the
    /// lock is released (if any); `None` when a clone of `waker` is needed
    /// first: make it outside the lock (cloning runs waker code) and pass it
    /// in `fresh` next time.
    pub(super) fn store_waker(
        &mut self,
        waker: &Waker,
        fresh: &mut Option<Waker>,
    ) -> Option<Option<Waker>> {
        match &self.waker {
            // `will_wake` only compares pointers: no waker code.
            Some(current) if current.will_wake(waker) => Some(None),
            _ => fresh.take().map(|new| self.waker.replace(new)),
        }
    }
}

/// The head and tail of a FIFO list of [`Node`]s.
pub(super) struct List<S> {
    head: *mut Node<S>,
    tail: *mut Node<S>,
}

impl<S> List<S> {
    pub(super) const fn new() -> Self {
        Self {
            head: ptr::null_mut(),
            tail: ptr::null_mut(),
        }
    }

    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.head.is_null()
    }

    /// The oldest node, or null.
    #[inline]
    pub(super) fn head(&self) -> *mut Node<S> {
        self.head
    }

    /// Links `node` at the tail.
    ///
    /// # Safety
    /// - the list's lock is held;
    /// - `node` points to a live node that is not linked, and it stays live
    ///   and in place until it is unlinked again.
    pub(super) unsafe fn push_back(&mut self, node: *mut Node<S>) {
        // SAFETY:
        // - `node` is live and not linked (caller), so we may write its links;
        // - the tail, if any, is a live linked node (list invariant: linked
        //   nodes stay live until unlinked).
        unsafe {
            (*node).prev = self.tail;
            (*node).next = ptr::null_mut();
            if self.tail.is_null() {
                self.head = node;
            } else {
                (*self.tail).next = node;
            }
        }
        self.tail = node;
    }

    /// Unlinks `node`, wherever it is in the list.
    ///
    /// # Safety
    /// - the list's lock is held;
    /// - `node` is linked into this list.
    pub(super) unsafe fn unlink(&mut self, node: *mut Node<S>) {
        // SAFETY: `node` is linked (caller), so it and its neighbours are live
        // nodes of this list (list invariant).
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

/// The lock that guards an intrusive list. What it is depends on the tier:
///
/// | build                              | lock                                  |
/// |------------------------------------|---------------------------------------|
/// | `--cfg loom`                       | a loom mutex (so models see it)       |
/// | `std`                              | `std::sync::Mutex<()>`                |
/// | no `std`, `critical-section`       | a critical section                    |
/// | `alloc` only                       | a spin lock on one atomic flag        |
///
/// The bare tier always has `critical-section` (the crate refuses to build
/// with neither `alloc` nor it), so firmware, where an interrupt handler may
/// release a primitive, always gets the critical section: a spin lock or a
/// mutex taken by an interrupt that preempted its holder would never be
/// released. The spin lock is only for `alloc` builds without
/// `critical-section`, which have nothing better. Every critical section is
/// short and bounded: a few pointer updates, and at most a small fixed batch
/// of nodes; no waker code ever runs inside.
pub(super) struct RawLock {
    #[cfg(loom)]
    lock: loom::sync::Mutex<()>,
    #[cfg(all(not(loom), feature = "std"))]
    lock: std::sync::Mutex<()>,
    #[cfg(all(not(loom), not(feature = "std"), not(feature = "critical-section")))]
    locked: crate::shim::AtomicBool,
}

impl RawLock {
    crate::shim::const_fn! {
        pub(super) const fn new() -> Self {
            Self {
                #[cfg(loom)]
                lock: loom::sync::Mutex::new(()),
                #[cfg(all(not(loom), feature = "std"))]
                lock: std::sync::Mutex::new(()),
                #[cfg(all(not(loom), not(feature = "std"), not(feature = "critical-section")))]
                locked: crate::shim::AtomicBool::new(false),
            }
        }
    }

    /// Runs `f` holding the lock. `f` must not take the same lock again.
    #[inline]
    pub(super) fn with<R>(&self, f: impl FnOnce() -> R) -> R {
        #[cfg(any(loom, feature = "std"))]
        {
            // No code that can panic runs under this lock (pointer updates
            // only), so poisoning cannot happen; recover the guard anyway
            // rather than add a panic path.
            let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
            f()
        }
        #[cfg(all(not(loom), not(feature = "std"), feature = "critical-section"))]
        {
            critical_section::with(|_| f())
        }
        #[cfg(all(not(loom), not(feature = "std"), not(feature = "critical-section")))]
        {
            use crate::shim::Ordering::{Acquire, Relaxed, Release};
            // Acquire on success: pairs with the Release below, so this holder
            // sees every write the previous holder made to the list.
            while self
                .locked
                .compare_exchange_weak(false, true, Acquire, Relaxed)
                .is_err()
            {
                core::hint::spin_loop();
            }
            struct Unlock<'a>(&'a crate::shim::AtomicBool);
            impl Drop for Unlock<'_> {
                fn drop(&mut self) {
                    // Release: publishes this holder's list writes to the next.
                    self.0.store(false, Release);
                }
            }
            let _unlock = Unlock(&self.locked);
            f()
        }
    }
}
