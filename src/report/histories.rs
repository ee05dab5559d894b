//! The run's histories as CSV (DESIGN.md §6): timeseries.csv, revisions.csv, target_groups.csv
//! and events.csv. One writer formats them row by row, from a finished run's kept rows
//! ([`histories`]) or as the run makes them ([`Recorder`], which streams them into files beside
//! the report folder, moved in when the folder is written: a week of a full-size cluster is
//! hundreds of megabytes of them, which nothing needs to hold). The header is line 1 and every
//! cell one value, so pandas, polars, duckdb and R read them as they are; provenance lives in
//! summary.json.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use super::{Claim, ReportError, secs_text};
use crate::engine::SimTime;
use crate::observer::{History, LogEntry, RevisionRow, Row, RunResult, TargetGroupRow};
use crate::scenario::Scenario;

/// The files, in the order they are written after [`super::Rendered::files`].
pub const FILES: [&str; 4] = ["timeseries.csv", "revisions.csv", "target_groups.csv", "events.csv"];

/// timeseries.csv: one row per service whenever its values change (a step function), and a
/// closing row at the end of the run.
const TIMESERIES: [&str; 9] = [
    "time_s",
    "service",
    "desired",
    "running",
    "healthy",
    "pending",
    "az_coverage",
    "az_loss_margin",
    "instance_loss_margin",
];
/// revisions.csv: per service and task definition revision, the running and healthy tasks, a
/// row whenever they change (a drop to zero included) and a closing row at the end.
const REVISIONS: [&str; 5] = ["time_s", "service", "task_definition", "running", "healthy"];
/// target_groups.csv: per target group, its targets by state (initial, healthy, unhealthy,
/// draining) and whether it fails open, a row whenever they change and a closing row at the end.
const TARGET_GROUPS: [&str; 7] = ["time_s", "target_group", "initial", "healthy", "unhealthy", "draining", "fail_open"];
/// events.csv: the event log in ECS's style.
const EVENTS: [&str; 6] = ["time_s", "kind", "service", "task", "instance", "message"];

/// What rows point at, by name as a CSV cell (made once), and the line a row is formatted in.
/// The histories are millions of rows: each is written as bytes, its cells quoted by
/// [`push_cell`] as the csv crate would quote them.
struct Format {
    services: Vec<Vec<u8>>,
    target_groups: Vec<Vec<u8>>,
    task_definitions: Vec<Vec<u8>>,
    line: Line,
}

/// A line being formatted, and the time cell of the last line: the rows and log lines of an
/// instant share their time, formatted once.
#[derive(Default)]
struct Line {
    time: String,
    time_ms: Option<u64>,
    bytes: Vec<u8>,
}

impl Line {
    /// Starts the line with the time and a cell already made.
    fn start(&mut self, ms: u64, cell: &[u8]) {
        if self.time_ms != Some(ms) {
            secs_text(ms, &mut self.time);
            self.time_ms = Some(ms);
        }
        self.bytes.clear();
        self.bytes.extend_from_slice(self.time.as_bytes());
        self.bytes.push(b',');
        self.bytes.extend_from_slice(cell);
    }

    fn ints(&mut self, ns: &[u32]) {
        let mut b = itoa::Buffer::new();
        for &n in ns {
            self.bytes.push(b',');
            self.bytes.extend_from_slice(b.format(n).as_bytes());
        }
    }

    fn end<W: Write + ?Sized>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.bytes.push(b'\n');
        w.write_all(&self.bytes)
    }
}

/// `text` as one CSV cell.
fn cell(text: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    push_cell(&mut bytes, text);
    bytes
}

impl Format {
    fn new(scenario: &Scenario) -> Format {
        Format {
            services: scenario.services.iter().map(|s| cell(&s.name)).collect(),
            target_groups: scenario.target_groups.iter().map(|t| cell(&t.name)).collect(),
            task_definitions: scenario.task_definitions.iter().map(|td| cell(&td.name())).collect(),
            line: Line::default(),
        }
    }

    fn row<W: Write + ?Sized>(&mut self, w: &mut W, row: &Row) -> std::io::Result<()> {
        let v = &row.values;
        self.line.start(row.time.0, &self.services[row.service.index()]);
        self.line.ints(&[
            v.desired,
            v.running,
            v.healthy,
            v.pending,
            v.az_coverage,
            v.az_loss_margin,
            v.instance_loss_margin,
        ]);
        self.line.end(w)
    }

    fn revision_row<W: Write + ?Sized>(&mut self, w: &mut W, row: &RevisionRow) -> std::io::Result<()> {
        self.line.start(row.time.0, &self.services[row.service.index()]);
        self.line.bytes.push(b',');
        self.line.bytes.extend_from_slice(&self.task_definitions[row.counts.task_definition.index()]);
        self.line.ints(&[row.counts.running, row.counts.healthy]);
        self.line.end(w)
    }

