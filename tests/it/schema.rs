//! `ecsim schema`: a JSON Schema (draft 2020-12) that editors use to complete and check
//! scenarios. Every bundled scenario is valid against it; scenarios with a typo, a wrong type, a
//! bad duration, a missing section or a key its action does not take are not.

use std::path::Path;

use serde_json::Value;

use crate::cli::ecsim;
use crate::determinism::bundled;

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
    assert!(jsonschema::meta::is_valid(&schema), "the schema is itself a valid draft 2020-12 schema");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    for path in bundled() {
        let text = std::fs::read_to_string(&path).unwrap();
        let errors: Vec<String> = validator.iter_errors(&as_json(&text)).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    }
    // A JSON scenario names the schema in `$schema`.
    let quickstart = as_json(ecsim::scenario::QUICKSTART);
    let mut with_ref = quickstart.clone();
    with_ref["$schema"] = Value::String("./scenario.schema.json".into());
    assert!(validator.is_valid(&with_ref));

    let invalid = |name: &str, edit: &dyn Fn(&mut Value)| {
        let mut v = quickstart.clone();
        edit(&mut v);
        assert!(!validator.is_valid(&v), "{name}: the schema accepted it");
    };
    invalid("a typo in settings", &|v| v["settings"] = serde_json::json!({ "max_event": 10 }));
    invalid("a count as a string", &|v| v["instance_groups"][0]["count"] = "six".into());
    invalid("a duration in words", &|v| v["scenario"]["duration"] = "30 minutes".into());
    invalid("months", &|v| v["scenario"]["duration"] = "1mo".into());
    invalid("no cluster", &|v| {
        v.as_object_mut().unwrap().remove("cluster");
    });
    invalid("an unknown action", &|v| v["events"][0]["action"] = "reboot".into());
    invalid("a key its action does not take", &|v| {
        v["events"][1]["duration"] = "10m".into();
    });
    invalid("a service name with a slash", &|v| v["services"][0]["serviceName"] = "a/b".into());
    invalid("an unknown metric", &|v| {
        v["expect"] = serde_json::json!([{ "service": "sample-app", "metric": "availabilty", "min": 0.9 }]);
    });
}

/// The reader accepts what the schema describes at the top: a JSON scenario with `$schema`.
#[test]
fn a_json_scenario_may_name_its_schema() {
    let mut v = as_json(ecsim::scenario::QUICKSTART);
    v["$schema"] = Value::String("https://example.invalid/scenario.schema.json".into());
    ecsim::scenario::load_str("q.json", &v.to_string(), None).unwrap_or_else(|d| panic!("{d}"));
}
