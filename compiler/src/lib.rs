//! ecgc: an ahead-of-time compiler from ONNX biosignal models to `no_std` Rust crates.
//!
//! The pipeline, in order (see ARCHITECTURE.md for the code map and invariants):
//! [`front`] (ONNX → tract → IR) → [`passes`] → [`plan`] (memory) → [`back`] (Rust crate) →
//! [`report`]. [`Compiler`] drives it; [`validate`] checks generated crates against tract;
//! [`reference`](mod@reference) is the IR interpreter used as an oracle (and by `validate` when tract cannot run).

pub mod back;
pub mod cli;
mod compile;
pub mod error;
pub mod front;
pub mod ir;
pub mod measure;
pub mod passes;
pub mod plan;
pub mod quant;
pub mod reference;
pub mod report;
pub mod stream;
pub mod target;
pub mod validate;

pub use compile::{Compiled, Compiler, Precision};
pub use error::{Error, Result};
