//! Reads the `[[events]]` timeline: each action with the fields it takes, its targets resolved
//! against the scenario's zones, groups, services and task definitions, and the limits AWS sets
//! on the matching API calls (RunTask count, StartTask instances, constraints).

use super::load::{Names, lookup};
use super::model::*;
use super::node::{Node, Value};
use super::reader::{Reader, suggest};
use super::service::{read_constraints, read_strategies, required_task_definition, resolve_task_definition};
use crate::cluster::InstanceGroupSpec;
use crate::engine::{SimDuration, SimTime};
use crate::ids::{GroupId, ServiceId, ZoneId};

/// Every key an `[[events]]` entry may have, whatever its action (each action takes a subset).
pub(crate) const EVENT_KEYS: &[&str] = &[
    "at",
    "action",
    "instances",
    "group",
    "zone",
    "count",
    "pick",
    "taskDefinition",
    "placementStrategy",
    "placementConstraints",
    "containerInstances",
    "deadline",
    "drain",
    "duration",
    "service",
    "desiredCount",
    "forceNewDeployment",
    "deploymentConfiguration",
    "task",
    "reason",
    "capacity_provider",
    "launchType",
    "capacityProviderStrategy",
    "networkConfiguration",
    "instance_type",
];

/// The keys an event with `action` may have (an unknown action: every event key, so only the
/// action itself is reported).
pub(crate) fn action_keys(action: &str) -> &'static [&'static str] {
    match action {
        "terminate_instances"
        | "drain_instances"
        | "activate_instances"
        | "spot_interruption"
        | "disconnect_agent"
        | "reconnect_agent"
        | "deregister_instances"
        | "stop_instances"
        | "start_instances"
        | "impair_instances" => &["at", "action", "instances", "group", "zone", "count", "pick"],
        "run_task" => &[
            "at",
            "action",
            "taskDefinition",
            "count",
            "group",
            "placementStrategy",
            "placementConstraints",
            "launchType",
            "capacityProviderStrategy",
            "networkConfiguration",
        ],
        "start_task" => &["at", "action", "taskDefinition", "containerInstances", "group"],
        "retirement_notice" => &["at", "action", "instances", "group", "zone", "count", "pick", "deadline", "drain"],
        "az_outage" => &["at", "action", "zone", "duration"],
        "add_instances" => &["at", "action", "group", "count", "zone"],
        "update_service" => &[
            "at",
            "action",
            "service",
            "desiredCount",
            "taskDefinition",
            "forceNewDeployment",
            "deploymentConfiguration",
        ],
        "stop_task" => &["at", "action", "service", "task", "count", "reason"],
        "fargate_spot_interruption" => &["at", "action", "service", "count"],
        "fargate_task_retirement" => &["at", "action", "service"],
        "fargate_capacity_unavailable" => &["at", "action", "capacity_provider", "zone", "duration"],
        "insufficient_capacity" => &["at", "action", "instance_type", "zone", "duration"],
        // An unknown or missing action is reported once; its other keys are not also called
        // unknown (they may well be right for the action meant).
        _ => EVENT_KEYS,
    }
}

/// The actions of the timeline, in the order the reader numbers them.
pub(crate) const ACTIONS: &[&str] = &[
    "terminate_instances",
    "az_outage",
    "add_instances",
    "update_service",
    "stop_task",
    "drain_instances",
    "activate_instances",
    "spot_interruption",
    "disconnect_agent",
    "reconnect_agent",
    "deregister_instances",
    "stop_instances",
    "start_instances",
    "retirement_notice",
    "run_task",
    "start_task",
    "fargate_spot_interruption",
    "fargate_capacity_unavailable",
    "impair_instances",
    "fargate_task_retirement",
    "insufficient_capacity",
];

