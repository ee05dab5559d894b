//! Reads a service in AWS's own shape: create-service input, an ecspresso service definition
//! (which leaves `serviceName` and `taskDefinition` to the tool), or one service of
//! describe-services output (with its status, counts, deployments and events, accepted and not
//! simulated). The same reader serves a scenario's `[[services]]` and `ecsim validate` on a bare
//! file; only the checks against the rest of a scenario need its [`ServiceContext`].

use super::node::Node;
use super::reader::{Fields, NameRule, Reader, suggest};
use super::task_definition::read_constraint;
use crate::cluster::InstanceGroupSpec;
use crate::ecs::capacity_provider_strategy::StrategyItem;
use crate::ecs::deployment::{CircuitBreaker, ThresholdType};
use crate::ecs::placement::{Resource, SpreadField, Strategy};
use crate::ecs::service::ServiceSpec;
use crate::ecs::task_definition::TaskDefinition;
use crate::engine::SimDuration;
use crate::ids::TaskDefId;

/// Service fields ecsim simulates.
pub const SIMULATED: &[&str] = &[
    "serviceName",
    "taskDefinition",
    "desiredCount",
    "loadBalancers",
    "healthCheckGracePeriodSeconds",
    "availabilityZoneRebalancing",
    "placementStrategy",
    "placementConstraints",
    "deploymentConfiguration",
    "schedulingStrategy",
    "launchType",
    "capacityProviderStrategy",
    "deploymentController",
];
/// create-service input fields accepted as they are.
pub(crate) const AWS_OTHER: &[&str] = &[
    "cluster",
    "serviceRegistries",
    "platformVersion",
    "role",
    "networkConfiguration",
    "tags",
    "enableECSManagedTags",
    "propagateTags",
    "enableExecuteCommand",
    "serviceConnectConfiguration",
    "volumeConfigurations",
    "vpcLatticeConfigurations",
    "clientToken",
];
/// describe-services output's fields that report the present rather than set the service up:
/// accepted, and left out by `ecsim import`.
pub const DESCRIBE_READ_ONLY: &[&str] = &[
    "serviceArn",
    "clusterArn",
    "status",
    "runningCount",
    "pendingCount",
    "deployments",
    "taskSets",
    "events",
    "createdAt",
    "createdBy",
    "roleArn",
    "platformFamily",
    "currentServiceDeployment",
    "currentServiceRevisions",
    "resourceManagementType",
];

/// What the scenario around a service provides for its checks.
pub struct ServiceContext<'a> {
    pub tds: &'a [TaskDefinition],
    /// Families named in the scenario, even those whose definition had errors.
    pub families: &'a Families,
    /// `None` when an instance group had errors of its own: the checks against the groups are
    /// skipped rather than reporting a fleet that is only unreadable.
    pub groups: Option<&'a [InstanceGroupSpec]>,
    /// The capacity providers a strategy may name, and the cluster's default strategy.
    pub capacity: &'a super::capacity_provider::CapacityContext,
    /// The cluster's zones, and its subnets with their zones (`[cluster] subnets`).
    pub zones: &'a [String],
    pub subnets: &'a [(String, String)],
    pub target_groups: &'a [(String, Option<String>)],
}

/// Values the scenario gives for a service read from a file, which take precedence (an
/// ecspresso service definition has no `serviceName` or `taskDefinition`).
#[derive(Default)]
pub struct Supplied {
    pub name: Option<String>,
    pub task_definition: Option<TaskDefId>,
    pub desired_count: Option<u32>,
}

