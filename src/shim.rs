//! The one place that chooses where atomics and cells come from.
//!
//! Every primitive imports its atomics and `UnsafeCell` from here, never from
//! `core` directly, so that one switch changes them all:
//!
//! - `--cfg loom`: loom's model-checked atomics and cells;
//! - feature `portable-atomic`: portable-atomic's atomics, for targets without
//!   compare-and-swap (thumbv6m). How portable-atomic makes them atomic there
//!   (its `critical-section` or `unsafe-assume-single-core` feature) is the
//!   firmware's choice; this crate never enables either.
//! - otherwise: `core`'s.
//!
//! It also chooses the `Arc` of the `*_arc` API (see [`Arc`]).

#[cfg(loom)]
#[allow(unused_imports)] // which tiers use them depends on the features
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8};
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicUsize, Ordering};

#[cfg(all(not(loom), feature = "portable-atomic"))]
#[allow(unused_imports)] // which tiers use them depends on the features
pub(crate) use portable_atomic::{AtomicBool, AtomicPtr, AtomicU8};
#[cfg(all(not(loom), feature = "portable-atomic"))]
pub(crate) use portable_atomic::{AtomicUsize, Ordering};

#[cfg(all(not(loom), not(feature = "portable-atomic")))]
#[allow(unused_imports)] // which tiers use them depends on the features
pub(crate) use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8};
#[cfg(all(not(loom), not(feature = "portable-atomic")))]
pub(crate) use core::sync::atomic::{AtomicUsize, Ordering};

/// The `Arc` the `*_arc` API takes: `alloc::sync::Arc` wherever `alloc` has
/// one, so enabling `portable-atomic` (perhaps by another crate in the build)
/// changes no signature there; `portable_atomic_util::Arc` on targets without
/// compare-and-swap, where `alloc` has none and the build needs
/// `portable-atomic` anyway.
///
/// `--cfg turnstile_portable_arc` (with `portable-atomic`) takes
/// portable-atomic-util's on any target. It is for this crate's tests only
/// (tests/portable_arc.rs runs that configuration on the host); the
/// condition is repeated in [`arc_methods`].
#[cfg(all(
    feature = "alloc",
    not(all(
        feature = "portable-atomic",
        any(not(target_has_atomic = "ptr"), turnstile_portable_arc)
    ))
))]
pub(crate) use alloc::sync::Arc;
#[cfg(all(
    feature = "alloc",
    feature = "portable-atomic",
    any(not(target_has_atomic = "ptr"), turnstile_portable_arc)
))]
pub(crate) use portable_atomic_util::Arc;

/// Declares the `*_arc` functions of a primitive, written with the receiver
/// `this: &Arc<Self>`. With `alloc`'s [`Arc`] each becomes a method
/// (`self: &Arc<Self>`, so `mutex.lock_arc()`). Stable Rust takes no other
/// `Arc` as a `self` type, so with portable-atomic-util's each stays an
/// associated function (`Mutex::lock_arc(&mutex)`, a call that compiles in
/// both forms). Bodies call each other the same way: `Self::lock_arc(this)`.
#[cfg(feature = "alloc")]
macro_rules! arc_methods {
    ($(
        $(#[$attr:meta])*
        $vis:vis fn $name:ident($this:ident: &Arc<Self> $(, $arg:ident: $ty:ty)* $(,)?) -> $ret:ty
        $body:block
    )*) => {$(
        #[cfg(not(all(
            feature = "portable-atomic",
            any(not(target_has_atomic = "ptr"), turnstile_portable_arc)
        )))]
        $(#[$attr])*
        $vis fn $name(self: &Arc<Self> $(, $arg: $ty)*) -> $ret {
            let $this = self;
            $body
        }

        #[cfg(all(
            feature = "portable-atomic",
            any(not(target_has_atomic = "ptr"), turnstile_portable_arc)
        ))]
        $(#[$attr])*
        $vis fn $name($this: &Arc<Self> $(, $arg: $ty)*) -> $ret $body
    )*};
}
#[cfg(feature = "alloc")]
pub(crate) use arc_methods;

/// `UnsafeCell` with loom's closure API, so the same code runs under loom
/// (which tracks every access) and natively (where the closures compile away).
#[cfg(not(loom))]
#[derive(Debug)]
#[repr(transparent)]
pub(crate) struct UnsafeCell<T: ?Sized>(core::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(core::cell::UnsafeCell::new(value))
    }

    pub(crate) fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

#[cfg(not(loom))]
impl<T: ?Sized> UnsafeCell<T> {
    /// Runs `f` with a shared raw pointer to the value.
    #[inline(always)]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Runs `f` with a mutable raw pointer to the value.
    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;

/// Makes `const fn` constructors const everywhere except under loom, whose
/// atomics cannot be built in a const context.
macro_rules! const_fn {
    ($(#[$attr:meta])* $vis:vis const fn $($rest:tt)*) => {
        #[cfg(not(loom))]
        $(#[$attr])* $vis const fn $($rest)*
        #[cfg(loom)]
        $(#[$attr])* $vis fn $($rest)*
    };
}
pub(crate) use const_fn;
