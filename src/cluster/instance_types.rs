//! Built-in table of common EC2 instance types: what a container instance of each type registers
//! with ECS (CPU units = vCPU x 1024; memory in MiB after the OS's share) and its ENI limit.

/// One EC2 instance type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstanceType {
    pub name: &'static str,
    pub vcpu: u32,
    pub memory_gib: u32,
    /// Maximum attachable network interfaces (awsvpc tasks use all but the primary one).
    pub max_enis: u32,
    pub arm64: bool,
}

impl InstanceType {
    pub fn cpu_units(&self) -> u32 {
        self.vcpu * 1024
    }

    /// Memory the agent registers: the OS-visible memory. ECS documents that an m4.large (8 GiB)
    /// registers about 7,985 MiB on Linux [DOC memory-management]; ecsim scales that ratio to
    /// every size (\[INFER\]; override with `memory_mib` on the instance group).
    pub fn registered_memory_mib(&self) -> u32 {
        let nominal = u64::from(self.memory_gib) * 1024;
        (nominal * 7985 / 8192) as u32
    }
}

macro_rules! types {
    ($( $name:literal $vcpu:literal $mem:literal $enis:literal $arm:literal ),* $(,)?) => {
        &[ $( InstanceType { name: $name, vcpu: $vcpu, memory_gib: $mem, max_enis: $enis, arm64: $arm } ),* ]
    };
}

/// name, vCPU, memory GiB, max ENIs, arm64.
pub static INSTANCE_TYPES: &[InstanceType] = types![
    "t2.micro" 1 1 2 false, "t2.small" 1 2 2 false, "t2.medium" 2 4 3 false, "t2.large" 2 8 3 false,
    "t2.xlarge" 4 16 3 false, "t2.2xlarge" 8 32 3 false,
    "t3.micro" 2 1 2 false, "t3.small" 2 2 3 false, "t3.medium" 2 4 3 false, "t3.large" 2 8 3 false,
    "t3.xlarge" 4 16 4 false, "t3.2xlarge" 8 32 4 false,
    "t4g.micro" 2 1 2 true, "t4g.small" 2 2 3 true, "t4g.medium" 2 4 3 true, "t4g.large" 2 8 3 true,
    "t4g.xlarge" 4 16 4 true, "t4g.2xlarge" 8 32 4 true,
    "m4.large" 2 8 2 false, "m4.xlarge" 4 16 4 false, "m4.2xlarge" 8 32 4 false, "m4.4xlarge" 16 64 8 false,
    "m4.10xlarge" 40 160 8 false, "m4.16xlarge" 64 256 8 false,
    "m5.large" 2 8 3 false, "m5.xlarge" 4 16 4 false, "m5.2xlarge" 8 32 4 false, "m5.4xlarge" 16 64 8 false,
    "m5.8xlarge" 32 128 8 false, "m5.12xlarge" 48 192 8 false, "m5.16xlarge" 64 256 15 false,
    "m5.24xlarge" 96 384 15 false,
    "m6i.large" 2 8 3 false, "m6i.xlarge" 4 16 4 false, "m6i.2xlarge" 8 32 4 false, "m6i.4xlarge" 16 64 8 false,
    "m6i.8xlarge" 32 128 8 false, "m6i.12xlarge" 48 192 8 false, "m6i.16xlarge" 64 256 15 false,
    "m6g.large" 2 8 3 true, "m6g.xlarge" 4 16 4 true, "m6g.2xlarge" 8 32 4 true, "m6g.4xlarge" 16 64 8 true,
    "m7g.large" 2 8 3 true, "m7g.xlarge" 4 16 4 true, "m7g.2xlarge" 8 32 4 true, "m7g.4xlarge" 16 64 8 true,
    "c5.large" 2 4 3 false, "c5.xlarge" 4 8 4 false, "c5.2xlarge" 8 16 4 false, "c5.4xlarge" 16 32 8 false,
    "c5.9xlarge" 36 72 8 false, "c5.12xlarge" 48 96 8 false, "c5.18xlarge" 72 144 15 false,
    "c5.24xlarge" 96 192 15 false,
    "c6i.large" 2 4 3 false, "c6i.xlarge" 4 8 4 false, "c6i.2xlarge" 8 16 4 false, "c6i.4xlarge" 16 32 8 false,
    "c6i.8xlarge" 32 64 8 false,
    "c6g.large" 2 4 3 true, "c6g.xlarge" 4 8 4 true, "c6g.2xlarge" 8 16 4 true, "c6g.4xlarge" 16 32 8 true,
    "c7g.large" 2 4 3 true, "c7g.xlarge" 4 8 4 true, "c7g.2xlarge" 8 16 4 true, "c7g.4xlarge" 16 32 8 true,
    "r5.large" 2 16 3 false, "r5.xlarge" 4 32 4 false, "r5.2xlarge" 8 64 4 false, "r5.4xlarge" 16 128 8 false,
    "r5.8xlarge" 32 256 8 false, "r5.12xlarge" 48 384 8 false,
    "r6i.large" 2 16 3 false, "r6i.xlarge" 4 32 4 false, "r6i.2xlarge" 8 64 4 false, "r6i.4xlarge" 16 128 8 false,
    "r6g.large" 2 16 3 true, "r6g.xlarge" 4 32 4 true, "r6g.2xlarge" 8 64 4 true, "r6g.4xlarge" 16 128 8 true,
];

pub fn lookup(name: &str) -> Option<&'static InstanceType> {
    INSTANCE_TYPES.iter().find(|t| t.name == name)
}

/// GPU instance types: name, vCPU, memory GiB, GPUs, max ENIs.
pub static GPU_TYPES: &[(&str, u32, u32, u32, u32)] = &[
    ("g4dn.xlarge", 4, 16, 1, 3),
    ("g4dn.2xlarge", 8, 32, 1, 3),
    ("g4dn.12xlarge", 48, 192, 4, 8),
    ("g5.xlarge", 4, 16, 1, 4),
    ("g5.2xlarge", 8, 32, 1, 4),
    ("g5.12xlarge", 48, 192, 4, 15),
    ("p3.2xlarge", 8, 61, 1, 4),
    ("p3.8xlarge", 32, 244, 4, 8),
];

/// GPUs of a type (0 for types without).
pub fn gpus(name: &str) -> u32 {
    GPU_TYPES.iter().find(|t| t.0 == name).map_or(0, |t| t.3)
}

/// The built-in table and the GPU types, as one lookup.
pub fn lookup_any(name: &str) -> Option<InstanceType> {
    lookup(name).copied().or_else(|| {
        GPU_TYPES.iter().find(|t| t.0 == name).map(|t| InstanceType {
            name: t.0,
            vcpu: t.1,
            memory_gib: t.2,
            max_enis: t.4,
            arm64: false,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn m4_large_registers_the_documented_memory() {
        let t = lookup("m4.large").unwrap();
        assert_eq!(t.registered_memory_mib(), 7985);
        assert_eq!(t.cpu_units(), 2048);
    }

    #[test]
    fn c5_large_has_three_enis() {
        assert_eq!(lookup("c5.large").unwrap().max_enis, 3);
    }

    #[test]
    fn names_are_unique() {
        for (i, a) in INSTANCE_TYPES.iter().enumerate() {
            assert!(INSTANCE_TYPES[i + 1..].iter().all(|b| b.name != a.name), "{}", a.name);
        }
    }
}
