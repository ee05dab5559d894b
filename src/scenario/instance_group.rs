//! Reads `[[instance_groups]]`: an Auto Scaling group's worth of container instances, by
//! instance type (ENIs, GPUs and registered resources from the built-in table) or by CPU and
//! memory, with attributes, zones, launch and replacement times and the agent's settings.

use super::load::lookup;
use super::model::Pricing;
use super::node::{Node, Value};
use super::reader::{Fields, NameRule, Reader, suggest};
use crate::cluster::{InstanceGroupSpec, InstanceTypeSpec, instance_types};
use crate::engine::SimDuration;
use crate::ids::ZoneId;

/// The keys of an `[[instance_groups]]` table.
pub(crate) const GROUP_KEYS: &[&str] = &[
    "name",
    "instance_type",
    "instance_types",
    "allocation_strategy",
    "cpu",
    "memory_mib",
    "count",
    "count_by_type",
    "min_size",
    "max_size",
    "zones",
    "attributes",
    "launch_time",
    "replacement_delay",
    "health_check_grace_period",
    "spot_instance_draining",
    "az_rebalance",
    "max_enis",
    "awsvpc_task_limit",
    "agent_version",
    "gpus",
    "reserved_memory_mib",
];

/// The agent version instances run unless their group says otherwise.
const DEFAULT_AGENT_VERSION: &str = "1.90.0";