/// Reads one service object. With a context, returns the service; without (a bare file under
/// `ecsim validate`), reports what AWS would reject and returns `None`.
pub fn read_service(
    r: &mut Reader<'_>,
    node: &Node,
    path: &str,
    ctx: Option<&ServiceContext<'_>>,
    supplied: &Supplied,
) -> Option<ServiceSpec> {
    let accepted: Vec<&str> = AWS_OTHER.iter().chain(DESCRIBE_READ_ONLY).copied().collect();
    let f = r.table_with(node, path, SIMULATED, &accepted)?;
    let bare = ctx.is_none();
    let name = match &supplied.name {
        Some(n) => Some(n.clone()),
        None if bare => r.opt_name(&f, "serviceName", NameRule::Aws),
        None => r.req_name(&f, "serviceName", "the service's name", NameRule::Aws),
    };
    let daemon = r.opt_enum(&f, "schedulingStrategy", &[("REPLICA", false), ("DAEMON", true)]).unwrap_or(false);
    if !f.has("desiredCount") && supplied.desired_count.is_none() && !daemon && !bare {
        r.missing(&f, "desiredCount", "how many tasks to keep running");
    }
    if daemon && f.has("placementStrategy") {
        let n = f.node("placementStrategy").unwrap_or(node);
        r.error(
            &n.span,
            &f.path("placementStrategy"),
            "placement strategies are not supported with the DAEMON scheduling strategy",
        );
    }
    // A DAEMON service's desired count is the number of instances it runs on.
    let desired = match supplied.desired_count {
        _ if daemon => Some(0),
        Some(d) => Some(d),
        None => r.opt_task_count(&f, "desiredCount").or(Some(0)),
    };
    let td = match (supplied.task_definition, f.node("taskDefinition"), ctx) {
        (Some(t), _, _) => Some(t),
        (None, _, Some(c)) => required_task_definition(
            r,
            &f,
            "taskDefinition",
            "\"family\" or \"family:revision\" of a task definition in this scenario",
            c.tds,
            c.families,
        ),
        (None, Some(n), None) => {
            r.str_value(n, &f.path("taskDefinition"));
            None
        }
        (None, None, None) => None,
    };
    let strategy = read_capacity(r, &f, ctx.map(|c| c.capacity));
    // A DAEMON service places one task on every instance: a strategy of its own is refused, and
    // the cluster's default does not apply to it.
    let strategy = match strategy {
        Some(s) if daemon && !s.is_empty() && f.has("capacityProviderStrategy") => {
            let n = f.node("capacityProviderStrategy").unwrap_or(node);
            r.error(&n.span, &f.path("capacityProviderStrategy"), "Tasks using the Fargate launch type or the CAPACITY_PROVIDER capacity provider strategies do not support the DAEMON scheduling strategy.");
            None
        }
        Some(_) if daemon => Some(Vec::new()),
        other => other,
    };
    let strategies = read_strategies(r, &f);
    let constraints = read_constraints(r, &f);
    // A strategy of FARGATE and FARGATE_SPOT: AWS's rules for Fargate, and the zones of its
    // subnets as a constraint on the Fargate capacity it is placed on.
    let fargate = ctx.is_some()
        && strategy
            .as_ref()
            .is_some_and(|s| s.iter().any(|it| ctx.is_some_and(|c| it.provider >= c.capacity.names.len())));
    let constraints = match (constraints, ctx) {
        (Some(mut c), Some(cx)) if fargate => {
            let zones =
                super::fargate::service_zones(r, &f, node, td.map(|t| &cx.tds[t.index()]), cx.subnets, cx.zones);
            c.extend(zones);
            Some(c)
        }
        (other, _) => other,
    };
    // DAEMON defaults: minimumHealthyPercent 0, maximumPercent 100 (and it must be 100).
    let (min_default, max_default) = if daemon { (0, 100) } else { (100, 200) };
    let (min_pct, max_pct, circuit_breaker) = match f.node("deploymentConfiguration") {
        None => (Some(min_default), Some(max_default), Some(CircuitBreaker::default())),
        Some(n) => {
            let p = f.path("deploymentConfiguration");
            match r.table_with(
                n,
                &p,
                &["minimumHealthyPercent", "maximumPercent", "deploymentCircuitBreaker", "strategy"],
                &["alarms", "bakeTimeInMinutes", "lifecycleHooks", "linearConfiguration", "canaryConfiguration"],
            ) {
                Some(df) => {
                    if let Some(s) = r.opt_enum(
                        &df,
                        "strategy",
                        &[
                            ("ROLLING", "ROLLING"),
                            ("BLUE_GREEN", "BLUE_GREEN"),
                            ("LINEAR", "LINEAR"),
                            ("CANARY", "CANARY"),
                        ],
                    ) && s != "ROLLING"
                    {
                        r.assumed
                            .push(format!("{}: strategy {s} is simulated as a rolling update", df.path("strategy")));
                    }
                    (
                        Some(r.opt_u32(&df, "minimumHealthyPercent", 0, 100).unwrap_or(min_default)),
                        Some(r.opt_u32(&df, "maximumPercent", 100, 1000).unwrap_or(max_default)),
                        match df.node("deploymentCircuitBreaker") {
                            Some(cb) => read_circuit_breaker(r, cb, &df.path("deploymentCircuitBreaker")),
                            None => Some(CircuitBreaker::default()),
                        },
                    )
                }
                None => (None, None, None),
            }
        }
    };
    if let Some(n) = f.node("deploymentController") {
        let p = f.path("deploymentController");
        if let Some(df) = r.table(n, &p, &["type"]) {
            // ecspresso files may template the type; only a literal one is checked.
            match r.opt_str(&df, "type").as_deref() {
                None | Some("ECS") => {}
                Some(t) if super::reader::is_placeholder(t) => {}
                Some(t @ ("CODE_DEPLOY" | "EXTERNAL")) => {
                    r.assumed.push(format!("{p}.type: {t} deployments are simulated as ECS rolling updates"))
                }
                Some(t) => {
                    let at = df.node("type").unwrap_or(n);
                    r.error(
                        &at.span,
                        &df.path("type"),
                        format!("expected one of ECS, CODE_DEPLOY, EXTERNAL, found {t:?}"),
                    );
                }
            }
        }
    }
    if let (Some(c), Some(t), Some(cx)) = (&constraints, td, ctx) {
        let total = c.len() + cx.tds[t.index()].placement_constraints.len();
        if total > 10 {
            let n = f.node("placementConstraints").unwrap_or(node);
            r.error(&n.span, &f.path("placementConstraints"), format!("expected at most 10 placement constraints per task (task definition and service together), found {total}"));
        }
    }
    if daemon && max_pct.is_some_and(|m| m != 100) {
        let n = f.node("deploymentConfiguration").unwrap_or(node);
        r.error(&n.span, &f.path("deploymentConfiguration"), "a DAEMON service's maximumPercent must be 100");
    }
    let grace = r.opt_int(&f, "healthCheckGracePeriodSeconds", 0, 2_147_483_647).unwrap_or(0);
    let az_rebalancing =
        r.opt_enum(&f, "availabilityZoneRebalancing", &[("ENABLED", true), ("DISABLED", false)]).unwrap_or(true);
    let cx = match ctx {
        Some(cx) => cx,
        None => {
            if let Some(n) = f.node("loadBalancers") {
                super::target_group::read_load_balancers(r, n, &f.path("loadBalancers"), None, None);
            }
            return None;
        }
    };
    let load_balancers = match f.node("loadBalancers") {
        None => Some(Vec::new()),
        Some(n) => super::target_group::read_load_balancers(
            r,
            n,
            &f.path("loadBalancers"),
            Some(cx.target_groups),
            td.map(|t| &cx.tds[t.index()]),
        ),
    };
    let (td, desired) = (td?, desired?);
    let t = &cx.tds[td.index()];
    let groups = cx.groups.unwrap_or(&[]);
    let groups_read = cx.groups.is_some();
    let lb_fault =
        t.behavior.fault.as_ref().is_some_and(|f| f.kind == crate::ecs::task_definition::FaultKind::TargetHealth);
    if lb_fault && load_balancers.as_ref().is_some_and(|l| l.is_empty()) {
        let n = f.node("taskDefinition").unwrap_or(node);
        r.error(&n.span, &f.path("taskDefinition"), format!("task definition {} fails load-balancer health checks (behavior.fault), but this service has no loadBalancers", t.name()));
    }
    if !fargate
        && !groups.is_empty()
        && !groups
            .iter()
            .flat_map(|g| &g.types)
            .any(|k| k.cpu >= t.reserved_cpu() && k.memory_mib >= t.reserved_memory_mib())
    {
        let biggest = groups
            .iter()
            .flat_map(|g| &g.types)
            .max_by_key(|k| (k.memory_mib, k.cpu))
            .map(|k| format!("{} CPU units and {} MiB ({})", k.cpu, k.memory_mib, k.name))
            .unwrap_or_default();
        let n = f.node("taskDefinition").unwrap_or(node);
        let problem = format!(
            "task definition {} reserves {} CPU units and {} MiB, more than any instance group registers (largest: {biggest})",
            t.name(),
            t.reserved_cpu(),
            t.reserved_memory_mib()
        );
        // With a capacity provider ECS accepts the service and its tasks wait (in PROVISIONING
        // under managed scaling) until they time out: a scenario may mean to show exactly that.
        if strategy.as_ref().is_some_and(|s| !s.is_empty()) {
            r.assumed.push(format!("{}: {problem}; its tasks never find an instance (with managed scaling they wait in PROVISIONING and stop at the provisioning timeout)", f.path("taskDefinition")));
        } else {
            r.error(
                &n.span,
                &f.path("taskDefinition"),
                format!("{problem}; no task of this service could ever be placed"),
            );
        }
    }
    let gpus: u32 = t.containers.iter().map(|c| c.gpus).sum();
    if gpus > 0 && !groups.is_empty() && !groups.iter().flat_map(|g| &g.types).any(|k| k.gpus >= gpus) {
        let n = f.node("taskDefinition").unwrap_or(node);
        r.error(&n.span, &f.path("taskDefinition"), format!("task definition {} needs {gpus} GPUs, more than any instance group has; no task of this service could ever be placed", t.name()));
    }
    if groups_read && groups.is_empty() && desired > 0 && !fargate {
        r.error(&node.span, path, "the scenario has no instance groups, so no task of this service could ever run");
    }
    Some(ServiceSpec {
        name: name?,
        task_definition: td,
        desired_count: desired,
        strategies: strategies?,
        constraints: constraints?,
        minimum_healthy_percent: min_pct?,
        maximum_percent: max_pct?,
        circuit_breaker: circuit_breaker?,
        load_balancers: load_balancers?,
        daemon,
        az_rebalancing,
        capacity_provider_strategy: strategy?,
        health_check_grace_period: SimDuration::from_secs(grace as u64),
    })
}

