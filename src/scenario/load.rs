//! Turns a scenario file into a validated [`Scenario`]: every section read, every reference
//! checked, every problem collected and reported together.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::capacity_provider::{CapacityContext, read_capacity_provider, read_strategy};
use super::diag::{Diagnostic, Diagnostics};
use super::instance_group::read_group;
use super::model::*;
use super::node::{Node, SourceFile, Value};
use super::overrides::{self, Override};
use super::reader::{Fields, NameRule, Reader, suggest};
use super::service::{
    Families, ServiceContext, Supplied, read_service, read_strategies, required_task_definition,
    resolve_task_definition,
};
use super::target_group::read_target_group;
use super::task_definition::read_task_definition;
use super::timeline::read_event;
use crate::cluster::InstanceGroupSpec;
use crate::ecs::capacity_provider::CapacityProviderSpec;
use crate::ecs::placement::TieBreak;
use crate::ecs::service::ServiceSpec;
use crate::ecs::task_definition::TaskDefinition;
use crate::engine::SimDuration;
use crate::ids::{GroupId, ServiceId, ZoneId};

use crate::cluster::MAX_CONTAINER_INSTANCES;

/// The bundled quickstart scenario, run by `ecsim run` without a file.
pub const QUICKSTART: &str = include_str!("../../scenarios/quickstart.toml");
pub const QUICKSTART_NAME: &str = "<bundled quickstart>";

/// The keys of each of ecsim's own sections: what the reader accepts and what `ecsim schema`
/// describes (a test keeps the two the same).
pub(crate) const TOP: &[&str] = &[
    "$schema",
    "scenario",
    "settings",
    "cluster",
    "instance_groups",
    "task_definitions",
    "target_groups",
    "capacity_providers",
    "pricing",
    "services",
    "events",
    "faults",
    "workloads",
    "traffic",
    "scalable_targets",
    "scaling_policies",
    "scheduled_actions",
    "alarms",
    "expect",
    "swarm",
];
pub(crate) const SCENARIO_KEYS: &[&str] = &["name", "description", "duration", "seed", "measure_from", "start_time"];
pub(crate) const SETTINGS_KEYS: &[&str] = &[
    "healthy_after_running",
    "instance_loss_detection",
    "placement_tie_break",
    "placement_retry_interval",
    "max_events",
    "max_events_per_instant",
    "max_pending_events",
    "max_tasks",
    "max_instances_registered",
    "max_queued_jobs",
    "max_log_lines",
    "max_percent_counts_stopping",
    "stopped_task_retention",
    "throttle_after_failures",
    "throttle_base_delay",
    "throttle_max_delay",
    "initial_target_failures_count",
    "target_check_phase",
    "log_completed_standalone_tasks",
    "provisioning_timeout",
    "provisioning_tasks_limit",
    "managed_draining_timeout",
    "fargate_provisioning",
    "impaired_instance_tolerance",
    "fargate_task_retirement_wait_period",
    "target_tracking_high_datapoints",
    "target_tracking_low_datapoints",
    "target_tracking_low_ratio",
    "target_tracking_capacity_basis",
    "target_tracking_scale_in_limit_percent",
];
pub(crate) const CLUSTER_KEYS: &[&str] =
    &["name", "zones", "subnets", "capacityProviders", "defaultCapacityProviderStrategy"];
pub(crate) const CAPACITY_PROVIDER_FILE_KEYS: &[&str] = &["file", "name"];
pub(crate) const PRICING_KEYS: &[&str] =
    &["instance_hour", "fargate_vcpu_hour", "fargate_gb_hour", "fargate_spot_vcpu_hour", "fargate_spot_gb_hour"];
pub(crate) const TASK_DEFINITION_FILE_KEYS: &[&str] = &["file", "behavior"];
pub(crate) const TARGET_GROUP_FILE_KEYS: &[&str] = &["file", "name"];
pub(crate) const SERVICE_FILE_KEYS: &[&str] = &["file", "service", "serviceName", "taskDefinition", "desiredCount"];
pub(crate) const FAULT_KEYS: &[&str] = &["kind", "groups", "services", "mtbf", "count", "between"];
pub(crate) const WORKLOAD_KEYS: &[&str] = &[
    "name",
    "task_definition",
    "group",
    "arrivals",
    "rate_per_hour",
    "arrivals_csv",
    "start",
    "end",
    "count",
    "run",
    "cpu",
    "memory_mib",
    "placementStrategy",
];

/// When a strategy (a service's or a RunTask's, all of them in `strategies`) names FARGATE or
/// FARGATE_SPOT (indices after the scenario's own providers), the two providers and their
/// stand-in groups (one "instance" per zone, see [`InstanceGroupSpec::fargate`]) join the
/// scenario, in that order.
fn add_fargate(
    groups: Option<Vec<InstanceGroupSpec>>,
    providers: Option<Vec<CapacityProviderSpec>>,
    strategies: &[&[crate::ecs::capacity_provider_strategy::StrategyItem]],
    capacity: &CapacityContext,
    zones: usize,
) -> (Option<Vec<InstanceGroupSpec>>, Option<Vec<CapacityProviderSpec>>) {
    let first = capacity.fargate_index(0);
    let uses = |k: usize| strategies.iter().any(|s| s.iter().any(|i| i.provider == first + k));
    let (Some(mut groups), Some(mut providers)) = (groups, providers) else { return (None, None) };
    if !(uses(0) || uses(1)) || providers.len() != first {
        return (Some(groups), Some(providers));
    }
    let all: Vec<ZoneId> = (0..zones).map(|z| ZoneId(z as u16)).collect();
    for (k, name) in crate::ecs::capacity_provider::FARGATE_PROVIDERS.into_iter().enumerate() {
        // Capacity stands in only for the provider something uses.
        let used = uses(k);
        providers.push(CapacityProviderSpec {
            name: name.to_string(),
            group: GroupId(groups.len() as u16),
            managed_scaling: None,
            managed_termination_protection: false,
            managed_draining: false,
        });
        let mut group = InstanceGroupSpec::fargate(name, all.clone());
        if !used {
            group.count = 0;
            group.initial_by_type = vec![0];
        }
        groups.push(group);
    }
    (Some(groups), Some(providers))
}

/// Simulated time zero unless `scenario.start_time` says otherwise.
const DEFAULT_START_TIME: &str = "2026-01-01T00:00:00Z";
/// The longest run ecsim accepts.
const MAX_DURATION: SimDuration = SimDuration(366 * 86_400_000);

/// Loads a scenario file (TOML, or JSON by extension).
pub fn load_file(path: &Path) -> Result<Scenario, Diagnostics> {
    load_file_with(path, &[])
}

/// [`load_file`] with fields replaced first (a sweep's variant).
pub fn load_file_with(path: &Path, overrides: &[Override]) -> Result<Scenario, Diagnostics> {
    let name = path.display().to_string();
    let one = |message: String| {
        Diagnostics(vec![Diagnostic { file: name.clone(), line_col: None, path: String::new(), message }])
    };
    if path.is_dir() {
        return Err(one("is a directory; expected a scenario file (.toml or .json)".into()));
    }
    let bytes = std::fs::read(path).map_err(|e| one(format!("cannot read the file: {}", io_reason(&e))))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        one(format!("expected UTF-8 text, found invalid bytes at offset {}", e.utf8_error().valid_up_to()))
    })?;
    load_str_with(&name, &text, path.parent(), overrides)
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Loads a scenario from text; `base` is where referenced files are looked up.
pub fn load_str(name: &str, text: &str, base: Option<&Path>) -> Result<Scenario, Diagnostics> {
    load_str_with(name, text, base, &[])
}

