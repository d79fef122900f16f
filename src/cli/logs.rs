//! Where the logs go: stderr, filtered by `RUST_LOG` (default `info`), as text or, with
//! `REVCAST_LOG_FORMAT=json`, as JSON lines; colours only when stderr is a terminal.
//!
//! The access log (one line a request) would cost a `write` a request, about a tenth of a
//! single-lead request's time; its lines are kept in memory and written together, at most
//! [`FLUSH_EVERY`] later (or once [`FLUSH_AT`] bytes wait). Every other line is written at once,
//! after the access lines kept before it, so the order of the lines is the order of the events.
//! The process writes what is kept when it ends; only a killed process loses the last access lines
//! (at most [`FLUSH_EVERY`] of them). In the text format the access lines are also formatted by
//! hand ([`AccessFirst`]): the same text as the default format's, without its formatting machinery
//! for the timestamp and the numbers.

use std::io::{IsTerminal, Write};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{self, FormatEvent, FormatFields, Writer};
use tracing_subscriber::fmt::{FmtContext, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

use crate::api::access::TARGET;

/// How long an access line waits at most before it is written.
pub const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// How many bytes of access lines are written together at most.
pub const FLUSH_AT: usize = 64 * 1024;

/// Log lines on their way to `W`: the kept ones, and the writer with its spare buffer.
pub struct LogSink<W> {
    kept: Mutex<Vec<u8>>,
    out: Mutex<(W, Vec<u8>)>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<W: Write> LogSink<W> {
    pub fn new(out: W) -> Self {
        LogSink {
            kept: Mutex::new(Vec::with_capacity(FLUSH_AT)),
            out: Mutex::new((out, Vec::with_capacity(FLUSH_AT))),
        }
    }

    /// Keeps a line to write later (with the next flush).
    pub fn keep(&self, line: &[u8]) {
        let mut kept = lock(&self.kept);
        kept.extend_from_slice(line);
        let full = kept.len() >= FLUSH_AT;
        drop(kept);
        if full {
            self.write(&[]);
        }
    }

    /// Writes the kept lines, then `line`, now. Errors are dropped: there is nowhere to log them.
    pub fn write(&self, line: &[u8]) {
        let mut out = lock(&self.out);
        let (w, spare) = &mut *out;
        std::mem::swap(&mut *lock(&self.kept), spare);
        if !spare.is_empty() {
            let _ = w.write_all(spare);
            spare.clear();
        }
        if !line.is_empty() {
            let _ = w.write_all(line);
        }
        let _ = w.flush();
    }

    /// Writes the kept lines now.
    pub fn flush(&self) {
        self.write(&[]);
    }

    /// Gives back the writer (for tests).
    #[cfg(test)]
    fn into_inner(self) -> W {
        self.out
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .0
    }
}

/// The process's sink, on stderr.
static STDERR: OnceLock<LogSink<std::io::Stderr>> = OnceLock::new();

fn stderr_sink() -> &'static LogSink<std::io::Stderr> {
    STDERR.get_or_init(|| LogSink::new(std::io::stderr()))
}

/// Writes the access lines still kept (called when the process ends).
pub fn flush() {
    if let Some(sink) = STDERR.get() {
        sink.flush();
    }
}

/// Hands the subscriber a writer per event: the access log's lines are kept, the others written.
struct Lines<W: 'static>(&'static LogSink<W>);

/// One event's writer.
pub struct Line<'a, W: Write> {
    sink: &'a LogSink<W>,
    keep: bool,
}