pub(super) fn read_group(
    r: &mut Reader<'_>,
    node: &Node,
    path: &str,
    zones: &[String],
    pricing: Option<&Pricing>,
) -> Option<InstanceGroupSpec> {
    let f = r.table(node, path, GROUP_KEYS)?;
    let name = r.req_name(&f, "name", "the group's name", NameRule::Aws);
    if !f.has("count") && !f.has("count_by_type") {
        r.missing(&f, "count", "how many instances the group starts with");
    }
    let mut count = r.opt_u32(&f, "count", 0, 5000);
    // EC2 Auto Scaling's sizes; without them the group may grow to ECS's limit of container
    // instances per cluster.
    let min_size = r.opt_u32(&f, "min_size", 0, 5000).unwrap_or(0);
    let max_size = r.opt_u32(&f, "max_size", 0, 5000).unwrap_or(5000);
    let mut types = read_types(r, &f, node, path)?;
    // The initial fleet by type (names and counts, in the order given).
    let mut by_type: Vec<(String, u32)> = Vec::new();
    if let Some(n) = f.node("count_by_type") {
        let p = f.path("count_by_type");
        let Value::Table(entries) = &n.value else {
            r.error(&n.span, &p, format!("expected a table of instance types to counts, found {}", n.describe()));
            return None;
        };
        if !f.has("instance_types") {
            r.error(&n.span, &p, "expected `instance_types` with `count_by_type` (the types a mixed group launches)");
            return None;
        }
        for e in entries {
            let ep = format!("{p}.{}", e.key);
            if !types.iter().any(|t| t.name == e.key) {
                let names: Vec<&str> = types.iter().map(|t| t.name.as_str()).collect();
                r.error(
                    &e.key_span,
                    &ep,
                    format!("expected one of the group's instance_types ({}), found {:?}", names.join(", "), e.key),
                );
                continue;
            }
            if let Some(c) = r.int_value(&e.node, &ep, 0, 5000, false) {
                by_type.push((e.key.clone(), c as u32));
            }
        }
        let total: u32 = by_type.iter().map(|(_, c)| c).sum();
        match count {
            Some(c) if c != total => {
                let cn = f.node("count").unwrap_or(node);
                r.error(&cn.span, &f.path("count"), format!("expected the sum of count_by_type ({total}), found {c}"));
            }
            _ => count = Some(total),
        }
    }
    if let Some(c) = count
        && !(min_size <= c && c <= max_size)
    {
        let n = f.node("count").unwrap_or(node);
        r.error(
            &n.span,
            &f.path("count"),
            format!("Desired capacity:{c} must be between the specified min size:{min_size} and max size:{max_size}"),
        );
    }
    let lowest_price = r.opt_enum(&f, "allocation_strategy", &[("prioritized", false), ("lowest-price", true)]);
    if lowest_price == Some(true) {
        // EC2 launches the cheapest type in the zone first; ecsim's prices are the user's.
        let price = |t: &InstanceTypeSpec| pricing?.instance_hour_price(&t.name);
        let unpriced: Vec<&str> = types.iter().filter(|t| price(t).is_none()).map(|t| t.name.as_str()).collect();
        if !unpriced.is_empty() && pricing.is_some() {
            let n = f.node("allocation_strategy").unwrap_or(node);
            r.error(
                &n.span,
                &f.path("allocation_strategy"),
                format!(
                    "\"lowest-price\" orders the types by [pricing] instance_hour, which has no price for {}",
                    unpriced.join(", ")
                ),
            );
        }
        types.sort_by(|a, b| price(a).unwrap_or(f64::MAX).total_cmp(&price(b).unwrap_or(f64::MAX)));
    }
    let group_zones = match f.node("zones") {
        None => Some((0..zones.len()).map(|i| ZoneId(i as u16)).collect::<Vec<_>>()),
        Some(zn) => {
            let items = r.array(zn, &f.path("zones"))?;
            let mut v = Vec::new();
            for (i, z) in items.iter().enumerate() {
                v.push(lookup::<ZoneId>(r, zones, z, &format!("{}[{i}]", f.path("zones")), "zone in cluster.zones")?);
            }
            if v.is_empty() {
                r.error(&zn.span, &f.path("zones"), "expected at least one zone, found an empty list");
                return None;
            }
            Some(v)
        }
    };
    let mut attributes = Vec::new();
    if let Some(an) = f.node("attributes") {
        if let Value::Table(entries) = &an.value {
            for e in entries {
                let p = format!("{}.{}", f.path("attributes"), e.key);
                if let Some(v) = r.str_value(&e.node, &p) {
                    let valid = |s: &str, extra: &str| {
                        !s.is_empty()
                            && s.len() <= 128
                            && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_/.".contains(c) || extra.contains(c))
                    };
                    if !valid(&e.key, "") || !valid(&v, "@: ") || v.trim() != v {
                        r.error(&e.key_span, &p, "expected an attribute name of 1-128 characters [A-Za-z0-9-_/.] and a value of 1-128 characters (also @, : and space, not at the ends)");
                    }
                    attributes.push((e.key.clone(), v));
                }
            }
        } else {
            r.error(
                &an.span,
                &f.path("attributes"),
                format!("expected a table of attribute names to values, found {}", an.describe()),
            );
        }
    }
    attributes.sort();
    let launch_time = r.opt_duration(&f, "launch_time").unwrap_or(SimDuration::from_secs(120));
    let replacement_delay = r.opt_duration(&f, "replacement_delay");
    // The console's default; the API's is 0 (LOAD-BALANCING §5.4).
    let health_check_grace_period =
        r.opt_duration(&f, "health_check_grace_period").unwrap_or(SimDuration::from_secs(300));
    let spot_instance_draining = r.opt_bool(&f, "spot_instance_draining").unwrap_or(false);
    let az_rebalance = r.opt_bool(&f, "az_rebalance").unwrap_or(true);
    let agent_version = r.opt_str(&f, "agent_version").unwrap_or_else(|| DEFAULT_AGENT_VERSION.into());
    Some(InstanceGroupSpec {
        initial_by_type: types
            .iter()
            .enumerate()
            .map(|(k, t)| match by_type.iter().find(|(n, _)| *n == t.name) {
                Some((_, c)) => *c,
                // Without count_by_type every initial instance is of the first type.
                None if by_type.is_empty() && k == 0 => count.unwrap_or(0),
                None => 0,
            })
            .collect(),
        name: name?,
        types,
        count: count?,
        min_size,
        max_size,
        zones: group_zones?,
        attributes,
        launch_time,
        replacement_delay,
        health_check_grace_period,
        spot_instance_draining,
        az_rebalance,
        fargate: false,
        agent_version,
    })
}

