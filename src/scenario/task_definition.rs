//! Reads a task definition in AWS's own shape (RegisterTaskDefinition input, or the
//! describe-task-definition wrapper) and applies the checks AWS applies at registration.

use super::behavior::read_behavior;
use super::node::{Node, Value};
use super::reader::{Fields, NameRule, Reader, join};
use crate::ecs::container_health::HealthCheck;
use crate::ecs::placement::{Constraint, query};
use crate::ecs::task_definition::{
    Behavior, ContainerDefinition, Dependency, DependencyCondition, NetworkMode, PortMapping, Protocol, TaskDefinition,
};
use crate::engine::SimDuration;

/// Task definition fields ecsim reads.
pub(crate) const SIMULATED: &[&str] =
    &["family", "containerDefinitions", "cpu", "memory", "networkMode", "placementConstraints", "revision"];
/// AWS fields accepted as they are (RegisterTaskDefinition input and describe output).
pub(crate) const AWS_OTHER: &[&str] = &[
    "taskRoleArn",
    "executionRoleArn",
    "volumes",
    "requiresCompatibilities",
    "tags",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
    "enableFaultInjection",
    "taskDefinitionArn",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "deregisteredAt",
    "deleteRequestedAt",
    "registeredBy",
];
pub(crate) const CONTAINER_SIMULATED: &[&str] = &[
    "name",
    "image",
    "cpu",
    "memory",
    "memoryReservation",
    "essential",
    "portMappings",
    "stopTimeout",
    "healthCheck",
    "dependsOn",
    "startTimeout",
    "resourceRequirements",
];
pub(crate) const CONTAINER_OTHER: &[&str] = &[
    "repositoryCredentials",
    "links",
    "restartPolicy",
    "entryPoint",
    "command",
    "environment",
    "environmentFiles",
    "mountPoints",
    "volumesFrom",
    "linuxParameters",
    "secrets",
    "versionConsistency",
    "hostname",
    "user",
    "workingDirectory",
    "disableNetworking",
    "privileged",
    "readonlyRootFilesystem",
    "dnsServers",
    "dnsSearchDomains",
    "extraHosts",
    "dockerSecurityOptions",
    "interactive",
    "pseudoTerminal",
    "dockerLabels",
    "ulimits",
    "logConfiguration",
    "healthCheck",
    "systemControls",
    "firelensConfiguration",
    "credentialSpecs",
];
pub(crate) const PORT_FIELDS: &[&str] =
    &["containerPort", "hostPort", "protocol", "name", "appProtocol", "containerPortRange"];

