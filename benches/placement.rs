//! Placing one task on a 1,000-instance cluster (3 AZs, about half full) under the service
//! default (spread over AZs, then instances) and under spread(AZ) + binpack(memory).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ecsim::cluster::{Cluster, InstanceGroupSpec, InstanceTypeSpec};
use ecsim::ecs::placement::{
    PlacementRequest, Resource, SpreadField, Strategy, TaskRequirements, TieBreak, default_service_strategies, place,
};
use ecsim::engine::{SimDuration, SimRng, SimTime, Stream};
use ecsim::ids::{GroupId, ZoneId};

fn cluster() -> (Cluster, ecsim::ids::TaskGroupId) {
    let zones: Vec<String> = ["us-east-1a", "us-east-1b", "us-east-1c"].map(String::from).to_vec();
    let group = InstanceGroupSpec {
        name: "fleet".into(),
        types: vec![InstanceTypeSpec {
            name: "m5.xlarge".into(),
            cpu: 4096,
            memory_mib: 15_970,
            arm64: false,
            gpus: 0,
            eni_task_slots: 3,
        }],
        count: 1000,
        initial_by_type: vec![1000],
        min_size: 0,
        max_size: 5000,
        zones: (0..3).map(ZoneId).collect(),
        attributes: vec![],
        launch_time: SimDuration::ZERO,
        replacement_delay: None,
        health_check_grace_period: ecsim::engine::SimDuration::ZERO,
        spot_instance_draining: false,
        az_rebalance: true,
        fargate: false,
        agent_version: "1.90.0".into(),
    };
    let mut c = Cluster::new(zones, vec![group]);
    let tg = c.task_group("service:web");
    let mut rng = SimRng::new(3, Stream::Test);
    for i in 0..1000u16 {
        let id = c.register_instance(GroupId(0), ZoneId(i % 3), 0, SimTime::ZERO);
        let used = rng.below(9) as u32;
        c.update_instance(id, |ci| {
            ci.cpu_free -= used * 256;
            ci.memory_mib_free -= used * 1024;
        });
        c.count_group_task(id, tg, used as i32 / 3);
    }
    (c, tg)
}

fn placement(c: &mut Criterion) {
    let (cluster, group) = cluster();
    let task = TaskRequirements {
        cpu: 256,
        memory_mib: 1024,
        ports_tcp: vec![],
        ports_udp: vec![],
        dynamic_ports: 1,
        enis: 0,
        gpus: 0,
    };
    let chains = [
        ("default_spread_az_instance", default_service_strategies()),
        ("spread_az_binpack_memory", vec![Strategy::Spread(SpreadField::Zone), Strategy::Binpack(Resource::Memory)]),
    ];
    let mut rng = SimRng::new(1, Stream::Test);
    for (name, strategies) in chains {
        let req = PlacementRequest {
            task: &task,
            group,
            pool: None,
            strategies: &strategies,
            constraints: &[],
            tie_break: TieBreak::Ordered,
        };
        c.bench_function(&format!("place_one_task_1000_instances/{name}"), |b| {
            b.iter(|| black_box(place(black_box(&cluster), &req, &mut rng)))
        });
    }
}

criterion_group!(benches, placement);
criterion_main!(benches);