/// [`load_str`] with fields replaced first; the scenario hash covers them too.
pub fn load_str_with(
    name: &str,
    text: &str,
    base: Option<&Path>,
    overrides: &[Override],
) -> Result<Scenario, Diagnostics> {
    let src = SourceFile::new(name, text);
    let mut root = src.parse().map_err(Diagnostics)?;
    let mut hasher = Sha256::new();
    hasher.update(text.as_bytes());
    for o in overrides {
        overrides::apply(&mut root, &o.path, o.value.clone()).map_err(|message| {
            Diagnostics(vec![Diagnostic { file: name.into(), line_col: None, path: String::new(), message }])
        })?;
        hasher.update(format!("\n--vary {}={}", o.path, o.text).as_bytes());
    }
    let mut ld = Loader {
        r: Reader::new(&src),
        target_groups: Vec::new(),
        base: base.map(Path::to_path_buf),
        hasher,
        extra: Vec::new(),
    };
    let scenario = ld.read(&root, name);
    let mut diags = ld.r.diags;
    diags.extend(ld.extra);
    match scenario {
        Some(s) if diags.is_empty() => Ok(s),
        _ => {
            if diags.is_empty() {
                diags.push(Diagnostic {
                    file: name.into(),
                    line_col: None,
                    path: String::new(),
                    message: "invalid scenario".into(),
                });
            }
            Err(Diagnostics(diags))
        }
    }
}

/// The `[scenario]` table.
struct Header {
    duration: SimDuration,
    name: String,
    seed: u64,
    measure_from: Option<SimDuration>,
    start_epoch_ms: i64,
}

struct Loader<'s> {
    r: Reader<'s>,
    /// Target group names and ARNs, for services' loadBalancers.
    target_groups: Vec<(String, Option<String>)>,
    base: Option<PathBuf>,
    hasher: Sha256,
    /// Problems found in referenced files.
    extra: Vec<Diagnostic>,
}

/// Names in the scenario, for resolving references.
pub(super) struct Names<'a> {
    pub(super) zones: Vec<String>,
    pub(super) groups: Vec<String>,
    pub(super) services: Vec<String>,
    pub(super) families: Families,
    pub(super) task_definitions: &'a [TaskDefinition],
    /// What a RunTask's capacity provider strategy can name, and the cluster's subnets.
    pub(super) capacity: &'a CapacityContext,
    pub(super) subnets: &'a [(String, String)],
}

pub(super) fn lookup<T: From<u16>>(
    r: &mut Reader<'_>,
    names: &[String],
    node: &Node,
    path: &str,
    what: &str,
) -> Option<T> {
    let s = r.str_value(node, path)?;
    if let Some(i) = names.iter().position(|n| *n == s) {
        return Some(T::from(i as u16));
    }
    let known: Vec<&str> = names.iter().map(String::as_str).collect();
    let hint = match suggest(&s, &known) {
        Some(k) => format!("; did you mean {k:?}?"),
        None if known.is_empty() => format!("; the scenario defines no {what}s"),
        None => format!("; defined: {}", known.join(", ")),
    };
    r.error(&node.span, path, format!("no {what} named {s:?}{hint}"));
    None
}

impl From<u16> for ZoneId {
    fn from(v: u16) -> Self {
        ZoneId(v)
    }
}
impl From<u16> for GroupId {
    fn from(v: u16) -> Self {
        GroupId(v)
    }
}
impl From<u16> for ServiceId {
    fn from(v: u16) -> Self {
        ServiceId(v)
    }
}

