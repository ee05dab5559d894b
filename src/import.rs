//! `ecsim import`: a live cluster's describe-* output (services, task definitions, container
//! instances, target groups) turned into a scenario. Objects are carried over as AWS wrote them
//! (read-only fields and nulls left out); what the files do not say (how the images behave, the
//! instances when none are given, task definitions or target groups a service names but the
//! files lack) gets a stand-in, listed at the top of the scenario for the user to review.
//! Pure: JSON text in, TOML text out.

use serde_json::{Map, Value, json};

/// One input file: its name (for messages and the header) and its text.
pub struct InputFile {
    pub name: String,
    pub text: String,
}

pub struct ImportInput {
    pub services: Vec<InputFile>,
    pub task_definitions: Vec<InputFile>,
    pub container_instances: Option<InputFile>,
    pub target_groups: Option<InputFile>,
    /// describe-capacity-providers output: the Auto Scaling group providers and their managed
    /// scaling.
    pub capacity_providers: Option<InputFile>,
    /// describe-clusters output: the cluster's providers and default strategy.
    pub cluster: Option<InputFile>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{file}:{line}:{column}: expected JSON, found invalid JSON: {message}")]
    Json { file: String, line: usize, column: usize, message: String },
    #[error("{file}: {message}")]
    Shape { file: String, message: String },
}

/// The scenario, and the stand-ins the user should review.
pub struct Imported {
    pub toml: String,
    pub review: Vec<String>,
}

use crate::scenario::service::{DESCRIBE_READ_ONLY as SERVICE_READ_ONLY, family_revision};
use crate::scenario::target_group::{SIMULATED as TG_SIMULATED, name_from_arn};

/// describe-task-definition output's read-only fields.
const TD_READ_ONLY: &[&str] = &[
    "taskDefinitionArn",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
    "deleteRequestedAt",
];

fn parse(f: &InputFile) -> Result<Value, ImportError> {
    serde_json::from_str(&f.text).map_err(|e| ImportError::Json {
        file: f.name.clone(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

fn shape(f: &InputFile, message: impl Into<String>) -> ImportError {
    ImportError::Shape { file: f.name.clone(), message: message.into() }
}

/// Removes nulls (AWS's "unset"; TOML has no null) and the named keys.
fn clean(v: &Value, drop: &[&str]) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, v)| !v.is_null() && !drop.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), clean(v, &[])))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().filter(|v| !v.is_null()).map(|v| clean(v, &[])).collect()),
        other => other.clone(),
    }
}

fn region_of(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.split(':').collect();
    (parts.len() > 4 && parts[0] == "arn" && !parts[3].is_empty()).then(|| parts[3].to_string())
}

