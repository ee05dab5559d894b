//! The `behavior` section of a task definition: how the image behaves when it runs (image pull,
//! startup, run and stop times), each a fixed duration or a seeded distribution.

use super::node::{Node, Value};
use super::reader::Reader;
use crate::ecs::task_definition::{Behavior, BuildFault, ContainerBehavior, FaultKind};
use crate::engine::Distribution;
use crate::engine::SimDuration;

pub(crate) const FIELDS: &[&str] = &[
    "image_pull",
    "startup",
    "run",
    "stop",
    "ready_after",
    "fault",
    "containers",
    "capacity_rps",
    "max_utilization",
    "memory_base_mib",
    "memory_mib_per_rps",
];
pub(crate) const FAULT_KEYS: &[&str] = &["kind", "after", "fraction"];
pub(crate) const DISTRIBUTION_KEYS: &[&str] = &["distribution", "value", "min", "max", "mean", "median", "p99"];

pub fn read_behavior(r: &mut Reader<'_>, node: &Node, path: &str) -> Option<Behavior> {
    let f = r.table(node, path, FIELDS)?;
    let mut b = Behavior::default();
    let mut ok = true;
    if let Some(n) = f.node("containers") {
        let p = f.path("containers");
        match &n.value {
            Value::Table(entries) => {
                for e in entries {
                    let cp = format!("{p}.{}", e.key);
                    let Some(cf) = r.table(&e.node, &cp, &["run", "exit_code"]) else {
                        ok = false;
                        continue;
                    };
                    if !cf.has("run") {
                        r.missing(&cf, "run", "how long the container runs before it exits");
                    }
                    let run = r.opt_duration(&cf, "run");
                    let exit_code = r.opt_int(&cf, "exit_code", 0, 255).unwrap_or(0) as i32;
                    match run {
                        Some(run) => b.containers.push(ContainerBehavior { name: e.key.clone(), run, exit_code }),
                        None => ok = false,
                    }
                }
            }
            _ => {
                r.error(&n.span, &p, format!("expected a table of container names, found {}", n.describe()));
                ok = false;
            }
        }
    }
    if let Some(n) = f.node("fault") {
        match read_fault(r, n, &f.path("fault")) {
            Some(fault) => b.fault = Some(fault),
            None => ok = false,
        }
    }
    for key in &FIELDS[..5] {
        let Some(n) = f.node(key) else { continue };
        match read_distribution(r, n, &f.path(key)) {
            Some(d) => match *key {
                "image_pull" => b.image_pull = d,
                "startup" => b.startup = d,
                "run" => b.run = Some(d),
                "ready_after" => b.ready_after = d,
                _ => b.stop = d,
            },
            None => ok = false,
        }
    }
    // What one task serves (DESIGN.md §6.1): requests per second at 100 % of its CPU
    // reservation, and the utilization beyond which its share fails as overload.
    b.capacity_rps = r.opt_f64(&f, "capacity_rps", 1e-6, 1e9);
    if let Some(u) = r.opt_f64(&f, "max_utilization", 1.0, 1000.0) {
        b.max_utilization_percent = u;
    }
    // How memory follows load: a base and a slope per request per second.
    b.memory_base_mib = r.opt_f64(&f, "memory_base_mib", 0.0, 1e7).unwrap_or(0.0);
    b.memory_mib_per_rps = r.opt_f64(&f, "memory_mib_per_rps", 0.0, 1e7).unwrap_or(0.0);
    ok.then_some(b)
}

