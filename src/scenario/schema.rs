//! The JSON Schema (draft 2020-12) of the scenario format, for editors: `ecsim schema` prints
//! it; Taplo (Even Better TOML) reads it for TOML, and JSON scenarios name it in `$schema`. It
//! is built from the reader's own key lists, so the keys it knows are the keys the reader
//! accepts (a test keeps them equal); it adds the types, ranges and words each key takes. The
//! reader stays the authority: it also checks what a schema cannot say (references between
//! sections, AWS's rules across fields), with line and column.

use serde_json::{Map, Value, json};

use super::expect::{
    CAPACITY_PROVIDER_METRICS, EXPECT_KEYS, FARGATE_METRICS, INSTANCE_GROUP_METRICS, SERVICE_METRICS,
    TARGET_GROUP_METRICS, WORKLOAD_METRICS,
};
use super::instance_group::GROUP_KEYS;
use super::load::{
    CAPACITY_PROVIDER_FILE_KEYS, CLUSTER_KEYS, FAULT_KEYS, PRICING_KEYS, SCENARIO_KEYS, SERVICE_FILE_KEYS,
    SETTINGS_KEYS, TARGET_GROUP_FILE_KEYS, TASK_DEFINITION_FILE_KEYS, TOP, WORKLOAD_KEYS,
};
use super::swarm::SWARM_KEYS;
use super::timeline::{ACTIONS, EVENT_KEYS, action_keys};

/// A duration as the scenario writes it: `"30s"`, `"5m"`, `"1h30m"`, `"250ms"`, `"7d"`.
const DURATION_PATTERN: &str = r"^\s*([0-9]+\s*(ms|s|m|h|d)\s*)+$";

fn duration() -> Value {
    json!({ "$ref": "#/$defs/duration" })
}

fn distribution() -> Value {
    json!({ "$ref": "#/$defs/distribution" })
}

fn int(min: i64, max: i64) -> Value {
    json!({ "type": "integer", "minimum": min, "maximum": max })
}

fn text() -> Value {
    json!({ "type": "string" })
}

fn words(values: &[&str]) -> Value {
    json!({ "type": "string", "enum": values })
}

fn name() -> Value {
    json!({ "$ref": "#/$defs/name" })
}

/// A table whose keys are exactly `keys`, each typed by `types` (a key without a type takes
/// anything: an AWS field ecsim accepts without simulating).
fn table(keys: &[&str], types: &[(&str, Value)], description: &str) -> Value {
    let mut properties = Map::new();
    for k in keys {
        let t = types.iter().find(|(n, _)| n == k).map_or_else(|| json!({}), |(_, t)| t.clone());
        properties.insert((*k).to_string(), t);
    }
    json!({
        "type": "object",
        "description": description,
        "properties": properties,
        "additionalProperties": false,
    })
}

/// A `capacityProviderStrategy` (CapacityProviderStrategyItem, at most 6).
fn strategy() -> Value {
    json!({
        "type": "array",
        "maxItems": 6,
        "items": {
            "type": "object",
            "required": ["capacityProvider"],
            "properties": { "capacityProvider": text(), "weight": int(0, 1000), "base": int(0, 100_000) },
            "additionalProperties": false,
        },
    })
}

fn array_of(item: Value) -> Value {
    json!({ "type": "array", "items": item })
}

