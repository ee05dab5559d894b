//! Service Auto Scaling (LOAD-BALANCING-AND-CAPACITY.md §4) driven by traffic: target tracking,
//! step scaling and scheduled actions, in Application Auto Scaling's own shapes, on the minutes
//! CloudWatch publishes.

use crate::common::*;

/// `web` of 4 tasks (1 vCPU, 100 requests/s at 100 % CPU, so CPU % = requests/s a task) behind
/// an ALB target group, in three zones on 3 m5.2xlarge; `traffic` on the target group, and
/// `extra` appended (the scaling sections).
fn scaled(desired: u32, traffic: &str, extra: &str) -> String {
    format!(
        r#"[scenario]
duration = "75m"

[settings]
target_check_phase = "zero"

[cluster]
zones = ["us-east-1a", "us-east-1b", "us-east-1c"]

[[instance_groups]]
name = "fleet"
instance_type = "m5.2xlarge"
count = 3

[[target_groups]]
TargetGroupName = "web-tg"
Protocol = "HTTP"
Port = 80
HealthCheckIntervalSeconds = 10
HealthyThresholdCount = 2
registration_delay = "0s"

[[task_definitions]]
family = "web"
cpu = "1024"
memory = "1024"
behavior = {{ image_pull = "10s", startup = "5s", capacity_rps = 100 }}
containerDefinitions = [{{ name = "web", image = "web:1", essential = true, portMappings = [{{ containerPort = 80 }}] }}]

[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = {desired}
placementStrategy = [{{ type = "spread", field = "attribute:ecs.availability-zone" }}]
loadBalancers = [{{ targetGroupArn = "web-tg", containerName = "web", containerPort = 80 }}]

[[traffic]]
target_group = "web-tg"
{traffic}

[[scalable_targets]]
ServiceNamespace = "ecs"
ResourceId = "service/default/web"
ScalableDimension = "ecs:service:DesiredCount"
MinCapacity = 2
MaxCapacity = 20
{extra}"#
    )
}

const CPU60: &str = r#"
[[scaling_policies]]
PolicyName = "cpu60"
ServiceNamespace = "ecs"
ResourceId = "service/default/web"
ScalableDimension = "ecs:service:DesiredCount"
PolicyType = "TargetTrackingScaling"
TargetTrackingScalingPolicyConfiguration = { TargetValue = 60.0, PredefinedMetricSpecification = { PredefinedMetricType = "ECSServiceAverageCPUUtilization" } }
"#;

/// The scaling activities: (seconds, desired count set).
fn activities(r: &ecsim::observer::RunResult) -> Vec<(f64, u32)> {
    r.log
        .iter()
        .filter(|(_, e)| e.kind == "SCALING_ACTIVITY")
        .map(|(t, e)| {
            let n = e.message.strip_prefix("Setting desired count to ").and_then(|m| m.split(' ').next());
            (t.0 as f64 / 1000.0, n.and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{}", e.message)))
        })
        .collect()
}

/// Worked example 20 in a run: 240 requests/s on 4 tasks is 60 % CPU, the target. A 1.5x spike
/// from 10 min to 40 min makes it 90 %: the datapoints of minutes 10, 11 and 12 are above 60,
/// so at 13 min the policy asks for ceil(4 × 90 / 60) = 6, and 6 tasks carry 360 requests/s at
/// 60 %, nothing more. After the spike, 240 on 6 tasks is 40 % (< 54): the 15 datapoints of
/// minutes 40 to 54 bring, at 55 min, ceil(6 × 40 / 60) = 4; then 60 % again, nothing more.
#[test]
fn target_tracking_on_cpu_follows_a_spike_out_and_back() {
    let spike = "rps = 240\nspikes = [{ at = \"10m\", length = \"30m\", factor = 1.5 }]";
    let r = run(&scaled(4, spike, CPU60));
    assert_eq!(activities(&r), [(13.0 * 60.0, 6), (55.0 * 60.0, 4)]);
    let s = &r.services[0];
    assert_eq!(s.activities, Some([1, 1, 0]), "one scale-out, one scale-in");
    // Nothing overloads (capacity is 100 % CPU; the spike peaks at 90 %).
    assert_eq!(r.service_requests[0].unwrap().overload, 0.0);
}

/// Scale-in is suspended while the service deploys: a new revision starts at 54 min, a minute
/// before the low alarm would act; the scale-in waits for the deployment to finish, then comes
/// at the next minute.
#[test]
fn scale_in_waits_for_a_deployment() {
    let spike = "rps = 240\nspikes = [{ at = \"10m\", length = \"30m\", factor = 1.5 }]";
    let deploy =
        "[[events]]\nat = \"54m\"\naction = \"update_service\"\nservice = \"web\"\nforceNewDeployment = true\n";
    let r = run(&scaled(4, spike, &format!("{CPU60}{deploy}")));
    let acts = activities(&r);
    assert_eq!(acts[0], (13.0 * 60.0, 6));
    let finished = r.services[0].deployments.last().and_then(|d| d.finished).expect("the deployment completes");
    let (t, n) = acts[1];
    assert!(t > finished.0 as f64 / 1000.0, "scale-in at {t} s, deployment done at {finished:?}");
    assert!(t <= finished.0 as f64 / 1000.0 + 60.0, "at the first minute after it: {t} s");
    assert_eq!(n, 4);
}

/// DisableScaleIn: the policy only ever scales out.
#[test]
fn disable_scale_in_keeps_the_capacity() {
    let spike = "rps = 240\nspikes = [{ at = \"10m\", length = \"30m\", factor = 1.5 }]";
    let policy = CPU60.replace("TargetValue = 60.0,", "TargetValue = 60.0, DisableScaleIn = true,");
    let r = run(&scaled(4, spike, &policy));
    assert_eq!(activities(&r), [(13.0 * 60.0, 6)]);
}

/// ALBRequestCountPerTarget: 100 requests/s on 3 targets is 2,000 requests a target a minute;
/// tracking 1,000 asks for ceil(3 × 2000 / 1000) = 6 once three minutes are above it (the first
/// three whole minutes after the targets are healthy), then 1,000 a target: nothing more.
#[test]
fn request_count_per_target_scales_to_the_target() {
    let policy = CPU60
        .replace("TargetValue = 60.0", "TargetValue = 1000.0")
        .replace(
            "PredefinedMetricType = \"ECSServiceAverageCPUUtilization\"",
            "PredefinedMetricType = \"ALBRequestCountPerTarget\", ResourceLabel = \"app/web-alb/50dc6c495c0c9188/targetgroup/web-tg/73e2d6bc24d8a067\"",
        );
    let r = run(&scaled(3, "rps = 100", &policy));
    let acts = activities(&r);
    assert_eq!(acts.len(), 1, "{acts:?}");
    assert_eq!(acts[0].1, 6);
    assert!(acts[0].0 <= 5.0 * 60.0, "{acts:?}");
}

/// Step scaling (worked example 21's policy) behind a CloudWatch alarm on CPU ≥ 50 %: 600
/// requests/s on 10 tasks is 60 %, 10 above the threshold: +10 % of 10 = 11. Then 54.5 % is in
/// the [0, 10) step: +0, nothing more.
#[test]
fn step_scaling_on_a_cpu_alarm() {
    let step = r#"
[[scaling_policies]]
PolicyName = "cpu-out"
ServiceNamespace = "ecs"
ResourceId = "service/default/web"
ScalableDimension = "ecs:service:DesiredCount"
PolicyType = "StepScaling"
[scaling_policies.StepScalingPolicyConfiguration]
AdjustmentType = "PercentChangeInCapacity"
Cooldown = 300
MetricAggregationType = "Average"
StepAdjustments = [
  { MetricIntervalLowerBound = 0.0, MetricIntervalUpperBound = 10.0, ScalingAdjustment = 0 },
  { MetricIntervalLowerBound = 10.0, MetricIntervalUpperBound = 20.0, ScalingAdjustment = 10 },
  { MetricIntervalLowerBound = 20.0, ScalingAdjustment = 30 },
]

[[alarms]]
AlarmName = "web-cpu-high"
Namespace = "AWS/ECS"
MetricName = "CPUUtilization"
Dimensions = [{ Name = "ClusterName", Value = "default" }, { Name = "ServiceName", Value = "web" }]
Statistic = "Average"
Period = 60
EvaluationPeriods = 2
Threshold = 50.0
ComparisonOperator = "GreaterThanOrEqualToThreshold"
AlarmActions = ["arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:4c1f:resource/ecs/service/default/web:policyName/cpu-out"]
"#;
    // Steady 600 requests/s from 5 min (before, 300: the tasks start under a low load).
    let traffic = "points = [{ at = \"0s\", rps = 300 }, { at = \"5m\", rps = 300 }, { at = \"5m1s\", rps = 600 }]";
    let r = run(&scaled(10, traffic, step).replace("count = 3", "count = 4"));
    let acts = activities(&r);
    assert_eq!(acts.iter().map(|a| a.1).collect::<Vec<_>>(), [11], "{acts:?}");
    // Minutes 6 and 7 are the first two whole minutes at 60 %: the alarm acts at 8 min.
    assert_eq!(acts[0].0, 8.0 * 60.0);
}

/// Worked example 22: 3 tasks; an action at 10 min sets MinCapacity 10 and the count becomes 10
/// at once; one at 30 min sets MaxCapacity 5 and it becomes 5; a cron action every day at
/// 00:50 (UTC; the run starts at midnight) sets Min 1, Max 20 and changes nothing.
#[test]
fn scheduled_actions_set_the_bounds_and_move_the_count() {
    let actions = r#"
[[scheduled_actions]]
ScheduledActionName = "morning"
ServiceNamespace = "ecs"
ResourceId = "service/default/web"
ScalableDimension = "ecs:service:DesiredCount"
Schedule = "at(2026-01-01T00:10:00)"
ScalableTargetAction = { MinCapacity = 10 }

[[scheduled_actions]]
ScheduledActionName = "cap"
ServiceNamespace = "ecs"
ResourceId = "service/default/web"
ScalableDimension = "ecs:service:DesiredCount"
Schedule = "at(2026-01-01T00:30:00)"
ScalableTargetAction = { MaxCapacity = 5 }

[[scheduled_actions]]
ScheduledActionName = "reset"
ServiceNamespace = "ecs"
ResourceId = "service/default/web"
ScalableDimension = "ecs:service:DesiredCount"
Schedule = "cron(50 0 * * ? *)"
ScalableTargetAction = { MinCapacity = 1, MaxCapacity = 20 }
"#;
    let r = run(&scaled(3, "rps = 30", actions));
    assert_eq!(activities(&r), [(600.0, 10), (1800.0, 5)]);
    assert_eq!(r.services[0].activities, Some([0, 0, 2]));
    let last = r.log.iter().rfind(|(_, e)| e.kind == "SCALING_ACTIVITY").unwrap();
    assert!(last.1.message.contains("scheduled action name cap was triggered"), "{}", last.1.message);
}
