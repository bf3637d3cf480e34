//! Proof files of chronos (photo, PDF, GPX), kept under
//! `STORAGE_PATH/preuves/` with random names, never under the web root.
//! `chronos.preuve_url` holds the storage-relative path (`preuves/<hex>.<ext>`).

use crate::error::catalog;
use crate::error::{Error, Result};
use crate::security::tokens;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Largest proof or GPX file accepted.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;

/// The storage sub-directory of proof files.
const AREA: &str = "preuves";

/// 413 for a file over [`MAX_FILE_BYTES`].
pub fn too_large() -> Error {
    catalog::FILE_TOO_LARGE.err()
}

/// The kind of an uploaded file, from its content (the extension of its name
/// must agree): `jpg`, `png`, `pdf` or `gpx`. 413 when too large, 415 otherwise.
pub fn detect(filename: Option<&str>, data: &[u8]) -> Result<&'static str> {
    if data.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    let unsupported = || catalog::UNSUPPORTED_FILE_TYPE.err();
    let kind = if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "jpg"
    } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        "png"
    } else if data.starts_with(b"%PDF-") {
        "pdf"
    } else if looks_like_gpx(data) {
        "gpx"
    } else {
        return Err(unsupported());
    };
    let ext = filename
        .and_then(|f| f.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        None => Ok(kind),
        Some("jpeg") if kind == "jpg" => Ok(kind),
        Some(e) if e == kind => Ok(kind),
        Some(_) => Err(unsupported()),
    }
}

/// An XML document whose first kilobyte opens a `<gpx` element.
fn looks_like_gpx(data: &[u8]) -> bool {
    let head = &data[..data.len().min(1024)];
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    text.starts_with('<') && text.contains("<gpx")
}

/// A new storage-relative path for a file of kind `ext`.
pub fn new_relative_path(ext: &str) -> String {
    format!("{AREA}/{}.{ext}", tokens::random_hex(16))
}

/// Writes `data` at `relative` under the storage root (never overwriting).
pub fn store(storage: &Path, relative: &str, data: &[u8]) -> Result<()> {
    let path = storage.join(relative);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    file.write_all(data)?;
    Ok(())
}

/// The absolute path of a stored proof, if `relative` is one of ours (the
/// column is ours, but a path leaving the area is never followed).
pub fn resolve(storage: &Path, relative: &str) -> Option<PathBuf> {
    resolve_in(storage, AREA, relative)
}

/// The absolute path of `relative` if it is `<area>/<hex>.<kind>`, a file
/// stored by this module's rules under `area` (chat attachments use them too).
pub fn resolve_in(storage: &Path, area: &str, relative: &str) -> Option<PathBuf> {
    let name = relative.strip_prefix(area)?.strip_prefix('/')?;
    let (stem, ext) = name.split_once('.')?;
    let safe = !stem.is_empty()
        && stem.chars().all(|c| c.is_ascii_hexdigit())
        && ["jpg", "png", "pdf", "gpx"].contains(&ext);
    safe.then(|| storage.join(area).join(name))
}

/// The MIME type of a stored kind.
pub fn content_type(relative: &str) -> &'static str {
    match relative.rsplit_once('.').map(|(_, e)| e) {
        Some("jpg") => "image/jpeg",
        Some("png") => "image/png",
        Some("pdf") => "application/pdf",
        Some("gpx") => "application/gpx+xml",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_content_and_name_must_agree() {
        assert_eq!(
            detect(Some("a.JPEG"), b"\xFF\xD8\xFF\xE0xx").unwrap(),
            "jpg"
        );
        assert_eq!(detect(None, b"\x89PNG\r\n\x1a\nxx").unwrap(), "png");
        assert_eq!(detect(Some("p.pdf"), b"%PDF-1.7").unwrap(), "pdf");
        assert_eq!(
            detect(
                Some("t.gpx"),
                "\u{feff}<?xml version=\"1.0\"?>\n<gpx>".as_bytes()
            )
            .unwrap(),
            "gpx"
        );
        assert_eq!(
            detect(Some("x.png"), b"%PDF-1.7").unwrap_err().status(),
            415
        );
        assert_eq!(detect(Some("x.exe"), b"MZ").unwrap_err().status(), 415);
        let big = vec![0xFF; MAX_FILE_BYTES + 1];
        assert_eq!(detect(None, &big).unwrap_err().code(), "file_too_large");
    }

    #[test]
    fn only_our_paths_resolve() {
        let root = Path::new("/srv/storage");
        let p = new_relative_path("pdf");
        assert_eq!(resolve(root, &p), Some(root.join(&p)));
        assert_eq!(resolve(root, "preuves/../../etc/passwd"), None);
        assert_eq!(resolve(root, "preuves/abc.exe"), None);
        assert_eq!(resolve(root, "/etc/passwd"), None);
        assert_eq!(content_type(&p), "application/pdf");
    }
}
