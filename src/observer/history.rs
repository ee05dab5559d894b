//! Where the observer's histories go as the run makes them: the step functions of services,
//! revisions and target groups, and the event log. [`Kept`] holds them for the run's result
//! (tests, sweeps, library users); `ecsim run` hands the simulation a writer that streams them
//! to the report's files instead, so that a week of a full-size cluster (millions of rows and
//! lines) costs memory for what is live, not for what happened.

use super::{LogEntry, RevisionRow, Row, RunResult, TargetGroupRow};
use crate::engine::SimTime;

/// Takes each history row and log line once, in the order the run makes them (time order;
/// within an instant, as the observer records them).
pub trait History {
    fn row(&mut self, row: Row);
    fn revision_row(&mut self, row: RevisionRow);
    fn target_group_row(&mut self, row: TargetGroupRow);
    fn log(&mut self, time: SimTime, entry: LogEntry);
    /// At the end of the run: what the history keeps goes into the result.
    fn keep_in(self, _result: &mut RunResult)
    where
        Self: Sized,
    {
    }
}

/// Nothing kept: a run whose metrics are all that is wanted (a sweep's thousands of runs; the
/// summary, disruptions and plots come from what the observer keeps itself).
#[derive(Clone, Copy, Debug, Default)]
pub struct Discarded;

impl History for Discarded {
    fn row(&mut self, _row: Row) {}
    fn revision_row(&mut self, _row: RevisionRow) {}
    fn target_group_row(&mut self, _row: TargetGroupRow) {}
    fn log(&mut self, _time: SimTime, _entry: LogEntry) {}
}

/// Every row and line, held for the result.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Kept {
    pub rows: Vec<Row>,
    pub revision_rows: Vec<RevisionRow>,
    pub target_group_rows: Vec<TargetGroupRow>,
    pub log: Vec<(SimTime, LogEntry)>,
}

impl History for Kept {
    fn row(&mut self, row: Row) {
        self.rows.push(row);
    }
    fn revision_row(&mut self, row: RevisionRow) {
        self.revision_rows.push(row);
    }
    fn target_group_row(&mut self, row: TargetGroupRow) {
        self.target_group_rows.push(row);
    }
    fn log(&mut self, time: SimTime, entry: LogEntry) {
        self.log.push((time, entry));
    }
    fn keep_in(self, result: &mut RunResult) {
        result.rows = self.rows;
        result.revision_rows = self.revision_rows;
        result.target_group_rows = self.target_group_rows;
        result.log = self.log;
    }
}