/// A bad build: `{ kind = "image_pull_failure" | "start_failure" | "essential_exit" |
/// "container_health_failure" | "target_health_failure", after = "30s", fraction = 0.5 }`.
fn read_fault(r: &mut Reader<'_>, node: &Node, path: &str) -> Option<BuildFault> {
    let f = r.table(node, path, FAULT_KEYS)?;
    if !f.has("kind") {
        r.missing(
            &f,
            "kind",
            "image_pull_failure, start_failure, essential_exit, container_health_failure or target_health_failure",
        );
    }
    let kind = r.opt_enum(
        &f,
        "kind",
        &[
            ("image_pull_failure", FaultKind::ImagePull),
            ("start_failure", FaultKind::StartFailure),
            ("essential_exit", FaultKind::EssentialExit),
            ("container_health_failure", FaultKind::ContainerHealth),
            ("target_health_failure", FaultKind::TargetHealth),
        ],
    )?;
    let after = r.opt_duration(&f, "after");
    if after.is_some() && matches!(kind, FaultKind::ImagePull | FaultKind::StartFailure) {
        let n = f.node("after").unwrap_or(node);
        r.error(
            &n.span,
            &f.path("after"),
            format!("`after` applies to failures after RUNNING, not to {}", kind.as_str()),
        );
        return None;
    }
    let fraction = r.opt_f64(&f, "fraction", 0.0, 1.0).unwrap_or(1.0);
    Some(BuildFault { kind, after: after.unwrap_or(SimDuration::ZERO), fraction })
}

/// `"5s"` (fixed) or a table: `{distribution = "uniform", min = "1s", max = "5s"}`,
/// `{distribution = "exponential", mean = "30s"}`, `{distribution = "lognormal", median = "10s",
/// p99 = "1m"}`, `{distribution = "fixed", value = "5s"}`.
pub fn read_distribution(r: &mut Reader<'_>, node: &Node, path: &str) -> Option<Distribution> {
    if let Value::Str(_) = node.value {
        return r.duration_value(node, path).map(Distribution::Fixed);
    }
    if !matches!(node.value, Value::Table(_)) {
        let msg = format!("expected a duration like \"5s\" or a distribution table, found {}", node.describe());
        r.error(&node.span, path, msg);
        return None;
    }
    let f = r.table(node, path, DISTRIBUTION_KEYS)?;
    #[derive(Clone, Copy)]
    enum K {
        Fixed,
        Uniform,
        Exponential,
        LogNormal,
    }
    if !f.has("distribution") {
        r.missing(&f, "distribution", "fixed, uniform, exponential or lognormal");
        return None;
    }
    let kind = r.opt_enum(
        &f,
        "distribution",
        &[("fixed", K::Fixed), ("uniform", K::Uniform), ("exponential", K::Exponential), ("lognormal", K::LogNormal)],
    )?;
    let need = |r: &mut Reader<'_>, key: &str| {
        if !f.has(key) {
            r.missing(&f, key, "a duration");
        }
        r.opt_duration(&f, key)
    };
    let (allowed, d): (&[&str], Option<Distribution>) = match kind {
        K::Fixed => (&["value"], need(r, "value").map(Distribution::Fixed)),
        K::Uniform => {
            let (min, max) = (need(r, "min"), need(r, "max"));
            let d = match (min, max) {
                (Some(min), Some(max)) if min <= max => Some(Distribution::Uniform { min, max }),
                (Some(min), Some(max)) => {
                    r.error(&node.span, path, format!("uniform needs min <= max, found min {min} and max {max}"));
                    None
                }
                _ => None,
            };
            (&["min", "max"], d)
        }
        K::Exponential => {
            let mean = need(r, "mean");
            if mean.is_some_and(|m| m.0 == 0) {
                r.error(&node.span, path, "exponential needs a mean above 0");
                return None;
            }
            (&["mean"], mean.map(|mean| Distribution::Exponential { mean }))
        }
        K::LogNormal => {
            let (median, p99) = (need(r, "median"), need(r, "p99"));
            let d = match (median, p99) {
                (Some(median), Some(p99)) if p99 >= median && median.0 > 0 => {
                    Some(Distribution::LogNormal { median, p99 })
                }
                (Some(median), Some(p99)) => {
                    r.error(
                        &node.span,
                        path,
                        format!("lognormal needs 0 < median <= p99, found median {median} and p99 {p99}"),
                    );
                    None
                }
                _ => None,
            };
            (&["median", "p99"], d)
        }
    };
    for key in f.keys() {
        if key != "distribution" && !allowed.contains(&key) {
            let n = f.node(key).unwrap_or(node);
            r.error(
                &n.span,
                &f.path(key),
                format!("`{key}` does not apply to this distribution; it takes {}", allowed.join(", ")),
            );
        }
    }
    d
}
