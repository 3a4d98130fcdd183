//! Identifier sanitiser: turns ONNX names into unique Rust identifiers (naga's `Namer` idea).
//! Generated code never uses a raw model name as an identifier.

use std::collections::BTreeSet;

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self",
    "static", "struct", "super", "trait", "true", "try", "type", "unsafe", "use", "where", "while", "abstract",
    "become", "box", "do", "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "model",
    "arena", "k", "core", "std",
];

/// Hands out unique snake_case names within one namespace.
#[derive(Default)]
pub struct Namer {
    taken: BTreeSet<String>,
}

impl Namer {
    /// A fresh snake_case identifier derived from `raw`.
    pub fn snake(&mut self, raw: &str) -> String {
        let base = sanitize(raw);
        let mut name = base.clone();
        let mut k = 1;
        while !self.taken.insert(name.clone()) {
            name = format!("{base}_{k}");
            k += 1;
        }
        name
    }

    /// A fresh SCREAMING_SNAKE identifier derived from `raw` (shares the namespace).
    pub fn upper(&mut self, raw: &str) -> String {
        self.snake(raw).to_uppercase()
    }
}

/// Lower-case ASCII letters, digits and single underscores; never empty, never a keyword,
/// never starting with a digit.
pub fn sanitize(raw: &str) -> String {
    let mut s = String::new();
    for c in raw.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            s.push(c);
        } else if !s.ends_with('_') {
            s.push('_');
        }
    }
    let mut s = s.trim_matches('_').to_string();
    if s.len() > 48 {
        s = s[..48].trim_end_matches('_').to_string();
    }
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s = format!("v_{s}").trim_end_matches('_').to_string();
    }
    if KEYWORDS.contains(&s.as_str()) {
        s.push('_');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_and_unique() {
        let mut n = Namer::default();
        assert_eq!(n.snake("/conv1/Conv_output_0"), "conv1_conv_output_0");
        assert_eq!(n.snake("conv1.Conv-output.0"), "conv1_conv_output_0_1");
        assert_eq!(n.snake("0"), "v_0");
        assert_eq!(n.snake("self"), "self_");
        assert_eq!(n.snake("???"), "v");
        assert_eq!(n.upper("w"), "W");
        assert_eq!(n.upper("w"), "W_1");
    }
}
