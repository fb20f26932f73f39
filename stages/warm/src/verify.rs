//! Verification before the pointer moves: every matrix row was read and every
//! key meant to be stored was acknowledged (exact counts, per part); the servers
//! neither restarted nor evicted keys during the load; when the database was
//! empty before a fresh load, DBSIZE grew by exactly the keys written; and a
//! uniform sample of pairs read back from Redis equals the values rendered again
//! from the Parquet rows (and pairs beyond the duration limit are absent).

use crate::connect::Conn;
use crate::error::{Error, Result};
use crate::keys::KeyRenderer;
use crate::load::Sample;

/// Keys per read-back MGET.
const READ_CHUNK: usize = 500;

/// What the read-back found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadBack {
    /// Pairs checked.
    pub checked: u64,
    /// Of these, pairs that must be absent (beyond the duration limit).
    pub absent: u64,
}

/// Reads the sampled pairs back and compares them with the matrix.
///
/// # Errors
/// [`Error::Verify`] naming the first mismatching keys, or a read failure.
pub fn read_back(
    conn: &mut Conn,
    version: &str,
    keys: &KeyRenderer,
    samples: &[Sample],
) -> Result<ReadBack> {
    let mut report = ReadBack::default();
    let mut mismatches = Vec::new();
    let mut mismatch_count = 0_u64;
    for chunk in samples.chunks(READ_CHUNK) {
        let names: Vec<String> = chunk.iter().map(|s| keys.key(s.origin, s.dest)).collect();
        // On a Cluster, keys of different rows live in different slots: GETs in a pipeline.
        let values = conn.read_values(&names, false)?;
        for ((sample, name), value) in chunk.iter().zip(&names).zip(values) {
            report.checked += 1;
            let expected = sample.expected.as_deref().map(String::from_utf8_lossy);
            if expected.is_none() {
                report.absent += 1;
            }
            if value.as_deref() != expected.as_deref() {
                mismatch_count += 1;
                if mismatches.len() < 3 {
                    mismatches.push(format!(
                        "{name} holds {} but the matrix says {}",
                        value.map_or_else(|| "nothing".to_owned(), |v| format!("{v:?}")),
                        expected.map_or_else(|| "absent".to_owned(), |v| format!("{v:?}")),
                    ));
                }
            }
        }
    }
    if mismatch_count > 0 {
        return Err(Error::Verify {
            version: version.to_owned(),
            message: format!(
                "{mismatch_count} of {} sampled pairs differ from the matrix ({})",
                report.checked,
                mismatches.join("; ")
            ),
        });
    }
    Ok(report)
}
