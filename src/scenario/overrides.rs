//! Overrides: replace one field of a scenario document by path before it is read, so a sweep can
//! vary a service's placementStrategy, a group's count or a fault's MTBF. The changed document
//! goes through the same validator as the file, so a bad value gets the usual message.
//!
//! Paths: keys separated by dots; `[N]` picks an array element by position and `[NAME]` by its
//! name (`name`, `serviceName`, `family`, `TargetGroupName`):
//! `services[web].deploymentConfiguration.minimumHealthyPercent`, `instance_groups[0].count`,
//! `faults[0].mtbf`. A missing last key is added, and a missing table on the way to a key.

use super::node::{Entry, Node, SourceFile, Value};

/// One field to replace, and the value (a TOML or JSON literal, already parsed).
#[derive(Clone, Debug)]
pub struct Override {
    pub path: String,
    /// The value as written, for reports and the scenario hash.
    pub text: String,
    pub value: Node,
}

#[derive(Clone, Debug, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
    Named(String),
}

/// Keys that name an element of an array of tables.
const NAME_KEYS: [&str; 5] = ["name", "serviceName", "family", "TargetGroupName", "id"];

fn steps(path: &str) -> Result<Vec<Step>, String> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() && out.is_empty() {
            return Err(format!("expected a key before {rest:?}"));
        }
        if !key.is_empty() {
            out.push(Step::Key(key.to_string()));
        }
        while let Some(inner) = rest.strip_prefix('[') {
            let Some(end) = inner.find(']') else { return Err(format!("expected ] in {part:?}")) };
            let sel = &inner[..end];
            out.push(match sel.parse::<usize>() {
                Ok(i) => Step::Index(i),
                Err(_) if !sel.is_empty() => Step::Named(sel.to_string()),
                Err(_) => return Err(format!("expected an index or a name between [ ] in {part:?}")),
            });
            rest = &inner[end + 1..];
        }
        if !rest.is_empty() {
            return Err(format!("unexpected {rest:?} in {part:?}"));
        }
    }
    if out.is_empty() {
        return Err("expected a path like services[web].desiredCount".into());
    }
    Ok(out)
}

fn name_of(node: &Node) -> Option<&str> {
    NAME_KEYS.iter().find_map(|k| match node.get(k).map(|n| &n.value) {
        Some(Value::Str(s)) => Some(s.as_str()),
        _ => None,
    })
}

/// Replaces the node at `path` in `root` (adding a missing last key).
pub fn apply(root: &mut Node, path: &str, value: Node) -> Result<(), String> {
    let steps = steps(path)?;
    let mut node = root;
    let mut walked = String::new();
    for (i, step) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        node = match (step, &mut node.value) {
            (Step::Key(k), Value::Table(entries)) => {
                walked += &if walked.is_empty() { k.clone() } else { format!(".{k}") };
                match entries.iter().position(|e| e.key == *k) {
                    Some(p) => &mut entries[p].node,
                    // A missing last key is added, and so is a missing table on the way to a
                    // key (`settings.max_events` in a scenario without [settings]).
                    None if last || matches!(steps[i + 1], Step::Key(_)) => {
                        let value = if last { Value::Null } else { Value::Table(Vec::new()) };
                        entries.push(Entry { key: k.clone(), key_span: None, node: Node { value, span: None } });
                        &mut entries.last_mut().expect("just pushed").node
                    }
                    None => return Err(format!("{path}: there is no {walked} to change")),
                }
            }
            (Step::Index(n), Value::Array(items)) => {
                walked += &format!("[{n}]");
                let len = items.len();
                items.get_mut(*n).ok_or_else(|| format!("{path}: {walked} is past the end ({len} entries)"))?
            }
            (Step::Named(name), Value::Array(items)) => {
                walked += &format!("[{name}]");
                let names: Vec<String> = items.iter().filter_map(name_of).map(str::to_string).collect();
                match items.iter_mut().find(|n| name_of(n) == Some(name.as_str())) {
                    Some(n) => n,
                    None => return Err(format!("{path}: no entry named {name:?} (there are: {})", names.join(", "))),
                }
            }
            (_, other) => {
                let found = Node { value: other.clone(), span: None }.describe();
                return Err(format!("{path}: {walked} is {found}, which this path cannot go into"));
            }
        };
    }
    *node = value;
    Ok(())
}