/// Reads one task definition. `scenario_fields` are the simulator's own keys allowed beside AWS's
/// (`behavior`, `file`); `behavior_node` comes from the scenario when the AWS part is a file.
pub fn read_task_definition(
    r: &mut Reader<'_>,
    node: &Node,
    path: &str,
    scenario_fields: &[&str],
    behavior_node: Option<(&Node, String)>,
) -> Option<TaskDefinition> {
    // describe-task-definition output wraps the object.
    if let Some(inner) = node.get("taskDefinition")
        && matches!(inner.value, Value::Table(_))
    {
        let p = join(path, "taskDefinition");
        return read_task_definition(r, inner, &p, scenario_fields, behavior_node);
    }
    let known: Vec<&str> = SIMULATED.iter().chain(scenario_fields).copied().collect();
    let f = r.table_with(node, path, &known, AWS_OTHER)?;
    let family = r.req_name(&f, "family", "the task definition family", NameRule::Aws);
    let revision = r.opt_u32(&f, "revision", 1, 1_000_000);
    let network_mode = read_network_mode(r, &f);
    let cpu = read_units(r, &f, "cpu", Units::Cpu);
    let memory_mib = read_units(r, &f, "memory", Units::Memory);
    // Task-level memory written but unreadable has its own error: the containers are then not
    // also told they lack memory.
    let containers = read_containers(r, &f, network_mode.unwrap_or(NetworkMode::Bridge), f.has("memory"));
    if let Some(mode) = network_mode.filter(|_| super::fargate::requires_fargate(&f)) {
        super::fargate::check(r, &f, cpu, memory_mib, mode);
    }
    let placement_constraints = read_td_constraints(r, &f);
    let behavior = match behavior_node {
        Some((n, p)) => read_behavior(r, n, &p),
        None => match f.node("behavior") {
            Some(n) => read_behavior(r, n, &f.path("behavior")),
            None => Some(Behavior::default()),
        },
    };
    let containers = containers?;
    let mut behavior = behavior;
    if let Some(b) = &mut behavior {
        for cb in &b.containers {
            if !containers.iter().any(|c| c.name == cb.name) {
                r.error(
                    &node.span,
                    path,
                    format!("behavior.containers names {:?}, which this task definition does not have", cb.name),
                );
            }
        }
        for c in &containers {
            for d in &c.depends_on {
                let dep = &containers[d.container];
                let exits = b.containers.iter().any(|cb| cb.name == dep.name);
                if matches!(d.condition, DependencyCondition::Complete | DependencyCondition::Success) && !exits {
                    // AWS registers this; what the container does is the image's business. An
                    // init container that exits 0 at once is the reading that lets the task
                    // start; `behavior.containers` models its real work.
                    r.assumed.push(format!(
                        "{}: container {:?} exits with code 0 as soon as it starts ({:?} waits for it with {}; give it a run time in behavior.containers)",
                        if path.is_empty() { "task definition" } else { path },
                        dep.name,
                        c.name,
                        d.condition.as_str()
                    ));
                    b.containers.push(crate::ecs::task_definition::ContainerBehavior {
                        name: dep.name.clone(),
                        run: SimDuration::ZERO,
                        exit_code: 0,
                    });
                }
            }
        }
    }
    if let Some(Behavior { fault: Some(f), .. }) = &behavior {
        let checked = containers.iter().any(|c| c.essential && c.health_check.is_some());
        if f.kind == crate::ecs::task_definition::FaultKind::ContainerHealth && !checked {
            r.error(
                &node.span,
                path,
                "behavior.fault container_health_failure needs an essential container with a healthCheck",
            );
        }
    }
    if let (Some(task_cpu), true) = (cpu, !containers.is_empty()) {
        let sum: u32 = containers.iter().map(|c| c.cpu).sum();
        if task_cpu > 0 && sum > task_cpu {
            r.error(
                &f.node("cpu").and_then(|n| n.span.clone()),
                &f.path("cpu"),
                format!("the containers' cpu adds up to {sum} units, more than the task-level cpu {task_cpu}"),
            );
        }
    }
    if let Some(task_mem) = memory_mib {
        let sum: u32 = containers.iter().filter_map(|c| c.memory_mib).sum();
        if task_mem > 0 && sum > task_mem {
            r.error(
                &f.node("memory").and_then(|n| n.span.clone()),
                &f.path("memory"),
                format!("the containers' memory adds up to {sum} MiB, more than the task-level memory {task_mem} MiB"),
            );
        }
    }
    Some(TaskDefinition {
        family: family?,
        revision: revision.unwrap_or(0),
        // Set by the scenario for a file without a revision; what a scenario writes stands.
        revision_assigned: false,
        network_mode: network_mode?,
        cpu,
        memory_mib,
        containers,
        placement_constraints: placement_constraints?,
        behavior: behavior?,
    })
}

fn read_network_mode(r: &mut Reader<'_>, f: &Fields<'_>) -> Option<NetworkMode> {
    let Some(node) = f.node("networkMode") else { return Some(NetworkMode::Bridge) };
    if matches!(node.value, Value::Null) {
        return Some(NetworkMode::Bridge);
    }
    let s = r.str_value(node, &f.path("networkMode"))?;
    match s.as_str() {
        "bridge" => Some(NetworkMode::Bridge),
        "host" => Some(NetworkMode::Host),
        "awsvpc" => Some(NetworkMode::Awsvpc),
        "none" => Some(NetworkMode::None),
        "default" => {
            r.error(&node.span, &f.path("networkMode"), "Invalid networkMode \"default\": the valid values are none, bridge, awsvpc and host (the docs' <default> means leaving networkMode unset: bridge on Linux, NAT on Windows)");
            None
        }
        other => {
            r.error(
                &node.span,
                &f.path("networkMode"),
                format!(
                    "expected one of bridge, host, awsvpc, none, found {other:?}{}",
                    super::reader::placeholder_note(node)
                ),
            );
            None
        }
    }
}

