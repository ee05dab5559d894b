//! Dense integer ids for everything in the simulation: they index `Vec`s, order totally, and make
//! every sort key end in an id (DESIGN.md §2).

macro_rules! id {
    ($(#[$doc:meta] $name:ident($t:ty);)*) => {$(
        #[$doc]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub $t);
        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    )*};
}

id! {
    /// A container instance, in registration order.
    InstanceId(u32);
    /// An Availability Zone, in the scenario's order.
    ZoneId(u16);
    /// An instance group (an Auto Scaling group's worth of instances).
    GroupId(u16);
    /// A task, in launch order.
    TaskId(u32);
    /// A service, in the scenario's order.
    ServiceId(u16);
    /// A registered task definition revision.
    TaskDefId(u32);
    /// A task group for placement (`service:web`, `family:batch`).
    TaskGroupId(u32);
}