    fn target_group_row<W: Write + ?Sized>(&mut self, w: &mut W, row: &TargetGroupRow) -> std::io::Result<()> {
        let c = &row.counts;
        self.line.start(row.time.0, &self.target_groups[row.target_group]);
        self.line.ints(&[c.initial, c.healthy, c.unhealthy, c.draining]);
        self.line.bytes.extend_from_slice(if c.fail_open { b",true" } else { b",false" });
        self.line.end(w)
    }

    fn log<W: Write + ?Sized>(&mut self, w: &mut W, time: SimTime, e: &LogEntry) -> std::io::Result<()> {
        self.line.start(time.0, &[]);
        push_cell(&mut self.line.bytes, e.kind);
        for field in [&*e.service, &e.task, &e.instance, &e.message] {
            self.line.bytes.push(b',');
            push_cell(&mut self.line.bytes, field);
        }
        self.line.end(w)
    }
}

/// Appends `text` as a CSV cell the way the csv crate writes one in a record of several: as it
/// is, or quoted with its quotes doubled when it holds a delimiter, a quote or a line break.
/// (The event log's messages are most of a long run's bytes: a long cell is searched many bytes
/// at a time, a short one, where a search's setup would cost more than it saves, byte by byte.)
fn push_cell(line: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let plain = if bytes.len() < 64 {
        !bytes.iter().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    } else {
        memchr::memchr3(b',', b'"', b'\n', bytes).is_none() && memchr::memchr(b'\r', bytes).is_none()
    };
    if plain {
        line.extend_from_slice(bytes);
        return;
    }
    line.push(b'"');
    let mut rest = bytes;
    while let Some(at) = memchr::memchr(b'"', rest) {
        line.extend_from_slice(&rest[..=at]);
        line.push(b'"');
        rest = &rest[at + 1..];
    }
    line.extend_from_slice(rest);
    line.push(b'"');
}

/// A header line.
fn header_line(header: &[&str]) -> Vec<u8> {
    let mut line = header.join(",").into_bytes();
    line.push(b'\n');
    line
}

/// Formats one file into a writer.
type FormatFile<'a> = Box<dyn Fn(&mut dyn Write) -> Result<(), csv::Error> + 'a>;

/// A history file of a finished run, formatted straight into where it is written.
pub struct Streamed<'a> {
    pub name: String,
    write: FormatFile<'a>,
}

impl<'a> Streamed<'a> {
    fn new(name: &str, write: impl Fn(&mut dyn Write) -> Result<(), csv::Error> + 'a) -> Streamed<'a> {
        Streamed { name: name.to_string(), write: Box::new(write) }
    }

    /// Writes the file's bytes to `out`.
    pub fn write_to(&self, out: &mut dyn Write) -> Result<(), ReportError> {
        (self.write)(out).map_err(|e| ReportError::Format(e.to_string()))
    }

    /// The file's bytes (tests, and outputs that are not folders).
    pub fn bytes(&self) -> Result<Vec<u8>, ReportError> {
        let mut v = Vec::new();
        self.write_to(&mut v)?;
        Ok(v)
    }
}

/// Formats one row of a history into its file.
type WriteRow<T> = fn(&mut Format, &mut dyn Write, &T) -> std::io::Result<()>;

/// The histories of a run that kept them ([`crate::observer::Kept`]).
pub fn histories<'a>(result: &'a RunResult, scenario: &'a Scenario) -> Vec<Streamed<'a>> {
    fn file<'a, T>(
        name: &str,
        header: &'static [&'static str],
        scenario: &'a Scenario,
        rows: &'a [T],
        write: WriteRow<T>,
    ) -> Streamed<'a> {
        Streamed::new(name, move |out| {
            let mut f = Format::new(scenario);
            out.write_all(&header_line(header))?;
            for row in rows {
                write(&mut f, out, row)?;
            }
            Ok(())
        })
    }
    vec![
        file(FILES[0], &TIMESERIES, scenario, &result.rows, |f, w, r| f.row(w, r)),
        file(FILES[1], &REVISIONS, scenario, &result.revision_rows, |f, w, r| f.revision_row(w, r)),
        file(FILES[2], &TARGET_GROUPS, scenario, &result.target_group_rows, |f, w, r| f.target_group_row(w, r)),
        file(FILES[3], &EVENTS, scenario, &result.log, |f, w, (t, e)| f.log(w, *t, e)),
    ]
}

type FileWriter = BufWriter<File>;

/// Streams a run's histories into files beside a claimed report folder as the run makes them
/// (`.NAME.ecsim-timeseries.csv-PID` and so on, so a run that dies leaves nothing the next one
/// does not clean up). [`Recorder::finish`] hands them to [`super::write_folder`] to be moved
/// in; a recorder dropped unfinished removes them.
pub struct Recorder {
    format: Format,
    /// timeseries.csv, revisions.csv, target_groups.csv and events.csv, as bytes.
    files: Vec<(PathBuf, FileWriter)>,
    /// The first write that failed: the run goes on, the folder is then not written.
    error: Option<ReportError>,
    finished: bool,
}

