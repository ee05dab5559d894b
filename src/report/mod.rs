//! Report files from a [`RunResult`] (DESIGN.md §6): summary.json, timeseries.csv, events.csv,
//! and the short table printed on stdout. A report folder is written completely or not at all.

pub mod baseline;
pub mod ci;
pub mod expectations;
mod folder;
pub mod histories;
pub mod html;
mod plots;
pub mod status;
mod text;

pub use baseline::{Change, Presence};
pub use expectations::Outcome;
pub use folder::{Claim, ReportError, check_file, check_folder, write_file, write_folder, write_report};
pub use text::{changes_table, expectations_table, summary_table, table};

use serde_json::{Value, json};

use crate::observer::RunResult;
use crate::scenario::Scenario;
use crate::scenario::expect::{KINDS, REQUEST_METRICS, SERVICE_METRICS, SubjectKind};

/// Every file of a report folder, rendered: what `ecsim run` writes and what the determinism
/// test compares.
pub fn render(
    result: &RunResult,
    scenario: &Scenario,
    baseline: Option<&Baseline<'_>>,
) -> Result<Rendered, ReportError> {
    let format = |e: String| ReportError::Format(e);
    let disruptions = &result.disruptions;
    let mut summary = summary_json(result, scenario, disruptions);
    let outcomes = expectations::evaluate(&summary, &scenario.expectations);
    summary["passed"] = Value::Bool(outcomes.iter().all(|o| o.passed));
    summary["expectations"] = expectations::to_json(&outcomes);
    let changes = baseline.map_or(Vec::new(), |b| baseline::compare(b.summary, &summary, b.tolerance));
    let baseline_notes = baseline.map_or(Vec::new(), |b| baseline::provenance_notes(b.summary, &summary));
    if let Some(b) = baseline {
        summary["baseline"] = baseline::to_json(b.file, b.tolerance, &changes, &baseline_notes);
    }
    let mut summary_bytes = serde_json::to_vec_pretty(&summary).map_err(|e| format(e.to_string()))?;
    summary_bytes.push(b'\n');
    let mut files = vec![("summary.json".to_string(), summary_bytes)];
    if !result.capacity_providers.is_empty() {
        let csv = capacity_providers_csv(result).map_err(|e| format(e.to_string()))?;
        files.push(("capacity_providers.csv".to_string(), csv));
    }
    if result.request_minutes.iter().any(Option::is_some) {
        files.push(("requests.csv".to_string(), requests_csv(result).map_err(|e| format(e.to_string()))?));
        let metrics = service_metrics_csv(result, scenario).map_err(|e| format(e.to_string()))?;
        files.push(("service_metrics.csv".to_string(), metrics));
        let tgs: Vec<&str> = result.target_groups.iter().map(|t| t.name.as_str()).collect();
        for (g, minutes) in result.request_minutes.iter().enumerate() {
            let Some(minutes) = minutes else { continue };
            let name = &result.target_groups[g].name;
            let plot = |e: Box<dyn std::error::Error>| format(format!("plot of target group {name}: {e}"));
            files.push((
                plot_file_name("requests", name, &tgs),
                plots::requests_svg(result, scenario, g, minutes).map_err(plot)?.into_bytes(),
            ));
        }
    }
    let names: Vec<&str> = scenario.services.iter().map(|s| s.name.as_str()).collect();
    for (s, spec) in scenario.services.iter().enumerate() {
        let plot = |e: Box<dyn std::error::Error>| format(format!("plot of {}: {e}", spec.name));
        files.push((
            plot_file_name("tasks", &spec.name, &names),
            plots::service_svg(result, scenario, s, disruptions).map_err(plot)?.into_bytes(),
        ));
        files.push((
            plot_file_name("redundancy", &spec.name, &names),
            plots::redundancy_svg(result, scenario, s).map_err(plot)?.into_bytes(),
        ));
    }
    let providers: Vec<&str> = result.capacity_providers.iter().map(|p| p.name.as_str()).collect();
    for (p, spec) in scenario.capacity_providers.iter().enumerate().filter(|(_, p)| !p.is_fargate()) {
        let Some(scaling) = spec.managed_scaling else { continue };
        let plot = |e: Box<dyn std::error::Error>| format(format!("plot of capacity provider {}: {e}", spec.name));
        files.push((
            plot_file_name("capacity", &spec.name, &providers),
            plots::capacity_provider_svg(result, p).map_err(plot)?.into_bytes(),
        ));
        files.push((
            plot_file_name("reservation", &spec.name, &providers),
            plots::reservation_svg(result, p, scaling.target_capacity).map_err(plot)?.into_bytes(),
        ));
    }
    let usage = plots::usage_svg(result).map_err(|e| format(format!("cluster usage plot: {e}")))?;
    files.push(("cluster-usage.svg".to_string(), usage.into_bytes()));
    let mut rendered = Rendered { files, summary, outcomes, changes, baseline_notes };
    let page = html::report_html(&rendered, result);
    rendered.files.push(("report.html".to_string(), page.into_bytes()));
    Ok(rendered)
}

