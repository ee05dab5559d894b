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
