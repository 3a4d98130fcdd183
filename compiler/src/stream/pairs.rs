//! Finding a step graph's state pairs (input `IN` read by a step, output `OUT` its next value).
//!
//! In order, each rule pairing only inputs and outputs no earlier rule took:
//! 1. explicit pairs (`--state IN=OUT`, [`Pairing::explicit`]);
//! 2. with [`Pairing::by_convention`] (`--stream`): the naming convention, output `IN_next` (or
//!    `IN_new`) for input `IN` — what the zoo's exports use (`h`/`h_next`, `xr0`/`xr0_next`);
//! 3. with `by_convention`: by shape, where unambiguous — an input and an output whose shape no
//!    other unpaired input or output has, provided a sample input and a per-step output remain
//!    unpaired (so a denoiser `x → y` of one shape is never taken for state).
//!
//! Every pair must join an input and an output of the same shape and type. The notes say which
//! rule made each pair, so the user sees what the compiler decided.

use crate::error::{Error, Result};
use crate::ir::{Graph, StatePair};

/// How to find pairs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pairing {
    /// `(input name, output name)` pairs given by the user.
    pub explicit: Vec<(String, String)>,
    /// Also pair by the naming convention and by shape (`--stream`).
    pub by_convention: bool,
}

impl Pairing {
    /// True when the model is to be compiled as a streaming one.
    pub fn streaming(&self) -> bool {
        self.by_convention || !self.explicit.is_empty()
    }
}

/// Suffixes of a next-state output's name after its input's name.
const SUFFIXES: &[&str] = &["_next", "_new"];

/// The state pairs of `g` under `how`, with a note per pair (empty when not streaming).
pub fn find(g: &Graph, how: &Pairing) -> Result<(Vec<StatePair>, Vec<String>)> {
    if !how.streaming() {
        return Ok((vec![], vec![]));
    }
    let in_name = |k: usize| g.value(g.inputs[k]).name.as_str();
    let out_name = |k: usize| g.value(g.outputs[k]).name.as_str();
    let mut pairs: Vec<StatePair> = vec![];
    let mut notes = vec![];
    let taken_in = |p: &[StatePair], k: usize| p.iter().any(|q| q.input == k);
    let taken_out = |p: &[StatePair], k: usize| p.iter().any(|q| q.output == k);
    for (i, o) in &how.explicit {
        let k_in = (0..g.inputs.len()).find(|&k| in_name(k) == i).ok_or_else(|| {
            Error::InvalidInput(format!("--state {i}={o}: the model has no input '{i}' (inputs: {})", names(g, true)))
        })?;
        let k_out = (0..g.outputs.len()).find(|&k| out_name(k) == o).ok_or_else(|| {
            Error::InvalidInput(format!(
                "--state {i}={o}: the model has no output '{o}' (outputs: {})",
                names(g, false)
            ))
        })?;
        if taken_in(&pairs, k_in) || taken_out(&pairs, k_out) {
            return Err(Error::InvalidInput(format!("--state {i}={o}: '{i}' or '{o}' is already in a state pair")));
        }
        pairs.push(check(g, k_in, k_out, &format!("--state {i}={o}"))?);
        notes.push(format!("state: '{i}' → '{o}' (--state)"));
    }
    if how.by_convention {
        for k_in in 0..g.inputs.len() {
            if taken_in(&pairs, k_in) {
                continue;
            }
            let found = (0..g.outputs.len()).find(|&k| {
                !taken_out(&pairs, k) && SUFFIXES.iter().any(|s| out_name(k) == format!("{}{s}", in_name(k_in)))
            });
            if let Some(k_out) = found {
                let why = format!("'{}' → '{}' (named as state)", in_name(k_in), out_name(k_out));
                pairs.push(check(g, k_in, k_out, &why)?);
                notes.push(format!("state: {why}"));
            }
        }
        by_shape(g, &mut pairs, &mut notes);
        if pairs.is_empty() {
            return Err(Error::InvalidInput(format!(
                "--stream: no state found (inputs: {}; outputs: {}): name each next-state output after its \
                 input with '_next' (h → h_next), or pair them with --state IN=OUT",
                names(g, true),
                names(g, false)
            )));
        }
    }
    if pairs.len() == g.inputs.len() {
        return Err(Error::InvalidInput(
            "every input is state: a streaming model needs at least one input for the sample of each step".into(),
        ));
    }
    Ok((pairs, notes))
}

/// Rule 3: unique shapes among the unpaired inputs and outputs, while a sample input and a
/// per-step output remain.
fn by_shape(g: &Graph, pairs: &mut Vec<StatePair>, notes: &mut Vec<String>) {
    loop {
        let free_in: Vec<usize> = (0..g.inputs.len()).filter(|&k| !pairs.iter().any(|p| p.input == k)).collect();
        let free_out: Vec<usize> = (0..g.outputs.len()).filter(|&k| !pairs.iter().any(|p| p.output == k)).collect();
        if free_in.len() < 2 || free_out.len() < 2 {
            return;
        }
        let shape_in = |k: usize| (&g.value(g.inputs[k]).shape, g.value(g.inputs[k]).dtype);
        let shape_out = |k: usize| (&g.value(g.outputs[k]).shape, g.value(g.outputs[k]).dtype);
        let unique = free_in.iter().find_map(|&i| {
            let same_in = free_in.iter().filter(|&&j| shape_in(j) == shape_in(i)).count();
            let outs: Vec<usize> = free_out.iter().copied().filter(|&o| shape_out(o) == shape_in(i)).collect();
            (same_in == 1 && outs.len() == 1).then(|| (i, outs[0]))
        });
        let Some((i, o)) = unique else { return };
        pairs.push(StatePair { input: i, output: o });
        notes.push(format!(
            "state: '{}' → '{}' (the only input and output of shape {:?}; pass --state to pair otherwise)",
            g.value(g.inputs[i]).name,
            g.value(g.outputs[o]).name,
            g.value(g.inputs[i]).shape
        ));
    }
}