pub fn import(input: &ImportInput) -> Result<Imported, ImportError> {
    let mut review = Vec::new();
    // Services, from describe-services output or single service objects.
    let mut services: Vec<Map<String, Value>> = Vec::new();
    for f in &input.services {
        let v = parse(f)?;
        let list = match v.get("services") {
            Some(Value::Array(items)) => items.clone(),
            Some(_) => return Err(shape(f, "expected `services` to be an array (describe-services output)")),
            None if v.get("serviceName").is_some() => vec![v.clone()],
            None => {
                return Err(shape(
                    f,
                    "expected describe-services output ({\"services\": [...]}) or a service with serviceName (an ecspresso service definition has none: use it from a scenario with `file = ...` and `serviceName = ...`)",
                ));
            }
        };
        for s in list {
            match s {
                Value::Object(m) if m.get("serviceName").is_some_and(Value::is_string) => services.push(m),
                _ => return Err(shape(f, "expected every service to be an object with a serviceName")),
            }
        }
    }
    if services.is_empty() {
        let name = input.services.first().map_or("--services".to_string(), |f| f.name.clone());
        return Err(ImportError::Shape { file: name, message: "holds no services".into() });
    }
    // Task definitions by (family, revision).
    let mut tds: Vec<(String, u32, Value)> = Vec::new();
    for f in &input.task_definitions {
        let v = parse(f)?;
        let td = v.get("taskDefinition").filter(|t| t.is_object()).unwrap_or(&v);
        let family = td
            .get("family")
            .and_then(Value::as_str)
            .ok_or_else(|| shape(f, "expected a task definition with a family"))?;
        if !td.get("containerDefinitions").is_some_and(Value::is_array) {
            return Err(shape(f, "expected a task definition with containerDefinitions"));
        }
        let revision = td.get("revision").and_then(Value::as_u64).unwrap_or(1) as u32;
        let mut clean_td = clean(td, TD_READ_ONLY);
        clean_td["revision"] = json!(revision);
        tds.push((family.to_string(), revision, clean_td));
    }
    // The revisions each service needs: its PRIMARY deployment's, and an older one still
    // ACTIVE (a rollout under way).
    struct Plan {
        start: (String, u32),
        rollout_to: Option<(String, u32)>,
    }
    let mut plans = Vec::new();
    for s in &services {
        let name = s["serviceName"].as_str().unwrap_or_default();
        let primary_ref = s
            .get("deployments")
            .and_then(Value::as_array)
            .and_then(|d| d.iter().find(|d| d["status"] == "PRIMARY"))
            .and_then(|d| d["taskDefinition"].as_str())
            .or_else(|| s.get("taskDefinition").and_then(Value::as_str))
            .unwrap_or(name);
        let active_ref = s
            .get("deployments")
            .and_then(Value::as_array)
            .and_then(|d| d.iter().find(|d| d["status"] == "ACTIVE"))
            .and_then(|d| d["taskDefinition"].as_str());
        let resolve = |r: &str| {
            let (family, revision) = family_revision(r);
            let rev = revision.or_else(|| tds.iter().filter(|t| t.0 == family).map(|t| t.1).max()).unwrap_or(1);
            (family.to_string(), rev)
        };
        let primary = resolve(primary_ref);
        plans.push(match active_ref.map(resolve) {
            Some(old) if old != primary => {
                review.push(format!(
                    "service {name}: a rollout from {}:{} to {}:{} was under way; the scenario starts on the old revision and deploys the new one at 5 minutes",
                    old.0, old.1, primary.0, primary.1
                ));
                Plan { start: old, rollout_to: Some(primary) }
            }
            _ => Plan { start: primary, rollout_to: None },
        });
    }
    // Stand-ins for revisions the files lack: a container per load balancer entry.
    for (s, plan) in services.iter().zip(&plans) {
        for (family, revision) in std::iter::once(&plan.start).chain(plan.rollout_to.as_ref()) {
            if tds.iter().any(|t| &t.0 == family && t.1 == *revision) {
                continue;
            }
            let awsvpc = s.get("networkConfiguration").is_some_and(|n| n.get("awsvpcConfiguration").is_some());
            let mut containers: Vec<Value> = Vec::new();
            for lb in s.get("loadBalancers").and_then(Value::as_array).into_iter().flatten() {
                let (Some(c), Some(p)) = (lb["containerName"].as_str(), lb["containerPort"].as_u64()) else { continue };
                match containers.iter_mut().find(|x| x["name"] == c) {
                    Some(x) => x["portMappings"].as_array_mut().into_iter().for_each(|m| m.push(json!({ "containerPort": p }))),
                    None => containers.push(json!({ "name": c, "image": format!("{family}:{revision}"), "essential": true, "portMappings": [{ "containerPort": p }] })),
                }
            }
            if containers.is_empty() {
                containers.push(json!({ "name": family, "image": format!("{family}:{revision}"), "essential": true }));
            }
            review.push(format!(
                "task definition {family}:{revision}: not among the files given, so a stand-in (256 CPU units, 512 MiB{}); pass its describe-task-definition output with --task-definitions",
                if awsvpc { ", awsvpc" } else { "" }
            ));
            tds.push((
                family.clone(),
                *revision,
                json!({
                    "family": family,
                    "revision": revision,
                    "networkMode": if awsvpc { "awsvpc" } else { "bridge" },
                    "cpu": "256",
                    "memory": "512",
                    "containerDefinitions": containers,
                }),
            ));
        }
    }
    tds.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    tds.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);

    // Zones and instances.
    let region = services
        .iter()
        .find_map(|s| s.get("serviceArn").or(s.get("clusterArn")).and_then(Value::as_str).and_then(region_of));
    let cluster_name = services
        .iter()
        .find_map(|s| {
            s.get("clusterArn").and_then(Value::as_str).map(|a| a.rsplit('/').next().unwrap_or(a).to_string())
        })
        .unwrap_or_else(|| "imported".into());
    // Auto Scaling group providers (describe-capacity-providers): provider name -> its group's
    // name (the part of the group's ARN after `autoScalingGroupName/`).
    let mut providers: Vec<Value> = Vec::new();
    let mut provider_groups: Vec<(String, String)> = Vec::new();
    if let Some(f) = &input.capacity_providers {
        let v = parse(f)?;
        let list = match v.get("capacityProviders") {
            Some(Value::Array(items)) => items.clone(),
            _ if v.get("autoScalingGroupProvider").is_some() => vec![v.clone()],
            _ => return Err(shape(f, "expected describe-capacity-providers output ({\"capacityProviders\": [...]})")),
        };
        for cp in list {
            let (Some(name), Some(asg)) = (cp["name"].as_str(), cp["autoScalingGroupProvider"].as_object()) else {
                continue; // FARGATE and FARGATE_SPOT are listed too, without a group
            };
            let arn = asg.get("autoScalingGroupArn").and_then(Value::as_str).unwrap_or_default();
            let group = arn.rsplit_once("autoScalingGroupName/").map_or(arn, |(_, n)| n).to_string();
            provider_groups.push((name.to_string(), group));
            let mut asg = asg.clone();
            // The scenario names the group; the ARN still says which.
            asg.insert("autoScalingGroupArn".into(), json!(arn));
            providers.push(json!({ "name": name, "autoScalingGroupProvider": Value::Object(asg) }));
        }
    }
    let mut groups: Vec<Value> = Vec::new();
    let mut zones: Vec<String> = Vec::new();
    if let Some(f) = &input.container_instances {
        let v = parse(f)?;
        let Some(list) = v.get("containerInstances").and_then(Value::as_array) else {
            return Err(shape(f, "expected describe-container-instances output ({\"containerInstances\": [...]})"));
        };
        // (group name, type, cpu, memory) -> zones of its instances; an instance of a capacity
        // provider belongs to the provider's group
        let mut by_type: Vec<(FleetKey, Vec<String>)> = Vec::new();
        for ci in list {
            if ci["status"].as_str().is_some_and(|s| s != "ACTIVE" && s != "DRAINING") {
                continue;
            }
            let attr = |name: &str| {
                ci["attributes"]
                    .as_array()
                    .and_then(|a| a.iter().find(|x| x["name"] == name))
                    .and_then(|x| x["value"].as_str())
            };
            let resource = |name: &str| {
                ci["registeredResources"]
                    .as_array()
                    .and_then(|a| a.iter().find(|x| x["name"] == name))
                    .and_then(|x| x["integerValue"].as_u64())
            };
            let itype = attr("ecs.instance-type").unwrap_or("unknown").to_string();
            let zone = attr("ecs.availability-zone").map(str::to_string);
            let group = ci["capacityProviderName"]
                .as_str()
                .and_then(|p| provider_groups.iter().find(|(n, _)| n == p))
                .map_or_else(|| itype.replace('.', "-"), |(_, g)| g.clone());
            let key = (group, itype, resource("CPU").unwrap_or(2048), resource("MEMORY").unwrap_or(3943));
            let zone = zone.unwrap_or_else(|| format!("{}a", region.clone().unwrap_or_else(|| "us-east-1".into())));
            if !zones.contains(&zone) {
                zones.push(zone.clone());
            }
            match by_type.iter_mut().find(|(k, _)| *k == key) {
                Some((_, z)) => z.push(zone),
                None => by_type.push((key, vec![zone])),
            }
        }
        // A group running several types ecsim knows becomes a mixed instances group (its
        // current fleet as count_by_type, the most numerous type first in launch priority).
        let mut mixed: Vec<String> = Vec::new();
        for ((group, _, _, _), _) in &by_type {
            let types: Vec<&String> =
                by_type.iter().filter(|((g, ..), _)| g == group).map(|((_, t, ..), _)| t).collect();
            if types.len() > 1
                && !mixed.contains(group)
                && types.iter().all(|t| crate::cluster::instance_types::lookup_any(t).is_some())
            {
                mixed.push(group.clone());
                let mut counts: Vec<(&String, usize)> =
                    by_type.iter().filter(|((g, ..), _)| g == group).map(|((_, t, ..), z)| (t, z.len())).collect();
                counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
                let mut gz: Vec<String> =
                    by_type.iter().filter(|((g, ..), _)| g == group).flat_map(|(_, z)| z.clone()).collect();
                gz.sort();
                gz.dedup();
                let names: Vec<&String> = counts.iter().map(|(t, _)| *t).collect();
                review.push(format!("instances: {group} runs {} types; it is a mixed instances group launching them in that order (EC2's prioritized strategy: put your launch template overrides' order), each type's resources from ecsim's table", names.len()));
                groups.push(json!({
                    "name": group,
                    "instance_types": names,
                    "count_by_type": counts.iter().map(|(t, n)| ((*t).clone(), json!(n))).collect::<serde_json::Map<String, Value>>(),
                    "zones": gz,
                }));
            }
        }
        for ((group, itype, cpu, memory), inst_zones) in &by_type {
            if mixed.contains(group) {
                continue;
            }
            let mut gz: Vec<String> = inst_zones.clone();
            gz.sort();
            gz.dedup();
            // A group of several types, one of them unknown to ecsim, is split by type.
            let taken = groups.iter().any(|g| g["name"] == group.as_str());
            let name = if taken { format!("{group}-{}", itype.replace('.', "-")) } else { group.clone() };
            if taken {
                review.push(format!("instances: {group} runs several instance types, one unknown to ecsim's table, so the {itype} instances are group {name} (with their registered CPU and memory)"));
            }
            groups.push(json!({
                "name": name,
                "instance_type": itype,
                "cpu": cpu,
                "memory_mib": memory,
                "count": inst_zones.len(),
                "zones": gz,
            }));
        }
    }
    zones.sort();
    if groups.is_empty() {
        let r = region.clone().unwrap_or_else(|| "us-east-1".into());
        zones = vec![format!("{r}a"), format!("{r}b"), format!("{r}c")];
        // Room for every service's tasks twice over (deployments need headroom), in m5.xlarge
        // instances (4 vCPU, 16 GiB), at least one per zone.
        let reserved_mib: u64 = services
            .iter()
            .zip(&plans)
            .map(|(s, p)| {
                let td = tds.iter().find(|t| t.0 == p.start.0 && t.1 == p.start.1).map(|t| &t.2);
                let mib = td.map_or(512, td_memory_mib);
                s.get("desiredCount").and_then(Value::as_u64).unwrap_or(1).max(1) * mib
            })
            .sum();
        // distinctInstance needs an instance per task.
        let distinct = services
            .iter()
            .filter(|s| {
                s.get("placementConstraints")
                    .and_then(Value::as_array)
                    .is_some_and(|c| c.iter().any(|c| c["type"] == "distinctInstance"))
            })
            .filter_map(|s| s.get("desiredCount").and_then(Value::as_u64))
            .max()
            .unwrap_or(0);
        let count = (reserved_mib * 2).div_ceil(15_000).max(3).max(distinct).div_ceil(3) * 3;
        review.push(format!(
            "instances: no --container-instances given, so {count} m5.xlarge over {}; pass describe-container-instances output for the real fleet",
            zones.join(", ")
        ));
        groups.push(json!({ "name": "fleet", "instance_type": "m5.xlarge", "count": count }));
    }

    // A provider's group that no instance of the files is in: empty, to be scaled out.
    for (provider, group) in &provider_groups {
        if !groups.iter().any(|g| g["name"] == group.as_str()) {
            review.push(format!("capacity provider {provider}: none of the instances given is in its group {group}, so it starts empty (m5.xlarge); pass describe-container-instances output with capacityProviderName"));
            groups.push(json!({ "name": group, "instance_type": "m5.xlarge", "count": 0 }));
        }
    }
    // The cluster's providers and default strategy (describe-clusters).
    let mut cluster = json!({ "name": cluster_name, "zones": zones });
    if let Some(f) = &input.cluster {
        let v = parse(f)?;
        let c = match v.get("clusters") {
            Some(Value::Array(items)) if items.len() == 1 => items[0].clone(),
            Some(Value::Array(items)) => {
                items.iter().find(|c| c["clusterName"] == cluster_name.as_str()).cloned().ok_or_else(|| {
                    shape(
                        f,
                        format!("expected the cluster {cluster_name:?} among the clusters of describe-clusters output"),
                    )
                })?
            }
            _ => return Err(shape(f, "expected describe-clusters output ({\"clusters\": [...]})")),
        };
        for key in ["capacityProviders", "defaultCapacityProviderStrategy"] {
            if let Some(x) = c.get(key).filter(|x| x.as_array().is_some_and(|a| !a.is_empty())) {
                cluster[key] = x.clone();
            }
        }
    }

    // Target groups: those given, and stand-ins for ARNs the services name.
    let mut target_groups: Vec<Value> = Vec::new();
    if let Some(f) = &input.target_groups {
        let v = parse(f)?;
        let list = match v.get("TargetGroups") {
            Some(Value::Array(items)) => items.clone(),
            _ if v.get("TargetGroupName").is_some() || v.get("Name").is_some() => vec![v.clone()],
            _ => return Err(shape(f, "expected describe-target-groups output ({\"TargetGroups\": [...]})")),
        };
        for tg in list {
            let mut m = Map::new();
            // `Name` (create-target-group input) is written as TargetGroupName below.
            for k in TG_SIMULATED.iter().filter(|k| **k != "Name") {
                if let Some(x) = tg.get(*k).filter(|x| !x.is_null()) {
                    m.insert(k.to_string(), x.clone());
                }
            }
            if let (None, Some(n)) = (m.get("TargetGroupName"), tg.get("Name")) {
                m.insert("TargetGroupName".into(), n.clone());
            }
            target_groups.push(Value::Object(m));
        }
    }
    for s in &services {
        for lb in s.get("loadBalancers").and_then(Value::as_array).into_iter().flatten() {
            let Some(arn) = lb["targetGroupArn"].as_str() else { continue };
            let name = name_from_arn(arn).to_string();
            if target_groups.iter().any(|t| t["TargetGroupArn"] == arn || t["TargetGroupName"] == name.as_str()) {
                continue;
            }
            review.push(format!(
                "target group {name}: not among the files given, so ALB defaults (30 s checks, healthy after 5, unhealthy after 2); pass describe-target-groups output"
            ));
            target_groups.push(json!({ "TargetGroupName": name, "TargetGroupArn": arn }));
        }
    }

    // The services, with their settings and (for a rollout) the deployment.
    let mut service_out: Vec<Value> = Vec::new();
    let mut events: Vec<Value> = Vec::new();
    for (s, plan) in services.iter().zip(&plans) {
        let mut m = match clean(&Value::Object(s.clone()), SERVICE_READ_ONLY) {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        m.insert("taskDefinition".into(), json!(format!("{}:{}", plan.start.0, plan.start.1)));
        if let Some((family, revision)) = &plan.rollout_to {
            events.push(json!({
                "at": "5m",
                "action": "update_service",
                "service": s["serviceName"],
                "taskDefinition": format!("{family}:{revision}"),
            }));
        }
        service_out.push(Value::Object(m));
    }
    review.push("behavior: every task definition runs ecsim's default image behaviour (pull 10 s, start 5 s, stop 2 s, ready at once); set `behavior` per task definition to match your images".into());

    let mut doc = Map::new();
    doc.insert("scenario".into(), json!({ "name": cluster_name, "duration": "1h", "seed": 1 }));
    doc.insert("cluster".into(), cluster);
    doc.insert("instance_groups".into(), Value::Array(groups));
    if !providers.is_empty() {
        doc.insert("capacity_providers".into(), Value::Array(providers));
    }
    doc.insert("task_definitions".into(), Value::Array(tds.into_iter().map(|t| t.2).collect()));
    if !target_groups.is_empty() {
        doc.insert("target_groups".into(), Value::Array(target_groups));
    }
    doc.insert("services".into(), Value::Array(service_out));
    if !events.is_empty() {
        doc.insert("events".into(), Value::Array(events));
    }
    let body = toml::to_string(&Value::Object(doc)).map_err(|e| ImportError::Shape {
        file: "the imported scenario".into(),
        message: format!("cannot be written as TOML: {e}"),
    })?;
    let mut toml = String::from("# Imported by `ecsim import` from:\n");
    for f in input
        .services
        .iter()
        .chain(&input.task_definitions)
        .chain(&input.container_instances)
        .chain(&input.target_groups)
        .chain(&input.capacity_providers)
        .chain(&input.cluster)
    {
        toml.push_str(&format!("#   {}\n", f.name));
    }
    toml.push_str("#\n# REVIEW what the files did not say:\n");
    for r in &review {
        toml.push_str(&format!("#   - {r}\n"));
    }
    toml.push('\n');
    toml.push_str(&body);
    Ok(Imported { toml, review })
}

/// An imported instance group: its name, instance type, registered CPU and memory.
type FleetKey = (String, String, u64, u64);

/// A task definition's memory in MiB: task level, else its containers' limits or reservations.
fn td_memory_mib(td: &Value) -> u64 {
    let num = |v: &Value| v.as_u64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
    td.get("memory").and_then(num).unwrap_or_else(|| {
        td["containerDefinitions"]
            .as_array()
            .map(|cs| {
                cs.iter().map(|c| c.get("memory").or(c.get("memoryReservation")).and_then(num).unwrap_or(0)).sum()
            })
            .unwrap_or(512)
    })
}
