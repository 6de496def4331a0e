//! A wait queue whose waiters carry a word of data, in every tier.
//!
//! A plain wait queue ([`super::WaitQueue`]) can only append a waiter and
//! notify the oldest ones; a notifier cannot see what a waiter waits *for*.
//! A semaphore needs exactly that: its head waiter may need more permits than are free, and then the
//! permits that are free must be kept for it, not handed to a newcomer. So
//! this queue lets its user, holding the queue's lock ([`DataQueue::with`]),
//! read and change the head waiter's data (for the semaphore: the permits it
//! still needs) and take waiters off the head with an outcome of its choosing
//! (granted, closed). The barrier uses it too: each waiter's word is the
//! generation it arrived in, and being finished is what tells a waiter (or
//! its dropped future) that its generation was released.
//!
//! It is one intrusive FIFO list ([`super::list`]) in every tier, and a
//! waiter's node lives inside its future in every tier, so a wait never
//! allocates. What differs is where the list and its lock live:
//!
//! | tier             | list and lock                                      |
//! |------------------|----------------------------------------------------|
//! | `std`, `alloc`   | boxed on first contention (one word until then)    |
//! | bare             | inline in the primitive                            |
//!
//! The box keeps the primitive small (a `Semaphore` is two words in the
//! `std` tier); it is made once in the primitive's life, on its first
//! contended wait, and costs nothing on the fast paths, which never touch
//! the queue; the bare tier never allocates. Until the list is boxed,
//! the queue's one word holds a *spare word* for its user instead
//! ([`DataQueue::update_word`]; the semaphore keeps its permit total there),
//! and the box carries it over.
//!
//! A waiter that has been finished learns it from an atomic flag in its node
//! without taking the lock (see `Entry::finished`).
//!
//! As in the bare tier's `WaitQueue`, no waker code runs under the lock:
//! wakers of finished waiters are collected (at most [`WAKE_BATCH`] per
//! critical section) and woken after it, a replaced waker is dropped after
//! it, and a new one is cloned before it. A waker that panics does not stop
//! the critical sections still due ([`DataQueue::with_rounds`]).

use core::cell::UnsafeCell;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use super::list::{self, RawLock, Round, WakeBatch, WAKE_BATCH};
use crate::shim::{const_fn, AtomicBool, AtomicUsize, Ordering::*};

/// A waiter's state, in its node.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Slot {
    /// Not in the list, nothing to report.
    Idle,
    /// Linked into the list, waiting.
    Queued,
    /// Taken off the list by [`Locked::finish_head`] with this outcome; the
    /// owner has not yet seen it.
    Done(u8),
}

struct Entry {
    /// The user's word (the semaphore: permits still needed).
    data: usize,
    slot: Slot,
    /// Set (Release) by [`Locked::finish_head`] after it has unlinked the
    /// node, written `slot` and taken the waker, all under the lock; from
    /// then on only the owner touches the node. So an owner that reads it set
    /// (Acquire) may read `slot` and `data` and reset the node without the
    /// lock: a finished waiter's poll takes no lock. Reset by the owner.
    finished: AtomicBool,
}

type Node = list::Node<Entry>;

/// The list, its lock, and the user's spare word.
struct Shared {
    lock: RawLock,
    /// May only be accessed while `lock` is held.
    list: UnsafeCell<list::List<Entry>>,
    /// See [`DataQueue::update_word`].
    word: AtomicUsize,
}

impl Shared {
    const_fn! {
        const fn new(word: usize) -> Self {
            Self {
                lock: RawLock::new(),
                list: UnsafeCell::new(list::List::new()),
                word: AtomicUsize::new(word),
            }
        }
    }
}