/// Parses the values of `--vary PATH=V1,V2,...`: TOML literals (`100`, `"5m"`, `[{ type =
/// "binpack", field = "memory" }]`) or JSON ones, separated by top-level commas.
pub fn parse_values(text: &str) -> Result<Vec<(String, Node)>, String> {
    let doc = format!("v = [{text}]");
    let src = SourceFile::new("--vary", doc.clone());
    let root = match src.parse() {
        Ok(root) => root,
        Err(_) => {
            let json = format!("{{\"v\": [{text}]}}");
            SourceFile::new("--vary.json", json)
                .parse()
                .map_err(|_| format!("expected TOML or JSON values separated by commas, found {text:?}"))?
        }
    };
    let Some(Node { value: Value::Array(items), .. }) = root.get("v").cloned() else {
        return Err(format!("expected values, found {text:?}"));
    };
    // Each value's own text, from its span in the little document (no span: JSON).
    let source = if root.get("v").is_some_and(|n| n.span.is_some()) { doc } else { String::new() };
    Ok(items
        .into_iter()
        .map(|n| {
            let shown = n.span.clone().and_then(|s| source.get(s)).map_or_else(|| describe_literal(&n), str::to_string);
            (shown.trim().to_string(), without_spans(n))
        })
        .collect())
}

/// A value as a literal (for a label or a CSV column).
pub(crate) fn describe_literal(n: &Node) -> String {
    match &n.value {
        Value::Str(s) => format!("{s:?}"),
        Value::Int(i) => i.to_string(),
        Value::Float(x) => x.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => n.describe(),
    }
}

/// Spans point into the little document of the value, not the scenario: drop them.
fn without_spans(mut n: Node) -> Node {
    n.span = None;
    n.value = match n.value {
        Value::Array(items) => Value::Array(items.into_iter().map(without_spans).collect()),
        Value::Table(entries) => Value::Table(
            entries.into_iter().map(|e| Entry { key: e.key, key_span: None, node: without_spans(e.node) }).collect(),
        ),
        v => v,
    };
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_select_by_key_index_and_name() {
        let mut root = SourceFile::new(
            "t.toml",
            "[[services]]\nserviceName = \"web\"\ndesiredCount = 2\n[[services]]\nserviceName = \"api\"\ndesiredCount = 3\n",
        )
        .parse()
        .unwrap();
        let v = |t: &str| parse_values(t).unwrap().remove(0).1;
        apply(&mut root, "services[api].desiredCount", v("7")).unwrap();
        apply(&mut root, "services[0].placementStrategy", v("[{ type = \"random\" }]")).unwrap();
        let services = match &root.get("services").unwrap().value {
            Value::Array(a) => a.clone(),
            _ => panic!(),
        };
        assert!(matches!(services[1].get("desiredCount").unwrap().value, Value::Int(7)));
        assert!(matches!(services[0].get("placementStrategy").unwrap().value, Value::Array(_)));
        let e = apply(&mut root, "services[nope].desiredCount", v("1")).unwrap_err();
        assert_eq!(e, "services[nope].desiredCount: no entry named \"nope\" (there are: web, api)");
        let e = apply(&mut root, "services[5].x", v("1")).unwrap_err();
        assert_eq!(e, "services[5].x: services[5] is past the end (2 entries)");
        // A missing table on the way is made (the validator then judges its keys) ...
        apply(&mut root, "settings.max_events", v("10")).unwrap();
        assert!(matches!(root.get("settings").unwrap().get("max_events").unwrap().value, Value::Int(10)));
        // ... but a path cannot go through a value, or into a missing array.
        let e = apply(&mut root, "services[api].desiredCount.x", v("1")).unwrap_err();
        assert!(e.ends_with("services[api].desiredCount is integer 7, which this path cannot go into"), "{e}");
        assert!(apply(&mut root, "faults[0].mtbf", v("1")).unwrap_err().contains("there is no faults"));
    }

    #[test]
    fn values_are_toml_or_json_literals() {
        let vals = parse_values("[{ type = \"binpack\", field = \"memory\" }], [{ type = \"random\" }]").unwrap();
        assert_eq!(vals.len(), 2);
        assert_eq!(vals[1].0, "[{ type = \"random\" }]");
        let json = parse_values("{\"type\": \"random\"}, 3").unwrap();
        assert_eq!(json.len(), 2);
        assert_eq!(parse_values("\"5m\", \"10m\"").unwrap()[1].0, "\"10m\"");
        assert!(parse_values("[unclosed").is_err());
    }
}