/// The file of a service's plot: `tasks-web.svg`, or, where that would not be a file name on
/// every system (longer than 255 bytes, or the same as another service's but for letter case, as
/// on macOS and Windows), the name cut short with a hash of the whole name:
/// `tasks-<as much of the name as fits>-1a2b3c4d.svg`. Every name AWS accepts writes.
pub fn plot_file_name(kind: &str, service: &str, services: &[&str]) -> String {
    const MAX_BYTES: usize = 255;
    let plain = format!("{kind}-{service}.svg");
    let clash = services.iter().filter(|s| s.eq_ignore_ascii_case(service)).count() > 1;
    if plain.len() <= MAX_BYTES && !clash {
        return plain;
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(service.as_bytes());
    let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let room = MAX_BYTES - kind.len() - 1 - 1 - hash.len() - ".svg".len();
    let mut cut = service.len().min(room);
    while !service.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{kind}-{}-{hash}.svg", &service[..cut])
}

/// A run's report: the files of its folder, and what the command line reports from them.
pub struct Rendered {
    /// (file name, bytes), in a fixed order; the run's histories ([`histories::histories`]) are
    /// written beside them as they are formatted.
    pub files: Vec<(String, Vec<u8>)>,
    pub summary: Value,
    pub outcomes: Vec<Outcome>,
    /// Metrics that changed against the baseline (empty without one).
    pub changes: Vec<Change>,
    /// What differs in what was run (scenario, hash, seed, version) from the baseline.
    pub baseline_notes: Vec<String>,
}

pub use histories::{Recorder, Streamed, histories};

impl Rendered {
    /// Every expectation held and nothing regressed against the baseline.
    pub fn passed(&self) -> bool {
        self.outcomes.iter().all(|o| o.passed) && !self.changes.iter().any(|c| c.regression)
    }

    /// Whether anything was checked: an expectation, or a baseline.
    pub fn checked(&self) -> bool {
        !self.outcomes.is_empty() || self.summary.get("baseline").is_some()
    }

    /// The run's verdict for people: "passed", "FAILED", or "no expectations" when nothing was
    /// checked (a run with an outage and nothing to hold it against has not passed anything).
    pub fn verdict(&self) -> &'static str {
        match (self.checked(), self.passed()) {
            (false, _) => "no expectations",
            (true, true) => "passed",
            (true, false) => "FAILED",
        }
    }
}

/// A previous summary.json to compare with.
pub struct Baseline<'a> {
    pub file: &'a str,
    pub summary: &'a Value,
    /// Relative worsening allowed before a metric counts as a regression.
    pub tolerance: f64,
}

pub(crate) fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