impl<W: Write> Write for Line<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.keep {
            self.sink.keep(buf);
        } else {
            self.sink.write(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a, W: Write> MakeWriter<'a> for Lines<W> {
    type Writer = Line<'a, W>;

    fn make_writer(&'a self) -> Self::Writer {
        Line {
            sink: self.0,
            keep: false,
        }
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        Line {
            sink: self.0,
            keep: meta.target() == TARGET,
        }
    }
}

/// The text format: the access log's lines written by hand, every other event by `inner`.
/// An access line is the default format's (`2026-12-01T11:10:25.195275Z  INFO revcast::access:
/// request method=GET uri=/v1/leads status=200 micros=753`) when the event has no span around it
/// and the writer takes no colours; otherwise `inner` formats it.
pub struct AccessFirst<F>(pub F);

impl<S, N, F> FormatEvent<S, N> for AccessFirst<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let meta = event.metadata();
        let plain = meta.target() == TARGET
            && !writer.has_ansi_escapes()
            && event.parent().is_none()
            && ctx.lookup_current().is_none();
        if !plain {
            return self.0.format_event(ctx, writer, event);
        }
        let mut line = AccessLine(String::with_capacity(160));
        line.timestamp(chrono::Utc::now());
        line.0.push_str(match *meta.level() {
            tracing::Level::ERROR => " ERROR ",
            tracing::Level::WARN => "  WARN ",
            tracing::Level::INFO => "  INFO ",
            tracing::Level::DEBUG => " DEBUG ",
            tracing::Level::TRACE => " TRACE ",
        });
        line.0.push_str(TARGET);
        line.0.push(':');
        event.record(&mut line);
        line.0.push('\n');
        writer.write_str(&line.0)
    }
}

/// One access line being written.
struct AccessLine(String);

impl AccessLine {
    /// RFC 3339 in UTC to the microsecond, as the default format writes it.
    fn timestamp(&mut self, t: chrono::DateTime<chrono::Utc>) {
        use chrono::{Datelike, Timelike};
        let digits = |out: &mut String, n: u32, width: usize| {
            let mut buf = itoa::Buffer::new();
            let text = buf.format(n);
            out.extend(std::iter::repeat_n('0', width.saturating_sub(text.len())));
            out.push_str(text);
        };
        let out = &mut self.0;
        match u32::try_from(t.year()) {
            Ok(year) if year <= 9999 => digits(out, year, 4),
            _ => out.push_str(&t.year().to_string()),
        }
        for (sep, n) in [('-', t.month()), ('-', t.day()), ('T', t.hour())] {
            out.push(sep);
            digits(out, n, 2);
        }
        for (sep, n) in [(':', t.minute()), (':', t.second())] {
            out.push(sep);
            digits(out, n, 2);
        }
        out.push('.');
        digits(out, t.nanosecond() % 1_000_000_000 / 1_000, 6);
        out.push('Z');
    }

    fn name(&mut self, field: &Field) {
        self.0.push(' ');
        if field.name() != "message" {
            self.0.push_str(field.name());
            self.0.push('=');
        }
    }
}

