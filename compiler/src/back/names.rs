//! Identifier sanitiser: turns ONNX names into unique Rust identifiers (naga's `Namer` idea).
//!
//! Generated code never uses a raw model name as an identifier. A [`Namer`] is one namespace; the
//! code generator first [`reserve`](Namer::reserve)s every name it writes itself (`Model`,
//! `ARENA_LEN`, the locals `arena`, `out`, `i0`…), then derives model names through it, so a
//! model name can never equal a generated name or another model name. Names that come with
//! derived companions (`X` → `X_SHAPE`, `X_LEN`) are claimed together
//! ([`upper_with`](Namer::upper_with)), so a companion cannot collide either. The namespace is
//! case-insensitive (`W` and `w` are one name), which keeps snake and SCREAMING names apart.

use std::collections::BTreeSet;

/// Rust's strict and reserved keywords (2015–2024 editions): never an identifier of ours, nor a
/// crate's (`compile::check_crate_name` uses this list too).
pub const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self",
    "static", "struct", "super", "trait", "true", "try", "type", "unsafe", "use", "where", "while", "abstract",
    "become", "box", "do", "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield",
];

/// Besides [`RUST_KEYWORDS`]: weak keywords, and the built-in crates a generated item must not
/// shadow.
const ALSO_RESERVED: &[&str] = &["union", "macro_rules", "raw", "safe", "core", "std", "alloc"];

/// Longest identifier stem kept from a model name (longer ones are cut, then made unique).
const MAX_LEN: usize = 48;

/// Hands out unique identifiers within one namespace.
#[derive(Default)]
pub struct Namer {
    taken: BTreeSet<String>,
}

impl Namer {
    /// Marks an identifier the generator writes itself as taken (case-insensitively).
    pub fn reserve(&mut self, ident: &str) {
        self.taken.insert(ident.to_ascii_lowercase());
    }

    /// True when `ident` is taken (case-insensitively).
    pub fn is_taken(&self, ident: &str) -> bool {
        self.taken.contains(&ident.to_ascii_lowercase())
    }

    /// A fresh snake_case identifier derived from `raw`.
    pub fn snake(&mut self, raw: &str) -> String {
        self.claim(raw, &[""])
    }

    /// A fresh SCREAMING_SNAKE identifier derived from `raw` (shares the namespace).
    pub fn upper(&mut self, raw: &str) -> String {
        self.claim(raw, &[""]).to_ascii_uppercase()
    }

    /// A SCREAMING_SNAKE stem `S` derived from `raw` such that `S + suffix` is free for every
    /// suffix (`""` for `S` itself); all of them are taken. Suffixes are written in upper case.
    pub fn upper_with(&mut self, raw: &str, suffixes: &[&str]) -> String {
        let lower: Vec<String> = suffixes.iter().map(|s| s.to_ascii_lowercase()).collect();
        let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
        self.claim(raw, &lower).to_ascii_uppercase()
    }

    /// The first of `base`, `base_1`, `base_2`, … whose every `stem + suffix` is free; takes them.
    fn claim(&mut self, raw: &str, suffixes: &[&str]) -> String {
        let base = sanitize(raw);
        let mut stem = base.clone();
        let mut k = 1;
        while suffixes.iter().any(|s| self.taken.contains(&format!("{stem}{s}"))) {
            stem = format!("{}_{k}", base.trim_end_matches('_'));
            k += 1;
        }
        for s in suffixes {
            self.taken.insert(format!("{stem}{s}"));
        }
        stem
    }
}

/// Lower-case ASCII letters, digits and single underscores; never empty, never a keyword,
/// never starting with a digit or an underscore.
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
    if s.len() > MAX_LEN {
        s = s[..MAX_LEN].trim_end_matches('_').to_string();
    }
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s = format!("v_{s}").trim_end_matches('_').to_string();
    }
    if RUST_KEYWORDS.contains(&s.as_str()) || ALSO_RESERVED.contains(&s.as_str()) {
        s.push('_');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_ident(s: &str) -> bool {
        syn::parse_str::<syn::Ident>(s).is_ok()
    }

    #[test]
    fn names_are_valid_and_unique() {
        let mut n = Namer::default();
        assert_eq!(n.snake("/conv1/Conv_output_0"), "conv1_conv_output_0");
        assert_eq!(n.snake("conv1.Conv-output.0"), "conv1_conv_output_0_1");
        assert_eq!(n.snake("0"), "v_0");
        assert_eq!(n.snake("self"), "self_");
        assert_eq!(n.snake("Self"), "self_1");
        assert_eq!(n.snake("???"), "v");
        assert_eq!(n.snake(""), "v_1");
        assert_eq!(n.upper("w"), "W");
        assert_eq!(n.upper("w"), "W_1");
    }

    #[test]
    fn hostile_names_give_distinct_valid_identifiers() {
        let hostile = [
            "input",
            "output",
            "Input",
            "in",
            "fn",
            "type",
            "self",
            "Self",
            "crate",
            "super",
            "_",
            "__",
            "",
            " ",
            "a-b",
            "a_b",
            "a.b",
            "a b",
            "A_B",
            "1",
            "1a",
            "0.weight",
            "äöü",
            "ß",
            "信号",
            "🫀",
            "x\ny",
            "`",
            "\"",
            "model",
            "Model",
            "arena",
            "k",
            "out",
            "i0",
            "i1",
            "o",
            "x",
            "ARENA_LEN",
            "MACS",
            "core",
            "std",
            "r#fn",
            "a_b_1",
            "a_b_1",
            "union",
            "macro_rules",
        ];
        let mut n = Namer::default();
        for r in ["model", "arena", "k", "out", "i0", "i1", "o", "x", "arena_len", "macs"] {
            n.reserve(r);
        }
        let mut seen = BTreeSet::new();
        for raw in hostile {
            let id = n.snake(raw);
            assert!(is_ident(&id), "{raw:?} → {id:?} is not an identifier");
            assert!(!id.starts_with('_'), "{raw:?} → {id:?}");
            assert!(seen.insert(id.clone()), "{raw:?} → {id:?} given twice");
            for r in ["model", "arena", "k", "out", "i0", "x", "arena_len", "macs"] {
                assert_ne!(id, r, "{raw:?} took a reserved name");
            }
        }
    }

    #[test]
    fn companions_are_claimed_together() {
        let mut n = Namer::default();
        n.reserve("INPUT_SHAPE");
        // `input` cannot be `INPUT` (its `INPUT_SHAPE` is reserved): the stem moves on.
        assert_eq!(n.upper_with("input", &["", "_SHAPE", "_LEN"]), "INPUT_1");
        assert!(n.is_taken("INPUT_1_LEN") && n.is_taken("input_1_shape"));
        // A later name equal to a companion is made unique instead.
        assert_eq!(n.upper("input_1_len"), "INPUT_1_LEN_1");
        assert_eq!(n.upper_with("a", &["_LEN"]), "A");
        assert_eq!(n.upper_with("a_len", &["_LEN"]), "A_LEN");
        assert_eq!(n.upper("a_len_len"), "A_LEN_LEN_1");
    }
}
