//! Lock keys: the two advisory-lock key spaces of PostgreSQL, and names.

use std::fmt;

/// The key of an advisory lock.
///
/// PostgreSQL has two key spaces that never collide with each other: one
/// 64-bit key (`pg_advisory_lock(bigint)`) and a pair of 32-bit keys
/// (`pg_advisory_lock(int, int)`). A [`Key::name`] is hashed into the 64-bit
/// space on the client with FNV-1a 64 (below), so every client in every
/// language that hashes the same way agrees on the key; the server's
/// `hashtext` is never used (it is undocumented and has changed between
/// major versions).
///
/// ```
/// use turnstile_postgres::Key;
///
/// assert_eq!(Key::new(42), Key::from(42_i64));
/// assert_eq!(Key::pair(7, 1), Key::from((7, 1)));
/// // FNV-1a 64 of the UTF-8 bytes, as an i64 (two's complement).
/// assert_eq!(Key::name(""), Key::new(0xcbf2_9ce4_8422_2325_u64 as i64));
/// assert_eq!(Key::name("a"), Key::new(0xaf63_dc4c_8601_ec8c_u64 as i64));
/// assert_eq!(Key::name("signup:ann@example.com"), Key::from("signup:ann@example.com"));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    /// A 64-bit key: `pg_advisory_lock(bigint)`; `pg_locks` shows it with
    /// `objsubid = 1`, the high half in `classid` and the low half in `objid`.
    Single(i64),
    /// A `(namespace, id)` pair: `pg_advisory_lock(int, int)`; `pg_locks`
    /// shows it with `objsubid = 2`, `namespace` in `classid`, `id` in `objid`.
    Pair(i32, i32),
}

impl Key {
    /// A 64-bit key.
    pub const fn new(key: i64) -> Key {
        Key::Single(key)
    }

    /// A `(namespace, id)` key, in the key space apart from the 64-bit keys.
    pub const fn pair(namespace: i32, id: i32) -> Key {
        Key::Pair(namespace, id)
    }

    /// A name, hashed to a 64-bit key with FNV-1a 64 over its UTF-8 bytes
    /// (offset basis `0xcbf29ce484222325`, prime `0x100000001b3`; for each
    /// byte: `hash ^= byte; hash = hash.wrapping_mul(prime)`), the result
    /// read as an `i64`. This is stable: it never changes between versions
    /// of this crate.
    ///
    /// Distinct names can collide (with probability about n²/2⁶⁵ for n
    /// names); a collision makes two names share a lock, which costs
    /// concurrency, never exclusion.
    pub const fn name(name: &str) -> Key {
        Key::Single(fnv1a64(name.as_bytes()) as i64)
    }

    /// The SQL arguments of the advisory-lock functions for this key:
    /// `123` or `1, 2` (integers only: nothing a user typed is ever spliced
    /// into a query).
    pub(crate) fn sql_args(self) -> String {
        match self {
            Key::Single(k) => k.to_string(),
            Key::Pair(a, b) => format!("{a}, {b}"),
        }
    }

    /// The `pg_locks` condition that matches this key.
    pub(crate) fn pg_locks_filter(self) -> String {
        let (classid, objid, objsubid) = match self {
            Key::Single(k) => (((k as u64) >> 32) as u32, k as u32, 1),
            Key::Pair(a, b) => (a as u32, b as u32, 2),
        };
        format!(
            "locktype = 'advisory' AND classid = {classid}::oid AND objid = {objid}::oid \
             AND objsubid = {objsubid}"
        )
    }

    /// A key derived from this one for a helper lock (a semaphore's slots),
    /// by FNV-1a 64 over a fixed tag, this key and `index`.
    pub(crate) fn derived(self, tag: &str, index: u32) -> i64 {
        let mut bytes = Vec::with_capacity(tag.len() + 13);
        bytes.extend_from_slice(tag.as_bytes());
        match self {
            Key::Single(k) => {
                bytes.push(1);
                bytes.extend_from_slice(&k.to_be_bytes());
            }
            Key::Pair(a, b) => {
                bytes.push(2);
                bytes.extend_from_slice(&a.to_be_bytes());
                bytes.extend_from_slice(&b.to_be_bytes());
            }
        }
        bytes.extend_from_slice(&index.to_be_bytes());
        fnv1a64(&bytes) as i64
    }
}

const fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

impl From<i64> for Key {
    fn from(key: i64) -> Key {
        Key::Single(key)
    }
}

impl From<(i32, i32)> for Key {
    fn from((namespace, id): (i32, i32)) -> Key {
        Key::Pair(namespace, id)
    }
}

impl From<&str> for Key {
    fn from(name: &str) -> Key {
        Key::name(name)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Key {
    /// `key 123` or `key (1, 2)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Single(k) => write!(f, "key {k}"),
            Key::Pair(a, b) => write!(f, "key ({a}, {b})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_reference_vectors() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn pg_locks_halves() {
        assert_eq!(
            Key::new(-1).pg_locks_filter(),
            "locktype = 'advisory' AND classid = 4294967295::oid AND objid = 4294967295::oid \
             AND objsubid = 1"
        );
        assert!(Key::pair(-2, 3)
            .pg_locks_filter()
            .contains("classid = 4294967294::oid AND objid = 3::oid AND objsubid = 2"));
    }
}
