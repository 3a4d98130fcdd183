//! The IR reference interpreter: evaluates an [`ir::Graph`](crate::ir::Graph) directly, op by op,
//! with exactly the semantics `ir/op.rs` states (ONNX/tract semantics, numpy broadcasting).
//!
//! Why: it is the oracle that needs neither tract nor a generated crate. It runs any graph the
//! verifier accepts, at any stage of the pass pipeline (so a pass can be checked against the graph
//! it rewrote), it is what calibration will run to collect value ranges ([`Interpreter::run_observed`]
//! shows every computed value), and `ecgc validate` falls back to it when tract cannot run a model.
//! It is not [`front::reference`](crate::front::reference), which runs tract itself.
//!
//! How: plain loops over row-major multi-indices (`index.rs`), one file per op family as in
//! `front/ops/` and `back/ops/`: `conv.rs`, `einsum.rs`, `dense.rs`, `elementwise.rs` (Binary,
//! Unary, Select and Fused share one scalar evaluator), `reduce.rs` (Reduce, Softmax, RmsNorm),
//! `axis.rs` (data movement), `pool.rs`. Clarity over speed: every op is "for each output index, read the
//! operands at these offsets", with no per-element allocation. Sums accumulate in f32 from 0.0 in
//! the order the IR doc states (Fused `sum_from`: row-major), otherwise in the natural row-major
//! order of the summed indices. Transcendental functions are std's f32 ones (`erf` is libm's, in
//! f64, rounded to f32); booleans are f32 1.0 / 0.0 as in the IR.
//!
//! Values are held as [`Tensor`]s. Only f32 exists today; integer semantics (the int8 work) add
//! variants to [`Tensor`] and cases in [`Interpreter::run_observed`]'s operand fetch and
//! `eval_node`'s dispatch — the single place that knows element types.

mod axis;
mod conv;
mod dense;
mod einsum;
mod elementwise;
mod index;
mod integer;
mod pool;
mod reduce;

use crate::ir::{verify::verify, Graph, Node, Op, ValueId, ValueKind};

/// A computed value of the interpreter, row-major.
#[derive(Clone, Debug, PartialEq)]
pub enum Tensor {
    /// f32 data (booleans as 1.0 / 0.0).
    F32(Vec<f32>),
    /// The integers of an integer-typed value (i8, u8, i16, i32), widened.
    Int(Vec<i64>),
}

