//! A small deterministic generator (SplitMix64): the same seed gives the same
//! inputs on every machine and every version of every dependency.

/// Pseudo-random numbers for mutations; not for anything secret.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator starting from `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// True with probability `1 / n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// A random element of a non-empty slice.
    ///
    /// # Panics
    /// When `items` is empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A random range `start..end` inside `0..len` (empty when `len` is 0), short more often than long.
    pub fn range(&mut self, len: usize) -> std::ops::Range<usize> {
        let start = self.below(len + 1);
        let max = (len - start).min(if self.one_in(4) { len } else { 16 });
        start..start + self.below(max + 1)
    }

    /// A varint value worth trying: type limits, off-by-ones, zigzag extremes or random.
    pub fn interesting(&mut self) -> u64 {
        const VALUES: [u64; 22] = [
            0,
            1,
            2,
            3,
            5,
            0x7f,
            0x80,
            0xff,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_ffff,
            0x1_0000_0000,
            0x1_0000_0064,
            0xffff_ffff_ffff_fffe,
            0x7fff_ffff_ffff_ffff,
            0x8000_0000_0000_0000,
            u64::MAX,
            1 << 40,
            100,
            1000,
            8000,
            32 << 20,
        ];
        match self.below(4) {
            0 => self.next_u64(),
            1 => self.next_u64() >> self.below(64),
            _ => *self.pick(&VALUES),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn same_seed_same_numbers() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert!(xs.windows(2).all(|w| w[0] != w[1]));
        assert!((0..1000).all(|_| a.below(3) < 3));
        let r = a.range(10);
        assert!(r.end <= 10 && r.start <= r.end);
    }
}