/// The schema, as a JSON value.
pub fn scenario_schema() -> Value {
    let scenario = table(
        SCENARIO_KEYS,
        &[
            ("name", name()),
            ("description", text()),
            ("duration", duration()),
            ("seed", json!({ "type": "integer", "minimum": 0 })),
            ("measure_from", duration()),
            ("start_time", json!({ "type": "string", "format": "date-time" })),
        ],
        "The run: its length (required), name, master seed, and when measuring starts.",
    );
    let mut scenario = scenario;
    scenario["required"] = json!(["duration"]);
    let positive = json!({ "type": "integer", "minimum": 1 });
    let settings = table(
        SETTINGS_KEYS,
        &[
            ("healthy_after_running", duration()),
            ("instance_loss_detection", duration()),
            ("placement_tie_break", words(&["ordered", "random"])),
            ("placement_retry_interval", duration()),
            ("max_events", positive.clone()),
            ("max_events_per_instant", positive.clone()),
            ("max_pending_events", positive.clone()),
            ("max_tasks", positive.clone()),
            ("max_instances_registered", positive.clone()),
            ("max_queued_jobs", positive.clone()),
            ("max_log_lines", positive),
            ("max_percent_counts_stopping", json!({ "type": "boolean" })),
            ("stopped_task_retention", duration()),
            ("throttle_after_failures", int(1, 1000)),
            ("throttle_base_delay", duration()),
            ("throttle_max_delay", duration()),
            ("provisioning_timeout", duration()),
            ("provisioning_tasks_limit", int(0, 1_000_000)),
            ("managed_draining_timeout", duration()),
            ("fargate_provisioning", duration()),
            ("impaired_instance_tolerance", duration()),
            ("fargate_task_retirement_wait_period", duration()),
            ("initial_target_failures_count", json!({ "type": "boolean" })),
            ("target_check_phase", words(&["random", "zero"])),
            ("log_completed_standalone_tasks", json!({ "type": "boolean" })),
            ("target_tracking_high_datapoints", int(1, 1440)),
            ("target_tracking_low_datapoints", int(1, 1440)),
            ("target_tracking_low_ratio", json!({ "type": "number", "minimum": 0, "maximum": 1 })),
            ("target_tracking_capacity_basis", words(&["desired", "measured"])),
            ("target_tracking_scale_in_limit_percent", json!({ "type": "number", "minimum": 1, "maximum": 100 })),
        ],
        "Model choices the ECS documentation leaves open, and the run's guards.",
    );
    let mut cluster = table(
        CLUSTER_KEYS,
        &[
            ("name", name()),
            ("zones", json!({ "type": "array", "items": text(), "minItems": 1, "maxItems": 255 })),
            ("subnets", json!({ "type": "object", "additionalProperties": text() })),
            ("capacityProviders", array_of(text())),
            ("defaultCapacityProviderStrategy", strategy()),
        ],
        "The cluster's Availability Zones, and the capacity providers associated with it (PutClusterCapacityProviders).",
    );
    cluster["required"] = json!(["zones"]);
    let mut group = table(
        GROUP_KEYS,
        &[
            ("name", name()),
            ("instance_type", text()),
            (
                "instance_types",
                json!({ "type": "array", "items": { "type": "string" }, "minItems": 1, "maxItems": 40 }),
            ),
            ("allocation_strategy", words(&["prioritized", "lowest-price"])),
            ("cpu", int(128, 1_048_576)),
            ("memory_mib", int(1, i64::from(u32::MAX))),
            ("count", int(0, 5000)),
            ("count_by_type", json!({ "type": "object", "additionalProperties": int(0, 5000) })),
            ("min_size", int(0, 5000)),
            ("max_size", int(0, 5000)),
            ("zones", array_of(text())),
            ("attributes", json!({ "type": "object", "additionalProperties": { "type": "string" } })),
            ("launch_time", duration()),
            ("health_check_grace_period", duration()),
            ("replacement_delay", duration()),
            ("spot_instance_draining", json!({ "type": "boolean" })),
            ("az_rebalance", json!({ "type": "boolean" })),
            ("max_enis", int(1, 1000)),
            ("awsvpc_task_limit", int(0, 1000)),
            ("agent_version", text()),
            ("gpus", int(0, 64)),
            ("reserved_memory_mib", int(0, i64::from(u32::MAX))),
        ],
        "An Auto Scaling group's worth of container instances.",
    );
    group["required"] = json!(["name", "count"]);

    let task_definition = aws_object(
        &[
            super::task_definition::SIMULATED,
            super::task_definition::AWS_OTHER,
            TASK_DEFINITION_FILE_KEYS,
            &["taskDefinition"],
        ],
        &[
            ("family", name()),
            ("containerDefinitions", array_of(container())),
            ("cpu", json!({ "type": ["string", "integer", "null"] })),
            ("memory", json!({ "type": ["string", "integer", "null"] })),
            ("networkMode", words(&["bridge", "host", "awsvpc", "none"])),
            ("placementConstraints", array_of(json!({ "type": "object" }))),
            ("revision", int(1, 1_000_000)),
            ("file", text()),
            ("behavior", behavior()),
            ("taskDefinition", json!({ "type": "object" })),
        ],
        "RegisterTaskDefinition input, verbatim (or describe-task-definition output), with ecsim's `behavior`; or `file` naming such a JSON file.",
        &[&["file"], &["family", "containerDefinitions"], &["taskDefinition"]],
    );
    let target_group = aws_object(
        &[super::target_group::SIMULATED, super::target_group::AWS_OTHER, TARGET_GROUP_FILE_KEYS],
        &[
            ("TargetGroupName", json!({ "$ref": "#/$defs/target_group_name" })),
            ("Name", json!({ "$ref": "#/$defs/target_group_name" })),
            ("Protocol", text()),
            ("HealthCheckIntervalSeconds", int(5, 300)),
            ("HealthCheckTimeoutSeconds", int(2, 120)),
            ("HealthyThresholdCount", int(2, 10)),
            ("UnhealthyThresholdCount", int(2, 10)),
            ("Attributes", array_of(json!({ "type": "object" }))),
            ("load_balancer_type", words(&["application", "network"])),
            ("deregistration_delay", duration()),
            ("registration_delay", duration()),
            ("file", text()),
            ("name", text()),
        ],
        "CreateTargetGroup input or a describe-target-groups entry, verbatim; or `file` naming such a JSON file.",
        &[&["file"], &["TargetGroupName"], &["Name"]],
    );
    let managed_scaling = json!({
        "type": "object",
        "properties": {
            "status": words(&["ENABLED", "DISABLED"]),
            "targetCapacity": int(1, 100),
            "minimumScalingStepSize": int(1, 10_000),
            "maximumScalingStepSize": int(1, 10_000),
            "instanceWarmupPeriod": int(0, 10_000),
        },
        "additionalProperties": false,
    });
    let capacity_provider = aws_object(
        &[super::capacity_provider::SIMULATED, super::capacity_provider::AWS_OTHER, CAPACITY_PROVIDER_FILE_KEYS],
        &[
            ("name", name()),
            ("file", text()),
            (
                "autoScalingGroupProvider",
                json!({
                    "type": "object",
                    "required": ["autoScalingGroupArn"],
                    "properties": {
                        "autoScalingGroupArn": text(),
                        "managedScaling": managed_scaling,
                        "managedTerminationProtection": words(&["ENABLED", "DISABLED"]),
                        "managedDraining": words(&["ENABLED", "DISABLED"]),
                    },
                    "additionalProperties": false,
                }),
            ),
        ],
        "CreateCapacityProvider input or a describe-capacity-providers entry, verbatim (its Auto Scaling group is an instance group, by name or ARN); or `file` naming such a JSON file.",
        &[&["file"], &["name", "autoScalingGroupProvider"]],
    );
    let service = aws_object(
        &[super::service::SIMULATED, super::service::AWS_OTHER, super::service::DESCRIBE_READ_ONLY, SERVICE_FILE_KEYS],
        &[
            ("serviceName", name()),
            ("taskDefinition", text()),
            ("desiredCount", int(0, 5000)),
            ("loadBalancers", array_of(json!({ "type": "object" }))),
            ("healthCheckGracePeriodSeconds", int(0, 2_147_483_647)),
            ("availabilityZoneRebalancing", words(&["ENABLED", "DISABLED"])),
            ("placementStrategy", json!({ "type": "array", "maxItems": 5, "items": { "type": "object" } })),
            ("placementConstraints", json!({ "type": "array", "maxItems": 10, "items": { "type": "object" } })),
            ("deploymentConfiguration", json!({ "type": "object" })),
            ("schedulingStrategy", words(&["REPLICA", "DAEMON"])),
            ("capacityProviderStrategy", strategy()),
            ("launchType", words(&["EC2", "FARGATE", "EXTERNAL", ""])),
            ("file", text()),
            ("service", text()),
        ],
        "CreateService input, verbatim (or one service of describe-services output, or an ecspresso service definition via `file`).",
        &[&["file"], &["serviceName", "taskDefinition"]],
    );

    let mut event =
        table(EVENT_KEYS, &event_types(), "A timeline entry: `at` and `action`, and the keys that action takes.");
    event["required"] = json!(["at", "action"]);
    // Each action takes only its own keys.
    event["allOf"] = Value::Array(
        ACTIONS
            .iter()
            .map(|a| {
                let allowed: Map<String, Value> =
                    action_keys(a).iter().map(|k| ((*k).to_string(), json!(true))).collect();
                json!({
                    "if": { "properties": { "action": { "const": a } } },
                    "then": { "properties": allowed, "additionalProperties": false },
                })
            })
            .collect(),
    );
    let mut fault = table(
        FAULT_KEYS,
        &[
            ("kind", words(&["instance_failures", "spot_interruptions", "fargate_spot_interruptions"])),
            ("groups", array_of(text())),
            ("services", array_of(text())),
            ("mtbf", duration()),
            ("count", int(1, 1_000_000)),
            ("between", json!({ "type": "array", "items": duration(), "minItems": 2, "maxItems": 2 })),
        ],
        "Seeded stochastic failures: an MTBF per instance, or `count` strikes `between` two times.",
    );
    fault["required"] = json!(["kind"]);
    let mut workload = table(
        WORKLOAD_KEYS,
        &[
            ("name", name()),
            ("task_definition", text()),
            ("group", text()),
            ("arrivals", distribution()),
            ("rate_per_hour", json!({ "type": "number", "exclusiveMinimum": 0, "maximum": 1e9 })),
            ("arrivals_csv", text()),
            ("start", duration()),
            ("end", duration()),
            ("count", json!({ "type": "integer", "minimum": 1 })),
            ("run", distribution()),
            ("cpu", json!({ "type": ["integer", "array"] })),
            ("memory_mib", json!({ "type": ["integer", "array"] })),
            ("placementStrategy", array_of(json!({ "type": "object" }))),
        ],
        "Batch work: a stream of RunTask jobs (exactly one of arrivals, rate_per_hour, arrivals_csv).",
    );
    workload["required"] = json!(["name", "task_definition"]);
    let metrics: Vec<&str> = SERVICE_METRICS
        .iter()
        .chain(&WORKLOAD_METRICS)
        .chain(&TARGET_GROUP_METRICS)
        .chain(&CAPACITY_PROVIDER_METRICS)
        .chain(&INSTANCE_GROUP_METRICS)
        .chain(&FARGATE_METRICS)
        .copied()
        .collect();
    // Several subjects share a metric's name (instance_hours, cost): each word once.
    let mut seen = Vec::new();
    let metrics: Vec<&str> = metrics
        .into_iter()
        .filter(|m| {
            !seen.contains(m) && {
                seen.push(*m);
                true
            }
        })
        .collect();
    let mut expect = table(
        EXPECT_KEYS,
        &[
            ("service", text()),
            ("workload", text()),
            ("target_group", text()),
            ("capacity_provider", text()),
            ("instance_group", text()),
            ("fargate", words(&["FARGATE", "FARGATE_SPOT"])),
            ("metric", words(&metrics)),
            ("min", json!({ "type": "number" })),
            ("max", json!({ "type": "number" })),
            ("equals", json!({ "type": ["number", "string"] })),
        ],
        "An expectation checked at the end of the run (a failure exits 1).",
    );
    expect["required"] = json!(["metric"]);
    let mut swarm = table(
        SWARM_KEYS,
        &[
            ("path", text()),
            ("values", json!({ "type": "array", "minItems": 1 })),
            ("min", json!({ "type": ["integer", "number", "string"] })),
            ("max", json!({ "type": ["integer", "number", "string"] })),
        ],
        "A parameter `ecsim sweep --swarm` draws per run.",
    );
    swarm["required"] = json!(["path"]);

    let sections: Vec<(&str, Value)> = vec![
        ("$schema", text()),
        ("scenario", scenario),
        ("settings", settings),
        ("cluster", cluster),
        ("instance_groups", array_of(group)),
        ("task_definitions", array_of(task_definition)),
        ("target_groups", array_of(target_group)),
        ("capacity_providers", array_of(capacity_provider)),
        (
            "pricing",
            table(
                PRICING_KEYS,
                &[
                    (
                        "instance_hour",
                        json!({ "type": "object", "additionalProperties": { "type": "number", "minimum": 0 } }),
                    ),
                    ("fargate_vcpu_hour", json!({ "type": "number", "minimum": 0 })),
                    ("fargate_gb_hour", json!({ "type": "number", "minimum": 0 })),
                    ("fargate_spot_vcpu_hour", json!({ "type": "number", "minimum": 0 })),
                    ("fargate_spot_gb_hour", json!({ "type": "number", "minimum": 0 })),
                ],
                "Your prices per hour (no built-in price list): the run's usage then has a cost.",
            ),
        ),
        ("services", json!({ "type": "array", "maxItems": 5000, "items": service })),
        ("events", array_of(event)),
        ("faults", array_of(fault)),
        ("workloads", array_of(workload)),
        ("traffic", array_of(traffic())),
        ("scalable_targets", array_of(scalable_target())),
        ("scaling_policies", array_of(scaling_policy())),
        ("scheduled_actions", array_of(scheduled_action())),
        ("alarms", array_of(metric_alarm())),
        ("expect", array_of(expect)),
        ("swarm", array_of(swarm)),
    ];
    let body = table(TOP, &sections, "An ecsim scenario.");
    let mut top = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("urn:ecsim:scenario:{}", crate::VERSION),
        "title": "ecsim scenario",
    });
    for (k, v) in body.as_object().into_iter().flatten() {
        top[k] = v.clone();
    }
    top["required"] = json!(["scenario", "cluster"]);
    top["$defs"] = json!({
        "duration": {
            "type": "string",
            "pattern": DURATION_PATTERN,
            "description": "A duration: an integer and a unit (ms, s, m, h, d), e.g. \"30s\", \"1h30m\". No months, weeks or years.",
        },
        "distribution": {
            "description": "A fixed duration, or a distribution table.",
            "oneOf": [
                { "$ref": "#/$defs/duration" },
                table(super::behavior::DISTRIBUTION_KEYS, &[
                    ("distribution", words(&["fixed", "uniform", "exponential", "lognormal"])),
                    ("value", duration()),
                    ("min", duration()),
                    ("max", duration()),
                    ("mean", duration()),
                    ("median", duration()),
                    ("p99", duration()),
                ], "A seeded distribution of durations."),
            ],
        },
        "name": {
            "type": "string",
            "pattern": "^[A-Za-z0-9_-]{1,255}$",
            "description": "Up to 255 letters, digits, hyphens and underscores (AWS's rule).",
        },
        "target_group_name": {
            "type": "string",
            "pattern": "^(?!internal-)[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$",
            "description": "Up to 32 letters, digits and hyphens, not beginning or ending with a hyphen (AWS's rule).",
        },
    });
    top
}