/// `launchType` and `capacityProviderStrategy`: the strategy the service's tasks are assigned by
/// (its own, else the cluster's default unless a launch type is given). A Fargate (or ECS
/// Anywhere) launch type is accepted, as AWS accepts it, and its tasks are placed on the
/// scenario's instances; `validate` says so.
pub(super) fn read_capacity(
    r: &mut Reader<'_>,
    f: &Fields<'_>,
    cx: Option<&super::capacity_provider::CapacityContext>,
) -> Option<Vec<crate::ecs::capacity_provider_strategy::StrategyItem>> {
    let launch =
        r.opt_enum(f, "launchType", &[("EC2", "EC2"), ("FARGATE", "FARGATE"), ("EXTERNAL", "EXTERNAL"), ("", "")]);
    if let Some("EXTERNAL") = launch {
        r.assumed.push(format!(
            "{}: EXTERNAL (ECS Anywhere) tasks are placed on the scenario's EC2 container instances",
            f.path("launchType")
        ));
    }
    let given_launch = launch.is_some_and(|l| !l.is_empty());
    let bare = super::capacity_provider::CapacityContext::default();
    let cx = cx.unwrap_or(&bare);
    // The FARGATE launch type is the FARGATE provider alone.
    let by_launch = match launch {
        Some("FARGATE") => vec![StrategyItem { provider: cx.fargate_index(0), base: 0, weight: 1 }],
        _ => Vec::new(),
    };
    let Some(items) = r.opt_array(f, "capacityProviderStrategy") else {
        return Some(if given_launch { by_launch } else { cx.default_strategy.clone() });
    };
    let p = f.path("capacityProviderStrategy");
    if given_launch && !items.is_empty() {
        let n = f.node("launchType");
        r.error(
            &n.and_then(|n| n.span.clone()),
            &f.path("launchType"),
            "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.",
        );
    }
    if items.is_empty() {
        return Some(if given_launch { by_launch } else { cx.default_strategy.clone() });
    }
    super::capacity_provider::read_strategy(r, items, &p, cx)
}

