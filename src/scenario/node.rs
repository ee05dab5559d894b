//! A format-neutral tree of what the user wrote, TOML or JSON, each value with its byte span, so one
//! validator serves both formats and every message can point at line:column.

use std::ops::Range;

use super::diag::Diagnostic;

pub type Span = Option<Range<usize>>;

#[derive(Clone, Debug)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// TOML date-times, kept as written.
    Datetime(String),
    Array(Vec<Node>),
    /// Entries in source order; the span is the key's.
    Table(Vec<Entry>),
}

/// A value made by ecsim rather than read from a file: no span.
impl From<Value> for Node {
    fn from(value: Value) -> Node {
        Node { value, span: None }
    }
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub node: Node,
}

impl Node {
    /// How a value is named in "expected X, found Y".
    pub fn describe(&self) -> String {
        match &self.value {
            Value::Null => "null".into(),
            Value::Bool(b) => format!("boolean {b}"),
            Value::Int(i) => format!("integer {i}"),
            Value::Float(x) => format!("number {x}"),
            Value::Str(s) if s.chars().count() > 40 => {
                format!("string \"{}...\"", s.chars().take(37).collect::<String>())
            }
            Value::Str(s) => format!("string {s:?}"),
            Value::Datetime(d) => format!("date-time {d}"),
            Value::Array(a) => format!("an array of {} items", a.len()),
            Value::Table(_) => "a table".into(),
        }
    }

    /// The value of `key` in a table; a JSON `null` counts as absent (AWS's describe output).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Table(entries) => {
                entries.iter().find(|e| e.key == key).map(|e| &e.node).filter(|n| !matches!(n.value, Value::Null))
            }
            _ => None,
        }
    }
}

/// A source file's text with a line index, for turning byte offsets into line:column.
pub struct SourceFile {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text = text.into();
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        SourceFile { name: name.into(), text, line_starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1) - 1;
        let start = self.line_starts[line];
        let col = self.text.get(start..offset).map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }

    pub fn diag(&self, span: &Span, path: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: self.name.clone(),
            line_col: span.as_ref().map(|r| self.line_col(r.start)),
            path: path.to_string(),
            message: message.into(),
        }
    }

    pub fn is_json(&self) -> bool {
        self.name.to_ascii_lowercase().ends_with(".json")
    }

    /// Parses the text as TOML or JSON (by extension), reporting every syntax error found.
    pub fn parse(&self) -> Result<Node, Vec<Diagnostic>> {
        if self.text.trim().is_empty() {
            return Err(vec![self.diag(&None, "", "the file is empty; expected a scenario")]);
        }
        if self.is_json() { self.parse_json() } else { self.parse_toml() }
    }

    fn parse_toml(&self) -> Result<Node, Vec<Diagnostic>> {
        let (table, errors) = toml::de::DeTable::parse_recoverable(&self.text);
        if !errors.is_empty() {
            return Err(errors
                .iter()
                .map(|e| self.diag(&e.span(), "", format!("TOML syntax: {}", e.message())))
                .collect());
        }
        let span = Some(table.span());
        Ok(Node { value: toml_table(table.into_inner()), span })
    }

    fn parse_json(&self) -> Result<Node, Vec<Diagnostic>> {
        // serde_json checks the syntax (strict JSON, with its clear messages); jsonc-parser,
        // held to strict JSON too, gives every value and key its position.
        match serde_json::from_str::<serde::de::IgnoredAny>(&self.text) {
            Ok(_) => {
                let strict = jsonc_parser::ParseOptions {
                    allow_comments: false,
                    allow_loose_object_property_names: false,
                    allow_trailing_commas: false,
                    allow_missing_commas: false,
                    allow_single_quoted_strings: false,
                    allow_hexadecimal_numbers: false,
                    allow_unary_plus_numbers: false,
                    allow_bare_decimal_point_numbers: false,
                    allow_non_finite_numbers: false,
                    allow_extended_string_escapes: false,
                };
                match jsonc_parser::parse_to_ast(&self.text, &Default::default(), &strict) {
                    Ok(jsonc_parser::ParseResult { value: Some(v), .. }) => Ok(json_node(v)),
                    _ => Err(vec![self.diag(&None, "", "JSON syntax: expected a JSON value")]),
                }
            }
            Err(e) => Err(vec![Diagnostic {
                file: self.name.clone(),
                line_col: Some((e.line(), e.column())),
                path: String::new(),
                message: format!("JSON syntax: {e}").split(" at line ").next().unwrap_or_default().to_string(),
            }]),
        }
    }
}

