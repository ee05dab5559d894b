//! Baselines: compare two summaries metric by metric and say which got worse. A pull request that
//! makes a scenario less available then fails CI (`ecsim run --baseline`, `ecsim diff`).

use serde_json::{Value, json};

use crate::scenario::expect::{
    CAPACITY_PROVIDER_METRICS, FARGATE_METRICS, INSTANCE_GROUP_METRICS, SERVICE_METRICS, TARGET_GROUP_METRICS,
    WORKLOAD_METRICS,
};

/// Which way a metric improves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Better {
    Higher,
    Lower,
    /// `rollout_state`: COMPLETED is the good state.
    Completed,
    /// `status`: full, then degraded, below_min_healthy, outage.
    Status,
    /// Not a quality (counts of work done): reported, never a regression.
    Neither,
}

fn better(metric: &str) -> Better {
    match metric {
        "status" => Better::Status,
        "availability"
        | "capacity_ratio"
        | "min_healthy"
        | "min_az_coverage"
        | "min_az_loss_margin"
        | "min_instance_loss_margin"
        | "min_healthy_targets"
        | "request_availability"
        | "started" => Better::Higher,
        "outage_s"
        | "degraded_s"
        | "below_min_healthy_s"
        | "tasks_failed_to_start"
        | "placement_failures"
        | "unrecovered_disruptions"
        | "max_time_to_recover_s"
        | "max_deployment_s"
        | "never_started"
        | "queue_delay_s_p50"
        | "queue_delay_s_p95"
        | "queue_delay_s_max"
        | "fail_open_s"
        | "requests_failed"
        | "requests_failed_no_target"
        | "requests_failed_dead_target"
        | "requests_failed_overload"
        | "overloaded_s"
        | "time_to_absorb_s"
        | "max_cpu_utilization" => Better::Lower,
        "rollout_state" => Better::Completed,
        _ => Better::Neither,
    }
}

/// Which summaries hold a subject or metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    Both,
    /// In the baseline only: the subject (or metric) is gone or was renamed.
    BaselineOnly,
    /// In the new summary only: added, renamed, or the baseline is from another ecsim version.
    NewOnly,
}

/// One metric that differs between the two summaries, or a subject or metric that only one of
/// them has.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// `services`, `workloads` or `target_groups`.
    pub section: &'static str,
    pub subject: String,
    /// `None`: the whole subject is on one side only.
    pub metric: Option<String>,
    /// `Null` where the side does not have it (see `presence`).
    pub before: Value,
    pub after: Value,
    pub presence: Presence,
    /// Worse beyond the tolerance, or on one side only.
    pub regression: bool,
}

impl Change {
    pub fn label(&self) -> String {
        match &self.metric {
            Some(m) => format!("{}.{m}", self.subject),
            None => format!("{} ({})", self.subject, singular(self.section)),
        }
    }

    /// The baseline's value as text ("absent" if it does not have it).
    pub fn before_text(&self) -> String {
        if self.presence == Presence::NewOnly { "absent".into() } else { super::text::value_text(&self.before) }
    }

    pub fn after_text(&self) -> String {
        if self.presence == Presence::BaselineOnly { "absent".into() } else { super::text::value_text(&self.after) }
    }
}

fn singular(section: &str) -> &str {
    match section {
        "services" => "service",
        "workloads" => "workload",
        _ => "target group",
    }
}

/// Keys of a subject that are not metrics: the configuration it ran with and its deployments.
const NOT_METRICS: [&str; 4] = ["deployments", "desired_count", "minimum_healthy_percent", "maximum_percent"];

