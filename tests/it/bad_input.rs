//! Bad input: every problem reported with file, line:column (or field path), what was expected
//! and what was found. Each case pins its message.

use ecsim::scenario::load_str;

/// A valid scenario that the cases break one way at a time.
const GOOD: &str = r#"[scenario]
duration = "1h"

[cluster]
zones = ["us-east-1a", "us-east-1b"]

[[instance_groups]]
name = "fleet"
instance_type = "m5.large"
count = 2

[[task_definitions]]
family = "app"
cpu = "256"
memory = "512"
containerDefinitions = [{ name = "app", image = "app:1", essential = true, portMappings = [{ containerPort = 80 }] }]

[[services]]
serviceName = "web"
taskDefinition = "app"
desiredCount = 2

[[events]]
at = "10m"
action = "terminate_instances"
group = "fleet"
"#;

fn errors(text: &str) -> String {
    match load_str("bad.toml", text, None) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(d) => d.to_string(),
    }
}

fn check(name: &str, text: &str, expected: &[&str]) {
    let got = errors(text);
    for e in expected {
        assert!(got.contains(e), "case {name}: expected {e:?} in:\n{got}");
    }
}

fn replace(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "{from}");
    GOOD.replacen(from, to, 1)
}

#[test]
fn the_base_scenario_is_valid() {
    load_str("good.toml", GOOD, None).unwrap();
}

#[test]
fn syntax_errors() {
    check("unclosed string", &replace("duration = \"1h\"", "duration = \"1h"), &["bad.toml:2:", "TOML syntax"]);
    check("double equals", &replace("count = 2", "count == 2"), &["bad.toml:10:", "TOML syntax"]);
    check("empty file", "", &["bad.toml: the file is empty; expected a scenario"]);
    check("whitespace only", "  \n\n", &["the file is empty"]);
}

#[test]
fn unknown_keys_get_suggestions() {
    check(
        "top-level typo",
        &(GOOD.to_string() + "[[servics]]\n"),
        &["bad.toml:27:3: servics: unknown field `servics`; did you mean `services`?"],
    );
    check(
        "service field typo",
        &replace("desiredCount = 2", "desiredCont = 2"),
        // The misspelling is reported; the field it meant is not also "missing".
        &["bad.toml:21:1: services[0].desiredCont: unknown field `desiredCont`; did you mean `desiredCount`?"],
    );
    check(
        "group field typo",
        &replace("count = 2", "cuont = 2"),
        &["instance_groups[0].cuont: unknown field `cuont`; did you mean `count`?"],
    );
    check(
        "container field typo",
        &replace("essential = true", "esential = true"),
        &["task_definitions[0].containerDefinitions[0].esential: unknown field `esential`; did you mean `essential`?"],
    );
}

#[test]
fn wrong_types_and_ranges() {
    check(
        "string count",
        &replace("desiredCount = 2", "desiredCount = \"four\""),
        &["bad.toml:21:16: services[0].desiredCount: expected an integer, found string \"four\""],
    );
    check(
        "negative desired",
        &replace("desiredCount = 2", "desiredCount = -1"),
        &["services[0].desiredCount: expected an integer from 0 to 5000, found -1"],
    );
    check(
        "past the quota of tasks per service",
        &replace("desiredCount = 2", "desiredCount = 5001"),
        &[
            "bad.toml:21:16: services[0].desiredCount: expected at most 5000 tasks (the ECS quota of tasks per service), found 5001",
        ],
    );
    check(
        "negative instances",
        &replace("count = 2", "count = -3"),
        &["bad.toml:10:9: instance_groups[0].count: expected an integer from 0 to 5000, found -3"],
    );
    check(
        "zones not a list",
        &replace("zones = [\"us-east-1a\", \"us-east-1b\"]", "zones = \"us-east-1a\""),
        &["cluster.zones: expected an array, found string \"us-east-1a\""],
    );
    check(
        "empty zones",
        &replace("zones = [\"us-east-1a\", \"us-east-1b\"]", "zones = []"),
        &["cluster.zones: expected at least one Availability Zone, found an empty list"],
    );
    check(
        "boolean essential",
        &replace("essential = true", "essential = \"yes\""),
        &["essential: expected true or false, found string \"yes\""],
    );
    check(
        "task cpu garbage",
        &replace("cpu = \"256\"", "cpu = \"lots\""),
        &[
            "task_definitions[0].cpu: expected CPU units as a number or a string like \"256\" or \"1 vCPU\", found string \"lots\"",
        ],
    );
    check(
        "zero mtbf",
        &(GOOD.to_string() + "[[faults]]\nkind = \"instance_failures\"\nmtbf = \"0s\"\n"),
        &["faults[0].mtbf: expected a mean time between failures above 0, found 0"],
    );
    check(
        "fault with mtbf and count",
        &(GOOD.to_string() + "[[faults]]\nkind = \"instance_failures\"\nmtbf = \"1d\"\ncount = 3\n"),
        &["faults[0].mtbf: expected either mtbf or count (with between), found both"],
    );
    check(
        "fault window past the end",
        &(GOOD.to_string() + "[[faults]]\nkind = \"instance_failures\"\ncount = 3\nbetween = [\"10m\", \"2h\"]\n"),
        &["faults[0].between: expected FROM <= TO < the end of the run (1h), found [10m, 2h]"],
    );
    check(
        "binpack on disk",
        &replace(
            "desiredCount = 2",
            "desiredCount = 2\nplacementStrategy = [{ type = \"binpack\", field = \"disk\" }]",
        ),
        &["placementStrategy[0].field: expected cpu or memory, found \"disk\""],
    );
    check(
        "six strategies",
        &replace(
            "desiredCount = 2",
            &format!("desiredCount = 2\nplacementStrategy = [{}]", ["{ type = \"random\" }"; 6].join(", ")),
        ),
        &["expected at most 5 placement strategies, found 6"],
    );
    check(
        "uniform min > max",
        &replace(
            "memory = \"512\"",
            "memory = \"512\"\nbehavior = { startup = { distribution = \"uniform\", min = \"9s\", max = \"1s\" } }",
        ),
        &["uniform needs min <= max, found min 9s and max 1s"],
    );
}

