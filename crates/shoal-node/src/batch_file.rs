//! The input and output of `shoal kv batch`: one operation per line, as a JSON object.
//!
//! ```text
//! {"put": "session:1", "value": "alice", "ttl": "30m"}
//! {"put": "counter", "value": "7", "if_version": 12}
//! {"get": "session:1"}
//! {"get": "session:2", "stale": true}
//! {"delete": "session:3", "if_version": 4}
//! {"touch": "session:1", "ttl": "1h"}
//! ```
//! Blank lines and lines starting with `#` are skipped. Keys and values are UTF-8 text.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use shoal_client::{BatchOp, BatchOutcome, ClientError, PutOptions};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    put: Option<String>,
    get: Option<String>,
    delete: Option<String>,
    touch: Option<String>,
    value: Option<String>,
    ttl: Option<String>,
    if_version: Option<u64>,
    stale: Option<bool>,
}

fn duration(text: &Option<String>) -> Result<Option<Duration>> {
    text.as_deref()
        .map(|text| humantime::parse_duration(text).with_context(|| format!("bad ttl {text:?}")))
        .transpose()
}

fn operation(line: Line) -> Result<BatchOp> {
    let named = [&line.put, &line.get, &line.delete, &line.touch]
        .iter()
        .filter(|key| key.is_some())
        .count();
    if named != 1 {
        bail!("name exactly one of \"put\", \"get\", \"delete\", \"touch\" (with its key)");
    }
    let refuse = |field: &str, present: bool| -> Result<()> {
        if present {
            bail!("{field:?} does not apply to this operation");
        }
        Ok(())
    };
    if let Some(key) = line.put {
        refuse("stale", line.stale.is_some())?;
        let Some(value) = line.value else {
            bail!("a put needs a \"value\"");
        };
        return Ok(BatchOp::Put {
            key: key.into_bytes(),
            value: value.into_bytes(),
            options: PutOptions {
                ttl: duration(&line.ttl)?,
                if_version: line.if_version,
            },
        });
    }
    refuse("value", line.value.is_some())?;
    if let Some(key) = line.get {
        refuse("ttl", line.ttl.is_some())?;
        refuse("if_version", line.if_version.is_some())?;
        return Ok(BatchOp::Get {
            key: key.into_bytes(),
            stale: line.stale.unwrap_or(false),
        });
    }
    refuse("stale", line.stale.is_some())?;
    if let Some(key) = line.delete {
        refuse("ttl", line.ttl.is_some())?;
        return Ok(BatchOp::Delete {
            key: key.into_bytes(),
            if_version: line.if_version,
        });
    }
    let key = line.touch.expect("one operation is named");
    refuse("if_version", line.if_version.is_some())?;
    Ok(BatchOp::Touch {
        key: key.into_bytes(),
        ttl: duration(&line.ttl)?,
    })
}

/// Parses a batch file; an error names the line.
pub fn parse(text: &str) -> Result<Vec<BatchOp>> {
    let mut operations = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parsed = serde_json::from_str::<Line>(line)
            .map_err(anyhow::Error::from)
            .and_then(operation)
            .with_context(|| format!("line {}: {line}", number + 1))?;
        operations.push(parsed);
    }
    Ok(operations)
}

fn kind_and_key(operation: &BatchOp) -> (&'static str, String) {
    let (kind, key) = match operation {
        BatchOp::Put { key, .. } => ("put", key),
        BatchOp::Get { key, .. } => ("get", key),
        BatchOp::Delete { key, .. } => ("delete", key),
        BatchOp::Touch { key, .. } => ("touch", key),
    };
    (kind, String::from_utf8_lossy(key).into_owned())
}

