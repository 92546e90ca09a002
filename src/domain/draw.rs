//! Random draws (随机选取, 双随机): reproducible by anyone from what is stored (一公开).
//!
//! Algorithm `sha256-ctr-fisher-yates-v1`:
//! 1. The population is a list of ids in canonical order: sorted by their UTF-8 bytes, no
//!    duplicates. Its hash is SHA-256 of the ids joined with `\n` (no final newline), in hex.
//! 2. The key is SHA-256(UTF-8 bytes of the seed ‖ the 32 bytes of the population hash).
//! 3. The random stream is SHA-256(key ‖ block number as 8 bytes big-endian) for blocks 0, 1, 2,
//!    …; each 32-byte block gives four 64-bit numbers, read big-endian, in order.
//! 4. A number below `m` is drawn by rejection: take the next 64-bit number `x`; if `x` is below
//!    `2^64 − (2^64 mod m)`, the result is `x mod m`; otherwise take the next number.
//! 5. A partial Fisher–Yates shuffle: for `i` from 0 to `count − 1`, draw `j = i + below(n − i)`
//!    and swap the ids at `i` and `j`. The result is the first `count` ids, in that order.

use sha2::{Digest, Sha256};

crate::text_enum! {
    /// What a draw is for.
    pub enum DrawPurpose {
        /// W2: 2 to 3 of a unit's active service matters (approval, public service), R6.
        InspectionMatters => "inspection_matters",
        /// W3: people a unit served in the 3 months before a date, with a phone, R5.
        FollowUpContacts => "follow_up_contacts",
        /// E1 and 双随机: inspection targets from a list given with the request.
        InspectionTargets => "inspection_targets",
    }
}

impl DrawPurpose {
    /// The activity the draw serves.
    pub fn activity(self) -> super::unit::Activity {
        match self {
            DrawPurpose::InspectionMatters | DrawPurpose::FollowUpContacts => {
                super::unit::Activity::Window
            }
            DrawPurpose::InspectionTargets => super::unit::Activity::Enforcement,
        }
    }
}

/// The plan's count for a W2 inspection: 2 to 3 matters (二(一)2).
pub const INSPECTION_MATTERS: std::ops::RangeInclusive<u32> = 2..=3;
/// The fewest contacts drawn for W3: at least 3 valid calls are needed (二(一)3).
pub const FOLLOW_UP_MIN: u32 = 3;

/// The name of the algorithm, stored with each draw.
pub const ALGORITHM: &str = "sha256-ctr-fisher-yates-v1";

/// A population in canonical order with its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Population {
    /// The ids, sorted and without duplicates.
    pub ids: Vec<String>,
    /// SHA-256 of the ids joined by `\n`, in lower-case hex.
    pub hash: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

impl Population {
    /// The canonical population of `ids`.
    pub fn new(mut ids: Vec<String>) -> Self {
        ids.sort();
        ids.dedup();
        let hash = hex(&Sha256::digest(ids.join("\n").as_bytes()));
        Population { ids, hash }
    }
}

struct Stream {
    key: [u8; 32],
    block: u64,
    words: Vec<u64>,
}

impl Stream {
    fn new(seed: &str, population_hash: &str) -> Self {
        let mut h = Sha256::new();
        h.update(seed.as_bytes());
        h.update(unhex(population_hash));
        Stream {
            key: h.finalize().into(),
            block: 0,
            words: Vec::new(),
        }
    }

    fn next(&mut self) -> u64 {
        if self.words.is_empty() {
            let mut h = Sha256::new();
            h.update(self.key);
            h.update(self.block.to_be_bytes());
            self.block += 1;
            let out = h.finalize();
            // Stored reversed so that pop() yields them in order.
            self.words = out
                .chunks(8)
                .rev()
                .map(|c| c.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
                .collect();
        }
        self.words.pop().unwrap_or_default()
    }

    fn below(&mut self, m: u64) -> u64 {
        let zone = u64::MAX - (u64::MAX % m + 1) % m; // the largest multiple of m, minus 1
        loop {
            let x = self.next();
            if x <= zone {
                return x % m;
            }
        }
    }
}

/// Draws `count` ids from `population` with `seed`. The caller checks `count ≤ population`.
pub fn draw(population: &Population, seed: &str, count: usize) -> Vec<String> {
    let mut ids = population.ids.clone();
    let n = ids.len();
    let count = count.min(n);
    let mut stream = Stream::new(seed, &population.hash);
    for i in 0..count {
        let j = i + stream.below((n - i) as u64) as usize;
        ids.swap(i, j);
    }
    ids.truncate(count);
    ids
}

/// A fresh seed from the operating system: 32 random bytes in hex.
pub fn os_seed() -> String {
    use rand_core::RngCore;
    let mut bytes = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pop(n: usize) -> Population {
        Population::new((0..n).map(|i| format!("m{i:03}")).collect())
    }

    #[test]
    fn the_population_is_canonical() {
        let a = Population::new(vec!["b".into(), "a".into(), "b".into()]);
        assert_eq!(a.ids, ["a", "b"]);
        assert_eq!(a.hash, hex(&Sha256::digest(b"a\nb")));
        assert_eq!(Population::new(vec!["a".into(), "b".into()]), a);
    }

    #[test]
    fn the_same_seed_gives_the_same_result_and_another_seed_another() {
        let p = pop(50);
        let a = draw(&p, "seed-1", 3);
        assert_eq!(a, draw(&p, "seed-1", 3));
        assert_eq!(a.len(), 3);
        assert_ne!(a, draw(&p, "seed-2", 3));
        let distinct: std::collections::HashSet<_> = a.iter().collect();
        assert_eq!(distinct.len(), 3);
        assert!(a.iter().all(|id| p.ids.contains(id)));
    }

    /// Fixed vector, computed independently by the Python recipe in README.md.
    #[test]
    fn a_known_draw_matches_the_documented_recipe() {
        let p = pop(10);
        assert_eq!(draw(&p, "beilin-2026", 3), KNOWN);
    }

    const KNOWN: [&str; 3] = ["m002", "m006", "m008"];

    #[test]
    fn every_id_can_be_drawn_and_the_count_is_capped() {
        let p = pop(5);
        let mut seen = std::collections::HashSet::new();
        for s in 0..200 {
            seen.extend(draw(&p, &s.to_string(), 1));
        }
        assert_eq!(seen.len(), 5);
        assert_eq!(draw(&p, "x", 9).len(), 5);
        assert!(draw(&Population::new(vec![]), "x", 2).is_empty());
    }

    #[test]
    fn rejection_sampling_stays_below_the_bound() {
        let mut s = Stream::new("x", &pop(3).hash);
        for m in [1u64, 2, 3, 7, 1000, u64::MAX] {
            for _ in 0..50 {
                assert!(s.below(m) < m);
            }
        }
    }

    #[test]
    fn os_seeds_are_64_hex_digits_and_differ() {
        let a = os_seed();
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, os_seed());
    }
}
