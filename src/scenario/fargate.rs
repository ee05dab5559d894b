//! What RegisterTaskDefinition refuses for a task definition that requires FARGATE
//! (`requiresCompatibilities`), with AWS's messages (SCHEDULING.md §2.3, §2.5): task-level `cpu`
//! and `memory` from the table of Fargate sizes, and the awsvpc network mode.

use super::node::Value;
use super::reader::{Fields, Reader};
use crate::ecs::task_definition::NetworkMode;

/// The Fargate sizes: CPU units, and the memory (MiB) each allows: from, to, step.
const SIZES: [(u32, u32, u32, u32); 7] = [
    (256, 512, 2048, 512),
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122880, 8192),
];

/// Whether `cpu` units and `memory_mib` are a Fargate size.
pub fn is_fargate_size(cpu: u32, memory_mib: u32) -> bool {
    SIZES.iter().any(|&(c, from, to, step)| {
        // 256 CPU units allow 512, 1024 and 2048 MiB: a step of 512 from 512, less 1536.
        let in_steps = (from..=to).contains(&memory_mib) && (memory_mib - from).is_multiple_of(step);
        c == cpu && in_steps && !(c == 256 && memory_mib == 1536)
    })
}

/// Whether the task definition requires FARGATE.
pub fn requires_fargate(f: &Fields<'_>) -> bool {
    match f.node("requiresCompatibilities").map(|n| &n.value) {
        Some(Value::Array(items)) => items.iter().any(|n| matches!(&n.value, Value::Str(s) if s == "FARGATE")),
        _ => false,
    }
}

/// AWS's refusals for a FARGATE task definition: reported at the field they concern.
pub fn check(r: &mut Reader<'_>, f: &Fields<'_>, cpu: Option<u32>, memory_mib: Option<u32>, mode: NetworkMode) {
    let span_of = |key: &str| f.node(key).and_then(|n| n.span.clone());
    if mode != NetworkMode::Awsvpc {
        let at = if f.has("networkMode") { "networkMode" } else { "requiresCompatibilities" };
        r.error(&span_of(at), &f.path(at), "Fargate only supports network mode 'awsvpc'.");
    }
    match (f.has("cpu"), f.has("memory"), cpu, memory_mib) {
        (false, _, _, _) => {
            r.error(
                &span_of("requiresCompatibilities"),
                &f.path("cpu"),
                "Fargate requires that 'cpu' be defined at the task level.",
            );
        }
        (_, false, _, _) => {
            r.error(
                &span_of("requiresCompatibilities"),
                &f.path("memory"),
                "Fargate requires that 'memory' be defined at the task level.",
            );
        }
        // Unreadable values have their own error.
        (_, _, Some(c), Some(m)) if !is_fargate_size(c, m) => {
            r.error(
                &span_of("memory"),
                &f.path("memory"),
                format!("No Fargate configuration exists for given values: {c} CPU, {m} memory. See the Amazon ECS documentation for the valid values."),
            );
        }
        _ => {}
    }
}

/// A service on FARGATE or FARGATE_SPOT: AWS's refusals (placement strategies and constraints,
/// a task definition Fargate cannot run, no awsvpc network configuration), and the zones its
/// subnets lie in as a placement constraint ([`None`] when that is every zone). Subnets map to
/// zones through `[cluster] subnets`; without that table a service's tasks may use every zone
/// (said as an assumption).
pub fn service_zones(
    r: &mut Reader<'_>,
    f: &Fields<'_>,
    node: &super::node::Node,
    td: Option<&crate::ecs::task_definition::TaskDefinition>,
    subnets: &[(String, String)],
    zones: &[String],
) -> Option<crate::ecs::placement::Constraint> {
    let span_of = |key: &str| f.node(key).map_or(node.span.clone(), |n| n.span.clone());
    // describe-services writes empty lists for a Fargate service: those say nothing.
    let given = |key: &str| f.node(key).is_some_and(|n| !matches!(&n.value, Value::Array(items) if items.is_empty()));
    if given("placementStrategy") {
        r.error(
            &span_of("placementStrategy"),
            &f.path("placementStrategy"),
            "Placement strategies are not supported with FARGATE launch type.",
        );
    }
    if given("placementConstraints") {
        r.error(
            &span_of("placementConstraints"),
            &f.path("placementConstraints"),
            "Placement constraints are not supported with FARGATE launch type.",
        );
    }
    if let Some(t) = td {
        let sized = t.cpu.zip(t.memory_mib).is_some_and(|(c, m)| is_fargate_size(c, m));
        if t.network_mode != NetworkMode::Awsvpc || !sized {
            r.error(
                &span_of("taskDefinition"),
                &f.path("taskDefinition"),
                format!("Task definition does not support launch_type FARGATE. ({} needs networkMode awsvpc and a task-level cpu and memory of a Fargate size)", t.name()),
            );
        }
    }
    let path = f.path("networkConfiguration.awsvpcConfiguration.subnets");
    let listed =
        f.node("networkConfiguration").and_then(|n| n.get("awsvpcConfiguration")).and_then(|n| n.get("subnets"));
    let Some(listed) = listed else {
        r.error(
            &node.span,
            &f.path("networkConfiguration"),
            "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
        );
        return None;
    };
    let Value::Array(items) = &listed.value else {
        r.error(&listed.span, &path, format!("expected a list of subnet ids, found {}", listed.describe()));
        return None;
    };
    if subnets.is_empty() {
        r.assumed.push(format!(
            "{path}: [cluster] subnets does not map subnets to zones: the tasks may use every zone of the cluster"
        ));
        return None;
    }
    let mut in_zones: Vec<&str> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Value::Str(id) = &item.value else {
            r.error(&item.span, &format!("{path}[{i}]"), format!("expected a subnet id, found {}", item.describe()));
            continue;
        };
        match subnets.iter().find(|(s, _)| s == id) {
            Some((_, z)) if !in_zones.contains(&z.as_str()) => in_zones.push(z),
            Some(_) => {}
            None => {
                let known: Vec<&str> = subnets.iter().map(|(s, _)| s.as_str()).collect();
                r.error(
                    &item.span,
                    &format!("{path}[{i}]"),
                    format!("expected a subnet of [cluster] subnets ({}), found {id:?}", known.join(", ")),
                );
            }
        }
    }
    if in_zones.is_empty() || in_zones.len() == zones.len() {
        return None;
    }
    in_zones.sort_unstable();
    let expression = format!("attribute:ecs.availability-zone in [{}]", in_zones.join(", "));
    let expr = crate::ecs::placement::query::parse(&expression).ok()?;
    Some(crate::ecs::placement::Constraint::MemberOf { expression, expr })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table of SCHEDULING.md §2.3, at its edges.
    #[test]
    fn the_fargate_sizes() {
        for (c, m) in [
            (256, 512),
            (256, 1024),
            (256, 2048),
            (512, 4096),
            (1024, 8192),
            (4096, 30720),
            (8192, 61440),
            (16384, 122880),
        ] {
            assert!(is_fargate_size(c, m), "{c}/{m}");
        }
        for (c, m) in
            [(256, 1536), (256, 4096), (512, 512), (1024, 1024), (8192, 18432), (16384, 36864), (128, 512), (300, 1024)]
        {
            assert!(!is_fargate_size(c, m), "{c}/{m}");
        }
    }
}
