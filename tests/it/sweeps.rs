//! Sweeps: every seed for every variant, the same bytes at any thread count, shards that merge
//! into the whole sweep's files, and bad variants refused before anything runs.

use std::path::Path;

use crate::cli::ecsim;

const VARY: &str = "services[web].placementStrategy=[{type=\"binpack\",field=\"memory\"}],[{type=\"spread\",field=\"attribute:ecs.availability-zone\"},{type=\"spread\",field=\"instanceId\"}]";

fn scenario() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/compare-strategies.toml").display().to_string()
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    ["runs.csv", "aggregate.csv", "comparison.svg", "sweep.json"]
        .iter()
        .map(|f| (f.to_string(), std::fs::read(dir.join(f)).unwrap_or_else(|_| panic!("no {f} in {}", dir.display()))))
        .collect()
}

/// 2 variants x 30 seeds: one row per run, an aggregate per variant and metric, and the same
/// bytes with 1 thread and with 2; a shard split 3 ways merges into the same files.
#[test]
fn a_sweep_is_the_same_at_any_thread_count_and_in_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let s = scenario();
    let base = ["sweep", &s, "--seeds", "1..30", "--vary", VARY];
    let one = ecsim(&[&base[..], &["--jobs", "1", "--out", "one"]].concat(), dir);
    assert_eq!(one.status.code(), Some(0), "{}", String::from_utf8_lossy(&one.stderr));
    assert!(one.stderr.is_empty(), "no progress bar when stderr is not a terminal");
    let stdout = String::from_utf8_lossy(&one.stdout);
    assert!(stdout.contains("60 runs · 2 variants"), "{stdout}");
    assert!(stdout.contains("availability mean [95% CI]"), "{stdout}");
    let two = ecsim(&[&base[..], &["--jobs", "2", "--out", "two"]].concat(), dir);
    assert_eq!(two.status.code(), Some(0));
    let (a, b) = (files(&dir.join("one")), files(&dir.join("two")));
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{name} differs between 1 and 2 threads");
    }
    // RAYON_NUM_THREADS picks the pool when --jobs does not.
    for threads in ["1", "3"] {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_ecsim"))
            .args([&base[..], &["--out", &format!("env{threads}")]].concat())
            .env("RAYON_NUM_THREADS", threads)
            .current_dir(dir)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0));
        for ((name, x), (_, y)) in a.iter().zip(&files(&dir.join(format!("env{threads}")))) {
            assert!(x == y, "{name} differs at RAYON_NUM_THREADS={threads}");
        }
    }
    let runs = String::from_utf8_lossy(&a[0].1).into_owned();
    assert_eq!(runs.lines().count(), 61, "a header and 60 runs");
    assert!(
        runs.lines().next().unwrap().starts_with("run,variant,services[web].placementStrategy,seed,web.availability,")
    );
    let aggregate = String::from_utf8_lossy(&a[1].1).into_owned();
    let line = aggregate.lines().find(|l| l.starts_with("0,") && l.contains(",web,min_healthy,")).unwrap();
    assert!(line.contains(",30,30,"), "30 runs, 30 values: {line}");

    for k in 1..=3 {
        let o = ecsim(&[&base[..], &["--shard", &format!("{k}/3"), "--out", &format!("shard{k}")]].concat(), dir);
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(!dir.join(format!("shard{k}/aggregate.csv")).exists(), "a shard writes its rows only");
    }
    let m = ecsim(&["merge", "shard1", "shard2", "shard3", "--out", "merged"], dir);
    assert_eq!(m.status.code(), Some(0), "{}", String::from_utf8_lossy(&m.stderr));
    for ((name, x), (_, y)) in a.iter().zip(&files(&dir.join("merged"))) {
        assert!(x == y, "merged {name} differs from the single-machine sweep");
    }
    let missing = ecsim(&["merge", "shard1", "shard3", "--out", "bad"], dir);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("shard 2/3 is missing"));
}

