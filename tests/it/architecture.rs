//! The library's modules form layers, and data flows one way through them (DESIGN.md §1):
//! scenario → simulation → observer → report, with the control plane (cluster, elb, ecs and the
//! handlers in `control_plane`) below all of them, reaching none of them. This test reads `src/`
//! and fails on any `crate::` path that reaches up a layer or closes a cycle between top-level
//! modules.

use std::collections::BTreeMap;
use std::path::Path;

/// The layers, bottom first. A module may use modules of its own layer (without a cycle) and of
/// the layers below.
const LAYERS: &[&[&str]] = &[
    &["engine", "ids", "name", "words"],
    &["cluster", "elb", "autoscaling"],
    &["ecs"],
    &["control_plane"],
    &["scenario", "invariants"],
    &["observer", "import"],
    &["sim"],
    &["report"],
    &["sweep", "fuzzing"],
];

type Graph = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// The top-level modules a file's code names through `crate::` (comment lines skipped).
fn references(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // `crate::{a::b, c}`: the first segment of each item at depth 1.
                let (mut depth, mut start) = (1, true);
                for (k, ch) in group.char_indices() {
                    match ch {
                        '{' => depth += 1,
                        '}' if depth == 1 => break,
                        '}' => depth -= 1,
                        ',' if depth == 1 => start = true,
                        c if start && (c.is_alphanumeric() || c == '_') => {
                            start = false;
                            let name: String =
                                group[k..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                            out.push(name);
                        }
                        _ => {}
                    }
                }
            } else {
                out.push(rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect());
            }
        }
    }
    out
}

/// Every edge between top-level library modules, with the files that make it.
fn graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    let modules: Vec<String> = LAYERS.iter().flat_map(|l| l.iter().map(|m| m.to_string())).collect();
    let mut g = Graph::new();
    for path in files {
        let rel = path.strip_prefix(src).expect("under src");
        let top = rel.iter().next().and_then(|c| c.to_str()).expect("a file name").trim_end_matches(".rs").to_string();
        // The crate root and the binary's own modules (the command line) are not layered.
        if matches!(top.as_str(), "lib" | "main" | "cli") {
            continue;
        }
        assert!(modules.contains(&top), "src/{} is in module `{top}`, which LAYERS does not place", rel.display());
        let code = std::fs::read_to_string(&path).expect("a source file");
        for to in references(&code) {
            if to != top && modules.contains(&to) {
                let files = g.entry(top.clone()).or_default().entry(to).or_default();
                let file = format!("src/{}", rel.display());
                if !files.contains(&file) {
                    files.push(file);
                }
            }
        }
    }
    g
}

fn layer(module: &str) -> usize {
    LAYERS.iter().position(|l| l.contains(&module)).expect("a layered module")
}

/// Edges that reach a higher layer, described.
fn upward(g: &Graph) -> Vec<String> {
    let mut out = Vec::new();
    for (from, tos) in g {
        for (to, files) in tos {
            if layer(to) > layer(from) {
                out.push(format!("{from} -> {to} (in {})", files.join(", ")));
            }
        }
    }
    out
}

/// A cycle among the modules, if any, as the path that closes it.
fn cycle(g: &Graph) -> Option<Vec<String>> {
    fn visit(g: &Graph, m: &str, path: &mut Vec<String>, done: &mut Vec<String>) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == m) {
            let mut c = path[i..].to_vec();
            c.push(m.to_string());
            return Some(c);
        }
        if done.iter().any(|d| d == m) {
            return None;
        }
        path.push(m.to_string());
        for to in g.get(m).into_iter().flat_map(|t| t.keys()) {
            if let Some(c) = visit(g, to, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.push(m.to_string());
        None
    }
    let mut done = Vec::new();
    g.keys().find_map(|m| visit(g, m, &mut Vec::new(), &mut done))
}

#[test]
fn the_library_modules_form_layers_without_cycles() {
    let g = graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(g.contains_key("control_plane") && g.contains_key("sim"), "the graph was read: {g:?}");
    let up = upward(&g);
    assert!(up.is_empty(), "modules reach up a layer:\n{}", up.join("\n"));
    assert_eq!(cycle(&g), None, "a module cycle");
}

