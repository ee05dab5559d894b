//! The validated scenario: typed ids, units and checked references. Everything the simulation
//! reads comes from here; nothing here refers back to the file.

use crate::cluster::InstanceGroupSpec;
pub use crate::control_plane::{
    Action, Arrivals, CheckPhase, Fault, FaultSchedule, InstanceTarget, Pick, Settings, TimelineEvent, Workload,
};
use crate::ecs::service::ServiceSpec;
use crate::ecs::task_definition::TaskDefinition;
use crate::engine::SimDuration;

#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub name: String,
    /// The file as named by the user (or `<bundled quickstart>`).
    pub file: String,
    /// SHA-256 of the scenario text and every file it references.
    pub sha256: String,
    pub seed: u64,
    /// Wall-clock time of simulated time zero, ms since the Unix epoch (`scenario.start_time`).
    pub start_epoch_ms: i64,
    pub duration: SimDuration,
    pub measure_from: Option<SimDuration>,
    pub settings: Settings,
    pub zones: Vec<String>,
    pub groups: Vec<InstanceGroupSpec>,
    pub task_definitions: Vec<TaskDefinition>,
    pub target_groups: Vec<crate::elb::target_group::TargetGroupSpec>,
    /// `[[capacity_providers]]`: Auto Scaling group providers (FARGATE and FARGATE_SPOT exist
    /// without being listed).
    pub capacity_providers: Vec<crate::ecs::capacity_provider::CapacityProviderSpec>,
    /// `[pricing]`: the user's prices, for the cost of the run's usage (no built-in price list).
    pub pricing: Pricing,
    /// `[cluster] defaultCapacityProviderStrategy`: what services and RunTask calls without a
    /// launch type or strategy of their own use.
    pub default_capacity_provider_strategy: Vec<crate::ecs::capacity_provider_strategy::StrategyItem>,
    pub services: Vec<ServiceSpec>,
    pub timeline: Vec<TimelineEvent>,
    pub faults: Vec<Fault>,
    pub workloads: Vec<Workload>,
    /// `[[traffic]]`: request streams, at most one per target group.
    pub traffic: Vec<super::traffic::TrafficStream>,
    /// Service Auto Scaling (`[[scalable_targets]]`, `[[scaling_policies]]`, ...).
    pub auto_scaling: crate::autoscaling::AutoScaling,
    /// `[[expect]]` tables, plus any `--expect` the command line adds.
    pub expectations: Vec<super::Expectation>,
    /// `[[swarm]]`: parameters `ecsim sweep --swarm` draws per run (ignored otherwise).
    pub swarm: Vec<super::swarm::SwarmParam>,
    /// AWS fields accepted but not simulated (`validate --verbose`).
    pub ignored_fields: Vec<String>,
    /// Defaults ecsim chose where the files leave a simulated quantity open.
    pub assumptions: Vec<String>,
}

impl Scenario {
    /// Whether target group `g` has a `[[traffic]]` stream.
    pub fn has_traffic(&self, g: usize) -> bool {
        self.traffic.iter().any(|t| t.target_group == g)
    }

    /// The services behind target group `g` (its targets' owners), in scenario order.
    pub fn services_behind(&self, g: usize) -> Vec<crate::ids::ServiceId> {
        (self.services.iter().enumerate())
            .filter(|(_, s)| s.load_balancers.iter().any(|lb| lb.target_group == g))
            .map(|(i, _)| crate::ids::ServiceId(i as u16))
            .collect()
    }

    /// Every subject summary.json reports on, by kind: what expectations, baselines and sweeps
    /// may name. The providers are the scenario's own (FARGATE and FARGATE_SPOT have no scaling
    /// to report; their usage is under `fargate`, for those a service or RunTask uses).
    pub fn subject_names(&self) -> super::expect::SubjectNames {
        let names = |it: &mut dyn Iterator<Item = &String>| it.cloned().collect::<Vec<String>>();
        super::expect::SubjectNames {
            services: names(&mut self.services.iter().map(|s| &s.name)),
            workloads: names(&mut self.workloads.iter().map(|w| &w.name)),
            target_groups: names(&mut self.target_groups.iter().map(|g| &g.name)),
            capacity_providers: names(&mut self.capacity_providers.iter().filter(|p| !p.is_fargate()).map(|p| &p.name)),
            instance_groups: names(&mut self.groups.iter().filter(|g| !g.fargate).map(|g| &g.name)),
            fargate: names(&mut self.groups.iter().filter(|g| g.fargate && g.count > 0).map(|g| &g.name)),
        }
    }
}

/// `[pricing]`: prices per hour, in the user's currency. A usage without a price has no cost.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pricing {
    /// Per instance type, the price of an instance-hour.
    pub instance_hour: Vec<(String, f64)>,
    pub fargate_vcpu_hour: Option<f64>,
    pub fargate_gb_hour: Option<f64>,
    pub fargate_spot_vcpu_hour: Option<f64>,
    pub fargate_spot_gb_hour: Option<f64>,
}

impl Pricing {
    pub fn is_empty(&self) -> bool {
        *self == Pricing::default()
    }

    /// The price of an instance-hour of `instance_type`, if given.
    pub fn instance_hour_price(&self, instance_type: &str) -> Option<f64> {
        self.instance_hour.iter().find(|(t, _)| t == instance_type).map(|(_, p)| *p)
    }
}
