//! Container start order (`dependsOn`, SCHEDULING.md §1.6) planned in closed form: when each
//! container starts, and so when the task reaches RUNNING (every essential container started),
//! or which dependency error stops the task, and when.
//!
//! START waits for the dependency to start; COMPLETE for it to exit; SUCCESS for it to exit 0
//! (another code is a terminal error); HEALTHY for its first passing health check. A dependency
//! with `startTimeout` that has not reached COMPLETE, SUCCESS or HEALTHY by its start + timeout
//! is a terminal error. Containers are created in parallel; each takes the task's startup time.

use crate::ecs::container_health::{self, Health};
use crate::ecs::task_definition::{DependencyCondition, TaskDefinition};
use crate::engine::checks::PassWindow;
use crate::engine::{SimDuration, SimTime};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartPlan {
    /// Every essential container has started at this time.
    RunningAt(SimTime),
    /// A dependency can never be met: the task stops at this time, for this reason.
    FailsAt(SimTime, String),
}

/// When `dep` reaches `cond`, given that it started at `started`; `Err` if never (with when
/// that is known and why).
fn condition_time(
    td: &TaskDefinition,
    dep: usize,
    cond: DependencyCondition,
    started: SimTime,
    ready_after: SimDuration,
    healthy_never: bool,
) -> Result<SimTime, (SimTime, String)> {
    let c = &td.containers[dep];
    let exit = td.behavior.containers.iter().find(|b| b.name == c.name);
    let met = match cond {
        DependencyCondition::Start => return Ok(started),
        DependencyCondition::Complete => exit.map(|b| started.after(b.run)),
        DependencyCondition::Success => match exit {
            Some(b) if b.exit_code == 0 => Some(started.after(b.run)),
            Some(b) => {
                return Err((
                    started.after(b.run),
                    format!("dependency {} exited with code {} (SUCCESS required)", c.name, b.exit_code),
                ));
            }
            None => None,
        },
        DependencyCondition::Healthy => c.health_check.as_ref().and_then(|hc| {
            let from = started.after(ready_after);
            let window = PassWindow { from, until: if healthy_never { Some(from) } else { None } };
            container_health::transitions(hc, started, window)
                .into_iter()
                .find(|(_, h)| *h == Health::Healthy)
                .map(|(t, _)| t)
        }),
    };
    let deadline = c.start_timeout.map(|to| started.after(to));
    match (met, deadline) {
        (Some(t), Some(d)) if t > d => {
            Err((d, format!("timed out waiting for dependency {} to be {}", c.name, cond.as_str())))
        }
        (Some(t), _) => Ok(t),
        (None, Some(d)) => Err((d, format!("timed out waiting for dependency {} to be {}", c.name, cond.as_str()))),
        (None, None) => Err((SimTime::MAX, format!("dependency {} never becomes {}", c.name, cond.as_str()))),
    }
}

/// Plans the start of every container of a task whose containers are created at `created`.
/// Dependencies must be acyclic (checked when the task definition is read).
pub fn plan_start(td: &TaskDefinition, created: SimTime, ready_after: SimDuration, healthy_never: bool) -> StartPlan {
    let n = td.containers.len();
    let mut start: Vec<Option<Result<SimTime, (SimTime, String)>>> = vec![None; n];
    // Repeated passes resolve containers whose dependencies are resolved (at most n passes).
    for _ in 0..n {
        for i in 0..n {
            if start[i].is_some() {
                continue;
            }
            let deps = &td.containers[i].depends_on;
            if deps.iter().any(|d| start[d.container].is_none()) {
                continue;
            }
            let mut at = Ok(created);
            for d in deps {
                let dep_start = match &start[d.container] {
                    Some(Ok(t)) => *t,
                    Some(Err(e)) => {
                        at = Err(e.clone());
                        break;
                    }
                    None => unreachable!("resolved above"),
                };
                match condition_time(td, d.container, d.condition, dep_start, ready_after, healthy_never) {
                    Ok(t) => at = at.map(|a: SimTime| a.max(t)),
                    Err(e) => {
                        at = Err(e);
                        break;
                    }
                }
            }
            start[i] = Some(at);
        }
    }
    let mut running = created;
    for (i, c) in td.containers.iter().enumerate() {
        if !c.essential {
            continue;
        }
        match &start[i] {
            Some(Ok(t)) => running = running.max(*t),
            Some(Err((t, why))) => return StartPlan::FailsAt(*t, format!("container {}: {why}", c.name)),
            None => return StartPlan::FailsAt(created, format!("container {}: circular dependency", c.name)),
        }
    }
    StartPlan::RunningAt(running)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::container_health::HealthCheck;
    use crate::ecs::task_definition::tests::{container, taskdef};
    use crate::ecs::task_definition::{ContainerBehavior, Dependency};

    fn s(x: u64) -> SimTime {
        SimTime(x * 1000)
    }

    fn migrate_then_app(exit_code: i32) -> TaskDefinition {
        let mut migrate = container("migrate", 0, Some(128), None);
        migrate.essential = false;
        let mut app = container("app", 0, Some(128), None);
        app.depends_on = vec![Dependency { container: 0, condition: DependencyCondition::Success }];
        let mut td = taskdef(None, None, vec![migrate, app]);
        td.behavior.containers =
            vec![ContainerBehavior { name: "migrate".into(), run: SimDuration::from_secs(20), exit_code }];
        td
    }

    /// E-L3: app dependsOn migrate SUCCESS: migrate exits 0 after 20 s → app starts then; exit 1
    /// → terminal dependency error, the task stops.
    #[test]
    fn e_l3_success_dependency() {
        assert_eq!(plan_start(&migrate_then_app(0), s(5), SimDuration::ZERO, false), StartPlan::RunningAt(s(25)));
        assert_eq!(
            plan_start(&migrate_then_app(1), s(5), SimDuration::ZERO, false),
            StartPlan::FailsAt(s(25), "container app: dependency migrate exited with code 1 (SUCCESS required)".into())
        );
    }

    /// E-L4: web dependsOn db HEALTHY; db checks every 5 s: passes first at db start + 5 s; a db
    /// that never passes with startTimeout 60 → terminal at db start + 60 s.
    #[test]
    fn e_l4_healthy_dependency() {
        let mut db = container("db", 0, Some(128), None);
        db.health_check = Some(HealthCheck { interval: SimDuration::from_secs(5), ..HealthCheck::default() });
        db.start_timeout = Some(SimDuration::from_secs(60));
        let mut web = container("web", 0, Some(128), None);
        web.depends_on = vec![Dependency { container: 0, condition: DependencyCondition::Healthy }];
        let td = taskdef(None, None, vec![db, web]);
        assert_eq!(plan_start(&td, s(0), SimDuration::ZERO, false), StartPlan::RunningAt(s(5)));
        assert_eq!(
            plan_start(&td, s(0), SimDuration::ZERO, true),
            StartPlan::FailsAt(s(60), "container web: timed out waiting for dependency db to be HEALTHY".into())
        );
    }

    #[test]
    fn start_dependencies_do_not_delay() {
        let a = container("a", 0, Some(128), None);
        let mut b = container("b", 0, Some(128), None);
        b.depends_on = vec![Dependency { container: 0, condition: DependencyCondition::Start }];
        assert_eq!(
            plan_start(&taskdef(None, None, vec![a, b]), s(3), SimDuration::ZERO, false),
            StartPlan::RunningAt(s(3))
        );
    }
}
