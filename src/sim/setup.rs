//! The control plane's state for a validated scenario: its instances, services, target groups'
//! data planes, capacity providers, CloudWatch metrics and Service Auto Scaling, and what is queued
//! at time zero. The only place that reads a [`Scenario`] on the simulation's side.

use crate::autoscaling::Metric;
use crate::autoscaling::cloudwatch::CloudWatch;
use crate::cluster::Cluster;
use crate::control_plane::{Ctx, Event, Notice, State, deployment_id};
use crate::ecs::deployment::Deployment;
use crate::ecs::placement::TaskRequirements;
use crate::ecs::service::Service;
use crate::elb::data_plane::{DataPlane, TaskLoad};
use crate::elb::target_group_traffic::TargetGroupTraffic;
use crate::engine::SimTime;
use crate::ids::ServiceId;
use crate::scenario::Scenario;

/// The control plane's state at time zero for `scenario`, run until `end` with `seed`.
pub fn state(scenario: &Scenario, end: SimTime, seed: u64) -> State {
    let mut cluster = Cluster::new(scenario.zones.clone(), scenario.groups.clone());
    cluster.start_epoch_ms = scenario.start_epoch_ms;
    let mut services = scenario
        .services
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let group = cluster.task_group(&format!("service:{}", spec.name));
            let td = &scenario.task_definitions[spec.task_definition.index()];
            let mut constraints = spec.constraints.clone();
            constraints.extend(td.placement_constraints.iter().cloned());
            let first = Deployment::new(deployment_id(i, 0), spec.task_definition, SimTime::ZERO);
            Service::new(ServiceId(i as u16), spec.clone(), group, constraints, first)
        })
        .collect::<Vec<Service>>();
    let cloudwatch = cloudwatch(scenario);
    let auto_scaling =
        crate::control_plane::service_auto_scaling::AutoScalingState::new(&scenario.auto_scaling, &cloudwatch);
    // Services placed by ECS's default chain keep a spread index (placement reads it).
    use crate::ecs::placement::{SpreadField, Strategy};
    let default_chain = [Strategy::Spread(SpreadField::Zone), Strategy::Spread(SpreadField::Instance)];
    let indexed = |s: &Service| !s.spec.daemon && s.strategies == default_chain;
    // Room is watched for the sizes those services' revisions take (another size, should a
    // deployment bring one, is placed by a scan).
    let revisions = scenario.timeline.iter().filter_map(|e| match &e.action {
        crate::control_plane::Action::UpdateService { service, task_definition: Some(td), .. } => {
            indexed(&services[service.index()]).then_some(*td)
        }
        _ => None,
    });
    let sizes: Vec<(u32, u32)> = (services.iter().filter(|s| indexed(s)).map(|s| s.spec.task_definition))
        .chain(revisions)
        .map(|td| TaskRequirements::of(&scenario.task_definitions[td.index()]))
        .map(|t| (t.cpu, t.memory_mib))
        .collect();
    cluster.watch_room(&sizes);
    for svc in services.iter_mut().filter(|s| indexed(s)) {
        cluster.index_spread(svc.group);
        if scenario.settings.placement_tie_break != crate::ecs::placement::TieBreak::Random {
            svc.stop_index = Some(crate::ecs::placement::stop_index::StopIndex::new(scenario.zones.len()));
        }
    }
    State {
        cluster,
        task_definitions: scenario.task_definitions.clone(),
        target_groups: scenario.target_groups.clone(),
        requirements: scenario.task_definitions.iter().map(TaskRequirements::of).collect(),
        tasks: Vec::new(),
        free_task_slots: Vec::new(),
        stopped_standalone: Vec::new(),
        stopped_service_tasks: Default::default(),
        tasks_created: 0,
        registrations_waiting: Default::default(),
        services,
        group_desired: scenario.groups.iter().map(|g| g.count).collect(),
        group_launching: vec![0; scenario.groups.len()],
        group_zone_launching: vec![vec![0; scenario.zones.len()]; scenario.groups.len()],
        rebalance_launching: vec![vec![0; scenario.zones.len()]; scenario.groups.len()],
        providers: providers(scenario),
        group_provider: {
            let mut of = vec![None; scenario.groups.len()];
            for (p, cp) in scenario.capacity_providers.iter().enumerate() {
                of[cp.group.index()] = Some(p);
            }
            of
        },
        provisioning_total: 0,
        standalone_provisioning: Vec::new(),
        traffic: data_planes(scenario, seed),
        cloudwatch,
        traffic_changed: Vec::new(),
        auto_scaling,
        cut_data_planes: false,
        traffic_on: (0..scenario.target_groups.len()).map(|g| scenario.has_traffic(g)).collect(),
        any_traffic: !scenario.traffic.is_empty(),
        standalone_provisioning_serial: 0,
        waiting_services: Vec::new(),
        touched_services: Vec::new(),
        faults: scenario.faults.clone(),
        standalone_launched: Default::default(),
        standalone_tasks: 0,
        standalone_completed: 0,
        run_task_failures: Default::default(),
        timeline: scenario.timeline.clone(),
        workloads: scenario.workloads.iter().cloned().map(crate::control_plane::WorkloadState::new).collect(),
        settings: scenario.settings.clone(),
        reported_usage: Default::default(),
        end,
    }
}