/// A FIFO queue of waiters that each carry a `usize`, plus one spare word
/// for its user (the semaphore keeps its total permit count there), so that
/// a primitive built on it needs no word of its own for rarely changed
/// state.
pub(crate) struct DataQueue {
    /// Until the first waiter arrives, the spare word itself, tagged:
    /// `(word << 1) | 1` as a pointer without provenance, never followed.
    /// From then on a leaked `Box<Shared>` (aligned, so its low bit is 0)
    /// that holds the word, freed in `Drop`; it never changes again.
    #[cfg(feature = "alloc")]
    shared: crate::shim::AtomicPtr<Shared>,
    #[cfg(not(feature = "alloc"))]
    shared: Shared,
}

// SAFETY: the raw node pointers in the list are only followed while holding
// the lock, which excludes every other access to the list and its nodes; the
// wakers moved in and out of nodes are `Send`; `Shared` is only reached
// through `&self`.
unsafe impl Send for DataQueue {}
// SAFETY: as for `Send`: every shared access goes through `with`, or is
// atomic.
unsafe impl Sync for DataQueue {}

/// The spare word as it sits in `DataQueue::shared` before installation.
#[cfg(feature = "alloc")]
const fn tagged(word: usize) -> *mut Shared {
    core::ptr::without_provenance_mut((word << 1) | 1)
}

#[cfg(feature = "alloc")]
#[inline]
fn is_tagged(ptr: *mut Shared) -> bool {
    ptr.addr() & 1 != 0
}

impl DataQueue {
    /// The largest value the spare word can hold.
    pub(crate) const MAX_WORD: usize = usize::MAX >> 1;

    const_fn! {
        /// An empty queue whose spare word is `word` (at most
        /// [`MAX_WORD`](Self::MAX_WORD)).
        pub(crate) const fn new(word: usize) -> Self {
            assert!(word <= Self::MAX_WORD, "turnstile-sync: spare word too large");
            Self {
                #[cfg(feature = "alloc")]
                shared: crate::shim::AtomicPtr::new(tagged(word)),
                #[cfg(not(feature = "alloc"))]
                shared: Shared::new(word),
            }
        }
    }

    /// Atomically replaces the spare word `w` with `f(w)` unless that is
    /// `None` (`f` may run more than once). Returns the old value, or `Err`
    /// with the current one if `f` said `None`. Never allocates. `f(w)` must
    /// be at most [`MAX_WORD`](Self::MAX_WORD).
    ///
    /// The word is a plain counter: its updates order nothing else
    /// (Relaxed), only each other, as every update is one read-modify-write.
    pub(crate) fn update_word(
        &self,
        mut f: impl FnMut(usize) -> Option<usize>,
    ) -> Result<usize, usize> {
        #[cfg(not(feature = "alloc"))]
        {
            self.shared.word.fetch_update(Relaxed, Relaxed, &mut f)
        }
        #[cfg(feature = "alloc")]
        {
            // Acquire: if this is the installed pointer, pairs with the
            // installing exchange so the `Shared` is seen initialised.
            let mut ptr = self.shared.load(Acquire);
            loop {
                if !is_tagged(ptr) {
                    // SAFETY: untagged means installed; it lives until
                    // `self` is dropped.
                    let shared = unsafe { &*ptr };
                    return shared.word.fetch_update(Relaxed, Relaxed, f);
                }
                let word = ptr.addr() >> 1;
                let Some(new) = f(word) else {
                    return Err(word);
                };
                debug_assert!(new <= Self::MAX_WORD);
                // Relaxed on success: a counter (above). Acquire on failure:
                // we may have lost to the installation and follow its
                // pointer next.
                match self
                    .shared
                    .compare_exchange_weak(ptr, tagged(new), Relaxed, Acquire)
                {
                    Ok(_) => return Ok(word),
                    Err(now) => ptr = now,
                }
            }
        }
    }

