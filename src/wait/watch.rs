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

use super::WaitQueue;

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