/// `ms` as seconds with exactly three decimals (`389.734`, `600.000`): every time in a CSV is
/// visibly a number with a fraction, so dataframe readers that infer a column's type from its
/// first rows (polars reads 100) never guess integers and then fail on `7.77`. Integer
/// arithmetic, which matters in a log of 100,000 lines.
pub(crate) fn secs_text(ms: u64, out: &mut String) {
    out.clear();
    out.push_str(itoa::Buffer::new().format(ms / 1000));
    out.push('.');
    let frac = ms % 1000;
    for d in [frac / 100, frac / 10 % 10, frac % 10] {
        out.push(char::from(b'0' + d as u8));
    }
}

/// Each service's metrics (`SERVICE_METRICS`, in that order): what summary.json lists per
/// service and what a sweep's runs.csv carries, from one place.
pub fn service_metrics(result: &RunResult, disruptions: &[crate::observer::Disruption]) -> Vec<Vec<Value>> {
    result
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let a = &s.accum;
            let impacts: Vec<&crate::observer::ServiceImpact> =
                disruptions.iter().flat_map(|d| d.services.iter().filter(|x| x.service == i)).collect();
            let unrecovered = impacts.iter().filter(|x| x.time_to_recover_ms.is_none()).count();
            // Unknown (null) while any disruption is still unrecovered at the end.
            let max_time_to_recover = if unrecovered > 0 {
                None
            } else {
                Some(impacts.iter().filter_map(|x| x.time_to_recover_ms).max().map_or(0.0, secs))
            };
            let max_deployment =
                s.deployments.iter().filter_map(|d| d.finished.map(|t| t.since(d.started).0)).max().map(secs);
            let values = [
                json!(a.availability()),
                json!(a.capacity_ratio()),
                json!(a.min_healthy),
                json!(secs(a.outage_ms)),
                json!(secs(a.degraded_ms)),
                json!(secs(a.below_min_healthy_ms)),
                json!(a.min_az_coverage),
                json!(a.min_az_loss_margin),
                json!(a.min_instance_loss_margin),
                json!(s.stats.tasks_started),
                json!(s.stats.tasks_failed_to_start),
                json!(s.stats.placement_failures),
                json!(impacts.len()),
                json!(unrecovered),
                json!(max_time_to_recover),
                json!(max_deployment),
                json!(s.deployments.last().map(|d| d.rollout_state)),
                json!(status::of(a)),
                json!(max_cpu_utilization(result, i)),
                json!(s.activities.map(|a| a[0])),
                json!(s.activities.map(|a| a[1])),
                json!(s.activities.map(|a| a[2])),
            ]
            .into_iter()
            .chain(request_values(
                result,
                result.service_requests[i].as_ref(),
                result.service_overload_minutes[i].as_deref(),
            ))
            .collect::<Vec<Value>>();
            debug_assert_eq!(values.len(), SERVICE_METRICS.len());
            values.to_vec()
        })
        .collect()
}

