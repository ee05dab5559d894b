//! A target group's traffic as its load balancer sees it: the registered targets counted by kind
//! (service, task definition, zone, health state, whether the task answers, slow-start weight),
//! kept incrementally as targets change, and the [`DataPlane`] that integrates the requests.
//! At the end of an instant in which its kinds changed, the group integrates its requests up to
//! then under the old kinds and takes the new ones (DESIGN.md §6.1), so routing costs what the
//! kinds cost, not the number of targets.

use crate::elb::data_plane::{DataPlane, Stretch};
use crate::elb::routing::{RoutedKind, TargetKind};
use crate::elb::target_group::TargetState;
use crate::engine::SimTime;
use crate::ids::{ServiceId, TaskDefId, ZoneId};

/// What makes targets alike for routing (their count aside).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TargetClass {
    pub service: Option<ServiceId>,
    pub task_definition: TaskDefId,
    pub zone: ZoneId,
    pub state: TargetState,
    pub answering: bool,
    /// The slow-start weight (1 once the target takes its full share).
    pub weight: f64,
}

/// A target group with traffic: its targets by kind now, and its requests integrated up to the
/// last report.
#[derive(Clone, Debug)]
pub struct TargetGroupTraffic {
    kinds: Vec<RoutedKind>,
    /// The kinds changed since the last report.
    changed: bool,
    pub plane: DataPlane,
}

impl TargetGroupTraffic {
    pub fn new(plane: DataPlane) -> TargetGroupTraffic {
        TargetGroupTraffic { kinds: Vec::new(), changed: false, plane }
    }

    /// The targets by kind now (kinds emptied this instant included).
    pub fn kinds(&self) -> &[RoutedKind] {
        &self.kinds
    }

    /// Adds (`delta` 1) or removes (-1) a target of `class`; a new kind takes `capacity_rps`
    /// (the share past which its requests fail as overload). Returns whether this is the
    /// group's first change since its last report.
    pub fn tally(&mut self, class: TargetClass, delta: i32, capacity_rps: impl FnOnce() -> f64) -> bool {
        let first = !self.changed;
        self.changed = true;
        let same = |k: &RoutedKind| {
            k.service == class.service
                && k.task_definition == class.task_definition
                && k.kind.zone == class.zone
                && k.kind.state == class.state
                && k.kind.answering == class.answering
                && k.kind.weight == class.weight
        };
        match self.kinds.iter_mut().find(|k| same(k)) {
            Some(k) => k.kind.count = k.kind.count.saturating_add_signed(delta),
            None if delta > 0 => self.kinds.push(RoutedKind {
                service: class.service,
                task_definition: class.task_definition,
                kind: TargetKind {
                    zone: class.zone,
                    state: class.state,
                    answering: class.answering,
                    capacity_rps: capacity_rps(),
                    weight: class.weight,
                    count: delta as u32,
                },
            }),
            None => {}
        }
        first
    }

    /// Reports up to `now` into `out`: with changed kinds, the requests under the old kinds, then
    /// the new ones taken (kinds with no target left dropped, so the list stays as short as the
    /// kinds present); otherwise, with `advance`, the requests so far.
    pub fn report(&mut self, now: SimTime, advance: bool, out: &mut Vec<Stretch>) {
        if self.changed {
            self.changed = false;
            self.kinds.retain(|k| k.kind.count > 0);
            self.plane.set_kinds(now, &self.kinds, out);
        } else if advance {
            self.plane.advance(now, out);
        }
    }
}
