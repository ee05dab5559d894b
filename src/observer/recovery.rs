//! Disruptions and recovery: for every instance failure, AZ outage, Spot reclaim, EC2 stop and
//! drain, how far each service's healthy count fell and how long it took to get back to where it
//! was. Followed from the observer's rows and log lines as the run makes them.

use super::{LogEntry, Row};
use crate::engine::SimTime;

/// The event-log kinds that start a disruption.
const DISRUPTIONS: [&str; 6] = [
    "AZ_OUTAGE",
    "INSTANCE_TERMINATED",
    "INSTANCE_STOPPED",
    "INSTANCE_DRAINING",
    "SPOT_INTERRUPTION_NOTICE",
    "FARGATE_SPOT_INTERRUPTION",
];

/// One disruption: entries at the same instant count as one (an AZ outage terminates many
/// instances at once).
#[derive(Clone, Debug, PartialEq)]
pub struct Disruption {
    pub time: SimTime,
    /// The first entry's kind (`AZ_OUTAGE`, `INSTANCE_TERMINATED`, ...).
    pub kind: &'static str,
    /// Instances or the zone it hit, as the log names them.
    pub what: String,
    /// From the disruption until the cluster had as many live EC2 instances as just before
    /// (`None` if it never did; `Some(0)` if it lost none).
    pub time_to_capacity_ms: Option<u64>,
    pub services: Vec<ServiceImpact>,
}

/// How one service went through a disruption.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceImpact {
    pub service: usize,
    /// Healthy tasks just before.
    pub healthy_before: u32,
    /// The fewest healthy tasks until it recovered (or the run ended).
    pub healthy_lowest: u32,
    /// From the disruption until healthy was back to `healthy_before` (or to the desired count,
    /// if that fell meanwhile); `None` if it never was.
    pub time_to_recover_ms: Option<u64>,
}

/// Follows the run's disruptions as it goes: each disruption-starting log line opens one (lines
/// at the same instant join it), and each service's rows after it say whether it was affected
/// and when it recovered. A service counts as affected by a disruption if its healthy count fell
/// below its value just before, at the disruption or before the next one began (\[INFER\]: ECS
/// reports no causality; a drop in that window is attributed to the disruption). Its recovery is
/// then followed to the end of the run. Costs O(services) per disruption and O(disruptions it
/// is following) per row of a service: nothing of the history is kept.
#[derive(Clone, Debug, Default)]
pub struct RecoveryObs {
    disruptions: Vec<Disruption>,
    /// Per service, healthy tasks in its latest row (none yet: 0).
    healthy: Vec<u32>,
    /// Per service, the disruptions it is followed through.
    following: Vec<Vec<Following>>,
}

/// One service through one disruption.
#[derive(Clone, Copy, Debug)]
struct Following {
    disruption: usize,
    healthy_before: u32,
    /// Its healthy count fell below `healthy_before` in the disruption's window.
    affected: bool,
    lowest: u32,
}

impl RecoveryObs {
    pub fn new(services: usize) -> RecoveryObs {
        RecoveryObs { disruptions: Vec::new(), healthy: vec![0; services], following: vec![Vec::new(); services] }
    }

    /// A log line at `time` (before the rows of that instant).
    pub fn log(&mut self, time: SimTime, e: &LogEntry) {
        if !DISRUPTIONS.contains(&e.kind) {
            return;
        }
        match self.disruptions.last_mut() {
            // An AZ outage names its zone; the instances it takes are its own business.
            Some(d) if d.time == time && d.kind == "AZ_OUTAGE" => return,
            Some(d) if d.time == time => return add_target(&mut d.what, e),
            _ => {}
        }
        let mut what = String::new();
        add_target(&mut what, e);
        let disruption = self.disruptions.len();
        self.disruptions.push(Disruption { time, kind: e.kind, what, time_to_capacity_ms: None, services: Vec::new() });
        for (s, following) in self.following.iter_mut().enumerate() {
            // The previous window has closed: a service it did not affect is not followed.
            following.retain(|f| f.affected);
            let before = self.healthy[s];
            // Nothing can fall below zero.
            if before > 0 {
                following.push(Following { disruption, healthy_before: before, affected: false, lowest: before });
            }
        }
    }

    /// A service's row.
    pub fn row(&mut self, row: &Row) {
        let s = row.service.index();
        let (healthy, desired) = (row.values.healthy, row.values.desired);
        self.healthy[s] = healthy;
        let disruptions = &mut self.disruptions;
        self.following[s].retain_mut(|f| {
            if !f.affected {
                if healthy < f.healthy_before {
                    f.affected = true;
                    f.lowest = healthy;
                }
                return true;
            }
            f.lowest = f.lowest.min(healthy);
            // Back to where it was, or to the desired count if that fell meanwhile.
            if healthy < f.healthy_before.min(desired) {
                return true;
            }
            let d = &mut disruptions[f.disruption];
            d.services.push(ServiceImpact {
                service: s,
                healthy_before: f.healthy_before,
                healthy_lowest: f.lowest,
                time_to_recover_ms: Some(row.time.since(d.time).0),
            });
            false
        });
    }

    /// Every disruption of the run, given the live EC2 instances over time (a step function).
    pub fn finish(mut self, instances: &[(SimTime, u32)]) -> Vec<Disruption> {
        for (s, following) in self.following.iter().enumerate() {
            for f in following.iter().filter(|f| f.affected) {
                self.disruptions[f.disruption].services.push(ServiceImpact {
                    service: s,
                    healthy_before: f.healthy_before,
                    healthy_lowest: f.lowest,
                    time_to_recover_ms: None,
                });
            }
        }
        for d in &mut self.disruptions {
            d.time_to_capacity_ms = time_to_capacity(instances, d.time);
            d.services.sort_by_key(|x| x.service);
        }
        self.disruptions
    }
}

/// From `t0` until the live instances are back to their count just before `t0` (`instances` is
/// a step function in time order).
fn time_to_capacity(instances: &[(SimTime, u32)], t0: SimTime) -> Option<u64> {
    let first = instances.partition_point(|(t, _)| *t < t0);
    let before = if first == 0 { 0 } else { instances[first - 1].1 };
    let mut at_t0 = before;
    for &(t, n) in &instances[first..] {
        if t == t0 {
            at_t0 = n;
            continue;
        }
        if at_t0 >= before {
            return Some(0);
        }
        if n >= before {
            return Some(t.since(t0).0);
        }
    }
    (at_t0 >= before).then_some(0)
}

/// Lists at most this many targets of one disruption.
const MAX_TARGETS: usize = 5;

fn add_target(what: &mut String, e: &LogEntry) {
    // A Fargate Spot reclaim hits a task, not an instance.
    let target = if !e.task.is_empty() {
        e.task.to_string()
    } else if e.instance.is_empty() {
        zone_of(&e.message)
    } else {
        e.instance.to_string()
    };
    let listed = if what.is_empty() { 0 } else { what.split(", ").count() };
    if listed == MAX_TARGETS {
        what.push_str(", ...");
    }
    if listed < MAX_TARGETS && !target.is_empty() && !what.split(", ").any(|w| w == target) {
        if !what.is_empty() {
            what.push_str(", ");
        }
        what.push_str(&target);
    }
}

/// "Availability Zone us-east-1a is down ..." → "us-east-1a".
fn zone_of(message: &str) -> String {
    message.strip_prefix("Availability Zone ").and_then(|m| m.split_whitespace().next()).unwrap_or_default().to_string()
}
