//! The wait layer: where a primitive parks a task and where it wakes one.
//!
//! Every primitive keeps its own state in an atomic word and comes here only
//! on its slow paths. The layer has two queues.
//!
//! [`WaitQueue`] (module `intrusive`) notifies waiters that carry nothing:
//! the waiter re-checks the primitive's state itself. Its interface is
//! below.
//!
//! [`DataQueue`] (module `data`) is for waiters that carry a word of data the
//! releaser must see — a semaphore waiter's permit count, a barrier waiter's
//! generation — which a plain queue cannot give: its user works on the head
//! of the queue under the queue's lock, changing the head's data and taking
//! waiters off with an outcome. The `Notify` uses it too: a waiter's word is
//! its generation, and under the lock `notify_one` chooses between waking
//! the head and storing a permit, and a cancelled waiter passes its wakeup on
//! by its outcome. See its module docs.
//!
//! Both are the same intrusive FIFO list (module `list`) in every tier, and
//! in every tier a waiter's list node lives inside its pinned future, so no
//! wait allocates (tests/no_alloc_wait.rs counts). What differs per tier is
//! where the list head lives and what locks it:
//!
//! | tier                         | list head                                   | lock                      |
//! |------------------------------|---------------------------------------------|---------------------------|
//! | `std`                        | boxed on the primitive's first contention   | `std::sync::Mutex<()>`    |
//! | `alloc`, `critical-section`  | boxed on the primitive's first contention   | a critical section        |
//! | `alloc` alone                | boxed on the primitive's first contention   | a spin lock on one flag   |
//! | bare (`critical-section`)    | inline in the primitive                     | a critical section        |
//! | `--cfg loom`                 | as the tier                                 | a loom mutex              |
//!
//! The box keeps an uncontended primitive one word per queue (a `Mutex<()>`
//! is two words); it is made once in the primitive's life, by its first
//! waiter, and freed with the primitive. The `Latch` is the exception: an
//! `InlineWaitQueue` keeps its list inline in every tier, because a latch is
//! usually waited on once, so a box made by its first wait would be an
//! allocation per wait in practice. The futures are `!Unpin` in every
//! tier, as they hold the node.
//!
//! # The `WaitQueue` interface
//!
//! - [`WaitQueue`] is the queue, one per primitive; `const`-constructible.
//! - [`Waiter`] is one waiter's place in it; it lives inside a future and
//!   must not move while registered (the futures are pinned before they are
//!   polled, and every method takes `Pin<&mut Waiter>`).
//! - `Waiter::register(q, waker)` appends the waiter at the tail of `q`,
//!   holding a clone of `waker` to wake when notified.
//! - `WaitQueue::notify(n)` makes sure at least `n` registered waiters are
//!   notified, taking them from the head (FIFO); waiters notified earlier that
//!   have not yet consumed their notification count toward `n`.
//!   `notify(usize::MAX)` notifies every waiter. It returns how many waiters
//!   this call notified (the RwLock learns from a 0 that nobody was queued).
//! - `WaitQueue::has_notified()` says whether a waiter holds a notification
//!   it has not consumed yet (a snapshot under the list's lock: the RwLock's
//!   read phases ask it).
//! - `WaitQueue::notify_additional(n)` notifies `n` *more* waiters, from the
//!   head, that had not been notified, however many are notified already
//!   (as event-listener's `notify_additional`). `notify(1)` twice may notify one
//!   waiter (the second call finds the first one's still unconsumed);
//!   `notify_additional(1)` twice notifies two. The condvar's `notify_one`
//!   needs this; the others use `notify`.
//! - `Waiter::poll_notified(q, cx)` is `Ready` once the waiter was notified;
//!   that consumes the notification and unregisters the waiter. Otherwise it
//!   stores `cx`'s waker (replacing an older one, so the newest waker is the
//!   one woken) and is `Pending`.
//! - `Waiter::cancel(q)` unregisters; a notification it had received and not
//!   consumed is passed on to the next waiter, so none is lost when a notified
//!   future is dropped. It is passed on as the kind it was: one from
//!   `notify_additional` notifies one more un-notified waiter, one from
//!   `notify` makes sure at least one waiter is notified. So a cancelled
//!   waiter that `notify_one` had picked hands its wakeup to exactly one
//!   other waiter.
//! - `Waiter::withdraw(q)` unregisters and drops a received notification
//!   instead of passing it on (returning whether there was one): for a waiter
//!   that got what it waited for by another route.
//!
//! # The protocol every primitive follows
//!
//! To wait: `register` (with the task's waker), then re-check the
//! primitive's state with a read-modify-write that also records "there are
//! waiters"; if the re-check fails, return `Pending`: a notification from
//! then on wakes the registered waker, and the next poll's `poll_notified`
//! finds it. To release: a read-modify-write on the
//! state that observes "there are waiters", then `notify`. Both sides touch
//! the same atomic word, so one of the two read-modify-writes comes first:
//! either the releaser sees the waiter's mark and notifies it (the waiter was
//! already registered, so the notification finds it), or the waiter's
//! re-check sees the release. No wakeup is lost.
//!
//! # Wakers
//!
//! The list takes a waker out of its node under the lock and wakes (or
//! drops) it after releasing the lock, and clones a new waker before taking
//! it, so no waker code ever runs under the lock: a waker that calls back
//! into the primitive — even into the same queue, from `wake`, `wake_by_ref`
//! or `drop` — cannot deadlock or corrupt the list, and interrupt latency
//! does not depend on waker code. The primitives add no lock of their own
//! around a wake.
//!
//! A `wake` that panics strands nobody, in every tier. The queues take at
//! most a batch of waiters off per critical section and wake the batch
//! after it (`list::in_rounds`); if a wake panics, the rest of its batch and
//! the batches still due are notified and woken as the panic unwinds, and
//! the panic then reaches whoever released. (A second waker that panics
//! during that unwinding aborts the process, as any panic in a destructor
//! during unwinding does.) Every waiter the release would have notified is
//! notified, and the primitive stays usable. A waiter whose own waker panicked holds its notification like
//! any other: polled again it proceeds, dropped it passes the notification
//! on. Latch and Barrier waits also re-check their primitive on every poll,
//! so their completion never depends on a wakeup having arrived.

mod data;
mod intrusive;
mod list;
pub(crate) use data::{DataQueue, DataWaiter, Left, Locked};
pub(crate) use intrusive::{InlineWaitQueue, WaitQueue, Waiter};

#[cfg(feature = "std")]
pub(crate) mod block;

mod watch;
pub(crate) use watch::{leave_watcher, notify_shard, poll_watcher, watchers, Hook};