/// summary.json without its expectations and baseline (`render` adds those), as a JSON value
/// (serialised with stable key order).
fn summary_json(result: &RunResult, scenario: &Scenario, disruptions: &[crate::observer::Disruption]) -> Value {
    let mut services = serde_json::Map::new();
    let metrics = service_metrics(result, disruptions);
    for ((s, spec), values) in result.services.iter().zip(&scenario.services).zip(metrics) {
        let deployments: Vec<Value> = s
            .deployments
            .iter()
            .map(|d| {
                json!({
                    "id": d.id,
                    "task_definition": d.task_definition,
                    "status": d.status,
                    "rollout_state": d.rollout_state,
                    "started_s": secs(d.started.0),
                    "finished_s": d.finished.map(|t| secs(t.0)),
                    "duration_s": d.finished.map(|t| secs(t.since(d.started).0)),
                    "rolled_back": d.rolled_back,
                    "is_rollback": d.is_rollback,
                    "failed_tasks": d.failed_tasks,
                })
            })
            .collect();
        let mut entry: serde_json::Map<String, Value> =
            SERVICE_METRICS.iter().map(|k| k.to_string()).zip(values).collect();
        entry.insert("desired_count".into(), json!(spec.desired_count));
        entry.insert("minimum_healthy_percent".into(), json!(spec.minimum_healthy_percent));
        entry.insert("maximum_percent".into(), json!(spec.maximum_percent));
        entry.insert("deployments".into(), Value::Array(deployments));
        services.insert(s.name.clone(), Value::Object(entry));
    }
    let mut sections = subject_sections(result, scenario).into_iter().map(|(_, m)| Value::Object(m));
    json!({
        "ecsim_version": crate::VERSION,
        "scenario": result.scenario_name,
        "scenario_file": result.scenario_file,
        "scenario_sha256": result.scenario_sha256,
        "seed": result.seed,
        "simulated_s": secs(result.simulated.0),
        "events": result.events,
        "steady_state_reached": result.measure_start.is_some(),
        "measured_from_s": result.measure_start.map_or(0.0, |t| secs(t.0)),
        "measured_s": result.services.first().map_or(0.0, |s| secs(s.accum.time_ms)),
        "passed": true,
        "expectations": [],
        "services": services,
        "workloads": sections.next(),
        "standalone_tasks": {
            "launched": result.standalone_tasks,
            "completed": result.standalone_completed,
            "failures": result.run_task_failures.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<String, Value>>(),
        },
        "disruptions": disruptions.iter().map(|d| json!({
            "time_s": secs(d.time.0),
            "kind": d.kind,
            "what": d.what,
            "time_to_capacity_s": d.time_to_capacity_ms.map(secs),
            "services": d.services.iter().map(|x| (result.services[x.service].name.clone(), json!({
                "healthy_before": x.healthy_before,
                "healthy_lowest": x.healthy_lowest,
                "time_to_recover_s": x.time_to_recover_ms.map(secs),
            }))).collect::<serde_json::Map<String, Value>>(),
        })).collect::<Vec<Value>>(),
        "target_groups": sections.next(),
        "capacity_providers": sections.next(),
        "instance_groups": sections.next(),
        "fargate": sections.next(),
        "usage": usage_json(result, scenario),
    })
}

/// summary.json's sections for every kind of subject but services, in [`KINDS`] order: per
/// subject its metrics (keys `kind.metrics()`) and what else the section says of it. One source
/// for summary.json and a sweep's runs.csv.
pub fn subject_sections(result: &RunResult, scenario: &Scenario) -> Vec<(SubjectKind, serde_json::Map<String, Value>)> {
    let workloads = result
        .workloads
        .iter()
        .map(|w| {
            let entry = json!({
                "arrived": w.arrived,
                "started": w.started,
                "never_started": w.never_started,
                "queue_delay_s_p50": secs(w.delay_ms_p50),
                "queue_delay_s_p95": secs(w.delay_ms_p95),
                "queue_delay_s_max": secs(w.delay_ms_max),
            });
            (w.name.clone(), entry)
        })
        .collect();
    let target_groups = result
        .target_groups
        .iter()
        .enumerate()
        .map(|(g, tg)| {
            let mut entry = json!({
                "min_healthy_targets": tg.min_healthy_targets,
                "fail_open_s": secs(tg.fail_open_ms),
            });
            let overload: Option<Vec<f64>> =
                result.request_minutes[g].as_ref().map(|m| m.iter().map(|m| m.outcome.overload).collect());
            for (k, v) in
                REQUEST_METRICS.iter().zip(request_values(result, result.requests[g].as_ref(), overload.as_deref()))
            {
                entry[*k] = v;
            }
            (tg.name.clone(), entry)
        })
        .collect();
    let providers = result.capacity_providers.iter().map(|p| (p.name.clone(), capacity_provider_json(p))).collect();
    let sections = vec![
        (SubjectKind::Workload, workloads),
        (SubjectKind::TargetGroup, target_groups),
        (SubjectKind::CapacityProvider, providers),
        (SubjectKind::InstanceGroup, instance_groups_json(result, &scenario.pricing)),
        (SubjectKind::Fargate, fargate_json(result, scenario)),
    ];
    debug_assert!(sections.iter().map(|(k, _)| *k).eq(KINDS[1..].iter().copied()));
    sections
}