impl Tensor {
    /// The f32 data (empty for an integer tensor).
    pub fn as_f32(&self) -> &[f32] {
        match self {
            Tensor::F32(d) => d,
            Tensor::Int(_) => &[],
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            Tensor::F32(d) => d.len(),
            Tensor::Int(d) => d.len(),
        }
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Why the interpreter could not run a graph.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum InterpError {
    /// The wrong number of inputs was given.
    #[error("the graph has {expected} input(s), {got} were given")]
    InputCount {
        /// Graph inputs.
        expected: usize,
        /// Inputs given.
        got: usize,
    },
    /// An input has the wrong number of elements.
    #[error("input {index} '{name}' has shape {shape:?} ({expected} values), {got} values were given")]
    InputLength {
        /// Position among the graph inputs.
        index: usize,
        /// The input's name.
        name: String,
        /// Its shape.
        shape: Vec<usize>,
        /// Elements it needs.
        expected: usize,
        /// Elements given.
        got: usize,
    },
    /// The graph is not valid IR (the verifier's message): a compiler bug, not a user error.
    #[error("the graph is not valid IR: {0}")]
    InvalidGraph(String),
    /// A node the interpreter cannot evaluate (e.g. data of an element type it does not know yet).
    #[error("node '{node}': {what}")]
    Unsupported {
        /// The node's name.
        node: String,
        /// What is missing.
        what: String,
    },
}

/// Runs `g` on `inputs` (graph-input order, row-major) and returns the outputs (graph-output
/// order, row-major). Shorthand for [`Interpreter::new`] then [`Interpreter::run`].
pub fn run(g: &Graph, inputs: &[&[f32]]) -> Result<Vec<Vec<f32>>, InterpError> {
    Interpreter::new(g)?.run(inputs)
}

/// A verified graph ready to be run many times (calibration runs thousands of samples): the
/// verifier and the liveness analysis run once.
pub struct Interpreter<'g> {
    graph: &'g Graph,
    /// Per node: the values whose last reader it is (freed once it has run).
    frees: Vec<Vec<ValueId>>,
}

impl<'g> Interpreter<'g> {
    /// Verifies `g` ([`InterpError::InvalidGraph`] if the verifier refuses it) and plans when
    /// each intermediate value can be dropped.
    pub fn new(g: &'g Graph) -> Result<Interpreter<'g>, InterpError> {
        verify(g).map_err(InterpError::InvalidGraph)?;
        let mut last: Vec<Option<usize>> = vec![None; g.values.len()];
        for (k, n) in g.nodes.iter().enumerate() {
            for i in &n.inputs {
                last[i.index()] = Some(k);
            }
        }
        for o in &g.outputs {
            last[o.index()] = None; // kept to the end
        }
        let mut frees = vec![vec![]; g.nodes.len()];
        for (v, l) in last.iter().enumerate() {
            if let Some(k) = l {
                frees[*k].push(ValueId(v as u32));
            }
        }
        Ok(Interpreter { graph: g, frees })
    }

    /// Runs the graph; see [`run`].
    pub fn run(&self, inputs: &[&[f32]]) -> Result<Vec<Vec<f32>>, InterpError> {
        self.run_observed(inputs, |_, _| {})
    }

    /// Runs the graph and shows `observe` every graph input and every node's output as soon as
    /// it exists (in execution order): what calibration collects ranges from.
    pub fn run_observed(
        &self,
        inputs: &[&[f32]],
        mut observe: impl FnMut(ValueId, &Tensor),
    ) -> Result<Vec<Vec<f32>>, InterpError> {
        let g = self.graph;
        if inputs.len() != g.inputs.len() {
            return Err(InterpError::InputCount { expected: g.inputs.len(), got: inputs.len() });
        }
        let mut store: Vec<Option<Tensor>> = vec![None; g.values.len()];
        for (index, (&id, data)) in g.inputs.iter().zip(inputs).enumerate() {
            let v = g.value(id);
            if data.len() != v.len() {
                return Err(InterpError::InputLength {
                    index,
                    name: v.name.clone(),
                    shape: v.shape.clone(),
                    expected: v.len(),
                    got: data.len(),
                });
            }
            let t = Tensor::F32(data.to_vec());
            observe(id, &t);
            store[id.index()] = Some(t);
        }
        for (k, node) in g.nodes.iter().enumerate() {
            let out = if reads_or_writes_ints(g, node) {
                eval_integer(g, &store, node)?
            } else {
                let ins = node
                    .inputs
                    .iter()
                    .map(|&i| operand(g, &store, i, &node.name))
                    .collect::<Result<Vec<&[f32]>, _>>()?;
                let shapes: Vec<&[usize]> = node.inputs.iter().map(|&i| g.value(i).shape.as_slice()).collect();
                Tensor::F32(eval_node(node, &ins, &shapes, &g.value(node.output).shape)?)
            };
            let want = g.value(node.output).len();
            if out.len() != want {
                return Err(InterpError::InvalidGraph(format!(
                    "node '{}' ({}) computed {} values for shape {:?} (an interpreter bug)",
                    node.name,
                    node.op.summary(),
                    out.len(),
                    g.value(node.output).shape
                )));
            }
            let t = out;
            observe(node.output, &t);
            store[node.output.index()] = Some(t);
            for v in &self.frees[k] {
                store[v.index()] = None;
            }
        }
        g.outputs.iter().map(|&o| operand(g, &store, o, "graph output").map(<[f32]>::to_vec)).collect()
    }
}

/// The f32 data of a value: a constant's data in the IR (not copied), else the computed or
/// input tensor.
fn operand<'a>(g: &'a Graph, store: &'a [Option<Tensor>], id: ValueId, reader: &str) -> Result<&'a [f32], InterpError> {
    let v = g.value(id);
    if let Some(d) = v.const_data() {
        return Ok(d);
    }
    match (&v.kind, store.get(id.index())) {
        (_, Some(Some(t))) => Ok(t.as_f32()),
        (ValueKind::Const(..), _) => Err(InterpError::Unsupported {
            node: reader.into(),
            what: format!("constant '{}' ({:?}) has no f32 data; the interpreter evaluates f32 only", v.name, v.dtype),
        }),
        _ => Err(InterpError::InvalidGraph(format!("'{reader}' reads '{}' before it is computed", v.name))),
    }
}

/// True for the nodes [`eval_integer`] evaluates: every op with an integer operand or result.
fn reads_or_writes_ints(g: &Graph, node: &Node) -> bool {
    node.inputs.iter().chain([&node.output]).any(|&v| g.value(v).dtype.is_int())
}

/// The integers of a value: a constant's data, else the computed tensor.
fn int_operand(g: &Graph, store: &[Option<Tensor>], id: ValueId, reader: &str) -> Result<Vec<i64>, InterpError> {
    let v = g.value(id);
    if let Some(d) = v.const_tensor().and_then(|d| d.ints()) {
        return Ok(d);
    }
    match store.get(id.index()) {
        Some(Some(Tensor::Int(d))) => Ok(d.clone()),
        _ => Err(InterpError::InvalidGraph(format!("'{reader}' reads '{}' as integers before it is computed", v.name))),
    }
}

/// Evaluates a node with integer operands or results ([`integer`]).
fn eval_integer(g: &Graph, store: &[Option<Tensor>], node: &Node) -> Result<Tensor, InterpError> {
    let bad = |what: String| InterpError::Unsupported { node: node.name.clone(), what };
    let shape = |k: usize| g.value(node.inputs[k]).shape.as_slice();
    let out_value = g.value(node.output);
    let ints = |k: usize| int_operand(g, store, node.inputs[k], &node.name);
    let quant = |v: ValueId| g.value(v).quant.clone().ok_or_else(|| bad(format!("%{} has no quantization", v.0)));
    Ok(match &node.op {
        Op::Quantize(t) => {
            let x = operand(g, store, node.inputs[0], &node.name)?;
            Tensor::Int(integer::quantize(x, &quant(node.output)?, *t))
        }
        Op::Dequantize => Tensor::F32(integer::dequantize(&ints(0)?, &quant(node.inputs[0])?)),
        Op::QConv(q) => {
            Tensor::Int(integer::qconv(q, &ints(0)?, shape(0), &ints(1)?, shape(1), &ints(2)?, &out_value.shape))
        }
        Op::QDense(d) => Tensor::Int(integer::qdense(d, &ints(0)?, &ints(1)?, &ints(2)?)),
        Op::Pool(p) if p.kind == crate::ir::PoolKind::Max && p.kernel.len() == 1 => {
            let min = out_value.dtype.int_range().map_or(i64::MIN, |r| r.0);
            Tensor::Int(integer::max_pool(p, &ints(0)?, shape(0), &out_value.shape, min))
        }
        // data movement keeps the integers in order
        Op::Reshape => Tensor::Int(ints(0)?),
        op => return Err(bad(format!("{} on integers is not defined", op.summary()))),
    })
}

/// Evaluates one node on its operands (already checked by the verifier against the op).
fn eval_node(node: &Node, ins: &[&[f32]], shapes: &[&[usize]], out: &[usize]) -> Result<Vec<f32>, InterpError> {
    let bad = |what: String| InterpError::Unsupported { node: node.name.clone(), what };
    Ok(match &node.op {
        Op::Conv(c) => conv::conv(c, ins[0], shapes[0], ins[1], shapes[1], ins.get(2).copied(), out).map_err(bad)?,
        Op::EinSum(e) => einsum::einsum(e, ins[0], shapes[0], ins[1], shapes[1], out),
        Op::Dense(d) => dense::dense(d, ins[0], ins[1], out),
        Op::Binary(b) => elementwise::binary(*b, ins, shapes).map_err(bad)?,
        Op::Unary(u) => elementwise::unary(*u, ins[0]),
        Op::Select => elementwise::select(ins, shapes).map_err(bad)?,
        Op::Fused(f) => elementwise::fused(f, ins, shapes).map_err(bad)?,
        Op::Reduce(r) => reduce::reduce(r, ins[0], shapes[0]),
        Op::Softmax(s) => reduce::softmax(s, ins[0], shapes[0]),
        Op::RmsNorm(r) => reduce::rms_norm(r, ins[0], shapes[0]),
        Op::Reshape => ins[0].to_vec(),
        Op::Transpose(t) => axis::transpose(t, ins[0], shapes[0]),
        Op::Slice(s) => axis::slice(s, ins[0], shapes[0], out),
        Op::Concat(c) => axis::concat(c, ins, shapes),
        Op::Gather(ga) => axis::gather(ga, ins[0], shapes[0]),
        Op::Pad(p) => axis::pad(p, ins[0], shapes[0], out),
        Op::BroadcastTo => axis::broadcast_to(ins[0], shapes[0], out),
        Op::Pool(p) => pool::pool(p, ins[0], shapes[0], out).map_err(bad)?,
        Op::Quantize(_) | Op::Dequantize | Op::QConv(_) | Op::QDense(_) => {
            return Err(bad("an integer op reached the f32 evaluator (an interpreter bug)".into()))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{BinaryOp, DType, Graph, UnaryOp, Value};

    fn input(g: &mut Graph, name: &str, shape: Vec<usize>) -> ValueId {
        let k = g.inputs.len();
        let id = g.add_value(Value::new(name, shape, DType::F32, ValueKind::Input(k)));
        g.inputs.push(id);
        id
    }

    /// y = tanh(x + c) · x, and the constant c itself as a second output.
    fn small() -> Graph {
        let mut g = Graph::default();
        let x = input(&mut g, "x", vec![2, 2]);
        let c = g.add_const("c", vec![2], vec![0.5, -1.0]);
        let s = g.add_node("add", Op::Binary(BinaryOp::Add), vec![x, c], vec![2, 2], DType::F32);
        let t = g.add_node("tanh", Op::Unary(UnaryOp::Tanh), vec![s], vec![2, 2], DType::F32);
        let y = g.add_node("mul", Op::Binary(BinaryOp::Mul), vec![t, x], vec![2, 2], DType::F32);
        g.outputs = vec![y, c];
        g
    }

    #[test]
    fn runs_a_chain_with_broadcast_constant_and_constant_output() {
        let g = small();
        let x = [1.0f32, 2.0, -3.0, 0.25];
        let out = run(&g, &[&x]).unwrap();
        let c = [0.5f64, -1.0];
        let want: Vec<f32> = (0..4).map(|i| ((x[i] as f64 + c[i % 2]).tanh() * x[i] as f64) as f32).collect();
        for (a, b) in out[0].iter().zip(&want) {
            assert!((a - b).abs() <= 1e-6, "{a} vs {b}");
        }
        assert_eq!(out[1], vec![0.5, -1.0]);
    }

    #[test]
    fn observer_sees_inputs_and_every_node_output_in_order() {
        let g = small();
        let mut seen = vec![];
        Interpreter::new(&g).unwrap().run_observed(&[&[0.0; 4]], |id, t| seen.push((id, t.as_f32().len()))).unwrap();
        let want: Vec<(ValueId, usize)> =
            std::iter::once(g.inputs[0]).chain(g.nodes.iter().map(|n| n.output)).map(|v| (v, 4)).collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn wrong_inputs_are_errors_naming_the_input() {
        let g = small();
        assert_eq!(run(&g, &[]), Err(InterpError::InputCount { expected: 1, got: 0 }));
        let e = run(&g, &[&[1.0; 3]]).unwrap_err();
        assert!(matches!(e, InterpError::InputLength { index: 0, expected: 4, got: 3, .. }), "{e:?}");
        assert!(e.to_string().contains("'x'"), "{e}");
    }

    #[test]
    fn an_invalid_graph_is_refused_not_run() {
        let mut g = small();
        g.nodes.swap(0, 1); // tanh now reads the Add's output before it exists
        assert!(matches!(run(&g, &[&[0.0; 4]]), Err(InterpError::InvalidGraph(_))));
    }

    #[test]
    fn a_graph_output_that_is_a_graph_input_is_passed_through() {
        let mut g = Graph::default();
        let x = input(&mut g, "x", vec![3]);
        g.outputs = vec![x];
        assert_eq!(run(&g, &[&[1.0, 2.0, 3.0]]).unwrap(), vec![vec![1.0, 2.0, 3.0]]);
    }
}
