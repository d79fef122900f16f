//! Byte-level reading of a CSV export: strip a UTF-8 byte-order mark, count the bytes read.

use std::io::{self, Read};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Wraps the raw file: drops a leading UTF-8 BOM (Excel writes one) and counts every byte
/// taken from the file, BOM included, so progress matches the file size.
pub(crate) struct Source<R> {
    inner: R,
    /// Bytes read from `inner` so far.
    pub bytes: u64,
    /// Bytes held back while deciding whether the file starts with a BOM.
    head: Vec<u8>,
    started: bool,
}

impl<R: Read> Source<R> {
    pub fn new(inner: R) -> Self {
        Source {
            inner,
            bytes: 0,
            head: Vec::new(),
            started: false,
        }
    }

    /// Reads up to three bytes, keeps them unless they are exactly a BOM.
    fn start(&mut self) -> io::Result<()> {
        let mut buf = [0u8; 3];
        let mut got = 0;
        while got < 3 {
            let n = self.inner.read(&mut buf[got..])?;
            if n == 0 {
                break;
            }
            got += n;
        }
        self.bytes += got as u64;
        if &buf[..got] != BOM {
            self.head = buf[..got].to_vec();
        }
        self.started = true;
        Ok(())
    }
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if !self.started {
            self.start()?;
        }
        if !self.head.is_empty() {
            let n = self.head.len().min(out.len());
            out[..n].copy_from_slice(&self.head[..n]);
            self.head.drain(..n);
            return Ok(n);
        }
        let n = self.inner.read(out)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

/// A CSV reader as every import uses it: header row, quoted fields, CRLF or LF, rows of any
/// length (a short or long row becomes a line problem, not an abort).
pub(crate) fn csv_reader<R: Read>(inner: R) -> csv::Reader<Source<R>> {
    csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(Source::new(inner))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8]) -> (Vec<u8>, u64) {
        let mut s = Source::new(bytes);
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        (out, s.bytes)
    }

    #[test]
    fn a_bom_is_dropped_but_counted() {
        let (out, n) = read_all(b"\xEF\xBB\xBFa,b\n");
        assert_eq!(out, b"a,b\n");
        assert_eq!(n, 7);
    }

    #[test]
    fn short_and_bomless_inputs_pass_unchanged() {
        assert_eq!(read_all(b"ab"), (b"ab".to_vec(), 2));
        assert_eq!(read_all(b""), (Vec::new(), 0));
        assert_eq!(read_all(b"\xEF\xBBx,y"), (b"\xEF\xBBx,y".to_vec(), 5));
    }
}