/// `web`, `web:7` or an ARN ending in `task-definition/web:7`: the family and the revision.
pub fn family_revision(reference: &str) -> (&str, Option<u32>) {
    let short = reference.rsplit('/').next().unwrap_or(reference);
    match short.rsplit_once(':') {
        Some((family, rev)) if !rev.is_empty() && rev.bytes().all(|c| c.is_ascii_digit()) => (family, rev.parse().ok()),
        _ => (short, None),
    }
}

/// The task definition the field `key` names (reported as missing, with `what` it is, if absent).
pub fn required_task_definition(
    r: &mut Reader<'_>,
    f: &Fields<'_>,
    key: &str,
    what: &str,
    tds: &[TaskDefinition],
    families: &Families,
) -> Option<TaskDefId> {
    match f.node(key) {
        Some(n) => resolve_task_definition(r, n, &f.path(key), tds, families),
        None => {
            r.missing(f, key, what);
            None
        }
    }
}

/// The task definition families a scenario names, from the raw tables (so a definition with an
/// error of its own still counts as defined), and whether any definition failed to read.
#[derive(Clone, Debug, Default)]
pub struct Families {
    pub raw: Vec<String>,
    pub incomplete: bool,
}

pub fn resolve_task_definition(
    r: &mut Reader<'_>,
    node: &Node,
    path: &str,
    tds: &[TaskDefinition],
    families: &Families,
) -> Option<TaskDefId> {
    let s = r.str_value(node, path)?;
    let (family, revision) = family_revision(&s);
    let latest = |exact: bool| {
        tds.iter()
            .enumerate()
            .filter(|(_, t)| t.family == family && revision.is_none_or(|rev| t.revision == rev || !exact))
            .max_by_key(|(_, t)| t.revision)
            .map(|(i, _)| TaskDefId(i as u32))
    };
    // `web:5` from a live cluster, against a register-task-definition file that carries no
    // revision: that file is revision 5 as far as the user is concerned.
    let found = latest(true).or_else(|| {
        let t = latest(false)?;
        tds[t.index()].revision_assigned.then(|| {
            r.assumed.push(format!("{path}: {s:?} is the scenario's {family} (its file gives no revision)"));
            t
        })
    });
    // A family whose definition has errors of its own is not reported again here.
    // A definition with errors of its own (even one whose `family` key is misspelt) is not
    // reported again as missing: while any failed to read, an unknown name is no news.
    let broken =
        families.incomplete || (!tds.iter().any(|t| t.family == family) && families.raw.iter().any(|f| f == family));
    if found.is_none() && !broken {
        let known: Vec<String> = tds.iter().map(|t| t.name()).collect();
        let families: Vec<&str> = tds.iter().map(|t| t.family.as_str()).collect();
        let hint = match suggest(family, &families) {
            Some(k) => format!("; did you mean {k:?}?"),
            None if known.is_empty() => "; the scenario defines no task definitions".into(),
            None => format!("; defined: {}", known.join(", ")),
        };
        r.error(&node.span, path, format!("no task definition {s:?} in this scenario{hint}"));
    }
    found
}