/// The group's instance types: `instance_type` (with `cpu`, `memory_mib`, `max_enis`,
/// `awsvpc_task_limit` and `gpus` to describe or adjust it), or `instance_types`, a mixed
/// instances policy's list taken from the built-in table, in the order of
/// `allocation_strategy` (`prioritized`, EC2 Auto Scaling's default for a list of types, or
/// `lowest-price`, which `[pricing]` orders). `reserved_memory_mib` applies to each.
fn read_types(r: &mut Reader<'_>, f: &Fields<'_>, node: &Node, path: &str) -> Option<Vec<InstanceTypeSpec>> {
    let reserved = r.opt_u32(f, "reserved_memory_mib", 0, u32::MAX).unwrap_or(0);
    let known_names = || -> Vec<&'static str> {
        instance_types::INSTANCE_TYPES
            .iter()
            .map(|t| t.name)
            .chain(instance_types::GPU_TYPES.iter().map(|t| t.0))
            .collect()
    };
    let unknown = |r: &mut Reader<'_>, n: &Node, p: &str, t: &str, extra: &str| {
        let hint = suggest(t, &known_names()).map(|s| format!("did you mean {s:?}? ")).unwrap_or_default();
        r.error(&n.span, p, format!("unknown instance type {t:?}; {hint}{extra}"));
    };
    if let Some(list) = f.node("instance_types") {
        for key in ["instance_type", "cpu", "memory_mib", "max_enis", "awsvpc_task_limit", "gpus"] {
            if let Some(n) = f.node(key) {
                r.error(
                    &n.span,
                    &f.path(key),
                    format!("`{key}` describes a single instance type; with `instance_types` each type's resources come from ecsim's table"),
                );
            }
        }
        let items = r.array(list, &f.path("instance_types"))?;
        if items.is_empty() || items.len() > 40 {
            r.error(
                &list.span,
                &f.path("instance_types"),
                format!("expected 1 to 40 instance types (EC2 Auto Scaling's limit), found {}", items.len()),
            );
            return None;
        }
        let mut types: Vec<InstanceTypeSpec> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let p = format!("{}[{i}]", f.path("instance_types"));
            let name = r.str_value(item, &p)?;
            let Some(t) = instance_types::lookup_any(&name) else {
                unknown(r, item, &p, &name, "a mixed group lists types ecsim knows");
                continue;
            };
            if types.iter().any(|x| x.name == name) {
                r.error(&item.span, &p, format!("expected each instance type once, found {name:?} twice"));
                continue;
            }
            let memory_mib = t.registered_memory_mib().saturating_sub(reserved);
            if memory_mib == 0 {
                r.error(&node.span, path, "reserved_memory_mib leaves the instance no memory for tasks");
            }
            types.push(InstanceTypeSpec {
                name,
                cpu: t.cpu_units(),
                memory_mib,
                arm64: t.arm64,
                gpus: instance_types::gpus(t.name),
                eni_task_slots: t.max_enis - 1,
            });
        }
        if types.len() > 1 && types.iter().any(|t| t.arm64 != types[0].arm64) {
            r.error(&list.span, &f.path("instance_types"), "expected instance types of one CPU architecture (one launch template's AMI runs on either x86_64 or arm64)");
        }
        return (types.len() == items.len()).then_some(types);
    }
    let itype = r.opt_str(f, "instance_type");
    let cpu = r.opt_u32(f, "cpu", 128, 1_048_576);
    let memory = r.opt_u32(f, "memory_mib", 128, u32::MAX);
    let known = itype.as_deref().and_then(instance_types::lookup_any);
    let known = known.as_ref();
    if let (Some(t), None) = (&itype, known)
        && (cpu.is_none() || memory.is_none())
    {
        let n = f.node("instance_type").unwrap_or(node);
        unknown(r, n, &f.path("instance_type"), t, "give `cpu` and `memory_mib` for a type ecsim does not know");
    }
    if itype.is_none() && (cpu.is_none() || memory.is_none()) {
        r.error(
            &node.span,
            path,
            "expected `instance_type` (or `instance_types`), or both `cpu` (units) and `memory_mib`",
        );
    }
    let cpu = cpu.or(known.map(|t| t.cpu_units()));
    let memory = memory.or(known.map(|t| t.registered_memory_mib())).map(|m| m.saturating_sub(reserved));
    if memory == Some(0) {
        r.error(&node.span, path, "reserved_memory_mib leaves the instance no memory for tasks");
    }
    // awsvpc: one ENI per task, all but the primary ENI ([DOC] c5.large: 3 ENIs, 2 tasks);
    // awsvpc_task_limit overrides (awsvpcTrunking raises it, e.g. c5.large to 10).
    let max_enis = r.opt_u32(f, "max_enis", 1, 100).or(known.map(|t| t.max_enis)).unwrap_or(3);
    let eni_task_slots = r.opt_u32(f, "awsvpc_task_limit", 0, 1000).unwrap_or(max_enis - 1);
    let gpus = r.opt_u32(f, "gpus", 0, 64).unwrap_or_else(|| itype.as_deref().map_or(0, instance_types::gpus));
    Some(vec![InstanceTypeSpec {
        name: itype.unwrap_or_else(|| "custom".into()),
        cpu: cpu?,
        memory_mib: memory?,
        arm64: known.is_some_and(|t| t.arm64),
        gpus,
        eni_task_slots,
    }])
}