#[test]
fn the_checker_sees_references_upward_edges_and_cycles() {
    let code = "use crate::ecs::task::Task;\n/// [`crate::sim`] in a comment\nuse crate::{cluster::Cluster, elb::{a, b}, ids};\nlet x = crate::words::count(1, \"a\");";
    assert_eq!(references(code), ["ecs", "cluster", "elb", "ids", "words"]);
    let edge = |g: &mut Graph, a: &str, b: &str| {
        g.entry(a.into()).or_default().insert(b.into(), vec![format!("src/{a}.rs")]);
    };
    let mut g = Graph::new();
    edge(&mut g, "control_plane", "ecs");
    edge(&mut g, "ecs", "cluster");
    edge(&mut g, "cluster", "elb");
    assert!(upward(&g).is_empty());
    assert_eq!(cycle(&g), None);
    // ecs reaching the simulation is both upward and, with sim -> ecs, a cycle.
    edge(&mut g, "ecs", "sim");
    edge(&mut g, "sim", "ecs");
    assert_eq!(upward(&g), ["ecs -> sim (in src/ecs.rs)"]);
    assert_eq!(cycle(&g), Some(vec!["ecs".to_string(), "sim".to_string(), "ecs".to_string()]));
    // A cycle within a layer is caught by the cycle check alone.
    let mut g = Graph::new();
    edge(&mut g, "cluster", "elb");
    edge(&mut g, "elb", "cluster");
    assert!(upward(&g).is_empty());
    assert!(cycle(&g).is_some());
}

/// The control plane is usable without the simulation's loop (DESIGN.md §1: a researcher drives
/// the same scheduler from their own code): a caller's own loop over the events, closing each
/// instant as the simulation does, reaches the same service counts as `Simulation` at every
/// minute of the quickstart's first half hour.
#[test]
fn a_caller_drives_the_control_plane_with_its_own_loop() {
    use ecsim::control_plane::{Ctx, Event, Notice, Rngs};
    use ecsim::engine::{EventQueue, SimTime};
    let scenario =
        ecsim::scenario::load_str(ecsim::scenario::QUICKSTART_NAME, ecsim::scenario::QUICKSTART, None).expect("loads");
    let seed = scenario.seed;
    let end = SimTime(scenario.duration.0);
    let mut queue: EventQueue<Event> = EventQueue::new();
    let mut rngs = Rngs::new(seed);
    let mut notices: Vec<Notice> = Vec::new();
    let mut state = ecsim::sim::setup::state(&scenario, end, seed);
    let mut ctx = Ctx { now: SimTime::ZERO, queue: &mut queue, rng: &mut rngs, notices: &mut notices };
    ecsim::sim::setup::start(&mut state, &mut ctx, &scenario);
    let mut sim = ecsim::sim::Simulation::new(&scenario, seed);
    let mut now = SimTime::ZERO;
    for minute in 1..=30u64 {
        let until = SimTime(minute * 60_000);
        while let Some(t) = queue.peek_time().filter(|t| *t <= until) {
            if t > now {
                state.end_instant(&mut Ctx { now, queue: &mut queue, rng: &mut rngs, notices: &mut notices });
                now = t;
            }
            let (_, event) = queue.pop().expect("an event");
            state.handle(&mut Ctx { now, queue: &mut queue, rng: &mut rngs, notices: &mut notices }, event);
        }
        state.end_instant(&mut Ctx { now, queue: &mut queue, rng: &mut rngs, notices: &mut notices });
        notices.clear();
        sim.run_until(until).expect("runs");
        for (mine, theirs) in state.services().iter().zip(sim.state().services()) {
            assert_eq!(mine.counts, theirs.counts, "{} at minute {minute}", mine.spec.name);
        }
    }
    let running: u32 = state.services().iter().map(|s| s.counts.running).sum();
    assert!(running > 0, "the quickstart's tasks run by half an hour");
}