#[test]
fn durations() {
    check(
        "months",
        &replace("duration = \"1h\"", "duration = \"5 months\""),
        &[
            "bad.toml:2:12: scenario.duration: expected a duration like \"30s\", \"5m\", \"2h\" or \"7d\", found \"5 months\" (unit \"months\" is not accepted: months, weeks and years are ambiguous; use days)",
        ],
    );
    check(
        "number",
        &replace("duration = \"1h\"", "duration = 3600"),
        &["scenario.duration: expected a duration string like \"30s\", \"5m\", \"2h\" or \"7d\", found integer 3600"],
    );
    check(
        "missing duration",
        &replace("duration = \"1h\"", ""),
        &["bad.toml:1:1: scenario: missing required field `duration`"],
    );
    check(
        "event after end",
        &replace("at = \"10m\"", "at = \"2h\""),
        &["bad.toml:24:6: events[0].at: event at 2h is not before the end of the run (1h)"],
    );
    check(
        "zero duration",
        &replace("duration = \"1h\"", "duration = \"0s\""),
        &["expected a duration above 0 and at most 366d, found 0ms"],
    );
}

#[test]
fn references() {
    check(
        "missing task definition",
        &replace("taskDefinition = \"app\"", "taskDefinition = \"apq\""),
        &[
            "bad.toml:20:18: services[0].taskDefinition: no task definition \"apq\" in this scenario; did you mean \"app\"?",
        ],
    );
    check(
        "missing revision",
        &replace("taskDefinition = \"app\"", "taskDefinition = \"app:7\""),
        &["no task definition \"app:7\" in this scenario"],
    );
    check(
        "missing group",
        &replace("group = \"fleet\"", "group = \"fleeet\""),
        &["bad.toml:26:9: events[0].group: no instance group named \"fleeet\"; did you mean \"fleet\"?"],
    );
    check(
        "missing zone",
        &replace("group = \"fleet\"", "zone = \"eu-west-1a\""),
        &["events[0].zone: no zone named \"eu-west-1a\"; defined: us-east-1a, us-east-1b"],
    );
    check(
        "missing service",
        &(GOOD.to_string()
            + "[[events]]\nat = \"5m\"\naction = \"update_service\"\nservice = \"api\"\ndesiredCount = 3\n"),
        &["events[1].service: no service named \"api\"; defined: web"],
    );
    check(
        "bad instance id",
        &replace("group = \"fleet\"", "instances = [\"i-0abc\"]"),
        &[
            "events[0].instances[0]: expected an instance id GROUP-N (instances are named after their group: fleet-1..fleet-2), found \"i-0abc\"",
        ],
    );
    check(
        "unknown action",
        &replace("action = \"terminate_instances\"", "action = \"explode\""),
        &[
            "events[0].action: expected one of terminate_instances, az_outage, add_instances, update_service, stop_task, drain_instances, activate_instances, spot_interruption, disconnect_agent, reconnect_agent, deregister_instances, stop_instances, start_instances, retirement_notice, run_task, start_task, fargate_spot_interruption, fargate_capacity_unavailable, impair_instances, fargate_task_retirement, insufficient_capacity, found \"explode\"",
        ],
    );
    check(
        "duplicate service",
        &(GOOD.to_string() + "[[services]]\nserviceName = \"web\"\ntaskDefinition = \"app\"\ndesiredCount = 1\n"),
        &["services[1]: service name \"web\" is used twice"],
    );
}

#[test]
fn cluster_and_capacity() {
    check(
        "unknown instance type",
        &replace("instance_type = \"m5.large\"", "instance_type = \"m5.lrage\""),
        &[
            "bad.toml:9:17: instance_groups[0].instance_type: unknown instance type \"m5.lrage\"; did you mean \"m5.large\"? give `cpu` and `memory_mib` for a type ecsim does not know",
        ],
    );
    check(
        "task bigger than any instance",
        &replace("cpu = \"256\"\nmemory = \"512\"", "cpu = \"4 vCPU\"\nmemory = \"16 GB\""),
        &[
            "services[0].taskDefinition: task definition app:1 reserves 4096 CPU units and 16384 MiB, more than any instance group registers (largest: 2048 CPU units and 7985 MiB (m5.large)); no task of this service could ever be placed",
        ],
    );
    check(
        "daemon with a strategy",
        &replace("desiredCount = 2", "schedulingStrategy = \"DAEMON\"\nplacementStrategy = [{ type = \"random\" }]"),
        &["services[0].placementStrategy: placement strategies are not supported with the DAEMON scheduling strategy"],
    );
    check(
        "daemon with maximumPercent 200",
        &replace(
            "desiredCount = 2",
            "schedulingStrategy = \"DAEMON\"\ndeploymentConfiguration = { maximumPercent = 200 }",
        ),
        &["a DAEMON service's maximumPercent must be 100"],
    );
    check(
        "gpu task without gpu instances",
        &replace(
            "essential = true, portMappings",
            "essential = true, resourceRequirements = [{ type = \"GPU\", value = \"1\" }], portMappings",
        ),
        &["task definition app:1 needs 1 GPUs, more than any instance group has"],
    );
    check(
        "misspelt launch type",
        &replace("desiredCount = 2", "desiredCount = 2\nlaunchType = \"FARGTE\""),
        &[
            "services[0].launchType: expected one of EC2, FARGATE, EXTERNAL, , found \"FARGTE\" (did you mean \"FARGATE\"?)",
        ],
    );
    check(
        "launch type and capacity providers",
        &replace(
            "desiredCount = 2",
            "desiredCount = 2\nlaunchType = \"EC2\"\ncapacityProviderStrategy = [{ capacityProvider = \"FARGATE\" }]",
        ),
        &["Specifying both a launch type and capacity provider strategy is not supported"],
    );
    check(
        "a number from a template",
        &replace("desiredCount = 2", "desiredCount = \"{{ must_env `COUNT` }}\""),
        &[
            "services[0].desiredCount: expected an integer, found string \"{{ must_env `COUNT` }}\" (a template placeholder",
        ],
    );
}