#[derive(Clone, Copy)]
enum Units {
    Cpu,
    Memory,
}

/// Task-level cpu/memory: a number, or a string like "256", "1 vCPU", "0.5 vcpu", "2 GB", "512 MiB".
fn read_units(r: &mut Reader<'_>, f: &Fields<'_>, key: &str, units: Units) -> Option<u32> {
    let node = f.node(key)?;
    let path = f.path(key);
    let parsed = match &node.value {
        Value::Null => return None,
        Value::Int(i) if *i >= 0 && *i <= i64::from(u32::MAX) => Some(*i as f64),
        Value::Str(s) => parse_unit_string(s, units),
        _ => None,
    };
    let what = match units {
        Units::Cpu => "CPU units as a number or a string like \"256\" or \"1 vCPU\"",
        Units::Memory => "MiB as a number or a string like \"512\" or \"2 GB\"",
    };
    match parsed {
        Some(v) if v.fract() == 0.0 && v >= 1.0 && v <= f64::from(u32::MAX) => Some(v as u32),
        _ => {
            let note = super::reader::placeholder_note(node);
            r.error(&node.span, &path, format!("expected {what}, found {}{note}", node.describe()));
            None
        }
    }
}

fn parse_unit_string(s: &str, units: Units) -> Option<f64> {
    let t = s.trim().to_ascii_lowercase();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().ok()?;
    let factor = match (units, unit.trim()) {
        (_, "") => 1.0,
        (Units::Cpu, "vcpu" | "vcpus") => 1024.0,
        (Units::Memory, "gb" | "gib") => 1024.0,
        (Units::Memory, "mb" | "mib") => 1.0,
        _ => return None,
    };
    Some(n * factor)
}

fn read_containers(
    r: &mut Reader<'_>,
    f: &Fields<'_>,
    mode: NetworkMode,
    task_memory_given: bool,
) -> Option<Vec<ContainerDefinition>> {
    let Some(node) = f.node("containerDefinitions") else {
        r.missing(f, "containerDefinitions", "at least one container");
        return None;
    };
    let path = f.path("containerDefinitions");
    let items = r.array(node, &path)?;
    if items.is_empty() || items.len() > 10 {
        r.error(&node.span, &path, format!("expected 1 to 10 container definitions, found {}", items.len()));
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        match read_container(r, item, &p, mode, task_memory_given) {
            Some(c) => {
                if out.iter().any(|o: &ContainerDefinition| o.name == c.name) {
                    r.error(
                        &item.span,
                        &p,
                        format!("container name {:?} is used twice in this task definition", c.name),
                    );
                }
                out.push(c);
            }
            None => ok = false,
        }
    }
    if ok {
        ok = read_dependencies(r, items, &path, &mut out);
    }
    if ok && !out.iter().any(|c| c.essential) {
        r.error(
            &node.span,
            &path,
            "Task definition does not have any essential container: at least one container must be essential",
        );
    }
    ok.then_some(out)
}

