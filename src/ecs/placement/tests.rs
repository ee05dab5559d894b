//! The fast scan and the general pass against a literal reading of the narrowing model: filter
//! with the documented checks, then let each strategy keep its best-scoring candidates.

use super::*;
use crate::cluster::InstanceGroupSpec;
use crate::engine::{SimTime, Stream};
use crate::ids::GroupId;

fn random_cluster(rng: &mut SimRng) -> (Cluster, Vec<TaskGroupId>) {
    let zones: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    let group = InstanceGroupSpec {
        attributes: vec![("rack".into(), "r1".into())],
        ..InstanceGroupSpec::m5_large("fleet", 0, (0..3).map(ZoneId).collect())
    };
    let mut c = Cluster::new(zones, vec![group]);
    let groups = vec![c.task_group("service:a"), c.task_group("service:b")];
    // Service a keeps a spread index (ECS's default chain reads it), kept through everything below.
    c.index_spread(groups[0]);
    // Every size the tests below place watched: the index answers for each.
    let sizes: Vec<(u32, u32)> = (1..=4).flat_map(|c| (1..=6).map(move |m| (256 * c, 512 * m))).collect();
    c.watch_room(&sizes);
    for i in 0..(5 + rng.below(40)) {
        let id = c.register_instance(GroupId(0), ZoneId((rng.below(3)) as u16), 0, SimTime::ZERO);
        c.update_instance(id, |ci| {
            // Coarse steps so that ties are common.
            ci.cpu_free -= 256 * rng.below(9) as u32;
            ci.memory_mib_free -= 1024 * rng.below(8) as u32;
            ci.eni_free -= rng.below(3) as u32;
            if rng.below(8) == 0 {
                ci.status = InstanceStatus::Draining;
            }
            if rng.below(10) == 0 {
                ci.agent_connected = false;
            }
            if rng.below(4) == 0 {
                ci.ports_tcp.push(8080);
            }
            if i % 7 == 0 {
                ci.attributes.push(("tier".into(), "gold".into()));
                ci.attributes.sort();
            }
        });
        for &g in &groups {
            c.count_group_task(id, g, rng.below(3) as i32);
        }
    }
    (c, groups)
}

const PALETTE: [fn() -> Strategy; 7] = [
    || Strategy::Spread(SpreadField::Zone),
    || Strategy::Spread(SpreadField::Instance),
    || Strategy::Binpack(Resource::Cpu),
    || Strategy::Binpack(Resource::Memory),
    || Strategy::Random,
    || Strategy::Spread(SpreadField::Attribute("tier".into())),
    || Strategy::Spread(SpreadField::Attribute("rack".into())),
];

/// The candidates the narrowing model leaves, in registration order.
fn reference(cluster: &Cluster, req: &PlacementRequest<'_>) -> Vec<InstanceId> {
    let mut cands: Vec<&ContainerInstance> = cluster
        .instances()
        .iter()
        .filter(|ci| ci.status != InstanceStatus::Inactive && check_instance(cluster, req, ci).is_none())
        .collect();
    for s in req.strategies {
        let ctx = StrategyCtx::of(cluster, req.group, s);
        keep_min(&mut cands, |ci| score(cluster, req, s, &ctx, ci));
    }
    cands.iter().map(|ci| ci.id).collect()
}

#[test]
fn every_path_agrees_with_the_narrowing_model() {
    let mut rng = SimRng::new(11, Stream::Test);
    let mut fast_path_cases = 0;
    for case in 0..3000 {
        let (cluster, groups) = random_cluster(&mut rng);
        let chain: Vec<Strategy> = (0..rng.below(5)).map(|_| PALETTE[rng.below(7) as usize]()).collect();
        let task = TaskRequirements {
            cpu: 256 * (1 + rng.below(4) as u32),
            memory_mib: 512 * (1 + rng.below(6) as u32),
            ports_tcp: if rng.below(4) == 0 { vec![8080] } else { vec![] },
            dynamic_ports: rng.below(2) as usize,
            enis: rng.below(2) as u32,
            ..TaskRequirements::default()
        };
        let constraints = if rng.below(3) == 0 { vec![Constraint::DistinctInstance] } else { vec![] };
        let tie_break = if rng.below(2) == 0 { TieBreak::Ordered } else { TieBreak::Random };
        let req = PlacementRequest {
            task: &task,
            group: groups[rng.below(2) as usize],
            pool: None,
            strategies: &chain,
            constraints: &constraints,
            tie_break,
        };
        if slot_scorers(&chain).is_some() {
            fast_path_cases += 1;
        }
        let want = reference(&cluster, &req);
        let got = try_place(&cluster, &req, &mut rng);
        let random = tie_break == TieBreak::Random || chain.contains(&Strategy::Random);
        match got {
            None => assert!(want.is_empty(), "case {case}: nothing placed, but {want:?} qualify"),
            Some(id) if random => assert!(want.contains(&id), "case {case}: {id:?} is not among {want:?}"),
            Some(id) => assert_eq!(Some(id), want.first().copied(), "case {case}: {chain:?}"),
        }
    }
    assert!(fast_path_cases > 1000, "the fast scan ran in only {fast_path_cases} cases");
}

