//! The CapacityProviderReservation datapoint of a capacity provider with managed scaling, on
//! groups of 100, 1,000 and 5,000 instances (the Auto Scaling group maximum), each full and with 300 tasks of three sizes waiting
//! in PROVISIONING: the cost must not grow with the fleet (busy instances are counted as tasks
//! come and go; only the PROVISIONING task groups are binpacked).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ecsim::scenario::load_str;
use ecsim::sim::Simulation;

/// `instances` m5.large (2 vCPU), each holding one 2-vCPU task of `full`, and three services of
/// 100 tasks each that find no room.
fn scenario(instances: u32) -> String {
    let mut t = format!(
        r#"[scenario]
duration = "1h"
[cluster]
zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
defaultCapacityProviderStrategy = [{{ capacityProvider = "cp", weight = 1 }}]
[settings]
max_instances_registered = 200000
[[instance_groups]]
name = "asg"
instance_type = "m5.large"
count = {instances}
max_size = 5000
[[capacity_providers]]
name = "cp"
autoScalingGroupProvider = {{ autoScalingGroupArn = "asg", managedScaling = {{ status = "ENABLED" }} }}
"#
    );
    for (family, cpu, desired) in [("full", 2048, instances), ("a", 256, 100), ("b", 512, 100), ("c", 1024, 100)] {
        t += &format!(
            "[[task_definitions]]\nfamily = \"{family}\"\ncpu = \"{cpu}\"\nmemory = \"512\"\ncontainerDefinitions = [{{ name = \"x\", image = \"x\", essential = true }}]\n\
             [[services]]\nserviceName = \"{family}\"\ntaskDefinition = \"{family}\"\ndesiredCount = {desired}\n"
        );
    }
    t
}

fn reservation(c: &mut Criterion) {
    let mut group = c.benchmark_group("capacity_provider_reservation");
    for instances in [100u32, 1_000, 5_000] {
        let s = load_str("bench.toml", &scenario(instances), None).expect("the bench scenario loads");
        let mut sim = Simulation::new(&s, s.seed);
        sim.run_until(ecsim::engine::SimTime(1)).expect("runs");
        let (_, needed) = sim.state().reservation(0);
        assert_eq!(needed.compatible_tasks, 300, "300 tasks wait in PROVISIONING");
        group.bench_with_input(BenchmarkId::from_parameter(instances), &sim, |b, sim| {
            b.iter(|| black_box(sim.state().reservation(0)))
        });
    }
    group.finish();
}

criterion_group!(benches, reservation);
criterion_main!(benches);
