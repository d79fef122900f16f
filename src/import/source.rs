//! Byte-level reading of a CSV export: strip a UTF-8 byte-order mark, turn CRLF into LF, count
//! the bytes read.

use std::io::{self, Read};

const BOM: &[u8] = b"\xEF\xBB\xBF";
const CHUNK: usize = 16 * 1024;

/// Wraps the raw file. Drops a leading UTF-8 BOM (Excel writes one) and turns every CRLF into
/// LF: the csv crate reports the line of a CRLF file's record one too low, and line numbers are
/// how a user finds a bad row. A lone CR is kept. Counts every byte taken from the file, BOM and
/// CRs included, so progress ends at the file's size.
pub(crate) struct Source<R> {
    inner: R,
    /// Bytes read from `inner` so far.
    pub bytes: u64,
    /// Converted bytes not yet handed out, from `at` on.
    ready: Vec<u8>,
    at: usize,
    /// The last byte seen was a CR whose fate depends on the next byte.
    cr: bool,
    started: bool,
}

impl<R: Read> Source<R> {
    pub fn new(inner: R) -> Self {
        Source {
            inner,
            bytes: 0,
            ready: Vec::with_capacity(CHUNK),
            at: 0,
            cr: false,
            started: false,
        }
    }

    /// Reads the next chunk into `ready`; false at the end of the file.
    fn refill(&mut self) -> io::Result<bool> {
        self.ready.clear();
        self.at = 0;
        let mut buf = vec![0u8; CHUNK];
        let mut n = self.inner.read(&mut buf)?;
        if !self.started {
            self.started = true;
            // Gather three bytes, however the reader splits them, to see whether they are a BOM.
            while n < BOM.len() {
                let more = self.inner.read(&mut buf[n..])?;
                if more == 0 {
                    break;
                }
                n += more;
            }
            self.bytes += n as u64;
            let skip = if buf[..n].starts_with(BOM) {
                BOM.len()
            } else {
                0
            };
            self.convert(&buf[skip..n]);
            return Ok(n > 0);
        }
        self.bytes += n as u64;
        if n == 0 && self.cr {
            self.cr = false;
            self.ready.push(b'\r');
            return Ok(true);
        }
        self.convert(&buf[..n]);
        Ok(n > 0)
    }

    /// Appends `chunk` to `ready`, each CRLF as LF (a CR at its end waits for the next chunk),
    /// copying the runs between two CRs whole.
    fn convert(&mut self, chunk: &[u8]) {
        let mut rest = chunk;
        while let Some(&first) = rest.first() {
            if std::mem::take(&mut self.cr) && first != b'\n' {
                self.ready.push(b'\r');
            }
            match rest.iter().position(|&b| b == b'\r') {
                None => {
                    self.ready.extend_from_slice(rest);
                    return;
                }
                Some(i) => {
                    self.ready.extend_from_slice(&rest[..i]);
                    self.cr = true;
                    rest = &rest[i + 1..];
                }
            }
        }
    }
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at >= self.ready.len() {
            if !self.refill()? {
                return Ok(0);
            }
        }
        let n = (self.ready.len() - self.at).min(out.len());
        out[..n].copy_from_slice(&self.ready[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A CSV reader as every import uses it: header row, quoted fields, CRLF or LF, rows of any
/// length (a short or long row becomes a line problem, not an abort).
pub(crate) fn csv_reader<R: Read>(inner: R) -> csv::Reader<Source<R>> {
    csv_reader_with(inner, b',')
}

/// [`csv_reader`] with another cell separator (`b';'`, `b'\t'`).
pub(crate) fn csv_reader_with<R: Read>(inner: R, delimiter: u8) -> csv::Reader<Source<R>> {
    csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(64 * 1024)
        .from_reader(Source::new(inner))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads through a Source, the inner reader giving at most `step` bytes per call.
    fn read_all(bytes: &[u8], step: usize) -> (Vec<u8>, u64) {
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(out.len()).min(self.1);
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut s = Source::new(Trickle(bytes, step));
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        (out, s.bytes)
    }

    #[test]
    fn a_bom_is_dropped_but_counted_however_the_file_is_split() {
        for step in [1, 2, 5, 100] {
            assert_eq!(read_all(b"\xEF\xBB\xBFa,b\n", step), (b"a,b\n".to_vec(), 7));
        }
    }

    #[test]
    fn crlf_becomes_lf_across_chunk_boundaries_and_lone_crs_stay() {
        for step in [1, 3, 100] {
            let (out, n) = read_all(b"a\r\nb\rc\r\n\r", step);
            assert_eq!(out, b"a\nb\rc\n\r", "step {step}");
            assert_eq!(n, 9);
        }
    }

    #[test]
    fn short_and_bomless_inputs_pass_unchanged() {
        assert_eq!(read_all(b"ab", 100), (b"ab".to_vec(), 2));
        assert_eq!(read_all(b"", 100), (Vec::new(), 0));
        assert_eq!(read_all(b"\xEF\xBBx,y", 1), (b"\xEF\xBBx,y".to_vec(), 5));
    }
}