fn toml_table(table: toml::de::DeTable<'_>) -> Value {
    Value::Table(
        table
            .into_iter()
            .map(|(k, v)| {
                let key_span = Some(k.span());
                let span = Some(v.span());
                Entry {
                    key: k.into_inner().into_owned(),
                    key_span,
                    node: Node { value: toml_value(v.into_inner()), span },
                }
            })
            .collect(),
    )
}

fn toml_value(v: toml::de::DeValue<'_>) -> Value {
    use toml::de::DeValue;
    match v {
        DeValue::String(s) => Value::Str(s.into_owned()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Value::Int(n),
            // Out of i64 range: keep it as a float so the validator reports it as "too large".
            Err(_) => Value::Float(f64::INFINITY),
        },
        DeValue::Float(x) => Value::Float(x.as_str().replace('_', "").parse().unwrap_or(f64::NAN)),
        DeValue::Boolean(b) => Value::Bool(b),
        DeValue::Datetime(d) => Value::Datetime(d.to_string()),
        DeValue::Array(a) => Value::Array(
            a.into_iter()
                .map(|item| {
                    let span = Some(item.span());
                    Node { value: toml_value(item.into_inner()), span }
                })
                .collect(),
        ),
        DeValue::Table(t) => toml_table(t),
    }
}

fn json_node(v: jsonc_parser::ast::Value<'_>) -> Node {
    use jsonc_parser::ast::{ObjectPropName, Value as J};
    let range = |r: jsonc_parser::common::Range| Some(r.start..r.end);
    let (value, span) = match v {
        J::NullKeyword(n) => (Value::Null, range(n.range)),
        J::BooleanLit(b) => (Value::Bool(b.value), range(b.range)),
        J::NumberLit(n) => {
            let value = match n.value.parse::<i64>() {
                Ok(i) => Value::Int(i),
                Err(_) => Value::Float(n.value.parse().unwrap_or(f64::INFINITY)),
            };
            (value, range(n.range))
        }
        J::StringLit(s) => (Value::Str(s.value.into_owned()), range(s.range)),
        J::Array(a) => (Value::Array(a.elements.into_iter().map(json_node).collect()), range(a.range)),
        J::Object(o) => {
            let entries = o
                .properties
                .into_iter()
                .map(|p| {
                    let (key, key_span) = match p.name {
                        ObjectPropName::String(s) => (s.value.into_owned(), range(s.range)),
                        ObjectPropName::Word(w) => (w.value.to_string(), range(w.range)),
                    };
                    Entry { key, key_span, node: json_node(p.value) }
                })
                .collect();
            (Value::Table(entries), range(o.range))
        }
    };
    Node { value, span }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let s = SourceFile::new("x.toml", "a = 1\nbb = 2\n");
        assert_eq!(s.line_col(0), (1, 1));
        assert_eq!(s.line_col(6), (2, 1));
        assert_eq!(s.line_col(11), (2, 6));
    }

    #[test]
    fn toml_keeps_order_and_spans() {
        let s = SourceFile::new("x.toml", "z = 1\na = \"x\"\n");
        let n = s.parse().unwrap();
        let Value::Table(entries) = &n.value else { panic!() };
        assert_eq!(entries[0].key, "z");
        assert_eq!(s.line_col(entries[1].node.span.clone().unwrap().start), (2, 5));
    }

    #[test]
    fn json_keeps_order_and_spans() {
        let s = SourceFile::new("x.json", "{\n  \"z\": 1,\n  \"a\": [true, null]\n}\n");
        let n = s.parse().unwrap();
        let Value::Table(entries) = &n.value else { panic!() };
        assert_eq!((entries[0].key.as_str(), entries[1].key.as_str()), ("z", "a"));
        assert_eq!(s.line_col(entries[1].key_span.clone().unwrap().start), (3, 3));
        let Value::Array(items) = &entries[1].node.value else { panic!() };
        assert_eq!(s.line_col(items[1].span.clone().unwrap().start), (3, 15));
        // Strict JSON: what jsonc would forgive is a syntax error.
        assert!(SourceFile::new("y.json", "{\"a\": 1,}").parse().is_err());
    }

    #[test]
    fn toml_syntax_errors_have_positions() {
        let s = SourceFile::new("x.toml", "a = 1\nb = = 2\n");
        let e = s.parse().unwrap_err();
        assert_eq!(e[0].line_col.unwrap().0, 2);
    }
}