/// The request metrics ([`REQUEST_METRICS`], in order) of an outcome and its requests failed as
/// overload per minute, nulls without traffic. Counts are requests to 0.001; availability is
/// served / offered (1 when nothing was offered).
fn request_values(
    result: &RunResult,
    o: Option<&crate::elb::routing::Outcome>,
    overload: Option<&[f64]>,
) -> Vec<Value> {
    let Some(o) = o else { return vec![Value::Null; REQUEST_METRICS.len()] };
    let count = |x: f64| json!((x * 1000.0).round() / 1000.0);
    let (overloaded_s, absorb_s) = overload_times(result, overload.unwrap_or(&[]));
    vec![
        json!(o.availability()),
        count(o.offered()),
        count(o.served),
        count(o.failed()),
        count(o.no_target),
        count(o.dead_target),
        count(o.overload),
        json!(overloaded_s),
        json!(absorb_s),
    ]
}

/// The measured part of minute `m` of the run, in seconds (all of the run when the measured
/// time never started).
fn measured_seconds_of_minute(result: &RunResult, m: usize) -> f64 {
    let (a, b) = (m as u64 * 60_000, ((m as u64 + 1) * 60_000).min(result.simulated.0));
    let from = result.measure_start.map_or(0, |t| t.0);
    b.saturating_sub(a.max(from)) as f64 / 1000.0
}

/// Minutes without overload that end an overload episode (\[INFER\]: a surge that comes back
/// within this is the same surge).
const EPISODE_GAP_MINUTES: usize = 5;

/// Over the measured time, at CloudWatch's resolution of a minute: the seconds of the minutes in
/// which some requests failed as overload (`overloaded_s`), and the longest overload episode,
/// from the start of its first overloaded minute to the end of its last, episodes apart by
/// [`EPISODE_GAP_MINUTES`] or more (`time_to_absorb_s`: how long a surge took to be absorbed).
fn overload_times(result: &RunResult, overload: &[f64]) -> (f64, f64) {
    let minutes: Vec<usize> =
        (0..overload.len()).filter(|&m| overload[m] > 0.0 && measured_seconds_of_minute(result, m) > 0.0).collect();
    let total: f64 = minutes.iter().map(|&m| measured_seconds_of_minute(result, m)).sum();
    let span = |a: usize, b: usize| {
        let start = (a as u64 * 60_000).max(result.measure_start.map_or(0, |t| t.0));
        let end = ((b as u64 + 1) * 60_000).min(result.simulated.0);
        end.saturating_sub(start) as f64 / 1000.0
    };
    let mut longest = 0.0f64;
    let mut episode: Option<(usize, usize)> = None;
    for &m in &minutes {
        episode = match episode {
            Some((a, b)) if m - b <= EPISODE_GAP_MINUTES => Some((a, m)),
            Some((a, b)) => {
                longest = longest.max(span(a, b));
                Some((m, m))
            }
            None => Some((m, m)),
        };
    }
    if let Some((a, b)) = episode {
        longest = longest.max(span(a, b));
    }
    (total, longest)
}

/// A service's highest ECSServiceAverageCPUUtilization of a minute in the measured time
/// (percent; None without traffic or a `capacity_rps`).
fn max_cpu_utilization(result: &RunResult, s: usize) -> Option<f64> {
    let minutes = result.utilization[s].as_ref()?;
    result.cpu_known.get(s).copied().filter(|k| *k)?;
    (minutes.iter().enumerate())
        .filter(|(m, u)| u.task_seconds > 0.0 && measured_seconds_of_minute(result, *m) > 0.0)
        .map(|(_, u)| u.cpu_percent_seconds / u.task_seconds)
        .max_by(f64::total_cmp)
        .map(|x| (x * 1000.0).round() / 1000.0)
}

/// Hours with three decimals.
fn hours(h: f64) -> Value {
    json!((h * 1000.0).round() / 1000.0)
}

/// Money with four decimals; `null` without a price.
fn money(cost: Option<f64>) -> Value {
    cost.map_or(Value::Null, |c| json!((c * 10_000.0).round() / 10_000.0))
}

