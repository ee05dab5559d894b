//! What one task needs from a container instance: the resources the cluster's ledger and capacity
//! index count (ECS derives them from a task definition, `ecs::placement`).

/// What one task needs from an instance.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskRequirements {
    pub cpu: u32,
    pub memory_mib: u32,
    pub ports_tcp: Vec<u16>,
    pub ports_udp: Vec<u16>,
    pub dynamic_ports: usize,
    /// ENIs (1 for an awsvpc task).
    pub enis: u32,
    /// GPUs (`resourceRequirements` of type GPU, summed over containers).
    pub gpus: u32,
}
