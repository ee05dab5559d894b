//! The AWS JSON corpus (tests/corpus/aws-json, 62 files from public repositories; SOURCES.md
//! says what each exercises): every file is accepted as the shape it is, or rejected with the
//! reason AWS would give. Each outcome is pinned; a file added to the corpus must be pinned too.

use ecsim::scenario::aws_file::validate_aws_file;

enum Outcome {
    /// What the file holds, and how many defaults ecsim had to assume.
    Accepted(&'static str, usize),
    /// Every message, in order (after the file name).
    Rejected(&'static [&'static str]),
}
use Outcome::*;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/aws-json");

const PINNED: &[(&str, Outcome)] = &[
    (
        "services/Raffasolaries__aws-ecs-architecture__describe-two-services.json",
        Accepted("2 service(s) (describe-services output)", 0),
    ),
    (
        "services/aluisribeiro__alurapic__ec2-role-spread.json",
        Accepted("service alurapic-cli-srv (create-service input)", 0),
    ),
    ("services/aws-ome-dev__ecs__describe-services-2025.json", Accepted("1 service(s) (describe-services output)", 0)),
    (
        "services/aws-samples__ecs-mesh-workshop__fluentd-aggregator-daemon.json",
        Accepted("service fluentd-aggregator-daemon (create-service input)", 0),
    ),
    (
        "services/bugcrowd__ecs-deployment-monitor__describe-ec2-two-deployments.json",
        Accepted("1 service(s) (describe-services output)", 0),
    ),
    (
        "services/bugcrowd__ecs-deployment-monitor__describe-fargate-deployment.json",
        Accepted("1 service(s) (describe-services output)", 0),
    ),
    (
        "services/celeron1ghz__ecs-with-nano-instance__ec2-spread-az-instance.json",
        Accepted("service definition without serviceName (ecspresso's shape: the scenario names it)", 0),
    ),
    (
        "services/hyt-sasaki__alb_experiments__fargate-circuit-breaker-exec.json",
        Accepted("service definition without serviceName (ecspresso's shape: the scenario names it)", 0),
    ),
    (
        "services/ijin__ecs-parallel__capacity-provider-fargate.json",
        Accepted("service definition without serviceName (ecspresso's shape: the scenario names it)", 0),
    ),
    (
        "services/kayac__ecspresso__ci-daemon-minimal.json",
        Accepted("service definition without serviceName (ecspresso's shape: the scenario names it)", 0),
    ),
    (
        "services/kayac__ecspresso__ci-fargate-spot-ebs.json",
        Accepted("service definition without serviceName (ecspresso's shape: the scenario names it)", 0),
    ),
    (
        "services/kayac__ecspresso__sv-ec2-awsvpc-alarms.json",
        Accepted("service definition without serviceName (ecspresso's shape: the scenario names it)", 0),
    ),
    (
        "services/markfjohnson__ecs-placement-constraints__spread-distinctinstance.json",
        Accepted("service SINATRA-servicedistinct-part1 (create-service input)", 0),
    ),
    (
        "services/markfjohnson__ecs-placement-constraints__spread-memberof-runningtaskscount.json",
        Accepted("service SINATRA-service-part1 (create-service input)", 0),
    ),
    (
        "services/markfjohnson__ecs-placement-constraints__spread-memberof-taskgroup.json",
        Accepted("service SINATRA-service-group-P2 (create-service input)", 0),
    ),
    (
        "services/octop162__basic_vpc_and_ecs__ecs-native-blue-green.json",
        Accepted("service definition without serviceName (ecspresso's shape: the scenario names it)", 1),
    ),
    ("services/uswitch__hypermq__ec2-role-clienttoken.json", Accepted("service hypermq (create-service input)", 0)),
    (
        "services/winebarrel__ecs-oauth2proxy__fargate-spot-only.json",
        Accepted("service definition without serviceName (ecspresso's shape: the scenario names it)", 0),
    ),
    (
        "services/zaru__ecs-service-connect-sample__service-connect.json",
        Accepted("service definition without serviceName (ecspresso's shape: the scenario names it)", 0),
    ),
    (
        "services/zorrofox__aws-ecs-cicd-springboot-eureka__codedeploy-ec2-bridge.json",
        Accepted("service definition without serviceName (ecspresso's shape: the scenario names it)", 1),
    ),
    (
        "target-groups/aluisribeiro__alurapic__create-target-group-input.json",
        Accepted("target group alurapic-cli-tg (create-target-group input)", 0),
    ),
    (
        "target-groups/aws-ome-dev__acm__describe-target-groups.json",
        Accepted("1 target group(s) (describe-target-groups output)", 0),
    ),
    (
        "task-definitions/DataDog__documentation__datadog-agent-ecs-daemon.json",
        Accepted("task definition datadog-agent-task (register-task-definition input)", 0),
    ),
    (
        "task-definitions/aluisribeiro__alurapic__alurapic-bridge-hostport0.json",
        Accepted("task definition alurapic-taks (register-task-definition input)", 0),
    ),
    (
        "task-definitions/aws-observability__aws-otel-collector__otel-fargate-sidecar-4containers.json",
        Accepted("task definition aws-otel-FARGATE (register-task-definition input)", 0),
    ),
    (
        "task-definitions/aws-observability__aws-otel-collector__otel-prometheus-ec2-default-netmode.json",
        Rejected(&[
            "networkMode: Invalid networkMode \"default\": the valid values are none, bridge, awsvpc and host (the docs' <default> means leaving networkMode unset: bridge on Linux, NAT on Windows)",
        ]),
    ),
    (
        "task-definitions/aws-ome-dev__ecs__describe-output-with-tags.json",
        Accepted("task definition dev (describe-task-definition output)", 0),
    ),
    (
        "task-definitions/aws-samples__amazon-cloudwatch-container-insights__cwagent-daemon-host-volumes.json",
        Accepted("task definition ecs-cwagent-daemon-service (register-task-definition input)", 0),
    ),
    (
        "task-definitions/aws-samples__amazon-cloudwatch-container-insights__cwagent-statsd-ec2-bridge.json",
        Accepted("task definition ecs-cwagent-sidecar-ec2 (register-task-definition input)", 0),
    ),
    (
        "task-definitions/aws-samples__amazon-ecs-firelens-examples__appmesh-colorteller-firelens.json",
        Accepted("task definition appmesh-firelens-colorteller-black (register-task-definition input)", 0),
    ),
    (
        "task-definitions/aws-samples__amazon-ecs-firelens-examples__firelens-efs-describe-wrapper.json",
        Accepted("task definition firelens-efs-example (describe-task-definition output)", 0),
    ),
    (
        "task-definitions/aws-samples__amazon-ecs-firelens-examples__firelens-emf-bridge-links.json",
        Accepted("task definition firelens-example-cloudwatch (register-task-definition input)", 0),
    ),
    (
        "task-definitions/aws-samples__amazon-ecs-firelens-examples__newrelic-firelens-unit-strings.json",
        Accepted("task definition newrelic-firelens-example (register-task-definition input)", 0),
    ),
    (
        "task-definitions/aws-samples__amazon-ecs-gmsa__windows-gmsa-mvc.json",
        Accepted("task definition mvc-frontend (register-task-definition input)", 0),
    ),
    (
        "task-definitions/aws-samples__aws-containers-task-definitions__consul-client-host.json",
        Accepted("task definition consulClient (register-task-definition input)", 0),
    ),
    (
        "task-definitions/aws-samples__aws-containers-task-definitions__kibana-ec2-awsvpc.json",
        Rejected(&[
            "containerDefinitions[0].portMappings[0].hostPort: When networkMode=awsvpc, the host ports and container ports in port mappings must match (hostPort 80, containerPort 5601)",
        ]),
    ),
    (
        "task-definitions/aws-samples__aws-containers-task-definitions__nginx-ec2-bridge.json",
        Accepted("task definition nginx (register-task-definition input)", 0),
    ),
    (
        "task-definitions/aws-samples__aws-ecs-anywhere-workshop-samples__anywhere-otel-external-bridge.json",
        Accepted("task definition aws-otel-EC2 (register-task-definition input)", 0),
    ),
    (
        "task-definitions/aws-samples__ecs-demo-php-simple-app__simple-app-volumesfrom.json",
        Accepted("task definition console-sample-app (register-task-definition input)", 0),
    ),
    (
        "task-definitions/aws-samples__ecs-mesh-workshop__fluentbit-daemon-host.json",
        Accepted("task definition fluentd-aggregator (register-task-definition input)", 0),
    ),
    (
        "task-definitions/aws-samples__ecs-mesh-workshop__hello-world-mesh-3containers.json",
        Accepted("task definition hello-world-mesh (register-task-definition input)", 0),
    ),
    (
        "task-definitions/aws-samples__ecs-mesh-workshop__linkerd-viz-host-constraint.json",
        Accepted("task definition linkerd-viz (register-task-definition input)", 0),
    ),
    (
        "task-definitions/aws-samples__ecs-mesh-workshop__mysql-rexray-awsvpc-constraint.json",
        Accepted("task definition mysql-rexray (register-task-definition input)", 0),
    ),
    (
        "task-definitions/aws__amazon-ecs-agent__ftest-busybox-port-5180.json",
        Accepted("task definition ecsftest-busybox-port-5180 (register-task-definition input)", 0),
    ),
    (
        "task-definitions/aws__amazon-ecs-agent__ftest-container-ordering-healthy.json",
        Accepted("task definition ecsftest-container-ordering-complete-condition (register-task-definition input)", 0),
    ),
    (
        "task-definitions/aws__amazon-ecs-agent__ftest-container-ordering-success.json",
        Accepted("task definition ecsftest-container-ordering-success-condition (register-task-definition input)", 1),
    ),
    (
        "task-definitions/aws__amazon-ecs-agent__ftest-datavolume2-links.json",
        Accepted("task definition datavolume-example (register-task-definition input)", 0),
    ),
    (
        "task-definitions/aws__amazon-ecs-agent__ftest-efs-vol-read.json",
        Accepted("task definition ecsftest-task-efs-volume (register-task-definition input)", 0),
    ),
    (
        "task-definitions/aws__amazon-ecs-agent__ftest-firelens-fluentbit-bridge.json",
        Accepted("task definition ecsftest-firelens-fluentbit (register-task-definition input)", 0),
    ),
    (
        "task-definitions/aws__amazon-ecs-agent__ftest-granular-stop-timeout.json",
        Accepted("task definition ecsftest-container-granular-stop-timeout (register-task-definition input)", 0),
    ),
    (
        "task-definitions/aws__amazon-ecs-agent__ftest-network-link-2.json",
        Accepted("task definition ecsftest-network-link-2 (register-task-definition input)", 0),
    ),
    (
        "task-definitions/aws__amazon-ecs-agent__ftest-nvidia-gpu.json",
        Accepted("task definition ecsftest-nvidia-gpu (register-task-definition input)", 0),
    ),
    (
        "task-definitions/aws__amazon-ecs-agent__ftest-parallel-pull-10containers.json",
        Accepted("task definition concurrent-pull-test (register-task-definition input)", 0),
    ),
    (
        "task-definitions/celeron1ghz__ecs-with-nano-instance__nano-ec2-bridge.json",
        Accepted("task definition acceptessa2-test (register-task-definition input)", 0),
    ),
    (
        "task-definitions/huannv93__ucadity-labs1__describe-nulls-external.json",
        Accepted("task definition be (describe-task-definition output, unwrapped)", 0),
    ),
    (
        "task-definitions/infinitybase__bako-safe-api__console-describe-arm64.json",
        Accepted("task definition bako-safe-socket-server-api (describe-task-definition output, unwrapped)", 0),
    ),
    (
        "task-definitions/kayac__ecspresso__ci-daemon-host-secrets.json",
        Accepted("task definition ecspresso-test (register-task-definition input)", 0),
    ),
    (
        "task-definitions/kayac__ecspresso__ci-fargate-ebs-secrets.json",
        Accepted("task definition ecspresso-test (register-task-definition input)", 0),
    ),
    (
        "task-definitions/kayac__ecspresso__td-plain-fargate-appmesh.json",
        Accepted("task definition katsubushi (describe-task-definition output, unwrapped)", 0),
    ),
    (
        "task-definitions/micahhausler__container-transform__transform-7containers.json",
        Rejected(&[
            "containerDefinitions[2].memory: Invalid setting for container 'web2': 'memory' must be at least 6 MiB (found 4)",
            "containerDefinitions[3].memory: Invalid setting for container 'logs': 'memory' must be at least 6 MiB (found 4)",
        ]),
    ),
    (
        "task-definitions/tongueroo__sinatra__sinatra-memres-dynamic.json",
        Accepted("task definition sinatra-app (register-task-definition input)", 0),
    ),
    (
        "task-definitions/winebarrel__ecs-oauth2proxy__oauth2proxy-3containers.json",
        Accepted("task definition oauth2-proxy (register-task-definition input)", 0),
    ),
];