/// An AWS object: its simulated and accepted fields (`key_lists`, typed where `types` says),
/// and which keys make it complete (any one of `required_any`).
fn aws_object(key_lists: &[&[&str]], types: &[(&str, Value)], description: &str, required_any: &[&[&str]]) -> Value {
    let keys: Vec<&str> = key_lists.iter().flat_map(|l| l.iter().copied()).collect();
    // AWS's JSON writes an unset field as null, which the reader takes as absent.
    let nullable: Vec<(&str, Value)> =
        types.iter().map(|(k, t)| (*k, json!({ "anyOf": [t.clone(), { "type": "null" }] }))).collect();
    let mut t = table(&keys, &nullable, description);
    t["anyOf"] = Value::Array(required_any.iter().map(|r| json!({ "required": r })).collect());
    t
}

fn container() -> Value {
    let c = super::task_definition::CONTAINER_SIMULATED;
    let keys: Vec<&str> = c.iter().chain(super::task_definition::CONTAINER_OTHER).copied().collect();
    let mut t = table(
        &keys,
        &[
            ("name", name()),
            ("image", text()),
            ("cpu", int(0, 262_144)),
            ("memory", json!({ "type": ["integer", "null"] })),
            ("memoryReservation", json!({ "type": ["integer", "null"] })),
            ("essential", json!({ "type": "boolean" })),
            ("portMappings", array_of(port_mapping())),
            ("stopTimeout", json!({ "type": "integer", "minimum": 0 })),
            ("startTimeout", json!({ "type": "integer", "minimum": 0 })),
            ("healthCheck", json!({ "type": "object" })),
            ("dependsOn", array_of(json!({ "type": "object" }))),
            ("resourceRequirements", array_of(json!({ "type": "object" }))),
        ],
        "A container definition, as RegisterTaskDefinition takes it.",
    );
    t["required"] = json!(["name", "image"]);
    t
}

