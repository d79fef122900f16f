//! Reading many series: a long CSV table (`series_id,date,value`, or `series_id,t,value`) or the
//! JSON body of `POST /v1/forecast/series`, into checked series. Bad input names the series and
//! the line (CSV) or the path in the body (JSON).

use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::ToSchema;

use super::series::parse_date;
use crate::domain::RowProblem;
use crate::service::{Result, ServiceError};

/// Most series one request or file may carry.
pub const MAX_SERIES: usize = 20_000;
/// Most values in all the series of one request or file together.
pub const MAX_VALUES: usize = 5_000_000;

/// When each value of a series was observed.
#[derive(Debug, Clone, PartialEq)]
pub enum Times {
    /// Calendar dates, increasing; the season is inferred from their spacing unless given.
    Dates(Vec<NaiveDate>),
    /// A 1-based step number `t`, increasing; the season must be given.
    Steps(Vec<u64>),
}

/// One series of a batch, its values in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct LongSeries {
    pub id: String,
    pub times: Times,
    pub values: Vec<f64>,
    /// This series' own season length (0: none), over the batch's.
    pub season: Option<usize>,
}

/// Column names accepted for each part of a long table (compared without case).
const ID_COLUMNS: [&str; 3] = ["series_id", "unique_id", "id"];
const DATE_COLUMNS: [&str; 2] = ["date", "ds"];
const STEP_COLUMNS: [&str; 1] = ["t"];
const VALUE_COLUMNS: [&str; 2] = ["value", "y"];

/// True when the header line names a series id column: the file is a long table of many series.
pub fn is_long_header(first_line: &str) -> bool {
    first_line
        .split(',')
        .any(|c| ID_COLUMNS.contains(&c.trim().trim_matches('"').to_lowercase().as_str()))
}

fn column(header: &csv::StringRecord, names: &[&str]) -> Option<usize> {
    header
        .iter()
        .position(|h| names.contains(&h.trim().to_lowercase().as_str()))
}

fn file_error(line: u64, id: Option<&str>, reason: impl std::fmt::Display) -> ServiceError {
    let at = match id {
        Some(id) => format!("line {line}, series `{id}`"),
        None => format!("line {line}"),
    };
    ServiceError::bad_input("file", format!("{at}: {reason}"))
}

/// Reads a long table with a header row: a series id column (`series_id`, `unique_id` or `id`),
/// a time column (`date`/`ds`, or `t` for step numbers) and a value column (`value` or `y`);
/// other columns are ignored. Series keep the order of their first row; a series' rows must be
/// in increasing time order but need not be next to each other.
pub fn read_long_csv(input: impl std::io::Read) -> Result<Vec<LongSeries>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let header = reader
        .headers()
        .map_err(|e| file_error(1, None, e))?
        .clone();
    let missing = |what: &str| {
        file_error(
            1,
            None,
            format!(
                "the header has no {what} column (found: {})",
                header.iter().collect::<Vec<_>>().join(", ")
            ),
        )
    };
    let id_col = column(&header, &ID_COLUMNS).ok_or_else(|| missing("series_id"))?;
    let value_col = column(&header, &VALUE_COLUMNS).ok_or_else(|| missing("value"))?;
    let (time_col, dated) = match column(&header, &DATE_COLUMNS) {
        Some(c) => (c, true),
        None => (
            column(&header, &STEP_COLUMNS).ok_or_else(|| missing("date (or t)"))?,
            false,
        ),
    };
    let mut builder = Builder::default();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(file_error(e.position().map_or(0, |p| p.line()), None, e)),
        }
        let line = record.position().map_or(0, |p| p.line());
        let cell = |c: usize| record.get(c).unwrap_or("").trim();
        let id = cell(id_col);
        if id.is_empty() {
            return Err(file_error(line, None, "the series_id is empty"));
        }
        let (t, v) = (cell(time_col), cell(value_col));
        let time = if dated {
            Time::Date(parse_date(t).ok_or_else(|| {
                file_error(
                    line,
                    Some(id),
                    format!("`{t}` is not a date (use YYYY-MM-DD)"),
                )
            })?)
        } else {
            Time::Step(t.parse().map_err(|_| {
                file_error(line, Some(id), format!("t `{t}` is not a whole number"))
            })?)
        };
        let value = parse_value(v).map_err(|why| file_error(line, Some(id), why))?;
        builder
            .push(id, time, value)
            .map_err(|why| file_error(line, Some(id), why))?;
    }
    Ok(builder.finish())
}

fn parse_value(v: &str) -> std::result::Result<f64, String> {
    match v.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(format!("value `{v}` is not a finite number")),
    }
}

#[derive(Debug, Clone, Copy)]
enum Time {
    Date(NaiveDate),
    Step(u64),
}

/// Collects rows into series, checking order and the size limits as it goes.
#[derive(Default)]
struct Builder {
    index: HashMap<String, usize>,
    series: Vec<LongSeries>,
    values: usize,
}

