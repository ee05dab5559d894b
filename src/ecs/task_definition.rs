//! Task definitions as ECS registers them (AWS field names live in the scenario reader), and the
//! rule for what a task reserves on a container instance (SCHEDULING.md §2.3).

use crate::ecs::placement::Constraint;
use crate::engine::{Distribution, SimDuration};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetworkMode {
    Bridge,
    Host,
    Awsvpc,
    None,
}

impl NetworkMode {
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkMode::Bridge => "bridge",
            NetworkMode::Host => "host",
            NetworkMode::Awsvpc => "awsvpc",
            NetworkMode::None => "none",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Protocol {
    Tcp,
    Udp,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PortMapping {
    pub container_port: u16,
    /// `None` (absent or 0) in bridge mode: a dynamic port from the ephemeral range.
    pub host_port: Option<u16>,
    pub protocol: Protocol,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ContainerDefinition {
    pub name: String,
    pub image: String,
    /// CPU units (shares); 0 when unset.
    pub cpu: u32,
    /// Hard limit, MiB.
    pub memory_mib: Option<u32>,
    /// Soft limit, MiB.
    pub memory_reservation_mib: Option<u32>,
    pub essential: bool,
    pub port_mappings: Vec<PortMapping>,
    /// Time from the stop signal to SIGKILL; `None` uses the agent's default (30 s).
    pub stop_timeout: Option<SimDuration>,
    pub health_check: Option<crate::ecs::container_health::HealthCheck>,
    /// `dependsOn`: containers that must reach a condition before this one starts.
    pub depends_on: Vec<Dependency>,
    /// GPUs this container needs (`resourceRequirements` of type GPU).
    pub gpus: u32,
    /// `startTimeout`: how long dependants wait for this container's COMPLETE, SUCCESS or
    /// HEALTHY condition once it has started.
    pub start_timeout: Option<SimDuration>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DependencyCondition {
    Start,
    Complete,
    Success,
    Healthy,
}

impl DependencyCondition {
    pub fn as_str(self) -> &'static str {
        match self {
            DependencyCondition::Start => "START",
            DependencyCondition::Complete => "COMPLETE",
            DependencyCondition::Success => "SUCCESS",
            DependencyCondition::Healthy => "HEALTHY",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dependency {
    /// Index of the container depended on.
    pub container: usize,
    pub condition: DependencyCondition,
}

/// How one container behaves, for containers that exit on their own (init or migration
/// containers): `behavior.containers.NAME`.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerBehavior {
    pub name: String,
    /// From its start until it exits.
    pub run: SimDuration,
    pub exit_code: i32,
}

/// How the image behaves when it runs: the simulator's own section, not AWS's.
#[derive(Clone, Debug, PartialEq)]
pub struct Behavior {
    /// PENDING to ACTIVATING: pulling the images.
    pub image_pull: Distribution,
    /// ACTIVATING to RUNNING: creating and starting the containers.
    pub startup: Distribution,
    /// For tasks that finish on their own (batch): time from RUNNING until the essential
    /// container exits with code 0. `None`: runs until stopped.
    pub run: Option<Distribution>,
    /// From the stop signal until the containers have exited; capped by `stopTimeout`.
    pub stop: Distribution,
    /// From RUNNING until the app answers health checks (a slow start).
    pub ready_after: Distribution,
    /// A bad build: how its tasks fail, after how long, and what fraction of them.
    pub fault: Option<BuildFault>,
    /// Containers that exit on their own.
    pub containers: Vec<ContainerBehavior>,
    /// Requests per second one task serves at 100 % of its CPU reservation (None: no limit).
    pub capacity_rps: Option<f64>,
    /// CPU utilization (percent) past which a task's share of requests fails as overload.
    pub max_utilization_percent: f64,
    /// Memory a task uses: a base, plus this much per request per second it serves (MiB).
    pub memory_base_mib: f64,
    pub memory_mib_per_rps: f64,
}

/// How a bad build's tasks fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// The image cannot be pulled: the task stops before RUNNING (CannotPullContainerError).
    ImagePull,
    /// The container exits while starting: the task stops before RUNNING.
    StartFailure,
    /// The essential container exits `after` its start (EssentialContainerExited).
    EssentialExit,
    /// The container health check fails from `after` past readiness (at once: it never passes).
    ContainerHealth,
    /// The load balancer's health check fails from `after` past readiness.
    TargetHealth,
}

impl FaultKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::ImagePull => "image_pull_failure",
            FaultKind::StartFailure => "start_failure",
            FaultKind::EssentialExit => "essential_exit",
            FaultKind::ContainerHealth => "container_health_failure",
            FaultKind::TargetHealth => "target_health_failure",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct BuildFault {
    pub kind: FaultKind,
    /// For failures after RUNNING: how long after it (exit) or after readiness (health).
    pub after: SimDuration,
    /// The fraction of tasks affected (1.0: every task; less: a flaky build).
    pub fraction: f64,
}

impl Default for Behavior {
    fn default() -> Self {
        Behavior {
            image_pull: Distribution::fixed_secs(10),
            startup: Distribution::fixed_secs(5),
            run: None,
            stop: Distribution::fixed_secs(2),
            ready_after: Distribution::Fixed(SimDuration::ZERO),
            fault: None,
            containers: Vec::new(),
            capacity_rps: None,
            max_utilization_percent: 100.0,
            memory_base_mib: 0.0,
            memory_mib_per_rps: 0.0,
        }
    }
}

/// The agent's default stop timeout (`ECS_CONTAINER_STOP_TIMEOUT`, 30 s).
pub const DEFAULT_STOP_TIMEOUT: SimDuration = SimDuration::from_secs(30);

#[derive(Clone, Debug, PartialEq)]
pub struct TaskDefinition {
    pub family: String,
    pub revision: u32,
    /// Read from a file that gives no revision (register-task-definition input): ecsim numbered
    /// it, and a service naming `family:N` for any N means this definition.
    pub revision_assigned: bool,
    pub network_mode: NetworkMode,
    /// Task-level CPU units, when set.
    pub cpu: Option<u32>,
    /// Task-level memory MiB, when set.
    pub memory_mib: Option<u32>,
    pub containers: Vec<ContainerDefinition>,
    /// memberOf constraints from the task definition.
    pub placement_constraints: Vec<Constraint>,
    pub behavior: Behavior,
}

impl TaskDefinition {
    /// `family:revision`, as ECS names a revision.
    pub fn name(&self) -> String {
        format!("{}:{}", self.family, self.revision)
    }

    /// CPU units reserved on the instance: the task-level value if set, else the sum of the
    /// containers' (SCHEDULING.md §2.3, the agent's `ToHostResources`).
    pub fn reserved_cpu(&self) -> u32 {
        match self.cpu {
            Some(c) if c > 0 => c,
            _ => self.containers.iter().map(|c| c.cpu).sum(),
        }
    }

    /// Memory MiB reserved: task-level if set, else per container the soft limit if set, else the
    /// hard limit.
    pub fn reserved_memory_mib(&self) -> u32 {
        match self.memory_mib {
            Some(m) if m > 0 => m,
            _ => self.containers.iter().map(|c| c.memory_reservation_mib.or(c.memory_mib).unwrap_or(0)).sum(),
        }
    }

    /// Host ports this task holds on the instance: every non-zero hostPort, except under awsvpc
    /// (ports live on the task's own ENI), sorted.
    pub fn static_host_ports(&self, protocol: Protocol) -> Vec<u16> {
        if self.network_mode == NetworkMode::Awsvpc {
            return Vec::new();
        }
        let mut ports: Vec<u16> = self
            .containers
            .iter()
            .flat_map(|c| &c.port_mappings)
            .filter(|p| p.protocol == protocol)
            .filter_map(|p| match self.network_mode {
                NetworkMode::Host => Some(p.host_port.unwrap_or(p.container_port)),
                _ => p.host_port,
            })
            .collect();
        ports.sort_unstable();
        ports.dedup();
        ports
    }

    /// Port mappings that get a dynamic host port (bridge mode, hostPort absent or 0).
    pub fn dynamic_port_count(&self) -> usize {
        if self.network_mode != NetworkMode::Bridge {
            return 0;
        }
        self.containers.iter().flat_map(|c| &c.port_mappings).filter(|p| p.host_port.is_none()).count()
    }

    /// The host port a load balancer targets for `container`:`container_port`: the static host
    /// port, the dynamic one the agent assigned (in mapping order), or the container port itself
    /// (host and awsvpc modes).
    pub fn host_port(&self, dynamic_ports: &[u16], container: &str, container_port: u16) -> u16 {
        let mut dynamic = dynamic_ports.iter();
        for c in &self.containers {
            for m in &c.port_mappings {
                let port = match (self.network_mode, m.host_port) {
                    (NetworkMode::Bridge, None) => dynamic.next().copied().unwrap_or(0),
                    (NetworkMode::Bridge, Some(h)) => h,
                    _ => m.container_port,
                };
                if c.name == container && m.container_port == container_port {
                    return port;
                }
            }
        }
        container_port
    }

    /// Essential containers with a health check: the task's health is theirs (§1.8).
    pub fn essential_health_checks(&self) -> impl Iterator<Item = &crate::ecs::container_health::HealthCheck> {
        self.containers.iter().filter(|c| c.essential).filter_map(|c| c.health_check.as_ref())
    }

    /// The longest stop timeout among the containers: when the last one is killed.
    pub fn stop_timeout(&self) -> SimDuration {
        self.containers
            .iter()
            .map(|c| c.stop_timeout.unwrap_or(DEFAULT_STOP_TIMEOUT))
            .max()
            .unwrap_or(DEFAULT_STOP_TIMEOUT)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn container(name: &str, cpu: u32, memory: Option<u32>, reservation: Option<u32>) -> ContainerDefinition {
        ContainerDefinition {
            name: name.into(),
            image: "busybox".into(),
            cpu,
            memory_mib: memory,
            memory_reservation_mib: reservation,
            essential: true,
            port_mappings: vec![],
            stop_timeout: None,
            health_check: None,
            depends_on: vec![],
            start_timeout: None,
            gpus: 0,
        }
    }

    pub fn taskdef(cpu: Option<u32>, memory: Option<u32>, containers: Vec<ContainerDefinition>) -> TaskDefinition {
        TaskDefinition {
            family: "app".into(),
            revision: 1,
            revision_assigned: false,
            network_mode: NetworkMode::Bridge,
            cpu,
            memory_mib: memory,
            containers,
            placement_constraints: vec![],
            behavior: Behavior::default(),
        }
    }

    /// E-M1: task memory wins; otherwise memoryReservation, else memory, per container.
    #[test]
    fn e_m1_memory_reservation() {
        let td = taskdef(None, Some(2048), vec![container("a", 0, Some(1024), Some(512))]);
        assert_eq!(td.reserved_memory_mib(), 2048);
        let td =
            taskdef(None, None, vec![container("a", 0, Some(1024), Some(512)), container("b", 0, Some(512), None)]);
        assert_eq!(td.reserved_memory_mib(), 1024);
    }

    /// E-M2: task cpu "1 vCPU" reserves 1024; without task cpu, containers 256 + unset reserve 256.
    #[test]
    fn e_m2_cpu_reservation() {
        let td = taskdef(Some(1024), Some(512), vec![container("a", 0, None, None)]);
        assert_eq!(td.reserved_cpu(), 1024);
        let td = taskdef(None, Some(512), vec![container("a", 256, None, None), container("b", 0, None, None)]);
        assert_eq!(td.reserved_cpu(), 256);
    }

    #[test]
    fn awsvpc_holds_no_host_ports_and_host_mode_uses_container_port() {
        let mut c = container("a", 0, Some(128), None);
        c.port_mappings = vec![PortMapping { container_port: 80, host_port: None, protocol: Protocol::Tcp }];
        let mut td = taskdef(None, None, vec![c]);
        assert_eq!(td.static_host_ports(Protocol::Tcp), Vec::<u16>::new());
        assert_eq!(td.dynamic_port_count(), 1);
        td.network_mode = NetworkMode::Host;
        assert_eq!(td.static_host_ports(Protocol::Tcp), vec![80]);
        td.network_mode = NetworkMode::Awsvpc;
        assert_eq!(td.static_host_ports(Protocol::Tcp), Vec::<u16>::new());
    }
}