impl Visit for AccessLine {
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.name(field);
        self.0.push_str(itoa::Buffer::new().format(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_debug(field, &value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write as _;
        self.name(field);
        let _ = write!(self.0, "{value:?}");
    }
}

/// Installs the subscriber, and a thread that writes the kept access lines every [`FLUSH_EVERY`].
pub fn init() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=error,actix_server=warn"));
    let sink = stderr_sink();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(Lines(sink));
    let installed = if std::env::var("REVCAST_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().try_init()
    } else {
        builder
            .event_format(AccessFirst(format::Format::default()))
            .try_init()
    };
    if installed.is_ok() {
        let _ = std::thread::Builder::new()
            .name("log-flush".into())
            .spawn(move || loop {
                std::thread::sleep(FLUSH_EVERY);
                sink.flush();
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_lines_wait_for_a_flush_and_keep_their_order() {
        let sink = LogSink::new(Vec::new());
        sink.keep(b"a1\n");
        sink.keep(b"a2\n");
        assert!(
            lock(&sink.out).0.is_empty(),
            "kept lines are not written yet"
        );
        sink.write(b"warn\n");
        sink.keep(b"a3\n");
        sink.flush();
        sink.flush();
        assert_eq!(sink.into_inner(), b"a1\na2\nwarn\na3\n");
    }

    #[test]
    fn a_full_buffer_is_written_without_a_flush() {
        let sink = LogSink::new(Vec::new());
        let line = [b'x'; 1000];
        for _ in 0..FLUSH_AT / 1000 + 1 {
            sink.keep(&line);
        }
        let written = lock(&sink.out).0.len();
        assert!(written >= FLUSH_AT, "{written} bytes written");
        assert!(lock(&sink.kept).is_empty());
    }

    /// The lines `tracing_subscriber`'s default text format writes for the events of `log`, and
    /// those [`AccessFirst`] writes.
    fn both_formats(log: impl Fn()) -> (String, String) {
        let render = |fast: bool| {
            let sink: &'static LogSink<Vec<u8>> = Box::leak(Box::new(LogSink::new(Vec::new())));
            let builder = tracing_subscriber::fmt()
                .with_ansi(false)
                .with_writer(Lines(sink));
            if fast {
                let s = builder.event_format(AccessFirst(format::Format::default()));
                tracing::subscriber::with_default(s.finish(), &log);
            } else {
                tracing::subscriber::with_default(builder.finish(), &log);
            }
            sink.flush();
            String::from_utf8(lock(&sink.out).0.clone()).unwrap()
        };
        (render(false), render(true))
    }

    /// A line without its timestamp (the first 27 characters, checked for their shape).
    fn untimed(line: &str) -> &str {
        let (stamp, rest) = line.split_at(27);
        let shape: String = stamp
            .chars()
            .map(|c| if c.is_ascii_digit() { '9' } else { c })
            .collect();
        assert_eq!(shape, "9999-99-99T99:99:99.999999Z", "{line}");
        rest
    }

    #[test]
    fn access_lines_by_hand_are_the_default_format_s_lines() {
        let (default, fast) = both_formats(|| {
            let uri: actix_web::http::Uri = "/v1/leads?limit=1&after=a%20b".parse().unwrap();
            let method = actix_web::http::Method::POST;
            tracing::info!(target: TARGET, method = %method, uri = %uri, status = 201_u16,
                micros = 753_u64, "request");
            tracing::warn!(target: TARGET, note = "a \"quoted\" text", n = -3_i64, ok = true,
                x = 0.25, "odd fields");
            tracing::info!(other = 1, "not an access line");
        });
        let (default, fast): (Vec<&str>, Vec<&str>) =
            (default.lines().collect(), fast.lines().collect());
        assert_eq!(default.len(), 3);
        assert_eq!(fast.len(), 3);
        for (d, f) in default.iter().zip(&fast) {
            assert_eq!(untimed(d), untimed(f));
        }
        assert_eq!(
            untimed(fast[0]),
            "  INFO revcast::access: request method=POST uri=/v1/leads?limit=1&after=a%20b status=201 micros=753"
        );
    }

    #[test]
    fn timestamps_are_written_as_rfc_3339_to_the_microsecond() {
        let mut line = AccessLine(String::new());
        let t = chrono::DateTime::parse_from_rfc3339("2026-03-04T05:06:07.000890123Z").unwrap();
        line.timestamp(t.with_timezone(&chrono::Utc));
        assert_eq!(line.0, "2026-03-04T05:06:07.000890Z");
    }

    #[test]
    fn only_the_access_log_is_kept() {
        let sink: &'static LogSink<Vec<u8>> = Box::leak(Box::new(LogSink::new(Vec::new())));
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(Lines(sink))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: crate::api::access::TARGET, status = 200, "request");
            assert!(lock(&sink.out).0.is_empty(), "the access line waits");
            tracing::info!("started");
        });
        let out = String::from_utf8(lock(&sink.out).0.clone()).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert!(
            lines[0].contains("revcast::access: request status=200"),
            "{out}"
        );
        assert!(lines[1].ends_with("started"), "{out}");
    }
}
