//! ecgc's intermediate representation: a static, fully shaped dataflow graph.
//!
//! # What the IR means
//! - A [`Graph`] owns two arenas: [`Value`]s (tensors) indexed by [`ValueId`] and [`Node`]s (operations)
//!   indexed by [`NodeId`]. No `Rc`, no interior mutability: passes rewrite the arenas and side tables.
//! - Every value has a static row-major shape (`Vec<usize>`, possibly empty for a scalar) and an
//!   element type ([`DType`]: f32, bool, i8, u8, i16, i32). There are no symbolic dimensions: the
//!   front end resolves them or fails.
//! - A value is either a graph input, a constant (its data lives in the IR as [`TensorData`] of the
//!   value's own type, little-endian when emitted), or the single output of exactly one node.
//! - An integer value that stands for real numbers carries quantization parameters ([`Quant`]:
//!   `real = scale · (q − zero_point)`, per tensor or per axis); float values carry none.
//! - `Graph::nodes` is in execution order: every node's inputs are produced by earlier nodes, are
//!   constants, or are graph inputs. The verifier ([`verify`]) checks this and every shape.
//! - Booleans ([`DType::Bool`]) are stored as `f32` 1.0 / 0.0 in generated code. ONNX integer
//!   tensors of float graphs (shapes, gather indices) are folded into op parameters by the front
//!   end and never reach the graph; integer values come from quantization.
//! - Op semantics are those of ONNX/tract for the same name, restated on each op struct in [`op`].
//!   Broadcasting between operands follows numpy rules (shapes aligned on the right).
//!
//! The IR is the boundary between `front/` (the only module that knows tract) and `back/` (which
//! emits Rust): everything the back end needs is here, decided before code generation.

pub mod data;
pub mod dtype;
pub mod op;
pub mod quant;
pub mod shape;
pub mod verify;
pub mod window;

pub use data::TensorData;
pub use dtype::DType;
pub use op::*;
pub use quant::Quant;
pub use window::{InRole, OutRole, Window, WindowInput, WindowOutput};

use std::fmt;

/// Index of a [`Value`] in [`Graph::values`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ValueId(pub u32);

/// Index of a [`Node`] in [`Graph::nodes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

impl ValueId {
    /// The arena index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl NodeId {
    /// The arena index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Where a value comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum ValueKind {
    /// The graph input at this position.
    Input(usize),
    /// A constant, row-major, `shape.iter().product()` elements of the value's storage type.
    Const(TensorData),
    /// The output of a node.
    Computed,
}

/// A tensor of static shape.
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    /// Name in the source model (for messages and generated identifiers).
    pub name: String,
    /// Static row-major shape.
    pub shape: Vec<usize>,
    /// Element type.
    pub dtype: DType,
    /// Origin.
    pub kind: ValueKind,
    /// Quantization parameters of an integer value that stands for real numbers.
    pub quant: Option<Quant>,
}

impl Value {
    /// A value without quantization parameters.
    pub fn new(name: impl Into<String>, shape: Vec<usize>, dtype: DType, kind: ValueKind) -> Value {
        Value { name: name.into(), shape, dtype, kind, quant: None }
    }

    /// Number of elements (`usize::MAX` when the product overflows; the front end rejects such
    /// shapes, so this saturation only keeps arithmetic on a bad graph from panicking).
    pub fn len(&self) -> usize {
        self.shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).unwrap_or(usize::MAX)
    }

    /// True for a zero-element tensor.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The constant's `f32` elements, if the value is a float (or boolean) constant.
    pub fn const_data(&self) -> Option<&[f32]> {
        self.const_tensor().and_then(TensorData::f32s)
    }

    /// The constant's elements in their own type, if the value is a constant.
    pub fn const_tensor(&self) -> Option<&TensorData> {
        match &self.kind {
            ValueKind::Const(d) => Some(d),
            _ => None,
        }
    }

    /// True for a constant.
    pub fn is_const(&self) -> bool {
        matches!(self.kind, ValueKind::Const(_))
    }

    /// Bytes the value's elements take in generated code.
    pub fn bytes(&self) -> usize {
        self.len().saturating_mul(self.dtype.size())
    }
}

/// One operation.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Name in the source model (tract's node name).
    pub name: String,
    /// What the node computes.
    pub op: Op,
    /// Operands, in the order the op documents.
    pub inputs: Vec<ValueId>,
    /// The single result.
    pub output: ValueId,
}

/// A whole model.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Graph {
    /// Value arena.
    pub values: Vec<Value>,
    /// Node arena, in execution order.
    pub nodes: Vec<Node>,
    /// Graph inputs, in the source model's order.
    pub inputs: Vec<ValueId>,
    /// Graph outputs, in the source model's order.
    pub outputs: Vec<ValueId>,
    /// State pairs of a streaming step graph (empty for a stateless model): the generated crate
    /// keeps these inputs itself and feeds each its paired output back between steps.
    pub state: Vec<StatePair>,
    /// The model's whole-window interface when it is a `Scan` over this step graph.
    pub window: Option<Window>,
    /// The parameters a pre-quantized (QDQ) model was quantized with, beyond its pairs.
    pub prequantized: Option<quant::Prequantized>,
}

