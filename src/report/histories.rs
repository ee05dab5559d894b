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

/// What rows point at, by name, and the buffers a row is formatted in.
struct Format {
    services: Vec<String>,
    target_groups: Vec<String>,
    task_definitions: Vec<String>,
    time: String,
    record: csv::ByteRecord,
}

impl Format {
    fn new(scenario: &Scenario) -> Format {
        Format {
            services: scenario.services.iter().map(|s| s.name.clone()).collect(),
            target_groups: scenario.target_groups.iter().map(|t| t.name.clone()).collect(),
            task_definitions: scenario.task_definitions.iter().map(|td| td.name()).collect(),
            time: String::new(),
            record: csv::ByteRecord::new(),
        }
    }

    fn row<W: Write>(&mut self, w: &mut csv::Writer<W>, row: &Row) -> Result<(), csv::Error> {
        let v = &row.values;
        let mut ints = itoa::Buffer::new();
        secs_text(row.time.0, &mut self.time);
        self.record.clear();
        self.record.push_field(self.time.as_bytes());
        self.record.push_field(self.services[row.service.index()].as_bytes());
        for n in [v.desired, v.running, v.healthy, v.pending, v.az_coverage, v.az_loss_margin, v.instance_loss_margin] {
            self.record.push_field(ints.format(n).as_bytes());
        }
        w.write_byte_record(&self.record)
    }

    fn revision_row<W: Write>(&mut self, w: &mut csv::Writer<W>, row: &RevisionRow) -> Result<(), csv::Error> {
        secs_text(row.time.0, &mut self.time);
        w.write_record([
            self.time.as_str(),
            self.services[row.service.index()].as_str(),
            self.task_definitions[row.counts.task_definition.index()].as_str(),
            itoa::Buffer::new().format(row.counts.running),
            itoa::Buffer::new().format(row.counts.healthy),
        ])
    }

    fn target_group_row<W: Write>(&mut self, w: &mut csv::Writer<W>, row: &TargetGroupRow) -> Result<(), csv::Error> {
        secs_text(row.time.0, &mut self.time);
        let c = &row.counts;
        w.write_record([
            self.time.as_str(),
            self.target_groups[row.target_group].as_str(),
            itoa::Buffer::new().format(c.initial),
            itoa::Buffer::new().format(c.healthy),
            itoa::Buffer::new().format(c.unhealthy),
            itoa::Buffer::new().format(c.draining),
            if c.fail_open { "true" } else { "false" },
        ])
    }

    fn log<W: Write>(&mut self, w: &mut csv::Writer<W>, time: SimTime, e: &LogEntry) -> Result<(), csv::Error> {
        secs_text(time.0, &mut self.time);
        w.write_record([&*self.time, e.kind, &e.service, &e.task, &e.instance, &e.message])
    }
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

/// Formats one item of a history into its file.
type WriteItem<T> = fn(&mut Format, &mut csv::Writer<&mut dyn Write>, T) -> Result<(), csv::Error>;

/// The histories of a run that kept them ([`crate::observer::Kept`]).
pub fn histories<'a>(result: &'a RunResult, scenario: &'a Scenario) -> Vec<Streamed<'a>> {
    fn file<'a, T: 'a>(
        name: &str,
        header: &'static [&'static str],
        scenario: &'a Scenario,
        items: impl Fn() -> Box<dyn Iterator<Item = T> + 'a> + 'a,
        write: WriteItem<T>,
    ) -> Streamed<'a> {
        Streamed::new(name, move |out| {
            let mut f = Format::new(scenario);
            let mut w = csv::Writer::from_writer(out);
            w.write_record(header)?;
            for item in items() {
                write(&mut f, &mut w, item)?;
            }
            w.flush()?;
            Ok(())
        })
    }
    vec![
        file(FILES[0], &TIMESERIES, scenario, || Box::new(result.rows.iter()), |f, w, r| f.row(w, r)),
        file(FILES[1], &REVISIONS, scenario, || Box::new(result.revision_rows.iter()), |f, w, r| f.revision_row(w, r)),
        file(
            FILES[2],
            &TARGET_GROUPS,
            scenario,
            || Box::new(result.target_group_rows.iter()),
            |f, w, r| f.target_group_row(w, r),
        ),
        file(FILES[3], &EVENTS, scenario, || Box::new(result.log.iter()), |f, w, (t, e)| f.log(w, *t, e)),
    ]
}

type FileWriter = csv::Writer<BufWriter<File>>;

/// Streams a run's histories into files beside a claimed report folder as the run makes them
/// (`.NAME.ecsim-timeseries.csv-PID` and so on, so a run that dies leaves nothing the next one
/// does not clean up). [`Recorder::finish`] hands them to [`super::write_folder`] to be moved
/// in; a recorder dropped unfinished removes them.
pub struct Recorder {
    format: Format,
    files: Vec<(PathBuf, FileWriter)>,
    /// The first write that failed: the run goes on, the folder is then not written.
    error: Option<ReportError>,
    finished: bool,
}

impl Recorder {
    /// Creates the files (with their headers) beside the folder `claim` holds.
    pub fn create(claim: &Claim, scenario: &Scenario) -> Result<Recorder, ReportError> {
        let mut r = Recorder { format: Format::new(scenario), files: Vec::new(), error: None, finished: false };
        for (name, header) in FILES.iter().zip([&TIMESERIES[..], &REVISIONS, &TARGET_GROUPS, &EVENTS]) {
            let path = claim.scratch(name);
            let file = File::create(&path).map_err(|source| io(&path, source))?;
            let mut w = csv::Writer::from_writer(BufWriter::with_capacity(1 << 16, file));
            w.write_record(header).map_err(|e| csv_error(&path, e))?;
            r.files.push((path, w));
        }
        Ok(r)
    }

    fn record(&mut self, file: usize, write: impl FnOnce(&mut Format, &mut FileWriter) -> Result<(), csv::Error>) {
        if self.error.is_some() {
            return;
        }
        let (path, w) = &mut self.files[file];
        if let Err(e) = write(&mut self.format, w) {
            self.error = Some(csv_error(path, e));
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

fn csv_error(path: &std::path::Path, e: csv::Error) -> ReportError {
    match e.into_kind() {
        csv::ErrorKind::Io(source) => io(path, source),
        other => ReportError::Format(format!("{}: {other:?}", path.display())),
    }
}
