//! Expectations: what a scenario (`[[expect]]`) or the command line (`--expect
//! 'web.availability>=0.999'`) asserts about a run's summary. They name a service, workload or
//! target group and one of its metrics in summary.json, with bounds; the report checks them at the
//! end and a failed one makes the exit code 1.

use super::node::{Node, Value};
use super::reader::{Reader, suggest};

/// Per-service metrics an expectation can name (keys of `services.<name>` in summary.json).
pub const SERVICE_METRICS: [&str; 31] = [
    "availability",
    "capacity_ratio",
    "min_healthy",
    "outage_s",
    "degraded_s",
    "below_min_healthy_s",
    "min_az_coverage",
    "min_az_loss_margin",
    "min_instance_loss_margin",
    "tasks_started",
    "tasks_failed_to_start",
    "placement_failures",
    "disruptions",
    "unrecovered_disruptions",
    "max_time_to_recover_s",
    "max_deployment_s",
    "rollout_state",
    "status",
    "max_cpu_utilization",
    "scale_out_activities",
    "scale_in_activities",
    "scheduled_activities",
    "request_availability",
    "requests_offered",
    "requests_served",
    "requests_failed",
    "requests_failed_no_target",
    "requests_failed_dead_target",
    "requests_failed_overload",
    "overloaded_s",
    "time_to_absorb_s",
];

/// The request metrics of a service or target group with traffic (null without), in order.
pub const REQUEST_METRICS: [&str; 9] = [
    "request_availability",
    "requests_offered",
    "requests_served",
    "requests_failed",
    "requests_failed_no_target",
    "requests_failed_dead_target",
    "requests_failed_overload",
    "overloaded_s",
    "time_to_absorb_s",
];

/// A service's metrics of CPU and Service Auto Scaling (null without traffic or a scalable
/// target).
pub const SCALING_METRICS: [&str; 4] =
    ["max_cpu_utilization", "scale_out_activities", "scale_in_activities", "scheduled_activities"];

/// Metrics whose value is a word, not a number: the last deployment's `rollout_state`
/// (COMPLETED, IN_PROGRESS, FAILED) and the service's `status` over the measured time.
pub fn is_text_metric(metric: &str) -> bool {
    matches!(metric, "rollout_state" | "status")
}

/// The keys of an `[[expect]]` table.
pub(crate) const EXPECT_KEYS: &[&str] = &[
    "service",
    "workload",
    "target_group",
    "capacity_provider",
    "instance_group",
    "fargate",
    "metric",
    "min",
    "max",
    "equals",
];

/// Per-workload metrics (`workloads.<name>`).
pub const WORKLOAD_METRICS: [&str; 6] =
    ["arrived", "started", "never_started", "queue_delay_s_p50", "queue_delay_s_p95", "queue_delay_s_max"];

/// Per-target-group metrics (`target_groups.<name>`).
pub const TARGET_GROUP_METRICS: [&str; 11] = [
    "min_healthy_targets",
    "fail_open_s",
    "request_availability",
    "requests_offered",
    "requests_served",
    "requests_failed",
    "requests_failed_no_target",
    "requests_failed_dead_target",
    "requests_failed_overload",
    "overloaded_s",
    "time_to_absorb_s",
];

/// Per-capacity-provider metrics (`capacity_providers.<name>`).
pub const CAPACITY_PROVIDER_METRICS: [&str; 13] = [
    "instances_min",
    "instances_max",
    "instance_hours",
    "scale_outs",
    "scale_ins",
    "instances_launched",
    "instances_terminated",
    "max_provisioning_tasks",
    "provisioned_tasks",
    "provisioning_wait_s_p50",
    "provisioning_wait_s_p95",
    "provisioning_wait_s_max",
    "provisioning_given_up",
];

/// Per-instance-group metrics (`instance_groups.<name>`).
pub const INSTANCE_GROUP_METRICS: [&str; 2] = ["instance_hours", "cost"];