fn port_mapping() -> Value {
    table(
        super::task_definition::PORT_FIELDS,
        &[("containerPort", int(1, 65535)), ("hostPort", int(0, 65535)), ("protocol", words(&["tcp", "udp"]))],
        "A port mapping.",
    )
}

/// The fields naming the scalable target (`ecs`, `service/<cluster>/<service>`,
/// `ecs:service:DesiredCount`).
fn resource_types() -> Vec<(&'static str, Value)> {
    vec![
        ("ServiceNamespace", words(&["ecs"])),
        ("ResourceId", json!({ "type": "string", "pattern": "^service/[^/]+/[^/]+$" })),
        ("ScalableDimension", words(&["ecs:service:DesiredCount"])),
    ]
}

/// RegisterScalableTarget.
fn scalable_target() -> Value {
    use super::auto_scaling::{SCALABLE_TARGET_KEYS, SUSPENDED_KEYS};
    let b = json!({ "type": "boolean" });
    let mut types = resource_types();
    types.extend([
        ("MinCapacity", int(0, 5000)),
        ("MaxCapacity", int(0, 5000)),
        (
            "SuspendedState",
            table(
                SUSPENDED_KEYS,
                &[
                    ("DynamicScalingInSuspended", b.clone()),
                    ("DynamicScalingOutSuspended", b.clone()),
                    ("ScheduledScalingSuspended", b),
                ],
                "Suspended activities.",
            ),
        ),
    ]);
    aws_object(
        &[SCALABLE_TARGET_KEYS, &["RoleARN", "Tags"]],
        &types,
        "RegisterScalableTarget: a service's desired count, between MinCapacity and MaxCapacity.",
        &[&["ResourceId", "MinCapacity", "MaxCapacity"]],
    )
}

