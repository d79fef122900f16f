//! Finding lines that repeat a key, in memory bounded by a constant: each key is logged as a
//! 128-bit hash with its line, sorted in runs of [`RUN`] entries spilled to temporary files, and
//! the runs merged. Two different keys share a hash with odds near 2^-128 per pair: treated as
//! impossible.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};

/// Entries sorted in memory before a run is spilled: 24 bytes each, so 24 MiB.
const RUN: usize = 1 << 20;

/// A key's hash (two 64-bit halves) and the 1-based line that gave it.
type Entry = (u64, u64, u64);

/// The hash of `key` of the entity at index `entity`; keys of different entities never clash.
pub(crate) fn key_hash(entity: usize, key: &str) -> (u64, u64) {
    let half = |salt: u8| {
        let mut h = DefaultHasher::new();
        (salt, entity, key).hash(&mut h);
        h.finish()
    };
    (half(0), half(1))
}

/// Every key of a file as it is read, in constant memory.
pub(crate) struct KeyLog {
    buf: Vec<Entry>,
    runs: Vec<std::fs::File>,
    run: usize,
}

/// A line whose key an earlier line gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Repeat {
    pub line: u64,
    pub first: u64,
    pub hash: (u64, u64),
}

impl KeyLog {
    pub fn new() -> Self {
        KeyLog::with_run(RUN)
    }

    fn with_run(run: usize) -> Self {
        KeyLog {
            buf: Vec::new(),
            runs: Vec::new(),
            run,
        }
    }

    pub fn push(&mut self, hash: (u64, u64), line: u64) -> io::Result<()> {
        self.buf.push((hash.0, hash.1, line));
        if self.buf.len() >= self.run {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        self.buf.sort_unstable();
        let mut w = BufWriter::new(spill_file()?);
        for e in &self.buf {
            for x in [e.0, e.1, e.2] {
                w.write_all(&x.to_le_bytes())?;
            }
        }
        let mut file = w.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.rewind()?;
        self.runs.push(file);
        self.buf.clear();
        Ok(())
    }

    /// Every repeat, each against the first line that gave its key, handed to `f` in hash order.
    pub fn repeats(mut self, f: &mut dyn FnMut(Repeat)) -> io::Result<()> {
        if self.runs.is_empty() {
            self.buf.sort_unstable();
            let entries = std::mem::take(&mut self.buf);
            scan(entries.into_iter().map(Ok), f)
        } else {
            if !self.buf.is_empty() {
                self.spill()?;
            }
            scan(Merge::new(self.runs)?, f)
        }
    }
}

/// An anonymous scratch file: created in the system's temporary folder and unlinked at once, so
/// it disappears when closed, whatever happens to the process. (Where an open file cannot be
/// unlinked, it stays until the folder is cleaned.)
fn spill_file() -> io::Result<std::fs::File> {
    let path = std::env::temp_dir().join(format!("revcast-keys-{}", uuid::Uuid::new_v4().simple()));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    let _ = std::fs::remove_file(&path);
    Ok(file)
}

/// Reports every entry whose hash equals the previous one's (entries come sorted).
fn scan(
    entries: impl Iterator<Item = io::Result<Entry>>,
    f: &mut dyn FnMut(Repeat),
) -> io::Result<()> {
    let mut first: Option<Entry> = None;
    for e in entries {
        let e = e?;
        match first {
            Some(fst) if (fst.0, fst.1) == (e.0, e.1) => f(Repeat {
                line: e.2,
                first: fst.2,
                hash: (e.0, e.1),
            }),
            _ => first = Some(e),
        }
    }
    Ok(())
}

/// The sorted runs merged into one sorted stream.
struct Merge {
    readers: Vec<BufReader<std::fs::File>>,
    heap: BinaryHeap<Reverse<(Entry, usize)>>,
}

impl Merge {
    fn new(runs: Vec<std::fs::File>) -> io::Result<Self> {
        let mut m = Merge {
            readers: runs.into_iter().map(BufReader::new).collect(),
            heap: BinaryHeap::new(),
        };
        for i in 0..m.readers.len() {
            m.refill(i)?;
        }
        Ok(m)
    }

    fn refill(&mut self, i: usize) -> io::Result<()> {
        let mut bytes = [0u8; 24];
        match self.readers[i].read_exact(&mut bytes) {
            Ok(()) => {
                let word = |k: usize| {
                    u64::from_le_bytes(bytes[k * 8..k * 8 + 8].try_into().expect("8 bytes"))
                };
                self.heap.push(Reverse(((word(0), word(1), word(2)), i)));
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(()),
            Err(e) => Err(e),
        }
    }
}

impl Iterator for Merge {
    type Item = io::Result<Entry>;
    fn next(&mut self) -> Option<Self::Item> {
        let Reverse((e, i)) = self.heap.pop()?;
        Some(self.refill(i).map(|()| e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repeats(log: KeyLog) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        log.repeats(&mut |r| out.push((r.line, r.first))).unwrap();
        out.sort_unstable();
        out
    }

    #[test]
    fn repeats_are_found_against_the_first_line_in_memory_and_across_spilled_runs() {
        for run in [3, 1000] {
            let mut log = KeyLog::with_run(run);
            let keys = ["a", "b", "a", "c", "d", "b", "a", "e"];
            for (i, k) in keys.iter().enumerate() {
                log.push(key_hash(0, k), i as u64 + 2).unwrap();
            }
            log.push(key_hash(1, "a"), 20).unwrap();
            assert_eq!(repeats(log), [(4, 2), (7, 3), (8, 2)], "run {run}");
        }
    }
}