impl Recorder {
    /// Creates the files (with their headers) beside the folder `claim` holds; on failure none
    /// is left.
    pub fn create(claim: &Claim, scenario: &Scenario) -> Result<Recorder, ReportError> {
        let mut r = Recorder { format: Format::new(scenario), files: Vec::new(), error: None, finished: false };
        for (name, header) in FILES.iter().zip([&TIMESERIES[..], &REVISIONS, &TARGET_GROUPS, &EVENTS]) {
            let path = claim.scratch(name);
            let file = File::create(&path).map_err(|source| io(&path, source))?;
            // Listed before its header is written, so that a failed write removes it too (a
            // recorder dropped unfinished removes its files).
            r.files.push((path, BufWriter::with_capacity(1 << 16, file)));
            let Some((path, w)) = r.files.last_mut() else { continue };
            w.write_all(&header_line(header)).map_err(|source| io(path, source))?;
        }
        Ok(r)
    }

    fn record(&mut self, file: usize, write: impl FnOnce(&mut Format, &mut FileWriter) -> std::io::Result<()>) {
        if self.error.is_some() {
            return;
        }
        let (path, w) = &mut self.files[file];
        if let Err(source) = write(&mut self.format, w) {
            self.error = Some(io(path, source));
        }
    }

    /// Flushes the files; returns them (name, path) for [`super::write_folder`] to move in, or
    /// the first write that failed.
    pub fn finish(mut self) -> Result<Vec<(String, PathBuf)>, ReportError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        for (path, w) in &mut self.files {
            w.flush().map_err(|source| io(path, source))?;
        }
        self.finished = true;
        Ok(FILES.iter().zip(&self.files).map(|(name, (path, _))| (name.to_string(), path.clone())).collect())
    }
}

impl History for Recorder {
    fn row(&mut self, row: Row) {
        self.record(0, |f, w| f.row(w, &row));
    }
    fn revision_row(&mut self, row: RevisionRow) {
        self.record(1, |f, w| f.revision_row(w, &row));
    }
    fn target_group_row(&mut self, row: TargetGroupRow) {
        self.record(2, |f, w| f.target_group_row(w, &row));
    }
    fn log(&mut self, time: SimTime, entry: LogEntry) {
        self.record(3, |f, w| f.log(w, time, &entry));
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if !self.finished {
            for (path, _) in &self.files {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

fn io(path: &std::path::Path, source: std::io::Error) -> ReportError {
    ReportError::Io { path: path.display().to_string(), source }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name's cell is what the csv crate writes for it in a record: plain, or quoted when it
    /// holds a delimiter, a quote or a line break.
    #[test]
    fn a_name_cell_is_quoted_as_the_csv_crate_quotes() {
        for name in ["web", "app:3", "a,b", "say \"hi\"", "two\nlines", "", "ünï"] {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record([name, "1"]).unwrap();
            let line = String::from_utf8(w.into_inner().unwrap()).unwrap();
            let want = line.strip_suffix(",1\n").unwrap();
            assert_eq!(String::from_utf8(cell(name)).unwrap(), want, "{name:?}");
        }
    }

    /// A log line is the record the csv crate writes for the same fields, for any text: random
    /// fields from an alphabet of the characters that matter (delimiter, quote, line breaks,
    /// spaces, a comment sign, non-ASCII); short ones, and long ones (searched the other way)
    /// where such a character is rare, so that about half need no quotes.
    #[test]
    fn a_log_line_is_the_csv_crates_record() {
        let alphabet: Vec<char> = "ab ,\"\n\r#é;'".chars().collect();
        let mut rng = crate::engine::SimRng::new(9, crate::engine::Stream::Test);
        for _ in 0..20_000 {
            let mut field = || -> String {
                if rng.below(4) == 0 {
                    let long = 64 + rng.below(100);
                    (0..long)
                        .map(|_| {
                            if rng.below(128) == 0 { alphabet[rng.below(alphabet.len() as u64) as usize] } else { 'x' }
                        })
                        .collect()
                } else {
                    (0..rng.below(8)).map(|_| alphabet[rng.below(alphabet.len() as u64) as usize]).collect()
                }
            };
            let fields = [field(), field(), field(), field(), field()];
            let mut want = csv::Writer::from_writer(Vec::new());
            want.write_record(["1.000", &fields[0], &fields[1], &fields[2], &fields[3], &fields[4]]).unwrap();
            let want = want.into_inner().unwrap();
            let mut got = b"1.000".to_vec();
            for f in &fields {
                got.push(b',');
                push_cell(&mut got, f);
            }
            got.push(b'\n');
            assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&want), "{fields:?}");
        }
    }
}