/// `instance_groups.<name>` (EC2 groups): keys [`crate::scenario::expect::INSTANCE_GROUP_METRICS`].
fn instance_groups_json(result: &RunResult, pricing: &crate::scenario::Pricing) -> serde_json::Map<String, Value> {
    result
        .groups
        .iter()
        .filter(|g| !g.fargate)
        .map(|g| {
            // A type that ran no instance costs nothing, priced or not.
            let cost = g
                .instance_hours_by_type
                .iter()
                .filter(|(_, h)| *h > 0.0)
                .try_fold(0.0, |sum, (t, h)| pricing.instance_hour_price(t).map(|p| sum + p * h));
            let mut entry = json!({
                "instance_type": g.instance_hours_by_type[0].0,
                "instance_hours": hours(g.instance_hours),
                "cost": money(cost),
            });
            // A mixed instances group: which types ran, for how long.
            if g.instance_hours_by_type.len() > 1 {
                entry["instance_hours_by_type"] = g
                    .instance_hours_by_type
                    .iter()
                    .map(|(t, h)| (t.clone(), hours(*h)))
                    .collect::<serde_json::Map<_, _>>()
                    .into();
            }
            (g.name.clone(), entry)
        })
        .collect()
}

/// The price per vCPU-hour and GB-hour of FARGATE (`spot` false) or FARGATE_SPOT.
fn fargate_prices(pricing: &crate::scenario::Pricing, spot: bool) -> (Option<f64>, Option<f64>) {
    if spot {
        (pricing.fargate_spot_vcpu_hour, pricing.fargate_spot_gb_hour)
    } else {
        (pricing.fargate_vcpu_hour, pricing.fargate_gb_hour)
    }
}

/// The cost of `vcpu_hours` and `gb_hours` when both prices are known.
fn fargate_cost(prices: (Option<f64>, Option<f64>), vcpu_hours: f64, gb_hours: f64) -> Option<f64> {
    Some(prices.0? * vcpu_hours + prices.1? * gb_hours)
}

/// `fargate.FARGATE` and `fargate.FARGATE_SPOT` (those a service uses): keys
/// [`crate::scenario::expect::FARGATE_METRICS`].
fn fargate_json(result: &RunResult, scenario: &Scenario) -> serde_json::Map<String, Value> {
    result
        .groups
        .iter()
        .zip(&scenario.groups)
        .filter(|(g, spec)| g.fargate && spec.count > 0)
        .map(|(g, _)| {
            let prices = fargate_prices(&scenario.pricing, g.name == "FARGATE_SPOT");
            (
                g.name.clone(),
                json!({
                    "vcpu_hours": hours(g.vcpu_hours),
                    "gb_hours": hours(g.gb_hours),
                    "cost": money(fargate_cost(prices, g.vcpu_hours, g.gb_hours)),
                }),
            )
        })
        .collect()
}

/// `usage`: the run's totals (instance-hours by type, Fargate and Fargate Spot vCPU- and
/// GB-hours, and the cost where every part has a price).
fn usage_json(result: &RunResult, scenario: &Scenario) -> Value {
    let by_type = crate::observer::usage::instance_hours_by_type(&result.groups);
    let (mut fargate, mut spot) = ((0.0, 0.0), (0.0, 0.0));
    for g in result.groups.iter().filter(|g| g.fargate) {
        let total = if g.name == "FARGATE_SPOT" { &mut spot } else { &mut fargate };
        *total = (total.0 + g.vcpu_hours, total.1 + g.gb_hours);
    }
    let pricing = &scenario.pricing;
    let mut cost: Option<f64> = Some(0.0);
    for (t, h) in &by_type {
        let price = pricing.instance_hour_price(t);
        cost = cost.zip(price.map(|p| p * h)).map(|(a, b)| a + b);
    }
    for (spot_prices, (v, g)) in [(false, fargate), (true, spot)] {
        if v > 0.0 || g > 0.0 {
            cost = cost.zip(fargate_cost(fargate_prices(pricing, spot_prices), v, g)).map(|(a, b)| a + b);
        }
    }
    json!({
        "instance_hours": by_type.iter().map(|(t, h)| (t.to_string(), hours(*h))).collect::<serde_json::Map<String, Value>>(),
        "fargate_vcpu_hours": hours(fargate.0),
        "fargate_gb_hours": hours(fargate.1),
        "fargate_spot_vcpu_hours": hours(spot.0),
        "fargate_spot_gb_hours": hours(spot.1),
        "cost": if pricing.is_empty() { Value::Null } else { money(cost) },
    })
}

