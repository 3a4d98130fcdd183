//! Errors of the compiler library. User errors (a bad or unsupported model, an over-budget model)
//! are kept apart from compiler bugs ([`Error::Internal`]), and each maps to a CLI exit code.

use std::fmt;
use std::path::PathBuf;

/// A model node that ecgc cannot compile, with what to do about it.
#[derive(Clone, Debug, PartialEq)]
pub struct Unsupported {
    /// Node name in the model.
    pub node: String,
    /// The op as tract names it after decluttering.
    pub op: String,
    /// Why, and what to do.
    pub reason: String,
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node '{}' ({}): {}", self.node, self.op, self.reason)
    }
}

/// Everything that can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read as an ONNX model.
    #[error("cannot load '{path}' as an ONNX model: {reason}\n  (is it a complete ONNX export? re-export it from PyTorch with torch.onnx.export)")]
    InvalidModel {
        /// The file.
        path: PathBuf,
        /// What tract or the file system said.
        reason: String,
    },
    /// The file is a readable ONNX model, but tract (ecgc's reader) could not analyse it.
    #[error("'{path}' is a readable ONNX model, but ecgc's front end (tract 0.23.9) could not analyse it: {reason}\n  (if onnxruntime runs this model, this is a limitation of ecgc: please report it with the model)")]
    ModelAnalysis {
        /// The file.
        path: PathBuf,
        /// What tract said, shortened.
        reason: String,
    },
    /// The model breaks the ONNX rules (checked on the protobuf before tract reads it); every
    /// problem found is listed, each naming the node or tensor.
    #[error("the model cannot be compiled as written ({} problem{}):\n{}", .0.len(), if .0.len() == 1 { "" } else { "s" }, .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    BadModel(Vec<String>),
    /// A model input has a dimension with no value (other than a leading batch axis, which
    /// defaults to 1).
    #[error("input '{input}' has shape {shape} with unknown dimension {unknown}; give every dimension a value with --input-shape {input}=<d0,d1,...>")]
    DynamicShape {
        /// The input name.
        input: String,
        /// The shape as written in the model (symbols by name, `?` for unnamed).
        shape: String,
        /// Which dimension: its symbol and axis.
        unknown: String,
    },
    /// Any other problem with the arguments or the model as a whole.
    #[error("{0}")]
    InvalidInput(String),
    /// One or more nodes cannot be compiled; all are listed.
    #[error("{} unsupported node(s):\n{}", .0.len(), .0.iter().map(|u| format!("  - {u}")).collect::<Vec<_>>().join("\n"))]
    Unsupported(Vec<Unsupported>),
    /// A weight tensor holds NaN or infinity.
    #[error("node '{node}': constant '{tensor}' holds {what}; fix the trained weights before compiling")]
    NonFiniteWeights {
        /// The node reading the constant.
        node: String,
        /// The constant's name.
        tensor: String,
        /// "NaN" or "infinity".
        what: &'static str,
    },
    /// The model does not fit the budget; the breakdown is in the message.
    #[error("over budget:\n{0}")]
    OverBudget(String),
    /// Reading or writing files.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A compiler bug.
    #[error("internal compiler error (this is a bug in ecgc, please report it): {0}")]
    Internal(String),
}

impl Error {
    /// The CLI exit code documented in PRODUCT.md: 1 bug, 2 invalid input, 3 over budget.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Internal(_) => 1,
            Error::OverBudget(_) => 3,
            Error::InvalidModel { .. }
            | Error::ModelAnalysis { .. }
            | Error::BadModel(_)
            | Error::DynamicShape { .. }
            | Error::InvalidInput(_)
            | Error::Unsupported(_)
            | Error::NonFiniteWeights { .. }
            | Error::Io { .. } => 2,
        }
    }

    /// Wraps an I/O error with what was being done.
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let context = context.into();
        move |source| Error::Io { context, source }
    }
}

/// Result alias.
pub type Result<T> = std::result::Result<T, Error>;
