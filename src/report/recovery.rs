//! Disruptions and recovery: for every instance failure, AZ outage, Spot reclaim, EC2 stop and
//! drain, how far each service's healthy count fell and how long it took to get back to where it
//! was. Computed after the run from the timeseries and the event log (the observer already keeps
//! both), so the simulation pays nothing for it.

use crate::engine::SimTime;
use crate::observer::{LogEntry, Row, RunResult};

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

/// Every disruption of the run. A service counts as affected by a disruption if its healthy
/// count fell below its value just before, at the disruption or before the next one began
/// ([INFER]: ECS reports no causality; a drop in that window is attributed to the disruption).
/// Its recovery is then followed to the end of the run.
pub fn disruptions(result: &RunResult) -> Vec<Disruption> {
    let mut out: Vec<Disruption> = Vec::new();
    for (t, e) in &result.log {
        if !DISRUPTIONS.contains(&e.kind) {
            continue;
        }
        match out.last_mut() {
            // An AZ outage names its zone; the instances it takes are its own business.
            Some(d) if d.time == *t && d.kind == "AZ_OUTAGE" => {}
            Some(d) if d.time == *t => add_target(&mut d.what, e),
            _ => {
                let mut what = String::new();
                add_target(&mut what, e);
                out.push(Disruption { time: *t, kind: e.kind, what, time_to_capacity_ms: None, services: Vec::new() });
            }
        }
    }
    let end = SimTime(result.simulated.0);
    let starts: Vec<SimTime> = out.iter().map(|d| d.time).collect();
    let mut by_service: Vec<Vec<&Row>> = vec![Vec::new(); result.services.len()];
    for r in &result.rows {
        by_service[r.service.index()].push(r);
    }
    for (i, d) in out.iter_mut().enumerate() {
        d.time_to_capacity_ms = time_to_capacity(&result.instances, d.time);
        let window_end = starts.get(i + 1).copied().unwrap_or(end);
        for (s, rows) in by_service.iter().enumerate() {
            if let Some(impact) = impact(rows, s, d.time, window_end) {
                d.services.push(impact);
            }
        }
    }
    out
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

fn impact(rows: &[&Row], service: usize, t0: SimTime, window_end: SimTime) -> Option<ServiceImpact> {
    // Rows are in time order: the first at or after t0, and the one in effect just before.
    let first = rows.partition_point(|r| r.time < t0);
    let before = first.checked_sub(1).map_or(0, |i| rows[i].values.healthy);
    let mut lowest = before;
    let mut affected = false;
    for r in &rows[first..] {
        let target = before.min(r.values.desired);
        if !affected {
            if r.time >= window_end {
                return None;
            }
            if r.values.healthy < before {
                affected = true;
                lowest = r.values.healthy;
            }
            continue;
        }
        lowest = lowest.min(r.values.healthy);
        if r.values.healthy >= target {
            return Some(ServiceImpact {
                service,
                healthy_before: before,
                healthy_lowest: lowest,
                time_to_recover_ms: Some(r.time.since(t0).0),
            });
        }
    }
    affected.then_some(ServiceImpact {
        service,
        healthy_before: before,
        healthy_lowest: lowest,
        time_to_recover_ms: None,
    })
}
