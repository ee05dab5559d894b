//! The tables ecsim prints on stdout: the run's summary per service, the expectations, and the
//! changes against a baseline.

use serde_json::Value;

use super::{Change, Outcome, secs};
use crate::observer::RunResult;

/// Aligned columns: the first left-aligned, the rest right-aligned, a rule under the header.
pub fn table(header: &[&str], body: Vec<Vec<String>>) -> String {
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    rows.extend(body);
    let widths: Vec<usize> =
        (0..header.len()).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, w))| if c == 0 { format!("{cell:<w$}") } else { format!("{cell:>w$}") })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
        if i == 0 {
            out.push_str(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
            out.push('\n');
        }
    }
    out
}

/// The short table for stdout.
pub fn summary_table(result: &RunResult) -> String {
    let header = [
        "service",
        "availability",
        "capacity",
        "min healthy",
        "outage s",
        "degraded s",
        "min AZ margin",
        "min inst margin",
        "placement fails",
        "status",
    ];
    let opt = |v: Option<u32>| v.map_or("-".to_string(), |v| v.to_string());
    let body = result
        .services
        .iter()
        .map(|s| {
            let a = &s.accum;
            vec![
                s.name.clone(),
                format!("{:.5}", a.availability()),
                format!("{:.4}", a.capacity_ratio()),
                opt(a.min_healthy),
                format!("{:.1}", secs(a.outage_ms)),
                format!("{:.1}", secs(a.degraded_ms)),
                opt(a.min_az_loss_margin),
                opt(a.min_instance_loss_margin),
                s.stats.placement_failures.to_string(),
                super::status::of(a).to_string(),
            ]
        })
        .collect();
    let mut out = table(&header, body);
    if result.requests.iter().any(Option::is_some) {
        out.push('\n');
        out.push_str(&requests_table(result));
    }
    if !result.capacity_providers.is_empty() {
        out.push('\n');
        out.push_str(&providers_table(result));
    }
    if result.services.iter().any(|s| s.activities.is_some()) {
        out.push('\n');
        out.push_str(&auto_scaling_table(result));
    }
    let measured = match result.measure_start {
        Some(t) => format!("measured from {} s (steady state) to {} s", secs(t.0), secs(result.simulated.0)),
        None => {
            format!("steady state never reached: measured over the whole run (0 to {} s)", secs(result.simulated.0))
        }
    };
    out.push_str(&format!("{measured}; {}\n", crate::words::count(result.events, "event")));
    out.push_str(&usage_line(result));
    out
}

/// "usage: m5.large 48.0 instance-hours; FARGATE 8.0 vCPU-hours, 16.0 GB-hours" (costs are in
/// summary.json and report.html, with the scenario's prices).
fn usage_line(result: &RunResult) -> String {
    let by_type = crate::observer::usage::instance_hours_by_type(&result.groups);
    let mut all: Vec<String> = by_type.iter().map(|(t, h)| format!("{t} {h:.1} instance-hours")).collect();
    all.extend(
        result
            .groups
            .iter()
            .filter(|g| g.fargate && g.vcpu_hours > 0.0)
            .map(|g| format!("{} {:.1} vCPU-hours, {:.1} GB-hours", g.name, g.vcpu_hours, g.gb_hours)),
    );
    if all.is_empty() { String::new() } else { format!("usage: {}\n", all.join("; ")) }
}

/// Target groups with traffic: requests offered, the share served, and the failed ones by cause.
fn requests_table(result: &RunResult) -> String {
    let header = ["target group", "requests", "availability", "no target", "dead target", "overload"];
    let body = result
        .target_groups
        .iter()
        .zip(&result.requests)
        .filter_map(|(tg, o)| {
            let o = o.as_ref()?;
            Some(vec![
                tg.name.clone(),
                format!("{:.0}", o.offered()),
                format!("{:.5}", o.availability()),
                format!("{:.0}", o.no_target),
                format!("{:.0}", o.dead_target),
                format!("{:.0}", o.overload),
            ])
        })
        .collect();
    table(&header, body)
}

/// Services with a scalable target: the desired counts they went through and Service Auto
/// Scaling's activities.
fn auto_scaling_table(result: &RunResult) -> String {
    let header = ["service", "desired", "scale-outs", "scale-ins", "scheduled"];
    let body = (result.services.iter().enumerate())
        .filter_map(|(i, s)| {
            let [out, inward, scheduled] = s.activities?;
            // The plot's rows keep every extreme of the desired count.
            let desired = result.plot_rows[i].iter().map(|r| r.values.desired);
            let (lo, hi) = desired.fold((u32::MAX, 0), |(lo, hi), d| (lo.min(d), hi.max(d)));
            let range = if lo > hi { "-".to_string() } else { format!("{lo}-{hi}") };
            Some(vec![s.name.clone(), range, out.to_string(), inward.to_string(), scheduled.to_string()])
        })
        .collect();
    table(&header, body)
}

/// Capacity providers: instances, scaling activity and PROVISIONING waits.
fn providers_table(result: &RunResult) -> String {
    let header = [
        "capacity provider",
        "instances",
        "instance-hours",
        "scale-outs",
        "scale-ins",
        "max PROVISIONING",
        "wait p95 s",
        "given up",
    ];
    let body = result
        .capacity_providers
        .iter()
        .map(|p| {
            vec![
                p.name.clone(),
                format!("{}-{}", p.instances_min, p.instances_max),
                format!("{:.1}", p.instance_hours),
                p.scale_outs.to_string(),
                p.scale_ins.to_string(),
                p.max_provisioning_tasks.to_string(),
                format!("{:.1}", p.provisioning_wait_p95_s),
                p.provisioning_given_up.to_string(),
            ]
        })
        .collect();
    table(&header, body)
}

pub(super) fn value_text(v: &Value) -> String {
    match v {
        Value::Null => "none".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One line per expectation: what it asked, what the run did, whether it held.
pub fn expectations_table(outcomes: &[Outcome]) -> String {
    let body = outcomes
        .iter()
        .map(|o| {
            vec![o.expectation.label(), value_text(&o.actual), if o.passed { "ok".into() } else { "FAILED".into() }]
        })
        .collect();
    table(&["expectation", "actual", "result"], body)
}

/// One line per metric that changed against the baseline.
pub fn changes_table(changes: &[Change]) -> String {
    let body = changes
        .iter()
        .map(|c| {
            vec![c.label(), c.before_text(), c.after_text(), if c.regression { "WORSE".into() } else { String::new() }]
        })
        .collect();
    table(&["metric", "baseline", "now", ""], body)
}
