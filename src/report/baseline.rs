//! Baselines: compare two summaries metric by metric and say which got worse. A pull request that
//! makes a scenario less available then fails CI (`ecsim run --baseline`, `ecsim diff`).

use serde_json::{Value, json};

use crate::scenario::expect::{SERVICE_METRICS, TARGET_GROUP_METRICS, WORKLOAD_METRICS};

/// Which way a metric improves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Better {
    Higher,
    Lower,
    /// `rollout_state`: COMPLETED is the good state.
    Completed,
    /// Not a quality (counts of work done): reported, never a regression.
    Neither,
}

fn better(metric: &str) -> Better {
    match metric {
        "availability"
        | "capacity_ratio"
        | "min_healthy"
        | "min_az_coverage"
        | "min_az_loss_margin"
        | "min_instance_loss_margin"
        | "min_healthy_targets"
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
        | "fail_open_s" => Better::Lower,
        "rollout_state" => Better::Completed,
        _ => Better::Neither,
    }
}

/// One metric that differs between the two summaries.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// `services`, `workloads` or `target_groups`.
    pub section: &'static str,
    pub subject: String,
    pub metric: &'static str,
    pub before: Value,
    pub after: Value,
    /// Worse beyond the tolerance.
    pub regression: bool,
}

impl Change {
    pub fn label(&self) -> String {
        format!("{}.{}", self.subject, self.metric)
    }
}

/// Every metric of `after` that differs from `before`, for the subjects both have.
/// `tolerance` is relative: a metric regresses when it is worse by more than `tolerance` times
/// its baseline value (any worsening at all from a baseline of 0 or with tolerance 0). A time to
/// recover that became unknown (null: no recovery by the end) is a regression.
pub fn compare(before: &Value, after: &Value, tolerance: f64) -> Vec<Change> {
    let sections: [(&'static str, &[&'static str]); 3] =
        [("services", &SERVICE_METRICS), ("workloads", &WORKLOAD_METRICS), ("target_groups", &TARGET_GROUP_METRICS)];
    let mut out = Vec::new();
    for (section, metrics) in sections {
        let Some(subjects) = after[section].as_object() else { continue };
        for (subject, now) in subjects {
            let Some(then) = before[section].get(subject) else { continue };
            for &metric in metrics {
                let (b, a) = (&then[metric], &now[metric]);
                if b == a || then.get(metric).is_none() {
                    continue;
                }
                let regression = worse(better(metric), b, a, tolerance);
                out.push(Change {
                    section,
                    subject: subject.clone(),
                    metric,
                    before: b.clone(),
                    after: a.clone(),
                    regression,
                });
            }
        }
    }
    out
}

fn worse(better: Better, before: &Value, after: &Value, tolerance: f64) -> bool {
    match (better, before.as_f64(), after.as_f64()) {
        (Better::Neither, _, _) => false,
        (Better::Completed, _, _) => before.as_str() == Some("COMPLETED") && after.as_str() != Some("COMPLETED"),
        // A number became null: for a time to recover, recovery never came.
        (_, Some(_), None) => !after.is_number(),
        (Better::Higher, Some(b), Some(a)) => b - a > tolerance * b.abs(),
        (Better::Lower, Some(b), Some(a)) => a - b > tolerance * b.abs(),
        _ => false,
    }
}

/// The `baseline` section of summary.json.
pub fn to_json(file: &str, tolerance: f64, changes: &[Change]) -> Value {
    json!({
        "file": file,
        "tolerance": tolerance,
        "regressions": changes.iter().filter(|c| c.regression).count(),
        "changes": changes.iter().map(|c| json!({
            "subject": c.subject,
            "metric": c.metric,
            "before": c.before,
            "after": c.after,
            "regression": c.regression,
        })).collect::<Vec<Value>>(),
    })
}
