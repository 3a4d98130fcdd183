//! ecgc's intermediate representation: a static, fully shaped dataflow graph.
//!
//! # What the IR means
//! - A [`Graph`] owns two arenas: [`Value`]s (tensors) indexed by [`ValueId`] and [`Node`]s (operations)
//!   indexed by [`NodeId`]. No `Rc`, no interior mutability: passes rewrite the arenas and side tables.
//! - Every value has a static row-major shape (`Vec<usize>`, possibly empty for a scalar) and an
//!   element type ([`DType`]). There are no symbolic dimensions: the front end resolves them or fails.
//! - A value is either a graph input, a constant (its data lives in the IR, f32 little-endian when
//!   emitted), or the single output of exactly one node.
//! - `Graph::nodes` is in execution order: every node's inputs are produced by earlier nodes, are
//!   constants, or are graph inputs. The verifier ([`verify`]) checks this and every shape.
//! - Booleans ([`DType::Bool`]) are stored as `f32` 1.0 / 0.0 in generated code; integer tensors exist
//!   only as constants folded into op parameters (shapes, gather indices) and never reach the graph.
//! - Op semantics are those of ONNX/tract for the same name, restated on each op struct in [`op`].
//!   Broadcasting between operands follows numpy rules (shapes aligned on the right).
//!
//! The IR is the boundary between `front/` (the only module that knows tract) and `back/` (which
//! emits Rust): everything the back end needs is here, decided before code generation.

pub mod op;
pub mod shape;
pub mod verify;

pub use op::*;

use std::fmt;
use std::sync::Arc;

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

/// Element type of a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    /// IEEE-754 single precision.
    F32,
    /// Boolean, stored as f32 1.0 / 0.0.
    Bool,
}

/// Where a value comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum ValueKind {
    /// The graph input at this position.
    Input(usize),
    /// A constant, row-major, `shape.iter().product()` elements.
    Const(Arc<Vec<f32>>),
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
}

impl Value {
    /// Number of elements (`usize::MAX` when the product overflows; the front end rejects such
    /// shapes, so this saturation only keeps arithmetic on a bad graph from panicking).
    pub fn len(&self) -> usize {
        self.shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).unwrap_or(usize::MAX)
    }

    /// True for a zero-element tensor.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The constant data, if the value is a constant.
    pub fn const_data(&self) -> Option<&[f32]> {
        match &self.kind {
            ValueKind::Const(d) => Some(d),
            _ => None,
        }
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

    /// Adds a constant.
    pub fn add_const(&mut self, name: impl Into<String>, shape: Vec<usize>, data: Vec<f32>) -> ValueId {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len());
        self.add_value(Value { name: name.into(), shape, dtype: DType::F32, kind: ValueKind::Const(Arc::new(data)) })
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
        let output = self.add_value(Value { name: name.clone(), shape, dtype, kind: ValueKind::Computed });
        self.nodes.push(Node { name, op, inputs, output });
        output
    }

    /// Shapes of a node's inputs.
    pub fn input_shapes(&self, node: &Node) -> Vec<&[usize]> {
        node.inputs.iter().map(|&i| self.value(i).shape.as_slice()).collect()
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
        let v = |id: &ValueId| format!("%{}{:?}", id.0, self.value(*id).shape);
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
