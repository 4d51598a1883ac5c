//! The core's collections: maps are [`litemap::LiteMap`] (a sorted `Vec` of pairs, serialized as
//! a map) and sets a sorted `Vec` ([`SortedSet`]), both by binary search. They hold a few
//! entries (requests in flight, origins, digests), or part and page numbers that mostly arrive
//! in order (appended); each instance costs a fraction of a `BTreeMap`'s wasm.

use std::slice;

/// A map kept sorted by key.
pub(crate) type Map<K, V> = litemap::LiteMap<K, V>;

/// A set kept as a sorted `Vec` without duplicates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SortedSet<T>(Vec<T>);

impl<T> Default for SortedSet<T> {
    fn default() -> Self {
        SortedSet(Vec::new())
    }
}

impl<T: Ord> SortedSet<T> {
    /// Adds `v`; `false` when it was there already.
    pub fn insert(&mut self, v: T) -> bool {
        match self.0.binary_search(&v) {
            Ok(_) => false,
            Err(i) => {
                self.0.insert(i, v);
                true
            }
        }
    }

    /// Removes `v`; `false` when it was not there.
    pub fn remove(&mut self, v: &T) -> bool {
        match self.0.binary_search(v) {
            Ok(i) => {
                self.0.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    pub fn contains(&self, v: &T) -> bool {
        self.0.binary_search(v).is_ok()
    }

    /// Removes and returns the smallest element.
    pub fn pop_first(&mut self) -> Option<T> {
        (!self.0.is_empty()).then(|| self.0.remove(0))
    }

    /// The smallest element not below `from`.
    pub fn first_from(&self, from: &T) -> Option<&T> {
        self.0.get(self.0.partition_point(|x| x < from))
    }

    /// The elements in order.
    pub fn iter(&self) -> slice::Iter<'_, T> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}

impl<T: Ord> Extend<T> for SortedSet<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        for v in items {
            self.insert(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        /// Every operation agrees with `BTreeSet`'s.
        #[test]
        fn behaves_like_a_btreeset(ops in proptest::collection::vec((0u8..4, 0u32..40), 0..200)) {
            let (mut ours, mut theirs) = (SortedSet::default(), BTreeSet::new());
            for (op, v) in ops {
                match op {
                    0 => prop_assert_eq!(ours.insert(v), theirs.insert(v)),
                    1 => prop_assert_eq!(ours.remove(&v), theirs.remove(&v)),
                    2 => prop_assert_eq!(ours.pop_first(), theirs.pop_first()),
                    _ => prop_assert_eq!(ours.first_from(&v), theirs.range(v..).next()),
                }
                prop_assert_eq!(ours.contains(&v), theirs.contains(&v));
                prop_assert!(ours.iter().eq(theirs.iter()));
                prop_assert_eq!(ours.is_empty(), theirs.is_empty());
            }
        }
    }
}
