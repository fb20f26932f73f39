//! md5 of files and the `.md5` files Geofabrik publishes beside each extract
//! (`<32 hex digits>  <file name>`, as written by `md5sum`).

use std::io::Read;
use std::path::Path;

use md5::{Digest, Md5};

use super::error::{Error, Result, io};

pub use hexmatrix_contract::hex;

/// md5 of a file, lowercase hex.
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be read.
pub fn md5_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(io(path))?;
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// The hash in an md5sum-style text, lowercase.
///
/// # Errors
///
/// [`Error::Md5Format`] naming `url` when the text does not start with 32 hex digits.
pub fn parse_md5(text: &str, url: &str) -> Result<String> {
    let token = text.split_whitespace().next().unwrap_or("");
    if token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(token.to_ascii_lowercase())
    } else {
        Err(Error::Md5Format {
            url: url.to_owned(),
            start: text.chars().take(40).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_md5sum_lines() {
        let text = "5D41402ABC4B2A76B9719D911017C592  malta-latest.osm.pbf\n";
        assert_eq!(
            parse_md5(text, "u").unwrap(),
            "5d41402abc4b2a76b9719d911017c592"
        );
        assert_eq!(
            parse_md5("5d41402abc4b2a76b9719d911017c592", "u").unwrap(),
            "5d41402abc4b2a76b9719d911017c592"
        );
    }

    #[test]
    fn rejects_what_is_not_an_md5() {
        for bad in [
            "",
            "<html>not found</html>",
            "5d41402abc4b2a76b9719d911017c59  x",
        ] {
            let err = parse_md5(bad, "http://h/x.md5").unwrap_err().to_string();
            assert!(err.contains("http://h/x.md5"), "{err}");
        }
    }

    #[test]
    fn hashes_a_file_like_md5sum() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hello");
        std::fs::write(&path, b"hello").unwrap();
        assert_eq!(md5_file(&path).unwrap(), "5d41402abc4b2a76b9719d911017c592");
        let empty = dir.path().join("empty");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(
            md5_file(&empty).unwrap(),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
    }
}