/// Per Fargate provider (`fargate.FARGATE`, `fargate.FARGATE_SPOT`).
pub const FARGATE_METRICS: [&str; 3] = ["vcpu_hours", "gb_hours", "cost"];

/// What an expectation is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SubjectKind {
    Service,
    Workload,
    TargetGroup,
    CapacityProvider,
    InstanceGroup,
    Fargate,
}

impl SubjectKind {
    /// The summary.json section holding its metrics.
    pub fn section(self) -> &'static str {
        match self {
            SubjectKind::Service => "services",
            SubjectKind::Workload => "workloads",
            SubjectKind::TargetGroup => "target_groups",
            SubjectKind::CapacityProvider => "capacity_providers",
            SubjectKind::InstanceGroup => "instance_groups",
            SubjectKind::Fargate => "fargate",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            SubjectKind::Service => "service",
            SubjectKind::Workload => "workload",
            SubjectKind::TargetGroup => "target_group",
            SubjectKind::CapacityProvider => "capacity_provider",
            SubjectKind::InstanceGroup => "instance_group",
            SubjectKind::Fargate => "fargate",
        }
    }

    /// `web`, or `capacity_provider:cp` for every kind but services: how a sweep's columns and
    /// `--expect` name a subject whatever other kinds share its name.
    pub fn qualified(self, subject: &str) -> String {
        match self {
            SubjectKind::Service => subject.to_string(),
            k => format!("{}:{subject}", k.key()),
        }
    }

    /// The kind and name of `web` or `capacity_provider:cp` (a kind this knows, or a service).
    pub fn unqualified(name: &str) -> (Option<SubjectKind>, &str) {
        match name.split_once(':') {
            Some((k, rest)) => match KINDS.iter().find(|kind| kind.key() == k) {
                Some(kind) => (Some(*kind), rest),
                None => (None, name),
            },
            None => (None, name),
        }
    }

    pub fn metrics(self) -> &'static [&'static str] {
        match self {
            SubjectKind::Service => &SERVICE_METRICS,
            SubjectKind::Workload => &WORKLOAD_METRICS,
            SubjectKind::TargetGroup => &TARGET_GROUP_METRICS,
            SubjectKind::CapacityProvider => &CAPACITY_PROVIDER_METRICS,
            SubjectKind::InstanceGroup => &INSTANCE_GROUP_METRICS,
            SubjectKind::Fargate => &FARGATE_METRICS,
        }
    }
}

/// A value to compare with: metrics are numbers, except the text ones ([`is_text_metric`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Expected {
    Number(f64),
    Text(String),
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expected::Number(x) => write!(f, "{x}"),
            Expected::Text(s) => write!(f, "{s}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    pub kind: SubjectKind,
    pub subject: String,
    pub metric: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub equals: Option<Expected>,
}

impl Expectation {
    /// `web.availability >= 0.999`, `web.rollout_state == COMPLETED`, `web.outage_s <= 60`.
    pub fn label(&self) -> String {
        let mut parts = Vec::new();
        if let Some(v) = self.min {
            parts.push(format!(">= {v}"));
        }
        if let Some(v) = self.max {
            parts.push(format!("<= {v}"));
        }
        if let Some(v) = &self.equals {
            parts.push(format!("== {v}"));
        }
        format!("{}.{} {}", self.subject, self.metric, parts.join(" and "))
    }
}

/// The names an expectation may refer to.
pub struct Subjects<'a> {
    pub services: &'a [String],
    pub workloads: &'a [String],
    pub target_groups: &'a [String],
    pub capacity_providers: &'a [String],
    pub instance_groups: &'a [String],
    /// FARGATE and FARGATE_SPOT, those the scenario uses.
    pub fargate: &'a [String],
}

/// The names of every subject of a scenario, owned (see `Scenario::subject_names`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SubjectNames {
    pub services: Vec<String>,
    pub workloads: Vec<String>,
    pub target_groups: Vec<String>,
    pub capacity_providers: Vec<String>,
    pub instance_groups: Vec<String>,
    pub fargate: Vec<String>,
}