/// PutScalingPolicy.
fn scaling_policy() -> Value {
    use super::auto_scaling::{POLICY_KEYS, PREDEFINED_KEYS, STEP_ADJUSTMENT_KEYS, STEP_KEYS, TARGET_TRACKING_KEYS};
    let number = json!({ "type": "number" });
    let seconds = int(0, 604_800);
    let tracking = table(
        TARGET_TRACKING_KEYS,
        &[
            ("TargetValue", number.clone()),
            (
                "PredefinedMetricSpecification",
                table(
                    PREDEFINED_KEYS,
                    &[
                        (
                            "PredefinedMetricType",
                            words(&[
                                "ECSServiceAverageCPUUtilization",
                                "ECSServiceAverageMemoryUtilization",
                                "ALBRequestCountPerTarget",
                            ]),
                        ),
                        ("ResourceLabel", text()),
                    ],
                    "The metric tracked (ALBRequestCountPerTarget names its target group in ResourceLabel).",
                ),
            ),
            ("ScaleOutCooldown", seconds.clone()),
            ("ScaleInCooldown", seconds.clone()),
            ("DisableScaleIn", json!({ "type": "boolean" })),
        ],
        "Target tracking: keep the metric at TargetValue (cooldowns 300 s by default).",
    );
    let step = table(
        STEP_KEYS,
        &[
            ("AdjustmentType", words(&["ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity"])),
            (
                "StepAdjustments",
                array_of(table(
                    STEP_ADJUSTMENT_KEYS,
                    &[
                        ("MetricIntervalLowerBound", number.clone()),
                        ("MetricIntervalUpperBound", number),
                        ("ScalingAdjustment", json!({ "type": "integer" })),
                    ],
                    "A step: bounds relative to the alarm's threshold.",
                )),
            ),
            ("MinAdjustmentMagnitude", int(1, 1_000_000)),
            ("Cooldown", seconds),
            ("MetricAggregationType", words(&["Average", "Minimum", "Maximum", "Sum"])),
        ],
        "Step scaling, invoked by an [[alarms]] entry naming the policy in AlarmActions.",
    );
    let mut types = resource_types();
    types.extend([
        ("PolicyName", text()),
        ("PolicyType", words(&["TargetTrackingScaling", "StepScaling"])),
        ("TargetTrackingScalingPolicyConfiguration", tracking),
        ("StepScalingPolicyConfiguration", step),
    ]);
    table(POLICY_KEYS, &types, "PutScalingPolicy on a registered scalable target.")
}