/// Every metric of `after` that differs from `before`, and every subject or metric that only one
/// of them has (those count as regressions: a gate that cannot see a service must not pass).
/// `tolerance` is relative: a metric regresses when it is worse by more than `tolerance` times its
/// baseline value (any worsening at all from a baseline of 0 or with tolerance 0). A time to
/// recover that became unknown (null: no recovery by the end) is a regression.
pub fn compare(before: &Value, after: &Value, tolerance: f64) -> Vec<Change> {
    let sections: [(&'static str, &[&'static str]); 6] = [
        ("services", &SERVICE_METRICS),
        ("workloads", &WORKLOAD_METRICS),
        ("target_groups", &TARGET_GROUP_METRICS),
        ("capacity_providers", &CAPACITY_PROVIDER_METRICS),
        ("instance_groups", &INSTANCE_GROUP_METRICS),
        ("fargate", &FARGATE_METRICS),
    ];
    let empty = serde_json::Map::new();
    let mut out = Vec::new();
    for (section, known) in sections {
        let (then_all, now_all) =
            (before[section].as_object().unwrap_or(&empty), after[section].as_object().unwrap_or(&empty));
        let change = |subject: &str, metric: Option<String>, b: &Value, a: &Value, presence, regression| Change {
            section,
            subject: subject.to_string(),
            metric,
            before: b.clone(),
            after: a.clone(),
            presence,
            regression,
        };
        for (subject, then) in then_all.iter().filter(|(k, _)| !now_all.contains_key(*k)) {
            out.push(change(subject, None, then, &Value::Null, Presence::BaselineOnly, true));
        }
        for (subject, now) in now_all {
            let Some(then) = then_all.get(subject) else {
                out.push(change(subject, None, &Value::Null, now, Presence::NewOnly, true));
                continue;
            };
            // The known metrics in their order, then any other key either side has.
            let mut metrics: Vec<String> = known.iter().map(|m| m.to_string()).collect();
            for side in [then, now] {
                for k in side.as_object().into_iter().flat_map(|o| o.keys()) {
                    if !NOT_METRICS.contains(&k.as_str()) && !metrics.contains(k) {
                        metrics.push(k.clone());
                    }
                }
            }
            for metric in metrics {
                let (b, a) = (then.get(&metric), now.get(&metric));
                let (b, a, presence) = match (b, a) {
                    (None, None) => continue,
                    // A metric that does not apply (null) is no difference from one that was
                    // not reported: a baseline from before a metric existed stays valid.
                    (Some(b), None) | (None, Some(b)) if b.is_null() => continue,
                    (Some(b), None) => (b, &Value::Null, Presence::BaselineOnly),
                    (None, Some(a)) => (&Value::Null, a, Presence::NewOnly),
                    (Some(b), Some(a)) if b == a => continue,
                    (Some(b), Some(a)) => (b, a, Presence::Both),
                };
                let regression = presence != Presence::Both || worse(better(&metric), b, a, tolerance);
                out.push(change(subject, Some(metric), b, a, presence, regression));
            }
        }
    }
    out
}

/// What differs in what was run, not in its results: said beside the changes, never a
/// regression by itself (comparing a new scenario against an old baseline is sometimes the
/// point).
pub fn provenance_notes(before: &Value, after: &Value) -> Vec<String> {
    let mut notes = Vec::new();
    let text = |v: &Value| v.as_str().unwrap_or("?").to_string();
    if before["scenario"] != after["scenario"] {
        notes.push(format!(
            "the baseline is of scenario {}, this run of {}",
            text(&before["scenario"]),
            text(&after["scenario"])
        ));
    } else if before["scenario_sha256"] != after["scenario_sha256"] {
        notes.push(format!(
            "scenario {} changed since the baseline (sha256 {} then, {} now)",
            text(&after["scenario"]),
            short(&text(&before["scenario_sha256"])),
            short(&text(&after["scenario_sha256"]))
        ));
    }
    if before["seed"] != after["seed"] {
        notes.push(format!("the baseline ran seed {}, this run seed {}", before["seed"], after["seed"]));
    }
    if before["ecsim_version"] != after["ecsim_version"] {
        notes.push(format!(
            "the baseline was written by ecsim {}, this run by {}",
            text(&before["ecsim_version"]),
            text(&after["ecsim_version"])
        ));
    }
    notes
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

fn worse(better: Better, before: &Value, after: &Value, tolerance: f64) -> bool {
    match (better, before.as_f64(), after.as_f64()) {
        (Better::Neither, _, _) => false,
        (Better::Completed, _, _) => before.as_str() == Some("COMPLETED") && after.as_str() != Some("COMPLETED"),
        (Better::Status, _, _) => {
            let rank = |v: &Value| v.as_str().and_then(super::status::rank);
            rank(after) < rank(before)
        }
        // A number became null: for a time to recover, recovery never came.
        (_, Some(_), None) => !after.is_number(),
        (Better::Higher, Some(b), Some(a)) => b - a > tolerance * b.abs(),
        (Better::Lower, Some(b), Some(a)) => a - b > tolerance * b.abs(),
        _ => false,
    }
}

/// The `baseline` section of summary.json.
pub fn to_json(file: &str, tolerance: f64, changes: &[Change], notes: &[String]) -> Value {
    json!({
        "file": file,
        "tolerance": tolerance,
        "notes": notes,
        "regressions": changes.iter().filter(|c| c.regression).count(),
        "changes": changes.iter().map(|c| json!({
            "section": c.section,
            "subject": c.subject,
            "metric": c.metric,
            "before": c.before,
            "after": c.after,
            "presence": match c.presence {
                Presence::Both => "both",
                Presence::BaselineOnly => "baseline_only",
                Presence::NewOnly => "new_only",
            },
            "regression": c.regression,
        })).collect::<Vec<Value>>(),
    })
}
