//! Typed reading of a [`Node`] tree with every problem collected, not just the first: each getter
//! reports "expected X, found Y" at the value's position and returns `None` so reading goes on.

use super::diag::Diagnostic;
use super::node::{Entry, Node, SourceFile, Span, Value};
use crate::engine::time::{SimDuration, parse_duration};

pub struct Reader<'s> {
    pub src: &'s SourceFile,
    pub diags: Vec<Diagnostic>,
    /// AWS fields accepted but not simulated, for `validate --verbose`.
    pub ignored: Vec<String>,
    /// Defaults ecsim chose where the file leaves a simulated quantity open, for `validate`.
    pub assumed: Vec<String>,
    /// (table path, key) pairs an unknown field was taken for ("did you mean `family`?"): that
    /// key is then not also reported missing.
    misspelt: Vec<(String, String)>,
}

/// A table being read: its entries, its path, and its span for "missing field" messages.
#[derive(Clone, Copy)]
pub struct Fields<'n> {
    entries: &'n [Entry],
    path: &'n str,
    span: &'n Span,
}

impl<'n> Fields<'n> {
    /// The value of `key`; a JSON `null` counts as absent, as AWS's describe output writes
    /// every unset optional field as null.
    pub fn node(&self, key: &str) -> Option<&'n Node> {
        self.entries.iter().find(|e| e.key == key).map(|e| &e.node).filter(|n| !matches!(n.value, Value::Null))
    }

    pub fn has(&self, key: &str) -> bool {
        self.node(key).is_some()
    }

    pub fn path(&self, key: &str) -> String {
        join(self.path, key)
    }

    pub fn keys(&self) -> impl Iterator<Item = &'n str> {
        self.entries.iter().map(|e| e.key.as_str())
    }
}

pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

/// Whether a string is (or holds) a template placeholder: ecspresso's `{{ must_env "X" }}`,
/// shell `${VAR}`, `$$$VAR$$$`, `<YOUR_KEY>`, `{var}`. Accepted where ecsim does not interpret the
/// string; named in the error where a number or a known word is needed.
pub fn is_placeholder(s: &str) -> bool {
    let angle = s.find('<').is_some_and(|i| s[i..].contains('>'));
    let brace = s.find('{').is_some_and(|i| s[i..].contains('}'));
    s.contains("{{") || s.contains("${") || s.contains("$$$") || angle || brace
}

/// " (a template placeholder: render the template first, ...)" for a placeholder string.
pub fn placeholder_note(node: &Node) -> &'static str {
    match &node.value {
        Value::Str(s) if is_placeholder(s) => {
            " (a template placeholder: ecsim reads the rendered file, e.g. `ecspresso render` or `envsubst` output)"
        }
        _ => "",
    }
}

/// The closest known name, for "did you mean" hints.
pub fn suggest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (strsim::levenshtein(&lower, &k.to_ascii_lowercase()), *k))
        .filter(|&(d, k)| d <= 2.max(k.len() / 4))
        .min()
        .map(|(_, k)| k)
}