/// A request's `placementConstraints` (none if absent).
pub fn read_constraints(r: &mut Reader<'_>, f: &Fields<'_>) -> Option<Vec<crate::ecs::placement::Constraint>> {
    let Some(items) = r.opt_array(f, "placementConstraints") else { return Some(Vec::new()) };
    let p = f.path("placementConstraints");
    items.iter().enumerate().map(|(i, n)| read_constraint(r, n, &format!("{p}[{i}]"))).collect()
}

pub fn read_strategies(r: &mut Reader<'_>, f: &Fields<'_>) -> Option<Vec<Strategy>> {
    let Some(items) = r.opt_array(f, "placementStrategy") else { return Some(Vec::new()) };
    let path = f.path("placementStrategy");
    if items.len() > 5 {
        let span = f.node("placementStrategy").and_then(|n| n.span.clone());
        r.error(&span, &path, format!("expected at most 5 placement strategies, found {}", items.len()));
        return None;
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let sf = r.table(item, &p, &["type", "field"])?;
        #[derive(Clone, Copy)]
        enum T {
            Spread,
            Binpack,
            Random,
        }
        if !sf.has("type") {
            r.missing(&sf, "type", "spread, binpack or random");
            return None;
        }
        let t = r.opt_enum(&sf, "type", &[("spread", T::Spread), ("binpack", T::Binpack), ("random", T::Random)])?;
        let field = r.opt_str(&sf, "field");
        let fspan = sf.node("field").and_then(|n| n.span.clone());
        let s = match (t, field) {
            (T::Random, None) => Strategy::Random,
            (T::Random, Some(_)) => {
                r.error(&fspan, &sf.path("field"), "random takes no field");
                return None;
            }
            (T::Spread, Some(fld)) => Strategy::Spread(match fld.as_str() {
                "instanceId" | "host" => SpreadField::Instance,
                a if a == crate::ecs::placement::AZ_ATTRIBUTE => SpreadField::Zone,
                a if a.starts_with("attribute:") && a.len() > 10 => SpreadField::Attribute(a[10..].to_string()),
                other => {
                    r.error(
                        &fspan,
                        &sf.path("field"),
                        format!("expected instanceId, host or attribute:NAME, found {other:?}"),
                    );
                    return None;
                }
            }),
            (T::Binpack, Some(fld)) => Strategy::Binpack(match fld.to_ascii_lowercase().as_str() {
                "cpu" => Resource::Cpu,
                "memory" => Resource::Memory,
                _ => {
                    r.error(&fspan, &sf.path("field"), format!("expected cpu or memory, found {fld:?}"));
                    return None;
                }
            }),
            (_, None) => {
                r.missing(&sf, "field", "what to spread over or bin-pack on");
                return None;
            }
        };
        out.push(s);
    }
    Some(out)
}