fn read_container(
    r: &mut Reader<'_>,
    node: &Node,
    path: &str,
    mode: NetworkMode,
    task_memory_given: bool,
) -> Option<ContainerDefinition> {
    let f = r.table_with(node, path, CONTAINER_SIMULATED, CONTAINER_OTHER)?;
    let name = r.req_name(&f, "name", "the container's name", NameRule::Aws);
    let image = r.req_str(&f, "image", "the container image");
    let cpu = match f.node("cpu") {
        Some(n) if !matches!(n.value, Value::Null) => {
            r.int_value(n, &f.path("cpu"), 0, 262_144, true).map(|v| v as u32)
        }
        _ => Some(0),
    };
    let label = name.clone().unwrap_or_default();
    let memory = opt_mib(r, &f, "memory", &label);
    let reservation = opt_mib(r, &f, "memoryReservation", &label);
    let essential = r.opt_bool(&f, "essential").unwrap_or(true);
    let stop_timeout = r.opt_u32(&f, "stopTimeout", 0, u32::MAX).map(|s| SimDuration::from_secs(s.into()));
    let start_timeout = r.opt_u32(&f, "startTimeout", 0, u32::MAX).map(|s| SimDuration::from_secs(s.into()));
    let gpus = read_gpus(r, &f);
    if let (Some(Some(m)), Some(Some(res))) = (memory, reservation) {
        // Equal values register (a describe-task-definition output in the corpus has them).
        if m < res {
            r.error(&node.span, path, format!("Invalid setting for container '{label}': 'memory' ({m} MiB) must be greater than or equal to 'memoryReservation' ({res} MiB)"));
        }
    }
    if !task_memory_given && memory == Some(None) && reservation == Some(None) {
        r.error(&node.span, path, format!("Invalid setting for container '{label}'. At least one of 'memory' or 'memoryReservation' must be specified (the task has no task-level memory)."));
    }
    let ports = read_port_mappings(r, &f, mode);
    let health_check = match f.node("healthCheck") {
        Some(n) if !matches!(n.value, Value::Null) => Some(read_health_check(r, n, &f.path("healthCheck"))?),
        _ => None,
    };
    Some(ContainerDefinition {
        name: name?,
        image: image?,
        cpu: cpu?,
        memory_mib: memory?,
        memory_reservation_mib: reservation?,
        essential,
        port_mappings: ports?,
        stop_timeout,
        health_check,
        depends_on: Vec::new(),
        start_timeout,
        gpus: gpus?,
    })
}

/// Every container's `dependsOn`, with the rules AWS applies: the dependency exists, COMPLETE
/// and SUCCESS need a non-essential dependency, HEALTHY one with a healthCheck, no cycles.
fn read_dependencies(r: &mut Reader<'_>, items: &[Node], path: &str, containers: &mut [ContainerDefinition]) -> bool {
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let Some(deps) = item.get("dependsOn") else { continue };
        let p = format!("{path}[{i}].dependsOn");
        let Some(list) = r.array(deps, &p) else {
            ok = false;
            continue;
        };
        for (j, d) in list.iter().enumerate() {
            let dp = format!("{p}[{j}]");
            let Some(df) = r.table(d, &dp, &["containerName", "condition"]) else {
                ok = false;
                continue;
            };
            let name = r.req_str(&df, "containerName", "the container depended on");
            if !df.has("condition") {
                r.missing(&df, "condition", "START, COMPLETE, SUCCESS or HEALTHY");
            }
            let condition = r.opt_enum(
                &df,
                "condition",
                &[
                    ("START", DependencyCondition::Start),
                    ("COMPLETE", DependencyCondition::Complete),
                    ("SUCCESS", DependencyCondition::Success),
                    ("HEALTHY", DependencyCondition::Healthy),
                ],
            );
            let (Some(name), Some(condition)) = (name, condition) else {
                ok = false;
                continue;
            };
            let Some(target) = containers.iter().position(|c| c.name == name) else {
                r.error(
                    &d.span,
                    &dp,
                    format!("dependsOn names container {name:?}, which this task definition does not have"),
                );
                ok = false;
                continue;
            };
            let dep = &containers[target];
            let problem = match condition {
                DependencyCondition::Complete | DependencyCondition::Success if dep.essential => Some(format!(
                    "container {name:?} is essential; a {} dependency must be on a non-essential container",
                    condition.as_str()
                )),
                DependencyCondition::Healthy if dep.health_check.is_none() => {
                    Some(format!("container {name:?} has no healthCheck; a HEALTHY dependency needs one"))
                }
                _ if target == i => Some("a container cannot depend on itself".to_string()),
                _ => None,
            };
            if let Some(msg) = problem {
                r.error(&d.span, &dp, msg);
                ok = false;
                continue;
            }
            containers[i].depends_on.push(Dependency { container: target, condition });
        }
    }
    // Cycles: repeatedly remove containers whose dependencies are all removed.
    let n = containers.len();
    let mut done = vec![false; n];
    for _ in 0..n {
        for i in 0..n {
            if !done[i] && containers[i].depends_on.iter().all(|d| done[d.container]) {
                done[i] = true;
            }
        }
    }
    if let Some(i) = done.iter().position(|d| !d) {
        r.error(&items[i].span, &format!("{path}[{i}].dependsOn"), "the containers' dependsOn form a cycle");
        ok = false;
    }
    ok
}