impl<'s> Reader<'s> {
    pub fn new(src: &'s SourceFile) -> Reader<'s> {
        Reader { src, diags: Vec::new(), ignored: Vec::new(), assumed: Vec::new(), misspelt: Vec::new() }
    }

    pub fn error(&mut self, span: &Span, path: &str, message: impl Into<String>) {
        self.diags.push(self.src.diag(span, path, message));
    }

    /// Reads `node` as a table whose keys must all be in `known` (the simulator's own sections:
    /// a typo is an error, with a suggestion).
    pub fn table<'n>(&mut self, node: &'n Node, path: &'n str, known: &[&str]) -> Option<Fields<'n>> {
        self.table_with(node, path, known, &[])
    }

    /// A table already checked by [`Reader::table`], read again for keys another section needs:
    /// no second report of its unknown keys.
    pub fn quiet_table<'n>(&self, node: &'n Node, path: &'n str) -> Option<Fields<'n>> {
        match &node.value {
            Value::Table(entries) => Some(Fields { entries, path, span: &node.span }),
            _ => None,
        }
    }

    /// Like [`Reader::table`], for AWS objects: keys in `accepted` are AWS fields ecsim does not
    /// simulate; they are accepted and remembered for `validate --verbose`.
    pub fn table_with<'n>(
        &mut self,
        node: &'n Node,
        path: &'n str,
        known: &[&str],
        accepted: &[&str],
    ) -> Option<Fields<'n>> {
        let Value::Table(entries) = &node.value else {
            self.error(&node.span, path, format!("expected a table, found {}", node.describe()));
            return None;
        };
        for e in entries {
            if known.contains(&e.key.as_str()) {
                continue;
            }
            if accepted.contains(&e.key.as_str()) {
                // A null is AWS's way of saying the field is unset: nothing was ignored.
                if !matches!(e.node.value, Value::Null) {
                    self.ignored.push(join(path, &e.key));
                }
                continue;
            }
            let hint = match suggest(&e.key, known) {
                Some(k) => {
                    self.misspelt.push((path.to_string(), k.to_string()));
                    format!("; did you mean `{k}`?")
                }
                None => format!("; expected one of: {}", known.join(", ")),
            };
            self.error(&e.key_span, &join(path, &e.key), format!("unknown field `{}`{hint}", e.key));
        }
        Some(Fields { entries, path, span: &node.span })
    }

    /// A required field is absent, unless a misspelling of it was just reported.
    pub fn missing(&mut self, f: &Fields<'_>, key: &str, what: &str) {
        if self.misspelt.iter().any(|(p, k)| p == f.path && k == key) {
            return;
        }
        self.error(f.span, f.path, format!("missing required field `{key}` ({what})"));
    }

    pub fn str_value(&mut self, node: &Node, path: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            _ => {
                self.error(&node.span, path, format!("expected a string, found {}", node.describe()));
                None
            }
        }
    }

    pub fn opt_str(&mut self, f: &Fields<'_>, key: &str) -> Option<String> {
        let node = f.node(key)?;
        self.str_value(node, &f.path(key))
    }

    pub fn req_str(&mut self, f: &Fields<'_>, key: &str, what: &str) -> Option<String> {
        if !f.has(key) {
            self.missing(f, key, what);
            return None;
        }
        self.opt_str(f, key)
    }

    /// A name by AWS's rule for it (checked up front: a name that cannot be a service, family,
    /// container or target group in AWS is refused where it is written, not discovered later).
    pub fn opt_name(&mut self, f: &Fields<'_>, key: &str, rule: NameRule) -> Option<String> {
        let node = f.node(key)?;
        let name = self.str_value(node, &f.path(key))?;
        if let Err(expected) = rule.check(&name) {
            self.error(&node.span, &f.path(key), format!("expected {expected}, found {name:?}"));
            return None;
        }
        Some(name)
    }

    pub fn req_name(&mut self, f: &Fields<'_>, key: &str, what: &str, rule: NameRule) -> Option<String> {
        if !f.has(key) {
            self.missing(f, key, what);
            return None;
        }
        self.opt_name(f, key, rule)
    }

    pub fn opt_bool(&mut self, f: &Fields<'_>, key: &str) -> Option<bool> {
        let node = f.node(key)?;
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                let msg = format!("expected true or false, found {}", node.describe());
                self.error(&node.span, &f.path(key), msg);
                None
            }
        }
    }

    /// An integer in `[min, max]`. AWS JSON often writes numbers as strings ("256"); `lenient`
    /// accepts those.
    pub fn int_value(&mut self, node: &Node, path: &str, min: i64, max: i64, lenient: bool) -> Option<i64> {
        let n = match &node.value {
            Value::Int(i) => Some(*i),
            Value::Str(s) if lenient => s.trim().parse::<i64>().ok(),
            Value::Float(x) if x.fract() == 0.0 && x.abs() < 9e15 => Some(*x as i64),
            _ => None,
        };
        match n {
            Some(n) if (min..=max).contains(&n) => Some(n),
            Some(n) => {
                let range = if max == i64::MAX { format!("at least {min}") } else { format!("from {min} to {max}") };
                self.error(&node.span, path, format!("expected an integer {range}, found {n}"));
                None
            }
            None => {
                let msg = format!("expected an integer, found {}{}", node.describe(), placeholder_note(node));
                self.error(&node.span, path, msg);
                None
            }
        }
    }

    pub fn opt_int(&mut self, f: &Fields<'_>, key: &str, min: i64, max: i64) -> Option<i64> {
        let node = f.node(key)?;
        self.int_value(node, &f.path(key), min, max, false)
    }

    pub fn opt_u32(&mut self, f: &Fields<'_>, key: &str, min: u32, max: u32) -> Option<u32> {
        self.opt_int(f, key, min.into(), max.into()).map(|v| v as u32)
    }

    /// A count of a service's tasks: a whole number within ECS's quota of tasks per service
    /// (SCHEDULING.md §2.6), the quota named when it is past it.
    pub fn opt_task_count(&mut self, f: &Fields<'_>, key: &str) -> Option<u32> {
        let max = crate::ecs::service::MAX_TASKS_PER_SERVICE;
        let node = f.node(key)?;
        if let Value::Int(n) = node.value
            && n > i64::from(max)
        {
            let msg = format!("expected at most {max} tasks (the ECS quota of tasks per service), found {n}");
            self.error(&node.span, &f.path(key), msg);
            return None;
        }
        self.opt_u32(f, key, 0, max)
    }

    pub fn opt_f64(&mut self, f: &Fields<'_>, key: &str, min: f64, max: f64) -> Option<f64> {
        let node = f.node(key)?;
        let x = match node.value {
            Value::Int(i) => i as f64,
            Value::Float(x) => x,
            _ => {
                let msg = format!("expected a number, found {}", node.describe());
                self.error(&node.span, &f.path(key), msg);
                return None;
            }
        };
        if x.is_finite() && x >= min && x <= max {
            Some(x)
        } else {
            self.error(&node.span, &f.path(key), format!("expected a number from {min} to {max}, found {x}"));
            None
        }
    }

    pub fn duration_value(&mut self, node: &Node, path: &str) -> Option<SimDuration> {
        match &node.value {
            Value::Str(s) => match parse_duration(s) {
                Ok(d) => Some(d),
                Err(e) => {
                    self.error(
                        &node.span,
                        path,
                        format!("expected a duration like \"30s\", \"5m\", \"2h\" or \"7d\", found {}", e.0),
                    );
                    None
                }
            },
            _ => {
                let msg = format!(
                    "expected a duration string like \"30s\", \"5m\", \"2h\" or \"7d\", found {}",
                    node.describe()
                );
                self.error(&node.span, path, msg);
                None
            }
        }
    }

    pub fn opt_duration(&mut self, f: &Fields<'_>, key: &str) -> Option<SimDuration> {
        let node = f.node(key)?;
        self.duration_value(node, &f.path(key))
    }

    pub fn array<'n>(&mut self, node: &'n Node, path: &str) -> Option<&'n [Node]> {
        match &node.value {
            Value::Array(items) => Some(items),
            _ => {
                self.error(&node.span, path, format!("expected an array, found {}", node.describe()));
                None
            }
        }
    }

    pub fn opt_array<'n>(&mut self, f: &Fields<'n>, key: &str) -> Option<&'n [Node]> {
        let node = f.node(key)?;
        if matches!(node.value, Value::Null) {
            return None;
        }
        self.array(node, &f.path(key))
    }

    pub fn opt_str_list(&mut self, f: &Fields<'_>, key: &str) -> Option<Vec<String>> {
        let items = self.opt_array(f, key)?;
        let path = f.path(key);
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            out.push(self.str_value(item, &format!("{path}[{i}]"))?);
        }
        Some(out)
    }

    /// One of a fixed set of words.
    pub fn opt_enum<T: Copy>(&mut self, f: &Fields<'_>, key: &str, choices: &[(&str, T)]) -> Option<T> {
        let node = f.node(key)?;
        let path = f.path(key);
        let s = self.str_value(node, &path)?;
        if let Some((_, v)) = choices.iter().find(|(name, _)| *name == s) {
            return Some(*v);
        }
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        let hint = suggest(&s, &names).map(|k| format!(" (did you mean {k:?}?)")).unwrap_or_default();
        let note = placeholder_note(node);
        self.error(&node.span, &path, format!("expected one of {}, found {s:?}{hint}{note}", names.join(", ")));
        None
    }
}

