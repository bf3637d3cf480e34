//! `multipart/form-data` bodies (RFC 7578), as browsers send file uploads.
//!
//! The whole body is already in memory (bounded by `MAX_BODY_BYTES`), so
//! parsing is a split on the boundary; no streaming is needed.

use crate::error::{catalog, Error, Result};
use crate::http::Request;

/// One part of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The form field name.
    pub name: String,
    /// The original file name, for file fields.
    pub filename: Option<String>,
    /// The part's declared content type.
    pub content_type: Option<String>,
    /// The raw bytes.
    pub data: Vec<u8>,
}

impl Part {
    /// The value as text (form fields).
    #[must_use]
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

/// A parsed form.
#[derive(Debug, Default)]
pub struct Form {
    /// The parts, in order.
    pub parts: Vec<Part>,
}

impl Form {
    /// Parses the request body; 415 when it is not `multipart/form-data`,
    /// 400 when it is malformed.
    pub fn parse(req: &Request) -> Result<Form> {
        let content_type = req.header("content-type").unwrap_or("");
        let boundary =
            boundary(content_type).ok_or_else(|| catalog::UNSUPPORTED_MEDIA_TYPE.err())?;
        parse_body(&req.body, &boundary).ok_or_else(|| catalog::INVALID_MULTIPART.err())
    }

    /// The first part named `name`.
    #[must_use]
    pub fn part(&self, name: &str) -> Option<&Part> {
        self.parts.iter().find(|p| p.name == name)
    }

    /// A text field, trimmed; empty counts as absent.
    #[must_use]
    pub fn field(&self, name: &str) -> Option<String> {
        self.part(name)
            .map(|p| p.text().trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// The file part named `name`; 422 when missing or empty.
    pub fn file(&self, name: &str) -> Result<&Part> {
        self.part(name)
            .filter(|p| !p.data.is_empty())
            .ok_or_else(|| Error::invalid(format!("Le fichier « {name} » est manquant ou vide.")))
    }
}

fn boundary(content_type: &str) -> Option<String> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case("boundary")
            .then(|| v.trim_matches('"').to_string())
            .filter(|b| !b.is_empty())
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn parse_body(body: &[u8], boundary: &str) -> Option<Form> {
    let delimiter = format!("--{boundary}").into_bytes();
    let mut pos = find(body, &delimiter, 0)? + delimiter.len();
    let mut form = Form::default();
    loop {
        if body.get(pos..pos + 2) == Some(b"--") {
            return Some(form);
        }
        pos = find(body, b"\r\n", pos)? + 2;
        let headers_end = find(body, b"\r\n\r\n", pos)?;
        let headers = std::str::from_utf8(&body[pos..headers_end]).ok()?;
        let data_start = headers_end + 4;
        let next = find(body, &[b"\r\n", &delimiter[..]].concat(), data_start)?;
        form.parts
            .push(part(headers, body[data_start..next].to_vec())?);
        pos = next + 2 + delimiter.len();
    }
}

fn part(headers: &str, data: Vec<u8>) -> Option<Part> {
    let mut name = None;
    let mut filename = None;
    let mut content_type = None;
    for line in headers.split("\r\n") {
        let (key, value) = line.split_once(':')?;
        if key.trim().eq_ignore_ascii_case("content-disposition") {
            for param in value.split(';').skip(1) {
                if let Some((k, v)) = param.trim().split_once('=') {
                    let v = v.trim().trim_matches('"').to_string();
                    match k.trim() {
                        "name" => name = Some(v),
                        "filename" => filename = Some(v),
                        _ => {}
                    }
                }
            }
        } else if key.trim().eq_ignore_ascii_case("content-type") {
            content_type = Some(value.trim().to_string());
        }
    }
    Some(Part {
        name: name?,
        filename,
        content_type,
        data,
    })
}

/// Builds a multipart body (for tests and for clients written in Rust).
#[must_use]
pub fn encode(boundary: &str, parts: &[Part]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let filename = p
            .filename
            .as_ref()
            .map(|f| format!("; filename=\"{f}\""))
            .unwrap_or_default();
        out.extend_from_slice(
            format!(
                "Content-Disposition: form-data; name=\"{}\"{filename}\r\n",
                p.name
            )
            .as_bytes(),
        );
        if let Some(ct) = &p.content_type {
            out.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&p.data);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, filename: &str, data: &[u8]) -> Part {
        Part {
            name: name.into(),
            filename: Some(filename.into()),
            content_type: Some("application/octet-stream".into()),
            data: data.to_vec(),
        }
    }

    #[test]
    fn round_trip_with_binary_data() {
        let binary: Vec<u8> = (0..=255).collect();
        let parts = vec![
            Part {
                name: "nom".into(),
                filename: None,
                content_type: None,
                data: b"M\xc3\xa9daille".to_vec(),
            },
            file("fichier", "médaille.dxf", &binary),
        ];
        let body = encode("XyZ", &parts);
        let form = parse_body(&body, "XyZ").unwrap();
        assert_eq!(form.parts, parts);
        assert_eq!(form.field("nom").as_deref(), Some("Médaille"));
        assert_eq!(form.file("fichier").unwrap().data, binary);
        assert!(form.file("absent").is_err());
    }

    #[test]
    fn boundary_from_content_type() {
        assert_eq!(
            boundary("multipart/form-data; boundary=\"ab cd\"").as_deref(),
            Some("ab cd")
        );
        assert_eq!(
            boundary("Multipart/Form-Data;charset=utf-8; boundary=x").as_deref(),
            Some("x")
        );
        assert_eq!(boundary("application/json"), None);
    }

    #[test]
    fn truncated_body_is_refused() {
        let body = encode("b", &[file("f", "a.gpx", b"<gpx/>")]);
        assert!(parse_body(&body[..body.len() - 10], "b").is_none());
    }
}
