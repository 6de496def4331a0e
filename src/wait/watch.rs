//! The watchers' queues: where futures that wait for a primitive to become
//! free *without taking it* (`Mutex::wait_unlocked`) wait.
//!
//! They are not in the primitive's own queue, by design: a release that
//! notifies one waiter (`notify(1)`, or a cancelled waiter passing its
//! wakeup on) reaches only real waiters, so a watcher can never take, or
//! hold unconsumed and so count against, the one wakeup a real waiter needs.
//! A watched primitive marks its state word; a release that clears the mark
//! notifies every watcher of the primitive's shard, and each re-checks its
//! own primitive (a snapshot: free when it looked).
//!
//! The queues are shared by all primitives (a few shards, by address), so a
//! primitive pays one state bit for the feature and no space: a watched
//! release may wake watchers of other primitives of its shard, which look
//! and wait again. Only releases of watched primitives notify here.
//!
//! Nor does a program that never watches pay much code: a release reaches
//! the watchers through a [`Hook`], a function pointer the first watcher
//! installs, so firmware that does not use the feature links none of the
//! wake-up path.

use core::pin::Pin;
use core::task::{Context, Poll};

use super::{WaitQueue, Waiter};

// Under loom a plain (unmodelled) atomic, so a hook can be a `static`: it
// only ever goes from null to one value, before the first watcher
// registers.
#[cfg(loom)]
use core::sync::atomic::AtomicPtr;
#[cfg(not(loom))]
use crate::shim::AtomicPtr;
use crate::shim::Ordering::{Acquire, Release};

/// A function a release calls through a pointer, so that its code is only
/// linked into programs that install it: the watchers install their
/// primitive's wake-up on first use ([`arm`](Self::arm)), and a release
/// that finds its WATCHED mark [`call`](Self::call)s it.
pub(crate) struct Hook(AtomicPtr<()>);

impl Hook {
    pub(crate) const fn new() -> Self {
        Self(AtomicPtr::new(core::ptr::null_mut()))
    }

    /// Installs `f`. Every watcher calls it, with the same `f`, before it
    /// registers.
    #[inline]
    pub(crate) fn arm(&self, f: fn(*const ())) {
        // Release: a releaser that learns of this watcher (by an Acquire
        // read-modify-write reading its WATCHED mark, which the watcher sets
        // after this) sees the function.
        self.0.store(f as *mut (), Release);
    }

    /// Calls the installed function with `arg`, if one is installed.
    #[inline]
    pub(crate) fn call<T: ?Sized>(&self, arg: *const T) {
        // Acquire: pairs with `arm`'s Release.
        let f = self.0.load(Acquire);
        if !f.is_null() {
            // SAFETY: `arm`, the only writer, stores a `fn(*const ())` cast
            // to a data pointer; casting it back gives the same function.
            let f = unsafe { core::mem::transmute::<*mut (), fn(*const ())>(f) };
            f(arg.cast::<()>());
        }
    }
}

/// Notifies every watcher of the shard of `addr`: the mutex's hook.
pub(crate) fn notify_shard(addr: *const ()) {
    watchers(addr).notify(usize::MAX);
}

/// How many queues the watchers are spread over.
const SHARDS: usize = 4;

#[cfg(not(loom))]
static WATCHERS: [WaitQueue; SHARDS] = [const { WaitQueue::new() }; SHARDS];

#[cfg(loom)]
loom::lazy_static! {
    static ref WATCHERS: [WaitQueue; SHARDS] =
        [WaitQueue::new(), WaitQueue::new(), WaitQueue::new(), WaitQueue::new()];
}

/// The watchers' queue for the primitive at `addr`.
#[inline]
pub(crate) fn watchers<T: ?Sized>(addr: *const T) -> &'static WaitQueue {
    // Primitives are at least word-aligned and a few words long: skip the
    // low bits that every address shares.
    let shard = (addr.cast::<u8>().addr() >> 4) % SHARDS;
    &WATCHERS[shard]
}

/// The one poll loop of every watcher (`Mutex::wait_unlocked`,
/// `RwLock::wait_write_unlocked`, `Semaphore::wait_available`), for the
/// primitive at `addr`, whose releases call `hook` (installed here as
/// `wake`) when they find its WATCHED mark.
///
/// `look(mark)` looks at the primitive and returns `Some(output)` if it is
/// free. With `mark == false` it is a snapshot (an Acquire load, which
/// orders the caller after the releases it saw); with `mark == true` it is
/// the wait layer's re-check after registering: a read-modify-write that
/// sets the WATCHED mark, AcqRel (Release makes the registration visible to
/// the release that reads the mark from this write; Acquire as for the
/// snapshot).
pub(crate) fn poll_watcher<R>(
    addr: *const (),
    hook: &Hook,
    wake: fn(*const ()),
    mut waiter: Pin<&mut Waiter>,
    cx: &mut Context<'_>,
    mut look: impl FnMut(bool) -> Option<R>,
) -> Poll<R> {
    let queue = watchers(addr);
    hook.arm(wake);
    if waiter.is_registered() {
        match waiter.as_mut().poll_notified(queue, cx) {
            Poll::Pending => return Poll::Pending,
            // Some watched release in this shard: look again.
            Poll::Ready(()) => {}
        }
    }
    if let Some(output) = look(false) {
        return Poll::Ready(output);
    }
    waiter.as_mut().register(queue, cx.waker());
    if let Some(output) = look(true) {
        // Free already. The watchers' queues only have notify-alls, so a
        // notification that arrived meanwhile is nobody else's: drop it.
        waiter.as_mut().withdraw(queue);
        return Poll::Ready(output);
    }
    // The node holds our waker: the next watched release wakes it.
    Poll::Pending
}

/// A watcher's `Drop`: leaves the queue of the primitive at `addr`. Nothing
/// is passed on (notify-alls only, so nobody needs it).
pub(crate) fn leave_watcher(addr: *const (), waiter: Pin<&mut Waiter>) {
    if waiter.is_registered() {
        waiter.withdraw(watchers(addr));
    }
}
