//! Reads target groups in AWS's own shape (CreateTargetGroup input or a describe-target-groups
//! entry) plus ecsim's `load_balancer_type`, `deregistration_delay` and `registration_delay`, and
//! services' `loadBalancers` entries that point at them.

use super::node::{Node, Value};
use super::reader::{NameRule, Reader, suggest};
use crate::ecs::service::LoadBalancer;
use crate::ecs::task_definition::TaskDefinition;
use crate::elb::routing::Routing;
use crate::elb::target_group::{LoadBalancerType, TargetGroupSpec};
use crate::engine::SimDuration;

/// Target group fields ecsim reads (AWS's, then ecsim's own).
pub const SIMULATED: &[&str] = &[
    "TargetGroupName",
    "Name",
    "Protocol",
    "HealthCheckProtocol",
    "HealthCheckIntervalSeconds",
    "HealthCheckTimeoutSeconds",
    "HealthyThresholdCount",
    "UnhealthyThresholdCount",
    "TargetGroupArn",
    "Attributes",
    "load_balancer_type",
    "deregistration_delay",
    "registration_delay",
];
pub(crate) const AWS_OTHER: &[&str] = &[
    "Port",
    "VpcId",
    "HealthCheckPort",
    "HealthCheckPath",
    "HealthCheckEnabled",
    "Matcher",
    "TargetType",
    "Tags",
    "IpAddressType",
    "ProtocolVersion",
    "LoadBalancerArns",
];

/// A target group and its ARN (if given), for resolving services' `targetGroupArn`.
pub struct ReadTargetGroup {
    pub spec: TargetGroupSpec,
    pub arn: Option<String>,
}

pub fn read_target_group(r: &mut Reader<'_>, node: &Node, path: &str) -> Option<ReadTargetGroup> {
    let f = r.table_with(node, path, SIMULATED, AWS_OTHER)?;
    // CreateTargetGroup calls it `Name`; describe-target-groups, `TargetGroupName`.
    let name = if f.has("Name") && !f.has("TargetGroupName") {
        r.opt_name(&f, "Name", NameRule::TargetGroup)
    } else {
        r.req_name(&f, "TargetGroupName", "the target group's name", NameRule::TargetGroup)
    };
    let arn = r.opt_str(&f, "TargetGroupArn");
    let protocol = r.opt_str(&f, "Protocol").unwrap_or_else(|| "HTTP".into());
    let inferred = match protocol.as_str() {
        "TCP" | "UDP" | "TLS" | "TCP_UDP" => LoadBalancerType::Network,
        _ => LoadBalancerType::Application,
    };
    let lb_type = r
        .opt_enum(
            &f,
            "load_balancer_type",
            &[("application", LoadBalancerType::Application), ("network", LoadBalancerType::Network)],
        )
        .unwrap_or(inferred);
    let check_protocol = r.opt_str(&f, "HealthCheckProtocol").unwrap_or_else(|| protocol.clone());
    // ALB guide: 5 s; NLB: 6 s for HTTP checks, 10 s for TCP and HTTPS.
    let default_timeout = match (lb_type, check_protocol.as_str()) {
        (LoadBalancerType::Application, _) => 5,
        (LoadBalancerType::Network, "HTTP") => 6,
        (LoadBalancerType::Network, _) => 10,
    };
    let interval = r.opt_u32(&f, "HealthCheckIntervalSeconds", 5, 300).unwrap_or(30);
    let timeout = r.opt_u32(&f, "HealthCheckTimeoutSeconds", 2, 120).unwrap_or(default_timeout);
    if timeout >= interval {
        let n = f.node("HealthCheckTimeoutSeconds").or(f.node("HealthCheckIntervalSeconds")).unwrap_or(node);
        r.error(
            &n.span,
            path,
            format!(
                "HealthCheckTimeoutSeconds ({timeout}) must be smaller than HealthCheckIntervalSeconds ({interval})"
            ),
        );
    }
    let healthy_threshold = r.opt_u32(&f, "HealthyThresholdCount", 2, 10).unwrap_or(5);
    let unhealthy_threshold = r.opt_u32(&f, "UnhealthyThresholdCount", 2, 10).unwrap_or(2);
    let mut deregistration_delay = r.opt_duration(&f, "deregistration_delay");
    let mut routing = Routing::of(lb_type);
    let mut slow_start = SimDuration::ZERO;
    if let Some(items) = r.opt_array(&f, "Attributes") {
        let p = f.path("Attributes");
        for (i, item) in items.iter().enumerate() {
            let ip = format!("{p}[{i}]");
            let af = r.table(item, &ip, &["Key", "Value"])?;
            let key = r.opt_str(&af, "Key").unwrap_or_default();
            let vp = af.path("Value");
            let value = af.node("Value");
            // "off", or a whole number in range (AWS gives every value as a string).
            let threshold = |r: &mut Reader<'_>, min: i64, max: i64| -> Option<Option<u32>> {
                let n = value?;
                if matches!(&n.value, Value::Str(s) if s == "off") {
                    return Some(None);
                }
                r.int_value(n, &vp, min, max, true).map(|v| Some(v as u32))
            };
            match key.as_str() {
                "deregistration_delay.timeout_seconds" => {
                    let v = value.and_then(|n| r.int_value(n, &vp, 0, 3600, true));
                    deregistration_delay = v.map(|s| SimDuration::from_secs(s as u64)).or(deregistration_delay);
                }
                "slow_start.duration_seconds" => {
                    let v = value.and_then(|n| r.int_value(n, &vp, 0, 900, true)).unwrap_or(0);
                    if (1..30).contains(&v) {
                        r.error(
                            &value.and_then(|n| n.span.clone()),
                            &vp,
                            format!("expected 0 (off) or 30 to 900 seconds, found {v}"),
                        );
                    }
                    slow_start = SimDuration::from_secs(v as u64);
                }
                "load_balancing.cross_zone.enabled" => {
                    let text = value.and_then(|n| r.str_value(n, &vp)).unwrap_or_default();
                    match text.as_str() {
                        "true" => routing.cross_zone = true,
                        "false" => routing.cross_zone = false,
                        "use_load_balancer_configuration" => {}
                        other => r.error(
                            &value.and_then(|n| n.span.clone()),
                            &vp,
                            format!("expected true, false or use_load_balancer_configuration, found {other:?}"),
                        ),
                    }
                }
                "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count" => {
                    routing.routing_failover.count = threshold(r, 1, 5000).flatten().unwrap_or(1);
                }
                "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage" => {
                    routing.routing_failover.percentage = threshold(r, 1, 100).flatten();
                }
                "target_group_health.dns_failover.minimum_healthy_targets.count" => {
                    // "off": never leave DNS for want of healthy targets.
                    routing.dns_failover.count = threshold(r, 1, 5000).map_or(1, |c| c.unwrap_or(0));
                }
                "target_group_health.dns_failover.minimum_healthy_targets.percentage" => {
                    routing.dns_failover.percentage = threshold(r, 1, 100).flatten();
                }
                _ => r.ignored.push(format!("{ip} ({key})")),
            }
        }
    }
    if let (Some(d), Some(n)) = (deregistration_delay, f.node("deregistration_delay"))
        && d > SimDuration::from_secs(3600)
    {
        r.error(&n.span, &f.path("deregistration_delay"), format!("expected at most 3600s, found {d}"));
    }
    let registration_delay = r.opt_duration(&f, "registration_delay").unwrap_or(match lb_type {
        LoadBalancerType::Application => SimDuration::from_secs(5),
        LoadBalancerType::Network => SimDuration::from_secs(60),
    });
    Some(ReadTargetGroup {
        spec: TargetGroupSpec {
            name: name?,
            lb_type,
            interval: SimDuration::from_secs(interval.into()),
            timeout: SimDuration::from_secs(timeout.into()),
            healthy_threshold,
            unhealthy_threshold,
            deregistration_delay: deregistration_delay.unwrap_or(SimDuration::from_secs(300)),
            registration_delay,
            routing,
            slow_start,
        },
        arn,
    })
}

