//! Reads Service Auto Scaling in Application Auto Scaling's and CloudWatch's own request shapes:
//! `[[scalable_targets]]` (RegisterScalableTarget), `[[scaling_policies]]` (PutScalingPolicy),
//! `[[scheduled_actions]]` (PutScheduledAction) and `[[alarms]]` (PutMetricAlarm, for step
//! scaling). Only `ecs` / `ecs:service:DesiredCount` targets exist in ECS; a ResourceId is
//! `service/<cluster>/<service>`.

use super::node::Node;
use super::reader::{Fields, Reader};
use crate::autoscaling::schedule::{self, Schedule};
use crate::autoscaling::{
    AdjustmentType, AutoScaling, Comparison, Metric, MetricAlarm, MissingData, PolicyKind, ScalableTarget,
    ScalingPolicy, ScheduledAction, Statistic, StepAdjustment, StepScaling, TargetTracking,
};
use crate::engine::SimDuration;
use crate::ids::ServiceId;

pub(crate) const SCALABLE_TARGET_KEYS: &[&str] =
    &["ServiceNamespace", "ResourceId", "ScalableDimension", "MinCapacity", "MaxCapacity", "SuspendedState"];
pub(crate) const SUSPENDED_KEYS: &[&str] =
    &["DynamicScalingInSuspended", "DynamicScalingOutSuspended", "ScheduledScalingSuspended"];
pub(crate) const POLICY_KEYS: &[&str] = &[
    "PolicyName",
    "ServiceNamespace",
    "ResourceId",
    "ScalableDimension",
    "PolicyType",
    "TargetTrackingScalingPolicyConfiguration",
    "StepScalingPolicyConfiguration",
];
pub(crate) const TARGET_TRACKING_KEYS: &[&str] =
    &["TargetValue", "PredefinedMetricSpecification", "ScaleOutCooldown", "ScaleInCooldown", "DisableScaleIn"];
pub(crate) const PREDEFINED_KEYS: &[&str] = &["PredefinedMetricType", "ResourceLabel"];
pub(crate) const STEP_KEYS: &[&str] =
    &["AdjustmentType", "StepAdjustments", "MinAdjustmentMagnitude", "Cooldown", "MetricAggregationType"];
pub(crate) const STEP_ADJUSTMENT_KEYS: &[&str] =
    &["MetricIntervalLowerBound", "MetricIntervalUpperBound", "ScalingAdjustment"];
pub(crate) const ALARM_KEYS: &[&str] = &[
    "AlarmName",
    "MetricName",
    "Namespace",
    "Statistic",
    "Dimensions",
    "Period",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "AlarmActions",
];
/// PutMetricAlarm fields that change nothing ecsim models.
const ALARM_ACCEPTED: &[&str] =
    &["AlarmDescription", "ActionsEnabled", "OKActions", "InsufficientDataActions", "Unit", "Tags"];
pub(crate) const DIMENSION_KEYS: &[&str] = &["Name", "Value"];
pub(crate) const SCHEDULED_ACTION_KEYS: &[&str] = &[
    "ScheduledActionName",
    "ServiceNamespace",
    "ResourceId",
    "ScalableDimension",
    "Schedule",
    "Timezone",
    "StartTime",
    "EndTime",
    "ScalableTargetAction",
];
pub(crate) const TARGET_ACTION_KEYS: &[&str] = &["MinCapacity", "MaxCapacity"];

/// The names the sections refer to.
pub(super) struct Names<'a> {
    pub services: &'a [String],
    pub target_groups: &'a [String],
    /// Per service, the target groups behind it, and whether it is a DAEMON service.
    pub service_target_groups: &'a [Vec<usize>],
    pub daemons: &'a [bool],
    pub epoch_ms: i64,
}

