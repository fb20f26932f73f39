//! Exit codes: stable and documented in the README.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | internal or unclassified error |
//! | 2 | bad input: arguments, dataset file, or input data |
//! | 3 | fetch failure |
//! | 4 | Redis failure |
//! | 5 | another run holds the dataset lock |

/// Unclassified failure.
pub const INTERNAL: u8 = 1;
/// Bad arguments or bad input data.
pub const BAD_INPUT: u8 = 2;
/// The region could not be downloaded or verified.
pub const FETCH: u8 = 3;
/// Redis could not be reached, refused a write, or failed verification.
pub const REDIS: u8 = 4;
/// Another run holds the lock.
pub const LOCKED: u8 = 5;

/// Maps an error chain to an exit code by the typed errors it carries.
pub fn code_for(err: &anyhow::Error) -> u8 {
    // A cancelled stage is neither bad input nor a failure of Redis or the fetch.
    if err
        .chain()
        .any(|c| c.downcast_ref::<hexmatrix_contract::Cancelled>().is_some())
    {
        return INTERNAL;
    }
    for cause in err.chain() {
        if cause.downcast_ref::<crate::lock::Locked>().is_some() {
            return LOCKED;
        }
        if let Some(e) = cause.downcast_ref::<hexmatrix_osm::Error>() {
            // A crop that cannot write its output (disk full) is not bad input.
            return if e.is_bad_input() {
                BAD_INPUT
            } else {
                INTERNAL
            };
        }
        if cause.downcast_ref::<crate::config::ConfigError>().is_some()
            || cause
                .downcast_ref::<hexmatrix_contract::BadShard>()
                .is_some()
        {
            return BAD_INPUT;
        }
        // A dataset naming an unusable URL is bad input, not a failed fetch.
        if cause
            .downcast_ref::<hexmatrix::source::UnsupportedUrl>()
            .is_some()
        {
            return BAD_INPUT;
        }
        if cause.downcast_ref::<crate::download::Error>().is_some() {
            return FETCH;
        }
        if let Some(e) = cause.downcast_ref::<hexmatrix_graph::Error>() {
            return if e.is_bad_input() {
                BAD_INPUT
            } else {
                INTERNAL
            };
        }
        if let Some(e) = cause.downcast_ref::<hexmatrix_matrix::Error>() {
            return if e.is_bad_input() {
                BAD_INPUT
            } else {
                INTERNAL
            };
        }
        if let Some(e) = cause.downcast_ref::<hexmatrix_report::Error>() {
            return if e.is_bad_input() {
                BAD_INPUT
            } else {
                INTERNAL
            };
        }
        if let Some(e) = cause.downcast_ref::<hexmatrix_warm::Error>() {
            // A missing or incomplete matrix, or bad options, is not a Redis failure.
            return if e.is_bad_input() { BAD_INPUT } else { REDIS };
        }
    }
    INTERNAL
}

/// The error chain on one line. Library errors often print their cause inside
/// their own message; a cause already shown by the message before it is skipped.
pub fn one_line(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if parts
            .last()
            .is_some_and(|previous| previous.contains(&text))
        {
            continue;
        }
        parts.push(text);
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::{BAD_INPUT, INTERNAL, code_for, one_line};

    #[derive(Debug, thiserror::Error)]
    #[error("reading graph g: {source}")]
    struct Outer {
        source: std::io::Error,
    }

    #[test]
    fn causes_already_in_the_message_are_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "g/graph.ch: no such file");
        let err = anyhow::Error::new(Outer { source: io }).context("matrix on graph g");
        assert_eq!(
            one_line(&err),
            "matrix on graph g: reading graph g: g/graph.ch: no such file"
        );
    }

    /// Issue 11: a crop that filled the disk exited 2, as if its input were bad.
    #[test]
    fn a_failed_write_is_not_bad_input() {
        let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
        let write = anyhow::Error::new(hexmatrix_osm::Error::write("o/.c.tmp-1", full))
            .context("crop of r to b into o/c");
        assert_eq!(code_for(&write), INTERNAL);
        let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
        let read = anyhow::Error::new(hexmatrix_osm::Error::io("r.osm.pbf", missing));
        assert_eq!(code_for(&read), BAD_INPUT);
        let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
        let graph = anyhow::Error::new(hexmatrix_graph::Error::Io {
            path: "g/.graph-car.tmp-1/nodes.parquet".into(),
            source: full,
        });
        assert_eq!(code_for(&graph), INTERNAL);
    }
}