/// A target group's name from its ARN (`...:targetgroup/NAME/ID`); a plain name stays as it is.
pub fn name_from_arn(arn: &str) -> &str {
    arn.split("targetgroup/").nth(1).and_then(|rest| rest.split('/').next()).unwrap_or(arn)
}

/// A service's `loadBalancers` (at most 5 target groups). Without `groups` (a bare service file)
/// the target groups are not resolved.
pub fn read_load_balancers(
    r: &mut Reader<'_>,
    node: &Node,
    path: &str,
    groups: Option<&[(String, Option<String>)]>,
    td: Option<&TaskDefinition>,
) -> Option<Vec<LoadBalancer>> {
    let items = r.array(node, path)?;
    if items.len() > 5 {
        r.error(&node.span, path, format!("expected at most 5 target groups per service, found {}", items.len()));
        return None;
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let f = r.table_with(
            item,
            &p,
            &["targetGroupArn", "containerName", "containerPort", "loadBalancerName"],
            &["advancedConfiguration"],
        )?;
        if f.has("loadBalancerName") {
            r.error(&item.span, &p, "Classic Load Balancers (loadBalancerName) are not simulated; use targetGroupArn");
            return None;
        }
        let arn = r.req_str(&f, "targetGroupArn", "the target group's ARN or name")?;
        let short = name_from_arn(&arn);
        let Some(groups) = groups else {
            r.req_str(&f, "containerName", "the container that receives traffic");
            r.opt_u32(&f, "containerPort", 1, 65535);
            continue;
        };
        let found = groups.iter().position(|(name, a)| a.as_deref() == Some(arn.as_str()) || name == short);
        let Some(target_group) = found else {
            let names: Vec<&str> = groups.iter().map(|(name, _)| name.as_str()).collect();
            let hint = match suggest(short, &names) {
                Some(k) => format!("; did you mean {k:?}?"),
                None if names.is_empty() => "; the scenario defines no target_groups".into(),
                None => format!("; defined: {}", names.join(", ")),
            };
            let n = f.node("targetGroupArn").unwrap_or(item);
            r.error(&n.span, &f.path("targetGroupArn"), format!("no target group {arn:?}{hint}"));
            return None;
        };
        let container_name = r.req_str(&f, "containerName", "the container that receives traffic")?;
        if !f.has("containerPort") {
            r.missing(&f, "containerPort", "the container port that receives traffic");
        }
        let container_port = r.opt_u32(&f, "containerPort", 1, 65535)? as u16;
        if let Some(td) = td {
            match td.containers.iter().find(|c| c.name == container_name) {
                None => {
                    let n = f.node("containerName").unwrap_or(item);
                    r.error(
                        &n.span,
                        &f.path("containerName"),
                        format!("task definition {} has no container named {container_name:?}", td.name()),
                    );
                }
                Some(c) if !c.port_mappings.iter().any(|m| m.container_port == container_port) => {
                    let n = f.node("containerPort").unwrap_or(item);
                    r.error(
                        &n.span,
                        &f.path("containerPort"),
                        format!("container {container_name:?} of {} maps no containerPort {container_port}", td.name()),
                    );
                }
                Some(_) => {}
            }
        }
        out.push(LoadBalancer { target_group, container_name, container_port });
    }
    if matches!(node.value, Value::Array(_)) { Some(out) } else { None }
}