/// `capacity_providers.<name>` in summary.json; its keys are
/// [`crate::scenario::expect::CAPACITY_PROVIDER_METRICS`].
fn capacity_provider_json(p: &crate::observer::capacity_providers::ProviderResult) -> Value {
    json!({
        "instances_min": p.instances_min,
        "instances_max": p.instances_max,
        "instance_hours": hours(p.instance_hours),
        "scale_outs": p.scale_outs,
        "scale_ins": p.scale_ins,
        "instances_launched": p.instances_launched,
        "instances_terminated": p.instances_terminated,
        "max_provisioning_tasks": p.max_provisioning_tasks,
        "provisioned_tasks": p.provisioned_tasks,
        "provisioning_wait_s_p50": p.provisioning_wait_p50_s,
        "provisioning_wait_s_p95": p.provisioning_wait_p95_s,
        "provisioning_wait_s_max": p.provisioning_wait_max_s,
        "provisioning_given_up": p.provisioning_given_up,
    })
}

/// capacity_providers.csv: per capacity provider with managed scaling, each datapoint that
/// differs from the one before (a step function): CapacityProviderReservation in percent, the
/// group's registered instances and desired capacity, tasks in PROVISIONING.
pub fn capacity_providers_csv(result: &RunResult) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["time_s", "capacity_provider", "reservation_percent", "instances", "desired", "provisioning"])?;
    let mut time = String::new();
    for p in &result.capacity_providers {
        for (t, r) in &p.rows {
            secs_text(t.0, &mut time);
            let cpr = format!("{}.{:02}", r.cpr_hundredths / 100, r.cpr_hundredths % 100);
            w.write_record([
                time.as_str(),
                p.name.as_str(),
                cpr.as_str(),
                &r.instances.to_string(),
                &r.desired.to_string(),
                &r.provisioning.to_string(),
            ])?;
        }
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// A non-negative number with three decimals ("12.345"), as integer arithmetic: these CSVs write
/// a row a minute per target group and service, so a float formatter per cell would dominate
/// a week's report. Not finite or negative: empty.
fn decimal3(x: f64, out: &mut String) {
    out.clear();
    if !(x.is_finite() && x >= 0.0) {
        return;
    }
    // Thousandths are written as a time in ms is.
    secs_text((x * 1000.0).round() as u64, out);
}

/// A writer for the per-minute CSVs, whose cells are numbers and names AWS's rules keep to
/// letters, digits, hyphens and underscores: nothing in them ever needs quoting, so none is
/// looked for (a day of 20 target groups is 28,800 rows a file).
fn numeric_csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new().quote_style(csv::QuoteStyle::Never).from_writer(Vec::new())
}

/// The length in seconds of minute `m` of the run: a whole minute but for the run's last.
pub(crate) fn minute_seconds(result: &RunResult, m: usize) -> f64 {
    (result.simulated.0 - m as u64 * 60_000).clamp(1, 60_000) as f64 / 1000.0
}