    /// The spare word, read inside this queue's lock (`_locked`, from this
    /// queue's [`with`](Self::with) or [`with_rounds`](Self::with_rounds),
    /// says it is held). With [`set_word`](Self::set_word), for a user whose every
    /// change of the word is made under the lock: then plain loads and
    /// stores do (Relaxed, as in `update_word`; the lock orders them).
    #[inline]
    pub(crate) fn word(&self, _locked: &mut Locked<'_>) -> usize {
        // Under the lock the list is installed (`with_rounds` installed it
        // before taking the lock), so this is its word.
        self.shared().word.load(Relaxed)
    }

    /// Sets the spare word to `word` (at most [`MAX_WORD`](Self::MAX_WORD))
    /// inside the queue's lock: see [`word`](Self::word).
    #[inline]
    pub(crate) fn set_word(&self, _locked: &mut Locked<'_>, word: usize) {
        debug_assert!(word <= Self::MAX_WORD);
        // Installed, as in `word`.
        self.shared().word.store(word, Relaxed);
    }

    #[cfg(not(feature = "alloc"))]
    #[inline]
    fn shared(&self) -> &Shared {
        &self.shared
    }

    #[cfg(feature = "alloc")]
    #[inline]
    fn shared(&self) -> &Shared {
        // Acquire: pairs with the AcqRel of the installing compare-exchange,
        // so the `Shared` it points to is seen initialised.
        let ptr = self.shared.load(Acquire);
        if is_tagged(ptr) {
            return self.install();
        }
        // SAFETY: untagged means installed; it lives until `self` is dropped.
        unsafe { &*ptr }
    }

    #[cfg(feature = "alloc")]
    #[cold]
    fn install(&self) -> &Shared {
        use alloc::boxed::Box;
        let new = Box::into_raw(Box::new(Shared::new(0)));
        // Acquire: as in `shared`.
        let mut ptr = self.shared.load(Acquire);
        loop {
            if !is_tagged(ptr) {
                // Another thread installed one first.
                // SAFETY: `new` came from `Box::into_raw` above and was never
                // shared.
                drop(unsafe { Box::from_raw(new) });
                // SAFETY: installed; it lives until `self` is dropped.
                return unsafe { &*ptr };
            }
            // Carry the spare word over. Relaxed: `new` is not shared yet;
            // the exchange below publishes it.
            // SAFETY: `new` is live and ours alone until published.
            unsafe { (*new).word.store(ptr.addr() >> 1, Relaxed) };
            // AcqRel on success: publishes the new `Shared`, and orders us
            // after the update that wrote the word we carried over. Acquire
            // on failure: we may follow another thread's pointer next.
            match self.shared.compare_exchange(ptr, new, AcqRel, Acquire) {
                // SAFETY: just installed; it lives until `self` is dropped.
                Ok(_) => return unsafe { &*new },
                // The word changed (or someone installed): look again.
                Err(now) => ptr = now,
            }
        }
    }

