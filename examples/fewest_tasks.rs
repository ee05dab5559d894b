//! A custom placement strategy compared with the built-in ones.
//!
//! `FewestTasks` puts each task on the instance running the fewest tasks of any service (ECS's
//! `runningTasksCount`), so services share out instances instead of each spreading on its own.
//! The example loads `scenarios/strategies.toml`, gives all three services the same strategy, and
//! prints the worst redundancy each strategy leaves over 10 seeds.
//!
//! Run it with `cargo run --release --example fewest_tasks`.

use std::path::Path;

use ecsim::cluster::ContainerInstance;
use ecsim::ecs::placement::{CustomStrategy, PlacementStrategy, PlacementView, Resource, SpreadField, Strategy};
use ecsim::scenario::load_file;
use ecsim::sim::Simulation;

struct FewestTasks;

impl PlacementStrategy for FewestTasks {
    fn name(&self) -> &str {
        "fewest-tasks"
    }

    fn score(&self, _view: &PlacementView<'_>, candidate: &ContainerInstance) -> i64 {
        i64::from(candidate.running_tasks_count())
    }
}

fn main() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/strategies.toml");
    let scenario = load_file(&path).unwrap_or_else(|d| panic!("{d}"));
    let chains: Vec<(&str, Vec<Strategy>)> = vec![
        ("binpack(memory)", vec![Strategy::Binpack(Resource::Memory)]),
        ("default AZ spread", vec![]),
        ("spread(AZ) + binpack", vec![Strategy::Spread(SpreadField::Zone), Strategy::Binpack(Resource::Memory)]),
        ("fewest-tasks (custom)", vec![Strategy::Custom(CustomStrategy::new(FewestTasks))]),
        (
            "spread(AZ) + fewest-tasks",
            vec![Strategy::Spread(SpreadField::Zone), Strategy::Custom(CustomStrategy::new(FewestTasks))],
        ),
    ];
    println!("{:<28} {:>12} {:>15} {:>16}", "strategy", "min healthy", "min AZ margin", "min inst margin");
    for (label, chain) in chains {
        let (mut healthy, mut az, mut inst) = (u32::MAX, u32::MAX, u32::MAX);
        for seed in 1..=10 {
            let mut s = scenario.clone();
            for svc in &mut s.services {
                svc.strategies = chain.clone();
            }
            let r = Simulation::new(&s, seed).run().expect("the scenario runs");
            for svc in &r.services {
                healthy = healthy.min(svc.accum.min_healthy.unwrap_or(0));
                az = az.min(svc.accum.min_az_loss_margin.unwrap_or(0));
                inst = inst.min(svc.accum.min_instance_loss_margin.unwrap_or(0));
            }
        }
        println!("{label:<28} {healthy:>12} {az:>15} {inst:>16}");
    }
}
