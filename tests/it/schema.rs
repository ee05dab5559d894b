//! `ecsim schema`: a JSON Schema (draft 2020-12) that editors use to complete and check
//! scenarios. Every bundled scenario is valid against it; scenarios with a typo, a wrong type, a
//! bad duration, a missing section or a key its action does not take are not. The validator is
//! the reference implementation (Python's `jsonschema`), when a Python with it is found; CI
//! installs it.

use std::path::Path;

use serde_json::{Value, json};

use crate::cli::ecsim;
use crate::common::python_with;
use crate::determinism::bundled;

/// A named way to break the quickstart.
type Edit<'a> = (&'a str, &'a dyn Fn(&mut Value));

fn schema() -> Value {
    let o = ecsim(&["schema"], Path::new(env!("CARGO_MANIFEST_DIR")));
    assert_eq!(o.status.code(), Some(0));
    serde_json::from_slice(&o.stdout).expect("ecsim schema prints JSON")
}

fn as_json(toml_text: &str) -> Value {
    let t: toml::Table = toml::from_str(toml_text).expect("TOML");
    serde_json::to_value(t).expect("as JSON")
}

#[test]
fn every_bundled_scenario_is_valid_and_mistakes_are_not() {
    let schema = schema();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    let Some(python) = python_with("jsonschema") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let write = |name: &str, v: &Value| {
        let p = tmp.path().join(name);
        std::fs::write(&p, v.to_string()).unwrap();
        p.display().to_string()
    };
    let mut args = vec![write("schema.json", &schema)];
    for path in bundled() {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let v = as_json(&std::fs::read_to_string(&path).unwrap());
        args.push(format!("valid:{}", write(&format!("{name}.json"), &v)));
    }
    let quickstart = as_json(ecsim::scenario::QUICKSTART);
    // A JSON scenario names the schema in `$schema`.
    let mut with_ref = quickstart.clone();
    with_ref["$schema"] = "./scenario.schema.json".into();
    args.push(format!("valid:{}", write("with-ref.json", &with_ref)));
    let edits: [Edit<'_>; 9] = [
        ("typo-in-settings", &|v| v["settings"] = json!({ "max_event": 10 })),
        ("count-as-string", &|v| v["instance_groups"][0]["count"] = "six".into()),
        ("duration-in-words", &|v| v["scenario"]["duration"] = "30 minutes".into()),
        ("months", &|v| v["scenario"]["duration"] = "1mo".into()),
        ("no-cluster", &|v| {
            v.as_object_mut().unwrap().remove("cluster");
        }),
        ("unknown-action", &|v| v["events"][0]["action"] = "reboot".into()),
        ("key-its-action-does-not-take", &|v| v["events"][1]["duration"] = "10m".into()),
        ("service-name-with-a-slash", &|v| v["services"][0]["serviceName"] = "a/b".into()),
        ("unknown-metric", &|v| {
            v["expect"] = json!([{ "service": "sample-app", "metric": "availabilty", "min": 0.9 }])
        }),
    ];
    for (name, edit) in edits {
        let mut v = quickstart.clone();
        edit(&mut v);
        args.push(format!("invalid:{}", write(&format!("{name}.json"), &v)));
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/validate_schema.py");
    let out = std::process::Command::new(python).arg(script).args(&args).output().expect("python runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
}

/// The reader accepts what the schema describes at the top: a JSON scenario with `$schema`.
#[test]
fn a_json_scenario_may_name_its_schema() {
    let mut v = as_json(ecsim::scenario::QUICKSTART);
    v["$schema"] = Value::String("https://example.invalid/scenario.schema.json".into());
    ecsim::scenario::load_str("q.json", &v.to_string(), None).unwrap_or_else(|d| panic!("{d}"));
}
