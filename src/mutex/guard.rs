//! [`MutexGuard`]: the borrowed guard of a locked [`Mutex`].

use core::fmt;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;

use super::{MappedMutexGuard, Mutex};

/// A locked [`Mutex`]: derefs to the value; dropping it unlocks.
///
/// `Send` iff `T: Send`, so it may be held across `.await` in a task on a
/// multi-threaded runtime; `Sync` iff `T: Sync`.
///
/// # Examples
///
/// ```
/// # futures_lite::future::block_on(async {
/// let mutex = turnstile_sync::Mutex::new(String::from("a"));
/// let mut guard = mutex.lock().await;
/// guard.push('b');
/// assert_eq!(&*guard, "ab");
/// # });
/// ```
#[clippy::has_significant_drop]
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    /// Opts out of the auto traits, which `&Mutex<T>` would give on the wrong
    /// terms (`Sync` for `T: Send`); the impls below set them.
    _not_auto: PhantomData<*mut T>,
}

// SAFETY: moving the guard to another thread moves access to `T` (`&mut T`)
// there, which `T: Send` allows; the unlock it performs on drop is an atomic
// operation valid from any thread.
unsafe impl<T: ?Sized + Send> Send for MutexGuard<'_, T> {}
// SAFETY: a `&MutexGuard` only gives `&T`, which `T: Sync` allows on any
// thread.
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// Made only by code that has just taken the lock.
    #[inline]
    pub(super) fn new(mutex: &'a Mutex<T>) -> Self {
        Self {
            mutex,
            _not_auto: PhantomData,
        }
    }

    /// The mutex this guard locks.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{Mutex, MutexGuard};
    /// let mutex = Mutex::new(());
    /// let guard = mutex.try_lock().unwrap();
    /// assert!(std::ptr::eq(MutexGuard::source(&guard), &mutex));
    /// ```
    #[doc(alias = "mutex")]
    pub fn source(guard: &Self) -> &'a Mutex<T> {
        guard.mutex
    }

    /// Narrows the guard to a part of the value. The mutex stays locked until
    /// the mapped guard is dropped. The mapped guard's `Send` and `Sync`
    /// follow `U`, the part it gives access to.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{Mutex, MutexGuard};
    /// # futures_lite::future::block_on(async {
    /// let mutex = Mutex::new((1, String::new()));
    /// let mut name = MutexGuard::map(mutex.lock().await, |pair| &mut pair.1);
    /// name.push_str("x");
    /// drop(name);
    /// assert_eq!(mutex.lock().await.1, "x");
    /// # });
    /// ```
    pub fn map<U: ?Sized>(
        guard: Self,
        f: impl FnOnce(&mut T) -> &mut U,
    ) -> MappedMutexGuard<'a, U> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        let value = NonNull::from(f(
            // SAFETY: the guard holds the lock, so this is the only access.
            guard.mutex.data.with_mut(|value| unsafe { &mut *value }),
        ));
        let guard = ManuallyDrop::new(guard);
        MappedMutexGuard {
            raw: &guard.mutex.raw,
            value,
            _borrow: PhantomData,
        }
    }

    /// Like [`map`](Self::map), for a part that may not be there: if `f`
    /// returns `None`, the guard comes back unchanged in `Err`, still
    /// holding the lock. (tokio's and lock_api's `try_map`, std's
    /// `filter_map`.)
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{Mutex, MutexGuard};
    /// let mutex = Mutex::new(vec![1, 2]);
    /// let guard = mutex.try_lock().unwrap();
    /// let guard = MutexGuard::try_map(guard, |v| v.get_mut(5)).unwrap_err();
    /// assert!(mutex.is_locked());
    /// let mut second = MutexGuard::try_map(guard, |v| v.get_mut(1)).unwrap();
    /// *second = 7;
    /// drop(second);
    /// assert_eq!(*mutex.try_lock().unwrap(), [1, 7]);
    /// ```
    #[doc(alias = "filter_map")]
    pub fn try_map<U: ?Sized>(
        guard: Self,
        f: impl FnOnce(&mut T) -> Option<&mut U>,
    ) -> Result<MappedMutexGuard<'a, U>, Self> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        let value = match f(
            // SAFETY: the guard holds the lock, so this is the only access;
            // the reference is gone once `f` returns.
            guard.mutex.data.with_mut(|value| unsafe { &mut *value }),
        ) {
            Some(value) => NonNull::from(value),
            None => return Err(guard),
        };
        let guard = ManuallyDrop::new(guard);
        Ok(MappedMutexGuard {
            raw: &guard.mutex.raw,
            value,
            _borrow: PhantomData,
        })
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock; `&self` allows shared access only.
        self.mutex.data.with(|value| unsafe { &*value })
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the lock; `&mut self` makes this the only
        // access through it.
        self.mutex.data.with_mut(|value| unsafe { &mut *value })
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.mutex.raw.unlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