/// The four sections (`None` entries were wrong and reported).
pub(super) struct Raw<'n> {
    pub targets: Vec<(&'n Node, String)>,
    pub policies: Vec<(&'n Node, String)>,
    pub scheduled: Vec<(&'n Node, String)>,
    pub alarms: Vec<(&'n Node, String)>,
}

pub(super) fn read(r: &mut Reader<'_>, raw: &Raw<'_>, names: &Names<'_>) -> Option<AutoScaling> {
    let before = r.diags.len();
    let mut out = AutoScaling::default();
    for (node, path) in &raw.targets {
        if let Some(t) = read_target(r, node, path, names) {
            if out.targets.iter().any(|x| x.service == t.service) {
                r.error(
                    &node.span,
                    path,
                    format!("service {} already has a scalable target", names.services[t.service.index()]),
                );
            }
            out.targets.push(t);
        }
    }
    let registered = |r: &mut Reader<'_>, out: &AutoScaling, s: ServiceId, node: &Node, path: &str| {
        let ok = out.targets.iter().any(|t| t.service == s);
        if !ok {
            let name = &names.services[s.index()];
            r.error(&node.span, path, format!("expected a [[scalable_targets]] entry for service/…/{name} (RegisterScalableTarget comes first), found none"));
        }
        ok
    };
    for (node, path) in &raw.policies {
        if let Some(p) = read_policy(r, node, path, names)
            && registered(r, &out, p.service, node, path)
        {
            if out.policies.iter().any(|x| x.name == p.name && x.service == p.service) {
                r.error(&node.span, path, format!("a second policy named {:?} on the same scalable target", p.name));
            }
            out.policies.push(p);
        }
    }
    for (node, path) in &raw.scheduled {
        if let Some(a) = read_scheduled(r, node, path, names)
            && registered(r, &out, a.service, node, path)
        {
            out.scheduled.push(a);
        }
    }
    for (node, path) in &raw.alarms {
        if let Some(a) = read_alarm(r, node, path, names, &out.policies) {
            out.alarms.push(a);
        }
    }
    (r.diags.len() == before).then_some(out)
}

/// ServiceNamespace, ScalableDimension and ResourceId: the service scaled.
fn read_resource(r: &mut Reader<'_>, f: &Fields<'_>, names: &Names<'_>) -> Option<ServiceId> {
    if let Some(ns) = r.opt_str(f, "ServiceNamespace")
        && ns != "ecs"
    {
        let n = f.node("ServiceNamespace")?;
        r.error(
            &n.span,
            &f.path("ServiceNamespace"),
            format!("expected \"ecs\" (ecsim scales ECS services), found {ns:?}"),
        );
    }
    if let Some(d) = r.opt_str(f, "ScalableDimension")
        && d != "ecs:service:DesiredCount"
    {
        let n = f.node("ScalableDimension")?;
        r.error(&n.span, &f.path("ScalableDimension"), format!("expected \"ecs:service:DesiredCount\", found {d:?}"));
    }
    let id = r.req_str(f, "ResourceId", "service/<cluster>/<service>")?;
    let node = f.node("ResourceId")?;
    let parts: Vec<&str> = id.split('/').collect();
    if parts.len() != 3 || parts[0] != "service" || parts[1].is_empty() {
        r.error(&node.span, &f.path("ResourceId"), format!("expected service/<cluster>/<service>, found {id:?}"));
        return None;
    }
    match names.services.iter().position(|s| s == parts[2]) {
        Some(i) => Some(ServiceId(i as u16)),
        None => {
            let known: Vec<&str> = names.services.iter().map(String::as_str).collect();
            let hint =
                super::reader::suggest(parts[2], &known).map(|k| format!("; did you mean {k:?}?")).unwrap_or_default();
            r.error(&node.span, &f.path("ResourceId"), format!("no service named {:?}{hint}", parts[2]));
            None
        }
    }
}

fn req_u32(r: &mut Reader<'_>, f: &Fields<'_>, key: &str, what: &str, max: u32) -> Option<u32> {
    if !f.has(key) {
        r.missing(f, key, what);
        return None;
    }
    r.opt_u32(f, key, 0, max)
}

/// A required count of the service's tasks (within the quota of tasks per service).
fn req_task_count(r: &mut Reader<'_>, f: &Fields<'_>, key: &str, what: &str) -> Option<u32> {
    if !f.has(key) {
        r.missing(f, key, what);
        return None;
    }
    r.opt_task_count(f, key)
}

fn read_target(r: &mut Reader<'_>, node: &Node, path: &str, names: &Names<'_>) -> Option<ScalableTarget> {
    let f = r.table_with(node, path, SCALABLE_TARGET_KEYS, &["RoleARN", "Tags"])?;
    let service = read_resource(r, &f, names);
    let min = req_task_count(r, &f, "MinCapacity", "the fewest tasks scaling may leave");
    let max = req_task_count(r, &f, "MaxCapacity", "the most tasks scaling may ask for");
    let (mut in_s, mut out_s, mut sched_s) = (false, false, false);
    if let Some(n) = f.node("SuspendedState") {
        let p = f.path("SuspendedState");
        let sf = r.table(n, &p, SUSPENDED_KEYS)?;
        in_s = r.opt_bool(&sf, "DynamicScalingInSuspended").unwrap_or(false);
        out_s = r.opt_bool(&sf, "DynamicScalingOutSuspended").unwrap_or(false);
        sched_s = r.opt_bool(&sf, "ScheduledScalingSuspended").unwrap_or(false);
    }
    if let Some(s) = service
        && names.daemons.get(s.index()).copied().unwrap_or(false)
    {
        let n = f.node("ResourceId")?;
        let name = &names.services[s.index()];
        r.error(
            &n.span,
            &f.path("ResourceId"),
            format!(
                "expected a REPLICA service, found DAEMON service {name} (its desired count follows its instances)"
            ),
        );
        return None;
    }
    let (min, max) = (min?, max?);
    if min > max {
        r.error(
            &f.node("MinCapacity")?.span,
            &f.path("MinCapacity"),
            format!("expected MinCapacity <= MaxCapacity ({max}), found {min}"),
        );
        return None;
    }
    Some(ScalableTarget {
        service: service?,
        min_capacity: min,
        max_capacity: max,
        dynamic_scaling_in_suspended: in_s,
        dynamic_scaling_out_suspended: out_s,
        scheduled_scaling_suspended: sched_s,
    })
}

/// Seconds as AWS writes cooldowns (an integer; absent: `default`).
fn seconds(r: &mut Reader<'_>, f: &Fields<'_>, key: &str, default: u64) -> Option<SimDuration> {
    if !f.has(key) {
        return Some(SimDuration::from_secs(default));
    }
    r.opt_int(f, key, 0, 86_400 * 7).map(|s| SimDuration::from_secs(s as u64))
}

/// A target group named by a ResourceLabel (`app/<lb>/<id>/targetgroup/<name>/<id>`), a
/// TargetGroup dimension (`targetgroup/<name>/<id>`) or its name.
fn target_group_of(r: &mut Reader<'_>, node: &Node, path: &str, text: &str, names: &Names<'_>) -> Option<usize> {
    let name = match text.split_once("targetgroup/") {
        Some((_, rest)) => rest.split('/').next().unwrap_or(""),
        None => text,
    };
    match names.target_groups.iter().position(|g| g == name) {
        Some(g) => Some(g),
        None => {
            r.error(
                &node.span,
                path,
                format!("expected a target group of the scenario (…targetgroup/<name>/… or its name), found {text:?}"),
            );
            None
        }
    }
}

fn read_policy(r: &mut Reader<'_>, node: &Node, path: &str, names: &Names<'_>) -> Option<ScalingPolicy> {
    let f = r.table(node, path, POLICY_KEYS)?;
    let name = r.req_str(&f, "PolicyName", "the policy's name");
    let service = read_resource(r, &f, names);
    let kind = r.opt_enum(&f, "PolicyType", &[("TargetTrackingScaling", true), ("StepScaling", false)]);
    if !f.has("PolicyType") {
        r.missing(&f, "PolicyType", "TargetTrackingScaling or StepScaling");
    }
    let (name, service, tracking) = (name?, service?, kind?);
    let (key, other) = if tracking {
        ("TargetTrackingScalingPolicyConfiguration", "StepScalingPolicyConfiguration")
    } else {
        ("StepScalingPolicyConfiguration", "TargetTrackingScalingPolicyConfiguration")
    };
    if let Some(n) = f.node(other) {
        r.error(
            &n.span,
            &f.path(other),
            format!(
                "a {} policy takes {key}, not {other}",
                if tracking { "TargetTrackingScaling" } else { "StepScaling" }
            ),
        );
        return None;
    }
    let Some(cn) = f.node(key) else {
        r.missing(&f, key, "the policy's configuration");
        return None;
    };
    let cp = f.path(key);
    let kind = if tracking {
        let cf = r.table_with(cn, &cp, TARGET_TRACKING_KEYS, &[])?;
        if cn.get("CustomizedMetricSpecification").is_some() {
            r.error(&cn.span, &cp, "expected PredefinedMetricSpecification (ecsim models ECSServiceAverageCPUUtilization, ECSServiceAverageMemoryUtilization and ALBRequestCountPerTarget), found CustomizedMetricSpecification");
            return None;
        }
        if !cf.has("TargetValue") {
            r.missing(&cf, "TargetValue", "the metric's target value");
            return None;
        }
        let target_value = r.opt_f64(&cf, "TargetValue", 1e-9, 1e12)?;
        let Some(pn) = cf.node("PredefinedMetricSpecification") else {
            r.missing(&cf, "PredefinedMetricSpecification", "the metric tracked");
            return None;
        };
        let pp = cf.path("PredefinedMetricSpecification");
        let pf = r.table(pn, &pp, PREDEFINED_KEYS)?;
        let ty = r.opt_enum(
            &pf,
            "PredefinedMetricType",
            &[
                ("ECSServiceAverageCPUUtilization", 0),
                ("ECSServiceAverageMemoryUtilization", 1),
                ("ALBRequestCountPerTarget", 2),
            ],
        );
        if !pf.has("PredefinedMetricType") {
            r.missing(&pf, "PredefinedMetricType", "the predefined metric");
        }
        let metric = match ty? {
            0 => Metric::Cpu(service),
            1 => Metric::Memory(service),
            _ => {
                let label =
                    r.req_str(&pf, "ResourceLabel", "the target group (app/<lb>/<id>/targetgroup/<name>/<id>)")?;
                let ln = pf.node("ResourceLabel")?;
                let g = target_group_of(r, ln, &pf.path("ResourceLabel"), &label, names)?;
                if !names.service_target_groups[service.index()].contains(&g) {
                    r.error(
                        &ln.span,
                        &pf.path("ResourceLabel"),
                        format!(
                            "expected a target group of service {}, found {label:?}",
                            names.services[service.index()]
                        ),
                    );
                    return None;
                }
                Metric::RequestCountPerTarget(g)
            }
        };
        PolicyKind::TargetTracking(TargetTracking {
            target_value,
            metric,
            // §4.2: 300 s each for ECS services.
            scale_out_cooldown: seconds(r, &cf, "ScaleOutCooldown", 300)?,
            scale_in_cooldown: seconds(r, &cf, "ScaleInCooldown", 300)?,
            disable_scale_in: r.opt_bool(&cf, "DisableScaleIn").unwrap_or(false),
        })
    } else {
        PolicyKind::Step(read_step(r, cn, &cp)?)
    };
    Some(ScalingPolicy { name, service, kind })
}

fn read_step(r: &mut Reader<'_>, node: &Node, path: &str) -> Option<StepScaling> {
    let f = r.table(node, path, STEP_KEYS)?;
    let adjustment_type = r.opt_enum(
        &f,
        "AdjustmentType",
        &[
            ("ChangeInCapacity", AdjustmentType::ChangeInCapacity),
            ("ExactCapacity", AdjustmentType::ExactCapacity),
            ("PercentChangeInCapacity", AdjustmentType::PercentChangeInCapacity),
        ],
    );
    if !f.has("AdjustmentType") {
        r.missing(&f, "AdjustmentType", "ChangeInCapacity, ExactCapacity or PercentChangeInCapacity");
    }
    let aggregation = statistic(r, &f, "MetricAggregationType").unwrap_or(Statistic::Average);
    let Some(items) = r.opt_array(&f, "StepAdjustments") else {
        if !f.has("StepAdjustments") {
            r.missing(&f, "StepAdjustments", "the steps");
        }
        return None;
    };
    let sp = f.path("StepAdjustments");
    let mut steps = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let ip = format!("{sp}[{i}]");
        let sf = r.table(item, &ip, STEP_ADJUSTMENT_KEYS)?;
        let bound =
            |r: &mut Reader<'_>, key| if sf.has(key) { r.opt_f64(&sf, key, -1e12, 1e12).map(Some) } else { Some(None) };
        let lower = bound(r, "MetricIntervalLowerBound")?;
        let upper = bound(r, "MetricIntervalUpperBound")?;
        if !sf.has("ScalingAdjustment") {
            r.missing(&sf, "ScalingAdjustment", "how much to scale");
            return None;
        }
        let adj = r.opt_int(&sf, "ScalingAdjustment", -1_000_000, 1_000_000)?;
        if let (Some(l), Some(u)) = (lower, upper)
            && l >= u
        {
            r.error(
                &item.span,
                &ip,
                format!("expected MetricIntervalLowerBound ({l}) below MetricIntervalUpperBound ({u})"),
            );
            return None;
        }
        steps.push(StepAdjustment { lower, upper, scaling_adjustment: adj });
    }
    // No gaps or overlaps: sorted by lower bound, each step's upper bound is the next's lower.
    let mut sorted = steps.clone();
    sorted.sort_by(|a, b| a.lower.unwrap_or(f64::NEG_INFINITY).total_cmp(&b.lower.unwrap_or(f64::NEG_INFINITY)));
    let fits = !sorted.is_empty()
        && sorted.windows(2).all(|w| w[0].upper.is_some() && w[0].upper == w[1].lower)
        && sorted[1..].iter().all(|s| s.lower.is_some())
        && sorted[..sorted.len() - 1].iter().all(|s| s.upper.is_some());
    if !fits {
        r.error(
            &node.span,
            &sp,
            "expected steps without gaps or overlaps (each upper bound the next step's lower bound), at least one",
        );
        return None;
    }
    let mam = if f.has("MinAdjustmentMagnitude") {
        Some(r.opt_u32(&f, "MinAdjustmentMagnitude", 1, 1_000_000)?)
    } else {
        None
    };
    Some(StepScaling {
        adjustment_type: adjustment_type?,
        steps,
        min_adjustment_magnitude: mam,
        cooldown: seconds(r, &f, "Cooldown", 300)?,
        aggregation,
    })
}

fn statistic(r: &mut Reader<'_>, f: &Fields<'_>, key: &str) -> Option<Statistic> {
    r.opt_enum(
        f,
        key,
        &[
            ("Average", Statistic::Average),
            ("Minimum", Statistic::Minimum),
            ("Maximum", Statistic::Maximum),
            ("Sum", Statistic::Sum),
        ],
    )
}

fn read_alarm(
    r: &mut Reader<'_>,
    node: &Node,
    path: &str,
    names: &Names<'_>,
    policies: &[ScalingPolicy],
) -> Option<MetricAlarm> {
    let f = r.table_with(node, path, ALARM_KEYS, ALARM_ACCEPTED)?;
    let name = r.req_str(&f, "AlarmName", "the alarm's name");
    let metric_name =
        r.req_str(&f, "MetricName", "CPUUtilization, MemoryUtilization, RequestCountPerTarget or RequestCount");
    let namespace = r.req_str(&f, "Namespace", "AWS/ECS or AWS/ApplicationELB");
    let mut dims: Vec<(String, String, &Node)> = Vec::new();
    if let Some(items) = r.opt_array(&f, "Dimensions") {
        for (i, item) in items.iter().enumerate() {
            let dp = format!("{}[{i}]", f.path("Dimensions"));
            let df = r.table(item, &dp, DIMENSION_KEYS)?;
            let (n, v) = (r.req_str(&df, "Name", "the dimension's name")?, r.req_str(&df, "Value", "its value")?);
            dims.push((n, v, item));
        }
    }
    let (metric_name, namespace) = (metric_name?, namespace?);
    let dim = |n: &str| dims.iter().find(|(k, _, _)| k == n);
    let mnode = f.node("MetricName")?;
    let metric = match (namespace.as_str(), metric_name.as_str()) {
        ("AWS/ECS", m @ ("CPUUtilization" | "MemoryUtilization")) => {
            let Some((_, service, dn)) = dim("ServiceName") else {
                r.missing(&f, "Dimensions", "a ServiceName dimension naming the service");
                return None;
            };
            let Some(s) = names.services.iter().position(|x| x == service) else {
                r.error(&dn.span, &f.path("Dimensions"), format!("no service named {service:?}"));
                return None;
            };
            let s = ServiceId(s as u16);
            if m == "CPUUtilization" { Metric::Cpu(s) } else { Metric::Memory(s) }
        }
        ("AWS/ApplicationELB", m @ ("RequestCountPerTarget" | "RequestCount")) => {
            let Some((_, tg, dn)) = dim("TargetGroup") else {
                r.missing(&f, "Dimensions", "a TargetGroup dimension (targetgroup/<name>/<id>)");
                return None;
            };
            let g = target_group_of(r, dn, &f.path("Dimensions"), tg, names)?;
            if m == "RequestCount" { Metric::RequestCount(g) } else { Metric::RequestCountPerTarget(g) }
        }
        _ => {
            r.error(&mnode.span, &f.path("MetricName"), format!("expected AWS/ECS CPUUtilization or MemoryUtilization, or AWS/ApplicationELB RequestCountPerTarget or RequestCount, found {namespace} {metric_name}"));
            return None;
        }
    };
    let statistic = statistic(r, &f, "Statistic").unwrap_or(Statistic::Average);
    let period = if f.has("Period") { r.opt_int(&f, "Period", 60, 86_400)? } else { 60 };
    if period % 60 != 0 {
        r.error(
            &f.node("Period")?.span,
            &f.path("Period"),
            format!("expected a multiple of 60 seconds (ECS metrics are 1-minute), found {period}"),
        );
        return None;
    }
    let evaluation_periods = req_u32(r, &f, "EvaluationPeriods", "how many periods are evaluated", 1440)?.max(1);
    let datapoints =
        if f.has("DatapointsToAlarm") { r.opt_u32(&f, "DatapointsToAlarm", 1, 1440)? } else { evaluation_periods };
    if datapoints > evaluation_periods {
        r.error(
            &f.node("DatapointsToAlarm")?.span,
            &f.path("DatapointsToAlarm"),
            format!("expected at most EvaluationPeriods ({evaluation_periods}), found {datapoints}"),
        );
        return None;
    }
    if !f.has("Threshold") {
        r.missing(&f, "Threshold", "the threshold");
        return None;
    }
    let threshold = r.opt_f64(&f, "Threshold", -1e12, 1e12)?;
    let comparison = r.opt_enum(
        &f,
        "ComparisonOperator",
        &[
            ("GreaterThanOrEqualToThreshold", Comparison::GreaterThanOrEqual),
            ("GreaterThanThreshold", Comparison::GreaterThan),
            ("LessThanThreshold", Comparison::LessThan),
            ("LessThanOrEqualToThreshold", Comparison::LessThanOrEqual),
        ],
    );
    if !f.has("ComparisonOperator") {
        r.missing(&f, "ComparisonOperator", "how the metric is compared with the threshold");
    }
    let missing = r
        .opt_enum(
            &f,
            "TreatMissingData",
            &[
                ("missing", MissingData::Missing),
                ("notBreaching", MissingData::NotBreaching),
                ("breaching", MissingData::Breaching),
                ("ignore", MissingData::Ignore),
            ],
        )
        .unwrap_or(MissingData::Missing);
    let mut actions = Vec::new();
    let ap = f.path("AlarmActions");
    for (i, a) in r.opt_str_list(&f, "AlarmActions").unwrap_or_default().iter().enumerate() {
        let policy = a.rsplit_once("policyName/").map_or(a.as_str(), |(_, p)| p);
        match policies.iter().position(|p| p.name == policy && matches!(p.kind, PolicyKind::Step(_))) {
            Some(p) => actions.push(p),
            None => {
                let n = f.node("AlarmActions")?;
                r.error(
                    &n.span,
                    &format!("{ap}[{i}]"),
                    format!("expected a StepScaling policy's name or ARN (…:policyName/<name>), found {a:?}"),
                );
                return None;
            }
        }
    }
    Some(MetricAlarm {
        name: name?,
        metric,
        statistic,
        period_minutes: (period / 60) as u32,
        evaluation_periods,
        datapoints_to_alarm: datapoints,
        threshold,
        comparison: comparison?,
        missing,
        actions,
    })
}

fn read_scheduled(r: &mut Reader<'_>, node: &Node, path: &str, names: &Names<'_>) -> Option<ScheduledAction> {
    let f = r.table(node, path, SCHEDULED_ACTION_KEYS)?;
    let name = r.req_str(&f, "ScheduledActionName", "the action's name");
    let service = read_resource(r, &f, names);
    if let Some(tz) = r.opt_str(&f, "Timezone")
        && !matches!(tz.as_str(), "UTC" | "Etc/UTC" | "GMT" | "Etc/GMT")
    {
        r.error(
            &f.node("Timezone")?.span,
            &f.path("Timezone"),
            format!("expected UTC (ecsim schedules in UTC), found {tz:?}"),
        );
    }
    let text = r.req_str(&f, "Schedule", "at(...), rate(...) or cron(...)");
    let sched = text.and_then(|t| match Schedule::parse(&t, names.epoch_ms) {
        Ok(s) => Some(s),
        Err(e) => {
            let n = f.node("Schedule")?;
            r.error(&n.span, &f.path("Schedule"), e);
            None
        }
    });
    let mut time = |key: &str| -> Option<Option<crate::engine::SimTime>> {
        let Some(t) = r.opt_str(&f, key) else { return Some(None) };
        let n = f.node(key)?;
        match schedule::parse_timestamp(&t)
            .map(|e| schedule::sim_time(e, names.epoch_ms).unwrap_or(crate::engine::SimTime::ZERO))
        {
            Some(at) => Some(Some(at)),
            None => {
                r.error(&n.span, &f.path(key), format!("expected a time yyyy-mm-ddThh:mm:ss (UTC), found {t:?}"));
                None
            }
        }
    };
    let (start, end) = (time("StartTime"), time("EndTime"));
    let Some(an) = f.node("ScalableTargetAction") else {
        r.missing(&f, "ScalableTargetAction", "the MinCapacity and/or MaxCapacity to set");
        return None;
    };
    let ap = f.path("ScalableTargetAction");
    let af = r.table(an, &ap, TARGET_ACTION_KEYS)?;
    let min = if af.has("MinCapacity") { Some(r.opt_task_count(&af, "MinCapacity")?) } else { None };
    let max = if af.has("MaxCapacity") { Some(r.opt_task_count(&af, "MaxCapacity")?) } else { None };
    if min.is_none() && max.is_none() {
        r.error(&an.span, &ap, "expected MinCapacity, MaxCapacity or both");
        return None;
    }
    Some(ScheduledAction {
        name: name?,
        service: service?,
        schedule: sched?,
        start: start?,
        end: end?,
        min_capacity: min,
        max_capacity: max,
    })
}