impl Builder {
    fn push(&mut self, id: &str, time: Time, value: f64) -> std::result::Result<(), String> {
        self.values += 1;
        if self.values > MAX_VALUES {
            return Err(format!("more than {MAX_VALUES} values: split the file"));
        }
        let i = match self.index.get(id) {
            Some(&i) => i,
            None => {
                if self.series.len() == MAX_SERIES {
                    return Err(format!("more than {MAX_SERIES} series: split the file"));
                }
                self.index.insert(id.to_string(), self.series.len());
                self.series.push(LongSeries {
                    id: id.to_string(),
                    times: match time {
                        Time::Date(_) => Times::Dates(Vec::new()),
                        Time::Step(_) => Times::Steps(Vec::new()),
                    },
                    values: Vec::new(),
                    season: None,
                });
                self.series.len() - 1
            }
        };
        let s = &mut self.series[i];
        match (&mut s.times, time) {
            (Times::Dates(d), Time::Date(x)) => push_increasing(d, x)?,
            (Times::Steps(d), Time::Step(x)) => push_increasing(d, x)?,
            _ => return Err("mixes dates and step numbers".to_string()),
        }
        s.values.push(value);
        Ok(())
    }

    fn finish(self) -> Vec<LongSeries> {
        self.series
    }
}

fn push_increasing<T: PartialOrd + std::fmt::Display + Copy>(
    times: &mut Vec<T>,
    x: T,
) -> std::result::Result<(), String> {
    if let Some(last) = times.last().filter(|l| **l >= x) {
        return Err(format!(
            "{x} does not come after the series' previous row ({last})"
        ));
    }
    times.push(x);
    Ok(())
}

/// The body of `POST /v1/forecast/series`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesBatchRequest {
    /// Steps to forecast after each series, 1..=120.
    pub horizon: usize,
    /// The season length for every series (12 monthly, 4 quarterly; 0 for none). Default: inferred
    /// from each series' dates; required for series sent without dates.
    pub season: Option<usize>,
    /// 1 to 20,000 series, at most 5,000,000 values in all.
    pub series: Vec<SeriesIn>,
}

/// One series of the request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesIn {
    pub id: String,
    /// The date of each value (YYYY-MM-DD, YYYY-MM, ...), increasing; absent: steps 1, 2, ...
    pub dates: Option<Vec<String>>,
    /// The values, oldest first.
    pub values: Vec<f64>,
    /// This series' season length (0 for none), over the request's `season`.
    pub season: Option<usize>,
}

/// Parses the request body into (horizon, season, series). A wrong field of a series is a
/// problem of that series (its index, and the path inside it such as `values[5]`); every bad
/// series is named.
pub fn parse_request(body: &str) -> Result<(usize, Option<usize>, Vec<LongSeries>)> {
    let mut de = serde_json::Deserializer::from_str(body);
    let req: SeriesBatchRequest =
        serde_path_to_error::deserialize(&mut de).map_err(body_problem)?;
    if req.series.is_empty() || req.series.len() > MAX_SERIES {
        return Err(ServiceError::bad_input(
            "series",
            format!("send 1 to {MAX_SERIES} series, not {}", req.series.len()),
        ));
    }
    let total: usize = req.series.iter().map(|s| s.values.len()).sum();
    if total > MAX_VALUES {
        return Err(ServiceError::bad_input(
            "series",
            format!("{total} values in all; at most {MAX_VALUES}: split the request"),
        ));
    }
    let (mut series, mut problems) = (Vec::new(), Vec::new());
    for (i, s) in req.series.into_iter().enumerate() {
        match series_in(i, s) {
            Ok(s) => series.push(s),
            Err(p) => problems.push(p),
        }
    }
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems));
    }
    Ok((req.horizon, req.season, series))
}

/// A field of `series[i]` is that series' problem; any other is the request's.
fn body_problem(e: serde_path_to_error::Error<serde_json::Error>) -> ServiceError {
    use serde_path_to_error::Segment;
    let segments: Vec<&Segment> = e.path().iter().collect();
    let path = e.path().to_string();
    match segments.as_slice() {
        [Segment::Map { key }, Segment::Seq { index }, ..] if key == "series" => {
            let prefix = format!("series[{index}].");
            ServiceError::Invalid(vec![RowProblem {
                index: *index,
                field: path.strip_prefix(&prefix).unwrap_or(&path).to_string(),
                reason: e.inner().to_string(),
            }])
        }
        _ => ServiceError::bad_input(&path, e.inner().to_string()),
    }
}

fn series_in(index: usize, s: SeriesIn) -> std::result::Result<LongSeries, RowProblem> {
    let bad = |field: String, why: String| RowProblem {
        index,
        field,
        reason: format!("series `{}`: {why}", s.id),
    };
    let times = match &s.dates {
        None => Times::Steps((1..=s.values.len() as u64).collect()),
        Some(dates) if dates.len() != s.values.len() => {
            return Err(bad(
                "dates".into(),
                format!("{} dates for {} values", dates.len(), s.values.len()),
            ))
        }
        Some(dates) => {
            let mut out = Vec::with_capacity(dates.len());
            for (j, d) in dates.iter().enumerate() {
                let date = parse_date(d.trim()).ok_or_else(|| {
                    bad(
                        format!("dates[{j}]"),
                        format!("`{d}` is not a date (use YYYY-MM-DD)"),
                    )
                })?;
                push_increasing(&mut out, date).map_err(|why| bad(format!("dates[{j}]"), why))?;
            }
            Times::Dates(out)
        }
    };
    Ok(LongSeries {
        id: s.id,
        times,
        values: s.values,
        season: s.season,
    })
}