impl Loader<'_> {
    fn read(&mut self, root: &Node, file: &str) -> Option<Scenario> {
        let f = self.r.table(root, "", TOP)?;
        // Limits, checked before anything is read: ECS's quota on services, and the sizes of
        // ecsim's dense ids (an id past them would silently wrap).
        let limits = [
            ("services", 5_000, "at most 5,000 services (the ECS quota of services per cluster)"),
            ("instance_groups", usize::from(u16::MAX), "at most 65,535 instance groups"),
            ("scheduled_actions", usize::from(u16::MAX), "at most 65,535 scheduled actions"),
        ];
        let mut within = true;
        for (key, max, expected) in limits {
            if let Some(n) = f.node(key)
                && let Value::Array(items) = &n.value
                && items.len() > max
            {
                self.r.error(&n.span, key, format!("expected {expected}, found {}", items.len()));
                within = false;
            }
        }
        if !within {
            return None;
        }
        let header = self.read_header(&f, file);
        let settings = match f.node("settings") {
            Some(n) => self.read_settings(n),
            None => Some(Settings::default()),
        };
        let zones = self.read_cluster(&f);
        let zone_names = zones.clone().unwrap_or_default();
        // Prices first: a group that launches its lowest-price type first is ordered by them.
        let pricing = self.read_pricing(&f);
        let groups = self.read_groups(&f, &zone_names, pricing.as_ref());
        // Names come from the raw tables, so a section with an error of its own does not make every
        // reference to it an error too.
        let group_names = raw_names(&f, "instance_groups", "name");
        let tds = self.read_task_definitions(&f);
        let families = Families { raw: raw_names(&f, "task_definitions", "family"), incomplete: tds.is_none() };
        let target_groups = self.read_named(
            &f,
            "target_groups",
            "target group",
            |ld, node, path| match node.get("file") {
                Some(file_node) => ld.read_target_group_file(node, file_node, path),
                None => read_target_group(&mut ld.r, node, path),
            },
            |g| &g.spec.name,
        );
        self.target_groups = target_groups
            .as_ref()
            .map_or(Vec::new(), |v| v.iter().map(|g| (g.spec.name.clone(), g.arn.clone())).collect());
        let capacity_providers = self.read_named(
            &f,
            "capacity_providers",
            "capacity provider",
            |ld, node, path| match node.get("file") {
                Some(file_node) => ld.read_capacity_provider_file(node, file_node, path, &group_names),
                None => read_capacity_provider(&mut ld.r, node, path, &group_names),
            },
            |p| &p.name,
        );
        if let Some(list) = &capacity_providers {
            self.check_one_provider_per_group(&f, list, groups.as_deref());
        }
        let capacity = self.read_cluster_capacity(&f, capacity_providers.as_deref());
        let subnets = self.read_subnets(&f, &zone_names);
        let services = self.read_services(
            &f,
            tds.as_deref().unwrap_or(&[]),
            &families,
            groups.as_deref(),
            (&capacity, &zone_names, &subnets),
        );
        // Services read from files are named there (or by `serviceName` beside `file`).
        let service_names = match &services {
            Some(list) => list.iter().map(|s| s.name.clone()).collect(),
            None => raw_names(&f, "services", "serviceName"),
        };
        let names = Names {
            zones: zone_names,
            groups: group_names,
            services: service_names,
            families,
            task_definitions: tds.as_deref().unwrap_or(&[]),
            capacity: &capacity,
            subnets: &subnets,
        };
        let Header { duration, name, seed, measure_from, start_epoch_ms } = header?;
        let timeline = self.read_events(&f, &names, duration, groups.as_deref().unwrap_or(&[]));
        // What runs on FARGATE or FARGATE_SPOT runs on stand-ins for Fargate capacity, one per zone.
        let mut strategies: Vec<&[crate::ecs::capacity_provider_strategy::StrategyItem]> =
            services.iter().flatten().map(|s| &s.capacity_provider_strategy[..]).collect();
        for e in timeline.iter().flatten() {
            if let Action::RunTask { capacity_provider_strategy, .. } = &e.action {
                strategies.push(capacity_provider_strategy);
            }
        }
        let (groups, capacity_providers) =
            add_fargate(groups, capacity_providers, &strategies, &capacity, names.zones.len());
        let faults = self.read_faults(&f, &names, duration);
        let workloads = self.read_named(
            &f,
            "workloads",
            "workload",
            |ld, node, path| ld.read_workload(node, path, &names),
            |w| &w.name,
        );
        let workload_names = raw_names(&f, "workloads", "name");
        let tg_names: Vec<String> = self.target_groups.iter().map(|(name, _)| name.clone()).collect();
        let traffic = self.read_traffic(&f, &tg_names);
        let auto_scaling =
            self.read_auto_scaling(&f, &names.services, &tg_names, services.as_deref(), Some(start_epoch_ms));
        // The scenario's own providers (FARGATE and FARGATE_SPOT have no scaling to report).
        let cp_names: Vec<String> = capacity_providers.as_ref().map_or_else(
            || raw_names(&f, "capacity_providers", "name"),
            |v| v.iter().filter(|p| !p.is_fargate()).map(|p| p.name.clone()).collect(),
        );
        let fargate_names: Vec<String> = groups
            .as_ref()
            .map(|g| g.iter().filter(|g| g.fargate && g.count > 0).map(|g| g.name.clone()).collect())
            .unwrap_or_default();
        let subjects = super::Subjects {
            services: &names.services,
            workloads: &workload_names,
            target_groups: &tg_names,
            capacity_providers: &cp_names,
            instance_groups: &names.groups,
            fargate: &fargate_names,
        };
        let (mut expectations, mut expectations_ok) = (Vec::new(), true);
        for (node, path) in self.array_of_tables(&f, "expect") {
            match super::expect::read_expectation(&mut self.r, node, &path, &subjects) {
                Some(e) => expectations.push(e),
                None => expectations_ok = false,
            }
        }
        let (mut swarm, mut swarm_ok) = (Vec::new(), true);
        for (node, path) in self.array_of_tables(&f, "swarm") {
            match super::swarm::read_swarm(&mut self.r, node, &path, root) {
                Some(p) => swarm.push(p),
                None => swarm_ok = false,
            }
        }
        let digest = std::mem::take(&mut self.hasher).finalize();
        let sha256: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        Some(Scenario {
            name,
            file: file.to_string(),
            sha256,
            seed,
            start_epoch_ms,
            duration,
            measure_from,
            settings: settings?,
            zones: zones?,
            groups: groups?,
            task_definitions: tds?,
            target_groups: target_groups?.into_iter().map(|g| g.spec).collect(),
            capacity_providers: capacity_providers?,
            pricing: pricing?,
            default_capacity_provider_strategy: capacity.default_strategy,
            services: services?,
            timeline: timeline?,
            faults: faults?,
            workloads: workloads?,
            traffic: traffic?,
            auto_scaling: auto_scaling?,
            expectations: expectations_ok.then_some(expectations)?,
            swarm: swarm_ok.then_some(swarm)?,
            ignored_fields: std::mem::take(&mut self.r.ignored),
            assumptions: std::mem::take(&mut self.r.assumed),
        })
    }

    fn read_header(&mut self, top: &Fields<'_>, file: &str) -> Option<Header> {
        let Some(node) = top.node("scenario") else {
            self.r.missing(top, "scenario", "a [scenario] table with at least `duration`");
            return None;
        };
        let f = self.r.table(node, "scenario", SCENARIO_KEYS)?;
        let start = self.r.opt_str(&f, "start_time").unwrap_or_else(|| DEFAULT_START_TIME.into());
        let start_epoch_ms = crate::ecs::placement::query::parse_date(&start);
        if start_epoch_ms.is_none() {
            let n = f.node("start_time").unwrap_or(node);
            self.r.error(
                &n.span,
                "scenario.start_time",
                format!("expected a date-time like \"2026-01-01T00:00:00Z\", found {start:?}"),
            );
        }
        let default_name = Path::new(file).file_stem().map_or("scenario".into(), |s| s.to_string_lossy().into_owned());
        // The name becomes the default report folder: by the same rule as AWS's names, so it
        // can neither climb out of reports/ nor fail to be a file name.
        let name = self.r.opt_name(&f, "name", NameRule::Aws).unwrap_or(default_name);
        self.r.opt_str(&f, "description");
        let duration = if f.has("duration") {
            self.r.opt_duration(&f, "duration")
        } else {
            self.r.missing(&f, "duration", "how long to simulate, e.g. \"1h\"");
            None
        };
        if let (Some(d), Some(n)) = (duration, f.node("duration"))
            && (d.0 == 0 || d > MAX_DURATION)
        {
            self.r.error(
                &n.span,
                "scenario.duration",
                format!("expected a duration above 0 and at most 366d, found {d}"),
            );
        }
        let seed = self.r.opt_int(&f, "seed", 0, i64::MAX).map_or(1, |s| s as u64);
        let measure_from = self.r.opt_duration(&f, "measure_from");
        if let (Some(m), Some(d), Some(n)) = (measure_from, duration, f.node("measure_from"))
            && m >= d
        {
            self.r.error(
                &n.span,
                "scenario.measure_from",
                format!("expected a time before the end of the run ({d}), found {m}"),
            );
        }
        Some(Header { duration: duration?, name, seed, measure_from, start_epoch_ms: start_epoch_ms? })
    }

    fn read_settings(&mut self, node: &Node) -> Option<Settings> {
        let f = self.r.table(node, "settings", SETTINGS_KEYS)?;
        let mut s = Settings::default();
        let r = &mut self.r;
        if let Some(d) = r.opt_duration(&f, "healthy_after_running") {
            s.healthy_after_running = d;
        }
        if let Some(d) = r.opt_duration(&f, "instance_loss_detection") {
            s.instance_loss_detection = d;
        }
        if let Some(t) =
            r.opt_enum(&f, "placement_tie_break", &[("ordered", TieBreak::Ordered), ("random", TieBreak::Random)])
        {
            s.placement_tie_break = t;
        }
        if let Some(d) = r.opt_duration(&f, "placement_retry_interval") {
            s.placement_retry_interval = d.max(SimDuration(1));
        }
        if let Some(n) = r.opt_int(&f, "max_events", 1, i64::MAX) {
            s.max_events = n as u64;
        }
        if let Some(n) = r.opt_int(&f, "max_events_per_instant", 1, i64::MAX) {
            s.max_events_per_instant = n as u64;
        }
        for (key, slot) in [
            ("max_pending_events", &mut s.max_pending_events),
            ("max_tasks", &mut s.max_tasks),
            ("max_instances_registered", &mut s.max_instances_registered),
            ("max_queued_jobs", &mut s.max_queued_jobs),
            ("max_log_lines", &mut s.max_log_lines),
        ] {
            if let Some(n) = r.opt_int(&f, key, 1, i64::MAX) {
                *slot = n as u64;
            }
        }
        if let Some(d) = r.opt_duration(&f, "stopped_task_retention") {
            s.stopped_task_retention = d;
        }
        if let Some(b) = r.opt_bool(&f, "max_percent_counts_stopping") {
            s.max_percent_counts_stopping = b;
        }
        if let Some(n) = r.opt_u32(&f, "throttle_after_failures", 1, 1000) {
            s.throttle_after_failures = n;
        }
        if let Some(d) = r.opt_duration(&f, "provisioning_timeout") {
            s.provisioning_timeout = d.max(SimDuration(1));
        }
        if let Some(n) = r.opt_u32(&f, "provisioning_tasks_limit", 0, 1_000_000) {
            s.provisioning_tasks_limit = n;
        }
        for (key, slot) in [
            ("managed_draining_timeout", &mut s.managed_draining_timeout),
            ("fargate_provisioning", &mut s.fargate_provisioning),
            ("impaired_instance_tolerance", &mut s.impaired_instance_tolerance),
        ] {
            if let Some(d) = r.opt_duration(&f, key) {
                *slot = d;
            }
        }
        if let Some(d) = r.opt_duration(&f, "fargate_task_retirement_wait_period") {
            // The account setting takes 0, 7 or 14 days.
            if [0, 7, 14].iter().any(|days| d == SimDuration::from_days(*days)) {
                s.fargate_task_retirement_wait_period = d;
            } else {
                let n = f.node("fargate_task_retirement_wait_period");
                let at = n.and_then(|n| n.span.clone());
                r.error(
                    &at,
                    "settings.fargate_task_retirement_wait_period",
                    format!("expected 0s, 7d or 14d (the values of fargateTaskRetirementWaitPeriod), found {d}"),
                );
            }
        }
        if let Some(d) = r.opt_duration(&f, "throttle_base_delay") {
            s.throttle_base_delay = d;
        }
        if let Some(d) = r.opt_duration(&f, "throttle_max_delay") {
            s.throttle_max_delay = d;
        }
        if let Some(b) = r.opt_bool(&f, "initial_target_failures_count") {
            s.initial_target_failures_count = b;
        }
        if let Some(p) =
            r.opt_enum(&f, "target_check_phase", &[("random", CheckPhase::Random), ("zero", CheckPhase::Zero)])
        {
            s.target_check_phase = p;
        }
        if let Some(b) = r.opt_bool(&f, "log_completed_standalone_tasks") {
            s.log_completed_standalone_tasks = b;
        }
        let tt = &mut s.target_tracking;
        if let Some(n) = r.opt_u32(&f, "target_tracking_high_datapoints", 1, 1440) {
            tt.high_datapoints = n;
        }
        if let Some(n) = r.opt_u32(&f, "target_tracking_low_datapoints", 1, 1440) {
            tt.low_datapoints = n;
        }
        if let Some(x) = r.opt_f64(&f, "target_tracking_low_ratio", 0.0, 1.0) {
            tt.low_ratio = x;
        }
        use crate::autoscaling::CapacityBasis;
        if let Some(b) = r.opt_enum(
            &f,
            "target_tracking_capacity_basis",
            &[("desired", CapacityBasis::Desired), ("measured", CapacityBasis::Measured)],
        ) {
            tt.capacity_basis = b;
        }
        if let Some(x) = r.opt_f64(&f, "target_tracking_scale_in_limit_percent", 1.0, 100.0) {
            tt.scale_in_limit_percent = x;
        }
        Some(s)
    }

    fn read_cluster(&mut self, top: &Fields<'_>) -> Option<Vec<String>> {
        let Some(node) = top.node("cluster") else {
            self.r.missing(top, "cluster", "a [cluster] table with `zones`");
            return None;
        };
        let f = self.r.table(node, "cluster", CLUSTER_KEYS)?;
        self.r.opt_name(&f, "name", NameRule::Aws);
        if !f.has("zones") {
            self.r.missing(&f, "zones", "the Availability Zones, e.g. [\"us-east-1a\", \"us-east-1b\"]");
            return None;
        }
        let zones = self.r.opt_str_list(&f, "zones")?;
        let span = f.node("zones").and_then(|n| n.span.clone());
        if zones.is_empty() {
            self.r.error(&span, "cluster.zones", "expected at least one Availability Zone, found an empty list");
            return None;
        }
        // A Region has at most six; the cap keeps the per-zone arrays and this check small.
        if zones.len() > 255 {
            let found = format!("expected at most 255 Availability Zones, found {}", zones.len());
            self.r.error(&span, "cluster.zones", found);
            return None;
        }
        for (i, z) in zones.iter().enumerate() {
            if zones[..i].contains(z) {
                self.r.error(&span, "cluster.zones", format!("zone {z:?} is listed twice"));
            }
        }
        Some(zones)
    }

    fn array_of_tables<'n>(&mut self, top: &Fields<'n>, key: &str) -> Vec<(&'n Node, String)> {
        let Some(items) = self.r.opt_array(top, key) else { return Vec::new() };
        items.iter().enumerate().map(|(i, n)| (n, format!("{key}[{i}]"))).collect()
    }

    fn read_groups(
        &mut self,
        top: &Fields<'_>,
        zones: &[String],
        pricing: Option<&Pricing>,
    ) -> Option<Vec<InstanceGroupSpec>> {
        let groups = self.read_named(
            top,
            "instance_groups",
            "instance group",
            |ld, node, path| read_group(&mut ld.r, node, path, zones, pricing),
            |g| &g.name,
        )?;
        // The quota of container instances per cluster (SCHEDULING.md §2.6: 5,000, not
        // adjustable) bounds the fleet the scenario starts with.
        let total: u64 = groups.iter().map(|g| u64::from(g.count)).sum();
        if total > MAX_CONTAINER_INSTANCES
            && let Some(n) = top.node("instance_groups")
        {
            self.r.error(
                &n.span,
                "instance_groups",
                format!(
                    "expected at most 5,000 container instances in the cluster (the ECS quota of container instances per cluster, not adjustable), found {total} over the groups' counts"
                ),
            );
            return None;
        }
        Some(groups)
    }

    /// Reads every table of the array `key`, reporting names used twice; `None` if any failed.
    fn read_named<T>(
        &mut self,
        top: &Fields<'_>,
        key: &str,
        what: &str,
        mut read: impl FnMut(&mut Self, &Node, &str) -> Option<T>,
        name: impl Fn(&T) -> &String,
    ) -> Option<Vec<T>> {
        let mut out: Vec<T> = Vec::new();
        // Names seen so far: a set, so reading stays linear in the number of items.
        let mut seen = std::collections::BTreeSet::new();
        let mut ok = true;
        for (node, path) in self.array_of_tables(top, key) {
            match read(self, node, &path) {
                Some(item) => {
                    if !seen.insert(name(&item).clone()) {
                        self.r.error(&node.span, &path, format!("{what} name {:?} is used twice", name(&item)));
                    }
                    out.push(item);
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn read_task_definitions(&mut self, top: &Fields<'_>) -> Option<Vec<TaskDefinition>> {
        let mut out: Vec<TaskDefinition> = Vec::new();
        // The latest revision per family so far (linear reading of many task definitions).
        let mut latest: std::collections::BTreeMap<String, u32> = std::collections::BTreeMap::new();
        let mut ok = true;
        for (node, path) in self.array_of_tables(top, "task_definitions") {
            let td = if let Some(file_node) = node.get("file") {
                self.read_task_definition_file(node, file_node, &path)
            } else {
                read_task_definition(&mut self.r, node, &path, &["behavior"], None)
            };
            match td {
                Some(mut td) => {
                    let previous = latest.get(&td.family).copied();
                    if td.revision == 0 {
                        td.revision = previous.unwrap_or(0) + 1;
                    } else if previous.is_some_and(|p| p >= td.revision) {
                        self.r.error(
                            &node.span,
                            &path,
                            format!("revision {} of family {:?} is not above the previous one", td.revision, td.family),
                        );
                    }
                    let slot = latest.entry(td.family.clone()).or_insert(td.revision);
                    *slot = (*slot).max(td.revision);
                    out.push(td);
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// The AWS JSON file a `file = "..."` names (relative to the scenario), read into the
    /// scenario's hash and parsed.
    fn referenced_file(&mut self, f: &Fields<'_>, file_node: &Node) -> Option<(SourceFile, Node)> {
        let rel = self.r.str_value(file_node, &f.path("file"))?;
        let text = self.read_referenced(file_node, &f.path("file"), &rel)?;
        let full = self.beside(&rel);
        let src = SourceFile::new(full.display().to_string(), text);
        match src.parse() {
            Ok(root) => Some((src, root)),
            Err(d) => {
                self.extra.extend(d);
                None
            }
        }
    }

    /// `{ file = "aws/web.json", behavior = {...} }`: the AWS JSON lives in its own file.
    fn read_task_definition_file(&mut self, node: &Node, file_node: &Node, path: &str) -> Option<TaskDefinition> {
        let f = self.r.table(node, path, TASK_DEFINITION_FILE_KEYS)?;
        let (src, root) = self.referenced_file(&f, file_node)?;
        let mut inner = Reader::new(&src);
        let behavior = f.node("behavior").map(|n| (n, f.path("behavior")));
        // The behavior section belongs to the scenario file: read it with the scenario's reader.
        let behavior_td = match behavior {
            Some((n, p)) => Some(super::behavior::read_behavior(&mut self.r, n, &p)?),
            None => None,
        };
        let td = read_task_definition(&mut inner, &root, "", &[], None);
        self.absorb(inner);
        let mut td = td?;
        // A file without a revision was registered as whatever revision a service names.
        td.revision_assigned = td.revision == 0;
        if let Some(b) = behavior_td {
            td.behavior = b;
        }
        Some(td)
    }

    /// What a referenced file's reader found becomes the scenario's.
    fn absorb(&mut self, inner: Reader<'_>) {
        self.extra.extend(inner.diags);
        self.r.ignored.extend(inner.ignored);
        self.r.assumed.extend(inner.assumed);
    }

    /// The one object of a file's `list_key` array (describe output) that `pick` names by its
    /// `name_key`, or the only one; `None` (reported at `pick_key`) if there is no such one.
    fn pick_from_list<'n>(
        &mut self,
        f: &Fields<'_>,
        file_node: &Node,
        inner: &mut Reader<'_>,
        items: &'n Node,
        (list_key, name_key, pick_key): (&str, &str, &str),
        what: &str,
    ) -> Option<(&'n Node, String)> {
        let items = inner.array(items, list_key).unwrap_or_default();
        let names: Vec<String> = items
            .iter()
            .map(|n| match n.get(name_key).map(|v| &v.value) {
                Some(Value::Str(s)) => s.clone(),
                _ => String::new(),
            })
            .collect();
        let pick = self.r.opt_str(f, pick_key);
        let chosen = match (&pick, items.len()) {
            (None, 1) => Some(0),
            (Some(p), _) => names.iter().position(|n| n == p),
            (None, _) => None,
        };
        if let Some(i) = chosen {
            return Some((&items[i], format!("{list_key}[{i}]")));
        }
        let problem = match &pick {
            Some(p) => format!("the file has no {what} {p:?}"),
            None => format!("the file holds several {what}s; say which with `{pick_key}`"),
        };
        let at = f.node(pick_key).unwrap_or(file_node);
        self.r.error(&at.span, &f.path(pick_key), format!("{problem} (it has: {})", names.join(", ")));
        None
    }

    fn read_services(
        &mut self,
        top: &Fields<'_>,
        tds: &[TaskDefinition],
        families: &Families,
        groups: Option<&[InstanceGroupSpec]>,
        (capacity, zones, subnets): (&CapacityContext, &[String], &[(String, String)]),
    ) -> Option<Vec<ServiceSpec>> {
        let target_groups = std::mem::take(&mut self.target_groups);
        let ctx = ServiceContext { tds, families, groups, capacity, zones, subnets, target_groups: &target_groups };
        let out = self.read_named(
            top,
            "services",
            "service",
            |ld, node, path| match node.get("file") {
                Some(file_node) => ld.read_service_file(node, file_node, path, &ctx),
                None => read_service(&mut ld.r, node, path, Some(&ctx), &Supplied::default()),
            },
            |s| &s.name,
        );
        self.target_groups = target_groups;
        out
    }

    /// `{ file = "cp.json", name = "web-asg" }`: CreateCapacityProvider input or
    /// describe-capacity-providers output (`name` picks one of several).
    fn read_capacity_provider_file(
        &mut self,
        node: &Node,
        file_node: &Node,
        path: &str,
        groups: &[String],
    ) -> Option<CapacityProviderSpec> {
        let f = self.r.table(node, path, CAPACITY_PROVIDER_FILE_KEYS)?;
        let (src, root) = self.referenced_file(&f, file_node)?;
        let mut inner = Reader::new(&src);
        let cp = match root.get("capacityProviders") {
            None => read_capacity_provider(&mut inner, &root, "", groups),
            Some(list) => {
                let keys = ("capacityProviders", "name", "name");
                match self.pick_from_list(&f, file_node, &mut inner, list, keys, "capacity provider") {
                    Some((item, p)) => read_capacity_provider(&mut inner, item, &p, groups),
                    None => None,
                }
            }
        };
        self.absorb(inner);
        cp
    }

    /// `[pricing]`: prices per instance-hour by type, and per Fargate vCPU-hour and GB-hour.
    fn read_pricing(&mut self, top: &Fields<'_>) -> Option<Pricing> {
        let Some(node) = top.node("pricing") else { return Some(Pricing::default()) };
        let f = self.r.table(node, "pricing", PRICING_KEYS)?;
        let r = &mut self.r;
        let mut p = Pricing {
            fargate_vcpu_hour: r.opt_f64(&f, "fargate_vcpu_hour", 0.0, 1e9),
            fargate_gb_hour: r.opt_f64(&f, "fargate_gb_hour", 0.0, 1e9),
            fargate_spot_vcpu_hour: r.opt_f64(&f, "fargate_spot_vcpu_hour", 0.0, 1e9),
            fargate_spot_gb_hour: r.opt_f64(&f, "fargate_spot_gb_hour", 0.0, 1e9),
            ..Pricing::default()
        };
        if let Some(table) = f.node("instance_hour") {
            let Value::Table(entries) = &table.value else {
                let found = format!("expected a table of instance types and prices, found {}", table.describe());
                r.error(&table.span, "pricing.instance_hour", found);
                return None;
            };
            for e in entries {
                match e.node.value {
                    Value::Int(i) if i >= 0 => p.instance_hour.push((e.key.clone(), i as f64)),
                    Value::Float(x) if x.is_finite() && x >= 0.0 => p.instance_hour.push((e.key.clone(), x)),
                    _ => {
                        let found = format!("expected a price (a number, 0 or more), found {}", e.node.describe());
                        r.error(&e.node.span, &format!("pricing.instance_hour.{}", e.key), found);
                    }
                }
            }
        }
        Some(p)
    }

    /// `[cluster] subnets = { "subnet-0a1b" = "us-east-1a", ... }`: the zone of each subnet a
    /// Fargate service's awsvpcConfiguration may name.
    fn read_subnets(&mut self, top: &Fields<'_>, zones: &[String]) -> Vec<(String, String)> {
        let Some(node) = top.node("cluster") else { return Vec::new() };
        let Some(f) = self.r.quiet_table(node, "cluster") else { return Vec::new() };
        let Some(table) = f.node("subnets") else { return Vec::new() };
        let Value::Table(entries) = &table.value else {
            let found = format!("expected a table of subnet ids and their zones, found {}", table.describe());
            self.r.error(&table.span, "cluster.subnets", found);
            return Vec::new();
        };
        let mut out = Vec::new();
        for e in entries {
            let path = format!("cluster.subnets.{}", e.key);
            match &e.node.value {
                Value::Str(z) if zones.contains(z) => out.push((e.key.clone(), z.clone())),
                _ => {
                    let found = format!(
                        "expected one of the cluster's zones ({}), found {}",
                        zones.join(", "),
                        e.node.describe()
                    );
                    self.r.error(&e.node.span, &path, found);
                }
            }
        }
        out
    }

    /// An Auto Scaling group backs at most one capacity provider (CreateCapacityProvider refuses
    /// a group already in use), and one whose maximum size is 0 none.
    fn check_one_provider_per_group(
        &mut self,
        top: &Fields<'_>,
        list: &[CapacityProviderSpec],
        groups: Option<&[InstanceGroupSpec]>,
    ) {
        let items = self.r.opt_array(top, "capacity_providers").unwrap_or_default();
        for (i, cp) in list.iter().enumerate() {
            let at = items.get(i).and_then(|n| n.span.clone());
            let path = format!("capacity_providers[{i}].autoScalingGroupProvider.autoScalingGroupArn");
            if let Some(first) = list[..i].iter().find(|p| p.group == cp.group) {
                self.r.error(&at, &path, format!("The specified Auto Scaling group is already in use by capacity provider {:?}: each Auto Scaling group backs at most one capacity provider.", first.name));
            }
            if let Some(g) = groups.and_then(|g| g.get(cp.group.index()))
                && g.max_size == 0
            {
                self.r.error(
                    &at,
                    &path,
                    format!(
                        "The maximum size of Auto Scaling group {} must be greater than 0 for a capacity provider.",
                        g.name
                    ),
                );
            }
        }
    }

    /// `[cluster] capacityProviders` (PutClusterCapacityProviders: which providers the cluster may
    /// use, all the scenario's when not given) and `defaultCapacityProviderStrategy`.
    fn read_cluster_capacity(
        &mut self,
        top: &Fields<'_>,
        providers: Option<&[CapacityProviderSpec]>,
    ) -> CapacityContext {
        let mut cx = CapacityContext {
            names: providers.map_or_else(
                || raw_names(top, "capacity_providers", "name"),
                |p| p.iter().map(|p| p.name.clone()).collect(),
            ),
            ..CapacityContext::default()
        };
        let Some(node) = top.node("cluster") else { return cx };
        let Some(f) = self.r.quiet_table(node, "cluster") else { return cx };
        if let Some(list) = self.r.opt_str_list(&f, "capacityProviders") {
            let at = f.node("capacityProviders").and_then(|n| n.span.clone());
            for name in &list {
                let known = cx.names.contains(name)
                    || crate::ecs::capacity_provider::FARGATE_PROVIDERS.contains(&name.as_str());
                if !known {
                    let defined = if cx.names.is_empty() { "none".to_string() } else { cx.names.join(", ") };
                    self.r.error(
                        &at,
                        "cluster.capacityProviders",
                        format!("expected FARGATE, FARGATE_SPOT or one of the scenario's [[capacity_providers]] ({defined}), found {name:?}"),
                    );
                }
            }
            cx.associated = Some(list);
        }
        if let Some(items) = self.r.opt_array(&f, "defaultCapacityProviderStrategy") {
            let p = f.path("defaultCapacityProviderStrategy");
            cx.default_strategy = read_strategy(&mut self.r, items, &p, &cx).unwrap_or_default();
        }
        cx
    }

    /// `{ file = "tg.json", name = "web-tg" }`: create-target-group input or describe-target-groups
    /// output (`name` picks one of several).
    fn read_target_group_file(
        &mut self,
        node: &Node,
        file_node: &Node,
        path: &str,
    ) -> Option<super::target_group::ReadTargetGroup> {
        let f = self.r.table(node, path, TARGET_GROUP_FILE_KEYS)?;
        let (src, root) = self.referenced_file(&f, file_node)?;
        let mut inner = Reader::new(&src);
        let tg = match root.get("TargetGroups") {
            None => read_target_group(&mut inner, &root, ""),
            Some(list) => {
                let keys = ("TargetGroups", "TargetGroupName", "name");
                match self.pick_from_list(&f, file_node, &mut inner, list, keys, "target group") {
                    Some((item, p)) => read_target_group(&mut inner, item, &p),
                    None => None,
                }
            }
        };
        self.absorb(inner);
        tg
    }

    /// `{ file = "aws/services.json", service = "web", ... }`: a service from create-service
    /// input, an ecspresso service definition or describe-services output (`service` picks one
    /// of several); `serviceName`, `taskDefinition` and `desiredCount` here take precedence.
    fn read_service_file(
        &mut self,
        node: &Node,
        file_node: &Node,
        path: &str,
        ctx: &ServiceContext<'_>,
    ) -> Option<ServiceSpec> {
        let f = self.r.table(node, path, SERVICE_FILE_KEYS)?;
        let supplied = Supplied {
            name: self.r.opt_name(&f, "serviceName", NameRule::Aws),
            task_definition: match f.node("taskDefinition") {
                Some(n) => {
                    Some(resolve_task_definition(&mut self.r, n, &f.path("taskDefinition"), ctx.tds, ctx.families)?)
                }
                None => None,
            },
            desired_count: self.r.opt_task_count(&f, "desiredCount"),
        };
        let (src, root) = self.referenced_file(&f, file_node)?;
        let mut inner = Reader::new(&src);
        let spec = match root.get("services") {
            None => read_service(&mut inner, &root, "", Some(ctx), &supplied),
            Some(list) => {
                let keys = ("services", "serviceName", "service");
                match self.pick_from_list(&f, file_node, &mut inner, list, keys, "service") {
                    Some((item, p)) => read_service(&mut inner, item, &p, Some(ctx), &supplied),
                    None => None,
                }
            }
        };
        self.absorb(inner);
        spec
    }

    fn read_events(
        &mut self,
        top: &Fields<'_>,
        names: &Names,
        end: SimDuration,
        groups: &[InstanceGroupSpec],
    ) -> Option<Vec<TimelineEvent>> {
        let mut out = Vec::new();
        let mut ok = true;
        for (node, path) in self.array_of_tables(top, "events") {
            match read_event(&mut self.r, node, &path, names, end, groups) {
                Some(e) => out.push(e),
                None => ok = false,
            }
        }
        out.sort_by_key(|e: &TimelineEvent| e.at);
        ok.then_some(out)
    }

    /// A batch workload (ecsim's own section).
    fn read_workload(&mut self, node: &Node, path: &str, names: &Names) -> Option<Workload> {
        let f = self.r.table(node, path, WORKLOAD_KEYS)?;
        let r = &mut self.r;
        let name = r.req_name(&f, "name", "the workload's name", NameRule::Aws);
        let what = "the task definition its tasks run";
        let td = required_task_definition(r, &f, "task_definition", what, names.task_definitions, &names.families);
        let group = r.opt_str(&f, "group");
        let given = ["arrivals", "rate_per_hour", "arrivals_csv"].iter().filter(|k| f.has(k)).count();
        if given != 1 {
            r.error(&node.span, path, "expected exactly one of `arrivals` (the time between arrivals), `rate_per_hour` (a Poisson stream) or `arrivals_csv` (a file of arrival times)");
        }
        let arrivals = if let Some(n) = f.node("arrivals") {
            super::behavior::read_distribution(r, n, &f.path("arrivals")).map(Arrivals::Interarrival)
        } else if f.has("rate_per_hour") {
            r.opt_f64(&f, "rate_per_hour", 1e-6, 1e9).map(|rate| {
                let mean = SimDuration((3_600_000.0 / rate).round().max(1.0) as u64);
                Arrivals::Interarrival(crate::engine::Distribution::Exponential { mean })
            })
        } else if let Some(n) = f.node("arrivals_csv") {
            let file = r.str_value(n, &f.path("arrivals_csv"));
            file.and_then(|file| self.read_arrivals_csv(n, &f.path("arrivals_csv"), &file))
        } else {
            None
        };
        let r = &mut self.r;
        let ints = |r: &mut Reader<'_>, key: &str, min: i64, max: i64| -> Option<Vec<u32>> {
            let Some(items) = r.opt_array(&f, key) else { return Some(Vec::new()) };
            let p = f.path(key);
            items
                .iter()
                .enumerate()
                .map(|(i, n)| r.int_value(n, &format!("{p}[{i}]"), min, max, false).map(|v| v as u32))
                .collect()
        };
        let cpu_choices = ints(r, "cpu", 1, 196_608);
        let memory_mib_choices = ints(r, "memory_mib", 6, i64::from(u32::MAX));
        let run = match f.node("run") {
            Some(n) => Some(super::behavior::read_distribution(r, n, &f.path("run"))?),
            None => None,
        };
        let strategies = read_strategies(r, &f);
        Some(Workload {
            name: name?,
            task_definition: td?,
            group,
            arrivals: arrivals?,
            start: r.opt_duration(&f, "start").unwrap_or(SimDuration::ZERO),
            end: r.opt_duration(&f, "end"),
            count: r.opt_u32(&f, "count", 1, u32::MAX),
            run,
            cpu_choices: cpu_choices?,
            memory_mib_choices: memory_mib_choices?,
            strategies: strategies?,
        })
    }

    /// Arrival times, one a line: seconds (`12.5`) or durations (`3m`); `#` lines and a header
    /// line are skipped.
    /// `[[traffic]]`: at most one stream per target group.
    fn read_traffic(&mut self, top: &Fields<'_>, tg_names: &[String]) -> Option<Vec<super::traffic::TrafficStream>> {
        let mut out: Vec<super::traffic::TrafficStream> = Vec::new();
        let mut ok = true;
        for (node, path) in self.array_of_tables(top, "traffic") {
            let Some(f) = self.r.table(node, &path, super::traffic::TRAFFIC_KEYS) else {
                ok = false;
                continue;
            };
            let Some(tg_node) = f.node("target_group") else {
                self.r.missing(&f, "target_group", "the target group whose load balancer receives the requests");
                ok = false;
                continue;
            };
            let Some(tg) = lookup::<u16>(&mut self.r, tg_names, tg_node, &f.path("target_group"), "target group")
            else {
                ok = false;
                continue;
            };
            let tg = usize::from(tg);
            if out.iter().any(|t| t.target_group == tg) {
                self.r.error(
                    &tg_node.span,
                    &f.path("target_group"),
                    format!(
                        "target group {} already has a [[traffic]] stream; give each target group one",
                        tg_names[tg]
                    ),
                );
                ok = false;
                continue;
            }
            let csv = match f.node("csv") {
                Some(n) => {
                    let Some(file) = self.r.str_value(n, &f.path("csv")) else {
                        ok = false;
                        continue;
                    };
                    match self.read_referenced(n, &f.path("csv"), &file) {
                        Some(text) => Some((file, text)),
                        None => {
                            ok = false;
                            continue;
                        }
                    }
                }
                None => None,
            };
            let csv = csv.as_ref().map(|(f, t)| (f.as_str(), t.as_str()));
            match super::traffic::read_spec(&mut self.r, &f, node, &path, csv) {
                Some(spec) => out.push(super::traffic::TrafficStream { target_group: tg, spec }),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// `[[scalable_targets]]`, `[[scaling_policies]]`, `[[scheduled_actions]]` and `[[alarms]]`.
    fn read_auto_scaling(
        &mut self,
        top: &Fields<'_>,
        services: &[String],
        tg_names: &[String],
        specs: Option<&[ServiceSpec]>,
        epoch_ms: Option<i64>,
    ) -> Option<crate::autoscaling::AutoScaling> {
        let raw = super::auto_scaling::Raw {
            targets: self.array_of_tables(top, "scalable_targets"),
            policies: self.array_of_tables(top, "scaling_policies"),
            scheduled: self.array_of_tables(top, "scheduled_actions"),
            alarms: self.array_of_tables(top, "alarms"),
        };
        let service_target_groups: Vec<Vec<usize>> = specs
            .map(|v| v.iter().map(|s| s.load_balancers.iter().map(|lb| lb.target_group).collect()).collect())
            .unwrap_or_else(|| vec![Vec::new(); services.len()]);
        let daemons: Vec<bool> = specs.map(|v| v.iter().map(|s| s.daemon).collect()).unwrap_or_default();
        let names = super::auto_scaling::Names {
            services,
            target_groups: tg_names,
            service_target_groups: &service_target_groups,
            daemons: &daemons,
            epoch_ms: epoch_ms?,
        };
        super::auto_scaling::read(&mut self.r, &raw, &names)
    }

    /// The text of a file the scenario names (relative to the scenario's folder), hashed into
    /// the scenario's digest; an error naming the field when it cannot be read.
    fn read_referenced(&mut self, node: &Node, path: &str, file: &str) -> Option<String> {
        let full = self.beside(file);
        match std::fs::read_to_string(&full) {
            Ok(text) => {
                self.hasher.update(text.as_bytes());
                Some(text)
            }
            Err(e) => {
                self.r.error(&node.span, path, format!("cannot read {}: {}", full.display(), io_reason(&e)));
                None
            }
        }
    }

    /// A file the scenario names, relative to the scenario's folder.
    fn beside(&self, file: &str) -> PathBuf {
        match &self.base {
            Some(b) => b.join(file),
            None => PathBuf::from(file),
        }
    }

    fn read_arrivals_csv(&mut self, node: &Node, path: &str, file: &str) -> Option<Arrivals> {
        let full = self.beside(file);
        let text = self.read_referenced(node, path, file)?;
        let mut times = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let cell = line.split(',').next().unwrap_or("").trim();
            if cell.is_empty()
                || cell.starts_with('#')
                || (i == 0 && cell.parse::<f64>().is_err() && crate::engine::time::parse_duration(cell).is_err())
            {
                continue;
            }
            let t = match cell.parse::<f64>() {
                Ok(s) if s.is_finite() && s >= 0.0 => Some(SimDuration((s * 1000.0).round() as u64)),
                _ => crate::engine::time::parse_duration(cell).ok(),
            };
            match t {
                Some(t) => times.push(t),
                None => {
                    self.extra.push(Diagnostic {
                        file: full.display().to_string(),
                        line_col: Some((i + 1, 1)),
                        path: String::new(),
                        message: format!(
                            "expected an arrival time in seconds or a duration like \"3m\", found {cell:?}"
                        ),
                    });
                    return None;
                }
            }
        }
        times.sort_unstable();
        Some(Arrivals::Times(times))
    }

    fn read_faults(&mut self, top: &Fields<'_>, names: &Names, end: SimDuration) -> Option<Vec<Fault>> {
        let mut out = Vec::new();
        let mut ok = true;
        for (node, path) in self.array_of_tables(top, "faults") {
            let r = &mut self.r;
            let Some(f) = r.table(node, &path, FAULT_KEYS) else {
                ok = false;
                continue;
            };
            if !f.has("kind") {
                r.missing(
                    &f,
                    "kind",
                    "\"instance_failures\", \"spot_interruptions\" or \"fargate_spot_interruptions\"",
                );
            }
            let kind = r.opt_enum(
                &f,
                "kind",
                &[("instance_failures", 0), ("spot_interruptions", 1), ("fargate_spot_interruptions", 2)],
            );
            if kind == Some(2) {
                let services: Option<Vec<ServiceId>> = match r.opt_array(&f, "services") {
                    None => Some(Vec::new()),
                    Some(items) => {
                        let p = f.path("services");
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, n)| lookup::<ServiceId>(r, &names.services, n, &format!("{p}[{i}]"), "service"))
                            .collect()
                    }
                };
                match (services, read_fault_schedule(r, &f, end)) {
                    (Some(services), Some(schedule)) => {
                        out.push(Fault::FargateSpotInterruptions { services, schedule })
                    }
                    _ => ok = false,
                }
                continue;
            }
            if let Some(n) = f.node("services") {
                r.error(
                    &n.span,
                    &f.path("services"),
                    "`services` is for kind = \"fargate_spot_interruptions\"; instance faults take `groups`",
                );
            }
            let groups: Option<Vec<GroupId>> = match r.opt_array(&f, "groups") {
                None => Some((0..names.groups.len()).map(|i| GroupId(i as u16)).collect()),
                Some(items) => {
                    let p = f.path("groups");
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, n)| lookup::<GroupId>(r, &names.groups, n, &format!("{p}[{i}]"), "instance group"))
                        .collect()
                }
            };
            let schedule = read_fault_schedule(r, &f, end);
            match (kind, groups, schedule) {
                (Some(0), Some(groups), Some(schedule)) => out.push(Fault::InstanceFailures { groups, schedule }),
                (Some(_), Some(groups), Some(schedule)) => out.push(Fault::SpotInterruptions { groups, schedule }),
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }
}

/// A fault's schedule: `mtbf` (per instance), or `count` strikes in `between = [FROM, TO]`
/// (default: the whole run).
fn read_fault_schedule(r: &mut Reader<'_>, f: &Fields<'_>, end: SimDuration) -> Option<FaultSchedule> {
    if f.has("mtbf") && (f.has("count") || f.has("between")) {
        let n = f.node("mtbf")?;
        r.error(&n.span, &f.path("mtbf"), "expected either mtbf or count (with between), found both");
        return None;
    }
    if f.has("mtbf") {
        let mtbf = r.opt_duration(f, "mtbf")?;
        if mtbf.0 == 0 {
            let n = f.node("mtbf")?;
            r.error(&n.span, &f.path("mtbf"), "expected a mean time between failures above 0, found 0");
            return None;
        }
        return Some(FaultSchedule::Mtbf(mtbf));
    }
    if !f.has("count") {
        r.missing(f, "mtbf", "the mean time between failures of one instance, e.g. \"30d\" (or count = N strikes)");
        return None;
    }
    let count = r.opt_u32(f, "count", 1, 1_000_000)?;
    let (from, to) = match r.opt_array(f, "between") {
        None if f.has("between") => return None,
        None => (SimDuration::ZERO, SimDuration(end.0.saturating_sub(1))),
        Some(items) => {
            let path = f.path("between");
            let node = f.node("between")?;
            if items.len() != 2 {
                r.error(&node.span, &path, format!("expected [FROM, TO], two durations, found {} items", items.len()));
                return None;
            }
            let from = r.duration_value(&items[0], &format!("{path}[0]"));
            let to = r.duration_value(&items[1], &format!("{path}[1]"));
            let (from, to) = (from?, to?);
            if from > to || to >= end {
                let msg = format!("expected FROM <= TO < the end of the run ({end}), found [{from}, {to}]");
                r.error(&node.span, &path, msg);
                return None;
            }
            (from, to)
        }
    };
    Some(FaultSchedule::Window { count, from, to })
}

/// The `field` of every table in the array `key`, read without reporting anything.
fn raw_names(top: &Fields<'_>, key: &str, field: &str) -> Vec<String> {
    let Some(Node { value: Value::Array(items), .. }) = top.node(key) else { return Vec::new() };
    items
        .iter()
        .filter_map(|n| match n.get(field).map(|v| &v.value) {
            Some(Value::Str(s)) => Some(s.clone()),
            _ => None,
        })
        .collect()
}