/// One line per operation, in order; and how many failed.
pub fn render(
    operations: &[BatchOp],
    results: &[Result<BatchOutcome, ClientError>],
    json: bool,
) -> (String, usize) {
    let mut out = String::new();
    let mut failed = 0;
    for (operation, result) in operations.iter().zip(results) {
        let (kind, key) = kind_and_key(operation);
        if result.is_err() {
            failed += 1;
        }
        let line = if json {
            let mut object = serde_json::json!({ "op": kind, "key": key });
            match result {
                Ok(BatchOutcome::Put { version }) => object["version"] = (*version).into(),
                Ok(BatchOutcome::Get(found)) => {
                    object["found"] = found.is_some().into();
                    if let Some(found) = found {
                        object["value"] = String::from_utf8_lossy(&found.value).into();
                        object["version"] = found.version.into();
                        if let Some(ttl) = found.ttl_remaining {
                            object["ttl_remaining_ms"] = (ttl.as_millis() as u64).into();
                        }
                    }
                }
                Ok(BatchOutcome::Delete { deleted }) => object["deleted"] = (*deleted).into(),
                Ok(BatchOutcome::Touch { found }) => object["found"] = (*found).into(),
                Err(error) => {
                    object["error"] = error.to_string().into();
                    object["safe_to_retry"] = error.is_safe_to_retry().into();
                }
            }
            object.to_string()
        } else {
            let said = match result {
                Ok(BatchOutcome::Put { version }) => format!("version {version}"),
                Ok(BatchOutcome::Get(Some(found))) => format!(
                    "{} (version {})",
                    String::from_utf8_lossy(&found.value),
                    found.version
                ),
                Ok(BatchOutcome::Get(None)) => "not found".into(),
                Ok(BatchOutcome::Delete { deleted: true }) => "deleted".into(),
                Ok(BatchOutcome::Delete { deleted: false }) => "not found".into(),
                Ok(BatchOutcome::Touch { found: true }) => "touched".into(),
                Ok(BatchOutcome::Touch { found: false }) => "not found".into(),
                Err(error) => format!("error: {error}"),
            };
            format!("{kind} {key}: {said}")
        };
        out.push_str(&line);
        out.push('\n');
    }
    (out, failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_parses_and_comments_are_skipped() {
        let text = r#"
# sessions
{"put": "a", "value": "1", "ttl": "30s", "if_version": 0}
{"get": "a"}
{"get": "b", "stale": true}
{"delete": "a", "if_version": 3}
{"touch": "a", "ttl": "1m"}
{"touch": "a"}
"#;
        let parsed = parse(text).unwrap();
        assert_eq!(
            parsed,
            vec![
                BatchOp::Put {
                    key: b"a".to_vec(),
                    value: b"1".to_vec(),
                    options: PutOptions {
                        ttl: Some(Duration::from_secs(30)),
                        if_version: Some(0)
                    }
                },
                BatchOp::Get {
                    key: b"a".to_vec(),
                    stale: false
                },
                BatchOp::Get {
                    key: b"b".to_vec(),
                    stale: true
                },
                BatchOp::Delete {
                    key: b"a".to_vec(),
                    if_version: Some(3)
                },
                BatchOp::Touch {
                    key: b"a".to_vec(),
                    ttl: Some(Duration::from_secs(60))
                },
                BatchOp::Touch {
                    key: b"a".to_vec(),
                    ttl: None
                },
            ]
        );
    }

    #[test]
    fn a_bad_line_is_named_with_its_number_and_reason() {
        let cases = [
            (r#"{"put": "a"}"#, "needs a \"value\""),
            (r#"{"put": "a", "get": "b", "value": "1"}"#, "exactly one"),
            (r#"{"get": "a", "value": "1"}"#, "\"value\" does not apply"),
            (
                r#"{"delete": "a", "stale": true}"#,
                "\"stale\" does not apply",
            ),
            (r#"{"touch": "a", "ttl": "soon"}"#, "bad ttl"),
            (r#"{"gett": "a"}"#, "unknown field"),
            ("put a 1", "expected"),
        ];
        for (line, reason) in cases {
            let text = format!("{{\"get\": \"ok\"}}\n{line}\n");
            let error = format!("{:#}", parse(&text).unwrap_err());
            assert!(error.starts_with("line 2: "), "{error}");
            assert!(error.contains(reason), "{line}: {error}");
        }
    }
}
