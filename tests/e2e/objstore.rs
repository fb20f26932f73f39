//! Object storage (issue 13): stage inputs and outputs under `s3://` URLs against a
//! real S3 API on loopback (moto's server from tests/requirements.txt), the real
//! binary, no stand-in for the `object_store` client.

#[cfg(feature = "object-store")]
mod s3;

/// Without the feature a URL is refused before any work, naming the feature and
/// the command that builds it in.
#[cfg(not(feature = "object-store"))]
#[test]
fn without_the_feature_a_url_is_refused_with_the_rebuild_command() {
    let out = crate::util::hexmatrix(&["warm", "--matrix", "s3://bucket/m", "--resp-out", "x"]);
    let text = crate::util::text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("s3://bucket/m"), "{text}");
    assert!(text.contains("--features object-store"), "{text}");
}