/// A container `healthCheck`, with ECS's ranges and defaults (SCHEDULING.md §1.7).
fn read_health_check(r: &mut Reader<'_>, node: &Node, path: &str) -> Option<HealthCheck> {
    let f = r.table(node, path, &["command", "interval", "timeout", "retries", "startPeriod"])?;
    // The API takes any non-empty list: ["CMD", ...], ["CMD-SHELL", "..."], or an exec form
    // such as ["/healthcheck"] (the ADOT collector's, which works as written).
    match r.opt_str_list(&f, "command") {
        Some(cmd) if !cmd.is_empty() => {}
        Some(_) => {
            let n = f.node("command").unwrap_or(node);
            r.error(
                &n.span,
                &f.path("command"),
                "expected a non-empty command, e.g. [\"CMD-SHELL\", \"curl -f localhost\"]",
            );
        }
        None if !f.has("command") => {
            r.missing(&f, "command", "the check command, e.g. [\"CMD-SHELL\", \"curl -f localhost\"]")
        }
        None => {}
    }
    let d = HealthCheck::default();
    let secs = |v: u32| SimDuration::from_secs(v.into());
    let hc = HealthCheck {
        interval: r.opt_u32(&f, "interval", 5, 300).map_or(d.interval, secs),
        timeout: r.opt_u32(&f, "timeout", 2, 60).map_or(d.timeout, secs),
        retries: r.opt_u32(&f, "retries", 1, 10).unwrap_or(d.retries),
        start_period: r.opt_u32(&f, "startPeriod", 0, 300).map_or(d.start_period, secs),
    };
    Some(hc)
}

/// `resourceRequirements`: GPUs (type GPU, value a count as a string); InferenceAccelerator is
/// accepted and not simulated.
fn read_gpus(r: &mut Reader<'_>, f: &Fields<'_>) -> Option<u32> {
    let Some(items) = r.opt_array(f, "resourceRequirements") else { return Some(0) };
    let path = f.path("resourceRequirements");
    let mut gpus = 0;
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let rf = r.table(item, &p, &["type", "value"])?;
        let kind = r.opt_enum(&rf, "type", &[("GPU", true), ("InferenceAccelerator", false)])?;
        let value = rf.node("value").and_then(|n| r.int_value(n, &rf.path("value"), 1, 64, true));
        if kind {
            gpus += value? as u32;
        }
    }
    Some(gpus)
}

/// `Some(None)`: absent or null; `None`: invalid (reported).
/// A container's `memory` or `memoryReservation` in MiB; Docker's floor of 6 MiB is AWS's too.
fn opt_mib(r: &mut Reader<'_>, f: &Fields<'_>, key: &str, container: &str) -> Option<Option<u32>> {
    match f.node(key) {
        None => Some(None),
        Some(n) => {
            let v = r.int_value(n, &f.path(key), 0, i64::from(u32::MAX), true)?;
            if v < 6 {
                let msg =
                    format!("Invalid setting for container '{container}': '{key}' must be at least 6 MiB (found {v})");
                r.error(&n.span, &f.path(key), msg);
                return None;
            }
            Some(Some(v as u32))
        }
    }
}