/// One piece of recurrent state of a step graph: graph input `input` is the state a step reads
/// and graph output `output` is its value for the next step. Both stay in the IR as an ordinary
/// input and output (every pass sees the step's full semantics); the plan keeps the input in
/// the persistent state region and the back end leaves both out of the generated API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatePair {
    /// Index into [`Graph::inputs`].
    pub input: usize,
    /// Index into [`Graph::outputs`].
    pub output: usize,
}

impl Graph {
    /// The value behind an id.
    pub fn value(&self, id: ValueId) -> &Value {
        &self.values[id.index()]
    }

    /// Adds a value and returns its id.
    pub fn add_value(&mut self, value: Value) -> ValueId {
        self.values.push(value);
        ValueId(self.values.len() as u32 - 1)
    }

    /// Adds an f32 constant.
    pub fn add_const(&mut self, name: impl Into<String>, shape: Vec<usize>, data: Vec<f32>) -> ValueId {
        self.add_typed_const(name, shape, data.into(), None)
    }

    /// Adds a constant of its data's type, with quantization parameters if it has any.
    pub fn add_typed_const(
        &mut self,
        name: impl Into<String>,
        shape: Vec<usize>,
        data: TensorData,
        quant: Option<Quant>,
    ) -> ValueId {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len());
        let dtype = data.dtype();
        self.add_value(Value { name: name.into(), shape, dtype, kind: ValueKind::Const(data), quant })
    }

    /// Appends a node computing a new value of the given shape and type; returns the value.
    pub fn add_node(
        &mut self,
        name: impl Into<String>,
        op: Op,
        inputs: Vec<ValueId>,
        shape: Vec<usize>,
        dtype: DType,
    ) -> ValueId {
        let name = name.into();
        let output = self.add_value(Value::new(name.clone(), shape, dtype, ValueKind::Computed));
        self.nodes.push(Node { name, op, inputs, output });
        output
    }

    /// Shapes of a node's inputs.
    pub fn input_shapes(&self, node: &Node) -> Vec<&[usize]> {
        node.inputs.iter().map(|&i| self.value(i).shape.as_slice()).collect()
    }

    /// True when graph input `k` is state the crate keeps.
    pub fn is_state_input(&self, k: usize) -> bool {
        self.state.iter().any(|p| p.input == k)
    }

    /// True when graph output `k` is a next state the crate keeps.
    pub fn is_state_output(&self, k: usize) -> bool {
        self.state.iter().any(|p| p.output == k)
    }

    /// The state pair whose input is value `v`, if any.
    pub fn state_of_input(&self, v: ValueId) -> Option<usize> {
        self.state.iter().position(|p| self.inputs.get(p.input) == Some(&v))
    }

    /// The model's own inputs as the generated crate's `run` takes them, `(name, shape)`: a Scan
    /// model's window inputs, else every graph input but the state a streaming crate keeps.
    pub fn model_inputs(&self) -> Vec<(String, Vec<usize>)> {
        match &self.window {
            Some(w) => w.inputs.iter().map(|x| (x.name.clone(), x.shape.clone())).collect(),
            None => (0..self.inputs.len())
                .filter(|&k| !self.is_state_input(k))
                .map(|k| (self.value(self.inputs[k]).name.clone(), self.value(self.inputs[k]).shape.clone()))
                .collect(),
        }
    }

    /// The element counts of the model's own outputs, as [`Graph::model_inputs`].
    pub fn model_output_lens(&self) -> Vec<usize> {
        match &self.window {
            Some(w) => w.outputs.iter().map(|x| x.shape.iter().product()).collect(),
            None => (0..self.outputs.len())
                .filter(|&k| !self.is_state_output(k))
                .map(|k| self.value(self.outputs[k]).len())
                .collect(),
        }
    }

    /// Ids of every value that is read by a node or is a graph output.
    pub fn used_values(&self) -> Vec<bool> {
        let mut used = vec![false; self.values.len()];
        for n in &self.nodes {
            for i in &n.inputs {
                used[i.index()] = true;
            }
        }
        for o in &self.outputs {
            used[o.index()] = true;
        }
        used
    }
}

impl fmt::Display for Graph {
    /// A readable listing, used by `--print-after` and `ecgc inspect`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Integer values show their type and quantization; float and bool listings stay as they were.
        let v = |id: &ValueId| {
            let val = self.value(*id);
            let ty = if val.dtype.is_int() { val.dtype.to_string() } else { String::new() };
            let q = match &val.quant {
                Some(q) if q.scale.len() == 1 => format!("(s={}, z={})", q.scale[0], q.zero_point[0]),
                Some(q) => format!("(per-axis {:?})", q.axis),
                None => String::new(),
            };
            format!("%{}{:?}{ty}{q}", id.0, val.shape)
        };
        for (k, i) in self.inputs.iter().enumerate() {
            writeln!(f, "input {k}: {} \"{}\"", v(i), self.value(*i).name)?;
        }
        for n in &self.nodes {
            let args: Vec<String> = n
                .inputs
                .iter()
                .map(|i| match self.value(*i).kind {
                    ValueKind::Const(_) => format!("const{}", v(i)),
                    _ => v(i),
                })
                .collect();
            writeln!(f, "{} = {} {}  # {}", v(&n.output), n.op.summary(), args.join(", "), n.name)?;
        }
        for (k, o) in self.outputs.iter().enumerate() {
            writeln!(f, "output {k}: {} \"{}\"", v(o), self.value(*o).name)?;
        }
        Ok(())
    }
}