#[test]
fn every_corpus_file_has_its_pinned_outcome() {
    let mut files: Vec<String> = Vec::new();
    for dir in ["task-definitions", "services", "target-groups"] {
        for entry in std::fs::read_dir(format!("{CORPUS}/{dir}")).expect("corpus folder") {
            let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
            files.push(format!("{dir}/{name}"));
        }
    }
    files.sort();
    let pinned: Vec<&str> = PINNED.iter().map(|(f, _)| *f).collect();
    assert_eq!(files, pinned, "every corpus file is pinned, and only those");
    // Every difference at once, so a change that moves several pins shows them all.
    let mut moved = Vec::new();
    for (file, outcome) in PINNED {
        let got = validate_aws_file(std::path::Path::new(&format!("{CORPUS}/{file}")));
        match (outcome, got) {
            (Accepted(what, assumed), Ok(report)) => {
                assert_eq!(report.what, *what, "{file}");
                if report.assumed.len() != *assumed {
                    moved.push(format!(
                        "{file}: {} assumptions, pinned {assumed}: {:?}",
                        report.assumed.len(),
                        report.assumed
                    ));
                }
            }
            (Rejected(messages), Err(diags)) => {
                let got: Vec<String> = diags.0.iter().map(|d| format!("{}: {}", d.path, d.message)).collect();
                assert_eq!(got, *messages, "{file}");
            }
            (Accepted(..), Err(diags)) => panic!("{file} was rejected:\n{diags}"),
            (Rejected(_), Ok(report)) => panic!("{file} was accepted: {}", report.what),
        }
    }
    assert!(moved.is_empty(), "{}", moved.join("\n"));
}

