//! Why a configuration file is refused, with the file, the line, the key and
//! what to write instead; and how a TOML or serde error is turned into that.

use std::ops::Range;
use std::path::{Path, PathBuf};

use thiserror::Error;
use toml::de::{DeTable, DeValue};

use super::keys;

/// A configuration file that cannot be used. Nothing is started with a
/// half-read configuration.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file does not exist.
    #[error(
        "{}: no such file. Write it (the package installs a commented one at \
         /etc/courier-terminal/config.toml) or give the right path with --config",
        path.display()
    )]
    NotFound {
        /// The file.
        path: PathBuf,
    },
    /// The file exists but cannot be read.
    #[error(
        "{}: cannot be read ({source}). Make it a text file readable by the \
         courier-terminal user",
        path.display()
    )]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The system's reason.
        source: std::io::Error,
    },
    /// The text is not TOML.
    #[error(
        "{}:{line}: not valid TOML ({detail}). Write key = value lines under \
         [section] headers, text in double quotes.",
        path.display()
    )]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line of the fault.
        line: usize,
        /// The parser's description.
        detail: String,
    },
    /// A key is unknown, has the wrong type or an impossible value.
    #[error("{}:{line}: {key}: {problem}. Write {fix}.", path.display())]
    Refused {
        /// The file.
        path: PathBuf,
        /// 1-based line of the key or value.
        line: usize,
        /// `section.key`, or `[section]` for a whole section.
        key: String,
        /// What is wrong.
        problem: String,
        /// What to write instead.
        fix: String,
    },
}

/// 1-based line holding byte `offset` of `text`.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Where a span falls in the document.
enum Place {
    /// A top-level entry (a section, or a key outside any section).
    Top(String, bool),
    /// A key inside a section.
    Key(String, String),
    /// Nowhere in particular.
    Document,
}

fn contains(span: &Range<usize>, at: usize) -> bool {
    span.start <= at && at < span.end.max(span.start + 1)
}

fn locate(root: &DeTable<'_>, at: usize) -> Place {
    for (name, value) in root.iter() {
        if let DeValue::Table(section) = value.get_ref() {
            for (key, v) in section.iter() {
                if contains(&key.span(), at) || contains(&v.span(), at) {
                    return Place::Key(name.get_ref().to_string(), key.get_ref().to_string());
                }
            }
            if contains(&name.span(), at) || contains(&value.span(), at) {
                return Place::Top(name.get_ref().to_string(), true);
            }
        } else if contains(&name.span(), at) || contains(&value.span(), at) {
            return Place::Top(name.get_ref().to_string(), false);
        }
    }
    Place::Document
}

/// The line of `section.key` if the document writes it.
pub(super) fn written_key_line(
    root: &DeTable<'_>,
    text: &str,
    section: &str,
    key: &str,
) -> Option<usize> {
    let (_, value) = root.iter().find(|(n, _)| n.get_ref() == section)?;
    let DeValue::Table(t) = value.get_ref() else {
        return None;
    };
    let (k, _) = t.iter().find(|(k, _)| k.get_ref() == key)?;
    Some(line_of(text, k.span().start))
}

/// The line of `section.key` in the document, else of `[section]`, else 1.
pub(super) fn key_line(root: &DeTable<'_>, text: &str, section: &str, key: &str) -> usize {
    written_key_line(root, text, section, key).unwrap_or_else(|| {
        root.iter()
            .find(|(n, _)| n.get_ref() == section)
            .map_or(1, |(n, _)| line_of(text, n.span().start))
    })
}

/// A refusal of `section.key` at `line`, with the key's usual hint.
pub(super) fn refused(
    path: &Path,
    line: usize,
    section: &str,
    key: &str,
    problem: String,
    fix: Option<String>,
) -> ConfigError {
    ConfigError::Refused {
        path: path.to_owned(),
        line,
        key: format!("{section}.{key}"),
        problem,
        fix: fix.unwrap_or_else(|| keys::hint(section, key).unwrap_or_default().to_owned()),
    }
}

/// What serde found instead, from its "invalid type: X, expected Y" message.
fn found_instead(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("invalid type: ")?;
    Some(rest.split(", expected").next().unwrap_or(rest))
}

/// The field named by serde's "unknown field `X`, ..." message.
fn unknown_field(message: &str) -> Option<&str> {
    message.strip_prefix("unknown field `")?.split('`').next()
}

/// Turns a deserialization error into a refusal naming the key.
pub(super) fn from_de_error(
    err: &toml::de::Error,
    text: &str,
    root: &DeTable<'_>,
    path: &Path,
) -> ConfigError {
    let message = err.message().trim();
    let at = err.span().map_or(0, |s| s.start);
    let line = line_of(text, at);
    let wrong_type = found_instead(message).map(|found| format!("wrong type ({found})"));
    match (locate(root, at), unknown_field(message)) {
        (Place::Key(section, key), Some(_)) => {
            let elsewhere = keys::SECTIONS
                .iter()
                .find(|s| keys::hint(s, &key).is_some());
            let fix = match elsewhere {
                Some(s) => format!("{key} under [{s}], not [{section}]"),
                None => format!(
                    "one of the keys of [{section}]: {}",
                    keys::keys_of(&section)
                ),
            };
            refused(path, line, &section, &key, "unknown key".into(), Some(fix))
        }
        (Place::Top(name, is_table), Some(_)) => ConfigError::Refused {
            path: path.to_owned(),
            line,
            key: if is_table {
                format!("[{name}]")
            } else {
                name.clone()
            },
            problem: if is_table {
                "unknown section".into()
            } else {
                "a key outside any section".into()
            },
            fix: format!(
                "each key under its section header; the sections are {}",
                keys::section_list()
            ),
        },
        (Place::Key(section, key), None) => {
            let problem = wrong_type.unwrap_or_else(|| message.to_owned());
            refused(path, line, &section, &key, problem, None)
        }
        (Place::Top(name, _), None) => ConfigError::Refused {
            path: path.to_owned(),
            line,
            key: name.clone(),
            problem: wrong_type.unwrap_or_else(|| message.to_owned()),
            fix: format!(
                "a [{name}] header followed by its keys, one per line: {}",
                keys::keys_of(&name)
            ),
        },
        (Place::Document, _) => ConfigError::Syntax {
            path: path.to_owned(),
            line,
            detail: message.to_owned(),
        },
    }
}

/// Turns a TOML syntax error into a refusal with its line.
pub(super) fn from_syntax_error(err: &toml::de::Error, text: &str, path: &Path) -> ConfigError {
    let at = err.span().map_or(0, |s| s.start);
    ConfigError::Syntax {
        path: path.to_owned(),
        line: line_of(text, at),
        detail: err.message().trim().replace('\n', "; "),
    }
}