/// Time zero: the initial instances register, services are created, the timeline is queued.
pub fn start(state: &mut State, ctx: &mut Ctx<'_>, scenario: &Scenario) {
    for (g, spec) in scenario.groups.iter().enumerate() {
        for (i, kind) in spec.initial_kinds().enumerate() {
            let zone = spec.zones[i % spec.zones.len()];
            state.register_instance(ctx, crate::ids::GroupId(g as u16), zone, kind);
        }
    }
    for i in 0..state.services.len() {
        let sid = ServiceId(i as u16);
        ctx.notice(Notice::DesiredCount { service: sid, desired: state.services[i].desired_count });
        state.request_reconcile(ctx, sid);
    }
    for (i, e) in state.timeline.iter().enumerate() {
        ctx.at(e.at, Event::Timeline(i));
    }
    for w in 0..state.workloads.len() {
        state.schedule_first_arrival(ctx, w);
    }
    state.schedule_fault_windows(ctx);
    state.start_auto_scaling(ctx);
    if let Some(m) = scenario.measure_from.filter(|_| state.any_traffic) {
        ctx.at(SimTime(m.0), Event::MeasureStart);
    }
}

/// The scenario's capacity providers, each with what an empty instance of its group offers
/// tasks: the type's resources less what the DAEMON services reserve on every instance
/// (\[INFER\]: every daemon counted, whatever its constraints).
fn providers(scenario: &Scenario) -> Vec<crate::control_plane::capacity_providers::ProviderState> {
    let mut daemons = TaskRequirements::default();
    for svc in scenario.services.iter().filter(|s| s.daemon) {
        let t = TaskRequirements::of(&scenario.task_definitions[svc.task_definition.index()]);
        daemons.cpu += t.cpu;
        daemons.memory_mib += t.memory_mib;
        daemons.enis += t.enis;
        daemons.gpus += t.gpus;
    }
    scenario
        .capacity_providers
        .iter()
        .map(|cp| {
            let (smallest, largest) = scenario.groups[cp.group.index()].smallest_and_largest();
            let shape = |k: &crate::cluster::InstanceTypeSpec| crate::ecs::managed_scaling::InstanceShape {
                cpu: k.cpu.saturating_sub(daemons.cpu),
                memory_mib: k.memory_mib.saturating_sub(daemons.memory_mib),
                enis: k.eni_task_slots.saturating_sub(daemons.enis),
                gpus: k.gpus.saturating_sub(daemons.gpus),
            };
            crate::control_plane::capacity_providers::ProviderState::new(cp.clone(), shape(&smallest), shape(&largest))
        })
        .collect()
}

/// CloudWatch for a scenario: the metrics its policies and alarms read, metering every target
/// group with traffic in front of a service whose CPU or memory is read, and those whose
/// requests are.
pub fn cloudwatch(scenario: &Scenario) -> CloudWatch {
    let (a, tt) = (&scenario.auto_scaling, &scenario.settings.target_tracking);
    let metrics = a.metrics();
    let mut metered = vec![false; scenario.target_groups.len()];
    for m in &metrics {
        match *m {
            Metric::Cpu(s) | Metric::Memory(s) => {
                for lb in &scenario.services[s.index()].load_balancers {
                    metered[lb.target_group] |= scenario.has_traffic(lb.target_group);
                }
            }
            Metric::RequestCountPerTarget(g) | Metric::RequestCount(g) => metered[g] |= scenario.has_traffic(g),
        }
    }
    let keep = (a.alarms.iter().map(|al| al.period_minutes as usize))
        .chain([tt.high_datapoints as usize, tt.low_datapoints as usize])
        .max()
        .unwrap_or(1);
    let cpu_known = (scenario.services.iter())
        .map(|s| scenario.task_definitions[s.task_definition.index()].behavior.capacity_rps.is_some())
        .collect();
    CloudWatch::new(metrics, metered, cpu_known, keep)
}

/// The data planes of the target groups with traffic (`None` for the others).
pub fn data_planes(scenario: &Scenario, seed: u64) -> Vec<Option<TargetGroupTraffic>> {
    let day_offset_ms = scenario.start_epoch_ms.rem_euclid(86_400_000) as u64;
    let loads: Vec<TaskLoad> = (scenario.task_definitions.iter())
        .map(|td| TaskLoad {
            capacity_rps: td.behavior.capacity_rps,
            memory_base_mib: td.behavior.memory_base_mib,
            memory_mib_per_rps: td.behavior.memory_mib_per_rps,
            memory_mib: f64::from(td.reserved_memory_mib()),
        })
        .collect();
    (0..scenario.target_groups.len())
        .map(|g| {
            let stream = scenario.traffic.iter().find(|t| t.target_group == g)?;
            let traffic = crate::elb::traffic::Traffic::new(stream.spec.clone(), seed, g as u32, day_offset_ms);
            let services = scenario.services_behind(g);
            // A service's tasks count in its utilization once, in its first target group with
            // traffic.
            let counts_tasks = (services.iter())
                .map(|s| {
                    let lbs = &scenario.services[s.index()].load_balancers;
                    lbs.iter().map(|lb| lb.target_group).find(|&t| scenario.has_traffic(t)) == Some(g)
                })
                .collect();
            let plane =
                DataPlane::new(traffic, scenario.target_groups[g].routing, services, counts_tasks, loads.clone());
            Some(TargetGroupTraffic::new(plane))
        })
        .collect()
}