/// `validate --verbose` lists what a file carries that ecsim does not simulate; nulls (AWS's
/// describe output) are not listed, as they set nothing.
#[test]
fn unsimulated_fields_are_listed_and_nulls_are_not() {
    let nulls = format!("{CORPUS}/task-definitions/huannv93__ucadity-labs1__describe-nulls-external.json");
    let report = validate_aws_file(std::path::Path::new(&nulls)).expect("accepted");
    assert!(report.ignored.iter().any(|f| f == "containerDefinitions[0].environment"), "{:?}", report.ignored);
    assert!(!report.ignored.iter().any(|f| f == "containerDefinitions[0].secrets"), "secrets is null there");
    let firelens = format!(
        "{CORPUS}/task-definitions/aws-samples__amazon-ecs-firelens-examples__firelens-efs-describe-wrapper.json"
    );
    let report = validate_aws_file(std::path::Path::new(&firelens)).expect("accepted");
    assert!(report.ignored.iter().any(|f| f.ends_with("volumes")), "{:?}", report.ignored);
}

fn corpus_scenario(body: &str) -> Result<ecsim::scenario::Scenario, String> {
    let text = format!(
        "[scenario]\nduration = \"30m\"\n[cluster]\nzones = [\"us-east-1a\", \"us-east-1b\"]\n\
         [[instance_groups]]\nname = \"fleet\"\ninstance_type = \"m5.large\"\ncount = 4\n{body}"
    );
    ecsim::scenario::load_str("corpus.toml", &text, Some(std::path::Path::new(CORPUS))).map_err(|d| d.to_string())
}