/// A Fargate service runs on Fargate's stand-ins (no instance of the scenario's), once its task
/// definition and network configuration are what Fargate takes; otherwise CreateService's
/// refusals.
#[test]
fn fargate_services_are_checked_like_aws_does() {
    let fargate = replace("desiredCount = 2", "desiredCount = 2\nlaunchType = \"FARGATE\"");
    check(
        "an EC2 task definition without network configuration",
        &fargate,
        &[
            "services[0].taskDefinition: Task definition does not support launch_type FARGATE.",
            "services[0].networkConfiguration: Network Configuration must be provided when networkMode 'awsvpc' is specified.",
        ],
    );
    let ok = fargate.replace("memory = \"512\"\n", "memory = \"512\"\nnetworkMode = \"awsvpc\"\n").replace(
        "launchType = \"FARGATE\"",
        "launchType = \"FARGATE\"\nnetworkConfiguration = { awsvpcConfiguration = { subnets = [\"subnet-1\"] } }",
    );
    let s = load_str("f.toml", &ok, None).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(
        s.assumptions,
        [
            "services[0].networkConfiguration.awsvpcConfiguration.subnets: [cluster] subnets does not map subnets to zones: the tasks may use every zone of the cluster"
        ]
    );
    let fargate_groups: Vec<(&str, u32)> =
        s.groups.iter().filter(|g| g.fargate).map(|g| (g.name.as_str(), g.count)).collect();
    assert_eq!(fargate_groups, [("FARGATE", 2), ("FARGATE_SPOT", 0)], "one stand-in per zone, for the provider used");
    check(
        "placement strategy on Fargate",
        &ok.replace("desiredCount = 2\n", "desiredCount = 2\nplacementStrategy = [{ type = \"random\" }]\n"),
        &["services[0].placementStrategy: Placement strategies are not supported with FARGATE launch type."],
    );
    check(
        "a subnet the cluster does not map",
        &ok.replace(
            "zones = [\"us-east-1a\", \"us-east-1b\"]",
            "zones = [\"us-east-1a\", \"us-east-1b\"]\nsubnets = { \"subnet-2\" = \"us-east-1b\" }",
        ),
        &[
            "services[0].networkConfiguration.awsvpcConfiguration.subnets[0]: expected a subnet of [cluster] subnets (subnet-2), found \"subnet-1\"",
        ],
    );
    check(
        "a subnet in a zone the cluster does not have",
        &ok.replace(
            "zones = [\"us-east-1a\", \"us-east-1b\"]",
            "zones = [\"us-east-1a\", \"us-east-1b\"]\nsubnets = { \"subnet-1\" = \"us-east-1c\" }",
        ),
        &[
            "cluster.subnets.subnet-1: expected one of the cluster's zones (us-east-1a, us-east-1b), found string \"us-east-1c\"",
        ],
    );
}

#[test]
fn task_definitions_are_checked_like_aws_does() {
    check(
        "no memory anywhere",
        &replace("memory = \"512\"\n", ""),
        &["Invalid setting for container 'app'. At least one of 'memory' or 'memoryReservation' must be specified"],
    );
    check(
        "reservation above limit",
        &replace("essential = true", "essential = true, memory = 256, memoryReservation = 512"),
        &[
            "Invalid setting for container 'app': 'memory' (256 MiB) must be greater than or equal to 'memoryReservation' (512 MiB)",
        ],
    );
    check(
        "awsvpc port mismatch",
        &replace("memory = \"512\"", "memory = \"512\"\nnetworkMode = \"awsvpc\"")
            .replace("containerPort = 80 }", "containerPort = 80, hostPort = 8080 }"),
        &[
            "When networkMode=awsvpc, the host ports and container ports in port mappings must match (hostPort 8080, containerPort 80)",
        ],
    );
    check(
        "no essential container",
        &replace("essential = true", "essential = false"),
        &["Task definition does not have any essential container"],
    );
    check(
        "windows network mode",
        &replace("memory = \"512\"", "memory = \"512\"\nnetworkMode = \"default\""),
        &["Invalid networkMode \"default\": the valid values are none, bridge, awsvpc and host"],
    );
    check(
        "distinctInstance in a task definition",
        &replace("memory = \"512\"", "memory = \"512\"\nplacementConstraints = [{ type = \"distinctInstance\" }]"),
        &["distinctInstance is not allowed in a task definition"],
    );
    check(
        "missing image",
        &replace("image = \"app:1\", ", ""),
        &["containerDefinitions[0]: missing required field `image`"],
    );
}

#[test]
fn query_language_errors_point_at_the_column() {
    let text = replace(
        "desiredCount = 2",
        "desiredCount = 2\nplacementConstraints = [{ type = \"memberOf\", expression = \"attribute:ecs.instance-type === t2.small\" }]",
    );
    // The expression starts at column 60 of line 22; the third '=' is its 31st character.
    check(
        "bad operator",
        &text,
        &[
            "bad.toml:22:90: services[0].placementConstraints[0].expression: invalid expression at column 31: unexpected '='",
        ],
    );
}

#[test]
fn every_problem_in_a_file_is_reported_at_once() {
    let text = replace("count = 2", "count = -1")
        .replace("desiredCount = 2", "desiredCount = \"x\"")
        .replace("at = \"10m\"", "at = \"3 years\"");
    let got = errors(&text);
    assert_eq!(got.lines().filter(|l| l.starts_with("error: ")).count(), 3, "{got}");
}