/// `deploymentCircuitBreaker`: enable and rollback (required by AWS), resetOnHealthyTask and
/// thresholdConfiguration (2026).
pub fn read_circuit_breaker(r: &mut Reader<'_>, node: &Node, path: &str) -> Option<CircuitBreaker> {
    let f = r.table(node, path, &["enable", "rollback", "resetOnHealthyTask", "thresholdConfiguration"])?;
    for key in ["enable", "rollback"] {
        if !f.has(key) {
            r.missing(&f, key, "true or false");
        }
    }
    let mut cb = CircuitBreaker {
        enable: r.opt_bool(&f, "enable")?,
        rollback: r.opt_bool(&f, "rollback")?,
        ..CircuitBreaker::default()
    };
    if let Some(v) = r.opt_bool(&f, "resetOnHealthyTask") {
        cb.reset_on_healthy_task = v;
    }
    if let Some(tn) = f.node("thresholdConfiguration") {
        let p = f.path("thresholdConfiguration");
        let tf = r.table(tn, &p, &["type", "value"])?;
        let t = r.opt_enum(
            &tf,
            "type",
            &[
                ("BOUNDED_PERCENT", ThresholdType::BoundedPercent),
                ("UNBOUNDED_PERCENT", ThresholdType::UnboundedPercent),
                ("COUNT", ThresholdType::Count),
            ],
        );
        cb.threshold_type = t.unwrap_or(ThresholdType::BoundedPercent);
        let max = if cb.threshold_type == ThresholdType::Count { 1_000_000 } else { 100 };
        if let Some(v) = r.opt_u32(&tf, "value", 1, max) {
            cb.threshold_value = v;
        }
    }
    Some(cb)
}
