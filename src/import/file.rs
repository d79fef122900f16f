//! The export as a file on disk: plain or gzip-compressed, its cell separator given or sniffed
//! from the header line, read as many times as an import needs (once, and again up to the last
//! line a report of repeated keys names, to spell those keys out).

use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::ImportError;

/// The separators recognised in a header line, the first winning a tie.
const SEPARATORS: [u8; 3] = [b',', b';', b'\t'];
/// How much of the file's start is read to find the header line.
const SNIFF_BYTES: usize = 64 * 1024;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// A CSV export on disk. A file starting with the gzip magic bytes (`.csv.gz`) is decompressed
/// as it is read.
#[derive(Debug, Clone)]
pub struct CsvFile {
    path: PathBuf,
    gzip: bool,
    delimiter: u8,
    /// Bytes on disk (compressed size for a gzip file).
    size: u64,
}

/// A reader over the file's CSV text, and a count of the bytes taken from the disk so far
/// (compressed bytes for a gzip file, so progress ends at the file's size).
pub(crate) struct Opened {
    pub reader: Box<dyn Read + Send>,
    pub read: Arc<AtomicU64>,
}

impl CsvFile {
    /// Opens `path` to learn its size and compression and, when `delimiter` is None, its
    /// separator: whichever of `,` `;` and tab appears most often outside quotes in the header
    /// line (`,` when none does).
    pub fn new(path: &Path, delimiter: Option<u8>) -> Result<CsvFile, ImportError> {
        let fail = |e: io::Error| ImportError::File {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        let mut magic = [0u8; 2];
        let mut f = std::fs::File::open(path).map_err(fail)?;
        let size = f.metadata().map_err(fail)?.len();
        let gzip = f.read_exact(&mut magic).is_ok() && magic == GZIP_MAGIC;
        let mut file = CsvFile {
            path: path.to_path_buf(),
            gzip,
            delimiter: b',',
            size,
        };
        file.delimiter = match delimiter {
            Some(d) => d,
            None => {
                let mut head = Vec::with_capacity(SNIFF_BYTES);
                let reader = file.open()?.reader;
                reader
                    .take(SNIFF_BYTES as u64)
                    .read_to_end(&mut head)
                    .map_err(fail)?;
                sniff_delimiter(&head)
            }
        };
        Ok(file)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cell separator used.
    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// Bytes on disk.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// A fresh reader from the file's first byte.
    pub(crate) fn open(&self) -> Result<Opened, ImportError> {
        let file = std::fs::File::open(&self.path).map_err(|e| ImportError::File {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        let read = Arc::new(AtomicU64::new(0));
        let counted = BufReader::with_capacity(
            64 * 1024,
            Counted {
                inner: file,
                read: read.clone(),
            },
        );
        let reader: Box<dyn Read + Send> = if self.gzip {
            Box::new(BufReader::with_capacity(
                64 * 1024,
                flate2::bufread::MultiGzDecoder::new(counted),
            ))
        } else {
            Box::new(counted)
        };
        Ok(Opened { reader, read })
    }
}

struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The separator of a CSV whose text starts with `head`: the one of `,` `;` and tab found most
/// often outside quotes in the first line; `,` when none is there.
pub fn sniff_delimiter(head: &[u8]) -> u8 {
    let mut counts = [0usize; SEPARATORS.len()];
    let mut quoted = false;
    for &b in head {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            _ if !quoted => {
                if let Some(i) = SEPARATORS.iter().position(|&s| s == b) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let best =
        (0..SEPARATORS.len()).fold(0, |best, i| if counts[i] > counts[best] { i } else { best });
    SEPARATORS[best]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_separator_is_the_most_frequent_one_outside_quotes_in_the_header() {
        assert_eq!(sniff_delimiter(b"a,b,c\n1;2;3;4;5\n"), b',');
        assert_eq!(sniff_delimiter(b"a;b;c\n1,2\n"), b';');
        assert_eq!(sniff_delimiter(b"\"x,y,z\";b\n"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\tc\r\n"), b'\t');
        assert_eq!(sniff_delimiter(b"single\n"), b',');
        assert_eq!(sniff_delimiter(b""), b',');
    }

    #[test]
    fn a_gzip_file_reads_as_its_text_and_counts_compressed_bytes() {
        use std::io::Write;
        let dir = crate::import::tests::stream::TestDir::new();
        let path = dir.path().join("x.csv.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"a;b\n1;2\n").unwrap();
        std::fs::write(&path, gz.finish().unwrap()).unwrap();
        let file = CsvFile::new(&path, None).unwrap();
        assert_eq!(file.delimiter(), b';');
        let opened = file.open().unwrap();
        let mut text = String::new();
        let mut reader = opened.reader;
        reader.read_to_string(&mut text).unwrap();
        assert_eq!(text, "a;b\n1;2\n");
        assert_eq!(opened.read.load(Ordering::Relaxed), file.size());
    }
}
