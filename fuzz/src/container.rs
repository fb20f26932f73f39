//! Inputs made of several files (a matrix directory), as one byte string:
//! `u16` name length, name, `u32` data length, data, repeated (little endian).
//! Unpacking is lenient (a damaged tail is dropped) and only keeps names that
//! stay inside the directory they are written to.

/// Packs `(relative path, content)` pairs.
#[must_use]
pub fn pack(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, data) in files {
        let name = &name.as_bytes()[..name.len().min(usize::from(u16::MAX))];
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(name);
        let data = &data[..data.len().min(u32::MAX as usize)];
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
    }
    out
}

/// Unpacks what [`pack`] made; names that are not plain relative paths are dropped.
#[must_use]
pub fn unpack(mut bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    while let Some((len, rest)) = bytes.split_first_chunk::<2>() {
        let len = usize::from(u16::from_le_bytes(*len));
        let Some((name, rest)) = rest.split_at_checked(len) else {
            break;
        };
        let Some((size, rest)) = rest.split_first_chunk::<4>() else {
            break;
        };
        let size = u32::from_le_bytes(*size) as usize;
        let Some((data, rest)) = rest.split_at_checked(size) else {
            break;
        };
        bytes = rest;
        let Ok(name) = std::str::from_utf8(name) else {
            continue;
        };
        if safe(name) {
            files.push((name.to_owned(), data.to_vec()));
        }
    }
    files
}

/// A relative path of plain names: no root, no `..`, nothing odd.
fn safe(name: &str) -> bool {
    !name.is_empty()
        && name.split('/').all(|part| {
            !part.is_empty()
                && part != ".."
                && part != "."
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_unsafe_names_dropped() {
        let files = vec![
            (hexmatrix_contract::MANIFEST_FILE.to_owned(), b"{}".to_vec()),
            (hexmatrix_contract::part_name(0), vec![1, 2, 3]),
            ("../escape".to_owned(), vec![4]),
            ("/etc/passwd".to_owned(), vec![5]),
        ];
        let back = unpack(&pack(&files));
        assert_eq!(back, files[..2]);
        let packed = pack(&files[..2]);
        assert_eq!(unpack(&packed[..packed.len() - 1]), files[..1]);
    }
}