fn check(g: &Graph, k_in: usize, k_out: usize, what: &str) -> Result<StatePair> {
    let (i, o) = (g.value(g.inputs[k_in]), g.value(g.outputs[k_out]));
    if i.shape != o.shape || i.dtype != o.dtype {
        return Err(Error::InvalidInput(format!(
            "{what}: input '{}' is {:?} {} but output '{}' is {:?} {}; a state and its next value must have one \
             shape and type",
            i.name, i.shape, i.dtype, o.name, o.shape, o.dtype
        )));
    }
    Ok(StatePair { input: k_in, output: k_out })
}

fn names(g: &Graph, inputs: bool) -> String {
    let ids = if inputs { &g.inputs } else { &g.outputs };
    ids.iter().map(|&v| format!("'{}'", g.value(v).name)).collect::<Vec<_>>().join(", ")
}

/// Pairs the naming convention (not shape alone) would find, for a hint when the model is
/// compiled stateless.
pub fn look_like_state(g: &Graph) -> Vec<(String, String)> {
    match find(g, &Pairing { explicit: vec![], by_convention: true }) {
        Ok((pairs, _)) => pairs
            .iter()
            .map(|p| (g.value(g.inputs[p.input]).name.clone(), g.value(g.outputs[p.output]).name.clone()))
            .filter(|(i, o)| SUFFIXES.iter().any(|s| *o == format!("{i}{s}")))
            .collect(),
        Err(_) => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{DType, Op, UnaryOp, Value, ValueKind};

    /// A graph with inputs and outputs of the given names and shapes (each output a Neg of the
    /// first input of its shape, or of input 0).
    fn graph(ins: &[(&str, &[usize])], outs: &[(&str, &[usize])]) -> Graph {
        let mut g = Graph::default();
        for (k, (n, s)) in ins.iter().enumerate() {
            let v = g.add_value(Value::new(*n, s.to_vec(), DType::F32, ValueKind::Input(k)));
            g.inputs.push(v);
        }
        for (n, s) in outs {
            let src = g.inputs.iter().copied().find(|&v| g.value(v).shape == *s).unwrap_or(g.inputs[0]);
            let y = g.add_node(*n, Op::Unary(UnaryOp::Neg), vec![src], s.to_vec(), DType::F32);
            g.outputs.push(y);
        }
        g
    }

    fn stream() -> Pairing {
        Pairing { explicit: vec![], by_convention: true }
    }

    #[test]
    fn convention_then_shape_pairs_and_notes_say_why() {
        let g = graph(
            &[("x_t", &[1, 12]), ("xr0", &[1, 4, 2]), ("sum", &[1, 4]), ("n", &[1, 1])],
            &[("y_t", &[1, 6]), ("xr0_next", &[1, 4, 2]), ("sum_new", &[1, 4]), ("count", &[1, 1])],
        );
        let (pairs, notes) = find(&g, &stream()).expect("pairs");
        assert_eq!(
            pairs,
            [StatePair { input: 1, output: 1 }, StatePair { input: 2, output: 2 }, StatePair { input: 3, output: 3 }]
        );
        assert!(notes[0].contains("named as state") && notes[2].contains("shape [1, 1]"), "{notes:?}");
        // not streaming unless asked
        assert_eq!(find(&g, &Pairing::default()).expect("ok").0, []);
        assert_eq!(look_like_state(&g).len(), 2, "the hint names pairs by name only");
    }

    #[test]
    fn shape_alone_never_takes_the_only_input_or_an_ambiguous_shape() {
        // a denoiser: one input, one output of the same shape
        let g = graph(&[("x", &[1, 240])], &[("y", &[1, 240])]);
        assert!(find(&g, &stream()).is_err());
        // two inputs and two outputs of one shape: ambiguous
        let g = graph(&[("a", &[1, 8]), ("b", &[1, 8])], &[("c", &[1, 8]), ("d", &[1, 8])]);
        assert!(find(&g, &stream()).is_err());
        // explicit pairing resolves it
        let how = Pairing { explicit: vec![("b".into(), "d".into())], by_convention: false };
        assert_eq!(find(&g, &how).expect("pairs").0, [StatePair { input: 1, output: 1 }]);
    }

    #[test]
    fn bad_explicit_pairs_are_named() {
        let g = graph(&[("x", &[1, 3]), ("h", &[1, 20])], &[("y", &[1, 3]), ("h_next", &[1, 20])]);
        let err = |i: &str, o: &str| {
            let how = Pairing { explicit: vec![(i.into(), o.into())], by_convention: false };
            find(&g, &how).expect_err("refused").to_string()
        };
        assert!(err("hh", "h_next").contains("no input 'hh' (inputs: 'x', 'h')"));
        assert!(err("h", "z").contains("no output 'z'"));
        assert!(err("h", "y").contains("one shape and type"));
        let how =
            Pairing { explicit: vec![("x".into(), "y".into()), ("h".into(), "h_next".into())], by_convention: false };
        assert!(find(&g, &how).expect_err("all state").to_string().contains("every input is state"));
    }
}