#[test]
fn json_scenarios_report_positions_and_paths() {
    let json = r#"{"scenario": {"duration": "1h"}, "cluster": {"zones": ["a"]}, "instance_groups": [{"name": "g", "instance_type": "m5.large", "count": "two"}]}"#;
    let got = ecsim::scenario::load_str("bad.json", json, None).unwrap_err().to_string();
    assert!(
        got.contains("bad.json:1:135: instance_groups[0].count: expected an integer, found string \"two\""),
        "{got}"
    );
    let got = ecsim::scenario::load_str("bad.json", "{\"scenario\": ", None).unwrap_err().to_string();
    assert!(got.contains("bad.json:1:13: JSON syntax: EOF while parsing a value"), "{got}");
}

/// Names by AWS's rules, refused where they are written (a service named `a/b` used to pass
/// validate and fail after the whole run, writing `tasks-a/b.svg`).
#[test]
fn names_follow_aws_rules() {
    let aws = "expected 1 to 255 letters, digits, hyphens or underscores, found";
    check(
        "slash",
        &replace("serviceName = \"web\"", "serviceName = \"a/b\""),
        &[&format!("bad.toml:19:15: services[0].serviceName: {aws} \"a/b\"")],
    );
    let long = "w".repeat(256);
    check(
        "too long",
        &replace("serviceName = \"web\"", &format!("serviceName = \"{long}\"")),
        &["services[0].serviceName: expected 1 to 255"],
    );
    check(
        "container",
        &replace("name = \"app\"", "name = \"my app\""),
        &["task_definitions[0].containerDefinitions[0].name: expected 1 to 255"],
    );
    check("group", &replace("name = \"fleet\"", "name = \"fleet.1\""), &["instance_groups[0].name: expected 1 to 255"]);
    check(
        "scenario",
        &replace("duration = \"1h\"", "duration = \"1h\"\nname = \"../../etc\""),
        &["scenario.name: expected 1 to 255"],
    );
    let tg = "[[target_groups]]\nTargetGroupName = \"-web\"\nProtocol = \"HTTP\"\n";
    check(
        "target group",
        &format!("{GOOD}\n{tg}"),
        &[
            "target_groups[0].TargetGroupName: expected 1 to 32 letters, digits or hyphens, not beginning or ending with a hyphen",
        ],
    );
    let tg = tg.replace("-web", &"t".repeat(33));
    check("target group length", &format!("{GOOD}\n{tg}"), &["target_groups[0].TargetGroupName: expected 1 to 32"]);
}

