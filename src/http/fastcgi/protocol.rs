//! The responder role of FastCGI 1.0, as `mod_fcgid` speaks it: one request at
//! a time per connection, parameters and body as byte streams.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;

const VERSION: u8 = 1;
const BEGIN_REQUEST: u8 = 1;
const ABORT_REQUEST: u8 = 2;
const END_REQUEST: u8 = 3;
const PARAMS: u8 = 4;
const STDIN: u8 = 5;
const STDOUT: u8 = 6;
const GET_VALUES: u8 = 9;
const GET_VALUES_RESULT: u8 = 10;
const UNKNOWN_TYPE: u8 = 11;
const RESPONDER: u16 = 1;
const KEEP_CONN: u8 = 1;
const REQUEST_COMPLETE: u8 = 0;
const CANT_MPX_CONN: u8 = 1;
const UNKNOWN_ROLE: u8 = 3;
/// Largest content of one record.
const MAX_CONTENT: usize = 65_535;

/// One record: its type, request id and content (padding dropped).
struct Record {
    kind: u8,
    id: u16,
    content: Vec<u8>,
}

fn read_record(r: &mut impl Read) -> io::Result<Record> {
    let mut header = [0u8; 8];
    r.read_exact(&mut header)?;
    if header[0] != VERSION {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "FastCGI version",
        ));
    }
    let id = u16::from_be_bytes([header[2], header[3]]);
    let length = usize::from(u16::from_be_bytes([header[4], header[5]]));
    let mut content = vec![0u8; length + usize::from(header[6])];
    r.read_exact(&mut content)?;
    content.truncate(length);
    Ok(Record {
        kind: header[1],
        id,
        content,
    })
}

fn write_record(w: &mut impl Write, kind: u8, id: u16, content: &[u8]) -> io::Result<()> {
    let mut record = Vec::with_capacity(8 + content.len());
    push_record(&mut record, kind, id, content);
    w.write_all(&record)
}

/// A request whose `BEGIN_REQUEST` and PARAMS have been read; its body is
/// still on the connection ([`Stdin`]).
pub struct BegunRequest {
    /// The request id.
    pub id: u16,
    /// Whether the server keeps the connection for another request.
    pub keep_conn: bool,
    /// The CGI meta-variables, as bytes.
    pub params: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Reads the next request's beginning; `None` when the server closed the
/// connection. Management records met on the way are answered.
pub fn read_request(stream: &mut UnixStream) -> io::Result<Option<BegunRequest>> {
    let (id, keep_conn) = loop {
        let record = match read_record(stream) {
            Ok(r) => r,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        };
        match record.kind {
            BEGIN_REQUEST if record.content.len() >= 3 => {
                let role = u16::from_be_bytes([record.content[0], record.content[1]]);
                if role != RESPONDER {
                    end_request(stream, record.id, UNKNOWN_ROLE)?;
                    continue;
                }
                break (record.id, record.content[2] & KEEP_CONN != 0);
            }
            GET_VALUES => write_record(stream, GET_VALUES_RESULT, 0, &values_result())?,
            kind if record.id == 0 => {
                write_record(stream, UNKNOWN_TYPE, 0, &[kind, 0, 0, 0, 0, 0, 0, 0])?;
            }
            _ => {}
        }
    };
    let mut raw = Vec::new();
    loop {
        let record = read_record(stream)?;
        match record.kind {
            PARAMS if record.id == id => {
                if record.content.is_empty() {
                    break;
                }
                raw.extend_from_slice(&record.content);
            }
            BEGIN_REQUEST => end_request(stream, record.id, CANT_MPX_CONN)?,
            ABORT_REQUEST if record.id == id => return Ok(None),
            _ => {}
        }
    }
    Ok(Some(BegunRequest {
        id,
        keep_conn,
        params: parse_pairs(&raw),
    }))
}

/// Our answer to `FCGI_GET_VALUES`: one connection, one request at a time.
fn values_result() -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in [
        ("FCGI_MAX_CONNS", "1"),
        ("FCGI_MAX_REQS", "1"),
        ("FCGI_MPXS_CONNS", "0"),
    ] {
        // Names and values under 128 bytes: one length byte each.
        let len = |s: &str| u8::try_from(s.len()).expect("short FastCGI name or value");
        out.extend_from_slice(&[len(name), len(value)]);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(value.as_bytes());
    }
    out
}

/// Name-value pairs: each length is one byte below 128, else four bytes
/// with the top bit set. A truncated pair ends the list.
fn parse_pairs(mut raw: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut pairs = Vec::new();
    while let (Some(name_len), Some(value_len)) = (read_len(&mut raw), read_len(&mut raw)) {
        if raw.len() < name_len + value_len {
            break;
        }
        let (name, rest) = raw.split_at(name_len);
        let (value, rest) = rest.split_at(value_len);
        pairs.push((name.to_vec(), value.to_vec()));
        raw = rest;
    }
    pairs
}

