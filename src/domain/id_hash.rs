//! A cheap, keyed hash for maps keyed by record ids (looked up many times on hot paths).

use std::hash::{BuildHasher, Hasher};

/// SplitMix64's finaliser (Stafford's variant 13): a bijective scramble of one 64-bit word.
#[inline(always)]
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Hashes ids eight bytes at a time through [`mix64`], from a key drawn once per map (so that
/// ids chosen to collide in one process do not collide in another).
#[derive(Debug, Clone, Copy)]
pub struct IdHashing(u64);

impl IdHashing {
    pub(crate) fn new() -> Self {
        IdHashing(std::collections::hash_map::RandomState::new().hash_one(0u64))
    }
}

/// A fresh key, as [`IdHashing::new`] (for maps built by `collect` or read by serde).
impl Default for IdHashing {
    fn default() -> Self {
        IdHashing::new()
    }
}

impl BuildHasher for IdHashing {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(self.0)
    }
}

pub struct IdHasher(u64);

impl IdHasher {
    /// A hasher with a fixed key: the same input hashes the same in every run (for a fingerprint
    /// kept and compared across requests, not for a map keyed by outside input).
    pub(crate) fn with_key(key: u64) -> Self {
        IdHasher(key)
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = mix64(self.0 ^ u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        // The length in the top byte keeps "a" and "a\0" apart.
        self.0 = mix64(self.0 ^ u64::from_le_bytes(w) ^ ((rest.len() as u64) << 56));
    }

    fn write_u8(&mut self, i: u8) {
        self.0 = mix64(self.0 ^ u64::from(i));
    }

    // Whole numbers (lengths, enum discriminants, dates) in one step each, not as bytes.
    fn write_u32(&mut self, i: u32) {
        self.0 = mix64(self.0 ^ u64::from(i));
    }

    fn write_i32(&mut self, i: i32) {
        self.write_u32(i as u32);
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = mix64(self.0 ^ i);
    }

    fn write_i64(&mut self, i: i64) {
        self.write_u64(i as u64);
    }

    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }

    fn write_isize(&mut self, i: isize) {
        self.write_u64(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_that_differ_only_by_trailing_zero_bytes_or_length_are_different_keys() {
        let mut h = HashSet::with_hasher(IdHashing::new());
        for k in ["a", "a\0", "a\0\0\0\0\0\0\0", "abcdefgh", "abcdefgh\0", ""] {
            h.insert(k);
        }
        assert_eq!(h.len(), 6);
    }
}