pub(super) fn read_event(
    r: &mut Reader<'_>,
    node: &Node,
    path: &str,
    names: &Names,
    end: SimDuration,
    groups: &[InstanceGroupSpec],
) -> Option<TimelineEvent> {
    let action = node.get("action");
    let kind = match action.map(|a| &a.value) {
        Some(Value::Str(s)) => s.as_str(),
        _ => "",
    };
    let f = r.table(node, path, action_keys(kind))?;
    let at = if f.has("at") {
        r.opt_duration(&f, "at")
    } else {
        r.missing(&f, "at", "when it happens, e.g. \"10m\"");
        None
    };
    if let (Some(t), Some(n)) = (at, f.node("at"))
        && t >= end
    {
        r.error(&n.span, &f.path("at"), format!("event at {t} is not before the end of the run ({end})"));
    }
    // Each action by its position in ACTIONS (the order the match below uses).
    let actions: Vec<(&str, usize)> = ACTIONS.iter().enumerate().map(|(i, a)| (*a, i)).collect();
    if !f.has("action") {
        r.missing(&f, "action", &ACTIONS.join(", "));
        return None;
    }
    let which = r.opt_enum(&f, "action", &actions)?;
    let zone =
        |r: &mut Reader<'_>| f.node("zone").and_then(|n| lookup::<ZoneId>(r, &names.zones, n, &f.path("zone"), "zone"));
    let group = |r: &mut Reader<'_>| {
        f.node("group").and_then(|n| lookup::<GroupId>(r, &names.groups, n, &f.path("group"), "instance group"))
    };
    let service = |r: &mut Reader<'_>| match f.node("service") {
        Some(n) => lookup::<ServiceId>(r, &names.services, n, &f.path("service"), "service"),
        None => {
            r.missing(&f, "service", "the service's name");
            None
        }
    };
    let action = match which {
        0 | 5..=13 | 18 => {
            let count = r.opt_u32(&f, "count", 1, 5000);
            let pick = r
                .opt_enum(
                    &f,
                    "pick",
                    &[("random", Pick::Random), ("first", Pick::First), ("most_tasks", Pick::MostTasks)],
                )
                .unwrap_or(Pick::Random);
            let given = ["instances", "group", "zone"].iter().filter(|k| f.has(k)).count();
            if given != 1 {
                r.error(&node.span, path, "expected exactly one of `instances` (a list of ids), `group` or `zone`");
                return None;
            }
            let target = if let Some(ids) = r.opt_str_list(&f, "instances") {
                for (i, id) in ids.iter().enumerate() {
                    let ok = id.rsplit_once('-').is_some_and(|(g, n)| {
                        names.groups.iter().any(|x| x == g) && n.parse::<u32>().is_ok_and(|n| n >= 1)
                    });
                    if !ok {
                        let n = f
                            .node("instances")
                            .and_then(|a| if let Value::Array(v) = &a.value { v.get(i) } else { None });
                        let known: Vec<String> = groups
                            .iter()
                            .filter(|g| g.count > 0)
                            .map(|g| format!("{}-1..{}-{}", g.name, g.name, g.count))
                            .collect();
                        r.error(&n.and_then(|n| n.span.clone()), &format!("{}[{i}]", f.path("instances")), format!("expected an instance id GROUP-N (instances are named after their group: {}), found {id:?}", known.join(", ")));
                    }
                }
                InstanceTarget::Ids(ids)
            } else if f.has("group") {
                InstanceTarget::Group { group: group(r)?, count: count.unwrap_or(1), pick }
            } else {
                InstanceTarget::Zone { zone: zone(r)?, count: count.unwrap_or(1), pick }
            };
            match which {
                0 => Action::TerminateInstances(target),
                18 => Action::ImpairInstances(target),
                5 => Action::DrainInstances(target),
                6 => Action::ActivateInstances(target),
                7 => Action::SpotInterruption(target),
                8 | 9 => Action::AgentConnection { target, connected: which == 9 },
                10 => Action::DeregisterInstances(target),
                11 | 12 => Action::PowerInstances { target, running: which == 12 },
                _ => {
                    if !f.has("deadline") {
                        r.missing(&f, "deadline", "when the instance is retired, e.g. \"2h\"");
                    }
                    let deadline = r.opt_duration(&f, "deadline")?;
                    let drain = r.opt_bool(&f, "drain").unwrap_or(false);
                    Action::RetirementNotice { target, deadline, drain }
                }
            }
        }
        1 => {
            if !f.has("zone") {
                r.missing(&f, "zone", "the Availability Zone that fails");
            }
            let duration = r.opt_duration(&f, "duration");
            Action::AzOutage { zone: zone(r)?, duration }
        }
        2 => {
            if !f.has("group") {
                r.missing(&f, "group", "the instance group to add to");
            }
            if !f.has("count") {
                r.missing(&f, "count", "how many instances to add");
            }
            let count = r.opt_u32(&f, "count", 1, 5000);
            let (g, z) = (group(r)?, zone(r));
            if let Some(z) = z
                && !groups[g.index()].zones.contains(&z)
            {
                let n = f.node("zone").unwrap_or(node);
                r.error(
                    &n.span,
                    &f.path("zone"),
                    format!(
                        "instance group {:?} does not span zone {:?}",
                        names.groups[g.index()],
                        names.zones[z.index()]
                    ),
                );
            }
            Action::AddInstances { group: g, count: count?, zone: z }
        }
        3 => {
            let changes = ["desiredCount", "taskDefinition", "forceNewDeployment", "deploymentConfiguration"];
            if !changes.iter().any(|k| f.has(k)) {
                r.error(&node.span, path, format!("update_service needs at least one of {}", changes.join(", ")));
            }
            let desired = r.opt_task_count(&f, "desiredCount");
            let td = f.node("taskDefinition").map(|n| {
                resolve_task_definition(r, n, &f.path("taskDefinition"), names.task_definitions, &names.families)
            });
            let force = r.opt_bool(&f, "forceNewDeployment").unwrap_or(false);
            let (min_pct, max_pct) = match f.node("deploymentConfiguration") {
                Some(n) => {
                    let p = f.path("deploymentConfiguration");
                    let df = r.table(n, &p, &["minimumHealthyPercent", "maximumPercent"])?;
                    (r.opt_u32(&df, "minimumHealthyPercent", 0, 100), r.opt_u32(&df, "maximumPercent", 100, 1000))
                }
                None => (None, None),
            };
            Action::UpdateService {
                service: service(r)?,
                desired_count: desired,
                task_definition: match td {
                    Some(t) => Some(t?),
                    None => None,
                },
                force_new_deployment: force,
                minimum_healthy_percent: min_pct,
                maximum_percent: max_pct,
            }
        }
        14 | 15 => {
            let what = "the task definition to run";
            let td = required_task_definition(r, &f, "taskDefinition", what, names.task_definitions, &names.families);
            let group = r.opt_str(&f, "group");
            if which == 14 {
                // At most 10 tasks per RunTask call (not adjustable).
                let count = r.opt_u32(&f, "count", 1, 10).unwrap_or(1);
                let strategies = read_strategies(r, &f)?;
                let constraints = read_constraints(r, &f)?;
                let capacity_provider_strategy = super::service::read_capacity(r, &f, Some(names.capacity))?;
                let td = td?;
                let mut constraints = constraints;
                // On Fargate: AWS's refusals, and the zones of the call's subnets.
                if capacity_provider_strategy.iter().any(|i| i.provider >= names.capacity.names.len()) {
                    let t = &names.task_definitions[td.index()];
                    constraints.extend(super::fargate::service_zones(
                        r,
                        &f,
                        node,
                        Some(t),
                        names.subnets,
                        &names.zones,
                    ));
                }
                let total = constraints.len() + names.task_definitions[td.index()].placement_constraints.len();
                if total > 10 {
                    r.error(&node.span, path, format!("expected at most 10 placement constraints per task (task definition and request together), found {total}"));
                }
                Action::RunTask {
                    task_definition: td,
                    count,
                    group,
                    strategies,
                    constraints,
                    capacity_provider_strategy,
                }
            } else {
                if !f.has("containerInstances") {
                    r.missing(&f, "containerInstances", "the instances to start tasks on");
                }
                let instances = r.opt_str_list(&f, "containerInstances")?;
                if instances.is_empty() || instances.len() > 10 {
                    let n = f.node("containerInstances").unwrap_or(node);
                    r.error(
                        &n.span,
                        &f.path("containerInstances"),
                        format!("expected 1 to 10 container instances, found {}", instances.len()),
                    );
                }
                Action::StartTask { task_definition: td?, instances, group }
            }
        }
        19 => {
            let s = match f.node("service") {
                Some(n) => Some(lookup::<ServiceId>(r, &names.services, n, &f.path("service"), "service")?),
                None => None,
            };
            Action::FargateTaskRetirement(s)
        }
        16 => {
            let count = r.opt_u32(&f, "count", 1, 5000).unwrap_or(1);
            Action::FargateSpotInterruption { service: service(r)?, count }
        }
        20 => {
            if !f.has("instance_type") {
                r.missing(&f, "instance_type", "the EC2 instance type that runs short, e.g. \"m5.large\"");
            }
            if !f.has("duration") {
                r.missing(&f, "duration", "how long EC2 has no capacity of the type, e.g. \"1h\"");
            }
            let duration = r.opt_duration(&f, "duration");
            let instance_type = r.opt_str(&f, "instance_type")?;
            let launched: Vec<&str> =
                groups.iter().filter(|g| !g.fargate).flat_map(|g| &g.types).map(|t| t.name.as_str()).collect();
            if !launched.contains(&instance_type.as_str()) {
                let hint =
                    suggest(&instance_type, &launched).map(|k| format!(" (did you mean {k:?}?)")).unwrap_or_default();
                let n = f.node("instance_type")?;
                r.error(
                    &n.span,
                    &f.path("instance_type"),
                    format!(
                        "expected an instance type an instance group launches ({}), found {instance_type:?}{hint}",
                        launched.join(", ")
                    ),
                );
                return None;
            }
            let z = zone(r);
            if f.has("zone") && z.is_none() {
                return None;
            }
            Action::InsufficientCapacity { instance_type, zone: z, duration: duration? }
        }
        17 => {
            let spot =
                r.opt_enum(&f, "capacity_provider", &[("FARGATE_SPOT", true), ("FARGATE", false)]).unwrap_or(true);
            if !f.has("duration") {
                r.missing(&f, "duration", "how long the capacity is unavailable, e.g. \"30m\"");
            }
            let duration = r.opt_duration(&f, "duration");
            let z = zone(r);
            if f.has("zone") && z.is_none() {
                return None;
            }
            Action::FargateCapacityUnavailable { spot, zone: z, duration: duration? }
        }
        _ => {
            let task = r.opt_str(&f, "task");
            let count = r.opt_u32(&f, "count", 1, 5000).unwrap_or(1);
            let reason =
                r.opt_str(&f, "reason").unwrap_or_else(|| "Task stopped by the scenario timeline (StopTask)".into());
            Action::StopTask { service: service(r)?, task, count, reason }
        }
    };
    Some(TimelineEvent { at: SimTime(at?.0), action })
}
