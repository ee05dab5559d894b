//! What the report page shows of the event log, kept as the log is made: its first lines, how
//! many there were, the services and kinds its filters offer, and the placement explanations the
//! command line prints. The whole log goes to the history (events.csv).

use std::collections::BTreeSet;

use super::LogEntry;
use crate::engine::SimTime;

/// The page's event table stops here; events.csv always has every line.
pub const FIRST_LINES: usize = 10_000;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogDigest {
    /// The first [`FIRST_LINES`] lines.
    pub first: Vec<(SimTime, LogEntry)>,
    /// Lines in the whole log.
    pub total: u64,
    /// Services named anywhere in the log.
    pub services: BTreeSet<String>,
    /// Kinds of line anywhere in the log.
    pub kinds: BTreeSet<&'static str>,
    /// Every PLACEMENT_EXPLANATION line (`--explain`).
    pub explanations: Vec<(SimTime, LogEntry)>,
    last_service: crate::name::Name,
    last_kind: &'static str,
}

impl LogDigest {
    pub fn add(&mut self, time: SimTime, e: &LogEntry) {
        self.total += 1;
        if self.first.len() < FIRST_LINES {
            self.first.push((time, e.clone()));
        }
        // Lines come in runs of one service and kind: most need no lookup.
        if !e.service.is_empty() && *e.service != *self.last_service {
            self.last_service = e.service.clone();
            if !self.services.contains(&*e.service) {
                self.services.insert(e.service.to_string());
            }
        }
        if e.kind != self.last_kind {
            self.last_kind = e.kind;
            self.kinds.insert(e.kind);
        }
        if e.kind == "PLACEMENT_EXPLANATION" {
            self.explanations.push((time, e.clone()));
        }
    }
}