/// How a name may be spelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameRule {
    /// Services, task definition families, containers, clusters (CreateService and
    /// RegisterTaskDefinition): up to 255 letters, digits, hyphens and underscores. ecsim's own
    /// names (instance groups, workloads, the scenario) follow it too.
    Aws,
    /// Target groups (CreateTargetGroup): up to 32 letters, digits and hyphens, not beginning or
    /// ending with a hyphen, not beginning with "internal-".
    TargetGroup,
}

impl NameRule {
    /// `Err(what was expected)` if `name` breaks the rule.
    pub fn check(self, name: &str) -> Result<(), &'static str> {
        let word = |c: char| c.is_ascii_alphanumeric() || c == '-';
        match self {
            NameRule::Aws => {
                let ok = !name.is_empty() && name.len() <= 255 && name.chars().all(|c| word(c) || c == '_');
                if ok { Ok(()) } else { Err("1 to 255 letters, digits, hyphens or underscores") }
            }
            NameRule::TargetGroup => {
                let ok = !name.is_empty()
                    && name.len() <= 32
                    && name.chars().all(word)
                    && !name.starts_with('-')
                    && !name.ends_with('-')
                    && !name.starts_with("internal-");
                if ok {
                    Ok(())
                } else {
                    Err(
                        "1 to 32 letters, digits or hyphens, not beginning or ending with a hyphen nor beginning with \"internal-\"",
                    )
                }
            }
        }
    }
}
