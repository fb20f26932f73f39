//! Byte-level mutations ("havoc"): flips, interesting values, insertions,
//! deletions, copies and splices. The structure-blind fallback under every
//! structured mutator.

use crate::rng::Rng;

/// Applies one to four random byte-level mutations to `data`; `other` is
/// material to splice from (another seed).
pub fn havoc(rng: &mut Rng, data: &mut Vec<u8>, other: &[u8]) {
    for _ in 0..=rng.below(4) {
        mutate_once(rng, data, other);
    }
}

fn mutate_once(rng: &mut Rng, data: &mut Vec<u8>, other: &[u8]) {
    let len = data.len();
    match rng.below(11) {
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            data[i] = *rng.pick(&[0, 1, 0x7f, 0x80, 0xff, b'0', b'"', b'\n']);
        }
        2 if len >= 4 => {
            // A 32-bit value, big or little endian: lengths and counts.
            let i = rng.below(len - 3);
            let v = rng.interesting() as u32;
            let bytes = if rng.one_in(2) {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            };
            data[i..i + 4].copy_from_slice(&bytes);
        }
        3 => {
            let at = rng.below(len + 1);
            let n = 1 + rng.below(16);
            let bytes: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
            data.splice(at..at, bytes);
        }
        4 if len > 0 => {
            let r = rng.range(len);
            data.drain(r);
        }
        5 if len > 0 => {
            // Duplicate a range in place.
            let r = rng.range(len);
            let copy = data[r.clone()].to_vec();
            data.splice(r.end..r.end, copy);
        }
        6 if len > 0 => {
            // Overwrite a range with another part of the data.
            let src = rng.range(len);
            let copy = data[src].to_vec();
            let at = rng.below(len);
            let end = (at + copy.len()).min(len);
            data[at..end].copy_from_slice(&copy[..end - at]);
        }
        7 if !other.is_empty() => {
            // Splice a range of another input.
            let src = rng.range(other.len());
            let at = rng.below(len + 1);
            data.splice(at..at, other[src].iter().copied());
        }
        8 if len > 0 => {
            let cut = rng.below(len);
            data.truncate(cut);
        }
        9 if len > 0 => {
            // A run of one byte: compresses well, decodes to a lot.
            let at = rng.below(len + 1);
            let n = 1 << rng.below(16);
            let byte = *rng.pick(&[0_u8, 1, 0x80, 0xff]);
            data.splice(at..at, std::iter::repeat_n(byte, n));
        }
        _ => {
            if len > 0 {
                let i = rng.below(len);
                data[i] = rng.next_u64() as u8;
            } else {
                data.push(rng.next_u64() as u8);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::havoc;
    use crate::rng::Rng;

    #[test]
    fn havoc_changes_inputs_and_never_panics() {
        let mut rng = Rng::new(1);
        let seed = b"hello, world".to_vec();
        let mut changed = 0;
        for _ in 0..2000 {
            let mut d = seed.clone();
            havoc(&mut rng, &mut d, b"other");
            changed += usize::from(d != seed);
            let mut empty = Vec::new();
            havoc(&mut rng, &mut empty, &[]);
        }
        assert!(changed > 1800, "{changed}");
    }
}
