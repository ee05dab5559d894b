//! `[[capacity_providers]]`: CreateCapacityProvider input or a describe-capacity-providers entry,
//! verbatim; its Auto Scaling group is one of the scenario's instance groups, by name or by the
//! group's ARN (`...:autoScalingGroupName/NAME`).

use super::node::Node;
use super::reader::{NameRule, Reader};
use crate::ecs::capacity_provider::{CapacityProviderSpec, ManagedScaling};
use crate::engine::SimDuration;
use crate::ids::GroupId;

pub(crate) const SIMULATED: &[&str] = &["name", "autoScalingGroupProvider"];
pub(crate) const AWS_OTHER: &[&str] =
    &["capacityProviderArn", "status", "updateStatus", "updateStatusReason", "tags", "clusterName", "type"];
pub(crate) const ASG_PROVIDER_KEYS: &[&str] =
    &["autoScalingGroupArn", "managedScaling", "managedTerminationProtection", "managedDraining"];
pub(crate) const MANAGED_SCALING_KEYS: &[&str] =
    &["status", "targetCapacity", "minimumScalingStepSize", "maximumScalingStepSize", "instanceWarmupPeriod"];

/// The group an `autoScalingGroupArn` names: the part after `autoScalingGroupName/`, or the whole
/// string.
fn group_name(arn: &str) -> &str {
    arn.rsplit_once("autoScalingGroupName/").map_or(arn, |(_, name)| name)
}

pub fn read_capacity_provider(
    r: &mut Reader<'_>,
    node: &Node,
    path: &str,
    groups: &[String],
) -> Option<CapacityProviderSpec> {
    let f = r.table_with(node, path, SIMULATED, AWS_OTHER)?;
    let name = r.req_name(&f, "name", "the capacity provider's name", NameRule::Aws);
    if let Some(n) = &name
        && (n.starts_with("aws") || n.starts_with("ecs") || n.starts_with("fargate"))
    {
        let at = f.node("name").and_then(|n| n.span.clone());
        r.error(&at, &f.path("name"), "The capacity provider name cannot begin with 'aws', 'ecs', or 'fargate'.");
    }
    let Some(asg) = f.node("autoScalingGroupProvider") else {
        r.missing(&f, "autoScalingGroupProvider", "the Auto Scaling group it provides");
        return None;
    };
    let p = f.path("autoScalingGroupProvider");
    let af = r.table(asg, &p, ASG_PROVIDER_KEYS)?;
    let arn = r.req_str(&af, "autoScalingGroupArn", "the instance group it provides (its name or ARN)");
    let group = arn.and_then(|arn| {
        let wanted = group_name(&arn);
        match groups.iter().position(|g| g == wanted) {
            Some(i) => Some(GroupId(i as u16)),
            None => {
                let at = af.node("autoScalingGroupArn").and_then(|n| n.span.clone());
                let known = if groups.is_empty() { "none".to_string() } else { groups.join(", ") };
                r.error(
                    &at,
                    &af.path("autoScalingGroupArn"),
                    format!("expected one of the scenario's instance groups ({known}), found {wanted:?}"),
                );
                None
            }
        }
    });
    let enabled = |r: &mut Reader<'_>, f: &super::reader::Fields<'_>, key: &str, default: bool| {
        r.opt_enum(f, key, &[("ENABLED", true), ("DISABLED", false)]).unwrap_or(default)
    };
    let managed_scaling = match af.node("managedScaling") {
        None => None,
        Some(ms) => {
            let mp = af.path("managedScaling");
            let mf = r.table(ms, &mp, MANAGED_SCALING_KEYS)?;
            let d = ManagedScaling::default();
            let scaling = ManagedScaling {
                target_capacity: r.opt_u32(&mf, "targetCapacity", 1, 100).unwrap_or(d.target_capacity),
                minimum_scaling_step_size: r
                    .opt_u32(&mf, "minimumScalingStepSize", 1, 10_000)
                    .unwrap_or(d.minimum_scaling_step_size),
                maximum_scaling_step_size: r
                    .opt_u32(&mf, "maximumScalingStepSize", 1, 10_000)
                    .unwrap_or(d.maximum_scaling_step_size),
                instance_warmup_period: r
                    .opt_u32(&mf, "instanceWarmupPeriod", 0, 10_000)
                    .map_or(d.instance_warmup_period, |s| SimDuration::from_secs(u64::from(s))),
            };
            if scaling.minimum_scaling_step_size > scaling.maximum_scaling_step_size {
                r.error(&ms.span, &mp, "minimumScalingStepSize must not exceed maximumScalingStepSize");
            }
            // The console turns it on; the API leaves it off unless `status` says ENABLED.
            enabled(r, &mf, "status", false).then_some(scaling)
        }
    };
    let managed_termination_protection = enabled(r, &af, "managedTerminationProtection", false);
    if managed_termination_protection && managed_scaling.is_none() {
        let at = af.node("managedTerminationProtection").and_then(|n| n.span.clone());
        r.error(
            &at,
            &af.path("managedTerminationProtection"),
            "The managed termination protection setting for the capacity provider is invalid. To enable managed termination protection for a capacity provider, managed scaling must also be enabled.",
        );
    }
    let managed_draining = enabled(r, &af, "managedDraining", true);
    Some(CapacityProviderSpec {
        name: name?,
        group: group?,
        managed_scaling,
        managed_termination_protection,
        managed_draining,
    })
}