    /// Runs `f` holding the queue's lock, then wakes the waiters `f` finished.
    /// `f` must not call back into this queue.
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Locked<'_>) -> R) -> R {
        self.with_rounds(|locked| (f(locked), false), |_| false)
    }

    /// Runs `first` holding the queue's lock; then, as long as the last
    /// critical section said there is more to do (its `bool`: it stopped
    /// because [`Locked::has_room`] said no), runs `then` in a new one. The
    /// waiters finished in each critical section are woken after it is left.
    /// Returns `first`'s result.
    ///
    /// If a `wake` panics, the critical sections still due run anyway (and
    /// their waiters are woken) while the panic unwinds, and then it goes on
    /// to the caller: so a waiter that this call would have served is not
    /// left queued because a waker before it panicked (see
    /// [`list::in_rounds`]). Neither closure may call back into this queue.
    ///
    /// The first critical section is made here, inline, with `first` called
    /// directly: it is the only one on every path that queues, parks or
    /// serves a waiter, since one wake batch is rarely full. Only the rounds
    /// after it go through the shared loop ([`rounds`](Self::rounds)), with
    /// `then` called through `dyn`. (The first critical section went through
    /// that loop too, until a queued-and-served semaphore acquire was found
    /// to execute a fifth more instructions for it, and firmware to link an
    /// adapter closure per call site.)
    #[inline(always)]
    pub(crate) fn with_rounds<R>(
        &self,
        first: impl FnOnce(&mut Locked<'_>) -> (R, bool),
        mut then: impl FnMut(&mut Locked<'_>) -> bool,
    ) -> R {
        let mut wakers = WakeBatch::new();
        let (result, more) = self.shared().locked(&mut wakers, first);
        if !more {
            // If a `wake` panics, the batch's `Drop` wakes the rest as the
            // panic unwinds; no round is due.
            wakers.wake_all();
            core::mem::forget(wakers);
            return result;
        }
        /// Runs the rounds still due when dropped: after the first batch is
        /// woken, or while a panicking `wake` of it unwinds.
        struct Then<'q, 't, T: FnMut(&mut Locked<'_>) -> bool> {
            queue: &'q DataQueue,
            then: &'t mut T,
        }
        impl<T: FnMut(&mut Locked<'_>) -> bool> Drop for Then<'_, '_, T> {
            fn drop(&mut self) {
                self.queue.rounds(&mut as_round(&mut *self.then));
            }
        }
        let then = Then {
            queue: self,
            then: &mut then,
        };
        wakers.wake_all();
        core::mem::forget(wakers);
        drop(then);
        result
    }

    /// The rounds of [`with_rounds`](Self::with_rounds) after the first:
    /// runs `round` in critical sections as long as it says there is more to
    /// do, waking what each one finished after it. Not generic, and `round`
    /// is called through `dyn`, so every queue operation shares one copy of
    /// this loop (firmware flash); it only runs when a wake batch was full.
    #[inline(never)]
    fn rounds(&self, round: &mut dyn for<'a> Round<Locked<'a>>) {
        let shared = self.shared();
        // The batch lives in `in_rounds`, so the critical section only fills
        // it and nothing is moved out of it.
        list::in_rounds(|wakers| shared.locked(wakers, |locked| round.round(locked)));
    }
}

impl Shared {
    /// Runs `f` holding the lock, on the list, with `wakers` to collect the
    /// wakers of the waiters it finishes.
    #[inline(always)]
    fn locked<R>(&self, wakers: &mut WakeBatch, f: impl FnOnce(&mut Locked<'_>) -> R) -> R {
        self.lock.with(|| {
            f(&mut Locked {
                // SAFETY: we hold the lock, which every access to the list
                // takes, and the closures do not re-enter: this is the only
                // reference to the list.
                list: unsafe { &mut *self.list.get() },
                wakers,
                finished: 0,
            })
        })
    }
}

/// `f`, with its argument's lifetimes inferred as any (a closure passed
/// straight to `&mut dyn Round` would get one specific lifetime).
#[inline(always)]
fn as_round<F: FnMut(&mut Locked<'_>) -> bool>(f: F) -> F {
    f
}

#[cfg(feature = "alloc")]
impl Drop for DataQueue {
    fn drop(&mut self) {
        // Relaxed: `&mut self` already orders this after every other use.
        let ptr = self.shared.load(Relaxed);
        if !is_tagged(ptr) {
            // SAFETY: installed from `Box::into_raw`; `&mut self` means no
            // waiter borrows the queue any more (each future borrows or owns
            // the primitive), so nothing refers to it.
            drop(unsafe { alloc::boxed::Box::from_raw(ptr) });
        }
    }
}

/// The queue seen from inside its lock.
pub(crate) struct Locked<'a> {
    list: &'a mut list::List<Entry>,
    /// Wakers of waiters finished in this critical section, woken after it.
    wakers: &'a mut WakeBatch,
    /// Waiters finished in this critical section (at most [`WAKE_BATCH`]).
    finished: usize,
}

impl Locked<'_> {
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The head waiter's data.
    pub(crate) fn head_data(&mut self) -> Option<&mut usize> {
        let head = self.list.head();
        // SAFETY: a linked node is live (its owner unlinks it before freeing
        // it), and we hold the lock, so nobody else touches it.
        (!head.is_null()).then(|| unsafe { &mut (*head).state.data })
    }

    /// Whether [`finish_head`](Self::finish_head) may be called again in this
    /// critical section. When not, leave it and call [`DataQueue::with`]
    /// again: that bounds the time spent under the lock.
    #[inline]
    pub(crate) fn has_room(&self) -> bool {
        self.finished < WAKE_BATCH
    }

    /// Takes the head waiter off the queue with `outcome`, which its owner
    /// gets from [`DataWaiter::poll`]; it is woken once the lock is released.
    ///
    /// # Panics
    /// If the queue is empty or [`has_room`](Self::has_room) is false.
    pub(crate) fn finish_head(&mut self, outcome: u8) {
        assert!(self.has_room(), "turnstile-sync: wake batch overflow");
        let head = self.list.head();
        assert!(
            !head.is_null(),
            "turnstile-sync: finish_head on an empty queue"
        );
        // SAFETY: `head` is linked, so live; we hold the lock.
        unsafe {
            self.list.unlink(head);
            (*head).state.slot = Slot::Done(outcome);
            self.wakers.push((*head).waker.take());
            // Release: publishes the writes above to an owner that polls
            // without the lock. The last access to the node by anyone but its
            // owner.
            (*head).state.finished.store(true, Release);
        }
        self.finished += 1;
    }
}