/// ECS's default chain (spread over zones, then instances) read from the group's spread index
/// answers what the narrowing model does, instance for instance, also after instances leave.
#[test]
fn the_spread_index_agrees_with_the_narrowing_model() {
    let mut rng = SimRng::new(12, Stream::Test);
    let chain = [Strategy::Spread(SpreadField::Zone), Strategy::Spread(SpreadField::Instance)];
    let mut placed = 0;
    for case in 0..2000 {
        let (mut cluster, groups) = random_cluster(&mut rng);
        // Some instances go INACTIVE: the index forgets them.
        for id in cluster.live().to_vec() {
            if rng.below(6) == 0 {
                cluster.update_instance(id, |ci| ci.status = InstanceStatus::Inactive);
            }
        }
        let task = TaskRequirements {
            cpu: 256 * (1 + rng.below(4) as u32),
            memory_mib: 512 * (1 + rng.below(6) as u32),
            dynamic_ports: rng.below(2) as usize,
            ..TaskRequirements::default()
        };
        // A third of the cases constrained to one zone, as AZ rebalancing launches.
        let zone = ["a", "b", "c", "nowhere"][rng.below(4) as usize];
        let expression = format!("attribute:ecs.availability-zone == {zone}");
        let expr = query::parse(&expression).unwrap();
        let constraints = if rng.below(3) == 0 { vec![Constraint::MemberOf { expression, expr }] } else { vec![] };
        let req = PlacementRequest {
            task: &task,
            group: groups[0],
            pool: None,
            strategies: &chain,
            constraints: &constraints,
            tie_break: TieBreak::Ordered,
        };
        assert!(cluster.spread_indexes()[groups[0].index()].is_some(), "the index answers");
        let want = reference(&cluster, &req);
        let got = try_place(&cluster, &req, &mut rng);
        assert_eq!(got, want.first().copied(), "case {case}");
        placed += usize::from(got.is_some());
    }
    assert!(placed > 1000, "placed in only {placed} cases");
}

/// The stop index answers what the scan over candidates answers (the default chain, ordered
/// tie-break), pick after pick, as each stop takes a task off its instance. Task ids are not
/// ages (slots are reused): ties go to the newest by age.
#[test]
fn the_stop_index_agrees_with_the_narrowing_model() {
    use super::stop_index::{StopClass, StopIndex, StopKey};
    let mut rng = SimRng::new(13, Stream::Test);
    let mut picks = 0;
    for case in 0..1500 {
        let (mut cluster, groups) = random_cluster(&mut rng);
        let group = groups[0];
        let live: Vec<InstanceId> = cluster.live().to_vec();
        // Tasks of a service: (id, instance, class, pending, healthy).
        let mut tasks = Vec::new();
        for i in 0..rng.below(60) {
            let instance = live[rng.below(live.len() as u64) as usize];
            let pending = rng.below(4) == 0;
            let class = StopClass {
                deployment: rng.below(3) as usize,
                draining: cluster.is_draining(instance),
                doomed: rng.below(6) == 0,
                starting_replacement: pending && rng.below(2) == 0,
            };
            cluster.count_group_task(instance, group, 1);
            tasks.push((TaskId(i as u32), instance, class, pending, !pending && rng.below(5) != 0));
        }
        let seq = |t: TaskId| u64::from(t.0 * 37 + 11) % 1000;
        let key =
            |cluster: &Cluster,
             &(task, instance, class, pending, healthy): &(TaskId, InstanceId, StopClass, bool, bool)| {
                StopKey {
                    class,
                    tier: StopKey::tier(pending, healthy),
                    zone: cluster.instance(instance).zone,
                    instance_tasks: cluster.instance(instance).group_task_count(group),
                    seq: seq(task),
                }
            };
        let mut ix = StopIndex::new(cluster.zones.len());
        let mut keys: Vec<StopKey> = tasks.iter().map(|t| key(&cluster, t)).collect();
        for (t, k) in tasks.iter().zip(&keys) {
            ix.insert(*k, t.0);
        }
        let primary = rng.below(3) as usize;
        let eligible = |c: &StopClass| c.draining || (c.deployment != primary && !c.starting_replacement);
        let mut candidates: Vec<StopCandidate> = tasks
            .iter()
            .filter(|t| eligible(&t.2))
            .map(|&(task, instance, _, pending, healthy)| StopCandidate {
                task,
                seq: seq(task),
                instance,
                zone: cluster.instance(instance).zone,
                pending,
                healthy,
                cpu: 256,
                memory_mib: 512,
            })
            .collect();
        loop {
            let want = choose_task_to_stop(&cluster, group, &candidates, &[], TieBreak::Ordered, &mut rng);
            let got = ix.next(&cluster.group_zone_counts()[group.index()], eligible);
            assert_eq!(got, want, "case {case}, pick {picks}");
            let Some(tid) = got else { break };
            picks += 1;
            // The stop: the task leaves, and its instance holds one fewer of the group.
            candidates.retain(|c| c.task != tid);
            let i = tid.0 as usize;
            ix.remove(keys[i], tid);
            let instance = tasks[i].1;
            cluster.count_group_task(instance, group, -1);
            tasks[i].1 = InstanceId(u32::MAX);
            for j in 0..tasks.len() {
                if tasks[j].1 == instance {
                    ix.remove(keys[j], tasks[j].0);
                    keys[j] = key(&cluster, &tasks[j]);
                    ix.insert(keys[j], tasks[j].0);
                }
            }
        }
        assert!(ix.len() == tasks.iter().filter(|t| !eligible(&t.2) && t.1.0 != u32::MAX).count());
    }
    assert!(picks > 10_000, "only {picks} picks");
}