impl SubjectNames {
    /// The subjects of `kind`, to add to.
    pub fn names_mut(&mut self, kind: SubjectKind) -> &mut Vec<String> {
        match kind {
            SubjectKind::Service => &mut self.services,
            SubjectKind::Workload => &mut self.workloads,
            SubjectKind::TargetGroup => &mut self.target_groups,
            SubjectKind::CapacityProvider => &mut self.capacity_providers,
            SubjectKind::InstanceGroup => &mut self.instance_groups,
            SubjectKind::Fargate => &mut self.fargate,
        }
    }

    pub fn borrow(&self) -> Subjects<'_> {
        Subjects {
            services: &self.services,
            workloads: &self.workloads,
            target_groups: &self.target_groups,
            capacity_providers: &self.capacity_providers,
            instance_groups: &self.instance_groups,
            fargate: &self.fargate,
        }
    }
}

impl Subjects<'_> {
    /// The subjects of `kind`.
    pub fn names(&self, kind: SubjectKind) -> &[String] {
        match kind {
            SubjectKind::Service => self.services,
            SubjectKind::Workload => self.workloads,
            SubjectKind::TargetGroup => self.target_groups,
            SubjectKind::CapacityProvider => self.capacity_providers,
            SubjectKind::InstanceGroup => self.instance_groups,
            SubjectKind::Fargate => self.fargate,
        }
    }
}

/// Every kind of subject, in the order summary.json, sweeps and reports list them.
pub const KINDS: [SubjectKind; 6] = [
    SubjectKind::Service,
    SubjectKind::Workload,
    SubjectKind::TargetGroup,
    SubjectKind::CapacityProvider,
    SubjectKind::InstanceGroup,
    SubjectKind::Fargate,
];

/// One `[[expect]]` table.
pub fn read_expectation(r: &mut Reader<'_>, node: &Node, path: &str, subjects: &Subjects<'_>) -> Option<Expectation> {
    let f = r.table(node, path, EXPECT_KEYS)?;
    let given: Vec<SubjectKind> = KINDS.iter().copied().filter(|k| f.has(k.key())).collect();
    let kind = match given[..] {
        [k] => k,
        [] => {
            r.missing(
                &f,
                "service",
                "the service (or workload, target_group or capacity_provider) the expectation is about",
            );
            return None;
        }
        _ => {
            let n = f.node(given[1].key())?;
            r.error(
                &n.span,
                &f.path(given[1].key()),
                "expected one of service, workload, target_group or capacity_provider, found several",
            );
            return None;
        }
    };
    let subject = r.opt_str(&f, kind.key())?;
    let names = subjects.names(kind);
    if !names.contains(&subject) {
        let known: Vec<&str> = names.iter().map(String::as_str).collect();
        let hint = suggest(&subject, &known).map(|k| format!(" (did you mean {k:?}?)")).unwrap_or_default();
        let n = f.node(kind.key())?;
        r.error(
            &n.span,
            &f.path(kind.key()),
            format!("expected the name of a {}, found {subject:?}{hint}", kind.key()),
        );
        return None;
    }
    if !f.has("metric") {
        r.missing(&f, "metric", &format!("one of {}", kind.metrics().join(", ")));
        return None;
    }
    let metric = r.opt_str(&f, "metric")?;
    if !kind.metrics().contains(&metric.as_str()) {
        let hint = suggest(&metric, kind.metrics()).map(|k| format!(" (did you mean {k:?}?)")).unwrap_or_default();
        let n = f.node("metric")?;
        let msg = format!("expected a {} metric ({}), found {metric:?}{hint}", kind.key(), kind.metrics().join(", "));
        r.error(&n.span, &f.path("metric"), msg);
        return None;
    }
    let min = r.opt_f64(&f, "min", f64::MIN, f64::MAX);
    let max = r.opt_f64(&f, "max", f64::MIN, f64::MAX);
    let equals = match f.node("equals") {
        None => None,
        Some(n) => match &n.value {
            Value::Int(i) => Some(Expected::Number(*i as f64)),
            Value::Float(x) => Some(Expected::Number(*x)),
            Value::Str(s) => Some(Expected::Text(s.clone())),
            _ => {
                r.error(&n.span, &f.path("equals"), format!("expected a number or a string, found {}", n.describe()));
                return None;
            }
        },
    };
    if min.is_none() && max.is_none() && equals.is_none() {
        r.missing(&f, "min", "at least one of min, max or equals");
        return None;
    }
    Some(Expectation { kind, subject, metric, min, max, equals })
}

