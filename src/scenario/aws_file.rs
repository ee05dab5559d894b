//! `ecsim validate` on a bare AWS JSON file: which of AWS's shapes it is (a task definition as
//! registered or described, services as created or described, target groups as created or
//! described), and whether AWS would take it. The readers are the ones scenarios use.

use std::path::Path;

use super::diag::Diagnostics;
use super::node::{Node, SourceFile, Value};
use super::reader::Reader;
use super::service::{Supplied, read_service};
use super::target_group::read_target_group;
use super::task_definition::read_task_definition;

/// What a valid file held, and what `validate --verbose` lists.
pub struct AwsFileReport {
    /// "task definition nginx", "2 services (describe-services output)", ...
    pub what: String,
    pub ignored: Vec<String>,
    pub assumed: Vec<String>,
}

/// Keys that mark a JSON object as a service (create-service input or an ecspresso service
/// definition, which may hold as little as `schedulingStrategy`).
const SERVICE_KEYS: &[&str] = &[
    "serviceName",
    "desiredCount",
    "schedulingStrategy",
    "loadBalancers",
    "deploymentConfiguration",
    "launchType",
    "capacityProviderStrategy",
    "networkConfiguration",
    "placementStrategy",
    "serviceConnectConfiguration",
    "deploymentController",
];

/// Whether parsed JSON is an ecsim scenario rather than an AWS object.
fn is_scenario(root: &Node) -> bool {
    root.get("scenario").is_some() || root.get("instance_groups").is_some()
}

/// Reads an AWS JSON file as AWS would: `Ok` with what it held, or every problem found.
pub fn validate_aws_text(name: &str, text: &str) -> Result<AwsFileReport, Diagnostics> {
    validate_unless_scenario(name, text).unwrap_or_else(|| {
        let msg = "is an ecsim scenario, not AWS JSON: load it as a scenario";
        Err(Diagnostics(vec![SourceFile::new(name, "").diag(&None, "", msg)]))
    })
}

/// Like [`validate_aws_text`], but `None` for JSON that is an ecsim scenario (parsed once).
pub fn validate_unless_scenario(name: &str, text: &str) -> Option<Result<AwsFileReport, Diagnostics>> {
    let src = SourceFile::new(name, text);
    let root = match src.parse() {
        Ok(root) if is_scenario(&root) => return None,
        Ok(root) => root,
        Err(d) => return Some(Err(Diagnostics(d))),
    };
    Some(read_file(&src, &root))
}

fn read_file(src: &SourceFile, root: &Node) -> Result<AwsFileReport, Diagnostics> {
    let mut r = Reader::new(src);
    let what = read_any(&mut r, root);
    if !r.diags.is_empty() {
        return Err(Diagnostics(r.diags));
    }
    match what {
        Some(what) => Ok(AwsFileReport { what, ignored: r.ignored, assumed: r.assumed }),
        None => Err(Diagnostics(vec![src.diag(&root.span, "", "expected an AWS JSON object")])),
    }
}

pub fn validate_aws_file(path: &Path) -> Result<AwsFileReport, Diagnostics> {
    let name = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => validate_aws_text(&name, &text),
        Err(e) => {
            let src = SourceFile::new(name, "");
            Err(Diagnostics(vec![src.diag(&None, "", format!("cannot read the file: {e}"))]))
        }
    }
}

fn read_any(r: &mut Reader<'_>, root: &Node) -> Option<String> {
    let Value::Table(entries) = &root.value else {
        r.error(
            &root.span,
            "",
            format!(
                "expected a JSON object (an AWS task definition, service or target group), found {}",
                root.describe()
            ),
        );
        return None;
    };
    let has = |k: &str| root.get(k).is_some();
    if has("containerDefinitions")
        || has("taskDefinition") && matches!(root.get("taskDefinition").map(|n| &n.value), Some(Value::Table(_)))
    {
        let td = read_task_definition(r, root, "", &[], None)?;
        let shape = if has("taskDefinition") {
            "describe-task-definition output"
        } else if has("taskDefinitionArn") || has("revision") || has("status") {
            "describe-task-definition output, unwrapped"
        } else {
            "register-task-definition input"
        };
        return Some(format!("task definition {} ({shape})", td.family));
    }
    if let Some(items) = root.get("services") {
        let items = r.array(items, "services")?;
        r.ignored.extend(has("failures").then(|| "failures".to_string()));
        for (i, item) in items.iter().enumerate() {
            read_service(r, item, &format!("services[{i}]"), None, &Supplied::default());
        }
        return Some(format!("{} service(s) (describe-services output)", items.len()));
    }
    if let Some(items) = root.get("TargetGroups") {
        let items = r.array(items, "TargetGroups")?;
        for (i, item) in items.iter().enumerate() {
            read_target_group(r, item, &format!("TargetGroups[{i}]"));
        }
        return Some(format!("{} target group(s) (describe-target-groups output)", items.len()));
    }
    if has("Name") || has("TargetGroupName") || has("HealthCheckPath") || has("Protocol") {
        let tg = read_target_group(r, root, "")?;
        return Some(format!("target group {} (create-target-group input)", tg.spec.name));
    }
    if entries.iter().any(|e| SERVICE_KEYS.contains(&e.key.as_str())) || has("taskDefinition") {
        read_service(r, root, "", None, &Supplied::default());
        let name = match root.get("serviceName").map(|n| &n.value) {
            Some(Value::Str(s)) => format!("service {s}"),
            _ => {
                return Some(
                    "service definition without serviceName (ecspresso's shape: the scenario names it)".into(),
                );
            }
        };
        return Some(format!("{name} (create-service input)"));
    }
    let keys: Vec<&str> = entries.iter().take(6).map(|e| e.key.as_str()).collect();
    r.error(
        &root.span,
        "",
        format!(
            "expected an AWS task definition (containerDefinitions), service (serviceName, desiredCount, ...), describe-services output (services) or target group (TargetGroupName, TargetGroups), found an object with keys {}",
            keys.join(", ")
        ),
    );
    None
}