/// PutScheduledAction.
fn scheduled_action() -> Value {
    use super::auto_scaling::{SCHEDULED_ACTION_KEYS, TARGET_ACTION_KEYS};
    let mut types = resource_types();
    types.extend([
        ("ScheduledActionName", text()),
        ("Schedule", json!({ "type": "string", "pattern": "^(at|rate|cron)\\(.*\\)$" })),
        ("Timezone", words(&["UTC", "Etc/UTC", "GMT", "Etc/GMT"])),
        ("StartTime", text()),
        ("EndTime", text()),
        (
            "ScalableTargetAction",
            table(
                TARGET_ACTION_KEYS,
                &[("MinCapacity", int(0, 5000)), ("MaxCapacity", int(0, 5000))],
                "The bounds to set.",
            ),
        ),
    ]);
    table(
        SCHEDULED_ACTION_KEYS,
        &types,
        "PutScheduledAction: at(...), rate(...) or cron(...) in UTC sets MinCapacity and/or MaxCapacity.",
    )
}

/// PutMetricAlarm, for step scaling.
fn metric_alarm() -> Value {
    use super::auto_scaling::{ALARM_KEYS, DIMENSION_KEYS};
    let types = [
        ("AlarmName", text()),
        ("MetricName", words(&["CPUUtilization", "MemoryUtilization", "RequestCountPerTarget", "RequestCount"])),
        ("Namespace", words(&["AWS/ECS", "AWS/ApplicationELB"])),
        ("Statistic", words(&["Average", "Minimum", "Maximum", "Sum"])),
        (
            "Dimensions",
            array_of(table(
                DIMENSION_KEYS,
                &[("Name", text()), ("Value", text())],
                "A dimension: ServiceName or TargetGroup.",
            )),
        ),
        ("Period", int(60, 86_400)),
        ("EvaluationPeriods", int(1, 1440)),
        ("DatapointsToAlarm", int(1, 1440)),
        ("Threshold", json!({ "type": "number" })),
        (
            "ComparisonOperator",
            words(&[
                "GreaterThanOrEqualToThreshold",
                "GreaterThanThreshold",
                "LessThanThreshold",
                "LessThanOrEqualToThreshold",
            ]),
        ),
        ("TreatMissingData", words(&["missing", "notBreaching", "breaching", "ignore"])),
        ("AlarmActions", array_of(text())),
    ];
    aws_object(
        &[ALARM_KEYS, &["AlarmDescription", "ActionsEnabled", "OKActions", "InsufficientDataActions", "Unit", "Tags"]],
        &types,
        "PutMetricAlarm: the CloudWatch alarm a step scaling policy hangs on.",
        &[&["AlarmName", "MetricName", "Namespace", "EvaluationPeriods", "Threshold", "ComparisonOperator"]],
    )
}