/// What a capacity provider strategy can name: the scenario's providers, those associated with
/// the cluster (`[cluster] capacityProviders`; all of them when it is not given), and the
/// cluster's default strategy.
#[derive(Clone, Debug, Default)]
pub struct CapacityContext {
    pub names: Vec<String>,
    pub associated: Option<Vec<String>>,
    pub default_strategy: Vec<crate::ecs::capacity_provider_strategy::StrategyItem>,
}

impl CapacityContext {
    /// The index FARGATE (`k` = 0) or FARGATE_SPOT (1) gets among the scenario's capacity
    /// providers: after those the scenario lists (the loader appends both when a service uses
    /// Fargate).
    pub fn fargate_index(&self, k: usize) -> usize {
        self.names.len() + k
    }

    /// Whether the scenario models capacity providers at all (a scenario without them, like an
    /// imported one, runs strategies on its instances, as before).
    pub fn modelled(&self) -> bool {
        !self.names.is_empty()
    }
}

/// A `capacityProviderStrategy` (a service's, RunTask's, or the cluster's default): the items in
/// order, checked as CreateService checks them. An empty result means "no strategy ecsim
/// simulates" (none given, or Auto Scaling group providers in a scenario that defines none:
/// said as an assumption).
pub fn read_strategy(
    r: &mut Reader<'_>,
    items: &[Node],
    path: &str,
    cx: &CapacityContext,
) -> Option<Vec<crate::ecs::capacity_provider_strategy::StrategyItem>> {
    use crate::ecs::capacity_provider::FARGATE_PROVIDERS;
    use crate::ecs::capacity_provider_strategy::StrategyItem;
    let span = |n: &Node| n.span.clone();
    let mut names: Vec<(String, Option<Node>)> = Vec::new();
    let mut out = Vec::new();
    let mut ok = true;
    if items.len() > 6 {
        r.error(
            &items[6].span,
            path,
            format!("expected at most 6 capacity providers in a strategy, found {}", items.len()),
        );
        return None;
    }
    for (i, item) in items.iter().enumerate() {
        let ip = format!("{path}[{i}]");
        let Some(cf) = r.table(item, &ip, &["capacityProvider", "weight", "base"]) else {
            ok = false;
            continue;
        };
        let name = r.req_str(&cf, "capacityProvider", "the capacity provider's name");
        let weight = r.opt_u32(&cf, "weight", 0, 1000).unwrap_or(0);
        let base = r.opt_u32(&cf, "base", 0, 100_000).unwrap_or(0);
        let Some(name) = name else {
            ok = false;
            continue;
        };
        if names.iter().any(|(n, _)| *n == name) {
            r.error(&span(item), &ip, format!("capacity provider {name:?} is listed twice in the strategy"));
            ok = false;
        }
        names.push((name.clone(), cf.node("capacityProvider").cloned()));
        let associated = cx.associated.as_ref().is_none_or(|a| a.contains(&name));
        // FARGATE and FARGATE_SPOT follow the scenario's own providers (see `fargate_index`).
        let fargate = FARGATE_PROVIDERS.iter().position(|f| *f == name);
        if fargate.is_none() && !cx.modelled() {
            continue;
        }
        let position = match fargate {
            Some(k) => Some(cx.fargate_index(k)),
            None => cx.names.iter().position(|n| *n == name),
        };
        match position {
            Some(p) if associated => out.push(StrategyItem { provider: p, base, weight }),
            _ => {
                let at = cf.node("capacityProvider").and_then(span);
                r.error(&at, &format!("{ip}.capacityProvider"), format!("The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster ({name:?}; associated: {}). Associate the capacity provider with the cluster or specify a valid capacity provider and try again.", cx.associated.clone().unwrap_or_else(|| cx.names.clone()).join(", ")));
                ok = false;
            }
        }
    }
    let fargate = names.iter().filter(|(n, _)| FARGATE_PROVIDERS.contains(&n.as_str())).count();
    if fargate > 0 && fargate < names.len() {
        r.error(&items.first().and_then(span), path, "The specified capacity provider strategy cannot contain a mix of capacity providers using Auto Scaling groups and Fargate providers. Specify one or the other and try again.");
        return None;
    }
    let weights: Vec<u32> = items
        .iter()
        .filter_map(|n| n.get("weight"))
        .filter_map(|w| match w.value {
            super::node::Value::Int(i) => Some(i as u32),
            _ => None,
        })
        .collect();
    if !items.is_empty() && weights.iter().all(|w| *w == 0) {
        r.error(&items.first().and_then(span), path, "The specified capacity provider strategy must contain at least one capacity provider with a weight greater than zero.");
        return None;
    }
    let bases = items
        .iter()
        .filter_map(|n| n.get("base"))
        .filter(|b| matches!(b.value, super::node::Value::Int(i) if i > 0))
        .count();
    if bases > 1 {
        r.error(&items.first().and_then(span), path, "The specified capacity provider strategy cannot contain more than one capacity provider with a base value greater than zero.");
        return None;
    }
    if !names.is_empty() && fargate == 0 && !cx.modelled() {
        let list: Vec<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
        r.assumed.push(format!(
            "{path}: {} — tasks are placed on the scenario's EC2 container instances (the scenario defines no [[capacity_providers]])",
            list.join(", ")
        ));
    }
    ok.then_some(out)
}