/// `--expect 'web.availability>=0.999'`: SUBJECT.METRIC then `>=`, `<=` or `==`, then a number
/// (or a word, for `rollout_state`). The subject may be a service, workload or target group.
pub fn parse_expect_arg(text: &str, subjects: &Subjects<'_>) -> Result<Expectation, String> {
    let bad = |why: String| format!("--expect {text:?}: {why}");
    let ops = [">=", "<=", "=="];
    let Some((at, op)) = ops.iter().filter_map(|op| text.find(op).map(|i| (i, *op))).min() else {
        let hint =
            if text.contains('>') || text.contains('<') { " (bounds include the value: use >= or <=)" } else { "" };
        return Err(bad(format!("expected SUBJECT.METRIC>=VALUE, <=VALUE or ==VALUE{hint}")));
    };
    let (lhs, value) = (text[..at].trim(), text[at + op.len()..].trim());
    let Some((subject, metric)) = lhs.rsplit_once('.') else {
        return Err(bad(format!("expected SUBJECT.METRIC before {op}, found {lhs:?}")));
    };
    // `capacity_provider:cp.instance_hours` (as a sweep's columns say) names the kind too.
    let (only, subject) = SubjectKind::unqualified(subject);
    let kinds: Vec<SubjectKind> = KINDS
        .iter()
        .copied()
        .filter(|k| only.is_none_or(|o| o == *k) && subjects.names(*k).iter().any(|n| n == subject))
        .collect();
    let kind = match kinds[..] {
        [k] => k,
        [] => {
            let all: Vec<&str> = KINDS.iter().flat_map(|k| subjects.names(*k)).map(String::as_str).collect();
            let hint = suggest(subject, &all).map(|k| format!(" (did you mean {k:?}?)")).unwrap_or_default();
            return Err(bad(format!(
                "expected a service, workload, target group or capacity provider, found {subject:?}{hint}"
            )));
        }
        _ => {
            let named: Vec<String> = kinds.iter().map(|k| k.qualified(subject)).collect();
            return Err(bad(format!("{subject:?} names more than one subject: say which ({})", named.join(", "))));
        }
    };
    if !kind.metrics().contains(&metric) {
        let hint = suggest(metric, kind.metrics()).map(|k| format!(" (did you mean {k:?}?)")).unwrap_or_default();
        return Err(bad(format!(
            "expected a {} metric ({}), found {metric:?}{hint}",
            kind.key(),
            kind.metrics().join(", ")
        )));
    }
    let number = value.parse::<f64>().ok().filter(|x| x.is_finite());
    let mut e = Expectation {
        kind,
        subject: subject.to_string(),
        metric: metric.to_string(),
        min: None,
        max: None,
        equals: None,
    };
    match (op, number) {
        (">=", Some(x)) => e.min = Some(x),
        ("<=", Some(x)) => e.max = Some(x),
        ("==", Some(x)) => e.equals = Some(Expected::Number(x)),
        ("==", None) if !value.is_empty() => e.equals = Some(Expected::Text(value.to_string())),
        _ => return Err(bad(format!("expected a number after {op}, found {value:?}"))),
    }
    Ok(e)
}

#[cfg(test)]
mod request_metric_tests {
    use super::*;

    /// Services and target groups list the request metrics last, in one order (the report
    /// fills both from one list).
    #[test]
    fn request_metrics_close_both_lists() {
        assert!(SERVICE_METRICS.ends_with(&REQUEST_METRICS));
        assert!(TARGET_GROUP_METRICS.ends_with(&REQUEST_METRICS));
    }
}