fn read_len(raw: &mut &[u8]) -> Option<usize> {
    let first = *raw.first()?;
    if first < 0x80 {
        *raw = &raw[1..];
        return Some(usize::from(first));
    }
    let bytes: [u8; 4] = raw.get(..4)?.try_into().ok()?;
    *raw = &raw[4..];
    usize::try_from(u32::from_be_bytes(bytes) & 0x7fff_ffff).ok()
}

/// The request body: the STDIN stream, read record by record as the
/// request is built (so a body over the limit is never held whole).
pub struct Stdin<'a> {
    stream: &'a mut UnixStream,
    id: u16,
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
}

impl<'a> Stdin<'a> {
    /// The body of request `id`.
    pub fn new(stream: &'a mut UnixStream, id: u16) -> Stdin<'a> {
        Stdin {
            stream,
            id,
            buf: Vec::new(),
            pos: 0,
            eof: false,
        }
    }

    /// Reads what is left of the body, so the connection is ready for the
    /// answer (and the next request).
    pub fn drain(&mut self) {
        let _ = io::copy(self, &mut io::sink());
    }
}

impl Read for Stdin<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.buf.len() && !self.eof {
            let record = read_record(self.stream)?;
            match record.kind {
                STDIN if record.id == self.id => {
                    self.eof = record.content.is_empty();
                    self.buf = record.content;
                    self.pos = 0;
                }
                ABORT_REQUEST if record.id == self.id => self.eof = true,
                _ => {}
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Sends the whole answer as STDOUT records, then ends the request: every
/// record in one buffer and one `write(2)` (the empty STDOUT record and
/// `END_REQUEST` used to go out in writes of their own, each waking Apache).
pub fn respond(stream: &mut UnixStream, id: u16, bytes: &[u8]) -> io::Result<()> {
    let records = bytes.len().div_ceil(MAX_CONTENT) + 2;
    let mut out = Vec::with_capacity(bytes.len() + 8 * records);
    for chunk in bytes.chunks(MAX_CONTENT) {
        push_record(&mut out, STDOUT, id, chunk);
    }
    push_record(&mut out, STDOUT, id, &[]);
    push_record(
        &mut out,
        END_REQUEST,
        id,
        &[0, 0, 0, 0, REQUEST_COMPLETE, 0, 0, 0],
    );
    stream.write_all(&out)
}

/// Appends one record (no padding) to `out`.
fn push_record(out: &mut Vec<u8>, kind: u8, id: u16, content: &[u8]) {
    let length = u16::try_from(content.len()).expect("record content fits in 16 bits");
    let [id_hi, id_lo] = id.to_be_bytes();
    let [len_hi, len_lo] = length.to_be_bytes();
    out.extend_from_slice(&[VERSION, kind, id_hi, id_lo, len_hi, len_lo, 0, 0]);
    out.extend_from_slice(content);
}

fn end_request(stream: &mut UnixStream, id: u16, protocol_status: u8) -> io::Result<()> {
    write_record(
        stream,
        END_REQUEST,
        id,
        &[0, 0, 0, 0, protocol_status, 0, 0, 0],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_with_short_and_long_lengths() {
        let long = vec![b'x'; 200];
        let mut raw = vec![4, 3];
        raw.extend_from_slice(b"NAMEval");
        raw.extend_from_slice(&[10, 0x80, 0, 0, 200]);
        raw.extend_from_slice(b"HTTP_AGENT");
        raw.extend_from_slice(&long);
        raw.extend_from_slice(&[1, 1, 0xff]);
        raw.push(0xfe);
        let pairs = parse_pairs(&raw);
        assert_eq!(pairs.len(), 3);
        assert_eq!(pairs[0], (b"NAME".to_vec(), b"val".to_vec()));
        assert_eq!(pairs[1].1.len(), 200);
        assert_eq!(pairs[2], (vec![0xff], vec![0xfe]), "bytes kept as they are");
    }

    #[test]
    fn records_round_trip_with_padding() {
        let mut wire = Vec::new();
        write_record(&mut wire, STDIN, 7, b"abc").unwrap();
        wire[6] = 5;
        wire.extend_from_slice(&[0; 5]);
        let r = read_record(&mut &wire[..]).unwrap();
        assert_eq!(
            (r.kind, r.id, r.content.as_slice()),
            (STDIN, 7, &b"abc"[..])
        );
    }
}