/// A `[[traffic]]` stream.
fn traffic() -> Value {
    use super::traffic::{DIURNAL_KEYS, POINT_KEYS, SPIKE_KEYS, TRAFFIC_KEYS};
    let rps = json!({ "type": "number", "minimum": 0 });
    table(
        TRAFFIC_KEYS,
        &[
            ("target_group", text()),
            ("rps", rps.clone()),
            (
                "points",
                array_of(table(POINT_KEYS, &[("at", duration()), ("rps", rps.clone())], "A point of the rate.")),
            ),
            (
                "diurnal",
                table(
                    DIURNAL_KEYS,
                    &[
                        ("min_rps", rps.clone()),
                        ("max_rps", rps),
                        ("peak", json!({ "type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9](:[0-5][0-9])?$" })),
                    ],
                    "A cosine over the day: min_rps and max_rps, max at `peak` (HH:MM, UTC).",
                ),
            ),
            ("csv", text()),
            (
                "spikes",
                array_of(table(
                    SPIKE_KEYS,
                    &[
                        ("at", duration()),
                        ("length", duration()),
                        ("factor", json!({ "type": "number", "minimum": 0 })),
                    ],
                    "The rate times `factor` from `at` for `length`.",
                )),
            ),
            ("noise", json!({ "type": "number", "minimum": 0, "maximum": 2 })),
        ],
        "A target group's requests per second over time (one of rps, points, diurnal, csv).",
    )
}

