//! Scoped helpers (issue 11 §4): run an async closure while a lock or
//! permits are held, released however the closure ends — on return, on
//! `?` (the closure returning an `Err`), on panic (the guard is dropped as
//! the panic unwinds) and when the future is dropped. They are a guard's
//! acquire, one call, and the guard's drop: nothing new underneath.
//!
//! A guard is the better tool when the lock must outlive one closure: to
//! return it from a function, to [`map`](crate::MutexGuard::map) it, to
//! hand it to [`Condvar::wait`](crate::Condvar::wait), to upgrade or
//! downgrade it, or to decide after looking whether to keep it.

use crate::{Closed, Mutex, RwLock, Semaphore};

impl<T: ?Sized> Mutex<T> {
    /// Locks the mutex, runs `f` with the value, and unlocks: async-mutex's
    /// `runExclusive`, valvekit's `sandbox`. Resolves to what `f` returns.
    ///
    /// The lock is released when `f`'s future finishes, returns early with
    /// `?`, panics, or is dropped. A guard
    /// ([`lock`](Self::lock)) is the better tool to keep the lock beyond one
    /// closure (see the [module docs](crate::guide::timeouts#scoped-helpers)).
    ///
    /// # Cancel safety
    ///
    /// Dropped while waiting for the lock, it is [`lock`](Self::lock)'s
    /// future dropped: no trace. Dropped while `f` runs, it unlocks with the
    /// value as `f` left it at its last `.await`.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::Mutex;
    /// # futures_lite::future::block_on(async {
    /// let balance = Mutex::new(100u32);
    /// let paid = balance
    ///     .with(async |b| {
    ///         let Some(left) = b.checked_sub(30) else { return Err("insufficient funds") };
    ///         *b = left;
    ///         Ok(30)
    ///     })
    ///     .await;
    /// assert_eq!(paid, Ok(30));
    /// assert!(!balance.is_locked());
    /// # });
    /// ```
    pub async fn with<R>(&self, f: impl AsyncFnOnce(&mut T) -> R) -> R {
        let mut guard = self.lock().await;
        f(&mut guard).await
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Takes a read lock, runs `f` with the value, and releases it.
    ///
    /// # Cancel safety
    ///
    /// As for [`read`](Self::read) while waiting; dropped while `f` runs,
    /// it releases the read lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::RwLock;
    /// # futures_lite::future::block_on(async {
    /// let config = RwLock::new(String::from("debug"));
    /// let len = config.with_read(async |c| c.len()).await;
    /// assert_eq!(len, 5);
    /// # });
    /// ```
    pub async fn with_read<R>(&self, f: impl AsyncFnOnce(&T) -> R) -> R {
        let guard = self.read().await;
        f(&guard).await
    }

    /// Takes the write lock, runs `f` with the value, and releases it.
    ///
    /// # Cancel safety
    ///
    /// As for [`write`](Self::write) while waiting; dropped while `f`
    /// runs, it releases the write lock with the value as `f` left it.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::RwLock;
    /// # futures_lite::future::block_on(async {
    /// let config = RwLock::new(String::from("debug"));
    /// config.with_write(async |c| c.push_str(",trace")).await;
    /// assert_eq!(*config.read().await, "debug,trace");
    /// # });
    /// ```
    pub async fn with_write<R>(&self, f: impl AsyncFnOnce(&mut T) -> R) -> R {
        let mut guard = self.write().await;
        f(&mut guard).await
    }
}

impl Semaphore {
    /// Acquires `n` permits, runs `f`, and gives them back: at most as many
    /// `run`s at once as the permits allow.
    ///
    /// # Errors
    ///
    /// [`Closed`] if the semaphore is or becomes closed before the permits
    /// are granted; `f` does not run then.
    ///
    /// # Panics
    ///
    /// If `n` is more than [`MAX_PERMITS`](Self::MAX_PERMITS).
    ///
    /// # Cancel safety
    ///
    /// As for [`acquire_many`](Self::acquire_many) while waiting; dropped
    /// while `f` runs, it gives the permits back.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::Semaphore;
    /// # futures_lite::future::block_on(async {
    /// let connections = Semaphore::new(4);
    /// let rows = connections.run(1, async || "SELECT 1".len()).await;
    /// assert_eq!(rows, Ok(8));
    /// assert_eq!(connections.available_permits(), 4);
    /// # });
    /// ```
    pub async fn run<R>(&self, n: usize, f: impl AsyncFnOnce() -> R) -> Result<R, Closed> {
        let _permits = self.acquire_many(n).await?;
        Ok(f().await)
    }
}