fn read_port_mappings(r: &mut Reader<'_>, f: &Fields<'_>, mode: NetworkMode) -> Option<Vec<PortMapping>> {
    let Some(items) = r.opt_array(f, "portMappings") else { return Some(Vec::new()) };
    let path = f.path("portMappings");
    if mode == NetworkMode::None && !items.is_empty() {
        r.error(
            &f.node("portMappings").and_then(|n| n.span.clone()),
            &path,
            "networkMode \"none\" does not allow port mappings",
        );
        return None;
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let pf = r.table(item, &p, PORT_FIELDS)?;
        if pf.has("containerPortRange") && !pf.has("containerPort") {
            // Port ranges map to dynamic host ports; they hold no static port.
            continue;
        }
        let Some(cp) = pf.node("containerPort") else {
            r.missing(&pf, "containerPort", "the port the container listens on");
            continue;
        };
        let container_port = r.int_value(cp, &pf.path("containerPort"), 1, 65535, true)? as u16;
        let host_port = match pf.node("hostPort") {
            None => None,
            Some(n) if matches!(n.value, Value::Null) => None,
            Some(n) => match r.int_value(n, &pf.path("hostPort"), 0, 65535, true)? {
                0 => None,
                h => Some(h as u16),
            },
        };
        if matches!(mode, NetworkMode::Awsvpc | NetworkMode::Host) && host_port.is_some_and(|h| h != container_port) {
            let m = mode.as_str();
            r.error(&item.span, &pf.path("hostPort"), format!("When networkMode={m}, the host ports and container ports in port mappings must match (hostPort {}, containerPort {container_port})", host_port.unwrap_or(0)));
        }
        let protocol =
            r.opt_enum(&pf, "protocol", &[("tcp", Protocol::Tcp), ("udp", Protocol::Udp)]).unwrap_or(Protocol::Tcp);
        out.push(PortMapping { container_port, host_port, protocol });
    }
    Some(out)
}

fn read_td_constraints(r: &mut Reader<'_>, f: &Fields<'_>) -> Option<Vec<Constraint>> {
    let Some(items) = r.opt_array(f, "placementConstraints") else { return Some(Vec::new()) };
    let path = f.path("placementConstraints");
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        match read_constraint(r, item, &p)? {
            Constraint::DistinctInstance => {
                r.error(
                    &item.span,
                    &p,
                    "distinctInstance is not allowed in a task definition (only in a service or RunTask)",
                );
                return None;
            }
            c => out.push(c),
        }
    }
    Some(out)
}

/// One placement constraint: `{type = "distinctInstance"}` or `{type = "memberOf", expression}`.
pub fn read_constraint(r: &mut Reader<'_>, node: &Node, path: &str) -> Option<Constraint> {
    let f = r.table(node, path, &["type", "expression"])?;
    #[derive(Clone, Copy)]
    enum T {
        Distinct,
        MemberOf,
    }
    if !f.has("type") {
        r.missing(&f, "type", "distinctInstance or memberOf");
        return None;
    }
    let t = r.opt_enum(&f, "type", &[("distinctInstance", T::Distinct), ("memberOf", T::MemberOf)])?;
    match t {
        T::Distinct => {
            if f.has("expression") {
                r.error(
                    &f.node("expression").and_then(|n| n.span.clone()),
                    &f.path("expression"),
                    "distinctInstance takes no expression",
                );
                return None;
            }
            Some(Constraint::DistinctInstance)
        }
        T::MemberOf => {
            let expression = r.req_str(&f, "expression", "a cluster query language expression")?;
            match query::parse(&expression) {
                Ok(expr) => Some(Constraint::MemberOf { expression, expr }),
                Err(e) => {
                    let n = f.node("expression").unwrap_or(node);
                    // Point at the column inside the string (after its opening quote).
                    let span = n.span.clone().map(|s| {
                        let at = (s.start + 1 + byte_offset(&expression, e.column - 1)).min(s.end);
                        at..at + 1
                    });
                    r.error(
                        &span,
                        &f.path("expression"),
                        format!("invalid expression at column {}: {}", e.column, e.message),
                    );
                    None
                }
            }
        }
    }
}

fn byte_offset(s: &str, chars: usize) -> usize {
    s.char_indices().nth(chars).map_or(s.len(), |(i, _)| i)
}