/// requests.csv: per target group with traffic and minute of the run, the requests offered,
/// served and failed by cause, and CloudWatch's RequestCountPerTarget (the minute's requests over
/// its routable targets, time-averaged; empty with none). Times are the minute's start.
pub fn requests_csv(result: &RunResult) -> Result<Vec<u8>, csv::Error> {
    let mut w = numeric_csv_writer();
    w.write_record([
        "time_s",
        "target_group",
        "offered",
        "served",
        "failed_no_target",
        "failed_dead_target",
        "failed_overload",
        "request_count_per_target",
    ])?;
    let mut time = String::new();
    let mut cells = vec![String::new(); 6];
    for (tg, minutes) in result.request_minutes.iter().enumerate() {
        let Some(minutes) = minutes else { continue };
        for (m, minute) in minutes.iter().enumerate() {
            secs_text(m as u64 * 60_000, &mut time);
            let o = &minute.outcome;
            let seconds = minute_seconds(result, m);
            let targets = minute.target_seconds / seconds;
            let per_target = if targets > 0.0 { o.offered() / targets } else { f64::NAN };
            for (cell, x) in
                cells.iter_mut().zip([o.offered(), o.served, o.no_target, o.dead_target, o.overload, per_target])
            {
                decimal3(x, cell);
            }
            w.write_record(
                [time.as_str(), result.target_groups[tg].name.as_str()]
                    .into_iter()
                    .chain(cells.iter().map(String::as_str)),
            )?;
        }
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// service_metrics.csv: per service behind a target group with traffic and minute of the run,
/// CloudWatch's ECSServiceAverageCPUUtilization and ECSServiceAverageMemoryUtilization (percent,
/// averaged over its tasks that answer; empty when none does or the task definition gives no
/// `capacity_rps`) and the tasks averaged over the minute.
pub fn service_metrics_csv(result: &RunResult, scenario: &Scenario) -> Result<Vec<u8>, csv::Error> {
    let mut w = numeric_csv_writer();
    w.write_record(["time_s", "service", "cpu_utilization", "memory_utilization", "tasks"])?;
    let mut time = String::new();
    let mut cells = vec![String::new(); 3];
    for (s, minutes) in result.utilization.iter().enumerate() {
        let Some(minutes) = minutes else { continue };
        let td = &scenario.task_definitions[scenario.services[s].task_definition.index()];
        let known = td.behavior.capacity_rps.is_some();
        for (m, u) in minutes.iter().enumerate() {
            secs_text(m as u64 * 60_000, &mut time);
            let seconds = minute_seconds(result, m);
            // Averages over the tasks that answered (none: empty).
            let avg = |x: f64| if u.task_seconds > 0.0 { x / u.task_seconds } else { f64::NAN };
            let cpu = if known { avg(u.cpu_percent_seconds) } else { f64::NAN };
            for (cell, x) in cells.iter_mut().zip([cpu, avg(u.memory_percent_seconds), u.task_seconds / seconds]) {
                decimal3(x, cell);
            }
            w.write_record(
                [time.as_str(), result.services[s].name.as_str()].into_iter().chain(cells.iter().map(String::as_str)),
            )?;
        }
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal3_writes_three_decimals_or_nothing() {
        let mut out = String::new();
        for (x, want) in
            [(12.3456, "12.346"), (0.0, "0.000"), (7.0, "7.000"), (0.0996, "0.100"), (6e10, "60000000000.000")]
        {
            decimal3(x, &mut out);
            assert_eq!(out, want);
        }
        for x in [f64::NAN, -1.0, f64::INFINITY] {
            decimal3(x, &mut out);
            assert_eq!(out, "", "{x}");
        }
    }

    #[test]
    fn seconds_text_has_three_decimals_and_reads_back_exactly() {
        let mut out = String::new();
        let mut rng = crate::engine::SimRng::new(5, crate::engine::Stream::Test);
        let samples = (0..20_000).map(|_| rng.below(1 << 40)).chain([0, 1, 10, 100, 999, 1000, 1010, 86_400_000]);
        for ms in samples {
            secs_text(ms, &mut out);
            assert_eq!(out.split_once('.').map(|(_, f)| f.len()), Some(3), "{out}");
            let back: f64 = out.parse().unwrap();
            assert_eq!((back * 1000.0).round() as u64, ms, "{out}");
        }
        secs_text(7770, &mut out);
        assert_eq!(out, "7.770");
    }
}