/// What a waiter that left the queue had: see [`DataWaiter::leave`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Left {
    /// It was still queued, with this data.
    Queued(usize),
    /// It had been finished with this outcome and data, and had not seen it.
    Done(u8, usize),
}

/// One waiter's place in a [`DataQueue`]: the list node, inside the future.
pub(crate) struct DataWaiter {
    /// Shared with the list through raw pointers; only accessed under the
    /// queue's lock while registered. Uninitialised until the first
    /// `push_back`, which writes all of it (as the `WaitQueue`'s waiter
    /// does); it holds no waker whenever the waiter is not registered, so it
    /// never needs dropping.
    node: UnsafeCell<core::mem::MaybeUninit<Node>>,
    /// Linked (`Queued`) or finished and not yet seen (`Done`). Owner-only.
    registered: bool,
    /// The node's address is in the list while registered.
    _pinned: core::marker::PhantomPinned,
}

// SAFETY: the node is only touched under the queue's lock (or by the owner
// while unregistered); the waker it holds is `Send`.
unsafe impl Send for DataWaiter {}
// SAFETY: `&DataWaiter` exposes only `is_registered`, an owner-only flag.
unsafe impl Sync for DataWaiter {}

impl DataWaiter {
    const_fn! {
    pub(crate) const fn new() -> Self {
        list::unregistered!(DataWaiter)
    }
    }

    #[inline]
    pub(crate) fn is_registered(&self) -> bool {
        self.registered
    }

    /// The node and the owner-only flag. `DataWaiter` is `!Unpin`, so a
    /// `&mut DataWaiter` does not claim exclusive access to the node that
    /// the list reaches by pointer. The node is initialised once the waiter
    /// has been pushed (and from then on): read through the pointer only
    /// while `registered`.
    fn parts(self: Pin<&mut Self>) -> (*mut Node, &mut bool) {
        // SAFETY: nothing is moved out of the waiter; the node stays where it
        // is, which is what the pin promises.
        let this = unsafe { self.get_unchecked_mut() };
        (this.node.get().cast::<Node>(), &mut this.registered)
    }