/// The alurapic files as their repository has them: a bridge task with hostPort 0, its target
/// group (create-target-group input) and a 7-task service behind it (create-service input that
/// names revision 5). The service runs 7 healthy tasks spread over both zones.
#[test]
fn a_scenario_runs_the_corpus_files_as_they_are() {
    let s = corpus_scenario(
        "[[task_definitions]]\nfile = \"task-definitions/aluisribeiro__alurapic__alurapic-bridge-hostport0.json\"\n\
         [[target_groups]]\nfile = \"target-groups/aluisribeiro__alurapic__create-target-group-input.json\"\n\
         [[services]]\nfile = \"services/aluisribeiro__alurapic__ec2-role-spread.json\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.services[0].name, "alurapic-cli-srv");
    assert_eq!(s.assumptions.len(), 1, "revision 5 is the file's definition: {:?}", s.assumptions);
    let mut sim = ecsim::sim::Simulation::new(&s, 1);
    sim.run_until(crate::common::at_s(600.0)).unwrap();
    assert_eq!(sim.counts("alurapic-cli-srv").healthy, 7);
}

/// A describe-services file with two services: `service` picks one; without it the error names
/// them. An ecspresso service definition gets its name and task definition from the scenario.
#[test]
fn services_are_picked_from_describe_output_and_named_for_ecspresso() {
    let td = "[[task_definitions]]\nfile = \"task-definitions/aws-samples__aws-containers-task-definitions__nginx-ec2-bridge.json\"\n";
    let two = "services/Raffasolaries__aws-ecs-architecture__describe-two-services.json";
    let err =
        corpus_scenario(&format!("{td}[[services]]\nfile = \"{two}\"\ntaskDefinition = \"nginx\"\n")).unwrap_err();
    assert!(err.contains("the file holds several services; say which with `service` (it has: "), "{err}");
    let err = corpus_scenario(&format!(
        "{td}[[services]]\nfile = \"{two}\"\nservice = \"nope\"\ntaskDefinition = \"nginx\"\n"
    ))
    .unwrap_err();
    assert!(err.contains("the file has no service \"nope\""), "{err}");
    let tgs = "target-groups/aws-ome-dev__acm__describe-target-groups.json";
    let err = corpus_scenario(&format!("{td}[[target_groups]]\nfile = \"{tgs}\"\nname = \"nope\"\n")).unwrap_err();
    assert!(err.contains("the file has no target group \"nope\" (it has: target-group)"), "{err}");

    let ecspresso = "services/celeron1ghz__ecs-with-nano-instance__ec2-spread-az-instance.json";
    let err = corpus_scenario(&format!("{td}[[services]]\nfile = \"{ecspresso}\"\n")).unwrap_err();
    assert!(err.contains("missing required field `serviceName`"), "{err}");
    let s = corpus_scenario(&format!(
        "{td}[[services]]\nfile = \"{ecspresso}\"\nserviceName = \"web\"\ntaskDefinition = \"nginx\"\ndesiredCount = 3\n"
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((s.services[0].name.as_str(), s.services[0].desired_count), ("web", 3));
}

fn corpus_file(rel: &str) -> ecsim::import::InputFile {
    let text = std::fs::read_to_string(format!("{CORPUS}/{rel}")).expect("corpus file");
    ecsim::import::InputFile { name: rel.to_string(), text }
}

/// Round trip: every describe-services file of the corpus, imported (with its task definition
/// where the corpus has it), gives a scenario that loads and runs: every service reaches
/// steady state, and none has an outage afterwards (a rollout under way is replayed).
#[test]
fn imported_describe_services_files_load_and_run() {
    let describe = [
        (
            "services/aws-ome-dev__ecs__describe-services-2025.json",
            Some("task-definitions/aws-ome-dev__ecs__describe-output-with-tags.json"),
        ),
        ("services/Raffasolaries__aws-ecs-architecture__describe-two-services.json", None),
        ("services/bugcrowd__ecs-deployment-monitor__describe-fargate-deployment.json", None),
        ("services/bugcrowd__ecs-deployment-monitor__describe-ec2-two-deployments.json", None),
    ];
    for (services, td) in describe {
        let input = ecsim::import::ImportInput {
            services: vec![corpus_file(services)],
            task_definitions: td.into_iter().map(corpus_file).collect(),
            container_instances: None,
            target_groups: None,
            capacity_providers: None,
            cluster: None,
        };
        let imported = ecsim::import::import(&input).unwrap_or_else(|e| panic!("{services}: {e}"));
        let s = ecsim::scenario::load_str("imported.toml", &imported.toml, None)
            .unwrap_or_else(|d| panic!("{services}:\n{d}\n{}", imported.toml));
        let r = ecsim::sim::Simulation::new(&s, 1).run().unwrap_or_else(|e| panic!("{services}: {e}"));
        assert!(r.measure_start.is_some(), "{services}: every service reached steady state");
        for svc in &r.services {
            assert_eq!(svc.accum.outage_ms, 0, "{services}: {}", svc.name);
            assert!(svc.stats.tasks_started > 0, "{services}: {}", svc.name);
        }
        // The stand-ins are named for review; the aws-ome-dev pair needs no task definition one.
        let stand_in = imported.review.iter().any(|r| r.starts_with("task definition "));
        assert_eq!(stand_in, td.is_none(), "{services}: {:?}", imported.review);
    }
}

/// describe-container-instances output: one group per instance type (with the registered CPU and
/// memory), over the zones its instances are in; INACTIVE instances are left out.
#[test]
fn container_instances_become_instance_groups() {
    let ci = |id: &str, t: &str, zone: &str, status: &str| {
        format!(
            r#"{{"ec2InstanceId": "{id}", "status": "{status}", "attributes": [{{"name": "ecs.instance-type", "value": "{t}"}}, {{"name": "ecs.availability-zone", "value": "{zone}"}}], "registeredResources": [{{"name": "CPU", "integerValue": 2048}}, {{"name": "MEMORY", "integerValue": 7680}}]}}"#
        )
    };
    let text = format!(
        r#"{{"containerInstances": [{}, {}, {}, {}], "failures": []}}"#,
        ci("i-1", "m5.large", "us-east-1a", "ACTIVE"),
        ci("i-2", "m5.large", "us-east-1b", "ACTIVE"),
        ci("i-3", "c5.xlarge", "us-east-1a", "DRAINING"),
        ci("i-4", "m5.large", "us-east-1c", "INACTIVE"),
    );
    let input = ecsim::import::ImportInput {
        services: vec![corpus_file("services/aws-ome-dev__ecs__describe-services-2025.json")],
        task_definitions: vec![corpus_file("task-definitions/aws-ome-dev__ecs__describe-output-with-tags.json")],
        container_instances: Some(ecsim::import::InputFile { name: "ci.json".into(), text }),
        target_groups: Some(corpus_file("target-groups/aws-ome-dev__acm__describe-target-groups.json")),
        capacity_providers: None,
        cluster: None,
    };
    let imported = ecsim::import::import(&input).unwrap_or_else(|e| panic!("{e}"));
    let s = ecsim::scenario::load_str("imported.toml", &imported.toml, None).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(s.zones, ["us-east-1a", "us-east-1b"]);
    let groups: Vec<(&str, u32, u32)> =
        s.groups.iter().filter(|g| !g.fargate).map(|g| (g.name.as_str(), g.count, g.first_type().memory_mib)).collect();
    assert_eq!(groups, [("m5-large", 2, 7680), ("c5-xlarge", 1, 7680)]);
    // The service runs on Fargate (its strategy names FARGATE): stand-ins for FARGATE join.
    assert!(s.groups.iter().any(|g| g.fargate && g.name == "FARGATE" && g.count == 2));
    assert!(!imported.review.iter().any(|r| r.starts_with("instances:") || r.starts_with("target group")));
    assert_eq!(s.target_groups[0].healthy_threshold, 5, "from the describe-target-groups file");
}

/// A bare file gets the same care as a scenario: a misspelt simulated field is named with a
/// suggestion, a placeholder where a number is needed is called one, a placeholder in a string
/// ecsim does not read is fine, and what AWS rejects is rejected with its reason.
#[test]
fn bare_files_get_suggestions_placeholders_and_aws_rejections() {
    let check = |json: &str| match ecsim::scenario::aws_file::validate_aws_text("td.json", json) {
        Ok(r) => Ok(r.what),
        Err(d) => Err(d.to_string()),
    };
    let td = |extra: &str| {
        format!(
            r#"{{"family": "web", {extra} "containerDefinitions": [{{"name": "web", "image": "{{{{ must_env `IMAGE` }}}}", "essential": true, "memory": 256}}]}}"#
        )
    };
    assert_eq!(check(&td("")), Ok("task definition web (register-task-definition input)".to_string()));
    let e = check(&td(r#""memmory": "512","#)).unwrap_err();
    assert!(e.contains("memmory: unknown field `memmory`; did you mean `memory`?"), "{e}");
    let e = check(&td(r#""cpu": "${CPU}","#)).unwrap_err();
    assert!(e.contains("cpu: expected CPU units as a number or a string like \"256\" or \"1 vCPU\", found string \"${CPU}\" (a template placeholder"), "{e}");
    let e = check(&td(r#""networkMode": "{{ must_env `MODE` }}","#)).unwrap_err();
    assert!(e.contains("(a template placeholder"), "{e}");
    // An essential container waited on with SUCCESS: AWS refuses to register it.
    let e = check(
        r#"{"family": "x", "containerDefinitions": [
            {"name": "init", "image": "i", "essential": true, "memory": 64},
            {"name": "app", "image": "a", "essential": true, "memory": 64, "dependsOn": [{"containerName": "init", "condition": "SUCCESS"}]}]}"#,
    )
    .unwrap_err();
    assert!(e.contains("essential"), "{e}");
}

/// describe-capacity-providers and describe-clusters output: the Auto Scaling group provider
/// becomes a [[capacity_providers]] entry on a group named after its Auto Scaling group, holding
/// the container instances that name the provider; the cluster's providers and default strategy
/// carry over, so a service without a strategy runs on the provider.
#[test]
fn capacity_providers_and_clusters_import() {
    let file = |name: &str, text: &str| ecsim::import::InputFile { name: name.into(), text: text.into() };
    let service = r#"{"services": [{"serviceName": "web", "clusterArn": "arn:aws:ecs:us-east-1:1:cluster/prod", "taskDefinition": "arn:aws:ecs:us-east-1:1:task-definition/web:3", "desiredCount": 2}]}"#;
    let td = r#"{"taskDefinition": {"family": "web", "revision": 3, "cpu": "512", "memory": "1024", "containerDefinitions": [{"name": "web", "image": "web:3", "essential": true}]}}"#;
    let providers = r#"{"capacityProviders": [
        {"name": "FARGATE", "status": "ACTIVE"},
        {"name": "prod-cp", "capacityProviderArn": "arn:aws:ecs:us-east-1:1:capacity-provider/prod-cp", "status": "ACTIVE",
         "autoScalingGroupProvider": {"autoScalingGroupArn": "arn:aws:autoscaling:us-east-1:1:autoScalingGroup:abc:autoScalingGroupName/prod-asg",
           "managedScaling": {"status": "ENABLED", "targetCapacity": 90, "minimumScalingStepSize": 1, "maximumScalingStepSize": 10, "instanceWarmupPeriod": 180},
           "managedTerminationProtection": "ENABLED", "managedDraining": "ENABLED"}}]}"#;
    let cluster = r#"{"clusters": [{"clusterName": "prod", "capacityProviders": ["prod-cp", "FARGATE"], "defaultCapacityProviderStrategy": [{"capacityProvider": "prod-cp", "weight": 1, "base": 0}]}]}"#;
    let instances = r#"{"containerInstances": [
        {"ec2InstanceId": "i-1", "status": "ACTIVE", "capacityProviderName": "prod-cp", "attributes": [{"name": "ecs.instance-type", "value": "m5.large"}, {"name": "ecs.availability-zone", "value": "us-east-1a"}], "registeredResources": [{"name": "CPU", "integerValue": 2048}, {"name": "MEMORY", "integerValue": 7680}]},
        {"ec2InstanceId": "i-2", "status": "ACTIVE", "capacityProviderName": "prod-cp", "attributes": [{"name": "ecs.instance-type", "value": "m5.large"}, {"name": "ecs.availability-zone", "value": "us-east-1b"}], "registeredResources": [{"name": "CPU", "integerValue": 2048}, {"name": "MEMORY", "integerValue": 7680}]},
        {"ec2InstanceId": "i-3", "status": "ACTIVE", "capacityProviderName": "prod-cp", "attributes": [{"name": "ecs.instance-type", "value": "m5.xlarge"}, {"name": "ecs.availability-zone", "value": "us-east-1c"}], "registeredResources": [{"name": "CPU", "integerValue": 4096}, {"name": "MEMORY", "integerValue": 15616}]}]}"#;
    let input = ecsim::import::ImportInput {
        services: vec![file("services.json", service)],
        task_definitions: vec![file("td.json", td)],
        container_instances: Some(file("ci.json", instances)),
        target_groups: None,
        capacity_providers: Some(file("cp.json", providers)),
        cluster: Some(file("cluster.json", cluster)),
    };
    let imported = ecsim::import::import(&input).unwrap_or_else(|e| panic!("{e}"));
    let s = ecsim::scenario::load_str("imported.toml", &imported.toml, None)
        .unwrap_or_else(|d| panic!("{d}\n{}", imported.toml));
    let cp = &s.capacity_providers[0];
    assert_eq!(cp.name, "prod-cp");
    assert_eq!(s.groups[cp.group.index()].name, "prod-asg");
    // Two m5.large and an m5.xlarge: one mixed instances group, its fleet as it runs.
    let g = &s.groups[cp.group.index()];
    let types: Vec<&str> = g.types.iter().map(|t| t.name.as_str()).collect();
    assert_eq!((g.count, types, g.initial_by_type.clone()), (3, vec!["m5.large", "m5.xlarge"], vec![2, 1]));
    assert!(imported.review.iter().any(|r| r.contains("prod-asg runs 2 types")), "{:?}", imported.review);
    let scaling = cp.managed_scaling.expect("managed scaling");
    assert_eq!((scaling.target_capacity, scaling.maximum_scaling_step_size), (90, 10));
    assert!(cp.managed_termination_protection);
    assert_eq!(s.services[0].capacity_provider_strategy.len(), 1, "the cluster's default strategy");
    let mut sim = ecsim::sim::Simulation::new(&s, 1);
    sim.run_until(ecsim::engine::SimTime(0)).unwrap();
    let mut fleet: Vec<(String, &str)> =
        sim.cluster().live_instances().map(|ci| (ci.instance_type.clone(), sim.cluster().zone_name(ci.zone))).collect();
    fleet.sort();
    assert_eq!(
        fleet,
        [("m5.large".into(), "us-east-1a"), ("m5.large".into(), "us-east-1b"), ("m5.xlarge".into(), "us-east-1c")]
    );
    let r = sim.run().unwrap();
    assert_eq!(r.capacity_providers[0].name, "prod-cp");
}