/// A bad path or value is refused before any run, naming the variant.
#[test]
fn bad_variants_are_refused_before_running() {
    let tmp = tempfile::tempdir().unwrap();
    let s = scenario();
    let o =
        ecsim(&["sweep", &s, "--seeds", "1..3", "--vary", "services[api].desiredCount=1,2", "--out", "x"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no entry named \"api\" (there are: web)"));
    let o =
        ecsim(&["sweep", &s, "--seeds", "1..3", "--vary", "services[web].desiredCount=2,-1", "--out", "x"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("variant desiredCount=-1") && err.contains("desiredCount"), "{err}");
    assert!(!tmp.path().join("x").exists(), "nothing ran");
    let o = ecsim(&["sweep", &s, "--seeds", "9..3"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
}

/// Swarm mode: every run draws the scenario's [[swarm]] parameters from its seed, within their
/// ranges, the same on 1 or 2 threads and in shards; the values are columns of runs.csv and
/// different seeds draw differently.
#[test]
fn swarm_runs_draw_their_parameters_from_the_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let s = scenario();
    let base = ["sweep", &s, "--seeds", "1..40", "--swarm"];
    for (jobs, out) in [("1", "a"), ("2", "b")] {
        let o = ecsim(&[&base[..], &["--jobs", jobs, "--out", out]].concat(), dir);
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let a = std::fs::read_to_string(dir.join("a/runs.csv")).unwrap();
    assert_eq!(a, std::fs::read_to_string(dir.join("b/runs.csv")).unwrap());
    let mut lines = a.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(&header[..5], ["run", "variant", "swarm:faults[0].count", "swarm:faults[1].mtbf", "seed"]);
    let mut counts = Vec::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let count: i64 = f[2].parse().unwrap();
        assert!((2..=8).contains(&count), "{line}");
        let mtbf = ecsim::engine::time::parse_duration(f[3]).unwrap().0;
        assert!((5 * 86_400_000..=60 * 86_400_000).contains(&mtbf), "{line}");
        counts.push(count);
    }
    counts.sort_unstable();
    counts.dedup();
    assert!(counts.len() >= 4, "40 seeds draw several counts: {counts:?}");
    // A swarm path that does not exist is refused before any run.
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(&s).unwrap().replace("path = \"faults[1].mtbf\"", "path = \"faults[7].mtbf\""),
    )
    .unwrap();
    let o = ecsim(&["sweep", bad.to_str().unwrap(), "--seeds", "1..3", "--swarm", "--out", "x"], dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("swarm[1].path"), "{}", String::from_utf8_lossy(&o.stderr));
}

/// A shard's runs.csv edited by hand or by a broken tool: NaN, 1e999 or a word where a number
/// belongs is refused with file:line:column (it used to spin forever laying out the plot's
/// axis, or drop the cell and change n); a huge but finite value still merges and plots.
#[test]
fn merge_refuses_cells_that_are_not_finite_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let s = scenario();
    for k in 1..=2 {
        let o = ecsim(&["sweep", &s, "--seeds", "1..4", "--shard", &format!("{k}/2"), "--out", &format!("s{k}")], dir);
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let runs = dir.join("s2/runs.csv");
    let original = std::fs::read_to_string(&runs).unwrap();
    let header: Vec<&str> = original.lines().next().unwrap().split(',').collect();
    let column = header.iter().position(|h| *h == "web.availability").unwrap();
    for (bad, ok) in [("NaN", false), ("1e999", false), ("abc", false), ("1e300", true)] {
        // Line 3 (the shard's second run): replace its availability.
        let mut lines: Vec<String> = original.lines().map(str::to_string).collect();
        let mut cells: Vec<String> = lines[2].split(',').map(str::to_string).collect();
        let col = cells[..column].iter().map(|c| c.len() + 1).sum::<usize>() + 1;
        cells[column] = bad.to_string();
        lines[2] = cells.join(",");
        std::fs::write(&runs, lines.join("\n") + "\n").unwrap();
        let out = format!("merged-{bad}");
        let o = ecsim(&["merge", "s1", "s2", "--out", &out], dir);
        let err = String::from_utf8_lossy(&o.stderr);
        if ok {
            assert_eq!(o.status.code(), Some(0), "{bad}: {err}");
            continue;
        }
        assert_eq!(o.status.code(), Some(2), "{bad}: {err}");
        let at = format!("s2/runs.csv:3:{col}: web.availability: expected a finite number or nothing, found \"{bad}\"");
        assert!(err.contains(&at), "{bad}: {err}");
        assert!(!dir.join(&out).exists());
        let leftovers: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}

/// Every subject summary.json reports on is a sweep's subject too: a Fargate Spot mix swept over
/// two sizes carries the Fargate providers' usage and cost (`fargate:FARGATE_SPOT.cost`) beside
/// the service's metrics, aggregate.csv names each row's kind and subject, `--metric cost` draws
/// it, and a row's cells are exactly what `ecsim run` with that seed and variant puts in
/// summary.json.
#[test]
fn a_sweep_carries_every_kind_of_subject_as_summary_json_does() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let s = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/fargate-spot-mix.toml").display().to_string();
    let vary = "services[worker].desiredCount=6,10";
    let args = ["sweep", &s, "--seeds", "1..3", "--vary", vary, "--metric", "cost", "--metric", "availability"];
    let out = ecsim(&[&args[..], &["--out", "sw"]].concat(), dir);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("fargate:FARGATE_SPOT") && stdout.contains("cost mean [95% CI]"), "{stdout}");
    let runs = std::fs::read_to_string(dir.join("sw/runs.csv")).unwrap();
    let mut lines = runs.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    for column in [
        "worker.availability",
        "fargate:FARGATE.vcpu_hours",
        "fargate:FARGATE_SPOT.gb_hours",
        "fargate:FARGATE_SPOT.cost",
    ] {
        assert!(header.contains(&column), "{column} in {header:?}");
    }
    // Run 4 is variant 1 (desiredCount 10), seed 2: what `ecsim run` says of it.
    let row: Vec<&str> = lines.nth(4).unwrap().split(',').collect();
    assert_eq!((row[1], row[2], row[3]), ("1", "10", "2"));
    let run = ecsim(&["run", &s, "--seed", "2", "--set", "services[worker].desiredCount=10", "--out", "r"], dir);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("r/summary.json")).unwrap()).unwrap();
    let mut compared = 0;
    for (c, name) in header.iter().enumerate().skip(4) {
        let (subject, metric) = name.rsplit_once('.').unwrap();
        let (section, subject) = match subject.split_once(':') {
            Some(("fargate", s)) => ("fargate", s),
            Some((k, _)) => panic!("unexpected kind {k} in {name}"),
            None => ("services", subject),
        };
        let want = &summary[section][subject][metric];
        let cell = row[c];
        match want {
            serde_json::Value::Null => assert_eq!(cell, "", "{name}"),
            serde_json::Value::String(s) => assert_eq!(cell, s, "{name}"),
            v => assert_eq!(cell.parse::<f64>().ok(), v.as_f64(), "{name}"),
        }
        compared += 1;
    }
    assert_eq!(
        compared,
        ecsim::scenario::expect::SERVICE_METRICS.len() + 2 * 3,
        "every service and Fargate metric compared"
    );
    // Spot is cheaper, and 10 tasks cost more than 6.
    let cost =
        |r: &[&str]| r[header.iter().position(|h| *h == "fargate:FARGATE_SPOT.cost").unwrap()].parse::<f64>().unwrap();
    let first: Vec<&str> = runs.lines().nth(2).unwrap().split(',').collect();
    assert!(cost(&row) > cost(&first), "10 tasks cost more than 6: {} vs {}", cost(&row), cost(&first));
    let aggregate = std::fs::read_to_string(dir.join("sw/aggregate.csv")).unwrap();
    assert!(aggregate.starts_with("variant,label,kind,subject,metric,runs,n,"), "{aggregate}");
    assert!(
        aggregate.lines().any(|l| l.starts_with("1,desiredCount=10,fargate,FARGATE_SPOT,cost,3,3,")),
        "{aggregate}"
    );
    let svg = std::fs::read_to_string(dir.join("sw/comparison.svg")).unwrap();
    assert!(
        svg.contains("fargate:FARGATE_SPOT.cost") && svg.contains("[pricing]"),
        "a panel for the cost, with its unit"
    );
    // The column's name is an expectation's subject and metric, as written.
    let expect = ecsim(&["run", &s, "--expect", "fargate:FARGATE_SPOT.cost<=0", "--out", "e"], dir);
    assert_eq!(expect.status.code(), Some(1), "{}", String::from_utf8_lossy(&expect.stdout));
}