    /// Appends this waiter, carrying `data`, at the tail of the queue that
    /// `locked` belongs to.
    pub(crate) fn push_back(self: Pin<&mut Self>, locked: &mut Locked<'_>, data: usize) {
        let (node, registered) = self.parts();
        assert!(!*registered, "turnstile-sync: waiter registered twice");
        // SAFETY: the node is live, not linked (`registered` is false) and
        // pinned, so it stays in place until it is unlinked; its owner leaves
        // the queue before it goes away (`Drop` checks). We hold the lock.
        // The node is written whole, initialising it (its old contents, if
        // any, hold no waker: nothing is lost by not dropping them).
        unsafe {
            node.write(Node::new(Entry {
                data,
                slot: Slot::Queued,
                finished: AtomicBool::new(false),
            }));
            locked.list.push_back(node);
        }
        *registered = true;
    }

    /// Stores `waker` in a waiter that was just [pushed](Self::push_back)
    /// and is still queued, under the same lock (`locked`), so that
    /// registering, re-checking and parking take one critical section.
    /// Returns the waker unused if the waiter was finished already (drop it
    /// after the lock is released, then [`poll`](Self::poll)).
    pub(crate) fn park(
        self: Pin<&mut Self>,
        _locked: &mut Locked<'_>,
        waker: Waker,
    ) -> Result<(), Waker> {
        let (node, registered) = self.parts();
        assert!(
            *registered,
            "turnstile-sync: parked a waiter that is not registered"
        );
        // SAFETY: registered, so the node is live; the caller holds the
        // queue's lock (`locked`).
        let entry = unsafe { &mut *node };
        if entry.state.slot != Slot::Queued {
            return Err(waker);
        }
        // A node that was just pushed holds no waker (nodes hold one only
        // while queued, and this one was never parked), so nothing is dropped
        // here, under the lock.
        debug_assert!(entry.waker.is_none(), "parked twice");
        entry.waker = Some(waker);
        Ok(())
    }

    /// `Some((outcome, data))` (and unregistered) if the waiter has been
    /// finished; otherwise `None`, leaving its waker as it is. Takes no lock:
    /// a finish under way in another critical section may not be seen yet
    /// (it is, by a later call or [`poll`](Self::poll)). For a waiter that
    /// registered without a waker (the notify's `enable`) and for the fast
    /// path of `poll`.
    ///
    /// # Panics
    /// If the waiter is not registered.
    #[inline]
    pub(crate) fn take_finished(self: Pin<&mut Self>) -> Option<(u8, usize)> {
        let (node, registered) = self.parts();
        assert!(
            *registered,
            "turnstile-sync: polled a waiter that is not registered"
        );
        // SAFETY: registered, so the node is live; `finished` is atomic.
        // Acquire: pairs with the Release in `finish_head`, after which the
        // node is ours alone, so we read and reset it without the lock.
        if !unsafe { (*node).state.finished.load(Acquire) } {
            return None;
        }
        // SAFETY: as just said: finished, unlinked, and ours alone.
        let entry = unsafe { &mut (*node).state };
        let Slot::Done(outcome) = entry.slot else {
            unreachable!("finished waiter not in state Done")
        };
        entry.slot = Slot::Idle;
        // Relaxed: the node is ours alone from here on.
        entry.finished.store(false, Relaxed);
        *registered = false;
        Some((outcome, entry.data))
    }

    /// `Ready((outcome, data))` (and unregistered) once the waiter was
    /// finished; otherwise stores `cx`'s waker and is `Pending`.
    ///
    /// # Panics
    /// If the waiter is not registered.
    #[inline]
    pub(crate) fn poll(
        mut self: Pin<&mut Self>,
        queue: &DataQueue,
        cx: &mut Context<'_>,
    ) -> Poll<(u8, usize)> {
        // Inline: a woken waiter is finished, and this is all it costs.
        match self.as_mut().take_finished() {
            Some(done) => Poll::Ready(done),
            None => self.poll_locked(queue, cx),
        }
    }