/// Every name AWS accepts writes a report: 255 characters (the plot files' names are cut short
/// with a hash) and two services differing only in case (distinct files on any file system).
#[test]
fn every_valid_name_writes_its_report() {
    let long = "s".repeat(255);
    let text = GOOD.replace("serviceName = \"web\"", &format!("serviceName = \"{long}\""))
        + "\n[[services]]\nserviceName = \"Web\"\ntaskDefinition = \"app\"\ndesiredCount = 1\n"
        + "\n[[services]]\nserviceName = \"web\"\ntaskDefinition = \"app\"\ndesiredCount = 1\n";
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("names.toml"), text).unwrap();
    let o = crate::cli::ecsim(&["run", "names.toml", "--out", "r"], tmp.path());
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let mut files: Vec<String> = std::fs::read_dir(tmp.path().join("r"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("tasks-"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(files.iter().all(|f| f.len() <= 255), "{files:?}");
    let lower: Vec<String> = files.iter().map(|f| f.to_lowercase()).collect();
    assert!(lower.windows(2).all(|w| w[0] != w[1]), "distinct without regard to case: {files:?}");
    assert!(files.iter().any(|f| f.starts_with(&format!("tasks-{}", &long[..231])) && f.len() == 255), "{files:?}");
}

/// Reading is linear: 100,000 task definitions (this took over 20 s when every definition was
/// compared with every earlier one) and 100,000 port mappings load; the last definition of a
/// family is its latest revision, and a name used twice is still found.
#[test]
fn a_hundred_thousand_task_definitions_and_port_mappings_load() {
    let mut text = String::from(
        "[scenario]\nduration = \"1h\"\n[cluster]\nzones = [\"a\"]\n[[instance_groups]]\nname = \"g\"\ninstance_type = \"m5.large\"\ncount = 1\n",
    );
    for i in 0..100_000 {
        // 50,000 families of two revisions each.
        text += &format!(
            "[[task_definitions]]\nfamily = \"f{}\"\ncpu = \"256\"\nmemory = \"512\"\ncontainerDefinitions = [{{ name = \"c\", image = \"i\", essential = true }}]\n",
            i % 50_000
        );
    }
    let ports: Vec<String> = (0..1000).map(|p| format!("{{ containerPort = {} }}", 1000 + p)).collect();
    for i in 0..100 {
        text += &format!(
            "[[task_definitions]]\nfamily = \"ports{i}\"\ncpu = \"256\"\nmemory = \"512\"\ncontainerDefinitions = [{{ name = \"c\", image = \"i\", essential = true, portMappings = [{}] }}]\n",
            ports.join(", ")
        );
    }
    text += "[[services]]\nserviceName = \"web\"\ntaskDefinition = \"f49999\"\ndesiredCount = 1\n";
    let s = load_str("many.toml", &text, None).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(s.task_definitions.len(), 100_100);
    let web = &s.task_definitions[s.services[0].task_definition.index()];
    assert_eq!((web.family.as_str(), web.revision), ("f49999", 2), "a family's latest revision");
    let twice = text.clone() + "[[services]]\nserviceName = \"web\"\ntaskDefinition = \"f1\"\ndesiredCount = 1\n";
    assert!(errors(&twice).contains("service name \"web\" is used twice"));
}

/// ECS's quota of services per cluster is checked before anything is read.
#[test]
fn more_services_than_ecs_allows_are_refused() {
    let mut text = GOOD.to_string();
    for i in 0..5_000 {
        text += &format!("[[services]]\nserviceName = \"s{i}\"\ntaskDefinition = \"app\"\ndesiredCount = 1\n");
    }
    check(
        "quota",
        &text,
        &["services: expected at most 5,000 services (the ECS quota of services per cluster), found 5001"],
    );
}

/// One mistake, one message: what follows from an item that already had an error is not
/// reported again (a group with a bad count is not "no instance groups"; a definition whose
/// `family` is misspelt, or whose file has errors, is not "no task definition"; a misspelt
/// `action` does not make every other key of its event unknown; a misspelt key is not also
/// "missing").
#[test]
fn one_mistake_gives_one_message() {
    let one = |name: &str, text: &str, expected: &str| {
        let got = errors(text);
        assert_eq!(got.lines().filter(|l| l.starts_with("error:")).count(), 1, "case {name}:\n{got}");
        assert!(got.contains(expected), "case {name}: expected {expected:?} in:\n{got}");
    };
    one(
        "bad count",
        &replace("count = 2", "count = -1"),
        "instance_groups[0].count: expected an integer from 0 to 5000",
    );
    one("bad type", &replace("m5.large", "m5.larg"), "unknown instance type \"m5.larg\"");
    one(
        "misspelt family",
        &replace("family = \"app\"", "famly = \"app\""),
        "unknown field `famly`; did you mean `family`?",
    );
    one(
        "misspelt action",
        &replace("action = \"terminate_instances\"", "action = \"terminate_instance\""),
        "(did you mean \"terminate_instances\"?)",
    );
    one(
        "misspelt key",
        &replace("desiredCount = 2", "desiredCont = 2"),
        "unknown field `desiredCont`; did you mean `desiredCount`?",
    );
    // A task definition file with an error of its own.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("app.json"),
        r#"{"family": "app", "cpu": "256", "memory": "lots", "containerDefinitions": [{"name": "app", "image": "app:1", "essential": true}]}"#,
    )
    .unwrap();
    let text = GOOD.replace(
        "family = \"app\"\ncpu = \"256\"\nmemory = \"512\"\ncontainerDefinitions = [{ name = \"app\", image = \"app:1\", essential = true, portMappings = [{ containerPort = 80 }] }]",
        "file = \"app.json\"",
    );
    let path = tmp.path().join("s.toml");
    std::fs::write(&path, &text).unwrap();
    let got = ecsim::scenario::load_file(&path).unwrap_err().to_string();
    assert_eq!(got.lines().filter(|l| l.starts_with("error:")).count(), 1, "{got}");
    assert!(got.contains("app.json") && got.contains("memory"), "{got}");
}

/// A task definition that requires FARGATE is refused as RegisterTaskDefinition refuses it: a
/// network mode other than awsvpc, no task-level cpu or memory, a size not in Fargate's table.
#[test]
fn fargate_task_definitions_follow_fargate_rules() {
    let fargate = |cpu: &str, memory: &str, mode: &str| {
        replace(
            "family = \"app\"\ncpu = \"256\"\nmemory = \"512\"",
            &format!("family = \"app\"\nrequiresCompatibilities = [\"FARGATE\"]\n{cpu}{memory}{mode}"),
        )
    };
    let aws = "cpu = \"256\"\n";
    let good = fargate(aws, "memory = \"1024\"\n", "networkMode = \"awsvpc\"\n");
    load_str("good.toml", &good, None).unwrap_or_else(|d| panic!("{d}"));
    check(
        "bridge",
        &fargate(aws, "memory = \"1024\"\n", ""),
        &["task_definitions[0].requiresCompatibilities: Fargate only supports network mode 'awsvpc'."],
    );
    check(
        "no cpu",
        &fargate("", "memory = \"1024\"\n", "networkMode = \"awsvpc\"\n"),
        &["task_definitions[0].cpu: Fargate requires that 'cpu' be defined at the task level."],
    );
    check(
        "size",
        &fargate("cpu = \"512\"\n", "memory = \"512\"\n", "networkMode = \"awsvpc\"\n"),
        &[
            "task_definitions[0].memory: No Fargate configuration exists for given values: 512 CPU, 512 memory. See the Amazon ECS documentation for the valid values.",
        ],
    );
}

/// GOOD with a capacity provider `cp` on group `fleet` (managed scaling on) and `strategy` as the
/// service's capacityProviderStrategy.
fn with_provider(provider: &str, strategy: &str) -> String {
    replace("[[task_definitions]]", &format!("[[capacity_providers]]\n{provider}\n\n[[task_definitions]]")).replacen(
        "desiredCount = 2",
        &format!("desiredCount = 2\ncapacityProviderStrategy = {strategy}"),
        1,
    )
}

const CP: &str = "name = \"cp\"\nautoScalingGroupProvider = { autoScalingGroupArn = \"fleet\", managedScaling = { status = \"ENABLED\" } }";

#[test]
fn capacity_providers_are_checked_like_aws_does() {
    load_str("ok.toml", &with_provider(CP, "[{ capacityProvider = \"cp\", weight = 1 }]"), None)
        .unwrap_or_else(|d| panic!("{d}"));
    check(
        "every weight 0",
        &with_provider(CP, "[{ capacityProvider = \"cp\", base = 1 }]"),
        &[
            "The specified capacity provider strategy must contain at least one capacity provider with a weight greater than zero.",
        ],
    );
    check(
        "unknown provider",
        &with_provider(CP, "[{ capacityProvider = \"cpx\", weight = 1 }]"),
        &[
            "services[0].capacityProviderStrategy[0].capacityProvider: The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster (\"cpx\"",
        ],
    );
    check(
        "Fargate mixed with an Auto Scaling group provider",
        &with_provider(
            CP,
            "[{ capacityProvider = \"cp\", weight = 1 }, { capacityProvider = \"FARGATE\", weight = 1 }]",
        ),
        &["cannot contain a mix of capacity providers using Auto Scaling groups and Fargate providers"],
    );
    let two_groups = |strategy: &str| {
        with_provider(
            &format!("{CP}\n\n[[capacity_providers]]\nname = \"cp2\"\nautoScalingGroupProvider = {{ autoScalingGroupArn = \"spare\" }}"),
            strategy,
        )
        .replace("[[capacity_providers]]\nname = \"cp\"", "[[instance_groups]]\nname = \"spare\"\ninstance_type = \"m5.large\"\ncount = 1\n\n[[capacity_providers]]\nname = \"cp\"")
    };
    load_str(
        "ok2.toml",
        &two_groups(
            "[{ capacityProvider = \"cp\", weight = 1, base = 1 }, { capacityProvider = \"cp2\", weight = 1 }]",
        ),
        None,
    )
    .unwrap_or_else(|d| panic!("{d}"));
    check(
        "two bases",
        &two_groups(
            "[{ capacityProvider = \"cp\", weight = 1, base = 1 }, { capacityProvider = \"cp2\", weight = 1, base = 2 }]",
        ),
        &[
            "The specified capacity provider strategy cannot contain more than one capacity provider with a base value greater than zero.",
        ],
    );
    check(
        "unknown Auto Scaling group",
        &with_provider(
            &format!(
                "{CP}\n\n[[capacity_providers]]\nname = \"cp2\"\nautoScalingGroupProvider = {{ autoScalingGroupArn = \"other\" }}"
            ),
            "[{ capacityProvider = \"cp\", weight = 1, base = 1 }]",
        ),
        &[
            "capacity_providers[1].autoScalingGroupProvider.autoScalingGroupArn: expected one of the scenario's instance groups (fleet), found \"other\"",
        ],
    );
    check(
        "a group behind two providers",
        &with_provider(
            &format!(
                "{CP}\n\n[[capacity_providers]]\nname = \"cp2\"\nautoScalingGroupProvider = {{ autoScalingGroupArn = \"arn:aws:autoscaling:us-east-1:1:autoScalingGroup:x:autoScalingGroupName/fleet\" }}"
            ),
            "[{ capacityProvider = \"cp\", weight = 1 }]",
        ),
        &["The specified Auto Scaling group is already in use by capacity provider \"cp\""],
    );
    check(
        "reserved name prefix",
        &with_provider(
            &CP.replace("name = \"cp\"", "name = \"ecs-cp\""),
            "[{ capacityProvider = \"ecs-cp\", weight = 1 }]",
        ),
        &["capacity_providers[0].name: The capacity provider name cannot begin with 'aws', 'ecs', or 'fargate'."],
    );
    check(
        "termination protection without managed scaling",
        &with_provider(
            "name = \"cp\"\nautoScalingGroupProvider = { autoScalingGroupArn = \"fleet\", managedTerminationProtection = \"ENABLED\" }",
            "[{ capacityProvider = \"cp\", weight = 1 }]",
        ),
        &["To enable managed termination protection for a capacity provider, managed scaling must also be enabled."],
    );
    check(
        "a DAEMON service with a strategy",
        &with_provider(CP, "[{ capacityProvider = \"cp\", weight = 1 }]")
            .replace("desiredCount = 2\n", "schedulingStrategy = \"DAEMON\"\n"),
        &["do not support the DAEMON scheduling strategy"],
    );
    check(
        "target capacity out of range",
        &with_provider(
            &CP.replace("status = \"ENABLED\"", "status = \"ENABLED\", targetCapacity = 0"),
            "[{ capacityProvider = \"cp\", weight = 1 }]",
        ),
        &[
            "capacity_providers[0].autoScalingGroupProvider.managedScaling.targetCapacity: expected an integer from 1 to 100, found 0",
        ],
    );
    check(
        "cluster association names an unknown provider",
        &with_provider(CP, "[{ capacityProvider = \"cp\", weight = 1 }]").replace(
            "zones = [\"us-east-1a\", \"us-east-1b\"]",
            "zones = [\"us-east-1a\", \"us-east-1b\"]\ncapacityProviders = [\"cp\", \"spot\"]",
        ),
        &[
            "cluster.capacityProviders: expected FARGATE, FARGATE_SPOT or one of the scenario's [[capacity_providers]] (cp), found \"spot\"",
        ],
    );
    check(
        "strategy names a provider not associated with the cluster",
        &with_provider(CP, "[{ capacityProvider = \"cp\", weight = 1 }]").replace(
            "zones = [\"us-east-1a\", \"us-east-1b\"]",
            "zones = [\"us-east-1a\", \"us-east-1b\"]\ncapacityProviders = [\"FARGATE\"]",
        ),
        &["cannot contain a capacity provider that is not associated with the cluster (\"cp\"; associated: FARGATE)"],
    );
}

/// The cluster's default strategy applies to a service with neither a launch type nor a
/// strategy; a launch type opts out of it.
#[test]
fn the_cluster_default_strategy_applies_without_a_launch_type() {
    let text = with_provider(CP, "[]").replace(
        "zones = [\"us-east-1a\", \"us-east-1b\"]",
        "zones = [\"us-east-1a\", \"us-east-1b\"]\ndefaultCapacityProviderStrategy = [{ capacityProvider = \"cp\", weight = 1 }]",
    );
    let s = load_str("d.toml", &text, None).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(s.services[0].capacity_provider_strategy.len(), 1);
    let ec2 = text.replace("capacityProviderStrategy = []", "launchType = \"EC2\"");
    let s = load_str("e.toml", &ec2, None).unwrap_or_else(|d| panic!("{d}"));
    assert!(s.services[0].capacity_provider_strategy.is_empty());
}

/// Mixed instances groups and EC2 capacity windows.
#[test]
fn instance_type_lists_and_capacity_windows() {
    check(
        "a list with a single type's resources",
        &replace("instance_type = \"m5.large\"", "instance_types = [\"m5.large\", \"m5.xlarge\"]\ncpu = 2048"),
        &[
            "bad.toml:10:7: instance_groups[0].cpu: `cpu` describes a single instance type; with `instance_types` each type's resources come from ecsim's table",
        ],
    );
    check(
        "an unknown type in the list",
        &replace("instance_type = \"m5.large\"", "instance_types = [\"m5.large\", \"m5.xlarg\"]"),
        &["instance_groups[0].instance_types[1]: unknown instance type \"m5.xlarg\"; did you mean \"m5.xlarge\"?"],
    );
    check(
        "a type twice",
        &replace("instance_type = \"m5.large\"", "instance_types = [\"m5.large\", \"m5.large\"]"),
        &["instance_groups[0].instance_types[1]: expected each instance type once, found \"m5.large\" twice"],
    );
    check(
        "two architectures",
        &replace("instance_type = \"m5.large\"", "instance_types = [\"m5.large\", \"m6g.large\"]"),
        &["instance_groups[0].instance_types: expected instance types of one CPU architecture"],
    );
    check(
        "an unknown allocation strategy",
        &replace("count = 2", "count = 2\nallocation_strategy = \"cheapest\""),
        &["instance_groups[0].allocation_strategy: expected one of prioritized, lowest-price, found \"cheapest\""],
    );
    check(
        "a fleet by type with a type the group does not launch",
        &replace(
            "instance_type = \"m5.large\"",
            "instance_types = [\"m5.large\", \"m5.xlarge\"]\ncount_by_type = { \"m5.large\" = 1, \"c5.large\" = 1 }",
        ),
        &[
            "instance_groups[0].count_by_type.c5.large: expected one of the group's instance_types (m5.large, m5.xlarge), found \"c5.large\"",
        ],
    );
    check(
        "a fleet by type that does not add up to count",
        &replace(
            "instance_type = \"m5.large\"",
            "instance_types = [\"m5.large\", \"m5.xlarge\"]\ncount_by_type = { \"m5.large\" = 1, \"m5.xlarge\" = 2 }",
        ),
        &["instance_groups[0].count: expected the sum of count_by_type (3), found 2"],
    );
    check(
        "a fleet by type without a list of types",
        &replace("count = 2", "count_by_type = { \"m5.large\" = 2 }"),
        &["instance_groups[0].count_by_type: expected `instance_types` with `count_by_type`"],
    );
    check(
        "a window for a type no group launches",
        &replace(
            "action = \"terminate_instances\"\ngroup = \"fleet\"",
            "action = \"insufficient_capacity\"\ninstance_type = \"m5.xlarge\"\nduration = \"1h\"",
        ),
        &[
            "events[0].instance_type: expected an instance type an instance group launches (m5.large), found \"m5.xlarge\"",
        ],
    );
    check(
        "a window without its length",
        &replace(
            "action = \"terminate_instances\"\ngroup = \"fleet\"",
            "action = \"insufficient_capacity\"\ninstance_type = \"m5.large\"",
        ),
        &["bad.toml:23:1: events[0]: missing required field `duration` (how long EC2 has no capacity of the type"],
    );
}

/// `[[traffic]]` streams.
#[test]
fn traffic_streams() {
    let tg = "[[target_groups]]\nTargetGroupName = \"web-tg\"\nProtocol = \"HTTP\"\nPort = 80\n";
    let with = |traffic: &str| format!("{GOOD}{tg}[[traffic]]\n{traffic}\n");
    load_str("good.toml", &with("target_group = \"web-tg\"\nrps = 100"), None).unwrap();
    check(
        "an unknown target group",
        &with("target_group = \"web-gt\"\nrps = 100"),
        &["traffic[0].target_group: no target group named \"web-gt\"; did you mean \"web-tg\"?"],
    );
    check(
        "two shapes",
        &with("target_group = \"web-tg\"\nrps = 100\ndiurnal = { min_rps = 1, max_rps = 2, peak = \"12:00\" }"),
        &[
            "traffic[0]: expected exactly one of `rps`, `points`, `diurnal` or `csv` (the rate over time), found rps, diurnal",
        ],
    );
    check(
        "a peak that is not a time of day",
        &with("target_group = \"web-tg\"\ndiurnal = { min_rps = 1, max_rps = 2, peak = \"2pm\" }"),
        &["traffic[0].diurnal.peak: expected a time of day HH:MM (UTC), found \"2pm\""],
    );
    check(
        "min above max",
        &with("target_group = \"web-tg\"\ndiurnal = { min_rps = 10, max_rps = 2, peak = \"12:00\" }"),
        &["traffic[0].diurnal.min_rps: expected min_rps <= max_rps (2), found 10"],
    );
    check(
        "points out of order",
        &with("target_group = \"web-tg\"\npoints = [{ at = \"1h\", rps = 1 }, { at = \"10m\", rps = 2 }]"),
        &["traffic[0].points[1]: expected points in increasing time order"],
    );
    check(
        "a negative rate",
        &with("target_group = \"web-tg\"\nrps = -5"),
        &["traffic[0].rps: expected a number from 0 to 1000000000, found -5"],
    );
    check(
        "a spike without a factor",
        &with("target_group = \"web-tg\"\nrps = 5\nspikes = [{ at = \"1m\", length = \"1m\" }]"),
        &["traffic[0].spikes[0]: missing required field `factor`"],
    );
    check(
        "two streams on one target group",
        &(with("target_group = \"web-tg\"\nrps = 5") + "[[traffic]]\ntarget_group = \"web-tg\"\nrps = 6\n"),
        &["traffic[1].target_group: target group web-tg already has a [[traffic]] stream"],
    );
    check(
        "a cross-zone setting that is neither",
        &(format!(
            "{GOOD}[[target_groups]]\nTargetGroupName = \"x-tg\"\nAttributes = [{{ Key = \"load_balancing.cross_zone.enabled\", Value = \"yes\" }}]\n"
        )),
        &[
            "target_groups[0].Attributes[0].Value: expected true, false or use_load_balancer_configuration, found \"yes\"",
        ],
    );
    check(
        "a slow start too short",
        &(format!(
            "{GOOD}[[target_groups]]\nTargetGroupName = \"x-tg\"\nAttributes = [{{ Key = \"slow_start.duration_seconds\", Value = \"10\" }}]\n"
        )),
        &["target_groups[0].Attributes[0].Value: expected 0 (off) or 30 to 900 seconds, found 10"],
    );
    check(
        "a CSV that is not there",
        &with("target_group = \"web-tg\"\ncsv = \"no-such-rates.csv\""),
        &["traffic[0].csv: cannot read no-such-rates.csv"],
    );
}

/// Service Auto Scaling's sections in Application Auto Scaling's shapes: what a wrong one says.
#[test]
fn service_auto_scaling_shapes() {
    let target = "[[scalable_targets]]\nServiceNamespace = \"ecs\"\nResourceId = \"service/default/web\"\nScalableDimension = \"ecs:service:DesiredCount\"\nMinCapacity = 1\nMaxCapacity = 10\n";
    let policy = "[[scaling_policies]]\nPolicyName = \"cpu\"\nServiceNamespace = \"ecs\"\nResourceId = \"service/default/web\"\nScalableDimension = \"ecs:service:DesiredCount\"\nPolicyType = \"TargetTrackingScaling\"\nTargetTrackingScalingPolicyConfiguration = { TargetValue = 60.0, PredefinedMetricSpecification = { PredefinedMetricType = \"ECSServiceAverageCPUUtilization\" } }\n";
    let with = |extra: &str| format!("{GOOD}{extra}");
    load_str("good.toml", &with(&format!("{target}{policy}")), None).unwrap();
    check(
        "a service that does not exist",
        &with(&target.replace("service/default/web", "service/default/wbe")),
        &["scalable_targets[0].ResourceId: no service named \"wbe\"; did you mean \"web\"?"],
    );
    check(
        "a resource id of another shape",
        &with(&target.replace("service/default/web", "web")),
        &["scalable_targets[0].ResourceId: expected service/<cluster>/<service>, found \"web\""],
    );
    check(
        "a DAEMON service",
        &format!("{}{target}", GOOD.replace("desiredCount = 2", "schedulingStrategy = \"DAEMON\"")),
        &["scalable_targets[0].ResourceId: expected a REPLICA service, found DAEMON service web"],
    );
    check(
        "min above max",
        &with(&target.replace("MinCapacity = 1", "MinCapacity = 11")),
        &["scalable_targets[0].MinCapacity: expected MinCapacity <= MaxCapacity (10), found 11"],
    );
    check(
        "a policy before its scalable target",
        &with(policy),
        &["scaling_policies[0]: expected a [[scalable_targets]] entry for service/…/web"],
    );
    check(
        "a metric ecsim does not model",
        &with(&format!("{target}{}", policy.replace("ECSServiceAverageCPUUtilization", "ECSServiceAverageCPU"))),
        &[
            "PredefinedMetricType: expected one of ECSServiceAverageCPUUtilization, ECSServiceAverageMemoryUtilization, ALBRequestCountPerTarget, found \"ECSServiceAverageCPU\"",
        ],
    );
    check(
        "a typo in a field",
        &with(&format!("{target}{}", policy.replace("TargetValue", "TargetVal"))),
        &["unknown field `TargetVal`; did you mean `TargetValue`?"],
    );
    let sched = |s: &str| {
        format!(
            "{target}[[scheduled_actions]]\nScheduledActionName = \"x\"\nResourceId = \"service/default/web\"\nSchedule = \"{s}\"\nScalableTargetAction = {{ MinCapacity = 2 }}\n"
        )
    };
    load_str("good.toml", &with(&sched("cron(0 8 ? * MON-FRI *)")), None).unwrap();
    check(
        "a cron with both day fields",
        &with(&sched("cron(0 8 * * MON *)")),
        &[
            "scheduled_actions[0].Schedule: expected `?` in exactly one of day-of-month and day-of-week in \"cron(0 8 * * MON *)\"",
        ],
    );
    check("an hour past 23", &with(&sched("cron(0 24 * * ? *)")), &["expected hours values 0-23, found \"24\""]);
    let step = "[[scaling_policies]]\nPolicyName = \"out\"\nResourceId = \"service/default/web\"\nPolicyType = \"StepScaling\"\nStepScalingPolicyConfiguration = { AdjustmentType = \"ChangeInCapacity\", StepAdjustments = [{ MetricIntervalLowerBound = 0.0, MetricIntervalUpperBound = 10.0, ScalingAdjustment = 1 }, { MetricIntervalLowerBound = 20.0, ScalingAdjustment = 3 }] }\n";
    check(
        "steps with a gap",
        &with(&format!("{target}{step}")),
        &[
            "scaling_policies[0].StepScalingPolicyConfiguration.StepAdjustments: expected steps without gaps or overlaps",
        ],
    );
    let good_step = step.replace("MetricIntervalLowerBound = 20.0", "MetricIntervalLowerBound = 10.0");
    let alarm = |action: &str| {
        format!(
            "[[alarms]]\nAlarmName = \"hi\"\nNamespace = \"AWS/ECS\"\nMetricName = \"CPUUtilization\"\nDimensions = [{{ Name = \"ServiceName\", Value = \"web\" }}]\nEvaluationPeriods = 1\nThreshold = 50.0\nComparisonOperator = \"GreaterThanThreshold\"\nAlarmActions = [\"{action}\"]\n"
        )
    };
    load_str("good.toml", &with(&format!("{target}{good_step}{}", alarm("out"))), None).unwrap();
    check(
        "an alarm naming no step policy",
        &with(&format!("{target}{good_step}{}", alarm("policyName/in"))),
        &[
            "alarms[0].AlarmActions[0]: expected a StepScaling policy's name or ARN (…:policyName/<name>), found \"policyName/in\"",
        ],
    );
}

/// ECS's quota of 5,000 container instances per cluster (not adjustable) bounds the fleet a
/// scenario starts with, over all its groups.
#[test]
fn more_container_instances_than_the_cluster_quota() {
    let two = GOOD.replace("count = 2\n", "count = 3000\n")
        + "\n[[instance_groups]]\nname = \"more\"\ninstance_type = \"m5.large\"\ncount = 2001\n";
    check(
        "5,001 instances",
        &two,
        &[
            "instance_groups: expected at most 5,000 container instances in the cluster (the ECS quota of container instances per cluster, not adjustable), found 5001",
        ],
    );
    load_str("good.toml", &two.replace("count = 2001", "count = 2000"), None).unwrap();
}