fn behavior() -> Value {
    table(
        super::behavior::FIELDS,
        &[
            ("image_pull", distribution()),
            ("startup", distribution()),
            ("run", distribution()),
            ("stop", distribution()),
            ("ready_after", distribution()),
            ("capacity_rps", json!({ "type": "number", "exclusiveMinimum": 0 })),
            ("max_utilization", json!({ "type": "number", "minimum": 1, "maximum": 1000 })),
            ("memory_base_mib", json!({ "type": "number", "minimum": 0 })),
            ("memory_mib_per_rps", json!({ "type": "number", "minimum": 0 })),
            (
                "fault",
                table(
                    super::behavior::FAULT_KEYS,
                    &[
                        (
                            "kind",
                            words(&[
                                "image_pull_failure",
                                "start_failure",
                                "essential_exit",
                                "container_health_failure",
                                "target_health_failure",
                            ]),
                        ),
                        ("after", duration()),
                        ("fraction", json!({ "type": "number", "minimum": 0, "maximum": 1 })),
                    ],
                    "A bad build: how the image fails, from when, and in what share of tasks.",
                ),
            ),
            ("containers", json!({ "type": "object" })),
        ],
        "How the image behaves when it runs (ecsim's own).",
    )
}

fn event_types() -> Vec<(&'static str, Value)> {
    vec![
        ("at", duration()),
        ("action", words(ACTIONS)),
        ("instances", array_of(text())),
        ("group", text()),
        ("zone", text()),
        ("count", json!({ "type": "integer", "minimum": 1 })),
        ("pick", words(&["random", "first", "most_tasks"])),
        ("taskDefinition", text()),
        ("placementStrategy", array_of(json!({ "type": "object" }))),
        ("placementConstraints", array_of(json!({ "type": "object" }))),
        ("containerInstances", array_of(text())),
        ("deadline", duration()),
        ("drain", json!({ "type": "boolean" })),
        ("duration", duration()),
        ("service", text()),
        ("desiredCount", json!({ "type": "integer", "minimum": 0 })),
        ("forceNewDeployment", json!({ "type": "boolean" })),
        ("deploymentConfiguration", json!({ "type": "object" })),
        ("task", text()),
        ("reason", text()),
        ("capacity_provider", words(&["FARGATE_SPOT", "FARGATE"])),
        ("launchType", words(&["EC2", "FARGATE", "EXTERNAL", ""])),
        ("capacityProviderStrategy", strategy()),
        ("networkConfiguration", json!({ "type": "object" })),
        ("instance_type", text()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key the reader accepts is in the schema with a type of its own (or, for AWS fields
    /// ecsim does not simulate, any value), and no other: the two cannot drift apart.
    #[test]
    fn the_schema_knows_exactly_the_readers_keys() {
        let schema = scenario_schema();
        let keys = |v: &Value| -> Vec<String> {
            let mut k: Vec<String> = v["properties"].as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        let sorted = |l: &[&str]| -> Vec<String> {
            let mut k: Vec<String> = l.iter().map(|s| s.to_string()).collect();
            k.sort();
            k.dedup();
            k
        };
        let p = &schema["properties"];
        assert_eq!(keys(&schema), sorted(TOP));
        assert_eq!(keys(&p["scenario"]), sorted(SCENARIO_KEYS));
        assert_eq!(keys(&p["settings"]), sorted(SETTINGS_KEYS));
        assert_eq!(keys(&p["instance_groups"]["items"]), sorted(GROUP_KEYS));
        assert_eq!(keys(&p["events"]["items"]), sorted(EVENT_KEYS));
        assert_eq!(keys(&p["faults"]["items"]), sorted(FAULT_KEYS));
        assert_eq!(keys(&p["workloads"]["items"]), sorted(WORKLOAD_KEYS));
        assert_eq!(keys(&p["expect"]["items"]), sorted(EXPECT_KEYS));
        // ecsim's own keys all have a type: only AWS fields may take anything.
        for section in ["scenario", "settings", "cluster"] {
            for (k, t) in p[section]["properties"].as_object().unwrap() {
                assert!(t != &json!({}), "{section}.{k} has no type in the schema");
            }
        }
        assert_eq!(keys(&p["traffic"]["items"]), sorted(super::super::traffic::TRAFFIC_KEYS));
        for section in ["instance_groups", "events", "faults", "workloads", "traffic", "expect"] {
            for (k, t) in p[section]["items"]["properties"].as_object().unwrap() {
                assert!(t != &json!({}), "{section}.{k} has no type in the schema");
            }
        }
        for a in ACTIONS {
            assert!(action_keys(a) != EVENT_KEYS, "{a} has keys of its own");
        }
    }
}