    /// [`poll`](Self::poll) of a waiter not yet seen finished: looks under
    /// the lock, and stores the waker if it is still queued.
    #[inline(never)]
    fn poll_locked(self: Pin<&mut Self>, queue: &DataQueue, cx: &mut Context<'_>) -> Poll<(u8, usize)> {
        let (node, registered) = self.parts();
        let mut fresh: Option<Waker> = None;
        loop {
            // `Some(poll)`: done; `None`: a new waker must be cloned first.
            let (outcome, old) = queue.with(|_locked| {
                // SAFETY: registered, so the node is live; we hold the lock.
                let entry = unsafe { &mut *node };
                match entry.state.slot {
                    Slot::Done(outcome) => {
                        entry.state.slot = Slot::Idle;
                        // Relaxed: under the lock, and the node is ours.
                        entry.state.finished.store(false, Relaxed);
                        (Some(Poll::Ready((outcome, entry.state.data))), None)
                    }
                    Slot::Queued => match entry.store_waker(cx.waker(), &mut fresh) {
                        Some(old) => (Some(Poll::Pending), old),
                        None => (None, None),
                    },
                    Slot::Idle => unreachable!("registered waiter in state Idle"),
                }
            });
            drop(old);
            match outcome {
                Some(Poll::Ready(done)) => {
                    *registered = false;
                    return Poll::Ready(done);
                }
                Some(Poll::Pending) => return Poll::Pending,
                None => fresh = Some(cx.waker().clone()),
            }
        }
    }

    /// Unregisters (a no-op returning `None` if not registered) and runs `f`
    /// in the same critical section, right after, with what the waiter had:
    /// so its user can hand back what the waiter held before anyone else
    /// looks at the queue. `f` and `then` go on as in
    /// [`DataQueue::with_rounds`]. A waker left in the node is dropped after
    /// the lock is released. Returns `f`'s result.
    pub(crate) fn leave<R>(
        self: Pin<&mut Self>,
        queue: &DataQueue,
        f: impl FnOnce(&mut Locked<'_>, Left) -> (R, bool),
        then: impl FnMut(&mut Locked<'_>) -> bool,
    ) -> Option<R> {
        let (node, registered) = self.parts();
        if !*registered {
            return None;
        }
        let (result, waker) = queue.with_rounds(
            |locked| {
                // SAFETY: registered, so the node is live; we hold the lock.
                let (slot, data) = unsafe { ((*node).state.slot, (*node).state.data) };
                let left = match slot {
                    Slot::Queued => {
                        // SAFETY: `Queued` means linked into this queue's list.
                        unsafe { locked.list.unlink(node) };
                        Left::Queued(data)
                    }
                    Slot::Done(outcome) => Left::Done(outcome, data),
                    Slot::Idle => unreachable!("registered waiter in state Idle"),
                };
                // SAFETY: as above; the node is now unlinked and ours alone.
                let waker = unsafe {
                    (*node).state.slot = Slot::Idle;
                    // Relaxed: under the lock, and the node is ours.
                    (*node).state.finished.store(false, Relaxed);
                    (*node).waker.take()
                };
                // Unregistered now, not after the wakes: if one of them
                // panics, the owner's `Drop` must not find this waiter still
                // registered.
                *registered = false;
                let (r, more) = f(locked, left);
                ((r, waker), more)
            },
            then,
        );
        drop(waker);
        Some(result)
    }
}

impl Drop for DataWaiter {
    /// Inline: a waiter that never waited (every uncontended acquire) costs
    /// one predictable branch here, not a call.
    #[inline]
    fn drop(&mut self) {
        // The owning future leaves the queue in its own `Drop`, before this
        // runs. A registered node being freed would leave a dangling pointer
        // in the list, so this is a hard check, not a debug one.
        assert!(
            !self.registered,
            "turnstile-sync: a registered waiter was dropped without leaving its queue"
        );
    }
}
